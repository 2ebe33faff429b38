package scheduler

import (
	"errors"
	"fmt"
	"math/bits"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/robfig/cron/v3"

	"github.com/kindred-bot/kindred/internal/zones"
)

// ErrBadRepeat is wrapped by the errors of ParseRepeat and NewRecurrence
// that come from what a member typed; the error text is meant for members
// and ends with examples that work.
var ErrBadRepeat = errors.New(`repeat can be none, daily, weekly, biweekly, monthly, or a cron schedule such as "0 19 * * 2" (Tuesdays at 19:00)`)

// The cadences of Repeat.
const (
	RepeatNone     = "none"
	RepeatDaily    = "daily"
	RepeatWeekly   = "weekly"
	RepeatBiweekly = "biweekly"
	RepeatMonthly  = "monthly"
	RepeatCron     = "cron"
)

const (
	// maxRepeatInput bounds what ParseRepeat reads; a cron line for a
	// meeting fits easily.
	maxRepeatInput = 100
	// cronStar is the bit robfig/cron sets on a field written as * or ?,
	// which decides whether day of month and day of week combine by AND or OR.
	cronStar = 1 << 63
	// maxCronScan bounds the firings Next looks at for one answer. It needs
	// a handful (a series fires at most hourly); the bound only guards
	// against a schedule this code has not foreseen.
	maxCronScan = 1000
)

// Repeat is the `repeat` option as a member chose it.
type Repeat struct {
	Cadence string // RepeatNone, RepeatDaily, RepeatWeekly, RepeatBiweekly, RepeatMonthly or RepeatCron
	Cron    string // for RepeatCron: the five fields, normalised ("0 19 * * 2")
}

// ParseRepeat reads the `repeat` option: "none" (or empty), "daily",
// "weekly", "biweekly", "monthly", or five cron fields (minute hour
// day-of-month month day-of-week) as robfig/cron's standard parser reads
// them. Case and spacing don't matter; "once", "fortnightly" and "every
// other week" are understood too.
//
// Cron descriptors (@weekly, @every 1h) are refused: the named repeats say
// the same thing at the meeting's own time, while @weekly means midnight and
// @every ignores the calendar. A CRON_TZ= prefix is refused because the
// timezone comes from the meeting. A cron schedule must fire on a single
// minute of the hour, so a series can't flood a group with reminders, and
// must fire at all ("0 0 30 2 *" never does).
func ParseRepeat(input string) (Repeat, error) {
	if utf8.RuneCountInString(input) > maxRepeatInput {
		return Repeat{}, fmt.Errorf("that is longer than any repeat I know: %w", ErrBadRepeat)
	}
	words := strings.Fields(strings.ToLower(input))
	text := strings.Join(words, " ")
	switch text {
	case "", RepeatNone, "once", "never":
		return Repeat{Cadence: RepeatNone}, nil
	case RepeatDaily, "every day":
		return Repeat{Cadence: RepeatDaily}, nil
	case RepeatWeekly, "every week":
		return Repeat{Cadence: RepeatWeekly}, nil
	case RepeatBiweekly, "fortnightly", "every other week", "every 2 weeks", "every two weeks":
		return Repeat{Cadence: RepeatBiweekly}, nil
	case RepeatMonthly, "every month":
		return Repeat{Cadence: RepeatMonthly}, nil
	}
	switch {
	case strings.HasPrefix(text, "@"):
		return Repeat{}, fmt.Errorf("%q: instead of a cron shortcut, use daily, weekly or monthly, or five fields like 0 19 * * 2: %w", text, ErrBadRepeat)
	case strings.HasPrefix(text, "tz=") || strings.HasPrefix(text, "cron_tz="):
		return Repeat{}, fmt.Errorf("%q: leave the timezone out; the meeting's timezone option sets it: %w", text, ErrBadRepeat)
	case !strings.ContainsAny(text[:1], "0123456789*?"):
		// Cron fields start with a number, * or ?; "every 3 weeks" is not
		// a broken cron schedule but a repeat we don't offer.
		return Repeat{}, fmt.Errorf("%q is not a repeat I know: %w", text, ErrBadRepeat)
	}
	if _, err := parseCron(text); err != nil {
		return Repeat{}, err
	}
	return Repeat{Cadence: RepeatCron, Cron: text}, nil
}

