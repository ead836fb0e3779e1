package baseline

import (
	"errors"
	"fmt"
	"time"
)

// Window is a maintenance window's timing: the schedule on which it opens
// (parsed for [MaintenanceWindow], in its ScheduleTimezone with
// [Schedule.In], with its ScheduleOffset from [Schedule.WithOffset]), how
// many hours it stays open, and how many hours before its end Systems
// Manager stops starting new tasks.
type Window struct {
	Schedule Schedule
	Duration int // hours, 1 to 24
	Cutoff   int // hours, 0 to 23 and less than Duration
	// StartDate and EndDate, when not zero, bound the period in which the
	// window may open: a window opens at or after StartDate and at or
	// before EndDate. A rate schedule without an anchor counts from
	// StartDate.
	StartDate, EndDate time.Time
}

// WindowRun is one opening of a maintenance window.
type WindowRun struct {
	Start time.Time
	End   time.Time // Start + Duration hours (elapsed time)
	// Cutoff is End − Cutoff hours: tasks start before it, none at or
	// after it. It equals End when Cutoff is 0.
	Cutoff time.Time
}

// Validate checks the window as CreateMaintenanceWindow would; the
// *[ScheduleError] names the field (Schedule, Duration, Cutoff, EndDate).
func (w Window) Validate() error {
	fail := func(field, format string, a ...any) error {
		return &ScheduleError{Expression: w.Schedule.expr, Field: field, Reason: fmt.Sprintf(format, a...)}
	}
	switch {
	case w.Schedule.kind == 0:
		return fail("Schedule", "no schedule (use ParseSchedule)")
	case w.Schedule.target != MaintenanceWindow:
		return fail("Schedule", "parsed for an association; a window's schedule is parsed for MaintenanceWindow")
	case w.Duration < 1 || w.Duration > 24:
		return fail("Duration", "%d hours; 1 to 24 allowed", w.Duration)
	case w.Cutoff < 0 || w.Cutoff > 23:
		return fail("Cutoff", "%d hours; 0 to 23 allowed", w.Cutoff)
	case w.Cutoff >= w.Duration:
		return fail("Cutoff", "%d hours is not less than the Duration of %d hours", w.Cutoff, w.Duration)
	case !w.StartDate.IsZero() && !w.EndDate.IsZero() && w.EndDate.Before(w.StartDate):
		return fail("EndDate", "%s is before the StartDate %s", w.EndDate.Format(time.RFC3339), w.StartDate.Format(time.RFC3339))
	}
	return nil
}

// Next returns the first opening of the window that starts strictly after
// after. The error is the *[ScheduleError] of [Window.Validate] or of
// [Schedule.Next], or wraps [ErrNoNextRun] when the schedule or EndDate
// leaves no opening.
func (w Window) Next(after time.Time) (WindowRun, error) {
	if err := w.Validate(); err != nil {
		return WindowRun{}, err
	}
	s := w.Schedule
	if s.kind == Rate && s.anchor.IsZero() && !w.StartDate.IsZero() {
		s = s.From(w.StartDate)
	}
	if !w.StartDate.IsZero() && w.StartDate.After(after) {
		after = w.StartDate.Add(-time.Nanosecond) // StartDate itself may open the window
	}
	start, err := s.Next(after)
	if err != nil {
		return WindowRun{}, err
	}
	if !w.EndDate.IsZero() && start.After(w.EndDate) {
		return WindowRun{}, fmt.Errorf("schedule %q: after %s: the EndDate %s has passed: %w",
			s.expr, after.Format(time.RFC3339), w.EndDate.Format(time.RFC3339), ErrNoNextRun)
	}
	end := start.Add(time.Duration(w.Duration) * time.Hour)
	return WindowRun{Start: start, End: end, Cutoff: end.Add(-time.Duration(w.Cutoff) * time.Hour)}, nil
}

// Open returns the opening of the window in effect at the instant at: the
// latest one that started at or before at and ends after it. ok is false
// when the window is closed at at. When openings overlap (a rate shorter
// than Duration), the latest one is returned.
func (w Window) Open(at time.Time) (run WindowRun, ok bool, err error) {
	after := at.Add(-time.Duration(w.Duration) * time.Hour)
	for {
		r, err := w.Next(after)
		if errors.Is(err, ErrNoNextRun) {
			return run, ok, nil
		}
		if err != nil {
			return WindowRun{}, false, err
		}
		if r.Start.After(at) {
			return run, ok, nil
		}
		if r.End.After(at) {
			run, ok = r, true
		}
		after = r.Start
	}
}
