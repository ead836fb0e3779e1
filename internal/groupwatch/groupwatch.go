// Package groupwatch is a test helper: a run.Runner that watches, through
// /proc, the process group each command it runs makes (run.Local makes
// every command the leader of a group of its own), so that a test can check
// that no process of a cancelled command's group outlives the cancelled
// Run. Linux only at run time: without /proc the leader is never seen and
// Group fails the test.
package groupwatch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/patchkit/patchkit/scan/run"
)

// Watch is a run.Runner that hands every command to r and, while the
// command runs, watches /proc for it: the child of this test process whose
// command line ends with the command's argv and whose environment holds the
// command's Env entries. run.Local makes that child the leader of a process
// group of its own; Watch notes the group's id and every process seen
// in the group, so that a test can check that none of them outlives a
// cancelled Run (row H3: "process group gone").
type Watch struct {
	r     run.Runner
	every time.Duration

	mu      sync.Mutex
	calls   []*Call
	current int // the process group of the command running now, once seen
}

// Call is what Watch saw of one command.
type Call struct {
	cmd  run.Command
	err  error
	pgid int // 0: the leader was never seen
	// seen has every process seen in the group while the command ran
	// (pid to "pid comm state").
	seen map[int]string
}

// New returns a Watch that runs every command through r.
func New(r run.Runner) *Watch {
	return &Watch{r: r, every: 10 * time.Millisecond}
}

