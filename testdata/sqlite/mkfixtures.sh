#!/usr/bin/env bash
# Rebuilds the SQLite fixtures of internal/sqlite from scratch with the real
# SQLite library: Debian 12's python3 (3.11, module sqlite3 on libsqlite3
# 3.40.1) and sqlite3 CLI (3.40.1) for the one file python cannot make
# (reserved bytes per page). Every fixture is stored zstd-compressed as
# NAME.zst. The expected outputs (NAME.expect) are captured from the sqlite3
# CLI by the package's test:
#   go test ./internal/sqlite -run TestFixturesCLI -args -update
# Run from anywhere; needs /usr/bin/python3, sqlite3 and zstd.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

/usr/bin/python3 -c 'import sqlite3, sys; print("python", sys.version.split()[0], "sqlite", sqlite3.sqlite_version)'
sqlite3 --version

/usr/bin/python3 - <<'EOF'
import os, random, shutil, sqlite3, struct

def connect(name, page_size=None, pragmas=()):
    if os.path.exists(name):
        os.remove(name)
    c = sqlite3.connect(name, isolation_level=None)
    if page_size:
        c.execute(f'pragma page_size={page_size}')
    for p in pragmas:
        c.execute(p)
    return c

def lines(rng, tag, size):
    # Compressible but position-dependent content: every line names its
    # offset, so pages read out of order or twice change the bytes.
    out, off = [], 0
    words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel']
    while off < size:
        s = f'{tag}:{off:08d}:{rng.choice(words)}:{rng.choice(words)}\n'
        out.append(s)
        off += len(s)
    return ''.join(out).encode()[:size]

rng = random.Random(20261130)

# p512: 512-byte pages; every serial type; ALTER TABLE ADD COLUMN; negative
# and extreme rowids; a deep tree of thousands of rows with deletions (free
# pages); long overflow chains; a WITHOUT ROWID table, an index, a view.
c = connect('p512.db', 512)
c.execute('create table vals(a, b, c, d)')
ints = [0, 1, -1, 2, 127, -128, 128, 32767, -32768, 32768, 8388607, -8388608, 8388608,
        2147483647, -2147483648, 2147483648, 140737488355327, -140737488355328,
        140737488355328, 9223372036854775807, -9223372036854775808]
floats = [0.5, -2.25, 1e300, -1e-300, 3.141592653589793, float('inf'), float('-inf'), 0.1, -0.0, 2.0 / 3]
texts = ['', 'a', 'héllo wörld', '日本語テキスト', 'nul\x00inside', 'x' * 476, 'y' * 477, 'z' * 478, 'w' * 5000]
blobs = [b'', b'\x00\xff', bytes(range(256)) * 4, bytes(rng.getrandbits(8) for _ in range(3000))]
c.execute('begin')
for i, v in enumerate(ints):
    c.execute('insert into vals values(?, ?, ?, ?)', (v, -v if v > -9223372036854775808 else None, str(v), i))
for v in floats:
    c.execute('insert into vals values(?, ?, null, ?)', (v, v * 3, 'float'))
for v in texts:
    c.execute('insert into vals values(?, ?, ?, null)', (v, len(v), v.encode()))
for v in blobs:
    c.execute('insert into vals values(?, ?, ?, ?)', (v, len(v), None, v[:7]))
c.execute('commit')
c.execute('alter table vals add column e')
c.execute('insert into vals(rowid, a, b, c, d, e) values(-9223372036854775808, 1, 2, 3, 4, 5)')
c.execute('insert into vals(rowid, a, e) values(-5, 1.5, x\'00\')')
c.execute('insert into vals(rowid, a, e) values(0, null, 0)')
c.execute('insert into vals(rowid, a, b, e) values(9223372036854775807, 1, 2, \'last\')')
c.execute('create table many(id integer primary key, name text not null, n int, f real)')
c.execute('begin')
for i in range(1, 4001):
    c.execute('insert into many values(?, ?, ?, ?)', (i, f'name-{i:05d}-' + 'q' * (i % 37), i * 7919 % 100003, i / 7))
