package apt

import (
	"bytes"
	"context"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"path"
	"strings"
	"time"

	"github.com/patchkit/patchkit/repo"
)

// state is what the cache keeps about an apt repository besides files.
type state struct {
	Date     time.Time `json:"Date"`
	Info     Origin    `json:"Info"`
	Signed   bool      `json:"Signed"`
	Signers  []string  `json:"Signers,omitempty"`
	Indexes  []string  `json:"Indexes"` // Release paths of the index files kept
	Skipped  []string  `json:"Skipped,omitempty"`
	Detached bool      `json:"Detached,omitempty"` // Release + Release.gpg rather than InRelease
	Repo     string    `json:"Repo"`
}

// Snapshot is a verified state of one repository: its Release and the
// index files it names, all checked.
type Snapshot struct {
	Repo    Repo
	Release *Release
	// Verified is true when the Release was signed by a key of the
	// repository's keyring; false only for a Trusted unsigned repository.
	Verified bool
	// Signers are the fingerprints of the keys whose signatures verified.
	Signers []string
	// Indexes are the Packages files, in component and architecture order.
	Indexes []Index
	// Skipped lists index files that were configured but that the Release
	// does not list (e.g. an architecture the repository lacks).
	Skipped []string

	client *repo.Client
	dir    string
	lists  *listsSource
}

// Index is one Packages file of a snapshot.
type Index struct {
	Component, Architecture string
	// Path is the Release path of the file as stored (with its
	// compression extension).
	Path string
	Info FileInfo
	// Plain is the Release entry of the uncompressed file, when listed.
	Plain FileInfo

	alts []FileInfo // other listed variants, in order of preference
}

// Name returns the repository's name ("URI suite").
func (s *Snapshot) Name() string { return s.Repo.Name() }

func (r Repo) cacheKey() string {
	return repo.CacheKey("apt " + strings.TrimRight(r.URI, "/") + " " + r.Suite)
}

func distBase(base, suite string) string {
	base = strings.TrimRight(base, "/")
	if strings.HasSuffix(suite, "/") {
		s := strings.Trim(suite, "/")
		if s == "." || s == "" {
			return base + "/"
		}
		return base + "/" + s + "/"
	}
	return base + "/dists/" + suite + "/"
}

func (r Repo) bases() []string {
	out := []string{distBase(r.URI, r.Suite)}
	for _, m := range r.Mirrors {
		out = append(out, distBase(m, r.Suite))
	}
	return out
}

// compression preference when a Release lists several variants: fast to
// decode first.
var preferExt = []string{".zst", ".gz", ".xz", ".lz4", ".bz2", ""}

// Update fetches the repository's Release and index files, verifies them
// (signature against r.Keyring, freshness, sizes and checksums) and commits
// them to the client's cache in one step. On any error the cache is left
// as it was and nothing is returned.
func Update(ctx context.Context, c *repo.Client, r Repo) (*Snapshot, error) {
	if r.URI == "" || r.Suite == "" {
		return nil, errors.New("apt: repository needs a URI and a suite")
	}
	if !r.Flat() && len(r.Components) == 0 {
		return nil, errors.New("apt: repository needs components")
	}
	tx, err := c.Begin(ctx, r.cacheKey())
	if err != nil {
		return nil, err
	}
	defer tx.Abort()
	var old *state
	oldFiles := map[string]repo.ManifestEntry{}
	if m := tx.Old(); m != nil {
		old = &state{}
		if err := json.Unmarshal(m.State, old); err != nil {
			return nil, fmt.Errorf("apt: cache state of %s: %w", r.Name(), err)
		}
		oldFiles = m.Files
	}
	name := r.Name()
	log := c.Logger().With("repository", name)

	rel, content, verified, files, err := fetchRelease(ctx, c, tx, r, old, oldFiles)
	if err != nil {
		return nil, err
	}
	_ = content
	now := c.Now()
	relFile := name + " Release"
	if err := rel.CheckFreshness(relFile, now, c.MaxFutureSkew(), r.IgnoreValidUntil, r.MaxValidTime); err != nil {
		return nil, err
	}
	if old != nil {
		if rel.Date.Before(old.Date) {
			log.Warn("Release is older than the accepted one; keeping the cache", "date", rel.Date, "accepted", old.Date)
			return nil, &repo.RollbackError{File: relFile, Date: rel.Date, Accepted: old.Date}
		}
		if !r.AllowReleaseInfoChange {
			if err := checkInfo(name, &old.Info, rel.OriginInfo()); err != nil {
				return nil, err
			}
		}
	}
	snap := &Snapshot{Repo: r, Release: rel, Verified: verified != nil, client: c}
	if verified != nil {
		snap.Signers = verified.Signers
	}
	idx, skipped, err := selectIndexes(rel, r)
	if err != nil {
		return nil, err
	}
	for _, s := range skipped {
		log.Warn("configured index not in the Release; skipping", "file", s)
	}
	snap.Indexes, snap.Skipped = idx, skipped
	for i, ix := range idx {
		e, err := fetchIndex(ctx, c, tx, r, rel, ix, oldFiles[ix.Path])
		for _, alt := range ix.alts {
			if err == nil || !errors.Is(err, repo.ErrNotFound) {
				break
			}
			log.Info("index variant not found; trying the next", "file", ix.Path, "next", alt.Path)
			ix.Path, ix.Info = alt.Path, alt
			e, err = fetchIndex(ctx, c, tx, r, rel, ix, oldFiles[ix.Path])
		}
		if err != nil {
			return nil, err
		}
		idx[i] = ix
		files[ix.Path] = e
	}
	st := state{Date: rel.Date, Info: *rel.OriginInfo(), Signed: verified != nil, Signers: snap.Signers,
		Skipped: skipped, Repo: name, Detached: files["Release.gpg"].SHA256 != ""}
	for _, ix := range idx {
		st.Indexes = append(st.Indexes, ix.Path)
	}
	raw, _ := json.Marshal(st)
	if err := tx.Commit(&repo.Manifest{Files: files, State: raw}); err != nil {
		return nil, err
	}
	snap.dir = tx.Dir()
	log.Debug("updated", "date", rel.Date, "indexes", len(idx), "verified", snap.Verified)
	return snap, nil
}

