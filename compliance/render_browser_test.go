package compliance_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchkit/patchkit/internal/testutil"
)

// The end-to-end check of the HTML pages: headless Chromium (Debian package
// chromium) renders each page to a PNG, and the picture must hold the
// charts' colours in quantity; the same run dumps the DOM Chromium built,
// which must hold the SVG charts and the table rows.

const (
	shotWidth, shotHeight = 1280, 1600
	chromiumTimeout       = 90 * time.Second
)

// chromium runs headless Chromium on the page with extra arguments and
// returns its standard output.
func chromium(t *testing.T, bin, page string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), chromiumTimeout)
	defer cancel()
	dir := t.TempDir()
	all := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
		"--force-device-scale-factor=1", "--user-data-dir=" + filepath.Join(dir, "profile"),
		fmt.Sprintf("--window-size=%d,%d", shotWidth, shotHeight)}, args...)
	all = append(all, "file://"+page)
	cmd := exec.CommandContext(ctx, bin, all...)
	// Chromium writes its caches under HOME and XDG directories: keep them
	// in the test's directory.
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_CONFIG_HOME="+filepath.Join(dir, "config"),
		"XDG_CACHE_HOME="+filepath.Join(dir, "cache"))
	// Chromium's helper processes may hold the output pipes open after
	// the browser is killed; do not wait for them forever.
	cmd.WaitDelay = 10 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("chromium did not finish within %s\n%s", chromiumTimeout, tail(stderr.String()))
	}
	require.NoError(t, err, "chromium %s\n%s", strings.Join(all, " "), tail(stderr.String()))
	return stdout.Bytes()
}

func tail(s string) string {
	if len(s) > 4000 {
		return "..." + s[len(s)-4000:]
	}
	return s
}

// screenshot renders the page to a PNG and decodes it.
func screenshot(t *testing.T, bin, page string) image.Image {
	t.Helper()
	img, _ := renderPage(t, bin, page)
	return img
}

// renderPage renders the page to a PNG, decodes it, and returns it with the DOM
// Chromium built, from one run of Chromium.
func renderPage(t *testing.T, bin, page string) (image.Image, string) {
	t.Helper()
	shot := filepath.Join(t.TempDir(), "shot.png")
	dom := chromium(t, bin, page, "--screenshot="+shot, "--dump-dom")
	f, err := os.Open(shot)
	require.NoError(t, err, "chromium wrote no screenshot")
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	if dir := os.Getenv("PATCHKIT_SCREENSHOTS"); dir != "" {
		// Keep the picture for a person to look at.
		data, err := os.ReadFile(shot)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, filepath.Base(page)+".png"), data, 0o644))
	}
	return img, string(dom)
}

type rgb struct{ R, G, B uint8 }

func (c rgb) String() string { return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B) }

// countColors counts the pixels within a small distance of each colour.
func countColors(img image.Image, colors []rgb) map[rgb]int {
	const tol = 6
	near := func(a, b uint8) bool {
		d := int(a) - int(b)
		return d >= -tol && d <= tol
	}
	// Read the pixels' bytes, not one color.Color per pixel through At:
	// a 1280x1600 picture is two million of them.
	bounds := img.Bounds()
	m, ok := img.(*image.RGBA)
	if !ok {
		m = image.NewRGBA(bounds)
		draw.Draw(m, bounds, img, bounds.Min, draw.Src)
	}
	out := map[rgb]int{}
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		row := m.Pix[m.PixOffset(bounds.Min.X, y):m.PixOffset(bounds.Max.X, y)]
		for i := 0; i+3 < len(row); i += 4 {
			for _, c := range colors {
				if near(row[i], c.R) && near(row[i+1], c.G) && near(row[i+2], c.B) {
					out[c]++
					break
				}
			}
		}
	}
	return out
}

// The colours the pages draw with (render.go).
var (
	green  = rgb{0x1d, 0x81, 0x02} // compliant
	red    = rgb{0xd1, 0x32, 0x12} // non-compliant
	blue   = rgb{0x00, 0x73, 0xbb} // top missing bars
	orange = rgb{0xec, 0x72, 0x11} // HIGH, InstalledPendingReboot
	navy   = rgb{0x23, 0x2f, 0x3e} // the header
	amber  = rgb{0x8d, 0x66, 0x05} // unknown
)

// checkPicture says what is wrong with a screenshot: its size, or too few
// pixels of a colour the page must show.
func checkPicture(img image.Image, minPixels map[rgb]int) (map[rgb]int, error) {
	if b := img.Bounds(); b.Dx() != shotWidth || b.Dy() != shotHeight {
		return nil, fmt.Errorf("screenshot is %dx%d, want %dx%d", b.Dx(), b.Dy(), shotWidth, shotHeight)
	}
	var colors []rgb
	for c := range minPixels {
		colors = append(colors, c)
	}
	got := countColors(img, colors)
	var problems []string
	for _, c := range colors {
		if got[c] < minPixels[c] {
			problems = append(problems, fmt.Sprintf("%s: %d pixels, want at least %d", c, got[c], minPixels[c]))
		}
	}
	if problems != nil {
		return got, fmt.Errorf("the page did not render its charts: %s (pixels by colour: %v)", strings.Join(problems, "; "), got)
	}
	return got, nil
}

func writePage(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, data, 0o644))
	return path
}

// fleetPixels is about half of what the fleet page shows of each colour:
// the ring of 4 compliant, 8 non-compliant and 1 unknown nodes (radius 72,
// width 30: about 13,500 pixels) with its legend and the red count, the
// top missing bars, the HIGH columns, the header, and in amber the unknown
// count, its ring segment and the UNREADABLE column.
var fleetPixels = map[rgb]int{green: 2000, red: 4000, blue: 12000, orange: 4000, navy: 60000, amber: 5000}