c.execute('commit')
c.execute('delete from many where id % 3 = 0')
c.execute('create index many_name on many(name)')
c.execute('create table blobs(k integer primary key, data blob)')
c.execute('begin')
for k in range(1, 25):
    c.execute('insert into blobs values(?, ?)', (k, lines(rng, f'p512-{k}', rng.randint(10_000, 100_000))))
c.execute('commit')
c.execute('delete from blobs where k % 4 = 0')
c.execute('create table wr(k text primary key, v) without rowid')
c.executemany('insert into wr values(?, ?)', [(f'k{i}', i) for i in range(50)])
c.execute('create view many_view as select id, name from many')
c.execute('create trigger many_del after delete on many begin delete from blobs where k = old.id; end')
c.close()

# p4096-rpm: rpm's table layout (AUTOINCREMENT, so sqlite_sequence too) with
# blobs of 10 KB to 1 MB, deletions and later insertions.
c = connect('p4096-rpm.db', 4096)
c.execute("CREATE TABLE 'Packages' (hnum INTEGER PRIMARY KEY AUTOINCREMENT,blob BLOB NOT NULL)")
c.execute("CREATE TABLE 'Name' (key 'TEXT' NOT NULL, hnum INTEGER NOT NULL, idx INTEGER NOT NULL, FOREIGN KEY (hnum) REFERENCES 'Packages'(hnum))")
c.execute("CREATE INDEX 'Name_key_idx' ON 'Name'(key ASC)")
sizes = [10_000, 10_240, 12_345, 40_000, 65_536, 100_000, 250_000, 500_000, 1_000_000, 1_048_576] + [rng.randint(10_000, 60_000) for _ in range(20)]
c.execute('begin')
for i, s in enumerate(sizes):
    cur = c.execute('insert into Packages(blob) values(?)', (lines(rng, f'pkg{i}', s),))
    c.execute('insert into Name values(?, ?, 0)', (f'package-{i}', cur.lastrowid))
c.execute('commit')
c.execute('delete from Packages where hnum in (3, 9, 17, 18, 30)')
c.execute('begin')
for i in range(5):
    cur = c.execute('insert into Packages(blob) values(?)', (lines(rng, f'new{i}', rng.randint(10_000, 30_000)),))
c.execute('commit')
c.close()

# p65536: the largest page size, stored as 1 in the header.
c = connect('p65536.db', 65536)
c.execute('create table t(id integer primary key, s text, b blob)')
c.execute('begin')
for i in range(1, 6001):
    c.execute('insert into t values(?, ?, ?)', (i, f'row {i}', struct.pack('>q', i * 1000003)))
for i, s in enumerate([70_000, 200_000, 400_000]):
    c.execute('insert into t(s, b) values(?, ?)', (f'big {i}', lines(rng, f'p64k-{i}', s)))
c.execute('commit')
c.close()

# Auto-vacuum: FULL (pointer-map pages, the file shrinks on delete) and
# INCREMENTAL (pointer-map pages and free pages left behind).
for mode in ('full', 'incremental'):
    c = connect(f'autovacuum-{mode}.db', 1024, [f'pragma auto_vacuum={mode}'])
    c.execute('create table t(id integer primary key, s text)')
    c.execute('begin')
    for i in range(1, 801):
        c.execute('insert into t values(?, ?)', (i, f'{i}:' + 'v' * (i * 13 % 2500)))
    c.execute('commit')
    c.execute('delete from t where id % 2 = 0')
    if mode == 'incremental':
        c.execute('pragma incremental_vacuum(20)')
    c.close()

# UTF-16: not read (ErrUnsupported).
c = connect('utf16le.db', 1024, ["pragma encoding='UTF-16le'"])
c.execute('create table t(s text)')
c.execute("insert into t values('héllo')")
c.close()

# A database with a header and no schema; and an empty file.
c = connect('noschema.db', 1024)
c.execute('pragma user_version=7')
c.close()
open('empty.db', 'wb').close()

