package apt

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"strings"

	"github.com/patchkit/patchkit/repo"
)

// Reading an index is a two-stage pipeline: a goroutine reads the stored
// file and decompresses it (checking the size and checksum the signed
// Release gives) into fixed-size chunks, which the caller's goroutine
// parses. Chunks are reused; at most chunksInFlight exist per index.
//
// When the bytes that are decompressed were not checked before (apt keeps
// its lists recompressed, in lz4, and the Release lists only the
// uncompressed file), the records are held, in a compact form, until the
// end of the file is reached and its size and checksum match; a mismatch
// returns the error alone. When the stored file was checked against the
// Release before decompression, records are returned as they are parsed.
const (
	chunkSize      = 256 << 10
	chunksInFlight = 4
)

// readState is what the indexes of one Snapshot.Packages iteration share:
// interned strings, chunk buffers and the held records' arena.
type readState struct {
	origin *Origin
	in     *interner
	chunk  int // chunk size (chunkSize; tests use others)
	bufs   [][]byte
	hold   held
}

func newReadState(origin *Origin) *readState {
	return &readState{origin: origin, in: newInterner(nil), chunk: chunkSize}
}

// chunk is a piece of decompressed output, with the index of its first NUL
// byte (or -1), found by the decoding goroutine.
type chunk struct {
	b   []byte
	nul int
}

// pipe is the decoding stage of one index.
type pipe struct {
	full  chan chunk    // chunks of output, in order; closed at the end
	free  chan []byte   // chunks the parser is done with
	stop  chan struct{} // closed to make the decoder give up
	done  chan struct{} // closed when the decoder has returned
	err   error         // why the decoder ended (nil at a verified end); read after done
	size  int           // chunk size
	spare int           // chunks the decoder may still make
}

// startPipe starts decoding r into chunks of size bytes (at most).
func (st *readState) startPipe(ctx context.Context, r io.Reader, size int) *pipe {
	p := &pipe{
		full:  make(chan chunk, chunksInFlight),
		free:  make(chan []byte, chunksInFlight),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
		size:  size,
		spare: chunksInFlight,
	}
	for ; p.spare > 0 && len(st.bufs) > 0; p.spare-- {
		n := len(st.bufs)
		p.free <- st.bufs[n-1]
		st.bufs = st.bufs[:n-1]
	}
	go p.decode(ctx, r)
	return p
}

func (p *pipe) decode(ctx context.Context, r io.Reader) {
	defer close(p.done)
	defer close(p.full)
	for {
		var buf []byte
		select {
		case buf = <-p.free:
		default:
			// Chunks are made as they are needed: a small file uses
			// one.
			if p.spare > 0 {
				p.spare--
				buf = make([]byte, p.size)
				break
			}
			select {
			case buf = <-p.free:
			case <-p.stop:
				return
			}
		}
		n, err := fill(r, buf[:min(cap(buf), p.size)])
		if n > 0 {
			select {
			case p.full <- chunk{buf[:n], bytes.IndexByte(buf[:n], 0)}:
			case <-p.stop:
				return
			}
		}
		if err == io.EOF {
			return
		}
		if err == nil {
			err = ctx.Err()
		}
		if err != nil {
			p.err = err
			return
		}
	}
}

// fill reads r until buf is full or r fails.
func fill(r io.Reader, buf []byte) (int, error) {
	n, idle := 0, 0
	for n < len(buf) {
		k, err := r.Read(buf[n:])
		n += k
		if err != nil {
			return n, err
		}
		if k == 0 {
			if idle++; idle > 100 {
				return n, io.ErrNoProgress
			}
		}
	}
	return n, nil
}

// close stops the decoder, waits for it, and takes back the chunks.
func (st *readState) closePipe(p *pipe) {
	select {
	case <-p.stop:
	default:
		close(p.stop)
	}
	<-p.done
	for c := range p.full {
		st.bufs = append(st.bufs, c.b[:cap(c.b)])
	}
	for {
		select {
		case b := <-p.free:
			st.bufs = append(st.bufs, b[:cap(b)])
		default:
			return
		}
	}
}

