package commands_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/kindred-bot/kindred/internal/kindredtest"
	"github.com/kindred-bot/kindred/storage/storagetest"
)

func exportFile(t *testing.T, h *kindredtest.Harness, userID string) (map[string]any, string) {
	t.Helper()
	reply := h.Fake.Interact(t, kindredtest.GuildID, userID, "/mydata export")
	if !reply.Ephemeral() || len(reply.Files) != 1 || reply.Files[0].Name != "kindred-data.json" {
		t.Fatalf("export = %q with %d files", reply.Text(), len(reply.Files))
	}
	var d map[string]any
	if err := json.Unmarshal(reply.Files[0].Data, &d); err != nil {
		t.Fatalf("export is not JSON: %v", err)
	}
	return d, string(reply.Files[0].Data)
}

func listLen(d map[string]any, key string) int {
	l, _ := d[key].([]any)
	return len(l)
}

// A member's life in the bot, exported and then erased through Discord;
// the other member's data stays, the button is theirs alone, and no note
// reaches the log.
func TestMyDataEndToEnd(t *testing.T) {
	t.Parallel()
	storagetest.EachBackend(t, func(t *testing.T, b storagetest.Backend) {
		t.Parallel()
		h := startCheckins(t, b) // "Evening Circle", Alice a member
		guild, alice, bob := kindredtest.GuildID, kindredtest.AliceID, kindredtest.BobID
		const note = "otter-saffron-31"
		h.Fake.Interact(t, "", alice, "/preferences timezone zone:Europe/Berlin")
		h.Fake.Interact(t, guild, alice, `/checkin mood:2 note:"`+note+`"`)
		h.Fake.Interact(t, guild, bob, `/checkin mood:4 note:"`+note+` bob"`)
		h.Fake.Interact(t, guild, alice, "/checkins reminder time:20:00")
		h.Fake.Interact(t, guild, alice, `/buddy join group:"Evening Circle"`)
		h.Fake.Interact(t, guild, alice, "/buddy avoid user:<@"+bob+">")

		d, raw := exportFile(t, h, alice)
		for _, key := range []string{"group_memberships", "checkins", "checkin_reminders", "checkin_runs", "buddy_settings", "buddy_avoids", "pending_messages"} {
			if listLen(d, key) != 1 {
				t.Errorf("%s: %d entries, want 1", key, listLen(d, key))
			}
		}
		if d["format_version"] != float64(1) || d["exported_at"] == "" || !strings.Contains(raw, note) || strings.Contains(raw, note+" bob") {
			t.Errorf("export = %s", raw)
		}

		ask := h.Fake.Interact(t, guild, alice, "/mydata delete")
		if !ask.Ephemeral() || len(ask.Buttons()) != 1 {
			t.Fatalf("confirmation = %q", ask.Text())
		}
		button := ask.Buttons()[0].CustomID
		refused := h.Fake.Click(t, guild, bob, button, ask.Message)
		if !strings.Contains(refused.Text(), "someone else") {
			t.Errorf("Bob's click = %q", refused.Text())
		}
		done := h.Fake.Click(t, guild, alice, button, ask.Message)
		if !strings.Contains(done.Text(), "deleted") || !strings.Contains(done.Text(), "moderation records") {
			t.Errorf("delete = %q", done.Text())
		}
		// A second export waits out the first one's cool-down.
		h.Clock.Set(time.Now().Add(time.Minute))
		d, raw = exportFile(t, h, alice)
		for _, key := range []string{"group_memberships", "checkins", "checkin_reminders", "checkin_runs", "buddy_settings", "buddy_avoids", "pending_messages"} {
			if listLen(d, key) != 0 {
				t.Errorf("after delete, %s still has %d entries", key, listLen(d, key))
			}
		}
		if d["preferences"] != nil || strings.Contains(raw, note) {
			t.Errorf("after delete, export = %s", raw)
		}
		if _, braw := exportFile(t, h, bob); !strings.Contains(braw, note+" bob") {
			t.Error("Bob's check-in went with Alice's data")
		}
		if strings.Contains(h.Logs.String(), note) {
			t.Error("a note appeared in the log")
		}
	})
}
