package commands

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
)

func moodOption(n float64) *discordgo.ApplicationCommandInteractionDataOption {
	return &discordgo.ApplicationCommandInteractionDataOption{Name: "mood", Type: discordgo.ApplicationCommandOptionInteger, Value: n}
}

func days(n float64) *discordgo.ApplicationCommandInteractionDataOption {
	return &discordgo.ApplicationCommandInteractionDataOption{Name: "days", Type: discordgo.ApplicationCommandOptionInteger, Value: n}
}

func countCheckins(t *testing.T, env Env, userID string) int {
	t.Helper()
	cs, err := env.DB.CheckinsBetween(context.Background(), guildID, userID, "2000-01-01", "2100-01-01")
	if err != nil {
		t.Fatal(err)
	}
	return len(cs)
}

func TestCheckinBadInputStoresNothing(t *testing.T) {
	env, _, _, g := meetingEnv(t)
	mustCall(t, env, asFacilitator("group/create", createOpts("Old Circle")...))
	mustCall(t, env, asFacilitator("group/archive", str("group", "Old Circle")))
	if err := env.DB.JoinGroup(context.Background(), g.ID, aliceID, t0); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		req     *Request
		mention string
	}{
		{asMember(aliceID, "checkin", moodOption(3), str("note", strings.Repeat("a", maxNote+1))), "up to 1000"},
		{asMember(aliceID, "checkin", moodOption(9)), "1 (Struggling) to 5"},
		{asMember(aliceID, "checkin", moodOption(3), str("group", "Nowhere"), boolean("share", true)), "Nowhere"},
		{asMember(aliceID, "checkin", moodOption(3), str("group", "Old Circle"), boolean("share", true)), "archived"},
		{asMember(bobID, "checkin", moodOption(3), boolean("share", true)), "haven't joined"},
		{asMember(bobID, "checkin", moodOption(3), str("group", "Monday Circle"), boolean("share", true)), "groups you've joined"},
		{&Request{Route: "checkin", UserID: aliceID, Options: opts{moodOption(3)}}, "inside one"},
		{asMember(aliceID, "checkins/history", days(0)), "1 to 365"},
		{asMember(aliceID, "checkins/history", days(366)), "1 to 365"},
		{asMember(aliceID, "checkins/reminder", str("time", "7:61")), "7:61"},
		{asMember(aliceID, "checkins/summary", str("group", "Monday Circle")), "Only facilitators"},
	}
	for _, c := range cases {
		_, err := call(t, env, c.req)
		wantUserError(t, err, c.mention)
	}
	if n := countCheckins(t, env, aliceID) + countCheckins(t, env, bobID); n != 0 {
		t.Errorf("bad input stored %d check-ins", n)
	}
	if _, err := env.DB.CheckinReminder(context.Background(), guildID, aliceID); err == nil {
		t.Error("a bad time stored a reminder")
	}
}

func TestCheckinAsksWhichGroupWhenInSeveral(t *testing.T) {
	env, _, _, g := meetingEnv(t)
	mustCall(t, env, asFacilitator("group/create", createOpts("Second Circle")...))
	g2 := mustGroup(t, env, "Second Circle")
	env.DB.JoinGroup(context.Background(), g.ID, aliceID, t0)
	env.DB.JoinGroup(context.Background(), g2.ID, aliceID, t0)
	_, err := call(t, env, asMember(aliceID, "checkin", moodOption(4), boolean("share", true)))
	wantUserError(t, err, "several groups")
	if n := countCheckins(t, env, aliceID); n != 0 {
		t.Errorf("stored %d check-ins before the member chose a group", n)
	}
}

func TestCheckinReachOutWithoutBuddies(t *testing.T) {
	env, rec, _, g := meetingEnv(t)
	env.DB.JoinGroup(context.Background(), g.ID, aliceID, t0)
	resp := mustCall(t, env, asMember(aliceID, "checkin", moodOption(2), str("note", "rough day"), boolean("reach_out", true)))
	if !strings.Contains(resp.Content, "No buddy is paired") || countCheckins(t, env, aliceID) != 1 {
		t.Errorf("reach out without buddies = %q", resp.Content)
	}
	if n := len(rec.Calls("Send")); n != 0 {
		t.Errorf("reach_out posted %d messages; the mood and note stay private", n)
	}
}

func TestNextPrompt(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	friday := time.Date(2026, 11, 27, 21, 0, 0, 0, berlin)
	if got := nextPrompt(20*60, "daily", berlin, friday); !got.Equal(time.Date(2026, 11, 28, 20, 0, 0, 0, berlin)) {
		t.Errorf("daily after Friday 21:00 = %v", got)
	}
	if got := nextPrompt(20*60, "weekdays", berlin, friday); !got.Equal(time.Date(2026, 11, 30, 20, 0, 0, 0, berlin)) {
		t.Errorf("weekdays after Friday 21:00 = %v, want Monday", got)
	}
	// Across the October change the prompt keeps 20:00 local.
	if got := nextPrompt(20*60, "daily", berlin, time.Date(2027, 10, 30, 21, 0, 0, 0, berlin)); got.In(berlin).Hour() != 20 {
		t.Errorf("after the DST change = %v", got.In(berlin))
	}
}

// After days of downtime the daily prompt catches up once: one DM if the
// latest missed prompt is still on the member's day, none if that day is
// over; and the next prompt is the first after now.
func TestCheckinPromptCatchesUpOnce(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	for _, tc := range []struct {
		name string
		back time.Time // when Kindred comes back, having been down since before the first prompt
		dms  int
		next time.Time
	}{
		{"back on the evening of the fourth day", time.Date(2026, 11, 28, 21, 30, 0, 0, berlin), 1, time.Date(2026, 11, 29, 20, 0, 0, 0, berlin)},
		{"back the next morning", time.Date(2026, 11, 29, 7, 0, 0, 0, berlin), 0, time.Date(2026, 11, 29, 20, 0, 0, 0, berlin)},
		{"back before the prompt's time", time.Date(2026, 11, 29, 19, 0, 0, 0, berlin), 0, time.Date(2026, 11, 29, 20, 0, 0, 0, berlin)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env, rec, now, _ := meetingEnv(t) // Wednesday 25 Nov 2026, 19:00 in Berlin
			mustCall(t, env, asMember(aliceID, "preferences/timezone", str("zone", "Europe/Berlin")))
			// The first prompt is Wednesday 20:00; Kindred is down from 19:30.
			mustCall(t, env, asMember(aliceID, "checkins/reminder", str("time", "20:00")))
			runScheduler(t, env, now, tc.back)
			if dms := rec.Calls("OpenDM"); len(dms) != tc.dms {
				t.Errorf("%d prompt DMs, want %d", len(dms), tc.dms)
			}
			prompts := pendingJobs(t, env, checkinPromptJob.Kind)
			if len(prompts) != 1 || !prompts[0].RunAt.Equal(tc.next) {
				t.Errorf("queued prompts = %+v, want one at %v", prompts, tc.next.UTC())
			}
		})
	}
}
