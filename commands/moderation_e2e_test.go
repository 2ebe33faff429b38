package commands_test

import (
	"strings"
	"testing"
	"time"

	"github.com/kindred-bot/kindred/internal/discordsim"
	"github.com/kindred-bot/kindred/internal/kindredtest"
	"github.com/kindred-bot/kindred/storage/storagetest"
)

// startModeration runs Kindred on backend b with the moderator role and
// the mod-log set.
func startModeration(t *testing.T, b storagetest.Backend) *kindredtest.Harness {
	t.Helper()
	h := kindredtest.Start(t, kindredtest.Options{Backend: b})
	reply := h.Fake.Interact(t, kindredtest.GuildID, kindredtest.OwnerID,
		`/kindred setup modlog_channel:<#`+kindredtest.ModlogID+`> moderator_role:<@&`+kindredtest.ModRoleID+`>`)
	if !strings.Contains(reply.Text(), "Saved") {
		t.Fatalf("setup = %q", reply.Text())
	}
	return h
}

// Two warnings with a rule at two: the member is DMed each time without
// the moderator's name, the mod-log gets each, and the second times them out.
func TestWarnEscalatesEndToEnd(t *testing.T) {
	t.Parallel()
	storagetest.EachBackend(t, func(t *testing.T, b storagetest.Backend) {
		t.Parallel()
		h := startModeration(t, b)
		guild := kindredtest.GuildID

		set := h.Fake.Interact(t, guild, kindredtest.ModeratorID, `/escalation set warnings:2 action:timeout duration:1h`)
		if !set.Ephemeral() || !strings.Contains(set.Text(), "time them out for 1h") {
			t.Fatalf("escalation set = %q", set.Text())
		}
		first := h.Fake.Interact(t, guild, kindredtest.ModeratorID, `/warn user:<@`+kindredtest.AliceID+`> reason:"Spam in #general"`)
		if !first.Ephemeral() || !strings.Contains(first.Text(), "case #1") {
			t.Fatalf("first warn = %q", first.Text())
		}
		dmChannel := h.Fake.DMChannelID(kindredtest.AliceID)
		if dmChannel == "" {
			t.Fatal("Alice got no DM")
		}
		dm := h.Fake.WaitMessage(t, dmChannel, 5*time.Second)
		if !strings.Contains(dm.Content, "Spam in #general") || !strings.Contains(dm.Content, "appeal") {
			t.Errorf("DM = %q", dm.Content)
		}
		if strings.Contains(dm.Content, kindredtest.ModeratorID) || strings.Contains(dm.Content, "mod ") {
			t.Errorf("the DM names the moderator: %q", dm.Content)
		}
		if m := h.Fake.Member(guild, kindredtest.AliceID); m.CommunicationDisabledUntil != nil {
			t.Fatalf("timed out after one warning, until %v", m.CommunicationDisabledUntil)
		}

		second := h.Fake.Interact(t, guild, kindredtest.ModeratorID, `/warn user:<@`+kindredtest.AliceID+`> reason:"Still spamming"`)
		if !strings.Contains(second.Text(), "case #2") || !strings.Contains(second.Text(), "timed out for 1h") {
			t.Errorf("second warn = %q", second.Text())
		}
		m := h.Fake.Member(guild, kindredtest.AliceID)
		if m.CommunicationDisabledUntil == nil || m.CommunicationDisabledUntil.Before(time.Now().Add(50*time.Minute)) {
			t.Errorf("Alice's timeout = %v, want about an hour from now", m.CommunicationDisabledUntil)
		}
		patched := false
		for _, r := range h.Fake.Requests() {
			if r.Method == "PATCH" && strings.HasSuffix(r.Path, "/guilds/"+guild+"/members/"+kindredtest.AliceID) &&
				strings.Contains(string(r.Body), "communication_disabled_until") {
				patched = true
			}
		}
		if !patched {
			t.Error("no PATCH of Alice with communication_disabled_until")
		}

		var logged []string
		for _, msg := range h.Fake.Messages(kindredtest.ModlogID) {
			logged = append(logged, discordsim.MessageText(msg))
		}
		all := strings.Join(logged, "\n")
		for _, want := range []string{"case #1", "case #2", "Spam in #general", "Escalation"} {
			if !strings.Contains(all, want) {
				t.Errorf("mod-log %q should mention %q", all, want)
			}
		}

		own := h.Fake.Interact(t, guild, kindredtest.AliceID, `/warnings`)
		if !own.Ephemeral() || !strings.Contains(own.Text(), "Still spamming") || strings.Contains(own.Text(), kindredtest.ModeratorID) {
			t.Errorf("Alice's own /warnings = %q", own.Text())
		}
	})
}

