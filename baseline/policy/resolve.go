package policy

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/baseline"
)

// Step is a step of Patch Manager's precedence for choosing a node's
// baseline, highest first.
type Step uint8

// The steps, in order of precedence.
const (
	// StepPatchPolicy: the patch policy's baseline for the node's operating
	// system (patch groups are not used under a policy).
	StepPatchPolicy Step = iota + 1
	// StepBaselineOverride: the element of AWS-RunPatchBaseline's
	// BaselineOverride file for the node's operating system.
	StepBaselineOverride
	// StepBaselineTags: the one custom baseline of the node's operating
	// system carrying AWS-RunPatchBaselineAssociation's BaselineTags.
	StepBaselineTags
	// StepPatchGroup: the baseline registered for the node's patch group and
	// operating system.
	StepPatchGroup
	// StepDefault: the baseline registered as the operating system's
	// default, when it is not the AWS-owned default.
	StepDefault
	// StepAWSDefault: the AWS-owned default baseline of the operating
	// system.
	StepAWSDefault
)

var stepNames = [...]string{"", "PatchPolicy", "BaselineOverride", "BaselineTags", "PatchGroup", "Default", "AWSDefault"}

// String returns the step's name ("PatchPolicy", …, "AWSDefault").
func (s Step) String() string {
	if int(s) < len(stepNames) && s > 0 {
		return stepNames[s]
	}
	return "Step(" + strconv.Itoa(int(s)) + ")"
}

// MarshalText writes the step's name.
func (s Step) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a step's name.
func (s *Step) UnmarshalText(b []byte) error {
	for i, n := range stepNames {
		if i > 0 && n == string(b) {
			*s = Step(i)
			return nil
		}
	}
	return &patchkit.UnknownValueError{Type: "Step", Value: string(b)}
}

// BaselineTags is the BaselineTags parameter of
// AWS-RunPatchBaselineAssociation: a tag key and the values any of which
// the baseline's tag may have.
type BaselineTags struct {
	Key    string   `json:"Key"`
	Values []string `json:"Values"`
}

// ParseBaselineTags reads the parameter's text form, "Key=k,Values=v1,v2".
func ParseBaselineTags(s string) (BaselineTags, error) {
	fail := func(format string, a ...any) (BaselineTags, error) {
		return BaselineTags{}, &baseline.FieldError{Path: "BaselineTags", Reason: fmt.Sprintf("%q: ", s) + fmt.Sprintf(format, a...)}
	}
	rest, ok := strings.CutPrefix(s, "Key=")
	if !ok {
		return fail(`does not start with "Key="`)
	}
	key, vals, ok := strings.Cut(rest, ",Values=")
	if !ok {
		return fail(`has no ",Values="`)
	}
	if key == "" {
		return fail("the key is empty")
	}
	t := BaselineTags{Key: key}
	for i, v := range strings.Split(vals, ",") {
		if v == "" {
			return fail("value %d is empty", i+1)
		}
		t.Values = append(t.Values, v)
	}
	return t, nil
}

// Sources are the inputs of a patching operation that can choose a
// baseline ahead of the registry.
type Sources struct {
	// Policy is the patch policy that may target the node, or nil.
	Policy *Policy
	// BaselineOverride is the content of AWS-RunPatchBaseline's
	// BaselineOverride file; nil when the parameter is not given (an empty,
	// non-nil slice is a file without baselines).
	BaselineOverride []baseline.Baseline
	// BaselineTags is AWS-RunPatchBaselineAssociation's parameter, or nil.
	BaselineTags *BaselineTags
	// BaselineOptions go to the AWS-owned baselines (baseline.AsOf).
	BaselineOptions []baseline.Option
}

// Skip is a step that did not decide, and why.
type Skip struct {
	Step   Step   `json:"Step"`
	Reason string `json:"Reason"`
}

// Resolution is the baseline that applies to a node, the step that chose
// it and why, and why each higher step did not.
type Resolution struct {
	Node     string            `json:"Node,omitempty"`
	Baseline baseline.Baseline `json:"Baseline"`
	Step     Step              `json:"Step"`
	Reason   string            `json:"Reason"`
	Skipped  []Skip            `json:"Skipped"`
	// PatchGroup is the node's patch group from its tags ("" when none),
	// whether or not the group decided; Patch Manager reports it in the
	// node's patch state.
	PatchGroup string `json:"PatchGroup,omitempty"`
}

