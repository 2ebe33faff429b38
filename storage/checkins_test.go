package storage_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kindred-bot/kindred/storage"
	"github.com/kindred-bot/kindred/storage/storagetest"
)

var checkinT0 = time.Date(2026, 11, 25, 20, 0, 0, 0, time.UTC)

const (
	checkinGuild      = "110000000000000001"
	checkinOtherGuild = "110000000000000002"
	memberAna         = "210000000000000001"
	memberBen         = "210000000000000002"
	memberCam         = "210000000000000003"
	memberDee         = "210000000000000004"
)

func mustRecord(t *testing.T, db *storage.DB, c storage.Checkin) {
	t.Helper()
	if c.GuildID == "" {
		c.GuildID = checkinGuild
	}
	if c.At.IsZero() {
		c.At = checkinT0
	}
	if _, err := db.RecordCheckin(context.Background(), c); err != nil {
		t.Fatalf("record check-in %s/%s on %s: %v", c.GuildID, c.UserID, c.LocalDate, err)
	}
}

func checkinGroup(t *testing.T, db *storage.DB, guildID, name string, members ...string) storage.Group {
	t.Helper()
	ctx := context.Background()
	g, err := db.CreateGroup(ctx, storage.Group{
		GuildID: guildID, Name: name, Description: "Evenings", Type: "mental-health", ChannelID: "310000000000000001", CreatedBy: memberAna,
	}, checkinT0)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range members {
		if err := db.JoinGroup(ctx, g.ID, m, checkinT0); err != nil {
			t.Fatal(err)
		}
	}
	return g
}

func TestRecordCheckinStoresEverything(t *testing.T) {
	storagetest.Each(t, testRecordCheckinStoresEverything)
}

