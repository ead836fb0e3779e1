#!/usr/bin/env bash
# Rebuilds testdata/rpmdb/sqlite: real rpm databases (rpmdb.sqlite), stored
# zstd-compressed.
#  - fedora35, cbl-mariner-2.0: from the module zip of
#    github.com/knqyf263/go-rpmdb v0.1.1 (MIT), pkg/testdata/NAME/rpmdb.sqlite
#  - rockylinux-9.2: from the module zip of github.com/google/osv-scalibr
#    v0.5.3 (Apache-2.0), extractor/filesystem/os/rpm/testdata/rpmdb.sqlite
#  - debian-rpm-4.18, debian-rpm-4.18-open: written here by Debian 12's rpm
#    4.18.0 into a new root: tb-hello and tb-lib installed, tb-hello erased,
#    then tb-tool and tb-snapshot installed. -open is the copy tb-snapshot's
#    %posttrans Lua scriptlet takes of rpmdb.sqlite, -wal and -shm while rpm
#    still holds that last transaction open (its frames are committed in the
#    log and not yet checkpointed); the other is what rpm leaves on exit.
# The expected rows (NAME/packages.tsv) are captured from the sqlite3 CLI by
#   go test ./internal/sqlite -run TestRPMDBCLI -args -update
# Needs go, unzip, zstd, rpm and rpmbuild.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The module zips, through the module proxy into the module cache.
mkdir "$work/mod"
(cd "$work/mod" && go mod init scratch >/dev/null 2>&1 &&
	go mod download -json github.com/knqyf263/go-rpmdb@v0.1.1 github.com/google/osv-scalibr@v0.5.3) >"$work/mods.json"
zip_of() { /usr/bin/python3 -c 'import json, sys
dec = json.JSONDecoder(); s = open(sys.argv[1]).read(); i = 0
while i < len(s):
    o, i = dec.raw_decode(s, i)
    while i < len(s) and s[i].isspace(): i += 1
    if o["Path"] == sys.argv[2]: print(o["Zip"])' "$work/mods.json" "$1"; }

copy() { # zip, path in zip, name, expected sha256
	mkdir -p "$here/$3"
	unzip -p "$1" "$2" >"$work/$3.sqlite"
	echo "$4  $work/$3.sqlite" | sha256sum -c --quiet
	zstd -q -19 -f -o "$here/$3/rpmdb.sqlite.zst" "$work/$3.sqlite"
}
rpmdb=$(zip_of github.com/knqyf263/go-rpmdb)
scalibr=$(zip_of github.com/google/osv-scalibr)
copy "$rpmdb" github.com/knqyf263/go-rpmdb@v0.1.1/pkg/testdata/fedora35/rpmdb.sqlite fedora35 \
	abd3395db7a70ef2a51416ce014721535b8dd0bc0f08c10354d920f4cd8d5ca2
copy "$rpmdb" github.com/knqyf263/go-rpmdb@v0.1.1/pkg/testdata/cbl-mariner-2.0/rpmdb.sqlite cbl-mariner-2.0 \
	57cc470fed4b103e0c1e529d391ce1ea395bfc4a9dbecc8f14f7a1d0c7121805
copy "$scalibr" github.com/google/osv-scalibr@v0.5.3/extractor/filesystem/os/rpm/testdata/rpmdb.sqlite rockylinux-9.2 \
	65ff96139e5b56b2ee23fe45fa3004d0604b3ef2e2a79ee0a584b50519ad68b1

# Debian's rpm.
rpm --version
top=$work/top
mkdir -p "$top/SPECS"
cat >"$top/SPECS/tb.spec" <<'EOF'
Name: %{pname}
Version: %{pver}
Release: %{prel}
%{?pepoch:Epoch: %{pepoch}}
Summary: patchkit test package %{pname}
License: MIT
BuildArch: noarch

%description
A package made for patchkit's tests.

%install
mkdir -p %{buildroot}/usr/share/testbed
echo %{pname}-%{pver}-%{prel} > %{buildroot}/usr/share/testbed/%{pname}

%files
/usr/share/testbed/%{pname}
EOF
cat >"$top/SPECS/snap.spec" <<'EOF'
Name: tb-snapshot
Version: 1.0
Release: 1
Summary: copies the rpmdb while rpm holds it open
License: MIT
BuildArch: noarch

%description
Copies rpmdb.sqlite and its -wal and -shm files to /snapshot in %posttrans,
while the transaction that installs it still has the database open.

%install
mkdir -p %{buildroot}/usr/share/testbed
echo snapshot > %{buildroot}/usr/share/testbed/tb-snapshot

%files
/usr/share/testbed/tb-snapshot

%posttrans -p <lua>
for _, n in ipairs({"rpmdb.sqlite", "rpmdb.sqlite-wal", "rpmdb.sqlite-shm"}) do
  local f = io.open("/var/lib/rpm/" .. n, "rb")
  if f then
    local data = f:read("a")
    f:close()
    local o = assert(io.open("/snapshot/" .. n, "wb"))
    o:write(data)
    o:close()
  end
end
EOF
build() { rpmbuild -bb --quiet --define "_topdir $top" "$@"; }
build --define "pname tb-hello" --define "pver 1.0" --define "prel 1" "$top/SPECS/tb.spec"
build --define "pname tb-lib" --define "pver 2.0" --define "prel 1" --define "pepoch 1" "$top/SPECS/tb.spec"
build --define "pname tb-tool" --define "pver 0.3" --define "prel 4" "$top/SPECS/tb.spec"
build "$top/SPECS/snap.spec"
R=$work/root
mkdir -p "$R/snapshot"
q() { rpm --root "$R" --dbpath /var/lib/rpm "$@" 2>&1 | { grep -v -e 'use Alien instead' -e 'assuming you know' || true; }; }
rpms=$top/RPMS/noarch
q --initdb
q -i --nodeps "$rpms/tb-hello-1.0-1.noarch.rpm" "$rpms/tb-lib-2.0-1.noarch.rpm"
q -e tb-hello
q -i --nodeps "$rpms/tb-tool-0.3-4.noarch.rpm" "$rpms/tb-snapshot-1.0-1.noarch.rpm"
[ -s "$R/snapshot/rpmdb.sqlite-wal" ] || { echo "the snapshot has no log" >&2; exit 1; }
for d in debian-rpm-4.18 debian-rpm-4.18-open; do
	rm -rf "${here:?}/$d"
	mkdir -p "$here/$d"
done
for n in rpmdb.sqlite rpmdb.sqlite-wal rpmdb.sqlite-shm; do
	zstd -q -19 -f -o "$here/debian-rpm-4.18/$n.zst" "$R/var/lib/rpm/$n"
	zstd -q -19 -f -o "$here/debian-rpm-4.18-open/$n.zst" "$R/snapshot/$n"
done
ls -lR "$here"
