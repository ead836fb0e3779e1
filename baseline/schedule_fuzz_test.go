package baseline

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// FuzzScheduleNext: for any expression, instant, zone, offset and anchor,
// ParseSchedule either refuses with a *ScheduleError or gives a schedule
// whose Next is strictly after the instant and is a run of the expression
// (or wraps ErrNoNextRun), and no run lies between the two; nothing panics.
func FuzzScheduleNext(f *testing.F) {
	zones := []*time.Location{time.UTC}
	for _, name := range []string{"America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "Pacific/Chatham", "Asia/Kolkata"} {
		loc, err := time.LoadLocation(name)
		if err != nil {
			f.Fatal(err)
		}
		zones = append(zones, loc)
	}
	for _, expr := range []string{
		"cron(0 10 * * ? *)", "cron(0/15 * * * ? *)", "cron(0/5 8-17 ? * MON-FRI *)", "cron(0 2 L * ? *)",
		"cron(15 10 ? * 6L *)", "cron(0 0 ? * THU#2 *)", "cron(0 1 * * ? *)", "cron(0 2 ? * SAT#1 *)",
		"cron(24 30 09 ? * * *)", "cron(0 3 3W * ? *)", "cron(0 3 LW * ? *)", "cron(0 0 30 2 ? *)",
		"cron(30 2 * * ? *)", "cron(0 0 29 2 ? 2100-2104)", "rate(30 minutes)", "rate(7 days)", "rate(1 hour)",
		"at(2026-11-01T01:30:00)", "at(2026-03-08T02:30:00)", "cron(0 0 1 1 ? 1970/7)", "cron(45 1 31W * ? *)",
	} {
		f.Add(expr, int64(1780000000), uint8(1), uint8(0), int64(1770000000))
		f.Add(expr, int64(1793500000), uint8(2), uint8(3), int64(0))
	}
	f.Fuzz(func(t *testing.T, expr string, afterSec int64, zone, offset uint8, anchorSec int64) {
		after := time.Unix(afterSec%(1<<40), 0)
		loc := zones[int(zone)%len(zones)]
		target := MaintenanceWindow
		if zone >= 128 {
			target = Association
			loc = time.UTC
		}
		s, err := ParseSchedule(expr, target)
		if err != nil {
			var se *ScheduleError
			if !errors.As(err, &se) {
				t.Fatalf("%q: %T %v", expr, err, err)
			}
			return
		}
		s = s.In(loc)
		if s.Kind() == Cron {
			if s, err = s.WithOffset(int(offset % 7)); err != nil {
				t.Fatal(err)
			}
		}
		if s.Kind() == Rate || anchorSec%3 == 0 {
			s = s.From(time.Unix(anchorSec%(1<<40), 0))
		}
		checkNext(t, s, after, loc)
	})
}

// checkNext fails unless s.Next(after) is the first run of s after after,
// or there is none.
func checkNext(t *testing.T, s Schedule, after time.Time, loc *time.Location) {
	expr := s.expr
	next, err := s.Next(after)
	if err != nil {
		if !errors.Is(err, ErrNoNextRun) {
			t.Fatalf("%q after %s: %v", expr, after, err)
		}
		return
	}
	if !next.After(after) {
		t.Fatalf("%q: Next(%s) = %s, not after", expr, after, next)
	}
	if !s.anchor.IsZero() && s.Kind() != Rate && !next.After(s.anchor) {
		t.Fatalf("%q: Next = %s, not after the anchor %s", expr, next, s.anchor)
	}
	wall := civilOf(next.In(loc))
	if first, ok := firstInstant(wall, loc); s.Kind() != Rate && (!ok || !first.Equal(next)) {
		t.Fatalf("%q: %s is not the first occurrence of its wall-clock time", expr, next)
	}
	switch s.Kind() {
	case At:
		if wall != s.at {
			t.Fatalf("%q: %s", expr, next)
		}
	case Rate:
		d := next.Sub(s.anchor)
		if d < 0 || d%s.rate != 0 || (next.Add(-s.rate).After(after) && !next.Equal(s.anchor)) {
			t.Fatalf("%q from %s: Next(%s) = %s", expr, s.anchor, after, next)
		}
	case Cron:
		c := wall.addDays(-s.offset)
		if !s.cron.matches(c) {
			t.Fatalf("%q: %s (cron time %v) does not match", expr, next.In(loc), c)
		}
		if s.offset == 0 && s.anchor.IsZero() && next.Sub(after) <= 48*time.Hour {
			noRunBetween(t, s, after, next, loc)
		}
	}
}

