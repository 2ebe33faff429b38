package scheduler

import (
	"errors"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the bot embeds tzdata; tests read the same rules
)

func mustLoad(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// at is a wall-clock time in loc, for expectations that are not on a
// daylight-saving edge.
func at(loc *time.Location, year int, month time.Month, day, hour, minute int) time.Time {
	return time.Date(year, month, day, hour, minute, 0, 0, loc)
}

func TestParseStart(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	newYork := mustLoad(t, "America/New_York")
	for _, loc := range []*time.Location{berlin, newYork} {
		// Wednesday 25 November 2026, 18:30 local.
		now := at(loc, 2026, time.November, 25, 18, 30)
		tests := []struct {
			in   string
			want time.Time
		}{
			{"2026-12-01 19:00", at(loc, 2026, time.December, 1, 19, 0)},
			{"2026-12-01 7pm", at(loc, 2026, time.December, 1, 19, 0)},
			{"2026-12-1 7:30 PM", at(loc, 2026, time.December, 1, 19, 30)},
			{"2027-01-01 00:00", at(loc, 2027, time.January, 1, 0, 0)},
			{"19:00", at(loc, 2026, time.November, 25, 19, 0)},               // still ahead today
			{"18:31", at(loc, 2026, time.November, 25, 18, 31)},              // a minute ahead is ahead
			{"18:30", at(loc, 2026, time.November, 26, 18, 30)},              // now is not ahead
			{"08:00", at(loc, 2026, time.November, 26, 8, 0)},                // passed today
			{"7pm", at(loc, 2026, time.November, 25, 19, 0)},                 // ParseClock's forms
			{"today 19:00", at(loc, 2026, time.November, 25, 19, 0)},         //
			{"tomorrow 19:00", at(loc, 2026, time.November, 26, 19, 0)},      //
			{"tomorrow 08:00", at(loc, 2026, time.November, 26, 8, 0)},       //
			{"tue 19:00", at(loc, 2026, time.December, 1, 19, 0)},            // next Tuesday
			{"tuesday 7pm", at(loc, 2026, time.December, 1, 19, 0)},          //
			{"Tue 7:30pm", at(loc, 2026, time.December, 1, 19, 30)},          //
			{"thurs 10:00", at(loc, 2026, time.November, 26, 10, 0)},         // tomorrow's weekday
			{"wed 19:00", at(loc, 2026, time.November, 25, 19, 0)},           // today, still ahead
			{"wednesday 18:00", at(loc, 2026, time.December, 2, 18, 0)},      // today's has passed: next week
			{"wed 18:30", at(loc, 2026, time.December, 2, 18, 30)},           //
			{"  TOMORROW    7 pm ", at(loc, 2026, time.November, 26, 19, 0)}, // case and spaces
			{"tomorrow at 7pm", at(loc, 2026, time.November, 26, 19, 0)},     //
			{"7pm tomorrow", at(loc, 2026, time.November, 26, 19, 0)},        //
			{"19:00 tue", at(loc, 2026, time.December, 1, 19, 0)},            //
			{"19:00 2026-12-01", at(loc, 2026, time.December, 1, 19, 0)},     //
			{"2028-11-01 19:00", at(loc, 2028, time.November, 1, 19, 0)},     // under two years ahead
		}
		for _, tt := range tests {
			got, err := ParseStart(tt.in, now, loc)
			if err != nil {
				t.Errorf("%s: ParseStart(%q) error: %v", loc, tt.in, err)
				continue
			}
			if !got.Equal(tt.want) || got.Location() != loc {
				t.Errorf("%s: ParseStart(%q) = %v, want %v in %s", loc, tt.in, got, tt.want, loc)
			}
		}
	}
}

func TestParseStartAcrossYearEnd(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	now := at(berlin, 2026, time.December, 31, 22, 0) // a Thursday
	for in, want := range map[string]time.Time{
		"21:00":        at(berlin, 2027, time.January, 1, 21, 0),
		"tomorrow 9am": at(berlin, 2027, time.January, 1, 9, 0),
		"mon 19:00":    at(berlin, 2027, time.January, 4, 19, 0),
		"thu 21:00":    at(berlin, 2027, time.January, 7, 21, 0),
	} {
		if got, err := ParseStart(in, now, berlin); err != nil || !got.Equal(want) {
			t.Errorf("ParseStart(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
}

func TestParseStartRefuses(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	now := at(berlin, 2026, time.November, 25, 18, 30)
	tests := []struct {
		in      string
		mention string // part of the message that tells the member what was wrong
	}{
		{"", "empty"},
		{"   ", "empty"},
		{"25:00", "hours go up to 23"},
		{"tomorrow 25:00", "hours go up to 23"},
		{"tue", "add a time, like tue 19:00"},
		{"tomorrow", "add a time"},
		{"tomorrow at", "add a time"},
		{"next week", "not a start I can read"},
		{"next tue 19:00", "not a start I can read"},
		{"yesterday 19:00", "not a start I can read"},
		{"19", "times look like"},
		{"19:00 19:00", "times look like"},
		{"2026-13-01 19:00", "months go from 01 to 12"},
		{"2026-02-30 19:00", "February 2026 has 28 days"},
		{"2026-00-10 19:00", "months go from 01 to 12"},
		{"2026-12-00 19:00", "December 2026 has 31 days"},
		{"26-12-01 19:00", "dates look like 2026-12-01"},
		{"2026-12-01", "add a time"},
		{"2026-12-01 19:00 19:00", "times look like"},
		{"2020-01-01 10:00", "has already passed"},
		{"today 08:00", "has already passed"},
		{"today 18:30", "has already passed"},
		{"2026-11-25 18:00", "has already passed"},
		{"2029-01-01 10:00", "more than two years away"},
		{strings.Repeat("tomorrow ", 20) + "19:00", "longer than any start"},
	}
	for _, tt := range tests {
		got, err := ParseStart(tt.in, now, berlin)
		if err == nil {
			t.Errorf("ParseStart(%q) = %v, want an error", tt.in, got)
			continue
		}
		if !errors.Is(err, ErrBadStart) {
			t.Errorf("ParseStart(%q) error %v does not wrap ErrBadStart", tt.in, err)
		}
		if msg := err.Error(); !strings.Contains(msg, tt.mention) || !strings.Contains(msg, ErrBadStart.Error()) {
			t.Errorf("ParseStart(%q) error %q: want it to say %q and give examples", tt.in, msg, tt.mention)
		}
	}
	// The past is explained against the clock the member reads.
	_, err := ParseStart("today 08:00", now, berlin)
	if want := "Wed 25 Nov 2026, 18:30 (Europe/Berlin)"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("past start error %v: want it to show now as %q", err, want)
	}
	// A bad time keeps ParseClock's sentinel too.
	if _, err := ParseStart("tue 25:00", now, berlin); !errors.Is(err, ErrBadClock) {
		t.Errorf("ParseStart(tue 25:00) error %v does not wrap ErrBadClock", err)
	}
}

func TestParseStartDaylightSaving(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	newYork := mustLoad(t, "America/New_York")
	utc := func(year int, month time.Month, day, hour, minute int) time.Time {
		return time.Date(year, month, day, hour, minute, 0, 0, time.UTC)
	}
	tests := []struct {
		name string
		loc  *time.Location
		now  time.Time
		in   string
		want time.Time
		wall string // as FormatStart shows it
	}{
		// Clocks jump 02:00 → 03:00: 02:30 doesn't exist and moves forward an hour.
		{"Berlin gap", berlin, utc(2027, time.March, 27, 12, 0), "sun 2:30", utc(2027, time.March, 28, 1, 30), "Sun 28 Mar 2027, 03:30"},
		{"Berlin before gap", berlin, utc(2027, time.March, 27, 12, 0), "sun 1:59", utc(2027, time.March, 28, 0, 59), "Sun 28 Mar 2027, 01:59"},
		{"Berlin after gap", berlin, utc(2027, time.March, 27, 12, 0), "sun 3:00", utc(2027, time.March, 28, 1, 0), "Sun 28 Mar 2027, 03:00"},
		{"New York gap", newYork, utc(2027, time.March, 13, 12, 0), "2027-03-14 2:30am", utc(2027, time.March, 14, 7, 30), "Sun 14 Mar 2027, 03:30"},
		// Clocks go back 03:00 → 02:00 (Berlin), 02:00 → 01:00 (New York): the first pass.
		{"Berlin overlap", berlin, utc(2027, time.October, 30, 12, 0), "2027-10-31 02:30", utc(2027, time.October, 31, 0, 30), "Sun 31 Oct 2027, 02:30"},
		{"New York overlap", newYork, utc(2027, time.November, 6, 12, 0), "sun 1:30am", utc(2027, time.November, 7, 5, 30), "Sun 7 Nov 2027, 01:30"},
		// A bare time during the repeated hour, once its first pass is over, means tomorrow.
		{"Berlin second pass", berlin, utc(2027, time.October, 31, 1, 15), "02:30", utc(2027, time.November, 1, 1, 30), "Mon 1 Nov 2027, 02:30"},
		// Days around the change are 23 or 25 hours long; "tomorrow" is still the next date.
		{"tomorrow over the jump", berlin, utc(2027, time.March, 27, 22, 30), "tomorrow 23:30", utc(2027, time.March, 28, 21, 30), "Sun 28 Mar 2027, 23:30"},
	}
	for _, tt := range tests {
		got, err := ParseStart(tt.in, tt.now, tt.loc)
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("%s: ParseStart(%q) = %v, %v; want %v", tt.name, tt.in, got, err, tt.want.In(tt.loc))
			continue
		}
		if shown := FormatStart(got, tt.loc); shown != tt.wall+" ("+tt.loc.String()+")" {
			t.Errorf("%s: FormatStart = %q, want %q", tt.name, shown, tt.wall)
		}
	}
}

func TestParseStartNilLocationIsUTC(t *testing.T) {
	now := time.Date(2026, time.November, 25, 18, 30, 0, 0, time.UTC)
	got, err := ParseStart("19:00", now, nil)
	if want := time.Date(2026, time.November, 25, 19, 0, 0, 0, time.UTC); err != nil || !got.Equal(want) {
		t.Errorf("ParseStart(19:00, nil) = %v, %v; want %v", got, err, want)
	}
}

// TestWallClock checks the daylight-saving rules for every half hour of two
// years in zones with different kinds of changes: a time that exists is its
// first pass, a time that doesn't lands as far past the jump as it was
// into it.
func TestWallClock(t *testing.T) {
	zones := []string{
		"Europe/Berlin", "America/New_York", "Australia/Sydney", "Australia/Lord_Howe",
		"America/Santiago", "Asia/Tehran", "Pacific/Chatham", "Europe/London", "UTC",
	}
	for _, name := range zones {
		loc := mustLoad(t, name)
		for w := time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC); w.Year() < 2028; w = w.Add(30 * time.Minute) {
			got := wallClock(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), loc)
			if got.Location() != loc {
				t.Fatalf("%s %v: result in %v", name, w, got.Location())
			}
			if wallUnix(got) == w.Unix() {
				for _, back := range []time.Duration{30 * time.Minute, time.Hour, 2 * time.Hour} {
					if wallUnix(got.Add(-back)) == w.Unix() {
						t.Errorf("%s %v: got %v, but %v earlier shows the same clock", name, w, got, back)
					}
				}
				continue
			}
			// A gap: got is the jump itself or past it by the time w was into it.
			start, _ := got.ZoneBounds()
			_, before := start.Add(-time.Second).Zone()
			if wantUnix := w.Unix() - int64(before); got.Unix() != wantUnix || got.Before(start) || wallUnix(start.Add(-time.Second)) >= w.Unix() {
				t.Errorf("%s %v: got %v, not moved forward over the jump at %v", name, w, got, start)
			}
		}
	}
}

