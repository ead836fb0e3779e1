package enum

import (
	"errors"
	"testing"

	"github.com/patchkit/patchkit"
)

type color string

func TestSet(t *testing.T) {
	var c color
	if err := Set(&c, "Color", "RED", "RED", "BLUE"); err != nil || c != "RED" {
		t.Fatalf("got %q, %v", c, err)
	}
	err := Set(&c, "Color", "red", "RED", "BLUE")
	var ue *patchkit.UnknownValueError
	if !errors.As(err, &ue) || ue.Type != "Color" || ue.Value != "red" || c != "RED" {
		t.Fatalf("got %v, %q", err, c)
	}
}
