// Package policy decides which patch baseline applies to a managed node and
// models Quick Setup patch policies, with Patch Manager's semantics
// (docs/semantics.md §15).
//
// [Resolve] follows Patch Manager's precedence, highest first: the patch
// policy's baseline for the node's operating system, the element of a
// BaselineOverride file for it, the one custom baseline carrying
// AWS-RunPatchBaselineAssociation's BaselineTags, the baseline registered
// for the node's patch group (tag "Patch Group" or "PatchGroup"), the
// registered default of the operating system, and the AWS-owned default.
// The [Resolution] says which step decided, why, and why each higher step
// did not.
//
// A [Registry] holds what an account registers: custom baselines, their
// tags, patch groups and defaults. It reads and writes the AWS CLI's
// outputs: "aws ssm describe-patch-groups", "get-default-patch-baseline",
// "describe-patch-baselines" and "get-patch-baseline" (through
// baseline.Load), and one file holding them all ([ReadRegistry]).
//
// A [Policy] is a Quick Setup patch policy read from the parameter map of
// an AWSQuickSetupType-PatchPolicy configuration definition
// ([ParseParameters], [LoadQuickSetup]): its baseline per operating system
// (SelectedPatchBaselines, or the whole baselines of the
// baseline_overrides.json Patch Manager generates: [ReadOverrides],
// [WriteOverrides]), its scan and install schedules (checked with
// baseline.ValidateSchedule for associations), reboot option, next-interval
// switches, rate controls ([ValidateConcurrency], [ValidateErrorThreshold])
// and targets. Parameters it does not give get their defaults, and the
// policy lists them; unknown parameters are refused unless
// [AllowUnknownParameters] is given.
//
// Every error about input matches patchkit.ErrInvalid and names the field:
// its JSON path, or the parameter.
//
// Nothing here reads a clock, a file or the network: inputs are readers and
// values.
package policy
