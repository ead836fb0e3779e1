package baseline

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchkit/patchkit"
)

func mustLoc(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	require.NoError(t, err)
	return loc
}

func instant(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	require.NoError(t, err, s)
	return v
}

// runs returns the next n runs of expr (for target, in loc, with offset
// days and anchor) after the instant after, as RFC 3339 strings in loc.
func runs(t *testing.T, expr string, target ScheduleTarget, loc *time.Location, offset int, anchor, after string, n int) []string {
	t.Helper()
	s, err := ParseSchedule(expr, target)
	require.NoError(t, err, expr)
	s, err = s.In(loc).WithOffset(offset)
	require.NoError(t, err, expr)
	if anchor != "" {
		s = s.From(instant(t, anchor))
	}
	got, err := s.NextN(instant(t, after), n)
	require.NoError(t, err, expr)
	out := make([]string, len(got))
	for i, g := range got {
		out[i] = g.In(loc).Format(time.RFC3339)
	}
	return out
}

// TestScheduleDocumentedExamples computes the runs of the examples of the
// Systems Manager user guide (reference-cron-and-rate-expressions) and of
// the patch-policy defaults; the expected instants were worked out by hand
// from a calendar.
func TestScheduleDocumentedExamples(t *testing.T) {
	utc := time.UTC
	cases := []struct {
		name, expr string
		target     ScheduleTarget
		offset     int
		anchor     string
		after      string
		want       []string
	}{
		{"daily 10:00", "cron(0 10 * * ? *)", MaintenanceWindow, 0, "", "2026-11-30T16:00:00Z",
			[]string{"2026-12-01T10:00:00Z", "2026-12-02T10:00:00Z"}},
		{"daily 10:00, after is a run", "cron(0 10 * * ? *)", MaintenanceWindow, 0, "", "2026-12-01T10:00:00Z",
			[]string{"2026-12-02T10:00:00Z"}},
		{"every 15 minutes", "cron(0/15 * * * ? *)", MaintenanceWindow, 0, "", "2026-11-30T23:37:12Z",
			[]string{"2026-11-30T23:45:00Z", "2026-12-01T00:00:00Z", "2026-12-01T00:15:00Z"}},
		{"every 5 minutes 8-17 on weekdays, Friday evening", "cron(0/5 8-17 ? * MON-FRI *)", MaintenanceWindow, 0, "", "2026-11-27T17:52:00Z",
			[]string{"2026-11-27T17:55:00Z", "2026-11-30T08:00:00Z", "2026-11-30T08:05:00Z"}},
		{"last day of the month, leap year", "cron(0 2 L * ? *)", MaintenanceWindow, 0, "", "2028-01-31T02:00:00Z",
			[]string{"2028-02-29T02:00:00Z", "2028-03-31T02:00:00Z", "2028-04-30T02:00:00Z"}},
		{"last day of the month, common year", "cron(0 2 L * ? *)", MaintenanceWindow, 0, "", "2027-02-01T00:00:00Z",
			[]string{"2027-02-28T02:00:00Z"}},
		{"last Friday", "cron(15 10 ? * 6L *)", MaintenanceWindow, 0, "", "2026-11-01T00:00:00Z",
			[]string{"2026-11-27T10:15:00Z", "2026-12-25T10:15:00Z", "2027-01-29T10:15:00Z"}},
		{"second Thursday", "cron(0 0 ? * THU#2 *)", MaintenanceWindow, 0, "", "2026-12-01T00:00:00Z",
			[]string{"2026-12-10T00:00:00Z", "2027-01-14T00:00:00Z"}},
		{"second Thursday with offset 3: the Sunday after", "cron(0 0 ? * THU#2 *)", Association, 3, "", "2026-12-01T00:00:00Z",
			[]string{"2026-12-13T00:00:00Z", "2027-01-17T00:00:00Z"}},
		{"offset: a run whose cron day is past but whose offset day is ahead", "cron(0 0 ? * THU#2 *)", Association, 3, "", "2026-12-11T12:00:00Z",
			[]string{"2026-12-13T00:00:00Z"}},
		{"offset: created after the cron day, the period's run is lost", "cron(0 0 ? * THU#2 *)", Association, 3, "2026-12-11T12:00:00Z", "2026-12-11T12:00:00Z",
			[]string{"2027-01-17T00:00:00Z"}},
		{"third Tuesday 23:30 with offset 2 (ScheduleOffset's API example)", "cron(30 23 ? * TUE#3 *)", MaintenanceWindow, 2, "", "2026-12-01T00:00:00Z",
			[]string{"2026-12-17T23:30:00Z", "2027-01-21T23:30:00Z"}},
		{"patch policy scan default", "cron(0 1 * * ? *)", Association, 0, "", "2026-12-31T01:00:00Z",
			[]string{"2027-01-01T01:00:00Z", "2027-01-02T01:00:00Z"}},
		{"patch policy install: first Saturday", "cron(0 2 ? * SAT#1 *)", Association, 0, "", "2026-11-30T00:00:00Z",
			[]string{"2026-12-05T02:00:00Z", "2027-01-02T02:00:00Z"}},
		{"weekly Sunday 02:00", "cron(0 2 ? * SUN *)", Association, 0, "", "2026-11-30T00:00:00Z",
			[]string{"2026-12-06T02:00:00Z", "2026-12-13T02:00:00Z"}},
		{"third Thursday by number", "cron(0 0 ? * 5#3 *)", MaintenanceWindow, 0, "", "2026-12-01T00:00:00Z",
			[]string{"2026-12-17T00:00:00Z"}},
		{"seconds first", "cron(24 30 09 ? * * *)", MaintenanceWindow, 0, "", "2026-12-01T09:30:24Z",
			[]string{"2026-12-02T09:30:24Z"}},
		{"every 4 hours", "cron(0 0/4 * * ? *)", Association, 0, "", "2026-12-31T21:00:00Z",
			[]string{"2027-01-01T00:00:00Z", "2027-01-01T04:00:00Z"}},
		{"Wednesdays by name (WED holds a W)", "cron(0 9 ? * WED *)", MaintenanceWindow, 0, "", "2026-11-30T00:00:00Z",
			[]string{"2026-12-02T09:00:00Z"}},
		{"July by name (JUL holds an L)", "cron(0 9 1 JUL ? *)", MaintenanceWindow, 0, "", "2026-11-30T00:00:00Z",
			[]string{"2027-07-01T09:00:00Z"}},
		{"rate 30 minutes from the association's creation", "rate(30 minutes)", Association, 0, "2026-11-30T16:20:00Z", "2026-11-30T17:00:00Z",
			[]string{"2026-11-30T17:20:00Z", "2026-11-30T17:50:00Z"}},
		{"rate: the creation is the first run", "rate(30 minutes)", Association, 0, "2026-11-30T16:20:00Z", "2026-11-30T16:00:00Z",
			[]string{"2026-11-30T16:20:00Z", "2026-11-30T16:50:00Z"}},
		{"rate 7 days from the previous run", "rate(7 days)", Association, 0, "2026-11-23T05:00:00Z", "2026-11-30T05:00:00Z",
			[]string{"2026-12-07T05:00:00Z", "2026-12-14T05:00:00Z"}},
		{"at", "at(2025-12-24T20:00:00)", MaintenanceWindow, 0, "", "2025-12-01T00:00:00Z",
			[]string{"2025-12-24T20:00:00Z"}},
		// W: the nearest weekday, never in another month.
		{"3W on a Saturday: Friday the 2nd", "cron(0 3 3W * ? *)", MaintenanceWindow, 0, "", "2026-10-01T00:00:00Z",
			[]string{"2026-10-02T03:00:00Z", "2026-11-03T03:00:00Z"}},
		{"1W on a Saturday: Monday the 3rd", "cron(0 3 1W * ? *)", MaintenanceWindow, 0, "", "2026-07-31T00:00:00Z",
			[]string{"2026-08-03T03:00:00Z", "2026-09-01T03:00:00Z"}},
		{"31W on a Sunday: Friday the 29th; no run in 30-day months", "cron(0 3 31W * ? *)", MaintenanceWindow, 0, "", "2026-05-01T00:00:00Z",
			[]string{"2026-05-29T03:00:00Z", "2026-07-31T03:00:00Z", "2026-08-31T03:00:00Z"}},
		{"15W on a Sunday: Monday the 16th", "cron(0 3 15W * ? *)", MaintenanceWindow, 0, "", "2026-11-01T00:00:00Z",
			[]string{"2026-11-16T03:00:00Z"}},
		{"LW on a Sunday: Friday the 29th", "cron(0 3 LW * ? *)", MaintenanceWindow, 0, "", "2027-01-01T00:00:00Z",
			[]string{"2027-01-29T03:00:00Z", "2027-02-26T03:00:00Z"}},
		// Leap years and year boundaries.
		{"29 February: 2100 is no leap year", "cron(0 0 29 2 ? *)", MaintenanceWindow, 0, "", "2097-03-01T00:00:00Z",
			[]string{"2104-02-29T00:00:00Z"}},
		{"New Year", "cron(0 0 1 1 ? *)", MaintenanceWindow, 0, "", "2026-12-31T23:59:59Z",
			[]string{"2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z"}},
		{"Year list and step", "cron(0 0 1 1 ? 2027,2030/5)", MaintenanceWindow, 0, "", "2026-06-01T00:00:00Z",
			[]string{"2027-01-01T00:00:00Z", "2030-01-01T00:00:00Z", "2035-01-01T00:00:00Z"}},
		{"L in Day-of-week is Saturday", "cron(0 6 ? * L *)", MaintenanceWindow, 0, "", "2026-11-30T00:00:00Z",
			[]string{"2026-12-05T06:00:00Z"}},
		{"fifth Monday", "cron(0 6 ? * 2#5 *)", MaintenanceWindow, 0, "", "2026-11-01T00:00:00Z",
			[]string{"2026-11-30T06:00:00Z", "2027-03-29T06:00:00Z"}},
		{"months by step from 1", "cron(0 6 1 1/4 ? *)", MaintenanceWindow, 0, "", "2026-11-01T00:00:00Z",
			[]string{"2027-01-01T06:00:00Z", "2027-05-01T06:00:00Z", "2027-09-01T06:00:00Z"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, runs(t, c.expr, c.target, utc, c.offset, c.anchor, c.after, len(c.want)))
		})
	}
}

