package dnf

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/internal/repocache"
	"github.com/patchkit/patchkit/internal/rootfs"
	"github.com/patchkit/patchkit/repo"
	"github.com/patchkit/patchkit/repo/rpmmd"
)

// repoData is what was read from one enabled repository.
type repoData struct {
	cfg        *repoConfig
	status     repo.Status
	pkgs       []rpmmd.Package // the packages whose name is installed
	others     otherList       // with WithNotInstalled: the installable packages of other names
	extras     map[pkgKey]extra
	advisories []patchkit.Advisory // the notices that name an installed package (every notice with WithNotInstalled)
	hasModules bool
	notes      []string
}

// NotCachedError reports a repository whose metadata is not in the root's
// cache where the package manager keeps it.
type NotCachedError struct {
	Repository string
	Path       string // the directory or file looked for, inside the root
	Hint       string
}

func (e *NotCachedError) Error() string {
	s := e.Repository + ": no cached metadata at /" + e.Path
	if e.Hint != "" {
		s += " (" + e.Hint + ")"
	}
	return s
}

// Is reports whether target is repo.ErrNotFound.
func (e *NotCachedError) Is(target error) bool { return target == repo.ErrNotFound }

// cacheKeySource is the string dnf hashes for the repository's cache
// directory name: the metalink, else the mirror list, else the first base
// URL, else the ID (libdnf Repo::Impl::getHash).
func cacheKeySource(r *repo.RPMRepo) string {
	switch {
	case r.Metalink != "":
		return r.Metalink
	case r.MirrorList != "":
		return r.MirrorList
	case len(r.BaseURLs) > 0:
		return r.BaseURLs[0]
	}
	return r.ID
}

// dnfCacheName is the directory dnf keeps a repository's metadata in:
// the ID, a dash, and the first 8 bytes of the SHA-256 of cacheKeySource
// in hex.
func dnfCacheName(r *repo.RPMRepo) string {
	sum := sha256.Sum256([]byte(cacheKeySource(r)))
	return r.ID + "-" + hex.EncodeToString(sum[:8])
}

// locateCache returns the repository's cache directory inside the root, the
// path of repomd.xml, and how to find a data file from its location href.
func locateCache(fsys fs.FS, cfg *config, rc *repoConfig) (dir, repomd string, data func(string) string, note string, err error) {
	if cfg.flavor == YUM {
		dir = path.Join(cfg.main.cacheDir, rc.ID)
		repomd = path.Join(dir, "repomd.xml")
		data = func(loc string) string { return path.Join(dir, path.Base(loc)) }
		if ok, err := rootfs.Exists(fsys, repomd); err != nil {
			return "", "", nil, "", err
		} else if !ok {
			hint := hintFor(rc)
			if strings.Contains(cfg.main.cacheDir, "$") {
				hint = "cachedir has a variable that is not set: /" + cfg.main.cacheDir
			}
			return "", "", nil, "", &NotCachedError{Repository: rc.ID, Path: repomd, Hint: hint}
		}
		return dir, repomd, data, "", nil
	}
	name := dnfCacheName(&rc.RPMRepo)
	dir = path.Join(cfg.main.cacheDir, name)
	ok, err := rootfs.Exists(fsys, path.Join(dir, "repodata", "repomd.xml"))
	if err != nil {
		return "", "", nil, "", err
	}
	if !ok {
		// dnf names the directory after the URL with its variables
		// substituted; a $releasever other than dnf's gives another name.
		// When the root has exactly one cache directory for the ID, it is
		// the one dnf used.
		entries, err := fs.ReadDir(fsys, cfg.main.cacheDir)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", "", nil, "", err
		}
		var found []string
		for _, e := range entries {
			rest, ok := strings.CutPrefix(e.Name(), rc.ID+"-")
			if !ok || !e.IsDir() || len(rest) != 16 || !isHex(rest) {
				continue
			}
			if ok, _ := rootfs.Exists(fsys, path.Join(cfg.main.cacheDir, e.Name(), "repodata", "repomd.xml")); ok {
				found = append(found, e.Name())
			}
		}
		if len(found) != 1 {
			hint := hintFor(rc)
			if len(found) > 1 {
				hint = fmt.Sprintf("%d cache directories for the ID and none matches its URL", len(found))
			}
			return "", "", nil, "", &NotCachedError{Repository: rc.ID, Path: dir, Hint: hint}
		}
		note = fmt.Sprintf("%s: read /%s/%s, the only cache directory of the repository: its URL hashes to %s (are $releasever and the other variables dnf's?)",
			rc.ID, cfg.main.cacheDir, found[0], name)
		dir = path.Join(cfg.main.cacheDir, found[0])
	}
	repomd = path.Join(dir, "repodata", "repomd.xml")
	data = func(loc string) string { return path.Join(dir, loc) }
	return dir, repomd, data, note, nil
}

