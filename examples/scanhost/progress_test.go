package main

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/patchkit/patchkit/install"
)

// The transaction on one terminal line: the count of updates as a step
// starts, then a bar of the package manager's own count of packages with
// the package it is on (here three packages for two updates: a new
// dependency), the count alone for a download whose total the package
// manager did not say, and a long package name cut at the line's width.
func TestProgressBarTransaction(t *testing.T) {
	var b bytes.Buffer
	bar := progressBar(&b)
	for _, e := range []install.ProgressEvent{
		{Step: "download", Total: 2},
		{Step: "download", N: 1, Detail: "tb-conf"},
		{Step: "install", Total: 2},
		{Step: "install", N: 1, Total: 3, Detail: "tb-newdep-1.0-1.noarch"},
		{Step: "install", N: 3, Total: 3, Detail: "tb-a-package-name-longer-than-the-name-column-of-dnf"},
	} {
		bar(e)
	}
	assert.Equal(t, "\r\033[Kdownload 2 updates"+
		"\r\033[Kdownload 1 tb-conf"+
		"\r\033[Kinstall  2 updates"+
		"\r\033[Kinstall  [##########....................] 1/3 tb-newdep-1.0-1.noarch"+
		"\r\033[Kinstall  [##############################] 3/3 tb-a-package-name-longer-than-th", b.String())
}
