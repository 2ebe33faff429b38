package commands

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/kindred-bot/kindred/storage"
)

// removeMember takes a member out of a server, as leaving it does.
func (r *recorder) removeMember(guildID, userID string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.members, guildID+"/"+userID)
}

// stillHas reports whether Kindred still counts the member in the group:
// a member and opted in to pairing.
func stillHas(t *testing.T, env Env, g storage.Group, userID string) bool {
	t.Helper()
	ctx := context.Background()
	member, err := env.DB.IsGroupMember(ctx, g.ID, userID)
	if err != nil {
		t.Fatal(err)
	}
	optIns, err := env.DB.BuddyMemberships(ctx, g.GuildID, userID)
	if err != nil {
		t.Fatal(err)
	}
	if member != (len(optIns) == 1) {
		t.Errorf("%s: group member %v with %d pairing opt-ins", userID, member, len(optIns))
	}
	return member
}

// A round confirms that everyone it placed is still in the server, and
// pairs again without those who left, in the same round: nobody who left
// is added to a thread or pinged, nobody is left alone, and nobody is
// looked up twice.
func TestRoundPairsAgainWithoutMembersWhoLeft(t *testing.T) {
	for _, c := range []struct {
		name  string
		gone  []int // of five members
		sizes []int // the round's pairs and trios; none for no round
	}{
		{"nobody left", nil, []int{2, 3}},
		{"one of five left", []int{2}, []int{2, 2}},
		{"two of five left", []int{1, 3}, []int{3}},
		{"four of five left", []int{0, 1, 3, 4}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			env, rec, _, g, ids := buddyEnv(t, 5)
			var gone []string
			for _, i := range c.gone {
				gone = append(gone, ids[i])
				rec.removeMember(g.GuildID, ids[i])
			}
			resp, err := call(t, env, asFacilitator("pairing/run", str("group", "Monday Circle")))
			if c.sizes == nil {
				wantUserError(t, err, "at least 2")
			} else if err != nil {
				t.Fatal(err)
			} else if want := plural(5-len(gone), "member", "members"); !strings.Contains(resp.Content, want) {
				t.Errorf("run = %q, want it to count %s", resp.Content, want)
			}

			byThread := map[string][]string{}
			for _, a := range rec.Calls("AddThreadMember") {
				byThread[a.Args[0]] = append(byThread[a.Args[0]], a.Args[1])
			}
			var sizes []int
			for _, members := range byThread {
				sizes = append(sizes, len(members))
				for _, u := range gone {
					if slices.Contains(members, u) {
						t.Errorf("%s, who left, was added to a thread", u)
					}
				}
			}
			slices.Sort(sizes)
			if !slices.Equal(sizes, c.sizes) {
				t.Errorf("pairs and trios of sizes %v, want %v", sizes, c.sizes)
			}
			for _, post := range rec.Calls("Send") {
				for _, u := range gone {
					if strings.Contains(post.Message.Content, u) || slices.Contains(post.Message.AllowedMentions.Users, u) {
						t.Errorf("a message names %s, who left: %q", u, post.Message.Content)
					}
				}
			}
			lookups := map[string]int{}
			for _, m := range rec.Calls("Member") {
				lookups[m.Args[1]]++
			}
			for _, id := range ids {
				if lookups[id] > 1 {
					t.Errorf("%s was looked up %d times", id, lookups[id])
				}
				left, has := slices.Contains(gone, id), stillHas(t, env, g, id)
				if has == left {
					t.Errorf("%s: left the server: %v; still in the group: %v", id, left, has)
				}
			}
		})
	}
}

