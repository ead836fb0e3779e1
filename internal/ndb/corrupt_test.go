package ndb_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/patchkit/patchkit/internal/ndb"
)

var le = binary.LittleEndian

// The SLE 15 BCI database has one slot page; its first slots (at bytes 32,
// 48, 64, ...) are used by packages 1, 2, 3, ... whose blobs follow each
// other from block 256 on.
const (
	slot1 = 32 // the slot of package 1
	slot2 = 48 // the slot of package 2
	slot3 = 64
)

// blob returns the byte offset and length of the blocks of the slot at off.
func blob(d []byte, off int) (int, int) {
	return int(le.Uint32(d[off+8:])) * 16, int(le.Uint32(d[off+12:])) * 16
}

type mutation struct {
	name        string
	change      func(d []byte) []byte
	unsupported bool
}

func put32(off int, v uint32) func([]byte) []byte {
	return func(d []byte) []byte { le.PutUint32(d[off:], v); return d }
}

// inBlob changes byte i of the blocks of package 1 (negative i counts from
// the end).
func inBlob(i int, f func(b byte) byte) func([]byte) []byte {
	return func(d []byte) []byte {
		off, n := blob(d, slot1)
		if i < 0 {
			i += n
		}
		d[off+i] = f(d[off+i])
		return d
	}
}

func flip(b byte) byte { return b ^ 0x01 }

var mutations = []mutation{
	// The header.
	{name: "magic", change: put32(0, 0x50626d52)},
	{name: "version 1", change: put32(4, 1), unsupported: true},
	{name: "no slot pages", change: put32(12, 0)},
	{name: "slot pages beyond the file", change: put32(12, 336)},
	{name: "slot pages 2^32-1", change: put32(12, 0xffffffff)},
	{name: "two slot pages", change: put32(12, 2)}, // the second "slot page" is package data
	{name: "size not a multiple of 16", change: func(d []byte) []byte { return append(d, 0) }},

	// Slots.
	{name: "slot magic", change: put32(slot1, 0x746f6c74)},
	{name: "free slot magic", change: put32(4096-16, 0)},
	{name: "used slot without package index", change: put32(slot2+4, 0)},
	{name: "used slot without blocks", change: put32(slot2+12, 0)},
	{name: "slot inside the slot pages", change: put32(slot2+8, 255)},
	{name: "slot at block 1", change: put32(slot2+8, 1)},
	{name: "slot beyond the file", change: put32(slot2+8, 0xfffffff0)},
	{name: "slot ends beyond the file", change: put32(slot2+12, 0xffffff00)},
	{name: "two slots for one package", change: put32(slot3+4, 1)},
	{name: "slots overlap", change: func(d []byte) []byte {
		le.PutUint32(d[slot2+8:], le.Uint32(d[slot1+8:])+1)
		return d
	}},
	{name: "slots share blocks", change: func(d []byte) []byte {
		copy(d[slot2+8:slot2+16], d[slot1+8:slot1+16])
		return d
	}},
	{name: "slot one block short", change: put32(slot1+12, 259)},
	{name: "slot one block long", change: put32(slot1+12, 261)},
	{name: "slot points at another blob", change: func(d []byte) []byte {
		// Package 1's slot takes package 2's blocks, and the reverse: each
		// blob is intact, but names another package.
		a, b := bytes.Clone(d[slot1+8:slot1+16]), bytes.Clone(d[slot2+8:slot2+16])
		copy(d[slot1+8:], b)
		copy(d[slot2+8:], a)
		return d
	}},

	// Blobs.
	{name: "blob magic", change: inBlob(0, flip)},
	{name: "blob package index", change: inBlob(4, flip)},
	{name: "blob length", change: inBlob(12, flip)},
	{name: "blob length 2^32-1", change: func(d []byte) []byte {
		off, _ := blob(d, slot1)
		le.PutUint32(d[off+12:], 0xffffffff)
		return d
	}},
	{name: "blob timestamp", change: inBlob(8, flip)}, // covered by the checksum
	{name: "first header byte", change: inBlob(16, flip)},
	{name: "header byte", change: inBlob(1000, flip)},
	{name: "last header byte", change: func(d []byte) []byte {
		off, _ := blob(d, slot1)
		n := int(le.Uint32(d[off+12:]))
		d[off+16+n-1] ^= 0x80
		return d
	}},
	{name: "padding byte", change: inBlob(-13, flip)},
	{name: "checksum", change: inBlob(-12, flip)},
	{name: "tail length", change: inBlob(-8, flip)},
	{name: "tail magic", change: inBlob(-1, flip)},
	{name: "blob zeroed", change: func(d []byte) []byte {
		off, n := blob(d, slot1)
		clear(d[off : off+n])
		return d
	}},
}

