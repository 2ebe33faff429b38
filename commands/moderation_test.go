package commands

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/kindred-bot/kindred/storage"
)

const (
	modlogChannelID = "300000000000000009"
	moderatorID     = "200000000000000007"
	otherGuildID    = "100000000000000002"
)

// modEnv is a server whose moderator role and mod-log are set.
func modEnv(t *testing.T, modlog bool) (Env, *recorder) {
	env := testEnv(t)
	rec := newRecorder()
	env.Discord = rec
	u := storage.GuildSettingsUpdate{ModeratorRoleID: strPtr(modRoleID)}
	if modlog {
		u.ModlogChannelID = strPtr(modlogChannelID)
	}
	if _, err := env.DB.UpdateGuildSettings(context.Background(), guildID, u, t0); err != nil {
		t.Fatal(err)
	}
	rec.addMember(guildID, aliceID)
	rec.addMember(guildID, bobID)
	rec.addMember(guildID, moderatorID, modRoleID)
	return env, rec
}

func strPtr(s string) *string { return &s }

func modResolved() *discordgo.ApplicationCommandInteractionDataResolved {
	res := groupResolved()
	res.Users = map[string]*discordgo.User{
		aliceID:     {ID: aliceID, Username: "alice"},
		bobID:       {ID: bobID, Username: "bob"},
		moderatorID: {ID: moderatorID, Username: "mod"},
		botUserID:   {ID: botUserID, Username: "kindred", Bot: true},
	}
	return res
}

// asModerator is a request from a member holding the moderator role.
func asModerator(route string, o ...*discordgo.ApplicationCommandInteractionDataOption) *Request {
	return &Request{Route: route, GuildID: guildID, UserID: moderatorID, RoleIDs: []string{modRoleID}, Options: o, Resolved: modResolved()}
}

func warnOpts(user, reason string, more ...*discordgo.ApplicationCommandInteractionDataOption) []*discordgo.ApplicationCommandInteractionDataOption {
	return append([]*discordgo.ApplicationCommandInteractionDataOption{userOpt(user), str("reason", reason)}, more...)
}

func mustRoute(t *testing.T, route func(*Request) (*Response, error), req *Request) *Response {
	t.Helper()
	resp, err := route(req)
	if err != nil {
		t.Fatalf("%s: %v", req.Route, err)
	}
	return resp
}

func TestWarnRefusesBadInput(t *testing.T) {
	env, rec := modEnv(t, true)
	for _, tc := range []struct {
		name string
		req  *Request
		want string
	}{
		{"non-moderator", &Request{Route: "warn", GuildID: guildID, UserID: aliceID, Options: warnOpts(bobID, "spam"), Resolved: modResolved()}, "Only moderators"},
		{"yourself", asModerator("warn", warnOpts(moderatorID, "spam")...), "yourself"},
		{"a bot", asModerator("warn", warnOpts(botUserID, "spam")...), "bot"},
		{"long reason", asModerator("warn", warnOpts(bobID, strings.Repeat("x", 513))...), "512"},
		{"no reason", asModerator("warn", warnOpts(bobID, "  ")...), "reason"},
		{"expires 0", asModerator("warn", warnOpts(bobID, "spam", intOpt("expires_days", 0))...), "expires_days"},
		{"expires 3651", asModerator("warn", warnOpts(bobID, "spam", intOpt("expires_days", 3651))...), "expires_days"},
		{"in DMs", &Request{Route: "warn", UserID: moderatorID, Permissions: 0, Options: warnOpts(bobID, "spam")}, "server"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := call(t, env, tc.req)
			wantUserError(t, err, tc.want)
		})
	}
	if all, _ := env.DB.Warnings(context.Background(), guildID, bobID); len(all) != 0 {
		t.Errorf("refused warnings were stored: %+v", all)
	}
	if calls := rec.Calls(""); len(calls) != 0 {
		t.Errorf("refused warnings called Discord: %v", calls)
	}
}