# WAL fixtures: copies of the database and its log taken while a writer
# holds a transaction open, so that SQLite has not checkpointed or deleted
# the log. Small caches make an open transaction spill uncommitted frames.
def walbase(name, rows=200):
    c = connect(name, 1024)
    c.execute('create table t(id integer primary key, s text, b blob)')
    c.execute('begin')
    for i in range(1, rows + 1):
        c.execute('insert into t values(?, ?, ?)', (i, f'file {i}', lines(rng, f'{name}-{i}', 20 + i * 17 % 3000)))
    c.execute('commit')
    c.execute('pragma journal_mode=wal')
    c.execute('pragma wal_autocheckpoint=0')
    return c

def snapshot(name, out):
    shutil.copy(name, out)
    if os.path.exists(name + '-wal'):
        shutil.copy(name + '-wal', out + '-wal')

os.mkdir('w')
c = walbase('w/open.db')
c.execute('begin')
c.executemany('insert into t values(?, ?, ?)', [(i, f'wal {i}', lines(rng, f'wal-{i}', 5000)) for i in range(201, 260)])
c.execute('commit')
c.execute("update t set s = 'updated in the log' where id % 10 = 1")
c.execute('delete from t where id between 50 and 80')
c.execute('create table added(k integer primary key, v text)')
c.executemany('insert into added values(?, ?)', [(i, f'v{i}') for i in range(30)])
c.execute('begin')
c.executemany('insert into t values(?, ?, ?)', [(i, 'second', lines(rng, f'w2-{i}', 1500)) for i in range(300, 320)])
c.execute('commit')
c.execute('pragma cache_size=10')
c.execute('pragma cache_spill=5')
c.execute('begin')
c.executemany('insert into t values(?, ?, ?)', [(i, 'uncommitted', lines(rng, f'u-{i}', 2000)) for i in range(1000, 1060)])
snapshot('w/open.db', 'wal-open.db')
c.execute('rollback')
c.close()

# Only uncommitted frames in the log (after a truncating checkpoint).
c = walbase('w/nocommit.db')
c.execute('pragma wal_checkpoint(truncate)')
c.execute('pragma cache_size=10')
c.execute('pragma cache_spill=5')
c.execute('begin')
c.executemany('insert into t values(?, ?, ?)', [(i, 'uncommitted', lines(rng, f'n-{i}', 2000)) for i in range(1000, 1060)])
snapshot('w/nocommit.db', 'wal-nocommit.db')
c.execute('rollback')
c.close()

# A log restarted after a complete checkpoint: new frames with new salts at
# the start, the older frames still behind them.
c = walbase('w/restart.db')
c.execute('begin')
c.executemany('insert into t values(?, ?, ?)', [(i, 'first generation', lines(rng, f'r1-{i}', 3000)) for i in range(201, 300)])
c.execute('commit')
c.execute('pragma wal_checkpoint(passive)')
c.execute("update t set s = 'second generation' where id in (1, 2, 3, 250)")
c.execute('insert into t values(5000, ?, ?)', ('second generation', b'xyz'))
c.execute('begin')
c.execute('insert into t values(5001, ?, ?)', ('open', b''))
snapshot('w/restart.db', 'wal-restart.db')
c.execute('rollback')
c.close()

# VACUUM in WAL mode: the last commit makes the database smaller than its
# file.
c = walbase('w/vacuum.db', 600)
c.execute('pragma wal_checkpoint(truncate)')
c.execute('delete from t where id > 100')
c.execute('vacuum')
c.execute('begin')
c.execute("insert into t values(7000, 'open', null)")
snapshot('w/vacuum.db', 'wal-vacuum.db')
c.execute('rollback')
c.close()

# Small databases for the fuzz test's seeds: 512-byte pages, an interior
# page, an overflow chain, a free page, an index; and a log with two commits
# and an uncommitted tail.
c = connect('tiny.db', 512)
c.execute('create table t(id integer primary key, s text, b blob, f real)')
c.execute('begin')
for i in range(1, 41):
    c.execute('insert into t values(?, ?, ?, ?)', (i, f'tiny {i}', struct.pack('>i', -i), i / 4))
