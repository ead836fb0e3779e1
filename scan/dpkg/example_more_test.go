package dpkg_test

import (
	"fmt"

	"github.com/patchkit/patchkit/scan/dpkg"
)

// The command Query runs, for a runner that goes elsewhere (sudo, SSH, a
// container) or for a recording: dpkg-query --show with a fixed format, for the
// dpkg database of an image mounted at /srv/image.
func ExampleQueryCommand() {
	c, err := dpkg.QueryCommand(dpkg.QueryAdmindir("/srv/image/var/lib/dpkg"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.Argv())
	_, err = dpkg.QueryCommand(dpkg.QueryAdmindir("var/lib/dpkg"))
	fmt.Println(err)
	// Output:
	// [/usr/bin/dpkg-query --admindir=/srv/image/var/lib/dpkg --show --showformat=${Package}\t${Architecture}\t${Version}\t${db:Status-Want}\t${db:Status-Eflag}\t${db:Status-Status}\t${Multi-Arch}\t${Priority}\t${Section}\t${source:Package}\t${source:Version}\t${db-fsys:Last-Modified}\n]
	// dpkg: QueryAdmindir("var/lib/dpkg"): not an absolute path
}
