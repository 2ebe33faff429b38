package scheduler

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kindred-bot/kindred/storage"
	"github.com/kindred-bot/kindred/storage/storagetest"
)

type notePayload struct {
	GuildID string `json:"guild_id"`
	UserID  string `json:"user_id"`
	Text    string `json:"text"`
	StartAt int64  `json:"start_at,omitempty"`
}

var noteJob = JobDef[notePayload]{
	Kind:  "test.note",
	Key:   func(p notePayload, at time.Time) string { return fmt.Sprintf("note:%s:%d", p.UserID, at.Unix()) },
	Guild: func(p notePayload) string { return p.GuildID },
	User:  func(p notePayload) string { return p.UserID },
}

// New fills in everything the definition knows, so a producer only gives
// the payload and the time.
func TestJobDefNewFillsKindKeyServerAndMember(t *testing.T) {
	j := noteJob.New(notePayload{GuildID: "1", UserID: "2", Text: "hi"}, t0)
	want := storage.NewJob{Kind: "test.note", GuildID: "1", UserID: "2", DedupeKey: fmt.Sprintf("note:2:%d", t0.Unix()), RunAt: t0,
		Payload: notePayload{GuildID: "1", UserID: "2", Text: "hi"}}
	if fmt.Sprint(j) != fmt.Sprint(want) {
		t.Errorf("New = %+v, want %+v", j, want)
	}
}

// The consumer gets the payload its producer enqueued, decoded.
func TestJobDefRunnerDecodes(t *testing.T) {
	db := storagetest.Open(t)
	s, _ := newScheduler(t, db, Options{})
	var got notePayload
	s.Register(noteJob.Kind, noteJob.Runner(func(ctx context.Context, job storage.Job, p notePayload) ([]storage.NewJob, error) {
		got = p
		return nil, nil
	}))
	enqueue(t, db, noteJob.New(notePayload{GuildID: "1", UserID: "2", Text: "hi"}, t0))
	runDue(t, s, t0)
	if got.Text != "hi" || got.UserID != "2" {
		t.Errorf("handler got %+v", got)
	}
}

// A payload that doesn't decode into the kind's type is failed at once
// with the decode error kept: retrying can't mend it, and no default
// payload ever reaches the handler.
func TestJobDefUndecodablePayloadFailsAtOnce(t *testing.T) {
	for name, payload := range map[string]any{
		"wrong type":    map[string]any{"user_id": 7},
		"unknown field": map[string]any{"user_id": "2", "surprise": true},
		"not an object": "hello",
	} {
		t.Run(name, func(t *testing.T) {
			db := storagetest.Open(t)
			s, _ := newScheduler(t, db, Options{})
			called := false
			stale := false
			s.Register(noteJob.Kind, noteJob.StaleRunner(func(ctx context.Context, job storage.Job, p notePayload) ([]storage.NewJob, error) {
				called = true
				return nil, nil
			}, func(p notePayload, now time.Time) bool {
				stale = true
				return true
			}, nil))
			enqueue(t, db, storage.NewJob{Kind: noteJob.Kind, DedupeKey: "note:bad", RunAt: t0, Payload: payload})
			runDue(t, s, t0)
			if called || stale {
				t.Errorf("handler called %v, stale rule called %v, for a payload that doesn't decode", called, stale)
			}
			failed := failedJobs(t, db)
			if len(failed) != 1 || failed[0].Attempts != 1 || !strings.Contains(failed[0].LastError, "payload") {
				t.Fatalf("failed jobs = %+v, want the job failed on its first attempt with the decode error", failed)
			}
		})
	}
}

// Decode refuses a job of another kind: a definition never reads another
// kind's payload as its own.
func TestJobDefDecodeChecksTheKind(t *testing.T) {
	if _, err := noteJob.Decode(storage.Job{ID: 1, Kind: "dm", Payload: []byte(`{"user_id":"2"}`)}); err == nil {
		t.Error("decoded a dm job as a note")
	}
}

// The stale rule sees the decoded payload.
func TestJobDefStaleRunnerUsesThePayload(t *testing.T) {
	db := storagetest.Open(t)
	s, logs := newScheduler(t, db, Options{})
	ran := 0
	s.Register(noteJob.Kind, noteJob.StaleRunner(func(ctx context.Context, job storage.Job, p notePayload) ([]storage.NewJob, error) {
		ran++
		return nil, nil
	}, func(p notePayload, now time.Time) bool { return !now.Before(time.Unix(p.StartAt, 0)) }, nil))
	enqueue(t, db,
		noteJob.New(notePayload{UserID: "late", StartAt: t0.Add(-time.Minute).Unix()}, t0),
		noteJob.New(notePayload{UserID: "soon", StartAt: t0.Add(time.Hour).Unix()}, t0))
	runDue(t, s, t0)
	if ran != 1 || !strings.Contains(logs.String(), "stale") {
		t.Errorf("ran %d, want only the job that isn't stale; log:\n%s", ran, logs)
	}
}
