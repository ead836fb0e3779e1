package dnf_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/scan/dnf"
)

// An available package that obsoletes an installed one of another name
// (pk-new, "Obsoletes: pk-old < 2.0", in the cache dnf made for a real
// root, testdata/dnf/obsoletes-root) is recorded and passed to the
// function, never offered: pk-old has no update.
func ExampleWithObsoletes() {
	oldPkg, err := patchkit.ParseNEVRA("pk-old-0:1.0-1.noarch")
	if err != nil {
		fmt.Println(err)
		return
	}
	ps, _, err := dnf.Updates(context.Background(), os.DirFS("../../testdata/dnf/obsoletes-root"), []patchkit.Package{oldPkg},
		dnf.WithArch("x86_64"), dnf.WithNow(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)),
		dnf.WithObsoletes(func(o dnf.Obsolete) {
			fmt.Println(o.By.NEVRA(), "from", o.By.Repository, "obsoletes", o.Installed.NEVRA(), "by", o.Entry)
		}))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(ps), "updates")
	// Output:
	// pk-new-0:1.0-1.noarch from pk-obs obsoletes pk-old-0:1.0-1.noarch by pk-old < 2.0
	// 0 updates
}
