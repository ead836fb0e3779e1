package repo

import (
	"bytes"
	"crypto"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/armor"
	pgperrors "github.com/ProtonMail/go-crypto/openpgp/errors"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	openpgp "github.com/ProtonMail/go-crypto/openpgp/v2"
)

// Size limits of signed metadata, as apt sets them.
const (
	MaxReleaseSize   = 10 << 20 // InRelease, Release, repomd.xml
	MaxSignatureSize = 1 << 20  // Release.gpg, repomd.xml.asc
)

// VerifyOptions tune signature checks.
type VerifyOptions struct {
	// Now is the time at which keys and signatures must be valid.
	Now time.Time
	// MaxFutureSkew is how far after Now a signature may have been made
	// (and so its key, which must be older than the signature): a clock
	// that far behind the signer's is taken as such, and the signature
	// and key are checked as of the signature's time. A signature made
	// further in the future is a *FutureSignatureError. Zero allows no
	// skew. Policy.VerifyOptions sets it from Policy.MaxFutureSkew.
	MaxFutureSkew time.Duration
	// AllowWeakDigest accepts SHA-1 signatures (MD5 and RIPEMD-160 are
	// never accepted). Off by default, as in apt.
	AllowWeakDigest bool
}

// Verified describes a successful signature check.
type Verified struct {
	// Signers are the fingerprints (upper-case hex) of the primary keys
	// whose signatures verified.
	Signers []string
	// KeyIDs are the issuer key IDs of all signatures present, verified or
	// not (signatures by keys outside the keyring are ignored, as apt does
	// when at least one good signature is present).
	KeyIDs []string
}

func (o VerifyOptions) config() *packet.Config {
	now := o.Now
	cfg := &packet.Config{Time: func() time.Time { return now }}
	if o.AllowWeakDigest {
		cfg.RejectMessageHashAlgorithms = map[crypto.Hash]bool{crypto.MD5: true, crypto.RIPEMD160: true}
	}
	return cfg
}

// VerifyDetached checks a detached signature (Release.gpg, repomd.xml.asc)
// over data. sig is binary OpenPGP or ASCII armour. It succeeds only when
// at least one signature by a key of kr verifies, no signature by a key of
// kr fails, the signing key is neither expired nor revoked at opt.Now (at
// the signature's time when it was made within opt.MaxFutureSkew after
// opt.Now; one made later is a *FutureSignatureError), and the signature
// file holds nothing but signatures: text before, between or
// after the armour blocks, or a packet of another kind, is an error.
func VerifyDetached(file string, data, sig []byte, kr *Keyring, opt VerifyOptions) (*Verified, error) {
	if len(sig) > MaxSignatureSize {
		return nil, &SignatureError{File: file, Reason: "signature file larger than the limit"}
	}
	var raw []byte
	if len(sig) > 0 && sig[0]&0x80 != 0 {
		raw = sig
	} else {
		var err error
		raw, err = dearmorSignatures(sig)
		if err != nil {
			return nil, &SignatureError{File: file, Reason: err.Error()}
		}
	}
	return verifyPackets(file, raw, func(h io.Writer) error {
		_, err := h.Write(data)
		return err
	}, kr, opt)
}

// dearmorSignatures decodes one or more "PGP SIGNATURE" armour blocks that
// must make up the whole input, apart from empty lines between and after
// them.
func dearmorSignatures(sig []byte) ([]byte, error) {
	const begin, end = "-----BEGIN PGP SIGNATURE-----", "-----END PGP SIGNATURE-----"
	var out []byte
	lines := strings.Split(string(sig), "\n")
	i := 0
	blocks := 0
	for i < len(lines) {
		l := strings.TrimSuffix(lines[i], "\r")
		if l == "" {
			i++
			continue
		}
		if l != begin {
			return nil, fmt.Errorf("unexpected data outside a signature block at line %d", i+1)
		}
		j := i + 1
		for j < len(lines) && strings.TrimSuffix(lines[j], "\r") != end {
			if strings.HasPrefix(lines[j], "-----") {
				return nil, fmt.Errorf("unexpected armour line at line %d", j+1)
			}
			j++
		}
		if j == len(lines) {
			return nil, errors.New("signature block without an END line")
		}
		block := strings.Join(lines[i:j+1], "\n") + "\n"
		b, err := armor.Decode(strings.NewReader(block))
		if err != nil {
			return nil, fmt.Errorf("bad armour: %v", err)
		}
		if b.Type != "PGP SIGNATURE" {
			return nil, errors.New("armour block is not a signature")
		}
		body, err := io.ReadAll(io.LimitReader(b.Body, MaxSignatureSize+1))
		if err != nil {
			return nil, fmt.Errorf("bad armour: %v", err)
		}
		out = append(out, body...)
		blocks++
		i = j + 1
	}
	if blocks == 0 {
		return nil, errors.New("no signature")
	}
	return out, nil
}

