package dpkg

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/internal/rootfs"
)

// ErrNoDatabase is matched by the error Read returns when the root has no
// dpkg database directory. It also matches fs.ErrNotExist.
var ErrNoDatabase = errors.New("no dpkg database")

// db is the in-memory database: dpkg's package sets, each with one slot
// per architecture.
type db struct {
	// A package's first slot; the others follow it through entry.next.
	// While the packages come in order of their names, as dpkg writes
	// its status file, they are found without an index: sets is nil and
	// last is the first slot of the last (greatest) name. The index is
	// made when a package comes out of order or an arbitrary name is
	// looked up.
	sets map[string]*entry
	last *entry
	all  []*entry // every slot, in the order they were made
	in   interner
	// pf, when set, is told about every stanza of the status file that
	// dpkg-query might list.
	pf *prefetch
}

func newDB() *db { return &db{in: make(interner, 64)} }

// expect makes room for the stanzas of a file of size bytes, when it is
// the first: a stanza of a status file takes some 600 to 1000 bytes.
func (d *db) expect(size int64) {
	if d.all == nil && size > 0 {
		d.all = make([]*entry, 0, min(size/512+16, 1<<16))
	}
}

// first returns the first slot of the package name, or nil.
func (d *db) first(name string) *entry {
	if d.sets == nil {
		switch {
		case d.last == nil:
			return nil
		case name == d.last.name:
			return d.last
		case name > d.last.name:
			return nil // after every package so far
		}
		d.sets = make(map[string]*entry, 2*len(d.all))
		for _, e := range d.all {
			if _, ok := d.sets[e.name]; !ok {
				d.sets[e.name] = e
			}
		}
	}
	return d.sets[name]
}

func (d *db) installedInstances(name string) (n int, one *entry) {
	for e := d.first(name); e != nil; e = e.next {
		if e.status != stNotInstalled {
			n++
			one = e
		}
	}
	return n, one
}

func describe(e *entry) string {
	if e.arch == "" {
		return e.name
	}
	return e.name + ":" + e.arch
}

// checkAwaited applies dpkg's check that an awaited package named without
// an architecture is not ambiguous.
func (d *db) checkAwaited(e *entry, st *stanza) error {
	for _, w := range st.trigAw {
		if strings.IndexByte(w, ':') >= 0 {
			continue
		}
		if n, _ := d.installedInstances(w); n > 1 {
			return &ParseError{File: *e.file, Line: st.line, Field: "Triggers-Awaited",
				Reason: fmt.Sprintf("illegal package name in awaited trigger %q: ambiguous package name with more than one installed instance", w)}
		}
	}
	return nil
}

// addStatus adds a stanza of the status file (or of status.d), with the
// checks dpkg makes when it places a package in its set.
func (d *db) addStatus(e *entry, st *stanza) error {
	if err := d.checkAwaited(e, st); err != nil {
		return err
	}
	first := d.first(e.name)
	single, multi := 0, 0
	count := func(x *entry) {
		if x.status == stNotInstalled {
			return
		}
		if x.multiArch == maSame {
			multi++
		} else {
			single++
		}
	}
	count(e)
	for s := first; s != nil; s = s.next {
		count(s)
	}
	others := func() string {
		var b []string
		for s := first; s != nil; s = s.next {
			if s.status != stNotInstalled {
				b = append(b, fmt.Sprintf("%s (%s line %d)", describe(s), *s.file, s.line))
			}
		}
		return strings.Join(b, ", ")
	}
	if single > 1 {
		return &ParseError{File: *e.file, Line: e.line, Field: "Package", Reason: fmt.Sprintf(
			"package %s: multiple non-coinstallable package instances present (also %s)", describe(e), others())}
	}
	if single > 0 && multi > 0 {
		return &ParseError{File: *e.file, Line: e.line, Field: "Package", Reason: fmt.Sprintf(
			"package %s: mixed non-coinstallable and coinstallable package instances present (also %s)", describe(e), others())}
	}
	for s := first; s != nil; s = s.next {
		if s.arch == e.arch {
			return &ParseError{File: *e.file, Line: e.line, Field: "Package", Stricter: true, Reason: fmt.Sprintf(
				"second stanza for package %s (first at %s line %d); dpkg keeps the last one",
				describe(e), *s.file, s.line)}
		}
	}
	d.add(first, e)
	if d.pf != nil && e.status != stNotInstalled {
		d.pf.request(e)
	}
	return nil
}

