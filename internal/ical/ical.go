// Package ical writes RFC 5545 calendars of Kindred's meetings, the .ics
// file behind /meeting calendar, for members to import into Google
// Calendar, Apple Calendar, Outlook or Thunderbird.
//
// A series is written in its own time zone (DTSTART;TZID=Europe/Berlin:…)
// together with a VTIMEZONE built from Go's time zone data, so a meeting at
// 19:00 in Berlin stays at 19:00 after the clocks change in every client,
// including those that do not know the zone by name. UTC events use the
// "Z" form and need no VTIMEZONE.
//
// Output is deterministic: events in the order given, time zones sorted by
// name, cancelled dates sorted, so tests can compare it byte for byte.
package ical

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ContentType is the media type of what Calendar.WriteTo writes, for the
// attachment or HTTP response that carries it.
const ContentType = "text/calendar; charset=utf-8"

// defaultProdID names the product that wrote the calendar when the caller
// does not (PRODID is required).
const defaultProdID = "-//Kindred//Meetings//EN"

// ErrNoEvents is returned for a calendar without events: RFC 5545 requires
// at least one component, and several clients reject an empty VCALENDAR.
// Callers tell the member there is nothing to download instead.
var ErrNoEvents = errors.New("ical: a calendar needs at least one event")

// Event is one meeting, or a series of them when RRule is set.
type Event struct {
	// UID identifies the event across downloads, so a client that imports
	// the file again updates the event instead of duplicating it, e.g.
	// "meeting-42@kindred". Required.
	UID         string
	Summary     string
	Description string
	// Location is an address, "online" or a link.
	Location string
	// URL is an optional link (URI), written as given.
	URL string
	// Start is the first occurrence. Required.
	Start time.Time
	// Duration is how long each occurrence lasts; 0 writes no DTEND, which
	// clients show as an event that ends when it starts.
	Duration time.Duration
	// TZ is the series' time zone: occurrences keep their wall-clock time
	// in it. time.UTC gives the "Z" form. nil means Start's location, which
	// must not be time.Local (it has no name a client can understand).
	TZ *time.Location
	// RRule is an RFC 5545 recurrence rule without the "RRULE:" prefix,
	// e.g. "FREQ=WEEKLY;BYDAY=TU"; empty for a one-off. UNTIL, if present,
	// must be in UTC ("…Z"), as RFC 5545 requires with a zoned DTSTART.
	RRule string
	// ExDates are the original start times of cancelled occurrences.
	ExDates []time.Time
	// Sequence is the revision number; raise it when the event changes so
	// clients replace their copy.
	Sequence int
	// Stamp is when this version of the event was written (DTSTAMP).
	// Required; written in UTC.
	Stamp time.Time
	// Status is "", "CONFIRMED", "TENTATIVE" or "CANCELLED".
	Status string
}

// Calendar is a VCALENDAR of events.
type Calendar struct {
	// ProdID is the PRODID; empty means "-//Kindred//Meetings//EN".
	ProdID string
	// Name is shown by clients as the calendar's name (X-WR-CALNAME);
	// empty writes none.
	Name   string
	Events []Event
}

// WriteTo writes the calendar as RFC 5545 text: CRLF line endings, lines
// folded at 75 octets, TEXT values escaped. The calendar is checked and
// encoded in full first, so on an error nothing is written.
func (c Calendar) WriteTo(w io.Writer) (int64, error) {
	var e encoder
	if err := c.encode(&e); err != nil {
		return 0, err
	}
	return e.buf.WriteTo(w)
}

// dateTimeLocal and dateTimeUTC are RFC 5545 DATE-TIME forms.
const (
	dateTimeLocal = "20060102T150405"
	dateTimeUTC   = "20060102T150405Z"
)

func (c Calendar) encode(e *encoder) error {
	if len(c.Events) == 0 {
		return ErrNoEvents
	}
	zones, err := c.zones()
	if err != nil {
		return err
	}
	prodID := c.ProdID
	if prodID == "" {
		prodID = defaultProdID
	}

	e.line("BEGIN:VCALENDAR")
	e.line("VERSION:2.0")
	e.text("PRODID", prodID)
	e.line("CALSCALE:GREGORIAN")
	e.line("METHOD:PUBLISH")
	if c.Name != "" {
		e.text("X-WR-CALNAME", c.Name)
	}
	for _, z := range zones {
		z.write(e)
	}
	for i, ev := range c.Events {
		if err := writeEvent(e, ev); err != nil {
			return fmt.Errorf("ical: event %d (%q): %w", i, ev.UID, err)
		}
	}
	e.line("END:VCALENDAR")
	return nil
}

// eventZone is the zone an event is written in.
func eventZone(ev Event) (*time.Location, error) {
	loc := ev.TZ
	if loc == nil {
		loc = ev.Start.Location()
	}
	if loc == time.Local || loc.String() == "Local" {
		// The machine's zone has no portable name and its rules depend on
		// where the bot runs.
		return nil, errors.New("time zone is Local: give the series' IANA zone (or time.UTC)")
	}
	if loc.String() == "" {
		return nil, errors.New("time zone has no name")
	}
	if err := checkZoneName(loc.String()); err != nil {
		return nil, fmt.Errorf("time zone name: %w", err)
	}
	return loc, nil
}