// fetchRelease gets InRelease (or Release and Release.gpg) from the first
// mirror whose copy verifies, and stages it.
func fetchRelease(ctx context.Context, c *repo.Client, tx *repo.Tx, r Repo, old *state, oldFiles map[string]repo.ManifestEntry) (*Release, []byte, *repo.Verified, map[string]repo.ManifestEntry, error) {
	name := r.Name()
	var errs []error
	unsignedOnly := true
	for _, base := range r.bases() {
		files := map[string]repo.ManifestEntry{}
		// InRelease.
		data, ent, err := fetchSmall(ctx, c, tx, base+"InRelease", repo.MaxReleaseSize, oldFiles["InRelease"])
		if err == nil {
			content, v, verr := repo.VerifyClearSigned(name+" InRelease", data, r.Keyring, c.VerifyOptions())
			if verr != nil {
				c.Logger().Warn("InRelease failed verification", "url", base+"InRelease", "err", verr)
				errs = append(errs, verr)
				unsignedOnly = false
				continue
			}
			rel, perr := ParseRelease(name+" InRelease", content)
			if perr != nil {
				errs = append(errs, perr)
				unsignedOnly = false
				continue
			}
			if ent.SHA256, err = tx.Put(data); err != nil {
				return nil, nil, nil, nil, err
			}
			files["InRelease"] = ent
			return rel, content, v, files, nil
		}
		if !errors.Is(err, repo.ErrNotFound) {
			errs = append(errs, err)
			unsignedOnly = false
			continue
		}
		// Release + Release.gpg.
		data, ent, err = fetchSmall(ctx, c, tx, base+"Release", repo.MaxReleaseSize, oldFiles["Release"])
		if err != nil {
			errs = append(errs, err)
			if !errors.Is(err, repo.ErrNotFound) {
				unsignedOnly = false
			}
			continue
		}
		sig, sent, serr := fetchSmall(ctx, c, tx, base+"Release.gpg", repo.MaxSignatureSize, oldFiles["Release.gpg"])
		if serr != nil {
			if !errors.Is(serr, repo.ErrNotFound) {
				errs = append(errs, serr)
				unsignedOnly = false
				continue
			}
			// Unsigned.
			if old != nil && old.Signed && !r.AllowDowngradeToInsecure {
				errs = append(errs, &repo.DowngradeError{Repository: name})
				unsignedOnly = false
				continue
			}
			if !r.Trusted {
				errs = append(errs, &repo.SignatureError{File: name + " Release", Reason: "repository is not signed (no InRelease, no Release.gpg)"})
				continue
			}
			rel, perr := ParseRelease(name+" Release", data)
			if perr != nil {
				errs = append(errs, perr)
				continue
			}
			if ent.SHA256, err = tx.Put(data); err != nil {
				return nil, nil, nil, nil, err
			}
			files["Release"] = ent
			c.Logger().Warn("using an unsigned repository (trusted=yes)", "repository", name)
			return rel, data, nil, files, nil
		}
		v, verr := repo.VerifyDetached(name+" Release.gpg", data, sig, r.Keyring, c.VerifyOptions())
		if verr != nil {
			errs = append(errs, verr)
			unsignedOnly = false
			continue
		}
		rel, perr := ParseRelease(name+" Release", data)
		if perr != nil {
			errs = append(errs, perr)
			unsignedOnly = false
			continue
		}
		if ent.SHA256, err = tx.Put(data); err != nil {
			return nil, nil, nil, nil, err
		}
		if sent.SHA256, err = tx.Put(sig); err != nil {
			return nil, nil, nil, nil, err
		}
		files["Release"], files["Release.gpg"] = ent, sent
		return rel, data, v, files, nil
	}
	if unsignedOnly && old != nil && old.Signed && !r.AllowDowngradeToInsecure {
		return nil, nil, nil, nil, &repo.DowngradeError{Repository: name}
	}
	return nil, nil, nil, nil, errors.Join(errs...)
}

