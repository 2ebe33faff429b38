package storage

import (
	"slices"
	"time"
)

// GentleStreak counts the local calendar days with a check-in in the
// member's current run. It is gentle: one missed day between two check-in
// days does not break the run, two missed days in a row do, and a missed
// day is never counted. The run is current while the latest check-in is
// today, yesterday or the day before (one missed day so far); after that
// the streak is 0.
//
// dates are local dates ('YYYY-MM-DD') in any order; repeats count once.
// Dates after today (the member moved west across the date line) and
// malformed ones are ignored, as is everything when today is malformed.
func GentleStreak(dates []string, today string) int {
	now, ok := dayNumber(today)
	if !ok {
		return 0
	}
	days := make([]int, 0, len(dates))
	for _, d := range dates {
		if n, ok := dayNumber(d); ok && n <= now {
			days = append(days, n)
		}
	}
	slices.Sort(days)
	run := newStreakWalk(now)
	for i := len(days) - 1; i >= 0; i-- {
		if !run.add(days[i]) {
			break
		}
	}
	return run.days
}

// maxGap is the most days from one check-in day to the next (or from the
// latest to today) that keeps a run going: 2 is one missed day between.
const maxGap = 2

// streakWalk counts a run from the newest check-in day backwards, so the
// database can stop reading at the first gap instead of loading a
// member's whole history.
type streakWalk struct {
	today    int
	last     int // the earliest day counted so far
	days     int
	sawToday bool
}

func newStreakWalk(today int) streakWalk {
	return streakWalk{today: today}
}

func (w *streakWalk) streak() Streak {
	return Streak{Days: w.days, Today: w.sawToday}
}

// add takes the next day going back in time (a day already counted is
// ignored) and reports whether the walk should go on: false once the run
// is broken (or was never current), after which the count is final.
func (w *streakWalk) add(day int) bool {
	switch {
	case day > w.today:
		return true // from the future: not part of today's run
	case w.days == 0:
		if w.today-day > maxGap {
			return false
		}
	case day >= w.last:
		return true // the same day again
	case w.last-day > maxGap:
		return false
	}
	w.sawToday = w.sawToday || day == w.today
	w.last = day
	w.days++
	return true
}

// dayNumber turns a 'YYYY-MM-DD' date into a count of days (since
// 1970-01-01, proleptic Gregorian), so that gaps are subtractions. It is
// hand-written because the streak walk parses a date per stored day on
// every check-in; time.Parse would be several times slower.
func dayNumber(s string) (int, bool) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return 0, false
	}
	y, ok1 := digits(s[0:4])
	m, ok2 := digits(s[5:7])
	d, ok3 := digits(s[8:10])
	if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return 0, false
	}
	// Howard Hinnant's days_from_civil, with March as the first month so
	// the leap day falls at the end of the year.
	if m <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468, true
}

// dateOf is the inverse of dayNumber: 'YYYY-MM-DD' for a day count.
func dateOf(day int) string {
	return time.Unix(int64(day)*86400, 0).UTC().Format(time.DateOnly)
}

func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
