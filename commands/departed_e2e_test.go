package commands_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/kindred-bot/kindred/bot"
	"github.com/kindred-bot/kindred/internal/discordsim"
	"github.com/kindred-bot/kindred/internal/kindredtest"
	"github.com/kindred-bot/kindred/storage/storagetest"
)

// Two more members of the harness's server, for rounds of four.
const (
	carolID = "820000000000000006"
	daveID  = "820000000000000007"
)

// Monday 7 December 2026, 10:00 in Berlin: the first weekly round after
// meetingT0.
var firstRound = time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)

// joinCircle makes a member of the server a member of "Evening Circle",
// opted in to pairing.
func joinCircle(t *testing.T, h *kindredtest.Harness, userID string) {
	t.Helper()
	join := h.Fake.Interact(t, kindredtest.GuildID, userID, `/group join group:"Evening Circle"`)
	if agreed := h.Fake.Click(t, kindredtest.GuildID, userID, join.Buttons()[0].CustomID, join.Message); !strings.Contains(agreed.Text(), "Welcome") {
		t.Fatalf("agree = %q", agreed.Text())
	}
	if r := h.Fake.Interact(t, kindredtest.GuildID, userID, `/buddy join group:"Evening Circle"`); !strings.Contains(r.Text(), "You're in") {
		t.Fatalf("buddy join = %q", r.Text())
	}
}

// startRoundOfFour is Evening Circle with Alice, Bob, Carol and Dave
// opted in to weekly pairing.
func startRoundOfFour(t *testing.T, opts kindredtest.Options) *kindredtest.Harness {
	t.Helper()
	h := startMeetingsWith(t, opts)
	for _, id := range []string{carolID, daveID} {
		h.Fake.AddMember(kindredtest.GuildID, discordsim.Member{User: discordsim.User{ID: id}})
	}
	for _, id := range []string{kindredtest.AliceID, kindredtest.BobID, carolID, daveID} {
		joinCircle(t, h, id)
	}
	h.Fake.Interact(t, kindredtest.GuildID, kindredtest.OwnerID, `/pairing configure group:"Evening Circle" schedule:weekly`)
	return h
}

// startMeetingsWith is startMeetings with harness options.
func startMeetingsWith(t *testing.T, opts kindredtest.Options) *kindredtest.Harness {
	t.Helper()
	h := kindredtest.Start(t, opts)
	h.Clock.Set(meetingT0)
	reply := h.Fake.Interact(t, kindredtest.GuildID, kindredtest.OwnerID,
		`/group create name:"Evening Circle" description:"Peer support for anxiety" type:mental-health channel:<#`+kindredtest.GeneralID+`> timezone:Europe/Berlin`)
	if !strings.Contains(reply.Text(), "Evening Circle") {
		t.Fatalf("group create = %q", reply.Text())
	}
	return h
}

// threadsOf are the members of each thread opened in #general, Kindred
// left out, and the thread's introduction.
func threadsOf(t *testing.T, h *kindredtest.Harness) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, th := range h.Fake.Threads(kindredtest.GeneralID) {
		out[th.ID] = slices.DeleteFunc(h.Fake.ThreadMembers(th.ID), func(id string) bool { return id == h.Fake.BotUserID() })
	}
	return out
}

// dmExport is the member's /mydata export, asked for in a DM: a member
// who left the server can still ask.
func dmExport(t *testing.T, h *kindredtest.Harness, userID string) map[string]any {
	t.Helper()
	reply := h.Fake.Interact(t, "", userID, "/mydata export")
	if len(reply.Files) != 1 {
		t.Fatalf("export = %q with %d files", reply.Text(), len(reply.Files))
	}
	var d map[string]any
	if err := json.Unmarshal(reply.Files[0].Data, &d); err != nil {
		t.Fatalf("export is not JSON: %v", err)
	}
	return d
}

