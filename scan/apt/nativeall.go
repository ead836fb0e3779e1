package apt

import (
	"context"

	"github.com/patchkit/patchkit"
)

// NativeAllVersions, when true, makes NativeUpdates return every version
// newer than the installed one that apt knows from an index, not only
// apt's candidate, as the metadata backend does: the baseline decides per
// version, and when the newest is not approved an older newer one may be
// (a security update beside a newer point release), which is then the
// version Missing. The versions come from the apt-cache policy of every
// installed package (the call NativeInstalledVersions makes; one call
// serves both), with Candidate false, Repository the origins of the files
// as apt-get prints them and Security from the files, as for kept-back
// packages; the package's architecture is the installed
// one's (NativeDescribe corrects it to "all" or back from the version's
// record). Versions only dpkg's status file has are not returned.
func NativeAllVersions(on bool) NativeOption {
	return func(o *nativeOptions) error {
		o.allVersions = on
		return nil
	}
}

// otherNewer returns, for each asked package, the versions of its table
// newer than the installed one that were not already returned (have).
func (o *nativeOptions) otherNewer(ctx context.Context, asked []askedPackage, have []patchkit.Patch, fo *fileOrigins) ([]patchkit.Patch, error) {
	type key struct{ name, arch, version string }
	seen := make(map[key]bool, len(have))
	for _, p := range have {
		seen[key{p.Name, p.Arch, p.EVR()}] = true
	}
	var out []patchkit.Patch
	for _, a := range asked {
		cp := a.cp
		for _, v := range cp.Versions {
			if patchkit.Deb.Compare(v.Version, cp.Installed) <= 0 {
				continue
			}
			var sources []PolicySource
			for _, s := range v.Sources {
				if !s.Status() {
					sources = append(sources, s)
				}
			}
			pk, err := patchkit.ParseDpkg(cp.Name, v.Version)
			if err != nil {
				return nil, outputErr(policyCmd, cp.Line, "", err.Error())
			}
			k := key{cp.Name, a.pkg.Arch, pk.EVR()}
			if len(sources) == 0 || seen[k] {
				continue
			}
			seen[k] = true
			pk.Arch = a.pkg.Arch
			p := patchkit.Patch{Package: pk, Product: o.product}
			if p.Repository, p.Security, err = fo.of(ctx, sources); err != nil {
				return nil, err
			}
			if p.Security {
				p.Classification = "Security"
			}
			if a.pkg.Want == "hold" {
				p.Want = "hold"
			}
			out = append(out, p)
		}
	}
	return out, nil
}
