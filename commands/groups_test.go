package commands

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/kindred-bot/kindred/storage"
)

// The test server's channels and roles, as Discord resolves them.
const (
	circleChannelID = "300000000000000001"
	voiceChannelID  = "300000000000000002"
	circleRoleID    = "400000000000000001"
	botRoleID       = "400000000000000002" // managed by an integration
	staffRoleID     = "400000000000000003" // carries Manage Messages
	modRoleID       = "400000000000000004"
	facRoleID       = "400000000000000005"
	bobID           = "200000000000000002"
	facilitatorID   = "200000000000000009"
)

func groupResolved() *discordgo.ApplicationCommandInteractionDataResolved {
	return &discordgo.ApplicationCommandInteractionDataResolved{
		Channels: map[string]*discordgo.Channel{
			circleChannelID: {ID: circleChannelID, Type: discordgo.ChannelTypeGuildText},
			voiceChannelID:  {ID: voiceChannelID, Type: discordgo.ChannelTypeGuildVoice},
		},
		Roles: map[string]*discordgo.Role{
			guildID:      {ID: guildID, Name: "@everyone"},
			circleRoleID: {ID: circleRoleID, Name: "Monday Circle"},
			botRoleID:    {ID: botRoleID, Name: "SomeBot", Managed: true},
			staffRoleID:  {ID: staffRoleID, Name: "Staff", Permissions: discordgo.PermissionManageMessages},
			modRoleID:    {ID: modRoleID, Name: "Moderators"},
			facRoleID:    {ID: facRoleID, Name: "Facilitators"},
		},
	}
}

func channelOpt(name, id string) *discordgo.ApplicationCommandInteractionDataOption {
	return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionChannel, Value: id}
}

func roleOpt(name, id string) *discordgo.ApplicationCommandInteractionDataOption {
	return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionRole, Value: id}
}

type opts = []*discordgo.ApplicationCommandInteractionDataOption

// asFacilitator is a /group request from a member with Manage Events,
// holding facRoleID (position 3, Manage Roles): they may attach
// circleRoleID, which is below it.
func asFacilitator(route string, o ...*discordgo.ApplicationCommandInteractionDataOption) *Request {
	return &Request{Route: route, GuildID: guildID, UserID: facilitatorID, Permissions: discordgo.PermissionManageEvents,
		RoleIDs: []string{facRoleID}, Options: o, Resolved: groupResolved()}
}

// asMember is a /group request from an ordinary member.
func asMember(userID, route string, o ...*discordgo.ApplicationCommandInteractionDataOption) *Request {
	return &Request{Route: route, GuildID: guildID, UserID: userID, Options: o, Resolved: groupResolved()}
}

func createOpts(name string, more ...*discordgo.ApplicationCommandInteractionDataOption) opts {
	return append(opts{
		str("name", name),
		str("description", "A weekly circle for people in recovery. Newcomers welcome."),
		str("type", "recovery"),
		channelOpt("channel", circleChannelID),
	}, more...)
}

func groupEnv(t *testing.T) (Env, *recorder) {
	env := testEnv(t)
	rec := newRecorder()
	env.Discord = rec
	return env, rec
}

func mustCall(t *testing.T, env Env, req *Request) *Response {
	t.Helper()
	resp, err := call(t, env, req)
	if err != nil {
		t.Fatalf("%s: %v", req.Route, err)
	}
	if resp == nil {
		t.Fatalf("%s: no response", req.Route)
	}
	return resp
}

func mustGroup(t *testing.T, env Env, name string) storage.Group {
	t.Helper()
	g, err := env.DB.GroupByName(context.Background(), guildID, name, true)
	if err != nil {
		t.Fatalf("group %q: %v", name, err)
	}
	return g
}

func TestGroupCreate(t *testing.T) {
	env, _ := groupEnv(t)
	resp := mustCall(t, env, asFacilitator("group/create", createOpts("  Monday   Circle ",
		roleOpt("role", circleRoleID),
		str("facilitation", "facilitated"),
		str("commitment", "Come to most Monday meetings"),
		str("guidelines", "Confidentiality; One person speaks at a time;  "),
		str("timezone", "europe/berlin"),
	)...))
	if !resp.Ephemeral {
		t.Error("create must answer ephemerally")
	}
	got := text(resp)
	for _, want := range []string{"Created **Monday Circle**", "/group join group:Monday Circle", "<@&" + circleRoleID + ">",
		"• Confidentiality\n• One person speaks at a time", "Facilitated", "Recovery", "Europe/Berlin", "Come to most Monday meetings", "<#" + circleChannelID + ">"} {
		if !strings.Contains(got, want) {
			t.Errorf("create reply lacks %q:\n%s", want, got)
		}
	}
	g := mustGroup(t, env, "monday circle")
	want := storage.Group{ID: g.ID, GuildID: guildID, Name: "Monday Circle", Description: "A weekly circle for people in recovery. Newcomers welcome.",
		Type: "recovery", ChannelID: circleChannelID, RoleID: circleRoleID, Facilitation: "facilitated", Commitment: "Come to most Monday meetings",
		Guidelines: "Confidentiality; One person speaks at a time;", Timezone: "Europe/Berlin", CreatedBy: facilitatorID, CreatedAt: t0, UpdatedAt: t0}
	if g != want {
		t.Errorf("stored %+v\nwant   %+v", g, want)
	}

	// The fewest options give a peer-led group with the default guidelines.
	resp = mustCall(t, env, asFacilitator("group/create", createOpts("Evening Circle")...))
	g = mustGroup(t, env, "Evening Circle")
	if g.Facilitation != "peer-led" || g.Guidelines != "" || g.RoleID != "" || g.Timezone != "" {
		t.Errorf("defaults stored as %+v", g)
	}
	for _, want := range []string{"What is shared in the group stays in the group", "Peer-led", "Server default (UTC)", "No set commitment"} {
		if !strings.Contains(text(resp), want) {
			t.Errorf("create reply lacks %q:\n%s", want, text(resp))
		}
	}
}

