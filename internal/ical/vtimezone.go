package ical

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// A VTIMEZONE is generated from Go's time zone data instead of being
// looked up in a table of hand-written ones: every zone Go knows works,
// and the rules match the ones the bot uses to schedule reminders.
//
// The zone's transitions are walked with time.Time.ZoneBounds over the
// years the calendar's events span, one year either side, plus some years
// of look-ahead. Transitions that repeat yearly on the same weekday rule
// ("last Sunday of March at 02:00") become one STANDARD or DAYLIGHT
// observance with a yearly RRULE; irregular ones (Morocco's Ramadan
// changes) get an observance each. A rule still running in the look-ahead
// gets no UNTIL, so a series that runs on for years keeps correct offsets
// as long as the zone keeps its current rules.

// zoneYearsBefore and zoneYearsAfter widen the span of years that a
// VTIMEZONE describes around the events in it: a year before so the first
// event has an observance in effect, a year after for series that go on.
const (
	zoneYearsBefore = 1
	zoneYearsAfter  = 1
	// lookaheadYears of transitions after the span only shape the rules.
	// Over 8 years a weekday rule's day of the month takes every position,
	// so "last Sunday", "first Sunday" and "first Sunday on or after the
	// 2nd" (Chile) are told apart instead of guessed from a few samples.
	lookaheadYears = 8
	// maxTransitions bounds the walk; real zones change a few times a year.
	maxTransitions = 10000
)

// vtimezone is a VTIMEZONE ready to write.
type vtimezone struct {
	tzid        string
	observances []*observance
}

// zones collects the VTIMEZONEs that c's events refer to, sorted by TZID.
func (c Calendar) zones() ([]*vtimezone, error) {
	type span struct {
		locs        []*time.Location // distinct *Location values with this name
		first, last time.Time
	}
	spans := map[string]*span{}
	for i, ev := range c.Events {
		loc, err := eventZone(ev)
		if err != nil {
			return nil, fmt.Errorf("ical: event %d (%q): %w", i, ev.UID, err)
		}
		if isUTC(loc) || ev.Start.IsZero() {
			continue // no VTIMEZONE; writeEvent reports a missing start
		}
		sp := spans[loc.String()]
		if sp == nil {
			sp = &span{first: ev.Start, last: ev.Start}
			spans[loc.String()] = sp
		}
		if !slices.Contains(sp.locs, loc) {
			sp.locs = append(sp.locs, loc)
		}
		for _, t := range append([]time.Time{ev.Start}, ev.ExDates...) {
			if t.Before(sp.first) {
				sp.first = t
			}
			if t.After(sp.last) {
				sp.last = t
			}
		}
	}

	var out []*vtimezone
	for _, name := range slices.Sorted(maps.Keys(spans)) {
		sp := spans[name]
		tzid := name
		var want string
		for _, loc := range sp.locs {
			z := newVTimezone(tzid, loc, sp.first, sp.last)
			var e encoder
			z.write(&e)
			if want == "" {
				want = e.buf.String()
				out = append(out, z)
			} else if e.buf.String() != want {
				// Two different zones under one name would make clients
				// apply one zone's rules to the other's events.
				return nil, fmt.Errorf("ical: two different time zones are both named %q", name)
			}
		}
	}
	return out, nil
}

// newVTimezone describes loc over the years of first and last, widened.
func newVTimezone(tzid string, loc *time.Location, first, last time.Time) *vtimezone {
	from := time.Date(first.In(loc).Year()-zoneYearsBefore, time.January, 1, 0, 0, 0, 0, loc)
	to := time.Date(last.In(loc).Year()+zoneYearsAfter+1, time.January, 1, 0, 0, 0, 0, loc)
	lookahead := to.AddDate(lookaheadYears, 0, 0)
	return &vtimezone{tzid: tzid, observances: groupTransitions(zoneTransitions(loc, from, lookahead), to)}
}

// transition is a change of offset, abbreviation or DST flag.
type transition struct {
	at           time.Time // the instant the new offset applies from
	from, to     int       // offsets in seconds east of UTC, before and after
	name         string    // abbreviation after, e.g. "CEST"
	fromDST, dst bool      // daylight saving time before and after
}

// daylight reports whether the period the transition starts is written as
// DAYLIGHT. That is Go's DST flag, except for negative DST: tzdata calls
// Irish summer time (IST) standard and winter GMT "daylight", but Windows
// and most clients expect the summer offset to be the daylight one. Only
// the label changes; the offsets, which clients compute with, do not.
func (tr transition) daylight() bool {
	if tr.fromDST != tr.dst && (tr.dst && tr.to < tr.from || !tr.dst && tr.to > tr.from) {
		return !tr.dst
	}
	return tr.dst
}

// zoneTransitions lists loc's transitions from the one that began the
// period in effect at from, up to (not including) to. A period with no
// beginning (a zone that never changed before) starts at 1601-01-01, the
// date Outlook uses for the same purpose, with from equal to to.
func zoneTransitions(loc *time.Location, from, to time.Time) []transition {
	t := from.In(loc)
	start, end := t.ZoneBounds()
	name, off := t.Zone()
	first := transition{to: off, name: name, dst: t.IsDST()}
	if start.IsZero() {
		first.at = time.Date(1601, time.January, 1, 0, 0, 0, 0, time.FixedZone("", off))
		first.from, first.fromDST = off, first.dst
	} else {
		first.at = start
		before := start.Add(-time.Second)
		_, first.from = before.Zone()
		first.fromDST = before.IsDST()
	}
	out := []transition{first}
	cur := first
	for i := 0; i < maxTransitions && !end.IsZero() && end.Before(to); i++ {
		name, off := end.Zone()
		tr := transition{at: end, from: cur.to, to: off, name: name, fromDST: cur.dst, dst: end.IsDST()}
		// tzdata sometimes splits a period where nothing changes (where
		// its table hands over to its rule for the future); skip those.
		if tr.to != cur.to || tr.name != cur.name || tr.dst != cur.dst {
			out = append(out, tr)
			cur = tr
		}
		_, next := end.ZoneBounds()
		if !next.After(end) {
			break
		}
		end = next
	}
	return out
}

