package apt

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/scan/dpkg"
	"github.com/patchkit/patchkit/scan/run"
)

// installedRecording is one run of TestTestbedAptNativeInstalled* or
// TestHostAptNativeInstalled with -update: dpkg-query's inventory and the
// three commands of NativeUpdates with NativeInstalledVersions (apt-get
// -s, apt-cache policy of the installed packages and of the package
// files).
type installedRecording struct {
	inv                   []patchkit.Package
	aptGet, policy, files run.Recording
	chroot                string
}

func loadInstalledRecording(t testing.TB, name string) installedRecording {
	t.Helper()
	load := func(suffix string) run.Recording {
		b, err := os.ReadFile(filepath.Join(recDir, name+"-"+suffix+".txt"))
		if err != nil {
			t.Fatal(err)
		}
		r, err := run.ParseRecording(name+"-"+suffix, b)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	rec := installedRecording{aptGet: load("apt-get"), policy: load("apt-cache-policy"), files: load("apt-cache-policy2")}
	inv, err := dpkg.ParseQuery(load("dpkg-query").Stdout)
	if err != nil {
		t.Fatal(err)
	}
	rec.inv = inv
	if rec.aptGet.Argv[0] == "/usr/sbin/chroot" {
		rec.chroot = rec.aptGet.Argv[1]
	}
	return rec
}

// runner replays the recording; policy, when not nil, replaces the
// standard output of every apt-cache policy call that names packages.
func (ir installedRecording) runner(policy []byte) run.Runner {
	var r run.Runner = run.NewReplay(ir.aptGet, ir.policy, ir.files)
	if policy != nil {
		inner := r
		r = run.RunnerFunc(func(ctx context.Context, c run.Command) (run.Result, error) {
			if slices.Contains(c.Args, "policy") && len(c.Operands) > 0 {
				if err := c.Check(); err != nil {
					return run.Result{}, err
				}
				return run.Result{Stdout: policy}, nil
			}
			return inner.Run(ctx, c)
		})
	}
	if ir.chroot != "" {
		r = chrootRunner(r, ir.chroot)
	}
	return r
}

// TestRecordedNativeInstalled replays the recorded runs: NativeUpdates
// with NativeInstalledVersions returns the installed versions the
// end-to-end test found (the metadata backend's, in the same run), each
// with apt-get's origins, runs the three recorded commands and no other,
// and without the option runs apt-get -s only and returns the same newer
// versions.
func TestRecordedNativeInstalled(t *testing.T) {
	for _, tc := range []struct {
		name                        string
		installed, offered, securit int
	}{
		{"testbed-private-installed", 5, 5, 0},
		{"testbed-archives-installed", 14, 12, 2},
		{"testbed-chroot-installed", 101, 101, 4},
		{"host-installed", 780, 674, 45},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ir := loadInstalledRecording(t, tc.name)
			asked, ops, err := installedOperands(ir.inv)
			if err != nil {
				t.Fatal(err)
			}
			if want := ir.policy.Argv[slices.Index(ir.policy.Argv, "--")+1:]; !slices.Equal(ops, want) {
				t.Errorf("operands %q, recorded %q", ops, want)
			}
			if len(asked) != tc.installed {
				t.Errorf("%d packages asked, want %d", len(asked), tc.installed)
			}
			replay := run.NewReplay(ir.aptGet, ir.policy, ir.files)
			var r run.Runner = replay
			if ir.chroot != "" {
				r = chrootRunner(r, ir.chroot)
			}
			all, err := NativeUpdates(t.Context(), r, ir.inv, NativeInstalledVersions(true), NativeProduct("Debian12"))
			if err != nil {
				t.Fatal(err)
			}
			if calls := replay.Calls(); len(calls) != 3 {
				t.Errorf("%d commands with the option, want 3", len(calls))
			}
			got, newer := splitInstalled(t, all, ir.inv, "amd64")
			sec := 0
			for _, p := range got {
				if p.Security {
					sec++
				}
				if p.Security != (p.Classification == "Security") || p.Product != "Debian12" || p.Repository == "" {
					t.Errorf("%s %s: %+v", p.Name, p.EVR(), p)
				}
				if strings.Contains(p.Repository, ":/") || strings.Contains(p.Repository, "/main") {
					t.Errorf("%s %s: Repository %q is not apt-get's origin form", p.Name, p.EVR(), p.Repository)
				}
			}
			if len(got) != tc.offered || sec != tc.securit {
				t.Errorf("%d installed versions (%d security), want %d (%d)", len(got), sec, tc.offered, tc.securit)
			}

			replay = run.NewReplay(ir.aptGet)
			r = replay
			if ir.chroot != "" {
				r = chrootRunner(r, ir.chroot)
			}
			plain, err := NativeUpdates(t.Context(), r, ir.inv, NativeProduct("Debian12"), NativeInstalledVersions(false))
			if err != nil && !strings.Contains(tc.name, "archives") {
				t.Fatal(err)
			}
			if err == nil {
				if !slices.EqualFunc(plain, newer, func(a, b patchkit.Patch) bool { return fmt.Sprint(a) == fmt.Sprint(b) }) {
					t.Errorf("without the option: %d patches, %d newer ones with it", len(plain), len(newer))
				}
				if calls := replay.Calls(); len(calls) != 1 {
					t.Errorf("%d commands without the option, want 1", len(calls))
				}
			} else if !errors.As(err, new(*run.NoRecordingError)) {
				// archives: apt keeps qux back, which takes a second
				// apt-cache policy without the option; it was not recorded
				t.Fatal(err)
			}
		})
	}
}