// fetchSmall downloads a small file into memory, conditionally when the
// cache has a copy (which is then read back from the cache).
func fetchSmall(ctx context.Context, c *repo.Client, tx *repo.Tx, url string, limit int64, cached repo.ManifestEntry) ([]byte, repo.ManifestEntry, error) {
	var cond *repo.Conditional
	if cached.URL == url && cached.SHA256 != "" && (cached.ETag != "" || cached.LastModified != "") {
		cond = &repo.Conditional{ETag: cached.ETag, LastModified: cached.LastModified}
	}
	var buf bytes.Buffer
	f, err := c.Fetch(ctx, url, limit, &buf, cond)
	if err != nil {
		return nil, repo.ManifestEntry{}, err
	}
	if f.NotModified {
		o, err := tx.OpenObject(cached.SHA256)
		if err == nil {
			data, rerr := repo.ReadVerified(o, url+" (cached)", cached.Size, cached.SHA256)
			o.Close()
			if rerr == nil {
				return data, cached, nil
			}
		}
		// The cached copy is gone or damaged: fetch it whole.
		buf.Reset()
		if f, err = c.Fetch(ctx, url, limit, &buf, nil); err != nil {
			return nil, repo.ManifestEntry{}, err
		}
	}
	return buf.Bytes(), repo.ManifestEntry{URL: url, ETag: f.ETag, LastModified: f.LastModified, Size: int64(buf.Len())}, nil
}

// selectIndexes picks, for each component and architecture, the Packages
// variant to read.
func selectIndexes(rel *Release, r Repo) ([]Index, []string, error) {
	archs := r.Architectures
	if len(archs) == 0 && !r.Flat() {
		return nil, nil, noArchitectures(r)
	}
	has := func(a string) bool {
		for _, x := range archs {
			if x == a {
				return true
			}
		}
		return false
	}
	if !has("all") && containsStr(rel.Architectures, "all") && rel.NoSupportForArchAll != "Packages" {
		// apt reads binary-all when the Release offers the "all"
		// architecture on its own.
		archs = append(append([]string{}, archs...), "all")
	}
	comps := r.Components
	if r.Flat() {
		comps = []string{""}
	}
	var (
		out     []Index
		skipped []string
	)
	for _, comp := range comps {
		for _, arch := range archs {
			base := "Packages"
			if !r.Flat() {
				base = comp + "/binary-" + arch + "/Packages"
			}
			ix, err := pickVariant(rel, base)
			if err != nil {
				if errors.Is(err, errNoIndex) {
					skipped = append(skipped, base)
					continue
				}
				return nil, nil, err
			}
			ix.Component, ix.Architecture = comp, arch
			if r.Flat() {
				ix.Architecture = ""
			}
			out = append(out, ix)
		}
		if r.Flat() {
			break
		}
	}
	if len(out) == 0 {
		return nil, skipped, &repo.SyntaxError{File: r.Name() + " Release", Msg: "lists none of the configured index files: " + strings.Join(skipped, ", ")}
	}
	return out, skipped, nil
}

