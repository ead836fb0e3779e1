package baseline

import (
	"errors"
	"fmt"
	"iter"
	"math/bits"
	"time"
)

// ErrNoNextRun is returned (wrapped) by [Schedule.Next] and
// [Window.Next] when a schedule has no run after the given instant: an at()
// time that has passed, a cron Year range that has ended, a day that never
// comes (cron(0 0 30 2 ? *)), or a window's EndDate. The search never goes
// past the cron Year range (2199).
var ErrNoNextRun = errors.New("the schedule has no run after the given instant")

// In returns s evaluated in loc: a maintenance window's ScheduleTimezone.
// Cron and at times are wall-clock times in loc; rate schedules do not
// depend on it. nil means UTC. Associations run in UTC: [Schedule.Next]
// refuses an association schedule in another zone.
func (s Schedule) In(loc *time.Location) Schedule {
	if loc == nil {
		loc = time.UTC
	}
	s.loc = loc
	return s
}

// From returns s anchored at anchor: when the association or maintenance
// window was created (or the previous run, for a rate). A rate schedule
// runs at anchor, anchor+rate, anchor+2×rate, ... and needs an anchor. A
// cron or at schedule ignores every run whose cron time is at or before the
// anchor: with a [Schedule.WithOffset] offset, a cron day that passed
// before the anchor gives no run even when its offset day is still ahead.
// The zero time removes the anchor.
func (s Schedule) From(anchor time.Time) Schedule {
	s.anchor = anchor
	return s
}

// WithOffset returns s with a schedule offset: each run comes days (1 to 6)
// calendar days after the cron time, at the same wall-clock time in the
// schedule's zone. 0 removes the offset. Only cron schedules take one.
func (s Schedule) WithOffset(days int) (Schedule, error) {
	if s.kind != Cron && days != 0 {
		return Schedule{}, &ScheduleError{Expression: s.expr, Field: "ScheduleOffset", Reason: fmt.Sprintf("only cron schedules take an offset, not %s", s.kind)}
	}
	if days < 0 || days > 6 {
		return Schedule{}, &ScheduleError{Expression: s.expr, Field: "ScheduleOffset", Reason: fmt.Sprintf("%d days; an offset is 1 to 6 days", days)}
	}
	s.offset = days
	return s, nil
}

// String returns the expression.
func (s Schedule) String() string { return s.expr }

// Kind returns the form of the expression.
func (s Schedule) Kind() ScheduleKind { return s.kind }

// Target returns what the schedule was parsed for.
func (s Schedule) Target() ScheduleTarget { return s.target }

// Location returns the zone the schedule is evaluated in (UTC unless set
// with [Schedule.In]).
func (s Schedule) Location() *time.Location {
	if s.loc == nil {
		return time.UTC
	}
	return s.loc
}

// Interval returns the period of a rate schedule and 0 for the others.
func (s Schedule) Interval() time.Duration { return s.rate }

// Offset returns the schedule offset in days (0: none).
func (s Schedule) Offset() int { return s.offset }

// Next returns the first run strictly after after.
//
// Cron and at times are wall-clock times in the schedule's zone
// ([Schedule.In]). A wall-clock time that does not exist there (skipped
// when clocks go forward) gives no run; one that exists twice (clocks go
// back) gives one run, at its first occurrence. Rates count exact
// durations from the anchor ([Schedule.From]): a day is 24 hours, whatever
// the zone.
//
// The time returned is in the schedule's zone. The error wraps
// [ErrNoNextRun] when there is no such run, and is a
// *[ScheduleError] when the schedule cannot be evaluated (a rate without an
// anchor, an association outside UTC, the zero Schedule).
func (s Schedule) Next(after time.Time) (time.Time, error) {
	loc := s.Location()
	fail := func(reason string) error {
		return &ScheduleError{Expression: s.expr, Reason: reason}
	}
	if s.target == Association && loc != time.UTC && loc.String() != "UTC" {
		return time.Time{}, fail(fmt.Sprintf("associations run in UTC, not %s", loc))
	}
	none := func() error {
		return fmt.Errorf("schedule %q: after %s: %w", s.expr, after.In(loc).Format(time.RFC3339), ErrNoNextRun)
	}
	switch s.kind {
	case Rate:
		if s.anchor.IsZero() {
			return time.Time{}, fail("a rate schedule needs an anchor (From): its creation or its previous run")
		}
		t, ok := nextRate(s.anchor, s.rate, after)
		if !ok {
			return time.Time{}, none()
		}
		return t.In(loc), nil
	case At:
		t, ok := firstInstant(s.at, loc)
		if !ok || !t.After(after) || (!s.anchor.IsZero() && !t.After(s.anchor)) {
			return time.Time{}, none()
		}
		return t, nil
	case Cron:
		t, ok := s.nextCron(after, loc)
		if !ok {
			return time.Time{}, none()
		}
		return t, nil
	}
	return time.Time{}, fail("not a parsed schedule (use ParseSchedule)")
}

