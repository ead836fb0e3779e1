package scan

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchkit/patchkit/internal/testbed"
)

// TestTestbedZypperScanProgress: a metadata scan of the testbed's zypper
// root counts its two repositories in the "updates" step, between the
// step's start and end, up to Total; the logger is handed to the backend
// (a debug handler sees no error records on a healthy root).
func TestTestbedZypperScanProgress(t *testing.T) {
	env := testbed.Need(t)
	var events []ProgressEvent
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	_, err := Scan(context.Background(), os.DirFS(env.ZyppRoot), At(scanAt(t)), WithOS(releaseOS(t, "sles-15.6")),
		WithLogger(logger), WithProgress(func(e ProgressEvent) { events = append(events, e) }))
	require.NoError(t, err)
	start, end := -1, -1
	var counted []ProgressEvent
	for i, e := range events {
		switch {
		case e.Step == "updates" && e.Total == 0 && !e.Done:
			start = i
		case e.Step == "updates" && e.Total == 0 && e.Done:
			end = i
		case e.Total > 0:
			require.True(t, start >= 0 && end < 0, "a counted event outside the updates step: %+v", e)
			counted = append(counted, e)
		}
	}
	require.NotEmpty(t, counted, "events %+v", events)
	for i, e := range counted {
		assert.Equal(t, 2, e.Total, "tb-base and tb-updates")
		if i > 0 {
			assert.GreaterOrEqual(t, e.N, counted[i-1].N, "the count never goes back")
		}
	}
	assert.Equal(t, ProgressEvent{Step: "updates", N: 2, Total: 2}, counted[len(counted)-1])
	var details []string
	for _, e := range counted {
		if e.Detail != "" {
			details = append(details, e.Detail)
		}
	}
	assert.Equal(t, []string{"tb-base", "tb-updates"}, details)
	assert.NotContains(t, logs.String(), "level=ERROR")
}
