package compliance

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchkit/patchkit"
)

// goldenReports are the reports of testdata/golden, as files.
func goldenReports(t testing.TB) [][]byte {
	t.Helper()
	files, err := filepath.Glob("testdata/golden/*.json")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	var out [][]byte
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		out = append(out, data)
	}
	return out
}

// collect runs a stream of reports to its end.
func collect(seq func(func(*Report, error) bool)) ([]Report, error) {
	var out []Report
	for r, err := range seq {
		if err != nil {
			return out, err
		}
		out = append(out, *r)
	}
	return out, nil
}

// TestReportsAgreeWithReadJSON: the reports of a stream are the reports
// ReadJSON reads from each file, whatever separates them, and strings
// holding brackets, quotes and escapes do not end a report early.
func TestReportsAgreeWithReadJSON(t *testing.T) {
	files := goldenReports(t)
	// A report whose strings look like the end of an object.
	tricky, err := ReadJSON(bytes.NewReader(files[0]))
	require.NoError(t, err)
	tricky.Node.Hostname = `web"}]{[\"}` + "\\"
	tricky.Node.PatchGroup = `}}}]]]\\\"`
	var b bytes.Buffer
	require.NoError(t, tricky.WriteJSON(&b))
	files = append(files, b.Bytes())

	var want []Report
	for _, f := range files {
		r, err := ReadJSON(bytes.NewReader(f))
		require.NoError(t, err)
		want = append(want, r)
	}
	for name, sep := range map[string]string{"nothing": "", "newline": "\n", "CRLF": "\r\n", "blanks": " \t\n\n  "} {
		var stream []byte
		for _, f := range files {
			stream = append(stream, bytes.TrimSpace(f)...)
			stream = append(stream, sep...)
		}
		got, err := collect(Reports(bytes.NewReader(stream)))
		require.NoError(t, err, name)
		assert.Equal(t, want, got, name)
	}
	assert.Equal(t, `web"}]{[\"}`+"\\", want[len(want)-1].Node.Hostname)

	// The reports written by schema 1.0, as JSON Lines.
	old, err := os.ReadFile("testdata/schema-1.0/fleet.jsonl")
	require.NoError(t, err)
	got, err := collect(Reports(bytes.NewReader(old)))
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(old)), "\n")
	require.Len(t, got, len(lines))
	for i, l := range lines {
		r, err := ReadJSON(strings.NewReader(l))
		require.NoError(t, err)
		assert.Equal(t, r, got[i], "line %d", i+1)
	}
}

// TestReportsStreamErrors: what is not a stream of JSON objects fails with
// a *StreamError at the byte where the offending report starts, and the
// reports before it are read.
func TestReportsStreamErrors(t *testing.T) {
	one := bytes.TrimSpace(goldenReports(t)[0])
	cases := []struct {
		name   string
		input  []byte
		good   int
		offset int64
		reason string
	}{
		{"NUL bytes", make([]byte, 1<<20), 0, 0, `starting with '\x00'`},
		{"garbage after a report", []byte(string(one) + "\n x"), 1, int64(len(one)) + 2, `starting with 'x'`},
		{"an array", []byte(" [" + string(one) + "]"), 0, 1, `starting with '['`},
		{"a stray closing brace", append(append([]byte{}, one...), '}'), 1, int64(len(one)), `starting with '}'`},
		{"truncated", append(append([]byte("\n"), one...), one[:len(one)-2]...), 1, int64(len(one)) + 1, "the input ends inside a report"},
		{"an open string", []byte(`{"SchemaVersion": "1.1}`), 0, 0, "the input ends inside a report"},
	}
	for _, c := range cases {
		got, err := collect(Reports(bytes.NewReader(c.input)))
		assert.Len(t, got, c.good, c.name)
		var se *StreamError
		if assert.ErrorAs(t, err, &se, c.name) {
			assert.Equal(t, c.offset, se.Offset, c.name)
			assert.Contains(t, se.Reason, c.reason, c.name)
			assert.ErrorIs(t, err, patchkit.ErrInvalid, c.name)
		}
	}

	// A syntax error in a report the input ends inside is the error.
	_, err := collect(Reports(strings.NewReader(string(one) + "\n{not json")))
	assert.EqualError(t, err, "compliance: report: invalid character 'n' looking for beginning of object key string")

	// A report that is an object but not a report fails as ReadJSON fails.
	_, err = collect(Reports(strings.NewReader(`{"SchemaVersion": "9.0"}`)))
	var schema *SchemaError
	assert.ErrorAs(t, err, &schema)

	// A failing reader's error comes through as it is.
	boom := errors.New("disk on fire")
	_, err = collect(Reports(io.MultiReader(bytes.NewReader(one), &failing{err: boom})))
	assert.ErrorIs(t, err, boom)
	got, err := collect(Reports(io.MultiReader(bytes.NewReader(one), strings.NewReader("\n"), &failing{err: boom})))
	assert.Len(t, got, 1)
	assert.ErrorIs(t, err, boom)
}

