package storage_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/kindred-bot/kindred/storage"
	"github.com/kindred-bot/kindred/storage/storagetest"
)

func TestGentleStreak(t *testing.T) {
	tests := []struct {
		name  string
		days  []string // local dates with a check-in
		today string
		want  int
	}{
		{"none", nil, "2026-03-03", 0},
		{"today only", []string{"2026-03-03"}, "2026-03-03", 1},
		{"three in a row", []string{"2026-03-01", "2026-03-02", "2026-03-03"}, "2026-03-03", 3},
		{"order does not matter", []string{"2026-03-03", "2026-03-01", "2026-03-02"}, "2026-03-03", 3},
		{"one missed day is forgiven", []string{"2026-03-01", "2026-03-03"}, "2026-03-03", 2},
		{"forgiven days are not counted", []string{"2026-03-01", "2026-03-03", "2026-03-05", "2026-03-07"}, "2026-03-07", 4},
		{"two missed days end it", []string{"2026-03-01", "2026-03-04"}, "2026-03-04", 1},
		{"an older run does not count", []string{"2026-02-20", "2026-02-21", "2026-02-22", "2026-03-01", "2026-03-02"}, "2026-03-02", 2},
		{"several check-ins on one day count once", []string{"2026-03-02", "2026-03-02", "2026-03-03", "2026-03-03", "2026-03-03"}, "2026-03-03", 2},
		{"latest yesterday is still current", []string{"2026-03-01", "2026-03-02"}, "2026-03-03", 2},
		{"latest two days ago is still current", []string{"2026-03-01", "2026-03-02"}, "2026-03-04", 2},
		{"latest three days ago is over", []string{"2026-03-01", "2026-03-02"}, "2026-03-05", 0},
		{"across a month end", []string{"2026-01-30", "2026-01-31", "2026-02-01"}, "2026-02-01", 3},
		{"a missed day across a month end", []string{"2026-04-29", "2026-05-01"}, "2026-05-01", 2},
		{"two missed days across a month end", []string{"2026-04-29", "2026-05-02"}, "2026-05-02", 1},
		{"across a year end", []string{"2026-12-30", "2026-12-31", "2027-01-01"}, "2027-01-01", 3},
		{"a missed new year's day", []string{"2026-12-31", "2027-01-02"}, "2027-01-02", 2},
		{"leap day", []string{"2028-02-28", "2028-02-29", "2028-03-01"}, "2028-03-01", 3},
		{"missed leap day is forgiven", []string{"2028-02-28", "2028-03-01"}, "2028-03-01", 2},
		{"no leap day: Feb 28 to Mar 2 is two missed days", []string{"2027-02-27", "2027-02-28", "2027-03-03"}, "2027-03-03", 1},
		{"no leap day: one missed day", []string{"2027-02-27", "2027-02-28", "2027-03-02"}, "2027-03-02", 3},
		{"2100 is no leap year: one missed day", []string{"2100-02-27", "2100-03-01"}, "2100-03-01", 2},
		{"2000 is a leap year: two missed days", []string{"2000-02-27", "2000-03-01"}, "2000-03-01", 1},
		{"future dates are ignored", []string{"2026-03-02", "2026-03-03", "2026-03-04"}, "2026-03-03", 2},
		{"malformed dates are ignored", []string{"2026-03-02", "2026-3-3", "2026-02-30", "yesterday", ""}, "2026-03-03", 1},
		{"malformed today", []string{"2026-03-03"}, "03/03/2026", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := storage.GentleStreak(tt.days, tt.today); got != tt.want {
				t.Errorf("GentleStreak(%v, %s) = %d, want %d", tt.days, tt.today, got, tt.want)
			}
		})
	}
}

