package rpmdb

import (
	"encoding/binary"
	"fmt"

	"strings"
	"time"

	"github.com/patchkit/patchkit"
)

// Header tags read from each installed package's header (rpmtag.h).
const (
	tagName            = 1000
	tagVersion         = 1001
	tagRelease         = 1002
	tagEpoch           = 1003
	tagInstallTime     = 1008
	tagVendor          = 1011
	tagArch            = 1022
	tagSourceRPM       = 1044
	tagModularityLabel = 5096
)

// Header data types (rpmTagType).
const (
	typeInt32       = 4
	typeString      = 6
	typeStringArray = 8
	typeI18NString  = 9
)

// Limits rpm's headerImport applies to a header blob (HEADER_TAGS_MAX,
// HEADER_DATA_MAX).
const (
	maxTags = 0xffff
	maxData = 0x0fffffff
)

// HeaderError reports a header blob that is not a well-formed rpm header.
// Where says which record of the database it is (its header instance or
// position).
type HeaderError struct {
	Where  string
	Reason string
}

func (e *HeaderError) Error() string {
	return fmt.Sprintf("rpmdb: header %s: %s", e.Where, e.Reason)
}

// Is reports whether target is ErrCorrupt.
func (e *HeaderError) Is(target error) bool { return target == ErrCorrupt }

// fields are the values read from one header, as slices of the blob.
type fields struct {
	name, version, release, arch, sourceRPM, vendor, modularity []byte
	epoch                                                       int64 // -1 when absent
	installTime                                                 int64 // -1 when absent
}

// parseHeader reads the tags patchkit uses from a header blob as rpm stores
// it in its database: the index count and data length (big-endian), the
// index entries, then the data. Every entry's offset and size is checked
// against the data; a tag that appears twice takes its last value (entries
// added at install time follow the immutable region).
func parseHeader(where string, blob []byte, f *fields) error {
	bad := func(format string, a ...any) error {
		return &HeaderError{Where: where, Reason: fmt.Sprintf(format, a...)}
	}
	*f = fields{epoch: -1, installTime: -1}
	if len(blob) < 8 {
		return bad("%d bytes, shorter than the 8-byte preamble", len(blob))
	}
	il := binary.BigEndian.Uint32(blob[0:4])
	dl := binary.BigEndian.Uint32(blob[4:8])
	if il == 0 || il > maxTags {
		return bad("index count %d out of range 1..%d", il, maxTags)
	}
	if dl > maxData {
		return bad("data length %d beyond %d", dl, maxData)
	}
	if want := 8 + 16*uint64(il) + uint64(dl); want != uint64(len(blob)) {
		return bad("index count %d and data length %d need %d bytes, the blob has %d", il, dl, want, len(blob))
	}
	data := blob[8+16*int(il):]
	for i := 0; i < int(il); i++ {
		e := blob[8+16*i : 24+16*i]
		tag := binary.BigEndian.Uint32(e[0:4])
		typ := binary.BigEndian.Uint32(e[4:8])
		off := binary.BigEndian.Uint32(e[8:12])
		count := binary.BigEndian.Uint32(e[12:16])
		var dst *[]byte
		switch tag {
		case tagName:
			dst = &f.name
		case tagVersion:
			dst = &f.version
		case tagRelease:
			dst = &f.release
		case tagArch:
			dst = &f.arch
		case tagSourceRPM:
			dst = &f.sourceRPM
		case tagVendor:
			dst = &f.vendor
		case tagModularityLabel:
			dst = &f.modularity
		case tagEpoch, tagInstallTime:
			if typ != typeInt32 || count < 1 {
				return bad("tag %d: type %d count %d, want an INT32", tag, typ, count)
			}
			if off%4 != 0 || uint64(off)+4 > uint64(len(data)) {
				return bad("tag %d: offset %d outside the %d-byte data or misaligned", tag, off, len(data))
			}
			v := int64(binary.BigEndian.Uint32(data[off:]))
			if tag == tagEpoch {
				f.epoch = v
			} else {
				f.installTime = v
			}
			continue
		default:
			continue
		}
		switch typ {
		case typeString, typeStringArray, typeI18NString:
		default:
			return bad("tag %d: type %d, want a string", tag, typ)
		}
		if count < 1 {
			return bad("tag %d: count 0", tag)
		}
		if uint64(off) >= uint64(len(data)) {
			return bad("tag %d: offset %d outside the %d-byte data", tag, off, len(data))
		}
		s := data[off:]
		end := -1
		for j, c := range s {
			if c == 0 {
				end = j
				break
			}
		}
		if end < 0 {
			return bad("tag %d: string at offset %d is not terminated", tag, off)
		}
		*dst = s[:end]
	}
	switch {
	case f.name == nil:
		return bad("no Name tag")
	case f.version == nil:
		return bad("no Version tag")
	case f.release == nil:
		return bad("no Release tag")
	}
	return nil
}

// interner keeps one copy of strings that repeat across packages (arch,
// vendor, install times aside).
type interner map[string]string

func (in interner) get(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if s, ok := in[string(b)]; ok {
		return s
	}
	s := string(b)
	in[s] = s
	return s
}

// toPackage converts header fields to a patchkit.Package. A header without
// an Epoch tag keeps its epoch unknown: rpm prints no epoch for it (%{EPOCH}
// is "(none)") and orders it as epoch 0.
func toPackage(f *fields, in interner) patchkit.Package {
	p := patchkit.Package{
		Name:            string(f.name),
		Version:         string(f.version),
		Release:         string(f.release),
		Arch:            in.get(f.arch),
		Scheme:          patchkit.RPM,
		Vendor:          in.get(f.vendor),
		ModularityLabel: in.get(f.modularity),
		State:           patchkit.StateInstalled,
	}
	if f.epoch >= 0 {
		p.Epoch = patchkit.EpochOf(uint32(f.epoch))
	}
	if f.installTime >= 0 {
		p.InstallTime = time.Unix(f.installTime, 0).UTC()
	}
	p.SourceName, p.SourceVersion = splitSourceRPM(string(f.sourceRPM))
	return p
}

// splitSourceRPM splits "bash-5.1.8-9.el9.src.rpm" into "bash" and
// "5.1.8-9.el9". It returns empty strings for a name that is not of that
// shape (gpg-pubkey has none; "(none)").
func splitSourceRPM(s string) (name, version string) {
	s, ok := strings.CutSuffix(s, ".src.rpm")
	if !ok {
		if s, ok = strings.CutSuffix(s, ".nosrc.rpm"); !ok {
			return "", ""
		}
	}
	r := strings.LastIndexByte(s, '-')
	if r <= 0 {
		return "", ""
	}
	v := strings.LastIndexByte(s[:r], '-')
	if v <= 0 {
		return "", ""
	}
	return s[:v], s[v+1:]
}

// isPseudo reports whether a header is one of rpm's pseudo-packages: the
// imported OpenPGP keys (gpg-pubkey), which rpm -qa lists but are not
// software.
func isPseudo(name []byte) bool { return string(name) == "gpg-pubkey" }