// (a) A member who left the server without Kindred hearing of it is found
// gone before the round opens its threads: the others are paired without
// them, in that round, no thread adds or pings them, and nobody is alone.
func TestRoundLeavesOutAMemberWhoLeftEndToEnd(t *testing.T) {
	t.Parallel()
	storagetest.EachBackend(t, func(t *testing.T, b storagetest.Backend) {
		t.Parallel()
		h := startRoundOfFour(t, kindredtest.Options{Backend: b})
		h.Fake.RemoveMember(kindredtest.GuildID, daveID)
		h.RunDue(t, firstRound)

		threads := threadsOf(t, h)
		if len(threads) != 1 {
			t.Fatalf("threads = %v, want one trio of the three who stayed", threads)
		}
		for id, members := range threads {
			slices.Sort(members)
			if want := []string{kindredtest.AliceID, kindredtest.BobID, carolID}; !slices.Equal(members, want) {
				t.Errorf("thread members = %v, want %v", members, want)
			}
			intro := h.Fake.WaitMessage(t, id, 5*time.Second)
			if strings.Contains(intro.Content, daveID) {
				t.Errorf("the introduction names Dave, who left: %q", intro.Content)
			}
			for _, u := range intro.Mentions {
				if u.ID == daveID {
					t.Error("the introduction pings Dave, who left")
				}
			}
		}
		for _, r := range h.Fake.Requests() {
			if r.Method == "PUT" && strings.HasSuffix(r.Path, "/thread-members/"+daveID) {
				t.Errorf("Kindred tried to add Dave, who left, to a thread: %s", r.Path)
			}
		}
		// His place in the group is over; what he did stays his.
		d := dmExport(t, h, daveID)
		if listLen(d, "group_memberships") != 0 || listLen(d, "buddy_settings") != 0 || listLen(d, "past_group_memberships") != 1 {
			t.Errorf("Dave's export: %d memberships, %d buddy settings, %d past memberships; want 0, 0, 1",
				listLen(d, "group_memberships"), listLen(d, "buddy_settings"), listLen(d, "past_group_memberships"))
		}
	})
}

// (b) A member with a Going answer leaves the server. The meeting
// reminder's DM finds no mutual server (50278): their group membership,
// pairing, answer, check-in reminder and queued work in the server end,
// and their check-ins stay in their export.
func TestReminderDMToMemberWhoLeftEndToEnd(t *testing.T) {
	t.Parallel()
	storagetest.EachBackend(t, func(t *testing.T, b storagetest.Backend) {
		t.Parallel()
		h := startMeetingsWith(t, kindredtest.Options{Backend: b})
		guild, alice := kindredtest.GuildID, kindredtest.AliceID
		joinCircle(t, h, alice)
		h.Fake.Interact(t, guild, alice, `/checkin mood:3 note:"quiet day"`)
		h.Fake.Interact(t, guild, alice, "/checkins reminder time:20:00")
		h.Fake.Interact(t, guild, kindredtest.OwnerID,
			`/meeting schedule group:"Evening Circle" title:"Tuesday circle" start:"2026-12-01 19:00" reminders:1h`)
		announcement := h.Fake.WaitMessage(t, kindredtest.GeneralID, 5*time.Second)
		h.Fake.Click(t, guild, alice, buttonID(t, announcement, "Going"), announcement)
		if d := dmExport(t, h, alice); listLen(d, "meeting_rsvps") != 1 || listLen(d, "pending_messages") != 1 {
			t.Fatalf("before leaving: %d answers and %d pending messages, want her Going and her check-in prompt",
				listLen(d, "meeting_rsvps"), listLen(d, "pending_messages"))
		}

		h.Fake.RemoveMember(guild, alice)
		start := time.Date(2026, 12, 1, 18, 0, 0, 0, time.UTC)
		h.RunDue(t, start.Add(-59*time.Minute)) // the reminder, which queues her DM
		h.RunDue(t, start.Add(-59*time.Minute)) // the DM: 403 50278
		refused := h.Fake.WaitRequest(t, 5*time.Second, func(r discordsim.Request) bool {
			return r.Method == "POST" && r.Status == 403 && strings.Contains(string(r.Response), "50278")
		})
		if !strings.HasSuffix(refused.Path, "/channels/"+h.Fake.DMChannelID(alice)+"/messages") {
			t.Errorf("refused request = %s, want her DM", refused.Path)
		}

		h.Clock.Set(start.Add(time.Minute)) // the export's cool-down is over
		d := dmExport(t, h, alice)
		for key, want := range map[string]int{
			"group_memberships": 0, "buddy_settings": 0, "meeting_rsvps": 0, "checkin_reminders": 0, "pending_messages": 0,
			"past_group_memberships": 1, "checkins": 1, "checkin_runs": 1,
		} {
			if got := listLen(d, key); got != want {
				t.Errorf("%s: %d entries after she left, want %d", key, got, want)
			}
		}
		// Her daily prompt was cancelled with the rest: nothing more is tried.
		before := len(h.Fake.Requests())
		h.RunDue(t, time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC))
		for _, r := range h.Fake.Requests()[before:] {
			if strings.Contains(r.Path, h.Fake.DMChannelID(alice)) || strings.Contains(string(r.Body), alice) {
				t.Errorf("after she left, Kindred still sent %s %s", r.Method, r.Path)
			}
		}
	})
}

