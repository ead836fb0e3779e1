#!/usr/bin/env bash
# Makes the rpm-md fixtures of older repositories and of rejected signatures
# (Debian 12 packages: gnupg, rpm, createrepo-c, util-linux for script(1)).
# mkfixtures.sh runs it at its end; run it alone after mkfixtures.sh, since it
# signs rpm/updates-gz/repodata/repomd.xml as mkfixtures.sh made it:
#   bash testdata/repo/mkrpmold.sh
# Keys are made fresh on every run. Nothing here is hand-edited.
#
#   rpm-old/sha-baseurl/   a repository as createrepo of 2008-2012 wrote them:
#                          SHA-1 ("sha") checksums in repomd.xml and for the
#                          packages, plain metadata file names, and
#                          <location xml:base=...> in primary.xml
#                          (createrepo_c --checksum sha --baseurl), with a
#                          SUSE-style updateinfo added by modifyrepo_c.
#   rpm-sigs/repomd.xml.asc.{sha1,expired,revoked}
#                          detached signatures of rpm/updates-gz's repomd.xml:
#                          a SHA-1 signature by a valid RSA key; a signature
#                          made in 2020 by a key that expired in 2021; and a
#                          signature made 2026-11-01 by a key revoked
#                          (reason: superseded) on 2026-11-05, so the key was
#                          valid when it signed and is revoked afterwards.
#   keys/rpm-sha1.gpg, keys/rpm-expired.gpg, keys/rpm-revoked.gpg
set -euo pipefail
export LC_ALL=C TZ=UTC
OUT=$(cd "$(dirname "$0")" && pwd)
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
export GNUPGHOME=$W/gnupg; mkdir -m700 "$GNUPGHOME"
G() { gpg --batch --quiet --pinentry-mode loopback --passphrase '' "$@"; }
rm -rf "$OUT/rpm-old" "$OUT/rpm-sigs"
mkdir -p "$OUT/rpm-old" "$OUT/rpm-sigs"

# ------------------------------------------------------------------ rpm-old
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
Fixture package %{pname}.
%install
mkdir -p %{buildroot}/usr/share/patchkit
echo "%{pname} %{pver}-%{prel}" > %{buildroot}/usr/share/patchkit/%{pname}.txt
%files
/usr/share/patchkit/%{pname}.txt
EOF
rb() { rpmbuild -bb --quiet --define "_topdir $SP/top" --define "pname $1" --define "pver $2" --define "prel $3" \
         ${4:+--define "pepoch $4"} "$SP/tpl.spec" >/dev/null 2>&1; }
rb pk-old 1.0 1; rb pk-old-tools 2.1 3 2
R=$OUT/rpm-old/sha-baseurl; mkdir -p "$R"; cp "$SP"/top/RPMS/noarch/*.rpm "$R/"
createrepo_c -q --checksum sha --simple-md-filenames --no-database \
  --baseurl http://download.example.invalid/old/suse/ --revision 1227279057 --set-timestamp-to-revision "$R"
cat > "$W/updateinfo.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<updates>
  <update from="maint-coord@example.invalid" status="stable" type="security" version="1">
    <id>pk-old-2008-1</id>
    <title>Security update for pk-old-tools</title>
    <severity>important</severity>
    <issued date="1227279057.0"/>
    <references>
      <reference href="https://www.example.invalid/cve/CVE-2008-0001/" id="CVE-2008-0001" title="CVE-2008-0001" type="cve"/>
    </references>
    <description>Fixes CVE-2008-0001.</description>
    <pkglist>
      <collection>
        <package name="pk-old-tools" epoch="2" version="2.1" release="3" arch="noarch" src="pk-old-tools-2.1-3.src.rpm">
          <filename>pk-old-tools-2.1-3.noarch.rpm</filename>
        </package>
      </collection>
    </pkglist>
  </update>
</updates>
EOF
modifyrepo_c --checksum sha --simple-md-filenames --mdtype=updateinfo "$W/updateinfo.xml" "$R/repodata" >/dev/null
# modifyrepo_c stamps its entry with the current time: give it the revision.
sed -i 's|<timestamp>[0-9]*</timestamp>|<timestamp>1227279057</timestamp>|' "$R/repodata/repomd.xml"
rm -f "$R"/*.rpm

# ------------------------------------------------------------------ rpm-sigs
KT=20260101T000000!; T1=20261101T000000!
G --faked-system-time $KT --quick-gen-key 'Patchkit Test RPM SHA-1 <rpm-sha1@example.invalid>' rsa3072 sign never
G --faked-system-time 20200101T000000! --quick-gen-key 'Patchkit Test RPM Expired <rpm-expired@example.invalid>' ed25519 sign 1y
G --faked-system-time $KT --quick-gen-key 'Patchkit Test RPM Revoked <rpm-revoked@example.invalid>' ed25519 sign never
fpr() { gpg --batch --with-colons --list-keys "$1" | awk -F: '/^fpr:/ {print $10; exit}'; }
S1=$(fpr rpm-sha1@); X=$(fpr rpm-expired@); V=$(fpr rpm-revoked@)
MD=$OUT/rpm/updates-gz/repodata/repomd.xml
sig() { # key time out [gpg args]
  local k=$1 t=$2 o=$3; shift 3
  gpg --batch --yes --faked-system-time "$t" --local-user "$k" "$@" --armor --detach-sign -o "$o" "$MD"; }
sig "$S1" $T1 "$OUT/rpm-sigs/repomd.xml.asc.sha1" --digest-algo SHA1
sig "$X" 20200601T000000! "$OUT/rpm-sigs/repomd.xml.asc.expired"
sig "$V" $T1 "$OUT/rpm-sigs/repomd.xml.asc.revoked"
# Revoke V on 2026-11-05 (reason 2, "key is superseded", which applies from
# its date on). gpg asks on a terminal, which script(1) provides.
printf 'y\n2\nsuperseded\n\ny\n' > "$W/answers"
script -qc "gpg --yes --pinentry-mode loopback --passphrase '' --faked-system-time 20261105T000000! --command-fd 0 --armor --gen-revoke -o '$W/rev.asc' $V < '$W/answers'" /dev/null >/dev/null
gpg --batch --quiet --import "$W/rev.asc"
gpg --batch --export "$S1" > "$OUT/keys/rpm-sha1.gpg"
gpg --batch --export "$X" > "$OUT/keys/rpm-expired.gpg"
gpg --batch --export "$V" > "$OUT/keys/rpm-revoked.gpg"

{ echo "made $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(. /etc/os-release; echo "$PRETTY_NAME")"
  echo "$(gpg --version | head -1); createrepo_c $(createrepo_c --version | awk '{print $2}'); $(rpmbuild --version)"
  echo "signed: rpm/updates-gz/repodata/repomd.xml sha256 $(sha256sum "$MD" | cut -d' ' -f1)"
  echo "keys: sha1=$S1 expired=$X revoked=$V"; } > "$OUT/rpm-sigs/PROVENANCE.txt"
echo "rpm-old and rpm-sigs written to $OUT"
