package baseline

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchkit/patchkit"
)

func mustSchedule(t *testing.T, expr string, target ScheduleTarget) Schedule {
	t.Helper()
	s, err := ParseSchedule(expr, target)
	require.NoError(t, err, expr)
	return s
}

// TestWindowUserGuideExample1 is example 1 of the user guide's
// "Maintenance window scheduling and active period options": start date
// 2021-01-01T00:00:00-08:00, time zone America/Los_Angeles, schedule
// cron(0 09 ? * WED *), duration 3, cutoff 1. The guide says the first run
// is "Wednesday, January 4, 2021"; the first Wednesday after the start date
// is January 6 (January 4, 2021 was a Monday).
func TestWindowUserGuideExample1(t *testing.T) {
	la := mustLoc(t, "America/Los_Angeles")
	w := Window{
		Schedule:  mustSchedule(t, "cron(0 09 ? * WED *)", MaintenanceWindow).In(la),
		Duration:  3,
		Cutoff:    1,
		StartDate: instant(t, "2021-01-01T00:00:00-08:00"),
	}
	require.NoError(t, w.Validate())
	run, err := w.Next(instant(t, "2020-12-01T00:00:00Z"))
	require.NoError(t, err)
	assert.Equal(t, "2021-01-06T09:00:00-08:00", run.Start.In(la).Format(time.RFC3339))
	assert.Equal(t, "2021-01-06T12:00:00-08:00", run.End.In(la).Format(time.RFC3339))
	assert.Equal(t, "2021-01-06T11:00:00-08:00", run.Cutoff.In(la).Format(time.RFC3339))
	run, err = w.Next(run.Start)
	require.NoError(t, err)
	assert.Equal(t, "2021-01-13T09:00:00-08:00", run.Start.In(la).Format(time.RFC3339))
}

func TestWindowStartAndEndDates(t *testing.T) {
	tokyo := mustLoc(t, "Asia/Tokyo")
	w := Window{
		Schedule:  mustSchedule(t, "cron(0 0 ? * SUN *)", MaintenanceWindow).In(tokyo),
		Duration:  4,
		Cutoff:    0,
		StartDate: instant(t, "2019-01-06T00:00:00+09:00"), // a Sunday at 00:00: the start date itself opens the window
		EndDate:   instant(t, "2019-01-20T00:00:00+09:00"),
	}
	var starts []string
	after := instant(t, "2018-12-01T00:00:00Z")
	for {
		run, err := w.Next(after)
		if err != nil {
			assert.ErrorIs(t, err, ErrNoNextRun)
			assert.ErrorContains(t, err, "EndDate")
			break
		}
		assert.Equal(t, run.End, run.Cutoff) // no cutoff
		starts = append(starts, run.Start.In(tokyo).Format(time.RFC3339))
		after = run.Start
	}
	assert.Equal(t, []string{"2019-01-06T00:00:00+09:00", "2019-01-13T00:00:00+09:00", "2019-01-20T00:00:00+09:00"}, starts)
}

// TestWindowRate: a rate window counts from its anchor, or else from
// StartDate.
func TestWindowRate(t *testing.T) {
	w := Window{Schedule: mustSchedule(t, "rate(5 hours)", MaintenanceWindow), Duration: 2, Cutoff: 1}
	_, err := w.Next(instant(t, "2026-01-01T00:00:00Z"))
	assert.ErrorContains(t, err, "needs an anchor")
	w.StartDate = instant(t, "2026-01-01T03:00:00Z")
	run, err := w.Next(instant(t, "2026-01-01T09:00:00Z"))
	require.NoError(t, err)
	assert.Equal(t, instant(t, "2026-01-01T13:00:00Z"), run.Start)
	assert.Equal(t, instant(t, "2026-01-01T15:00:00Z"), run.End)
	assert.Equal(t, instant(t, "2026-01-01T14:00:00Z"), run.Cutoff)
	w.Schedule = w.Schedule.From(instant(t, "2026-01-01T04:00:00Z"))
	run, err = w.Next(instant(t, "2026-01-01T09:00:00Z"))
	require.NoError(t, err)
	assert.Equal(t, instant(t, "2026-01-01T09:00:00Z").Add(5*time.Hour), run.Start)
}

