// Package rpmheader reads the tags patchkit uses from an rpm header blob as
// rpm stores it in its package database (sqlite, Berkeley DB or NDB): a
// big-endian index count and data length, the index entries, then the data.
// It is the one header reader of the project: scan/rpmdb builds packages
// from it, and the database readers' tests check their blobs with it.
package rpmheader

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// Header tags (rpmtag.h).
const (
	TagSigMD5          = 261
	TagName            = 1000
	TagVersion         = 1001
	TagRelease         = 1002
	TagEpoch           = 1003
	TagInstallTime     = 1008
	TagVendor          = 1011
	TagArch            = 1022
	TagSourceRPM       = 1044
	TagModularityLabel = 5096
	TagDescription     = 1005 // of a gpg-pubkey header: the armoured key
	TagProvideName     = 1047
)

// Header data types (rpmTagType).
const (
	typeInt32       = 4
	typeString      = 6
	typeBin         = 7
	typeStringArray = 8
	typeI18NString  = 9
)

// Limits rpm's headerImport applies to a blob (HEADER_TAGS_MAX,
// HEADER_DATA_MAX).
const (
	maxTags = 0xffff
	maxData = 0x0fffffff
)

// ErrMalformed is matched by every *Error.
var ErrMalformed = errors.New("malformed rpm header")

// Error reports a blob that is not a well-formed rpm header.
type Error struct {
	Reason string
}

func (e *Error) Error() string { return "rpm header: " + e.Reason }

// Is reports whether target is ErrMalformed.
func (e *Error) Is(target error) bool { return target == ErrMalformed }

// Fields are the values read from one header, as slices of the blob (valid
// as long as the blob is). Epoch and InstallTime are -1 when the header has
// no such tag; a string tag it lacks is nil.
type Fields struct {
	Name, Version, Release, Arch, SourceRPM, Vendor, ModularityLabel []byte
	SigMD5                                                           []byte
	Epoch, InstallTime                                               int64
}

// Parse reads blob into f. Every entry's offset and size is checked against
// the data, and the blob must be exactly as long as its index count and data
// length say. A tag that appears twice takes its last value (entries added
// at install time follow the immutable region). Name, Version and Release
// are required.
func Parse(blob []byte, f *Fields) error {
	bad := func(format string, a ...any) error {
		return &Error{Reason: fmt.Sprintf(format, a...)}
	}
	*f = Fields{Epoch: -1, InstallTime: -1}
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
		case TagName:
			dst = &f.Name
		case TagVersion:
			dst = &f.Version
		case TagRelease:
			dst = &f.Release
		case TagArch:
			dst = &f.Arch
		case TagSourceRPM:
			dst = &f.SourceRPM
		case TagVendor:
			dst = &f.Vendor
		case TagModularityLabel:
			dst = &f.ModularityLabel
		case TagEpoch, TagInstallTime:
			if typ != typeInt32 || count < 1 {
				return bad("tag %d: type %d count %d, want an INT32", tag, typ, count)
			}
			if off%4 != 0 || uint64(off)+4 > uint64(len(data)) {
				return bad("tag %d: offset %d outside the %d-byte data or misaligned", tag, off, len(data))
			}
			v := int64(binary.BigEndian.Uint32(data[off:]))
			if tag == TagEpoch {
				f.Epoch = v
			} else {
				f.InstallTime = v
			}
			continue
		case TagSigMD5:
			if typ != typeBin {
				return bad("tag %d: type %d, want BIN", tag, typ)
			}
			if uint64(off)+uint64(count) > uint64(len(data)) {
				return bad("tag %d: %d bytes at offset %d outside the %d-byte data", tag, count, off, len(data))
			}
			f.SigMD5 = data[off : off+count]
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
	case f.Name == nil:
		return bad("no Name tag")
	case f.Version == nil:
		return bad("no Version tag")
	case f.Release == nil:
		return bad("no Release tag")
	}
	return nil
}

// Strings returns the strings of tag in a header blob that Parse has
// accepted: one for STRING and I18NSTRING (the first translation), each of
// a STRING_ARRAY; nil when the header has no such tag or the tag holds
// another type. It stops at the first string that does not lie whole in
// the data, and reads nothing outside the blob whatever the blob holds.
func Strings(blob []byte, tag uint32) []string {
	if len(blob) < 8 {
		return nil
	}
	il := binary.BigEndian.Uint32(blob[0:4])
	if uint64(8)+16*uint64(il) > uint64(len(blob)) {
		return nil
	}
	data := blob[8+16*int(il):]
	for i := 0; i < int(il); i++ {
		e := blob[8+16*i : 24+16*i]
		if binary.BigEndian.Uint32(e[0:4]) != tag {
			continue
		}
		count := 1
		switch binary.BigEndian.Uint32(e[4:8]) {
		case typeString, typeI18NString:
		case typeStringArray:
			count = int(min(binary.BigEndian.Uint32(e[12:16]), uint32(len(data))))
		default:
			return nil
		}
		off := binary.BigEndian.Uint32(e[8:12])
		var out []string
		for ; count > 0; count-- {
			if uint64(off) >= uint64(len(data)) {
				return out
			}
			end := bytes.IndexByte(data[off:], 0)
			if end < 0 {
				return out
			}
			out = append(out, string(data[off:int(off)+end]))
			off += uint32(end) + 1
		}
		return out
	}
	return nil
}
