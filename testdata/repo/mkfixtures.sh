#!/usr/bin/env bash
# Rebuilds the repository fixtures of testdata/repo with the real tools
# (Debian 12 packages: gnupg, dpkg-dev, apt-utils, rpm, createrepo-c, xz-utils,
# bzip2, lz4, zstd). Run from anywhere: bash testdata/repo/mkfixtures.sh
# Keys are made fresh on every run, so the outputs differ from run to run;
# the tests read only what this script writes. Nothing here is hand-edited.
set -euo pipefail
export LC_ALL=C TZ=UTC
OUT=$(cd "$(dirname "$0")" && pwd)
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
export GNUPGHOME=$W/gnupg; mkdir -m700 "$GNUPGHOME"
G() { gpg --batch --quiet --pinentry-mode loopback --passphrase '' "$@"; }
D1="Sun, 01 Nov 2026 00:00:00 UTC"; V1="Sun, 15 Nov 2026 00:00:00 UTC"   # 1793491200
D2="Sun, 08 Nov 2026 00:00:00 UTC"; V2="Sun, 22 Nov 2026 00:00:00 UTC"   # 1794096000
rm -rf "$OUT/apt" "$OUT/rpm" "$OUT/keys" "$OUT/bombs" "$OUT/PROVENANCE.txt"
mkdir -p "$OUT/keys" "$OUT/apt" "$OUT/rpm" "$OUT/bombs"

# ------------------------------------------------------------------ keys
# Keys are dated 2026-01-01 and signatures carry the Release's own date, so
# that the tests' clock (November 2026) is after both.
KT=20260101T000000!; T1=20261101T000000!; T2=20261108T000000!
G --faked-system-time $KT --quick-gen-key 'Patchkit Test Archive A <archive-a@example.invalid>' ed25519 sign never
G --faked-system-time $KT --quick-gen-key 'Patchkit Test Archive B <archive-b@example.invalid>' ed25519 sign never
G --faked-system-time $KT --quick-gen-key 'Patchkit Test RPM <rpm@example.invalid>' rsa3072 sign never
# expired: made in 2020, valid for one year
G --faked-system-time 20200101T000000! --quick-gen-key 'Patchkit Test Expired <expired@example.invalid>' ed25519 sign 1y
G --faked-system-time $KT --quick-gen-key 'Patchkit Test Revoked <revoked@example.invalid>' ed25519 sign never
fpr() { gpg --batch --with-colons --list-keys "$1" | awk -F: '/^fpr:/ {print $10; exit}'; }
A=$(fpr archive-a@); B=$(fpr archive-b@); R=$(fpr rpm@); X=$(fpr expired@); V=$(fpr revoked@)
gpg --batch --export "$A" > "$OUT/keys/archive-a.gpg"
gpg --batch --armor --export "$A" > "$OUT/keys/archive-a.asc"
gpg --batch --export "$B" > "$OUT/keys/archive-b.gpg"
gpg --batch --armor --export "$R" > "$OUT/keys/RPM-GPG-KEY-patchkit-test"
gpg --batch --export "$X" > "$OUT/keys/expired.gpg"

# ------------------------------------------------------------------ apt
mkdeb() { # name version arch
  local d=$W/build/$1_$2_$3; mkdir -p "$d/DEBIAN" "$d/usr/share/doc/$1"
  echo "$1 $2" > "$d/usr/share/doc/$1/README"
  printf 'Package: %s\nVersion: %s\nArchitecture: %s\nMaintainer: Patchkit <test@example.invalid>\nSection: %s\nPriority: optional\nSource: %s (%s)\nDescription: patchkit fixture %s\n multi-line description\n .\n second paragraph\n' \
    "$1" "$2" "$3" "${4:-utils}" "${5:-$1}" "$2" "$1" > "$d/DEBIAN/control"
  dpkg-deb --root-owner-group -Zxz --build "$d" "$6/${1}_${2#*:}_$3.deb" >/dev/null; }
