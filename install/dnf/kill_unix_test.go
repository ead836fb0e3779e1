//go:build unix

package dnf_test

import "syscall"

// killProcessGroup sends SIGKILL to the process group of pid.
func killProcessGroup(pid int) error {
	pgid, err := syscall.Getpgid(pid)
	if err != nil {
		return err
	}
	return syscall.Kill(-pgid, syscall.SIGKILL)
}
