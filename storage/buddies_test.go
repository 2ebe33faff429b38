package storage_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kindred-bot/kindred/storage"
	"github.com/kindred-bot/kindred/storage/storagetest"
)

func TestPairingOptInPauseAndAvoid(t *testing.T) { storagetest.Each(t, testPairingOptInPauseAndAvoid) }

func testPairingOptInPauseAndAvoid(t *testing.T, db *storage.DB) {
	ctx := context.Background()
	g := mustCreateGroup(t, db, newGroup("Buddies"))
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for _, u := range []string{"u1", "u2", "u3"} {
		if err := db.JoinGroup(ctx, g.ID, u, now); err != nil {
			t.Fatal(err)
		}
	}
	if rejoined, err := db.JoinPairing(ctx, g.ID, "u1", now); err != nil || rejoined {
		t.Fatalf("join = %v, %v", rejoined, err)
	}
	if _, err := db.JoinPairing(ctx, g.ID, "u2", now); err != nil {
		t.Fatal(err)
	}
	// Opted in but no longer a group member: left out of rounds.
	if _, err := db.JoinPairing(ctx, g.ID, "gone", now); err != nil {
		t.Fatal(err)
	}
	ms, err := db.PairingMembers(ctx, g.ID)
	if err != nil || len(ms) != 2 {
		t.Fatalf("pairing members = %+v, %v; want u1 and u2", ms, err)
	}
	if n, err := db.PausePairing(ctx, g.GuildID, "u1", now.Add(14*24*time.Hour)); err != nil || n != 1 {
		t.Fatalf("pause = %d, %v", n, err)
	}
	mine, err := db.BuddyMemberships(ctx, g.GuildID, "u1")
	if err != nil || len(mine) != 1 || !mine[0].Paused(now) || mine[0].Paused(now.Add(15*24*time.Hour)) {
		t.Fatalf("memberships = %+v, %v; want paused for two weeks", mine, err)
	}
	if rejoined, err := db.JoinPairing(ctx, g.ID, "u1", now); err != nil || !rejoined {
		t.Fatalf("rejoin = %v, %v", rejoined, err)
	}
	if mine, _ = db.BuddyMemberships(ctx, g.GuildID, "u1"); mine[0].Paused(now) {
		t.Error("joining again should end the pause")
	}
	if err := db.LeavePairing(ctx, g.ID, "u3"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("leave without joining = %v, want ErrNotFound", err)
	}

	if added, err := db.AddAvoid(ctx, g.GuildID, "u1", "u2", now); err != nil || !added {
		t.Fatalf("avoid = %v, %v", added, err)
	}
	if added, _ := db.AddAvoid(ctx, g.GuildID, "u1", "u2", now); added {
		t.Error("a second avoid of the same person adds nothing")
	}
	avoids, err := db.Avoids(ctx, g.GuildID)
	if err != nil || len(avoids) != 1 || avoids[0] != [2]string{"u1", "u2"} {
		t.Fatalf("avoids = %v, %v", avoids, err)
	}
	if removed, err := db.RemoveAvoid(ctx, g.GuildID, "u1", "u2"); err != nil || !removed {
		t.Fatalf("unavoid = %v, %v", removed, err)
	}
}

func TestRecordRoundWithJobsAnswersAndStats(t *testing.T) {
	storagetest.Each(t, testRecordRoundWithJobsAnswersAndStats)
}