// TestWindowOverDST: Duration is elapsed hours; a window that opens before
// the clocks go back ends Duration hours later by the clock on the wall.
func TestWindowOverDST(t *testing.T) {
	ny := mustLoc(t, "America/New_York")
	w := Window{Schedule: mustSchedule(t, "cron(0 0 ? * SUN *)", MaintenanceWindow).In(ny), Duration: 4, Cutoff: 1}
	run, err := w.Next(instant(t, "2026-10-31T00:00:00-04:00"))
	require.NoError(t, err)
	assert.Equal(t, "2026-11-01T00:00:00-04:00", run.Start.In(ny).Format(time.RFC3339))
	assert.Equal(t, "2026-11-01T03:00:00-05:00", run.End.In(ny).Format(time.RFC3339))
	assert.Equal(t, "2026-11-01T02:00:00-05:00", run.Cutoff.In(ny).Format(time.RFC3339))
	// With an offset, the window opens days after the cron time, at the
	// same wall-clock time.
	s, err := mustSchedule(t, "cron(0 0 ? * THU#2 *)", MaintenanceWindow).In(ny).WithOffset(3)
	require.NoError(t, err)
	w.Schedule = s
	run, err = w.Next(instant(t, "2026-03-01T00:00:00-05:00"))
	require.NoError(t, err)
	assert.Equal(t, "2026-03-15T00:00:00-04:00", run.Start.In(ny).Format(time.RFC3339))
}

func TestWindowValidate(t *testing.T) {
	cron := mustSchedule(t, "cron(0 2 ? * SUN *)", MaintenanceWindow)
	cases := []struct {
		w      Window
		field  string
		reason string
	}{
		{Window{Duration: 2}, "Schedule", "no schedule"},
		{Window{Schedule: mustSchedule(t, "cron(0 2 ? * SUN *)", Association), Duration: 2}, "Schedule", "parsed for an association"},
		{Window{Schedule: cron, Duration: 0}, "Duration", "0 hours; 1 to 24 allowed"},
		{Window{Schedule: cron, Duration: 25}, "Duration", "25 hours; 1 to 24 allowed"},
		{Window{Schedule: cron, Duration: 24, Cutoff: 24}, "Cutoff", "24 hours; 0 to 23 allowed"},
		{Window{Schedule: cron, Duration: 3, Cutoff: -1}, "Cutoff", "-1 hours; 0 to 23 allowed"},
		{Window{Schedule: cron, Duration: 3, Cutoff: 3}, "Cutoff", "not less than the Duration of 3 hours"},
		{Window{Schedule: cron, Duration: 3, Cutoff: 1, StartDate: instant(t, "2026-02-01T00:00:00Z"), EndDate: instant(t, "2026-01-01T00:00:00Z")}, "EndDate", "before the StartDate"},
	}
	for _, c := range cases {
		err := c.w.Validate()
		var se *ScheduleError
		if assert.ErrorAs(t, err, &se, c.reason) {
			assert.Equal(t, c.field, se.Field)
			assert.Contains(t, se.Reason, c.reason)
			assert.ErrorIs(t, err, patchkit.ErrInvalid)
		}
		_, err = c.w.Next(instant(t, "2026-01-01T00:00:00Z"))
		assert.ErrorAs(t, err, &se)
	}
	assert.NoError(t, Window{Schedule: cron, Duration: 24, Cutoff: 23}.Validate())
	assert.NoError(t, Window{Schedule: cron, Duration: 1, Cutoff: 0}.Validate())
}

