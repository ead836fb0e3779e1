package policy

import (
	"fmt"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/baseline"
)

// The tag keys that put a node in a patch group. Keys are case-sensitive.
const (
	TagPatchGroup        = "Patch Group"
	TagPatchGroupNoSpace = "PatchGroup"
)

// Node is a managed node as the resolution of its baseline sees it.
type Node struct {
	// ID is the managed node's ID: i-… for EC2 instances, mi-… for
	// on-premises servers and VMs (hybrid activations). Optional.
	ID              string                   `json:"ID,omitempty"`
	OperatingSystem patchkit.OperatingSystem `json:"OperatingSystem"`
	// Product is the node's PRODUCT ("AmazonLinux2023", "Ubuntu22.04");
	// it does not take part in choosing a baseline, only in evaluating it.
	Product string `json:"Product,omitempty"`
	// Tags are the node's tags: EC2 instance tags, or the tags of an
	// on-premises managed node.
	Tags map[string]string `json:"Tags,omitempty"`
	// OnPremises marks a node of a hybrid activation; an ID starting with
	// "mi-" marks it too.
	OnPremises bool `json:"OnPremises,omitempty"`
	// TagsInMetadata says that the EC2 instance allows access to its tags in
	// instance metadata; a tag key with a space cannot be read there, so only
	// the PatchGroup key puts the node in a patch group.
	TagsInMetadata bool `json:"TagsInMetadata,omitempty"`
	// Account and Region, when known, are matched against a patch policy's
	// TargetAccounts and TargetRegions; ResourceGroups against its
	// ResourceGroupName.
	Account        string   `json:"Account,omitempty"`
	Region         string   `json:"Region,omitempty"`
	ResourceGroups []string `json:"ResourceGroups,omitempty"`
}

// IsOnPremises reports whether n is an on-premises node (OnPremises, or an
// ID starting with "mi-").
func (n Node) IsOnPremises() bool { return n.OnPremises || strings.HasPrefix(n.ID, "mi-") }

// Validate checks what resolution relies on: a known operating system, and
// no instance-metadata tag setting on an on-premises node (it is an EC2
// setting).
func (n Node) Validate() error {
	c := collector{input: "node"}
	if n.ID != "" {
		c.input = "node " + n.ID
	}
	if !n.OperatingSystem.Valid() {
		c.add("OperatingSystem", "unknown value %q", n.OperatingSystem)
	}
	if n.TagsInMetadata && n.IsOnPremises() {
		c.add("TagsInMetadata", "instance-metadata tags are an EC2 setting; an on-premises node has none")
	}
	return c.err()
}

// ValidatePatchGroup checks a patch group name as the API does: 1 to 256
// characters, each a letter, a separator (space), a number or one of
// _.:/=+-@ (the pattern ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$).
func ValidatePatchGroup(name string) error {
	fail := func(format string, a ...any) error {
		return &baseline.FieldError{Path: "PatchGroup", Reason: fmt.Sprintf("%q: ", name) + fmt.Sprintf(format, a...)}
	}
	if !utf8.ValidString(name) {
		return fail("not valid UTF-8")
	}
	if n := utf8.RuneCountInString(name); n < 1 || n > 256 {
		return fail("%d characters, 1 to 256 allowed", n)
	}
	for i, r := range name {
		if unicode.IsLetter(r) || unicode.Is(unicode.Z, r) || unicode.IsNumber(r) || strings.ContainsRune("_.:/=+-@", r) {
			continue
		}
		return fail("character %q at byte %d is not a letter, space, number or one of _.:/=+-@", r, i)
	}
	return nil
}

// groupTag is what a node's tags say about its patch group.
type groupTag struct {
	group string // the group, "" when none
	key   string // the tag key that gave it
	notes []string
}

// patchGroupOf reads the node's patch group from its tags. Both keys with
// different values, or a value the API would refuse, are errors.
func patchGroupOf(n Node) (groupTag, error) {
	var g groupTag
	keys := []string{TagPatchGroup, TagPatchGroupNoSpace}
	if n.TagsInMetadata {
		if v, ok := n.Tags[TagPatchGroup]; ok {
			g.notes = append(g.notes, fmt.Sprintf("tag %q=%q is not readable in instance metadata (tags in metadata are on); only %q counts", TagPatchGroup, v, TagPatchGroupNoSpace))
		}
		keys = keys[1:]
	}
	for _, k := range keys {
		v, ok := n.Tags[k]
		if !ok {
			continue
		}
		if g.key != "" && v != g.group {
			return g, &baseline.FieldError{Path: "Tags", Reason: fmt.Sprintf("the node is in two patch groups: %q=%q and %q=%q; a node is in at most one", g.key, g.group, k, v)}
		}
		if err := ValidatePatchGroup(v); err != nil {
			return g, &baseline.FieldError{Path: "Tags[" + k + "]", Reason: err.(*baseline.FieldError).Reason}
		}
		if g.key == "" {
			g.group, g.key = v, k
		} else {
			g.notes = append(g.notes, fmt.Sprintf("tags %q and %q both name group %q", g.key, k, v))
		}
	}
	if g.key == "" {
		for _, k := range sortedKeys(n.Tags) {
			if (strings.EqualFold(k, TagPatchGroup) || strings.EqualFold(k, TagPatchGroupNoSpace)) && k != TagPatchGroup && k != TagPatchGroupNoSpace {
				g.notes = append(g.notes, fmt.Sprintf("tag key %q is not %q or %q: keys are case-sensitive", k, TagPatchGroup, TagPatchGroupNoSpace))
			}
		}
	}
	return g, nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
