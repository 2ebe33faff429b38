package commands_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/kindred-bot/kindred/internal/kindredtest"
)

// The whole path of a pairing round: configure → scheduled round → private
// thread with the pair and an introduction → follow-up after followup_days
// → We talked → /pairing stats.
func TestPairingEndToEnd(t *testing.T) {
	t.Parallel()
	h := startMeetings(t) // Tuesday 1 Dec 2026; "Evening Circle" in #general, Europe/Berlin
	guild := kindredtest.GuildID
	for _, id := range []string{kindredtest.AliceID, kindredtest.BobID} {
		join := h.Fake.Interact(t, guild, id, `/group join group:"Evening Circle"`)
		h.Fake.Click(t, guild, id, join.Buttons()[0].CustomID, join.Message)
		if r := h.Fake.Interact(t, guild, id, `/buddy join group:"Evening Circle"`); !r.Ephemeral() || !strings.Contains(r.Text(), "You're in") {
			t.Fatalf("buddy join = %q", r.Text())
		}
	}
	configured := h.Fake.Interact(t, guild, kindredtest.OwnerID, `/pairing configure group:"Evening Circle" schedule:weekly followup_days:2`)
	if !configured.Ephemeral() || !strings.Contains(configured.Text(), "first round") {
		t.Fatalf("configure = %q", configured.Text())
	}
	// Monday 7 Dec 2026, 10:00 in Berlin.
	round := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	if n := h.RunDue(t, round.Add(-time.Minute)); n != 0 {
		t.Fatalf("%d jobs ran before the round was due", n)
	}
	h.RunDue(t, round)
	threads := h.Fake.Threads(kindredtest.GeneralID)
	if len(threads) != 1 {
		t.Fatalf("%d threads, want one for the pair", len(threads))
	}
	thread := threads[0]
	if thread.Type != discordgo.ChannelTypeGuildPrivateThread || thread.ThreadMetadata == nil || thread.ThreadMetadata.Invitable {
		t.Errorf("thread = %+v, want a private, non-invitable thread", thread)
	}
	members := h.Fake.ThreadMembers(thread.ID)
	if !slices.Contains(members, kindredtest.AliceID) || !slices.Contains(members, kindredtest.BobID) || slices.Contains(members, kindredtest.OwnerID) {
		t.Errorf("thread members = %v, want Alice and Bob", members)
	}
	intro := h.Fake.WaitMessage(t, thread.ID, 5*time.Second)
	if !strings.Contains(intro.Content, "conversation starter") || !strings.Contains(intro.Content, "<@"+kindredtest.AliceID+">") {
		t.Errorf("introduction = %q", intro.Content)
	}
	status := h.Fake.Interact(t, guild, kindredtest.AliceID, `/buddy status`)
	if !status.Ephemeral() || !strings.Contains(status.Text(), "<@"+kindredtest.BobID+">") {
		t.Errorf("status = %q", status.Text())
	}

	h.RunDue(t, round.Add(47*time.Hour))
	if n := len(h.Fake.Messages(thread.ID)); n != 1 {
		t.Fatalf("%d messages in the thread before followup_days", n)
	}
	h.RunDue(t, round.Add(48*time.Hour))
	followup := h.Fake.WaitMessage(t, thread.ID, 5*time.Second)
	if !strings.Contains(followup.Content, "Did you two get to talk?") {
		t.Fatalf("follow-up = %q", followup.Content)
	}
	buttonID(t, followup, "Not yet")
	talked := h.Fake.Click(t, guild, kindredtest.BobID, buttonID(t, followup, "We talked"), followup)
	if !talked.Ephemeral() {
		t.Error("the answer is confirmed privately")
	}
	// The schedule goes on: the next Monday forms round two.
	h.RunDue(t, round.AddDate(0, 0, 7))
	if threads := h.Fake.Threads(kindredtest.GeneralID); len(threads) != 2 {
		t.Errorf("%d threads after the second Monday, want 2", len(threads))
	}
	stats := h.Fake.Interact(t, guild, kindredtest.OwnerID, `/pairing stats group:"Evening Circle"`)
	for _, want := range []string{"Rounds held", "1 of 2"} {
		if !strings.Contains(stats.Text(), want) {
			t.Errorf("stats = %q, want %q", stats.Text(), want)
		}
	}
}