// TestValidateScheduleNames: names that hold L or W (JUL, WED) are names,
// not special characters; the validator refused them before it parsed
// items as values first.
func TestValidateScheduleNames(t *testing.T) {
	for _, expr := range []string{
		"cron(0 9 ? * WED *)", "cron(0 9 ? * MON-WED *)", "cron(0 9 1 JUL ? *)", "cron(0 9 1 APR-JUL ? *)",
		"cron(0 9 ? JUL WED#2 *)", "cron(0 9 ? * WEDL *)", "cron(0 9 1,15,L * ? *)", "cron(0 9 ? * 2#1,6L *)",
	} {
		assert.NoError(t, ValidateSchedule(expr, MaintenanceWindow), expr)
	}
	for expr, reason := range map[string]string{
		"cron(0 9 ? * WEDW *)":                   `"WEDW" is not allowed in Day-of-week`,
		"cron(0 9 1W-5 * ? *)":                   `"1W-5" is not allowed in Day-of-month`,
		"cron(0 9 1 JULL ? *)":                   `"JULL" is not allowed in Month`,
		"cron(0 9 32W * ? *)":                    "32 is outside 1..31",
		"cron(0 9 ? * 8L *)":                     "8 is outside 1..7",
		"cron(0 9 ? * THU#0 *)":                  "the week after # is 1 to 5",
		"cron(L 9 * * ? *)":                      `"L" is not allowed in Minutes`,
		"cron(0 9 * * ? 2026W)":                  `"2026W" is not allowed in Year`,
		"cron(0/99999999999999999999 9 * * ? *)": "step",
	} {
		assert.ErrorContains(t, ValidateSchedule(expr, MaintenanceWindow), reason, expr)
	}
	// A huge step selects only the start.
	s := mustSchedule(t, "cron(7/9223372036854775807 9 * * ? *)", MaintenanceWindow)
	next, err := s.Next(instant(t, "2026-01-01T00:00:00Z"))
	require.NoError(t, err)
	assert.Equal(t, instant(t, "2026-01-01T09:07:00Z"), next)
}

func TestWindowOpen(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	w := Window{Schedule: mustSchedule(t, "cron(0 22 ? * FRI *)", MaintenanceWindow).In(berlin), Duration: 6, Cutoff: 2}
	for at, want := range map[string]string{
		"2026-12-04T21:59:59+01:00": "",
		"2026-12-04T22:00:00+01:00": "2026-12-04T22:00:00+01:00",
		"2026-12-05T02:30:00+01:00": "2026-12-04T22:00:00+01:00",
		"2026-12-05T03:59:59+01:00": "2026-12-04T22:00:00+01:00",
		"2026-12-05T04:00:00+01:00": "",
		"2026-12-09T12:00:00+01:00": "",
	} {
		run, ok, err := w.Open(instant(t, at))
		require.NoError(t, err, at)
		if want == "" {
			assert.False(t, ok, at)
			continue
		}
		if assert.True(t, ok, at) {
			assert.Equal(t, want, run.Start.Format(time.RFC3339), at)
			assert.Equal(t, "2026-12-05T02:00:00+01:00", run.Cutoff.Format(time.RFC3339), at)
		}
	}
	// Overlapping openings: the latest one.
	r := Window{Schedule: mustSchedule(t, "rate(5 hours)", MaintenanceWindow).From(instant(t, "2026-01-01T00:00:00Z")), Duration: 24, Cutoff: 1}
	run, ok, err := r.Open(instant(t, "2026-01-02T06:00:00Z"))
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, instant(t, "2026-01-02T06:00:00Z"), run.Start)
	// A window that has ended for good, and one whose schedule is unusable.
	e := Window{Schedule: mustSchedule(t, "at(2026-01-01T10:00:00)", MaintenanceWindow), Duration: 2}
	_, ok, err = e.Open(instant(t, "2026-01-01T13:00:00Z"))
	assert.NoError(t, err)
	assert.False(t, ok)
	run, ok, err = e.Open(instant(t, "2026-01-01T11:00:00Z"))
	assert.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, instant(t, "2026-01-01T12:00:00Z"), run.End)
	_, _, err = Window{Schedule: mustSchedule(t, "rate(5 hours)", MaintenanceWindow), Duration: 2}.Open(instant(t, "2026-01-01T13:00:00Z"))
	assert.ErrorContains(t, err, "needs an anchor")
}