func TestWarnDMsLogsAndCountsActive(t *testing.T) {
	env, rec := modEnv(t, true)
	resp := mustCall(t, env, asModerator("warn", warnOpts(bobID, "Spam in <@&"+modRoleID+"> @everyone", intOpt("expires_days", 1))...))
	if !resp.Ephemeral || !strings.Contains(resp.Content, "case #1") || !strings.Contains(resp.Content, "1 active warning") {
		t.Errorf("reply = %q", resp.Content)
	}
	sends := rec.Calls("Send")
	if len(sends) != 2 {
		t.Fatalf("sends = %v, want the DM and the mod-log entry", sends)
	}
	dm := sends[0].Message
	if sends[0].Args[0] != "dm-"+bobID || !strings.Contains(dm.Content, "Spam in") || !strings.Contains(dm.Content, "appeal") ||
		!strings.Contains(dm.Content, timestamp(t0.Add(24*time.Hour), "F")) {
		t.Errorf("DM = %q", dm.Content)
	}
	if strings.Contains(dm.Content, moderatorID) || strings.Contains(dm.Content, "mod") && strings.Contains(dm.Content, "<@"+moderatorID) {
		t.Errorf("the DM names the moderator: %q", dm.Content)
	}
	for _, s := range sends {
		if s.Message.AllowedMentions == nil || len(s.Message.AllowedMentions.Parse) != 0 {
			t.Errorf("message to %s may ping: %+v", s.Args[0], s.Message.AllowedMentions)
		}
	}
	log := sends[1]
	if log.Args[0] != modlogChannelID || len(log.Message.Embeds) != 1 || !strings.Contains(log.Message.Embeds[0].Title, "case #1") {
		t.Errorf("mod-log entry = %+v", log.Message)
	}

	// A second warning makes two active; once the first expires (move the
	// clock), a third makes two again, not three.
	resp = mustCall(t, env, asModerator("warn", warnOpts(bobID, "Again")...))
	if !strings.Contains(resp.Content, "2 active warnings") {
		t.Errorf("second warning reply = %q", resp.Content)
	}
	env.Now = func() time.Time { return t0.Add(25 * time.Hour) }
	resp = mustCall(t, env, asModerator("warn", warnOpts(bobID, "Third")...))
	if !strings.Contains(resp.Content, "case #3") || !strings.Contains(resp.Content, "2 active warnings") {
		t.Errorf("after expiry the reply = %q, want case #3 with 2 active", resp.Content)
	}

	// The member's own view: active only, no moderator.
	own := mustCall(t, env, &Request{Route: "warnings", GuildID: guildID, UserID: bobID})
	text := own.Embeds[0].Description
	if !own.Ephemeral || strings.Contains(text, "Spam in") || !strings.Contains(text, "Third") || strings.Contains(text, moderatorID) {
		t.Errorf("own warnings = %q", text)
	}
	// A member can't look at someone else's.
	_, err := call(t, env, &Request{Route: "warnings", GuildID: guildID, UserID: aliceID, Options: opts{userOpt(bobID)}, Resolved: modResolved()})
	wantUserError(t, err, "Only moderators")
	// A moderator sees everything, with case numbers and who issued it.
	all := mustCall(t, env, asModerator("warnings", userOpt(bobID)))
	text = all.Embeds[0].Description
	for _, want := range []string{"#1", "expired", "#3", "active", "<@" + moderatorID + ">", "2 active, 3 in all"} {
		if !strings.Contains(text, want) {
			t.Errorf("moderator view %q should mention %q", text, want)
		}
	}
}

func TestWarnWithClosedDMsIsRecordedAndModeratorTold(t *testing.T) {
	env, rec := modEnv(t, true)
	rec.failNext("Send", discordError(403, discordgo.ErrCodeCannotSendMessagesToThisUser, "Cannot send messages to this user"))
	resp := mustCall(t, env, asModerator("warn", warnOpts(bobID, "spam")...))
	if !strings.Contains(resp.Content, "case #1") || !strings.Contains(resp.Content, "50007") {
		t.Errorf("reply = %q, want the case and the closed DM", resp.Content)
	}
	if n, _ := env.DB.ActiveWarningCount(context.Background(), guildID, bobID, t0); n != 1 {
		t.Errorf("active = %d, want the warning recorded", n)
	}
}

func TestWarnWithoutModlogSaysSo(t *testing.T) {
	env, rec := modEnv(t, false)
	resp := mustCall(t, env, asModerator("warn", warnOpts(bobID, "spam")...))
	if !strings.Contains(resp.Content, "no mod-log channel") {
		t.Errorf("reply = %q", resp.Content)
	}
	if n := len(rec.Calls("Send")); n != 1 {
		t.Errorf("%d messages sent, want only the DM", n)
	}
}

