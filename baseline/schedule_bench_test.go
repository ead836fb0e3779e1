package baseline

import (
	"testing"
	"time"
)

// BenchmarkScheduleNext measures one Next: a daily time, a sub-hourly
// weekday schedule, the last Friday in a zone with DST, a rate, and an
// expression that never fires (the whole Year range is searched).
func BenchmarkScheduleNext(b *testing.B) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		b.Fatal(err)
	}
	after := time.Date(2026, 11, 30, 16, 7, 0, 0, time.UTC)
	for _, c := range []struct {
		name, expr string
		loc        *time.Location
	}{
		{"daily", "cron(0 10 * * ? *)", time.UTC},
		{"weekdays-5min", "cron(0/5 8-17 ? * MON-FRI *)", time.UTC},
		{"last-friday-NY", "cron(15 10 ? * 6L *)", ny},
		{"rate", "rate(30 minutes)", time.UTC},
		{"never-30-feb", "cron(0 0 30 2 ? *)", time.UTC},
		{"5th-monday-feb", "cron(0 0 ? 2 2#5 *)", time.UTC},
	} {
		s, err := ParseSchedule(c.expr, MaintenanceWindow)
		if err != nil {
			b.Fatal(err)
		}
		s = s.In(c.loc).From(after.Add(-time.Hour))
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = s.Next(after)
			}
		})
	}
}

func BenchmarkParseSchedule(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseSchedule("cron(0/5 8-17 ? * MON-FRI *)", MaintenanceWindow); err != nil {
			b.Fatal(err)
		}
	}
}