// TestScheduleDST checks the rule of EventBridge Scheduler's documentation
// (a wall-clock time that does not exist is skipped; one that exists twice
// runs once) in zones whose clocks move by an hour and by half an hour.
func TestScheduleDST(t *testing.T) {
	ny, berlin, lordHowe := mustLoc(t, "America/New_York"), mustLoc(t, "Europe/Berlin"), mustLoc(t, "Australia/Lord_Howe")
	cases := []struct {
		name   string
		expr   string
		loc    *time.Location
		offset int
		anchor string
		after  string
		want   []string
	}{
		// New York: 2026-03-08 02:00 EST → 03:00 EDT; 2026-11-01 02:00 EDT → 01:00 EST.
		{"NY 02:30 does not exist on 8 March", "cron(30 2 * * ? *)", ny, 0, "", "2026-03-07T12:00:00-05:00",
			[]string{"2026-03-09T02:30:00-04:00", "2026-03-10T02:30:00-04:00"}},
		{"NY 03:00 exists on 8 March", "cron(0 3 * * ? *)", ny, 0, "", "2026-03-07T12:00:00-05:00",
			[]string{"2026-03-08T03:00:00-04:00", "2026-03-09T03:00:00-04:00"}},
		{"NY every 15 minutes over the gap", "cron(0/15 * * * ? *)", ny, 0, "", "2026-03-08T01:40:00-05:00",
			[]string{"2026-03-08T01:45:00-05:00", "2026-03-08T03:00:00-04:00", "2026-03-08T03:15:00-04:00"}},
		{"NY 01:30 runs once on 1 November, at its first occurrence", "cron(30 1 * * ? *)", ny, 0, "", "2026-10-31T12:00:00-04:00",
			[]string{"2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"}},
		{"NY every 15 minutes over the repeated hour", "cron(0/15 * * * ? *)", ny, 0, "", "2026-11-01T00:50:00-04:00",
			[]string{"2026-11-01T01:00:00-04:00", "2026-11-01T01:15:00-04:00", "2026-11-01T01:30:00-04:00", "2026-11-01T01:45:00-04:00", "2026-11-01T02:00:00-05:00"}},
		{"NY from inside the second pass of the repeated hour", "cron(0/15 * * * ? *)", ny, 0, "", "2026-11-01T01:20:00-05:00",
			[]string{"2026-11-01T02:00:00-05:00"}},
		{"NY weekly offset lands in the gap", "cron(30 2 ? * SAT *)", ny, 1, "", "2026-03-01T00:00:00-05:00",
			[]string{"2026-03-01T02:30:00-05:00", "2026-03-15T02:30:00-04:00"}},
		// Berlin: 2026-03-29 02:00 CET → 03:00 CEST; 2026-10-25 03:00 CEST → 02:00 CET.
		{"Berlin: the 02:xx runs of 29 March are skipped", "cron(0/20 2 * * ? *)", berlin, 0, "", "2026-03-28T12:00:00+01:00",
			[]string{"2026-03-30T02:00:00+02:00", "2026-03-30T02:20:00+02:00"}},
		{"Berlin: 02:45 on 25 October in summer time", "cron(45 2 ? * SUN *)", berlin, 0, "", "2026-10-20T00:00:00+02:00",
			[]string{"2026-10-25T02:45:00+02:00", "2026-11-01T02:45:00+01:00"}},
		{"Berlin: last Sunday of March at 02:30 never exists", "cron(30 2 ? 3 1L *)", berlin, 0, "", "2026-01-01T00:00:00+01:00",
			nil},
		// Lord Howe: 2026-04-05 02:00 (+11) → 01:30 (+10:30); 2026-10-04 02:00 (+10:30) → 02:30 (+11).
		{"Lord Howe: 01:45 runs once on 5 April", "cron(45 1 * * ? *)", lordHowe, 0, "", "2026-04-04T12:00:00+11:00",
			[]string{"2026-04-05T01:45:00+11:00", "2026-04-06T01:45:00+10:30"}},
		{"Lord Howe: the half hour that repeats", "cron(0/15 1 * * ? *)", lordHowe, 0, "", "2026-04-05T01:20:00+11:00",
			[]string{"2026-04-05T01:30:00+11:00", "2026-04-05T01:45:00+11:00", "2026-04-06T01:00:00+10:30"}},
		{"Lord Howe: 02:15 does not exist on 4 October", "cron(15 2 * * ? *)", lordHowe, 0, "", "2026-10-03T12:00:00+10:30",
			[]string{"2026-10-05T02:15:00+11:00"}},
		{"Lord Howe: 02:30 does exist on 4 October", "cron(30 2 * * ? *)", lordHowe, 0, "", "2026-10-03T12:00:00+10:30",
			[]string{"2026-10-04T02:30:00+11:00"}},
		// Rates count elapsed time: a day is 24 hours across a change.
		{"NY rate(1 day) over the spring change", "rate(1 day)", ny, 0, "2026-03-07T09:00:00-05:00", "2026-03-07T09:00:00-05:00",
			[]string{"2026-03-08T10:00:00-04:00", "2026-03-09T10:00:00-04:00"}},
		{"NY rate(1 hour) over the repeated hour", "rate(1 hour)", ny, 0, "2026-11-01T00:30:00-04:00", "2026-11-01T00:30:00-04:00",
			[]string{"2026-11-01T01:30:00-04:00", "2026-11-01T01:30:00-05:00", "2026-11-01T02:30:00-05:00"}},
		{"at() in the repeated hour: the first occurrence", "at(2026-11-01T01:30:00)", ny, 0, "", "2026-10-01T00:00:00-04:00",
			[]string{"2026-11-01T01:30:00-04:00"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.want == nil {
				s, err := ParseSchedule(c.expr, MaintenanceWindow)
				require.NoError(t, err)
				_, err = s.In(c.loc).Next(instant(t, c.after))
				assert.ErrorIs(t, err, ErrNoNextRun)
				return
			}
			assert.Equal(t, c.want, runs(t, c.expr, MaintenanceWindow, c.loc, c.offset, c.anchor, c.after, len(c.want)))
		})
	}
	// at() in a gap never runs.
	s, err := ParseSchedule("at(2026-03-08T02:30:00)", MaintenanceWindow)
	require.NoError(t, err)
	_, err = s.In(ny).Next(instant(t, "2026-01-01T00:00:00Z"))
	assert.ErrorIs(t, err, ErrNoNextRun)
}