// NextN returns the next n runs strictly after after, in order. When the
// schedule ends sooner it returns the runs it found and an error wrapping
// [ErrNoNextRun].
func (s Schedule) NextN(after time.Time, n int) ([]time.Time, error) {
	var out []time.Time
	for range n {
		t, err := s.Next(after)
		if err != nil {
			return out, err
		}
		out = append(out, t)
		after = t
	}
	return out, nil
}

// Runs yields the runs strictly after after, in order, until the schedule
// ends (a cron schedule ends in 2199 at the latest; a rate never does, so
// stop the loop yourself). An error other than the end of the schedule is
// yielded once with the zero time, and ends the sequence.
func (s Schedule) Runs(after time.Time) iter.Seq2[time.Time, error] {
	return func(yield func(time.Time, error) bool) {
		for {
			t, err := s.Next(after)
			if errors.Is(err, ErrNoNextRun) {
				return
			}
			if err != nil {
				yield(time.Time{}, err)
				return
			}
			if !yield(t, nil) {
				return
			}
			after = t
		}
	}
}

// nextRate returns the first anchor + k×rate (k ≥ 0) after after.
func nextRate(anchor time.Time, rate time.Duration, after time.Time) (time.Time, bool) {
	if anchor.After(after) {
		return anchor, true
	}
	step := int64(rate / time.Second) // rates are whole minutes
	k := (after.Unix()-anchor.Unix())/step + 1
	for range 3 {
		if k > 0 && k > (1<<62)/step {
			return time.Time{}, false
		}
		t := time.Unix(anchor.Unix()+k*step, int64(anchor.Nanosecond()))
		prev := time.Unix(anchor.Unix()+(k-1)*step, int64(anchor.Nanosecond()))
		switch {
		case !t.After(after):
			k++
		case k > 1 && prev.After(after):
			k--
		default:
			return t, true
		}
	}
	return time.Time{}, false
}

// nextCron returns the first run of a cron schedule after after.
//
// The first occurrence of a wall-clock time grows with the wall-clock
// time, so no wall-clock time at or before that of after can give a run
// after it; the search starts one second later (and the offset earlier),
// and skips the few times that repeat an hour already past.
func (s Schedule) nextCron(after time.Time, loc *time.Location) (time.Time, bool) {
	w := civilOf(after.In(loc)).addDays(-s.offset)
	var anchor civil
	hasAnchor := !s.anchor.IsZero()
	if hasAnchor {
		anchor = civilOf(s.anchor.In(loc))
		if w.before(anchor) {
			w = anchor
		}
	}
	w = w.addSeconds(1)
	for {
		c, ok := s.cron.nextWall(w)
		if !ok {
			return time.Time{}, false
		}
		w = c.addSeconds(1)
		if hasAnchor && !anchor.before(c) {
			continue
		}
		t, ok := firstInstant(c.addDays(s.offset), loc)
		if ok && t.After(after) {
			return t, true
		}
	}
}

// cronSpec is a parsed cron expression.
type cronSpec struct {
	seconds, minutes, hours, months bitset
	years                           bitset // year-1970
	byWeekday                       bool   // Day-of-month is "?"
	dom, dow                        fieldItems
}

