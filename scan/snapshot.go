package scan

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/baseline"
)

// Snapshot is a deployable patch snapshot, as Patch Manager's SnapshotId
// names one: a baseline frozen with the instant it was taken. Approval
// delays count to that instant, so every node of an operation, and a later
// Install, approve the same versions whenever they run. It is saved and
// loaded as JSON.
type Snapshot struct {
	SnapshotID  string            `json:"SnapshotId"`
	CreatedTime time.Time         `json:"CreatedTime"`
	PatchGroup  string            `json:"PatchGroup,omitempty"`
	Baseline    baseline.Baseline `json:"Baseline"`

	compiled *baseline.Compiled
}

// snapshotIDPattern is the GUID the AWS-RunPatchBaseline document accepts.
var snapshotIDPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// NewSnapshotID returns a random GUID (version 4) for a new snapshot.
func NewSnapshotID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// NewSnapshot freezes b at the instant at under the GUID id.
func NewSnapshot(id string, b baseline.Baseline, patchGroup string, at time.Time) (*Snapshot, error) {
	s := &Snapshot{SnapshotID: id, CreatedTime: at.UTC(), PatchGroup: patchGroup, Baseline: b}
	if err := s.compile(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Snapshot) compile() error {
	if !snapshotIDPattern.MatchString(s.SnapshotID) {
		return &InputError{Field: "SnapshotId", Reason: fmt.Sprintf("%q is not a GUID (8-4-4-4-12 hexadecimal digits)", s.SnapshotID)}
	}
	if s.CreatedTime.IsZero() {
		return &InputError{Field: "CreatedTime", Reason: "zero"}
	}
	c, err := baseline.Compile(s.Baseline)
	if err != nil {
		return err
	}
	s.compiled = c
	return nil
}

// LoadSnapshot reads a snapshot saved with WriteJSON.
func LoadSnapshot(r io.Reader) (*Snapshot, error) {
	var s Snapshot
	dec := json.NewDecoder(io.LimitReader(r, 16<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, &InputError{Field: "snapshot", Reason: err.Error()}
	}
	if err := s.compile(); err != nil {
		return nil, err
	}
	return &s, nil
}

// WriteJSON saves the snapshot.
func (s *Snapshot) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(s)
}

// Decide evaluates the candidates with the frozen baseline at the instant
// the snapshot was taken.
func (s *Snapshot) Decide(node baseline.Node, candidates []patchkit.Patch) ([]baseline.Decision, error) {
	return s.compiled.Evaluate(node, candidates, s.CreatedTime)
}

// Definition returns the frozen baseline.
func (s *Snapshot) Definition() baseline.Baseline { return s.Baseline }
