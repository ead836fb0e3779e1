package repo

import (
	"bytes"
	"cmp"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"
	"unsafe"

	"github.com/ProtonMail/go-crypto/openpgp/armor"
	openpgp "github.com/ProtonMail/go-crypto/openpgp/v2"

	"github.com/patchkit/patchkit/internal/rootfs"
)

// MaxKeyringSize bounds a keyring file (apt's keyrings are a few kB).
const MaxKeyringSize = 10 << 20

// Keyring is a set of OpenPGP public keys that may sign a repository's
// metadata. The zero value and nil are empty keyrings, which verify nothing.
// A Keyring may be used by many goroutines at once, and so may the
// keyrings Merge and Filter make from it, which share its keys.
type Keyring struct {
	entities openpgp.EntityList
	// locks[i] guards entities[i]: the OpenPGP library records what it
	// has verified in the key as it verifies, so two verifications with
	// one key must not run at once. The lock goes wherever the key goes.
	locks   []*sync.Mutex
	sources []string
}

// lock takes the locks of the keyring's keys, each once, in the order of
// their addresses (so that two keyrings sharing keys never wait for each
// other in a cycle), and returns the function that releases them.
func (k *Keyring) lock() (unlock func()) {
	ls := slices.Clone(k.locks)
	slices.SortFunc(ls, func(a, b *sync.Mutex) int {
		return cmp.Compare(uintptr(unsafe.Pointer(a)), uintptr(unsafe.Pointer(b)))
	})
	ls = slices.Compact(ls)
	for _, l := range ls {
		l.Lock()
	}
	return func() {
		for _, l := range ls {
			l.Unlock()
		}
	}
}

// ParseKeyring reads public keys from data: binary OpenPGP (a .gpg keyring,
// one or more keys) or ASCII armour (one or more PUBLIC KEY BLOCKs, as in
// .asc files and RPM-GPG-KEY files). name is used in errors. A keyring with
// no usable key is an error.
func ParseKeyring(name string, data []byte) (*Keyring, error) {
	var el openpgp.EntityList
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if bytes.HasPrefix(trimmed, []byte("-----BEGIN PGP")) {
		rest := trimmed
		for len(bytes.TrimSpace(rest)) > 0 {
			i := bytes.Index(rest, []byte("-----BEGIN PGP"))
			if i < 0 {
				break
			}
			rest = rest[i:]
			endMarker := []byte("-----END PGP PUBLIC KEY BLOCK-----")
			j := bytes.Index(rest, endMarker)
			if j < 0 {
				return nil, &SyntaxError{File: name, Msg: "armoured key block without an END line"}
			}
			block := rest[:j+len(endMarker)]
			rest = rest[j+len(endMarker):]
			b, err := armor.Decode(bytes.NewReader(block))
			if err != nil {
				return nil, &SyntaxError{File: name, Msg: "cannot decode armoured key block", Err: err}
			}
			if b.Type != openpgp.PublicKeyType {
				return nil, &SyntaxError{File: name, Msg: "armour block is " + b.Type + ", want a public key block"}
			}
			keys, err := openpgp.ReadKeyRing(b.Body)
			if err != nil {
				return nil, &SyntaxError{File: name, Msg: "cannot read keys", Err: err}
			}
			el = append(el, keys...)
		}
	} else {
		keys, err := openpgp.ReadKeyRing(bytes.NewReader(data))
		if err != nil {
			return nil, &SyntaxError{File: name, Msg: "cannot read keys", Err: err}
		}
		el = keys
	}
	if len(el) == 0 {
		return nil, &SyntaxError{File: name, Msg: "no usable public key"}
	}
	locks := make([]*sync.Mutex, len(el))
	for i := range locks {
		locks[i] = new(sync.Mutex)
	}
	return &Keyring{entities: el, locks: locks, sources: []string{name}}, nil
}

// LoadKeyring reads and merges the key files paths (absolute or relative
// paths inside fsys; links are resolved inside the root).
func LoadKeyring(ctx context.Context, fsys fs.FS, paths ...string) (*Keyring, error) {
	var out *Keyring
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		rel := strings.TrimPrefix(path.Clean("/"+p), "/")
		data, err := rootfs.ReadFile(fsys, rel, MaxKeyringSize)
		if err != nil {
			return nil, fmt.Errorf("keyring %s: %w", p, err)
		}
		k, err := ParseKeyring(p, data)
		if err != nil {
			return nil, err
		}
		out = out.Merge(k)
	}
	if out == nil {
		return nil, &InvalidError{Func: "repo.LoadKeyring", Reason: "no keyring files given"}
	}
	return out, nil
}

