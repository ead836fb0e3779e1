package baseline

import (
	"strconv"
	"testing"

	"github.com/patchkit/patchkit"
)

// naiveMatch is the node payload's matcher written plainly: build every
// form as a string and test every entry against every form.
func naiveMatch(entries []string, kind osKind, approved bool, p *patchkit.Patch) int {
	e := "0"
	if ev, ok := p.Epoch.Value(); ok {
		e = strconv.FormatUint(uint64(ev), 10)
	}
	n, a, v, r := p.Name, p.Arch, p.Version, p.Release
	var forms []string
	switch kind {
	case kindRPM:
		forms = []string{n, n + "." + a, n + "-" + v, n + "-" + v + "-" + r, n + "-" + v + "-" + r + "." + a, v, v + "-" + r,
			e + ":" + v + "-" + r, n + "-" + e + ":" + v + "-" + r, n + "-" + e + ":" + v + "-" + r + "." + a,
			e + ":" + n + "-" + v + "-" + r + "." + a, n + "." + a + ":" + e + ":" + v + "-" + r}
	case kindApt, kindMacOS:
		forms = []string{n}
	}
	for i := range forms {
		forms[i] = asciiLower(forms[i])
	}
	for i, entry := range entries {
		if approved && kind == kindRPM {
			switch classifyEntry(entry) {
			case entryBugzilla, entryCVE:
				for _, id := range append(append(append([]string(nil), p.AdvisoryIDs...), p.CVEIDs...), p.BugzillaIDs...) {
					if id == entry {
						return i
					}
				}
				continue
			case entryAdvisoryPkg:
				for _, id := range append(append(append([]string(nil), p.AdvisoryIDs...), p.CVEIDs...), p.BugzillaIDs...) {
					if id == entry {
						return i
					}
				}
			}
		}
		le := asciiLower(entry)
		for _, f := range forms {
			if le == f || (kind != kindMacOS && hasMeta(le) && globMatch(le, f)) {
				return i
			}
		}
	}
	return -1
}

// FuzzListMatch checks the compiled, indexed list matcher against the plain
// one, and that compiling any entry does not panic.
func FuzzListMatch(f *testing.F) {
	f.Add("dbus*", "dbus-1:1.12.28-1.amzn2023.0.1.x86_64", "dbus", "1.12.28", "1.amzn2023.0.1", "x86_64", uint32(1))
	f.Add("1.12.2*", "*-debuginfo", "dbus-debuginfo", "1.12.28", "1", "x86_64", uint32(0))
	f.Add("ALAS2023-2025-123", "kernel", "kernel", "6.1", "1", "aarch64", uint32(0))
	f.Add("[a-c]*", "?", "b", "1", "1", "noarch", uint32(2))
	f.Fuzz(func(t *testing.T, e1, e2, name, ver, rel, arch string, epoch uint32) {
		if e1 == "" || e2 == "" || len(e1) > 100 || len(e2) > 100 {
			return // validation allows 1 to 100 characters
		}
		entries := []string{e1, e2, "zzz-never"}
		p := patchkit.Patch{Package: patchkit.Package{Name: name, Version: ver, Release: rel, Arch: arch,
			Epoch: patchkit.EpochOf(epoch), Scheme: patchkit.RPM}, AdvisoryIDs: []string{"ALAS2023-2025-123"}, CVEIDs: []string{"CVE-2025-1"}}
		for _, kind := range []osKind{kindRPM, kindApt, kindMacOS} {
			// The same entries as the rejected list, and as the approved list.
			m := compileLists(entries, entries, kind, options{})
			var fs forms
			var eb [20]byte
			got := m.match(&p, &fs, eb[:])
			want := [2]int{naiveMatch(entries, kind, false, &p), naiveMatch(entries, kind, true, &p)}
			if got != want {
				t.Fatalf("kind %d entries %q on %s-%d:%s-%s.%s: indexed %v, plain %v",
					kind, entries, name, epoch, ver, rel, arch, got, want)
			}
		}
	})
}

// TestMatchesEntry follows the test vectors of docs/semantics.md §6.2 for
// the dbus package, and the install override list's title form.
func TestMatchesEntry(t *testing.T) {
	dbus := patchkit.Package{Name: "dbus", Epoch: patchkit.EpochOf(1), Version: "1.12.28", Release: "1.amzn2023.0.1", Arch: "x86_64", Scheme: patchkit.RPM}
	for entry, want := range map[string]bool{
		"dbus": true, "DBUS.X86_64": true, "dbus*": true, "dbu?": true, "dbus-1.12.2*": true,
		"dbus-*:1.12.28-1.amzn2023.0.1.x86_64": true, "dbus.x86_64:1:*": true, "1.12.28": true,
		"dbus-0:1.12.28-1.amzn2023.0.1.x86_64": false, "dbus-libs": false,
		"*1:1.12.28-1.amzn2023.0.1": true, "dbus.x86_64:1:1.12.28-1.amzn2023.0.1": true,
	} {
		if got := MatchesEntry(patchkit.OSAmazonLinux2023, entry, dbus); got != want {
			t.Errorf("%q: %v, want %v", entry, got, want)
		}
	}
	bash := patchkit.Package{Name: "bash", Version: "5.2.15", Release: "2+b7", Arch: "amd64", Scheme: patchkit.Deb, Epoch: patchkit.EpochOf(0)}
	for entry, want := range map[string]bool{"bash": true, "bash.amd64": true, "bash.amd64:5.2.15-2+b7": true, "*:5.2.15-2*": true, "bash.i386": false} {
		if got := MatchesEntry(patchkit.OSDebian, entry, bash); got != want {
			t.Errorf("apt %q: %v, want %v", entry, got, want)
		}
	}
}