// TestScheduleNeverFires: expressions that never (or no longer) fire end
// with ErrNoNextRun, quickly.
func TestScheduleNeverFires(t *testing.T) {
	for expr, after := range map[string]string{
		"cron(0 0 30 2 ? *)":           "2026-01-01T00:00:00Z", // 30 February
		"cron(0 0 31 4,6,9,11 ? *)":    "2026-01-01T00:00:00Z", // 31st of 30-day months
		"cron(0 0 31W 2 ? *)":          "2026-01-01T00:00:00Z",
		"cron(0 0 ? 2 1#5 2027-2031)":  "2026-01-01T00:00:00Z", // no fifth Sunday in those Februaries
		"cron(0 0 1 1 ? 2020-2025)":    "2026-01-01T00:00:00Z", // the Year range has passed
		"cron(0 0 1 1 ? *)":            "2199-01-01T00:00:00Z", // the Year field ends in 2199
		"cron(0 23 31 12 ? 2026)":      "2026-12-31T23:00:00Z",
		"at(2025-12-24T20:00:00)":      "2025-12-24T20:00:00Z",
		"cron(0 0 ? * 2#5 2100/50)":    "9999-01-01T00:00:00Z",
		"cron(59 23 31 12 ? 2199)":     "2199-12-31T23:59:00Z",
		"cron(0 12 ? FEB 2#5 2101)":    "1900-01-01T00:00:00Z",
		"cron(0 12 ? FEB,APR 7#5 *)":   "2199-03-01T00:00:00Z",
		"cron(0 0 29 2 ? 2101-2103)":   "1969-12-31T23:59:59Z",
		"cron(0 0 29 2 ? 2100)":        "2000-01-01T00:00:00Z",
		"cron(0 0 29 FEB ? 2197-2199)": "2196-02-29T00:00:00Z",
	} {
		s, err := ParseSchedule(expr, MaintenanceWindow)
		require.NoError(t, err, expr)
		start := time.Now()
		_, err = s.Next(instant(t, after))
		assert.ErrorIs(t, err, ErrNoNextRun, expr)
		assert.NotErrorIs(t, err, patchkit.ErrInvalid, expr)
		// Not a speed check (BenchmarkNext measures that, about 16-23 µs
		// for these): only that the bounded search ends at all.
		assert.Less(t, time.Since(start), 30*time.Second, expr)
		var none []time.Time
		for r, err := range s.Runs(instant(t, after)) {
			require.NoError(t, err)
			none = append(none, r)
		}
		assert.Empty(t, none, expr)
	}
	// NextN says how many it found before the end.
	s, err := ParseSchedule("cron(0 0 1 1 ? 2027-2028)", MaintenanceWindow)
	require.NoError(t, err)
	got, err := s.NextN(instant(t, "2026-01-01T00:00:00Z"), 5)
	assert.Len(t, got, 2)
	assert.ErrorIs(t, err, ErrNoNextRun)
}

