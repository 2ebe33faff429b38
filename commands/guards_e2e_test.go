package commands_test

import (
	"strings"
	"testing"

	"github.com/kindred-bot/kindred/internal/kindredtest"
	"github.com/kindred-bot/kindred/storage/storagetest"
)

// Through Discord: a crafted mood button, pressed in a DM by a member the
// server never prompted, records nothing and gets the expired-button
// answer.
func TestCraftedButtonsEndToEnd(t *testing.T) {
	t.Parallel()
	h := startCheckins(t, storagetest.SQLite)
	reply := h.Fake.Click(t, "", kindredtest.AliceID, "checkin:mood:"+kindredtest.GuildID+":1", nil)
	if !reply.Ephemeral() || !strings.Contains(reply.Text(), "no longer works") {
		t.Errorf("crafted mood button by DM: %q (ephemeral %v)", reply.Text(), reply.Ephemeral())
	}
	history := h.Fake.Interact(t, kindredtest.GuildID, kindredtest.AliceID, "/checkins history")
	if !strings.Contains(history.Text(), "No check-ins") {
		t.Errorf("history after a crafted press: %q", history.Text())
	}
}

// Through Discord: a summary of a group where one member checked in is not
// shown, privately, and says why without a count; a member who is not a
// facilitator can't ask at all.
func TestSummaryOfFewMembersEndToEnd(t *testing.T) {
	t.Parallel()
	h := startCheckins(t, storagetest.SQLite)
	h.Fake.Interact(t, kindredtest.GuildID, kindredtest.AliceID, `/checkin mood:1 note:"rough week"`)
	reply := h.Fake.Interact(t, kindredtest.GuildID, kindredtest.OwnerID, `/checkins summary group:"Evening Circle" days:7`)
	if !reply.Ephemeral() || !strings.Contains(reply.Text(), "Not shown") || strings.Contains(reply.Text(), "Struggling") {
		t.Errorf("summary of one member: %q (ephemeral %v)", reply.Text(), reply.Ephemeral())
	}
	asked := h.Fake.Interact(t, kindredtest.GuildID, kindredtest.AliceID, `/checkins summary group:"Evening Circle"`)
	if !asked.Ephemeral() || !strings.Contains(asked.Text(), "Only facilitators") {
		t.Errorf("a member asking for a summary: %q", asked.Text())
	}
}