// Explain returns the reason and the skipped steps' reasons in one text.
func (r Resolution) Explain() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s", r.Step, r.Reason)
	for _, s := range r.Skipped {
		fmt.Fprintf(&b, "; not %s: %s", s.Step, s.Reason)
	}
	return b.String()
}

// pickByOS returns the one baseline of bs for os: none is payload error 163,
// more than one 165.
func pickByOS(bs []baseline.Baseline, os patchkit.OperatingSystem) (baseline.Baseline, int, string) {
	var match []int
	for i, b := range bs {
		if b.OperatingSystem == os {
			match = append(match, i)
		}
	}
	switch len(match) {
	case 0:
		return baseline.Baseline{}, 163, fmt.Sprintf("none of its %d baselines is for %s", len(bs), os)
	case 1:
		return cloneBaseline(bs[match[0]]), 0, ""
	}
	return baseline.Baseline{}, 165, fmt.Sprintf("%d of its baselines are for %s (elements %v); one is allowed", len(match), os, match)
}

func describe(b baseline.Baseline) string {
	switch {
	case b.Name != "" && b.BaselineID != "":
		return b.Name + " (" + idKey(b.BaselineID) + ")"
	case b.Name != "":
		return b.Name
	case b.BaselineID != "":
		return idKey(b.BaselineID)
	}
	return "the unnamed " + string(b.OperatingSystem) + " baseline"
}

