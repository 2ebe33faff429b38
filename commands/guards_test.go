package commands

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/kindred-bot/kindred/storage"
)

// Every route with a role guard refuses a plain member, and a member who
// only holds a lesser role, before its handler runs; and every server
// route refuses a DM. The request is otherwise empty: a handler that ran
// would fail differently.
func TestRoleGuardsRefuseWhoeverLacksTheRole(t *testing.T) {
	env := testEnv(t)
	ctx := context.Background()
	if _, err := env.DB.UpdateGuildSettings(ctx, guildID, storage.GuildSettingsUpdate{
		ModeratorRoleID: strPtr(modRoleID), FacilitatorRoleID: strPtr(facRoleID),
	}, t0); err != nil {
		t.Fatal(err)
	}
	r := NewRouter(env.DB, Features(env)...)
	member := func(perms int64, roles ...string) func() *Request {
		return func() *Request {
			return &Request{Type: CommandInteraction, GuildID: guildID, UserID: aliceID, Permissions: perms, RoleIDs: roles}
		}
	}
	members := map[string]func() *Request{
		"a plain member":      member(0),
		"a lookalike role":    member(0, "400000000000000099"),
		"a facilitator":       member(discordgo.PermissionManageEvents, facRoleID),
		"a moderator":         member(discordgo.PermissionModerateMembers, modRoleID),
		"a server manager":    member(discordgo.PermissionManageGuild),
		"a message moderator": member(discordgo.PermissionManageMessages),
	}
	// Who each role guard must refuse, and what it says.
	refusals := map[Guard]struct {
		text string
		who  []string
	}{
		guardModerator:    {"Only moderators", []string{"a plain member", "a lookalike role", "a facilitator", "a server manager", "a message moderator"}},
		guardFacilitator:  {"Only facilitators", []string{"a plain member", "a lookalike role", "a server manager", "a message moderator"}},
		guardManageServer: {"Manage Server", []string{"a plain member", "a moderator", "a facilitator"}},
	}
	refused := 0
	for _, route := range r.Routes() {
		if route.Type != CommandInteraction {
			continue
		}
		guards := route.Guards
		var role Guard
		for _, g := range []Guard{guardModerator, guardFacilitator, guardManageServer} {
			if slices.Contains(guards, g) {
				role = g
			}
		}
		want, refusedBy := refusals[role].text, refusals[role].who
		tries := map[string]*Request{}
		for _, who := range refusedBy {
			tries[who] = members[who]()
		}
		for who, req := range tries {
			req.Route = route.Name
			_, err := route.Handler(ctx, req)
			ue, ok := AsUserError(err)
			if !ok || !strings.Contains(ue.Message, want) {
				t.Errorf("%s as %s: err = %v, want a refusal mentioning %q", route.Name, who, err, want)
			}
			refused++
		}
		if slices.Contains(guards, guardGuild) {
			_, err := route.Handler(ctx, &Request{Type: CommandInteraction, Route: route.Name, UserID: aliceID,
				Permissions: discordgo.PermissionAdministrator})
			wantUserError(t, err, "inside a server")
		}
	}
	if refused < 50 {
		t.Errorf("only %d refusals tried: are the role routes registered?", refused)
	}
	// The server's own roles do grant what they name.
	if _, err := r.Find(CommandInteraction, "escalation/list").Handler(ctx, &Request{Type: CommandInteraction, Route: "escalation/list", GuildID: guildID, UserID: aliceID, RoleIDs: []string{modRoleID}}); err != nil {
		t.Errorf("the moderator role was refused: %v", err)
	}
	if _, err := r.Find(CommandInteraction, "pairing/stats").Handler(ctx, &Request{Type: CommandInteraction, Route: "pairing/stats", GuildID: guildID, UserID: aliceID, RoleIDs: []string{modRoleID}}); err != nil && strings.Contains(err.Error(), "Only facilitators") {
		t.Errorf("a moderator must count as a facilitator: %v", err)
	}
}

// Guild-only autocomplete in a DM suggests nothing rather than failing.
func TestGuildAutocompleteInDMSuggestsNothing(t *testing.T) {
	env := testEnv(t)
	resp, err := call(t, env, &Request{Type: AutocompleteInteraction, Route: "group/join", Focused: "group", Options: opts{str("group", "")}})
	if err != nil || resp == nil || len(resp.Choices) != 0 {
		t.Errorf("autocomplete in a DM: %+v, %v", resp, err)
	}
}

// A crafted mood button can't record a check-in in another server, or a
// mood off the scale.
func TestCraftedMoodButtonsRecordNothing(t *testing.T) {
	env := testEnv(t)
	other := "100000000000000002"
	for _, tc := range []struct {
		name string
		id   string
		in   string // the server it's pressed in; "" for a DM
	}{
		{"another server's button pressed here", checkinMoodButton.ID(other, 3), guildID},
		{"a mood off the scale", checkinMoodButton.ID(guildID, 9), guildID},
		{"a mood off the scale, by DM", checkinMoodButton.ID(guildID, 0), ""},
	} {
		_, err := call(t, env, &Request{Type: ComponentInteraction, Route: tc.id, GuildID: tc.in, UserID: aliceID})
		wantUserError(t, err, "no longer works")
		if n := countCheckins(t, env, aliceID); n != 0 {
			t.Fatalf("%s: %d check-ins recorded", tc.name, n)
		}
	}
}