// stream parses the decompressed index r (closing it when done). With
// hold, no record is returned before r has reached its end without error,
// which for the readers of repocache.DecompressReader means the size and
// checksum matched. It returns whether the caller's loop goes on, and the
// error that ended the file early, if any (already yielded).
//
// size, when positive, is what r should hold (from the Release); it only
// sizes the chunks.
func (st *readState) stream(ctx context.Context, r io.ReadCloser, name string, hold bool, size int64, yield func(Package, error) bool) (more bool, fatal error) {
	p := newParser(name, 0, st.origin, st.in)
	p.yield = yield
	if hold {
		st.hold.reset()
		p.hold = &st.hold
	}
	csize := st.chunk
	if size > 0 && size < int64(csize) {
		csize = max(int(size)+1, 4<<10)
	}
	pp := st.startPipe(ctx, r, csize)
	defer r.Close()
	defer st.closePipe(pp)
	for c := range pp.full {
		if p.wants() {
			p.feedNUL(c.b, c.nul)
		}
		pp.free <- c.b[:cap(c.b)]
		if p.stopped {
			return false, nil
		}
		if p.fatal != nil && !hold {
			// Yielded already; the rest of the file is not read.
			return true, p.fatal
		}
	}
	<-pp.done
	if pp.err != nil {
		// The decoder failed (a size or checksum mismatch, a corrupt
		// stream, a read error, cancellation): no held record is
		// returned.
		st.hold.reset()
		return yield(Package{}, pp.err), pp.err
	}
	p.end()
	if !hold {
		return !p.stopped, p.fatal
	}
	if p.nul {
		// A NUL byte makes the whole file unreadable, as ParsePackagesBytes
		// has it: no record of it is returned.
		st.hold.reset()
	}
	if !st.hold.each(ctx, st.in, st.origin, yield) {
		return false, nil
	}
	if p.fatal != nil {
		return yield(Package{}, p.fatal), p.fatal
	}
	return true, nil
}

// held keeps the records (and stanza errors) of a file until the file is
// verified, in an arena of byte blocks: each record is its line, size,
// the numbers of its interned strings and its other values, about a fifth
// of the stanza's text.
type held struct {
	blocks [][]byte // filled in order; blocks[:cur+1] are in use
	cur    int
	errs   []error
}

const heldFirst = 64 << 10 // the first block; the fifth and later are 1 MiB

func (h *held) reset() {
	for i := range h.blocks {
		h.blocks[i] = h.blocks[i][:0]
	}
	h.cur = 0
	clear(h.errs)
	h.errs = h.errs[:0]
}

// room returns a block with n bytes free. Blocks grow from heldFirst to
// heldBlock, so that a small file holds little.
func (h *held) room(n int) []byte {
	for ; h.cur < len(h.blocks); h.cur++ {
		if b := h.blocks[h.cur]; cap(b)-len(b) >= n {
			return b
		}
		if len(h.blocks[h.cur]) == 0 {
			// Too small even when empty: replace it.
			h.blocks[h.cur] = make([]byte, 0, max(heldSize(h.cur), n))
			return h.blocks[h.cur]
		}
	}
	h.blocks = append(h.blocks, make([]byte, 0, max(heldSize(h.cur), n)))
	return h.blocks[h.cur]
}

func heldSize(i int) int { return heldFirst << min(i, 4) }

const (
	heldRecord = iota
	heldError
	// heldPool is a record whose Filename is Debian's pool name for the
	// package ("pool/" + dir + "/" + package_version_arch.deb, the
	// version without its epoch): only dir is kept.
	heldPool
)

// poolDir returns dir when fn is "pool/" + dir + "/" + pk + "_" + ver
// (without epoch) + "_" + arch + ".deb".
func poolDir(fn, pk, ver, arch []byte) ([]byte, bool) {
	if i := bytes.IndexByte(ver, ':'); i >= 0 {
		ver = ver[i+1:]
	}
	tail := 1 + len(pk) + 1 + len(ver) + 1 + len(arch) + len(".deb")
	if len(fn) <= len("pool/")+tail || string(fn[:5]) != "pool/" {
		return nil, false
	}
	t := fn[len(fn)-tail:]
	if t[0] != '/' || !bytes.HasPrefix(t[1:], pk) {
		return nil, false
	}
	t = t[1+len(pk):]
	if t[0] != '_' || !bytes.HasPrefix(t[1:], ver) {
		return nil, false
	}
	t = t[1+len(ver):]
	if t[0] != '_' || !bytes.HasPrefix(t[1:], arch) || string(t[1+len(arch):]) != ".deb" {
		return nil, false
	}
	return fn[5 : len(fn)-tail], true
}