release() { # dir suite date validuntil
  apt-ftparchive -o APT::FTPArchive::Release::Origin=Patchkit -o APT::FTPArchive::Release::Label=Patchkit \
    -o APT::FTPArchive::Release::Suite="$2" -o APT::FTPArchive::Release::Codename=pk \
    -o APT::FTPArchive::Release::Date="$3" -o APT::FTPArchive::Release::ValidTime=1 -o APT::FTPArchive::Release::Valid-Until="$4" \
    -o APT::FTPArchive::Release::Architectures=amd64 -o APT::FTPArchive::Release::Components=main \
    -o APT::FTPArchive::Release::Acquire-By-Hash=yes release "$1" > "$W/Release.tmp"
  mv "$W/Release.tmp" "$1/Release"; }
sign() { # dir key time [extra gpg args]
  local d=$1 k=$2 ft=$3; shift 3; set -- --faked-system-time "$ft" "$@"
  gpg --batch --yes --local-user "$k" "$@" --clearsign -o "$d/InRelease" "$d/Release"
  gpg --batch --yes --local-user "$k" "$@" -abs -o "$d/Release.gpg" "$d/Release"; }
mkrepo() { # root version-of-tb-lib suite date validuntil signing-time
  local root=$1 pool=$1/pool/main d=$1/dists/$3
  mkdir -p "$pool" "$d/main/binary-amd64"
  mkdeb pk-hello 1.0-1 amd64 utils pk-hello "$pool"
  mkdeb pk-lib 1:2.0-$2 amd64 libs pk-src "$pool"
  mkdeb pk-lib-dev 1:2.0-$2 amd64 libdevel pk-src "$pool"
  mkdeb pk-doc 3.0-1 all doc pk-doc "$pool"
  ( cd "$root" && apt-ftparchive --arch amd64 packages pool/main > "dists/$3/main/binary-amd64/Packages" )
  rm -rf "$pool"   # the tests read metadata only
  for b in "$d/main/binary-amd64"; do
    gzip -9nk "$b/Packages"; xz -9k "$b/Packages"; bzip2 -9k "$b/Packages"; lz4 -q -9 "$b/Packages" "$b/Packages.lz4"; zstd -q -19 "$b/Packages" -o "$b/Packages.zst"
  done
  release "$d" "$3" "$4" "$5"
  # by-hash copies, as dak publishes them
  for f in $(cd "$d" && find main -name 'Packages*' -type f); do
    h=$(sha256sum "$d/$f" | cut -d' ' -f1); mkdir -p "$d/$(dirname "$f")/by-hash/SHA256"; cp "$d/$f" "$d/$(dirname "$f")/by-hash/SHA256/$h"
  done
  sign "$d" "$A" "$6"; }
