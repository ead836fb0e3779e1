package scan

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/baseline"
	"github.com/patchkit/patchkit/compliance"
	"github.com/patchkit/patchkit/repo"
)

// Approver decides candidate patches: a compiled baseline evaluated at an
// instant, or a snapshot (approvals frozen at its creation). *Snapshot and
// BaselineAt implement it.
type Approver interface {
	// Decide returns one decision per candidate, in order.
	Decide(node baseline.Node, candidates []patchkit.Patch) ([]baseline.Decision, error)
	// Definition is the baseline the decisions follow.
	Definition() baseline.Baseline
}

// BaselineAt is an Approver that evaluates a compiled baseline at the
// instant At (the operation's start: approval delays count to it).
type BaselineAt struct {
	Compiled *baseline.Compiled
	At       time.Time
}

// Decide evaluates the candidates at b.At.
func (b BaselineAt) Decide(node baseline.Node, candidates []patchkit.Patch) ([]baseline.Decision, error) {
	if b.At.IsZero() {
		return nil, &InputError{Field: "BaselineAt.At", Reason: "zero: approval dates need the evaluation instant"}
	}
	return b.Compiled.Evaluate(node, candidates, b.At)
}

// Definition returns the compiled baseline's definition.
func (b BaselineAt) Definition() baseline.Baseline { return b.Compiled.Baseline() }

// InputError reports a missing or inconsistent input of Assess or Scan.
type InputError struct {
	Field  string
	Reason string
}

func (e *InputError) Error() string { return "scan: " + e.Field + ": " + e.Reason }

// Is reports whether target is patchkit.ErrInvalid.
func (e *InputError) Is(target error) bool { return target == patchkit.ErrInvalid }

// Assessment is everything a compliance report is made from, as plain
// values that can be saved as JSON and fed back: the same Assessment gives
// the same report, byte for byte.
type Assessment struct {
	Node      compliance.Node `json:"Node"`
	Inventory Inventory       `json:"Inventory"`
	// Updates are the available versions newer than the installed ones,
	// and the installed versions themselves where a repository offers them
	// (their metadata tells Installed from InstalledOther), each with its
	// metadata, from a family backend.
	Updates []patchkit.Patch `json:"Updates"`
	// NotInstalled are versions of packages (name and architecture) that
	// are not installed at all, which the baseline approves: each such
	// package is NotApplicable, as Patch Manager counts on Linux. A scan
	// keeps only the versions its own approver approved (a host's
	// repositories offer tens of thousands of packages that are not
	// installed); Assess decides them again.
	NotInstalled []patchkit.Patch `json:"NotInstalled,omitempty"`
	// Repositories are the enabled repositories the updates were read
	// from; any that is not OK keeps the node from being COMPLIANT.
	Repositories []repo.Status `json:"Repositories,omitempty"`
	// Start and End bound the operation; LastBoot is when the node booted
	// (zero when unknown).
	Start    time.Time `json:"Start"`
	End      time.Time `json:"End"`
	LastBoot time.Time `json:"LastBoot,omitzero"`
	// SnapshotID names the approvals used, when they come from a snapshot.
	SnapshotID string `json:"SnapshotId,omitempty"`

	// Operation is Scan (the default when empty) or Install. An Install
	// carries its RebootOption and the report of the scan taken before it
	// (what was installed then tells what this run installed).
	Operation     compliance.Operation    `json:"Operation,omitempty"`
	RebootOption  compliance.RebootOption `json:"RebootOption,omitempty"`
	BeforeInstall *compliance.Report      `json:"BeforeInstall,omitempty"`
	// OverrideList, for an Install run with an InstallOverrideList, holds
	// the KBIDs (name.arch) the list selected: the others stay Missing
	// rather than Failed. Nil without a list.
	OverrideList []string `json:"OverrideList,omitempty"`
}

