package ical

import (
	"archive/zip"
	"go/build"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// checkZoneMatchesGo writes a calendar with events in loc at first and
// last, reads its VTIMEZONE back with the interpreter in lite_test.go and
// compares the offset it gives with Go's, every step and on both sides of
// every transition, from a year before first to a year after last.
func checkZoneMatchesGo(t *testing.T, loc *time.Location, first, last time.Time, step time.Duration) {
	t.Helper()
	cal := Calendar{Events: []Event{
		{UID: "a@kindred", Start: first, TZ: loc, RRule: "FREQ=WEEKLY", Stamp: stamp},
		{UID: "b@kindred", Start: last, TZ: loc, Stamp: stamp},
	}}
	c := checkCalendar(t, write(t, cal))
	zones := c.kids("VTIMEZONE")
	if len(zones) != 1 {
		t.Fatalf("%d VTIMEZONEs, want 1", len(zones))
	}
	from := time.Date(first.In(loc).Year()-1, 1, 1, 0, 0, 0, 0, loc)
	to := time.Date(last.In(loc).Year()+2, 1, 1, 0, 0, 0, 0, loc)
	onsets := zoneOnsets(t, zones[0], to.AddDate(10, 0, 0))
	check := func(x time.Time) bool {
		_, want := x.In(loc).Zone()
		if got := offsetAt(t, onsets, x); got != want {
			t.Errorf("%s at %v: VTIMEZONE gives %s, Go %s", loc, x.UTC(), utcOffset(got), utcOffset(want))
			return false
		}
		return true
	}
	for x := from; x.Before(to); x = x.Add(step) {
		if !check(x) {
			return
		}
	}
	for x := from; ; {
		_, end := x.ZoneBounds()
		if end.IsZero() || !end.Before(to) {
			break
		}
		if !check(end.Add(-time.Second)) || !check(end) {
			return
		}
		x = end
	}
}

func TestVTimezoneMatchesGo(t *testing.T) {
	tests := []struct {
		zone  string
		years [2]int
		why   string
	}{
		{"Europe/Berlin", [2]int{2026, 2026}, "last Sunday rules"},
		{"America/New_York", [2]int{2026, 2027}, "second and first Sunday rules"},
		{"Australia/Sydney", [2]int{2026, 2026}, "southern hemisphere: DST across new year"},
		{"Australia/Lord_Howe", [2]int{2026, 2026}, "half-hour DST"},
		{"Pacific/Chatham", [2]int{2026, 2026}, "+1245/+1345"},
		{"Asia/Kolkata", [2]int{2026, 2026}, "no DST since 1945"},
		{"America/Santiago", [2]int{2026, 2026}, "Sunday on or after the 2nd"},
		{"America/Asuncion", [2]int{2023, 2025}, "DST abolished in 2024"},
		{"America/Sao_Paulo", [2]int{2018, 2019}, "DST abolished in 2019: rules need UNTIL"},
		{"Europe/Dublin", [2]int{2026, 2026}, "negative DST in tzdata"},
		{"Africa/Casablanca", [2]int{2025, 2027}, "irregular (Ramadan) changes"},
		{"Asia/Tehran", [2]int{2021, 2023}, "fixed-date DST, abolished in 2022"},
		{"America/Godthab", [2]int{2022, 2024}, "changed standard offset in 2023"},
		{"Etc/GMT+5", [2]int{2026, 2026}, "fixed offset"},
		{"America/St_Johns", [2]int{2026, 2026}, "-0330"},
	}
	for _, tt := range tests {
		t.Run(tt.zone, func(t *testing.T) {
			loc := mustLoad(t, tt.zone)
			checkZoneMatchesGo(t, loc,
				time.Date(tt.years[0], 2, 10, 19, 0, 0, 0, loc),
				time.Date(tt.years[1], 8, 10, 19, 0, 0, 0, loc), 3*time.Hour)
		})
	}
}

func TestFixedZoneGetsOneStandard(t *testing.T) {
	loc := time.FixedZone("Kindred/Fixed", -(3*3600 + 30*60))
	ev := Event{UID: "f@kindred", Start: time.Date(2026, 1, 1, 10, 0, 0, 0, loc), Stamp: stamp}
	z := checkCalendar(t, write(t, Calendar{Events: []Event{ev}})).kids("VTIMEZONE")[0]
	if len(z.children) != 1 || z.children[0].name != "STANDARD" {
		t.Fatalf("observances %+v, want one STANDARD", z.children)
	}
	o := z.children[0]
	if o.value(t, "DTSTART") != "16010101T000000" || o.value(t, "TZOFFSETFROM") != "-0330" || o.value(t, "TZOFFSETTO") != "-0330" {
		t.Errorf("observance %+v", o.props)
	}
}

// TestEveryGoZone checks the VTIMEZONE of every zone in Go's own zone
// database for a calendar of 2025-2027 events.
func TestEveryGoZone(t *testing.T) {
	if testing.Short() {
		t.Skip("every zone: skipped in -short")
	}
	path := filepath.Join(build.Default.GOROOT, "lib", "time", "zoneinfo.zip")
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Skipf("no zone list to walk (%v); TestVTimezoneMatchesGo covers the tricky zones", err)
	}
	defer zr.Close()
	n := 0
	for _, f := range zr.File {
		if f.FileInfo().IsDir() || !strings.Contains(f.Name, "/") {
			continue
		}
		loc, err := time.LoadLocation(f.Name)
		if err != nil || isUTC(loc) {
			continue
		}
		n++
		t.Run(f.Name, func(t *testing.T) {
			checkZoneMatchesGo(t, loc, time.Date(2025, 6, 1, 12, 0, 0, 0, loc), time.Date(2027, 6, 1, 12, 0, 0, 0, loc), 47*time.Hour)
		})
	}
	if n < 300 {
		t.Errorf("only %d zones checked", n)
	}
}
