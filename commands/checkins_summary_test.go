package commands

import (
	"context"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/kindred-bot/kindred/storage"
)

// ---- the pieces of the rule ----

// days offers the three fixed windows and nothing between them.
func TestSummaryDaysAreChoices(t *testing.T) {
	var days *discordgo.ApplicationCommandOption
	for _, sub := range checkinsCommand.Options {
		if sub.Name == "summary" {
			for _, o := range sub.Options {
				if o.Name == "days" {
					days = o
				}
			}
		}
	}
	if days == nil || days.Type != discordgo.ApplicationCommandOptionInteger || days.Required || days.MinValue != nil || days.MaxValue != 0 {
		t.Fatalf("summary days = %+v: want an optional integer without a range", days)
	}
	var values []any
	for _, c := range days.Choices {
		values = append(values, c.Value)
	}
	if fmt.Sprint(values) != "[7 28 84]" {
		t.Errorf("choices = %v, want 7, 28 and 84", values)
	}
}

func TestLastWeeks(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	utc := func(s string) time.Time {
		at, err := time.Parse("2006-01-02 15:04", s)
		if err != nil {
			t.Fatal(err)
		}
		return at
	}
	tests := []struct {
		name      string
		now       time.Time
		weeks     int
		from, to  string
		membersAt string
		dates     string
	}{
		// Sunday 29 November has not ended everywhere until Monday 12:00 UTC.
		{"Monday 11:59 UTC", utc("2026-11-30 11:59"), 1, "2026-11-16", "2026-11-23", "2026-11-15 10:00", "Mon 16 Nov – Sun 22 Nov 2026"},
		{"Monday 12:00 UTC", utc("2026-11-30 12:00"), 1, "2026-11-23", "2026-11-30", "2026-11-22 10:00", "Mon 23 Nov – Sun 29 Nov 2026"},
		{"the whole week after", utc("2026-12-07 11:59"), 1, "2026-11-23", "2026-11-30", "2026-11-22 10:00", "Mon 23 Nov – Sun 29 Nov 2026"},
		{"any timezone of now", utc("2026-12-02 08:00").In(berlin), 1, "2026-11-23", "2026-11-30", "2026-11-22 10:00", "Mon 23 Nov – Sun 29 Nov 2026"},
		{"four weeks", utc("2026-12-02 08:00"), 4, "2026-11-02", "2026-11-30", "2026-11-01 10:00", "Mon 2 Nov – Sun 29 Nov 2026"},
		{"twelve weeks", utc("2026-12-02 08:00"), 12, "2026-09-07", "2026-11-30", "2026-09-06 10:00", "Mon 7 Sep – Sun 29 Nov 2026"},
		{"across a new year", utc("2027-01-04 12:00"), 1, "2026-12-28", "2027-01-04", "2026-12-27 10:00", "Mon 28 Dec 2026 – Sun 3 Jan 2027"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := lastWeeks(tt.now, tt.weeks)
			if got := w.from.Format(dateLayout) + " " + w.to.Format(dateLayout); got != tt.from+" "+tt.to {
				t.Errorf("window = %s, want %s %s", got, tt.from, tt.to)
			}
			if !w.membersAt.Equal(utc(tt.membersAt)) {
				t.Errorf("members at %v, want %s UTC (the first day's start at UTC+14)", w.membersAt, tt.membersAt)
			}
			if want := w.to.AddDate(0, 0, 7).Add(12 * time.Hour); !w.next.Equal(want) {
				t.Errorf("next = %v, want %v", w.next, want)
			}
			if got := w.dates(); got != tt.dates {
				t.Errorf("dates = %q, want %q", got, tt.dates)
			}
		})
	}
}

func TestMoodShareRoundsAndHides(t *testing.T) {
	tests := []struct {
		tally storage.MoodTally
		total int
		want  string
	}{
		{storage.MoodTally{Checkins: 15, Members: 5}, 18, "████████████████ about 80 %"},
		{storage.MoodTally{Checkins: 3, Members: 1}, 18, "fewer than 5 people"},
		{storage.MoodTally{Checkins: 40, Members: 4}, 50, "fewer than 5 people"},
		{storage.MoodTally{}, 18, "fewer than 5 people"}, // no one reads the same as a few
		{storage.MoodTally{Checkins: 5, Members: 5}, 100, "██ about 10 %"},
		{storage.MoodTally{Checkins: 5, Members: 5}, 101, "under 5 %"},
		{storage.MoodTally{Checkins: 25, Members: 5}, 100, "██████ about 30 %"}, // halves round up
		{storage.MoodTally{Checkins: 24, Members: 6}, 100, "████ about 20 %"},
		{storage.MoodTally{Checkins: 20, Members: 5}, 20, "████████████████████ about 100 %"},
	}
	for _, tt := range tests {
		if got := shareText(tt.tally, tt.total); got != tt.want {
			t.Errorf("%+v of %d = %q, want %q", tt.tally, tt.total, got, tt.want)
		}
	}
}

