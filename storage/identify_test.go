package storage_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/kindred-bot/kindred/storage"
	"github.com/kindred-bot/kindred/storage/storagetest"
)

// turnInterval stands for Discord's 5 seconds, short enough to wait out.
const turnInterval = 400 * time.Millisecond

// span is when one identify ran.
type span struct{ start, end time.Time }

// identifyTimed takes db's turn of key and notes when the identify ran.
func identifyTimed(t *testing.T, db *storage.DB, key int) span {
	t.Helper()
	var s span
	err := db.IdentifyTurn(context.Background(), key, turnInterval, func(context.Context) error {
		s.start = time.Now()
		time.Sleep(20 * time.Millisecond) // the IDENTIFY up to READY
		s.end = time.Now()
		return nil
	})
	if err != nil {
		t.Error(err) // not Fatal: the two-process test calls this on goroutines of its own
	}
	return s
}

// Identifies of one key follow each other the interval apart; another
// key does not wait for them.
func TestIdentifyTurnSpacesOneKey(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		first := identifyTimed(t, db, 0)
		other := identifyTimed(t, db, 1)
		if wait := other.start.Sub(first.end); wait > turnInterval/2 {
			t.Errorf("key 1 waited %v after key 0's identify: keys are independent", wait)
		}
		second := identifyTimed(t, db, 0)
		if gap := second.start.Sub(first.end); gap < turnInterval {
			t.Errorf("key 0 identified again %v after its last identify ended, want at least %v", gap, turnInterval)
		}
	})
}

// The identify's error is the turn's; a caller that gives up while
// waiting does not identify.
func TestIdentifyTurnErrorsAndCancel(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		boom := errors.New("gateway refused")
		err := db.IdentifyTurn(context.Background(), 0, turnInterval, func(context.Context) error { return boom })
		if !errors.Is(err, boom) {
			t.Fatalf("IdentifyTurn = %v, want the identify's error", err)
		}
		// The failed identify still counts: the next waits for it.
		ctx, cancel := context.WithTimeout(context.Background(), turnInterval/4)
		defer cancel()
		ran := false
		err = db.IdentifyTurn(ctx, 0, turnInterval, func(context.Context) error { ran = true; return nil })
		if ran || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("IdentifyTurn given up while waiting = %v, identify ran %v; want the deadline and no identify", err, ran)
		}
		// The turn is free again afterwards.
		identifyTimed(t, db, 0)
	})
}

// Two processes on one PostgreSQL database start their shards of key 0
// at the same moment: they identify one at a time, the interval apart,
// and the waiting one is not left waiting long after it.
func TestPostgresIdentifyTurnAcrossProcesses(t *testing.T) {
	d := storagetest.Postgres.New(t)
	processes := []*storage.DB{d.Open(t), d.Open(t)}
	for round := range 2 {
		spans := make([]span, len(processes))
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, db := range processes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				spans[i] = identifyTimed(t, db, 0)
			}()
		}
		begun := time.Now()
		close(start)
		wg.Wait()
		a, b := spans[0], spans[1]
		if b.start.Before(a.start) {
			a, b = b, a
		}
		if gap := b.start.Sub(a.end); gap < turnInterval {
			t.Errorf("round %d: the second process identified %v after the first ended, want at least %v", round, gap, turnInterval)
		}
		if took := b.end.Sub(begun); round == 0 && took > 3*turnInterval {
			t.Errorf("round %d: both identified only after %v", round, took)
		}
	}
	// Another key of the same processes does not wait for key 0.
	last := identifyTimed(t, processes[0], 0)
	other := identifyTimed(t, processes[1], 1)
	if wait := other.start.Sub(last.end); wait > turnInterval/2 {
		t.Errorf("key 1 waited %v after key 0's identify: keys are independent", wait)
	}
}
