package heappeak

import (
	"runtime"
	"testing"
)

// TestMeasure: a work that holds 16 MiB at once and keeps 2 MiB shows a
// peak of at least 16 MiB and a retained 2 MiB (within the runtime's own
// noise); a work that allocates nothing shows neither.
func TestMeasure(t *testing.T) {
	var kept []byte
	u := Measure(func() {
		big := make([]byte, 16<<20)
		for i := range big {
			big[i] = byte(i)
		}
		runtime.KeepAlive(big)
		kept = make([]byte, 2<<20)
		for i := range kept {
			kept[i] = 1
		}
	})
	if u.Peak < 16<<20 {
		t.Errorf("peak %d bytes, want at least 16 MiB", u.Peak)
	}
	if u.Retained < 1<<20 || u.Retained > 3<<20 {
		t.Errorf("retained %d bytes, want about 2 MiB", u.Retained)
	}
	runtime.KeepAlive(kept)
	kept = nil

	u = Measure(func() {})
	if u.Peak > 1<<20 || u.Retained > 1<<20 {
		t.Errorf("an empty work: %+v", u)
	}
	if MiB(3<<20) != 3 {
		t.Error("MiB")
	}
}