// TestNativeInstalledOutputErrors: the recorded apt-cache policy output of
// the private root, damaged, gives an *OutputError naming the line, and an
// inventory apt cannot be asked about an *InventoryError.
func TestNativeInstalledOutputErrors(t *testing.T) {
	ir := loadInstalledRecording(t, "testbed-private-installed")
	out := string(ir.policy.Stdout)
	lineOf := func(s string) int {
		i := strings.Index(out, s)
		if i < 0 {
			t.Fatalf("%q not in the recording", s)
		}
		return strings.Count(out[:i], "\n") + 1
	}
	blocks := strings.SplitAfter(out, "\ntb-") // the first, then "hello:..." etc.
	lastStart := len(out) - len(blocks[len(blocks)-1]) - len("tb-")
	for _, tc := range []struct {
		name, stdout string
		line         int
		reason       string
	}{
		{"one package missing", out[:lastStart], 0, "5 installed packages asked, 4 answered"},
		{"another package", strings.Replace(out, "tb-kernel:\n", "tb-kernelx:\n", 1), lineOf("tb-kernel:\n"), "answer about another package than tb-kernel:all"},
		{"other installed version", strings.Replace(out, "tb-tool:\n  Installed: 3.0-1", "tb-tool:\n  Installed: 3.0-2", 1), lineOf("tb-tool:\n"),
			"apt says 3.0-2 is installed; the inventory lists 3.0-1"},
		{"not installed for apt", strings.Replace(out, "tb-tool:\n  Installed: 3.0-1", "tb-tool:\n  Installed: (none)", 1), lineOf("tb-tool:\n"),
			"apt says (none) is installed; the inventory lists 3.0-1"},
		{"no *** entry", strings.Replace(out, " *** 1.0-1 500\n        500 http://127.0.0.1:18080 testbed/main amd64 Packages\n        100 /tmp/pm-testbed/apt-private/var/lib/dpkg/status\ntb-kernel",
			"     1.0-1 500\n        500 http://127.0.0.1:18080 testbed/main amd64 Packages\n        100 /tmp/pm-testbed/apt-private/var/lib/dpkg/status\ntb-kernel", 1),
			lineOf("tb-hello:\n"), "installed version 1.0-1 of tb-hello is not marked *** in its version table"},
		{"malformed line", strings.Replace(out, "tb-lib:\n  Installed:", "tb-lib:\n  Installd:", 1), lineOf("tb-lib:\n") + 1, "unexpected line"},
		{"version line", strings.Replace(out, " *** 3.0-1 500", " *** 3.0-1 high", 1), lineOf(" *** 3.0-1 500"), "want \"VERSION PRIORITY\""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.stdout == out {
				t.Fatal("the damage changed nothing")
			}
			_, err := NativeUpdates(t.Context(), ir.runner([]byte(tc.stdout)), ir.inv, NativeInstalledVersions(true))
			var oe *OutputError
			if !errors.As(err, &oe) || !errors.Is(err, patchkit.ErrInvalid) {
				t.Fatalf("got %v, want an *OutputError", err)
			}
			if oe.Command != policyCmd || oe.Line != tc.line || !strings.Contains(oe.Reason, tc.reason) {
				t.Errorf("got %q (line %d), want line %d and %q", err, oe.Line, tc.line, tc.reason)
			}
		})
	}

	// tb-hello listed for "all" and for amd64: apt answers twice about the
	// same package.
	t.Run("inventory lists one apt package twice", func(t *testing.T) {
		inv := slices.Clone(ir.inv)
		dup := inv[0]
		dup.Arch = "amd64"
		inv = slices.Insert(inv, 1, dup)
		hello := out[:strings.Index(out, "tb-kernel:\n")]
		_, err := NativeUpdates(t.Context(), ir.runner([]byte(hello+out)), inv, NativeInstalledVersions(true))
		var ie *InventoryError
		if !errors.As(err, &ie) || ie.Package != "tb-hello:amd64" || !strings.Contains(ie.Reason, "also listed as tb-hello:all") {
			t.Fatalf("got %v, want an *InventoryError about tb-hello:amd64", err)
		}
	})
	t.Run("package of another scheme", func(t *testing.T) {
		inv := slices.Clone(ir.inv)
		inv[2].Scheme = patchkit.RPM
		_, err := NativeUpdates(t.Context(), ir.runner(nil), inv, NativeInstalledVersions(true))
		var ie *InventoryError
		if !errors.As(err, &ie) || !strings.HasPrefix(ie.Package, "tb-lib") || !strings.Contains(ie.Reason, "not a Debian package") {
			t.Fatalf("got %v, want an *InventoryError about tb-lib", err)
		}
	})
	t.Run("apt-cache fails", func(t *testing.T) {
		bad := ir.policy
		bad.Exit, bad.Stdout, bad.Stderr = 100, nil, []byte("E: The package lists or status file could not be parsed or opened.\n")
		_, err := NativeUpdates(t.Context(), run.NewReplay(ir.aptGet, bad), ir.inv, NativeInstalledVersions(true))
		var ee *run.ExitError
		if !errors.As(err, &ee) || !strings.Contains(err.Error(), "apt-cache policy of installed packages") {
			t.Fatalf("got %v, want the exit error", err)
		}
	})
}