func testRecordCheckinStoresEverything(t *testing.T, db *storage.DB) {
	ctx := context.Background()
	g := checkinGroup(t, db, checkinGuild, "Evening Circle", memberAna)
	in := storage.Checkin{
		GuildID: checkinGuild, UserID: memberAna, GroupID: g.ID, Mood: 2, Note: "long day, slept badly",
		Shared: true, LocalDate: "2026-11-25", At: checkinT0,
	}
	s, err := db.RecordCheckin(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if s != (storage.Streak{Days: 1, Today: true}) {
		t.Errorf("first check-in: streak %+v, want 1 day, today", s)
	}
	plain := storage.Checkin{GuildID: checkinGuild, UserID: memberAna, Mood: 5, LocalDate: "2026-11-25", At: checkinT0.Add(time.Minute)}
	if _, err := db.RecordCheckin(ctx, plain); err != nil {
		t.Fatal(err)
	}
	got, err := db.CheckinsBetween(ctx, checkinGuild, memberAna, "2026-11-25", "2026-11-25")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID == 0 || got[1].ID == 0 {
		t.Fatalf("check-ins = %+v, want two with ids", got)
	}
	in.ID, plain.ID = got[0].ID, got[1].ID
	if want := []storage.Checkin{in, plain}; !reflect.DeepEqual(got, want) {
		t.Errorf("read back\n%+v\nwant\n%+v", got, want)
	}
}

func TestRecordCheckinRefusesBadInputAndWritesNothing(t *testing.T) {
	storagetest.Each(t, testRecordCheckinRefusesBadInputAndWritesNothing)
}

func testRecordCheckinRefusesBadInputAndWritesNothing(t *testing.T, db *storage.DB) {
	ctx := context.Background()
	ok := storage.Checkin{GuildID: checkinGuild, UserID: memberAna, Mood: 3, LocalDate: "2026-11-25", At: checkinT0}
	for name, change := range map[string]func(*storage.Checkin){
		"mood 0":            func(c *storage.Checkin) { c.Mood = 0 },
		"mood 6":            func(c *storage.Checkin) { c.Mood = 6 },
		"no server":         func(c *storage.Checkin) { c.GuildID = "" },
		"no member":         func(c *storage.Checkin) { c.UserID = "" },
		"no time":           func(c *storage.Checkin) { c.At = time.Time{} },
		"no local date":     func(c *storage.Checkin) { c.LocalDate = "" },
		"US date":           func(c *storage.Checkin) { c.LocalDate = "11/25/2026" },
		"impossible date":   func(c *storage.Checkin) { c.LocalDate = "2026-02-30" },
		"group that is not": func(c *storage.Checkin) { c.GroupID = 999 },
	} {
		c := ok
		change(&c)
		c.Note = "a private note"
		_, err := db.RecordCheckin(ctx, c)
		if err == nil {
			t.Errorf("%s: recorded", name)
			continue
		}
		if strings.Contains(err.Error(), "private note") {
			t.Errorf("%s: error repeats the note: %v", name, err)
		}
	}
	got, err := db.CheckinsBetween(ctx, checkinGuild, memberAna, "2000-01-01", "2100-01-01")
	if err != nil || len(got) != 0 {
		t.Errorf("after refused check-ins: %+v, %v; want none", got, err)
	}
}

func TestCheckinsBetweenIsTheMembersOwnWindowOldestFirst(t *testing.T) {
	storagetest.Each(t, testCheckinsBetweenIsTheMembersOwnWindowOldestFirst)
}

func testCheckinsBetweenIsTheMembersOwnWindowOldestFirst(t *testing.T, db *storage.DB) {
	ctx := context.Background()
	// Recorded out of order, and twice on one day.
	mustRecord(t, db, storage.Checkin{UserID: memberAna, Mood: 4, LocalDate: "2026-11-20", At: checkinT0.Add(2 * time.Hour)})
	mustRecord(t, db, storage.Checkin{UserID: memberAna, Mood: 1, LocalDate: "2026-11-20", At: checkinT0.Add(time.Hour)})
	mustRecord(t, db, storage.Checkin{UserID: memberAna, Mood: 3, LocalDate: "2026-11-18", At: checkinT0})
	mustRecord(t, db, storage.Checkin{UserID: memberAna, Mood: 5, LocalDate: "2026-11-17", At: checkinT0})
	mustRecord(t, db, storage.Checkin{UserID: memberAna, Mood: 5, LocalDate: "2026-11-21", At: checkinT0})
	mustRecord(t, db, storage.Checkin{UserID: memberBen, Mood: 2, LocalDate: "2026-11-19", At: checkinT0})
	mustRecord(t, db, storage.Checkin{GuildID: checkinOtherGuild, UserID: memberAna, Mood: 2, LocalDate: "2026-11-19", At: checkinT0})

	got, err := db.CheckinsBetween(ctx, checkinGuild, memberAna, "2026-11-18", "2026-11-20")
	if err != nil {
		t.Fatal(err)
	}
	var moods []string
	for _, c := range got {
		moods = append(moods, fmt.Sprintf("%s:%d", c.LocalDate, c.Mood))
	}
	if want := "[2026-11-18:3 2026-11-20:1 2026-11-20:4]"; fmt.Sprint(moods) != want {
		t.Errorf("window = %v, want %s", moods, want)
	}
	if _, err := db.CheckinsBetween(ctx, checkinGuild, memberAna, "last week", "2026-11-20"); err == nil {
		t.Error("a malformed from date was accepted")
	}
}

func TestCheckinDailyMoods(t *testing.T) { storagetest.Each(t, testCheckinDailyMoods) }

func testCheckinDailyMoods(t *testing.T, db *storage.DB) {
	ctx := context.Background()
	for _, c := range []storage.Checkin{
		{UserID: memberAna, Mood: 2, LocalDate: "2026-11-20"},
		{UserID: memberAna, Mood: 5, LocalDate: "2026-11-20"},
		{UserID: memberAna, Mood: 4, LocalDate: "2026-11-20"},
		{UserID: memberAna, Mood: 1, LocalDate: "2026-11-22"},
		{UserID: memberAna, Mood: 5, LocalDate: "2026-11-23"}, // after the window
		{UserID: memberAna, Mood: 5, LocalDate: "2026-11-19"}, // before it
		{UserID: memberBen, Mood: 3, LocalDate: "2026-11-21"},
		{GuildID: checkinOtherGuild, UserID: memberAna, Mood: 3, LocalDate: "2026-11-21"},
	} {
		mustRecord(t, db, c)
	}
	got, err := db.DailyMoods(ctx, checkinGuild, memberAna, "2026-11-20", "2026-11-22")
	if err != nil {
		t.Fatal(err)
	}
	// The 21st had no check-in: it is left out, not counted as a mood.
	want := []storage.DayMood{{Date: "2026-11-20", Mean: 11.0 / 3, Count: 3}, {Date: "2026-11-22", Mean: 1, Count: 1}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("daily moods = %+v, want %+v", got, want)
	}
	if got, err := db.DailyMoods(ctx, checkinGuild, memberCam, "2026-11-20", "2026-11-22"); err != nil || len(got) != 0 {
		t.Errorf("member without check-ins: %+v, %v", got, err)
	}
}

// A summary counts the members a group had when its window began: joins
// and leaves afterwards change nothing, and the facilitator who asks is
// never counted.
func TestGroupCheckinSummaryCountsMembersAtTheWindowStart(t *testing.T) {
	storagetest.Each(t, testGroupCheckinSummaryCountsMembersAtTheWindowStart)
}

func testGroupCheckinSummaryCountsMembersAtTheWindowStart(t *testing.T, db *storage.DB) {
	ctx := context.Background()
	const memberEve = "210000000000000005" // the facilitator who asks
	g := checkinGroup(t, db, checkinGuild, "Evening Circle", memberAna, memberBen, memberCam, memberEve)
	other := checkinGroup(t, db, checkinGuild, "Morning Circle", memberAna, memberDee)
	// Two weeks, Monday 2026-11-30 to Sunday 2026-12-13; the newer half
	// begins on 2026-12-07.
	q := storage.CheckinSummaryQuery{GroupID: g.ID, GuildID: checkinGuild, From: "2026-11-30", Weeks: 2,
		MembersAt: time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC), Except: memberEve}
	for _, c := range []storage.Checkin{
		{UserID: memberAna, Mood: 2, LocalDate: "2026-11-30", GroupID: g.ID},
		{UserID: memberAna, Mood: 2, LocalDate: "2026-12-01"},
		{UserID: memberAna, Mood: 4, LocalDate: "2026-12-08", GroupID: other.ID}, // another group's tag still counts
		{UserID: memberBen, Mood: 1, LocalDate: "2026-12-06"},
		{UserID: memberBen, Mood: 5, LocalDate: "2026-12-13"},
		{UserID: memberCam, Mood: 3, LocalDate: "2026-11-29"},                    // before the window
		{UserID: memberCam, Mood: 3, LocalDate: "2026-12-14"},                    // after it
		{UserID: memberDee, Mood: 5, LocalDate: "2026-12-02", GroupID: other.ID}, // not a member
		{UserID: memberEve, Mood: 1, LocalDate: "2026-12-01"},                    // the one who asks
		{GuildID: checkinOtherGuild, UserID: memberAna, Mood: 5, LocalDate: "2026-12-02"},
	} {
		mustRecord(t, db, c)
	}
	want := storage.CheckinSummary{
		Checkins: 5, Members: 2,
		ByMood: [5]storage.MoodTally{{1, 1}, {2, 1}, {}, {1, 1}, {1, 1}},
		Halves: [2][5]storage.MoodTally{
			{{1, 1}, {2, 1}, {}, {}, {}},
			{{}, {}, {}, {1, 1}, {1, 1}},
		},
		WeekMembers: []int{2, 2},
		// Morning Circle would count Ana and Dee: Ben and Dee differ (Cam
		// did not check in).
		OtherGroups: []int{2},
	}
	summary := func() storage.CheckinSummary {
		t.Helper()
		got, err := db.GroupCheckinSummary(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := summary(); !reflect.DeepEqual(got, want) {
		t.Errorf("summary = %+v\nwant      %+v", got, want)
	}

	// Ben leaves and Dee joins after the window began: nothing changes.
	if err := db.LeaveGroupAt(ctx, g.ID, memberBen, time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	if err := db.JoinGroup(ctx, g.ID, memberDee, time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	if got := summary(); !reflect.DeepEqual(got, want) {
		t.Errorf("after a leave and a join: summary = %+v\nwant      %+v", got, want)
	}
	// A window that begins after them counts Dee and not Ben.
	later := q
	later.From, later.Weeks, later.MembersAt = "2026-12-07", 1, time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	if got, err := db.GroupCheckinSummary(ctx, later); err != nil || got.Members != 1 || got.Checkins != 1 || got.ByMood[3] != (storage.MoodTally{1, 1}) {
		t.Errorf("the next week = %+v, %v; want Ana's one check-in", got, err)
	}

	// Without Except, Eve counts like anyone else.
	q.Except = ""
	if got := summary(); got.Members != 3 || got.Checkins != 6 || !reflect.DeepEqual(got.WeekMembers, []int{3, 2}) || !reflect.DeepEqual(got.OtherGroups, []int{3}) {
		t.Errorf("counting everyone: %+v", got)
	}

	empty := q
	empty.From = "2025-01-06"
	if got, err := db.GroupCheckinSummary(ctx, empty); err != nil || got.Checkins != 0 || !reflect.DeepEqual(got.WeekMembers, []int{0, 0}) {
		t.Errorf("empty window: %+v, %v", got, err)
	}
	wrong := q
	wrong.GuildID = checkinOtherGuild
	if _, err := db.GroupCheckinSummary(ctx, wrong); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("group asked for from another server: err = %v, want ErrNotFound", err)
	}
	for _, bad := range []storage.CheckinSummaryQuery{
		{GroupID: g.ID, GuildID: checkinGuild, From: "2026-11-30", Weeks: 0, MembersAt: q.MembersAt},
		{GroupID: g.ID, GuildID: checkinGuild, From: "30.11.2026", Weeks: 1, MembersAt: q.MembersAt},
		{GroupID: g.ID, GuildID: checkinGuild, From: "2026-11-30", Weeks: 1},
	} {
		if _, err := db.GroupCheckinSummary(ctx, bad); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
}

func TestCheckinReminderReplacesItsPrompts(t *testing.T) {
	storagetest.Each(t, testCheckinReminderReplacesItsPrompts)
}

func testCheckinReminderReplacesItsPrompts(t *testing.T, db *storage.DB) {
	ctx := context.Background()
	prompt := func(userID string, at time.Time) storage.NewJob {
		return storage.NewJob{
			Kind: "checkin.prompt", GuildID: checkinGuild, RunAt: at,
			DedupeKey: fmt.Sprintf("%s%d", storage.CheckinPromptJobPrefix(checkinGuild, userID), at.Unix()),
		}
	}
	if _, err := db.CheckinReminder(ctx, checkinGuild, memberAna); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("reminder before any: err = %v, want ErrNotFound", err)
	}
	// Ben's prompt, and one of Ana's in another server, must survive all of Ana's changes here.
	bens := prompt(memberBen, checkinT0.Add(time.Hour))
	elsewhere := prompt(memberAna, checkinT0.Add(time.Hour))
	elsewhere.GuildID, elsewhere.DedupeKey = checkinOtherGuild, storage.CheckinPromptJobPrefix(checkinOtherGuild, memberAna)+"1"
	for _, j := range []storage.NewJob{bens, elsewhere} {
		if _, err := db.Enqueue(ctx, j); err != nil {
			t.Fatal(err)
		}
	}

	r := storage.CheckinReminder{GuildID: checkinGuild, UserID: memberAna, Minute: 20 * 60, Days: storage.ReminderDaily, Timezone: "Europe/Berlin", CreatedAt: checkinT0}
	first := prompt(memberAna, checkinT0.Add(2*time.Hour))
	if err := db.SetCheckinReminder(ctx, r, first); err != nil {
		t.Fatal(err)
	}
	if got, err := db.CheckinReminder(ctx, checkinGuild, memberAna); err != nil || got != r {
		t.Errorf("reminder = %+v, %v; want %+v", got, err, r)
	}
	// Lists the queue by claiming everything with a lease that has run
	// out by the next look.
	look := checkinT0.Add(48 * time.Hour)
	queued := func() string {
		t.Helper()
		look = look.Add(time.Hour)
		jobs, err := db.ClaimDueJobs(ctx, look, time.Minute, 100)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, j := range jobs {
			out = append(out, j.DedupeKey)
		}
		return fmt.Sprint(out)
	}
	if got, want := queued(), fmt.Sprint([]string{bens.DedupeKey, elsewhere.DedupeKey, first.DedupeKey}); got != want {
		t.Errorf("queued after setting = %s, want %s", got, want)
	}

	// Changing the time replaces the queued prompt.
	r.Minute, r.Days, r.CreatedAt = 7*60+30, storage.ReminderWeekdays, checkinT0.Add(time.Hour)
	next := prompt(memberAna, checkinT0.Add(12*time.Hour))
	if err := db.SetCheckinReminder(ctx, r, next); err != nil {
		t.Fatal(err)
	}
	if got, err := db.CheckinReminder(ctx, checkinGuild, memberAna); err != nil || got != r {
		t.Errorf("changed reminder = %+v, %v; want %+v", got, err, r)
	}
	if got, want := queued(), fmt.Sprint([]string{bens.DedupeKey, elsewhere.DedupeKey, next.DedupeKey}); got != want {
		t.Errorf("queued after changing = %s, want %s", got, want)
	}

	if err := db.DeleteCheckinReminder(ctx, checkinGuild, memberAna); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CheckinReminder(ctx, checkinGuild, memberAna); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("reminder after delete: err = %v, want ErrNotFound", err)
	}
	if got, want := queued(), fmt.Sprint([]string{bens.DedupeKey, elsewhere.DedupeKey}); got != want {
		t.Errorf("queued after turning off = %s, want %s", got, want)
	}
	if err := db.DeleteCheckinReminder(ctx, checkinGuild, memberAna); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("second delete: err = %v, want ErrNotFound", err)
	}
}

func TestSetCheckinReminderRefusesBadInputAndWritesNothing(t *testing.T) {
	storagetest.Each(t, testSetCheckinReminderRefusesBadInputAndWritesNothing)
}

func testSetCheckinReminderRefusesBadInputAndWritesNothing(t *testing.T, db *storage.DB) {
	ctx := context.Background()
	good := storage.CheckinReminder{GuildID: checkinGuild, UserID: memberAna, Minute: 0, Days: storage.ReminderDaily, Timezone: "UTC", CreatedAt: checkinT0}
	job := storage.NewJob{Kind: "checkin.prompt", GuildID: checkinGuild, RunAt: checkinT0, DedupeKey: storage.CheckinPromptJobPrefix(checkinGuild, memberAna) + "1"}
	for name, tc := range map[string]struct {
		change func(*storage.CheckinReminder, *storage.NewJob)
	}{
		"minute 1440": {func(r *storage.CheckinReminder, _ *storage.NewJob) { r.Minute = 1440 }},
		"minute -1":   {func(r *storage.CheckinReminder, _ *storage.NewJob) { r.Minute = -1 }},
		"monthly":     {func(r *storage.CheckinReminder, _ *storage.NewJob) { r.Days = "monthly" }},
		"no timezone": {func(r *storage.CheckinReminder, _ *storage.NewJob) { r.Timezone = "" }},
		"no member":   {func(r *storage.CheckinReminder, _ *storage.NewJob) { r.UserID = "" }},
		"no time":     {func(r *storage.CheckinReminder, _ *storage.NewJob) { r.CreatedAt = time.Time{} }},
		"another member's job": {func(_ *storage.CheckinReminder, j *storage.NewJob) {
			j.DedupeKey = storage.CheckinPromptJobPrefix(checkinGuild, memberBen) + "1"
		}},
		"a job that cannot be":   {func(_ *storage.CheckinReminder, j *storage.NewJob) { j.RunAt = time.Time{} }},
		"a job with no kind set": {func(_ *storage.CheckinReminder, j *storage.NewJob) { j.Kind = "" }},
	} {
		r, j := good, job
		tc.change(&r, &j)
		if err := db.SetCheckinReminder(ctx, r, j); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := db.CheckinReminder(ctx, checkinGuild, memberAna); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("a refused reminder was stored: err = %v", err)
	}
	if next, ok, err := db.NextJobTime(ctx); err != nil || ok {
		t.Errorf("a refused reminder queued a job for %s (%v)", next, err)
	}
}

// The stored run must always agree with the walk over every check-in day,
// whatever order the days arrive in.
func TestStoredRunAgreesWithGentleStreak(t *testing.T) {
	storagetest.Each(t, testStoredRunAgreesWithGentleStreak)
}

func testStoredRunAgreesWithGentleStreak(t *testing.T, db *storage.DB) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	start := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	var dates []string
	day := 0
	for i := range 300 {
		switch r := rng.IntN(10); {
		case r < 6:
			day++ // the next day
		case r < 8:
			day += 2 + rng.IntN(3) // a gap, sometimes one the run survives
		case r < 9:
			// the same day again
		default:
			day -= rng.IntN(3) // a day before the latest (a timezone change)
		}
		date := start.AddDate(0, 0, day).Format("2006-01-02")
		dates = append(dates, date)
		got, err := db.RecordCheckin(ctx, storage.Checkin{GuildID: "g", UserID: "u", Mood: 3, LocalDate: date, At: start})
		if err != nil {
			t.Fatal(err)
		}
		latest := slices.Max(dates)
		if want := storage.GentleStreak(dates, latest); got.Days != want && date == latest {
			t.Fatalf("check-in %d on %s: stored run says %d, the walk %d", i, date, got.Days, want)
		}
		shown, err := db.CheckinStreak(ctx, "g", "u", latest)
		if err != nil {
			t.Fatal(err)
		}
		if want := storage.GentleStreak(dates, latest); shown.Days != want {
			t.Fatalf("after check-in %d: CheckinStreak %d, the walk %d", i, shown.Days, want)
		}
	}
}

func TestPurgeCheckinsBefore(t *testing.T) { storagetest.Each(t, testPurgeCheckinsBefore) }

func testPurgeCheckinsBefore(t *testing.T, db *storage.DB) {
	ctx := context.Background()
	old := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	recent := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	for _, at := range []time.Time{old, recent} {
		if _, err := db.RecordCheckin(ctx, storage.Checkin{GuildID: "g", UserID: "u", Mood: 3, Note: "n", LocalDate: at.Format("2006-01-02"), At: at}); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := db.PurgeCheckinsBefore(ctx, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)); err != nil || n != 1 {
		t.Fatalf("purged %d, %v; want the old check-in", n, err)
	}
	left, _ := db.CheckinsBetween(ctx, "g", "u", "2000-01-01", "2100-01-01")
	if len(left) != 1 || !left[0].At.Equal(recent) {
		t.Errorf("left %+v, want only the recent check-in", left)
	}
}