func TestEscalationAppliesAtThreshold(t *testing.T) {
	env, rec := modEnv(t, true)
	mustCall(t, env, asModerator("escalation/set", intOpt("warnings", 2), str("action", "timeout"), str("duration", "1h")))
	mustCall(t, env, asModerator("warn", warnOpts(bobID, "one")...))
	if calls := rec.Calls("Timeout"); len(calls) != 0 {
		t.Fatalf("timed out after one warning: %v", calls)
	}
	resp := mustCall(t, env, asModerator("warn", warnOpts(bobID, "two")...))
	calls := rec.Calls("Timeout")
	if len(calls) != 1 || calls[0].Args[1] != bobID || calls[0].Args[2] != t0.Add(time.Hour).Format(time.RFC3339) {
		t.Fatalf("timeouts = %v", calls)
	}
	if !strings.Contains(resp.Content, "timed out for 1h") {
		t.Errorf("reply = %q", resp.Content)
	}

	// Kindred can't act on this member (50013): still recorded, and said.
	mustCall(t, env, asModerator("escalation/set", intOpt("warnings", 3), str("action", "kick")))
	rec.failNext("Kick", discordError(403, discordgo.ErrCodeMissingPermissions, "Missing Permissions"))
	resp = mustCall(t, env, asModerator("warn", warnOpts(bobID, "three")...))
	if !strings.Contains(resp.Content, "case #3") || !strings.Contains(resp.Content, "50013") || !strings.Contains(resp.Content, "kick") {
		t.Errorf("reply = %q, want the case recorded and the 50013 explained", resp.Content)
	}
	if n, _ := env.DB.ActiveWarningCount(context.Background(), guildID, bobID, t0); n != 3 {
		t.Errorf("active = %d, want 3", n)
	}

	list := mustCall(t, env, asModerator("escalation/list"))
	if d := list.Embeds[0].Description; !strings.Contains(d, "time them out for 1h") || !strings.Contains(d, "kick") {
		t.Errorf("list = %q", d)
	}
	mustCall(t, env, asModerator("escalation/clear", intOpt("warnings", 3)))
	_, err := call(t, env, asModerator("escalation/clear", intOpt("warnings", 3)))
	wantUserError(t, err, "no rule")
}

func TestEscalationRefusesBadInput(t *testing.T) {
	env, _ := modEnv(t, true)
	for _, tc := range []struct {
		name string
		req  *Request
		want string
	}{
		{"non-moderator", &Request{Route: "escalation/set", GuildID: guildID, UserID: aliceID,
			Options: opts{intOpt("warnings", 2), str("action", "kick")}}, "Only moderators"},
		{"warnings 0", asModerator("escalation/set", intOpt("warnings", 0), str("action", "kick")), "warnings"},
		{"warnings 51", asModerator("escalation/set", intOpt("warnings", 51), str("action", "kick")), "warnings"},
		{"timeout 29d", asModerator("escalation/set", intOpt("warnings", 2), str("action", "timeout"), str("duration", "29d")), "28d"},
		{"timeout without duration", asModerator("escalation/set", intOpt("warnings", 2), str("action", "timeout")), "duration"},
		{"kick with duration", asModerator("escalation/set", intOpt("warnings", 2), str("action", "kick"), str("duration", "1h")), "duration"},
		{"ban with duration", asModerator("escalation/set", intOpt("warnings", 2), str("action", "ban"), str("duration", "1h")), "duration"},
		{"list as member", &Request{Route: "escalation/list", GuildID: guildID, UserID: aliceID}, "Only moderators"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := call(t, env, tc.req)
			wantUserError(t, err, tc.want)
		})
	}
	if rules, _ := env.DB.EscalationRules(context.Background(), guildID); len(rules) != 0 {
		t.Errorf("refused rules were stored: %+v", rules)
	}
}

