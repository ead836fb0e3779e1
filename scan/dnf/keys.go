package dnf

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"strings"

	"github.com/patchkit/patchkit/internal/rootfs"
	"github.com/patchkit/patchkit/repo"
)

// KeyboxError reports a GnuPG keybox file (pubring.kbx) that is not well
// formed, with the byte offset of the blob at fault.
type KeyboxError struct {
	File   string
	Offset int
	Reason string
}

func (e *KeyboxError) Error() string {
	return fmt.Sprintf("%s: keybox blob at offset %d: %s", e.File, e.Offset, e.Reason)
}

// Is reports whether target is repo.ErrSignature: keys that cannot be read
// verify nothing.
func (e *KeyboxError) Is(target error) bool { return target == repo.ErrSignature }

// ParseKeybox returns the OpenPGP keys of a GnuPG keybox file (the
// pubring.kbx that gpg 2.1 and later writes, and that dnf keeps for each
// repository whose metadata it verifies), as one binary keyring. Each blob
// is length-prefixed; OpenPGP blobs (type 2) hold a keyblock at an offset
// the blob gives and end with the SHA-1 of the rest of the blob, which is
// checked when it is set. The first blob (type 1) must carry the "KBXf"
// magic; empty blobs (type 0) and X.509 blobs (type 3) are skipped.
func ParseKeybox(name string, data []byte) ([]byte, error) {
	var out []byte
	for off := 0; off < len(data); {
		bad := func(format string, a ...any) ([]byte, error) {
			return nil, &KeyboxError{File: name, Offset: off, Reason: fmt.Sprintf(format, a...)}
		}
		if len(data)-off < 6 {
			return bad("%d bytes left, shorter than a blob header", len(data)-off)
		}
		n := int(binary.BigEndian.Uint32(data[off:]))
		if n < 6 || n > len(data)-off {
			return bad("length %d outside the %d bytes left", n, len(data)-off)
		}
		blob := data[off : off+n]
		typ := blob[4]
		switch {
		case off == 0:
			if typ != 1 || n < 12 || string(blob[8:12]) != "KBXf" {
				return bad("not a keybox file (no KBXf header blob)")
			}
		case typ == 1:
			return bad("a second header blob")
		case typ == 2:
			if blob[5] != 1 {
				return bad("OpenPGP blob version %d, want 1", blob[5])
			}
			if n < 16+20 {
				return bad("OpenPGP blob of %d bytes is too short", n)
			}
			ko := int(binary.BigEndian.Uint32(blob[8:]))
			kl := int(binary.BigEndian.Uint32(blob[12:]))
			if ko < 16 || kl <= 0 || ko > n-20 || kl > n-20-ko {
				return bad("keyblock at %d length %d outside the blob of %d bytes", ko, kl, n)
			}
			sum := blob[n-20:]
			if !allZero(sum) {
				h := sha1.Sum(blob[:n-20])
				if !bytes.Equal(h[:], sum) {
					return bad("checksum mismatch")
				}
			}
			out = append(out, blob[ko:ko+kl]...)
		}
		off += n
	}
	return out, nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// repoKeys gathers the keys trusted to sign the repository's repomd.xml:
// the gpgkey files inside the root (file: URLs), the keys the package
// manager imported for the repository (dnf's pubring in the repository's
// cache directory, yum's gpgdir), http and https gpgkey URLs through the
// client when there is one, and the caller's keyring. Problems with single
// sources are returned as notes; they matter only when no key is left.
func repoKeys(ctx context.Context, fsys fs.FS, o *options, rc *repoConfig, cacheDir string) (*repo.Keyring, []string) {
	var (
		kr    *repo.Keyring
		notes []string
	)
	add := func(src string, data []byte) {
		k, err := repo.ParseKeyring(src, data)
		if err != nil {
			notes = append(notes, err.Error())
			return
		}
		kr = kr.Merge(k)
	}
	for _, g := range rc.GPGKeys {
		u, err := url.Parse(g)
		if err != nil {
			notes = append(notes, fmt.Sprintf("gpgkey %q is not a URL", g))
			continue
		}
		switch u.Scheme {
		case "file":
			p := strings.TrimPrefix(path.Clean("/"+u.Path), "/")
			data, err := rootfs.ReadFile(fsys, p, repo.MaxKeyringSize)
			if err != nil {
				notes = append(notes, fmt.Sprintf("gpgkey %s: %v", g, err))
				continue
			}
			add(g, data)
		case "http", "https":
			if o.client == nil {
				notes = append(notes, "gpgkey "+g+" is not read offline")
				continue
			}
			var buf bytes.Buffer
			if _, err := o.client.Fetch(ctx, g, repo.MaxKeyringSize, &buf, nil); err != nil {
				notes = append(notes, fmt.Sprintf("gpgkey %s: %v", g, err))
				continue
			}
			add(g, buf.Bytes())
		default:
			notes = append(notes, "gpgkey "+g+": unsupported URL scheme")
		}
	}
	if cacheDir != "" {
		for _, p := range []string{"pubring/pubring.kbx", "pubring/pubring.gpg", "gpgdir/pubring.kbx", "gpgdir/pubring.gpg"} {
			f := path.Join(cacheDir, p)
			data, err := rootfs.ReadFile(fsys, f, repo.MaxKeyringSize)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				notes = append(notes, fmt.Sprintf("/%s: %v", f, err))
				continue
			}
			if strings.HasSuffix(p, ".kbx") {
				if data, err = ParseKeybox("/"+f, data); err != nil {
					notes = append(notes, err.Error())
					continue
				}
				if len(data) == 0 {
					continue
				}
			}
			add("/"+f, data)
		}
	}
	if o.keyring != nil {
		kr = kr.Merge(o.keyring)
	}
	return kr, notes
}
