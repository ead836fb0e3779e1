#!/usr/bin/env python3
"""Post-processes an rpm-md repository made by createrepo_c/modifyrepo_c,
for mkfixtures.sh. modifyrepo_c stamps its entry with the current time, and
createrepo_c 0.17 cannot write zstd. This sets every <timestamp> of
repomd.xml to REVISION and, with "zst", recompresses primary and updateinfo
with the zstd tool and rewrites their entries (checksum, size, location).
Run before signing. Usage: fixrepomd.py DIR REVISION [zst]"""
import hashlib, os, re, subprocess, sys

d, rev, zst = sys.argv[1], sys.argv[2], len(sys.argv) > 3 and sys.argv[3] == "zst"
p = os.path.join(d, "repodata", "repomd.xml")
x = open(p).read()
x = re.sub(r"<timestamp>\d+</timestamp>", "<timestamp>%s</timestamp>" % rev, x)


def fix(m):
    block = m.group(0)
    typ = re.search(r'type="([^"]+)"', block).group(1)
    if not zst or typ not in ("primary", "updateinfo"):
        return block
    href = re.search(r'href="([^"]+)"', block).group(1)
    src = os.path.join(d, href)
    plain = subprocess.run(["gzip", "-dc", src], check=True, capture_output=True).stdout
    z = subprocess.run(["zstd", "-q", "-19", "-c"], input=plain, check=True, capture_output=True).stdout
    sha = hashlib.sha256(z).hexdigest()
    new = "repodata/%s-%s.xml.zst" % (sha, typ)
    open(os.path.join(d, new), "wb").write(z)
    os.remove(src)
    block = re.sub(r'(<checksum type="sha256">)[0-9a-f]+', lambda mm: mm.group(1) + sha, block)
    block = block.replace(href, new)
    block = re.sub(r"<size>\d+</size>", "<size>%d</size>" % len(z), block)
    return block


x = re.sub(r"<data type=.*?</data>", fix, x, flags=re.S)
open(p, "w").write(x)