func TestGroupFacilitatorsAndModeratorsMayCreate(t *testing.T) {
	env, _ := groupEnv(t)
	ctx := context.Background()
	mod, fac := modRoleID, facRoleID
	if _, err := env.DB.UpdateGuildSettings(ctx, guildID, storage.GuildSettingsUpdate{ModeratorRoleID: &mod, FacilitatorRoleID: &fac}, t0); err != nil {
		t.Fatal(err)
	}
	for i, req := range []*Request{
		{RoleIDs: []string{facRoleID}},
		{RoleIDs: []string{modRoleID}},
		{Permissions: discordgo.PermissionModerateMembers},
		{Permissions: discordgo.PermissionAdministrator},
	} {
		req.Route, req.GuildID, req.UserID, req.Resolved = "group/create", guildID, facilitatorID, groupResolved()
		req.Options = createOpts(fmt.Sprintf("Circle %d", i))
		if _, err := call(t, env, req); err != nil {
			t.Errorf("%+v could not create a group: %v", req, err)
		}
	}
}

func TestGroupCreateBadInput(t *testing.T) {
	tests := []struct {
		name    string
		req     *Request
		mention string
	}{
		{"not a facilitator", asMember(aliceID, "group/create", createOpts("Monday Circle")...), "Only facilitators"},
		{"in a DM", &Request{Route: "group/create", Options: createOpts("Monday Circle")}, "inside a server"},
		{"duplicate name", asFacilitator("group/create", createOpts("EXISTING group")...), "already a group called"},
		{"blank name", asFacilitator("group/create", createOpts("   ")...), "needs a name"},
		{"name too long", asFacilitator("group/create", createOpts(strings.Repeat("n", maxGroupName+1))...), "up to 50 characters; yours has 51"},
		{"description too long", asFacilitator("group/create", str("name", "Monday Circle"), str("description", strings.Repeat("d", 501)),
			str("type", "recovery"), channelOpt("channel", circleChannelID)), "up to 500"},
		{"commitment too long", asFacilitator("group/create", createOpts("Monday Circle", str("commitment", strings.Repeat("c", 301)))...), "up to 300"},
		{"guidelines too long", asFacilitator("group/create", createOpts("Monday Circle", str("guidelines", strings.Repeat("g", 1501)))...), "up to 1500"},
		{"unknown type", asFacilitator("group/create", str("name", "Monday Circle"), str("description", "d"), str("type", "therapy"),
			channelOpt("channel", circleChannelID)), "`recovery`"},
		{"unknown facilitation", asFacilitator("group/create", createOpts("Monday Circle", str("facilitation", "chaotic"))...), "`peer-led`"},
		{"voice channel", asFacilitator("group/create", str("name", "Monday Circle"), str("description", "d"), str("type", "recovery"),
			channelOpt("channel", voiceChannelID)), "text channel"},
		{"@everyone as role", asFacilitator("group/create", createOpts("Monday Circle", roleOpt("role", guildID))...), "@everyone"},
		{"a bot's role", asFacilitator("group/create", createOpts("Monday Circle", roleOpt("role", botRoleID))...), "belongs to a bot"},
		{"a role with powers", asFacilitator("group/create", createOpts("Monday Circle", roleOpt("role", staffRoleID))...), "Manage Messages"},
		{"the moderator role", asFacilitator("group/create", createOpts("Monday Circle", roleOpt("role", modRoleID))...), "moderator role"},
		{"the facilitator role", asFacilitator("group/create", createOpts("Monday Circle", roleOpt("role", facRoleID))...), "facilitator role"},
		{"unknown timezone", asFacilitator("group/create", createOpts("Monday Circle", str("timezone", "Europe/Berln"))...), "Europe/Berlin"},
		{"missing channel", asFacilitator("group/create", str("name", "Monday Circle"), str("description", "d"), str("type", "recovery")), "`channel`"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, _ := groupEnv(t)
			ctx := context.Background()
			mod, fac := modRoleID, facRoleID
			if _, err := env.DB.UpdateGuildSettings(ctx, guildID, storage.GuildSettingsUpdate{ModeratorRoleID: &mod, FacilitatorRoleID: &fac}, t0); err != nil {
				t.Fatal(err)
			}
			mustCall(t, env, asFacilitator("group/create", createOpts("Existing group")...))
			_, err := call(t, env, tt.req)
			wantUserError(t, err, tt.mention)
			if gs, _ := env.DB.ActiveGroups(ctx, guildID); len(gs) != 1 {
				t.Errorf("bad input stored a group: %d groups", len(gs))
			}
		})
	}
}

