package apt

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/internal/testbed"
	"github.com/patchkit/patchkit/repo"
	"github.com/patchkit/patchkit/scan/dpkg"
)

// TestTestbedAptScanRepositoryHealth damages a copy of the testbed's
// private root and requires each repository that cannot be trusted to be
// reported with its health and to offer nothing, while the others are
// still read.
func TestTestbedAptScanRepositoryHealth(t *testing.T) {
	env := testbed.Need(t)
	const (
		base = "http://127.0.0.1:" // the testbed's apt URL
		sec  = "testbed-security"
		upd  = "testbed-updates"
	)
	listFile := func(sc *scenario, suite, file string) string {
		return filepath.Join(sc.root, "var/lib/apt/lists", "127.0.0.1:"+env.AptURL[len(base):]+"_dists_"+suite+"_"+file)
	}
	scan := func(t *testing.T, sc *scenario, opts ...Option) ([]patchkit.Patch, map[string]repo.Status) {
		t.Helper()
		inv, err := dpkg.Read(t.Context(), os.DirFS(sc.root))
		if err != nil {
			t.Fatal(err)
		}
		ps, sts, err := Updates(t.Context(), os.DirFS("/"), inv,
			append([]Option{WithArch(nodeArch(t)), WithNow(time.Now()), WithAptConfig(sc.env.AptConfig)}, opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]repo.Status{}
		for _, s := range sts {
			m[s.Name[len(env.AptURL)+1:]] = s
		}
		if len(m) != 3 {
			t.Fatalf("%d statuses: %+v", len(m), sts)
		}
		return ps, m
	}
	fromSuite := func(ps []patchkit.Patch, label string) int {
		n := 0
		for _, p := range ps {
			if bytes.Contains([]byte(p.Repository), []byte(label)) {
				n++
			}
		}
		return n
	}

	t.Run("missing lists", func(t *testing.T) {
		sc := newScenario(t, env, nil, nil, nil)
		for _, f := range []string{"InRelease", "main_binary-amd64_Packages"} {
			if err := os.Remove(listFile(sc, sec, f)); err != nil {
				t.Fatal(err)
			}
		}
		var (
			log   bytes.Buffer
			calls []Progress
		)
		ps, st := scan(t, sc, WithLogger(slog.New(slog.NewTextHandler(&log, nil))), WithProgress(func(p Progress) { calls = append(calls, p) }))
		if len(calls) != 3 || calls[2].Done != 3 || calls[0].Total != 3 {
			t.Errorf("progress: %+v", calls)
		}
		if !bytes.Contains(log.Bytes(), []byte("apt repository not used")) || !bytes.Contains(log.Bytes(), []byte(sec)) {
			t.Errorf("log: %s", log.String())
		}
		if s := st[sec]; s.Health != repo.HealthUnreadable || s.Packages != 0 || s.Reason == "" {
			t.Errorf("%+v", s)
		}
		if st[upd].Health != repo.HealthOK || st["testbed"].Health != repo.HealthOK {
			t.Errorf("%+v", st)
		}
		if n := fromSuite(ps, "Testbed-Security"); n != 0 {
			t.Errorf("%d patches from the unreadable suite", n)
		}
		if candidateOf(ps, "tb-multi") != "1.3-1" || len(findPatches(ps, "tb-multi")) != 2 {
			t.Errorf("tb-multi: %+v", findPatches(ps, "tb-multi"))
		}
	})
	t.Run("bad signature", func(t *testing.T) {
		sc := newScenario(t, env, nil, nil, nil)
		p := listFile(sc, upd, "InRelease")
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		b = bytes.Replace(b, []byte("Suite: testbed-updates"), []byte("Suite: testbed-upd8tes"), 1)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		ps, st := scan(t, sc)
		if s := st[upd]; s.Health != repo.HealthUnsigned || s.Verified {
			t.Errorf("%+v", s)
		}
		if candidateOf(ps, "tb-hello") != "" || candidateOf(ps, "tb-multi") != "1.2-1" {
			t.Errorf("tb-hello %q, tb-multi %q", candidateOf(ps, "tb-hello"), candidateOf(ps, "tb-multi"))
		}
	})
	t.Run("Packages not as signed", func(t *testing.T) {
		sc := newScenario(t, env, nil, nil, nil)
		p := listFile(sc, sec, "main_binary-amd64_Packages")
		f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteString("\nPackage: tb-lib\nVersion: 9:9\nArchitecture: all\n"); err != nil {
			t.Fatal(err)
		}
		f.Close()
		ps, st := scan(t, sc)
		if s := st[sec]; s.Health != repo.HealthUnreadable {
			t.Errorf("%+v", s)
		}
		if len(findPatches(ps, "tb-lib")) != 0 {
			t.Errorf("tb-lib: %+v", findPatches(ps, "tb-lib"))
		}
	})
	t.Run("keyring gone", func(t *testing.T) {
		sc := newScenario(t, env, nil, nil, nil)
		if err := os.Remove(filepath.Join(sc.root, "etc/apt/testbed.gpg")); err != nil {
			t.Fatal(err)
		}
		ps, st := scan(t, sc)
		for name, s := range st {
			if s.Health != repo.HealthUnsigned {
				t.Errorf("%s: %+v", name, s)
			}
		}
		if len(ps) != 0 {
			t.Errorf("%d patches without a keyring", len(ps))
		}
	})
	t.Run("Max-ValidTime", func(t *testing.T) {
		sc := newScenario(t, env, nil, nil, nil)
		sc.write(t, "etc/apt/apt.conf.d/50valid", "Acquire::Max-ValidTime \"60\";\n")
		later := time.Now().Add(time.Hour)
		ps, st := scan(t, sc, WithNow(later))
		for name, s := range st {
			if s.Health != repo.HealthExpired {
				t.Errorf("%s: %+v", name, s)
			}
		}
		if len(ps) != 0 {
			t.Errorf("%d patches from expired metadata", len(ps))
		}
		// apt applies Max-ValidTime only where it checks Valid-Until
		sc.write(t, "etc/apt/apt.conf.d/60nocheck", "Acquire::Check-Valid-Until \"false\";\n")
		_, st = scan(t, sc, WithNow(later))
		for name, s := range st {
			if s.Health != repo.HealthOK {
				t.Errorf("with Check-Valid-Until false, %s: %+v", name, s)
			}
		}
	})
	t.Run("refresh", func(t *testing.T) {
		sc := newScenario(t, env, nil, nil, nil)
		c, err := repo.NewClient(repo.WithClock(time.Now))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fromLists, _ := scan(t, sc)
		// the root's lists are not read when refreshing
		if err := os.RemoveAll(filepath.Join(sc.root, "var/lib/apt/lists")); err != nil {
			t.Fatal(err)
		}
		fresh, st := scan(t, sc, WithClient(c), WithRefresh(true))
		for name, s := range st {
			if s.Health != repo.HealthOK || !s.Verified {
				t.Errorf("%s: %+v", name, s)
			}
		}
		sortPatches(fromLists)
		sortPatches(fresh)
		if len(fresh) != len(fromLists) {
			t.Fatalf("%d patches fresh, %d from the lists", len(fresh), len(fromLists))
		}
		for i := range fresh {
			a, b := fresh[i], fromLists[i]
			if a.Name != b.Name || a.EVR() != b.EVR() || a.Candidate != b.Candidate || a.Security != b.Security || a.Repository != b.Repository {
				t.Errorf("fresh %+v, lists %+v", a, b)
			}
		}
	})
}

func TestOptions(t *testing.T) {
	for _, c := range []struct {
		opts   []Option
		option string
	}{
		{[]Option{WithNow(time.Now())}, "WithArch"},
		{[]Option{WithArch("x86_64")}, "WithNow"},
		{[]Option{WithArch("sparc-ultra"), WithNow(time.Now())}, "WithArch"},
		{[]Option{WithArch("x86_64"), WithNow(time.Time{})}, "WithNow"},
		{[]Option{WithArch("x86_64"), WithNow(time.Now()), WithRefresh(true)}, "WithRefresh"},
		{[]Option{WithArch("x86_64"), WithNow(time.Now()), WithAptConfig("etc/apt.conf")}, "WithAptConfig"},
		{[]Option{WithArch("x86_64"), WithNow(time.Now()), WithClient(nil)}, "WithClient"},
		{[]Option{WithArch("x86_64"), WithNow(time.Now()), WithLogger(nil)}, "WithLogger"},
	} {
		_, _, err := Updates(t.Context(), os.DirFS(t.TempDir()), nil, c.opts...)
		var oe *OptionError
		if !errors.As(err, &oe) || oe.Option != c.option || !errors.Is(err, patchkit.ErrInvalid) {
			t.Errorf("%s: %v", c.option, err)
		}
	}
	// an empty root: no sources, no patches, no error
	ps, sts, err := Updates(t.Context(), os.DirFS(t.TempDir()), nil, WithArch("aarch64"), WithNow(time.Now()))
	if err != nil || len(ps) != 0 || len(sts) != 0 {
		t.Errorf("empty root: %v %v %v", ps, sts, err)
	}
	// a bad inventory
	for _, p := range []patchkit.Package{
		{Name: "bash", Version: "5.2", Scheme: patchkit.RPM},
		{Name: "-bad", Version: "1", Scheme: patchkit.Deb, Epoch: patchkit.EpochOf(0)},
		{Name: "bash", Version: "1", Arch: "x_86", Scheme: patchkit.Deb, Epoch: patchkit.EpochOf(0)},
		{Name: "bash", Version: "", Scheme: patchkit.Deb, Epoch: patchkit.EpochOf(0)},
	} {
		_, _, err := Updates(t.Context(), os.DirFS(t.TempDir()), []patchkit.Package{p}, WithArch("x86_64"), WithNow(time.Now()))
		var ie *InventoryError
		if !errors.As(err, &ie) {
			t.Errorf("%+v: %v", p, err)
		}
	}
	dup := patchkit.Package{Name: "a", Version: "1", Arch: "all", Scheme: patchkit.Deb, Epoch: patchkit.EpochOf(0)}
	dup2 := dup
	dup2.Arch = "amd64"
	_, _, err = Updates(t.Context(), os.DirFS(t.TempDir()), []patchkit.Package{dup, dup2}, WithArch("x86_64"), WithNow(time.Now()))
	var ie *InventoryError
	if !errors.As(err, &ie) {
		t.Errorf("a:all and a:amd64: %v", err)
	}
	for _, o := range []NativeOption{NativeAptConfig("rel"), NativeAptOption("quiet", "2"), NativeAptOption("Debug::NoLocking", "0"),
		NativeAptOption("a=b", "c"), NativePrograms("apt-get", "/usr/bin/apt-cache"), NativeLogger(nil)} {
		if _, err := SimulateCommand(o); !errors.As(err, new(*OptionError)) {
			t.Errorf("native option: %v", err)
		}
	}
	c, err := SimulateCommand(NativeAptConfig("/srv/root/apt.conf"), NativeAptOption("Dir", "/srv/root/"), NativeDefaultRelease("stable"))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Check(); err != nil || !slices.Contains(c.Env, "APT_CONFIG=/srv/root/apt.conf") || !slices.Contains(c.Env, "LC_ALL=C") || c.Args[len(c.Args)-1] != "dist-upgrade" {
		t.Errorf("%s %v: %v", c, c.Env, err)
	}
}