// nextWall returns the first wall-clock time at or after from that the
// expression selects, or false when there is none before the end of 2199.
func (c *cronSpec) nextWall(from civil) (civil, bool) {
	w := from
	if w.y < 1970 {
		w = civil{y: 1970, mo: 1, d: 1}
	}
	for w.y <= 2199 {
		if !c.years.has(w.y - 1970) {
			y, ok := c.years.next(w.y - 1970 + 1)
			if !ok {
				return civil{}, false
			}
			w = civil{y: y + 1970, mo: 1, d: 1}
			continue
		}
		if !c.months.has(w.mo) {
			m, ok := c.months.next(w.mo + 1)
			if !ok || m > 12 {
				w = civil{y: w.y + 1, mo: 1, d: 1}
			} else {
				w = civil{y: w.y, mo: m, d: 1}
			}
			continue
		}
		dim := daysIn(w.y, w.mo)
		if w.d > dim || !c.monthPossible(dim) {
			w = civil{y: w.y, mo: w.mo + 1, d: 1}
			if w.mo > 12 {
				w = civil{y: w.y + 1, mo: 1, d: 1}
			}
			continue
		}
		if !c.dayMatches(w.y, w.mo, w.d, dim) {
			w = civil{y: w.y, mo: w.mo, d: w.d + 1}
			continue
		}
		h, ok := c.hours.next(w.h)
		if !ok || h > 23 {
			w = civil{y: w.y, mo: w.mo, d: w.d + 1}
			continue
		}
		if h != w.h {
			w.h, w.mi, w.s = h, 0, 0
		}
		m, ok := c.minutes.next(w.mi)
		if !ok || m > 59 {
			w.h, w.mi, w.s = w.h+1, 0, 0
			if w.h > 23 {
				w = civil{y: w.y, mo: w.mo, d: w.d + 1}
			}
			continue
		}
		if m != w.mi {
			w.mi, w.s = m, 0
		}
		sec, ok := c.seconds.next(w.s)
		if !ok || sec > 59 {
			w.mi, w.s = w.mi+1, 0
			if w.mi > 59 {
				w.h, w.mi = w.h+1, 0
				if w.h > 23 {
					w = civil{y: w.y, mo: w.mo, d: w.d + 1}
				}
			}
			continue
		}
		w.s = sec
		return w, true
	}
	return civil{}, false
}

// monthPossible reports whether a month of dim days can hold a run; it
// lets the search step over months such as February for "30".
func (c *cronSpec) monthPossible(dim int) bool {
	if c.byWeekday || c.dom.last || c.dom.lastWeekday {
		return true
	}
	v, ok := c.dom.values.next(1)
	n, okN := c.dom.nearest.next(1)
	return (ok && v <= dim) || (okN && n <= dim)
}

// matches reports whether the expression selects the wall-clock time w.
func (c *cronSpec) matches(w civil) bool {
	return w.y >= 1970 && w.y <= 2199 && c.years.has(w.y-1970) && c.months.has(w.mo) &&
		c.dayMatches(w.y, w.mo, w.d, daysIn(w.y, w.mo)) &&
		c.hours.has(w.h) && c.minutes.has(w.mi) && c.seconds.has(w.s)
}

// dayMatches applies the day field that is not "?" to y-m-d.
func (c *cronSpec) dayMatches(y, m, d, dim int) bool {
	if !c.byWeekday {
		p := &c.dom
		if p.values.has(d) || (p.last && d == dim) {
			return true
		}
		if p.lastWeekday && d == lastWeekday(y, m, dim) {
			return true
		}
		for n := range p.nearest.all() {
			if nearestWeekday(y, m, n, dim) == d {
				return true
			}
		}
		return false
	}
	p := &c.dow
	wd := weekday(y, m, d) + 1 // 1 = Sunday
	return p.values.has(wd) ||
		(p.lastOf.has(wd) && d+7 > dim) ||
		p.nth[wd]&(1<<((d-1)/7+1)) != 0
}

// nearestWeekday is the day of "nW": the weekday (Monday to Friday)
// nearest day n in the same month; 0 when the month has no day n.
func nearestWeekday(y, m, n, dim int) int {
	if n > dim {
		return 0
	}
	switch weekday(y, m, n) {
	case 6: // Saturday: the Friday before, or Monday the 3rd
		if n == 1 {
			return 3
		}
		return n - 1
	case 0: // Sunday: the Monday after, or the Friday before at month end
		if n == dim {
			return n - 2
		}
		return n + 1
	}
	return n
}

// lastWeekday is the day of "LW": the last Monday-to-Friday of the month.
func lastWeekday(y, m, dim int) int {
	switch weekday(y, m, dim) {
	case 6:
		return dim - 1
	case 0:
		return dim - 2
	}
	return dim
}

// bitset holds small non-negative integers (up to 255).
type bitset [4]uint64

