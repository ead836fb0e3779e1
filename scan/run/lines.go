package run

import "sync"

// maxQueuedBytes bounds the text of the lines Local keeps waiting for a
// slow callback, beside MaxQueuedLines.
const maxQueuedBytes = 1 << 20

// lineQueue hands lines from the goroutines copying a child's output to
// one goroutine that calls the callback, so that a slow callback never
// blocks the copying (and so the child writing into its pipe): push never
// waits; a line that finds the queue full is dropped and counted.
type lineQueue struct {
	mu      sync.Mutex
	lines   []Line
	bytes   int
	dropped int
	closed  bool
	wake    chan struct{}
	done    chan struct{}
}

// newLineQueue starts the goroutine that calls fn.
func newLineQueue(fn func(Line)) *lineQueue {
	q := &lineQueue{wake: make(chan struct{}, 1), done: make(chan struct{})}
	go q.deliver(fn)
	return q
}

// push queues the lines of one write of the child's.
func (q *lineQueue) push(ls []Line) {
	q.mu.Lock()
	for _, l := range ls {
		switch {
		case q.closed:
		case len(q.lines) >= MaxQueuedLines || q.bytes+len(l.Text) > maxQueuedBytes:
			q.dropped++
		default:
			l.Dropped, q.dropped = q.dropped, 0
			q.lines = append(q.lines, l)
			q.bytes += len(l.Text)
		}
	}
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// close ends the queue: the lines waiting are still sent, then a last
// Line with the count of dropped lines not yet reported, if any; close
// returns when the callback has returned for the last time.
func (q *lineQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
	<-q.done
}

func (q *lineQueue) deliver(fn func(Line)) {
	defer close(q.done)
	var batch []Line
	for {
		q.mu.Lock()
		batch, q.lines = q.lines, batch[:0]
		q.bytes = 0
		closed := q.closed
		dropped := q.dropped
		if closed && len(batch) == 0 {
			q.dropped = 0
		}
		q.mu.Unlock()
		for i := range batch {
			fn(batch[i])
			batch[i] = Line{}
		}
		if len(batch) > 0 {
			continue
		}
		if closed {
			if dropped > 0 {
				fn(Line{Dropped: dropped})
			}
			return
		}
		<-q.wake
	}
}

// lineWriter feeds what a child writes to one stream into the queue, line
// by line. exec.Cmd copies each stream from one goroutine; the mutex
// guards the end of the stream against a copy that Wait gave up on
// (WaitDelay) and that still writes.
type lineWriter struct {
	mu    sync.Mutex
	q     *lineQueue
	sp    splitter
	batch []Line // the lines of one write
	ended bool
}

func newLineWriter(stream Stream, q *lineQueue) *lineWriter {
	w := &lineWriter{q: q}
	w.sp = splitter{stream: stream, emit: func(l Line) { w.batch = append(w.batch, l) }}
	return w
}

func (w *lineWriter) write(p []byte) {
	w.mu.Lock()
	if !w.ended {
		w.sp.write(p)
		w.send()
	}
	w.mu.Unlock()
}

// send queues the lines of a write with one lock.
func (w *lineWriter) send() {
	if len(w.batch) > 0 {
		w.q.push(w.batch)
		clear(w.batch)
		w.batch = w.batch[:0]
	}
}

// end sends the unfinished last line and ignores what comes after.
func (w *lineWriter) end() {
	w.mu.Lock()
	if !w.ended {
		w.sp.end()
		w.send()
		w.ended = true
	}
	w.mu.Unlock()
}
