package baseline

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/patchkit/patchkit"
)

// ScheduleTarget says what a schedule expression is for; associations
// (patch policies, State Manager) accept less than maintenance windows.
type ScheduleTarget uint8

// Schedule targets.
const (
	MaintenanceWindow ScheduleTarget = iota + 1
	Association
)

// ScheduleError reports a cron, rate or at expression Systems Manager
// would refuse, or a schedule used in a way it cannot be (a rate without an
// anchor, an offset on a rate). It matches patchkit.ErrInvalid.
type ScheduleError struct {
	Expression string
	Field      string // the cron field ("Minutes", "Day-of-week", ...), if any
	Reason     string
}

func (e *ScheduleError) Error() string {
	s := fmt.Sprintf("schedule %q: ", e.Expression)
	if e.Field != "" {
		s += e.Field + ": "
	}
	return s + e.Reason
}

// Is reports whether target is patchkit.ErrInvalid.
func (e *ScheduleError) Is(target error) bool { return target == patchkit.ErrInvalid }

// ScheduleKind is the form of a schedule expression.
type ScheduleKind uint8

// Schedule kinds.
const (
	Cron ScheduleKind = iota + 1 // cron(...)
	Rate                         // rate(value unit)
	At                           // at(yyyy-mm-ddThh:mm:ss), maintenance windows only
)

func (k ScheduleKind) String() string {
	switch k {
	case Cron:
		return "cron"
	case Rate:
		return "rate"
	case At:
		return "at"
	}
	return fmt.Sprintf("ScheduleKind(%d)", k)
}

// Schedule is a parsed cron, rate or at expression. The zero value is not
// a schedule; get one from [ParseSchedule]. A Schedule is an immutable
// value: [Schedule.In], [Schedule.From] and [Schedule.WithOffset] return
// changed copies. It computes run times ([Schedule.Next], [Schedule.NextN],
// [Schedule.Runs]) without reading a clock: the instant to start from is a
// parameter.
type Schedule struct {
	expr   string
	target ScheduleTarget
	kind   ScheduleKind
	cron   *cronSpec     // Cron
	rate   time.Duration // Rate
	at     civil         // At: a wall-clock time in loc
	loc    *time.Location
	anchor time.Time
	offset int // days after each cron time, 0 to 6
}

// ValidateSchedule checks a schedule expression as Systems Manager does
// (docs/semantics.md §11): cron(fields), rate(value unit) and, for
// maintenance windows, at(yyyy-mm-ddThh:mm:ss). Cron has six fields
// (Minutes Hours Day-of-month Month Day-of-week Year) or seven with Seconds
// first; exactly one of the day fields is "?"; nothing may fire more often
// than every 5 minutes. Associations also need Month "*", Seconds 0, and at
// least 30 minutes between runs (rate: from 30 minutes to under 31 days).
// It is [ParseSchedule] without the result.
func ValidateSchedule(expr string, target ScheduleTarget) error {
	_, err := ParseSchedule(expr, target)
	return err
}

// ParseSchedule parses and validates a schedule expression for target, with
// the rules of [ValidateSchedule]. The result runs in UTC, has no anchor and
// no offset; see [Schedule.In], [Schedule.From] and [Schedule.WithOffset].
// An expression that is valid but never fires (cron(0 0 30 2 ? *), a Year
// range that has passed) parses: [Schedule.Next] answers [ErrNoNextRun].
func ParseSchedule(expr string, target ScheduleTarget) (Schedule, error) {
	fail := func(field, format string, a ...any) error {
		return &ScheduleError{Expression: expr, Field: field, Reason: fmt.Sprintf(format, a...)}
	}
	s := Schedule{expr: expr, target: target, loc: time.UTC}
	if target != MaintenanceWindow && target != Association {
		return Schedule{}, fail("", "unknown schedule target %d", target)
	}
	if n := len(expr); n < 1 || n > 256 {
		return Schedule{}, fail("", "%d characters, 1 to 256 allowed", n)
	}
	minGap := 5
	if target == Association {
		minGap = 30
	}
	var err error
	switch {
	case strings.HasPrefix(expr, "rate(") && strings.HasSuffix(expr, ")"):
		s.kind = Rate
		s.rate, err = parseRate(expr[5:len(expr)-1], target, fail)
	case strings.HasPrefix(expr, "at(") && strings.HasSuffix(expr, ")"):
		s.kind = At
		if target == Association {
			return Schedule{}, fail("", "at() is for maintenance windows only")
		}
		t, perr := time.Parse("2006-01-02T15:04:05", expr[3:len(expr)-1])
		if perr != nil {
			return Schedule{}, fail("", "not at(yyyy-mm-ddThh:mm:ss)")
		}
		s.at = civilOf(t)
	case strings.HasPrefix(expr, "cron(") && strings.HasSuffix(expr, ")"):
		s.kind = Cron
		s.cron, err = parseCron(expr[5:len(expr)-1], target, minGap, fail)
	default:
		return Schedule{}, fail("", "not cron(...), rate(...) or at(...)")
	}
	if err != nil {
		return Schedule{}, err
	}
	return s, nil
}