// parseCron reads five normalised cron fields into a schedule that works on
// wall-clock time: its location is UTC and callers feed it local times
// rewritten as UTC (see Recurrence.nextCron). Errors wrap ErrBadRepeat.
func parseCron(fields string) (*cron.SpecSchedule, error) {
	if n := len(strings.Fields(fields)); n != 5 {
		return nil, fmt.Errorf("%q: a cron schedule has five fields (minute hour day month weekday), like 0 19 * * 2; this one has %d: %w", fields, n, ErrBadRepeat)
	}
	if !wellFormedCron(fields) {
		return nil, fmt.Errorf("%q: cron fields hold numbers, names like tue, and * ? , - / between them: %w", fields, ErrBadRepeat)
	}
	parsed, err := cron.ParseStandard(fields)
	if err != nil {
		return nil, fmt.Errorf("%q is not a cron schedule I can read (%v): %w", fields, err, ErrBadRepeat)
	}
	spec, ok := parsed.(*cron.SpecSchedule)
	if !ok {
		return nil, fmt.Errorf("%q is not a cron schedule I can read: %w", fields, ErrBadRepeat)
	}
	wall := *spec
	wall.Location = time.UTC
	if bits.OnesCount64(wall.Minute&^cronStar) != 1 {
		return nil, fmt.Errorf("%q: a meeting starts on one minute of the hour, so give the minute as one number, like 0 19 * * 2: %w", fields, ErrBadRepeat)
	}
	// Five years from any point cover every date a schedule can name
	// (29 February included), so no firing in that window means none ever.
	if wall.Next(time.Date(2001, time.January, 1, 0, 0, 0, 0, time.UTC)).IsZero() {
		return nil, fmt.Errorf("%q never happens: no date matches it: %w", fields, ErrBadRepeat)
	}
	return &wall, nil
}

// wellFormedCron catches what robfig/cron lets through without meaning:
// it ignores anything after a * ("*-;" reads as "*") and skips empty list
// items ("1,,2"). What it accepts is also stored, so stray characters (";")
// must not reach it.
func wellFormedCron(fields string) bool {
	for _, c := range fields {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || strings.ContainsRune("*?,-/ ", c)) {
			return false
		}
	}
	for _, field := range strings.Fields(fields) {
		for _, item := range strings.Split(field, ",") {
			span, _, _ := strings.Cut(item, "/")
			if span == "" || strings.ContainsAny(span, "*?") && len(span) != 1 {
				return false
			}
		}
	}
	return true
}

// Recurrence is a meeting's series: when it first happens, how it repeats,
// and the timezone its wall-clock time belongs to. The zero value has no
// occurrences. A Recurrence is immutable and safe to share.
//
// Every occurrence keeps the series' wall-clock time in its timezone across
// daylight-saving changes. A time a change skips moves forward by the length
// of the jump (a 02:30 meeting happens at 03:30 that night), and a time that
// happens twice is held at its first pass, once; these are RFC 5545's rules,
// so calendars built from RRule agree with Next.
//
//   - daily, weekly: every 1 or 7 days from the start.
//   - biweekly: every 14 days from the start, so the start's date fixes which
//     weeks (the parity survives DST and year ends because it is counted in
//     calendar days, not hours).
//   - monthly: the start's day of the month; on the 29th–31st, months that
//     are shorter have it on their last day (a series started on 31 January
//     meets on 28 or 29 February, 31 March, 30 April …), because skipping
//     months would leave a group without its meeting.
//   - cron: the schedule's firings at or after the start.
type Recurrence struct {
	cadence string
	spec    string // five cron fields; for the named kinds, what they amount to
	loc     *time.Location
	start   time.Time // the first occurrence, or for cron the earliest allowed
	// The start as the wall clock in loc shows it, to the minute: named
	// kinds repeat this, whatever daylight saving does to single instants.
	year                    int
	month                   time.Month
	day, hour, minute, step int // step: days between occurrences for daily, weekly, biweekly
	sched                   *cron.SpecSchedule
}

