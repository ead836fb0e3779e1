package apt

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/scan/dpkg"
	"github.com/patchkit/patchkit/scan/run"
)

// recordedScenario is the set of real runs one end-to-end test recorded:
// dpkg-query's inventory, apt-get -s dist-upgrade, apt list --upgradable
// and apt-cache policy of every installed package.
type recordedScenario struct {
	name                     string
	dpkg, aptGet, list       run.Recording
	policies                 []run.Recording
	nopts                    []NativeOption
	wantUpgrades, wantKept   int
	wantSecurity             int
	wantDowngrades           int
	nativeArch               string
	chroot                   string
	policyAll                run.Recording // the apt-cache policy of every installed package
	keptBackPolicy           *run.Recording
	wantOriginsWithTwoLabels int
}

func loadRecording(t *testing.T, name string) run.Recording {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(recDir, name+".txt"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := run.ParseRecording(name, b)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func loadScenario(t *testing.T, name string) recordedScenario {
	t.Helper()
	sc := recordedScenario{name: name, nativeArch: "amd64"}
	sc.dpkg = loadRecording(t, name+"-dpkg-query")
	sc.aptGet = loadRecording(t, name+"-apt-get")
	sc.list = loadRecording(t, name+"-apt-list")
	pols, _ := filepath.Glob(filepath.Join(recDir, name+"-apt-cache-policy*.txt"))
	for _, p := range pols {
		sc.policies = append(sc.policies, loadRecording(t, strings.TrimSuffix(filepath.Base(p), ".txt")))
	}
	if sc.aptGet.Argv[0] == "/usr/sbin/chroot" {
		sc.chroot = sc.aptGet.Argv[1]
	}
	return sc
}

// TestRecordedScans replays real runs recorded on the testbed and on this
// machine (scan/apt's end-to-end tests with -update): ParseSimulation
// reads apt-get -s, its summary agrees with its actions, and
// NativeUpdates gives exactly the packages apt list --upgradable listed in
// the same run, classified by the archives apt list names, and the
// candidates apt-cache policy gave in the same run.
func TestRecordedScans(t *testing.T) {
	for _, tc := range []struct {
		name                              string
		upgrades, kept, security, downgrd int
	}{
		{"testbed-private", 4, 0, 2, 0},
		{"testbed-archives", 12, 1, 3, 1},
		{"testbed-chroot", 18, 0, 16, 0},
		{"host", 125, 0, 81, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := loadScenario(t, tc.name)
			inv, err := dpkg.ParseQuery(sc.dpkg.Stdout)
			if err != nil {
				t.Fatal(err)
			}
			sim, err := ParseSimulation(sc.aptGet.Stdout)
			if err != nil {
				t.Fatal(err)
			}
			if err := sim.Check(); err != nil {
				t.Fatal(err)
			}
			s := sim.Summary
			if s.Upgraded != tc.upgrades || s.NotUpgraded != tc.kept || s.Downgraded != tc.downgrd {
				t.Errorf("summary %+v, want %d upgraded, %d not upgraded, %d downgraded", *s, tc.upgrades, tc.kept, tc.downgrd)
			}
			recs := append([]run.Recording{sc.aptGet}, sc.policies...)
			var r run.Runner = run.NewReplay(recs...)
			if sc.chroot != "" {
				r = chrootRunner(r, sc.chroot)
			}
			native, err := NativeUpdates(context.Background(), r, inv, NativeProduct("Debian12"))
			if err != nil {
				t.Fatal(err)
			}
			compareAptList(t, sc.list.Stdout, native, sc.nativeArch)
			sec := 0
			for _, p := range native {
				if !p.Candidate || p.Product != "Debian12" || p.Scheme != patchkit.Deb {
					t.Errorf("%s: %+v", p.Name, p)
				}
				if p.Security {
					sec++
				}
			}
			if sec != tc.security {
				t.Errorf("%d security patches, want %d", sec, tc.security)
			}
			// apt-cache policy of every installed package, from the same run
			var all []CachePolicy
			for _, pr := range sc.policies {
				if !slices.Contains(pr.Argv, "--") {
					continue // the package files, without operands
				}
				pols, err := ParseCachePolicy(pr.Stdout)
				if err != nil {
					t.Fatal(err)
				}
				if len(pols) > len(all) {
					all = pols
				}
			}
			var newer []string
			for _, cp := range all {
				if cp.Installed != "" && cp.Candidate != "" && patchkit.Deb.Compare(cp.Candidate, cp.Installed) > 0 {
					n := cp.Name
					if cp.Qualifier != "" {
						n += ":" + cp.Qualifier
					}
					newer = append(newer, n+"="+cp.Candidate)
				}
			}
			var got []string
			for _, p := range native {
				n := p.Name
				if p.Arch != "all" && p.Arch != sc.nativeArch {
					n += ":" + p.Arch
				}
				got = append(got, n+"="+p.EVR())
			}
			slices.Sort(newer)
			slices.Sort(got)
			if !slices.Equal(newer, got) {
				t.Errorf("apt-cache policy's newer candidates:\n%q\nnative backend:\n%q", newer, got)
			}
			t.Logf("%d installed, %d upgrades (%d security), %d candidates in apt-cache policy", len(inv), len(native), sec, len(newer))
		})
	}
}

// osconfigWant is what GoogleCloudPlatform/osconfig's own test expects
// from its parser for its captures (packages/testdata/*.expected): name,
// architecture (osconfig writes x86_64 for amd64) and new version.
var osconfigWant = map[string][]string{
	"debian-10-1.apt-get-full-upgrade.stdout": {
		"google-cloud-cli x86_64 520.0.0-0", "google-cloud-packages-archive-keyring all 1.2-629101324",
		"google-guest-agent x86_64 1:20250306.00-g1", "google-compute-engine-oslogin x86_64 1:20240415.00-g1+deb10",
		"google-compute-engine all 1:20250207.00-g1", "google-osconfig-agent x86_64 1:20240524.03-g1"},
	"debian-11-1.apt-get-full-upgrade.stdout": {
		"google-cloud-cli x86_64 520.0.0-0", "google-cloud-packages-archive-keyring all 1.2-629101324",
		"google-guest-agent x86_64 1:20250327.01-g1", "google-compute-engine-oslogin x86_64 1:20240701.00-g1+deb11",
		"google-compute-engine all 1:20250207.00-g1", "google-osconfig-agent x86_64 1:20250320.00-g1"},
	"debian-12-1.apt-get-full-upgrade.stdout": {
		"tzdata all 2025b-0+deb12u1", "google-cloud-cli x86_64 520.0.0-0", "google-cloud-packages-archive-keyring all 1.2-629101324",
		"google-guest-agent x86_64 1:20250327.01-g1", "google-compute-engine-oslogin x86_64 1:20240701.00-g1+deb12",
		"google-compute-engine all 1:20250207.00-g1", "google-osconfig-agent x86_64 1:20250320.00-g1"},
	"ubuntu-20.apt-get-full-upgrade.stdout": {
		"open-iscsi x86_64 2.0.874-7.1ubuntu6.5", "distro-info-data all 0.43ubuntu1.17",
		"apt-transport-artifact-registry x86_64 1:20241017.00-g1", "google-guest-agent x86_64 20241011.01-0ubuntu1~20.04.1",
		"landscape-common x86_64 23.02-0ubuntu1~20.04.4", "pollinate all 4.33-3ubuntu1.20.04.2", "snapd x86_64 2.67.1+20.04",
		"sosreport x86_64 4.8.2-0ubuntu0~20.04.1", "xfsprogs x86_64 5.3.0-1ubuntu2.1", "cloud-init all 24.4.1-0ubuntu0~20.04.2"},
	"ubuntu_22_apt_get_full_upgrade": {
		"libpam0g x86_64 1.4.0-11ubuntu2.5", "libpam-modules x86_64 1.4.0-11ubuntu2.5", "libnss-systemd x86_64 249.11-0ubuntu3.15",
		"systemd x86_64 249.11-0ubuntu3.15", "udev x86_64 249.11-0ubuntu3.15", "libudev1 x86_64 249.11-0ubuntu3.15",
		"libpam-runtime all 1.4.0-11ubuntu2.5", "libdevmapper1.02.1 x86_64 2:1.02.175-2.1ubuntu5", "libcryptsetup12 x86_64 2:2.4.3-1ubuntu1.3",
		"libseccomp2 x86_64 2.5.3-2ubuntu3~22.04.1", "libdevmapper-event1.02.1 x86_64 2:1.02.175-2.1ubuntu5", "dmsetup x86_64 2:1.02.175-2.1ubuntu5",
		"liblvm2cmd2.03 x86_64 2.03.11-2.1ubuntu5", "dmeventd x86_64 2:1.02.175-2.1ubuntu5", "lvm2 x86_64 2.03.11-2.1ubuntu5",
		"libopeniscsiusr x86_64 2.1.5-1ubuntu1.1", "open-iscsi x86_64 2.1.5-1ubuntu1.1", "distro-info-data all 0.52ubuntu0.8",
		"dmidecode x86_64 3.3-3ubuntu0.2", "apt-transport-artifact-registry x86_64 1:20241017.00-g1", "cryptsetup-initramfs all 2:2.4.3-1ubuntu1.3",
		"cryptsetup-bin x86_64 2:2.4.3-1ubuntu1.3", "cryptsetup x86_64 2:2.4.3-1ubuntu1.3", "libpackagekit-glib2-18 x86_64 1.2.5-2ubuntu3",
		"gir1.2-packagekitglib-1.0 x86_64 1.2.5-2ubuntu3", "landscape-common x86_64 23.02-0ubuntu1~22.04.4", "libldap-2.5-0 x86_64 2.5.18+dfsg-0ubuntu0.22.04.3",
		"libldap-common all 2.5.18+dfsg-0ubuntu0.22.04.3", "libmbim-proxy x86_64 1.28.0-1~ubuntu20.04.2", "libmbim-glib4 x86_64 1.28.0-1~ubuntu20.04.2",
		"packagekit-tools x86_64 1.2.5-2ubuntu3", "packagekit x86_64 1.2.5-2ubuntu3", "pollinate all 4.33-3ubuntu2.1", "snapd x86_64 2.67.1+22.04",
		"sosreport x86_64 4.8.2-0ubuntu0~22.04.1", "xfsprogs x86_64 5.13.0-1ubuntu2.1", "cloud-init all 24.4.1-0ubuntu0~22.04.2"},
}

// TestParseSimulationOsconfig reads the apt-get -qq full-upgrade captures
// of GoogleCloudPlatform/osconfig's test suite (Apache-2.0) and compares
// the upgrades with what osconfig's test expects. osconfig's parser drops
// an Inst line that apt ends with a non-empty list of packages whose
// dependencies the step breaks ("[systemd:amd64 ]"); those lines are
// upgrades all the same, so they are the only difference allowed.
func TestParseSimulationOsconfig(t *testing.T) {
	for file, want := range osconfigWant {
		t.Run(file, func(t *testing.T) {
			out, err := os.ReadFile(filepath.Join(recDir, "osconfig", file))
			if err != nil {
				t.Fatal(err)
			}
			sim, err := ParseSimulation(out)
			if err != nil {
				t.Fatal(err)
			}
			if sim.Summary != nil {
				t.Errorf("summary in -qq output: %+v", sim.Summary)
			}
			var cerr *OutputError
			if err := sim.Check(); !errors.As(err, &cerr) {
				t.Errorf("Check without a summary: %v", err)
			}
			lines := strings.Split(string(out), "\n")
			var got, dropped []string
			for _, a := range sim.Actions {
				if !a.Upgrade() {
					continue
				}
				arch := a.Arch
				if arch == "amd64" {
					arch = "x86_64"
				}
				entry := a.Name + " " + arch + " " + a.New
				line := lines[a.Line-1]
				if i := strings.Index(line, "]) ["); i >= 0 && strings.TrimSpace(line[i+3:]) != "[]" {
					dropped = append(dropped, entry)
					continue
				}
				got = append(got, entry)
			}
			if !slices.Equal(got, want) {
				t.Errorf("upgrades:\n%q\nosconfig expects:\n%q", got, want)
			}
			if file == "ubuntu_22_apt_get_full_upgrade" && len(dropped) != 4 {
				t.Errorf("%d upgrades with broken-dependency lists, want 4: %q", len(dropped), dropped)
			}
			for _, a := range sim.Actions {
				if a.Kind == ActionInstall && len(a.Origins) == 0 {
					t.Errorf("line %d: no origins", a.Line)
				}
			}
		})
	}
}

// TestParseSimulationLines covers the shapes of action lines apt prints.
func TestParseSimulationLines(t *testing.T) {
	out := "Inst libgcrypt20 [1.10.1-3] (1.10.1-3+deb12u1 Debian:12.15/oldstable, Debian-Security:12/oldstable-security [amd64]) []\n" +
		"Inst foo:i386 [1.0] (2.0 localhost [i386])\n" +
		"Inst newpkg (1.0 [amd64])\n" +
		"Remv oldpkg [0.9] [foo:amd64 ]\n" +
		"Purg gone:i386 [1:0.1]\n" +
		"Conf foo:i386 (2.0 localhost [i386])\n"
	sim, err := ParseSimulation([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	a := sim.Actions
	if len(a) != 6 {
		t.Fatalf("%d actions", len(a))
	}
	if a[0].Name != "libgcrypt20" || a[0].Old != "1.10.1-3" || a[0].New != "1.10.1-3+deb12u1" || a[0].Arch != "amd64" || len(a[0].Origins) != 2 ||
		a[0].Origins[1] != (Origin{Label: "Debian-Security", Version: "12", Archive: "oldstable-security", Text: "Debian-Security:12/oldstable-security"}) {
		t.Errorf("%+v", a[0])
	}
	if a[1].Qualifier != "i386" || a[1].Origins[0].Archive != "localhost" || !a[1].Upgrade() {
		t.Errorf("%+v", a[1])
	}
	if a[2].Old != "" || a[2].Upgrade() || len(a[2].Origins) != 0 {
		t.Errorf("%+v", a[2])
	}
	if a[3].Kind != ActionRemove || a[3].Old != "0.9" || a[4].Kind != ActionPurge || a[4].Qualifier != "i386" {
		t.Errorf("%+v %+v", a[3], a[4])
	}
	for _, bad := range []string{
		"Inst",
		"Inst foo [1.0 (2.0 x [amd64])",
		"Inst foo [1.0] 2.0 x [amd64]",
		"Inst foo [1.0] (2.0 x amd64)",
		"Inst foo [1.0] (2.0 x [amd64]) trailing",
		"Inst foo [1.0] (2.0 x [amd64]) [unclosed",
		"Inst foo,bar [1.0] (2.0 x [amd64])",
		"Inst foo:AMD_64 [1.0] (2.0 x [amd64])",
		"Inst foo [1 .0] (2.0 x [amd64])",
		"Inst foo [1.0] ( x [amd64])",
		"Inst foo [1.0] (2.0 a, , b [amd64])",
		"Conf foo [1.0] (2.0 x [amd64])",
		"Remv foo",
		"Remv foo [1.0] junk",
		"1 upgraded, 0 newly installed, 0 to remove and 0 not upgraded",
		"1 upgraded, 0 newly installed, 2 sideways, 0 to remove and 0 not upgraded.",
		"x upgraded, 0 newly installed, 0 to remove and 0 not upgraded.",
		"1 upgraded, 0 newly installed, 0 to remove and many not upgraded.",
	} {
		_, err := ParseSimulation([]byte("Reading package lists...\n" + bad + "\n"))
		var oe *OutputError
		if !errors.As(err, &oe) || oe.Line != 2 || !errors.Is(err, patchkit.ErrInvalid) {
			t.Errorf("%q: %v, want an *OutputError on line 2", bad, err)
		}
	}
}

// TestSimulationCheck changes the counts of a real simulation and requires
// Check to notice.
func TestSimulationCheck(t *testing.T) {
	rec := loadRecording(t, "testbed-archives-apt-get")
	orig := string(rec.Stdout)
	const summary = "12 upgraded, 0 newly installed, 1 downgraded, 0 to remove and 1 not upgraded."
	if !strings.Contains(orig, summary) {
		t.Fatalf("recording lacks %q", summary)
	}
	for _, bad := range []string{
		"11 upgraded, 0 newly installed, 1 downgraded, 0 to remove and 1 not upgraded.",
		"12 upgraded, 1 newly installed, 1 downgraded, 0 to remove and 1 not upgraded.",
		"12 upgraded, 0 newly installed, 0 to remove and 1 not upgraded.",
		"12 upgraded, 0 newly installed, 1 reinstalled, 1 downgraded, 0 to remove and 1 not upgraded.",
		"12 upgraded, 0 newly installed, 1 downgraded, 3 to remove and 1 not upgraded.",
		"12 upgraded, 0 newly installed, 1 downgraded, 0 to remove and 0 not upgraded.",
	} {
		sim, err := ParseSimulation([]byte(strings.Replace(orig, summary, bad, 1)))
		if err != nil {
			t.Fatal(err)
		}
		var oe *OutputError
		if err := sim.Check(); !errors.As(err, &oe) {
			t.Errorf("%q: Check gave %v", bad, err)
		}
	}
	// a name missing from the "will be upgraded" list
	sim, err := ParseSimulation([]byte(strings.Replace(orig, "tb-kernel tb-lib\n", "tb-kernel\n", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Check(); err == nil {
		t.Error("Check accepted an upgrade list without tb-lib")
	}
	// The inventory must hold what apt says is installed.
	inv, err := dpkg.ParseQuery(loadRecording(t, "testbed-archives-dpkg-query").Stdout)
	if err != nil {
		t.Fatal(err)
	}
	inv = slices.DeleteFunc(inv, func(p patchkit.Package) bool { return p.Name == "tb-lib" })
	r := run.NewReplay(append([]run.Recording{rec}, loadRecording(t, "testbed-archives-apt-cache-policy"))...)
	_, err = NativeUpdates(context.Background(), r, inv)
	var oe *OutputError
	if !errors.As(err, &oe) || !strings.Contains(err.Error(), "tb-lib") {
		t.Errorf("inventory without tb-lib: %v", err)
	}
}

// TestParseCachePolicy reads recorded apt-cache policy output and refuses
// damaged variants.
func TestParseCachePolicy(t *testing.T) {
	rec := loadRecording(t, "testbed-chroot-apt-cache-policy")
	pols, err := ParseCachePolicy(rec.Stdout)
	if err != nil {
		t.Fatal(err)
	}
	if len(pols) < 50 {
		t.Fatalf("%d packages", len(pols))
	}
	for _, p := range pols {
		if p.Installed == "" || len(p.Versions) == 0 {
			t.Errorf("%s: %+v", p.Name, p)
		}
		inst := 0
		for _, v := range p.Versions {
			if v.Installed {
				inst++
				if v.Version != p.Installed {
					t.Errorf("%s: *** on %s, installed %s", p.Name, v.Version, p.Installed)
				}
				st := false
				for _, s := range v.Sources {
					st = st || s.Status()
				}
				if !st {
					t.Errorf("%s: installed version without the status file", p.Name)
				}
			}
			for _, s := range v.Sources {
				if !s.Status() && (s.URI() == "" || s.Dist() == "") {
					t.Errorf("%s: source %q", p.Name, s.Desc)
				}
			}
		}
		if inst != 1 {
			t.Errorf("%s: %d versions marked installed", p.Name, inst)
		}
	}
	text := string(rec.Stdout)
	for _, bad := range []struct{ from, to string }{
		{"  Version table:\n", "  Version table\n"},
		{"  Installed: ", "Installed: "},
		{" *** ", " **** "},
		{"        500 http", "500 http"},
		{"  Candidate: ", "  Candidate:\n\n"},
	} {
		if !strings.Contains(text, bad.from) {
			t.Fatalf("recording lacks %q", bad.from)
		}
		_, err := ParseCachePolicy([]byte(strings.Replace(text, bad.from, bad.to, 1)))
		var oe *OutputError
		if !errors.As(err, &oe) || oe.Line == 0 {
			t.Errorf("%q -> %q: %v", bad.from, bad.to, err)
		}
	}
}
