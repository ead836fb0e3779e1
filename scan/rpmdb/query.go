package rpmdb

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/scan/run"
)

// queryFormat prints one line per installed package, tab-separated: name,
// epoch ("(none)" when the header has none), version, release, arch, source
// rpm, install time, vendor, modularity label. rpm before 4.14 does not
// know MODULARITYLABEL; Query then asks again without it.
const (
	queryFields     = 9
	queryFormatBase = `%{NAME}\t%|EPOCH?{%{EPOCH}}:{(none)}|\t%{VERSION}\t%{RELEASE}\t%|ARCH?{%{ARCH}}:{(none)}|\t%|SOURCERPM?{%{SOURCERPM}}:{(none)}|\t%|INSTALLTIME?{%{INSTALLTIME}}:{(none)}|\t%|VENDOR?{%{VENDOR}}:{(none)}|\t`
	queryFormat     = queryFormatBase + `%|MODULARITYLABEL?{%{MODULARITYLABEL}}:{(none)}|\n`
	queryFormatOld  = queryFormatBase + `(none)\n`
)

// QueryOption configures Query.
type QueryOption func(*queryOptions) error

type queryOptions struct {
	rpm     string
	args    []string
	defines []string
}

// WithRPM sets the rpm program's absolute path (default /usr/bin/rpm).
func WithRPM(path string) QueryOption {
	return func(o *queryOptions) error {
		if !strings.HasPrefix(path, "/") {
			return &OptionError{Option: fmt.Sprintf("WithRPM(%q)", path), Reason: "not an absolute path"}
		}
		o.rpm = path
		return nil
	}
}

// WithRoot makes rpm use the root directory dir (rpm --root).
func WithRoot(dir string) QueryOption {
	return func(o *queryOptions) error {
		if !strings.HasPrefix(dir, "/") {
			return &OptionError{Option: fmt.Sprintf("WithRoot(%q)", dir), Reason: "not an absolute path"}
		}
		o.args = append(o.args, "--root", dir)
		return nil
	}
}

// WithDBPath makes rpm read the database in dir (rpm --dbpath), relative to
// the root.
func WithDBPath(dir string) QueryOption {
	return func(o *queryOptions) error {
		if !strings.HasPrefix(dir, "/") {
			return &OptionError{Option: fmt.Sprintf("WithDBPath(%q)", dir), Reason: "not an absolute path"}
		}
		o.args = append(o.args, "--dbpath", dir)
		return nil
	}
}

// WithDefine defines an rpm macro for the query (rpm --define "name value"),
// for example _db_backend bdb_ro to read a BerkeleyDB database with an rpm
// that writes sqlite.
func WithDefine(name, value string) QueryOption {
	return func(o *queryOptions) error {
		if name == "" || strings.ContainsAny(name, " \t{}%") {
			return &OptionError{Option: fmt.Sprintf("WithDefine(%q)", name), Reason: "not a macro name"}
		}
		o.defines = append(o.defines, "--define", name+" "+value)
		return nil
	}
}

// QueryCommand returns the command Query runs.
func QueryCommand(opts ...QueryOption) (run.Command, error) {
	o := queryOptions{rpm: "/usr/bin/rpm"}
	for i, opt := range opts {
		if opt == nil {
			return run.Command{}, &OptionError{Option: fmt.Sprintf("query option %d", i), Reason: "nil option"}
		}
		if err := opt(&o); err != nil {
			return run.Command{}, err
		}
	}
	args := append(append(append([]string{}, o.defines...), o.args...), "-qa", "--qf", queryFormat)
	return run.Command{Path: o.rpm, Args: args, Env: run.CLocale()}, nil
}

// Query lists the installed packages through rpm itself (rpm -qa with a
// query format) run by r: the live host's second source, or a root's with
// WithRoot. gpg-pubkey pseudo-packages are left out, as Read leaves them.
func Query(ctx context.Context, r run.Runner, opts ...QueryOption) ([]patchkit.Package, error) {
	if ctx == nil || r == nil {
		return nil, &OptionError{Option: "Query", Reason: "nil context or runner"}
	}
	c, err := QueryCommand(opts...)
	if err != nil {
		return nil, err
	}
	res, err := r.Run(ctx, c)
	var ee *run.ExitError
	if errors.As(err, &ee) && bytes.Contains(ee.Result.Stderr, []byte("unknown tag")) {
		// rpm older than 4.14 has no MODULARITYLABEL tag.
		c.Args[len(c.Args)-1] = queryFormatOld
		res, err = r.Run(ctx, c)
	}
	if err != nil {
		return nil, err
	}
	return ParseQuery(res.Stdout)
}

// QueryError reports a line of rpm's query output that does not have the
// expected fields.
type QueryError struct {
	Line   int
	Text   string
	Reason string
}

func (e *QueryError) Error() string {
	return fmt.Sprintf("rpmdb: rpm -qa output line %d %q: %s", e.Line, e.Text, e.Reason)
}

// Is reports whether target is patchkit.ErrInvalid.
func (e *QueryError) Is(target error) bool { return target == patchkit.ErrInvalid }

// ParseQuery parses the output of QueryCommand's command.
func ParseQuery(out []byte) ([]patchkit.Package, error) {
	var pkgs []patchkit.Package
	in := interner{}
	for n, line := range bytes.Split(out, []byte("\n")) {
		if len(line) == 0 {
			if n == bytes.Count(out, []byte("\n")) {
				break
			}
			return nil, &QueryError{Line: n + 1, Reason: "empty line"}
		}
		f := strings.Split(string(line), "\t")
		bad := func(reason string) error { return &QueryError{Line: n + 1, Text: string(line), Reason: reason} }
		if len(f) != queryFields {
			return nil, bad(fmt.Sprintf("%d tab-separated fields, want %d", len(f), queryFields))
		}
		none := func(s string) string {
			if s == "(none)" {
				return ""
			}
			return s
		}
		if f[0] == "gpg-pubkey" {
			continue
		}
		p := patchkit.Package{Name: f[0], Version: f[2], Release: f[3], Arch: in.get([]byte(none(f[4]))),
			Scheme: patchkit.RPM, Vendor: in.get([]byte(none(f[7]))), ModularityLabel: in.get([]byte(none(f[8]))),
			State: patchkit.StateInstalled}
		if e := none(f[1]); e != "" {
			v, err := strconv.ParseUint(e, 10, 32)
			if err != nil {
				return nil, bad("epoch is not a number")
			}
			p.Epoch = patchkit.EpochOf(uint32(v))
		}
		if t := none(f[6]); t != "" {
			v, err := strconv.ParseInt(t, 10, 64)
			if err != nil {
				return nil, bad("install time is not a number")
			}
			p.InstallTime = time.Unix(v, 0).UTC()
		}
		p.SourceName, p.SourceVersion = splitSourceRPM(none(f[5]))
		pkgs = append(pkgs, p)
	}
	return pkgs, nil
}
