package apt

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/install/plan"
	scanapt "github.com/patchkit/patchkit/scan/apt"
	"github.com/patchkit/patchkit/scan/run"
)

// Plan asks apt for its own plan to move each target to exactly its
// version as an upgrade of the installed package, without changing
// anything, and returns it parsed:
//
//	apt-get -o quiet=1 -o APT::Get::Show-Upgraded=true --no-install-recommends
//	        -s install --only-upgrade -- NAME:ARCH=VERSION ...
//
// The Inst and Remv lines become the Actions (an upgrade, a new package a
// new version depends on, a removal, a downgrade, a reinstall), read by
// scan/apt.ParseSimulation. apt-get -s prints no sizes, so the same
// install is asked a second time with --print-uris, which lists the
// archives to fetch with their sizes and prints "Need to get ..." and
// "After this operation, ..." without downloading or installing: the
// archives' sizes add up to DownloadSize (exact, checked against apt's
// rounded "Need to get"; 0 when everything is in apt's cache), and
// InstalledSizeChange is apt's own figure (from the packages'
// Installed-Size, to apt's rounding; negative when space is freed; -1 when
// apt did not print it). Command and Output are the two commands and their
// outputs, one after the other.
//
// apt names a removed package without its architecture unless it is a
// foreign one, and so does its Remove action. Neither run takes a lock,
// so Plan runs beside another apt. A target apt will not change (already
// at that version, not installed) has no Action; apt says why in Output.
// The two runs are checked against each other and against their own
// summary lines: a mismatch is an *OutputError.
func Plan(ctx context.Context, r run.Runner, targets []plan.Target, opts ...Option) (plan.Plan, error) {
	o, err := buildOptions(opts)
	if err != nil {
		return plan.Plan{}, err
	}
	ops, err := operands(targets)
	if err != nil {
		return plan.Plan{}, err
	}
	simC := o.simulateCommand(ops)
	simRes, err := r.Run(ctx, simC)
	if err != nil {
		return plan.Plan{}, o.runError("simulating the install", "apt", simRes, err, 0)
	}
	sim, err := scanapt.ParseSimulation(simRes.Stdout)
	if err != nil {
		return plan.Plan{}, err
	}
	if err := checkSimulation(simC.String(), sim); err != nil {
		return plan.Plan{}, err
	}
	sizeC := o.sizesCommand(ops)
	sizeRes, err := r.Run(ctx, sizeC)
	if err != nil {
		return plan.Plan{}, o.runError("asking for the plan's sizes", "apt", sizeRes, err, 0)
	}
	p := plan.Plan{
		Command: simC.String() + "\n" + sizeC.String(),
		Output:  string(simRes.Stdout) + string(sizeRes.Stdout),
	}
	if p.Actions, err = actions(simC.String(), sim); err != nil {
		return plan.Plan{}, err
	}
	if p.DownloadSize, p.InstalledSizeChange, err = planSizes(sizeC.String(), sizeRes.Stdout, sim); err != nil {
		return plan.Plan{}, err
	}
	return p, nil
}

// actions turns the simulation's Inst, Remv and Purg lines into plan
// actions, in apt's order.
func actions(cmd string, sim *scanapt.Simulation) ([]plan.Action, error) {
	var out []plan.Action
	for _, a := range sim.Actions {
		var act plan.Action
		switch a.Kind {
		case scanapt.ActionInstall:
			pk, err := patchkit.ParseDpkg(a.Name+":"+a.Arch, a.New)
			if err != nil {
				return nil, &OutputError{Command: cmd, Line: a.Line, Reason: err.Error()}
			}
			texts := make([]string, len(a.Origins))
			for i, og := range a.Origins {
				texts[i] = og.Text
			}
			pk.Repository = strings.Join(texts, ", ")
			act = plan.Action{Package: pk, From: a.Old}
			switch c := patchkit.Deb.Compare(a.New, a.Old); {
			case a.Old == "":
				act.Kind = plan.Install
			case c > 0:
				act.Kind = plan.Upgrade
			case c < 0:
				act.Kind = plan.Downgrade
			default:
				act.Kind = plan.Reinstall
			}
		case scanapt.ActionRemove, scanapt.ActionPurge:
			nameArch := a.Name
			if a.Qualifier != "" {
				nameArch += ":" + a.Qualifier
			}
			pk, err := patchkit.ParseDpkg(nameArch, a.Old)
			if err != nil {
				return nil, &OutputError{Command: cmd, Line: a.Line, Reason: err.Error()}
			}
			act = plan.Action{Kind: plan.Remove, Package: pk, From: a.Old}
		default:
			continue // Conf lines configure what an Inst line unpacked
		}
		out = append(out, act)
	}
	return out, nil
}