// Discord fails while a scheduled round adds the pair to their new thread
// (a 500 after the thread was created). The round is retried after the
// scheduler's backoff: the same thread gets both members and exactly one
// introduction, and no second thread is opened.
func TestPairingRoundResumesEndToEnd(t *testing.T) {
	t.Parallel()
	h := startMeetings(t) // Tuesday 1 Dec 2026; "Evening Circle" in #general, Europe/Berlin
	guild := kindredtest.GuildID
	for _, id := range []string{kindredtest.AliceID, kindredtest.BobID} {
		join := h.Fake.Interact(t, guild, id, `/group join group:"Evening Circle"`)
		h.Fake.Click(t, guild, id, join.Buttons()[0].CustomID, join.Message)
		h.Fake.Interact(t, guild, id, `/buddy join group:"Evening Circle"`)
	}
	h.Fake.Interact(t, guild, kindredtest.OwnerID, `/pairing configure group:"Evening Circle" schedule:weekly`)
	round := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC) // Monday 10:00 in Berlin

	h.Fake.FailNext("PUT", "/channels/", 500, 0, "500: Internal Server Error")
	h.RunDue(t, round)
	threads := h.Fake.Threads(kindredtest.GeneralID)
	if len(threads) != 1 {
		t.Fatalf("%d threads, want the pair's one", len(threads))
	}
	thread := threads[0]
	if n := len(h.Fake.Messages(thread.ID)); n != 0 {
		t.Fatalf("%d messages in a thread its members weren't all added to", n)
	}

	h.RunDue(t, round.Add(time.Minute)) // past the first backoff
	if threads := h.Fake.Threads(kindredtest.GeneralID); len(threads) != 1 {
		t.Fatalf("%d threads after the retry, want the same one", len(threads))
	}
	members := h.Fake.ThreadMembers(thread.ID)
	if !slices.Contains(members, kindredtest.AliceID) || !slices.Contains(members, kindredtest.BobID) {
		t.Errorf("thread members = %v, want Alice and Bob", members)
	}
	h.Fake.WaitMessage(t, thread.ID, 5*time.Second)
	h.RunDue(t, round.Add(time.Hour)) // nothing is left to retry
	if msgs := h.Fake.Messages(thread.ID); len(msgs) != 1 || !strings.Contains(msgs[0].Content, "conversation starter") {
		t.Errorf("thread messages = %d, want exactly one introduction", len(msgs))
	}
}

// A member in more groups than one embed holds sees 24 of them whole and
// how many more, in an answer Discord accepts: at most 25 fields and 6,000
// characters, even with the longest group names.
func TestBuddyStatusInManyGroupsFitsEndToEnd(t *testing.T) {
	t.Parallel()
	h := startMeetings(t)
	guild := kindredtest.GuildID
	const groups = 30
	for i := range groups {
		name := fmt.Sprintf("Circle %02d · ünïcödé 🌱 *markdown* %s", i, strings.Repeat("é", 50))
		name = string([]rune(name)[:50])
		h.Fake.Interact(t, guild, kindredtest.OwnerID, fmt.Sprintf(`/group create name:"%s" description:"d" type:other channel:<#%s>`, name, kindredtest.GeneralID))
		join := h.Fake.Interact(t, guild, kindredtest.AliceID, fmt.Sprintf(`/group join group:"%s"`, name))
		h.Fake.Click(t, guild, kindredtest.AliceID, join.Buttons()[0].CustomID, join.Message)
		if r := h.Fake.Interact(t, guild, kindredtest.AliceID, fmt.Sprintf(`/buddy join group:"%s"`, name)); !strings.Contains(r.Text(), "You're in") {
			t.Fatalf("buddy join %d = %q", i, r.Text())
		}
	}
	status := h.Fake.Interact(t, guild, kindredtest.AliceID, "/buddy status")
	if status.Message == nil || len(status.Message.Embeds) != 1 {
		t.Fatalf("status = %q", status.Text())
	}
	e := status.Message.Embeds[0]
	total := utf8.RuneCountInString(e.Title) + utf8.RuneCountInString(e.Footer.Text)
	for _, f := range e.Fields {
		total += utf8.RuneCountInString(f.Name) + utf8.RuneCountInString(f.Value)
	}
	if len(e.Fields) > 25 || total > 6000 {
		t.Errorf("%d fields, %d characters", len(e.Fields), total)
	}
	last := e.Fields[len(e.Fields)-1]
	if want := fmt.Sprintf("and %d more groups", groups-(len(e.Fields)-1)); !strings.Contains(last.Value, want) {
		t.Errorf("last field %q, want it to say %q", last.Value, want)
	}
}