// NewRecurrence builds the series that starts at first (taken to the
// minute) in loc (UTC when nil) and repeats as r says. For a cron schedule,
// first is the earliest time it may fire; a schedule that never fires from
// there, or first fires more than a year later, is refused with an error
// wrapping ErrBadRepeat. loc must be a named zone (not time.Local or a
// fixed zone), since the series is stored by its name.
func NewRecurrence(r Repeat, first time.Time, loc *time.Location) (Recurrence, error) {
	if loc == nil {
		loc = time.UTC
	}
	if loc == time.Local {
		return Recurrence{}, errors.New("new recurrence: needs a named timezone, not the host's local time")
	}
	if _, err := time.LoadLocation(loc.String()); err != nil {
		return Recurrence{}, fmt.Errorf("new recurrence: timezone %q can't be stored by name: %w", loc, err)
	}
	w := first.In(loc)
	return buildRecurrence(r, w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), loc)
}

// buildRecurrence is NewRecurrence from the start's wall clock, which is
// also how DecodeRecurrence restores a stored series.
func buildRecurrence(r Repeat, year int, month time.Month, day, hour, minute int, loc *time.Location) (Recurrence, error) {
	rec := Recurrence{
		cadence: r.Cadence, loc: loc,
		year: year, month: month, day: day, hour: hour, minute: minute,
		start: wallClock(year, month, day, hour, minute, loc),
	}
	weekday := time.Date(year, month, day, 0, 0, 0, 0, time.UTC).Weekday()
	switch r.Cadence {
	case RepeatNone, "":
		rec.cadence = RepeatNone
		rec.spec = fmt.Sprintf("%d %d %d %d *", minute, hour, day, month)
	case RepeatDaily:
		rec.step = 1
		rec.spec = fmt.Sprintf("%d %d * * *", minute, hour)
	case RepeatWeekly, RepeatBiweekly:
		rec.step = 7
		if r.Cadence == RepeatBiweekly {
			rec.step = 14
		}
		rec.spec = fmt.Sprintf("%d %d * * %d", minute, hour, weekday)
	case RepeatMonthly:
		rec.spec = fmt.Sprintf("%d %d %d * *", minute, hour, day)
	case RepeatCron:
		fields := strings.Join(strings.Fields(strings.ToLower(r.Cron)), " ")
		sched, err := parseCron(fields)
		if err != nil {
			return Recurrence{}, err
		}
		rec.spec, rec.sched = fields, sched
		firing := rec.First()
		if firing.IsZero() {
			return Recurrence{}, fmt.Errorf("%q doesn't happen after %s: %w", fields, FormatStart(rec.start, loc), ErrBadRepeat)
		}
		if firing.After(rec.start.AddDate(1, 0, 0)) {
			return Recurrence{}, fmt.Errorf("%q first happens on %s, more than a year after the start: %w", fields, FormatStart(firing, loc), ErrBadRepeat)
		}
	default:
		return Recurrence{}, fmt.Errorf("%q is not a repeat I know: %w", r.Cadence, ErrBadRepeat)
	}
	return rec, nil
}

// Cadence is one of the Repeat cadences.
func (r Recurrence) Cadence() string { return r.cadence }

// Location is the timezone the series keeps its wall-clock time in.
func (r Recurrence) Location() *time.Location {
	if r.loc == nil {
		return time.UTC
	}
	return r.loc
}

// First is the series' first occurrence (zero when it has none).
func (r Recurrence) First() time.Time {
	if r.cadence == "" {
		return time.Time{}
	}
	return r.Next(r.start.Add(-time.Nanosecond))
}

// Next returns the first occurrence strictly after after, or the zero time
// when there is none (a one-off meeting that has happened).
func (r Recurrence) Next(after time.Time) time.Time {
	switch r.cadence {
	case RepeatNone:
		if after.Before(r.start) {
			return r.start
		}
		return time.Time{}
	case RepeatDaily, RepeatWeekly, RepeatBiweekly:
		return r.nextByDays(after)
	case RepeatMonthly:
		return r.nextMonthly(after)
	case RepeatCron:
		return r.nextCron(after)
	}
	return time.Time{}
}

func (r Recurrence) nextByDays(after time.Time) time.Time {
	if after.Before(r.start) {
		return r.start
	}
	// Count whole calendar days in loc from the start, not hours: days
	// around a daylight-saving change are 23 or 25 hours long.
	startDay := time.Date(r.year, r.month, r.day, 0, 0, 0, 0, time.UTC).Unix()
	days := int((civilDay(after.In(r.loc)) - startDay) / 86400)
	k := max(0, floorDiv(days, r.step)*r.step-r.step)
	for range 8 {
		t := wallClock(r.year, r.month, r.day+k, r.hour, r.minute, r.loc)
		if t.After(after) {
			return t
		}
		k += r.step
	}
	return time.Time{}
}

