package commands

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/kindred-bot/kindred/storage"
)

func deleteButton(t *testing.T, r *Response) string {
	t.Helper()
	for _, row := range r.Components {
		for _, c := range row.(discordgo.ActionsRow).Components {
			if b, ok := c.(discordgo.Button); ok && b.Label == "Delete my data" {
				return b.CustomID
			}
		}
	}
	t.Fatalf("no Delete my data button in %q", r.Content)
	return ""
}

func click(userID, customID string) *Request {
	return &Request{Type: ComponentInteraction, Route: customID, GuildID: guildID, UserID: userID}
}

func exportOf(t *testing.T, env Env, userID string) (storage.MemberData, string) {
	t.Helper()
	resp := mustCall(t, env, asMember(userID, "mydata/export"))
	if !resp.Ephemeral || len(resp.Files) != 1 || resp.Files[0].Name != "kindred-data.json" || resp.Files[0].ContentType != "application/json" {
		t.Fatalf("export = %+v", resp)
	}
	body, err := io.ReadAll(resp.Files[0].Reader)
	if err != nil {
		t.Fatal(err)
	}
	var d storage.MemberData
	if err := json.Unmarshal(body, &d); err != nil {
		t.Fatalf("export is not JSON: %v", err)
	}
	return d, string(body)
}

func TestMyDataDeleteConfirmation(t *testing.T) {
	var logs bytes.Buffer
	env := testEnv(t)
	env.Log = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	now := t0
	env.Now = func() time.Time { return now }
	ctx := context.Background()
	const note = "lighthouse-pumpkin-9"
	for _, u := range []string{aliceID, bobID} {
		if _, err := env.DB.RecordCheckin(ctx, storage.Checkin{GuildID: guildID, UserID: u, Mood: 3, Note: note, LocalDate: "2026-11-25", At: t0}); err != nil {
			t.Fatal(err)
		}
	}

	ask := mustCall(t, env, asMember(aliceID, "mydata/delete"))
	if !ask.Ephemeral || !strings.Contains(ask.Content, "moderation records") {
		t.Errorf("confirmation = %q", ask.Content)
	}
	button := deleteButton(t, ask)
	if want := "mydata:delete:" + aliceID + ":"; !strings.HasPrefix(button, want) {
		t.Errorf("button id %q, want it to start with %q", button, want)
	}

	// Bob can't press Alice's button.
	_, err := call(t, env, click(bobID, button))
	wantUserError(t, err, "someone else")
	if n := countCheckins(t, env, aliceID); n != 1 {
		t.Errorf("Bob's click erased Alice's data: %d check-ins left", n)
	}

	// After five minutes the button is refused.
	now = t0.Add(myDataConfirmWindow + time.Second)
	expired := mustCall(t, env, click(aliceID, button))
	if !expired.Update || !strings.Contains(expired.Content, "expired") || len(expired.Components) != 0 {
		t.Errorf("expired click = %+v", expired)
	}
	if n := countCheckins(t, env, aliceID); n != 1 {
		t.Errorf("an expired click erased data: %d check-ins left", n)
	}

	// In time, it erases Alice's data only, and says what was kept.
	now = t0
	done := mustCall(t, env, click(aliceID, deleteButton(t, mustCall(t, env, asMember(aliceID, "mydata/delete")))))
	if !done.Update || !strings.Contains(done.Content, "1 check-in") || !strings.Contains(done.Content, "warnings and reports") || len(done.Components) != 0 {
		t.Errorf("result = %+v", done)
	}
	if a, b := countCheckins(t, env, aliceID), countCheckins(t, env, bobID); a != 0 || b != 1 {
		t.Errorf("check-ins left: Alice %d, Bob %d; want 0 and 1", a, b)
	}
	// Twice is harmless.
	again := mustCall(t, env, click(aliceID, deleteButton(t, mustCall(t, env, asMember(aliceID, "mydata/delete")))))
	if !strings.Contains(again.Content, "nothing left") {
		t.Errorf("second delete = %q", again.Content)
	}
	d, _ := exportOf(t, env, aliceID)
	if len(d.Checkins) != 0 {
		t.Errorf("export after delete = %+v", d.Checkins)
	}
	if _, raw := exportOf(t, env, bobID); !strings.Contains(raw, note) {
		t.Error("Bob's export lacks his note")
	}
	if strings.Contains(logs.String(), note) {
		t.Errorf("a note reached the log:\n%s", logs.String())
	}
}

func TestMyDataDeleteRefusesBadButtons(t *testing.T) {
	env := testEnv(t)
	for _, id := range []string{"mydata:delete:", "mydata:delete:" + aliceID, "mydata:delete:" + aliceID + ":soon"} {
		_, err := call(t, env, click(aliceID, id))
		wantUserError(t, err, "/mydata delete")
	}
}
