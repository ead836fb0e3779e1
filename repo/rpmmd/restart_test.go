package rpmmd

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

// restartUpdateinfo is written here (not a vendor's): restart_suggested
// inside a package ("True"), on the update itself ("1"), inside a package
// but false, and absent; reboot_suggested beside one of them.
const restartUpdateinfo = `<?xml version="1.0" encoding="UTF-8"?>
<updates>
  <update from="test@example.invalid" status="stable" type="recommended" version="1">
    <id>R-PKG</id><title>restart in a package</title><issued date="1793534400"/>
    <pkglist><collection short="c"><name>c</name>
      <package name="zypper" epoch="0" version="1.14.70" release="1" arch="x86_64"><filename>zypper.rpm</filename><restart_suggested>True</restart_suggested></package>
    </collection></pkglist>
  </update>
  <update from="test@example.invalid" status="stable" type="recommended" version="1">
    <id>R-UPD</id><title>restart on the update</title><issued date="1793534400"/><restart_suggested>1</restart_suggested>
    <pkglist><collection short="c"><name>c</name>
      <package name="libzypp" epoch="0" version="17.35.0" release="1" arch="x86_64"><filename>libzypp.rpm</filename></package>
    </collection></pkglist>
  </update>
  <update from="test@example.invalid" status="stable" type="security" version="1">
    <id>R-FALSE</id><title>restart false, reboot</title><issued date="1793534400"/>
    <pkglist><collection short="c"><name>c</name>
      <package name="kernel-default" epoch="0" version="6.4.0" release="1" arch="x86_64"><filename>k.rpm</filename><restart_suggested>false</restart_suggested><reboot_suggested>True</reboot_suggested></package>
    </collection></pkglist>
  </update>
  <update from="test@example.invalid" status="stable" type="bugfix" version="1">
    <id>R-NONE</id><title>no flag</title><issued date="1793534400"/>
    <pkglist><collection short="c"><name>c</name>
      <package name="bash" epoch="0" version="5.2" release="1" arch="x86_64"><filename>bash.rpm</filename></package>
    </collection></pkglist>
  </update>
</updates>
`

// TestUpdateinfoRestartAgreesWithLibsolv: the restart flag is set where
// libsolv's updateinfoxml2solv sets update:restart (zypper's pkgmanager
// flag), and nowhere else.
func TestUpdateinfoRestartAgreesWithLibsolv(t *testing.T) {
	xml := []byte(restartUpdateinfo)
	var ours, theirs []string
	for a, err := range ParseUpdateinfo("updateinfo.xml", bytes.NewReader(xml), "r", Limits{}) {
		if err != nil {
			t.Fatal(err)
		}
		if a.RestartSuggested {
			ours = append(ours, a.ID)
		}
	}
	for _, s := range solv(t, "updateinfoxml2solv", xml) {
		if _, ok := s["update:restart"]; ok {
			theirs = append(theirs, strings.TrimPrefix(s["solvable:name"][0], "patch:"))
		}
	}
	slices.Sort(ours)
	slices.Sort(theirs)
	if !slices.Equal(ours, theirs) || !slices.Equal(ours, []string{"R-PKG"}) {
		t.Fatalf("restart_suggested: ours %v, libsolv %v, want [R-PKG]", ours, theirs)
	}
}
