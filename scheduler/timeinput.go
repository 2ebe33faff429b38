package scheduler

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// ErrBadStart is wrapped by ParseStart's errors; the error text is meant for
// members and ends with examples that work.
var ErrBadStart = errors.New("starts look like 2026-12-01 19:00, tomorrow 19:00, 19:00 or tue 7pm")

const (
	// maxStartInput bounds what ParseStart reads; every accepted form is far
	// shorter, so anything longer is a paste gone wrong.
	maxStartInput = 64
	// maxStartAhead keeps a typo in the year ("2062-12-01") from scheduling
	// a meeting nobody will be around for.
	maxStartAhead = 2 * 366 * 24 * time.Hour
)

// weekdays maps what members type for a day of the week. Read-only.
var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "sunday": time.Sunday,
	"mon": time.Monday, "monday": time.Monday,
	"tue": time.Tuesday, "tues": time.Tuesday, "tuesday": time.Tuesday,
	"wed": time.Wednesday, "weds": time.Wednesday, "wednesday": time.Wednesday,
	"thu": time.Thursday, "thur": time.Thursday, "thurs": time.Thursday, "thursday": time.Thursday,
	"fri": time.Friday, "friday": time.Friday,
	"sat": time.Saturday, "saturday": time.Saturday,
}

// ParseStart reads when a meeting starts, as a member types it, in loc
// (UTC when nil), relative to now. Accepted, case-insensitive and with any
// spacing:
//
//	2026-12-01 19:00   a date and a time
//	19:00              the next 19:00: today if still ahead, else tomorrow
//	today 19:00, tomorrow 7pm
//	tue 19:00, tuesday 7pm, Tue 7:30pm
//	                   the next such day; today only if the time is still ahead
//
// The day may also come last ("7pm tomorrow"), and an "at" may sit between
// day and time ("tomorrow at 7pm"). Times are read by ParseClock.
//
// The result is in loc and on a whole minute. A time that a daylight-saving
// change skips (02:30 when clocks jump from 02:00 to 03:00) moves forward by
// the length of the jump (03:30), and a time that happens twice (clocks going
// back) means its first pass, the same rules recurrences and iCalendar use;
// FormatStart shows the moved time, so the echo tells the member. A start
// that is not after now, or more than two years ahead, is refused.
func ParseStart(input string, now time.Time, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = time.UTC
	}
	if utf8.RuneCountInString(input) > maxStartInput {
		return time.Time{}, fmt.Errorf("that is longer than any start I know: %w", ErrBadStart)
	}
	words := strings.Fields(strings.ToLower(input))
	if len(words) == 0 {
		return time.Time{}, fmt.Errorf("the start is empty: %w", ErrBadStart)
	}
	shown := strings.Join(words, " ")
	today := now.In(loc)
	// "7pm tomorrow" says the same as "tomorrow 7pm".
	if len(words) > 1 && !isDayWord(words[0]) && isDayWord(words[len(words)-1]) {
		words = append([]string{words[len(words)-1]}, words[:len(words)-1]...)
	}

	// The day part, when there is one, is the first word.
	var (
		year        int
		month       time.Month
		day         int
		weekday     time.Weekday
		hasDate     bool
		hasWeekday  bool
		rollForward bool // a bare time means the next one, possibly tomorrow
	)
	first, rest := words[0], words[1:]
	switch wd, isWeekday := weekdays[first]; {
	case strings.Contains(first, "-"):
		y, m, d, err := parseDate(first)
		if err != nil {
			return time.Time{}, fmt.Errorf("%q: %v: %w", shown, err, ErrBadStart)
		}
		year, month, day, hasDate = y, m, d, true
	case first == "today":
		year, month, day = today.Date()
		hasDate = true
	case first == "tomorrow":
		year, month, day = today.AddDate(0, 0, 1).Date()
		hasDate = true
	case isWeekday:
		weekday, hasWeekday = wd, true
	default:
		rest = words
		rollForward = true
	}
	if !rollForward {
		if len(rest) > 0 && rest[0] == "at" {
			rest = rest[1:]
		}
		if len(rest) == 0 {
			return time.Time{}, fmt.Errorf("%q: add a time, like %s 19:00: %w", shown, first, ErrBadStart)
		}
	}

	clockText := strings.Join(rest, " ")
	minutes, err := ParseClock(clockText)
	if err != nil {
		if !startsWithDigit(clockText) {
			// "next week" is not a badly written time but a form we don't
			// read; the clock's hint would only confuse.
			return time.Time{}, fmt.Errorf("%q is not a start I can read: %w", shown, ErrBadStart)
		}
		return time.Time{}, fmt.Errorf("%w; %w", err, ErrBadStart)
	}
	hour, minute := minutes/60, minutes%60

	var start time.Time
	switch {
	case hasDate:
		start = wallClock(year, month, day, hour, minute, loc)
	case hasWeekday:
		ahead := (int(weekday) - int(today.Weekday()) + 7) % 7
		y, m, d := today.AddDate(0, 0, ahead).Date()
		start = wallClock(y, m, d, hour, minute, loc)
		if !start.After(now) {
			y, m, d = today.AddDate(0, 0, ahead+7).Date()
			start = wallClock(y, m, d, hour, minute, loc)
		}
	default:
		y, m, d := today.Date()
		start = wallClock(y, m, d, hour, minute, loc)
		if !start.After(now) {
			y, m, d = today.AddDate(0, 0, 1).Date()
			start = wallClock(y, m, d, hour, minute, loc)
		}
	}

	if !start.After(now) {
		return time.Time{}, fmt.Errorf("%q has already passed; it is now %s. Pick a later time: %w",
			shown, FormatStart(now, loc), ErrBadStart)
	}
	if start.Sub(now) > maxStartAhead {
		return time.Time{}, fmt.Errorf("%q is more than two years away; meetings can be scheduled up to two years ahead: %w",
			shown, ErrBadStart)
	}
	return start, nil
}