func hintFor(rc *repoConfig) string {
	if strings.Contains(cacheKeySource(&rc.RPMRepo), "$") {
		return "its URL has a variable that is not set: " + cacheKeySource(&rc.RPMRepo)
	}
	return "run dnf makecache, or scan with WithRefresh"
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// readCached reads one repository from the root's cache: repomd.xml (its
// signature checked when the repository requires one), its freshness at
// the caller's time, then primary and updateinfo, each checked against the
// size and checksums repomd.xml gives before a record is used. Any failure
// is the repository's status; nothing of it is offered then.
func readCached(ctx context.Context, fsys fs.FS, o *options, cfg *config, rc *repoConfig, want *wanted) *repoData {
	rd := &repoData{cfg: rc, status: repo.Status{Name: rc.ID}}
	fail := func(err error) *repoData {
		rd.status = repo.StatusOf(rc.ID, err)
		rd.pkgs, rd.others, rd.extras, rd.advisories = nil, otherList{}, nil, nil
		return rd
	}
	cm, err := openCachedRepomd(ctx, fsys, o, cfg, rc, &rd.status)
	if cm != nil && cm.note != "" {
		rd.notes = append(rd.notes, cm.note)
	}
	if err != nil {
		return fail(err)
	}
	md, mdName, dataPath := cm.md, cm.name, cm.dataPath
	_, rd.hasModules = md.Data["modules"]
	if err := readRecords(ctx, fsys, o, cfg, rc, md, mdName, dataPath, want, rd); err != nil {
		return fail(err)
	}
	if ud, ok := md.Data["updateinfo"]; ok {
		r, err := openData(fsys, o, rc.ID, ud, dataPath)
		if err != nil {
			return fail(err)
		}
		err = readUpdateinfo(ctx, rc.ID+" "+ud.Location, r, rc.ID, want, rd)
		r.Close()
		if err != nil {
			return fail(err)
		}
	}
	rd.status.Health = repo.HealthOK
	return rd
}

// readRecords reads the repository's packages: the sqlite primary_db
// that yum downloads instead of primary.xml when the repository has one
// (kept compressed beside repomd.xml), else primary.xml.
func readRecords(ctx context.Context, fsys fs.FS, o *options, cfg *config, rc *repoConfig, md *rpmmd.Repomd, mdName string, dataPath func(string) string, want *wanted, rd *repoData) error {
	if db, ok := md.Data["primary_db"]; ok && cfg.flavor == YUM {
		if ok, _ := rootfs.Exists(fsys, dataPath(db.Location)); ok {
			r, err := openData(fsys, o, rc.ID, db, dataPath)
			if err != nil {
				return err
			}
			data, err := io.ReadAll(r)
			r.Close()
			if err != nil {
				return err
			}
			return readPrimaryDB(ctx, "/"+dataPath(db.Location), data, want, rd)
		}
	}
	pd, ok := md.Data["primary"]
	if !ok {
		return &repo.SyntaxError{File: mdName, Msg: "no primary data"}
	}
	r, err := openData(fsys, o, rc.ID, pd, dataPath)
	if err != nil {
		return err
	}
	defer r.Close()
	return readPrimary(ctx, rc.ID+" "+pd.Location, r, want, rd)
}

// fresh checks the metadata's date against the caller's clock.
func fresh(o *options, name string, md *rpmmd.Repomd) error {
	if md.Generated.IsZero() {
		if o.maxAge > 0 {
			return &repo.StaleError{File: name, MaxAge: o.maxAge, Now: o.now}
		}
		return nil
	}
	if md.Generated.After(o.now.Add(o.maxFutureSkew)) {
		return &repo.FutureDateError{File: name, Date: md.Generated, Now: o.now}
	}
	if o.maxAge > 0 && o.now.Sub(md.Generated) > o.maxAge {
		return &repo.StaleError{File: name, Date: md.Generated, MaxAge: o.maxAge, Now: o.now}
	}
	return nil
}

// openData reads a data file of the cache, checks its size and checksum
// against repomd.xml, and returns its decompressed stream, which checks the
// open-size and open-checksum when it reaches the end.
func openData(fsys fs.FS, o *options, id string, d rpmmd.Data, dataPath func(string) string) (io.ReadCloser, error) {
	p := dataPath(d.Location)
	name := "/" + p
	alg := d.Checksum.Algorithm()
	if alg == "" {
		return nil, &repo.HashMismatchError{File: name}
	}
	limit := d.Size
	if limit <= 0 {
		limit = o.limits.primary
	}
	data, err := rootfs.ReadFile(fsys, p, limit)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &NotCachedError{Repository: id, Path: p, Hint: d.Type + " is not cached"}
		}
		if errors.Is(err, rootfs.ErrTooLarge) && d.Size > 0 {
			return nil, &repo.SizeError{File: name, Want: d.Size, Got: d.Size + 1}
		}
		return nil, err
	}
	if d.Size > 0 && int64(len(data)) != d.Size {
		return nil, &repo.SizeError{File: name, Want: d.Size, Got: int64(len(data))}
	}
	var h hash.Hash = sha256.New()
	if alg == "SHA512" {
		h = sha512.New()
	}
	h.Write(data)
	if got := hex.EncodeToString(h.Sum(nil)); got != d.Checksum.Value {
		return nil, &repo.HashMismatchError{File: name, Algorithm: alg, Want: d.Checksum.Value, Got: got}
	}
	want := repocache.Expect{Size: d.OpenSize}
	if a := d.OpenChecksum.Algorithm(); a != "" {
		want.Algorithm, want.Sum = a, d.OpenChecksum.Value
	}
	return repocache.Decompress(d.Location, data, o.limits.primary, want)
}