func TestUnwarn(t *testing.T) {
	env, rec := modEnv(t, true)
	mustCall(t, env, asModerator("warn", warnOpts(bobID, "spam")...))
	// Case 1 of another server is not this one.
	other := &Request{Route: "unwarn", GuildID: otherGuildID, UserID: moderatorID, Permissions: discordgo.PermissionModerateMembers,
		Options: opts{intOpt("case", 1)}}
	_, err := call(t, env, other)
	wantUserError(t, err, "no such case")
	_, err = call(t, env, &Request{Route: "unwarn", GuildID: guildID, UserID: aliceID, Options: opts{intOpt("case", 1)}})
	wantUserError(t, err, "Only moderators")

	before := len(rec.Calls("Send"))
	resp := mustCall(t, env, asModerator("unwarn", intOpt("case", 1), str("reason", "wrong person")))
	if !strings.Contains(resp.Content, "revoked") {
		t.Errorf("reply = %q", resp.Content)
	}
	sends := rec.Calls("Send")
	if len(sends) != before+1 || sends[len(sends)-1].Args[0] != modlogChannelID {
		t.Errorf("the revoke wasn't logged: %v", sends)
	}
	w, _ := env.DB.WarningCase(context.Background(), guildID, 1)
	if !w.Revoked() || w.RevokedBy != moderatorID || w.RevokeReason != "wrong person" {
		t.Errorf("case 1 = %+v", w)
	}
	_, err = call(t, env, asModerator("unwarn", intOpt("case", 1)))
	wantUserError(t, err, "already revoked")
	_, err = call(t, env, asModerator("unwarn", intOpt("case", 7)))
	wantUserError(t, err, "no such case")
}

func reportTarget() *discordgo.Message {
	return &discordgo.Message{ID: "500000000000000001", ChannelID: circleChannelID, Content: strings.Repeat("rude words ", 40),
		Author: &discordgo.User{ID: bobID, Username: "bob"}}
}

func TestReportWaitsForModlogThenPosts(t *testing.T) {
	env, rec := modEnv(t, false)
	router := NewRouter(env.DB, Features(env)...)
	route := func(req *Request) (*Response, error) {
		r := router.Find(req.Type, req.Route)
		if r == nil {
			t.Fatalf("no route for %s %q", req.Type, req.Route)
		}
		return r.Handler(context.Background(), req)
	}
	open := mustRoute(t, route, &Request{Type: CommandInteraction, Route: reportCommandName, GuildID: guildID, ChannelID: circleChannelID,
		UserID: aliceID, TargetMessage: reportTarget()})
	if open.Modal == nil || !strings.HasPrefix(open.Modal.CustomID, reportModal.Prefix()) {
		t.Fatalf("report opened %+v, want a modal", open)
	}
	for _, row := range open.Modal.Components {
		r, ok := row.(discordgo.ActionsRow)
		if !ok {
			t.Fatalf("modal component %T, want ActionsRow", row)
		}
		for _, c := range r.Components {
			if _, ok := c.(discordgo.TextInput); !ok {
				t.Fatalf("modal row holds %T, want TextInput", c)
			}
		}
	}
	_, err := route(&Request{Type: ModalInteraction, Route: open.Modal.CustomID, GuildID: guildID, ChannelID: circleChannelID, UserID: aliceID,
		Fields: map[string]string{reportReasonField: strings.Repeat("x", 513)}})
	wantUserError(t, err, "512")
	resp := mustRoute(t, route, &Request{Type: ModalInteraction, Route: open.Modal.CustomID, GuildID: guildID, ChannelID: circleChannelID, UserID: aliceID,
		Fields: map[string]string{reportReasonField: "Insulting @everyone"}})
	if !resp.Ephemeral || !strings.Contains(resp.Content, "mod-log channel") {
		t.Errorf("reply without a mod-log = %q", resp.Content)
	}
	if calls := rec.Calls(""); len(calls) != 0 {
		t.Errorf("Discord was called: %v (the reported member is never told)", calls)
	}

	setup := mustCall(t, env, &Request{Route: "kindred/setup", GuildID: guildID, Permissions: discordgo.PermissionManageGuild,
		Options: opts{channelOpt("modlog_channel", modlogChannelID)},
		Resolved: &discordgo.ApplicationCommandInteractionDataResolved{Channels: map[string]*discordgo.Channel{
			modlogChannelID: {ID: modlogChannelID, Type: discordgo.ChannelTypeGuildText}}}})
	if !strings.Contains(setup.Content, "1 report") {
		t.Errorf("setup reply = %q", setup.Content)
	}
	sends := rec.Calls("Send")
	if len(sends) != 1 || sends[0].Args[0] != modlogChannelID {
		t.Fatalf("sends = %v", sends)
	}
	e := sends[0].Message.Embeds[0]
	var all []string
	for _, f := range e.Fields {
		all = append(all, f.Value)
		if f.Name == "Excerpt" && len([]rune(f.Value)) > maxReportExcerpt {
			t.Errorf("excerpt has %d characters", len([]rune(f.Value)))
		}
	}
	text := strings.Join(all, "\n")
	for _, want := range []string{"<@" + aliceID + ">", "<@" + bobID + ">", "Insulting", "https://discord.com/channels/" + guildID + "/" + circleChannelID + "/500000000000000001", "rude words"} {
		if !strings.Contains(text, want) {
			t.Errorf("report %q should include %q", text, want)
		}
	}
	if sends[0].Message.AllowedMentions == nil || len(sends[0].Message.AllowedMentions.Parse) != 0 {
		t.Error("the report may ping")
	}
	// Setting the channel again posts nothing twice.
	mustCall(t, env, &Request{Route: "kindred/setup", GuildID: guildID, Permissions: discordgo.PermissionManageGuild,
		Options: opts{channelOpt("modlog_channel", modlogChannelID)},
		Resolved: &discordgo.ApplicationCommandInteractionDataResolved{Channels: map[string]*discordgo.Channel{
			modlogChannelID: {ID: modlogChannelID, Type: discordgo.ChannelTypeGuildText}}}})
	if n := len(rec.Calls("Send")); n != 1 {
		t.Errorf("%d posts, want the report once", n)
	}
}