// TestGentleStreakMatchesADayByDayCount checks the streak against the rule
// as a person would apply it with a calendar: start at today, step back a
// day at a time, count days with a check-in, stop at two missed days in a
// row. Today is not missed yet: the member may still check in.
func TestGentleStreakMatchesADayByDayCount(t *testing.T) {
	today := time.Date(2028, 3, 2, 0, 0, 0, 0, time.UTC)
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 2000; i++ {
		had := map[string]bool{}
		var dates []string
		density := r.Float64()
		for back := -2; back < 60; back++ { // a few future days too
			if r.Float64() < density {
				d := today.AddDate(0, 0, -back).Format(time.DateOnly)
				had[d] = true
				dates = append(dates, d)
			}
		}
		want, missed := 0, 0
		for back := 0; back < 70 && missed < 2; back++ {
			switch {
			case had[today.AddDate(0, 0, -back).Format(time.DateOnly)]:
				want, missed = want+1, 0
			case back > 0:
				missed++
			}
		}
		r.Shuffle(len(dates), func(i, j int) { dates[i], dates[j] = dates[j], dates[i] })
		if got := storage.GentleStreak(dates, today.Format(time.DateOnly)); got != want {
			slices.Sort(dates)
			t.Fatalf("GentleStreak(%v) = %d, want %d", dates, got, want)
		}
	}
}

// checkinAt records a check-in at a local wall-clock time, with the local
// date worked out in loc as the commands do.
func checkinAt(t *testing.T, db *storage.DB, userID string, at time.Time, loc *time.Location) storage.Streak {
	t.Helper()
	s, err := db.RecordCheckin(context.Background(), storage.Checkin{
		GuildID: checkinGuild, UserID: userID, Mood: 3, At: at, LocalDate: at.In(loc).Format(time.DateOnly),
	})
	if err != nil {
		t.Fatalf("record check-in at %s: %v", at, err)
	}
	return s
}

func mustLoad(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestStreak(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	tests := []struct {
		name  string
		days  []string // local dates with a check-in, in order
		today string   // when the streak is read afterwards
		want  storage.Streak
	}{
		{"none", nil, "2026-03-03", storage.Streak{}},
		{"three in a row", []string{"2026-03-01", "2026-03-02", "2026-03-03"}, "2026-03-03", storage.Streak{Days: 3, Today: true}},
		{"one missed day is forgiven", []string{"2026-03-01", "2026-03-03"}, "2026-03-03", storage.Streak{Days: 2, Today: true}},
		{"two missed days end it", []string{"2026-03-01", "2026-03-04"}, "2026-03-04", storage.Streak{Days: 1, Today: true}},
		{"not yet today", []string{"2026-03-01", "2026-03-02"}, "2026-03-03", storage.Streak{Days: 2}},
		{"latest two days ago", []string{"2026-03-01", "2026-03-02"}, "2026-03-04", storage.Streak{Days: 2}},
		{"latest three days ago", []string{"2026-03-01", "2026-03-02"}, "2026-03-05", storage.Streak{}},
		{"over the clocks going forward", []string{"2026-03-28", "2026-03-29", "2026-03-30"}, "2026-03-30", storage.Streak{Days: 3, Today: true}},
	}
	storagetest.EachBackend(t, func(t *testing.T, b storagetest.Backend) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				db := b.New(t).Open(t)
				for i, d := range tt.days {
					day, _ := time.ParseInLocation(time.DateOnly, d, berlin)
					s := checkinAt(t, db, memberAna, day.Add(21*time.Hour+30*time.Minute), berlin)
					if want := storage.GentleStreak(tt.days[:i+1], d); s.Days != want || !s.Today {
						t.Errorf("after check-in on %s: streak %+v, want %d days, today", d, s, want)
					}
				}
				got, err := db.CheckinStreak(context.Background(), checkinGuild, memberAna, tt.today)
				if err != nil {
					t.Fatal(err)
				}
				if got != tt.want {
					t.Errorf("streak on %s = %+v, want %+v", tt.today, got, tt.want)
				}
			})
		}
	})
}

