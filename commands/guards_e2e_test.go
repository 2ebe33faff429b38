package commands_test

import (
	"strings"
	"testing"

	"github.com/kindred-bot/kindred/internal/kindredtest"
)

// Through Discord: a crafted mood button, pressed in a DM by a member the
// server never prompted, records nothing and gets the expired-button
// answer.
func TestCraftedButtonsEndToEnd(t *testing.T) {
	t.Parallel()
	h := startCheckins(t)
	reply := h.Fake.Click(t, "", kindredtest.AliceID, "checkin:mood:"+kindredtest.GuildID+":1", nil)
	if !reply.Ephemeral() || !strings.Contains(reply.Text(), "no longer works") {
		t.Errorf("crafted mood button by DM: %q (ephemeral %v)", reply.Text(), reply.Ephemeral())
	}
	history := h.Fake.Interact(t, kindredtest.GuildID, kindredtest.AliceID, "/checkins history")
	if !strings.Contains(history.Text(), "No check-ins") {
		t.Errorf("history after a crafted press: %q", history.Text())
	}
}
