package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCandidateBounded: the decoder holds one candidate at a time, at most
// maxPatch bytes of it: an endless string in the first candidate is
// refused having read no more than that, though the file's limit is
// larger.
func TestCandidateBounded(t *testing.T) {
	e := &endless{head: `[{"Name": "x"}, {"Name": "`, block: bytes.Repeat([]byte("a"), 4096)}
	_, err := decodeCandidates("endless.json", e, 64<<20)
	require.EqualError(t, err, "endless.json: candidate 2 (from byte 14) is larger than 1048576 bytes")
	assert.LessOrEqual(t, e.read, int64(14+maxPatch))
}

// TestCandidatesErrorsName: errors name the candidate and the byte; a JSON
// value other than an array is refused.
func TestCandidatesErrorsName(t *testing.T) {
	for in, want := range map[string]string{
		`[{"Name": "x"}, {"Name": 3}]`:     `c.json: candidate 2 (from byte 14), byte 25: json: cannot unmarshal number into Go struct field Patch.Package.Name of type string`,
		`[{"Name": "x"}, {"Name": "y",}]`:  `c.json: candidate 2 (from byte 14), byte 28: invalid character '}' looking for beginning of object key string`,
		`[{"Name": "x"} {"Name": "y"}]`:    `c.json: candidate 2 (from byte 15), byte 15: expected comma after array element`,
		`null`:                             `c.json: byte 4: not a JSON array`,
		`{"Name": "x"}`:                    `c.json: byte 1: not a JSON array`,
		`[{"Name": "x"}, {"Colour": "y"}]`: `c.json: candidate 2 (from byte 14): json: unknown field "Colour"`,
	} {
		_, err := decodeCandidates("c.json", strings.NewReader(in), 1<<20)
		assert.EqualError(t, err, want, in)
	}
	ps, err := decodeCandidates("c.json", strings.NewReader(" [ ] \n"), 1<<20)
	assert.NoError(t, err)
	assert.NotNil(t, ps)
	assert.Empty(t, ps)
}

// TestCandidatesFileBounded: a regular file larger than the limit is
// refused before it is read (a sparse file: nothing to read would make
// the decoder fail otherwise); a pipe is read no further than the limit,
// and a pipe within it is decoded.
func TestCandidatesFileBounded(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.json")
	f, err := os.Create(big)
	require.NoError(t, err)
	require.NoError(t, f.Truncate(maxCandidates+1))
	f.Close()
	_, err = readCandidates(big, maxCandidates)
	assert.EqualError(t, err, fmt.Sprintf("%s: larger than %d bytes (%d bytes)", big, maxCandidates, maxCandidates+1))

	fifo := func(data func(w *os.File)) string {
		p := filepath.Join(t.TempDir(), "fifo")
		if err := mkfifo(p); errors.Is(err, errors.ErrUnsupported) {
			t.Skip("no named pipes on this system")
		} else {
			require.NoError(t, err)
		}
		go func() {
			w, err := os.OpenFile(p, os.O_WRONLY, 0)
			if err != nil {
				return
			}
			defer w.Close()
			data(w)
		}()
		return p
	}
	written := make(chan int64, 1)
	p := fifo(func(w *os.File) {
		block := bytes.Repeat([]byte(`{"Name": "x"}, `), 1000)
		var n int64
		defer func() { written <- n }()
		m, err := w.Write([]byte("["))
		n += int64(m)
		for err == nil && n < 4*maxCandidates {
			m, err = w.Write(block)
			n += int64(m)
		}
	})
	_, err = readCandidates(p, 1<<20)
	assert.EqualError(t, err, p+": larger than 1048576 bytes")
	// the writer stopped when the reader closed the pipe, a pipe buffer
	// after the limit
	assert.Less(t, <-written, int64(8<<20))

	rpm, err := os.ReadFile(td + "candidates/rpm.json")
	require.NoError(t, err)
	p = fifo(func(w *os.File) { w.Write(rpm) })
	ps, err := readCandidates(p, 1<<20)
	require.NoError(t, err)
	assert.Len(t, ps, 8)
}

// TestRuleNumbers: RuleNumbers are Decision.Rules from 1, the numbers the
// explanation uses.
func TestRuleNumbers(t *testing.T) {
	res, _ := evaluateJSON(t, "-predefined", "AWS-AmazonLinux2DefaultPatchBaseline", "-candidates", td+"candidates/rpm.json",
		"-product", "AmazonLinux2", "-now", "2025-11-24T00:00:00Z")
	approved := 0
	for _, r := range res {
		idx := r.Decision.Rules.Indexes()
		require.Len(t, r.RuleNumbers, len(idx), r.Patch.Name)
		for i, n := range r.RuleNumbers {
			assert.Equal(t, idx[i]+1, n, r.Patch.Name)
			assert.Contains(t, r.Explanation, fmt.Sprintf("rule %d", n), r.Patch.Name)
		}
		if len(r.RuleNumbers) > 0 {
			approved++
		}
	}
	assert.Positive(t, approved)
	// Every element carries the field, [] when no rule approves.
	var out, errOut bytes.Buffer
	require.Equal(t, 0, run([]string{"-predefined", "AWS-AmazonLinux2DefaultPatchBaseline", "-candidates", td + "candidates/rpm.json",
		"-now", "2025-11-24", "-format", "json"}, &out, &errOut))
	assert.Equal(t, len(res), strings.Count(out.String(), `"RuleNumbers": [`))
}

// BenchmarkDecodeCandidates decodes about 8 MiB of candidates (the eight
// of testdata's rpm.json, renamed, repeated) one at a time.
func BenchmarkDecodeCandidates(b *testing.B) {
	rpm, err := os.ReadFile(td + "candidates/rpm.json")
	require.NoError(b, err)
	one, err := decodeCandidates("rpm.json", bytes.NewReader(rpm), maxCandidates)
	require.NoError(b, err)
	var buf bytes.Buffer
	buf.WriteString("[")
	for i := 0; buf.Len() < 8<<20; i++ {
		p := one[i%len(one)]
		p.Name = fmt.Sprintf("%s-%d", p.Name, i)
		data, err := json.Marshal(p)
		require.NoError(b, err)
		if i > 0 {
			buf.WriteString(",\n")
		}
		buf.Write(data)
	}
	buf.WriteString("]\n")
	b.SetBytes(int64(buf.Len()))
	b.ReportAllocs()
	for b.Loop() {
		ps, err := decodeCandidates("bench.json", bytes.NewReader(buf.Bytes()), maxCandidates)
		if err != nil || len(ps) == 0 {
			b.Fatal(err)
		}
	}
}