// A lookup Discord doesn't answer is no proof of leaving: the member is
// paired as usual and keeps their place.
func TestRoundPairsAMemberDiscordCouldNotConfirm(t *testing.T) {
	env, rec, _, g, ids := buddyEnv(t, 4)
	rec.failNext("Member", discordError(500, 0, "Internal Server Error"))
	runRound(t, env)
	if n := len(rec.Calls("AddThreadMember")); n != 4 {
		t.Errorf("%d members added to threads, want all 4", n)
	}
	for _, id := range ids {
		if !stillHas(t, env, g, id) {
			t.Errorf("%s lost their place over a failed lookup", id)
		}
	}
}

// A member who leaves after the round confirmed them, before their thread
// is ready, loses their place, and the introduction names only the buddy
// who is there.
func TestMemberWhoLeavesWhileTheirThreadOpensIsNotIntroduced(t *testing.T) {
	env, rec, _, g, _ := buddyEnv(t, 2)
	rec.failNext("AddThreadMember", discordError(404, discordgo.ErrCodeUnknownMember, "Unknown Member"))
	runRound(t, env)
	adds := rec.Calls("AddThreadMember")
	if len(adds) != 2 {
		t.Fatalf("%d thread adds, want 2", len(adds))
	}
	gone, stayed := adds[0].Args[1], adds[1].Args[1]
	if stillHas(t, env, g, gone) || !stillHas(t, env, g, stayed) {
		t.Errorf("after the failed add: %s still in the group, or %s not", gone, stayed)
	}
	intros := 0
	for _, post := range rec.Calls("Send") {
		if !strings.Contains(post.Message.Content, "you're buddies") {
			continue
		}
		intros++
		if strings.Contains(post.Message.Content, gone) || slices.Contains(post.Message.AllowedMentions.Users, gone) {
			t.Errorf("the introduction names %s, who left: %q", gone, post.Message.Content)
		}
		if !slices.Contains(post.Message.AllowedMentions.Users, stayed) {
			t.Errorf("the introduction doesn't ping %s", stayed)
		}
	}
	if intros != 1 {
		t.Errorf("%d introductions, want 1", intros)
	}
}

// A DM of a server's job that Discord refuses because the member shares
// no server with Kindred (50278) ends their place in that server; a DM
// refused because their DMs are closed (50007) ends nothing.
func TestDMToMemberWhoSharesNoServerEndsTheirPlace(t *testing.T) {
	env, rec, now, g, ids := buddyEnv(t, 2)
	ctx := context.Background()
	deliver := dmJob.Runner((&DMs{env: env}).deliver).Handle
	send := func(m DMMessage, refusal error) error {
		t.Helper()
		m.Key = "test:dm:" + m.UserID + ":" + m.Content
		if _, err := env.DB.Enqueue(ctx, dmJob.New(m, *now)); err != nil {
			t.Fatal(err)
		}
		jobs := claimAll(t, env, *now)
		if len(jobs) != 1 {
			t.Fatalf("claimed %d jobs", len(jobs))
		}
		rec.failNext("Send", refusal)
		_, err := deliver(ctx, jobs[0])
		return err
	}
	closed := discordError(403, discordgo.ErrCodeCannotSendMessagesToThisUser, "Cannot send messages to this user")
	noMutual := discordError(403, 50278, "Cannot send messages to this user due to having no mutual guilds")

	if err := send(DMMessage{UserID: ids[0], GuildID: g.GuildID, Content: "closed"}, closed); err != nil || !stillHas(t, env, g, ids[0]) {
		t.Errorf("closed DMs: err %v; the member must keep their place", err)
	}
	// A DM that belongs to no server names no server to leave.
	if err := send(DMMessage{UserID: ids[0], Content: "nowhere"}, noMutual); err != nil || !stillHas(t, env, g, ids[0]) {
		t.Errorf("no server: err %v; the member must keep their place", err)
	}
	if err := send(DMMessage{UserID: ids[0], GuildID: g.GuildID, Content: "gone"}, noMutual); err != nil || stillHas(t, env, g, ids[0]) {
		t.Errorf("no mutual server: err %v; the member's place must end", err)
	}
	if !stillHas(t, env, g, ids[1]) {
		t.Error("the other member lost their place")
	}
}

