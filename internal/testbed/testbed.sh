#!/usr/bin/env bash
# testbed.sh: real package managers for patchkit's end-to-end tests, on a
# Debian 12 (bookworm) machine, run as root.
#
#   bash internal/testbed/testbed.sh up DIR      build (or reuse) the signed repositories, start two
#                                                HTTP servers on 127.0.0.1, lay out the package-manager
#                                                roots afresh, check them, and write DIR/env.sh
#   bash internal/testbed/testbed.sh down DIR    stop the servers this script started (by recorded
#                                                PID, after checking each PID is still that server),
#                                                unmount what it mounted under DIR, remove DIR/env.sh
#   bash internal/testbed/testbed.sh status DIR  say whether the testbed in DIR is up
#   bash internal/testbed/testbed.sh packages    print the Debian packages the testbed needs
#
# What `up` leaves in DIR (the Go side is internal/testbed/testbed.go):
#   aptrepo/    signed apt repository, suites testbed, testbed-updates, testbed-security
#   rpmrepo/    signed rpm-md repositories base and updates (updates carries updateinfo.xml)
#   apt-private/ host apt and dpkg pointed at a private state directory (APT_CONFIG=apt-private/apt.conf)
#   deb-root/   a real mmdebstrap Debian chroot with the Debian mirror and the testbed repository
#   rpm-root/   dnf --installroot root;  zyp-root/  zypper --root root
#   dnfpc/      the needs-restarting dnf plugin, unpacked (dnf-plugins-core Breaks zypper on bookworm)
#   env.sh      TESTBED_* variables for the tests;  pids  the servers;  logs/  every step's output
#   clones/     per-test copies of the small roots (Env.Clone in testbed.go); up empties it
#
# Every root starts with the baseline installed: tb-hello 1.0-1, tb-lib 1:2.0-1, tb-tool 3.0-1,
# tb-kernel 1.0-1 (kernel-tb 5.0-1 on the rpm side) and tb-multi 1.0-1. Pending updates:
#   tb-hello 1.1-1        updates   (rpm: TBBA-2026:0002 bugfix)
#   tb-lib 1:2.0-2        security  (rpm: TBSA-2026:0001 security, Important, one CVE)
#   tb-kernel 1.1-1 / kernel-tb 5.1-1  security, needs a reboot (rpm: TBSA-2026:0003 Critical, reboot_suggested)
#   tb-multi 1.1-1        updates   (rpm: TBBA-2026:0004 bugfix)
#   tb-multi 1.2-1        security  (rpm: TBSA-2026:0005 security, Moderate, one CVE)
#   tb-multi 1.3-1        updates   (rpm: TBEA-2026:0006 enhancement)
# and one package no root has installed, for NotApplicable: tb-extra 1.0-1 (base) and 1.1-1
# security (rpm: TBSA-2026:0007 security, Important, one CVE).
# On apt the classification is the suite (Label Testbed-Security for testbed-security); on rpm it
# is updateinfo. The chroot also has the real Debian -updates and -security suites, so it has real
# pending Debian upgrades too (their number changes with the mirror).
#
# Knobs (environment):
#   SUITE=bookworm|trixie   the chroot's Debian suite (default bookworm)
#   SKIP_CHROOT=1           no chroot (TESTBED_DEB_CHROOT is then empty; tests that need it skip)
#   APT_PORT, RPM_PORT      fixed ports for the two servers; by default the first free even
#                           port from 18080 on (apt) and odd port from 18081 on (rpm)
#   TESTBED_CACHE=DIR       where the mmdebstrap base tarball and the unpacked dnf plugin are kept
#                           between runs (default /var/cache/patchkit-testbed; empty: inside DIR)
#   TESTBED_CACHE_DAYS=N    rebuild the cached base tarball when it is older (default 7)
set -euo pipefail
umask 022
export LC_ALL=C LANGUAGE='' DEBIAN_FRONTEND=noninteractive

SELF=$(realpath -- "${BASH_SOURCE[0]}")
SUITE=${SUITE:-bookworm}
SKIP_CHROOT=${SKIP_CHROOT:-}
APT_PORT=${APT_PORT:-}
RPM_PORT=${RPM_PORT:-}
CACHE=${TESTBED_CACHE-/var/cache/patchkit-testbed}
CACHE_DAYS=${TESTBED_CACHE_DAYS:-7}
PY=/usr/bin/python3 # Debian's own, whatever python3 comes first in PATH
APT_GET=(apt-get -o DPkg::Lock::Timeout=600)
HOST_PACKAGES=(mmdebstrap apt-utils dpkg-dev gpg gpgv python3 curl rpm dnf createrepo-c zypper libsolv-tools)
# the baseline every root starts with (apt names; the rpm side calls the kernel kernel-tb)
DEB_BASELINE=(tb-hello=1.0-1 tb-lib=1:2.0-1 tb-tool=3.0-1 tb-kernel=1.0-1 tb-multi=1.0-1)
RPM_BASELINE=(tb-hello-1.0-1 tb-lib-1:2.0-1 tb-tool-3.0-1 kernel-tb-5.0-1 tb-multi-1.0-1)

die() { printf 'testbed: error: %s\n' "$*" >&2; exit 1; }
usage() { sed -n '2,12p' "$SELF" | sed 's/^# \{0,1\}//' >&2; exit 2; }