// Merge returns a keyring with the keys of k and other.
func (k *Keyring) Merge(other *Keyring) *Keyring {
	out := &Keyring{}
	for _, x := range []*Keyring{k, other} {
		if x != nil {
			out.entities = append(out.entities, x.entities...)
			out.locks = append(out.locks, x.locks...)
			out.sources = append(out.sources, x.sources...)
		}
	}
	return out
}

// Len returns the number of keys (primary keys).
func (k *Keyring) Len() int {
	if k == nil {
		return 0
	}
	return len(k.entities)
}

// Fingerprints returns the primary key fingerprints in upper-case hex.
func (k *Keyring) Fingerprints() []string {
	if k == nil {
		return nil
	}
	out := make([]string, 0, len(k.entities))
	for _, e := range k.entities {
		out = append(out, strings.ToUpper(hex.EncodeToString(e.PrimaryKey.Fingerprint)))
	}
	return out
}

// Filter returns the keys whose primary or subkey fingerprint is one of
// fingerprints (hex, any case, spaces ignored; a trailing '!' as apt
// writes it for "this exact subkey" is accepted).
func (k *Keyring) Filter(fingerprints []string) *Keyring {
	want := map[string]bool{}
	for _, f := range fingerprints {
		f = strings.ToUpper(strings.ReplaceAll(strings.TrimSuffix(f, "!"), " ", ""))
		want[f] = true
	}
	out := &Keyring{}
	if k == nil {
		return out
	}
	for i, e := range k.entities {
		match := want[strings.ToUpper(hex.EncodeToString(e.PrimaryKey.Fingerprint))]
		for _, s := range e.Subkeys {
			if want[strings.ToUpper(hex.EncodeToString(s.PublicKey.Fingerprint))] {
				match = true
			}
		}
		if match {
			out.entities = append(out.entities, e)
			out.locks = append(out.locks, k.locks[i])
		}
	}
	out.sources = k.sources
	return out
}

// IsFingerprint reports whether s looks like an OpenPGP fingerprint (40 or
// 64 hex digits, optionally with a trailing '!'), as apt's Signed-By allows
// in place of a file.
func IsFingerprint(s string) bool {
	s = strings.TrimSuffix(strings.ReplaceAll(s, " ", ""), "!")
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// AptKeyring returns the keyring that may sign src's Release files, read
// from fsys (the root the configuration came from): the inline key, the
// Signed-By key files, or, for fingerprints and when Signed-By is absent,
// apt's trusted keyrings (etc/apt/trusted.gpg and etc/apt/trusted.gpg.d),
// filtered to the fingerprints where given.
func AptKeyring(ctx context.Context, fsys fs.FS, src AptSource) (*Keyring, error) {
	var kr *Keyring
	if src.SignedByKey != "" {
		k, err := ParseKeyring(src.File+": Signed-By", []byte(src.SignedByKey))
		if err != nil {
			return nil, err
		}
		kr = kr.Merge(k)
	}
	var files, fprs []string
	for _, s := range src.SignedBy {
		if IsFingerprint(s) {
			fprs = append(fprs, s)
		} else {
			files = append(files, s)
		}
	}
	if len(files) > 0 {
		k, err := LoadKeyring(ctx, fsys, files...)
		if err != nil {
			return nil, err
		}
		kr = kr.Merge(k)
	}
	if len(fprs) > 0 || (src.SignedByKey == "" && len(src.SignedBy) == 0) {
		trusted, err := trustedKeyring(ctx, fsys)
		if err != nil {
			return nil, err
		}
		if len(fprs) > 0 {
			trusted = trusted.Filter(fprs)
		}
		kr = kr.Merge(trusted)
	}
	if kr.Len() == 0 {
		return nil, &SignatureError{File: src.File, Reason: "no usable key for this source"}
	}
	return kr, nil
}

func trustedKeyring(ctx context.Context, fsys fs.FS) (*Keyring, error) {
	var files []string
	if ok, _ := rootfs.Exists(fsys, "etc/apt/trusted.gpg"); ok {
		files = append(files, "/etc/apt/trusted.gpg")
	}
	entries, err := fs.ReadDir(fsys, "etc/apt/trusted.gpg.d")
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	for _, e := range entries {
		if n := e.Name(); strings.HasSuffix(n, ".gpg") || strings.HasSuffix(n, ".asc") {
			files = append(files, "/etc/apt/trusted.gpg.d/"+n)
		}
	}
	if len(files) == 0 {
		return &Keyring{}, nil
	}
	return LoadKeyring(ctx, fsys, files...)
}