func parseRate(inner string, target ScheduleTarget, fail func(string, string, ...any) error) (time.Duration, error) {
	f := strings.Fields(inner)
	if len(f) != 2 || strings.Join(f, " ") != inner {
		return 0, fail("", "a rate is rate(value unit)")
	}
	n, err := strconv.Atoi(f[0])
	if err != nil || n < 1 || f[0][0] == '0' {
		return 0, fail("", "the value %q is not a positive integer", f[0])
	}
	var unit time.Duration
	switch strings.TrimSuffix(f[1], "s") {
	case "minute":
		unit = time.Minute
	case "hour":
		unit = time.Hour
	case "day":
		unit = 24 * time.Hour
	default:
		return 0, fail("", "unknown unit %q (minute(s), hour(s), day(s))", f[1])
	}
	if plural := strings.HasSuffix(f[1], "s"); plural == (n == 1) {
		return 0, fail("", "the unit is singular for 1 and plural otherwise: not %q with %d", f[1], n)
	}
	// 256 characters hold values far beyond any duration; the longest rate
	// anyone accepts is under 31 days (associations) and a window's rate
	// is kept below 200 years so that anchor + k×rate stays representable.
	if int64(n) > int64(200*366*24*time.Hour/unit) {
		return 0, fail("", "the value %d is too large", n)
	}
	d := time.Duration(n) * unit
	if target == Association && (d < 30*time.Minute || d >= 31*24*time.Hour) {
		return 0, fail("", "an association's rate is from 30 minutes to under 31 days, not %s", d)
	}
	if d < 5*time.Minute {
		return 0, fail("", "runs more often than every 5 minutes")
	}
	return d, nil
}

// cronField describes one field: its name, range, names and the special
// characters it allows.
type cronField struct {
	name     string
	lo, hi   int
	names    []string // names[i] is value lo+i
	specials string
}

var (
	secondsField = cronField{"Seconds", 0, 59, nil, ",-*/"}
	cronFields   = []cronField{
		{"Minutes", 0, 59, nil, ",-*/"},
		{"Hours", 0, 23, nil, ",-*/"},
		{"Day-of-month", 1, 31, nil, ",-*?/LW"},
		{"Month", 1, 12, []string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}, ",-*/"},
		{"Day-of-week", 1, 7, []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}, ",-*?/L#"},
		{"Year", 1970, 2199, nil, ",-*/"},
	}
)

// Cron field indexes in cronFields.
const (
	fMinutes = iota
	fHours
	fDayOfMonth
	fMonth
	fDayOfWeek
	fYear
)

func parseCron(inner string, target ScheduleTarget, minGap int, fail func(string, string, ...any) error) (*cronSpec, error) {
	fields := strings.Fields(inner)
	c := &cronSpec{}
	switch len(fields) {
	case 6:
		c.seconds.set(0)
	case 7:
		p, err := parseField(secondsField, fields[0])
		if err != nil {
			return nil, fail(secondsField.name, "%v", err)
		}
		if target == Association && (p.values.count() != 1 || !p.values.has(0)) {
			return nil, fail(secondsField.name, "associations allow only 0")
		}
		c.seconds = p.values
		fields = fields[1:]
	default:
		return nil, fail("", "%d fields; a cron expression has 6 (or 7 with seconds first)", len(fields))
	}
	parsed := make([]fieldItems, len(cronFields))
	for i, f := range cronFields {
		v := fields[i]
		if v == "?" {
			if i != fDayOfMonth && i != fDayOfWeek {
				return nil, fail(f.name, `"?" is for the day fields only`)
			}
			continue
		}
		p, err := parseField(f, v)
		if err != nil {
			return nil, fail(f.name, "%v", err)
		}
		parsed[i] = p
	}
	dom, dow := fields[fDayOfMonth], fields[fDayOfWeek]
	switch {
	case dom == "?" && dow == "?":
		return nil, fail("", "only one of Day-of-month and Day-of-week may be ?")
	case dom != "?" && dow != "?":
		return nil, fail("", "Day-of-month and Day-of-week cannot both hold values; one must be ?")
	}
	if target == Association && fields[fMonth] != "*" {
		return nil, fail("Month", "associations need *")
	}
	if c.seconds.count() > 1 {
		return nil, fail("", "runs more often than every 5 minutes")
	}
	c.minutes = parsed[fMinutes].values
	c.hours = parsed[fHours].values
	c.months = parsed[fMonth].values
	c.years = parsed[fYear].values // offsets from 1970
	c.byWeekday = dom == "?"
	c.dom = parsed[fDayOfMonth]
	c.dow = parsed[fDayOfWeek]

	// The smallest gap between two runs on one day (or across midnight).
	var times []int
	for h := range c.hours.all() {
		for m := range c.minutes.all() {
			times = append(times, h*60+m)
		}
	}
	gap := 24 * 60
	for i := 1; i < len(times); i++ {
		gap = min(gap, times[i]-times[i-1])
	}
	if len(times) > 1 {
		gap = min(gap, times[0]+24*60-times[len(times)-1])
	}
	if gap < minGap {
		return nil, fail("", "runs %d minutes apart; at least %d are needed", gap, minGap)
	}
	return c, nil
}