func TestHTMLInChromium(t *testing.T) {
	testutil.Slow(t, "renders pages in Chromium")
	bin := testutil.NeedTool(t, "chromium", "chromium")
	reports := fixtureFleet(t)
	fleet := fixtureAggregate(t, reports)
	node := reports[0]

	t.Run("fleet", func(t *testing.T) {
		t.Parallel()
		var page bytes.Buffer
		require.NoError(t, fleet.WriteHTML(&page, "Patch compliance: example fleet"))
		path := writePage(t, "fleet.html", page.Bytes())

		img, dom := renderPage(t, bin, path)
		got, err := checkPicture(img, fleetPixels)
		require.NoError(t, err)
		t.Logf("pixels by colour: %v", got)

		for _, id := range []string{"chart-compliance", "chart-severity", "chart-repository-health", "chart-levels", "chart-top-missing"} {
			assert.Regexp(t, `<svg id="`+id+`"`, dom)
		}
		// Three ring segments; six severity columns, four health columns,
		// six level columns, ten top-missing bars.
		assert.Equal(t, 3, strings.Count(dom, `<circle class="seg"`))
		assert.Equal(t, 6+4+6+10, strings.Count(dom, `<g class="bar">`))
		assert.Contains(t, dom, `<div class="n unk">1</div><div class="l">Unknown nodes</div>`)
		assert.Equal(t, len(fleet.Groups), strings.Count(dom, `<tr class="group">`))
		assert.Equal(t, len(fleet.TopMissing), strings.Count(dom, `<tr class="missing">`))
		assert.Contains(t, dom, "openssl-libs.x86_64")
	})

	t.Run("node", func(t *testing.T) {
		t.Parallel()
		var page bytes.Buffer
		require.NoError(t, node.WriteHTML(&page))
		path := writePage(t, "node.html", page.Bytes())

		// The NON_COMPLIANT badge (red), the Installed bar (green), the two
		// pending-reboot patches' bar and the HIGH column (orange).
		img, dom := renderPage(t, bin, path)
		got, err := checkPicture(img, map[rgb]int{green: 1500, red: 1500, orange: 8000, navy: 60000})
		require.NoError(t, err)
		t.Logf("pixels by colour: %v", got)

		assert.Regexp(t, `<svg id="chart-states"`, dom)
		assert.Regexp(t, `<svg id="chart-levels"`, dom)
		assert.Equal(t, 8+6, strings.Count(dom, `<g class="bar">`))
		rows := regexp.MustCompile(`<tr class="item( nc)?">`).FindAllString(dom, -1)
		assert.Len(t, rows, len(node.Items))
		assert.Equal(t, 4, strings.Count(dom, `<tr class="item nc">`))
		assert.Contains(t, dom, "<span>CVE-2025-32462</span>, <span>CVE-2025-32463</span>")
	})

	t.Run("unknown node", func(t *testing.T) {
		t.Parallel()
		var page bytes.Buffer
		require.NoError(t, fixtureUnknownNode(t).WriteHTML(&page))
		path := writePage(t, "node-unknown.html", page.Bytes())

		// The UNKNOWN badge, the section's edge and its health cell in
		// amber; no red or green badge; the InstalledOther bar.
		img, dom := renderPage(t, bin, path)
		got, err := checkPicture(img, map[rgb]int{amber: 1100, navy: 60000, red: 0, green: 0})
		require.NoError(t, err)
		t.Logf("pixels by colour: %v", got)
		assert.Less(t, got[red], 50, "no NON_COMPLIANT badge, no red")
		assert.Less(t, got[green], 50, "no COMPLIANT badge, no green")

		assert.Contains(t, dom, `<span class="badge unk">UNKNOWN</span>`)
		assert.Contains(t, dom, `<section class="card unk" id="repositories">`)
		assert.Equal(t, 1, strings.Count(dom, `<tr class="repo">`))
		assert.Contains(t, dom, `<td class="health">UNREADABLE</td>`)
		assert.Contains(t, dom, "amazonlinux repodata/primary.xml.gz: has unexpected size (1048576 != 41822512)")
		assert.Equal(t, 8+6, strings.Count(dom, `<g class="bar">`))
	})

	// Chromium builds no element from what the reports say.
	t.Run("hostile node", func(t *testing.T) {
		t.Parallel()
		var page bytes.Buffer
		require.NoError(t, hostile(t).WriteHTML(&page))
		dom := strings.ToLower(string(chromium(t, bin, writePage(t, "hostile.html", page.Bytes()), "--dump-dom")))
		for _, bad := range []string{"<script", "<img", "<iframe", "onload=\"", "onmouseover=\""} {
			assert.NotContains(t, dom, bad)
		}
		assert.Contains(t, dom, "&lt;script&gt;alert(1)&lt;/script&gt;")
		assert.Equal(t, 2, strings.Count(dom, "<svg"), "the two charts only")
	})

	// The check itself fails on a page that does not render: a page whose
	// markup is cut off before the charts, and an empty page.
	t.Run("broken page fails the check", func(t *testing.T) {
		t.Parallel()
		var page bytes.Buffer
		require.NoError(t, fleet.WriteHTML(&page, "broken"))
		cut := page.Bytes()[:bytes.Index(page.Bytes(), []byte("<body>"))]
		for name, data := range map[string][]byte{"cut.html": cut, "empty.html": nil} {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				img := screenshot(t, bin, writePage(t, name, data))
				_, err := checkPicture(img, fleetPixels)
				assert.Error(t, err, name)
			})
		}
	})
}
