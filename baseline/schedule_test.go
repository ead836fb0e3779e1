package baseline

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/patchkit/patchkit"
)

// TestValidateSchedule runs the examples of docs/semantics.md §11.
func TestValidateSchedule(t *testing.T) {
	valid := map[string]ScheduleTarget{
		"cron(30 09 ? * * *)":          MaintenanceWindow,
		"cron(24 30 09 ? * * *)":       MaintenanceWindow,
		"cron(0 10 * * ? *)":           MaintenanceWindow,
		"cron(0/15 * * * ? *)":         MaintenanceWindow,
		"cron(0/5 8-17 ? * MON-FRI *)": MaintenanceWindow,
		"cron(0 2 L * ? *)":            MaintenanceWindow,
		"cron(15 10 ? * 6L *)":         MaintenanceWindow,
		"cron(0 0 ? * THU#2 *)":        MaintenanceWindow,
		"cron(0 0 ? * 5#3 *)":          MaintenanceWindow,
		"cron(0 3 3W * ? *)":           MaintenanceWindow,
		"cron(0 1 * * ? *)":            Association, // patch policy daily scan
		"cron(0 2 ? * SUN *)":          Association,
		"cron(0 2 ? * SAT#1 *)":        Association,
		"cron(0/30 * * * ? *)":         Association,
		"cron(0 0/4 * * ? *)":          Association,
		"rate(30 minutes)":             Association,
		"rate(7 days)":                 Association,
		"rate(1 hour)":                 MaintenanceWindow,
		"rate(5 hours)":                MaintenanceWindow,
		"at(2025-12-24T20:00:00)":      MaintenanceWindow,
	}
	for expr, target := range valid {
		assert.NoError(t, ValidateSchedule(expr, target), expr)
	}
	invalid := map[string]struct {
		target ScheduleTarget
		reason string
	}{
		"rate(1 hours)":           {MaintenanceWindow, "the unit is singular for 1 and plural otherwise"},
		"rate(5 hour)":            {MaintenanceWindow, "the unit is singular for 1 and plural otherwise"},
		"rate(0 minutes)":         {MaintenanceWindow, "is not a positive integer"},
		"rate(3 minutes)":         {MaintenanceWindow, "runs more often than every 5 minutes"},
		"rate(15 minutes)":        {Association, "from 30 minutes to under 31 days"},
		"rate(31 days)":           {Association, "from 30 minutes to under 31 days"},
		"rate(2 weeks)":           {MaintenanceWindow, "unknown unit"},
		"cron(0/2 * * * ? *)":     {MaintenanceWindow, "runs 2 minutes apart"},
		"cron(0/15 * * * ? *)":    {Association, "runs 15 minutes apart"},
		"cron(0 10 1 * MON *)":    {MaintenanceWindow, "cannot both hold values"},
		"cron(0 10 ? * ? *)":      {MaintenanceWindow, "only one of Day-of-month and Day-of-week may be ?"},
		"cron(0 10 * * ?)":        {MaintenanceWindow, "5 fields"},
		"cron(60 10 * * ? *)":     {MaintenanceWindow, "60 is outside 0..59"},
		"cron(0 24 * * ? *)":      {MaintenanceWindow, "24 is outside 0..23"},
		"cron(0 2 ? JAN SUN *)":   {Association, "associations need *"},
		"cron(30 0 2 ? * SUN *)":  {Association, "associations allow only 0"},
		"cron(0 2 ? * FUN *)":     {MaintenanceWindow, `"FUN" is not a value`},
		"cron(0 2 ? * SUN#6 *)":   {MaintenanceWindow, "the week after # is 1 to 5"},
		"cron(0 2 ? * SUN 1969)":  {MaintenanceWindow, "1969 is outside 1970..2199"},
		"cron(0 2 5L * ? *)":      {MaintenanceWindow, `"5L" is not allowed in Day-of-month`},
		"at(2025-12-24 20:00)":    {MaintenanceWindow, "not at(yyyy-mm-ddThh:mm:ss)"},
		"at(2025-12-24T20:00:00)": {Association, "at() is for maintenance windows only"},
		"every day":               {MaintenanceWindow, "not cron(...), rate(...) or at(...)"},
		"cron(*/10 */2 ? * * *)":  {MaintenanceWindow, ""},
	}
	for expr, c := range invalid {
		err := ValidateSchedule(expr, c.target)
		if c.reason == "" {
			assert.NoError(t, err, expr) // a control: every 10 minutes every other hour is fine
			continue
		}
		var se *ScheduleError
		if assert.ErrorAs(t, err, &se, expr) {
			assert.Contains(t, se.Error(), c.reason, expr)
		}
		assert.ErrorIs(t, err, patchkit.ErrInvalid)
	}
}