// The trend compares only moods at least five people chose in each half:
// one member's hard days move neither half.
func TestSummaryTrendOnlyFromShownMoods(t *testing.T) {
	good := storage.MoodTally{Checkins: 10, Members: 5}
	alone := storage.MoodTally{Checkins: 6, Members: 1}
	low := storage.MoodTally{Checkins: 10, Members: 5}
	tests := []struct {
		name   string
		halves [2][5]storage.MoodTally
		want   string
	}{
		{"a member's struggling left out", [2][5]storage.MoodTally{{alone, {}, {}, good, {}}, {{}, {}, {}, good, {}}}, "steady (4.0 → 4.0)"},
		{"lifting", [2][5]storage.MoodTally{{{}, low, {}, {}, {}}, {{}, {}, {}, good, {}}}, "lifting (2.0 → 4.0)"},
		{"dipping", [2][5]storage.MoodTally{{{}, {}, {}, good, {}}, {{}, low, {}, good, {}}}, "dipping (4.0 → 3.0)"},
		{"a half with no shown mood", [2][5]storage.MoodTally{{alone, {}, {}, {}, {}}, {{}, {}, {}, good, {}}}, "not enough to tell"},
	}
	for _, tt := range tests {
		if got := trendText(storage.CheckinSummary{Halves: tt.halves}); !strings.HasPrefix(got, tt.want) {
			t.Errorf("%s: trend = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestSummaryShowable(t *testing.T) {
	tests := []struct {
		weeks, others []int
		want          bool
	}{
		{[]int{5}, nil, true},
		{[]int{5, 7, 6, 5}, []int{0, 5, 12}, true},
		{[]int{5, 4, 6, 5}, nil, false}, // one thin week
		{[]int{9}, []int{1}, false},     // another group differs by one member
		{[]int{9}, []int{4}, false},
		{nil, nil, false},
	}
	for _, tt := range tests {
		if got := summaryShowable(storage.CheckinSummary{WeekMembers: tt.weeks, OtherGroups: tt.others}); got != tt.want {
			t.Errorf("weeks %v, other groups %v: showable = %v, want %v", tt.weeks, tt.others, got, tt.want)
		}
	}
}

// ---- the attacks, replayed against the real handler and SQLite ----

// summaryScene is a server with two groups, members joining, leaving and
// checking in at given times, and a facilitator asking for summaries.
type summaryScene struct {
	t   *testing.T
	env Env
	now *time.Time
}

const (
	monday   = "Monday Circle"
	thursday = "Thursday Circle"
)

// longAgo is before every window of the scenes: members who join then
// count everywhere.
var longAgo = time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)

func newSummaryScene(t *testing.T) *summaryScene {
	t.Helper()
	env, _, now, _ := meetingEnv(t)
	mustCall(t, env, asFacilitator("group/create", createOpts(thursday)...))
	return &summaryScene{t: t, env: env, now: now}
}

func summaryMember(i int) string { return fmt.Sprintf("40000000000000%04d", i) }

func (s *summaryScene) group(name string) storage.Group { return mustGroup(s.t, s.env, name) }

func (s *summaryScene) join(group, user string, at time.Time) {
	s.t.Helper()
	if err := s.env.DB.JoinGroup(context.Background(), s.group(group).ID, user, at); err != nil {
		s.t.Fatalf("%s joins %s: %v", user, group, err)
	}
}

func (s *summaryScene) leave(group, user string, at time.Time) {
	s.t.Helper()
	if err := s.env.DB.LeaveGroupAt(context.Background(), s.group(group).ID, user, at); err != nil {
		s.t.Fatalf("%s leaves %s: %v", user, group, err)
	}
}

// checkin records a check-in on a local date, made at noon UTC that day.
func (s *summaryScene) checkin(user, date string, m int) {
	s.t.Helper()
	at, err := time.Parse(dateLayout, date)
	if err != nil {
		s.t.Fatal(err)
	}
	if _, err := s.env.DB.RecordCheckin(context.Background(), storage.Checkin{GuildID: guildID, UserID: user, Mood: m, LocalDate: date, At: at.Add(12 * time.Hour)}); err != nil {
		s.t.Fatal(err)
	}
}

// weekDates are the seven dates of the week beginning on a Monday.
func weekDates(monday string) []string {
	d, _ := time.Parse(dateLayout, monday)
	out := make([]string, 7)
	for i := range out {
		out[i] = d.AddDate(0, 0, i).Format(dateLayout)
	}
	return out
}

// ask is /checkins summary from `as`, a facilitator, at a moment.
func (s *summaryScene) ask(group string, days int, as string, at time.Time) *Response {
	s.t.Helper()
	*s.now = at
	return mustCall(s.t, s.env, &Request{Route: "checkins/summary", GuildID: guildID, UserID: as, Permissions: discordgo.PermissionManageEvents,
		Options: opts{str("group", group), daysOption(days)}})
}

func daysOption(n int) *discordgo.ApplicationCommandInteractionDataOption {
	return &discordgo.ApplicationCommandInteractionDataOption{Name: "days", Type: discordgo.ApplicationCommandOptionInteger, Value: float64(n)}
}

func shown(r *Response) bool { return len(r.Embeds) > 0 }

// figures is what a shown summary says about the check-ins, without the
// group's name.
func figures(r *Response) string {
	if !shown(r) {
		return "hidden"
	}
	var b strings.Builder
	for _, f := range r.Embeds[0].Fields {
		b.WriteString(f.Name + ": " + f.Value + "\n")
	}
	return b.String()
}

var summaryCounts = regexp.MustCompile(`Check-ins: (\d+) from (\d+) members?`)

// counts reads "N from M members" off a shown summary.
func counts(t *testing.T, r *Response) (checkins, members int) {
	t.Helper()
	m := summaryCounts.FindStringSubmatch(figures(r))
	if m == nil {
		t.Fatalf("no counts in %q", figures(r))
	}
	c, _ := strconv.Atoi(m[1])
	n, _ := strconv.Atoi(m[2])
	return c, n
}

// Monday 30 November 2026, 12:00 UTC: the week of 23–29 November has just
// ended everywhere.
var weekEnded = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

// The reproduced attack: six members, one of them struggling; before and
// after that member leaves, the summaries differed by exactly their three
// check-ins. Now the mood only one member chose is hidden, and the leave
// changes nothing.
func TestSummaryAttackLeaverIsNotRevealed(t *testing.T) {
	s := newSummaryScene(t)
	leaver := summaryMember(0)
	for i := range 6 {
		s.join(monday, summaryMember(i), longAgo)
	}
	for _, d := range weekDates("2026-11-23")[:3] {
		s.checkin(leaver, d, 1)
		for i := 1; i < 6; i++ {
			s.checkin(summaryMember(i), d, 4)
		}
	}
	before := s.ask(monday, 7, facilitatorID, weekEnded)
	got := figures(before)
	if !strings.Contains(got, "18 from 6 members") || !strings.Contains(got, "`Struggling` fewer than 5 people") || !strings.Contains(got, "`Good      ` ████████████████ about 80 %") {
		t.Fatalf("summary = %q: want 18 check-ins, Struggling hidden, Good about 80 %%", got)
	}
	s.leave(monday, leaver, weekEnded.Add(time.Hour))
	for _, at := range []time.Time{weekEnded.Add(2 * time.Hour), weekEnded.Add(6*24*time.Hour + 23*time.Hour)} {
		if after := s.ask(monday, 7, facilitatorID, at); text(after) != text(before) {
			t.Errorf("after the leave, at %v:\n%s\nbefore:\n%s", at, text(after), text(before))
		}
	}
	// There is no days:8 to compare with.
	_, err := call(t, s.env, &Request{Route: "checkins/summary", GuildID: guildID, UserID: facilitatorID, Permissions: discordgo.PermissionManageEvents,
		Options: opts{str("group", monday), daysOption(8)}})
	wantUserError(t, err, "7, 28 or 84")
}

// busyWeeks has five members check in every day of the four weeks up to
// 29 November, moods cycling.
// busyFive has five long-standing members of Monday check in every day.
func (s *summaryScene) busyFive() {
	var five []string
	for i := range 5 {
		five = append(five, summaryMember(i))
		s.join(monday, summaryMember(i), longAgo)
	}
	s.busyWeeks(monday, five...)
}

func (s *summaryScene) busyWeeks(group string, members ...string) {
	for _, monday := range []string{"2026-11-02", "2026-11-09", "2026-11-16", "2026-11-23"} {
		for d, date := range weekDates(monday) {
			for i, u := range members {
				s.checkin(u, date, (d+i)%5+1)
			}
		}
	}
}

// Accounts that join after a window began, and the facilitator's own
// check-ins, change no answer; nor does the facilitator count towards the
// five.
func TestSummaryAttackPaddingChangesNothing(t *testing.T) {
	answers := func(pad func(s *summaryScene)) string {
		s := newSummaryScene(t)
		s.busyFive()
		pad(s)
		var b strings.Builder
		for _, days := range summaryDays {
			b.WriteString(text(s.ask(monday, days, facilitatorID, weekEnded)))
		}
		return b.String()
	}
	plain := answers(func(*summaryScene) {})
	if !strings.Contains(plain, "last 4 complete weeks") || !strings.Contains(plain, "140 from 5 members") {
		t.Fatalf("without padding = %q", plain)
	}
	for name, pad := range map[string]func(s *summaryScene){
		"new members": func(s *summaryScene) {
			// They join on the window's last Monday, before it ends, and
			// check in every day of that week, all struggling.
			for i := 10; i < 15; i++ {
				s.join(monday, summaryMember(i), time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
				for _, d := range weekDates("2026-11-23") {
					s.checkin(summaryMember(i), d, 1)
				}
			}
		},
		"the facilitator's own check-ins": func(s *summaryScene) {
			s.join(monday, facilitatorID, longAgo)
			for _, d := range weekDates("2026-11-23") {
				s.checkin(facilitatorID, d, 1)
			}
		},
	} {
		if got := answers(pad); got != plain {
			t.Errorf("padding with %s changed the answers:\n%s\nwithout:\n%s", name, got, plain)
		}
	}

	// Four members and the facilitator are not five.
	s := newSummaryScene(t)
	for i := range 4 {
		s.join(monday, summaryMember(i), longAgo)
	}
	s.join(monday, facilitatorID, longAgo)
	s.busyWeeks(monday, summaryMember(0), summaryMember(1), summaryMember(2), summaryMember(3), facilitatorID)
	if r := s.ask(monday, 7, facilitatorID, weekEnded); shown(r) || strings.Contains(text(r), "4 members") {
		t.Errorf("four others and the facilitator: %q; want not shown, without a count", text(r))
	}
	// Another facilitator, not a member, sees the five.
	if r := s.ask(monday, 7, aliceID, weekEnded); !shown(r) {
		t.Errorf("five members, asked by someone else: %q", text(r))
	}
}

// 7, 28 and 84 days end together: the longer windows are shown only when
// every week has five members checking in, so their difference is never
// one member's weeks.
func TestSummaryAttackAdjacentWindows(t *testing.T) {
	s := newSummaryScene(t)
	lonely := summaryMember(0)
	five := []string{summaryMember(1), summaryMember(2), summaryMember(3), summaryMember(4), summaryMember(5)}
	for _, u := range append(five, lonely) {
		s.join(monday, u, longAgo)
	}
	for _, week := range []string{"2026-11-02", "2026-11-09", "2026-11-16"} {
		for _, d := range weekDates(week) {
			s.checkin(lonely, d, 1) // alone in the three weeks before
		}
	}
	for _, d := range weekDates("2026-11-23") {
		for _, u := range five {
			s.checkin(u, d, 4)
		}
	}
	if r := s.ask(monday, 7, facilitatorID, weekEnded); !shown(r) {
		t.Errorf("the last week, five members: %q", text(r))
	}
	for _, days := range []int{28, 84} {
		if r := s.ask(monday, days, facilitatorID, weekEnded); shown(r) {
			t.Errorf("days:%d shown with one member in three of its weeks: %q", days, figures(r))
		}
	}
	// Once the five check in every week, the longer window is shown, and
	// differs from the shorter by at least five members' weeks.
	for _, week := range []string{"2026-11-02", "2026-11-09", "2026-11-16"} {
		for _, u := range five {
			s.checkin(u, weekDates(week)[0], 3)
		}
	}
	if r := s.ask(monday, 28, facilitatorID, weekEnded); !shown(r) || !strings.Contains(figures(r), "71 from 6 members") {
		t.Errorf("days:28 with five members every week: %q", text(r))
	}
}

// Two groups count a member's check-ins whichever group they are in: two
// groups whose members differ by one would give away that member's moods.
func TestSummaryAttackOverlappingGroups(t *testing.T) {
	s := newSummaryScene(t)
	var five []string
	for i := range 5 {
		five = append(five, summaryMember(i))
		s.join(monday, summaryMember(i), longAgo)
		s.join(thursday, summaryMember(i), longAgo)
	}
	extra := summaryMember(9)
	s.join(monday, extra, longAgo)
	s.busyWeeks(monday, append(five, extra)...)
	for _, g := range []string{monday, thursday} {
		if r := s.ask(g, 28, facilitatorID, weekEnded); shown(r) {
			t.Errorf("%s shown while the groups differ by one member: %q", g, figures(r))
		}
	}
	// The same members: the same figures.
	s.join(thursday, extra, time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC))
	m, th := s.ask(monday, 28, facilitatorID, weekEnded), s.ask(thursday, 28, facilitatorID, weekEnded)
	if !shown(m) || figures(m) != figures(th) {
		t.Errorf("groups with the same members:\n%s\n%s", figures(m), figures(th))
	}
	// Five more in one of them: both shown, five members' check-ins apart.
	for i := 10; i < 15; i++ {
		s.join(thursday, summaryMember(i), longAgo)
	}
	s.busyWeeks(thursday, summaryMember(10), summaryMember(11), summaryMember(12), summaryMember(13), summaryMember(14))
	m, th = s.ask(monday, 28, facilitatorID, weekEnded), s.ask(thursday, 28, facilitatorID, weekEnded)
	if !shown(m) || !shown(th) {
		t.Errorf("groups five members apart: %q / %q", text(m), text(th))
	}
}

// No setting moves a window: not the group's timezone, not a member far
// west still on Sunday when the group's Monday has begun.
func TestSummaryAttackTimezones(t *testing.T) {
	s := newSummaryScene(t)
	var six []string
	for i := range 6 {
		six = append(six, summaryMember(i))
		s.join(monday, summaryMember(i), longAgo)
	}
	s.busyWeeks(monday, six[:5]...)
	west := six[5]
	if _, err := s.env.DB.SetTimezone(context.Background(), west, "Pacific/Pago_Pago", longAgo); err != nil {
		t.Fatal(err)
	}
	// Monday 10:30 UTC is still Sunday 29 November in Pago Pago (UTC−11):
	// that check-in belongs to the week, which is why the week is only
	// complete at 12:00 UTC (the end of the day at UTC−12).
	*s.now = weekEnded.Add(-90 * time.Minute)
	mustCall(t, s.env, asMember(west, "checkin", moodOption(2)))
	if cs, err := s.env.DB.CheckinsBetween(context.Background(), guildID, west, "2026-11-29", "2026-11-29"); err != nil || len(cs) != 1 {
		t.Fatalf("the late check-in = %+v, %v; want one on 29 November", cs, err)
	}
	early := s.ask(monday, 7, facilitatorID, weekEnded.Add(-time.Minute))
	if !strings.Contains(text(early), "Mon 16 Nov – Sun 22 Nov 2026") {
		t.Errorf("before Monday 12:00 UTC the last complete week is 16–22 November: %q", text(early))
	}
	first := s.ask(monday, 7, facilitatorID, weekEnded)
	if !strings.Contains(text(first), "Mon 23 Nov – Sun 29 Nov 2026") || !strings.Contains(figures(first), "36 from 6 members") {
		t.Fatalf("the week of 23 November = %q", text(first))
	}
	for _, zone := range []string{"Pacific/Kiritimati", "Pacific/Pago_Pago", "America/Los_Angeles"} {
		mustCall(t, s.env, asFacilitator("group/edit", str("group", monday), str("timezone", zone)))
		if got := s.ask(monday, 7, facilitatorID, weekEnded.Add(3*time.Hour)); text(got) != text(first) {
			t.Errorf("with the group in %s:\n%s\nwant\n%s", zone, text(got), text(first))
		}
	}
}

// With a retention period, a window is shown only while none of its
// check-ins can have been deleted: a nightly purge must not become a
// slow difference.
func TestSummaryRespectsRetention(t *testing.T) {
	s := newSummaryScene(t)
	s.busyFive()
	s.env.CheckinRetentionDays = 30
	if r := s.ask(monday, 84, facilitatorID, weekEnded); shown(r) || !strings.Contains(text(r), "deleted after 30 days") {
		t.Errorf("84 days with 30 days' retention: %q", text(r))
	}
	if r := s.ask(monday, 28, facilitatorID, weekEnded); !shown(r) {
		t.Errorf("28 days, nothing purged yet: %q", text(r))
	}
	if r := s.ask(monday, 28, facilitatorID, weekEnded.Add(24*time.Hour)); shown(r) {
		t.Errorf("28 days, a day later, when the purge may have begun: %q", figures(r))
	}
}

// ---- the guarantee, on random histories ----

// simCheckin is one check-in of the model.
type simCheckin struct {
	id   int
	user string
	date string
}

// simPeriod is one membership of the model.
type simPeriod struct {
	user         string
	joined, left time.Time // left zero while it lasts
}

// TestSummaryAnswersNeverIsolateFewerThanFive replays random histories of
// two groups (members joining, leaving and rejoining, checking in from
// timezones around the world) and asks for every summary a facilitator can
// get over weeks. A model of the history says which check-ins each answer
// covers. Every two answers shown are the same window with the same text,
// or cover check-ins that differ by at least five members; and each shown
// count matches the model.
func TestSummaryAnswersNeverIsolateFewerThanFive(t *testing.T) {
	zones := []*time.Location{time.UTC}
	for _, name := range []string{"Pacific/Kiritimati", "Etc/GMT+12", "Europe/Berlin", "America/New_York"} {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		zones = append(zones, loc)
	}
	start := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC) // a Monday
	const weeks, users = 18, 13
	totalShown, totalHidden, pairs := 0, 0, 0
	for seed := range uint64(8) {
		rng := rand.New(rand.NewPCG(seed, 11))
		s := newSummaryScene(t)
		requester := facilitatorID
		type event struct {
			at time.Time
			do func()
		}
		var events []event
		periods := map[string][]simPeriod{monday: nil, thursday: nil}
		var checkins []simCheckin
		randomTime := func(from time.Time, span time.Duration) time.Time {
			return from.Add(time.Duration(rng.Int64N(int64(span)))).Truncate(time.Second)
		}
		// Memberships: a first join before the start for most, then now
		// and then a leave and maybe a rejoin.
		for i := range users {
			u := summaryMember(i)
			if i == users-1 {
				u = requester // the facilitator is a member and checks in too
			}
			for _, group := range []string{monday, thursday} {
				if rng.Float64() > 0.75 {
					continue
				}
				at := randomTime(start.Add(-30*24*time.Hour), time.Duration(weeks/2)*7*24*time.Hour)
				for at.Before(start.Add(weeks * 7 * 24 * time.Hour)) {
					p := simPeriod{user: u, joined: at}
					if rng.Float64() < 0.5 {
						p.left = randomTime(at.Add(time.Hour), 6*7*24*time.Hour)
					}
					periods[group] = append(periods[group], p)
					joinAt, group, u := at, group, u
					events = append(events, event{joinAt, func() { s.join(group, u, joinAt) }})
					if p.left.IsZero() {
						break
					}
					leftAt := p.left
					events = append(events, event{leftAt, func() { s.leave(group, u, leftAt) }})
					at = randomTime(leftAt.Add(time.Hour), 3*7*24*time.Hour)
				}
			}
		}
		// Check-ins: most weeks, a few days each, from the member's zone.
		for i := range users {
			u, loc := summaryMember(i), zones[rng.IntN(len(zones))]
			if i == users-1 {
				u = requester
			}
			for w := range weeks {
				if rng.Float64() > 0.7 {
					continue
				}
				for range 1 + rng.IntN(3) {
					at := randomTime(start.Add(time.Duration(w)*7*24*time.Hour), 7*24*time.Hour)
					c := simCheckin{id: len(checkins), user: u, date: at.In(loc).Format(dateLayout)}
					checkins = append(checkins, c)
					m := 1 + rng.IntN(5)
					events = append(events, event{at, func() {
						if _, err := s.env.DB.RecordCheckin(context.Background(), storage.Checkin{GuildID: guildID, UserID: c.user, Mood: m, LocalDate: c.date, At: at}); err != nil {
							t.Fatal(err)
						}
					}})
				}
			}
		}
		// Asks: every 31 hours from the fourth week on, every window, both
		// groups.
		type answer struct {
			group    string
			from, to string
			resp     *Response
			covers   map[int]string // check-in id → member
		}
		var answers []answer
		for at := start.Add(3 * 7 * 24 * time.Hour); at.Before(start.Add(weeks * 7 * 24 * time.Hour)); at = at.Add(31 * time.Hour) {
			for _, days := range summaryDays {
				for _, group := range []string{monday, thursday} {
					at, days, group := at, days, group
					events = append(events, event{at, func() {
						// The model's window, worked out here on its own:
						// the last Monday whose start has passed in UTC−12.
						end := time.Date(at.Year(), at.Month(), at.Day(), 0, 0, 0, 0, time.UTC)
						for end.Weekday() != time.Monday || at.Before(end.Add(12*time.Hour)) {
							end = end.AddDate(0, 0, -1)
						}
						from := end.AddDate(0, 0, -days)
						began := from.Add(-14 * time.Hour)
						memberThen := map[string]bool{}
						for _, p := range periods[group] {
							if !p.joined.After(began) && (p.left.IsZero() || p.left.After(began)) {
								memberThen[p.user] = true
							}
						}
						covers := map[int]string{}
						for _, c := range checkins {
							if c.user != requester && memberThen[c.user] && c.date >= from.Format(dateLayout) && c.date < end.Format(dateLayout) {
								covers[c.id] = c.user
							}
						}
						answers = append(answers, answer{group, from.Format(dateLayout), end.Format(dateLayout), s.ask(group, days, requester, at), covers})
					}})
				}
			}
		}
		// In time order; at the same moment, asks last.
		slices.SortStableFunc(events, func(a, b event) int { return a.at.Compare(b.at) })
		for _, e := range events {
			e.do()
		}

		for i, a := range answers {
			if !shown(a.resp) {
				totalHidden++
				continue
			}
			totalShown++
			members := map[string]bool{}
			for _, u := range a.covers {
				members[u] = true
			}
			if c, n := counts(t, a.resp); c != len(a.covers) || n != len(members) {
				t.Fatalf("seed %d: %s %s–%s shows %d check-ins from %d members; the model has %d from %d", seed, a.group, a.from, a.to, c, n, len(a.covers), len(members))
			}
			for _, b := range answers[:i] {
				if !shown(b.resp) {
					continue
				}
				pairs++
				if a.from == b.from && a.to == b.to {
					if a.group == b.group && text(a.resp) != text(b.resp) {
						t.Fatalf("seed %d: %s %s–%s answered twice, differently:\n%s\n%s", seed, a.group, a.from, a.to, text(a.resp), text(b.resp))
					}
					if len(differ(a.covers, b.covers)) == 0 && figures(a.resp) != figures(b.resp) {
						t.Fatalf("seed %d: the same check-ins, different figures:\n%s\n%s", seed, figures(a.resp), figures(b.resp))
					}
				}
				if d := differ(a.covers, b.covers); len(d) > 0 && len(d) < summaryMinMembers {
					t.Fatalf("seed %d: %s %s–%s and %s %s–%s differ by the check-ins of %d members", seed, a.group, a.from, a.to, b.group, b.from, b.to, len(d))
				}
			}
		}
		// Same window, same group: hidden or shown alike whenever asked.
		seen := map[string]string{}
		for _, a := range answers {
			key := a.group + a.from + a.to
			if prev, ok := seen[key]; ok && prev != text(a.resp) {
				t.Fatalf("seed %d: %s %s–%s answered differently over time:\n%s\n%s", seed, a.group, a.from, a.to, prev, text(a.resp))
			}
			seen[key] = text(a.resp)
		}
	}
	t.Logf("%d answers shown, %d hidden, %d pairs of shown answers compared", totalShown, totalHidden, pairs)
	if totalShown < 50 || totalHidden < 50 {
		t.Errorf("%d shown and %d hidden: the histories don't exercise the rule", totalShown, totalHidden)
	}
}

// differ is the members whose check-ins are in one set and not the other.
func differ(a, b map[int]string) map[string]bool {
	out := map[string]bool{}
	for id, u := range a {
		if _, ok := b[id]; !ok {
			out[u] = true
		}
	}
	for id, u := range b {
		if _, ok := a[id]; !ok {
			out[u] = true
		}
	}
	return out
}
