package baseline

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/patchkit/patchkit"
)

// TestPredefinedAreValues: every call returns a baseline of its own. A
// caller that changes everything reachable from one returned baseline (the
// filters' values, the rules, the lists, the approve-after-days) changes
// nothing another call returns, for the same or any other baseline.
func TestPredefinedAreValues(t *testing.T) {
	asOf := []time.Time{{}, time.Date(2025, 12, 9, 0, 0, 0, 0, time.UTC)}
	snapshot := func() []byte {
		t.Helper()
		var all []Baseline
		for _, at := range asOf {
			for _, name := range PredefinedNames() {
				b, err := PredefinedByName(name, AsOf(at))
				if err != nil {
					t.Fatal(err)
				}
				all = append(all, b)
			}
		}
		data, err := json.Marshal(all)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	before := snapshot()

	mutated := 0
	for _, at := range asOf {
		for _, name := range PredefinedNames() {
			b, err := PredefinedByName(name, AsOf(at))
			if err != nil {
				t.Fatal(err)
			}
			mutated += scribble(reflect.ValueOf(&b).Elem())
			if len(b.GlobalFilters.PatchFilters) > 0 && len(b.GlobalFilters.PatchFilters[0].Values) > 0 {
				// Growing a slice within its capacity must not show either.
				vs := b.GlobalFilters.PatchFilters[0].Values
				_ = append(vs[:0], "appended")
			}
		}
		for _, o := range patchkit.OperatingSystems() {
			b, err := Predefined(o, AsOf(at))
			if err != nil {
				t.Fatal(err)
			}
			mutated += scribble(reflect.ValueOf(&b).Elem())
		}
	}
	if mutated < 100 {
		t.Fatalf("only %d values changed: the test does not reach into the baselines", mutated)
	}
	if after := snapshot(); string(after) != string(before) {
		t.Fatalf("changing returned baselines changed what later calls return:\nbefore %.400s\nafter  %.400s", before, after)
	}
}

// scribble overwrites every string and integer reachable from v through
// slices, pointers, maps and struct fields, and returns how many it changed.
func scribble(v reflect.Value) int {
	switch v.Kind() {
	case reflect.String:
		if v.CanSet() {
			v.SetString("scribbled")
			return 1
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if v.CanSet() {
			v.SetInt(v.Int() + 1000)
			return 1
		}
	case reflect.Pointer:
		if !v.IsNil() {
			return scribble(v.Elem())
		}
	case reflect.Slice, reflect.Array:
		n := 0
		for i := 0; i < v.Len(); i++ {
			n += scribble(v.Index(i))
		}
		return n
	case reflect.Map:
		n := 0
		for _, k := range v.MapKeys() {
			e := reflect.New(v.Type().Elem()).Elem()
			e.Set(v.MapIndex(k))
			n += scribble(e)
			v.SetMapIndex(k, e)
		}
		return n
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(time.Time{}) {
			return 0
		}
		n := 0
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				n += scribble(v.Field(i))
			}
		}
		return n
	}
	return 0
}
