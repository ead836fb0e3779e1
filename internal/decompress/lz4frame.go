package decompress

import (
	"encoding/binary"
	"errors"
	"io"

	"github.com/pierrec/lz4/v4"
)

// DecodeAll decompresses all of data into one buffer of at most
// lim.Output bytes (sizeHint, when positive, is the expected size and
// sizes the buffer). LZ4 frames are decoded block by block straight into
// the buffer, with the block decoder of github.com/pierrec/lz4; the other
// formats go through NewReader.
func DecodeAll(data []byte, f Format, lim Limits, sizeHint int64) ([]byte, error) {
	if lim.Output <= 0 {
		return nil, errors.New("decompress: output limit must be positive")
	}
	if sizeHint <= 0 || sizeHint > lim.Output {
		sizeHint = min(lim.Output, int64(len(data))*4+4096)
	}
	if f == LZ4 {
		return decodeLZ4(data, lim.Output, sizeHint)
	}
	r, err := Bytes(data, f, lim)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	buf := make([]byte, 0, sizeHint)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

var lz4BlockSizes = map[byte]int{4: 64 << 10, 5: 256 << 10, 6: 1 << 20, 7: 4 << 20}

// decodeLZ4 walks LZ4 frames (magic, descriptor, blocks, end mark,
// checksums; skippable frames are skipped). Header and block checksums are
// not checked: callers check the output against a signed SHA-256.
func decodeLZ4(src []byte, limit, hint int64) ([]byte, error) {
	bad := func(msg string) error { return &FormatError{Format: LZ4, Err: errors.New(msg)} }
	out := make([]byte, 0, hint)
	frames := 0
	for len(src) > 0 {
		if len(src) < 4 {
			return nil, bad("truncated frame")
		}
		magic := binary.LittleEndian.Uint32(src)
		if magic&0xFFFFFFF0 == 0x184D2A50 {
			if len(src) < 8 {
				return nil, bad("truncated skippable frame")
			}
			n := int64(binary.LittleEndian.Uint32(src[4:]))
			if n > int64(len(src)-8) {
				return nil, bad("truncated skippable frame")
			}
			src = src[8+n:]
			continue
		}
		if magic != 0x184D2204 {
			return nil, bad("bad magic number")
		}
		if len(src) < 7 {
			return nil, bad("truncated frame descriptor")
		}
		flg, bd := src[4], src[5]
		if flg>>6 != 1 || flg&0x02 != 0 || bd&0x8F != 0 {
			return nil, bad("unsupported frame descriptor")
		}
		if flg&0x01 != 0 {
			return nil, bad("frames with a dictionary ID are not supported")
		}
		blockMax, ok := lz4BlockSizes[(bd>>4)&7]
		if !ok {
			return nil, bad("invalid block size")
		}
		indep, blockSum, contentSize, contentSum := flg&0x20 != 0, flg&0x10 != 0, flg&0x08 != 0, flg&0x04 != 0
		p := 6
		if contentSize {
			p += 8
		}
		p++ // header checksum
		if p > len(src) {
			return nil, bad("truncated frame descriptor")
		}
		src = src[p:]
		frameStart := len(out)
		for {
			if len(src) < 4 {
				return nil, bad("truncated block")
			}
			size := binary.LittleEndian.Uint32(src)
			src = src[4:]
			if size == 0 {
				break
			}
			raw := size&0x80000000 != 0
			size &= 0x7FFFFFFF
			if int(size) > blockMax || int(size) > len(src) {
				return nil, bad("block size out of range")
			}
			block := src[:size]
			src = src[size:]
			if blockSum {
				if len(src) < 4 {
					return nil, bad("truncated block checksum")
				}
				src = src[4:]
			}
			room := int(min(int64(blockMax), limit-int64(len(out))))
			if cap(out)-len(out) < room {
				grown := make([]byte, len(out), min(limit, max(int64(cap(out))*2, int64(len(out)+room))))
				copy(grown, out)
				out = grown
			}
			dst := out[len(out) : len(out)+room]
			var n int
			if raw {
				if len(block) > room {
					return nil, &LimitError{Format: LZ4, What: "output", Limit: limit}
				}
				n = copy(dst, block)
			} else {
				var dict []byte
				if !indep {
					dict = out[max(frameStart, len(out)-(64<<10)):len(out)]
				}
				var err error
				n, err = lz4.UncompressBlockWithDict(block, dst, dict)
				if err != nil {
					if room < blockMax {
						return nil, &LimitError{Format: LZ4, What: "output", Limit: limit}
					}
					return nil, &FormatError{Format: LZ4, Err: err}
				}
			}
			out = out[:len(out)+n]
		}
		if contentSum {
			if len(src) < 4 {
				return nil, bad("truncated content checksum")
			}
			src = src[4:]
		}
		frames++
	}
	if frames == 0 {
		return nil, bad("no frame")
	}
	return out, nil
}