func (g *Watch) Run(ctx context.Context, c run.Command) (run.Result, error) {
	wc := &Call{cmd: c, seen: map[int]string{}}
	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		argv := []byte(strings.Join(c.Argv(), "\x00") + "\x00")
		tick := time.NewTicker(g.every)
		defer tick.Stop()
		for {
			procs, _ := readProcs() // no /proc: the leader is never seen, and group fails
			if wc.pgid == 0 {
				if wc.pgid = findLeader(procs, argv, c.Env); wc.pgid != 0 {
					g.mu.Lock()
					g.current = wc.pgid
					g.mu.Unlock()
				}
			}
			for _, p := range procs {
				if wc.pgid != 0 && p.pgrp == wc.pgid && p.state != 'Z' {
					wc.seen[p.pid] = p.String()
				}
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	res, err := g.r.Run(ctx, c)
	close(stop)
	<-stopped
	wc.err = err
	g.mu.Lock()
	g.calls = append(g.calls, wc)
	g.current = 0
	g.mu.Unlock()
	return res, err
}

// Group returns the id of the process group of the command running now
// and its live processes, waiting up to 5 s for the watch to see a
// command's process and failing the test if it does not. A test calls it
// right before it cancels the context: the processes a signal to the
// whole group must reach.
func (g *Watch) Group(t *testing.T) (pgid int, members []string) {
	t.Helper()
	// The watch polls /proc: the command may have started (and done what
	// the test waited for) before the watch's next look found it.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(g.every) {
		g.mu.Lock()
		pgid = g.current
		g.mu.Unlock()
		if pgid != 0 {
			return pgid, procStrings(groupProcs(t, pgid))
		}
		if time.Now().After(deadline) {
			t.Fatal("no running command's process has been seen in /proc within 5 s")
		}
	}
}

// WaitMember waits up to d for a process named comm to be in the group of
// the command running now, and returns what Group does then. It fails
// the test if done (the caller's Run or Apply) ends first.
func (g *Watch) WaitMember(t *testing.T, d time.Duration, comm string, done <-chan error) (pgid int, members []string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		select {
		case err := <-done:
			t.Fatalf("ended before a process %s was in its process group: %v", comm, err)
		default:
		}
		g.mu.Lock()
		pgid = g.current
		g.mu.Unlock()
		if pgid != 0 {
			ps := groupProcs(t, pgid)
			members = procStrings(ps)
			if slices.ContainsFunc(ps, func(p proc) bool { return p.comm == comm }) {
				return pgid, members
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no process %s in process group %d after %v (%q)", comm, pgid, d, members)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// groupProcs lists the live processes of process group pgid.
func groupProcs(t *testing.T, pgid int) []proc {
	t.Helper()
	procs, err := readProcs()
	if err != nil {
		t.Fatal(err)
	}
	var out []proc
	for _, p := range procs {
		if p.pgrp == pgid && p.state != 'Z' {
			out = append(out, p)
		}
	}
	return out
}

func procStrings(ps []proc) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.String())
	}
	return out
}

// Cancelled returns the command that Run stopped because its context
// ended, failing the test if there is not exactly one.
func (g *Watch) Cancelled(t *testing.T) *Call {
	t.Helper()
	g.mu.Lock()
	defer g.mu.Unlock()
	var found []*Call
	for _, wc := range g.calls {
		if errors.Is(wc.err, context.Canceled) {
			found = append(found, wc)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d commands were cancelled, want 1", len(found))
	}
	return found[0]
}

// CheckGone fails the test unless wc, the command that was cancelled,
// ran in process group pgid and none of the group's processes is alive (a
// zombie is not) once Run has returned. Run sends SIGKILL to the group
// before it returns; grace allows for the kernel to finish those kills.
// Processes still alive after that are killed, so that a failing test
// leaves none behind. before is what the test saw of the group right
// before the cancel (logged).
func CheckGone(t *testing.T, wc *Call, pgid int, before []string, grace time.Duration) {
	t.Helper()
	var seen []string
	for _, s := range wc.seen {
		seen = append(seen, s)
	}
	sort.Strings(seen)
	t.Logf("process group %d: %q before the cancel; seen while the command ran: %q", pgid, before, seen)
	if wc.pgid != pgid {
		t.Fatalf("the cancelled %s ran in process group %d, not %d", wc.cmd.String(), wc.pgid, pgid)
	}
	deadline := time.Now().Add(grace)
	left := groupProcs(t, pgid)
	for len(left) > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		left = groupProcs(t, pgid)
	}
	if len(left) > 0 {
		t.Errorf("process group %d of the cancelled %s: %q alive %v after Run returned", pgid, wc.cmd.String(), procStrings(left), grace)
		for _, p := range left {
			if pr, err := os.FindProcess(p.pid); err == nil {
				_ = pr.Kill()
			}
		}
	}
}

// proc is one line of /proc/<pid>/stat, in part.
type proc struct {
	pid, ppid, pgrp int
	state           byte
	comm            string
}

func (p proc) String() string { return fmt.Sprintf("%d %s %c", p.pid, p.comm, p.state) }

// readProcs reads /proc/<pid>/stat of every process; a process that ends
// while it is read is left out.
func readProcs() ([]proc, error) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("listing processes: %w", err)
	}
	out := make([]proc, 0, len(ents))
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp ...; comm may hold spaces and ")"
		open, end := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
		if open < 0 || end < open {
			continue
		}
		f := strings.Fields(string(b[end+1:]))
		if len(f) < 3 || len(f[0]) != 1 {
			continue
		}
		ppid, err1 := strconv.Atoi(f[1])
		pgrp, err2 := strconv.Atoi(f[2])
		if err1 != nil || err2 != nil {
			continue
		}
		out = append(out, proc{pid: pid, ppid: ppid, pgrp: pgrp, state: f[0][0], comm: string(b[open+1 : end])})
	}
	return out, nil
}

// findLeader returns the pid of this process's child that leads its own
// process group, whose command line ends with argv (NUL-terminated
// arguments) and whose environment has every entry of env, or 0.
func findLeader(procs []proc, argv []byte, env []string) int {
	self := os.Getpid()
	for _, p := range procs {
		if p.ppid != self || p.pgrp != p.pid {
			continue
		}
		dir := "/proc/" + strconv.Itoa(p.pid)
		// a script's command line starts with its interpreter
		if b, err := os.ReadFile(dir + "/cmdline"); err != nil || !bytes.HasSuffix(b, argv) || len(b) > len(argv) && b[len(b)-len(argv)-1] != 0 {
			continue
		}
		b, err := os.ReadFile(dir + "/environ")
		if err != nil {
			continue
		}
		have := strings.Split(string(b), "\x00")
		if !slices.ContainsFunc(env, func(e string) bool { return !slices.Contains(have, e) }) {
			return p.pid
		}
	}
	return 0
}
