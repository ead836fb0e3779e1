#!/usr/bin/env bash
# Rebuilds the databases of testdata/rpmdb/bdb: real rpm Berkeley DB
# Packages files, copied byte for byte out of public Go module zips (checked
# against their SHA-256) and stored zstd-compressed as NAME.Packages.zst.
# testdata/SOURCES.md names the origin and licence of each.
#
# rpm's own listings (NAME.rpm-qa.tsv) are captured afterwards from Debian's
# rpm, which reads Berkeley DB read-only (the bdb_ro backend):
#   go test ./internal/bdb -run TestRPMTool -args -update
# Needs go, unzip and zstd.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir "$work/mod"
(cd "$work/mod" && go mod init scratch >/dev/null 2>&1 &&
	go mod download -json github.com/knqyf263/go-rpmdb@v0.1.1 \
		github.com/anchore/syft@v1.57.1 github.com/google/osv-scalibr@v0.5.3) >"$work/mods.json"
zip_of() { /usr/bin/python3 -c 'import json, sys
dec = json.JSONDecoder(); s = open(sys.argv[1]).read(); i = 0
while i < len(s):
    o, i = dec.raw_decode(s, i)
    while i < len(s) and s[i].isspace(): i += 1
    if o["Path"] == sys.argv[2]: print(o["Zip"])' "$work/mods.json" "$1"; }

copy() { # zip, path in the zip, fixture name, SHA-256 of the file
	unzip -p "$1" "$2" >"$work/$3"
	echo "$4  $work/$3" | sha256sum -c --quiet
	zstd -q -19 -f -o "$here/$3.Packages.zst" "$work/$3"
	chmod 644 "$here/$3.Packages.zst"
}
rpmdb=$(zip_of github.com/knqyf263/go-rpmdb)
syft=$(zip_of github.com/anchore/syft)
scalibr=$(zip_of github.com/google/osv-scalibr)
p=github.com/knqyf263/go-rpmdb@v0.1.1/pkg/testdata
copy "$rpmdb" $p/centos5-plain/Packages centos5-plain 17efc9339b74bef0df7d0894c73ffbc125f6d5bcee61dd308bbc2a48a2b65318
copy "$rpmdb" $p/centos6-plain/Packages centos6-plain 5a32c012ea52cd43a6f3217edfe730245bcbfc927a014b97e6383dd1bb1b4d04
copy "$rpmdb" $p/centos8-modularitylabel/Packages centos8-modularitylabel ec588c3c2c5a355f19ef900343e2be59dc8e9c5100a6b431db7515eb47b06a46
copy "$rpmdb" $p/ubi8-s390x/Packages ubi8-s390x 1bcb165c7b34f2993608bbdceba885eb4cd50e64143b8ddc44fe75b89da7d77d
copy "$rpmdb" $p/libuuid/Packages libuuid 15bdf607cc34db1800420a6302ae2d43e40e4ed9f3d6f4153a5b726e83a8fec5
copy "$syft" github.com/anchore/syft@v1.57.1/syft/pkg/cataloger/redhat/testdata/Packages centos8-dive b1fe275b2bbaf1b0c081249e167d9d453a347fda3897a8d9c7adb21cb2a9d871
copy "$scalibr" github.com/google/osv-scalibr@v0.5.3/extractor/filesystem/os/rpm/testdata/Packages_epoch hello-epoch 1537fee5bd50df5a0fa8d1132005c050239b8623ba65f2a039c6c5a838ad995d
