package sqlite

import (
	"context"
	"encoding/binary"
	"fmt"
)

const (
	walMagic      = 0x377f0682 // | 1 for big-endian checksums
	walVersion    = 3007000
	walHeaderSize = 32
	walFrameHdr   = 24
)

// walChecksum continues the log's checksum (s0, s1) over b, whose length is
// a multiple of 8, reading 32-bit words in the byte order the magic selects.
func walChecksum(bigEndian bool, b []byte, s0, s1 uint32) (uint32, uint32) {
	if bigEndian {
		for ; len(b) >= 8; b = b[8:] {
			s0 += binary.BigEndian.Uint32(b) + s1
			s1 += binary.BigEndian.Uint32(b[4:]) + s0
		}
		return s0, s1
	}
	for ; len(b) >= 8; b = b[8:] {
		s0 += binary.LittleEndian.Uint32(b) + s1
		s1 += binary.LittleEndian.Uint32(b[4:]) + s0
	}
	return s0, s1
}

// readWAL reads the log as SQLite recovers it and builds the page index of
// the frames up to the last valid commit frame.
func (db *DB) readWAL(ctx context.Context, size int64) error {
	info := &db.walInfo
	if size < walHeaderSize {
		info.Ignored = fmt.Sprintf("log of %d bytes has no complete header", size)
		return nil
	}
	var h [walHeaderSize]byte
	if err := readFull(db.wal, h[:], 0); err != nil {
		return fmt.Errorf("sqlite: %s: header: %w", db.walName, err)
	}
	m := binary.BigEndian.Uint32(h[0:])
	if m&^1 != walMagic {
		info.Ignored = fmt.Sprintf("bad magic number %#x", m)
		return nil
	}
	bigEndian := m&1 == 1
	if v := binary.BigEndian.Uint32(h[4:]); v != walVersion {
		return fileErr(db.walName, ErrUnsupported, "log format version %d", v)
	}
	ps := binary.BigEndian.Uint32(h[8:])
	if ps < 512 || ps > 65536 || ps&(ps-1) != 0 {
		info.Ignored = fmt.Sprintf("page size %d is not a power of two from 512 to 65536", ps)
		return nil
	}
	s0, s1 := walChecksum(bigEndian, h[:24], 0, 0)
	if s0 != binary.BigEndian.Uint32(h[24:]) || s1 != binary.BigEndian.Uint32(h[28:]) {
		info.Ignored = "header checksum does not match"
		return nil
	}
	if int(ps) != db.pageSize {
		return db.corruptWAL(8, "log page size %d differs from the database's %d", ps, db.pageSize)
	}
	salts := h[16:24]

	frameSize := int64(walFrameHdr) + int64(ps)
	frame := make([]byte, frameSize)
	var pages []uint32 // page number of each valid frame
	for off := int64(walHeaderSize); off+frameSize <= size; off += frameSize {
		if len(pages)%256 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if err := readFull(db.wal, frame, off); err != nil {
			return fmt.Errorf("sqlite: %s: frame at offset %d: %w", db.walName, off, err)
		}
		if string(frame[8:16]) != string(salts) {
			break
		}
		pg := binary.BigEndian.Uint32(frame[0:])
		if pg == 0 {
			break
		}
		t0, t1 := walChecksum(bigEndian, frame[:8], s0, s1)
		t0, t1 = walChecksum(bigEndian, frame[walFrameHdr:], t0, t1)
		if t0 != binary.BigEndian.Uint32(frame[16:]) || t1 != binary.BigEndian.Uint32(frame[20:]) {
			break
		}
		s0, s1 = t0, t1
		pages = append(pages, pg)
		if commit := binary.BigEndian.Uint32(frame[4:]); commit != 0 {
			info.Committed = len(pages)
			info.DBPages = commit
		}
	}
	info.Frames = len(pages)
	if info.Committed == 0 {
		return nil
	}
	db.walIdx = make(map[uint32]int64, info.Committed)
	for i, pg := range pages[:info.Committed] {
		db.walIdx[pg] = walHeaderSize + int64(i)*frameSize + walFrameHdr
		if pg > db.maxReal {
			db.maxReal = pg
		}
	}
	info.Pages = len(db.walIdx)
	return nil
}
