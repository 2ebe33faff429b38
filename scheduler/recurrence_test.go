package scheduler

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func mustRecurrence(t testing.TB, kind, cronFields string, first time.Time, loc *time.Location) Recurrence {
	t.Helper()
	rec, err := NewRecurrence(Repeat{Cadence: kind, Cron: cronFields}, first, loc)
	if err != nil {
		t.Fatalf("NewRecurrence(%s %q, %v): %v", kind, cronFields, first, err)
	}
	return rec
}

// occurrences lists the first n occurrences of rec.
func occurrences(t testing.TB, rec Recurrence, n int) []time.Time {
	t.Helper()
	var out []time.Time
	for next := rec.First(); len(out) < n; next = rec.Next(next) {
		if next.IsZero() {
			t.Fatalf("%s ended after %d occurrences", rec.Encode(), len(out))
		}
		if len(out) > 0 && !next.After(out[len(out)-1]) {
			t.Fatalf("%s: %v does not come after %v", rec.Encode(), next, out[len(out)-1])
		}
		out = append(out, next)
	}
	return out
}

func TestParseRepeat(t *testing.T) {
	good := map[string]Repeat{
		"":                 {Cadence: RepeatNone},
		"none":             {Cadence: RepeatNone},
		" None ":           {Cadence: RepeatNone},
		"once":             {Cadence: RepeatNone},
		"daily":            {Cadence: RepeatDaily},
		"WEEKLY":           {Cadence: RepeatWeekly},
		"biweekly":         {Cadence: RepeatBiweekly},
		"every other week": {Cadence: RepeatBiweekly},
		"fortnightly":      {Cadence: RepeatBiweekly},
		"monthly":          {Cadence: RepeatMonthly},
		"0 19 * * 2":       {Cadence: RepeatCron, Cron: "0 19 * * 2"},
		"  0  19 * *  TUE": {Cadence: RepeatCron, Cron: "0 19 * * tue"},
		"30 18 * * 1-5":    {Cadence: RepeatCron, Cron: "30 18 * * 1-5"},
		"0 10,18 * * *":    {Cadence: RepeatCron, Cron: "0 10,18 * * *"},
		"0 19 1,15 * *":    {Cadence: RepeatCron, Cron: "0 19 1,15 * *"},
		"0 19 29 2 *":      {Cadence: RepeatCron, Cron: "0 19 29 2 *"},
		"0 9 ? jan-jun 6":  {Cadence: RepeatCron, Cron: "0 9 ? jan-jun 6"},
	}
	for in, want := range good {
		if got, err := ParseRepeat(in); err != nil || got != want {
			t.Errorf("ParseRepeat(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	bad := map[string]string{
		"hourly":                            "not a repeat I know",
		"every tuesday":                     "not a repeat I know",
		"every 3 weeks":                     "not a repeat I know",
		"tue 19:00":                         "not a repeat I know",
		"@weekly":                           "instead of a cron shortcut",
		"@every 1h":                         "instead of a cron shortcut",
		"CRON_TZ=Europe/Berlin 0 19 * * 2":  "leave the timezone out",
		"TZ=Europe/Berlin 0 19 * * 2":       "leave the timezone out",
		"CRON_TZ=x":                         "leave the timezone out",
		"0 19 * *":                          "five fields",
		"0 0 19 * * 2":                      "five fields",
		"* * * * *":                         "one minute of the hour",
		"*/15 19 * * *":                     "one minute of the hour",
		"0,30 19 * * *":                     "one minute of the hour",
		"0 25 * * *":                        "not a cron schedule I can read",
		"61 19 * * *":                       "not a cron schedule I can read",
		"0 19 * * 8":                        "not a cron schedule I can read",
		"0 19 * * mon-":                     "not a cron schedule I can read",
		"0 19 ,,, * *":                      "cron fields hold",
		"0 19 1,,15 * *":                    "cron fields hold",
		"0 *-; 1 1 0":                       "cron fields hold", // robfig reads "*-;" as "*"; ";" would break Encode
		"0 19 *-5 * *":                      "cron fields hold",
		"0 19 */ * *":                       "not a cron schedule I can read",
		"0 19 * * 2#1":                      "cron fields hold",
		"0 0 30 2 *":                        "never happens",
		"0 0 31 4,6,9,11 *":                 "never happens",
		strings.Repeat("0 ", 60) + "19 * *": "longer than any repeat",
	}
	for in, mention := range bad {
		_, err := ParseRepeat(in)
		if err == nil || !errors.Is(err, ErrBadRepeat) {
			t.Errorf("ParseRepeat(%q) error %v, want one wrapping ErrBadRepeat", in, err)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, mention) || !strings.Contains(msg, `"0 19 * * 2"`) {
			t.Errorf("ParseRepeat(%q) error %q: want it to say %q and give an example", in, msg, mention)
		}
	}
}

// TestWallClockKeptAcrossDaylightSaving checks ten occurrences of each
// named repeat around the spring and autumn changes in both zones: every one
// at 19:00 local, on the right day.
func TestWallClockKeptAcrossDaylightSaving(t *testing.T) {
	for _, zone := range []string{"Europe/Berlin", "America/New_York"} {
		loc := mustLoad(t, zone)
		for _, first := range []time.Time{
			at(loc, 2027, time.March, 2, 19, 0),    // a Tuesday: Berlin jumps on the 28th, New York on the 14th
			at(loc, 2027, time.October, 19, 19, 0), // a Tuesday: Berlin falls back on 31 October, New York on 7 November
		} {
			tests := []struct {
				kind  string
				cron  string
				check func(i int, got time.Time) bool // the date of the i-th occurrence
			}{
				{RepeatDaily, "", func(i int, got time.Time) bool { return sameDate(got, first.AddDate(0, 0, i)) }},
				{RepeatWeekly, "", func(i int, got time.Time) bool { return sameDate(got, first.AddDate(0, 0, 7*i)) }},
				{RepeatBiweekly, "", func(i int, got time.Time) bool { return sameDate(got, first.AddDate(0, 0, 14*i)) }},
				{RepeatMonthly, "", func(i int, got time.Time) bool { return sameDate(got, first.AddDate(0, i, 0)) }},
				{RepeatCron, "0 19 * * 2", func(i int, got time.Time) bool { return sameDate(got, first.AddDate(0, 0, 7*i)) }},
				{RepeatCron, "0 19 * * *", func(i int, got time.Time) bool { return sameDate(got, first.AddDate(0, 0, i)) }},
			}
			for _, tt := range tests {
				rec := mustRecurrence(t, tt.kind, tt.cron, first, loc)
				for i, got := range occurrences(t, rec, 10) {
					local := got.In(loc)
					if local.Hour() != 19 || local.Minute() != 0 || !tt.check(i, local) {
						t.Errorf("%s %s %q from %s: occurrence %d is %v", zone, tt.kind, tt.cron, first.Format("2006-01-02"), i, local)
					}
				}
			}
		}
	}
}

func sameDate(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}

func TestDaylightSavingEdges(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	newYork := mustLoad(t, "America/New_York")
	utc := func(month time.Month, day, hour, minute int) time.Time {
		return time.Date(2027, month, day, hour, minute, 0, 0, time.UTC)
	}
	tests := []struct {
		name  string
		kind  string
		cron  string
		first time.Time
		loc   *time.Location
		want  []time.Time
	}{
		{
			// 02:30 doesn't exist on 28 March: that week meets at 03:30, the next at 02:30 again.
			"weekly in the gap", RepeatWeekly, "", at(berlin, 2027, time.March, 21, 2, 30), berlin,
			[]time.Time{utc(time.March, 21, 1, 30), utc(time.March, 28, 1, 30), utc(time.April, 4, 0, 30)},
		},
		{
			"cron in the gap", RepeatCron, "30 2 * * 0", at(berlin, 2027, time.March, 21, 0, 0), berlin,
			[]time.Time{utc(time.March, 21, 1, 30), utc(time.March, 28, 1, 30), utc(time.April, 4, 0, 30)},
		},
		{
			// The moved 02:30 and the real 03:30 are one meeting, not two.
			"cron gap meets a real time", RepeatCron, "30 2,3 * * 0", at(berlin, 2027, time.March, 21, 0, 0), berlin,
			[]time.Time{utc(time.March, 21, 1, 30), utc(time.March, 21, 2, 30), utc(time.March, 28, 1, 30), utc(time.April, 4, 0, 30), utc(time.April, 4, 1, 30)},
		},
		{
			// The moved 02:30 (03:30) comes after the real 03:10, and Next keeps the order.
			"cron gap overtakes", RepeatCron, "30 2 * * 0", at(berlin, 2027, time.March, 28, 3, 20), berlin,
			[]time.Time{utc(time.March, 28, 1, 30), utc(time.April, 4, 0, 30)},
		},
		{
			// 02:30 happens twice on 31 October: the series meets at the first, once.
			"daily in the overlap", RepeatDaily, "", at(berlin, 2027, time.October, 30, 2, 30), berlin,
			[]time.Time{utc(time.October, 30, 0, 30), utc(time.October, 31, 0, 30), utc(time.November, 1, 1, 30)},
		},
		{
			"cron in the overlap", RepeatCron, "30 2 * * *", at(berlin, 2027, time.October, 30, 0, 0), berlin,
			[]time.Time{utc(time.October, 30, 0, 30), utc(time.October, 31, 0, 30), utc(time.November, 1, 1, 30)},
		},
		{
			"cron hourly through the overlap", RepeatCron, "30 * * * *", at(berlin, 2027, time.October, 31, 1, 0), berlin,
			[]time.Time{utc(time.October, 30, 23, 30), utc(time.October, 31, 0, 30), utc(time.October, 31, 2, 30), utc(time.October, 31, 3, 30)},
		},
		{
			"New York weekly in the gap", RepeatWeekly, "", at(newYork, 2027, time.March, 7, 2, 30), newYork,
			[]time.Time{utc(time.March, 7, 7, 30), utc(time.March, 14, 7, 30), utc(time.March, 21, 6, 30)},
		},
		{
			"New York weekly in the overlap", RepeatWeekly, "", at(newYork, 2027, time.October, 31, 1, 30), newYork,
			[]time.Time{utc(time.October, 31, 5, 30), utc(time.November, 7, 5, 30), utc(time.November, 14, 6, 30)},
		},
	}
	for _, tt := range tests {
		rec := mustRecurrence(t, tt.kind, tt.cron, tt.first, tt.loc)
		got := occurrences(t, rec, len(tt.want))
		for i := range tt.want {
			if !got[i].Equal(tt.want[i]) {
				t.Errorf("%s: occurrence %d = %v, want %v", tt.name, i, got[i].In(tt.loc), tt.want[i].In(tt.loc))
			}
		}
		// Asking from any moment in between gives the same answers.
		for i, want := range tt.want[1:] {
			for _, after := range []time.Time{tt.want[i], tt.want[i].Add(time.Minute), want.Add(-time.Second)} {
				if next := rec.Next(after); !next.Equal(want) {
					t.Errorf("%s: Next(%v) = %v, want %v", tt.name, after.In(tt.loc), next.In(tt.loc), want.In(tt.loc))
				}
			}
		}
	}
}

// TestBiweeklyParity checks that every other week stays on the same weeks
// through a year end and both daylight-saving changes, whenever Next is asked.
func TestBiweeklyParity(t *testing.T) {
	for _, zone := range []string{"Europe/Berlin", "America/New_York"} {
		loc := mustLoad(t, zone)
		first := at(loc, 2026, time.December, 22, 19, 0) // a Tuesday
		rec := mustRecurrence(t, RepeatBiweekly, "", first, loc)
		all := occurrences(t, rec, 30) // into January 2028
		for i, got := range all {
			if want := first.AddDate(0, 0, 14*i); !got.Equal(want) {
				t.Fatalf("%s occurrence %d = %v, want %v", zone, i, got, want)
			}
		}
		// Every hour of the fourteen months covered, Next names the right Tuesday.
		for after := first; after.Before(all[len(all)-1]); after = after.Add(time.Hour) {
			want := all[0]
			for _, o := range all {
				if o.After(after) {
					want = o
					break
				}
			}
			if got := rec.Next(after); !got.Equal(want) {
				t.Fatalf("%s Next(%v) = %v, want %v", zone, after, got, want)
			}
		}
		// The first Tuesday of 2027 off the cycle is not a meeting.
		if got := rec.Next(at(loc, 2026, time.December, 30, 12, 0)); !got.Equal(at(loc, 2027, time.January, 5, 19, 0)) {
			t.Errorf("%s: after 30 December, got %v", zone, got)
		}
		if got := rec.Next(at(loc, 2027, time.January, 6, 12, 0)); !got.Equal(at(loc, 2027, time.January, 19, 19, 0)) {
			t.Errorf("%s: after 6 January, got %v", zone, got)
		}
	}
}

func TestMonthlyOnLateDays(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	tests := []struct {
		day  int
		want []string
	}{
		{31, []string{"2027-01-31", "2027-02-28", "2027-03-31", "2027-04-30", "2027-05-31", "2027-06-30", "2027-07-31", "2027-08-31", "2027-09-30", "2027-10-31", "2027-11-30", "2027-12-31", "2028-01-31", "2028-02-29", "2028-03-31"}},
		{30, []string{"2027-01-30", "2027-02-28", "2027-03-30", "2027-04-30"}},
		{29, []string{"2027-01-29", "2027-02-28", "2027-03-29"}},
		{1, []string{"2027-01-01", "2027-02-01", "2027-03-01", "2027-04-01"}},
	}
	for _, tt := range tests {
		rec := mustRecurrence(t, RepeatMonthly, "", at(berlin, 2027, time.January, tt.day, 19, 0), berlin)
		for i, got := range occurrences(t, rec, len(tt.want)) {
			if got.In(berlin).Format("2006-01-02 15:04") != tt.want[i]+" 19:00" {
				t.Errorf("monthly on the %d: occurrence %d = %v, want %s 19:00", tt.day, i, got.In(berlin), tt.want[i])
			}
		}
	}
}

func TestNoneHappensOnce(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	first := at(berlin, 2026, time.December, 1, 19, 0)
	rec := mustRecurrence(t, RepeatNone, "", first, berlin)
	if got := rec.Next(first.Add(-time.Hour)); !got.Equal(first) {
		t.Errorf("Next before = %v", got)
	}
	if got := rec.Next(first); !got.IsZero() {
		t.Errorf("Next(first) = %v, want zero", got)
	}
	var zero Recurrence
	if !zero.Next(first).IsZero() || !zero.First().IsZero() || zero.Encode() != "" || zero.Location() != time.UTC {
		t.Errorf("the zero Recurrence should have no occurrences")
	}
}

func TestCronSeries(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	monday := at(berlin, 2026, time.November, 30, 12, 0)

	// The series is the schedule's firings from the start on.
	rec := mustRecurrence(t, RepeatCron, "0 19 * * 2", monday, berlin)
	if got, want := rec.First(), at(berlin, 2026, time.December, 1, 19, 0); !got.Equal(want) {
		t.Errorf("First = %v, want %v", got, want)
	}
	if got, want := rec.Next(monday.AddDate(0, -1, 0)), at(berlin, 2026, time.December, 1, 19, 0); !got.Equal(want) {
		t.Errorf("Next before the start = %v, want %v", got, want)
	}
	if got := rec.Encode(); got != "CRON_TZ=Europe/Berlin 0 19 * * 2;repeat=cron;start=2026-11-30T12:00" {
		t.Errorf("Encode = %q", got)
	}

	refused := []struct {
		cron, mention string
	}{
		{"0 0 30 2 *", "never happens"},
		{"0 19 29 2 *", "more than a year after the start"}, // next 29 February is in 2028
		{"* * * * *", "one minute of the hour"},
		{"@daily", "five fields"},
		{"CRON_TZ=Europe/Berlin 0 19 * * 2", "five fields"},
	}
	for _, tt := range refused {
		_, err := NewRecurrence(Repeat{Cadence: RepeatCron, Cron: tt.cron}, monday, berlin)
		if !errors.Is(err, ErrBadRepeat) || !strings.Contains(err.Error(), tt.mention) {
			t.Errorf("NewRecurrence(cron %q) error %v: want ErrBadRepeat saying %q", tt.cron, err, tt.mention)
		}
	}
	if _, err := NewRecurrence(Repeat{Cadence: RepeatCron, Cron: "0 19 29 2 *"}, at(berlin, 2027, time.June, 1, 0, 0), berlin); err != nil {
		t.Errorf("29 February within a year: %v", err)
	}
	if _, err := NewRecurrence(Repeat{Cadence: "hourly"}, monday, berlin); !errors.Is(err, ErrBadRepeat) {
		t.Errorf("unknown kind: %v", err)
	}
	if _, err := NewRecurrence(Repeat{Cadence: RepeatWeekly}, monday, time.Local); err == nil {
		t.Errorf("time.Local can't be stored by name and must be refused")
	}
	if _, err := NewRecurrence(Repeat{Cadence: RepeatWeekly}, monday, time.FixedZone("X", 3600)); err == nil {
		t.Errorf("a fixed zone can't be stored by name and must be refused")
	}
}

func TestEncodeDecode(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	newYork := mustLoad(t, "America/New_York")
	tests := []struct {
		kind, cron string
		first      time.Time
		loc        *time.Location
		encoded    string
	}{
		{RepeatNone, "", at(berlin, 2026, time.December, 1, 19, 0), berlin, "CRON_TZ=Europe/Berlin 0 19 1 12 *;repeat=none;start=2026-12-01T19:00"},
		{RepeatDaily, "", at(berlin, 2026, time.December, 1, 19, 0), berlin, "CRON_TZ=Europe/Berlin 0 19 * * *;repeat=daily;start=2026-12-01T19:00"},
		{RepeatWeekly, "", at(berlin, 2026, time.December, 1, 19, 0), berlin, "CRON_TZ=Europe/Berlin 0 19 * * 2;repeat=weekly;start=2026-12-01T19:00"},
		{RepeatBiweekly, "", at(newYork, 2026, time.December, 1, 19, 30), newYork, "CRON_TZ=America/New_York 30 19 * * 2;repeat=biweekly;start=2026-12-01T19:30"},
		{RepeatMonthly, "", at(berlin, 2027, time.January, 31, 19, 0), berlin, "CRON_TZ=Europe/Berlin 0 19 31 * *;repeat=monthly;start=2027-01-31T19:00"},
		{RepeatCron, "0 19 * * 1-5", at(berlin, 2026, time.December, 1, 8, 0), berlin, "CRON_TZ=Europe/Berlin 0 19 * * 1-5;repeat=cron;start=2026-12-01T08:00"},
		{RepeatWeekly, "", at(time.UTC, 2026, time.December, 6, 9, 5), time.UTC, "CRON_TZ=UTC 5 9 * * 0;repeat=weekly;start=2026-12-06T09:05"},
		// The start is kept to the minute.
		{RepeatDaily, "", at(berlin, 2026, time.December, 1, 19, 0).Add(42 * time.Second), berlin, "CRON_TZ=Europe/Berlin 0 19 * * *;repeat=daily;start=2026-12-01T19:00"},
	}
	for _, tt := range tests {
		rec := mustRecurrence(t, tt.kind, tt.cron, tt.first, tt.loc)
		if got := rec.Encode(); got != tt.encoded {
			t.Errorf("Encode = %q, want %q", got, tt.encoded)
		}
		back, err := DecodeRecurrence(rec.Encode())
		if err != nil {
			t.Errorf("DecodeRecurrence(%q): %v", rec.Encode(), err)
			continue
		}
		if back.Encode() != rec.Encode() || back.Describe() != rec.Describe() || back.Cadence() != rec.Cadence() || back.Location().String() != tt.loc.String() {
			t.Errorf("round trip of %q gave %q, %q", rec.Encode(), back.Encode(), back.Describe())
		}
		if a, b := rec.First(), back.First(); !a.Equal(b) {
			t.Errorf("round trip of %q: first %v, then %v", rec.Encode(), a, b)
		}
		for a, b, i := rec.First(), back.First(), 0; i < 20 && !a.IsZero(); a, b, i = rec.Next(a), back.Next(b), i+1 {
			if !a.Equal(b) {
				t.Errorf("round trip of %q: occurrence %d was %v, is %v", rec.Encode(), i, a, b)
				break
			}
		}
	}
	// A skipped wall time written by hand is kept as written.
	if rec, err := DecodeRecurrence("CRON_TZ=Europe/Berlin 30 2 * * 0;repeat=weekly;start=2027-03-28T02:30"); err != nil ||
		!rec.First().Equal(time.Date(2027, time.March, 28, 1, 30, 0, 0, time.UTC)) ||
		!rec.Next(rec.First()).Equal(at(berlin, 2027, time.April, 4, 2, 30)) {
		t.Errorf("start in a gap: %v, %v", rec.Encode(), err)
	}
	bad := []string{
		"",
		"CRON_TZ=Europe/Berlin 0 19 * * 2",
		"CRON_TZ=Europe/Berlin 0 19 * * 3;repeat=weekly;start=2026-12-01T19:00", // 1 December 2026 is a Tuesday
		"CRON_TZ=Europe/Berlin 0 19 * * 2;repeat=weekly;start=2026-12-01T19:00;extra=1",
		"CRON_TZ=Europe/Berlin 0 19 * * 2;start=2026-12-01T19:00;repeat=weekly",
		"CRON_TZ=Europe/Berlin 0 19 * * 2;repeat=;start=2026-12-01T19:00",
		"CRON_TZ=Europe/Berlin 0 19 * * 2;repeat=hourly;start=2026-12-01T19:00",
		"CRON_TZ=Mars/Olympus 0 19 * * 2;repeat=weekly;start=2026-12-01T19:00",
		"CRON_TZ=Local 0 19 * * 2;repeat=weekly;start=2026-12-01T19:00",
		"CRON_TZ= 0 19 * * 2;repeat=weekly;start=2026-12-01T19:00",
		"TZ=Europe/Berlin 0 19 * * 2;repeat=weekly;start=2026-12-01T19:00",
		"CRON_TZ=Europe/Berlin 0 19 * * 2;repeat=weekly;start=2026-12-01 19:00",
		"CRON_TZ=Europe/Berlin 0 19 * * 2;repeat=weekly;start=2026-12-01T19:00:00+01:00",
		"CRON_TZ=Europe/Berlin 0 0 30 2 *;repeat=cron;start=2026-12-01T19:00",
		"CRON_TZ=Europe/Berlin  0 19 * * 2;repeat=cron;start=2026-12-01T19:00", // not as Encode writes it
		"CRON_TZ=Europe/Berlin 0 19 * * TUE;repeat=cron;start=2026-12-01T19:00",
	}
	for _, s := range bad {
		if rec, err := DecodeRecurrence(s); err == nil {
			t.Errorf("DecodeRecurrence(%q) = %q, want an error", s, rec.Encode())
		}
	}
}

func TestDescribeAndRRule(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	tuesday := at(berlin, 2026, time.December, 1, 19, 0)
	tests := []struct {
		kind, cron string
		first      time.Time
		describe   string
		rrule      string // "" when there is none
	}{
		{RepeatNone, "", tuesday, "once", ""},
		{RepeatDaily, "", tuesday, "every day at 19:00 (Europe/Berlin)", "FREQ=DAILY"},
		{RepeatWeekly, "", tuesday, "every Tuesday at 19:00 (Europe/Berlin)", "FREQ=WEEKLY;BYDAY=TU"},
		{RepeatBiweekly, "", tuesday, "every other Tuesday at 19:00 (Europe/Berlin)", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU"},
		{RepeatMonthly, "", tuesday, "on the 1st of each month at 19:00 (Europe/Berlin)", "FREQ=MONTHLY;BYMONTHDAY=1"},
		{RepeatMonthly, "", at(berlin, 2026, time.December, 22, 7, 30), "on the 22nd of each month at 07:30 (Europe/Berlin)", "FREQ=MONTHLY;BYMONTHDAY=22"},
		{RepeatMonthly, "", at(berlin, 2026, time.December, 31, 19, 0), "on the 31st of each month (the last day in shorter months) at 19:00 (Europe/Berlin)", "FREQ=MONTHLY;BYMONTHDAY=-1"},
		{RepeatMonthly, "", at(berlin, 2026, time.December, 30, 19, 0), "on the 30th of each month (the last day in shorter months) at 19:00 (Europe/Berlin)", "FREQ=MONTHLY;BYMONTHDAY=28,29,30;BYSETPOS=-1"},
		{RepeatMonthly, "", at(berlin, 2026, time.December, 29, 19, 0), "on the 29th of each month (the last day in shorter months) at 19:00 (Europe/Berlin)", "FREQ=MONTHLY;BYMONTHDAY=28,29;BYSETPOS=-1"},
		{RepeatCron, "0 19 * * 2", tuesday, "every Tuesday at 19:00 (Europe/Berlin)", "FREQ=WEEKLY;BYDAY=TU"},
		{RepeatCron, "0 19 * * 0,1,4", tuesday, "every Monday, Thursday and Sunday at 19:00 (Europe/Berlin)", "FREQ=WEEKLY;BYDAY=MO,TH,SU"},
		{RepeatCron, "0 19 * * *", tuesday, "every day at 19:00 (Europe/Berlin)", "FREQ=DAILY"},
		{RepeatCron, "0 19 * * 0-6", tuesday, "every day at 19:00 (Europe/Berlin)", "FREQ=DAILY"},
		{RepeatCron, "15 8 1,15 * *", tuesday, "on the 1st and 15th of each month at 08:15 (Europe/Berlin)", "FREQ=MONTHLY;BYMONTHDAY=1,15"},
		{RepeatCron, "0 19 31 * ?", tuesday, "on the 31st of each month (when the month has it) at 19:00 (Europe/Berlin)", "FREQ=MONTHLY;BYMONTHDAY=31"},
		{RepeatCron, "0 19 1 * 2", tuesday, "on the cron schedule 0 19 1 * 2 (Europe/Berlin)", ""},
		{RepeatCron, "0 10,18 * * *", tuesday, "on the cron schedule 0 10,18 * * * (Europe/Berlin)", ""},
		{RepeatCron, "0 19 * 1-6 2", tuesday, "on the cron schedule 0 19 * 1-6 2 (Europe/Berlin)", ""},
		// The first firing moved out of a gap can't carry the time of day.
		{RepeatCron, "30 2 * * 0", at(berlin, 2027, time.March, 28, 0, 0), "every Sunday at 02:30 (Europe/Berlin)", ""},
	}
	for _, tt := range tests {
		rec := mustRecurrence(t, tt.kind, tt.cron, tt.first, berlin)
		if got := rec.Describe(); got != tt.describe {
			t.Errorf("%s %q: Describe = %q, want %q", tt.kind, tt.cron, got, tt.describe)
		}
		rule, ok := rec.RRule()
		if rule != tt.rrule || ok != (tt.rrule != "") {
			t.Errorf("%s %q: RRule = %q, %v; want %q", tt.kind, tt.cron, rule, ok, tt.rrule)
		}
	}
}

func FuzzParseRepeat(f *testing.F) {
	for _, s := range []string{
		"", "none", "daily", "weekly", "biweekly", "monthly", "0 19 * * 2", "0 0 30 2 *", "30 2 * * 0",
		"30 2,3 * * *", "0 19 29 2 *", "0 19 31 * *", "5 */2 * * 1-5", "0 0 1 1 *", "@weekly", "CRON_TZ=x",
		"0 19 ,,, * *", "0 */7 */9 */5 */3", "59 23 31 12 6", "0 19 * * 8", "0 *-; 1 1 0",
	} {
		f.Add(s, int64(0), uint8(0))
		f.Add(s, int64(86400*130+3600*2+60*30), uint8(1))
	}
	zones := []*time.Location{
		mustLoad(f, "Europe/Berlin"), mustLoad(f, "America/New_York"), mustLoad(f, "Australia/Lord_Howe"), time.UTC,
	}
	base := time.Date(2026, time.November, 25, 18, 30, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, input string, shift int64, zone uint8) {
		r, err := ParseRepeat(input)
		if err != nil {
			if !errors.Is(err, ErrBadRepeat) {
				t.Fatalf("ParseRepeat(%q) error %v does not wrap ErrBadRepeat", input, err)
			}
			return
		}
		loc := zones[int(zone)%len(zones)]
		const span = 3 * 366 * 86400
		first := base.Add(time.Duration(((shift%span)+span)%span) * time.Second)
		rec, err := NewRecurrence(r, first, loc)
		if err != nil {
			if !errors.Is(err, ErrBadRepeat) || r.Cadence != RepeatCron {
				t.Fatalf("NewRecurrence(%+v) error %v", r, err)
			}
			return
		}
		back, err := DecodeRecurrence(rec.Encode())
		if err != nil || back.Encode() != rec.Encode() {
			t.Fatalf("round trip of %q: %q, %v", rec.Encode(), back.Encode(), err)
		}
		rec.Describe()
		rec.RRule()
		prev := first.Add(-time.Minute)
		for i, next := 0, rec.First(); i < 30 && !next.IsZero(); i, next = i+1, rec.Next(next) {
			if !next.After(prev) {
				t.Fatalf("%q: occurrence %d %v is not after %v", rec.Encode(), i, next, prev)
			}
			if again := back.Next(prev); !again.Equal(next) {
				t.Fatalf("%q: decoded series gives %v after %v, original %v", rec.Encode(), again, prev, next)
			}
			// Nothing is skipped: asking from just before, or from halfway
			// between two occurrences, gives the same.
			for _, after := range []time.Time{next.Add(-time.Second), prev.Add(next.Sub(prev) / 2)} {
				if again := rec.Next(after); !again.Equal(next) {
					t.Fatalf("%q: Next(%v) = %v, want %v", rec.Encode(), after, again, next)
				}
			}
			prev = next
		}
	})
}