func (h *held) add(p *parser) {
	if p.err != nil {
		b := h.room(1 + binary.MaxVarintLen64)
		b = append(b, heldError)
		b = binary.AppendUvarint(b, uint64(len(h.errs)))
		h.blocks[h.cur] = b
		h.errs = append(h.errs, p.err)
		return
	}
	pk, ver, fn, sum := p.get(sPackage), p.get(sVersion), p.get(sFilename), p.get(sSHA256)
	src, srcVer, arch := p.get(sSource), p.get(sSourceVersion), p.get(sArchitecture)
	kind := byte(heldRecord)
	if dir, ok := poolDir(fn, pk, ver, arch); ok {
		kind, fn = heldPool, dir
	}
	text := len(pk) + len(ver) + len(fn) + len(sum) + len(src) + len(srcVer)
	b := h.room(1 + heldInts*binary.MaxVarintLen64 + text)
	b = append(b, kind)
	b = binary.AppendUvarint(b, uint64(p.at))
	b = binary.AppendUvarint(b, uint64(p.size))
	in := p.in
	b = binary.AppendUvarint(b, uint64(in.cachedID(&in.arch, arch)))
	b = binary.AppendUvarint(b, uint64(in.cachedID(&in.prio, p.get(sPriority))))
	b = binary.AppendUvarint(b, uint64(in.cachedID(&in.sect, p.get(sSection))))
	for _, v := range [...][]byte{pk, ver, fn, sum, src} {
		b = binary.AppendUvarint(b, uint64(len(v)))
	}
	b = binary.AppendUvarint(b, uint64(text))
	b = append(append(append(append(append(append(b, pk...), ver...), fn...), sum...), src...), srcVer...)
	h.blocks[h.cur] = b
}

// heldInts is the number of integers before a held record's text: line,
// size, three interned strings, five lengths and the text's length.
const heldInts = 11

var errHeld = errors.New("apt: damaged held record")

// each yields the held records in order and empties h. Their text is one
// string per record; the source name and version are in it rather than
// interned (they take about as much room as a reference would).
func (h *held) each(ctx context.Context, in *interner, origin *Origin, yield func(Package, error) bool) bool {
	defer h.reset()
	n := 0
	var sb strings.Builder
	for i := 0; i <= h.cur && i < len(h.blocks); i++ {
		b := h.blocks[i]
		for len(b) > 0 {
			if n++; n%4096 == 0 {
				if err := ctx.Err(); err != nil {
					yield(Package{}, err)
					return false
				}
			}
			kind := b[0]
			b = b[1:]
			var v [heldInts]uint64
			k := 1
			if kind != heldError {
				k = len(v)
			}
			for j := range k {
				x, w := binary.Uvarint(b)
				if w <= 0 {
					yield(Package{}, errHeld)
					return false
				}
				v[j], b = x, b[w:]
			}
			if kind == heldError {
				if !yield(Package{}, h.errs[v[0]]) {
					return false
				}
				continue
			}
			text := int(v[10])
			t := b[:text]
			b = b[text:]
			arch := in.strs[v[2]]
			i1 := int(v[5])
			i2 := i1 + int(v[6])
			i3 := i2 + int(v[7])
			var s string
			if kind == heldPool {
				// Rebuild the file name in place of its directory.
				pk, ver, dir := t[:i1], t[i1:i2], t[i2:i3]
				noEpoch := ver
				if e := bytes.IndexByte(ver, ':'); e >= 0 {
					noEpoch = ver[e+1:]
				}
				sb.Reset()
				sb.Grow(text + len("pool/") + 1 + len(pk) + 1 + len(noEpoch) + 1 + len(arch) + len(".deb"))
				sb.Write(t[:i2])
				sb.WriteString("pool/")
				sb.Write(dir)
				sb.WriteByte('/')
				sb.Write(pk)
				sb.WriteByte('_')
				sb.Write(noEpoch)
				sb.WriteByte('_')
				sb.WriteString(arch)
				sb.WriteString(".deb")
				i3 = sb.Len()
				sb.Write(t[i2+len(dir):])
				s = sb.String()
			} else {
				s = string(t)
			}
			i4 := i3 + int(v[8])
			i5 := i4 + int(v[9])
			pk := Package{
				Package:       s[:i1],
				Version:       s[i1:i2],
				Filename:      s[i2:i3],
				SHA256:        s[i3:i4],
				Source:        s[i4:i5],
				SourceVersion: s[i5:],
				Architecture:  arch,
				Priority:      in.strs[v[3]],
				Section:       in.strs[v[4]],
				Size:          int64(v[1]),
				Origin:        origin,
				Line:          int(v[0]),
			}
			if !yield(pk, nil) {
				return false
			}
		}
	}
	return true
}

// capReader fails with a *repo.TooLargeError when r has more than limit
// bytes.
type capReader struct {
	r     io.Reader
	left  int64
	limit int64
	file  string
	err   error
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	if int64(len(p)) > c.left+1 {
		p = p[:c.left+1]
	}
	n, err := c.r.Read(p)
	if int64(n) > c.left {
		c.err = &repo.TooLargeError{File: c.file, What: "lists file", Limit: c.limit}
		return 0, c.err
	}
	c.left -= int64(n)
	return n, err
}