// verifyPackets checks that raw holds only signature packets and verifies
// them over the data that write produces.
func verifyPackets(file string, raw []byte, write func(io.Writer) error, kr *Keyring, opt VerifyOptions) (*Verified, error) {
	var ids []string
	r := bytes.NewReader(raw)
	n := 0
	var latest time.Time
	for r.Len() > 0 {
		p, err := packet.Read(r)
		if err != nil {
			return nil, &SignatureError{File: file, KeyIDs: ids, Reason: "malformed signature data", Err: err}
		}
		s, ok := p.(*packet.Signature)
		if !ok {
			return nil, &SignatureError{File: file, KeyIDs: ids, Reason: fmt.Sprintf("non-signature packet (%T) among the signatures", p)}
		}
		if s.IssuerKeyId == nil {
			return nil, &SignatureError{File: file, KeyIDs: ids, Reason: "signature without an issuer"}
		}
		ids = append(ids, fmt.Sprintf("%016X", *s.IssuerKeyId))
		if s.CreationTime.After(latest) {
			latest = s.CreationTime
		}
		n++
	}
	if n == 0 {
		return nil, &SignatureError{File: file, Reason: "no signature"}
	}
	// A signature made after now, within the allowed skew, is the mark of
	// a clock behind the signer's: the signature, and its key (made
	// before it), are checked as of the signature's time. One made
	// further ahead is refused, naming the clock.
	if latest.After(opt.Now) {
		if ahead := latest.Sub(opt.Now); ahead > opt.MaxFutureSkew {
			return nil, &FutureSignatureError{File: file, KeyIDs: ids, Made: latest, Now: opt.Now, MaxSkew: opt.MaxFutureSkew}
		}
		opt.Now = latest
	}
	if kr.Len() == 0 {
		return nil, &SignatureError{File: file, KeyIDs: ids, Reason: "no key to verify with"}
	}
	cfg := opt.config()
	defer kr.lock()()
	md, err := openpgp.VerifyDetachedSignatureReader(kr.entities, &writerSource{write: write}, bytes.NewReader(raw), cfg)
	if err != nil {
		if errors.Is(err, pgperrors.ErrUnknownIssuer) {
			return nil, &SignatureError{File: file, KeyIDs: ids, Reason: "signed by a key outside the repository's keyring"}
		}
		return nil, &SignatureError{File: file, KeyIDs: ids, Reason: "cannot verify", Err: err}
	}
	if _, err := io.Copy(io.Discard, md.UnverifiedBody); err != nil {
		return nil, &SignatureError{File: file, KeyIDs: ids, Reason: "cannot verify", Err: err}
	}
	v := &Verified{KeyIDs: ids}
	known := 0
	var firstErr error
	for _, c := range md.SignatureCandidates {
		if c.SignedByEntity == nil {
			continue // a key outside the keyring
		}
		known++
		if c.SignatureError != nil {
			if firstErr == nil {
				firstErr = c.SignatureError
			}
			continue
		}
		// The library checks the key at the signature's creation time;
		// apt (gpgv) wants it valid now too: not expired, not revoked.
		// (Now is the signature's time when it was made within the
		// allowed skew after the clock.)
		keyCfg := opt.config()
		if _, err := c.SignedByEntity.VerifyPrimaryKey(opt.Now, keyCfg); err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("key %X: %w", c.SignedByEntity.PrimaryKey.Fingerprint, err)
			}
			continue
		}
		if c.SignedBy != nil && !c.SignedBy.IsPrimary() {
			if _, ok := c.SignedByEntity.SigningKeyById(opt.Now, c.IssuerKeyId, keyCfg); !ok {
				if firstErr == nil {
					firstErr = fmt.Errorf("subkey %016X is expired or revoked", c.IssuerKeyId)
				}
				continue
			}
		}
		v.Signers = append(v.Signers, strings.ToUpper(hex.EncodeToString(c.SignedByEntity.PrimaryKey.Fingerprint)))
	}
	switch {
	case known == 0:
		return nil, &SignatureError{File: file, KeyIDs: ids, Reason: "signed by a key outside the repository's keyring"}
	case firstErr != nil:
		// One bad signature by a trusted key fails the file, as in apt.
		return nil, &SignatureError{File: file, KeyIDs: ids, Reason: "bad signature", Err: firstErr}
	case len(v.Signers) == 0:
		return nil, &SignatureError{File: file, KeyIDs: ids, Reason: "no good signature"}
	}
	return v, nil
}

// writerSource turns a write function into a reader for the library, which
// pulls the signed data through io.Reader.
type writerSource struct {
	write func(io.Writer) error
	buf   bytes.Buffer
	done  bool
}

func (w *writerSource) Read(p []byte) (int, error) {
	if !w.done {
		w.done = true
		if err := w.write(&w.buf); err != nil {
			return 0, err
		}
	}
	return w.buf.Read(p)
}

