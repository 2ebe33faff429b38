package storage_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kindred-bot/kindred/storage"
	"github.com/kindred-bot/kindred/storage/storagetest"
)

// Several processes on one PostgreSQL database, beyond the job queue
// (jobs_pg_test.go): each test opens the database twice, two handles
// standing in for two processes.

const settingsGuild = "710000000000000001"

// waitSettings polls db until its settings for the guild have the
// timezone, failing after a generous while.
func waitSettings(t *testing.T, db *storage.DB, tz, what string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		s, err := db.GuildSettings(context.Background(), settingsGuild)
		if err != nil {
			t.Fatal(err)
		}
		if s.Timezone == tz {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: settings still say timezone %q, want %q", what, s.Timezone, tz)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func setTimezone(t *testing.T, db *storage.DB, tz string) {
	t.Helper()
	if _, err := db.UpdateGuildSettings(context.Background(), settingsGuild, storage.GuildSettingsUpdate{Timezone: &tz}, t0); err != nil {
		t.Fatal(err)
	}
}

func TestPostgresSettingsChangeReachesAnotherProcess(t *testing.T) {
	d := storagetest.Postgres.New(t)
	one, two := d.Open(t), d.Open(t)
	setTimezone(t, one, "Europe/Berlin")
	waitSettings(t, two, "Europe/Berlin", "before any change") // two has them cached now
	for _, tz := range []string{"Asia/Tokyo", "America/Chicago", "Europe/Lisbon"} {
		setTimezone(t, one, tz)
		waitSettings(t, two, tz, "after the other process changed them")
		waitSettings(t, one, tz, "in the process that changed them")
	}
	// And the other way round.
	setTimezone(t, two, "UTC")
	waitSettings(t, one, "UTC", "after the other process changed them")
}

func TestPostgresSettingsCacheDroppedAfterReconnect(t *testing.T) {
	d := storagetest.Postgres.New(t)
	one, two := d.Open(t), d.Open(t)
	ctx := context.Background()
	setTimezone(t, two, "Europe/Berlin") // cached by two, which changed them
	// A change whose news is lost: written without the notification.
	if _, err := storage.RawWrite(one).ExecContext(ctx, `UPDATE guild_settings SET timezone = 'Asia/Tokyo' WHERE guild_id = ?`, settingsGuild); err != nil {
		t.Fatal(err)
	}
	if s, _ := two.GuildSettings(ctx, settingsGuild); s.Timezone != "Europe/Berlin" {
		t.Fatalf("cached timezone %q: the test needs the cache to hold the old settings", s.Timezone)
	}
	// The listening connections drop; after reconnecting, a process
	// cannot know what it missed and forgets its cached settings.
	if _, err := storage.RawWrite(one).ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE 'LISTEN %' AND strpos(query, ?) > 0`,
		storage.SettingsChannel(two)); err != nil {
		t.Fatal(err)
	}
	waitSettings(t, two, "Asia/Tokyo", "after the listener reconnected")
}

func TestPostgresRunExclusiveOnceAtATime(t *testing.T) {
	d := storagetest.Postgres.New(t)
	processes := []*storage.DB{d.Open(t), d.Open(t)}
	const rounds, callersEach = 30, 2
	var inside, overlaps, ran, skipped atomic.Int64
	task := func(context.Context) error {
		if inside.Add(1) > 1 {
			overlaps.Add(1)
		}
		time.Sleep(2 * time.Millisecond)
		inside.Add(-1)
		return nil
	}
	for range rounds {
		var wg sync.WaitGroup
		for _, db := range processes {
			for range callersEach {
				wg.Add(1)
				go func() {
					defer wg.Done()
					ok, err := db.RunExclusive(context.Background(), "prune old records", task)
					if err != nil {
						t.Error(err)
					}
					if ok {
						ran.Add(1)
					} else {
						skipped.Add(1)
					}
				}()
			}
		}
		wg.Wait()
	}
	if n := overlaps.Load(); n != 0 {
		t.Errorf("the task ran in two places at once %d times", n)
	}
	if ran.Load() < rounds || skipped.Load() == 0 {
		t.Errorf("ran %d times, skipped %d: want at least once a round, and some skipped", ran.Load(), skipped.Load())
	}
	// Another name is another lock.
	held := make(chan struct{})
	release := make(chan struct{})
	go processes[0].RunExclusive(context.Background(), "a", func(context.Context) error {
		close(held)
		<-release
		return nil
	})
	<-held
	if ok, err := processes[1].RunExclusive(context.Background(), "b", func(context.Context) error { return nil }); !ok || err != nil {
		t.Errorf("task b while a runs elsewhere: ran %v, %v", ok, err)
	}
	if ok, err := processes[1].RunExclusive(context.Background(), "a", func(context.Context) error { return nil }); ok || err != nil {
		t.Errorf("task a while a runs elsewhere: ran %v, %v; want skipped", ok, err)
	}
	close(release)
}

func TestPostgresRunExclusiveWaitTakesTurns(t *testing.T) {
	d := storagetest.Postgres.New(t)
	processes := []*storage.DB{d.Open(t), d.Open(t)}
	var inside, overlaps, ran atomic.Int64
	var wg sync.WaitGroup
	for _, db := range processes {
		for range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := db.RunExclusiveWait(context.Background(), "sync commands", func(context.Context) error {
					if inside.Add(1) > 1 {
						overlaps.Add(1)
					}
					time.Sleep(5 * time.Millisecond)
					inside.Add(-1)
					ran.Add(1)
					return nil
				})
				if err != nil {
					t.Error(err)
				}
			}()
		}
	}
	wg.Wait()
	if overlaps.Load() != 0 || ran.Load() != 6 {
		t.Errorf("ran %d times (want 6), %d overlapping (want none)", ran.Load(), overlaps.Load())
	}

	// A waiter gives up with its context.
	held := make(chan struct{})
	release := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		processes[0].RunExclusiveWait(context.Background(), "sync commands", func(context.Context) error {
			close(held)
			<-release
			return nil
		})
	}()
	<-held
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err := processes[1].RunExclusiveWait(ctx, "sync commands", func(context.Context) error {
		t.Error("ran while another process held the lock")
		return nil
	})
	if err == nil {
		t.Error("waiting past the context's deadline returned no error")
	}
	close(release)
	<-done
}

func TestRunExclusive(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		boom := errors.New("boom")
		ok, err := db.RunExclusive(context.Background(), "task", func(context.Context) error { return boom })
		if !ok || !errors.Is(err, boom) {
			t.Errorf("RunExclusive = %v, %v; want ran, with the task's error", ok, err)
		}
		if err := db.RunExclusiveWait(context.Background(), "task", func(context.Context) error { return boom }); !errors.Is(err, boom) {
			t.Errorf("RunExclusiveWait = %v; want the task's error", err)
		}
		// The lock is free again.
		if ok, err := db.RunExclusive(context.Background(), "task", func(context.Context) error { return nil }); !ok || err != nil {
			t.Errorf("RunExclusive again = %v, %v", ok, err)
		}
	})
}
