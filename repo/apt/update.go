package apt

import (
	"context"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"path"
	"strings"

	"github.com/patchkit/patchkit/internal/repocache"
	"github.com/patchkit/patchkit/repo"
)

// state is what the cache keeps about an apt repository besides files.
type state struct {
	accepted
	Signers  []string `json:"Signers,omitempty"`
	Indexes  []string `json:"Indexes"` // Release paths of the index files kept
	Skipped  []string `json:"Skipped,omitempty"`
	Detached bool     `json:"Detached,omitempty"` // Release + Release.gpg rather than InRelease
	Repo     string   `json:"Repo"`
}

// Snapshot is an accepted state of one repository: its Release, signed
// by a key of the repository's keyring unless the repository is Trusted
// (see Verified), and the index files it names, each checked against the
// Release's checksums and sizes.
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

	policy repo.Policy
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
	return repocache.CacheKey("apt " + strings.TrimRight(r.URI, "/") + " " + r.Suite)
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
// as it was and nothing is returned. The Release is checked as Open and
// OpenLists check theirs, and against the one accepted before (rollback,
// release information, downgrade to unsigned); each mirror's copy is
// checked on its own, and the first that passes is used.
func Update(ctx context.Context, c *repo.Client, r Repo) (*Snapshot, error) {
	if err := checkRepo("apt.Update", c == nil, r); err != nil {
		return nil, err
	}
	tx, err := repocache.Begin(ctx, c, r.cacheKey())
	if err != nil {
		return nil, err
	}
	defer tx.Abort()
	var old *state
	oldFiles := map[string]repocache.ManifestEntry{}
	if m := tx.Old(); m != nil {
		old = &state{}
		if err := json.Unmarshal(m.State, old); err != nil {
			return nil, fmt.Errorf("apt: cache state of %s: %w", r.Name(), err)
		}
		oldFiles = m.Files
	}
	name := r.Name()
	log := c.Logger().With("repository", name)
	pol := c.Policy()
	now := pol.Time()
	var prev *accepted
	if old != nil {
		prev = &old.accepted
	}
	vr, src, err := repocache.FirstAccepted(c, tx, r.bases(), "", oldFiles, log, "Release", func(src *repocache.Remote) (*verifiedRelease, error) {
		return verifyRelease(ctx, src, r, pol, now, prev)
	})
	if err != nil {
		return nil, err
	}
	files, err := src.Stage(vr.files)
	if err != nil {
		return nil, err
	}
	if vr.v == nil {
		log.Warn("using an unsigned repository (trusted=yes)")
	}
	rel := vr.rel
	snap := newSnapshot(r, vr, pol)
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
	st := state{accepted: accepted{Date: rel.Date, Info: *rel.OriginInfo(), Signed: vr.v != nil}, Signers: snap.Signers,
		Skipped: skipped, Repo: name, Detached: files["Release.gpg"].SHA256 != ""}
	for _, ix := range idx {
		st.Indexes = append(st.Indexes, ix.Path)
	}
	raw, _ := json.Marshal(st)
	if err := tx.Commit(&repocache.Manifest{Files: files, State: raw}); err != nil {
		return nil, err
	}
	snap.dir = tx.Dir()
	log.Debug("updated", "date", rel.Date, "indexes", len(idx), "verified", snap.Verified)
	return snap, nil
}

// checkRepo checks the preconditions of reading r.
func checkRepo(fn string, nilArg bool, r Repo) error {
	switch {
	case nilArg:
		return &repo.InvalidError{Func: fn, Reason: "nil client or lists directory"}
	case r.URI == "" || r.Suite == "":
		return &repo.InvalidError{Func: fn, Reason: "repository needs a URI and a suite"}
	case !r.Flat() && len(r.Components) == 0:
		return &repo.InvalidError{Func: fn, Reason: r.Name() + ": repository needs components"}
	}
	return nil
}

// newSnapshot starts the snapshot of an accepted Release.
func newSnapshot(r Repo, vr *verifiedRelease, pol repo.Policy) *Snapshot {
	snap := &Snapshot{Repo: r, Release: vr.rel, Verified: vr.v != nil, policy: pol}
	if vr.v != nil {
		snap.Signers = vr.v.Signers
	}
	return snap
}