// wanted says which records a repository read keeps: those of installed
// names (and, for obsoletes, entries naming them); with others, also the
// packages of other names whose architecture the node installs, and every
// notice.
type wanted struct {
	names       map[string]bool
	installOnly map[string]bool
	lim         rpmmd.Limits
	others      bool
	archOK      map[string]bool
}

// keepOther reports whether a package of a name that is not installed is
// kept for WithNotInstalled: its architecture is one the node installs
// (never src or nosrc).
func (w *wanted) keepOther(arch string) bool { return w.others && w.archOK[arch] }

// keepNotice reports whether an update notice is kept: with others every
// notice, else one that names an installed package.
func (w *wanted) keepNotice(a *patchkit.Advisory) bool {
	if w.others {
		return true
	}
	for _, p := range a.Packages {
		if w.names[p.Name] {
			return true
		}
	}
	return false
}

// readPrimary streams primary.xml once: rpmmd.ParsePrimary reads the
// records, and primaryExtras reads build times, obsoletes and provides from
// the same bytes through a pipe. A record the parser refuses fails the
// repository.
func readPrimary(ctx context.Context, name string, r io.Reader, want *wanted, rd *repoData) error {
	pr, pw := io.Pipe()
	type result struct {
		ex  map[pkgKey]extra
		err error
	}
	done := make(chan result, 1)
	// With others, primaryExtras also lists the build time of every rpm
	// record in document order, which is the order ParsePrimary yields
	// them in: a kept record's ordinal finds its build time.
	var times []int64
	var timesp *[]int64
	if want.others {
		timesp = &times
	}
	go func() {
		ex, err := primaryExtras(ctx, name, pr, want.lim, want.names, want.installOnly, timesp)
		if err != nil {
			_, _ = io.Copy(io.Discard, pr) // keep the other reader going
		}
		done <- result{ex, err}
	}()
	tee := io.TeeReader(r, pw)
	var perr error
	n := 0
	for p, err := range rpmmd.ParsePrimary(name, tee, want.lim) {
		if err != nil {
			perr = err
			break
		}
		n++
		if n%4096 == 0 {
			if perr = ctx.Err(); perr != nil {
				break
			}
		}
		if want.names[p.Name] {
			rd.pkgs = append(rd.pkgs, p)
		} else if want.keepOther(p.Arch) {
			rd.others.add(newOther(p, rd.cfg, n-1))
		}
	}
	if perr == nil {
		// The document ends before the stream does only in whitespace;
		// read to the end so that the checksums are checked.
		_, perr = io.Copy(io.Discard, tee)
	}
	if perr != nil {
		pw.CloseWithError(perr)
	} else {
		pw.Close()
	}
	res := <-done
	if perr != nil {
		return perr
	}
	if res.err != nil {
		return res.err
	}
	if want.others {
		if len(times) != n {
			return &repo.SyntaxError{File: name, Msg: fmt.Sprintf("%d package records, but %d build times read beside them", n, len(times))}
		}
		rd.others.each(func(o *otherPkg) { o.built, o.ord = times[o.ord], 0 })
	}
	rd.extras = res.ex
	rd.status.Packages = n
	return nil
}

