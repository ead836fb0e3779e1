package dnf

import (
	"context"
	"errors"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/patchkit/patchkit/install/plan"
	"github.com/patchkit/patchkit/scan/run"
)

// LockHolder is what dnf says about a lock it could not take, as printed
// with exit_on_lock=True: "RPMDB already locked by 31933" and "The
// application with PID 31933 is: sleep".
type LockHolder struct {
	// Lock is dnf's name for the lock: "RPMDB", "metadata", "cachedir"
	// (the download lock) or "log".
	Lock   string
	PID    int
	Holder string // the holding program's name, when dnf prints it
}

// ParseLock reads dnf's lock message from its standard error. ok is false
// when there is none.
func ParseLock(stderr []byte) (h LockHolder, ok bool) {
	for _, l := range strings.Split(string(stderr), "\n") {
		l = strings.TrimSpace(l)
		if lock, pid, found := strings.Cut(l, " already locked by "); found && !ok {
			n, err := strconv.Atoi(pid)
			if err != nil || n <= 0 || strings.ContainsAny(lock, " \t") || lock == "" {
				continue
			}
			h, ok = LockHolder{Lock: lock, PID: n}, true
			continue
		}
		if rest, found := strings.CutPrefix(l, "The application with PID "); found && ok {
			pid, name, found := strings.Cut(rest, " is: ")
			if n, err := strconv.Atoi(pid); found && err == nil && n == h.PID {
				h.Holder = strings.TrimSpace(name)
			}
		}
	}
	return h, ok
}

// lockFile is the pid file of a lock named as dnf names it, at dnf's
// default places (persistdir /var/lib/dnf, cachedir /var/cache/dnf, logdir
// /var/log) inside the root; "" for a name dnf does not use.
func (o *options) lockFile(lock string) string {
	var p string
	switch lock {
	case "RPMDB":
		p = "/var/lib/dnf/rpmdb_lock.pid"
	case "metadata":
		p = "/var/cache/dnf/metadata_lock.pid"
	case "cachedir":
		p = "/var/cache/dnf/download_lock.pid"
	case "log":
		p = "/var/log/log_lock.pid"
	default:
		return ""
	}
	if o.root != "" {
		return path.Join(o.root, p)
	}
	return p
}

// runLocked runs c and, while dnf exits 200 because another process holds
// one of its locks, runs it again once a second until the lock wait is
// over (so it returns at most one dnf run after the wait); then it returns
// a *plan.LockedError naming the holder. Every other
// result is returned as the runner gave it. The wait honours ctx.
func (o *options) runLocked(ctx context.Context, r run.Runner, c run.Command) (run.Result, error) {
	start := time.Now()
	for {
		res, err := r.Run(ctx, c)
		var ee *run.ExitError
		if err == nil || !errors.As(err, &ee) || !ee.Locked {
			return res, err
		}
		waited := time.Since(start)
		if waited >= o.lockWait {
			le := &plan.LockedError{Tool: "dnf", Waited: waited.Round(time.Millisecond).String()}
			if h, ok := ParseLock(ee.Result.Stderr); ok {
				le.PID, le.Holder, le.Path = h.PID, h.Holder, o.lockFile(h.Lock)
			}
			return res, le
		}
		t := time.NewTimer(min(lockPoll, o.lockWait-waited))
		select {
		case <-ctx.Done():
			t.Stop()
			return res, ctx.Err()
		case <-t.C:
		}
	}
}