// Report to moderators: context menu → modal → mod-log post with a link.
func TestReportEndToEnd(t *testing.T) {
	t.Parallel()
	storagetest.EachBackend(t, func(t *testing.T, b storagetest.Backend) {
		t.Parallel()
		h := startModeration(t, b)
		guild := kindredtest.GuildID
		target := h.Fake.UserMessage(kindredtest.GeneralID, kindredtest.BobID, "you are all idiots")

		open := h.Fake.MessageCommand(t, guild, kindredtest.AliceID, "Report to moderators", target)
		if open.Data == nil || !strings.HasPrefix(open.Data.CustomID, "report:") {
			t.Fatalf("report opened %+v, want a modal", open.Data)
		}
		thanks := h.Fake.SubmitModal(t, guild, kindredtest.AliceID, open.Data.CustomID, map[string]string{"reason": "Insulting the group"})
		if !thanks.Ephemeral() || !strings.Contains(thanks.Text(), "Thank you") {
			t.Errorf("reply = %q", thanks.Text())
		}
		post := h.Fake.WaitMessage(t, kindredtest.ModlogID, 5*time.Second)
		text := discordsim.MessageText(post)
		for _, want := range []string{"Insulting the group", "you are all idiots", kindredtest.BobID,
			"https://discord.com/channels/" + guild + "/" + kindredtest.GeneralID + "/" + target.ID} {
			if !strings.Contains(text, want) {
				t.Errorf("report post %q should include %q", text, want)
			}
		}
		if h.Fake.DMChannelID(kindredtest.BobID) != "" {
			t.Error("the reported member was contacted")
		}
	})
}

// A member whose DMs are closed (Discord 50007) is still warned: the
// warning is recorded, logged, and the moderator is told the DM failed.
func TestWarnWithClosedDMsEndToEnd(t *testing.T) {
	t.Parallel()
	storagetest.EachBackend(t, func(t *testing.T, b storagetest.Backend) {
		t.Parallel()
		h := startModeration(t, b)
		h.Fake.BlockDMs(kindredtest.BobID)
		warned := h.Fake.Interact(t, kindredtest.GuildID, kindredtest.ModeratorID, `/warn user:<@`+kindredtest.BobID+`> reason:"Please stay on topic"`)
		if !warned.Ephemeral() || !strings.Contains(warned.Text(), "case #1") || !strings.Contains(warned.Text(), "50007") {
			t.Fatalf("warn with closed DMs = %q", warned.Text())
		}
		if log := h.Fake.WaitMessage(t, kindredtest.ModlogID, 5*time.Second); !strings.Contains(discordsim.MessageText(log), "Please stay on topic") {
			t.Errorf("mod-log entry = %q", discordsim.MessageText(log))
		}
		own := h.Fake.Interact(t, kindredtest.GuildID, kindredtest.BobID, `/warnings`)
		if !own.Ephemeral() || !strings.Contains(own.Text(), "Please stay on topic") || strings.Contains(own.Text(), kindredtest.ModeratorID) {
			t.Errorf("Bob's own warnings = %q", own.Text())
		}
	})
}

// Members and roles for the hierarchy tests: two roles tie with the
// moderator role's position 4, one with a lower id (ranking above it) and
// one with a higher id (ranking below).
const (
	tieAboveRoleID = "810000000000000019"
	tieBelowRoleID = "810000000000000039"
	tedID          = "820000000000000041" // holds tieAboveRoleID
	tiaID          = "820000000000000042" // holds tieBelowRoleID
)

// startHierarchy is startModeration in a server with the tied roles.
func startHierarchy(t *testing.T, b storagetest.Backend) *kindredtest.Harness {
	t.Helper()
	h := startModeration(t, b)
	g := kindredtest.Server()
	g.Roles = append(g.Roles,
		discordsim.Role{ID: tieAboveRoleID, Name: "Elders", Position: 4},
		discordsim.Role{ID: tieBelowRoleID, Name: "Regulars", Position: 4},
	)
	g.Members = append(g.Members,
		discordsim.Member{User: discordsim.User{ID: tedID, Username: "ted"}, Roles: []string{tieAboveRoleID}},
		discordsim.Member{User: discordsim.User{ID: tiaID, Username: "tia"}, Roles: []string{tieBelowRoleID}},
	)
	h.Fake.AddGuild(g)
	return h
}

