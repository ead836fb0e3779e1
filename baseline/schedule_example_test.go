package baseline_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/patchkit/patchkit/baseline"
)

// Parse a patch policy's install schedule once and list its next runs.
func ExampleParseSchedule() {
	s, err := baseline.ParseSchedule("cron(0 2 ? * SAT#1 *)", baseline.Association)
	if err != nil {
		fmt.Println(err)
		return
	}
	now := time.Date(2026, 11, 30, 16, 0, 0, 0, time.UTC)
	runs, err := s.NextN(now, 3)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range runs {
		fmt.Println(r.Format("Mon 2006-01-02 15:04 MST"))
	}
	_, err = baseline.ParseSchedule("cron(0/15 * * * ? *)", baseline.Association)
	fmt.Println(err)
	// Output:
	// Sat 2026-12-05 02:00 UTC
	// Sat 2027-01-02 02:00 UTC
	// Sat 2027-02-06 02:00 UTC
	// schedule "cron(0/15 * * * ? *)": runs 15 minutes apart; at least 30 are needed
}

// A maintenance window's schedule runs in its ScheduleTimezone. A
// wall-clock time that the clocks skip gives no run; one they repeat runs
// once.
func ExampleSchedule_Next() {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		fmt.Println(err)
		return
	}
	s, err := baseline.ParseSchedule("cron(30 2 * * ? *)", baseline.MaintenanceWindow)
	if err != nil {
		fmt.Println(err)
		return
	}
	s = s.In(ny)
	next, err := s.Next(time.Date(2026, 3, 7, 12, 0, 0, 0, ny))
	fmt.Println(next, err) // 8 March 02:30 does not exist in New York

	never, err := baseline.ParseSchedule("cron(0 0 30 2 ? *)", baseline.MaintenanceWindow)
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = never.Next(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	fmt.Println(errors.Is(err, baseline.ErrNoNextRun))
	// Output:
	// 2026-03-09 02:30:00 -0400 EDT <nil>
	// true
}

// A rate counts from an anchor that the caller gives: the association's
// creation (its first run) or its previous run.
func ExampleSchedule_From() {
	s, err := baseline.ParseSchedule("rate(7 days)", baseline.Association)
	if err != nil {
		fmt.Println(err)
		return
	}
	created := time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)
	next, err := s.From(created).Next(time.Date(2026, 11, 30, 16, 0, 0, 0, time.UTC))
	fmt.Println(next, err)
	// Output:
	// 2026-12-07 09:30:00 +0000 UTC <nil>
}

// An offset runs the association days after each cron time: three days
// after the second Thursday is the Sunday after it.
func ExampleSchedule_WithOffset() {
	s, err := baseline.ParseSchedule("cron(0 0 ? * THU#2 *)", baseline.Association)
	if err != nil {
		fmt.Println(err)
		return
	}
	s, err = s.WithOffset(3)
	if err != nil {
		fmt.Println(err)
		return
	}
	for r, err := range s.Runs(time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(r.Format("Mon 2006-01-02"))
		if r.Year() > 2026 {
			break
		}
	}
	// Output:
	// Sun 2026-12-13
	// Sun 2027-01-17
}

// A maintenance window opens on its schedule for Duration hours; tasks
// start until Cutoff hours before its end.
func ExampleWindow_Next() {
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		fmt.Println(err)
		return
	}
	s, err := baseline.ParseSchedule("cron(0 09 ? * WED *)", baseline.MaintenanceWindow)
	if err != nil {
		fmt.Println(err)
		return
	}
	w := baseline.Window{
		Schedule:  s.In(la),
		Duration:  3,
		Cutoff:    1,
		StartDate: time.Date(2021, 1, 1, 0, 0, 0, 0, la),
	}
	run, err := w.Next(time.Date(2020, 12, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("opens ", run.Start.Format(time.RFC3339))
	fmt.Println("cutoff", run.Cutoff.Format(time.RFC3339))
	fmt.Println("closes", run.End.Format(time.RFC3339))
	w.Cutoff = 3
	fmt.Println(w.Validate())
	// Output:
	// opens  2021-01-06T09:00:00-08:00
	// cutoff 2021-01-06T11:00:00-08:00
	// closes 2021-01-06T12:00:00-08:00
	// schedule "cron(0 09 ? * WED *)": Cutoff: 3 hours is not less than the Duration of 3 hours
}

// Is the window open now, and may a new task still start?
func ExampleWindow_Open() {
	s, err := baseline.ParseSchedule("cron(0 22 ? * FRI *)", baseline.MaintenanceWindow)
	if err != nil {
		fmt.Println(err)
		return
	}
	w := baseline.Window{Schedule: s, Duration: 6, Cutoff: 2}
	for _, now := range []time.Time{
		time.Date(2026, 12, 5, 1, 30, 0, 0, time.UTC),
		time.Date(2026, 12, 5, 2, 30, 0, 0, time.UTC),
		time.Date(2026, 12, 5, 4, 0, 0, 0, time.UTC),
	} {
		run, open, err := w.Open(now)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s open=%v new tasks=%v\n", now.Format("Mon 15:04"), open, open && now.Before(run.Cutoff))
	}
	// Output:
	// Sat 01:30 open=true new tasks=true
	// Sat 02:30 open=true new tasks=false
	// Sat 04:00 open=false new tasks=false
}

// Validate names the field of a window Systems Manager would refuse.
func ExampleWindow_Validate() {
	s, err := baseline.ParseSchedule("rate(1 day)", baseline.MaintenanceWindow)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, w := range []baseline.Window{
		{Schedule: s, Duration: 4, Cutoff: 1},
		{Schedule: s, Duration: 25},
		{Schedule: s, Duration: 4, Cutoff: 4},
	} {
		err := w.Validate()
		var se *baseline.ScheduleError
		if errors.As(err, &se) {
			fmt.Printf("%s: %s\n", se.Field, se.Reason)
			continue
		}
		fmt.Println("valid:", err == nil)
	}
	// Output:
	// valid: true
	// Duration: 25 hours; 1 to 24 allowed
	// Cutoff: 4 hours is not less than the Duration of 4 hours
}
