//go:build !unix

package install

import (
	"errors"

	"github.com/patchkit/patchkit/install/plan"
)

// ErrBusy is returned when another patchkit operation holds the node.
var ErrBusy = errors.New("install: another patchkit operation is running on this node")

// lockNode is not available where Install does not run.
func lockNode(root string) (func(), error) {
	return nil, errors.New("install: no Linux package manager on this platform")
}

func checkSpace(root string, p plan.Plan) error { return nil }
