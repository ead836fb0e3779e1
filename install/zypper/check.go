package zypper

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/install/plan"
	"github.com/patchkit/patchkit/internal/rootfs"
	"github.com/patchkit/patchkit/internal/rpmheader"
	"github.com/patchkit/patchkit/scan/rpmdb"
)

// Check detects, before anything is installed, what an interrupted earlier
// transaction left: a package installed in two versions of one
// architecture that libzypp does not install side by side. libzypp hands
// each package of a transaction to rpm on its own (`rpm -U` per package),
// and rpm adds the new version's header before the new version's %post and
// removes the old one after it; a zypper (or rpm) killed in between leaves
// both. A kill before that point (in the new version's %pre, say) leaves
// the old version alone, which is consistent and which the next scan shows
// as missing the update.
//
// fsys is the root (os.DirFS of --root, or of / for the live system) and
// installed its rpm inventory (scan/rpmdb). Packages libzypp installs side
// by side are exempt: the root's multiversion setting, as libzypp reads it
// for a target root, the first "multiversion = ..." line of its zypp.conf
// (etc/zypp/zypp.conf, or ZYPP_CONF given with WithEnv) and the lines of
// etc/zypp/multiversion.d/*; an entry is a package name or
// provides:CAPABILITY, which is looked up in the provides of the root's rpm
// database. A second version of such a package (a kernel) is not reported,
// also when it was left by an interrupted transaction.
//
// The result is a *plan.RepairError naming each package with its
// versions and, as the repair, the `zypper verify` command Repair runs, or
// nil. A configuration file or rpm database that cannot be read is an
// error of its own (*ConfigError, rpmdb's errors).
func Check(ctx context.Context, fsys fs.FS, installed []patchkit.Package, opts ...Option) error {
	o, err := buildOptions(opts)
	if err != nil {
		return err
	}
	type key struct{ name, arch string }
	byKey := map[key][]patchkit.Package{}
	var order []key
	for _, p := range installed {
		if p.Name == "gpg-pubkey" {
			continue
		}
		k := key{p.Name, p.Arch}
		if _, ok := byKey[k]; !ok {
			order = append(order, k)
		}
		byKey[k] = append(byKey[k], p)
	}
	several := map[string]bool{}
	for _, k := range order {
		if len(byKey[k]) > 1 {
			several[k.name] = true
		}
	}
	if len(several) == 0 {
		return nil
	}
	multi, err := multiversion(ctx, fsys, &o, several)
	if err != nil {
		return err
	}
	var left []string
	for _, k := range order {
		ps := byKey[k]
		if len(ps) < 2 || multi[k.name] {
			continue
		}
		for _, p := range ps {
			left = append(left, p.NEVRA())
		}
	}
	if len(left) == 0 {
		return nil
	}
	slices.Sort(left)
	rep := "zypper verify"
	if c, err := o.command(o.verifyArgs(false), nil); err == nil {
		rep = c.String()
	}
	return &plan.RepairError{Tool: "zypper", Packages: left, Repair: rep}
}

// maxConfFile bounds a configuration file read by Check.
const maxConfFile = 1 << 20

// multiversion returns which of the names libzypp installs side by side on
// the root.
func multiversion(ctx context.Context, fsys fs.FS, o *options, names map[string]bool) (map[string]bool, error) {
	specs, err := multiversionSpecs(fsys, o)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	var caps []string
	for _, s := range specs {
		if c, ok := strings.CutPrefix(s, "provides:"); ok {
			caps = append(caps, c)
		} else if names[s] {
			out[s] = true
		}
	}
	if len(caps) == 0 {
		return out, nil
	}
	provides, err := readProvides(ctx, fsys, names)
	if err != nil {
		return nil, err
	}
	for n, provs := range provides {
		for _, c := range caps {
			if slices.Contains(provs, c) {
				out[n] = true
			}
		}
	}
	return out, nil
}

// multiversionSpecs reads the multiversion entries of the root as libzypp
// does for a target root (ZConfig's scanConfAt and scanDirAt).
func multiversionSpecs(fsys fs.FS, o *options) ([]string, error) {
	conf := "etc/zypp/zypp.conf"
	for _, e := range o.env {
		if v, ok := strings.CutPrefix(e, "ZYPP_CONF="); ok {
			conf = strings.TrimPrefix(path.Clean("/"+v), "/")
		}
	}
	var specs []string
	data, err := readRootFile(fsys, conf)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, &ConfigError{File: "/" + conf, Msg: "cannot read", Err: err}
	default:
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(make([]byte, 0, 4096), maxConfFile)
		for sc.Scan() {
			l := sc.Text()
			rest, ok := strings.CutPrefix(l, "multiversion")
			if !ok {
				continue
			}
			rest = strings.TrimLeft(rest, " ")
			if v, ok := strings.CutPrefix(rest, "="); ok {
				specs = append(specs, splitSpec(strings.TrimLeft(v, " "))...)
				break // libzypp stops at the first match
			}
		}
		if err := sc.Err(); err != nil {
			return nil, &ConfigError{File: "/" + conf, Msg: "cannot read", Err: err}
		}
	}
	dir := "etc/zypp/multiversion.d"
	rdir, err := rootfs.Resolve(fsys, dir)
	if err != nil {
		return nil, &ConfigError{File: "/" + dir, Msg: "cannot resolve", Err: err}
	}
	ents, err := fs.ReadDir(fsys, rdir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, &ConfigError{File: "/" + dir, Msg: "cannot read", Err: err}
	}
	for _, e := range ents {
		name := path.Join(dir, e.Name())
		data, err := readRootFile(fsys, name)
		if err != nil {
			return nil, &ConfigError{File: "/" + name, Msg: "cannot read", Err: err}
		}
		for _, l := range strings.Split(string(data), "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
				specs = append(specs, l)
			}
		}
	}
	return specs, nil
}

func readRootFile(fsys fs.FS, name string) ([]byte, error) {
	rp, err := rootfs.Resolve(fsys, name)
	if err != nil {
		return nil, err
	}
	return rootfs.ReadFile(fsys, rp, maxConfFile)
}

// splitSpec splits a multiversion value at commas, spaces and tabs, as
// libzypp's splitEscaped does (a backslash keeps the next character).
func splitSpec(v string) []string {
	var out []string
	var cur strings.Builder
	esc := false
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case esc:
			cur.WriteByte(c)
			esc = false
		case c == '\\':
			esc = true
		case c == ',' || c == ' ' || c == '\t':
			flush()
		default:
			cur.WriteByte(c)
		}
	}
	flush()
	return out
}

// readProvides reads the provides of the installed packages named in names
// from the root's rpm database.
func readProvides(ctx context.Context, fsys fs.FS, names map[string]bool) (map[string][]string, error) {
	db, err := rpmdb.Find(fsys)
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	var f rpmheader.Fields
	visit := func(where string, blob []byte) error {
		if err := rpmheader.Parse(blob, &f); err != nil {
			return &rpmdb.DatabaseError{File: db.Path, Format: db.Format, Err: fmt.Errorf("header %s: %w", where, err)}
		}
		if n := string(f.Name); names[n] {
			for _, p := range rpmheader.Strings(blob, rpmheader.TagProvideName) {
				if !slices.Contains(out[n], p) {
					out[n] = append(out[n], p)
				}
			}
		}
		return nil
	}
	if err := rpmdb.Headers(ctx, fsys, db, visit); err != nil {
		return nil, err
	}
	return out, nil
}
