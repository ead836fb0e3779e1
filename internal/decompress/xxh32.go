package decompress

import (
	"encoding/binary"
	"math/bits"
)

// xxh32 is the 32-bit xxHash with seed 0, as the LZ4 frame format uses it
// for its descriptor, block and content checksums. Written from the
// algorithm's description (https://github.com/Cyan4973/xxHash, doc/xxhash_spec.md).
type xxh32 struct {
	v     [4]uint32
	total uint64
	buf   [16]byte
	nbuf  int
}

const (
	xxP1 uint32 = 0x9E3779B1
	xxP2 uint32 = 0x85EBCA77
	xxP3 uint32 = 0xC2B2AE3D
	xxP4 uint32 = 0x27D4EB2F
	xxP5 uint32 = 0x165667B1
)

func (x *xxh32) reset() {
	*x = xxh32{}
	p1, p2 := xxP1, xxP2 // wrapping arithmetic, as the algorithm defines it
	x.v = [4]uint32{p1 + p2, p2, 0, -p1}
}

func xxRound(acc, lane uint32) uint32 {
	return bits.RotateLeft32(acc+lane*xxP2, 13) * xxP1
}

func (x *xxh32) stripes(p []byte) []byte {
	v0, v1, v2, v3 := x.v[0], x.v[1], x.v[2], x.v[3]
	for len(p) >= 16 {
		v0 = xxRound(v0, binary.LittleEndian.Uint32(p))
		v1 = xxRound(v1, binary.LittleEndian.Uint32(p[4:]))
		v2 = xxRound(v2, binary.LittleEndian.Uint32(p[8:]))
		v3 = xxRound(v3, binary.LittleEndian.Uint32(p[12:]))
		p = p[16:]
	}
	x.v = [4]uint32{v0, v1, v2, v3}
	return p
}

func (x *xxh32) write(p []byte) {
	x.total += uint64(len(p))
	if x.nbuf > 0 {
		n := copy(x.buf[x.nbuf:], p)
		x.nbuf += n
		p = p[n:]
		if x.nbuf < 16 {
			return
		}
		x.stripes(x.buf[:])
		x.nbuf = 0
	}
	p = x.stripes(p)
	x.nbuf = copy(x.buf[:], p)
}

func (x *xxh32) sum() uint32 {
	var acc uint32
	if x.total >= 16 {
		acc = bits.RotateLeft32(x.v[0], 1) + bits.RotateLeft32(x.v[1], 7) +
			bits.RotateLeft32(x.v[2], 12) + bits.RotateLeft32(x.v[3], 18)
	} else {
		acc = xxP5 // seed 0
	}
	acc += uint32(x.total)
	p := x.buf[:x.nbuf]
	for len(p) >= 4 {
		acc = bits.RotateLeft32(acc+binary.LittleEndian.Uint32(p)*xxP3, 17) * xxP4
		p = p[4:]
	}
	for _, c := range p {
		acc = bits.RotateLeft32(acc+uint32(c)*xxP5, 11) * xxP1
	}
	acc ^= acc >> 15
	acc *= xxP2
	acc ^= acc >> 13
	acc *= xxP3
	acc ^= acc >> 16
	return acc
}

// xxh32Sum is the checksum of p.
func xxh32Sum(p []byte) uint32 {
	var x xxh32
	x.reset()
	x.write(p)
	return x.sum()
}