func (b *bitset) set(i int) {
	if i >= 0 && i < 256 {
		b[i>>6] |= 1 << (i & 63)
	}
}

func (b *bitset) has(i int) bool {
	return i >= 0 && i < 256 && b[i>>6]&(1<<(i&63)) != 0
}

// next returns the smallest member at or above i.
func (b *bitset) next(i int) (int, bool) {
	if i < 0 {
		i = 0
	}
	for w := i >> 6; w < 4; w++ {
		word := b[w]
		if w == i>>6 {
			word &^= (1 << (i & 63)) - 1
		}
		if word != 0 {
			return w<<6 + bits.TrailingZeros64(word), true
		}
	}
	return 0, false
}

func (b *bitset) count() int {
	return bits.OnesCount64(b[0]) + bits.OnesCount64(b[1]) + bits.OnesCount64(b[2]) + bits.OnesCount64(b[3])
}

// all yields the members in order.
func (b *bitset) all() iter.Seq[int] {
	return func(yield func(int) bool) {
		for i, ok := b.next(0); ok; i, ok = b.next(i + 1) {
			if !yield(i) {
				return
			}
		}
	}
}

// civil is a wall-clock date and time, in no zone.
type civil struct{ y, mo, d, h, mi, s int }

func civilOf(t time.Time) civil {
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	return civil{y, int(mo), d, h, mi, s}
}

func (c civil) before(o civil) bool {
	a := [6]int{c.y, c.mo, c.d, c.h, c.mi, c.s}
	b := [6]int{o.y, o.mo, o.d, o.h, o.mi, o.s}
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}

// unix returns the seconds of c read as UTC.
func (c civil) unix() int64 {
	return daysFromCivil(c.y, c.mo, c.d)*86400 + int64(c.h*3600+c.mi*60+c.s)
}

func civilFromUnix(u int64) civil {
	days := u / 86400
	secs := u % 86400
	if secs < 0 {
		secs += 86400
		days--
	}
	y, m, d := civilFromDays(days)
	return civil{y, m, d, int(secs / 3600), int(secs / 60 % 60), int(secs % 60)}
}

func (c civil) addDays(n int) civil {
	if n == 0 {
		return c
	}
	y, m, d := civilFromDays(daysFromCivil(c.y, c.mo, c.d) + int64(n))
	c.y, c.mo, c.d = y, m, d
	return c
}

func (c civil) addSeconds(n int) civil { return civilFromUnix(c.unix() + int64(n)) }

// firstInstant returns the first instant whose wall clock in loc is c, or
// false when c does not exist there (a gap where clocks go forward).
func firstInstant(c civil, loc *time.Location) (time.Time, bool) {
	u := c.unix()
	var offsets [5]int
	n := 0
	for _, probe := range [...]int64{-2 * 86400, -86400, 0, 86400, 2 * 86400} {
		_, off := time.Unix(u+probe, 0).In(loc).Zone()
		seen := false
		for _, o := range offsets[:n] {
			seen = seen || o == off
		}
		if !seen {
			offsets[n] = off
			n++
		}
	}
	var best time.Time
	found := false
	for _, off := range offsets[:n] {
		t := time.Unix(u-int64(off), 0).In(loc)
		if civilOf(t) == c && (!found || t.Before(best)) {
			best, found = t, true
		}
	}
	return best, found
}

// daysFromCivil returns the days since 1970-01-01 of a proleptic Gregorian
// date (the algorithm of H. Hinnant's "chrono-compatible low-level date
// algorithms").
func daysFromCivil(y, m, d int) int64 {
	yy := int64(y)
	if m <= 2 {
		yy--
	}
	era := yy / 400
	if yy < 0 && yy%400 != 0 {
		era = (yy - 399) / 400
	}
	yoe := yy - era*400
	mp := int64((m + 9) % 12)
	doy := (153*mp+2)/5 + int64(d) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

func civilFromDays(z int64) (int, int, int) {
	z += 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era = (z - 146096) / 146097
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	return int(y), int(m), int(d)
}

// weekday returns 0 for Sunday to 6 for Saturday.
func weekday(y, m, d int) int {
	w := (daysFromCivil(y, m, d) + 4) % 7 // 1970-01-01 was a Thursday
	if w < 0 {
		w += 7
	}
	return int(w)
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
