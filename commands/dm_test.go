package commands

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"

	"github.com/kindred-bot/kindred/storage"
)

// DMs queued by earlier versions stored discordgo's numeric button styles;
// they still decode, and new ones store names.
func TestQueuedDMButtonsDecodeOldAndNewStyles(t *testing.T) {
	old := `{"user_id":"200000000000000001","content":"hi","buttons":[{"label":"Going","custom_id":"rsvp:1:2:going","style":3},{"label":"Maybe","custom_id":"rsvp:1:2:maybe","style":2}]}`
	m, err := dmJob.Decode(storage.Job{ID: 1, Kind: dmJob.Kind, Payload: []byte(old)})
	if err != nil {
		t.Fatal(err)
	}
	if m.Buttons[0].Style != ButtonSuccess || m.Buttons[1].Style != ButtonSecondary {
		t.Errorf("old styles decoded as %q, %q", m.Buttons[0].Style, m.Buttons[1].Style)
	}
	if got := dmComponents(m.Buttons)[0].(discordgo.ActionsRow).Components[0].(discordgo.Button).Style; got != discordgo.SuccessButton {
		t.Errorf("sent style %d, want success", got)
	}

	body, err := json.Marshal(DMMessage{UserID: aliceID, Buttons: []DMButton{{Label: "Going", CustomID: "x:1", Style: ButtonSuccess}}})
	if err != nil {
		t.Fatal(err)
	}
	if want := `"style":"success"`; !json.Valid(body) || !strings.Contains(string(body), want) {
		t.Errorf("payload %s, want %s", body, want)
	}
	if _, err := dmJob.Decode(storage.Job{ID: 2, Kind: dmJob.Kind, Payload: []byte(`{"user_id":"1","content":"","buttons":[{"style":9}]}`)}); err == nil {
		t.Error("an unknown numeric style decoded")
	}
}

// A job's nonce is the same on every run and fits Discord's limit.
func TestNonceForIsStableAndShort(t *testing.T) {
	keys := []string{"", "dm:1:2", "dm:1:3", strings.Repeat("long key ", 100)}
	seen := map[string]string{}
	for _, k := range keys {
		n := nonceFor(k)
		if n != nonceFor(k) {
			t.Errorf("nonceFor(%q) changed between calls", k)
		}
		if len(n) > maxNonce {
			t.Errorf("nonceFor(%q) = %q, %d characters; Discord takes %d", k, n, len(n), maxNonce)
		}
		if _, err := strconv.ParseInt(n, 10, 64); err == nil {
			t.Errorf("nonceFor(%q) = %q reads as a number", k, n)
		}
		if other, ok := seen[n]; ok {
			t.Errorf("nonceFor(%q) = nonceFor(%q)", k, other)
		}
		seen[n] = k
	}
}
