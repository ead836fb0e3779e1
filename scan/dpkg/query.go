package dpkg

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/scan/run"
)

// QueryFormat is the dpkg-query -f format Query uses: one line per package
// with twelve tab-separated columns. ${Package} and ${Architecture} are used
// rather than ${binary:Package}, whose qualifier depends on the native
// architecture of the dpkg that prints it.
const QueryFormat = `${Package}\t${Architecture}\t${Version}\t${db:Status-Want}\t${db:Status-Eflag}\t` +
	`${db:Status-Status}\t${Multi-Arch}\t${Priority}\t${Section}\t${source:Package}\t${source:Version}\t` +
	`${db-fsys:Last-Modified}\n`

const queryColumns = 12

// DefaultDpkgQuery is the program Query runs unless told otherwise.
const DefaultDpkgQuery = "/usr/bin/dpkg-query"

type queryOptions struct {
	program  string
	admindir string
}

// QueryOption configures Query.
type QueryOption func(*queryOptions) error

// QueryAdmindir passes --admindir=dir to dpkg-query (an absolute path on the
// machine the runner runs it on).
func QueryAdmindir(dir string) QueryOption {
	return func(o *queryOptions) error {
		if !strings.HasPrefix(dir, "/") {
			return &OptionError{Option: fmt.Sprintf("QueryAdmindir(%q)", dir), Reason: "not an absolute path"}
		}
		o.admindir = dir
		return nil
	}
}

// QueryProgram sets the dpkg-query program (an absolute path; default
// /usr/bin/dpkg-query).
func QueryProgram(p string) QueryOption {
	return func(o *queryOptions) error {
		if !strings.HasPrefix(p, "/") {
			return &OptionError{Option: fmt.Sprintf("QueryProgram(%q)", p), Reason: "not an absolute path"}
		}
		o.program = p
		return nil
	}
}

// QueryCommand returns the command Query runs.
func QueryCommand(opts ...QueryOption) (run.Command, error) {
	o := queryOptions{program: DefaultDpkgQuery}
	for i, f := range opts {
		if f == nil {
			return run.Command{}, &OptionError{Option: fmt.Sprintf("query option %d", i), Reason: "nil option"}
		}
		if err := f(&o); err != nil {
			return run.Command{}, err
		}
	}
	args := []string{}
	if o.admindir != "" {
		args = append(args, "--admindir="+o.admindir)
	}
	args = append(args, "--show", "--showformat="+QueryFormat)
	return run.Command{Path: o.program, Args: args, Env: run.CLocale()}, nil
}

// Query lists the installed packages (every state but not-installed, as
// dpkg-query -W does) by running dpkg-query through r, and parses its
// output with ParseQuery. A dpkg-query that fails (it refuses a database
// that is malformed) gives the runner's *run.ExitError.
func Query(ctx context.Context, r run.Runner, opts ...QueryOption) ([]patchkit.Package, error) {
	if ctx == nil || r == nil {
		return nil, &OptionError{Option: "Query", Reason: "nil context or runner"}
	}
	c, err := QueryCommand(opts...)
	if err != nil {
		return nil, err
	}
	res, err := r.Run(ctx, c)
	if err != nil {
		return nil, err
	}
	return ParseQuery(res.Stdout)
}

// QueryError reports output of dpkg-query that does not follow QueryFormat.
// It matches patchkit.ErrInvalid.
type QueryError struct {
	Record int // 1-based number of the package record in the output
	Reason string
}

func (e *QueryError) Error() string {
	return fmt.Sprintf("dpkg-query output record %d: %s", e.Record, e.Reason)
}

// Is reports whether target is patchkit.ErrInvalid.
func (e *QueryError) Is(target error) bool { return target == patchkit.ErrInvalid }

// ParseQuery parses the output of dpkg-query -W with QueryFormat (for
// example a recorded one). Multi-Arch "no" becomes an empty MultiArch, and
// an empty ${db-fsys:Last-Modified} (a package without a file list, or a
// dpkg-query older than 1.20 that does not know the field) a zero
// InstallTime. A tab inside a free-text column (section, priority,
// source), which only a hand-made database can hold, shifts the columns
// and fails; a newline inside one is kept.
func ParseQuery(out []byte) ([]patchkit.Package, error) {
	var pkgs []patchkit.Package
	in := make(interner, 64)
	var cols [queryColumns][]byte
	for n := 1; len(out) > 0; n++ {
		// Columns 1 to 11 end with a tab; the last (a number or nothing)
		// ends the record with a newline. A newline inside a free-text
		// column (possible in a hand-made database) stays in its column.
		for k := 0; k < queryColumns-1; k++ {
			t := bytes.IndexByte(out, '\t')
			if t < 0 {
				return nil, &QueryError{Record: n, Reason: fmt.Sprintf("record has %d columns, not %d", k+1, queryColumns)}
			}
			cols[k] = out[:t]
			out = out[t+1:]
		}
		nl := bytes.IndexByte(out, '\n')
		if nl < 0 {
			return nil, &QueryError{Record: n, Reason: "no final newline"}
		}
		cols[queryColumns-1] = out[:nl]
		out = out[nl+1:]
		if bytes.IndexByte(cols[0], '\n') >= 0 {
			return nil, &QueryError{Record: n, Reason: "the previous record has more columns than expected"}
		}
		p, err := queryRecord(cols[:], in)
		if err != nil {
			return nil, &QueryError{Record: n, Reason: err.Error()}
		}
		pkgs = append(pkgs, p)
	}
	return pkgs, nil
}

func lookup(names []string, b []byte, what string) (int, error) {
	for i, n := range names {
		if string(b) == n {
			return i, nil
		}
	}
	return 0, fmt.Errorf("unknown %s %q", what, b)
}

func queryRecord(c [][]byte, in interner) (patchkit.Package, error) {
	p := patchkit.Package{Scheme: patchkit.Deb}
	if r := nameProblem(c[0]); r != "" {
		return p, fmt.Errorf("package name %q: %s", c[0], r)
	}
	p.Name = string(c[0])
	p.Arch = in.bytes(c[1])
	if len(c[2]) > 0 {
		v, level, r := parseVersion(string(c[2]))
		if level == verHard {
			return p, fmt.Errorf("version %q: %s", c[2], r)
		}
		p.Epoch = patchkit.EpochOf(v.epoch)
		p.Version, p.Release = v.upstream, v.revision
	}
	w, err := lookup(wantNames, c[3], "selection")
	if err != nil {
		return p, err
	}
	p.Want = wantNames[w]
	if _, err := lookup(eflagNames, c[4], "error flag"); err != nil {
		return p, err
	}
	s, err := lookup(statusNames, c[5], "status")
	if err != nil {
		return p, err
	}
	p.State = statusStates[s]
	ma, err := lookup(multiArchNames, c[6], "Multi-Arch value")
	if err != nil {
		return p, err
	}
	if ma != maNo {
		p.MultiArch = multiArchNames[ma]
	}
	p.Priority = in.bytes(c[7])
	p.Section = in.bytes(c[8])
	p.SourceName = in.bytes(c[9])
	p.SourceVersion = string(c[10])
	if len(c[11]) > 0 {
		t, err := strconv.ParseInt(string(c[11]), 10, 64)
		if err != nil || c[11][0] < '0' || c[11][0] > '9' {
			return p, fmt.Errorf("file list time %q: not a number", c[11])
		}
		p.InstallTime = time.Unix(t, 0).UTC()
	}
	return p, nil
}