// ClearSigned is the result of splitting a clearsigned (InRelease) file.
type ClearSigned struct {
	// Content is the signed text exactly as signed: dash-escaping removed,
	// trailing blanks of each line removed, lines ending in "\n".
	Content []byte
	// Signature is the binary OpenPGP signature data.
	Signature []byte
	// Hashes are the "Hash:" armour header values.
	Hashes []string
}

// SplitClearSigned splits a clearsigned message strictly: the input must
// start with the BEGIN PGP SIGNED MESSAGE line, hold one signed text and one
// signature block, and nothing but empty lines may follow the END line.
// Unescaped lines starting with '-' in the text, unknown armour headers,
// and any other deviation are errors (apt CVE-2013-1051, CVE-2019-3462).
func SplitClearSigned(data []byte) (*ClearSigned, error) {
	const (
		beginMsg = "-----BEGIN PGP SIGNED MESSAGE-----"
		beginSig = "-----BEGIN PGP SIGNATURE-----"
		endSig   = "-----END PGP SIGNATURE-----"
	)
	if bytes.IndexByte(data, 0) >= 0 {
		return nil, errors.New("NUL byte in clearsigned file")
	}
	lines := strings.Split(string(data), "\n")
	for i := range lines {
		lines[i] = strings.TrimSuffix(lines[i], "\r")
	}
	if len(lines) == 0 || lines[0] != beginMsg {
		return nil, errors.New("does not start with a signed message block")
	}
	cs := &ClearSigned{}
	i := 1
	for ; i < len(lines) && lines[i] != ""; i++ {
		k, v, ok := strings.Cut(lines[i], ":")
		if !ok || k != "Hash" {
			return nil, fmt.Errorf("unexpected armour header %q", lines[i])
		}
		for _, h := range strings.Split(v, ",") {
			cs.Hashes = append(cs.Hashes, strings.TrimSpace(h))
		}
	}
	if i == len(lines) {
		return nil, errors.New("no signed text")
	}
	i++
	var content bytes.Buffer
	for ; i < len(lines) && lines[i] != beginSig; i++ {
		l := lines[i]
		if strings.HasPrefix(l, "-") {
			if !strings.HasPrefix(l, "- ") {
				return nil, fmt.Errorf("line %d: unescaped dash in signed text", i+1)
			}
			l = l[2:]
		}
		content.WriteString(strings.TrimRight(l, " \t"))
		content.WriteByte('\n')
	}
	if i == len(lines) {
		return nil, errors.New("no signature block")
	}
	start := i
	for i++; i < len(lines) && lines[i] != endSig; i++ {
		if strings.HasPrefix(lines[i], "-----") {
			return nil, fmt.Errorf("line %d: unexpected armour line", i+1)
		}
	}
	if i == len(lines) {
		return nil, errors.New("signature block without an END line")
	}
	for j := i + 1; j < len(lines); j++ {
		if lines[j] != "" {
			return nil, fmt.Errorf("line %d: data after the signature", j+1)
		}
	}
	block := strings.Join(lines[start:i+1], "\n") + "\n"
	b, err := armor.Decode(strings.NewReader(block))
	if err != nil {
		return nil, fmt.Errorf("bad signature armour: %v", err)
	}
	if b.Type != "PGP SIGNATURE" {
		return nil, errors.New("armour block is not a signature")
	}
	sig, err := io.ReadAll(io.LimitReader(b.Body, MaxSignatureSize+1))
	if err != nil {
		return nil, fmt.Errorf("bad signature armour: %v", err)
	}
	cs.Content = content.Bytes()
	cs.Signature = sig
	return cs, nil
}

// VerifyClearSigned splits and verifies a clearsigned file (InRelease)
// with the rules of SplitClearSigned and VerifyDetached, and returns the
// signed text. Only the returned text may be parsed.
func VerifyClearSigned(file string, data []byte, kr *Keyring, opt VerifyOptions) ([]byte, *Verified, error) {
	if len(data) > MaxReleaseSize {
		return nil, nil, &SignatureError{File: file, Reason: "larger than the limit"}
	}
	cs, err := SplitClearSigned(data)
	if err != nil {
		return nil, nil, &SignatureError{File: file, Reason: err.Error()}
	}
	// The signed form: lines joined with CRLF, without the last line end.
	text := cs.Content
	v, err := verifyPackets(file, cs.Signature, func(w io.Writer) error {
		if len(text) == 0 {
			return nil
		}
		t := text[:len(text)-1]
		for len(t) > 0 {
			i := bytes.IndexByte(t, '\n')
			if i < 0 {
				_, err := w.Write(t)
				return err
			}
			if _, err := w.Write(t[:i]); err != nil {
				return err
			}
			if _, err := w.Write([]byte("\r\n")); err != nil {
				return err
			}
			t = t[i+1:]
		}
		return nil
	}, kr, opt)
	if err != nil {
		return nil, nil, err
	}
	return cs.Content, v, nil
}
