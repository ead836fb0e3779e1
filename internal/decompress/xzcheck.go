package decompress

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
)

var (
	xzMagic       = []byte{0xFD, '7', 'z', 'X', 'Z', 0x00}
	xzFooterMagic = []byte{'Y', 'Z'}
)

// CheckXZ walks the structure of one or more concatenated xz streams in
// data (stream header, block headers, index, footer) without decoding any
// block, and returns a *LimitError when a block's LZMA2 dictionary is larger
// than maxDict, or a *FormatError when the structure is not valid xz.
//
// Decoders allocate the dictionary a block header declares, up to 4 GiB,
// before they produce a byte; this check runs first.
func CheckXZ(data []byte, maxDict int64) error {
	bad := func(msg string) error { return &FormatError{Format: XZ, Err: errors.New(msg)} }
	end := len(data)
	streams := 0
	for end > 0 {
		// Stream padding: multiples of four zero bytes.
		for end >= 4 && binary.LittleEndian.Uint32(data[end-4:end]) == 0 {
			end -= 4
		}
		if end == 0 {
			break
		}
		if end < 24 {
			return bad("truncated stream")
		}
		footer := data[end-12 : end]
		if !bytes.Equal(footer[10:12], xzFooterMagic) {
			return bad("no stream footer")
		}
		if crc32.ChecksumIEEE(footer[4:10]) != binary.LittleEndian.Uint32(footer[0:4]) {
			return bad("stream footer checksum")
		}
		backward := (int64(binary.LittleEndian.Uint32(footer[4:8])) + 1) * 4
		indexEnd := int64(end - 12)
		indexStart := indexEnd - backward
		if indexStart < 12 {
			return bad("index size out of range")
		}
		index := data[indexStart:indexEnd]
		if index[0] != 0 {
			return bad("no index indicator")
		}
		if crc32.ChecksumIEEE(index[:len(index)-4]) != binary.LittleEndian.Uint32(index[len(index)-4:]) {
			return bad("index checksum")
		}
		p := index[1 : len(index)-4]
		nrec, n := uvarint(p)
		if n <= 0 {
			return bad("index record count")
		}
		p = p[n:]
		if nrec > uint64(len(p)) {
			return bad("index record count out of range")
		}
		sizes := make([]int64, 0, nrec)
		var total int64
		for i := uint64(0); i < nrec; i++ {
			unpadded, n := uvarint(p)
			if n <= 0 {
				return bad("index record")
			}
			p = p[n:]
			if _, n = uvarint(p); n <= 0 {
				return bad("index record")
			}
			p = p[n:]
			if unpadded < 5 || unpadded > uint64(len(data)) {
				return bad("block size out of range")
			}
			padded := (int64(unpadded) + 3) &^ 3
			sizes = append(sizes, padded)
			total += padded
			if total > indexStart {
				return bad("blocks larger than the stream")
			}
		}
		for _, b := range p {
			if b != 0 {
				return bad("index padding")
			}
		}
		start := indexStart - total - 12
		if start < 0 {
			return bad("blocks larger than the stream")
		}
		header := data[start : start+12]
		if !bytes.Equal(header[:6], xzMagic) {
			return bad("no stream header")
		}
		if !bytes.Equal(header[6:8], footer[8:10]) {
			return bad("stream flags differ between header and footer")
		}
		off := start + 12
		for _, sz := range sizes {
			if err := checkXZBlockHeader(data[off:off+sz], maxDict); err != nil {
				return err
			}
			off += sz
		}
		end = int(start)
		streams++
	}
	if streams == 0 {
		return bad("no stream")
	}
	return nil
}

func checkXZBlockHeader(b []byte, maxDict int64) error {
	bad := func(msg string) error { return &FormatError{Format: XZ, Err: errors.New(msg)} }
	if len(b) < 1 || b[0] == 0 {
		return bad("no block header")
	}
	hsize := (int(b[0]) + 1) * 4
	if hsize > len(b) {
		return bad("block header size out of range")
	}
	h := b[:hsize]
	if crc32.ChecksumIEEE(h[:hsize-4]) != binary.LittleEndian.Uint32(h[hsize-4:]) {
		return bad("block header checksum")
	}
	flags := h[1]
	if flags&0x3C != 0 {
		return bad("reserved block flags")
	}
	p := h[2 : hsize-4]
	for _, present := range []bool{flags&0x40 != 0, flags&0x80 != 0} {
		if present {
			_, n := uvarint(p)
			if n <= 0 {
				return bad("block header size field")
			}
			p = p[n:]
		}
	}
	nfilters := int(flags&3) + 1
	for i := 0; i < nfilters; i++ {
		id, n := uvarint(p)
		if n <= 0 {
			return bad("filter id")
		}
		p = p[n:]
		psize, n := uvarint(p)
		if n <= 0 || psize > uint64(len(p)-n) {
			return bad("filter properties")
		}
		props := p[n : n+int(psize)]
		p = p[n+int(psize):]
		if id == 0x21 { // LZMA2
			if len(props) != 1 || props[0] > 40 {
				return bad("LZMA2 properties")
			}
			bits := int64(props[0] & 0x3F)
			dict := int64(0xFFFFFFFF)
			if bits < 40 {
				dict = (2 | (bits & 1)) << (bits/2 + 11)
			}
			if dict > maxDict {
				return &LimitError{Format: XZ, What: "dictionary", Limit: maxDict, Value: dict}
			}
		}
	}
	return nil
}

// uvarint reads an xz multibyte integer (at most 9 bytes).
func uvarint(p []byte) (uint64, int) {
	var x uint64
	for i := 0; i < len(p) && i < 9; i++ {
		b := p[i]
		x |= uint64(b&0x7F) << (7 * i)
		if b&0x80 == 0 {
			if i > 0 && b == 0 {
				return 0, -1
			}
			return x, i + 1
		}
	}
	return 0, -1
}
