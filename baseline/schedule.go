package baseline

import (
	"fmt"
	"sort"
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
// would refuse. It matches patchkit.ErrInvalid.
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

// ValidateSchedule checks a schedule expression as Systems Manager does
// (docs/semantics.md §11): cron(fields), rate(value unit) and, for
// maintenance windows, at(yyyy-mm-ddThh:mm:ss). Cron has six fields
// (Minutes Hours Day-of-month Month Day-of-week Year) or seven with Seconds
// first; exactly one of the day fields is "?"; nothing may fire more often
// than every 5 minutes. Associations also need Month "*", Seconds 0, and at
// least 30 minutes between runs (rate: from 30 minutes to under 31 days).
func ValidateSchedule(expr string, target ScheduleTarget) error {
	fail := func(field, format string, a ...any) error {
		return &ScheduleError{Expression: expr, Field: field, Reason: fmt.Sprintf(format, a...)}
	}
	if target != MaintenanceWindow && target != Association {
		return fail("", "unknown schedule target %d", target)
	}
	if n := len(expr); n < 1 || n > 256 {
		return fail("", "%d characters, 1 to 256 allowed", n)
	}
	minGap := 5
	if target == Association {
		minGap = 30
	}
	switch {
	case strings.HasPrefix(expr, "rate(") && strings.HasSuffix(expr, ")"):
		return validateRate(expr, expr[5:len(expr)-1], target, fail)
	case strings.HasPrefix(expr, "at(") && strings.HasSuffix(expr, ")"):
		if target == Association {
			return fail("", "at() is for maintenance windows only")
		}
		if _, err := time.Parse("2006-01-02T15:04:05", expr[3:len(expr)-1]); err != nil {
			return fail("", "not at(yyyy-mm-ddThh:mm:ss)")
		}
		return nil
	case strings.HasPrefix(expr, "cron(") && strings.HasSuffix(expr, ")"):
		return validateCron(expr[5:len(expr)-1], target, minGap, fail)
	}
	return fail("", "not cron(...), rate(...) or at(...)")
}

func validateRate(expr, inner string, target ScheduleTarget, fail func(string, string, ...any) error) error {
	f := strings.Fields(inner)
	if len(f) != 2 || strings.Join(f, " ") != inner {
		return fail("", "a rate is rate(value unit)")
	}
	n, err := strconv.Atoi(f[0])
	if err != nil || n < 1 || f[0][0] == '0' {
		return fail("", "the value %q is not a positive integer", f[0])
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
		return fail("", "unknown unit %q (minute(s), hour(s), day(s))", f[1])
	}
	if plural := strings.HasSuffix(f[1], "s"); plural == (n == 1) {
		return fail("", "the unit is singular for 1 and plural otherwise: not %q with %d", f[1], n)
	}
	d := time.Duration(n) * unit
	if target == Association && (d < 30*time.Minute || d >= 31*24*time.Hour) {
		return fail("", "an association's rate is from 30 minutes to under 31 days, not %s", d)
	}
	if d < 5*time.Minute {
		return fail("", "runs more often than every 5 minutes")
	}
	return nil
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

func validateCron(inner string, target ScheduleTarget, minGap int, fail func(string, string, ...any) error) error {
	fields := strings.Fields(inner)
	var seconds []int
	switch len(fields) {
	case 6:
		seconds = []int{0}
	case 7:
		s, err := expand(secondsField, fields[0])
		if err != nil {
			return fail(secondsField.name, "%v", err)
		}
		if target == Association && (len(s) != 1 || s[0] != 0) {
			return fail(secondsField.name, "associations allow only 0")
		}
		seconds = s
		fields = fields[1:]
	default:
		return fail("", "%d fields; a cron expression has 6 (or 7 with seconds first)", len(fields))
	}
	sets := make([][]int, len(cronFields))
	for i, f := range cronFields {
		v := fields[i]
		if v == "?" {
			if f.name != "Day-of-month" && f.name != "Day-of-week" {
				return fail(f.name, `"?" is for the day fields only`)
			}
			continue
		}
		s, err := expand(f, v)
		if err != nil {
			return fail(f.name, "%v", err)
		}
		sets[i] = s
	}
	dom, dow := fields[2], fields[4]
	switch {
	case dom == "?" && dow == "?":
		return fail("", "only one of Day-of-month and Day-of-week may be ?")
	case dom != "?" && dow != "?":
		return fail("", "Day-of-month and Day-of-week cannot both hold values; one must be ?")
	}
	if target == Association && fields[3] != "*" {
		return fail("Month", "associations need *")
	}
	if len(seconds) > 1 {
		return fail("", "runs more often than every 5 minutes")
	}
	// The smallest gap between two runs on one day (or across midnight).
	var times []int
	for _, h := range sets[1] {
		for _, m := range sets[0] {
			times = append(times, h*60+m)
		}
	}
	sort.Ints(times)
	gap := 24 * 60
	for i := 1; i < len(times); i++ {
		gap = min(gap, times[i]-times[i-1])
	}
	if len(times) > 1 {
		gap = min(gap, times[0]+24*60-times[len(times)-1])
	}
	if gap < minGap {
		return fail("", "runs %d minutes apart; at least %d are needed", gap, minGap)
	}
	return nil
}

// expand returns the values a cron field selects. L, W and # (which depend
// on the month) are checked for form and stand for no specific value.
func expand(f cronField, v string) ([]int, error) {
	seen := map[int]bool{}
	for _, item := range strings.Split(v, ",") {
		if item == "" {
			return nil, fmt.Errorf("empty list item in %q", v)
		}
		if strings.ContainsAny(item, "LW#") {
			if err := special(f, item); err != nil {
				return nil, err
			}
			continue
		}
		rng, step, hasStep := strings.Cut(item, "/")
		lo, hi := f.lo, f.hi
		switch {
		case rng == "*":
		case strings.Contains(rng, "-"):
			a, b, _ := strings.Cut(rng, "-")
			var err error
			if lo, err = f.value(a); err != nil {
				return nil, err
			}
			if hi, err = f.value(b); err != nil {
				return nil, err
			}
			if lo > hi {
				return nil, fmt.Errorf("range %q runs backwards", rng)
			}
		default:
			n, err := f.value(rng)
			if err != nil {
				return nil, err
			}
			lo = n
			if !hasStep {
				hi = n
			}
		}
		inc := 1
		if hasStep {
			if !strings.Contains(f.specials, "/") {
				return nil, fmt.Errorf("%q does not allow /", f.name)
			}
			s, err := strconv.Atoi(step)
			if err != nil || s < 1 {
				return nil, fmt.Errorf("step %q is not a positive integer", step)
			}
			inc = s
		}
		for x := lo; x <= hi; x += inc {
			seen[x] = true
		}
	}
	out := make([]int, 0, len(seen))
	for x := range seen {
		out = append(out, x)
	}
	sort.Ints(out)
	return out, nil
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

// special checks L, W and # items: "L", "3W", "LW" in Day-of-month; "L",
// "6L", "5#3", "TUE#3" in Day-of-week.
func special(f cronField, item string) error {
	switch f.name {
	case "Day-of-month":
		switch {
		case item == "L" || item == "LW":
			return nil
		case strings.HasSuffix(item, "W"):
			_, err := f.value(strings.TrimSuffix(item, "W"))
			return err
		}
	case "Day-of-week":
		switch {
		case item == "L":
			return nil
		case strings.HasSuffix(item, "L"):
			_, err := f.value(strings.TrimSuffix(item, "L"))
			return err
		case strings.Contains(item, "#"):
			d, n, _ := strings.Cut(item, "#")
			if _, err := f.value(d); err != nil {
				return err
			}
			if k, err := strconv.Atoi(n); err != nil || k < 1 || k > 5 {
				return fmt.Errorf("%q: the week after # is 1 to 5", item)
			}
			return nil
		}
	}
	return fmt.Errorf("%q is not allowed in %s", item, f.name)
}