func (r Recurrence) nextMonthly(after time.Time) time.Time {
	if after.Before(r.start) {
		return r.start
	}
	a := after.In(r.loc)
	months := (a.Year()-r.year)*12 + int(a.Month()-r.month)
	for n := max(0, months-1); n <= months+6; n++ {
		if t := r.monthly(n); t.After(after) {
			return t
		}
	}
	return time.Time{}
}

// monthly is the series' nth occurrence, n months after the start.
func (r Recurrence) monthly(n int) time.Time {
	first := time.Date(r.year, r.month+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	day := min(r.day, daysIn(first.Year(), first.Month()))
	return wallClock(first.Year(), first.Month(), day, r.hour, r.minute, r.loc)
}

// nextCron asks the schedule about wall-clock times, not instants.
// robfig/cron, run in the meeting's zone, skips a firing that falls in a
// daylight-saving gap and fires twice in a repeated hour; read in UTC it sees
// an unbroken clock, and wallClock then applies the series' rules to each
// firing. Because a skipped time moves forward, a firing can land after a
// later one, so the earliest instant is taken, not the first firing.
func (r Recurrence) nextCron(after time.Time) time.Time {
	if after.Before(r.start) {
		after = r.start.Add(-time.Nanosecond)
	}
	a := after.In(r.loc)
	w := time.Date(a.Year(), a.Month(), a.Day(), a.Hour(), a.Minute(), a.Second(), a.Nanosecond(), time.UTC)
	// Just after clocks jump forward, firings named for the skipped times
	// (earlier on the clock than a) are still ahead.
	if start, _ := a.ZoneBounds(); !start.IsZero() {
		_, before := start.Add(-time.Second).Zone()
		_, now := a.Zone()
		if jump := time.Duration(now-before) * time.Second; jump > 0 && a.Sub(start) < jump {
			w = w.Add(-jump)
		}
	}
	var best time.Time
	for range maxCronScan {
		w = r.sched.Next(w)
		if w.IsZero() || (!best.IsZero() && w.Unix() > wallUnix(best)) {
			break
		}
		t := wallClock(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), r.loc)
		if t.After(after) && (best.IsZero() || t.Before(best)) {
			best = t
		}
	}
	return best
}

// Encode returns the text stored for the series, stable across versions:
//
//	CRON_TZ=Europe/Berlin 0 19 * * 2;repeat=biweekly;start=2026-12-01T19:00
//
// The first part is a cron spec for the timezone, as the design stores
// series; for the named kinds it is what they amount to (monthly on the
// 31st adds the month-end rule, none fires once). repeat says which rules
// apply and start is the first occurrence's wall-clock time in that zone, so
// a series keeps meaning 19:00 local even if the zone's rules change. The
// zero Recurrence encodes as "".
func (r Recurrence) Encode() string {
	if r.cadence == "" {
		return ""
	}
	return fmt.Sprintf("CRON_TZ=%s %s;repeat=%s;start=%04d-%02d-%02dT%02d:%02d",
		r.Location(), r.spec, r.cadence, r.year, r.month, r.day, r.hour, r.minute)
}

// DecodeRecurrence reads what Encode wrote. Text that Encode could not have
// written is refused rather than guessed at.
func DecodeRecurrence(s string) (Recurrence, error) {
	rec, err := decodeRecurrence(s)
	if err != nil {
		return Recurrence{}, fmt.Errorf("decode recurrence %q: %w", s, err)
	}
	return rec, nil
}

// location loads a stored zone name, from the zones package's loaded
// zones when it is one of their canonical names: a series is decoded on
// every press of its buttons, and LoadLocation reads a file each time.
func location(name string) (*time.Location, error) {
	if canonical, loc, ok := zones.Lookup(name); ok && canonical == name {
		return loc, nil
	}
	return time.LoadLocation(name)
}

