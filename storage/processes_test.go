package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/kindred-bot/kindred/storage"
	"github.com/kindred-bot/kindred/storage/storagetest"
)

func heartbeat(t *testing.T, db *storage.DB, id string, now time.Time, want int) {
	t.Helper()
	live, err := db.Heartbeat(context.Background(), id, now)
	if err != nil {
		t.Fatal(err)
	}
	if live != want {
		t.Fatalf("heartbeat of %s at %v: %d live, want %d", id, now.Format(time.TimeOnly), live, want)
	}
}

func TestHeartbeatCountsLiveProcesses(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		heartbeat(t, db, "a", t0, 1)
		heartbeat(t, db, "a", t0.Add(time.Second), 1) // its own row again, not a second one
		heartbeat(t, db, "b", t0.Add(2*time.Second), 2)
		heartbeat(t, db, "c", t0.Add(3*time.Second), 3)
		heartbeat(t, db, "a", t0.Add(4*time.Second), 3)
		if _, err := db.Heartbeat(context.Background(), "", t0); err == nil {
			t.Error("a heartbeat without a process id was taken")
		}
	})
}

func TestHeartbeatExpiresSilentProcesses(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		heartbeat(t, db, "a", t0, 1)
		heartbeat(t, db, "b", t0, 2)
		// b goes quiet; a keeps beating. b counts until ProcessTTL has passed.
		heartbeat(t, db, "a", t0.Add(storage.ProcessTTL), 2)
		heartbeat(t, db, "a", t0.Add(storage.ProcessTTL+time.Millisecond), 1)
		// b comes back (a pause, not a death): it counts again.
		heartbeat(t, db, "b", t0.Add(storage.ProcessTTL+time.Second), 2)
		// A process whose own clock is behind never deletes itself.
		heartbeat(t, db, "c", t0.Add(-time.Hour), 3)
	})
}

func TestLeave(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		heartbeat(t, db, "a", t0, 1)
		heartbeat(t, db, "b", t0, 2)
		if err := db.Leave(ctx, "b"); err != nil {
			t.Fatal(err)
		}
		heartbeat(t, db, "a", t0.Add(time.Second), 1)
		if err := db.Leave(ctx, "b"); err != nil { // again: nothing to delete
			t.Fatal(err)
		}
		if err := db.Leave(ctx, "a"); err != nil {
			t.Fatal(err)
		}
		heartbeat(t, db, "b", t0.Add(2*time.Second), 1)
	})
}

// Two processes on one PostgreSQL database see each other.
func TestPostgresHeartbeatAcrossProcesses(t *testing.T) {
	d := storagetest.Postgres.New(t)
	one, two := d.Open(t), d.Open(t)
	heartbeat(t, one, "one", t0, 1)
	heartbeat(t, two, "two", t0, 2)
	heartbeat(t, one, "one", t0.Add(time.Second), 2)
	if err := two.Leave(context.Background(), "two"); err != nil {
		t.Fatal(err)
	}
	heartbeat(t, one, "one", t0.Add(2*time.Second), 1)
}