func TestScheduleUseErrors(t *testing.T) {
	rate, err := ParseSchedule("rate(7 days)", Association)
	require.NoError(t, err)
	_, err = rate.Next(instant(t, "2026-01-01T00:00:00Z"))
	var se *ScheduleError
	require.ErrorAs(t, err, &se)
	assert.Contains(t, se.Reason, "needs an anchor")
	assert.ErrorIs(t, err, patchkit.ErrInvalid)

	_, err = rate.WithOffset(3)
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "ScheduleOffset", se.Field)

	cron, err := ParseSchedule("cron(0 2 ? * SUN *)", Association)
	require.NoError(t, err)
	for _, bad := range []int{-1, 7} {
		_, err = cron.WithOffset(bad)
		require.ErrorAs(t, err, &se, bad)
		assert.Contains(t, se.Reason, "1 to 6 days")
	}
	_, err = cron.In(mustLoc(t, "Europe/Berlin")).Next(instant(t, "2026-01-01T00:00:00Z"))
	require.ErrorAs(t, err, &se)
	assert.Contains(t, se.Reason, "associations run in UTC")
	_, err = cron.In(mustLoc(t, "UTC")).Next(instant(t, "2026-01-01T00:00:00Z"))
	assert.NoError(t, err)

	_, err = Schedule{}.Next(instant(t, "2026-01-01T00:00:00Z"))
	require.ErrorAs(t, err, &se)
	assert.Contains(t, se.Reason, "not a parsed schedule")

	// Errors end the iterator after being yielded once.
	n := 0
	for _, err := range rate.Runs(instant(t, "2026-01-01T00:00:00Z")) {
		assert.Error(t, err)
		n++
	}
	assert.Equal(t, 1, n)

	// Runs stops when the loop does.
	count := 0
	for r, err := range rate.From(instant(t, "2026-01-01T00:00:00Z")).Runs(instant(t, "2026-01-01T00:00:00Z")) {
		require.NoError(t, err)
		assert.Equal(t, 7*24*time.Hour*time.Duration(count+1), r.Sub(instant(t, "2026-01-01T00:00:00Z")))
		if count++; count == 3 {
			break
		}
	}
	assert.Equal(t, 3, count)
}