type failing struct{ err error }

func (f *failing) Read([]byte) (int, error) { return 0, f.err }

// endless is a report that never ends: its head, then filler forever. It
// counts what was read from it.
type endless struct {
	head   []byte
	filler byte
	block  []byte
	read   int64
}

func (e *endless) Read(p []byte) (int, error) {
	if e.block == nil {
		e.block = bytes.Repeat([]byte{e.filler}, 64<<10)
	}
	n := 0
	if int64(len(e.head)) > e.read {
		n = copy(p, e.head[e.read:])
	}
	for n < len(p) {
		n += copy(p[n:], e.block)
	}
	e.read += int64(n)
	return n, nil
}

// TestReportsBounded: a report larger than the limit fails once the limit
// is reached: no more of the input is read than the limit and one buffer,
// and no more is held in memory than the limit and the slice's growth.
func TestReportsBounded(t *testing.T) {
	const limit = 4 << 20
	for _, e := range []*endless{
		{head: []byte(`{"SchemaVersion": "1.1", "Node": {"Hostname": "`), filler: 'a'},
		{head: []byte(`{"Items": `), filler: '['},
		{head: []byte(`{`), filler: ' '},
	} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		got, err := collect(reports(e, limit))
		runtime.ReadMemStats(&after)
		assert.Empty(t, got)
		var se *StreamError
		require.ErrorAs(t, err, &se, string(e.head))
		assert.Equal(t, int64(0), se.Offset)
		assert.Equal(t, "report larger than 4194304 bytes", se.Reason)
		assert.LessOrEqual(t, e.read, int64(limit+64<<10), "bytes read of %q...", e.head)
		assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(3*limit), "bytes allocated for %q...", e.head)
	}
}

// TestReportsBoundedRealLimit is the case of issue 11: a value of 300 MB in
// a stream. Reports stops at MaxReportSize, having read no more than that
// and one buffer of the input (it read all 300 MB and held them before).
func TestReportsBoundedRealLimit(t *testing.T) {
	e := &endless{head: []byte(`{"SchemaVersion": "1.1", "Node": {"Hostname": "`), filler: 'a'}
	r := io.LimitReader(e, 300<<20)
	_, err := collect(Reports(r))
	var se *StreamError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "report larger than 67108864 bytes", se.Reason)
	assert.LessOrEqual(t, e.read, int64(MaxReportSize+64<<10))
}

// TestReadJSONMissingFields: a report without a field every report has,
// whose empty value could not be written back, is refused with the field
// named.
func TestReadJSONMissingFields(t *testing.T) {
	one := string(goldenReports(t)[0])
	for field, edit := range map[string][2]string{
		"Node.OperatingSystem": {`"OperatingSystem": "AMAZON_LINUX_2023",`, ``},
		"Operation":            {`"Operation": "Scan",`, ``},
		"Items[0].State":       {`"State": "Missing",`, ``},
		"Items[0].Status":      {`"Status": "NON_COMPLIANT",`, ``},
	} {
		require.Contains(t, one, edit[0], field)
		_, err := ReadJSON(strings.NewReader(strings.Replace(one, edit[0], edit[1], 1)))
		var ie *InputError
		if assert.ErrorAs(t, err, &ie, field) {
			assert.Equal(t, field, ie.Field)
			assert.Equal(t, "missing", ie.Reason)
		}
	}
}

// TestReadJSONTooLarge: ReadJSON reads one byte past its limit and fails
// with a *StreamError.
func TestReadJSONTooLarge(t *testing.T) {
	const limit = 4 << 20
	e := &endless{head: []byte(`{"SchemaVersion": "1.1", "Node": {"Hostname": "`), filler: 'a'}
	_, err := readLimited(e, limit)
	var se *StreamError
	require.ErrorAs(t, err, &se)
	assert.ErrorIs(t, err, patchkit.ErrInvalid)
	assert.Equal(t, "compliance: byte 0: report larger than 4194304 bytes", err.Error())
	assert.LessOrEqual(t, e.read, int64(limit+64<<10))
}

// BenchmarkReports reads a stream of 2,000 reports (the five golden reports
// over and over, one a line).
func BenchmarkReports(b *testing.B) {
	var stream []byte
	files := goldenReports(b)
	for i := 0; i < 2000; i++ {
		stream = append(stream, bytes.ReplaceAll(bytes.TrimSpace(files[i%len(files)]), []byte("\n"), nil)...)
		stream = append(stream, '\n')
	}
	b.SetBytes(int64(len(stream)))
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		for _, err := range Reports(bytes.NewReader(stream)) {
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != 2000 {
			b.Fatal(n)
		}
	}
}
