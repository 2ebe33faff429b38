package ical

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	goical "github.com/emersion/go-ical"
)

// These tests read our output with an independent decoder,
// github.com/emersion/go-ical (test-only dependency), to show it parses
// outside our own parser-lite, and expand the recurrence with its rrule
// library the way a client does.

func decode(t *testing.T, data []byte) *goical.Calendar {
	t.Helper()
	cal, err := goical.NewDecoder(bytes.NewReader(data)).Decode()
	if err != nil {
		t.Fatalf("go-ical cannot decode our output: %v\n%s", err, data)
	}
	// Its encoder checks property cardinality (exactly one UID and
	// DTSTAMP, at most one DTSTART, not both DTEND and DURATION, …).
	if err := goical.NewEncoder(io.Discard).Encode(cal); err != nil {
		t.Errorf("go-ical rejects the decoded calendar: %v", err)
	}
	return cal
}

func TestGoICalDecodesSeries(t *testing.T) {
	ev := tuesdayGroup(t)
	ev.Description = "Peer support, every Tuesday; bring tea.\nCafé ☕, \\ 👩‍👩‍👧 " + strings.Repeat("ünïcödé ", 20)
	cal := decode(t, write(t, Calendar{Name: "Kindred, Berlin; Tuesdays", Events: []Event{ev}}))

	if got, err := cal.Props.Text("X-WR-CALNAME"); err != nil || got != "Kindred, Berlin; Tuesdays" {
		t.Errorf("X-WR-CALNAME = %q, %v", got, err)
	}
	events := cal.Events()
	if len(events) != 1 {
		t.Fatalf("%d events, want 1", len(events))
	}
	e := events[0]
	for name, want := range map[string]string{"UID": ev.UID, "SUMMARY": ev.Summary, "DESCRIPTION": ev.Description, "LOCATION": ev.Location} {
		if got, err := e.Props.Text(name); err != nil || got != want {
			t.Errorf("%s = %q, %v; want %q", name, got, err, want)
		}
	}
	start, err := e.DateTimeStart(nil)
	if err != nil || !start.Equal(ev.Start) {
		t.Errorf("DTSTART = %v, %v; want %v", start, err, ev.Start)
	}
	end, err := e.DateTimeEnd(nil)
	if err != nil || !end.Equal(ev.Start.Add(ev.Duration)) {
		t.Errorf("DTEND = %v, %v", end, err)
	}

	set, err := e.RecurrenceSet(nil)
	if err != nil || set == nil {
		t.Fatalf("recurrence: %v", err)
	}
	berlin := ev.TZ
	occ := set.Between(time.Date(2026, 3, 1, 0, 0, 0, 0, berlin), time.Date(2026, 12, 31, 0, 0, 0, 0, berlin), true)
	seen := map[string]bool{}
	for _, o := range occ {
		l := o.In(berlin)
		if l.Hour() != 19 || l.Minute() != 0 || l.Weekday() != time.Tuesday {
			t.Errorf("occurrence at %v, want Tuesdays 19:00 Berlin", l)
		}
		seen[l.Format("2006-01-02")] = true
	}
	for _, d := range []string{"2026-03-03", "2026-03-24", "2026-04-07", "2026-10-27", "2026-12-29"} {
		if !seen[d] {
			t.Errorf("no occurrence on %s (around the clock changes)", d)
		}
	}
	for _, d := range []string{"2026-03-31", "2026-04-14"} {
		if seen[d] {
			t.Errorf("cancelled occurrence on %s is still there", d)
		}
	}
	if len(occ) != 44-2 {
		t.Errorf("%d occurrences from March to December, want 42", len(occ))
	}
}

func TestGoICalDecodesMixedCalendar(t *testing.T) {
	kolkata := mustLoad(t, "Asia/Kolkata")
	data := write(t, Calendar{Events: []Event{
		tuesdayGroup(t),
		{UID: "k@kindred", Start: time.Date(2026, 6, 5, 19, 0, 0, 0, kolkata), TZ: kolkata, Stamp: stamp, Status: "CANCELLED", Sequence: 3},
		{UID: "u@kindred", Start: time.Date(2026, 7, 1, 17, 0, 0, 0, time.UTC), Duration: time.Hour, Stamp: stamp},
	}})
	cal := decode(t, data)
	if n := len(cal.Events()); n != 3 {
		t.Fatalf("%d events, want 3", n)
	}
	var zones []string
	for _, c := range cal.Children {
		if c.Name == goical.CompTimezone {
			id, _ := c.Props.Text(goical.PropTimezoneID)
			zones = append(zones, id)
		}
	}
	if strings.Join(zones, ",") != "Asia/Kolkata,Europe/Berlin" {
		t.Errorf("time zones %v", zones)
	}
	k := cal.Events()[1]
	if st, err := k.Status(); err != nil || st != goical.EventCancelled {
		t.Errorf("status = %v, %v", st, err)
	}
	if seq, err := k.Props.Get(goical.PropSequence).Int(); err != nil || seq != 3 {
		t.Errorf("sequence = %v, %v", seq, err)
	}
	u := cal.Events()[2]
	if start, err := u.DateTimeStart(nil); err != nil || !start.Equal(time.Date(2026, 7, 1, 17, 0, 0, 0, time.UTC)) {
		t.Errorf("UTC start = %v, %v", start, err)
	}
}