// selectIndexes picks, for each component and architecture, the Packages
// variant to read.
func selectIndexes(rel *Release, r Repo) ([]Index, []string, error) {
	if r.Flat() {
		// A flat repository has one Packages file, whatever the
		// architectures: apt reads it once, and the architectures
		// choose among its records.
		ix, err := pickVariant(rel, "Packages")
		if errors.Is(err, errNoIndex) {
			return nil, []string{"Packages"}, &repo.SyntaxError{File: r.Name() + " Release", Msg: "lists none of the configured index files: Packages"}
		}
		if err != nil {
			return nil, nil, err
		}
		return []Index{ix}, nil, nil
	}
	archs := r.Architectures
	if len(archs) == 0 {
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
	var (
		out     []Index
		skipped []string
	)
	for _, comp := range r.Components {
		for _, arch := range archs {
			base := comp + "/binary-" + arch + "/Packages"
			ix, err := pickVariant(rel, base)
			if err != nil {
				if errors.Is(err, errNoIndex) {
					skipped = append(skipped, base)
					continue
				}
				return nil, nil, err
			}
			ix.Component, ix.Architecture = comp, arch
			out = append(out, ix)
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
func fetchIndex(ctx context.Context, c *repo.Client, tx *repocache.Tx, r Repo, rel *Release, ix Index, cached repocache.ManifestEntry) (repocache.ManifestEntry, error) {
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
	return repocache.ManifestEntry{}, errors.Join(errs...)
}

func downloadVerified(ctx context.Context, c *repo.Client, tx *repocache.Tx, url, name string, fi FileInfo) (repocache.ManifestEntry, error) {
	st, err := tx.Create()
	if err != nil {
		return repocache.ManifestEntry{}, err
	}
	var w io.Writer = st
	h512 := sha512.New()
	if fi.SHA512 != "" {
		w = io.MultiWriter(st, h512)
	}
	// A limit of 0 would be the client's default: an empty file is
	// fetched with a limit of one byte, which its size check refuses.
	f, err := c.Fetch(ctx, url, max(fi.Size, 1), w, nil)
	if err != nil {
		st.Discard()
		var tl *repo.TooLargeError
		if errors.As(err, &tl) {
			return repocache.ManifestEntry{}, &repo.SizeError{File: name, Want: fi.Size, Got: fi.Size + 1}
		}
		return repocache.ManifestEntry{}, err
	}
	if st.Size() != fi.Size {
		st.Discard()
		return repocache.ManifestEntry{}, &repo.SizeError{File: name, Want: fi.Size, Got: st.Size()}
	}
	if got := st.SHA256(); got != fi.SHA256 {
		st.Discard()
		return repocache.ManifestEntry{}, &repo.HashMismatchError{File: name, Algorithm: "SHA256", Want: fi.SHA256, Got: got}
	}
	if fi.SHA512 != "" {
		if got := hex.EncodeToString(h512.Sum(nil)); got != fi.SHA512 {
			st.Discard()
			return repocache.ManifestEntry{}, &repo.HashMismatchError{File: name, Algorithm: "SHA512", Want: fi.SHA512, Got: got}
		}
	}
	if err := st.Keep(); err != nil {
		return repocache.ManifestEntry{}, err
	}
	return repocache.ManifestEntry{SHA256: fi.SHA256, Size: fi.Size, URL: f.URL}, nil
}

// Open returns the snapshot of r committed in the client's cache, checked
// again as Update checked it: the Release's signature against r.Keyring
// (InRelease, or Release with the Release.gpg the cache holds), its
// freshness at the client's time, and the state recorded with it (a cache
// recorded as signed that holds no signature is refused, as are a Release
// older than the recorded one and changed release information). It returns
// an error wrapping repo.ErrNotFound when the cache has none.
func Open(ctx context.Context, c *repo.Client, r Repo) (*Snapshot, error) {
	if err := checkRepo("apt.Open", c == nil, r); err != nil {
		return nil, err
	}
	m, dir, err := repocache.Load(c, r.cacheKey())
	if err != nil {
		return nil, err
	}
	name := r.Name()
	if m == nil {
		return nil, fmt.Errorf("apt: %s: no cached metadata: %w", name, repo.ErrNotFound)
	}
	var st state
	if err := json.Unmarshal(m.State, &st); err != nil {
		return nil, fmt.Errorf("apt: cache state of %s: %w", name, err)
	}
	pol := c.Policy()
	vr, err := verifyRelease(ctx, &repocache.Committed{Manifest: m, Dir: dir, Name: "apt: " + name}, r, pol, pol.Time(), &st.accepted)
	if err != nil {
		return nil, err
	}
	idx, skipped, err := selectIndexes(vr.rel, r)
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
	snap := newSnapshot(r, vr, pol)
	snap.Indexes, snap.Skipped, snap.dir = idx, skipped, dir
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

func (s *Snapshot) maxFile() int64 { return s.policy.FileLimit() }

func (s *Snapshot) indexPackages(ctx context.Context, ix Index, st *readState, yield func(Package, error) bool) bool {
	name := s.Name() + " " + ix.Path
	if s.lists != nil {
		return s.lists.packages(ctx, s, ix, st, yield)
	}
	data, err := repocache.ReadObject(s.dir, repocache.ManifestEntry{SHA256: ix.Info.SHA256, Size: ix.Info.Size}, name, s.maxFile())
	if err != nil {
		return yield(Package{}, err)
	}
	want := repocache.Expect{Size: ix.Plain.Size}
	if ix.Plain.SHA256 != "" {
		want.Algorithm, want.Sum = "SHA256", ix.Plain.SHA256
	}
	if ix.Plain.Path == "" {
		want = repocache.Expect{}
	}
	if ix.Path == ix.Plain.Path {
		// Plain file: its own checksum was checked above.
		want = repocache.Expect{}
	}
	dr, err := repocache.Decompress(ix.Path, data, s.maxFile(), want)
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