// A report form whose id names a channel other than the one it was
// submitted from (another server's, or one of this server's the reporter
// wasn't in) is a crafted id: it gets the answer an expired form gets, and
// nothing is filed.
func TestReportFromACraftedIDIsRefused(t *testing.T) {
	env, rec := modEnv(t, true)
	for _, tc := range []struct{ name, named, from string }{
		{"another server's channel", "300000000000000077", circleChannelID},
		{"another channel of this server", modlogChannelID, circleChannelID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := call(t, env, &Request{Type: ModalInteraction, Route: reportModal.ID(tc.named, "500000000000000001", bobID),
				GuildID: guildID, ChannelID: tc.from, UserID: aliceID, Fields: map[string]string{reportReasonField: "spam"}})
			ue, ok := AsUserError(err)
			if !ok || ue.Message != reportModal.Stale().Error() {
				t.Errorf("err = %v, want the expired-form answer", err)
			}
		})
	}
	if calls := rec.Calls("Send"); len(calls) != 0 {
		t.Errorf("a crafted report was posted: %v", calls)
	}
	if n, _ := env.DB.ClaimPendingReports(context.Background(), guildID, t0); len(n) != 0 {
		t.Errorf("a crafted report was stored: %+v", n)
	}
	// The real form, from the reported message's channel, works.
	resp := mustCall(t, env, &Request{Type: ModalInteraction, Route: reportModal.ID(circleChannelID, "500000000000000001", bobID),
		GuildID: guildID, ChannelID: circleChannelID, UserID: aliceID, Fields: map[string]string{reportReasonField: "spam"}})
	if !strings.Contains(resp.Content, "Thank you") || len(rec.Calls("Send")) != 1 {
		t.Errorf("report = %q, sends %v", resp.Content, rec.Calls("Send"))
	}
}