// TestMutations checks that every mutation of a real database gives a
// *CorruptError (or an error wrapping ErrUnsupported) from Open or Scan,
// within the context's deadline: never a panic, a hang, or success.
func TestMutations(t *testing.T) {
	base := load(t, "sle15-bci")
	if err := scanAll(base); err != nil {
		t.Fatalf("the unchanged database: %v", err)
	}
	if off, n := blob(base, slot1); off != 4096 || n != 260*16 || le.Uint32(base[slot1+4:]) != 1 || le.Uint32(base[slot2+4:]) != 2 {
		t.Fatal("the database does not have the layout the mutations expect")
	}
	for _, m := range mutations {
		t.Run(m.name, func(t *testing.T) {
			d := m.change(bytes.Clone(base))
			if bytes.Equal(d, base) {
				t.Fatal("the mutation changed nothing")
			}
			checkErr(t, scanAll(d), m.unsupported)
		})
	}
}

func checkErr(t *testing.T, err error, unsupported bool) {
	t.Helper()
	if errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Scan did not finish: %v", err)
	}
	var ce *ndb.CorruptError
	switch {
	case err == nil:
		t.Fatal("no error")
	case unsupported && !errors.Is(err, ndb.ErrUnsupported):
		t.Fatalf("%v, want an error wrapping ErrUnsupported", err)
	case !unsupported && !errors.As(err, &ce):
		t.Fatalf("%v (%T), want a *CorruptError", err, err)
	case !unsupported && !errors.Is(err, ndb.ErrCorrupt):
		t.Fatalf("%v does not match ErrCorrupt", err)
	}
	t.Log(err)
}

// TestTruncated cuts a real database at many lengths: with the cut length as
// the size, and with the original size (a reader that ends early). Both
// must be corrupt.
func TestTruncated(t *testing.T) {
	base := load(t, "sle15-bci")
	size := int64(len(base))
	cuts := []int{0, 1, 4, 16, 31, 32, 33, 4095, 4096, 4097, 4096 + 16, 8256 - 1, 8256, 8256 + 16}
	for c := 8256 + 7; c < len(base); c += 25013 {
		cuts = append(cuts, c)
	}
	cuts = append(cuts, len(base)-16, len(base)-1)
	for _, c := range cuts {
		var ce *ndb.CorruptError
		if err := scanAll(base[:c]); !errors.As(err, &ce) {
			t.Errorf("cut at %d: %v, want a *CorruptError", c, err)
		}
		if c%16 != 0 {
			continue // Open rejects the size before reading
		}
		if err := scanAllSize(base[:c], size); !errors.As(err, &ce) {
			t.Errorf("cut at %d, size %d: %v, want a *CorruptError", c, size, err)
		}
	}
}

// TestByteFlips changes, one at a time, every byte of the header, of the
// used slots and the first free ones, and of the head and tail of three
// blobs of a real database. Each must give a typed error or, for bytes no check
// covers (the header's generation and next package index, the package index
// of a free slot), success; never a panic or a hang.
func TestByteFlips(t *testing.T) {
	d := load(t, "sle15-bci")
	var offs []int
	for i := 0; i < 32; i++ {
		offs = append(offs, i)
	}
	last := slot1 // the slot of the last blob in the file
	for s := 32; s < 4096; s += 16 {
		if le.Uint32(d[s+8:]) > le.Uint32(d[last+8:]) {
			last = s
		}
	}
	free := 0
	for s := 32; s < 4096; s += 16 {
		if le.Uint32(d[s+8:]) == 0 {
			if free++; free > 2 {
				continue
			}
		}
		for i := 0; i < 16; i++ {
			offs = append(offs, s+i)
		}
		if le.Uint32(d[s+8:]) == 0 || (s != slot1 && s != slot2 && s != last) {
			continue
		}
		off, n := blob(d, s)
		for i := 0; i < 16; i++ {
			offs = append(offs, off+i, off+n-16+i)
		}
	}
	passed := 0
	for _, off := range offs {
		d[off] ^= 0x5a
		err := scanAll(d)
		d[off] ^= 0x5a
		if err == nil {
			passed++
			continue
		}
		if !errors.Is(err, ndb.ErrCorrupt) && !errors.Is(err, ndb.ErrUnsupported) {
			t.Errorf("change at %d: untyped error %v", off, err)
		}
	}
	if err := scanAll(d); err != nil {
		t.Fatalf("the restored database: %v", err)
	}
	t.Logf("%d of %d changed bytes give no error", passed, len(offs))
}
