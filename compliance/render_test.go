package compliance_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -run %s -update to create it", t.Name())
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs from the output (go test -update rewrites it); got:\n%s", path, got)
	}
}

func render(t *testing.T, write func(*bytes.Buffer) error) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, write(&buf))
	// Rendering is deterministic: a second rendering is the same bytes.
	var again bytes.Buffer
	require.NoError(t, write(&again))
	require.Equal(t, buf.String(), again.String())
	return buf.Bytes()
}

func TestFleetGolden(t *testing.T) {
	f := fixtureAggregate(t, fixtureFleet(t))
	golden(t, "fleet.txt", render(t, func(b *bytes.Buffer) error { return f.WriteText(b) }))
	golden(t, "fleet.html", render(t, func(b *bytes.Buffer) error { return f.WriteHTML(b, "Patch compliance: example fleet") }))
}

func TestNodeGolden(t *testing.T) {
	r := fixtureNode(t)
	golden(t, "node.txt", render(t, func(b *bytes.Buffer) error { return r.WriteText(b) }))
	golden(t, "node.html", render(t, func(b *bytes.Buffer) error { return r.WriteHTML(b) }))
}