// The moderator's reply to /warn, whole: what was done, then each thing
// that couldn't be, in the order Kindred tried them.
func TestWarnReplyText(t *testing.T) {
	until := timestamp(t0.Add(defaultWarningDays*24*time.Hour), "F")
	t.Run("everything done", func(t *testing.T) {
		env, _ := modEnv(t, true)
		mustCall(t, env, asModerator("escalation/set", intOpt("warnings", 1), str("action", "ban")))
		resp := mustCall(t, env, asModerator("warn", warnOpts(bobID, "spam")...))
		want := "Warning recorded: **case #1** for <@" + bobID + ">, until " + until + ". They have 1 active warning now.\n" +
			"They were sent the reason privately.\n" +
			"Escalation: <@" + bobID + "> was banned from the server."
		if resp.Content != want {
			t.Errorf("reply =\n%s\nwant\n%s", resp.Content, want)
		}
	})
	t.Run("nothing else done", func(t *testing.T) {
		env, rec := modEnv(t, true)
		mustCall(t, env, asModerator("escalation/set", intOpt("warnings", 1), str("action", "ban")))
		rec.failNext("Send", discordError(403, discordgo.ErrCodeCannotSendMessagesToThisUser, "Cannot send messages to this user"))
		rec.failNext("Send", discordError(403, discordgo.ErrCodeMissingAccess, "Missing Access"))
		rec.failNext("Ban", discordError(403, discordgo.ErrCodeMissingPermissions, "Missing Permissions"))
		resp := mustCall(t, env, asModerator("warn", warnOpts(bobID, "spam")...))
		want := "Warning recorded: **case #1** for <@" + bobID + ">, until " + until + ". They have 1 active warning now.\n" +
			"\n" +
			"**What couldn't be done** (the warning is recorded either way):\n" +
			"• They weren't sent a DM: their DMs are closed to Kindred (Discord error 50007). Tell them another way if they should know.\n" +
			"• It couldn't be posted to <#" + modlogChannelID + ">: Kindred can't see that channel.\n" +
			"• The escalation rule at 1 warnings couldn't ban them: Kindred lacks the permission, or the member's role is above Kindred's, or they own the server (Discord error 50013)."
		if resp.Content != want {
			t.Errorf("reply =\n%s\nwant\n%s", resp.Content, want)
		}
		sends := rec.Calls("Send")
		if last := sends[len(sends)-1]; last.Args[0] != modlogChannelID || !strings.Contains(last.Message.Content, "case #1, 1 active warnings): not applied.") {
			t.Errorf("the escalation's mod-log note = %+v", last.Message)
		}
	})
	t.Run("left before the DM", func(t *testing.T) {
		env, rec := modEnv(t, true)
		rec.failNext("Send", discordError(403, 50278, "Cannot send messages to this user due to having no mutual guilds"))
		resp := mustCall(t, env, asModerator("warn", warnOpts(bobID, "spam")...))
		if want := "They weren't sent a DM: they share no server with Kindred any more (Discord error 50278), so they have probably left."; !strings.Contains(resp.Content, want) {
			t.Errorf("reply =\n%s\nwant it to say\n%s", resp.Content, want)
		}
	})
}

func TestUnwarnWithoutModlogSaysSo(t *testing.T) {
	env, rec := modEnv(t, false)
	mustCall(t, env, asModerator("warn", warnOpts(bobID, "spam")...))
	before := len(rec.Calls("Send"))
	resp := mustCall(t, env, asModerator("unwarn", intOpt("case", 1)))
	want := "Case #1 (<@" + bobID + ">) is revoked: it no longer counts, and stays in their record as revoked.\n" +
		"It wasn't logged: no mod-log channel is set. `/kindred setup modlog_channel:#mod-log` sets one."
	if resp.Content != want {
		t.Errorf("reply =\n%s\nwant\n%s", resp.Content, want)
	}
	if n := len(rec.Calls("Send")); n != before {
		t.Errorf("%d messages sent for the revoke, want none", n-before)
	}
}

