package compliance

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzReadJSON: reading a report never panics; a stream holding one report
// reads as ReadJSON reads it (Reports and ReadJSON accept the same single
// reports); and a report ReadJSON accepts is written in a form it reads
// back to the same JSON.
func FuzzReadJSON(f *testing.F) {
	files, _ := filepath.Glob("testdata/golden/*.json")
	old, _ := filepath.Glob("testdata/schema-1.0/*")
	for _, name := range append(files, old...) {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"SchemaVersion":"1.9","Surprise":{"a":[1,"}"]},"Summary":{"Status":"COMPLIANT"}}`))
	f.Add([]byte(`{"SchemaVersion":"1.1","Items":[{"Status":"UNKNOWN"}],"Summary":{"Status":"UNKNOWN"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ReadJSON(bytes.NewReader(data))
		stream, serr := collect(Reports(bytes.NewReader(data)))
		if err != nil {
			if serr == nil && len(stream) == 1 {
				t.Fatalf("ReadJSON refuses (%v) what Reports reads as one report", err)
			}
			return
		}
		if serr != nil || len(stream) != 1 {
			t.Fatalf("ReadJSON reads one report, Reports %d and %v", len(stream), serr)
		}
		var first, viaStream, second bytes.Buffer
		if err := r.WriteJSON(&first); err != nil {
			t.Fatalf("a report read cannot be written: %v", err)
		}
		if err := stream[0].WriteJSON(&viaStream); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first.Bytes(), viaStream.Bytes()) {
			t.Fatalf("ReadJSON and Reports read different reports:\n%s\n%s", first.Bytes(), viaStream.Bytes())
		}
		back, err := ReadJSON(bytes.NewReader(first.Bytes()))
		if err != nil {
			t.Fatalf("a report written is not read back: %v\n%s", err, first.Bytes())
		}
		if err := back.WriteJSON(&second); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first.Bytes(), second.Bytes()) {
			t.Fatalf("the round trip changed the report:\n%s\n%s", first.Bytes(), second.Bytes())
		}
	})
}