// Through Discord's own data: the moderator (role at position 4, no
// permissions) can't warn the owner, the admin (position 5), a fellow
// moderator or a member whose role ties theirs with a lower id; nor set or
// apply a ban rule, which the owner can set.
func TestWarnFollowsTheRoleHierarchyEndToEnd(t *testing.T) {
	t.Parallel()
	storagetest.EachBackend(t, func(t *testing.T, b storagetest.Backend) {
		t.Parallel()
		h := startHierarchy(t, b)
		guild := kindredtest.GuildID
		warn := func(target string) string {
			return h.Fake.Interact(t, guild, kindredtest.ModeratorID, `/warn user:<@`+target+`> reason:"Off topic"`).Text()
		}
		h.Fake.AddMember(guild, discordsim.Member{User: discordsim.User{ID: "820000000000000043", Username: "mo"}, Roles: []string{kindredtest.ModRoleID}})
		for _, tc := range []struct{ name, target, want string }{
			{"the owner", kindredtest.OwnerID, "owns this server"},
			{"the admin above", kindredtest.AdminID, "at or above yours"},
			{"a fellow moderator", "820000000000000043", "moderators"},
			{"a tie with a lower id", tedID, "at or above yours"},
		} {
			if got := warn(tc.target); !strings.Contains(got, tc.want) || strings.Contains(got, "case #") {
				t.Errorf("warning %s = %q, want a refusal saying %q", tc.name, got, tc.want)
			}
		}
		if got := warn(tiaID); !strings.Contains(got, "case #1") {
			t.Errorf("warning a member whose role ties with a higher id = %q", got)
		}

		refused := h.Fake.Interact(t, guild, kindredtest.ModeratorID, `/escalation set warnings:2 action:ban`)
		if !strings.Contains(refused.Text(), "Ban Members") || strings.Contains(refused.Text(), "Saved") {
			t.Errorf("a ban rule from a moderator without Ban Members = %q", refused.Text())
		}
		if set := h.Fake.Interact(t, guild, kindredtest.OwnerID, `/escalation set warnings:2 action:ban`); !strings.Contains(set.Text(), "Saved") {
			t.Fatalf("the owner's ban rule = %q", set.Text())
		}
		warn(kindredtest.BobID)
		second := warn(kindredtest.BobID)
		if !strings.Contains(second, "case #3") || !strings.Contains(second, "wasn't applied") || !strings.Contains(second, "Ban Members") {
			t.Errorf("second warning under the owner's ban rule = %q", second)
		}
		if h.Fake.Ban(guild, kindredtest.BobID) != nil || h.Fake.Member(guild, kindredtest.BobID) == nil {
			t.Error("Bob was banned for a moderator who can't ban")
		}
		for _, r := range h.Fake.Requests() {
			if r.Method == "PUT" && strings.Contains(r.Path, "/bans/") {
				t.Errorf("a ban was asked of Discord: %s", r.Path)
			}
		}
	})
}

// Kindred's clock half a minute ahead of Discord's: a 28-day timeout still
// lands, because Kindred asks for a minute less.
func TestLongestTimeoutWithClockSkewEndToEnd(t *testing.T) {
	t.Parallel()
	storagetest.EachBackend(t, func(t *testing.T, b storagetest.Backend) {
		t.Parallel()
		h := startModeration(t, b)
		guild := kindredtest.GuildID
		h.Clock.Set(time.Now().Add(30 * time.Second))
		h.Fake.Interact(t, guild, kindredtest.ModeratorID, `/escalation set warnings:1 action:timeout duration:28d`)
		warned := h.Fake.Interact(t, guild, kindredtest.ModeratorID, `/warn user:<@`+kindredtest.AliceID+`> reason:"Threats"`)
		if !strings.Contains(warned.Text(), "timed out for 28d") {
			t.Errorf("warn = %q", warned.Text())
		}
		m := h.Fake.Member(guild, kindredtest.AliceID)
		if m.CommunicationDisabledUntil == nil || m.CommunicationDisabledUntil.Before(time.Now().Add(27*24*time.Hour)) {
			t.Errorf("Alice's timeout = %v, want about 28 days", m.CommunicationDisabledUntil)
		}
	})
}

// A report of a message outside the first channel works (the form comes
// back from the message's channel), and a crafted form naming a channel it
// wasn't opened in gets the expired-form answer and files nothing.
func TestReportChannelIsCheckedEndToEnd(t *testing.T) {
	t.Parallel()
	storagetest.EachBackend(t, func(t *testing.T, b storagetest.Backend) {
		t.Parallel()
		h := startModeration(t, b)
		guild := kindredtest.GuildID
		circle := h.Fake.AddChannel(guild, discordsim.Channel{Name: "monday-circle"})
		target := h.Fake.UserMessage(circle, kindredtest.BobID, "nobody wants you here")
		open := h.Fake.MessageCommand(t, guild, kindredtest.AliceID, "Report to moderators", target)
		thanks := h.Fake.SubmitModal(t, guild, kindredtest.AliceID, open.Data.CustomID, map[string]string{"reason": "Unkind"})
		if !strings.Contains(thanks.Text(), "Thank you") {
			t.Fatalf("report from #monday-circle = %q", thanks.Text())
		}
		post := h.Fake.WaitMessage(t, kindredtest.ModlogID, 5*time.Second)
		if text := discordsim.MessageText(post); !strings.Contains(text, "/"+circle+"/"+target.ID) {
			t.Errorf("report post %q should link the message in #monday-circle", text)
		}

		crafted := "report:" + circle + ":" + target.ID + ":" + kindredtest.AdminID // submitted from #general
		refused := h.Fake.SubmitModal(t, guild, kindredtest.AliceID, crafted, map[string]string{"reason": "Made up"})
		if !refused.Ephemeral() || !strings.Contains(refused.Text(), "no longer works") {
			t.Errorf("crafted report = %q", refused.Text())
		}
		for _, m := range h.Fake.Messages(kindredtest.ModlogID) {
			if strings.Contains(discordsim.MessageText(m), "Made up") {
				t.Errorf("the crafted report was posted: %q", discordsim.MessageText(m))
			}
		}
	})
}
