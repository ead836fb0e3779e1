package decompress

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/pierrec/lz4/v4"
)

const (
	lz4Magic       = 0x184D2204
	lz4LegacyMagic = 0x184C2102
	lz4DictWindow  = 64 << 10 // the longest match distance: the history a linked block may use
	// lz4ReadAhead is the input buffer: blocks of up to 256 KiB are
	// decoded where they lie in it; larger ones are copied out first.
	lz4ReadAhead = 256<<10 + 8
)

// newLZ4Reader returns a reader of the LZ4 frames in r. Frames in the
// current format are decoded by lz4Reader; a stream in the legacy format
// (lz4 -l) is left to github.com/pierrec/lz4's reader.
func newLZ4Reader(r io.Reader) (io.Reader, error) {
	br, ok := r.(*bufio.Reader)
	if !ok || br.Size() < lz4ReadAhead {
		br = bufio.NewReaderSize(r, lz4ReadAhead)
	}
	if head, _ := br.Peek(4); len(head) == 4 && binary.LittleEndian.Uint32(head) == lz4LegacyMagic {
		zr := lz4.NewReader(br)
		if err := zr.Apply(lz4.ConcurrencyOption(1)); err != nil {
			return nil, err
		}
		return zr, nil
	}
	return &lz4Reader{src: br}, nil
}

// lz4Reader decodes LZ4 frames block by block with the block decoder of
// github.com/pierrec/lz4. Reads of at least one block are decoded straight
// into the caller's buffer, several blocks at a time; smaller reads go
// through a block buffer. The descriptor, block and content checksums are
// checked where the frame has them, and the content size where the frame
// gives it. Skippable frames are skipped; frames with a dictionary ID are
// refused.
type lz4Reader struct {
	src *bufio.Reader
	err error

	inFrame    bool
	blockMax   int
	linked     bool
	blockSum   bool
	contentSum bool
	hasSize    bool
	size       uint64 // declared content size
	produced   uint64 // bytes decoded in this frame
	xx         xxh32  // content checksum so far

	in       []byte // one stored block and its checksum, when larger than src's buffer
	consumed int    // bytes of src's buffer holding the last block, to discard
	blk      []byte // decode buffer for reads smaller than a block
	pend     []byte // decoded bytes not yet returned (in blk)
	hist     []byte // the frame's last output, at most lz4DictWindow bytes (linked blocks)
}

func lz4Error(format string, args ...any) error {
	return &FormatError{Format: LZ4, Err: fmt.Errorf(format, args...)}
}

func (r *lz4Reader) Read(p []byte) (int, error) {
	if len(r.pend) > 0 {
		n := copy(p, r.pend)
		r.pend = r.pend[n:]
		return n, nil
	}
	if r.err != nil {
		return 0, r.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	n := 0
	saved := 0 // r.hist holds the output up to p[:saved]
	for n < len(p) && len(r.pend) == 0 {
		if !r.inFrame {
			if n > 0 {
				break
			}
			if r.err = r.nextFrame(); r.err != nil {
				break
			}
			saved = 0
			continue
		}
		block, raw, err := r.nextBlock()
		if err != nil {
			r.err = err
			break
		}
		if block == nil {
			// The frame ended; its history is of no use to the next one.
			r.hist = r.hist[:0]
			saved = n
			continue
		}
		direct := len(p)-n >= r.blockMax
		var dict []byte
		if r.linked && !raw {
			// The history is hist (the output up to p[:saved]) followed
			// by p[saved:n].
			switch {
			case n-saved >= lz4DictWindow:
				dict = p[n-lz4DictWindow : n]
			case n > saved:
				r.keep(p[saved:n])
				saved = n
				dict = r.hist
			default:
				dict = r.hist
			}
		}
		dst := p[n:min(len(p), n+r.blockMax)]
		if !direct {
			if cap(r.blk) < r.blockMax {
				r.blk = make([]byte, r.blockMax)
			}
			dst = r.blk[:r.blockMax]
		}
		var m int
		if raw {
			m = copy(dst, block)
		} else if m, err = lz4.UncompressBlockWithDict(block, dst, dict); err != nil {
			r.err = lz4Error("corrupt block: %v", err)
			break
		}
		out := dst[:m]
		r.produced += uint64(m)
		if r.hasSize && r.produced > r.size {
			r.err = lz4Error("frame holds more than its declared content size of %d bytes", r.size)
			break
		}
		if r.contentSum {
			r.xx.write(out)
		}
		if direct {
			n += m
			continue
		}
		if r.linked {
			r.keep(p[saved:n])
			r.keep(out)
		}
		c := copy(p[n:], out)
		n += c
		saved = n
		r.pend = out[c:]
	}
	if r.linked && r.inFrame && saved < n {
		r.keep(p[saved:n])
	}
	if n > 0 {
		return n, nil // an error is returned by the next call
	}
	return 0, r.err
}

// keep appends b to the frame's history, keeping the last lz4DictWindow
// bytes.
func (r *lz4Reader) keep(b []byte) {
	if len(b) == 0 {
		return
	}
	if cap(r.hist) < lz4DictWindow {
		h := make([]byte, len(r.hist), lz4DictWindow)
		copy(h, r.hist)
		r.hist = h
	}
	if len(b) >= lz4DictWindow {
		r.hist = append(r.hist[:0], b[len(b)-lz4DictWindow:]...)
		return
	}
	if drop := len(r.hist) + len(b) - lz4DictWindow; drop > 0 {
		r.hist = r.hist[:copy(r.hist, r.hist[drop:])]
	}
	r.hist = append(r.hist, b...)
}

// readFull reads exactly len(b) bytes; a short read is a truncated stream.
func (r *lz4Reader) readFull(b []byte, what string) error {
	if _, err := io.ReadFull(r.src, b); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return lz4Error("truncated %s", what)
		}
		return err
	}
	return nil
}

