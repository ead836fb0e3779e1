package repotest

import (
	"os"
	"path/filepath"
	"testing"
)

// Seed adds the files matching the patterns (below Fixtures) to the fuzz
// corpus, each passed through prepare (nil: as they are; a nil result
// leaves the file out).
func Seed(f *testing.F, prepare func(name string, data []byte) []byte, patterns ...string) {
	for _, p := range patterns {
		files, _ := filepath.Glob(filepath.Join(Fixtures(f), p))
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err == nil && prepare != nil {
				data = prepare(file, data)
			}
			if err == nil && data != nil {
				f.Add(data)
			}
		}
	}
}