# ---------------------------------------------------------------- timing and logs
now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }
T0=$(now_ms)
STEP=
STEP_T=$T0
TIMINGS=()
fmt_ms() { printf '%d.%ds' $(($1 / 1000)) $((($1 % 1000) / 100)); }
end_step() {
	[ -n "$STEP" ] || return 0
	local d=$(($(now_ms) - STEP_T))
	TIMINGS+=("$(printf '%-34s %8s' "$STEP" "$(fmt_ms $d)")")
	printf '== testbed [%7s]   done: %s (%s)\n' "$(fmt_ms $(($(now_ms) - T0)))" "$STEP" "$(fmt_ms $d)"
	STEP=
}
step() {
	end_step
	STEP=$1
	STEP_T=$(now_ms)
	printf '== testbed [%7s] %s\n' "$(fmt_ms $((STEP_T - T0)))" "$STEP"
}
note() { printf '== testbed            %s\n' "$*"; }

# quiet NAME CMD...: run CMD with its output in $LOGS/NAME.log; on failure show the log's end
quiet() {
	local name=$1 rc=0
	shift
	"$@" >"$LOGS/$name.log" 2>&1 || rc=$?
	if [ $rc != 0 ]; then
		printf 'testbed: %s failed (exit %s): %s\n--- last lines of %s:\n' "$name" "$rc" "$*" "$LOGS/$name.log" >&2
		tail -n 40 "$LOGS/$name.log" >&2
		return $rc
	fi
}

# apt_update LOGNAME [apt-get options...]: apt-get update, retried. DPkg::Lock::Timeout covers only
# dpkg's frontend lock: update fails at once (exit 100) when another update holds lists/lock, so a
# lock failure is retried for up to 10 minutes, any other failure 3 times.
apt_update() {
	local name=$1 i=0 other=0
	shift
	while :; do
		i=$((i + 1))
		if "${APT_GET[@]}" "$@" update -q >"$LOGS/$name.log" 2>&1; then return 0; fi
		if grep -q 'Could not get lock\|Unable to lock' "$LOGS/$name.log"; then
			[ $i -lt 60 ] || break
			note "apt-get update: lists lock held by another process; retry $i in 10 s"
		else
			other=$((other + 1))
			[ $other -lt 3 ] || break
			note "apt-get update failed; retry in 5 s"
			sleep 5
			continue
		fi
		sleep 10
	done
	tail -n 40 "$LOGS/$name.log" >&2
	die "apt-get update failed (log: $LOGS/$name.log)"
}

# ---------------------------------------------------------------- processes and mounts
# /proc/PID/stat's starttime (field 22); the command name (field 2) may hold spaces, so cut after ')'
proc_start() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $20}'; }
proc_cmdline() { tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | sed 's/ $//'; }

# is_ours PID START CMDLINE: the PID is still the process that was recorded (PIDs are reused)
is_ours() { [ -e "/proc/$1" ] && [ "$(proc_start "$1")" = "$2" ] && [ "$(proc_cmdline "$1")" = "$3" ]; }

stop_servers() {
	local pid start cmd i
	[ -f "$W/pids" ] || return 0
	while read -r pid start cmd; do
		[ -n "$pid" ] || continue
		if ! is_ours "$pid" "$start" "$cmd"; then
			if [ -e "/proc/$pid" ]; then
				note "PID $pid is no longer the testbed's server (now: $(proc_cmdline "$pid")); left alone"
			fi
			continue
		fi
		kill -TERM "$pid" 2>/dev/null || true
		for i in $(seq 50); do is_ours "$pid" "$start" "$cmd" || break; sleep 0.1; done
		if is_ours "$pid" "$start" "$cmd"; then kill -KILL "$pid" 2>/dev/null || true; fi
		note "stopped PID $pid: $cmd"
	done <"$W/pids"
	rm -f "$W/pids"
}

# gpg-agents that gpg, rpmsign and dnf's repo_gpgcheck started for GnuPG homes inside DIR: stop
# them by home (their sockets may live under /run/user, so look for the homes' keyrings)
stop_agents() {
	local k
	find "$W" -xdev \( -name pubring.kbx -o -name pubring.gpg \) 2>/dev/null | while IFS= read -r k; do
		gpgconf --homedir "$(dirname "$k")" --kill all 2>/dev/null || true
	done
}

# mount points under a directory, deepest first
mounts_under() { awk -v d="$1/" 'index($5, d) == 1 {print $5}' /proc/self/mountinfo | sort -r; }
unmount_under() {
	local m
	for m in $(mounts_under "$1"); do umount "$m" 2>/dev/null || umount -l "$m"; done
	[ -z "$(mounts_under "$1")" ] || die "still mounted under $1: $(mounts_under "$1" | tr '\n' ' ')"
}
# remove a directory tree that must hold no mounts (--one-file-system as a second guard)
remove_tree() { unmount_under "$1"; rm -rf --one-file-system -- "$1"; }

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# pick_port WANTED FIRST [EXCLUDED]
pick_port() {
	local p
	if [ -n "$1" ]; then
		port_busy "$1" && die "port $1 on 127.0.0.1 is in use"
		echo "$1"
		return
	fi
	for p in $(seq "$2" 2 $(($2 + 80))); do
		[ "$p" != "${3:-}" ] || continue
		port_busy "$p" || { echo "$p"; return; }
	done
	die "no free port from $2 on"
}