// nextFrame reads up to the first block of the next frame, skipping
// skippable frames. It returns io.EOF at the end of the stream.
func (r *lz4Reader) nextFrame() error {
	var hdr [15]byte
	for {
		n, err := io.ReadFull(r.src, hdr[:4])
		if err == io.EOF && n == 0 {
			return io.EOF
		}
		if err != nil {
			if err == io.ErrUnexpectedEOF {
				return lz4Error("truncated frame")
			}
			return err
		}
		magic := binary.LittleEndian.Uint32(hdr[:4])
		if magic&0xFFFFFFF0 == 0x184D2A50 {
			if err := r.readFull(hdr[:4], "skippable frame"); err != nil {
				return err
			}
			skip := int64(binary.LittleEndian.Uint32(hdr[:4]))
			if k, err := io.CopyN(io.Discard, r.src, skip); k != skip {
				if err == nil || err == io.EOF {
					return lz4Error("truncated skippable frame")
				}
				return err
			}
			continue
		}
		if magic != lz4Magic {
			return lz4Error("bad magic number %#x", magic)
		}
		break
	}
	if err := r.readFull(hdr[:2], "frame descriptor"); err != nil {
		return err
	}
	flg, bd := hdr[0], hdr[1]
	if flg>>6 != 1 || flg&0x02 != 0 || bd&0x8F != 0 {
		return lz4Error("unsupported frame descriptor %#02x %#02x", flg, bd)
	}
	if flg&0x01 != 0 {
		return lz4Error("frames with a dictionary ID are not supported")
	}
	blockMax, ok := lz4BlockSizes[(bd>>4)&7]
	if !ok {
		return lz4Error("invalid block size code %d", (bd>>4)&7)
	}
	d := 2
	r.hasSize = flg&0x08 != 0
	if r.hasSize {
		if err := r.readFull(hdr[2:10], "frame descriptor"); err != nil {
			return err
		}
		r.size = binary.LittleEndian.Uint64(hdr[2:10])
		d = 10
	}
	if err := r.readFull(hdr[d:d+1], "frame descriptor"); err != nil {
		return err
	}
	if want := byte(xxh32Sum(hdr[:d]) >> 8); hdr[d] != want {
		return lz4Error("frame descriptor checksum %#02x, computed %#02x", hdr[d], want)
	}
	r.blockMax = blockMax
	r.linked = flg&0x20 == 0
	r.blockSum = flg&0x10 != 0
	r.contentSum = flg&0x04 != 0
	r.produced = 0
	r.xx.reset()
	r.hist = r.hist[:0]
	if cap(r.in) < blockMax+4 && blockMax+4 > r.src.Size() {
		r.in = make([]byte, blockMax+4)
	}
	r.inFrame = true
	return nil
}

// nextBlock returns the next stored block of the frame and whether it is
// stored uncompressed; at the end mark it checks the frame's content size
// and checksum and returns a nil block.
func (r *lz4Reader) nextBlock() ([]byte, bool, error) {
	if r.consumed > 0 {
		r.src.Discard(r.consumed)
		r.consumed = 0
	}
	var w [4]byte
	if err := r.readFull(w[:], "block"); err != nil {
		return nil, false, err
	}
	size := binary.LittleEndian.Uint32(w[:])
	if size == 0 {
		r.inFrame = false
		if r.contentSum {
			if err := r.readFull(w[:], "content checksum"); err != nil {
				return nil, false, err
			}
			if got, want := r.xx.sum(), binary.LittleEndian.Uint32(w[:]); got != want {
				return nil, false, lz4Error("content checksum %#08x, computed %#08x", want, got)
			}
		}
		if r.hasSize && r.produced != r.size {
			return nil, false, lz4Error("frame holds %d bytes, its descriptor says %d", r.produced, r.size)
		}
		return nil, false, nil
	}
	raw := size&0x80000000 != 0
	size &= 0x7FFFFFFF
	if int(size) > r.blockMax {
		return nil, false, lz4Error("block of %d bytes is larger than the frame's block size %d", size, r.blockMax)
	}
	k := int(size)
	if r.blockSum {
		k += 4
	}
	var b []byte
	if k <= r.src.Size() {
		// Decoded in place; discarded from the buffer by the next call.
		var err error
		if b, err = r.src.Peek(k); err != nil {
			if err == io.EOF || err == bufio.ErrBufferFull || err == io.ErrUnexpectedEOF {
				return nil, false, lz4Error("truncated block")
			}
			return nil, false, err
		}
		r.consumed = k
	} else {
		b = r.in[:k]
		if err := r.readFull(b, "block"); err != nil {
			return nil, false, err
		}
	}
	if r.blockSum {
		if got, want := xxh32Sum(b[:size]), binary.LittleEndian.Uint32(b[size:]); got != want {
			return nil, false, lz4Error("block checksum %#08x, computed %#08x", want, got)
		}
	}
	return b[:size:size], raw, nil // not nil, even for an empty stored block
}
