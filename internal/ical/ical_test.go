package ical

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the zones below, also on machines without a zoneinfo database
)

func mustLoad(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

var stamp = time.Date(2026, 2, 1, 12, 0, 0, 0, time.UTC)

// tuesdayGroup is a weekly Berlin meeting that starts before the clocks go
// forward on 29 March 2026.
func tuesdayGroup(t testing.TB) Event {
	berlin := mustLoad(t, "Europe/Berlin")
	return Event{
		UID:         "meeting-42@kindred",
		Summary:     "Tuesday circle",
		Description: "Peer support, every Tuesday; bring tea.",
		Location:    "online",
		URL:         "https://meet.example/abc?x=1,2",
		Start:       time.Date(2026, 3, 3, 19, 0, 0, 0, berlin),
		Duration:    90 * time.Minute,
		TZ:          berlin,
		RRule:       "FREQ=WEEKLY;BYDAY=TU",
		ExDates:     []time.Time{time.Date(2026, 4, 14, 19, 0, 0, 0, berlin), time.Date(2026, 3, 31, 19, 0, 0, 0, berlin)},
		Sequence:    2,
		Stamp:       stamp,
	}
}

func write(t testing.TB, c Calendar) []byte {
	t.Helper()
	var b bytes.Buffer
	n, err := c.WriteTo(&b)
	if err != nil {
		t.Fatalf("WriteTo: %v", err)
	}
	if n != int64(b.Len()) {
		t.Fatalf("WriteTo reported %d bytes, wrote %d", n, b.Len())
	}
	return b.Bytes()
}

func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

func TestGoldenBerlinSeries(t *testing.T) {
	got := string(write(t, Calendar{Name: "Kindred meetings", Events: []Event{tuesdayGroup(t)}}))
	want := crlf(`BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Kindred//Meetings//EN
CALSCALE:GREGORIAN
METHOD:PUBLISH
X-WR-CALNAME:Kindred meetings
BEGIN:VTIMEZONE
TZID:Europe/Berlin
BEGIN:STANDARD
DTSTART:20241027T030000
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:20250330T020000
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VEVENT
UID:meeting-42@kindred
DTSTAMP:20260201T120000Z
DTSTART;TZID=Europe/Berlin:20260303T190000
DTEND;TZID=Europe/Berlin:20260303T203000
RRULE:FREQ=WEEKLY;BYDAY=TU
EXDATE;TZID=Europe/Berlin:20260331T190000
EXDATE;TZID=Europe/Berlin:20260414T190000
SUMMARY:Tuesday circle
DESCRIPTION:Peer support\, every Tuesday\; bring tea.
LOCATION:online
URL:https://meet.example/abc?x=1,2
SEQUENCE:2
END:VEVENT
END:VCALENDAR
`)
	if got != want {
		t.Errorf("output differs.\ngot:\n%s\nwant:\n%s", got, want)
	}
	checkCalendar(t, []byte(got))
}

func TestGoldenUTCOneOff(t *testing.T) {
	ev := Event{
		UID:    "meeting-7@kindred",
		Start:  time.Date(2026, 5, 1, 18, 30, 0, 0, mustLoad(t, "Europe/Berlin")), // any location: TZ wins
		TZ:     time.UTC,
		Stamp:  stamp,
		Status: "CANCELLED",
	}
	got := string(write(t, Calendar{ProdID: "-//Test//EN", Events: []Event{ev}}))
	want := crlf(`BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Test//EN
CALSCALE:GREGORIAN
METHOD:PUBLISH
BEGIN:VEVENT
UID:meeting-7@kindred
DTSTAMP:20260201T120000Z
DTSTART:20260501T163000Z
SEQUENCE:0
STATUS:CANCELLED
END:VEVENT
END:VCALENDAR
`)
	if got != want {
		t.Errorf("output differs.\ngot:\n%s\nwant:\n%s", got, want)
	}
}

func TestStructureOfMixedZones(t *testing.T) {
	kolkata := mustLoad(t, "Asia/Kolkata")
	berlin2 := mustLoad(t, "Europe/Berlin") // another *Location for the same zone
	cal := Calendar{Name: "All groups", Events: []Event{
		tuesdayGroup(t),
		{UID: "m-2@kindred", Summary: "Evening group", Start: time.Date(2026, 6, 5, 19, 0, 0, 0, kolkata), Duration: time.Hour, TZ: kolkata, RRule: "FREQ=WEEKLY;BYDAY=FR;UNTIL=20261231T000000Z", Stamp: stamp},
		{UID: "m-3@kindred", Summary: "Online drop-in", Start: time.Date(2026, 7, 1, 17, 0, 0, 0, time.UTC), Duration: time.Hour, Stamp: stamp}, // TZ nil: Start's (UTC)
		{UID: "m-4@kindred", Summary: "Berlin one-off", Start: time.Date(2027, 1, 10, 11, 0, 0, 0, berlin2), Stamp: stamp},
	}}
	c := checkCalendar(t, write(t, cal))

	var ids []string
	for _, z := range c.kids("VTIMEZONE") {
		ids = append(ids, z.one(t, "TZID").value)
	}
	if got := strings.Join(ids, ","); got != "Asia/Kolkata,Europe/Berlin" {
		t.Errorf("VTIMEZONEs = %s, want Asia/Kolkata,Europe/Berlin (one per zone, sorted)", got)
	}
	events := c.kids("VEVENT")
	if len(events) != 4 {
		t.Fatalf("%d events, want 4", len(events))
	}
	for i, want := range []string{"meeting-42@kindred", "m-2@kindred", "m-3@kindred", "m-4@kindred"} {
		if got := events[i].value(t, "UID"); got != want {
			t.Errorf("event %d UID = %q, want %q (events keep their order)", i, got, want)
		}
	}
	start := events[1].one(t, "DTSTART")
	if start.params["TZID"] != "Asia/Kolkata" || start.value != "20260605T190000" {
		t.Errorf("Kolkata DTSTART = %+v", start)
	}
	if v := events[2].one(t, "DTSTART"); v.value != "20260701T170000Z" || len(v.params) != 0 {
		t.Errorf("UTC DTSTART = %+v, want the Z form without TZID", v)
	}
	if v := events[2].one(t, "DTEND"); v.value != "20260701T180000Z" {
		t.Errorf("UTC DTEND = %+v", v)
	}
	if len(events[3].all("DTEND")) != 0 {
		t.Errorf("an event without duration has a DTEND")
	}
	// The Berlin zone spans both Berlin events' years (2026 and 2027), a
	// year either side: its first observance is in effect on 1 Jan 2025.
	for _, z := range c.kids("VTIMEZONE") {
		if z.one(t, "TZID").value == "Europe/Berlin" {
			onsets := zoneOnsets(t, z, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
			offsetAt(t, onsets, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
		}
	}
}

func TestBerlinHasStandardAndDaylight(t *testing.T) {
	c := checkCalendar(t, write(t, Calendar{Events: []Event{tuesdayGroup(t)}}))
	z := c.kids("VTIMEZONE")[0]
	std, dst := z.kids("STANDARD"), z.kids("DAYLIGHT")
	if len(std) != 1 || len(dst) != 1 {
		t.Fatalf("%d STANDARD and %d DAYLIGHT, want one of each", len(std), len(dst))
	}
	for _, tc := range []struct {
		o              *component
		from, to, name string
	}{{std[0], "+0200", "+0100", "CET"}, {dst[0], "+0100", "+0200", "CEST"}} {
		if got := tc.o.value(t, "TZOFFSETFROM"); got != tc.from {
			t.Errorf("%s TZOFFSETFROM = %s, want %s", tc.o.name, got, tc.from)
		}
		if got := tc.o.value(t, "TZOFFSETTO"); got != tc.to {
			t.Errorf("%s TZOFFSETTO = %s, want %s", tc.o.name, got, tc.to)
		}
		if got := tc.o.value(t, "TZNAME"); got != tc.name {
			t.Errorf("%s TZNAME = %s, want %s", tc.o.name, got, tc.name)
		}
		if got := tc.o.value(t, "RRULE"); !strings.Contains(got, "BYDAY=-1SU") || strings.Contains(got, "UNTIL") {
			t.Errorf("%s RRULE = %q, want an open-ended last-Sunday rule", tc.o.name, got)
		}
	}
}

func TestKolkataHasOnlyStandard(t *testing.T) {
	kolkata := mustLoad(t, "Asia/Kolkata")
	ev := Event{UID: "k@kindred", Start: time.Date(2026, 3, 3, 19, 0, 0, 0, kolkata), TZ: kolkata, RRule: "FREQ=WEEKLY", Stamp: stamp}
	c := checkCalendar(t, write(t, Calendar{Events: []Event{ev}}))
	z := c.kids("VTIMEZONE")[0]
	if len(z.children) != 1 || z.children[0].name != "STANDARD" {
		t.Fatalf("Asia/Kolkata observances: %+v, want a single STANDARD", z.children)
	}
	if got := z.children[0].value(t, "TZOFFSETTO"); got != "+0530" {
		t.Errorf("TZOFFSETTO = %s, want +0530", got)
	}
	if got := z.children[0].value(t, "RRULE"); got != "" {
		t.Errorf("a zone without DST has RRULE %q", got)
	}
}

func TestUTCEventsNeedNoTimezone(t *testing.T) {
	ev := Event{UID: "u@kindred", Start: time.Date(2026, 3, 3, 19, 0, 0, 0, time.UTC), Duration: time.Hour, TZ: time.UTC,
		RRule: "FREQ=WEEKLY", ExDates: []time.Time{time.Date(2026, 3, 10, 19, 0, 0, 0, time.UTC)}, Stamp: stamp}
	out := write(t, Calendar{Events: []Event{ev}})
	c := checkCalendar(t, out)
	if len(c.kids("VTIMEZONE")) != 0 {
		t.Errorf("a UTC-only calendar has a VTIMEZONE")
	}
	if bytes.Contains(out, []byte("TZID")) {
		t.Errorf("a UTC-only calendar mentions TZID:\n%s", out)
	}
	e := c.kids("VEVENT")[0]
	for name, want := range map[string]string{"DTSTART": "20260303T190000Z", "DTEND": "20260303T200000Z", "EXDATE": "20260310T190000Z"} {
		if got := e.value(t, name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
}

// TestSeriesKeepsWallClockAcrossDST reads the calendar the way a client
// that knows no zone names must: with only the VTIMEZONE in the file. Every
// Tuesday of a year, across both clock changes, must land at 19:00 Berlin
// time, the instant Go computes.
func TestSeriesKeepsWallClockAcrossDST(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	ev := tuesdayGroup(t)
	c := checkCalendar(t, write(t, Calendar{Events: []Event{ev}}))
	onsets := zoneOnsets(t, c.kids("VTIMEZONE")[0], time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC))
	start, err := time.Parse(dateTimeLocal, c.kids("VEVENT")[0].value(t, "DTSTART"))
	if err != nil {
		t.Fatal(err)
	}
	for week := 0; week < 52; week++ {
		wall := start.AddDate(0, 0, 7*week) // floating local time, as RRULE expands it
		// Local to UTC with the file's offsets: the offset in effect at
		// the instant the wall time names.
		off := offsetAt(t, onsets, wall.Add(-2*time.Hour))
		got := wall.Add(-time.Duration(off) * time.Second)
		want := time.Date(wall.Year(), wall.Month(), wall.Day(), 19, 0, 0, 0, berlin)
		if !got.Equal(want) {
			t.Errorf("week %d: the file puts %s at %v, Go at %v", week, wall.Format("2006-01-02 15:04"), got.UTC(), want.UTC())
		}
	}
}

func TestTextEscaping(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{`back\slash`, `back\\slash`},
		{"a,b;c", `a\,b\;c`},
		{"line one\nline two", `line one\nline two`},
		{"windows\r\nnewline", `windows\nnewline`},
		{"old mac\rnewline", `old mac\nnewline`},
		{"tab\tkept", "tab\tkept"},
		{"bell\a and nul\x00 dropped\x7f", "bell and nul dropped"},
		{"bad \xff byte", "bad \uFFFD byte"},
		{`colon: and "quotes" are fine`, `colon: and "quotes" are fine`},
		{`\n is not a newline`, `\\n is not a newline`},
	}
	for _, tt := range tests {
		if got := escapeText(tt.in); got != tt.want {
			t.Errorf("escapeText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestLongUTF8TextIsFoldedOnCharacterBoundaries(t *testing.T) {
	desc := strings.Repeat("Café crème, naïve façade; 👩‍👩‍👧‍👦 🇩🇪 ẞtraße — 日本語テキスト\n", 12)
	ev := tuesdayGroup(t)
	ev.Description = desc
	ev.Summary = strings.Repeat("é", 200)  // 2-octet characters across every fold
	ev.Location = strings.Repeat("🌍", 100) // 4-octet characters across every fold
	out := write(t, Calendar{Events: []Event{ev}})
	c := checkCalendar(t, out) // each physical line ≤ 75 octets and valid UTF-8
	e := c.kids("VEVENT")[0]
	for name, want := range map[string]string{"DESCRIPTION": desc, "SUMMARY": ev.Summary, "LOCATION": ev.Location} {
		if got := unescapeText(t, e.value(t, name)); got != want {
			t.Errorf("%s does not unfold back to the original:\ngot  %q\nwant %q", name, got, want)
		}
	}
	// A line that fits exactly is not folded; one octet more is.
	for _, n := range []int{75, 76} {
		var b bytes.Buffer
		fold(&b, strings.Repeat("x", n))
		if lines := strings.Count(b.String(), "\r\n"); lines != n-74 {
			t.Errorf("a %d-octet line became %d lines", n, lines)
		}
	}
}

func TestOutputIsDeterministic(t *testing.T) {
	cal := Calendar{Events: []Event{tuesdayGroup(t), {UID: "x@kindred", Start: time.Date(2026, 1, 1, 9, 0, 0, 0, mustLoad(t, "America/New_York")), Stamp: stamp}}}
	first := write(t, cal)
	for i := 0; i < 5; i++ {
		if got := write(t, cal); !bytes.Equal(got, first) {
			t.Fatalf("run %d differs:\n%s\nvs\n%s", i, got, first)
		}
	}
}

func TestInvalidCalendarsWriteNothing(t *testing.T) {
	ok := tuesdayGroup(t)
	tests := []struct {
		name string
		edit func(*Event)
	}{
		{"no UID", func(e *Event) { e.UID = "" }},
		{"no start", func(e *Event) { e.Start = time.Time{} }},
		{"no stamp", func(e *Event) { e.Stamp = time.Time{} }},
		{"negative duration", func(e *Event) { e.Duration = -time.Minute }},
		{"negative sequence", func(e *Event) { e.Sequence = -1 }},
		{"unknown status", func(e *Event) { e.Status = "MAYBE" }},
		{"RRULE prefix", func(e *Event) { e.RRule = "RRULE:FREQ=WEEKLY" }},
		{"RRULE without FREQ", func(e *Event) { e.RRule = "BYDAY=TU" }},
		{"RRULE with a line break", func(e *Event) { e.RRule = "FREQ=WEEKLY\r\nBEGIN:VEVENT" }},
		{"RRULE local UNTIL", func(e *Event) { e.RRule = "FREQ=WEEKLY;UNTIL=20261231T190000" }},
		{"RRULE part twice", func(e *Event) { e.RRule = "FREQ=WEEKLY;FREQ=DAILY" }},
		{"URL with a line break", func(e *Event) { e.URL = "https://x.example/\r\nATTACH:evil" }},
		{"Local zone", func(e *Event) { e.TZ = time.Local }},
		{"nil zone and Local start", func(e *Event) { e.TZ, e.Start = nil, e.Start.In(time.Local) }},
		{"zone name with a quote", func(e *Event) { e.TZ = time.FixedZone(`a"b`, 3600) }},
		{"zone name with a semicolon", func(e *Event) { e.TZ = time.FixedZone("Club;Time", 3600) }},
		{"zone name with a line break", func(e *Event) { e.TZ = time.FixedZone("Club\nTime", 3600) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := ok
			tt.edit(&ev)
			var b bytes.Buffer
			n, err := Calendar{Events: []Event{ok, ev}}.WriteTo(&b)
			if err == nil {
				t.Fatalf("no error; wrote:\n%s", b.String())
			}
			if n != 0 || b.Len() != 0 {
				t.Errorf("wrote %d bytes before failing", b.Len())
			}
		})
	}

	var b bytes.Buffer
	if _, err := (Calendar{}).WriteTo(&b); !errors.Is(err, ErrNoEvents) {
		t.Errorf("empty calendar: err = %v, want ErrNoEvents", err)
	}
	a, b2 := time.FixedZone("Club/Time", 3600), time.FixedZone("Club/Time", 7200)
	_, err := Calendar{Events: []Event{
		{UID: "1", Start: time.Date(2026, 1, 1, 0, 0, 0, 0, a), Stamp: stamp},
		{UID: "2", Start: time.Date(2026, 1, 1, 0, 0, 0, 0, b2), Stamp: stamp},
	}}.WriteTo(&b)
	if err == nil {
		t.Errorf("two different zones under one name were accepted")
	}
}