// TestNativeInstalledKeptBackNotInInventory: with the option the kept-back
// packages are looked up in the installed packages' answer; one the
// inventory does not list is an *OutputError.
func TestNativeInstalledKeptBackNotInInventory(t *testing.T) {
	ir := loadInstalledRecording(t, "testbed-archives-installed")
	out := string(ir.policy.Stdout)
	i := strings.Index(out, "qux:\n")
	j := i + strings.Index(out[i:], "tb-hello:\n")
	var inv []patchkit.Package
	for _, p := range ir.inv {
		if p.Name != "qux" {
			inv = append(inv, p)
		}
	}
	_, err := NativeUpdates(t.Context(), ir.runner([]byte(out[:i]+out[j:])), inv, NativeInstalledVersions(true))
	var oe *OutputError
	if !errors.As(err, &oe) || oe.Command != simCmd || oe.Text != "qux" || !strings.Contains(oe.Reason, "inventory does not list") {
		t.Fatalf("got %v, want an *OutputError about qux", err)
	}
}

// TestChunkOperands: the host's 780 installed packages fit one call; with
// a small limit the operands are split in order, each call within the
// limit, and NativeUpdates' answers are the same when the recorded answer
// is served call by call.
func TestChunkOperands(t *testing.T) {
	ir := loadInstalledRecording(t, "host-installed")
	_, ops, err := installedOperands(ir.inv)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, op := range ops {
		total += len(op) + 1
	}
	if c := chunkOperands(ops, maxPolicyOperandBytes); len(c) != 1 {
		t.Errorf("%d operands (%d bytes) in %d calls, want 1", len(ops), total, len(c))
	}
	t.Logf("%d operands, %d bytes (limit %d)", len(ops), total, maxPolicyOperandBytes)
	for _, limit := range []int{1, 100, 4096} {
		chunks := chunkOperands(ops, limit)
		if got := slices.Concat(chunks...); !slices.Equal(got, ops) {
			t.Fatalf("limit %d: chunks do not add up to the operands", limit)
		}
		for _, c := range chunks {
			n := 0
			for _, op := range c {
				n += len(op) + 1
			}
			if n > limit && len(c) > 1 {
				t.Errorf("limit %d: a call of %d operands, %d bytes", limit, len(c), n)
			}
		}
		if limit == 4096 && (len(chunks) < total/4096 || len(chunks) > total/2048+1) {
			t.Errorf("limit 4096: %d calls for %d bytes", len(chunks), total)
		}
	}
	if c := chunkOperands(nil, 10); len(c) != 0 {
		t.Errorf("no operands: %d calls", len(c))
	}

	// The recorded answer, served in pieces: each call gets the blocks of
	// its operands.
	pols, err := ParseCachePolicy(ir.policy.Stdout)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(ir.policy.Stdout), "\n")
	block := func(i int) string {
		end := len(lines)
		if i+1 < len(pols) {
			end = pols[i+1].Line - 1
		}
		return strings.Join(lines[pols[i].Line-1:end], "")
	}
	next, calls := 0, 0
	r := run.RunnerFunc(func(ctx context.Context, c run.Command) (run.Result, error) {
		calls++
		var b strings.Builder
		for range c.Operands {
			b.WriteString(block(next))
			next++
		}
		return run.Result{Stdout: []byte(b.String())}, nil
	})
	o, err := buildNative([]NativeOption{NativeInstalledVersions(true)})
	if err != nil {
		t.Fatal(err)
	}
	whole, err := o.askInstalled(t.Context(), run.NewReplay(ir.policy), ir.inv, maxPolicyOperandBytes)
	if err != nil {
		t.Fatal(err)
	}
	pieces, err := o.askInstalled(t.Context(), r, ir.inv, 4096)
	if err != nil {
		t.Fatal(err)
	}
	if calls != len(chunkOperands(ops, 4096)) || len(pieces) != len(whole) {
		t.Fatalf("%d calls, %d answers (%d in one call)", calls, len(pieces), len(whole))
	}
	for i := range whole {
		a, b := whole[i], pieces[i]
		if a.pkg.QualifiedName() != b.pkg.QualifiedName() || a.cp.Name != b.cp.Name || a.cp.Installed != b.cp.Installed || len(a.cp.Versions) != len(b.cp.Versions) {
			t.Errorf("answer %d: %s %+v in pieces, %s %+v whole", i, b.pkg.QualifiedName(), b.cp, a.pkg.QualifiedName(), a.cp)
		}
	}
}

// BenchmarkNativeInstalledHost replays this machine's recorded run (780
// installed packages): apt-get -s and one apt-cache policy, parsed and
// checked.
func BenchmarkNativeInstalledHost(b *testing.B) {
	ir := loadInstalledRecording(b, "host-installed")
	b.ReportAllocs()
	for b.Loop() {
		ps, err := NativeUpdates(b.Context(), ir.runner(nil), ir.inv, NativeInstalledVersions(true))
		if err != nil || len(ps) == 0 {
			b.Fatal(err)
		}
	}
}