// fieldItems is one parsed cron field: plain values, and the items that
// depend on the month (L, W, #).
type fieldItems struct {
	values bitset // plain values; the Year field stores year-1970

	last        bool   // Day-of-month L
	lastWeekday bool   // Day-of-month LW
	nearest     bitset // Day-of-month nW: the days n
	lastOf      bitset // Day-of-week nL: the weekdays n (1 = Sunday)
	nth         [8]uint8
	// nth[d] has bit k set for Day-of-week d#k (k 1 to 5).
}

// parseField reads one cron field (not "?").
func parseField(f cronField, v string) (fieldItems, error) {
	var p fieldItems
	base := 0
	if f.lo >= 1970 {
		base = f.lo
	}
	for item := range strings.SplitSeq(v, ",") {
		if item == "" {
			return p, fmt.Errorf("empty list item in %q", v)
		}
		// Names hold L and W (JUL, WED): an item is special only when it is
		// not a plain value, range or increment.
		err := p.plain(f, item, base)
		if err != nil && strings.ContainsAny(item, "LW#") {
			err = p.special(f, item)
		}
		if err != nil {
			return p, err
		}
	}
	return p, nil
}

// plain reads a value, a range or an increment into p.values.
func (p *fieldItems) plain(f cronField, item string, base int) error {
	rng, step, hasStep := strings.Cut(item, "/")
	lo, hi := f.lo, f.hi
	switch {
	case rng == "*":
	case strings.Contains(rng, "-"):
		a, b, _ := strings.Cut(rng, "-")
		var err error
		if lo, err = f.value(a); err != nil {
			return err
		}
		if hi, err = f.value(b); err != nil {
			return err
		}
		if lo > hi {
			return fmt.Errorf("range %q runs backwards", rng)
		}
	default:
		n, err := f.value(rng)
		if err != nil {
			return err
		}
		lo = n
		if !hasStep {
			hi = n
		}
	}
	inc := 1
	if hasStep {
		if !strings.Contains(f.specials, "/") {
			return fmt.Errorf("%q does not allow /", f.name)
		}
		s, err := strconv.Atoi(step)
		if err != nil || s < 1 {
			return fmt.Errorf("step %q is not a positive integer", step)
		}
		inc = s
	}
	for x := lo; x <= hi; x += inc {
		p.values.set(x - base)
		if inc > hi-x {
			break // no overflow with a huge step
		}
	}
	return nil
}

// value reads one number or name of the field.
func (f cronField) value(s string) (int, error) {
	for i, n := range f.names {
		if strings.EqualFold(n, s) {
			return f.lo + i, nil
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a value", s)
	}
	if n < f.lo || n > f.hi {
		return 0, fmt.Errorf("%d is outside %d..%d", n, f.lo, f.hi)
	}
	return n, nil
}

// special reads L, W and # items: "L", "3W", "LW" in Day-of-month; "L"
// (Saturday, the last day of the week), "6L", "5#3", "TUE#3" in
// Day-of-week.
func (p *fieldItems) special(f cronField, item string) error {
	switch f.name {
	case "Day-of-month":
		switch {
		case item == "L":
			p.last = true
			return nil
		case item == "LW":
			p.lastWeekday = true
			return nil
		case strings.HasSuffix(item, "W"):
			d, err := f.value(strings.TrimSuffix(item, "W"))
			if err != nil {
				return err
			}
			p.nearest.set(d)
			return nil
		}
	case "Day-of-week":
		switch {
		case item == "L":
			p.values.set(7)
			return nil
		case strings.HasSuffix(item, "L"):
			d, err := f.value(strings.TrimSuffix(item, "L"))
			if err != nil {
				return err
			}
			p.lastOf.set(d)
			return nil
		case strings.Contains(item, "#"):
			ds, ns, _ := strings.Cut(item, "#")
			d, err := f.value(ds)
			if err != nil {
				return err
			}
			k, err := strconv.Atoi(ns)
			if err != nil || k < 1 || k > 5 {
				return fmt.Errorf("%q: the week after # is 1 to 5", item)
			}
			p.nth[d] |= 1 << k
			return nil
		}
	}
	return fmt.Errorf("%q is not allowed in %s", item, f.name)
}