// checkSimulation compares the summary line of apt-get -s install with its
// actions and package lists. Unlike an upgrade, an install's "not
// upgraded" count is every other upgradable package, which it does not
// list, so that count is not compared.
func checkSimulation(cmd string, s *scanapt.Simulation) error {
	sum := s.Summary
	if sum == nil {
		return &OutputError{Command: cmd, Reason: "no summary line (\"N upgraded, N newly installed, ...\")"}
	}
	var up, inst, down, reinst, remove int
	var upNames, newNames, removeNames, downNames []string
	for _, a := range s.Actions {
		name := a.Name
		if a.Qualifier != "" {
			name += ":" + a.Qualifier
		}
		switch a.Kind {
		case scanapt.ActionInstall:
			switch c := patchkit.Deb.Compare(a.New, a.Old); {
			case a.Old == "":
				inst++
				newNames = append(newNames, name)
			case c > 0:
				up++
				upNames = append(upNames, name)
			case c < 0:
				down++
				downNames = append(downNames, name)
			default:
				reinst++
			}
		case scanapt.ActionRemove, scanapt.ActionPurge:
			remove++
			removeNames = append(removeNames, name)
		}
	}
	mismatch := func(what string, listed, said int) error {
		return &OutputError{Command: cmd, Line: sum.Line, Reason: fmt.Sprintf("%d %s listed, the summary says %d", listed, what, said)}
	}
	switch {
	case up != sum.Upgraded:
		return mismatch("upgrades", up, sum.Upgraded)
	case inst != sum.NewlyInstalled:
		return mismatch("new installs", inst, sum.NewlyInstalled)
	case down != sum.Downgraded:
		return mismatch("downgrades", down, sum.Downgraded)
	case reinst != sum.Reinstalled:
		return mismatch("reinstalls", reinst, sum.Reinstalled)
	case remove != sum.Remove:
		return mismatch("removals", remove, sum.Remove)
	}
	for _, l := range []struct {
		heading string
		names   []string
	}{
		{"The following packages will be upgraded", upNames},
		{"The following NEW packages will be installed", newNames},
		{"The following packages will be REMOVED", removeNames},
		{"The following packages will be DOWNGRADED", downNames},
	} {
		listed, ok := s.Sections[l.heading]
		if !ok && len(l.names) == 0 {
			continue
		}
		got := make([]string, len(listed))
		for i, n := range listed {
			got[i] = strings.TrimSuffix(n, "*") // a purge is marked NAME*
		}
		slices.Sort(got)
		want := slices.Sorted(slices.Values(l.names))
		if !slices.Equal(got, want) {
			return &OutputError{Command: cmd, Line: sum.Line, Reason: fmt.Sprintf("the list %q (%d names) differs from the action lines (%d)", l.heading, len(got), len(want))}
		}
	}
	return nil
}

// planSizes reads apt-get --print-uris's output and checks it against the
// simulation of the same install: the same summary and package lists, and
// an archive for a version the simulation installs. It returns the bytes
// to download and the change of installed size.
func planSizes(cmd string, out []byte, sim *scanapt.Simulation) (download, change int64, err error) {
	other, err := scanapt.ParseSimulation(out)
	if err != nil {
		return 0, 0, err
	}
	if other.Summary == nil {
		return 0, 0, &OutputError{Command: cmd, Reason: "no summary line (\"N upgraded, N newly installed, ...\")"}
	}
	a, b := *sim.Summary, *other.Summary
	a.Line, b.Line = 0, 0
	if a != b || !maps.EqualFunc(sim.Sections, other.Sections, slices.Equal) {
		return 0, 0, &OutputError{Command: cmd, Line: other.Summary.Line, Reason: "the plan differs from apt-get -s's for the same install (did the system change in between?)"}
	}
	sz, err := parseSizes(cmd, out)
	if err != nil {
		return 0, 0, err
	}
	installs := map[string]bool{}
	for _, act := range sim.Actions {
		if act.Kind == scanapt.ActionInstall {
			installs[act.Name+"_"+act.New+"_"+act.Arch] = true
		}
	}
	var sum int64
	for _, u := range sz.uris {
		if !installs[u.Name+"_"+u.Version+"_"+u.Arch] {
			return 0, 0, &OutputError{Command: cmd, Line: u.Line, Text: u.File, Reason: "an archive for a version apt-get -s does not install"}
		}
		sum += u.Size
	}
	switch {
	case !sz.haveNeed && len(sz.uris) > 0:
		return 0, 0, &OutputError{Command: cmd, Reason: fmt.Sprintf("%d archives listed and no \"Need to get\" line", len(sz.uris))}
	case sz.haveNeed && (sum < sz.fetch-sz.fetchSlack || sum > sz.total+sz.totalSlack):
		return 0, 0, &OutputError{Command: cmd, Reason: fmt.Sprintf("the archives listed add up to %d bytes; apt says it needs to get %d of %d (±%d)", sum, sz.fetch, sz.total, sz.totalSlack)}
	}
	download = sum
	if sz.haveNeed && sz.fetch != sz.total {
		// Some archives are partly downloaded (apt resumes them): apt's
		// figure for what is left.
		download = sz.fetch
	}
	change = -1
	if sz.haveChange {
		change = sz.change
	} else if len(sim.Actions) == 0 {
		change = 0
	}
	return download, change, nil
}