// Nobody can make Kindred end someone else's place: a moderator's /warn
// of someone Discord doesn't find in the server, and a crafted DM button
// pressed by someone outside it, look up and affect only themselves.
func TestNobodyCanMarkSomeoneElseLeft(t *testing.T) {
	env, rec, now, g, ids := buddyEnv(t, 2)
	ctx := context.Background()
	if _, err := env.DB.UpdateGuildSettings(ctx, guildID, storage.GuildSettingsUpdate{ModeratorRoleID: strPtr(modRoleID)}, *now); err != nil {
		t.Fatal(err)
	}
	rec.addMember(guildID, moderatorID, modRoleID)
	m := scheduleMeeting(t, env, str("start", "2026-11-27 19:00"))
	rsvp := rsvpButton.ID(m.ID, time.Date(2026, 11, 27, 18, 0, 0, 0, time.UTC).Unix(), storage.RSVPGoing)

	// ids[0] left without Kindred hearing of it; a moderator names them.
	rec.removeMember(guildID, ids[0])
	if _, err := call(t, env, asModerator("warn", warnOpts(ids[0], "Please keep advice to when it's asked for")...)); err != nil {
		if _, ok := AsUserError(err); !ok {
			t.Fatal(err)
		}
	}
	// Someone outside the server presses a reminder's button in a DM.
	const outsider = "200000000000000666"
	_, err := call(t, env, &Request{Type: ComponentInteraction, Route: rsvp, UserID: outsider})
	wantUserError(t, err, "no longer exists")
	for _, c := range rec.Calls("Member") {
		if c.Args[1] != ids[0] && c.Args[1] != outsider {
			t.Errorf("looked up %s, whom nobody named", c.Args[1])
		}
	}
	for _, id := range ids {
		if !stillHas(t, env, g, id) {
			t.Errorf("%s lost their place through someone else's command", id)
		}
	}

	// Pressed by the member who left, the same button ends their own place.
	_, err = call(t, env, &Request{Type: ComponentInteraction, Route: rsvp, UserID: ids[0]})
	wantUserError(t, err, "no longer exists")
	if stillHas(t, env, g, ids[0]) || !stillHas(t, env, g, ids[1]) {
		t.Error("the member who left and pressed the button keeps their place, or the other lost theirs")
	}
}

// Giving a group's role to someone Discord no longer finds in the server
// ends their place there: they left between pressing I agree and the role.
func TestGroupRoleToMemberWhoLeft(t *testing.T) {
	env, rec := groupEnv(t)
	ctx := context.Background()
	mustCall(t, env, asFacilitator("group/create", createOpts("Circle", roleOpt("role", circleRoleID))...))
	g := mustGroup(t, env, "Circle")
	rec.failNext("AddRole", discordError(404, discordgo.ErrCodeUnknownMember, "Unknown Member"))
	mustCall(t, env, agreeRequest(aliceID, g.ID))
	if member, err := env.DB.IsGroupMember(ctx, g.ID, aliceID); err != nil || member {
		t.Errorf("member = %v, %v; the membership of someone who left must end", member, err)
	}
}

// When both buddies leave between the round's check and their thread,
// nobody is introduced in an empty thread.
func TestNoIntroductionWhenBothBuddiesLeft(t *testing.T) {
	env, rec, _, g, ids := buddyEnv(t, 2)
	for range 2 {
		rec.failNext("AddThreadMember", discordError(404, discordgo.ErrCodeUnknownMember, "Unknown Member"))
	}
	runRound(t, env)
	for _, post := range rec.Calls("Send") {
		if strings.Contains(post.Message.Content, "you're buddies") {
			t.Errorf("an introduction with nobody to introduce: %q", post.Message.Content)
		}
	}
	for _, id := range ids {
		if stillHas(t, env, g, id) {
			t.Errorf("%s, gone, keeps their place", id)
		}
	}
}
