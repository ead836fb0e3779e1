package rpmheader

import (
	"encoding/binary"
	"errors"
	"slices"
	"testing"
)

// blob builds a header blob from index entries and data, as rpm lays it
// out; the tests of scan/rpmdb read real ones from real databases.
func blob(data []byte, entries ...[4]uint32) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(entries)))
	b = binary.BigEndian.AppendUint32(b, uint32(len(data)))
	for _, e := range entries {
		for _, v := range e {
			b = binary.BigEndian.AppendUint32(b, v)
		}
	}
	return append(b, data...)
}

func TestParse(t *testing.T) {
	data := []byte("tb-lib\x002.0\x001\x00noarch\x00\x00\x00\x00\x01")
	good := blob(data,
		[4]uint32{TagName, typeString, 0, 1}, [4]uint32{TagVersion, typeString, 7, 1},
		[4]uint32{TagRelease, typeString, 11, 1}, [4]uint32{TagArch, typeString, 13, 1},
		[4]uint32{TagEpoch, typeInt32, 20, 1})
	var f Fields
	if err := Parse(good, &f); err != nil {
		t.Fatal(err)
	}
	if string(f.Name) != "tb-lib" || string(f.Version) != "2.0" || string(f.Release) != "1" || string(f.Arch) != "noarch" || f.Epoch != 1 || f.InstallTime != -1 || f.Vendor != nil {
		t.Fatalf("%+v", f)
	}
	for name, b := range map[string][]byte{
		"short":          good[:7],
		"length":         good[:len(good)-1],
		"no tags":        blob(nil),
		"no name":        blob(data, [4]uint32{TagVersion, typeString, 7, 1}),
		"offset":         blob(data, [4]uint32{TagName, typeString, 99, 1}),
		"unterminated":   blob([]byte("abc"), [4]uint32{TagName, typeString, 0, 1}),
		"epoch type":     blob(data, [4]uint32{TagEpoch, typeString, 0, 1}),
		"epoch offset":   blob(data, [4]uint32{TagEpoch, typeInt32, 20, 1})[:8+16+20],
		"epoch misalign": blob(data, [4]uint32{TagEpoch, typeInt32, 2, 1}),
		"name type":      blob(data, [4]uint32{TagName, typeInt32, 0, 1}),
		"sigmd5":         blob(data, [4]uint32{TagSigMD5, typeBin, 10, 16}),
	} {
		err := Parse(b, &f)
		var e *Error
		if !errors.As(err, &e) || !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v, want an *Error", name, err)
		}
	}
}

func TestStrings(t *testing.T) {
	// a header with one STRING_ARRAY of two strings at tag 1047
	blob := []byte{0, 0, 0, 1, 0, 0, 0, 6, 0, 0, 4, 23, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 2, 'a', 0, 'b', 'c', 0, 0}
	blob = blob[:len(blob)-1]
	if got := Strings(blob, TagProvideName); !slices.Equal(got, []string{"a", "bc"}) {
		t.Errorf("%q", got)
	}
	if got := Strings(blob[:20], TagProvideName); got != nil {
		t.Errorf("short blob: %q", got)
	}
	bad := slices.Clone(blob)
	bad[15] = 200 // offset beyond the data
	if got := Strings(bad, TagProvideName); len(got) != 0 {
		t.Errorf("offset beyond the data: %q", got)
	}
}