// add makes e a new slot of its package, after the slots from first on
// (first is d.first(e.name)).
func (d *db) add(first, e *entry) {
	if first == nil {
		if d.sets != nil {
			d.sets[e.name] = e
		} else {
			d.last = e // first returned nil: e.name is the greatest
		}
	} else {
		last := first
		for last.next != nil {
			last = last.next
		}
		last.next = e
	}
	d.all = append(d.all, e)
}

// addUpdate applies a stanza of a journal file (updates/NNNN) the way dpkg
// does: it replaces the package's slot, switching its architecture when a
// single instance is cross-graded.
func (d *db) addUpdate(e *entry, st *stanza) error {
	if err := d.checkAwaited(e, st); err != nil {
		return err
	}
	first := d.first(e.name)
	n, one := d.installedInstances(e.name)
	if n > 1 && e.multiArch != maSame {
		return &ParseError{File: *e.file, Line: e.line, Field: "Multi-Arch", Reason: fmt.Sprintf(
			"package %s (%s) with field 'Multi-Arch: %s' is not co-installable with %s which has multiple installed instances",
			describe(e), e.ver.String(), multiArchNames[e.multiArch], e.name)}
	}
	var dst *entry
	if n == 1 && !(one.multiArch == maSame && e.multiArch == maSame) {
		dst = one
	} else {
		for s := first; s != nil; s = s.next {
			if s.arch == e.arch {
				dst = s
				break
			}
		}
	}
	if dst == nil {
		d.add(first, e)
		return nil
	}
	// Section and priority are kept when the slot has them (dpkg reads its
	// status and journal with weak classification).
	section, priority := e.section, e.priority
	if dst.section != "" {
		section = dst.section
	}
	if dst.priority != "" {
		priority = dst.priority
	}
	next := dst.next
	*dst = *e
	dst.section, dst.priority, dst.next = section, priority, next
	return nil
}

// parseFile reads one file's stanzas into d.
func (d *db) parseFile(ctx context.Context, name string, r io.Reader, maxLine int, installedByDefault bool, add func(*entry, *stanza) error) error {
	p := newParser(ctx, name, r, maxLine, d.in)
	p.installedByDefault = installedByDefault
	return p.stanzas(add)
}

// listed returns the entries dpkg-query -W lists (every state but
// not-installed), sorted by name and architecture. It is the last use of
// d: the list takes d.all's place.
func (d *db) listed() []*entry {
	out := d.all[:0]
	for _, e := range d.all {
		if e.status != stNotInstalled {
			out = append(out, e)
		}
	}
	byKey := func(a, b *entry) int {
		if c := strings.Compare(a.name, b.name); c != 0 {
			return c
		}
		return strings.Compare(a.arch, b.arch)
	}
	// A status file is usually sorted already.
	if !slices.IsSortedFunc(out, byKey) {
		slices.SortFunc(out, byKey)
	}
	return out
}

// ParseStatus reads a dpkg status file (or one status.d file) from r and
// calls fn with every package that dpkg-query -W would list from it: all
// states but not-installed, in file order. name is used in errors. It
// applies all of dpkg's checks of a status file, so an error can come after
// some packages were passed to fn: dpkg refuses such a file as a whole, and
// the caller should discard them. If fn returns an error, ParseStatus stops
// and returns it. The packages have no InstallTime (Read has it).
func ParseStatus(ctx context.Context, name string, r io.Reader, fn func(patchkit.Package) error, opts ...Option) error {
	o, err := buildOptions(opts)
	if err != nil {
		return err
	}
	if ctx == nil || r == nil || fn == nil {
		return &OptionError{Option: "ParseStatus", Reason: "nil context, reader or function"}
	}
	d := newDB()
	return d.parseFile(ctx, name, r, o.maxLine, false, func(e *entry, st *stanza) error {
		if err := d.addStatus(e, st); err != nil {
			return err
		}
		if e.status == stNotInstalled {
			return nil
		}
		p, err := e.finish()
		if err != nil {
			return err
		}
		return fn(p)
	})
}

