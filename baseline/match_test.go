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