# serve NAME PORT DIR: a plain HTTP server on loopback, recorded in DIR/pids
serve() {
	local name=$1 port=$2 dir=$3 pid i
	# (without the lock descriptors: a server must not hold DIR's lock for its whole life)
	"$PY" -m http.server "$port" --bind 127.0.0.1 --directory "$dir" </dev/null >"$LOGS/http-$name.log" 2>&1 8>&- 9>&- &
	pid=$!
	echo "$pid $(proc_start $pid) $PY -m http.server $port --bind 127.0.0.1 --directory $dir" >>"$W/pids"
	for i in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || { cat "$LOGS/http-$name.log" >&2; die "the $name server exited"; }
		curl -fs -o /dev/null "http://127.0.0.1:$port/" && return 0
		sleep 0.1
	done
	die "the $name server on port $port did not answer"
}

# ---------------------------------------------------------------- host packages
missing_packages() {
	local p
	for p in "${HOST_PACKAGES[@]}"; do
		[ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" = installed ] || echo "$p"
	done
}

host_setup() {
	local missing
	missing=$(missing_packages | tr '\n' ' ')
	if [ -n "$missing" ]; then
		note "installing: $missing"
		apt_update host-apt-update
		# shellcheck disable=SC2086
		quiet host-apt-install "${APT_GET[@]}" install -y -q --no-install-recommends $missing
	else
		note "host packages present"
	fi
	# Debian's rpm keeps the rpmdb in ~/.rpmdb; real distributions, dnf and zypper roots use /var/lib/rpm
	if [ "$(rpm --eval '%_dbpath')" != /var/lib/rpm ]; then
		mkdir -p /etc/rpm
		echo '%_dbpath /var/lib/rpm' >/etc/rpm/macros.zz-testbed-dbpath
	fi
	[ "$(rpm --eval '%_dbpath')" = /var/lib/rpm ] || die "rpm's %_dbpath is not /var/lib/rpm"
}

# the needs-restarting plugin of dnf-plugins-core, unpacked only (the package Breaks zypper on bookworm)
dnf_plugin() {
	local src=$CACHE_DIR/dnfpc
	if [ ! -f "$src/plugins/needs_restarting.py" ] || [ ! -d "$src/dnfpluginscore" ]; then
		local tmp
		tmp=$(mktemp -d "$CACHE_DIR/dnfpc.XXXXXX")
		if ! (cd "$tmp" && "${APT_GET[@]}" download -q dnf-plugins-core) >"$LOGS/dnfpc-download.log" 2>&1; then
			apt_update host-apt-update
			(cd "$tmp" && quiet dnfpc-download "${APT_GET[@]}" download -q dnf-plugins-core)
		fi
		dpkg-deb -x "$tmp"/dnf-plugins-core_*.deb "$tmp/x"
		mkdir -p "$tmp/dnfpc/plugins"
		cp "$tmp/x/usr/lib/python3/dist-packages/dnf-plugins/needs_restarting.py" "$tmp/dnfpc/plugins/"
		cp -r "$tmp/x/usr/lib/python3/dist-packages/dnfpluginscore" "$tmp/dnfpc/"
		rm -rf "$src"
		mv "$tmp/dnfpc" "$src"
		rm -rf "$tmp"
	fi
	if [ "$src" != "$W/dnfpc" ]; then
		rm -rf "$W/dnfpc"
		cp -a "$src" "$W/dnfpc"
	fi
}

# ---------------------------------------------------------------- repositories
repo_stamp() { sha256sum "$SELF" | cut -d' ' -f1; }

# mkdeb DIR NAME VERSION [POSTINST]: a tiny arch-all package with one file under /usr/share/testbed
mkdeb() {
	local out=$1 n=$2 v=$3 d
	d=$W/build/deb/${n}_$v
	mkdir -p "$d/DEBIAN" "$d/usr/share/testbed" "$out"
	echo "$n $v" >"$d/usr/share/testbed/$n.txt"
	cat >"$d/DEBIAN/control" <<-EOF
		Package: $n
		Version: $v
		Architecture: all
		Maintainer: patchkit testbed <testbed@example.invalid>
		Section: misc
		Priority: optional
		Description: patchkit testbed package $n
	EOF
	if [ -n "${4:-}" ]; then
		printf '#!/bin/sh\nset -e\n%s\n' "$4" >"$d/DEBIAN/postinst"
		chmod 755 "$d/DEBIAN/postinst"
	fi
	dpkg-deb --root-owner-group -Zxz --build "$d" "$out/${n}_${v#*:}_all.deb" >/dev/null
}

# apt_suite SUITE LABEL: index pool/SUITE (apt-ftparchive packages takes exactly one directory),
# write Release outside the suite directory first (else it lists itself), then sign it
apt_suite() {
	local s=$1 label=$2 d=$AR/dists/$1
	mkdir -p "$d/main/binary-amd64"
	(cd "$AR" && apt-ftparchive packages "pool/$s") >"$d/main/binary-amd64/Packages"
	gzip -9nkf "$d/main/binary-amd64/Packages"
	apt-ftparchive \
		-o APT::FTPArchive::Release::Origin=Testbed -o APT::FTPArchive::Release::Label="$label" \
		-o APT::FTPArchive::Release::Suite="$s" -o APT::FTPArchive::Release::Codename="$s" \
		-o APT::FTPArchive::Release::Architectures="amd64 all" \
		-o APT::FTPArchive::Release::Components=main release "$d" >"$AR/Release.new"
	mv "$AR/Release.new" "$d/Release"
	gpg --batch --yes --clearsign -o "$d/InRelease" "$d/Release"
	gpg --batch --yes --detach-sign -o "$d/Release.gpg" "$d/Release"
}

build_apt_repo() {
	AR=$W/aptrepo
	export GNUPGHOME=$W/gnupg-apt
	rm -rf "$AR" "$GNUPGHOME" "$W/build/deb"
	mkdir -p "$AR"
	mkdir -m 700 "$GNUPGHOME"
	local P=$AR/pool
	mkdeb "$P/testbed" tb-hello 1.0-1
	mkdeb "$P/testbed" tb-lib 1:2.0-1
	mkdeb "$P/testbed" tb-tool 3.0-1
	mkdeb "$P/testbed" tb-kernel 1.0-1
	mkdeb "$P/testbed" tb-multi 1.0-1
	mkdeb "$P/testbed" tb-extra 1.0-1
	mkdeb "$P/testbed-updates" tb-hello 1.1-1
	mkdeb "$P/testbed-updates" tb-multi 1.1-1
	mkdeb "$P/testbed-updates" tb-multi 1.3-1
	mkdeb "$P/testbed-security" tb-lib 1:2.0-2
	# as Debian's /etc/kernel/postinst.d hooks do; $DPKG_ROOT keeps it inside a dpkg --root tree
	# shellcheck disable=SC2016 # expanded by the postinst, not here
	mkdeb "$P/testbed-security" tb-kernel 1.1-1 \
		'if [ "$1" = configure ]; then touch "$DPKG_ROOT/var/run/reboot-required"; echo tb-kernel >>"$DPKG_ROOT/var/run/reboot-required.pkgs"; fi'
	mkdeb "$P/testbed-security" tb-multi 1.2-1
	mkdeb "$P/testbed-security" tb-extra 1.1-1
	gpg --batch --passphrase '' --quick-gen-key 'patchkit testbed apt signing <testbed@example.invalid>' ed25519 sign never 2>/dev/null
	gpg --batch --export >"$AR/testbed-archive-keyring.gpg"
	apt_suite testbed Testbed
	apt_suite testbed-updates Testbed
	apt_suite testbed-security Testbed-Security
	gpgconf --kill all
}

# one <update> of updateinfo.xml: ID TYPE SEVERITY TITLE NAME EPOCH VERSION RELEASE [reboot]
advisory() {
	local id=$1 type=$2 sev=$3 title=$4 n=$5 e=$6 v=$7 r=$8 reboot=${9:-} refs='' num=${1##*:}
	if [ "$type" = security ]; then
		refs="<reference href=\"https://testbed.invalid/CVE-2026-$num\" id=\"CVE-2026-$num\" type=\"cve\" title=\"CVE-2026-$num\"/>"
	fi
	cat <<-EOF
		  <update from="security@testbed.invalid" status="stable" type="$type" version="1">
		    <id>$id</id>
		    <title>$title</title>
		    <severity>$sev</severity>
		    <issued date="2026-11-${num: -2} 00:00:00"/>
		    <updated date="2026-11-${num: -2} 12:00:00"/>
		    <summary>$title</summary>
		    <description>$title.</description>
		    <references>$refs</references>
		    <pkglist>
		      <collection short="testbed">
		        <name>testbed</name>
		        <package name="$n" epoch="$e" version="$v" release="$r" arch="noarch" src="$n-$v-$r.src.rpm">
		          <filename>$n-$v-$r.noarch.rpm</filename>${reboot:+
		          <reboot_suggested>True</reboot_suggested>}
		        </package>
		      </collection>
		    </pkglist>
		  </update>
	EOF
}

build_rpm_repos() {
	RR=$W/rpmrepo
	export GNUPGHOME=$W/gnupg-rpm
	local B=$W/build/rpm
	rm -rf "$RR" "$GNUPGHOME" "$B"
	mkdir -p "$RR/base" "$RR/updates" "$B"
	mkdir -m 700 "$GNUPGHOME"
	gpg --batch --passphrase '' --quick-gen-key 'patchkit testbed rpm signing <testbed@example.invalid>' rsa3072 sign never 2>/dev/null
	gpg --batch --armor --export >"$RR/RPM-GPG-KEY-testbed"
	cat >"$B/tb.spec" <<-'EOF'
		Name:           %{pname}
		Version:        %{pver}
		Release:        %{prel}
		%if 0%{?pepoch}
		Epoch:          %{pepoch}
		%endif
		Summary:        patchkit testbed package %{pname}
		License:        MIT
		BuildArch:      noarch
		%description
		A patchkit testbed package: one text file.
		%install
		mkdir -p %{buildroot}/usr/share/testbed
		echo "%{pname} %{pver}-%{prel}" > %{buildroot}/usr/share/testbed/%{pname}.txt
		%files
		/usr/share/testbed/%{pname}.txt
	EOF
	# rpm NAME VERSION RELEASE [EPOCH]; the builds are independent, so they run side by side.
	# rpmbuild creates its top directories with a check-then-mkdir that fails with "File exists"
	# when two builds race on it (seen in CI with rpm 4.18), so they are made here first and
	# every build gets a build directory of its own.
	local spec
	mkdir -p "$B"/top/{BUILD,BUILDROOT,RPMS/noarch,SOURCES,SPECS,SRPMS}
	for spec in 'tb-hello 1.0 1' 'tb-hello 1.1 1' 'tb-lib 2.0 1 1' 'tb-lib 2.0 2 1' 'tb-tool 3.0 1' \
		'kernel-tb 5.0 1' 'kernel-tb 5.1 1' 'tb-multi 1.0 1' 'tb-multi 1.1 1' 'tb-multi 1.2 1' 'tb-multi 1.3 1' \
		'tb-extra 1.0 1' 'tb-extra 1.1 1'; do
		# shellcheck disable=SC2086 # split on purpose: NAME VERSION RELEASE [EPOCH]
		set -- $spec
		rpmbuild -bb --quiet --define "_topdir $B/top" --define "_builddir $B/top/BUILD/$1-$2-$3" --define "pname $1" --define "pver $2" \
			--define "prel $3" ${4:+--define "pepoch $4"} "$B/tb.spec" >"$LOGS/rpmbuild-$1-$2-$3.log" 2>&1 &
	done
	local pid fail=0
	for pid in $(jobs -p); do wait "$pid" || fail=1; done
	[ $fail = 0 ] || { cat "$LOGS"/rpmbuild-*.log >&2; die "rpmbuild failed"; }
	local N=$B/top/RPMS/noarch
	# Debian's rpm points %__gpg at /usr/bin/gpg2, which is not installed
	quiet rpmsign rpmsign --addsign --define "__gpg /usr/bin/gpg" \
		--define "_gpg_name patchkit testbed rpm signing" --define "_gpg_path $GNUPGHOME" "$N"/*.rpm
	cp "$N"/{tb-hello-1.0-1,tb-lib-2.0-1,tb-tool-3.0-1,kernel-tb-5.0-1,tb-multi-1.0-1,tb-extra-1.0-1}.noarch.rpm "$RR/base/"
	cp "$N"/{tb-hello-1.1-1,tb-lib-2.0-2,kernel-tb-5.1-1,tb-multi-1.1-1,tb-multi-1.2-1,tb-multi-1.3-1,tb-extra-1.1-1}.noarch.rpm "$RR/updates/"
	{
		echo '<?xml version="1.0" encoding="UTF-8"?>'
		echo '<updates>'
		advisory TBSA-2026:0001 security Important 'Important: tb-lib security update' tb-lib 1 2.0 2
		advisory TBBA-2026:0002 bugfix None 'tb-hello bug fix update' tb-hello 0 1.1 1
		advisory TBSA-2026:0003 security Critical 'Critical: kernel-tb security update' kernel-tb 0 5.1 1 reboot
		advisory TBBA-2026:0004 bugfix None 'tb-multi bug fix update' tb-multi 0 1.1 1
		advisory TBSA-2026:0005 security Moderate 'Moderate: tb-multi security update' tb-multi 0 1.2 1
		advisory TBEA-2026:0006 enhancement None 'tb-multi enhancement update' tb-multi 0 1.3 1
		advisory TBSA-2026:0007 security Important 'Important: tb-extra security update' tb-extra 0 1.1 1
		echo '</updates>'
	} >"$B/updateinfo.xml"
	quiet createrepo-base createrepo_c "$RR/base"
	quiet createrepo-updates createrepo_c "$RR/updates"
	quiet modifyrepo modifyrepo_c --mdtype=updateinfo "$B/updateinfo.xml" "$RR/updates/repodata"
	local r
	for r in base updates; do
		gpg --batch --yes --armor --detach-sign -o "$RR/$r/repodata/repomd.xml.asc" "$RR/$r/repodata/repomd.xml"
	done
	gpgconf --kill all
}

repos() {
	AR=$W/aptrepo RR=$W/rpmrepo
	local stamp
	stamp=$(repo_stamp)
	if [ "$(cat "$W/repos.stamp" 2>/dev/null)" = "$stamp" ] && [ -f "$AR/dists/testbed-security/InRelease" ] &&
		[ -f "$RR/updates/repodata/repomd.xml.asc" ]; then
		note "repositories are current (built by this version of testbed.sh); reused"
		return
	fi
	rm -f "$W/repos.stamp"
	build_apt_repo
	build_rpm_repos
	rm -rf "$W/build"
	echo "$stamp" >"$W/repos.stamp"
}

# ---------------------------------------------------------------- apt with a private state directory
apt_private() {
	A=$W/apt-private
	remove_tree "$A"
	mkdir -p "$A"/etc/apt/{apt.conf.d,preferences.d,sources.list.d,trusted.gpg.d} "$A"/var/lib/apt/lists/partial \
		"$A"/var/cache/apt/archives/partial "$A"/var/lib/dpkg/{info,updates,triggers} "$A"/var/log/apt "$A"/var/run
	: >"$A/var/lib/dpkg/status"
	: >"$A/var/lib/dpkg/available"
	cp "$AR/testbed-archive-keyring.gpg" "$A/etc/apt/testbed.gpg"
	local s
	for s in testbed testbed-updates testbed-security; do
		echo "deb [signed-by=$A/etc/apt/testbed.gpg] http://127.0.0.1:$APT_PORT $s main"
	done >"$A/etc/apt/sources.list"
	# APT_CONFIG is read before apt.conf.d, so it can move every directory and switch the host's
	# configuration off; apt does not pass --root to dpkg by itself
	cat >"$A/apt.conf" <<-EOF
		Dir "$A/";
		Dir::Etc::main "/dev/null";
		Dir::Etc::parts "$A/etc/apt/apt.conf.d";
		Dir::State::status "$A/var/lib/dpkg/status";
		Dir::Log "$A/var/log/apt";
		Acquire::Languages "none";
		DPkg::Lock::Timeout "600";
		DPkg::Options:: "--root=$A";
		DPkg::Options:: "--log=$A/var/log/dpkg.log";
		DPkg::Options:: "--force-script-chrootless";
		DPkg::Options:: "--force-not-root";
	EOF
	APT_CONFIG=$A/apt.conf apt_update apt-private-update --error-on=any
	APT_CONFIG=$A/apt.conf quiet apt-private-install "${APT_GET[@]}" install -y -q "${DEB_BASELINE[@]}"
}

# ---------------------------------------------------------------- the mmdebstrap chroot
mirrors() {
	local src=/etc/apt/sources.list.d/debian.sources
	MIRROR=$(awk '/^URIs:/ && !/security/ {print $2; exit}' "$src" 2>/dev/null || true)
	SECMIRROR=$(awk '/^URIs:/ && /security/ {print $2; exit}' "$src" 2>/dev/null || true)
	[ -n "$MIRROR" ] || MIRROR=$(awk '$1 == "deb" && $3 !~ /security/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
	[ -n "$SECMIRROR" ] || SECMIRROR=$(awk '$1 == "deb" && $3 ~ /security/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
	if [ -z "$MIRROR" ] || [ -z "$SECMIRROR" ]; then die "cannot read the Debian mirror from the host's apt sources"; fi
	# the host's mirror may serve Release files past Valid-Until; the chroot must accept what the host does
	APT_ACQUIRE_OPTS=$(apt-config dump | grep -E '^Acquire::Check-(Valid-Until|Date) ' || true)
}

chroot_run() {
	chroot "$DR" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C LANGUAGE= \
		DEBIAN_FRONTEND=noninteractive "$@"
}

deb_chroot() {
	DR=$W/deb-root
	remove_tree "$DR"
	if [ -n "$SKIP_CHROOT" ]; then
		note "SKIP_CHROOT is set: no chroot"
		return
	fi
	mirrors
	local tar=$CACHE_DIR/deb-$SUITE-minbase.tar aptopts=() o
	while IFS= read -r o; do if [ -n "$o" ]; then aptopts+=(--aptopt="$o"); fi; done <<<"$APT_ACQUIRE_OPTS"
	cache_lock
	if [ -f "$tar" ] && [ -n "$(find "$tar" -mtime -"$CACHE_DAYS")" ]; then
		note "reusing $tar ($(du -h "$tar" | cut -f1))"
	else
		# only the plain suite: -updates and -security come later, so real upgrades are pending
		quiet mmdebstrap mmdebstrap --variant=minbase --mode=root "${aptopts[@]}" "$SUITE" "$tar.tmp.tar" \
			"deb $MIRROR $SUITE main"
		mv "$tar.tmp.tar" "$tar"
	fi
	mkdir -p "$DR"
	tar -C "$DR" -xpf "$tar"
	cache_unlock
	{
		echo "deb $MIRROR $SUITE main"
		echo "deb $MIRROR $SUITE-updates main"
		echo "deb $SECMIRROR $SUITE-security main"
	} >"$DR/etc/apt/sources.list"
	rm -f "$DR/etc/apt/sources.list.d/"*
	printf '%s\n' "$APT_ACQUIRE_OPTS" 'DPkg::Lock::Timeout "600";' >"$DR/etc/apt/apt.conf.d/99testbed"
	install -m 644 "$AR/testbed-archive-keyring.gpg" "$DR/usr/share/keyrings/testbed-archive-keyring.gpg"
	local s
	for s in testbed testbed-updates testbed-security; do
		echo "deb [signed-by=/usr/share/keyrings/testbed-archive-keyring.gpg] http://127.0.0.1:$APT_PORT $s main"
	done >"$DR/etc/apt/sources.list.d/testbed.list"
	cp /etc/resolv.conf "$DR/etc/resolv.conf"
	mount -t proc proc "$DR/proc"
	mount -t devpts devpts "$DR/dev/pts" 2>/dev/null || true
	local i=0
	until chroot_run apt-get update -q --error-on=any >"$LOGS/chroot-update.log" 2>&1; do
		i=$((i + 1))
		[ $i -lt 3 ] || { tail -n 40 "$LOGS/chroot-update.log" >&2; die "apt-get update in the chroot failed"; }
		sleep 5
	done
	quiet chroot-install chroot_run apt-get install -y -q "${DEB_BASELINE[@]}"
}

# ---------------------------------------------------------------- rpm roots
dnf_cmd() { dnf -y -q --installroot="$R" --releasever=1 --setopt=reposdir="$R/etc/yum.repos.d" "$@"; }

rpm_root() {
	R=$W/rpm-root
	remove_tree "$R"
	mkdir -p "$R/etc/yum.repos.d" "$R/etc/dnf/plugins/needs-restarting.d"
	# the host's dnf.conf says skip_if_unavailable=True, which turns a bad signature into a warning
	printf '[main]\ngpgcheck=True\nskip_if_unavailable=False\ninstall_weak_deps=False\n' >"$R/etc/dnf/dnf.conf"
	echo kernel-tb >"$R/etc/dnf/plugins/needs-restarting.d/testbed.conf"
	local r
	for r in base updates; do
		printf '[tb-%s]\nname=patchkit testbed %s\nbaseurl=http://127.0.0.1:%s/%s\ngpgcheck=1\nrepo_gpgcheck=1\ngpgkey=http://127.0.0.1:%s/RPM-GPG-KEY-testbed\nmetadata_expire=0\n\n' \
			"$r" "$r" "$RPM_PORT" "$r" "$RPM_PORT"
	done >"$R/etc/yum.repos.d/testbed.repo"
	# needs-restarting -r counts a listed package installed after boot (the mtime of /proc/1); rpm takes
	# INSTALLTIME from SOURCE_DATE_EPOCH, so the baseline is dated an hour before boot
	SOURCE_DATE_EPOCH=$(($(stat -c %Y /proc/1) - 3600)) \
		quiet dnf-install dnf_cmd install --repo tb-base "${RPM_BASELINE[@]}"
	quiet dnf-makecache dnf_cmd makecache
}

zypp_root() {
	Z=$W/zyp-root
	remove_tree "$Z"
	mkdir -p "$Z/etc/zypp"
	echo kernel-tb >"$Z/etc/zypp/needreboot" # libzypp then touches <root>/run/reboot-needed
	quiet zypper-import rpm --root "$Z" --import "$RR/RPM-GPG-KEY-testbed"
	local ZY=(zypper -n -q --root "$Z")
	quiet zypper-ar-base "${ZY[@]}" addrepo "http://127.0.0.1:$RPM_PORT/base" tb-base
	quiet zypper-ar-updates "${ZY[@]}" addrepo "http://127.0.0.1:$RPM_PORT/updates" tb-updates
	quiet zypper-refresh "${ZY[@]}" refresh
	local p pk=()
	for p in "${RPM_BASELINE[@]}"; do pk+=("${p%-*-*}=${p#"${p%-*-*}"-}"); done
	quiet zypper-install "${ZY[@]}" install --from tb-base "${pk[@]}"
	rm -f "$Z/run/reboot-needed" # the baseline kernel-tb install set it: start from "no reboot needed"
}

# ---------------------------------------------------------------- checks
smoke() {
	local out n rc
	# apt, private root: four upgrades, two of them from the security suite
	out=$(APT_CONFIG=$A/apt.conf apt-get -s upgrade 2>&1 | grep '^Inst ' || true)
	n=$(grep -c '^Inst tb-' <<<"$out" || true)
	[ "$n" = 4 ] || die "apt private root: $n tb-* upgrades, want 4:"$'\n'"$out"
	n=$(grep -c 'Testbed-Security:testbed-security' <<<"$out" || true)
	[ "$n" = 2 ] || die "apt private root: $n security upgrades, want 2:"$'\n'"$out"
	grep -q '^Inst tb-multi \[1.0-1\] (1.3-1 Testbed:testbed-updates \[all\])' <<<"$out" ||
		die "apt private root: tb-multi is not offered 1.3-1 from testbed-updates:"$'\n'"$out"
	n=$(APT_CONFIG=$A/apt.conf apt-cache madison tb-multi | wc -l)
	[ "$n" = 4 ] || die "apt private root: $n versions of tb-multi, want 4"
	[ ! -e "$A/var/run/reboot-required" ] || die "apt private root: reboot-required right after up"
	if [ -n "$DR" ] && [ -d "$DR/usr" ]; then
		out=$(chroot_run apt-get -s upgrade 2>&1 | grep '^Inst tb-' || true)
		n=$(grep -c . <<<"$out" || true)
		[ "$n" = 4 ] || die "chroot: $n tb-* upgrades, want 4:"$'\n'"$out"
		[ ! -e "$DR/run/reboot-required" ] || die "chroot: reboot-required right after up"
	fi
	# dnf: updates pending (exit 100), three security advisories, no reboot needed yet
	set +e
	dnf_cmd -C check-update >/dev/null 2>&1
	rc=$?
	set -e
	[ $rc = 100 ] || die "dnf check-update: exit $rc, want 100"
	out=$(dnf_cmd -C updateinfo list --security 2>&1 || true)
	for n in TBSA-2026:0001 TBSA-2026:0003 TBSA-2026:0005; do
		grep -q "$n" <<<"$out" || die "dnf updateinfo list --security lacks $n:"$'\n'"$out"
	done
	set +e
	PYTHONPATH=$W/dnfpc dnf_cmd -C --setopt=pluginpath="$W/dnfpc/plugins" needs-restarting -r >"$LOGS/needs-restarting.log" 2>&1
	rc=$?
	set -e
	[ $rc = 0 ] || { cat "$LOGS/needs-restarting.log" >&2; die "dnf needs-restarting -r: exit $rc right after up, want 0"; }
	# zypper: the security patches are listed, no reboot needed yet
	out=$(zypper -n -q --root "$Z" list-patches --category security 2>&1 || true)
	for n in TBSA-2026:0001 TBSA-2026:0003 TBSA-2026:0005; do
		grep -q "$n" <<<"$out" || die "zypper list-patches --category security lacks $n:"$'\n'"$out"
	done
	set +e
	zypper -n -q --root "$Z" needs-rebooting >/dev/null 2>&1
	rc=$?
	set -e
	[ $rc = 0 ] || die "zypper needs-rebooting: exit $rc right after up, want 0"
}

write_env() {
	local chroot=$DR skip=''
	if [ -n "$SKIP_CHROOT" ]; then chroot='' skip=1; fi
	cat >"$W/env.sh.new" <<-EOF
		# Written by internal/testbed/testbed.sh up. Source it (or set TESTBED_ENV to this file's path:
		# internal/testbed parses it without a shell). Take the testbed down with: testbed.sh down $W
		export TESTBED_DIR='$W'
		# APT_CONFIG for host apt and dpkg on a private root; dpkg-query --admindir=$A/var/lib/dpkg
		export TESTBED_APT_CONFIG='$A/apt.conf'
		# chroot \$TESTBED_DEB_CHROOT apt-get ...; empty when up ran with SKIP_CHROOT
		export TESTBED_DEB_CHROOT='$chroot'
		export TESTBED_SKIP_CHROOT='$skip'
		export TESTBED_SUITE='$SUITE'
		# dnf -y --installroot=\$TESTBED_RPM_ROOT --releasever=1 --setopt=reposdir=\$TESTBED_RPM_ROOT/etc/yum.repos.d
		export TESTBED_RPM_ROOT='$R'
		# zypper -n --root \$TESTBED_ZYPP_ROOT
		export TESTBED_ZYPP_ROOT='$Z'
		# PYTHONPATH=\$TESTBED_DNF_PYTHONPATH dnf --setopt=pluginpath=\$TESTBED_DNF_PLUGINPATH needs-restarting -r
		export TESTBED_DNF_PLUGINPATH='$W/dnfpc/plugins'
		export TESTBED_DNF_PYTHONPATH='$W/dnfpc'
		export TESTBED_APT_URL='http://127.0.0.1:$APT_PORT'
		export TESTBED_RPM_URL='http://127.0.0.1:$RPM_PORT'
	EOF
	mv "$W/env.sh.new" "$W/env.sh"
}

# ---------------------------------------------------------------- commands
down() {
	rm -f "$W/env.sh"
	stop_servers
	stop_agents
	unmount_under "$W"
}

status() {
	local pid start cmd up=0 dead=0
	if [ -f "$W/pids" ]; then
		while read -r pid start cmd; do
			if is_ours "$pid" "$start" "$cmd"; then up=$((up + 1)); else dead=$((dead + 1)); fi
		done <"$W/pids"
	fi
	if [ -f "$W/env.sh" ] && [ $up = 2 ] && [ $dead = 0 ]; then
		echo "testbed in $W is up: source $W/env.sh"
		return 0
	fi
	echo "testbed in $W is down ($up of 2 servers running)"
	return 1
}

# one up or down at a time per DIR; another waits (up to 20 minutes)
lock_dir() {
	exec 9>"$W/.lock"
	flock -w 1200 9 || die "another testbed.sh holds $W/.lock"
}

# the cache is shared by every DIR: one writer at a time
cache_lock() {
	exec 8>"$CACHE_DIR/.lock"
	flock -w 1200 8 || die "another testbed.sh holds $CACHE_DIR/.lock"
}
cache_unlock() { exec 8>&-; }

up() {
	[ "$(id -u)" = 0 ] || die "up needs root (chroot, mounts, apt-get install)"
	[ -r /etc/debian_version ] || die "up needs a Debian machine"
	step "stop what a previous up left"
	mkdir -p "$W"
	lock_dir
	chmod 755 "$W" # apt's download sandbox user _apt must reach the private root's lists
	down
	LOGS=$W/logs
	rm -rf "$LOGS"
	mkdir -p "$LOGS"
	if [ -n "$CACHE" ]; then CACHE_DIR=$CACHE; else CACHE_DIR=$W/cache; fi
	mkdir -p "$CACHE_DIR"
	trap 'rc=$?; if [ $rc != 0 ]; then printf "testbed: up failed (exit %s) during: %s; logs in %s\n" "$rc" "${STEP:-?}" "$LOGS" >&2; down >/dev/null 2>&1 || true; fi' EXIT
	remove_tree "$W/clones" # copies that tests killed midway left behind (internal/testbed Env.Clone)
	step "host packages"
	host_setup
	cache_lock
	dnf_plugin
	cache_unlock
	step "signed repositories"
	repos
	step "HTTP servers"
	APT_PORT=$(pick_port "$APT_PORT" 18080)
	RPM_PORT=$(pick_port "$RPM_PORT" 18081 "$APT_PORT")
	serve apt "$APT_PORT" "$AR"
	serve rpm "$RPM_PORT" "$RR"
	note "apt repository http://127.0.0.1:$APT_PORT, rpm repositories http://127.0.0.1:$RPM_PORT"
	step "apt private root"
	apt_private
	step "Debian chroot ($SUITE)"
	deb_chroot
	step "dnf installroot"
	rpm_root
	step "zypper root"
	zypp_root
	step "smoke checks"
	smoke
	stop_agents
	write_env
	end_step
	printf '== testbed timings:\n'
	printf '   %s\n' "${TIMINGS[@]}"
	printf '   %-34s %8s\n' total "$(fmt_ms $(($(now_ms) - T0)))"
	echo "testbed up: source $W/env.sh"
}

CMD=${1:-}
case $CMD in
packages)
	echo "${HOST_PACKAGES[@]}"
	exit 0
	;;
up | down | status) ;;
*) usage ;;
esac
[ $# = 2 ] || usage
W=$(realpath -m -- "$2")
case $W in
/ | /tmp | /var | /root | /home) die "refusing to use $W as the testbed directory" ;;
*[!A-Za-z0-9._/+-]*) die "the testbed directory may hold only letters, digits and . _ / + -: $W" ;;
esac
DR='' A='' R='' Z='' AR='' RR=''
case $CMD in
up) up ;;
down)
	[ -d "$W" ] || die "no such directory: $W"
	lock_dir
	down
	echo "testbed in $W is down"
	;;
status) status ;;
esac