// observance is a STANDARD or DAYLIGHT sub-component: one or more onsets
// with the same offsets and name, yearly on the same rule when more than
// one.
type observance struct {
	daylight bool
	from, to int
	name     string
	// onsets are the local times (in the from offset, as RFC 5545 wants
	// DTSTART and RRULE) at which the observance begins, oldest first.
	onsets []time.Time
	// lastOK: every onset fell on the last such weekday of its month.
	lastOK bool
	// lo, hi: every onset fell on the first such weekday on or after day
	// d of its month, for every d in [lo, hi].
	lo, hi int
	// lastYear is the year of the latest onset, look-ahead included.
	lastYear int
	// open: the rule still holds after the described years.
	open bool
}

// groupTransitions turns transitions into observances. Transitions at or
// after end are a look-ahead: they only tell whether a yearly rule goes on.
func groupTransitions(trs []transition, end time.Time) []*observance {
	type key struct {
		daylight bool
		from, to int
		name     string
		month    time.Month
		weekday  time.Weekday
		clock    int // seconds after local midnight
	}
	latest := map[key]*observance{}
	var out []*observance
	for _, tr := range trs {
		wall := tr.at.In(time.FixedZone("", tr.from))
		y, m, d := wall.Date()
		k := key{tr.daylight(), tr.from, tr.to, tr.name, m, wall.Weekday(), wall.Hour()*3600 + wall.Minute()*60 + wall.Second()}
		isLast := d+7 > daysIn(y, m)
		lo, hi := max(1, d-6), d
		ahead := !tr.at.Before(end)

		if o := latest[k]; o != nil && o.lastYear == y-1 &&
			(o.lastOK && isLast || max(o.lo, lo) <= min(o.hi, hi)) {
			o.lastOK = o.lastOK && isLast
			o.lo, o.hi = max(o.lo, lo), min(o.hi, hi)
			o.lastYear = y
			if ahead {
				o.open = true
			} else {
				o.onsets = append(o.onsets, wall)
			}
			continue
		}
		if ahead {
			continue
		}
		o := &observance{daylight: tr.daylight(), from: tr.from, to: tr.to, name: tr.name, onsets: []time.Time{wall}, lastOK: isLast, lo: lo, hi: hi, lastYear: y}
		latest[k] = o
		out = append(out, o)
	}
	return out
}

func daysIn(year int, m time.Month) int {
	return time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// weekdayCodes holds RFC 5545 weekday codes, two letters each, from Sunday.
const weekdayCodes = "SUMOTUWETHFRSA"

func weekdayCode(d time.Weekday) string { return weekdayCodes[2*d : 2*d+2] }

// rrule is the observance's yearly rule, or "" for a single onset.
func (o *observance) rrule() string {
	if len(o.onsets) < 2 && !o.open {
		return ""
	}
	first := o.onsets[0]
	wd := weekdayCode(first.Weekday())
	rule := "FREQ=YEARLY;BYMONTH=" + strconv.Itoa(int(first.Month())) + ";"
	// Prefer the forms every client knows: "last Sunday", then "second
	// Sunday"; a rule like "first Sunday on or after the 2nd" (Chile) needs
	// BYMONTHDAY.
	switch n := (o.hi-1)/7 + 1; {
	case o.lastOK:
		rule += "BYDAY=-1" + wd
	case n <= 4 && 7*(n-1)+1 >= o.lo:
		rule += "BYDAY=" + strconv.Itoa(n) + wd
	default:
		days := make([]string, 0, 7)
		for d := o.lo; d < o.lo+7 && d <= 31; d++ {
			days = append(days, strconv.Itoa(d))
		}
		rule += "BYMONTHDAY=" + strings.Join(days, ",") + ";BYDAY=" + wd
	}
	if !o.open {
		// In a VTIMEZONE, UNTIL must be in UTC (RFC 5545 3.8.5.3).
		rule += ";UNTIL=" + o.onsets[len(o.onsets)-1].UTC().Format(dateTimeUTC)
	}
	return rule
}

func (z *vtimezone) write(e *encoder) {
	e.line("BEGIN:VTIMEZONE")
	e.text("TZID", z.tzid)
	for _, o := range z.observances {
		kind := "STANDARD"
		if o.daylight {
			kind = "DAYLIGHT"
		}
		e.line("BEGIN:" + kind)
		e.line("DTSTART:" + o.onsets[0].Format(dateTimeLocal))
		e.line("TZOFFSETFROM:" + utcOffset(o.from))
		e.line("TZOFFSETTO:" + utcOffset(o.to))
		if o.name != "" {
			e.text("TZNAME", o.name)
		}
		if r := o.rrule(); r != "" {
			e.line("RRULE:" + r)
		}
		e.line("END:" + kind)
	}
	e.line("END:VTIMEZONE")
}

// utcOffset formats seconds east of UTC as RFC 5545 UTC-OFFSET: +HHMM, or
// +HHMMSS for the odd historical offset with seconds.
func utcOffset(sec int) string {
	sign := byte('+')
	if sec < 0 {
		sign, sec = '-', -sec
	}
	h, m, s := sec/3600, sec/60%60, sec%60
	if s != 0 {
		return fmt.Sprintf("%c%02d%02d%02d", sign, h, m, s)
	}
	return fmt.Sprintf("%c%02d%02d", sign, h, m)
}
