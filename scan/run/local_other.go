//go:build !unix

package run

import "os/exec"

// setProcessGroup does nothing where process groups do not exist.
func setProcessGroup(cmd *exec.Cmd) {}

// signalGroup ends the child itself: without process groups there is no
// gentler signal to send.
func signalGroup(cmd *exec.Cmd, kill bool) {
	if cmd.Process != nil {
		_ = cmd.Process.Kill()
	}
}

func signalOf(cmd *exec.Cmd) string { return "" }