// A moderator can't use Kindred on someone Discord wouldn't let them
// moderate: the refusal says why and who can, and nothing is recorded,
// sent or done.
func TestWarnFollowsTheRoleHierarchy(t *testing.T) {
	const (
		adminID  = "200000000000000011" // holds adminRoleID (Administrator, position 2)
		fellowID = "200000000000000012" // holds the moderator role, like the caller
		helperID = "200000000000000013" // holds a role with Moderate Members
		staffID  = "200000000000000014" // holds staffRoleID, above the moderator role
		otherBot = "200000000000000015" // a bot, not in the interaction's resolved users
		helper   = "400000000000000030"
	)
	env, rec := modEnv(t, true)
	rec.setRole(guildID, ServerRole{ID: helper, Position: 1, Permissions: discordgo.PermissionModerateMembers})
	rec.addMember(guildID, adminID, adminRoleID)
	rec.addMember(guildID, fellowID, modRoleID)
	rec.addMember(guildID, helperID, helper)
	rec.addMember(guildID, staffID, staffRoleID)
	rec.addBot(guildID, otherBot)
	mustCall(t, env, asModerator("escalation/set", intOpt("warnings", 1), str("action", "ban")))

	for _, tc := range []struct {
		name   string
		target string
		want   []string
	}{
		{"an administrator", adminID, []string{"Administrator", "owner"}},
		{"a fellow moderator", fellowID, []string{"moderators", "owner or an administrator"}},
		{"a member with Moderate Members", helperID, []string{"moderators"}},
		{"the owner", ownerID, []string{"owns this server", "talk with them"}},
		{"a higher-ranked member", staffID, []string{"at or above yours", "whose highest role is above theirs"}},
		{"themself", moderatorID, []string{"yourself", "another moderator"}},
		{"a bot", otherBot, []string{"bot"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := call(t, env, asModerator("warn", warnOpts(tc.target, "spam")...))
			for _, want := range tc.want {
				wantUserError(t, err, want)
			}
			if all, _ := env.DB.Warnings(context.Background(), guildID, tc.target); len(all) != 0 {
				t.Errorf("a refused warning was stored: %+v", all)
			}
		})
	}
	for _, method := range []string{"Send", "OpenDM", "Timeout", "Kick", "Ban"} {
		if calls := rec.Calls(method); len(calls) != 0 {
			t.Errorf("refused warnings called %s: %v", method, calls)
		}
	}

	// Bob is an ordinary member: warned, and banned by the rule.
	resp := mustCall(t, env, asModerator("warn", warnOpts(bobID, "spam")...))
	if !strings.Contains(resp.Content, "case #1") || len(rec.Calls("Ban")) != 1 {
		t.Errorf("warning an ordinary member = %q, bans %v", resp.Content, rec.Calls("Ban"))
	}
}

// The target's roles come from the interaction's resolved member when
// Discord sent one, and Kindred asks Discord for the member otherwise.
func TestWarnReadsTheTargetsRolesFromDiscord(t *testing.T) {
	env, rec := modEnv(t, true)
	req := asModerator("warn", warnOpts(bobID, "spam")...)
	req.Resolved.Members = map[string]*discordgo.Member{bobID: {Roles: []string{staffRoleID}}}
	_, err := call(t, env, req)
	wantUserError(t, err, "at or above yours")
	if calls := rec.Calls("Member"); len(calls) != 0 {
		t.Errorf("asked Discord for a member the interaction resolved: %v", calls)
	}

	rec.addMember(guildID, bobID, staffRoleID)
	_, err = call(t, env, asModerator("warn", warnOpts(bobID, "spam")...))
	wantUserError(t, err, "at or above yours")
	if calls := rec.Calls("Member"); len(calls) != 1 {
		t.Errorf("member lookups = %v, want one", calls)
	}

	// Discord can't say: nothing is recorded, and the moderator can retry.
	rec.failNext("Server", discordError(500, 0, "Internal Server Error"))
	_, err = call(t, env, asModerator("warn", warnOpts(aliceID, "spam")...))
	wantUserError(t, err, "Try again")
	if all, _ := env.DB.Warnings(context.Background(), guildID, aliceID); len(all) != 0 {
		t.Errorf("a warning was stored without checking roles: %+v", all)
	}
}

// Someone who left can still be warned (their record keeps it), but no
// escalation is applied to them, and the moderator is told.
func TestWarnSomeoneWhoLeft(t *testing.T) {
	const carolID = "200000000000000016"
	env, rec := modEnv(t, true)
	mustCall(t, env, asModerator("escalation/set", intOpt("warnings", 1), str("action", "ban")))
	resp := mustCall(t, env, asModerator("warn", warnOpts(carolID, "spam")...))
	if !strings.Contains(resp.Content, "case #1") || !strings.Contains(resp.Content, "no longer in the server") ||
		!strings.Contains(resp.Content, "wasn't applied") {
		t.Errorf("warning someone who left = %q", resp.Content)
	}
	if calls := rec.Calls("Ban"); len(calls) != 0 {
		t.Errorf("someone who left was banned: %v", calls)
	}
	if n, _ := env.DB.ActiveWarningCount(context.Background(), guildID, carolID, t0); n != 1 {
		t.Errorf("active = %d, want the warning recorded", n)
	}
}