func FuzzParseStart(f *testing.F) {
	for _, s := range []string{
		"2026-12-01 19:00", "2026-12-01 7pm", "19:00", "tomorrow 19:00", "today 19:00", "tue 19:00",
		"tuesday 7pm", "Tue 7:30pm", "7pm tomorrow", "tomorrow at 7pm", "25:00", "tue", "next week", "",
		"2026-13-01 19:00", "2026-02-30 19:00", "2020-01-01 10:00", "sun 2:30", "2027-10-31 02:30", "-1:00", "9999-99-99 99:99",
	} {
		f.Add(s, int64(0), uint8(0))
		f.Add(s, int64(86400*120+3600*7), uint8(1))
	}
	berlin := mustLoad(f, "Europe/Berlin")
	newYork := mustLoad(f, "America/New_York")
	base := time.Date(2026, time.November, 25, 18, 30, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, input string, shift int64, zone uint8) {
		loc := berlin
		if zone%2 == 1 {
			loc = newYork
		}
		// now anywhere in the three years from base, to the second.
		const span = 3 * 366 * 86400
		now := base.Add(time.Duration(((shift%span)+span)%span) * time.Second)
		got, err := ParseStart(input, now, loc)
		if err != nil {
			if !errors.Is(err, ErrBadStart) {
				t.Fatalf("ParseStart(%q) error %v does not wrap ErrBadStart", input, err)
			}
			return
		}
		if !got.After(now) || got.Sub(now) > maxStartAhead {
			t.Fatalf("ParseStart(%q) at %v = %v: not ahead, or too far", input, now, got)
		}
		if got.Location() != loc || got.Second() != 0 || got.Nanosecond() != 0 {
			t.Fatalf("ParseStart(%q) = %v: not in %s on a whole minute", input, got, loc)
		}
		// The date and time it shows read back as the same instant.
		again, err := ParseStart(got.Format("2006-01-02 15:04"), now, loc)
		if err != nil || !again.Equal(got) {
			t.Fatalf("ParseStart(%q) = %v; reading %q back gave %v, %v", input, got, got.Format("2006-01-02 15:04"), again, err)
		}
	})
}