func decodeRecurrence(s string) (Recurrence, error) {
	parts := strings.Split(s, ";")
	if len(parts) != 3 {
		return Recurrence{}, errors.New("want spec;repeat=…;start=…")
	}
	spec, ok := strings.CutPrefix(parts[0], "CRON_TZ=")
	if !ok {
		return Recurrence{}, errors.New("spec lacks CRON_TZ=")
	}
	zone, fields, _ := strings.Cut(spec, " ")
	if zone == "" || zone == "Local" {
		return Recurrence{}, fmt.Errorf("timezone %q is not a named zone", zone)
	}
	loc, err := location(zone)
	if err != nil {
		return Recurrence{}, err
	}
	kind, ok := strings.CutPrefix(parts[1], "repeat=")
	if !ok {
		return Recurrence{}, errors.New("second part is not repeat=")
	}
	startText, ok := strings.CutPrefix(parts[2], "start=")
	if !ok {
		return Recurrence{}, errors.New("third part is not start=")
	}
	// Parsed as UTC to read the wall clock exactly as written, even a time
	// a daylight-saving change skips.
	start, err := time.Parse("2006-01-02T15:04", startText)
	if err != nil {
		return Recurrence{}, err
	}
	repeat := Repeat{Cadence: kind}
	if kind == RepeatCron {
		repeat.Cron = fields
	}
	if kind == "" {
		return Recurrence{}, errors.New("repeat is empty")
	}
	rec, err := buildRecurrence(repeat, start.Year(), start.Month(), start.Day(), start.Hour(), start.Minute(), loc)
	if err != nil {
		return Recurrence{}, err
	}
	if rec.Encode() != s {
		return Recurrence{}, fmt.Errorf("not in the form Encode writes (%q)", rec.Encode())
	}
	return rec, nil
}

// pattern is a series in the terms both people and RFC 5545 use. It exists
// only for series that fit those terms.
type pattern struct {
	freq      string // DAILY, WEEKLY or MONTHLY
	interval  int
	weekdays  []time.Weekday
	monthDays []int
	clamp     bool // monthly on the 29th–31st: the last day of shorter months
	clock     int  // minutes after midnight
}

func (r Recurrence) pattern() (pattern, bool) {
	clock := r.hour*60 + r.minute
	switch r.cadence {
	case RepeatDaily:
		return pattern{freq: "DAILY", interval: 1, clock: clock}, true
	case RepeatWeekly, RepeatBiweekly:
		weekday := time.Date(r.year, r.month, r.day, 0, 0, 0, 0, time.UTC).Weekday()
		return pattern{freq: "WEEKLY", interval: r.step / 7, weekdays: []time.Weekday{weekday}, clock: clock}, true
	case RepeatMonthly:
		return pattern{freq: "MONTHLY", interval: 1, monthDays: []int{r.day}, clamp: r.day > 28, clock: clock}, true
	case RepeatCron:
		return cronPattern(r.sched)
	}
	return pattern{}, false
}

// cronPattern recognises the cron schedules that read as "every day",
// "every Monday and Thursday" or "on the 1st and 15th of each month" at one
// time of day.
func cronPattern(s *cron.SpecSchedule) (pattern, bool) {
	if s == nil {
		return pattern{}, false
	}
	minutes, hours := setBits(s.Minute, 0, 59), setBits(s.Hour, 0, 23)
	if len(minutes) != 1 || len(hours) != 1 || len(setBits(s.Month, 1, 12)) != 12 {
		return pattern{}, false
	}
	p := pattern{interval: 1, clock: hours[0]*60 + minutes[0]}
	days, weekdays := setBits(s.Dom, 1, 31), setBits(s.Dow, 0, 6)
	domAny, dowAny := s.Dom&cronStar != 0, s.Dow&cronStar != 0
	switch {
	case domAny && (dowAny || len(weekdays) == 7), dowAny && len(days) == 31:
		p.freq = "DAILY"
	case domAny:
		p.freq = "WEEKLY"
		for _, d := range weekdays {
			p.weekdays = append(p.weekdays, time.Weekday(d))
		}
	case dowAny:
		p.freq, p.monthDays = "MONTHLY", days
	default:
		// Both restricted: cron fires when either matches, which neither
		// people nor RRULE say simply.
		return pattern{}, false
	}
	return p, true
}

// setBits lists the values from lo to hi whose bit is set in field.
func setBits(field uint64, lo, hi int) []int {
	var out []int
	for v := lo; v <= hi; v++ {
		if field&(1<<uint(v)) != 0 {
			out = append(out, v)
		}
	}
	return out
}