// (c) With discord.members_intent, Kindred identifies with GUILD_MEMBERS
// and a member's leaving ends their place at once.
func TestMembersIntentEndsAPlaceAtOnceEndToEnd(t *testing.T) {
	t.Parallel()
	storagetest.EachBackend(t, func(t *testing.T, b storagetest.Backend) {
		t.Parallel()
		h := startMeetingsWith(t, kindredtest.Options{
			Backend:   b,
			Fake:      discordsim.Options{PrivilegedIntents: discordgo.IntentGuildMembers},
			Configure: func(c *bot.Config) { c.Discord.MembersIntent = true },
		})
		for _, id := range h.Fake.Identifies() {
			if id.Intents&discordgo.IntentGuildMembers == 0 {
				t.Errorf("IDENTIFY intents %b lack GUILD_MEMBERS", id.Intents)
			}
		}
		joinCircle(t, h, kindredtest.AliceID)
		joinCircle(t, h, kindredtest.BobID)
		h.Clock.Set(meetingT0.Add(time.Hour)) // a membership that lasted no time is not kept
		h.Fake.RemoveMember(kindredtest.GuildID, kindredtest.AliceID)

		deadline := time.Now().Add(10 * time.Second)
		for !strings.Contains(h.Logs.String(), "member left the server") {
			if time.Now().After(deadline) {
				t.Fatalf("Kindred did not record Alice leaving; log:\n%s", h.Logs)
			}
			time.Sleep(10 * time.Millisecond)
		}
		info := h.Fake.Interact(t, kindredtest.GuildID, kindredtest.BobID, `/group info group:"Evening Circle"`)
		if !strings.Contains(info.Text(), "1 member") || strings.Contains(info.Text(), "2 members") {
			t.Errorf("group info after Alice left = %q, want one member", info.Text())
		}
		d := dmExport(t, h, kindredtest.AliceID)
		if listLen(d, "group_memberships") != 0 || listLen(d, "buddy_settings") != 0 || listLen(d, "past_group_memberships") != 1 {
			t.Errorf("Alice's export: %d memberships, %d buddy settings, %d past memberships; want 0, 0, 1",
				listLen(d, "group_memberships"), listLen(d, "buddy_settings"), listLen(d, "past_group_memberships"))
		}
	})
}

// (d) A member who left and comes back joins again like anyone, and the
// next round pairs them.
func TestMemberWhoComesBackJoinsAgainEndToEnd(t *testing.T) {
	t.Parallel()
	storagetest.EachBackend(t, func(t *testing.T, b storagetest.Backend) {
		t.Parallel()
		h := startRoundOfFour(t, kindredtest.Options{Backend: b})
		h.Fake.RemoveMember(kindredtest.GuildID, daveID)
		h.RunDue(t, firstRound) // finds Dave gone
		if n := len(threadsOf(t, h)); n != 1 {
			t.Fatalf("%d threads in the first round, want one trio", n)
		}

		h.Fake.AddMember(kindredtest.GuildID, discordsim.Member{User: discordsim.User{ID: daveID}})
		joinCircle(t, h, daveID)
		h.RunDue(t, firstRound.AddDate(0, 0, 7))
		var paired bool
		for _, members := range threadsOf(t, h) {
			if slices.Contains(members, daveID) {
				paired = len(members) >= 2
			}
		}
		if !paired {
			t.Errorf("Dave, back and opted in again, is in no thread of the second round: %v", threadsOf(t, h))
		}
		d := dmExport(t, h, daveID)
		if listLen(d, "group_memberships") != 1 || listLen(d, "past_group_memberships") != 1 {
			t.Errorf("Dave's export: %d memberships and %d past ones, want 1 and 1", listLen(d, "group_memberships"), listLen(d, "past_group_memberships"))
		}
	})
}