func TestGroupEdit(t *testing.T) {
	env, _ := groupEnv(t)
	mustCall(t, env, asFacilitator("group/create", createOpts("Monday Circle", roleOpt("role", circleRoleID), str("guidelines", "Be kind"), str("timezone", "Europe/Berlin"))...))
	mustCall(t, env, asFacilitator("group/create", createOpts("Evening Circle")...))
	g := mustGroup(t, env, "Monday Circle")

	env.Now = func() time.Time { return t0.Add(time.Hour) }
	resp := mustCall(t, env, asFacilitator("group/edit", str("group", "monday circle"), str("description", "Recovery, together."), str("facilitation", "structured")))
	if !resp.Ephemeral || !strings.Contains(text(resp), "changed description, facilitation") {
		t.Errorf("edit reply = %q (ephemeral %v)", text(resp), resp.Ephemeral)
	}
	edited := mustGroup(t, env, "Monday Circle")
	if edited.Description != "Recovery, together." || edited.Facilitation != "structured" || edited.Type != g.Type || edited.RoleID != circleRoleID ||
		edited.Guidelines != "Be kind" || !edited.UpdatedAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("after edit: %+v", edited)
	}

	// "default" restores the default guidelines and the server's timezone;
	// @everyone stops giving a role, and says who keeps the old one.
	resp = mustCall(t, env, asFacilitator("group/edit", str("group", "Monday Circle"), str("guidelines", "Default"), str("timezone", "default"), roleOpt("role", guildID)))
	edited = mustGroup(t, env, "Monday Circle")
	if edited.Guidelines != "" || edited.Timezone != "" || edited.RoleID != "" {
		t.Errorf("after reset: %+v", edited)
	}
	if got := text(resp); !strings.Contains(got, "What is shared in the group stays in the group") || !strings.Contains(got, "keep <@&"+circleRoleID+">") {
		t.Errorf("reset reply = %q", got)
	}

	// Nothing to change: say what can be.
	_, err := call(t, env, asFacilitator("group/edit", str("group", "Monday Circle")))
	wantUserError(t, err, "`guidelines`")

	// Bad input changes nothing.
	for _, bad := range []struct {
		req     *Request
		mention string
	}{
		{asFacilitator("group/edit", str("group", "Monday Circle"), str("name", "evening CIRCLE")), "already a group called"},
		{asFacilitator("group/edit", str("group", "Monday Circle"), str("description", "ok"), str("commitment", strings.Repeat("c", 301))), "up to 300"},
		{asFacilitator("group/edit", str("group", "Monday Circle"), roleOpt("role", botRoleID)), "belongs to a bot"},
		{asFacilitator("group/edit", str("group", "Nope Circle"), str("description", "x")), "no group called `Nope Circle`"},
		{asMember(aliceID, "group/edit", str("group", "Monday Circle"), str("description", "mine now")), "Only facilitators"},
	} {
		before := mustGroup(t, env, "Monday Circle")
		_, err := call(t, env, bad.req)
		wantUserError(t, err, bad.mention)
		if after := mustGroup(t, env, "Monday Circle"); after != before {
			t.Errorf("refused edit changed the group: %+v", after)
		}
	}

	// A rename keeps everything else.
	mustCall(t, env, asFacilitator("group/edit", str("group", "Monday Circle"), str("name", "Tuesday Circle")))
	if renamed := mustGroup(t, env, "Tuesday Circle"); renamed.ID != g.ID {
		t.Errorf("renamed group has id %d, want %d", renamed.ID, g.ID)
	}
}