// An RSVP button naming another server's meeting, pressed in this one,
// finds no meeting; a made-up answer is refused.
func TestCraftedRSVPButtonsChangeNothing(t *testing.T) {
	env, _, now, _ := meetingEnv(t)
	m := scheduleMeeting(t, env, str("start", "2026-12-01 19:00"))
	start := t0.AddDate(0, 0, 6) // 2026-12-01 19:00 in Berlin
	ctx := context.Background()

	_, err := call(t, env, &Request{Type: ComponentInteraction, Route: rsvpButton.ID(m.ID, start.Unix(), storage.RSVPGoing),
		GuildID: "100000000000000002", UserID: aliceID})
	wantUserError(t, err, "no longer exists")
	_, err = call(t, env, &Request{Type: ComponentInteraction, Route: rsvpButton.ID(m.ID, start.Unix(), "host"), GuildID: guildID, UserID: aliceID})
	wantUserError(t, err, "no longer works")
	if rsvps, err := env.DB.RSVPs(ctx, m.ID, start); err != nil || len(rsvps) != 0 {
		t.Errorf("rsvps after crafted buttons: %v %v", rsvps, err)
	}
	// The real button, pressed in its server, works.
	if _, err := call(t, env, &Request{Type: ComponentInteraction, Route: rsvpButton.ID(m.ID, start.Unix(), storage.RSVPGoing), GuildID: guildID, UserID: aliceID}); err != nil {
		t.Fatalf("real RSVP at %v: %v", *now, err)
	}
}

// A pairing's follow-up can't be answered with a made-up answer.
func TestCraftedBuddyAnswerIsRefused(t *testing.T) {
	env := testEnv(t)
	_, err := call(t, env, &Request{Type: ComponentInteraction, Route: buddyAnswerButton.ID("maybe", 1), GuildID: guildID, UserID: aliceID})
	wantUserError(t, err, "no longer works")
}

// A mood button records only for a server that really prompted this
// member, and, pressed in a DM, only while they are in that server.
func TestMoodButtonNeedsARealPromptAndMembership(t *testing.T) {
	env := testEnv(t)
	rec := newRecorder()
	env.Discord = rec
	ctx := context.Background()
	press := func() error {
		_, err := call(t, env, &Request{Type: ComponentInteraction, Route: checkinMoodButton.ID(guildID, 4), UserID: aliceID})
		return err
	}
	// No prompt was ever sent from this server: a crafted id.
	wantUserError(t, press(), "no longer works")
	prompt := storage.DMJobKey(storage.CheckinPromptJobKey(guildID, aliceID, t0), aliceID)
	if err := env.DB.RecordSent(ctx, prompt, "900000000000000001", t0); err != nil {
		t.Fatal(err)
	}
	// Prompted, but no longer in the server: their reminder there ends.
	if err := env.DB.SetCheckinReminder(ctx, storage.CheckinReminder{GuildID: guildID, UserID: aliceID, Minute: 20 * 60, Days: "daily", Timezone: "UTC", CreatedAt: t0},
		checkinPromptJob.New(promptPayload{GuildID: guildID, UserID: aliceID}, t0.Add(time.Hour))); err != nil {
		t.Fatal(err)
	}
	wantUserError(t, press(), "no longer works")
	if _, err := env.DB.CheckinReminder(ctx, guildID, aliceID); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("the reminder of a member who left: err = %v, want it gone", err)
	}
	if n := countCheckins(t, env, aliceID); n != 0 {
		t.Fatalf("%d check-ins recorded from crafted presses", n)
	}
	rec.addMember(guildID, aliceID)
	if err := press(); err != nil {
		t.Fatalf("a real prompt's button: %v", err)
	}
	if n := countCheckins(t, env, aliceID); n != 1 {
		t.Fatalf("%d check-ins recorded, want 1", n)
	}
}

// An RSVP button pressed in a DM only answers for a server the member is
// in; one naming another server's meeting gets a deleted meeting's answer.
func TestRSVPByDMNeedsMembership(t *testing.T) {
	env, rec, _, _ := meetingEnv(t)
	m := scheduleMeeting(t, env, str("start", "2026-12-01 19:00"))
	start := t0.AddDate(0, 0, 6)
	press := func() error {
		_, err := call(t, env, &Request{Type: ComponentInteraction, Route: rsvpButton.ID(m.ID, start.Unix(), storage.RSVPGoing), UserID: bobID})
		return err
	}
	wantUserError(t, press(), "no longer exists")
	rec.addMember(guildID, bobID)
	if err := press(); err != nil {
		t.Fatalf("a member's RSVP by DM: %v", err)
	}
}

// A follow-up button names a pairing by id; pressed in another server,
// even by one of the pair, it changes nothing.
func TestBuddyAnswerFromAnotherServerIsRefused(t *testing.T) {
	env, _, _, g, ids := buddyEnv(t, 2)
	runRound(t, env)
	ps, err := env.DB.CurrentPairings(context.Background(), g.ID, ids[0])
	if err != nil || len(ps) != 1 {
		t.Fatalf("pairings = %v, %v", ps, err)
	}
	req := &Request{Type: ComponentInteraction, Route: buddyAnswerButton.ID(storage.AnswerTalked, ps[0].ID), GuildID: "100000000000000002", UserID: ids[0]}
	_, err = call(t, env, req)
	wantUserError(t, err, "no longer exists")
	if p, _ := env.DB.Pairing(context.Background(), ps[0].ID); len(p.Answers) != 0 {
		t.Errorf("answers after a press from another server: %v", p.Answers)
	}
	req.GuildID = guildID
	if _, err := call(t, env, req); err != nil {
		t.Fatalf("the pair's own press: %v", err)
	}
}
