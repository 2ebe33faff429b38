package storage_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/kindred-bot/kindred/storage"
	"github.com/kindred-bot/kindred/storage/storagetest"
)

// The job queue shared by several processes on one PostgreSQL database:
// each test opens the database twice, two handles standing in for two
// processes.

func TestPostgresProcessesClaimEachJobOnce(t *testing.T) {
	d := storagetest.Postgres.New(t)
	processes := []*storage.DB{d.Open(t), d.Open(t)}
	ctx := context.Background()
	const jobs, workersEach = 2000, 4
	due := make([]storage.NewJob, jobs)
	for i := range due {
		due[i] = job(fmt.Sprintf("due:%04d", i), t0.Add(-time.Duration(i)*time.Second))
	}
	if n, err := processes[0].EnqueueMany(ctx, due); err != nil || n != jobs {
		t.Fatalf("EnqueueMany = %d, %v", n, err)
	}

	var mu sync.Mutex
	claims := map[int64]int{} // job id → times claimed
	var wg sync.WaitGroup
	errs := make(chan error, len(processes)*workersEach)
	for _, db := range processes {
		for range workersEach {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					got, err := db.ClaimDueJobs(ctx, t0, lease, 7)
					if err != nil {
						errs <- err
						return
					}
					if len(got) == 0 {
						return
					}
					mu.Lock()
					for _, j := range got {
						claims[j.ID]++
					}
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("claim: %v", err)
	}
	if len(claims) != jobs {
		t.Errorf("%d jobs claimed, want all %d", len(claims), jobs)
	}
	for id, n := range claims {
		if n != 1 {
			t.Errorf("job %d claimed %d times, want once", id, n)
		}
	}
	// None lost: all are still queued, claimable again when their leases end.
	if again := mustClaim(t, processes[1], t0.Add(lease), 2*jobs); len(again) != jobs || again[0].Attempts != 2 {
		t.Errorf("after the leases: %d jobs claimable, want all %d, each on its second attempt", len(again), jobs)
	}
}

func TestPostgresEnqueueWakesAnotherProcess(t *testing.T) {
	d := storagetest.Postgres.New(t)
	one, two := d.Open(t), d.Open(t)
	select {
	case <-two.JobsChanged():
		t.Fatal("a wake-up before any job was enqueued")
	default:
	}
	// Open has returned: two listens already, whatever its goroutines do.
	mustEnqueue(t, one, job("from-one", t0))
	// Without the notification, two's scheduler would find the job at its
	// next poll, up to a minute later.
	select {
	case <-two.JobsChanged():
	case <-time.After(10 * time.Second):
		t.Fatal("a job enqueued by one process did not wake the other within 10s")
	}
}

func TestPostgresLeaseOfADeadProcessPassesToAnother(t *testing.T) {
	d := storagetest.Postgres.New(t)
	one, two := d.Open(t), d.Open(t)
	const short = 5 * time.Second
	mustEnqueue(t, one, job("dm", t0))
	// One claims the job and never reports back.
	claimed, err := one.ClaimDueJobs(context.Background(), t0, short, 10)
	if err != nil || !sameKeys(claimed, "dm") {
		t.Fatalf("first claim = %v, %v", keys(claimed), err)
	}
	for _, at := range []time.Time{t0, t0.Add(short - time.Millisecond)} {
		if got := mustClaim(t, two, at, 10); len(got) != 0 {
			t.Fatalf("the other process claimed %v at %v, while the lease runs", keys(got), at.Sub(t0))
		}
	}
	got := mustClaim(t, two, t0.Add(short), 10)
	if !sameKeys(got, "dm") || got[0].Attempts != 2 {
		t.Fatalf("claim when the lease ends = %v, want the job on its second attempt", got)
	}
	if again := mustClaim(t, one, t0.Add(short), 10); len(again) != 0 {
		t.Errorf("the first process took back %v, now leased by the other", keys(again))
	}
}
