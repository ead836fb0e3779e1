package apt

import (
	"net/url"
	"strings"
)

// debianSecuritySite is the host of Debian's security archive.
const debianSecuritySite = "security.debian.org"

// securityOrigin is the classification rule of Patch Manager for apt
// systems: a version is a security update when some origin offering it is
// a security pocket, that is its archive (the Release's Suite) contains
// "security" in any case, or it comes from Debian's security archive host.
// Every origin read here is trusted (signed, or trusted=yes in the
// sources), as the rule requires.
func securityOrigin(archive, site string) bool {
	return containsFold(archive, "security") || strings.EqualFold(site, debianSecuritySite)
}

// securityFromString classifies one origin as apt-get -s prints it
// ("Debian-Security:12/oldstable-security"): apt does not print the host,
// so the label Debian's security archive always carries stands in for it.
func securityFromString(o Origin) bool {
	return containsFold(o.Archive, "security") || o.Label == "Debian-Security"
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), sub)
}

// relStr is the origin string apt prints for one file of a version
// (pkgCache::VerIterator::RelStr): "Label:" when the Release has a Label,
// then "Version/Archive" or the archive alone, or, without an archive, the
// host (or "localhost").
func relStr(label, version, archive, site string) string {
	var b strings.Builder
	if label != "" {
		b.WriteString(label)
		b.WriteByte(':')
	}
	switch {
	case archive != "" && version != "":
		b.WriteString(version)
		b.WriteByte('/')
		b.WriteString(archive)
	case archive != "":
		b.WriteString(archive)
	case site != "":
		b.WriteString(site)
	default:
		b.WriteString("localhost")
	}
	return b.String()
}

// siteOf returns the host of a repository URI, as apt's Site (without
// port or credentials); "" for file: and other host-less URIs.
func siteOf(uri string) string {
	u, err := url.Parse(uri)
	if err != nil {
		return ""
	}
	return u.Hostname()
}

// Origin is one origin of a version as apt-get -s prints it between the
// version and the architecture: "Label:Version/Archive", with the label
// and the version optional, or a host name when the repository has no
// Release archive.
type Origin struct {
	Label   string `json:"Label,omitempty"`
	Version string `json:"Version,omitempty"`
	Archive string `json:"Archive,omitempty"`
	Text    string `json:"Text"` // as printed
}

// parseOrigin splits an origin string. The label ends at the first ':',
// the version at the first '/' after it. A string without ':' and '/' is
// an archive (or, for a repository without one, its host).
func parseOrigin(s string) Origin {
	o := Origin{Text: s}
	rest := s
	if i := strings.IndexByte(rest, ':'); i >= 0 {
		o.Label, rest = rest[:i], rest[i+1:]
	}
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		o.Version, rest = rest[:i], rest[i+1:]
	}
	o.Archive = rest
	return o
}
