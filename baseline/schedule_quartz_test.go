package baseline

import (
	"bufio"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// quartzHorizon is the last year Quartz 2.3.2 searched when the fixture
// was made: CronExpression gives up after the current year + 100 (2026).
const quartzHorizon = 2126

var nearestW = regexp.MustCompile(`\b(\d+)W\b`)

// TestScheduleAgainstQuartz compares Next with the fire times Quartz 2.3.2
// (org.quartz.CronExpression, the scheduler whose syntax EventBridge and
// Systems Manager follow) computed on this machine for random expressions
// and instants in seven zones, and for the user guide's examples from
// instants around each zone's DST changes (testdata/schedule, made by
// QuartzNext.java; see testdata/SOURCES.md). Three differences are
// expected and checked for what they are:
//
//   - A wall-clock time that exists twice (clocks go back): both run it
//     once; patchkit at its first occurrence, Quartz at its second.
//   - nW where the month is shorter than n (31W in April): patchkit has no
//     run that month, as with a plain 31; Quartz runs on the month's last
//     day when that day is a Friday.
//   - Quartz does not search past 2126; patchkit searches to 2199, the end
//     of the Year field.
func TestScheduleAgainstQuartz(t *testing.T) {
	f, err := os.Open("testdata/schedule/quartz-2.3.2-next.tsv")
	require.NoError(t, err)
	defer f.Close()
	locs := map[string]*time.Location{}
	var lines, instants, repeated, shortW, horizon, dstDays int
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		cols := strings.Split(line, "\t")
		require.GreaterOrEqual(t, len(cols), 4, "line %d", n)
		expr, zone := cols[0], cols[1]
		if locs[zone] == nil {
			locs[zone] = mustLoc(t, zone)
		}
		loc := locs[zone]
		afterMs, err := strconv.ParseInt(cols[2], 10, 64)
		require.NoError(t, err, "line %d", n)
		var quartz []time.Time
		ended := false
		for _, v := range cols[3:] {
			if v == "none" {
				ended = true
				break
			}
			ms, err := strconv.ParseInt(v, 10, 64)
			require.NoError(t, err, "line %d", n)
			quartz = append(quartz, time.UnixMilli(ms))
		}
		// Drop Quartz's runs in months shorter than an nW day.
		if m := nearestW.FindStringSubmatch(expr); m != nil {
			day, _ := strconv.Atoi(m[1])
			kept := quartz[:0]
			for _, q := range quartz {
				w := civilOf(q.In(loc))
				if daysIn(w.y, w.mo) < day {
					shortW++
					continue
				}
				kept = append(kept, q)
			}
			quartz = kept
		}
		s, err := ParseSchedule(expr, MaintenanceWindow)
		require.NoError(t, err, "line %d: %s", n, expr)
		s = s.In(loc)
		want := len(quartz)
		if ended {
			want++
		}
		ours, err := s.NextN(time.UnixMilli(afterMs), want)
		if err != nil {
			require.ErrorIs(t, err, ErrNoNextRun, "line %d", n)
		}
		lines++
		for i, q := range quartz {
			instants++
			if d := q.In(loc); offsetAt(d.Year(), d.Month(), d.Day(), 0, loc) != offsetAt(d.Year(), d.Month(), d.Day(), 23, loc) {
				dstDays++
			}
			if !assert.Less(t, i, len(ours), "line %d: %s in %s: Quartz has %s, patchkit has no more runs", n, expr, zone, q.In(loc)) {
				break
			}
			o := ours[i]
			if o.Equal(q) {
				continue
			}
			wo, wq := civilOf(o.In(loc)), civilOf(q.In(loc))
			first, ok := firstInstant(wo, loc)
			if assert.Equal(t, wq, wo, "line %d: %s in %s run %d: Quartz %s, patchkit %s", n, expr, zone, i, q.In(loc), o.In(loc)) &&
				assert.True(t, ok && first.Equal(o) && q.After(o), "line %d: %s in %s: not the first occurrence", n, expr, zone) {
				repeated++
			}
		}
		if ended && len(ours) > len(quartz) {
			if assert.Greater(t, ours[len(quartz)].In(loc).Year(), quartzHorizon, "line %d: %s in %s: Quartz ends, patchkit runs at %s", n, expr, zone, ours[len(quartz)].In(loc)) {
				horizon++
			}
		}
	}
	require.NoError(t, sc.Err())
	t.Logf("%d expression/instant pairs, %d run times compared (%d on days the clocks change): %d at the other occurrence of a repeated wall-clock time, %d Quartz runs for nW in shorter months, %d runs past Quartz's horizon",
		lines, instants, dstDays, repeated, shortW, horizon)
	assert.Greater(t, lines, 4000)
	assert.Greater(t, repeated, 0) // the fixture does reach repeated hours
	assert.Greater(t, dstDays, 100)
}

func offsetAt(y int, m time.Month, d, h int, loc *time.Location) int {
	_, off := time.Date(y, m, d, h, 0, 0, 0, loc).Zone()
	return off
}
