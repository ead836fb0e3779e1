package policy

import (
	"fmt"
	"strings"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/baseline"
)

// ValidationError lists every problem found in one input, each a
// *baseline.FieldError whose Path is the JSON path of the field (for a
// Quick Setup parameter map, the parameter's name), e.g.
// "Mappings[1].PatchGroup" or "RateControlConcurrency". Input says what
// was read: "describe-patch-groups output", "patch policy parameters", a
// node's ID.
type ValidationError struct {
	Input  string
	Errors []*baseline.FieldError
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("policy: invalid " + e.Input)
	if len(e.Errors) == 1 {
		b.WriteString(": " + e.Errors[0].Error())
		return b.String()
	}
	for _, fe := range e.Errors {
		b.WriteString("\n  " + fe.Error())
	}
	return b.String()
}

// Unwrap returns the field errors, so errors.As finds a *baseline.FieldError.
func (e *ValidationError) Unwrap() []error {
	out := make([]error, len(e.Errors))
	for i, fe := range e.Errors {
		out[i] = fe
	}
	return out
}

// Is reports whether target is patchkit.ErrInvalid.
func (e *ValidationError) Is(target error) bool { return target == patchkit.ErrInvalid }

// collector gathers field errors.
type collector struct {
	input string
	errs  []*baseline.FieldError
}

func (c *collector) add(path, format string, a ...any) {
	c.errs = append(c.errs, &baseline.FieldError{Path: path, Reason: fmt.Sprintf(format, a...)})
}

func (c *collector) err() error {
	if len(c.errs) == 0 {
		return nil
	}
	return &ValidationError{Input: c.input, Errors: c.errs}
}

// ResolveError reports that no baseline can be chosen for a node: the step
// that failed and why. Code is the error number the node's patching payload
// reports for the same condition where it has one (163: a BaselineOverride
// file has no baseline for the node's operating system; 165: it has more
// than one), else 0. It matches patchkit.ErrInvalid: the inputs contradict
// each other or lack what the node needs.
type ResolveError struct {
	Node   string // the node's ID, if it has one
	Step   Step
	Code   int
	Reason string
}

func (e *ResolveError) Error() string {
	s := "policy: "
	if e.Node != "" {
		s += "node " + e.Node + ": "
	}
	s += e.Step.String() + ": " + e.Reason
	if e.Code != 0 {
		s += fmt.Sprintf(" (payload error %d)", e.Code)
	}
	return s
}

// Is reports whether target is patchkit.ErrInvalid.
func (e *ResolveError) Is(target error) bool { return target == patchkit.ErrInvalid }