func TestScheduleAccessors(t *testing.T) {
	s, err := ParseSchedule("rate(5 hours)", MaintenanceWindow)
	require.NoError(t, err)
	assert.Equal(t, Rate, s.Kind())
	assert.Equal(t, "rate", s.Kind().String())
	assert.Equal(t, 5*time.Hour, s.Interval())
	assert.Equal(t, "rate(5 hours)", s.String())
	assert.Equal(t, MaintenanceWindow, s.Target())
	assert.Equal(t, time.UTC, s.Location())
	assert.Equal(t, time.UTC, s.In(nil).Location())
	c, err := ParseSchedule("cron(0 0 ? * THU#2 *)", MaintenanceWindow)
	require.NoError(t, err)
	c, err = c.WithOffset(3)
	require.NoError(t, err)
	assert.Equal(t, 3, c.Offset())
	assert.Equal(t, Cron, c.Kind())
	assert.Equal(t, "at", At.String())
	assert.Equal(t, "ScheduleKind(9)", ScheduleKind(9).String())
}

// TestScheduleLargeRates: a rate's value is bounded so that the arithmetic
// cannot overflow.
func TestScheduleLargeRates(t *testing.T) {
	_, err := ParseSchedule("rate(99999999999999999999 days)", MaintenanceWindow)
	assert.ErrorContains(t, err, "is not a positive integer") // beyond int64
	for _, expr := range []string{"rate(73201 days)", "rate(9999999 hours)", "rate(9223372036854775807 minutes)"} {
		_, err = ParseSchedule(expr, MaintenanceWindow)
		assert.ErrorContains(t, err, "too large", expr)
	}
	_, err = ParseSchedule("rate(100000 minutes)", MaintenanceWindow) // 69 days and some hours
	assert.NoError(t, err)
	s, err := ParseSchedule("rate(73200 days)", MaintenanceWindow)
	require.NoError(t, err)
	next, err := s.From(instant(t, "2026-01-01T00:00:00Z")).Next(instant(t, "2026-01-01T00:00:00Z"))
	require.NoError(t, err)
	assert.Equal(t, 73200*24*time.Hour, next.Sub(instant(t, "2026-01-01T00:00:00Z")))
	_, err = s.From(time.Unix(0, 0)).Next(time.Unix(1<<62, 0))
	assert.True(t, err == nil || errors.Is(err, ErrNoNextRun), "%v", err)
}

// TestCivilDays checks the calendar arithmetic against the time package
// over four centuries around the epoch and the Year field's range.
func TestCivilDays(t *testing.T) {
	for day := int64(-146097); day <= 146097*2; day += 37 {
		tm := time.Unix(day*86400, 0).UTC()
		y, m, d := civilFromDays(day)
		require.Equal(t, [3]int{tm.Year(), int(tm.Month()), tm.Day()}, [3]int{y, m, d}, day)
		require.Equal(t, day, daysFromCivil(y, m, d))
		require.Equal(t, int(tm.Weekday()), weekday(y, m, d))
		require.Equal(t, time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day(), daysIn(y, m))
	}
}