// Read reads the dpkg database of the root fsys and returns the packages
// dpkg-query -W lists, sorted by name and architecture: its status file,
// then the files of status.d (one per package, as distroless images keep
// them; files named like a package's control files, PACKAGE.md5sums,
// PACKAGE.preinst and so on, are not stanzas and are not read; a stanza
// there without a Status field is installed, as the tools that write
// status.d mean it, whereas dpkg takes a stanza without Status as
// not-installed), then the journal files of
// updates/ that an interrupted dpkg leaves, applied as dpkg applies them.
// Each package carries its State and Want; InstallTime is the modification
// time of its file list (info/NAME.list, or info/NAME:ARCH.list for a
// Multi-Arch: same package), which is what dpkg-query's
// ${db-fsys:Last-Modified} prints, to the second.
//
// A root without the database directory fails with ErrNoDatabase; a
// database directory without a status file (and no status.d) holds no
// packages, as for dpkg. Malformed files fail with a *ParseError.
//
// Read looks the file lists up on a goroutine of its own while it parses
// the status file; it uses fsys from one goroutine at a time, so fsys need
// not be safe for concurrent use (an os.DirFS, which is, is used from both,
// and its file lists are looked up in the info directory with one system
// call each where the platform allows). A panic of fsys reaches the caller
// of Read.
func Read(ctx context.Context, fsys fs.FS, opts ...Option) ([]patchkit.Package, error) {
	if ctx == nil || fsys == nil {
		return nil, &OptionError{Option: "Read", Reason: "nil context or file system"}
	}
	o, err := buildOptions(opts)
	if err != nil {
		return nil, err
	}
	adm, err := rootfs.Resolve(fsys, o.admindir)
	if err != nil {
		return nil, err
	}
	if fi, err := fs.Stat(fsys, adm); err != nil {
		return nil, fmt.Errorf("dpkg: %s: %w: %w", o.admindir, ErrNoDatabase, err)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("dpkg: %s: %w: not a directory", o.admindir, ErrNoDatabase)
	}
	d := newDB()

	// status, while the file lists of its packages are looked up; the
	// lookups go on until the list is made.
	pf := &prefetch{ctx: ctx, fsys: fsys, adm: adm, admName: o.admindir, shared: isDirFS(fsys)}
	var it *infoTimes
	defer func() {
		// After pf.wait: pf.it is the goroutine's until it has ended.
		pf.it.close()
		it.close()
	}()
	defer pf.wait(true)
	if err := d.readFile(ctx, fsys, adm, o.admindir, "status", o.maxLine, d.addStatus, true, pf); err != nil {
		return nil, err
	}
	// status.d, and the names of the journal files, holding pf.mu: the
	// file system is Read's again.
	var journal []string
	err = pf.locked(func() (err error) {
		if err = d.readStatusD(ctx, fsys, adm, o); err == nil {
			journal, err = journalFiles(fsys, adm, o.admindir)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	// The journal, files named by digits, applied in order. Its stanzas
	// replace entries, which the lookups must be done with.
	if len(journal) > 0 {
		pf.wait(false)
	}
	for _, n := range journal {
		if err := d.readFile(ctx, fsys, adm, o.admindir, "updates/"+n, o.maxLine, d.addUpdate, false, nil); err != nil {
			return nil, err
		}
	}
	list := d.listed()
	out := make([]patchkit.Package, len(list))
	// The packages, up to the first whose source version is bad.
	bad, badErr := len(list), error(nil)
	for i, e := range list {
		if out[i], err = e.finish(); err != nil {
			bad, badErr = i, err
			break
		}
	}
	pf.wait(false)
	if len(list) > 0 {
		if pf.started {
			it, err = pf.it, pf.itErr
		} else {
			it, err = newInfoTimes(fsys, adm, o.admindir)
		}
		if err != nil {
			return nil, err
		}
	}
	for i, e := range list {
		if i&255 == 255 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		if i == bad {
			return nil, badErr
		}
		t, err := it.time(e)
		if err != nil {
			return nil, err
		}
		out[i].InstallTime = t
	}
	return out, nil
}

// readStatusD reads the files of status.d.
func (d *db) readStatusD(ctx context.Context, fsys fs.FS, adm string, o options) error {
	ents, err := fs.ReadDir(fsys, path.Join(adm, "status.d"))
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return fmt.Errorf("dpkg: %s/status.d: %w", o.admindir, err)
	}
	for _, de := range ents {
		n := de.Name()
		if isControlFile(n) {
			continue
		}
		if err := d.readFile(ctx, fsys, adm, o.admindir, "status.d/"+n, o.maxLine, d.addStatus, false, nil); err != nil {
			return err
		}
	}
	return nil
}

// controlSuffixes are the names of a package's control files. Distroless
// images keep some of them (at least the md5sums) beside the package's
// stanza in status.d, named PACKAGE.SUFFIX; they are not stanzas.
var controlSuffixes = []string{".md5sums", ".conffiles", ".preinst", ".postinst", ".prerm", ".postrm",
	".config", ".templates", ".triggers", ".shlibs", ".symbols", ".list"}

func isControlFile(name string) bool {
	for _, s := range controlSuffixes {
		if strings.HasSuffix(name, s) && len(name) > len(s) {
			return true
		}
	}
	return false
}

// readFile parses adm/rel with add. A missing file is no error when
// optional (dpkg reads a missing status file as empty). With pf, the file
// lists of the file's packages are looked up while it is parsed.
func (d *db) readFile(ctx context.Context, fsys fs.FS, adm, admName, rel string, maxLine int, add func(*entry, *stanza) error, optional bool, pf *prefetch) error {
	name := path.Join(admName, rel)
	p, err := rootfs.Resolve(fsys, path.Join(adm, rel))
	if err != nil {
		return fmt.Errorf("dpkg: %s: %w", name, err)
	}
	f, err := fsys.Open(p)
	if err != nil {
		if optional && errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("dpkg: %s: %w", name, err)
	}
	if pf == nil {
		defer f.Close()
	} else {
		// Closed while pf's goroutine may use fsys: one at a time.
		defer pf.locked(f.Close)
	}
	if fi, err := f.Stat(); err != nil {
		return fmt.Errorf("dpkg: %s: %w", name, err)
	} else if fi.IsDir() {
		return &ParseError{File: name, Reason: "is a directory, not a file of stanzas"}
	} else {
		d.expect(fi.Size())
	}
	if pf == nil {
		return d.parseFile(ctx, name, f, maxLine, strings.HasPrefix(rel, "status.d/"), add)
	}
	// The file is read while pf's goroutine uses fsys: one at a time.
	var r io.Reader = f
	if !pf.shared {
		r = &lockedReader{r: f, mu: &pf.mu}
	}
	d.pf = pf
	err = d.parseFile(ctx, name, r, maxLine, false, add)
	d.pf = nil
	if err == nil {
		pf.flush()
	}
	return err
}

// lockedReader reads from r holding mu.
type lockedReader struct {
	r  io.Reader
	mu *sync.Mutex
}

func (l *lockedReader) Read(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.Read(b)
}

// maxJournalName is dpkg's IMPORTANTMAXLEN.
const maxJournalName = 10

// journalFiles lists the journal files of updates/ as dpkg selects them:
// names of digits only, all of the same length, in order.
func journalFiles(fsys fs.FS, adm, admName string) ([]string, error) {
	dir, err := rootfs.Resolve(fsys, path.Join(adm, "updates"))
	if err != nil {
		return nil, err
	}
	ents, err := fs.ReadDir(fsys, dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("dpkg: %s/updates: %w", admName, err)
	}
	var names []string
	for _, de := range ents {
		n := de.Name()
		if strings.TrimLeft(n, "0123456789") != "" {
			continue // not a journal file (dpkg ignores these too)
		}
		if len(n) > maxJournalName {
			return nil, &ParseError{File: admName + "/updates/" + n,
				Reason: fmt.Sprintf("updates directory contains a file whose name is too long (length=%d, max=%d)", len(n), maxJournalName)}
		}
		if len(names) > 0 && len(names[0]) != len(n) {
			return nil, &ParseError{File: admName + "/updates/" + n,
				Reason: fmt.Sprintf("updates directory contains files with different length names (both %d and %d)", len(names[0]), len(n))}
		}
		names = append(names, n)
	}
	slices.Sort(names)
	return names, nil
}

// isDirFS reports whether fsys is an os.DirFS: a view of the host's file
// system, safe for concurrent use, whose directories are *os.File.
func isDirFS(fsys fs.FS) bool {
	return reflect.TypeOf(fsys) == reflect.TypeOf(os.DirFS(""))
}

// infoTimes finds the modification times of the packages' file lists.
type infoTimes struct {
	fsys     fs.FS
	info     string // resolved info directory
	infoName string
	format   int
	// host, when fsys is an os.DirFS, looks the file lists up in the
	// info directory directly (see hostDir); helper is its twin for
	// Read's own goroutine while prefetch's uses host.
	host   *hostDir
	helper *hostDir
	// failed holds the errors of the lookups of prefetch that failed
	// (listFailed).
	failed map[*entry]error
}

func newInfoTimes(fsys fs.FS, adm, admName string) (*infoTimes, error) {
	info, err := rootfs.Resolve(fsys, path.Join(adm, "info"))
	if err != nil {
		return nil, err
	}
	it := &infoTimes{fsys: fsys, info: info, infoName: admName + "/info"}
	// The info database format: a missing file is the legacy format 0,
	// format 1 names the lists of Multi-Arch: same packages NAME:ARCH. A
	// "format-new" file means an upgrade of the format was interrupted:
	// dpkg then takes the next format.
	b, err := rootfs.ReadFile(fsys, path.Join(info, "format"), 4096)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		it.format = 0
	case err != nil:
		return nil, fmt.Errorf("dpkg: %s/format: %w", it.infoName, err)
	default:
		n, ok := scanUint(b)
		if !ok {
			return nil, &ParseError{File: it.infoName + "/format", Line: 1, Reason: "corrupt info database format file"}
		}
		it.format = n
	}
	if ok, err := rootfs.Exists(fsys, path.Join(info, "format-new")); err != nil {
		return nil, fmt.Errorf("dpkg: %s/format-new: %w", it.infoName, err)
	} else if ok {
		it.format++
	}
	if it.format > 1 {
		return nil, &ParseError{File: it.infoName + "/format", Line: 1,
			Reason: fmt.Sprintf("info database format (%d) is bogus or too new", it.format)}
	}
	it.host = openHostDir(fsys, info)
	it.helper = it.host.twin()
	return it, nil
}

// close releases the info directory, if it was opened. it may be nil.
func (it *infoTimes) close() {
	if it != nil && it.host != nil {
		it.host.close()
		it.host = nil
	}
}

// scanUint reads an unsigned decimal number after optional white space, as
// fscanf's %u does.
func scanUint(b []byte) (int, bool) {
	i := 0
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	j := i
	for j < len(b) && isDigit(b[j]) {
		j++
	}
	if j == i || j-i > 9 {
		return 0, false
	}
	n, err := strconv.Atoi(string(b[i:j]))
	return n, err == nil
}

// listArch returns the architecture in the name of the file list of a
// package, or "" when the name has none.
func (it *infoTimes) listArch(arch string, same bool) string {
	if same && it.format == 1 {
		return arch
	}
	return ""
}

// path returns the name of the file list of a package.
func (it *infoTimes) path(name, arch string, same bool) string {
	if a := it.listArch(arch, same); a != "" {
		return it.info + "/" + name + ":" + a + ".list"
	}
	return it.info + "/" + name + ".list"
}

// hostLookup looks the file lists of es up in the info directory
// directly, when it can (see hostDir), and records the answers in them:
// those it cannot answer stay listUnknown, for lookup.
func (it *infoTimes) hostLookup(es []*entry) { it.hostLookupWith(it.host, es) }

// hostLookupWith is hostLookup through h (it.host or it.helper).
func (it *infoTimes) hostLookupWith(h *hostDir, es []*entry) {
	if h == nil {
		return
	}
	h.within(func() {
		for _, e := range es {
			mod, found, ok := h.listMtime(e.name, it.listArch(e.arch, e.multiArch == maSame))
			switch {
			case found:
				e.listMod, e.list = mod, listFound
			case ok:
				e.list = listMissing
			}
		}
	})
}

// lookup looks e's file list up, directly or through the file system,
// and records the answer in e; a failure is returned.
func (it *infoTimes) lookup(e *entry) error {
	if it.hostLookup([]*entry{e}); e.list != listUnknown {
		return nil
	}
	mod, err := it.stat(it.path(e.name, e.arch, e.multiArch == maSame))
	switch {
	case err == nil:
		e.listMod, e.list = mod, listFound
	case errors.Is(err, fs.ErrNotExist):
		e.list = listMissing
	default:
		return err
	}
	return nil
}

// stat returns the modification time of the file p, in seconds since
// 1970.
func (it *infoTimes) stat(p string) (int64, error) {
	var fi fs.FileInfo
	var err error
	if rl, ok := it.fsys.(fs.ReadLinkFS); ok {
		fi, err = rl.Lstat(p)
		if err == nil && fi.Mode()&fs.ModeSymlink != 0 {
			var rp string
			if rp, err = rootfs.Resolve(it.fsys, p); err == nil {
				fi, err = fs.Stat(it.fsys, rp)
			}
		}
	} else {
		fi, err = fs.Stat(it.fsys, p)
	}
	if err != nil {
		return 0, err
	}
	return fi.ModTime().Unix(), nil
}

// time returns the modification time of e's file list, to the second, or
// the zero time when it has none. It takes the answer that prefetch found,
// if it has one.
func (it *infoTimes) time(e *entry) (time.Time, error) {
	var err error
	switch e.list {
	case listUnknown:
		err = it.lookup(e)
	case listFailed:
		err = it.failed[e]
	}
	switch {
	case err != nil:
		return time.Time{}, fmt.Errorf("dpkg: cannot get package %s file list modification time: %w", describe(e), err)
	case e.list == listMissing:
		return time.Time{}, nil
	}
	return time.Unix(e.listMod, 0).UTC(), nil
}

// prefetch looks up the file lists of the packages of the status file on
// a goroutine of its own while the file is parsed, and leaves the answers
// in the entries. While the goroutine runs, every use of the file system
// (its lookups, the reads of the status file and of status.d) holds mu, so
// that the file system is used by one goroutine at a time, as without
// prefetch; an os.DirFS (shared) needs no lock. The goroutine reads an
// entry's name, architecture and Multi-Arch and writes its list fields;
// nothing else changes them until it has ended (the journal, which
// replaces entries, is applied after). A package whose stanza was
// replaced is looked up again when the list is made.
type prefetch struct {
	ctx          context.Context
	fsys         fs.FS
	adm, admName string

	mu sync.Mutex
	// shared: fsys is an os.DirFS, which is safe for concurrent use, and
	// mu is not needed.
	shared  bool
	started bool
	ended   bool
	ch      chan []*entry
	done    chan struct{}
	ready   chan struct{} // closed once it and itErr are set
	stop    atomic.Bool
	cur     []*entry // the batch being filled

	// Set by the goroutine, read once done is closed.
	it       *infoTimes
	itErr    error
	panicked any
}

// prefetchBatch is how many lookups are handed to the goroutine at once.
const prefetchBatch = 32

// request asks for e's file list, starting the goroutine on first use.
func (pf *prefetch) request(e *entry) {
	if !pf.started {
		pf.started = true
		pf.ch = make(chan []*entry, 64)
		pf.done = make(chan struct{})
		pf.ready = make(chan struct{})
		go pf.run()
	}
	if pf.cur == nil {
		pf.cur = make([]*entry, 0, prefetchBatch)
	}
	pf.cur = append(pf.cur, e)
	if len(pf.cur) == prefetchBatch {
		pf.flush()
	}
}

// locked calls f holding mu (unless fsys is shared).
func (pf *prefetch) locked(f func() error) error {
	if pf.shared {
		return f()
	}
	pf.mu.Lock()
	defer pf.mu.Unlock()
	return f()
}

// flush hands the requests made over to the goroutine.
func (pf *prefetch) flush() {
	if len(pf.cur) > 0 {
		pf.ch <- pf.cur
	}
	pf.cur = nil
}

// run is the goroutine: it reads the info database's format, then looks
// up the file lists it is given until the channel is closed, or until
// stopped, cancelled or panicked (it keeps taking the requests, so that
// request never blocks for long).
func (pf *prefetch) run() {
	defer close(pf.done)
	pf.safely(func() {
		pf.itErr = pf.locked(func() (err error) {
			pf.it, err = newInfoTimes(pf.fsys, pf.adm, pf.admName)
			return err
		})
	})
	close(pf.ready)
	for batch := range pf.ch {
		if pf.panicked != nil || pf.itErr != nil || pf.stop.Load() || pf.ctx.Err() != nil {
			continue
		}
		pf.safely(func() {
			// Direct lookups do not use the file system; what they
			// cannot answer is asked of the file system.
			pf.it.hostLookup(batch)
			for _, e := range batch {
				if pf.stop.Load() {
					return
				}
				if e.list != listUnknown {
					continue
				}
				var err error
				pf.locked(func() error {
					err = pf.it.lookup(e)
					return nil
				})
				if err != nil {
					if pf.it.failed == nil {
						pf.it.failed = make(map[*entry]error)
					}
					pf.it.failed[e], e.list = err, listFailed
				}
			}
		})
	}
}

// safely calls f, keeping a panic (of the file system) for the caller of
// wait to see.
func (pf *prefetch) safely(f func()) {
	defer func() {
		if r := recover(); r != nil {
			pf.panicked = r
		}
	}()
	f()
}

// help makes, on the caller's goroutine, the direct lookups of the
// batches that the goroutine has not taken yet, so that the caller does
// not wait for a goroutine that the system has not run for a while. It
// does nothing before the goroutine has found the info directory, or
// when the lookups need the file system (a batch it takes, it looks up
// as far as it can; the rest is left to infoTimes.time).
func (pf *prefetch) help() {
	if !pf.shared {
		return
	}
	select {
	case <-pf.ready:
	default:
		return
	}
	if pf.it == nil || pf.itErr != nil || pf.it.helper == nil {
		return
	}
	for {
		select {
		case batch := <-pf.ch:
			pf.it.hostLookupWith(pf.it.helper, batch)
		default:
			return
		}
	}
}

// wait waits for the goroutine to end once it has looked up what it was
// given, helping it first (see help); with stop, it stops the goroutine
// instead. Only the first call waits.
func (pf *prefetch) wait(stop bool) {
	if !pf.started || pf.ended {
		return
	}
	pf.ended = true
	if stop {
		pf.stop.Store(true)
	} else {
		pf.help()
	}
	pf.cur = nil
	close(pf.ch)
	<-pf.done
	if pf.panicked != nil {
		panic(pf.panicked)
	}
}