// Describe says how the series repeats, for people: "every Tuesday at 19:00
// (Europe/Berlin)", "every other Tuesday at 19:00 (Europe/Berlin)", "on the
// 1st of each month at 19:00 (Europe/Berlin)", "once". The date and time of
// a single occurrence are not part of it; show those with Discord's
// timestamp markup.
func (r Recurrence) Describe() string {
	zone := " (" + r.Location().String() + ")"
	p, ok := r.pattern()
	switch {
	case r.cadence == RepeatNone:
		return "once"
	case r.cadence == "":
		return "never"
	case !ok:
		return fmt.Sprintf("on the cron schedule %s%s", r.spec, zone)
	}
	at := " at " + FormatClock(p.clock) + zone
	switch p.freq {
	case "DAILY":
		return "every day" + at
	case "WEEKLY":
		// Listed from Monday, the way a week reads in a calendar.
		names := make([]string, 0, len(p.weekdays))
		for _, wd := range mondayFirst(p.weekdays) {
			names = append(names, wd.String())
		}
		if p.interval == 2 {
			return "every other " + joinAnd(names) + at
		}
		return "every " + joinAnd(names) + at
	default:
		days := make([]string, 0, len(p.monthDays))
		for _, d := range p.monthDays {
			days = append(days, ordinal(d))
		}
		switch {
		case p.clamp:
			return "on the " + joinAnd(days) + " of each month (the last day in shorter months)" + at
		case p.monthDays[len(p.monthDays)-1] > 28:
			// A cron schedule skips the months that lack the day.
			return "on the " + joinAnd(days) + " of each month (when the month has it)" + at
		}
		return "on the " + joinAnd(days) + " of each month" + at
	}
}

// RRule returns the series as an RFC 5545 RRULE value, to go with a DTSTART
// of First() in Location(): FREQ=DAILY, FREQ=WEEKLY;BYDAY=TU,
// FREQ=WEEKLY;INTERVAL=2;BYDAY=TU, FREQ=MONTHLY;BYMONTHDAY=1. Monthly on
// the 29th–31st says "the last day when the month is shorter" with BYSETPOS.
// ok is false for a one-off meeting and for cron schedules with no simple
// equivalent; list their occurrences one by one instead.
func (r Recurrence) RRule() (string, bool) {
	p, ok := r.pattern()
	if !ok {
		return "", false
	}
	if r.cadence == RepeatCron {
		// DTSTART carries the time of day, so it must be the schedule's own.
		first := r.First()
		if first.IsZero() || first.In(r.loc).Hour()*60+first.In(r.loc).Minute() != p.clock {
			return "", false
		}
	}
	rule := "FREQ=" + p.freq
	if p.interval > 1 {
		rule += fmt.Sprintf(";INTERVAL=%d", p.interval)
	}
	switch p.freq {
	case "WEEKLY":
		codes := make([]string, 0, len(p.weekdays))
		for _, wd := range mondayFirst(p.weekdays) {
			codes = append(codes, strings.ToUpper(wd.String()[:2]))
		}
		rule += ";BYDAY=" + strings.Join(codes, ",")
	case "MONTHLY":
		switch {
		case p.clamp && p.monthDays[0] == 31:
			rule += ";BYMONTHDAY=-1"
		case p.clamp:
			days := make([]string, 0, 3)
			for d := 28; d <= p.monthDays[0]; d++ {
				days = append(days, fmt.Sprint(d))
			}
			rule += ";BYMONTHDAY=" + strings.Join(days, ",") + ";BYSETPOS=-1"
		default:
			days := make([]string, 0, len(p.monthDays))
			for _, d := range p.monthDays {
				days = append(days, fmt.Sprint(d))
			}
			rule += ";BYMONTHDAY=" + strings.Join(days, ",")
		}
	}
	return rule, true
}

func mondayFirst(days []time.Weekday) []time.Weekday {
	out := make([]time.Weekday, 0, len(days))
	for _, d := range days {
		if d != time.Sunday {
			out = append(out, d)
		}
	}
	for _, d := range days {
		if d == time.Sunday {
			out = append(out, d)
		}
	}
	return out
}

func joinAnd(items []string) string {
	if len(items) <= 1 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

func ordinal(n int) string {
	suffix := "th"
	switch {
	case n%100 >= 11 && n%100 <= 13:
	case n%10 == 1:
		suffix = "st"
	case n%10 == 2:
		suffix = "nd"
	case n%10 == 3:
		suffix = "rd"
	}
	return fmt.Sprintf("%d%s", n, suffix)
}

// civilDay is the start of t's calendar day as seconds, counting days the
// same length everywhere.
func civilDay(t time.Time) int64 {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix()
}

func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