c.execute('insert into t values(100, ?, ?, 0.5)', ('overflow', lines(rng, 'tiny', 3000)))
c.execute('commit')
c.execute('delete from t where id between 10 and 14')
c.execute('create index t_s on t(s)')
c.close()
c = connect('w/tinywal.db', 512)
c.execute('create table t(id integer primary key, s text)')
c.executemany('insert into t values(?, ?)', [(i, f'base {i}') for i in range(1, 6)])
c.execute('pragma journal_mode=wal')
c.execute('pragma wal_autocheckpoint=0')
c.execute("insert into t values(6, 'first commit')")
c.execute("update t set s = 'second commit' where id = 2")
c.execute('pragma cache_size=2')
c.execute('pragma cache_spill=1')
c.execute('begin')
c.executemany('insert into t values(?, ?)', [(i, 'u' * 200) for i in range(100, 110)])
snapshot('w/tinywal.db', 'tiny-wal.db')
c.execute('rollback')
c.close()
EOF

# Logs derived from wal-open.db-wal by cutting or changing bytes; each is
# read beside wal-open.db, by the real sqlite3 in the test like the others.
/usr/bin/python3 - <<'EOF'
import shutil, struct

def frames(wal):
    page = struct.unpack('>I', wal[8:12])[0]
    size = 24 + page
    out = []
    off = 32
    while off + size <= len(wal):
        pg, commit = struct.unpack('>II', wal[off:off + 8])
        out.append((off, pg, commit))
        off += size
    return page, out

def checksum(big, data, s0, s1):
    fmt = '>' if big else '<'
    for i in range(0, len(data), 8):
        a, b = struct.unpack(fmt + 'II', data[i:i + 8])
        s0 = (s0 + a + s1) & 0xffffffff
        s1 = (s1 + b + s0) & 0xffffffff
    return s0, s1

wal = bytearray(open('wal-open.db-wal', 'rb').read())
page, fr = frames(wal)
commits = [i for i, (_, _, c) in enumerate(fr) if c]

# Cut in the middle of the frame before the last commit frame: the last
# committed transaction is torn.
cut = fr[commits[-1] - 1][0] + 24 + page // 2
open('wal-truncated.db-wal', 'wb').write(wal[:cut])

# One byte of a page in the middle of the committed frames changed: the
# checksum chain breaks there.
bad = bytearray(wal)
mid = commits[len(commits) // 2] - 1
bad[fr[mid][0] + 24 + 100] ^= 0x55
open('wal-badsum.db-wal', 'wb').write(bad)

# A header whose checksum does not match: SQLite ignores the whole log.
hdr = bytearray(wal)
hdr[20] ^= 0x01  # salt-2
open('wal-badheader.db-wal', 'wb').write(hdr)

# The same log with big-endian checksums (magic 0x377f0683), as SQLite on a
# big-endian machine writes it; every checksum recomputed.
be = bytearray(wal)
be[0:4] = struct.pack('>I', 0x377f0683)
s0, s1 = checksum(True, be[0:24], 0, 0)
be[24:32] = struct.pack('>II', s0, s1)
for off, pg, commit in fr:
    if be[off + 8:off + 16] != be[16:24]:
        break
    s0, s1 = checksum(True, be[off:off + 8], s0, s1)
    s0, s1 = checksum(True, be[off + 24:off + 24 + page], s0, s1)
    be[off + 16:off + 24] = struct.pack('>II', s0, s1)
open('wal-bigendian.db-wal', 'wb').write(be)
EOF

# Reserved bytes at the end of every page (usable size 1024-40): only the
# CLI can set them (.filectrl reserve_bytes).
rm -f reserved.db
sqlite3 reserved.db 'pragma page_size=1024' '.filectrl reserve_bytes 40' 'create table t(id integer primary key, s text)' >/dev/null
/usr/bin/python3 - <<'EOF'
import sqlite3
c = sqlite3.connect('reserved.db', isolation_level=None)
c.execute('begin')
for i in range(1, 400):
    c.execute('insert into t values(?, ?)', (i, f'{i}:' + 'r' * (i * 7 % 3000)))
c.execute('commit')
c.close()
EOF
[ "$(od -An -tu1 -j20 -N1 reserved.db | tr -d ' ')" = 40 ] || { echo "reserved.db: no reserved bytes" >&2; exit 1; }

rm -f "$here"/*.db.zst "$here"/*.db-wal.zst
for f in *.db *.db-wal; do
	zstd -q -19 -o "$here/$f.zst" "$f"
done
ls -l "$here"