// Resolve chooses the baseline for node as Patch Manager does, highest
// first:
//
//  1. the patch policy's baseline for the node's operating system, when the
//     policy targets the node (a policy without one for that system is an
//     error, as the BaselineOverride file it writes would be);
//  2. the BaselineOverride file's element for the operating system (none:
//     error 163, several: error 165);
//  3. the one custom baseline of that operating system tagged with
//     BaselineTags (several: error; none: the next step decides; not for
//     on-premises nodes);
//  4. the baseline registered for the node's patch group (tag "Patch Group"
//     or "PatchGroup", case-sensitive; two different groups or a value the
//     API refuses are errors; an unregistered group, or one without a
//     baseline for the operating system, falls through);
//  5. the registered default of the operating system;
//  6. the AWS-owned default.
//
// reg may be nil (nothing registered). The answer carries the step, the
// reason, and the reasons the higher steps passed. Errors are
// *ResolveError, *ValidationError (the node) or *UnknownBaselineError
// wrapped in a *ResolveError.
func Resolve(node Node, reg *Registry, src Sources) (Resolution, error) {
	res := Resolution{Node: node.ID}
	if err := node.Validate(); err != nil {
		return res, err
	}
	os := node.OperatingSystem
	fail := func(step Step, code int, format string, a ...any) (Resolution, error) {
		return res, &ResolveError{Node: node.ID, Step: step, Code: code, Reason: fmt.Sprintf(format, a...)}
	}
	skip := func(step Step, format string, a ...any) {
		res.Skipped = append(res.Skipped, Skip{Step: step, Reason: fmt.Sprintf(format, a...)})
	}
	decide := func(step Step, b baseline.Baseline, format string, a ...any) (Resolution, error) {
		res.Step, res.Baseline, res.Reason = step, b, fmt.Sprintf(format, a...)
		if res.Skipped == nil {
			res.Skipped = []Skip{}
		}
		return res, nil
	}
	group, groupErr := patchGroupOf(node)
	if groupErr == nil {
		res.PatchGroup = group.group
	}

	// 1. Patch policy.
	if p := src.Policy; p != nil {
		targeted, why := p.Targets(node)
		if targeted {
			b, code, reason, err := p.baselineFor(os, reg, src.BaselineOptions)
			if err != nil {
				return fail(StepPatchPolicy, code, "%s", err.Error())
			}
			return decide(StepPatchPolicy, b, "patch policy %q targets the node (%s) and %s", p.Name, why, reason)
		}
		skip(StepPatchPolicy, "patch policy %q does not target the node: %s", p.Name, why)
	} else {
		skip(StepPatchPolicy, "no patch policy")
	}

	// 2. BaselineOverride.
	if src.BaselineOverride != nil {
		b, code, why := pickByOS(src.BaselineOverride, os)
		if code != 0 {
			return fail(StepBaselineOverride, code, "the BaselineOverride file: %s", why)
		}
		return decide(StepBaselineOverride, b, "the BaselineOverride file's baseline for %s is %s", os, describe(b))
	}
	skip(StepBaselineOverride, "no BaselineOverride parameter")

	// 3. BaselineTags.
	if t := src.BaselineTags; t != nil {
		if node.IsOnPremises() {
			return fail(StepBaselineTags, 0, "BaselineTags belongs to AWS-RunPatchBaselineAssociation, which does not run on on-premises nodes")
		}
		var match []baseline.Baseline
		if reg != nil {
			for _, b := range reg.Baselines() {
				v, ok := reg.tags[idKey(b.BaselineID)][t.Key]
				if b.OperatingSystem == os && ok && contains(t.Values, v) {
					match = append(match, b)
				}
			}
		}
		switch len(match) {
		case 0:
			skip(StepBaselineTags, "no custom %s baseline has tag %s with a value in %v", os, t.Key, t.Values)
		case 1:
			return decide(StepBaselineTags, match[0], "%s is the one custom %s baseline with tag %s=%s", describe(match[0]), os, t.Key, reg.tags[idKey(match[0].BaselineID)][t.Key])
		default:
			names := make([]string, len(match))
			for i, b := range match {
				names[i] = describe(b)
			}
			return fail(StepBaselineTags, 0, "%d custom %s baselines carry tag %s with a value in %v (%s); one is allowed", len(match), os, t.Key, t.Values, strings.Join(names, ", "))
		}
	} else {
		skip(StepBaselineTags, "no BaselineTags parameter")
	}

	// 4. Patch group.
	if groupErr != nil {
		return fail(StepPatchGroup, 0, "%s", groupErr.Error())
	}
	notes := ""
	if len(group.notes) > 0 {
		notes = " (" + strings.Join(group.notes, "; ") + ")"
	}
	switch in, ok := reg.PatchGroup(group.group, os); {
	case group.key == "":
		skip(StepPatchGroup, "the node has no %q or %q tag%s", TagPatchGroup, TagPatchGroupNoSpace, notes)
	case !ok && len(reg.groupOS(group.group)) == 0:
		skip(StepPatchGroup, "patch group %q (tag %q) is not registered%s", group.group, group.key, notes)
	case !ok:
		skip(StepPatchGroup, "patch group %q (tag %q) has no baseline for %s, only for %v%s", group.group, group.key, os, reg.groupOS(group.group), notes)
	default:
		b, err := reg.Lookup(in.BaselineID, src.BaselineOptions...)
		if err != nil {
			return fail(StepPatchGroup, 0, "patch group %q is registered with %s: %v", group.group, in.BaselineID, err)
		}
		return decide(StepPatchGroup, b, "patch group %q (tag %q) is registered with %s for %s%s", group.group, group.key, describe(b), os, notes)
	}

	// 5. and 6. Defaults.
	aws, err := baseline.Predefined(os, src.BaselineOptions...)
	if err != nil {
		return fail(StepAWSDefault, 0, "%v", err)
	}
	where := ""
	if node.IsOnPremises() {
		where = "on-premises node: "
	}
	if in, ok := reg.Default(os); ok {
		if idKey(in.BaselineID) == idKey(aws.BaselineID) || in.BaselineName == aws.Name {
			return decide(StepAWSDefault, aws, "%sthe registered default for %s is the AWS-owned default %s", where, os, describe(aws))
		}
		b, err := reg.Lookup(in.BaselineID, src.BaselineOptions...)
		if err != nil {
			return fail(StepDefault, 0, "the registered default for %s: %v", os, err)
		}
		return decide(StepDefault, b, "%s%s is registered as the default for %s", where, describe(b), os)
	}
	skip(StepDefault, "no default registered for %s", os)
	return decide(StepAWSDefault, aws, "%s%s is the AWS-owned default for %s", where, describe(aws), os)
}

// groupOS lists the operating systems a group has baselines for.
func (r *Registry) groupOS(group string) []patchkit.OperatingSystem {
	if r == nil {
		return nil
	}
	var out []patchkit.OperatingSystem
	for _, os := range patchkit.OperatingSystems() {
		if _, ok := r.groups[group][os]; ok {
			out = append(out, os)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
