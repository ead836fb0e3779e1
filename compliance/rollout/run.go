package rollout

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"runtime/debug"
	"sync"

	"github.com/patchkit/patchkit/compliance"
)

// Executor runs the operation on one target: it sends a command through an
// agent, runs a scan over SSH, or submits a job to an engine, and returns
// the node's compliance report. It must return a report, an error, or both
// (an Install that failed on some packages may still report them). It is
// called on its own goroutine and must return once ctx is done.
//
// An error that matches ErrUndeliverable says the operation never reached
// the target; it does not count against the error threshold.
type Executor[T any] func(ctx context.Context, target T) (*compliance.Report, error)

// ErrUndeliverable is matched by executor errors that say the target could
// not be reached (Run Command's Undeliverable and Delivery Timed Out). Such
// targets are reported with status Undeliverable and are not counted as
// errors.
var ErrUndeliverable = errors.New("rollout: target could not be reached")

// ErrNoReport is the error of a target whose executor returned neither a
// report nor an error. It counts as a failure.
var ErrNoReport = errors.New("rollout: executor returned neither a report nor an error")

// Status is what became of one target.
type Status uint8

const (
	// Succeeded: the executor returned a report and no error.
	Succeeded Status = iota + 1
	// Failed: the executor returned an error (or no report, or panicked).
	// Failures count against the error threshold.
	Failed
	// Undeliverable: the executor's error matches ErrUndeliverable. Not
	// counted against the error threshold.
	Undeliverable
	// Cancelled: the context was done, and the target was either never
	// dispatched or its executor failed with the context's error. Not
	// counted against the error threshold.
	Cancelled
	// Skipped: never dispatched, because the error threshold was exceeded
	// first.
	Skipped
)

func (s Status) String() string {
	switch s {
	case Succeeded:
		return "Succeeded"
	case Failed:
		return "Failed"
	case Undeliverable:
		return "Undeliverable"
	case Cancelled:
		return "Cancelled"
	case Skipped:
		return "Skipped"
	}
	return fmt.Sprintf("Status(%d)", uint8(s))
}

// Result is the outcome for one target.
type Result[T any] struct {
	// Index is the target's position in the slice given to Run. Targets are
	// dispatched in slice order, so Index is also the dispatch order.
	Index  int
	Target T
	Status Status
	// Dispatched reports whether the executor was called for the target.
	Dispatched bool
	// Report is what the executor returned (nil if it returned none).
	Report *compliance.Report
	// Err is the executor's error; for a Skipped target a *ThresholdError,
	// for a target Cancelled before dispatch the context's cause.
	Err error
}

// ThresholdError is the error of every Skipped target: which error exceeded
// the threshold.
type ThresholdError struct {
	MaxErrors int // the errors allowed
	Index     int // the target whose failure was error number MaxErrors+1
}

func (e *ThresholdError) Error() string {
	return fmt.Sprintf("rollout: not dispatched: error threshold exceeded (error %d, target %d, %d allowed)",
		e.MaxErrors+1, e.Index, e.MaxErrors)
}

// PanicError is the error of a target whose executor panicked.
type PanicError struct {
	Value any    // what the executor panicked with
	Stack []byte // the executor goroutine's stack at the panic
}

func (e *PanicError) Error() string { return fmt.Sprintf("rollout: executor panicked: %v", e.Value) }

// Dispatch describes one target being handed to its executor, for progress
// reporting (see OnDispatch).
type Dispatch struct {
	Index int // the target
	// InFlight is the number of targets running, this one included.
	InFlight int
	// Window is the ramp-up's current allowance (at most MaxConcurrency).
	Window int
	// Completed and Errors are the completions and the errors the
	// dispatcher had taken in when it dispatched this target.
	Completed, Errors int
}

type options struct {
	onDispatch func(Dispatch)
}

// Option configures Run.
type Option func(*options) error

// OnDispatch calls f each time a target is dispatched, on the goroutine that
// ranges over Run's results, before the executor is started. f must not
// block for long: no other target is dispatched or taken in meanwhile.
func OnDispatch(f func(Dispatch)) Option {
	return func(o *options) error {
		if f == nil {
			return fmt.Errorf("rollout: OnDispatch: nil function: %w", errNilOption)
		}
		o.onDispatch = f
		return nil
	}
}

var errNilOption = errors.New("nil option")