// Assess is the pure middle of a scan: it decides every update with the
// approver, pairs each installed (name, arch) with the versions offered for
// it, gives each package of a.NotInstalled with an approved version its
// NotApplicable item, and builds the compliance report of the operation (a
// Scan unless a.Operation says Install). previous is the
// node's last report (nil for none): it carries the pending-reboot
// bookkeeping. It also returns the decision for each of a.Updates, in
// order.
func Assess(a Assessment, ap Approver, previous *compliance.Report, opts compliance.BuildOptions) (compliance.Report, []baseline.Decision, error) {
	if ap == nil {
		return compliance.Report{}, nil, &InputError{Field: "Approver", Reason: "nil"}
	}
	if a.Node.OperatingSystem == "" {
		return compliance.Report{}, nil, &InputError{Field: "Node.OperatingSystem", Reason: "empty"}
	}
	b := ap.Definition()
	op := a.Operation
	if op == "" {
		op = compliance.Scan
	}
	node := baseline.Node{OperatingSystem: a.Node.OperatingSystem, Product: a.Node.Product}
	decisions, err := ap.Decide(node, a.Updates)
	if err != nil {
		return compliance.Report{}, nil, err
	}
	// An entry without a valid state would be taken for a package that is
	// not installed (and its versions for NotApplicable ones).
	for i, p := range a.Inventory.Packages {
		if !p.State.Valid() {
			return compliance.Report{}, nil, &InputError{Field: fmt.Sprintf("Inventory.Packages[%d].State", i),
				Reason: fmt.Sprintf("%s: %q is not a package manager state (an rpm is %q)", p.QualifiedName(), p.State, patchkit.StateInstalled)}
		}
	}
	// The installed versions go through the same decision, for
	// RejectedPatches (InstalledRejected).
	installed := currentVersions(a.Inventory.Packages)
	asPatches := make([]patchkit.Patch, len(installed))
	for i, p := range installed {
		asPatches[i] = patchkit.Patch{Package: p, Product: a.Node.Product}
	}
	instDecisions, err := ap.Decide(node, asPatches)
	if err != nil {
		return compliance.Report{}, nil, err
	}

	inputs := make([]compliance.Input, len(installed))
	index := map[pkgKey]int{}
	for i := range installed {
		p := installed[i]
		inputs[i] = compliance.Input{Installed: &p, InstalledRejected: instDecisions[i].Reason == baseline.ReasonRejectedList}
		if a.OverrideList != nil {
			inputs[i].OutsideOverrideList = !slices.Contains(a.OverrideList, p.Name+"."+p.Arch)
		}
		index[pkgKey{p.Name, p.Arch}] = i
	}
	for i, u := range a.Updates {
		j, ok := index[pkgKey{u.Name, u.Arch}]
		if !ok {
			// An arch change between an architecture and noarch/all, as
			// the package managers allow.
			j, ok = matchArchChange(index, installed, u.Package)
		}
		if !ok {
			continue // not an upgrade of an installed package
		}
		inputs[j].Candidates = append(inputs[j].Candidates, compliance.Candidate{Patch: u, Decision: decisions[i]})
	}
	if len(a.NotInstalled) > 0 {
		naDecisions, err := ap.Decide(node, a.NotInstalled)
		if err != nil {
			return compliance.Report{}, nil, err
		}
		absent := map[pkgKey]int{}
		for i, u := range a.NotInstalled {
			k := pkgKey{u.Name, u.Arch}
			if _, ok := index[k]; ok {
				return compliance.Report{}, nil, &InputError{Field: fmt.Sprintf("NotInstalled[%d]", i),
					Reason: u.Name + "." + u.Arch + " is installed"}
			}
			j, ok := absent[k]
			if !ok {
				j = len(inputs)
				absent[k] = j
				inputs = append(inputs, compliance.Input{})
			}
			inputs[j].Candidates = append(inputs[j].Candidates, compliance.Candidate{Patch: u, Decision: naDecisions[i]})
		}
	}
	rep, err := compliance.Build(compliance.BuildInput{
		Node:                                     a.Node,
		BaselineID:                               b.BaselineID,
		SnapshotID:                               a.SnapshotID,
		RejectedPatchesAction:                    b.RejectedPatchesAction,
		AvailableSecurityUpdatesComplianceStatus: b.AvailableSecurityUpdatesComplianceStatus,
		Operation:                                op,
		RebootOption:                             a.RebootOption,
		BeforeInstall:                            a.BeforeInstall,
		Start:                                    a.Start,
		End:                                      a.End,
		LastBoot:                                 a.LastBoot,
		Packages:                                 inputs,
		Previous:                                 previous,
		Repositories:                             a.Repositories,
	}, opts)
	if err != nil {
		return compliance.Report{}, nil, err
	}
	return rep, decisions, nil
}

type pkgKey struct{ name, arch string }

// currentVersions returns, per (name, arch), the newest version whose files
// are on the system, or that the package manager left half-done
// (half-installed: reported, with its state, instead of dropped; dpkg's
// config-files and not-installed entries are not installed software). rpm headers without an Epoch tag are compared as rpm
// compares them, as epoch 0, and reported so (Patch Manager writes the 0).
func currentVersions(pkgs []patchkit.Package) []patchkit.Package {
	var out []patchkit.Package
	pos := map[pkgKey]int{}
	for _, p := range pkgs {
		if !p.State.FilesPresent() && !p.State.NeedsRepair() {
			continue
		}
		if p.Scheme == patchkit.RPM && !p.Epoch.Known() {
			p.Epoch = patchkit.EpochOf(0)
		}
		k := pkgKey{p.Name, p.Arch}
		if i, ok := pos[k]; ok {
			if c, err := p.CompareVersion(out[i]); err == nil && c > 0 {
				out[i] = p
			}
			continue
		}
		pos[k] = len(out)
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b patchkit.Package) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Arch, b.Arch))
	})
	return out
}

// matchArchChange finds the installed package an update of another
// architecture replaces: same name, one side architecture-independent
// ("noarch" for rpm, "all" for dpkg) and exactly one installed candidate.
func matchArchChange(index map[pkgKey]int, installed []patchkit.Package, u patchkit.Package) (int, bool) {
	indep := func(a string) bool { return a == "noarch" || a == "all" }
	found, n := -1, 0
	for _, p := range installed {
		if p.Name == u.Name && (indep(p.Arch) || indep(u.Arch)) {
			found = index[pkgKey{p.Name, p.Arch}]
			n++
		}
	}
	return found, n == 1
}
