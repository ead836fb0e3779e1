package rpmmd

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/patchkit/patchkit/internal/repocache"
	"github.com/patchkit/patchkit/internal/repotest"
	"github.com/patchkit/patchkit/internal/testutil"
)

// solv runs a libsolv converter (rpmmd2solv, updateinfoxml2solv) on xml and
// returns dumpsolv's solvables as maps of their fields.
func solv(t *testing.T, tool string, xml []byte) []map[string][]string {
	t.Helper()
	conv := testutil.NeedTool(t, tool, "libsolv-tools")
	dump := testutil.NeedTool(t, "dumpsolv", "libsolv-tools")
	cmd := exec.Command(conv)
	cmd.Stdin = bytes.NewReader(xml)
	solvFile := filepath.Join(t.TempDir(), "x.solv")
	out, err := os.Create(solvFile)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = out
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v", tool, err)
	}
	out.Close()
	text, err := exec.Command(dump, solvFile).Output()
	if err != nil {
		t.Fatalf("dumpsolv: %v", err)
	}
	var recs []map[string][]string
	sc := bufio.NewScanner(bytes.NewReader(text))
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		l := sc.Text()
		if strings.HasPrefix(l, "solvable ") {
			recs = append(recs, map[string][]string{})
			continue
		}
		if len(recs) == 0 {
			continue
		}
		k, v, _ := strings.Cut(strings.TrimSpace(l), ": ")
		k = strings.TrimSuffix(k, ":")
		recs[len(recs)-1][k] = append(recs[len(recs)-1][k], v)
	}
	return recs
}

func decompressFile(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".xz") {
		data, _ := io.ReadAll(f)
		r = bytes.NewReader(data)
	}
	rc, err := repocache.DecompressReader(path, r, 1<<30, repocache.Expect{})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// comparePrimary checks that our records are exactly libsolv's solvables
// (name, epoch:version-release, arch).
func comparePrimary(t *testing.T, xml []byte) int {
	var ours, theirs []string
	for p, err := range ParsePrimary("primary.xml", bytes.NewReader(xml), Limits{}) {
		if err != nil {
			t.Fatal(err)
		}
		evr := strings.TrimPrefix(p.EVR(), "0:")
		ours = append(ours, p.Name+" "+evr+" "+p.Arch)
	}
	for _, s := range solv(t, "rpmmd2solv", xml) {
		theirs = append(theirs, s["solvable:name"][0]+" "+s["solvable:evr"][0]+" "+s["solvable:arch"][0])
	}
	slices.Sort(ours)
	slices.Sort(theirs)
	if !slices.Equal(ours, theirs) {
		t.Fatalf("primary: %d records, libsolv %d solvables; first difference among\n%v\n%v", len(ours), len(theirs), head(ours), head(theirs))
	}
	return len(ours)
}

func head(s []string) []string { return s[:min(len(s), 5)] }

func TestPrimaryAgreesWithLibsolv(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(repotest.Fixtures(t), "rpm/*/repodata/*-primary.xml.*"))
	if len(files) == 0 {
		t.Fatal("no fixtures")
	}
	for _, f := range files {
		comparePrimary(t, decompressFile(t, f))
	}
	if _, err := os.Stat(centosPrimary); err == nil {
		if n := comparePrimary(t, decompressFile(t, centosPrimary)); n != 17649 {
			t.Fatalf("CentOS: %d", n)
		}
	}
}

// Advisory IDs, categories, CVE references and reboot flags agree with
// libsolv's updateinfoxml2solv. One deliberate difference: libsolv 0.7.23
// reads reboot_suggested only inside <package>, while createrepo_c and Pulp
// also write it on the <update> itself; patchkit counts both (a reboot
// over-reported is safer than one missed), so for updates whose own
// element says so, patchkit's flag is set where libsolv's is not.
func TestUpdateinfoAgreesWithLibsolv(t *testing.T) {
	xml, err := os.ReadFile(filepath.Join(repotest.Fixtures(t), "rpm/updateinfo-input.xml"))
	if err != nil {
		t.Fatal(err)
	}
	var ours, theirs []string
	for a, err := range ParseUpdateinfo("updateinfo.xml", bytes.NewReader(xml), "r", Limits{}) {
		if err != nil {
			t.Fatal(err)
		}
		cves := slices.Clone(a.CVEIDs)
		slices.Sort(cves)
		ours = append(ours, strings.Join([]string{a.ID, string(a.Type), strings.Join(cves, ","), boolStr(a.RebootSuggested)}, " "))
	}
	for _, s := range solv(t, "updateinfoxml2solv", xml) {
		ids, types := s["update:reference:id"], s["update:reference:type"]
		var cves []string
		for i, typ := range types {
			if typ == "cve" && i < len(ids) {
				cves = append(cves, ids[i])
			}
		}
		slices.Sort(cves)
		_, reboot := s["update:reboot"]
		if updateLevelReboot[strings.TrimPrefix(s["solvable:name"][0], "patch:")] {
			reboot = true
		}
		theirs = append(theirs, strings.Join([]string{strings.TrimPrefix(s["solvable:name"][0], "patch:"), s["solvable:patchcategory"][0], strings.Join(cves, ","), boolStr(reboot)}, " "))
	}
	slices.Sort(ours)
	slices.Sort(theirs)
	if !slices.Equal(ours, theirs) {
		t.Fatalf("ours:\n%s\nlibsolv:\n%s", strings.Join(ours, "\n"), strings.Join(theirs, "\n"))
	}
}

// updateLevelReboot lists the fixture's updates with <reboot_suggested> on
// the <update> element.
var updateLevelReboot = map[string]bool{"SUSE-SLE-Module-Basesystem-15-SP6-2026-4001": true}

func boolStr(b bool) string {
	if b {
		return "reboot"
	}
	return "-"
}
