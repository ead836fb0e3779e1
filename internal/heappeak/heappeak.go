// Package heappeak measures how much heap a piece of work takes while it
// runs, for benchmarks that report it (b.ReportMetric): the most the heap's
// objects occupied during the work, and what the work's result keeps.
package heappeak

import (
	"runtime"
	"runtime/metrics"
	"time"
)

// heapObjects is the runtime metric of the bytes taken by heap objects,
// live ones and dead ones not yet swept: what the process holds on the
// heap at the instant it is read.
const heapObjects = "/memory/classes/heap/objects:bytes"

// Interval is how often Measure samples the heap while the work runs.
const Interval = 100 * time.Microsecond

// Usage is what Measure found, in bytes above the heap after a garbage
// collection before the work.
type Usage struct {
	// Peak is the most the heap's objects took while the work ran,
	// sampled every Interval and once at its end: a lower bound of the
	// true peak, which a sample can miss by at most what the work
	// allocates in one Interval.
	Peak uint64
	// Retained is what is still live after a garbage collection once the
	// work has returned: the result the work keeps (fn must keep it
	// reachable, for example in a variable the caller reads afterwards).
	Retained uint64
}

// Measure runs fn on the calling goroutine and samples the heap on another
// one. It collects garbage before and after fn, so it is not for timed
// loops: call it once beside them.
func Measure(fn func()) Usage {
	runtime.GC()
	base := read()
	peak := base
	stop := make(chan struct{})
	done := make(chan uint64)
	go func() {
		t := time.NewTicker(Interval)
		defer t.Stop()
		m := base
		for {
			select {
			case <-stop:
				done <- m
				return
			case <-t.C:
				if v := read(); v > m {
					m = v
				}
			}
		}
	}()
	fn()
	close(stop)
	peak = max(peak, <-done, read())
	runtime.GC()
	after := read()
	var u Usage
	if peak > base {
		u.Peak = peak - base
	}
	if after > base {
		u.Retained = after - base
	}
	return u
}

func read() uint64 {
	s := []metrics.Sample{{Name: heapObjects}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// MiB converts bytes to mebibytes, the unit the benchmarks report.
func MiB(n uint64) float64 { return float64(n) / (1 << 20) }