mkrepo "$OUT/apt/v1" 1 stable "$D1" "$V1" $T1
mkrepo "$OUT/apt/v2" 2 stable "$D2" "$V2" $T2
# the same content as v2, but the Release says Suite: testing
mkdir -p "$OUT/apt/suite-changed/dists"; cp -r "$OUT/apt/v2/dists/stable" "$OUT/apt/suite-changed/dists/"
sed -i 's/^Suite: stable$/Suite: testing/' "$OUT/apt/suite-changed/dists/stable/Release"
sign "$OUT/apt/suite-changed/dists/stable" "$A" $T2
# signature variants of v1's Release
S=$OUT/apt/signatures; mkdir -p "$S"; cp "$OUT/apt/v1/dists/stable/Release" "$S/Release"
for v in keyB:"$B" rsa-sha256:"$R" expired:"$X" revoked:"$V"; do
  n=${v%%:*} k=${v#*:}; d=$W/sig-$n; mkdir -p "$d"; cp "$S/Release" "$d/"
  ft=$T1; [ "$n" = expired ] && ft=20200601T000000!
  sign "$d" "$k" "$ft"; cp "$d/InRelease" "$S/InRelease.$n"; cp "$d/Release.gpg" "$S/Release.gpg.$n"
done
d=$W/sig-sha1; mkdir -p "$d"; cp "$S/Release" "$d/"; sign "$d" "$R" $T1 --digest-algo SHA1
cp "$d/InRelease" "$S/InRelease.sha1"; cp "$d/Release.gpg" "$S/Release.gpg.sha1"
gpg --batch --export "$R" > "$OUT/keys/rpm.gpg"
# revoke V with the certificate gpg made, then export the revoked key
rev=$GNUPGHOME/openpgp-revocs.d/$V.rev
sed 's/^:-----BEGIN/-----BEGIN/' "$rev" | gpg --batch --quiet --import
gpg --batch --export "$V" > "$OUT/keys/revoked.gpg"

# ------------------------------------------------------------------ rpm-md
SP=$W/rpmbuild; mkdir -p "$SP"
cat > "$SP/tpl.spec" <<'EOF'
Name:           %{pname}
Version:        %{pver}
Release:        %{prel}
%if 0%{?pepoch}
Epoch:          %{pepoch}
%endif
Summary:        patchkit fixture %{pname}
License:        MIT
BuildArch:      noarch
%description
Fixture package %{pname} & <friends>.
%install
mkdir -p %{buildroot}/usr/share/patchkit
echo "%{pname} %{pver}-%{prel}" > %{buildroot}/usr/share/patchkit/%{pname}.txt
%files
/usr/share/patchkit/%{pname}.txt
EOF
rb() { rpmbuild -bb --quiet --define "_topdir $SP/top" --define "pname $1" --define "pver $2" --define "prel $3" \
         ${4:+--define "pepoch $4"} "$SP/tpl.spec" >/dev/null 2>&1; }
rb pk-hello 1.0 1; rb pk-hello 1.1 1; rb pk-lib 2.0 1 1; rb pk-lib 2.0 2 1; rb kernel-pk 5.0 1; rb kernel-pk 5.1 1
N=$SP/top/RPMS/noarch
mkrepomd() { # dir revision compress rpms...
  local dir=$1 rev=$2 comp=$3; shift 3; mkdir -p "$dir"; cp "$@" "$dir/"
  createrepo_c -q --no-database --revision "$rev" --set-timestamp-to-revision --general-compress-type "$comp" "$dir"
  rm -f "$dir"/*.rpm; }
mkrepomd "$OUT/rpm/base" 1793491200 gz $N/pk-hello-1.0-1.noarch.rpm $N/pk-lib-2.0-1.noarch.rpm $N/kernel-pk-5.0-1.noarch.rpm
gpg --batch --yes --faked-system-time $T1 --local-user "$R" --armor --detach-sign -o "$OUT/rpm/base/repodata/repomd.xml.asc" "$OUT/rpm/base/repodata/repomd.xml"
UP=$N/pk-hello-1.1-1.noarch.rpm; UP2="$N/pk-lib-2.0-2.noarch.rpm $N/kernel-pk-5.1-1.noarch.rpm"
# updateinfo in the shapes of the distributions (written here, not copied
# from a vendor): Red Hat/CentOS/Alma/Rocky and Amazon Linux ("YYYY-MM-DD
# hh:mm:ss" dates, reboot_suggested per package), Fedora (bodhi: epoch-less
# dates and "True"), SUSE (Unix-time dates, categories recommended/optional,
# reboot_suggested on the update).
cat > "$W/updateinfo.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<updates>
  <update author="errata@example.invalid" from="security@example.invalid" status="final" type="security" version="2">
    <id>RHSA-2026:1001</id>
    <title>Important: pk-lib security update</title>
    <issued date="2026-11-01 10:00:00"/>
    <updated date="2026-11-02 11:30:00"/>
    <rights>Copyright 2026 Example</rights>
    <release>Example Enterprise Linux 9</release>
    <pushcount>1</pushcount>
    <severity>Important</severity>
    <summary>An update for pk-lib is now available.</summary>
    <description>Security fix for CVE-2026-1001 &amp; CVE-2026-1002.</description>
    <solution>Apply the update.</solution>
    <references>
      <reference href="https://access.example.invalid/errata/RHSA-2026:1001" id="RHSA-2026:1001" title="RHSA-2026:1001" type="self"/>
      <reference href="https://bugzilla.example.invalid/show_bug.cgi?id=2260001" id="2260001" title="CVE-2026-1001" type="bugzilla"/>
      <reference href="https://access.example.invalid/security/cve/CVE-2026-1001" id="CVE-2026-1001" title="CVE-2026-1001" type="cve"/>
      <reference href="https://access.example.invalid/security/cve/CVE-2026-1002" id="CVE-2026-1002" title="CVE-2026-1002" type="cve"/>
    </references>
    <pkglist>
      <collection short="eel9-appstream">
        <name>Example Enterprise Linux 9 AppStream</name>
        <module name="pk" stream="2" version="9000020261101" context="abcdef12" arch="noarch"/>
        <package name="pk-lib" version="2.0" release="2" epoch="1" arch="noarch" src="pk-lib-2.0-2.src.rpm">
          <filename>pk-lib-2.0-2.noarch.rpm</filename>
          <sum type="sha256">0000000000000000000000000000000000000000000000000000000000000001</sum>
        </package>
      </collection>
    </pkglist>
  </update>
  <update author="linux-security@example.invalid" from="linux-security@example.invalid" status="final" type="security" version="2.0">
    <id>ALAS2023-2026-101</id>
    <title>Amazon Linux 2023 - ALAS2023-2026-101: critical priority package update for kernel-pk</title>
    <issued date="2026-11-03 20:22:00"/>
    <updated date="2026-11-04 00:51:00"/>
    <severity>critical</severity>
    <description>Package updates are available for Amazon Linux 2023 that fix the following vulnerabilities: CVE-2026-2001</description>
    <references>
      <reference href="https://example.invalid/cve/CVE-2026-2001" id="CVE-2026-2001" type="cve"/>
    </references>
    <pkglist>
      <collection short="amazon-linux-2023">
        <name>amazon-linux-2023</name>
        <package arch="noarch" epoch="0" name="kernel-pk" release="1" version="5.1">
          <filename>Packages/kernel-pk-5.1-1.noarch.rpm</filename>
          <reboot_suggested>1</reboot_suggested>
        </package>
      </collection>
    </pkglist>
  </update>
  <update from="updates@fedoraproject.invalid" status="stable" type="bugfix" version="2.0">
    <id>FEDORA-2026-0a1b2c3d4e</id>
    <title>pk-hello-1.1-1.fc44</title>
    <issued date="2026-11-05 01:02:03"/>
    <updated date="2026-11-05 01:02:03"/>
    <severity>None</severity>
    <summary>pk-hello-1.1-1.fc44 bugfix update</summary>
    <description>Fix the greeting.</description>
    <references>
      <reference href="https://bugzilla.example.invalid/show_bug.cgi?id=2270001" id="2270001" type="bugzilla" title="pk-hello greets twice"/>
    </references>
    <pkglist>
      <collection short="F44">
        <name>Fedora 44</name>
        <package name="pk-hello" version="1.1" release="1" epoch="0" arch="noarch" src="https://download.example.invalid/pk-hello-1.1-1.src.rpm">
          <filename>pk-hello-1.1-1.noarch.rpm</filename>
          <sum type="sha256">0000000000000000000000000000000000000000000000000000000000000002</sum>
          <reboot_suggested>False</reboot_suggested>
        </package>
      </collection>
    </pkglist>
  </update>
  <update from="maint-coord@example.invalid" status="stable" type="recommended" version="1">
    <id>SUSE-SLE-Module-Basesystem-15-SP6-2026-4001</id>
    <title>Recommended update for pk-hello</title>
    <severity>moderate</severity>
    <release>SUSE Updates SLE-Module-Basesystem 15-SP6 noarch</release>
    <issued date="1793923200"/>
    <references>
      <reference href="https://bugzilla.example.invalid/1230001" id="1230001" title="pk-hello: typo" type="bugzilla"/>
      <reference href="https://www.example.invalid/security/cve/CVE-2026-3001/" id="CVE-2026-3001" title="SUSE CVE-2026-3001" type="cve"/>
    </references>
    <description>This update for pk-hello fixes a typo.</description>
    <pkglist>
      <collection>
        <package name="pk-hello" epoch="0" version="1.1" release="1" arch="noarch" src="pk-hello-1.1-1.src.rpm">
          <filename>pk-hello-1.1-1.noarch.rpm</filename>
        </package>
      </collection>
    </pkglist>
    <reboot_suggested>true</reboot_suggested>
  </update>
  <update from="maint-coord@example.invalid" status="stable" type="optional" version="1">
    <id>openSUSE-2026-5001</id>
    <title>Optional update for pk-doc</title>
    <severity>low</severity>
    <issued date="1793923200"/>
    <references/>
    <description>Documentation.</description>
    <pkglist><collection><package name="pk-doc" version="3.0" release="1" arch="noarch"><filename>pk-doc-3.0-1.noarch.rpm</filename></package></collection></pkglist>
  </update>
</updates>
EOF
cp "$W/updateinfo.xml" "$OUT/rpm/updateinfo-input.xml"
for comp in gz xz bz2 zstd; do
  dir=$OUT/rpm/updates-$comp; c=$comp; [ "$comp" = zstd ] && c=gz
  mkrepomd "$dir" 1793491200 "$c" $UP $UP2
  modifyrepo_c --mdtype=updateinfo --compress-type "$c" "$W/updateinfo.xml" "$dir/repodata" >/dev/null
  python3 "$OUT/fixrepomd.py" "$dir" 1793491200 $( [ "$comp" = zstd ] && echo zst )
  gpg --batch --yes --faked-system-time $T1 --local-user "$R" --armor --detach-sign -o "$dir/repodata/repomd.xml.asc" "$dir/repodata/repomd.xml"
done
# a later generation of updates-gz (rollback tests)
mkrepomd "$OUT/rpm/updates-v2" 1794096000 gz $UP $UP2 $N/pk-hello-1.0-1.noarch.rpm
modifyrepo_c --mdtype=updateinfo "$W/updateinfo.xml" "$OUT/rpm/updates-v2/repodata" >/dev/null
python3 "$OUT/fixrepomd.py" "$OUT/rpm/updates-v2" 1794096000
gpg --batch --yes --faked-system-time $T2 --local-user "$R" --armor --detach-sign -o "$OUT/rpm/updates-v2/repodata/repomd.xml.asc" "$OUT/rpm/updates-v2/repodata/repomd.xml"
# updates-gz signed by the wrong key (archive B)
mkdir -p "$OUT/rpm/updates-keyB"; cp -r "$OUT/rpm/updates-gz/repodata" "$OUT/rpm/updates-keyB/"
gpg --batch --yes --faked-system-time $T1 --local-user "$B" --armor --detach-sign -o "$OUT/rpm/updates-keyB/repodata/repomd.xml.asc" "$OUT/rpm/updates-keyB/repodata/repomd.xml"

# ------------------------------------------------------------------ bombs
head -c 64M /dev/zero | gzip -9n > "$OUT/bombs/zeros-64MiB.gz"
head -c 64M /dev/zero | bzip2 -9 > "$OUT/bombs/zeros-64MiB.bz2"
head -c 64M /dev/zero | xz -9 > "$OUT/bombs/zeros-64MiB.xz"
head -c 64M /dev/zero | zstd -q -19 > "$OUT/bombs/zeros-64MiB.zst"
head -c 64M /dev/zero | lz4 -q -9 > "$OUT/bombs/zeros-64MiB.lz4"
# an xz stream whose block asks for a 1.5 GiB dictionary (the most xz allows)
echo hello | xz --lzma2=dict=1536MiB > "$OUT/bombs/dict-1536MiB.xz"
# a zstd frame with a 2 GiB window (long mode, no content size)
head -c 1M /dev/zero | zstd -q --long=31 --no-content-size -c > "$OUT/bombs/window-2GiB.zst"

{ echo "made $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(. /etc/os-release; echo "$PRETTY_NAME")"
  echo "$(gpg --version | head -1); $(apt-ftparchive --version 2>&1 | head -1 | sed 's/ (.*//') apt-ftparchive; dpkg-deb $(dpkg-deb --version | head -1 | sed 's/.*version \([^ ]*\).*/\1/'); createrepo_c $(createrepo_c --version | awk '{print $2}'); $(rpmbuild --version)"
  echo "$(xz --version | head -1); $(zstd --version); $(lz4 --version | head -1); bzip2 1.0.8"
  echo "keys: A=$A B=$B R=$R expired=$X revoked=$V"; } > "$OUT/PROVENANCE.txt"
# the older-repository and rejected-signature fixtures, made from the above
bash "$OUT/mkrpmold.sh"
echo "fixtures written to $OUT"