func containsStr(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func pickVariant(rel *Release, base string) (Index, error) {
	plain := rel.Files[base]
	listed := false
	var cands []FileInfo
	for _, ext := range preferExt {
		fi, ok := rel.Files[base+ext]
		if !ok {
			continue
		}
		listed = true
		if fi.SHA256 != "" {
			cands = append(cands, fi)
		}
	}
	if !listed {
		return Index{}, errNoIndex
	}
	if len(cands) == 0 {
		// Listed, but without a SHA-256: weak checksums only.
		return Index{}, &repo.HashMismatchError{File: base}
	}
	return Index{Path: cands[0].Path, Info: cands[0], Plain: plain, alts: cands[1:]}, nil
}

// fetchIndex makes sure the index file is staged or already committed,
// downloading it from the first mirror whose copy has the signed size and
// checksum.
func fetchIndex(ctx context.Context, c *repo.Client, tx *repo.Tx, r Repo, rel *Release, ix Index, cached repo.ManifestEntry) (repo.ManifestEntry, error) {
	fi := ix.Info
	if tx.HasObject(fi.SHA256) {
		e := cached
		e.SHA256, e.Size = fi.SHA256, fi.Size
		return e, nil
	}
	var errs []error
	for _, base := range r.bases() {
		urls := []string{base + ix.Path}
		if rel.AcquireByHash {
			urls = []string{base + path.Dir(ix.Path) + "/by-hash/SHA256/" + fi.SHA256, base + ix.Path}
		}
		for i, u := range urls {
			e, err := downloadVerified(ctx, c, tx, u, r.Name()+" "+ix.Path, fi)
			if err == nil {
				return e, nil
			}
			if i == 0 && len(urls) > 1 && errors.Is(err, repo.ErrNotFound) {
				continue // by-hash missing: try the canonical path
			}
			errs = append(errs, err)
			break
		}
	}
	return repo.ManifestEntry{}, errors.Join(errs...)
}

func downloadVerified(ctx context.Context, c *repo.Client, tx *repo.Tx, url, name string, fi FileInfo) (repo.ManifestEntry, error) {
	st, err := tx.Create()
	if err != nil {
		return repo.ManifestEntry{}, err
	}
	var w io.Writer = st
	h512 := sha512.New()
	if fi.SHA512 != "" {
		w = io.MultiWriter(st, h512)
	}
	f, err := c.Fetch(ctx, url, fi.Size, w, nil)
	if err != nil {
		st.Discard()
		var tl *repo.TooLargeError
		if errors.As(err, &tl) {
			return repo.ManifestEntry{}, &repo.SizeError{File: name, Want: fi.Size, Got: fi.Size + 1}
		}
		return repo.ManifestEntry{}, err
	}
	if st.Size() != fi.Size {
		st.Discard()
		return repo.ManifestEntry{}, &repo.SizeError{File: name, Want: fi.Size, Got: st.Size()}
	}
	if got := st.SHA256(); got != fi.SHA256 {
		st.Discard()
		return repo.ManifestEntry{}, &repo.HashMismatchError{File: name, Algorithm: "SHA256", Want: fi.SHA256, Got: got}
	}
	if fi.SHA512 != "" {
		if got := hex.EncodeToString(h512.Sum(nil)); got != fi.SHA512 {
			st.Discard()
			return repo.ManifestEntry{}, &repo.HashMismatchError{File: name, Algorithm: "SHA512", Want: fi.SHA512, Got: got}
		}
	}
	if err := st.Keep(); err != nil {
		return repo.ManifestEntry{}, err
	}
	return repo.ManifestEntry{SHA256: fi.SHA256, Size: fi.Size, URL: f.URL}, nil
}

// Open returns the snapshot of r committed in the client's cache, checked
// again: the Release's signature against r.Keyring and its freshness now.
// It returns an error wrapping repo.ErrNotFound when the cache has none.
func Open(ctx context.Context, c *repo.Client, r Repo) (*Snapshot, error) {
	m, dir, err := c.LoadManifest(r.cacheKey())
	if err != nil {
		return nil, err
	}
	if m == nil {
		return nil, fmt.Errorf("apt: %s: no cached metadata: %w", r.Name(), repo.ErrNotFound)
	}
	var st state
	if err := json.Unmarshal(m.State, &st); err != nil {
		return nil, err
	}
	name := r.Name()
	read := func(file string) ([]byte, error) {
		e, ok := m.Files[file]
		if !ok {
			return nil, fmt.Errorf("apt: %s: cache has no %s", name, file)
		}
		f, err := os.Open(repo.ObjectPath(dir, e.SHA256))
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return repo.ReadVerified(f, name+" "+file+" (cached)", e.Size, e.SHA256)
	}
	var (
		rel *Release
		v   *repo.Verified
	)
	switch {
	case m.Files["InRelease"].SHA256 != "":
		data, err := read("InRelease")
		if err != nil {
			return nil, err
		}
		content, vv, err := repo.VerifyClearSigned(name+" InRelease", data, r.Keyring, c.VerifyOptions())
		if err != nil {
			return nil, err
		}
		v = vv
		if rel, err = ParseRelease(name+" InRelease", content); err != nil {
			return nil, err
		}
	default:
		data, err := read("Release")
		if err != nil {
			return nil, err
		}
		if st.Detached {
			sig, err := read("Release.gpg")
			if err != nil {
				return nil, err
			}
			if v, err = repo.VerifyDetached(name+" Release.gpg", data, sig, r.Keyring, c.VerifyOptions()); err != nil {
				return nil, err
			}
		} else if !r.Trusted {
			return nil, &repo.SignatureError{File: name + " Release", Reason: "cached repository is not signed"}
		}
		if rel, err = ParseRelease(name+" Release", data); err != nil {
			return nil, err
		}
	}
	if err := rel.CheckFreshness(name+" Release", c.Now(), c.MaxFutureSkew(), r.IgnoreValidUntil, r.MaxValidTime); err != nil {
		return nil, err
	}
	idx, skipped, err := selectIndexes(rel, r)
	if err != nil {
		return nil, err
	}
	for i, ix := range idx {
		found := false
		for _, fi := range append([]FileInfo{ix.Info}, ix.alts...) {
			if e, ok := m.Files[fi.Path]; ok && e.SHA256 == fi.SHA256 {
				ix.Path, ix.Info, found = fi.Path, fi, true
				break
			}
		}
		if !found {
			return nil, fmt.Errorf("apt: %s: cache lacks %s: %w", name, ix.Path, repo.ErrNotFound)
		}
		idx[i] = ix
	}
	snap := &Snapshot{Repo: r, Release: rel, Verified: v != nil, Indexes: idx, Skipped: skipped, client: c, dir: dir}
	if v != nil {
		snap.Signers = v.Signers
	}
	return snap, nil
}

// Packages streams the package records of every index of the snapshot,
// each file checked against the signed Release before a record of it is
// returned. Per-stanza errors are yielded in place and the iteration goes
// on; other errors end it.
//
// A stored file that the Release lists is checked before it is
// decompressed, and its records are returned as they are parsed (a
// mismatch of its listed uncompressed size or checksum, found at its end,
// is an error after them); a file of which only the uncompressed form is
// listed (apt's recompressed lists) is decompressed, checked and parsed
// in one pass, and its records are returned only once its checksum
// matched.
func (s *Snapshot) Packages(ctx context.Context) iter.Seq2[Package, error] {
	return func(yield func(Package, error) bool) {
		st := newReadState(s.Release.OriginInfo())
		for _, ix := range s.Indexes {
			if err := ctx.Err(); err != nil {
				yield(Package{}, err)
				return
			}
			if !s.indexPackages(ctx, ix, st, yield) {
				return
			}
		}
	}
}

func (s *Snapshot) maxFile() int64 {
	if s.client != nil {
		return s.client.MaxFileSize()
	}
	return 2 << 30
}

func (s *Snapshot) indexPackages(ctx context.Context, ix Index, st *readState, yield func(Package, error) bool) bool {
	name := s.Name() + " " + ix.Path
	if s.lists != nil {
		return s.lists.packages(ctx, s, ix, st, yield)
	}
	f, err := os.Open(repo.ObjectPath(s.dir, ix.Info.SHA256))
	if err != nil {
		return yield(Package{}, err)
	}
	data, err := repo.ReadVerified(f, name, ix.Info.Size, ix.Info.SHA256)
	f.Close()
	if err != nil {
		return yield(Package{}, err)
	}
	want := repo.Expect{Size: ix.Plain.Size}
	if ix.Plain.SHA256 != "" {
		want.Algorithm, want.Sum = "SHA256", ix.Plain.SHA256
	}
	if ix.Plain.Path == "" {
		want = repo.Expect{}
	}
	if ix.Path == ix.Plain.Path {
		// Plain file: its own checksum was checked above.
		want = repo.Expect{}
	}
	dr, err := repo.Decompress(ix.Path, data, s.maxFile(), want)
	if err != nil {
		return yield(Package{}, err)
	}
	// The stored file was checked above: records are returned as they are
	// parsed.
	more, fatal := st.stream(ctx, dr, name, false, want.Size, yield)
	if more && fatal != nil {
		var se *repo.SyntaxError
		var pe *repo.PathError
		if !errors.As(fatal, &se) && !errors.As(fatal, &pe) {
			return false
		}
	}
	return more
}