// Run runs exec over targets under the rate control and gives one Result per
// target, in the order they completed; targets never dispatched come last,
// in slice order. Each range over the returned sequence runs the rollout
// anew.
//
// Dispatch follows Run Command's rules. Targets are dispatched in slice
// order. Ramp-up: at first one target may run; every completion (whatever
// its status) raises the allowance by one, up to the concurrency, so a
// fleet that finishes in step runs in waves of 1, 2, 4, 8, ... targets (see
// Plan). Error threshold E: the completion that brings the failures to E+1
// stops dispatching; targets already running finish and are reported (they
// may fail too), the rest are Skipped. Cancelling ctx stops dispatching
// too: running executors see ctx done, the rest are Cancelled.
//
// The dispatcher runs on the ranging goroutine. New targets are dispatched
// right after a completion is taken in and before its Result is yielded.
// Leaving the loop early cancels the running executors' context and waits
// for them to return; their results, and the targets never dispatched, are
// not yielded. No goroutine outlives the loop. A panicking executor makes
// its target Failed with a *PanicError.
//
// The error is a *RateError for a rate with a field not set, or an error for
// a nil exec or a bad option; nothing runs then.
func Run[T any](ctx context.Context, targets []T, rate Rate, exec Executor[T], opts ...Option) (iter.Seq[Result[T]], error) {
	lim, err := rate.Limits(len(targets))
	if err != nil {
		return nil, err
	}
	if exec == nil {
		return nil, errors.New("rollout: nil executor")
	}
	var o options
	for _, opt := range opts {
		if opt == nil {
			return nil, fmt.Errorf("rollout: %w", errNilOption)
		}
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	return func(yield func(Result[T]) bool) {
		d := dispatcher[T]{ctx: ctx, targets: targets, exec: exec, lim: lim, o: &o}
		d.run(yield)
	}, nil
}

type completion struct {
	index  int
	report *compliance.Report
	err    error
	panic  *PanicError
}

type halt uint8

const (
	running halt = iota
	byThreshold
	byCancel
)

type dispatcher[T any] struct {
	ctx     context.Context
	targets []T
	exec    Executor[T]
	lim     Limits
	o       *options

	runCtx    context.Context
	done      chan completion
	wg        sync.WaitGroup
	next      int // the next target to dispatch
	inFlight  int
	window    int
	completed int
	errors    int
	halt      halt
	threshold *ThresholdError
}

func (d *dispatcher[T]) run(yield func(Result[T]) bool) {
	if len(d.targets) == 0 {
		return
	}
	runCtx, cancel := context.WithCancelCause(d.ctx)
	d.runCtx = runCtx
	// Every executor sends exactly one completion and at most
	// MaxConcurrency run at once, so no send ever blocks, even once the
	// dispatcher has stopped receiving.
	d.done = make(chan completion, min(d.lim.MaxConcurrency, len(d.targets)))
	d.window = 1
	defer func() {
		cancel(errStopped)
		d.wg.Wait()
	}()
	d.dispatch()
	for d.inFlight > 0 {
		c := <-d.done
		d.inFlight--
		d.completed++
		r := d.take(c)
		d.window = min(d.window+1, d.lim.MaxConcurrency)
		d.dispatch()
		if !yield(r) {
			return
		}
	}
	for i := d.next; i < len(d.targets); i++ {
		r := Result[T]{Index: i, Target: d.targets[i]}
		if d.halt == byThreshold {
			r.Status, r.Err = Skipped, d.threshold
		} else {
			r.Status, r.Err = Cancelled, context.Cause(d.ctx)
		}
		if !yield(r) {
			return
		}
	}
}

// errStopped is the cause given to the executors' context when the loop
// over the results ends before the rollout does.
var errStopped = errors.New("rollout: results no longer read")

// dispatch starts targets while the ramp-up, the concurrency and the error
// threshold allow and the context is not done.
func (d *dispatcher[T]) dispatch() {
	for d.halt == running && d.next < len(d.targets) && d.inFlight < d.window {
		if d.ctx.Err() != nil {
			d.halt = byCancel
			return
		}
		i := d.next
		d.next++
		d.inFlight++
		if d.o.onDispatch != nil {
			d.o.onDispatch(Dispatch{Index: i, InFlight: d.inFlight, Window: d.window, Completed: d.completed, Errors: d.errors})
		}
		d.wg.Add(1)
		go d.execute(i)
	}
}

func (d *dispatcher[T]) execute(i int) {
	defer d.wg.Done()
	c := completion{index: i}
	defer func() {
		if v := recover(); v != nil {
			c = completion{index: i, panic: &PanicError{Value: v, Stack: debug.Stack()}}
		}
		d.done <- c
	}()
	c.report, c.err = d.exec(d.runCtx, d.targets[i])
}

// take turns a completion into a Result and counts it.
func (d *dispatcher[T]) take(c completion) Result[T] {
	r := Result[T]{Index: c.index, Target: d.targets[c.index], Dispatched: true, Report: c.report, Err: c.err}
	switch {
	case c.panic != nil:
		r.Status, r.Err = Failed, c.panic
	case c.err == nil && c.report == nil:
		r.Status, r.Err = Failed, ErrNoReport
	case c.err == nil:
		r.Status = Succeeded
	case errors.Is(c.err, ErrUndeliverable):
		r.Status = Undeliverable
	case d.ctx.Err() != nil && (errors.Is(c.err, d.ctx.Err()) || errors.Is(c.err, context.Cause(d.ctx))):
		r.Status = Cancelled
	default:
		r.Status = Failed
	}
	if r.Status == Failed {
		d.errors++
		if d.errors > d.lim.MaxErrors && d.halt == running {
			d.halt = byThreshold
			d.threshold = &ThresholdError{MaxErrors: d.lim.MaxErrors, Index: c.index}
		}
	}
	return r
}
