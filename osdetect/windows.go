package osdetect

import "strconv"

// windowsInfo is what Detect reads from the registry key
// HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion.
type windowsInfo struct {
	ProductName      string // "Windows Server 2022 Datacenter"
	InstallationType string // "Server", "Server Core", "Client"
	EditionID        string
	DisplayVersion   string // "21H2"; absent on older systems
	CurrentBuild     string // "20348"
	UBR              uint64 // update build revision
	Major, Minor     uint64 // CurrentMajorVersionNumber, CurrentMinorVersionNumber
	CurrentVersion   string // "6.3" on systems without the number values
}

// serverProducts maps Windows Server build numbers to Patch Manager
// products (build numbers as Microsoft publishes them for each release).
var serverProducts = map[string]string{
	"6001": "WindowsServer2008", "6002": "WindowsServer2008",
	"7600": "WindowsServer2008R2", "7601": "WindowsServer2008R2",
	"9200": "WindowsServer2012", "9600": "WindowsServer2012R2",
	"14393": "WindowsServer2016", "17763": "WindowsServer2019",
	"20348": "WindowsServer2022", "26100": "WindowsServer2025",
}

func fromWindowsInfo(w windowsInfo) OS {
	o := OS{
		ID:         "windows",
		Name:       w.ProductName,
		PrettyName: w.ProductName,
		Version:    w.DisplayVersion,
		Variant:    w.InstallationType,
		Sources:    []string{`HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion`},
	}
	switch {
	case w.Major != 0:
		o.Major, o.Minor = strconv.FormatUint(w.Major, 10), strconv.FormatUint(w.Minor, 10)
	case w.CurrentVersion != "":
		o.Major, o.Minor = cut(w.CurrentVersion)
	}
	if o.Major != "" {
		o.VersionID = o.Major + "." + o.Minor
	}
	o.Build = w.CurrentBuild
	if w.CurrentBuild != "" && w.UBR != 0 {
		o.Build += "." + strconv.FormatUint(w.UBR, 10)
	}
	o.Family, o.PackageManager = FamilyWindows, WindowsUpdate
	return o
}

func cut(v string) (string, string) {
	for i := 0; i < len(v); i++ {
		if v[i] == '.' {
			return v[:i], v[i+1:]
		}
	}
	return v, ""
}

// windowsProduct is the product of a Windows Server by its build number;
// client Windows and unknown builds have none.
func windowsProduct(o OS) string {
	if o.Variant == "Client" || o.Variant == "" {
		return ""
	}
	build, _ := cut(o.Build)
	return serverProducts[build]
}