func testRecordRoundWithJobsAnswersAndStats(t *testing.T, db *storage.DB) {
	ctx := context.Background()
	g := mustCreateGroup(t, db, newGroup("Buddies"))
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for _, u := range []string{"a", "b", "c", "d", "e"} {
		if _, err := db.JoinPairing(ctx, g.ID, u, now); err != nil {
			t.Fatal(err)
		}
	}
	key := storage.PairingRoundJobPrefix(g.ID) + "1796205600"
	round, err := db.RecordRound(ctx, storage.NewRound{
		GroupID: g.ID, JobKey: key, At: now, Groups: [][]string{{"a", "b"}, {"c", "d", "e"}}, Prompts: []int{1, 2}, Pause: []string{"e"},
	}, func(r storage.Round) []storage.NewJob {
		var jobs []storage.NewJob
		for _, p := range r.Pairings {
			jobs = append(jobs, storage.NewJob{Kind: "pairing.followup", GuildID: g.GuildID, RunAt: now.Add(72 * time.Hour),
				DedupeKey: storage.GroupJobPrefix(g.ID) + "pairing:followup:" + p.Members[0]})
		}
		return jobs
	})
	if err != nil {
		t.Fatal(err)
	}
	if round.Number != 1 || len(round.Pairings) != 2 || round.Pairings[1].Prompt != 2 {
		t.Fatalf("round = %+v", round)
	}
	if _, err := db.RecordRound(ctx, storage.NewRound{GroupID: g.ID, JobKey: key, At: now, Groups: [][]string{{"a", "b"}}, Prompts: []int{0}}, nil); !errors.Is(err, storage.ErrConflict) {
		t.Errorf("a second round from the same job = %v, want ErrConflict", err)
	}
	jobs, err := db.ClaimDueJobs(ctx, now.Add(72*time.Hour), time.Minute, 10)
	if err != nil || len(jobs) != 2 {
		t.Fatalf("follow-up jobs = %d, %v; want 2, committed with the round", len(jobs), err)
	}
	if ms, _ := db.BuddyMemberships(ctx, g.GuildID, "e"); len(ms) != 1 || !ms[0].PausedOpen {
		t.Errorf("e should be paused open-ended: %+v", ms)
	}
	again, err := db.RoundByJobKey(ctx, key)
	if err != nil || again.ID != round.ID || len(again.Pairings) != 2 {
		t.Fatalf("round by job key = %+v, %v", again, err)
	}

	pair := round.Pairings[0]
	if err := db.SetPairingThread(ctx, pair.ID, "thread-1"); err != nil {
		t.Fatal(err)
	}
	if err := db.AnswerFollowup(ctx, pair.ID, "c", storage.AnswerTalked, now); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("answer from outside the pair = %v, want ErrNotFound", err)
	}
	if err := db.AnswerFollowup(ctx, pair.ID, "a", storage.AnswerTalked, now); err != nil {
		t.Fatal(err)
	}
	if err := db.AnswerFollowup(ctx, round.Pairings[1].ID, "c", storage.AnswerNotYet, now); err != nil {
		t.Fatal(err)
	}
	got, err := db.Pairing(ctx, pair.ID)
	if err != nil || got.ThreadID != "thread-1" || !got.Talked() || got.Answers["b"] != "" {
		t.Fatalf("pairing = %+v, %v", got, err)
	}
	cur, err := db.CurrentPairings(ctx, g.ID, "b")
	if err != nil || len(cur) != 1 || cur[0].ID != pair.ID {
		t.Fatalf("current pairings of b = %+v, %v", cur, err)
	}
	stats, err := db.PairingStatsOf(ctx, g.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := (storage.PairingStats{Rounds: 1, Participants: 5, Pairs: 2, Talked: 1}); stats != want {
		t.Errorf("stats = %+v, want %+v", stats, want)
	}
	history, err := db.PairingHistory(ctx, g.ID)
	if err != nil || len(history) != 2 || len(history[1].Members) != 3 {
		t.Errorf("history = %+v, %v", history, err)
	}
}

func TestConfigurePairingReplacesQueuedRound(t *testing.T) {
	storagetest.Each(t, testConfigurePairingReplacesQueuedRound)
}

func testConfigurePairingReplacesQueuedRound(t *testing.T, db *storage.DB) {
	ctx := context.Background()
	g := mustCreateGroup(t, db, newGroup("Buddies"))
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	job := func(at time.Time) storage.NewJob {
		return storage.NewJob{Kind: "pairing.round", GuildID: g.GuildID, RunAt: at, DedupeKey: storage.PairingRoundJobPrefix(g.ID) + at.Format("20060102")}
	}
	s := storage.PairingSettings{GroupID: g.ID, Recurrence: "x", Size: 2, FollowupDays: 3, UpdatedBy: "f", UpdatedAt: now}
	if err := db.ConfigurePairing(ctx, s, job(now.Add(24*time.Hour))); err != nil {
		t.Fatal(err)
	}
	s.Size = 3
	if err := db.ConfigurePairing(ctx, s, job(now.Add(48*time.Hour))); err != nil {
		t.Fatal(err)
	}
	got, err := db.PairingSettingsOf(ctx, g.ID)
	if err != nil || got.Size != 3 {
		t.Fatalf("settings = %+v, %v", got, err)
	}
	jobs, err := db.ClaimDueJobs(ctx, now.Add(72*time.Hour), time.Minute, 10)
	if err != nil || len(jobs) != 1 || !jobs[0].RunAt.Equal(now.Add(48*time.Hour)) {
		t.Fatalf("queued rounds = %+v, %v; want only the new one", jobs, err)
	}
	if _, err := db.PairingSettingsOf(ctx, g.ID+1); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("unconfigured group = %v, want ErrNotFound", err)
	}
}
