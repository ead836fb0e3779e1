package compliance_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/compliance"
)

// ReadJSON reads a report from any reader and checks that it agrees with
// itself.
func ExampleReadJSON() {
	f, err := os.Open("testdata/golden/sequence-2-install-failed.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	r, err := compliance.ReadJSON(f)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.SchemaVersion, r.Node.InstanceID, r.Operation, r.Summary.Status, r.Summary.FailedCount)

	_, err = compliance.ReadJSON(strings.NewReader(`{"SchemaVersion": "2.0"}`))
	fmt.Println(errors.Is(err, patchkit.ErrInvalid), err)
	// Output:
	// 1.1 i-0123456789abcdef0 Install NON_COMPLIANT 1
	// true compliance: report schema version "2.0": written by a newer patchkit (this package reads 1.1)
}

// Reports reads many reports, one at a time, from JSON Lines or
// concatenated JSON.
func ExampleReports() {
	var stream bytes.Buffer
	for _, name := range []string{"sequence-1-scan.json", "sequence-5-scan-after-reboot.json"} {
		b, err := os.ReadFile(filepath.Join("testdata/golden", name))
		if err != nil {
			fmt.Println(err)
			return
		}
		stream.Write(b)
	}
	for r, err := range compliance.Reports(&stream) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(r.Operation, r.OperationStartTime.Format("2006-01-02 15:04"), r.Summary.Status)
	}
	// Output:
	// Scan 2025-11-20 01:00 NON_COMPLIANT
	// Scan 2025-11-20 05:00 COMPLIANT
}

func ExampleInstancePatchStates() {
	r, err := compliance.LoadFile("testdata/golden/sequence-3-install-noreboot.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	out := compliance.InstancePatchStates(&r)
	s := out.InstancePatchStates[0]
	fmt.Println(s.InstanceID, s.PatchGroup, s.Operation, s.InstalledCount, s.InstalledPendingRebootCount, s.MissingCount)
	// Output:
	// i-0123456789abcdef0 web Install 1 1 0
}

// InstancePatches lists a report's items as describe-instance-patches does.
func ExampleReport_InstancePatches() {
	r, err := compliance.LoadFile("testdata/golden/sequence-2-install-failed.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range r.InstancePatches().Patches {
		fmt.Println(p.KBID, p.State, p.Severity, p.CVEIDs)
	}
	// Output:
	// openssl-libs.x86_64 Failed Critical CVE-2025-1002
	// tzdata.x86_64 Installed
}

func ExampleReport_WriteJSON() {
	r, err := compliance.LoadFile("testdata/golden/sequence-1-scan.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	var buf bytes.Buffer
	if err := r.WriteJSON(&buf); err != nil {
		fmt.Println(err)
		return
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(buf.Bytes(), &fields); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(fields["SchemaVersion"]), string(fields["Operation"]))
	again, err := compliance.ReadJSON(&buf)
	fmt.Println(again.Summary.Status == r.Summary.Status, err)
	// Output:
	// "1.1" "Scan"
	// true <nil>
}

// SaveFile replaces a saved report atomically: a reader sees the old
// report or the new one, never a part.
func ExampleReport_SaveFile() {
	r, err := compliance.LoadFile("testdata/golden/sequence-4-scan-before-reboot.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	dir, err := os.MkdirTemp("", "patchkit-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "report.json")
	if err := r.SaveFile(path); err != nil {
		fmt.Println(err)
		return
	}
	saved, err := compliance.LoadFile(path)
	fmt.Println(saved.Summary.Status, saved.Summary.InstalledPendingRebootCount, err)
	// Output:
	// NON_COMPLIANT 1 <nil>
}

func ExampleParseState() {
	a, _ := compliance.ParseState("INSTALLED_PENDING_REBOOT")
	b, _ := compliance.ParseState("InstalledPendingReboot")
	fmt.Println(a == b, a, a.APIName())
	_, err := compliance.ParseState("Pending")
	fmt.Println(err)
	// Output:
	// true InstalledPendingReboot INSTALLED_PENDING_REBOOT
	// unknown PatchComplianceDataState "Pending"
}

func ExampleStates() {
	for _, s := range compliance.States() {
		fmt.Println(s, s.NonCompliantState(false))
	}
	// Output:
	// Installed false
	// InstalledOther false
	// InstalledPendingReboot true
	// InstalledRejected true
	// Missing true
	// Failed true
	// NotApplicable false
	// AvailableSecurityUpdate false
}
