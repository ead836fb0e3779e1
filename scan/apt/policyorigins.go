package apt

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/patchkit/patchkit/scan/run"
)

// filesCmd names apt-cache policy without operands in errors: it prints
// apt's package files, each with the Release fields apt read for it.
const filesCmd = "apt-cache policy (package files)"

// packageFile is one entry of apt-cache policy's "Package files:" list: a
// Packages file (or dpkg's status file) with the fields of its Release that
// apt's origin strings are made of.
type packageFile struct {
	label, version, archive string // the release line's l=, v= and a=
	site                    string // the "origin" line: the host apt fetched it from
}

// origin is the origin string apt-get prints for a version from this file
// (pkgCache::VerIterator::RelStr): "Label:Version/Archive" and its shorter
// forms, as relStr builds it.
func (f packageFile) origin() string { return relStr(f.label, f.version, f.archive, f.site) }

// parsePackageFiles reads what apt-cache policy prints without operands:
//
//	Package files:
//	 100 /var/lib/dpkg/status
//	     release a=now
//	 500 http://deb.debian.org/debian bookworm/main amd64 Packages
//	     release v=12.12,o=Debian,a=oldstable,n=bookworm,l=Debian,c=main,b=amd64
//	     origin deb.debian.org
//	Pinned packages:
//	     ...
//
// It returns the files by their description (as the version tables of
// apt-cache policy NAME describe them). The pinned packages that follow
// are not read. A line of another form, or a file listed twice, is an
// *OutputError.
func parsePackageFiles(out []byte) (map[string]packageFile, error) {
	files := map[string]packageFile{}
	var (
		cur    string // the description of the file being read
		lineNo int
		inList bool
	)
	bad := func(text, reason string) (map[string]packageFile, error) {
		return nil, outputErr(filesCmd, lineNo, text, reason)
	}
	for line := range bytes.Lines(out) {
		lineNo++
		text := strings.TrimSuffix(strings.TrimSuffix(string(line), "\n"), "\r")
		switch {
		case !inList && text == "Package files:":
			inList = true
		case !inList:
			return bad(text, `want the "Package files:" line first`)
		case text == "Pinned packages:":
			if len(files) == 0 {
				return bad(text, "no package file listed")
			}
			return files, nil
		case strings.HasPrefix(text, "     release "):
			if cur == "" {
				return bad(text, "release line before the first file")
			}
			f := files[cur]
			for k, v := range releaseFields(strings.TrimPrefix(text, "     release ")) {
				switch k {
				case "l":
					f.label = v
				case "v":
					f.version = v
				case "a":
					f.archive = v
				}
			}
			files[cur] = f
		case strings.HasPrefix(text, "     origin "):
			if cur == "" {
				return bad(text, "origin line before the first file")
			}
			f := files[cur]
			f.site = strings.TrimPrefix(text, "     origin ")
			files[cur] = f
		default:
			// " PRIORITY DESCRIPTION"
			prio, desc, ok := strings.Cut(strings.TrimLeft(text, " "), " ")
			if !ok || !strings.HasPrefix(text, " ") || !isInt(prio) || desc == "" {
				return bad(text, "want a package file line (\" PRIORITY DESCRIPTION\"), a release or an origin line")
			}
			if _, dup := files[desc]; dup {
				return bad(text, "package file listed twice")
			}
			files[desc], cur = packageFile{}, desc
		}
	}
	if !inList {
		return nil, outputErr(filesCmd, 0, "", `no "Package files:" line`)
	}
	return nil, outputErr(filesCmd, 0, "", `no "Pinned packages:" line after the package files (output cut short?)`)
}

// releaseFields splits a release line's "k=v,k=v" list. apt writes the
// values as they are, so a comma not followed by one of its keys (v, o,
// a, n, l, c, b) and '=' belongs to the value.
func releaseFields(s string) map[string]string {
	out := map[string]string{}
	key := ""
	for part := range strings.SplitSeq(s, ",") {
		if k, v, ok := strings.Cut(part, "="); ok && len(k) == 1 && strings.Contains("voanlcb", k) {
			key = k
			out[k] = v
			continue
		}
		if key != "" {
			out[key] += "," + part
		}
	}
	return out
}

// fileOrigins gives the origins of the files offering a version that
// apt-cache policy NAME lists: it asks apt-cache policy for its package
// files once, when first needed.
type fileOrigins struct {
	o     *nativeOptions
	r     run.Runner
	files map[string]packageFile
}

// of returns the origins of sources, apt-get's strings for them (the
// origin of each file, once each, in order: what apt-get -s prints for a
// version from them), and whether one of them is a security pocket (its
// suite contains "security", or its host is security.debian.org). A file
// that apt's package files do not list is an *OutputError.
func (fo *fileOrigins) of(ctx context.Context, sources []PolicySource) (string, bool, error) {
	if fo.files == nil {
		res, err := fo.r.Run(ctx, fo.o.policy(nil))
		if err != nil {
			return "", false, fmt.Errorf("scan/apt: apt-cache policy of the package files: %w", err)
		}
		if fo.files, err = parsePackageFiles(res.Stdout); err != nil {
			return "", false, err
		}
	}
	var (
		origins  []string
		security bool
	)
	for _, s := range sources {
		f, ok := fo.files[s.Desc]
		if !ok {
			return "", false, outputErr(filesCmd, 0, s.Desc, "apt-cache policy lists a version from a package file that is not among the package files")
		}
		if og := f.origin(); !slices.Contains(origins, og) {
			origins = append(origins, og)
		}
		security = security || securityOrigin(s.Dist(), siteOf(s.URI()))
	}
	return strings.Join(origins, ", "), security, nil
}