// readUpdateinfo keeps the notices that name an installed package.
func readUpdateinfo(ctx context.Context, name string, r io.Reader, id string, want *wanted, rd *repoData) error {
	n := 0
	for a, err := range rpmmd.ParseUpdateinfo(name, r, id, want.lim) {
		if err != nil {
			return err
		}
		if n++; n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if want.keepNotice(&a) {
			rd.advisories = append(rd.advisories, a)
		}
	}
	// The checksums are checked at the end of the stream.
	_, err := io.Copy(io.Discard, r)
	return err
}

// readRefreshed fetches the repository through the client with
// repo/rpmmd.Update, which verifies the signature, checksums and dates and
// keeps the metadata in the client's cache, then reads its packages and
// notices. rpmmd's snapshot does not expose primary.xml itself, so build
// times, obsoletes and installonly provides are not known in this mode.
func readRefreshed(ctx context.Context, fsys fs.FS, o *options, cfg *config, rc *repoConfig, want *wanted) *repoData {
	rd := &repoData{cfg: rc, status: repo.Status{Name: rc.ID}}
	fail := func(err error) *repoData {
		rd.status = repo.StatusOf(rc.ID, err)
		rd.pkgs, rd.others, rd.extras, rd.advisories = nil, otherList{}, nil, nil
		return rd
	}
	r, err := rpmmd.FromConfig(ctx, o.client, fsys, rc.RPMRepo)
	if err != nil {
		return fail(err)
	}
	r.RequireSignature = rc.repoGPGCheck
	r.MaxAge = o.maxAge
	// Keys dnf imported for the repository, and the caller's.
	var cacheDir string
	if cfg.flavor == YUM {
		cacheDir = path.Join(cfg.main.cacheDir, rc.ID)
	} else {
		cacheDir = path.Join(cfg.main.cacheDir, dnfCacheName(&rc.RPMRepo))
	}
	kr, _ := repoKeys(ctx, fsys, &options{keyring: o.keyring}, &repoConfig{}, cacheDir)
	r.Keyring = r.Keyring.Merge(kr)
	snap, err := rpmmd.Update(ctx, o.client, r)
	if err != nil {
		return fail(err)
	}
	rd.status.Verified = snap.Verified
	rd.status.Date = snap.Repomd.Generated
	if err := fresh(o, rc.ID+" repomd.xml", snap.Repomd); err != nil {
		return fail(err)
	}
	_, rd.hasModules = snap.Repomd.Data["modules"]
	n := 0
	for p, err := range snap.Packages(ctx) {
		if err != nil {
			return fail(err)
		}
		n++
		if want.names[p.Name] {
			rd.pkgs = append(rd.pkgs, p)
		} else if want.keepOther(p.Arch) {
			rd.others.add(newOther(p, rd.cfg, 0))
		}
	}
	rd.status.Packages = n
	for a, err := range snap.Advisories(ctx) {
		if err != nil {
			return fail(err)
		}
		if want.keepNotice(&a) {
			rd.advisories = append(rd.advisories, a)
		}
	}
	rd.notes = append(rd.notes, rc.ID+": fetched fresh; build times and obsoletes are not read in this mode (repo/rpmmd does not expose them)")
	rd.status.Health = repo.HealthOK
	return rd
}
