package install

import (
	"fmt"
	"io"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/baseline"
)

// OverrideList is an InstallOverrideList: the patches an Install installs
// whether or not the baseline approves them (Linux and macOS), only as
// updates of installed packages. Compliance still follows the baseline: an
// installed override the baseline does not approve is InstalledOther.
type OverrideList struct {
	Patches []OverrideEntry `json:"patches"`
}

// OverrideEntry is one entry: ID is the package ("kernel.x86_64", "dhcp*"),
// Title optionally the version ("*4.2.5-58.amzn2", or the full
// name.arch:epoch:version-release); globs are allowed in both.
type OverrideEntry struct {
	ID    string `json:"id"`
	Title string `json:"title,omitempty"`
	// Line is where the entry starts in its file.
	Line int `json:"-"`
}

// OverrideListError reports a malformed list, with the line.
type OverrideListError struct {
	Line   int
	Reason string
}

func (e *OverrideListError) Error() string {
	return fmt.Sprintf("install override list: line %d: %s", e.Line, e.Reason)
}

// Is reports whether target is patchkit.ErrInvalid.
func (e *OverrideListError) Is(target error) bool { return target == patchkit.ErrInvalid }

// LoadOverrideList reads an InstallOverrideList in its YAML form:
//
//	patches:
//	  - id: 'kernel.x86_64'
//	  - id: 'dhclient*'
//	    title: '*4.2.5-58.amzn2'
//
// id is required and a non-empty string; title is optional; other keys are
// ignored, as Patch Manager ignores them. At most 1 MiB is read.
func LoadOverrideList(r io.Reader) (OverrideList, error) {
	data, err := io.ReadAll(io.LimitReader(r, 1<<20+1))
	if err != nil {
		return OverrideList{}, err
	}
	if len(data) > 1<<20 {
		return OverrideList{}, &OverrideListError{Line: 1, Reason: "larger than 1 MiB"}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		// yaml's syntax errors say "yaml: line N: ...".
		line := 1
		fmt.Sscanf(err.Error(), "yaml: line %d:", &line)
		return OverrideList{}, &OverrideListError{Line: line, Reason: err.Error()}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return OverrideList{}, &OverrideListError{Line: max(doc.Line, 1), Reason: "want a mapping with a 'patches' list"}
	}
	top := doc.Content[0]
	var patches *yaml.Node
	for i := 0; i+1 < len(top.Content); i += 2 {
		if top.Content[i].Value == "patches" {
			patches = top.Content[i+1]
		}
	}
	if patches == nil {
		return OverrideList{}, &OverrideListError{Line: top.Line, Reason: "no 'patches' key"}
	}
	if patches.Kind != yaml.SequenceNode {
		return OverrideList{}, &OverrideListError{Line: patches.Line, Reason: "'patches' is not a list"}
	}
	var l OverrideList
	for _, p := range patches.Content {
		if p.Kind != yaml.MappingNode {
			return OverrideList{}, &OverrideListError{Line: p.Line, Reason: "an entry is not a mapping with 'id'"}
		}
		e := OverrideEntry{Line: p.Line}
		for i := 0; i+1 < len(p.Content); i += 2 {
			k, v := p.Content[i], p.Content[i+1]
			switch k.Value {
			case "id", "title":
				if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
					return OverrideList{}, &OverrideListError{Line: v.Line, Reason: fmt.Sprintf("%s is not a string", k.Value)}
				}
				if k.Value == "id" {
					e.ID = v.Value
				} else {
					e.Title = v.Value
				}
			}
		}
		if strings.TrimSpace(e.ID) == "" {
			return OverrideList{}, &OverrideListError{Line: p.Line, Reason: "entry without an id"}
		}
		for _, s := range []string{e.ID, e.Title} {
			for j := 0; j < len(s); j++ {
				if c := s[j]; c < 0x20 || c == 0x7f {
					return OverrideList{}, &OverrideListError{Line: p.Line, Reason: fmt.Sprintf("control character %#02x", c)}
				}
			}
		}
		l.Patches = append(l.Patches, e)
	}
	return l, nil
}

// Matches reports whether the list names the version p on the operating
// system os: an entry with only an id matches when the id matches one of
// the version's forms; an entry with an id and a title matches when both
// do (Patch Manager's node-side rule).
func (l OverrideList) Matches(os patchkit.OperatingSystem, p patchkit.Package) bool {
	for _, e := range l.Patches {
		if !baseline.MatchesEntry(os, e.ID, p) {
			continue
		}
		if e.Title == "" || baseline.MatchesEntry(os, e.Title, p) {
			return true
		}
	}
	return false
}