// A kick or ban rule is set only by a moderator who could kick or ban on
// Discord themself.
func TestEscalationSetNeedsThePermissionItUses(t *testing.T) {
	env, rec := modEnv(t, true)
	rec.setRole(guildID, ServerRole{ID: modRoleID, Position: 4, Permissions: discordgo.PermissionKickMembers})
	_, err := call(t, env, asModerator("escalation/set", intOpt("warnings", 3), str("action", "ban")))
	wantUserError(t, err, "**Ban Members**")
	wantUserError(t, err, "administrator with Ban Members can set it")
	if rules, _ := env.DB.EscalationRules(context.Background(), guildID); len(rules) != 0 {
		t.Errorf("a refused rule was stored: %+v", rules)
	}
	// Kick Members is enough for a kick rule, the moderator role for a timeout.
	mustCall(t, env, asModerator("escalation/set", intOpt("warnings", 3), str("action", "kick")))
	rec.setRole(guildID, ServerRole{ID: modRoleID, Position: 4})
	mustCall(t, env, asModerator("escalation/set", intOpt("warnings", 2), str("action", "timeout"), str("duration", "1h")))
	_, err = call(t, env, asModerator("escalation/set", intOpt("warnings", 4), str("action", "kick")))
	wantUserError(t, err, "**Kick Members**")
	// An administrator has every permission.
	admin := asModerator("escalation/set", intOpt("warnings", 5), str("action", "ban"))
	admin.RoleIDs = append(admin.RoleIDs, adminRoleID)
	mustCall(t, env, admin)
}

// A ban rule met by a warning from a moderator who can't ban: the warning
// stands, the member isn't banned, and the moderator and the mod-log are
// told why.
func TestEscalationNotAppliedForAModeratorWithoutThePermission(t *testing.T) {
	env, rec := modEnv(t, true)
	mustCall(t, env, asModerator("escalation/set", intOpt("warnings", 1), str("action", "ban")))
	rec.setRole(guildID, ServerRole{ID: modRoleID, Position: 4}) // Ban Members taken away since
	resp := mustCall(t, env, asModerator("warn", warnOpts(bobID, "spam")...))
	for _, want := range []string{"case #1", "wasn't applied", "ban them", "you don't have the **Ban Members** permission", "A moderator with Ban Members can do it"} {
		if !strings.Contains(resp.Content, want) {
			t.Errorf("reply %q should say %q", resp.Content, want)
		}
	}
	if calls := rec.Calls("Ban"); len(calls) != 0 {
		t.Errorf("banned for a moderator who can't ban: %v", calls)
	}
	if n, _ := env.DB.ActiveWarningCount(context.Background(), guildID, bobID, t0); n != 1 {
		t.Errorf("active = %d, want the warning recorded", n)
	}
	sends := rec.Calls("Send")
	if note := sends[len(sends)-1]; note.Args[0] != modlogChannelID || !strings.Contains(note.Message.Content, "not applied") ||
		!strings.Contains(note.Message.Content, "<@"+moderatorID+">") {
		t.Errorf("the mod-log note = %+v", note.Message)
	}
}

// A 28-day rule is sent a minute short of 28 days, so that a clock a
// little ahead of Discord's can't make Discord refuse it.
func TestTimeoutOf28DaysStaysUnderDiscordsLimit(t *testing.T) {
	env, rec := modEnv(t, true)
	mustCall(t, env, asModerator("escalation/set", intOpt("warnings", 1), str("action", "timeout"), str("duration", "28d")))
	mustCall(t, env, asModerator("warn", warnOpts(bobID, "spam")...))
	calls := rec.Calls("Timeout")
	if want := t0.Add(28*24*time.Hour - time.Minute).Format(time.RFC3339); len(calls) != 1 || calls[0].Args[2] != want {
		t.Errorf("timeouts = %v, want one until %s", calls, want)
	}
}

// Discord's 60003 (the server requires 2FA for moderation) is told in
// plain words.
func TestEscalationNeedingTwoFactorIsExplained(t *testing.T) {
	env, rec := modEnv(t, true)
	mustCall(t, env, asModerator("escalation/set", intOpt("warnings", 1), str("action", "timeout"), str("duration", "1h")))
	rec.failNext("Timeout", discordError(403, 60003, "Two factor is required for this operation"))
	resp := mustCall(t, env, asModerator("warn", warnOpts(bobID, "spam")...))
	if !strings.Contains(resp.Content, "case #1") || !strings.Contains(resp.Content, "couldn't time them out") ||
		!strings.Contains(resp.Content, "two-factor authentication") {
		t.Errorf("reply = %q", resp.Content)
	}
}
