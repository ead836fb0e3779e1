package baseline

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/patchkit/patchkit"
)

// FuzzLoad: the loader does not panic, and every baseline it accepts
// round-trips (load, write, load gives an equal value), compiles and
// evaluates.
func FuzzLoad(f *testing.F) {
	for _, dir := range []string{"aws", "custom", "override", "snapshot"} {
		files, _ := filepath.Glob(filepath.Join(fixtures, dir, "*.json"))
		for _, file := range files {
			if data, err := os.ReadFile(file); err == nil {
				f.Add(data)
			}
		}
	}
	f.Add([]byte(`{"Name":"x1y","OperatingSystem":"UBUNTU","RejectedPatches":["a*"],"ApprovalRules":{"PatchRules":[{"PatchFilterGroup":{"PatchFilters":[{"Key":"PRIORITY","Values":["Required"]}]}}]}}`))
	cands := []patchkit.Patch{{Package: patchkit.Package{Name: "a", Version: "1", Release: "1", Arch: "x86_64"}, Classification: "Security", Severity: "Critical", Security: true}}
	f.Fuzz(func(t *testing.T, data []byte) {
		bs, err := Load(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, b := range bs {
			out, err := json.Marshal(b)
			if err != nil {
				t.Fatalf("marshal: %v", err)
			}
			back, err := Load(bytes.NewReader(out))
			if err != nil {
				t.Fatalf("reload of %s: %v", out, err)
			}
			if len(back) != 1 || !reflect.DeepEqual(b, back[0]) {
				t.Fatalf("round trip changed the baseline:\n%+v\n%+v", b, back)
			}
			c, err := Compile(b)
			if err != nil {
				t.Fatalf("a loaded baseline does not compile: %v", err)
			}
			if _, err := c.Evaluate(Node{OperatingSystem: b.OperatingSystem}, cands, time.Unix(1e9, 0)); err != nil {
				t.Fatal(err)
			}
		}
	})
}