func TestGroupArchive(t *testing.T) {
	env, _ := groupEnv(t)
	ctx := context.Background()
	mustCall(t, env, asFacilitator("group/create", createOpts("Monday Circle", roleOpt("role", circleRoleID))...))
	g := mustGroup(t, env, "Monday Circle")
	for _, key := range []string{storage.GroupJobPrefix(g.ID) + "meeting:1:reminder", storage.GroupJobPrefix(g.ID) + "pairing"} {
		if _, err := env.DB.Enqueue(ctx, storage.NewJob{Kind: "test", GuildID: guildID, DedupeKey: key, RunAt: t0.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	mustCall(t, env, agreeRequest(aliceID, g.ID))

	_, err := call(t, env, asMember(aliceID, "group/archive", str("group", "Monday Circle")))
	wantUserError(t, err, "Only facilitators")

	resp := mustCall(t, env, asFacilitator("group/archive", str("group", "monday circle")))
	if got := text(resp); !resp.Ephemeral || !strings.Contains(got, "Archived **Monday Circle**") || !strings.Contains(got, "2 scheduled") ||
		!strings.Contains(got, "keep <@&"+circleRoleID+">") {
		t.Errorf("archive reply = %q (ephemeral %v)", got, resp.Ephemeral)
	}
	if n, _ := env.DB.CancelJobs(ctx, storage.GroupJobPrefix(g.ID)); n != 0 {
		t.Errorf("%d of the group's jobs survived its archiving", n)
	}
	_, err = call(t, env, asFacilitator("group/archive", str("group", "Monday Circle")))
	wantUserError(t, err, "already archived")

	// History is kept; no one new can join; it is gone from the list.
	if got := mustGroup(t, env, "Monday Circle"); got.Members != 1 || !got.Archived() {
		t.Errorf("archived group = %+v", got)
	}
	_, err = call(t, env, asMember(bobID, "group/join", str("group", "Monday Circle")))
	wantUserError(t, err, "archived")
	if resp := mustCall(t, env, agreeRequest(bobID, g.ID)); !strings.Contains(resp.Content, "archived") {
		t.Errorf("agreeing to an archived group's guidelines: %q", resp.Content)
	}
	if ok, _ := env.DB.IsGroupMember(ctx, g.ID, bobID); ok {
		t.Error("Bob joined an archived group")
	}
	if resp := mustCall(t, env, asMember(bobID, "group/list")); !strings.Contains(text(resp), "no groups yet") {
		t.Errorf("list shows the archived group: %q", text(resp))
	}
	info := mustCall(t, env, asMember(bobID, "group/info", str("group", "Monday Circle")))
	if !strings.Contains(text(info), "archived") {
		t.Errorf("info of an archived group doesn't say so: %q", text(info))
	}

	// Its name stays taken until the archived group is renamed.
	_, err = call(t, env, asFacilitator("group/create", createOpts("Monday Circle")...))
	wantUserError(t, err, "rename the archived one")
	mustCall(t, env, asFacilitator("group/edit", str("group", "Monday Circle"), str("name", "Monday Circle (2026)")))
	mustCall(t, env, asFacilitator("group/create", createOpts("Monday Circle")...))
}

func TestGroupListAndInfo(t *testing.T) {
	env, _ := groupEnv(t)
	resp := mustCall(t, env, asMember(aliceID, "group/list"))
	if !resp.Ephemeral || !strings.Contains(resp.Content, "/group create") {
		t.Errorf("empty list = %q (ephemeral %v)", resp.Content, resp.Ephemeral)
	}
	mustCall(t, env, asFacilitator("group/create", createOpts("Monday Circle", str("commitment", "Most Mondays"), roleOpt("role", circleRoleID))...))
	mustCall(t, env, asFacilitator("group/create", str("name", "Art *and* Anxiety"), str("description", "Drawing together"),
		str("type", "mental-health"), channelOpt("channel", circleChannelID)))
	g := mustGroup(t, env, "Monday Circle")
	mustCall(t, env, agreeRequest(aliceID, g.ID))
	mustCall(t, env, agreeRequest(bobID, g.ID))

	resp = mustCall(t, env, asMember(aliceID, "group/list"))
	got := text(resp)
	if !resp.Ephemeral {
		t.Error("list must be ephemeral")
	}
	for _, want := range []string{`**Art \*and\* Anxiety** · Mental health · no members yet`, "**Monday Circle** · Recovery · 2 members · <#" + circleChannelID + ">"} {
		if !strings.Contains(got, want) {
			t.Errorf("list lacks %q:\n%s", want, got)
		}
	}
	if strings.Index(got, "Art") > strings.Index(got, "Monday") {
		t.Errorf("list is not by name:\n%s", got)
	}

	resp = mustCall(t, env, asMember(aliceID, "group/info", str("group", "MONDAY circle")))
	if !resp.Ephemeral || len(resp.Embeds) != 1 {
		t.Fatalf("info = %+v", resp)
	}
	got = text(resp)
	for _, want := range []string{"Monday Circle", "A weekly circle for people in recovery", "Type: Recovery", "Facilitation: Peer-led",
		"Commitment: Most Mondays", "Channel: <#" + circleChannelID + ">", "Role: <@&" + circleRoleID + ">", "Members: 2 members",
		"Timezone: Server default (UTC)", "Guidelines", "No advice unless someone asks for it"} {
		if !strings.Contains(got, want) {
			t.Errorf("info lacks %q:\n%s", want, got)
		}
	}
	if f := resp.Embeds[0].Footer; f == nil || !strings.Contains(f.Text, "You're a member") {
		t.Errorf("info footer for a member = %+v", f)
	}
	resp = mustCall(t, env, asMember(facilitatorID, "group/info", str("group", "Monday Circle")))
	if f := resp.Embeds[0].Footer; f == nil || !strings.Contains(f.Text, "/group join group:Monday Circle") {
		t.Errorf("info footer for a non-member = %+v", f)
	}
	_, err := call(t, env, asMember(aliceID, "group/info", str("group", "Nope")))
	wantUserError(t, err, "/group list")
	_, err = call(t, env, &Request{Route: "group/list", UserID: aliceID})
	wantUserError(t, err, "inside one")
}

func agreeRequest(userID string, groupID int64) *Request {
	return &Request{Type: ComponentInteraction, Route: groupAgreeButton.ID(groupID), GuildID: guildID, UserID: userID}
}

func TestGroupJoinAgreeLeave(t *testing.T) {
	env, rec := groupEnv(t)
	ctx := context.Background()
	mustCall(t, env, asFacilitator("group/create", createOpts("Monday Circle", roleOpt("role", circleRoleID), str("commitment", "Most Mondays"))...))
	g := mustGroup(t, env, "Monday Circle")

	resp := mustCall(t, env, asMember(aliceID, "group/join", str("group", "monday circle")))
	if !resp.Ephemeral {
		t.Error("join must answer ephemerally")
	}
	if got := text(resp); !strings.Contains(got, "What is shared in the group stays in the group") || !strings.Contains(got, "Most Mondays") {
		t.Errorf("join shows %q, want the guidelines and commitment", got)
	}
	if len(resp.Components) != 1 {
		t.Fatalf("join components = %+v", resp.Components)
	}
	button := resp.Components[0].(discordgo.ActionsRow).Components[0].(discordgo.Button)
	if button.Label != "I agree" || button.CustomID != fmt.Sprintf("group:agree:%d", g.ID) {
		t.Errorf("button = %+v", button)
	}
	if ok, _ := env.DB.IsGroupMember(ctx, g.ID, aliceID); ok || len(rec.Calls("AddRole")) != 0 {
		t.Fatalf("membership or role before agreeing (calls %v)", rec.Calls(""))
	}

	resp = mustCall(t, env, agreeRequest(aliceID, g.ID))
	if !resp.Update || len(resp.Components) != 0 || resp.Components == nil || resp.Embeds == nil {
		t.Errorf("agree must replace the guidelines message and its button: %+v", resp)
	}
	if !strings.Contains(resp.Content, "Welcome to **Monday Circle**") || !strings.Contains(resp.Content, "You now have <@&"+circleRoleID+">") {
		t.Errorf("agree = %q", resp.Content)
	}
	if ok, _ := env.DB.IsGroupMember(ctx, g.ID, aliceID); !ok {
		t.Error("Alice is not a member after agreeing")
	}
	if calls := rec.Calls("AddRole"); len(calls) != 1 || calls[0].String() != "AddRole("+guildID+", "+aliceID+", "+circleRoleID+")" {
		t.Errorf("role calls = %v", calls)
	}

	// Agreeing twice (an old message) or joining again: already a member.
	if resp := mustCall(t, env, agreeRequest(aliceID, g.ID)); !strings.Contains(resp.Content, "already a member") {
		t.Errorf("second agree = %q", resp.Content)
	}
	if resp := mustCall(t, env, asMember(aliceID, "group/join", str("group", "Monday Circle"))); !strings.Contains(resp.Content, "already a member") || len(resp.Components) != 0 {
		t.Errorf("join again = %q with %d components", resp.Content, len(resp.Components))
	}
	if n := len(rec.Calls("AddRole")); n != 1 {
		t.Errorf("role given %d times", n)
	}

	resp = mustCall(t, env, asMember(aliceID, "group/leave", str("group", "Monday Circle")))
	if !resp.Ephemeral || !strings.Contains(resp.Content, "You've left **Monday Circle**") {
		t.Errorf("leave = %q (ephemeral %v)", resp.Content, resp.Ephemeral)
	}
	if ok, _ := env.DB.IsGroupMember(ctx, g.ID, aliceID); ok {
		t.Error("Alice is still a member after leaving")
	}
	if calls := rec.Calls("RemoveRole"); len(calls) != 1 || calls[0].String() != "RemoveRole("+guildID+", "+aliceID+", "+circleRoleID+")" {
		t.Errorf("role calls = %v", calls)
	}
	_, err := call(t, env, asMember(aliceID, "group/leave", str("group", "Monday Circle")))
	wantUserError(t, err, "not a member")
	_, err = call(t, env, asMember(aliceID, "group/join", str("group", "Nope")))
	wantUserError(t, err, "no group called")

	// A button for another server's group, or one that no longer parses.
	if resp := mustCall(t, env, &Request{Type: ComponentInteraction, Route: agreeRequest(bobID, g.ID).Route, GuildID: "100000000000000077", UserID: bobID}); !strings.Contains(resp.Content, "doesn't exist") {
		t.Errorf("agree from another server = %q", resp.Content)
	}
	_, err = call(t, env, &Request{Type: ComponentInteraction, Route: "group:agree:x", GuildID: guildID, UserID: bobID})
	wantUserError(t, err, "/group join")
}

func TestGroupWithoutRoleTouchesNoRoles(t *testing.T) {
	env, rec := groupEnv(t)
	mustCall(t, env, asFacilitator("group/create", createOpts("Monday Circle")...))
	g := mustGroup(t, env, "Monday Circle")
	resp := mustCall(t, env, agreeRequest(aliceID, g.ID))
	if !strings.Contains(resp.Content, "Welcome") || strings.Contains(resp.Content, "<@&") {
		t.Errorf("agree = %q", resp.Content)
	}
	mustCall(t, env, asMember(aliceID, "group/leave", str("group", "Monday Circle")))
	if calls := rec.Calls(""); len(calls) != 0 {
		t.Errorf("Discord calls for a group without a role: %v", calls)
	}
}

// Discord refusing the role (Kindred's role below it: 403, 50013) must not
// cost the member their membership; they are told, and the log has ids.
func TestGroupRoleRefusedKeepsMembership(t *testing.T) {
	env, rec := groupEnv(t)
	ctx := context.Background()
	var logs strings.Builder
	env.Log = slog.New(slog.NewTextHandler(&logs, nil))
	mustCall(t, env, asFacilitator("group/create", createOpts("Monday Circle", roleOpt("role", circleRoleID))...))
	g := mustGroup(t, env, "Monday Circle")

	rec.failNext("AddRole", discordError(403, discordgo.ErrCodeMissingPermissions, "Missing Permissions"))
	resp := mustCall(t, env, agreeRequest(aliceID, g.ID))
	if !resp.Update || !strings.Contains(resp.Content, "Welcome") || !strings.Contains(resp.Content, "couldn't give you the role <@&"+circleRoleID+">") ||
		!strings.Contains(resp.Content, "above it") || !strings.Contains(resp.Content, "membership counts") {
		t.Errorf("agree with the role refused = %q", resp.Content)
	}
	if ok, _ := env.DB.IsGroupMember(ctx, g.ID, aliceID); !ok {
		t.Error("a refused role undid the membership")
	}
	for _, want := range []string{"level=WARN", "group=" + fmt.Sprint(g.ID), "user=" + aliceID, "role=" + circleRoleID} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
	if strings.Contains(logs.String(), "Monday Circle") {
		t.Errorf("log carries what a member typed:\n%s", logs.String())
	}

	// The role was deleted meanwhile.
	rec.failNext("AddRole", discordError(404, discordgo.ErrCodeUnknownRole, "Unknown Role"))
	resp = mustCall(t, env, agreeRequest(bobID, g.ID))
	if !strings.Contains(resp.Content, "no longer exists") || !strings.Contains(resp.Content, "/group edit") {
		t.Errorf("agree with the role gone = %q", resp.Content)
	}

	rec.failNext("RemoveRole", discordError(403, discordgo.ErrCodeMissingPermissions, "Missing Permissions"))
	resp = mustCall(t, env, asMember(aliceID, "group/leave", str("group", "Monday Circle")))
	if !strings.Contains(resp.Content, "You've left") || !strings.Contains(resp.Content, "couldn't take away the role") {
		t.Errorf("leave with the role refused = %q", resp.Content)
	}
	if ok, _ := env.DB.IsGroupMember(ctx, g.ID, aliceID); ok {
		t.Error("a refused role removal kept the membership")
	}
}

func TestGroupAutocomplete(t *testing.T) {
	env, _ := groupEnv(t)
	for i := range 30 {
		mustCall(t, env, asFacilitator("group/create", createOpts(fmt.Sprintf("Circle %02d", i))...))
	}
	mustCall(t, env, asFacilitator("group/create", createOpts("Monday Circle")...))
	mustCall(t, env, asFacilitator("group/create", createOpts("Morning pages")...))
	mustCall(t, env, asFacilitator("group/create", createOpts("Moving on")...))
	mustCall(t, env, asFacilitator("group/archive", str("group", "Moving on")))

	complete := func(route, focused, typed string) []string {
		t.Helper()
		resp := mustCall(t, env, &Request{Type: AutocompleteInteraction, Route: route, GuildID: guildID, Focused: focused, Options: opts{str(focused, typed)}})
		if len(resp.Choices) > maxChoices {
			t.Errorf("%s %q: %d choices, Discord allows %d", route, typed, len(resp.Choices), maxChoices)
		}
		var names []string
		for _, c := range resp.Choices {
			if c.Name != c.Value {
				t.Errorf("choice %q has value %v, want the group's name", c.Name, c.Value)
			}
			names = append(names, c.Name)
		}
		return names
	}
	for _, route := range []string{"group/edit", "group/archive", "group/info", "group/join", "group/leave"} {
		if got := complete(route, "group", "mo"); fmt.Sprint(got) != "[Monday Circle Morning pages]" {
			t.Errorf("%s mo = %v", route, got)
		}
	}
	if got := complete("group/join", "group", "MON"); fmt.Sprint(got) != "[Monday Circle]" {
		t.Errorf("MON = %v", got)
	}
	if got := complete("group/join", "group", ""); len(got) != maxChoices {
		t.Errorf("empty query gave %d choices, want %d", len(got), maxChoices)
	}
	if got := complete("group/join", "group", "moving"); len(got) != 0 {
		t.Errorf("archived group offered: %v", got)
	}
	for _, route := range []string{"group/create", "group/edit"} {
		if got := complete(route, "timezone", "europe/ber"); len(got) == 0 || got[0] != "Europe/Berlin" {
			t.Errorf("%s timezone = %v", route, got)
		}
	}
	resp := mustCall(t, env, &Request{Type: AutocompleteInteraction, Route: "group/join", Focused: "group", Options: opts{str("group", "mo")}})
	if len(resp.Choices) != 0 {
		t.Errorf("DM autocomplete = %v", resp.Choices)
	}
}

// Other features find groups through activeGroupByName: unknown and
// archived groups are explained to the member.
func TestActiveGroupByName(t *testing.T) {
	env, _ := groupEnv(t)
	ctx := context.Background()
	mustCall(t, env, asFacilitator("group/create", createOpts("Monday Circle")...))
	mustCall(t, env, asFacilitator("group/create", createOpts("Old Circle")...))
	mustCall(t, env, asFacilitator("group/archive", str("group", "Old Circle")))
	if g, err := activeGroupByName(ctx, env, guildID, " monday  CIRCLE "); err != nil || g.Name != "Monday Circle" {
		t.Errorf("found %+v, %v", g, err)
	}
	_, err := activeGroupByName(ctx, env, guildID, "Old Circle")
	wantUserError(t, err, "archived")
	_, err = activeGroupByName(ctx, env, guildID, "Nope")
	wantUserError(t, err, "no group called")
	_, err = activeGroupByName(ctx, env, "", "Monday Circle")
	wantUserError(t, err, "server")
}

// Discord refuses a command whose names, descriptions and choice values
// add up to more than 4000 characters, subcommands and options included.
func TestGroupCommandFitsDiscordLimit(t *testing.T) {
	const maxCommandCharacters = 4000
	n := utf8.RuneCountInString(groupCommand.Name + groupCommand.Description)
	var walk func([]*discordgo.ApplicationCommandOption)
	walk = func(os []*discordgo.ApplicationCommandOption) {
		for _, o := range os {
			n += utf8.RuneCountInString(o.Name + o.Description)
			for _, c := range o.Choices {
				n += utf8.RuneCountInString(c.Name + fmt.Sprint(c.Value))
			}
			walk(o.Options)
		}
	}
	walk(groupCommand.Options)
	if n > maxCommandCharacters {
		t.Errorf("/group has %d characters, Discord allows %d", n, maxCommandCharacters)
	}
	t.Logf("/group: %d characters", n)
}

// Kindred attaches a role to a group only for someone who could give that
// role themself, and only a role that lets members do no more than take
// part: the refusal says why and who can.
func TestGroupRoleRules(t *testing.T) {
	const (
		choirRoleID = "400000000000000031" // position 6: above the facilitator role, below Kindred's
		buildRoleID = "400000000000000032" // position 1, Manage Channels
		shinyRoleID = "400000000000000033" // position 1, made after Kindred last read the server
	)
	asOwner := func(o ...*discordgo.ApplicationCommandInteractionDataOption) *Request {
		req := asFacilitator("group/create", o...)
		req.UserID, req.RoleIDs = ownerID, nil
		return req
	}
	noManageRoles := asFacilitator("group/create", createOpts("Circle", roleOpt("role", circleRoleID))...)
	noManageRoles.RoleIDs = nil // a facilitator through Manage Events alone
	admin := asFacilitator("group/create", createOpts("Circle", roleOpt("role", choirRoleID))...)
	admin.RoleIDs = []string{adminRoleID} // Administrator, at position 2
	tests := []struct {
		name string
		req  *Request
		want []string
	}{
		{"a role above the facilitator's", asFacilitator("group/create", createOpts("Circle", roleOpt("role", choirRoleID))...),
			[]string{"at or above your highest role", "administrator or the server's owner"}},
		{"their own role", asFacilitator("group/create", createOpts("Circle", roleOpt("role", facRoleID))...), []string{"facilitator role"}},
		{"a role with Manage Channels", asFacilitator("group/create", createOpts("Circle", roleOpt("role", buildRoleID))...),
			[]string{"**Manage Channels**", "Pick a role made for the group"}},
		{"a managed role", asFacilitator("group/create", createOpts("Circle", roleOpt("role", botRoleID))...), []string{"belongs to a bot"}},
		{"@everyone", asFacilitator("group/create", createOpts("Circle", roleOpt("role", guildID))...), []string{"@everyone"}},
		{"without Manage Roles", noManageRoles, []string{"**Manage Roles**", "Ask an administrator"}},
		{"an administrator above their role", admin, []string{"at or above your highest role"}},
		{"the owner, above Kindred's role", asOwner(createOpts("Circle", roleOpt("role", councilRoleID))...),
			[]string{"above Kindred's own role", "Server Settings → Roles"}},
		{"a role Discord doesn't list", asFacilitator("group/create", createOpts("Circle", roleOpt("role", shinyRoleID))...), []string{"can't find"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, rec := groupEnv(t)
			rec.setRole(guildID, ServerRole{ID: choirRoleID, Position: 6})
			rec.setRole(guildID, ServerRole{ID: buildRoleID, Position: 1, Permissions: discordgo.PermissionManageChannels})
			mod, fac := modRoleID, facRoleID
			if _, err := env.DB.UpdateGuildSettings(context.Background(), guildID, storage.GuildSettingsUpdate{ModeratorRoleID: &mod, FacilitatorRoleID: &fac}, t0); err != nil {
				t.Fatal(err)
			}
			_, err := call(t, env, tt.req)
			for _, want := range tt.want {
				wantUserError(t, err, want)
			}
			if gs, _ := env.DB.ActiveGroups(context.Background(), guildID); len(gs) != 0 {
				t.Errorf("a refused role stored a group: %+v", gs)
			}
		})
	}

	// The same rules guard an edit; the owner may attach any role below
	// Kindred's.
	env, rec := groupEnv(t)
	rec.setRole(guildID, ServerRole{ID: choirRoleID, Position: 6})
	mustCall(t, env, asFacilitator("group/create", createOpts("Circle", roleOpt("role", circleRoleID))...))
	_, err := call(t, env, asFacilitator("group/edit", str("group", "Circle"), roleOpt("role", choirRoleID)))
	wantUserError(t, err, "at or above your highest role")
	if g := mustGroup(t, env, "Circle"); g.RoleID != circleRoleID {
		t.Errorf("a refused edit changed the role to %s", g.RoleID)
	}
	owner := asFacilitator("group/edit", str("group", "Circle"), roleOpt("role", choirRoleID))
	owner.UserID, owner.RoleIDs = ownerID, nil
	mustCall(t, env, owner)
	if g := mustGroup(t, env, "Circle"); g.RoleID != choirRoleID {
		t.Errorf("the owner's edit left the role at %s", g.RoleID)
	}
}

// Roles change after a group is set up: joining asks again. A role that
// gained Administrator is not given; the member joins without it, is
// told, and so is the mod-log.
func TestGroupRoleRecheckedOnJoin(t *testing.T) {
	env, rec := groupEnv(t)
	ctx := context.Background()
	modlog := modlogChannelID
	if _, err := env.DB.UpdateGuildSettings(ctx, guildID, storage.GuildSettingsUpdate{ModlogChannelID: &modlog}, t0); err != nil {
		t.Fatal(err)
	}
	mustCall(t, env, asFacilitator("group/create", createOpts("Monday Circle", roleOpt("role", circleRoleID))...))
	g := mustGroup(t, env, "Monday Circle")
	rec.setRole(guildID, ServerRole{ID: circleRoleID, Position: 1, Permissions: discordgo.PermissionAdministrator | discordgo.PermissionViewChannel})

	resp := mustCall(t, env, agreeRequest(aliceID, g.ID))
	for _, want := range []string{"Welcome", "didn't give you the group's role", "**Administrator**", "moderators have been told", "membership counts"} {
		if !strings.Contains(resp.Content, want) {
			t.Errorf("agree = %q, should say %q", resp.Content, want)
		}
	}
	if ok, _ := env.DB.IsGroupMember(ctx, g.ID, aliceID); !ok {
		t.Error("the refused role cost Alice her membership")
	}
	if calls := rec.Calls("AddRole"); len(calls) != 0 {
		t.Errorf("a role with Administrator was given: %v", calls)
	}
	sends := rec.Calls("Send")
	if len(sends) != 1 || sends[0].Args[0] != modlogChannelID || !strings.Contains(sends[0].Message.Content, "<@"+aliceID+">") ||
		!strings.Contains(sends[0].Message.Content, "/group edit") || len(sends[0].Message.AllowedMentions.Parse) != 0 {
		t.Errorf("mod-log note = %v", sends)
	}

	// Put right again, the next member gets it.
	rec.setRole(guildID, ServerRole{ID: circleRoleID, Position: 1, Permissions: discordgo.PermissionViewChannel})
	if resp := mustCall(t, env, agreeRequest(bobID, g.ID)); !strings.Contains(resp.Content, "You now have <@&"+circleRoleID+">") {
		t.Errorf("agree once the role is fit again = %q", resp.Content)
	}

	// Discord can't say what the role is now: it isn't given.
	rec.failNext("Server", discordError(500, 0, "Internal Server Error"))
	resp = mustCall(t, env, agreeRequest(facilitatorID, g.ID))
	if !strings.Contains(resp.Content, "couldn't check the group's role") || len(rec.Calls("AddRole")) != 1 {
		t.Errorf("agree without the server's roles = %q, role calls %v", resp.Content, rec.Calls("AddRole"))
	}
}

// A server with more groups than one answer holds lists as many whole
// lines as fit Discord's 4,096 characters (counted as Discord counts them,
// not in bytes) and says how many more there are.
func TestGroupListOfManyGroupsFits(t *testing.T) {
	env, _ := groupEnv(t)
	const groups = 60
	for i := range groups {
		name := fmt.Sprintf("%02d %s", i, strings.Repeat("é", maxGroupName-3))
		mustCall(t, env, asFacilitator("group/create", createOpts(name)...))
	}
	desc := mustCall(t, env, asMember(aliceID, "group/list")).Embeds[0].Description
	if n := runes(desc); n > maxEmbedDescription || n < maxEmbedDescription-200 {
		t.Errorf("description of %d characters; want as many as fit in %d", n, maxEmbedDescription)
	}
	lines := strings.Split(desc, "\n")
	for i, l := range lines[:len(lines)-1] {
		if !strings.HasPrefix(l, fmt.Sprintf("• **%02d ", i)) || !strings.HasSuffix(l, "no meeting scheduled") {
			t.Fatalf("line %d is not a whole group: %q", i, l)
		}
	}
	if want := moreGroups(groups - (len(lines) - 1)); lines[len(lines)-1] != want {
		t.Errorf("last line %q, want %q", lines[len(lines)-1], want)
	}
}