// isUTC reports whether times in loc are written in the "Z" form.
func isUTC(loc *time.Location) bool {
	return loc == time.UTC || loc.String() == "UTC"
}

func writeEvent(e *encoder, ev Event) error {
	if ev.UID == "" {
		return errors.New("UID is required")
	}
	if ev.Start.IsZero() {
		return errors.New("start time is required")
	}
	if ev.Stamp.IsZero() {
		return errors.New("stamp (DTSTAMP) is required")
	}
	if ev.Duration < 0 {
		return fmt.Errorf("negative duration %v", ev.Duration)
	}
	if ev.Sequence < 0 {
		return fmt.Errorf("negative sequence %d", ev.Sequence)
	}
	switch ev.Status {
	case "", "CONFIRMED", "TENTATIVE", "CANCELLED":
	default:
		return fmt.Errorf("status %q is not CONFIRMED, TENTATIVE or CANCELLED", ev.Status)
	}
	if err := checkRRule(ev.RRule); err != nil {
		return err
	}
	if err := checkValue(ev.URL); err != nil {
		return fmt.Errorf("URL: %w", err)
	}
	loc, err := eventZone(ev)
	if err != nil {
		return err
	}
	tzid := ""
	if !isUTC(loc) {
		tzid = loc.String()
	}
	dateTime := func(name string, t time.Time) {
		if tzid == "" {
			e.line(name + ":" + t.UTC().Format(dateTimeUTC))
			return
		}
		e.line(name + ";TZID=" + tzid + ":" + t.In(loc).Format(dateTimeLocal))
	}

	e.line("BEGIN:VEVENT")
	e.text("UID", ev.UID)
	e.line("DTSTAMP:" + ev.Stamp.UTC().Format(dateTimeUTC))
	dateTime("DTSTART", ev.Start)
	if ev.Duration > 0 {
		// DTEND rather than DURATION: Outlook has long handled DTEND
		// better, and RFC 5545 applies the same exact duration to every
		// occurrence either way.
		dateTime("DTEND", ev.Start.Add(ev.Duration))
	}
	if ev.RRule != "" {
		e.line("RRULE:" + ev.RRule)
	}
	// One EXDATE per date rather than a comma list: every client reads
	// that form, and sorting keeps the output stable.
	exdates := slices.Clone(ev.ExDates)
	slices.SortFunc(exdates, func(a, b time.Time) int { return a.Compare(b) })
	exdates = slices.CompactFunc(exdates, func(a, b time.Time) bool { return a.Equal(b) })
	for _, x := range exdates {
		dateTime("EXDATE", x)
	}
	if ev.Summary != "" {
		e.text("SUMMARY", ev.Summary)
	}
	if ev.Description != "" {
		e.text("DESCRIPTION", ev.Description)
	}
	if ev.Location != "" {
		e.text("LOCATION", ev.Location)
	}
	if ev.URL != "" {
		e.line("URL:" + ev.URL)
	}
	e.line("SEQUENCE:" + strconv.Itoa(ev.Sequence))
	if ev.Status != "" {
		e.line("STATUS:" + ev.Status)
	}
	e.line("END:VEVENT")
	return nil
}

// checkRRule accepts what can be written safely as an RRULE value: NAME=VALUE
// parts separated by semicolons, with FREQ, and UNTIL in UTC. It does not
// check the rule's meaning; clients ignore rule parts they do not know.
func checkRRule(rule string) error {
	if rule == "" {
		return nil
	}
	if strings.HasPrefix(strings.ToUpper(rule), "RRULE:") {
		return errors.New(`RRule must not start with "RRULE:"`)
	}
	seen := map[string]bool{}
	for part := range strings.SplitSeq(rule, ";") {
		name, value, ok := strings.Cut(part, "=")
		if !ok || name == "" || value == "" {
			return fmt.Errorf("RRule %q: part %q is not NAME=VALUE", rule, part)
		}
		for _, r := range name {
			if (r < 'A' || r > 'Z') && r != '-' {
				return fmt.Errorf("RRule %q: bad part name %q", rule, name)
			}
		}
		for _, r := range value {
			if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || strings.ContainsRune(",+-", r)) {
				return fmt.Errorf("RRule %q: bad character %q in %s", rule, r, name)
			}
		}
		if seen[name] {
			return fmt.Errorf("RRule %q: %s given twice", rule, name)
		}
		seen[name] = true
		if name == "UNTIL" && !strings.HasSuffix(value, "Z") {
			return fmt.Errorf("RRule %q: UNTIL must be in UTC (end in Z)", rule)
		}
	}
	if !seen["FREQ"] {
		return fmt.Errorf("RRule %q has no FREQ", rule)
	}
	return nil
}

// encoder accumulates content lines, folded and CRLF-terminated.
type encoder struct {
	buf bytes.Buffer
}

// line writes one content line. Callers pass only valid UTF-8 without
// control characters: TEXT through text, everything else checked.
func (e *encoder) line(s string) {
	fold(&e.buf, s)
}

// text writes a property whose value is TEXT, escaped.
func (e *encoder) text(name, value string) {
	e.line(name + ":" + escapeText(value))
}
