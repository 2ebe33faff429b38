package discordsim_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/kindred-bot/kindred/internal/discordsim"
)

// post creates a message in #general from a raw body, as a bot that sets
// fields discordgo's MessageSend lacks does.
func post(t *testing.T, b *bot, body map[string]any) (*discordgo.Message, error) {
	t.Helper()
	endpoint := discordgo.EndpointChannelMessages(generalID)
	resp, err := b.dg.RequestWithBucketID("POST", endpoint, body, endpoint)
	if err != nil {
		return nil, err
	}
	var m discordgo.Message
	if err := discordgo.Unmarshal(resp, &m); err != nil {
		t.Fatalf("decode message: %v", err)
	}
	return &m, nil
}

// With enforce_nonce, a second post with the same nonce returns the first
// message: one message, one MESSAGE_CREATE.
func TestEnforcedNonceReturnsTheFirstMessage(t *testing.T) {
	b := startBot(t, discordsim.Options{})
	var (
		mu      sync.Mutex
		created = map[string]int{}
	)
	b.dg.AddHandler(func(_ *discordgo.Session, m *discordgo.MessageCreate) {
		mu.Lock()
		defer mu.Unlock()
		created[m.Content]++
	})

	first, err := post(t, b, map[string]any{"content": "reminder", "nonce": "k-reminder-1", "enforce_nonce": true})
	if err != nil {
		t.Fatalf("first post: %v", err)
	}
	again, err := post(t, b, map[string]any{"content": "reminder, late", "nonce": "k-reminder-1", "enforce_nonce": true})
	if err != nil {
		t.Fatalf("second post: %v", err)
	}
	if again.ID != first.ID || again.Content != "reminder" {
		t.Errorf("second post returned %s %q, want the first message %s %q", again.ID, again.Content, first.ID, first.Content)
	}
	// An integer nonce is a nonce too.
	n1, err := post(t, b, map[string]any{"content": "numbered", "nonce": 1234567, "enforce_nonce": true})
	if err != nil {
		t.Fatalf("integer nonce: %v", err)
	}
	if n2, err := post(t, b, map[string]any{"content": "numbered", "nonce": 1234567, "enforce_nonce": true}); err != nil || n2.ID != n1.ID {
		t.Errorf("integer nonce again = %v, %v; want message %s", n2, err, n1.ID)
	}
	if got := len(b.fake.Messages(generalID)); got != 2 {
		t.Errorf("%d messages in #general, want 2", got)
	}

	// Events arrive in order: once the marker's is in, the others are too.
	if _, err := post(t, b, map[string]any{"content": "marker"}); err != nil {
		t.Fatalf("marker: %v", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		seen := created["marker"]
		reminders := created["reminder"] + created["reminder, late"]
		mu.Unlock()
		if seen > 0 {
			if reminders != 1 {
				t.Errorf("%d MESSAGE_CREATE events for the reminder, want 1", reminders)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no MESSAGE_CREATE for the marker within 5 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Without enforce_nonce the nonce is only carried: both posts create a
// message.
func TestNonceWithoutEnforceCreatesEachTime(t *testing.T) {
	b := startBot(t, discordsim.Options{})
	first, err := post(t, b, map[string]any{"content": "hello", "nonce": "same"})
	if err != nil {
		t.Fatal(err)
	}
	second, err := post(t, b, map[string]any{"content": "hello", "nonce": "same"})
	if err != nil {
		t.Fatal(err)
	}
	if first.ID == second.ID {
		t.Error("a nonce without enforce_nonce returned the earlier message")
	}
	if got := len(b.fake.Messages(generalID)); got != 2 {
		t.Errorf("%d messages, want 2", got)
	}
}

// A nonce finds its message for a few minutes of the world's clock; a
// deleted message is not returned.
func TestEnforcedNonceWindow(t *testing.T) {
	var (
		mu  sync.Mutex
		now = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	b := startBot(t, discordsim.Options{Now: clock})
	body := map[string]any{"content": "hi", "nonce": "window", "enforce_nonce": true}
	first, err := post(t, b, body)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	now = now.Add(4 * time.Minute)
	mu.Unlock()
	if m, err := post(t, b, body); err != nil || m.ID != first.ID {
		t.Errorf("4 minutes on: %v, %v; want the first message", m, err)
	}
	mu.Lock()
	now = now.Add(2 * time.Minute)
	mu.Unlock()
	later, err := post(t, b, body)
	if err != nil {
		t.Fatal(err)
	}
	if later.ID == first.ID {
		t.Error("6 minutes on, the nonce still returned the first message")
	}
	if err := b.dg.ChannelMessageDelete(generalID, later.ID); err != nil {
		t.Fatal(err)
	}
	if m, err := post(t, b, body); err != nil || m.ID == later.ID {
		t.Errorf("after the message was deleted: %v, %v; want a new message", m, err)
	}
}

// Discord refuses a nonce longer than 25 characters.
func TestNonceTooLong(t *testing.T) {
	b := startBot(t, discordsim.Options{})
	_, err := post(t, b, map[string]any{"content": "hi", "nonce": strings.Repeat("n", 26), "enforce_nonce": true})
	if !errorAt(err, "nonce") {
		t.Errorf("26-character nonce: %v, want 400 50035 at nonce", err)
	}
	if _, err := post(t, b, map[string]any{"content": "hi", "nonce": strings.Repeat("n", 25), "enforce_nonce": true}); err != nil {
		t.Errorf("25-character nonce refused: %v", err)
	}
	if got := len(b.fake.Messages(generalID)); got != 1 {
		t.Errorf("%d messages, want only the one with a valid nonce", got)
	}
}

// Listing a channel's messages needs Read Message History: without it
// Discord answers an empty list, not an error.
func TestListMessagesWithoutHistoryIsEmpty(t *testing.T) {
	b := startBot(t, discordsim.Options{})
	b.fake.UserMessage(generalID, aliceID, "hello")
	msgs, err := b.dg.ChannelMessages(generalID, 10, "", "", "")
	if err != nil || len(msgs) != 1 || msgs[0].Author.ID != aliceID {
		t.Fatalf("with Read Message History: %v, %v", msgs, err)
	}
	without := discordsim.DefaultEveryonePermissions &^ discordgo.PermissionReadMessageHistory
	b.fake.SetRole(guildID, discordsim.Role{ID: guildID, Name: "@everyone", Permissions: without})
	b.fake.SetRole(guildID, discordsim.Role{ID: b.fake.BotRoleID(guildID), Name: "Kindred", Permissions: discordsim.BotPermissions &^ discordgo.PermissionReadMessageHistory,
		Position: discordsim.BotRolePosition, Managed: true})
	msgs, err = b.dg.ChannelMessages(generalID, 10, "", "", "")
	if err != nil || len(msgs) != 0 {
		t.Errorf("without Read Message History: %d messages, %v; want none and no error", len(msgs), err)
	}
}