// noRunBetween fails when a run of s lies strictly between after and next.
func noRunBetween(t *testing.T, s Schedule, after, next time.Time, loc *time.Location) {
	for m := after.Truncate(time.Minute); m.Before(next); m = m.Add(time.Minute) {
		for sec := range s.cron.seconds.all() {
			x := m.Add(time.Duration(sec) * time.Second)
			if !x.After(after) || !x.Before(next) {
				continue
			}
			c := civilOf(x.In(loc))
			if first, ok := firstInstant(c, loc); s.cron.matches(c) && ok && first.Equal(x) {
				t.Fatalf("%q: Next(%s) = %s, but %s is a run", s.expr, after.In(loc), next.In(loc), x.In(loc))
			}
		}
	}
}

// FuzzCronGrammar builds cron expressions from the fuzzer's bytes, picking
// each field from values that use every feature, so that most inputs are
// valid, and checks Next as FuzzScheduleNext does.
func FuzzCronGrammar(f *testing.F) {
	zones := []*time.Location{time.UTC}
	for _, name := range []string{"America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "Pacific/Chatham"} {
		loc, err := time.LoadLocation(name)
		if err != nil {
			f.Fatal(err)
		}
		zones = append(zones, loc)
	}
	fields := [][]string{
		{"0", "30", "15,45", "*/20", "5/10", "0-30/15", "59"},
		{"*", "0", "1", "2", "3", "1-3", "0/4", "1,13", "23", "*/6"},
		{"*", "1", "L", "LW", "1W", "15W", "30W", "31W", "29", "30", "31", "1-7", "1/5", "1,L", "28-31"},
		{"*", "JAN", "FEB", "2", "3", "4", "MAR-NOV", "*/3", "OCT,NOV", "9-12", "JUL"},
		{"*", "MON-FRI", "SUN", "1L", "6L", "7L", "THU#2", "2#5", "1#1", "L", "SUN,SAT", "2/2", "WED", "6#4,2L"},
		{"*", "2026", "2027-2030", "2025/3", "2199", "1970-2025", "2100-2104"},
	}
	f.Add([]byte{0, 2, 1, 0, 0, 0}, int64(1775000000), uint8(1), uint8(0))
	f.Add([]byte{3, 4, 0, 3, 6, 1, 1}, int64(1793500000), uint8(2), uint8(3))
	f.Fuzz(func(t *testing.T, pick []byte, afterSec int64, zone, offset uint8) {
		if len(pick) < 7 {
			return
		}
		parts := make([]string, len(fields))
		for i, choices := range fields {
			parts[i] = choices[int(pick[i])%len(choices)]
		}
		if pick[6]%2 == 0 {
			parts[2] = "?"
		} else {
			parts[4] = "?"
		}
		expr := "cron(" + strings.Join(parts, " ") + ")"
		s, err := ParseSchedule(expr, MaintenanceWindow)
		if err != nil {
			var se *ScheduleError
			if !errors.As(err, &se) {
				t.Fatalf("%q: %T %v", expr, err, err)
			}
			return
		}
		loc := zones[int(zone)%len(zones)]
		if s, err = s.In(loc).WithOffset(int(offset % 7)); err != nil {
			t.Fatal(err)
		}
		after := time.Unix(1577836800+afterSec%(20*366*86400), 0) // 2020 to 2040 and back to 2000
		checkNext(t, s, after, loc)
	})
}
