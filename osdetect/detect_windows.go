//go:build windows

package osdetect

import (
	"context"
	"errors"

	"golang.org/x/sys/windows/registry"
)

func detectHost(_ context.Context) (OS, error) {
	k, err := registry.OpenKey(registry.LOCAL_MACHINE, `SOFTWARE\Microsoft\Windows NT\CurrentVersion`, registry.QUERY_VALUE)
	if err != nil {
		return OS{}, err
	}
	defer k.Close()
	str := func(name string) (string, error) {
		s, _, err := k.GetStringValue(name)
		if errors.Is(err, registry.ErrNotExist) {
			return "", nil
		}
		return s, err
	}
	num := func(name string) (uint64, error) {
		n, _, err := k.GetIntegerValue(name)
		if errors.Is(err, registry.ErrNotExist) {
			return 0, nil
		}
		return n, err
	}
	var w windowsInfo
	var errs []error
	for _, f := range []struct {
		name string
		dst  *string
	}{
		{"ProductName", &w.ProductName}, {"InstallationType", &w.InstallationType},
		{"EditionID", &w.EditionID}, {"DisplayVersion", &w.DisplayVersion},
		{"CurrentBuild", &w.CurrentBuild}, {"CurrentVersion", &w.CurrentVersion},
	} {
		v, err := str(f.name)
		*f.dst = v
		errs = append(errs, err)
	}
	for _, f := range []struct {
		name string
		dst  *uint64
	}{
		{"UBR", &w.UBR}, {"CurrentMajorVersionNumber", &w.Major}, {"CurrentMinorVersionNumber", &w.Minor},
	} {
		v, err := num(f.name)
		*f.dst = v
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return OS{}, err
	}
	o := fromWindowsInfo(w)
	o.Arch = NormalizeArch(windowsArch())
	o.KernelRelease = o.VersionID + "." + o.Build
	return o, nil
}

func windowsArch() string {
	k, err := registry.OpenKey(registry.LOCAL_MACHINE, `SYSTEM\CurrentControlSet\Control\Session Manager\Environment`, registry.QUERY_VALUE)
	if err != nil {
		return ""
	}
	defer k.Close()
	s, _, err := k.GetStringValue("PROCESSOR_ARCHITECTURE")
	if err != nil {
		return ""
	}
	return s
}
