package apt

import (
	"context"
	"errors"
	"fmt"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/repo"
	aptrepo "github.com/patchkit/patchkit/repo/apt"
	"github.com/patchkit/patchkit/scan/run"
)

const showCmd = "apt-cache show"

// NativeDescribe, when true, makes NativeUpdates look every version it
// returns up with apt-cache show (one call, or as many as the operand
// bound needs for a large list; never one per package) and take Section,
// Priority, SourceName and SourceVersion from the version's record, as the
// metadata backend does. apt-get -s and apt-cache policy print none of
// them, and the AWS-owned Debian and Ubuntu baselines approve by
// PRIORITY: without this option they approve nothing a native scan finds.
// A version apt-cache show prints no record of, a record of a version that
// was not asked for, or a record that does not parse is an *OutputError.
func NativeDescribe(on bool) NativeOption {
	return func(o *nativeOptions) error {
		o.describe = on
		return nil
	}
}

func (o *nativeOptions) show(operands []string) run.Command {
	args, env := o.common()
	args = append(args, "show")
	return run.Command{Path: o.aptCache, Args: args, Operands: operands, Env: env}
}

// describePatches fills ps[i]'s Section, Priority and source from apt-cache
// show's record of its version (the first record when apt prints several).
func (o *nativeOptions) describePatches(ctx context.Context, r run.Runner, ps []patchkit.Patch) error {
	type key struct{ name, arch, version string }
	at := map[key][]int{}
	var (
		ops  []string
		keys []key // in the order asked
	)
	for i := range ps {
		p := &ps[i]
		k := key{p.Name, p.Arch, p.EVR()}
		if _, seen := at[k]; !seen {
			ops = append(ops, p.Name+":"+p.Arch+"="+k.version)
			keys = append(keys, k)
		}
		at[k] = append(at[k], i)
	}
	done := make(map[key]bool, len(at))
	for _, chunk := range chunkOperands(ops, maxPolicyOperandBytes) {
		res, err := r.Run(ctx, o.show(chunk))
		if err != nil {
			return fmt.Errorf("scan/apt: apt-cache show: %w", err)
		}
		for rec, err := range aptrepo.ParsePackagesBytes(showCmd, res.Stdout, aptrepo.ParseOptions{}) {
			if err != nil {
				line := 0
				var se *repo.SyntaxError
				if errors.As(err, &se) {
					line = se.Line
				}
				return outputErr(showCmd, line, "", err.Error())
			}
			k := key{rec.Package, rec.Architecture, rec.Version}
			is, ok := at[k]
			if !ok {
				// A version asked for under the installed package's
				// architecture that is architecture-independent, or the
				// other way round: apt files "all" under the native one.
				for ak, ais := range at {
					if ak.name == rec.Package && ak.version == rec.Version && !done[ak] && (ak.arch == "all") != (rec.Architecture == "all") {
						k, is, ok = ak, ais, true
						for _, i := range ais {
							ps[i].Arch = rec.Architecture
						}
						break
					}
				}
			}
			if !ok {
				return outputErr(showCmd, rec.Line, "", fmt.Sprintf("a record of %s:%s %s, which was not asked for", rec.Package, rec.Architecture, rec.Version))
			}
			if done[k] {
				continue // the same version in another index
			}
			done[k] = true
			for _, i := range is {
				p := &ps[i]
				p.Section, p.Priority = rec.Section, rec.Priority
				p.Package.Section, p.Package.Priority = rec.Section, rec.Priority
				p.SourceName, p.SourceVersion = rec.SourceName(), rec.SourceVer()
			}
		}
	}
	for _, k := range keys {
		if !done[k] {
			return outputErr(showCmd, 0, "", fmt.Sprintf("no record of %s:%s %s", k.name, k.arch, k.version))
		}
	}
	return nil
}
