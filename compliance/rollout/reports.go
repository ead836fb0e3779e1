package rollout

import (
	"fmt"
	"iter"

	"github.com/patchkit/patchkit/compliance"
)

// NoReportError ends a Reports sequence that was given no function for the
// results without a report.
type NoReportError struct {
	Index  int    // the target's index
	Status Status // what became of it
	Err    error  // the result's error
}

func (e *NoReportError) Error() string {
	return fmt.Sprintf("rollout: target %d has no report (%s): %v", e.Index, e.Status, e.Err)
}

// Unwrap returns the result's error.
func (e *NoReportError) Unwrap() error { return e.Err }

// Reports adapts Run's results to compliance.Aggregate: it yields the report
// of every result that has one, whatever its status (a failed Install may
// still report its packages). Every result without a report (a failure
// without one, Undeliverable, Cancelled, Skipped) goes to noReport; if
// noReport is nil, the first such result ends the sequence with a
// *NoReportError, so that nothing is left out unnoticed.
func Reports[T any](results iter.Seq[Result[T]], noReport func(Result[T])) iter.Seq2[*compliance.Report, error] {
	return func(yield func(*compliance.Report, error) bool) {
		for r := range results {
			switch {
			case r.Report != nil:
				if !yield(r.Report, nil) {
					return
				}
			case noReport != nil:
				noReport(r)
			default:
				yield(nil, &NoReportError{Index: r.Index, Status: r.Status, Err: r.Err})
				return
			}
		}
	}
}