// FormatStart writes t as a person reads it in loc (UTC when nil), zone
// included: "Tue 1 Dec 2026, 19:00 (Europe/Berlin)". It is for places where
// Discord's timestamp markup does not render, such as autocomplete choices.
func FormatStart(t time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format("Mon 2 Jan 2006, 15:04") + " (" + loc.String() + ")"
}

// parseDate reads "2026-12-01" (month and day may drop the leading zero).
// Its errors are phrases for members, without the sentinel.
func parseDate(s string) (int, time.Month, int, error) {
	parts := strings.Split(s, "-")
	if len(parts) != 3 || len(parts[0]) != 4 {
		return 0, 0, 0, errors.New("dates look like 2026-12-01 (year-month-day)")
	}
	year, errY := smallNumber(parts[0], 4)
	month, errM := smallNumber(parts[1], 2)
	day, errD := smallNumber(parts[2], 2)
	if errY != nil || errM != nil || errD != nil {
		return 0, 0, 0, errors.New("dates look like 2026-12-01 (year-month-day)")
	}
	if month < 1 || month > 12 {
		return 0, 0, 0, errors.New("months go from 01 to 12")
	}
	if day < 1 || day > daysIn(year, time.Month(month)) {
		return 0, 0, 0, fmt.Errorf("%s %d has %d days", time.Month(month), year, daysIn(year, time.Month(month)))
	}
	return year, time.Month(month), day, nil
}

// isDayWord reports whether w names a day the way a start may begin.
func isDayWord(w string) bool {
	_, isWeekday := weekdays[w]
	return isWeekday || w == "today" || w == "tomorrow" || strings.Contains(w, "-")
}

func startsWithDigit(s string) bool {
	return s != "" && s[0] >= '0' && s[0] <= '9'
}

// daysIn reports how many days month has in year.
func daysIn(year int, month time.Month) int {
	return time.Date(year, month+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// wallClock returns the instant at which clocks in loc show the given date
// and time. time.Date leaves both daylight-saving edge cases unspecified
// (and in practice answers differently east and west of UTC), so they are
// pinned here, the way RFC 5545 reads local times:
//   - a time the change skips (02:30 when clocks jump from 02:00 to 03:00)
//     moves forward by the length of the jump, to 03:30;
//   - a time that happens twice (clocks going back) is its first pass.
//
// Every occurrence of a series goes through here, so a meeting, its
// reminders and an exported calendar agree on when it is.
func wallClock(year int, month time.Month, day, hour, minute int, loc *time.Location) time.Time {
	t := time.Date(year, month, day, hour, minute, 0, 0, loc)
	// The wall clock read as UTC: seconds that, minus a UTC offset, give an instant.
	wall := time.Date(year, month, day, hour, minute, 0, 0, time.UTC).Unix()
	if wallUnix(t) == wall {
		// Clocks went back at the start of t's zone period: the same wall
		// time may also have happened before it, at the earlier offset.
		start, _ := t.ZoneBounds()
		if start.IsZero() {
			return t
		}
		_, before := start.Add(-time.Second).Zone()
		_, after := t.Zone()
		if before > after {
			earlier := time.Unix(wall-int64(before), 0).In(loc)
			if earlier.Before(start) && wallUnix(earlier) == wall {
				return earlier
			}
		}
		return t
	}
	// The wall time falls in a gap. The gap sits at the transition at one
	// end of t's zone period; read the time with the offset in force before
	// that transition, which lands just as far past it.
	start, end := t.ZoneBounds()
	for _, edge := range []time.Time{start, end} {
		if edge.IsZero() {
			continue
		}
		_, before := edge.Add(-time.Second).Zone()
		_, after := edge.Zone()
		if after > before && wall-int64(before) >= edge.Unix() && wall-int64(after) < edge.Unix() {
			return time.Unix(wall-int64(before), 0).In(loc)
		}
	}
	return t
}

// wallUnix is t's wall clock in its own location, read as if it were UTC.
func wallUnix(t time.Time) int64 {
	_, offset := t.Zone()
	return t.Unix() + int64(offset)
}