// TestStreakCountsTheMembersLocalDays: 23:30 and 00:30 in Berlin are two
// calendar days for the member, though both fall on one UTC day.
func TestStreakCountsTheMembersLocalDays(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	late := time.Date(2026, 11, 24, 23, 30, 0, 0, berlin) // 22:30 UTC
	early := time.Date(2026, 11, 25, 0, 30, 0, 0, berlin) // 23:30 UTC, same UTC day
	if late.UTC().YearDay() != early.UTC().YearDay() {
		t.Fatal("test premise: both check-ins should fall on one UTC day")
	}
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		checkinAt(t, db, memberAna, late, berlin)
		if s := checkinAt(t, db, memberAna, early, berlin); s != (storage.Streak{Days: 2, Today: true}) {
			t.Errorf("Berlin member: streak after 23:30 and 00:30 = %+v, want 2 days", s)
		}
		checkinAt(t, db, memberBen, late, time.UTC)
		if s := checkinAt(t, db, memberBen, early, time.UTC); s != (storage.Streak{Days: 1, Today: true}) {
			t.Errorf("UTC member: streak after the same two instants = %+v, want 1 day", s)
		}
		got, err := db.CheckinsBetween(context.Background(), checkinGuild, memberAna, "2026-11-24", "2026-11-25")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].LocalDate != "2026-11-24" || got[1].LocalDate != "2026-11-25" {
			t.Errorf("Berlin member's local dates = %+v", got)
		}
	})
}

func TestStreakIsPerServer(t *testing.T) { storagetest.Each(t, testStreakIsPerServer) }

func testStreakIsPerServer(t *testing.T, db *storage.DB) {
	ctx := context.Background()
	for _, d := range []string{"2026-03-01", "2026-03-02"} {
		if _, err := db.RecordCheckin(ctx, storage.Checkin{GuildID: checkinOtherGuild, UserID: memberAna, Mood: 4, LocalDate: d, At: checkinT0}); err != nil {
			t.Fatal(err)
		}
	}
	s, err := db.RecordCheckin(ctx, storage.Checkin{GuildID: checkinGuild, UserID: memberAna, Mood: 4, LocalDate: "2026-03-03", At: checkinT0})
	if err != nil {
		t.Fatal(err)
	}
	if s.Days != 1 {
		t.Errorf("streak in a second server = %d, want 1: another server's check-ins counted", s.Days)
	}
}

// TestCheckinStreakAgreesWithGentleStreak reads streaks from the database,
// which walks a member's days in chunks, for histories long enough to need
// several chunks (and with repeated days at chunk edges), and checks them
// against GentleStreak over the whole history.
func TestCheckinStreakAgreesWithGentleStreak(t *testing.T) {
	storagetest.Each(t, testCheckinStreakAgreesWithGentleStreak)
}

func testCheckinStreakAgreesWithGentleStreak(t *testing.T, db *storage.DB) {
	ctx := context.Background()
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	r := rand.New(rand.NewPCG(3, 4))
	histories := []struct {
		name   string
		perDay func(day int) int // check-ins on a day
	}{
		{"every day for 600 days, some twice", func(day int) int { return 1 + btoi(day%5 == 0) }},
		{"most days", func(int) int { return btoi(r.Float64() < 0.85) + btoi(r.Float64() < 0.1) }},
		{"now and then", func(int) int { return btoi(r.Float64() < 0.4) }},
	}
	for i, h := range histories {
		name, perDay, user := h.name, h.perDay, fmt.Sprintf("2200000000000000%02d", i)
		var dates []string
		for day := 0; day < 600; day++ {
			for k := perDay(day); k > 0; k-- {
				dates = append(dates, start.AddDate(0, 0, day).Format(time.DateOnly))
			}
		}
		r.Shuffle(len(dates), func(i, j int) { dates[i], dates[j] = dates[j], dates[i] }) // recorded in any order
		for _, d := range dates {
			if _, err := db.RecordCheckin(ctx, storage.Checkin{GuildID: checkinGuild, UserID: user, Mood: 3, LocalDate: d, At: checkinT0}); err != nil {
				t.Fatal(err)
			}
		}
		for _, back := range []int{-1, 0, 1, 2, 3, 40, 100, 300} {
			today := start.AddDate(0, 0, 599-back).Format(time.DateOnly)
			got, err := db.CheckinStreak(ctx, checkinGuild, user, today)
			if err != nil {
				t.Fatal(err)
			}
			if want := storage.GentleStreak(dates, today); got.Days != want {
				t.Errorf("%s, on %s: streak %d, want %d", name, today, got.Days, want)
			}
		}
	}
}

func btoi(v bool) int {
	if v {
		return 1
	}
	return 0
}
