package scheduler

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kindred-bot/kindred/storage"
	"github.com/kindred-bot/kindred/storage/storagetest"
)

var t0 = time.Date(2026, 11, 25, 18, 0, 0, 0, time.UTC)

const testLease = 2 * time.Minute

// logBuffer collects a scheduler's log lines so tests can read them.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newScheduler(t *testing.T, db *storage.DB, opts Options) (*Scheduler, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	opts.Log = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if opts.Lease == 0 {
		opts.Lease = testLease
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("scheduler log:\n%s", logs)
		}
	})
	return New(db, opts), logs
}

func enqueue(t *testing.T, db *storage.DB, jobs ...storage.NewJob) {
	t.Helper()
	for _, j := range jobs {
		if ok, err := db.Enqueue(context.Background(), j); err != nil || !ok {
			t.Fatalf("enqueue %s = %v, %v", j.DedupeKey, ok, err)
		}
	}
}

func testJob(kind, key string, runAt time.Time) storage.NewJob {
	return storage.NewJob{Kind: kind, GuildID: "g1", DedupeKey: key, RunAt: runAt, Payload: map[string]string{"note": "a private note"}}
}

func runDue(t *testing.T, s *Scheduler, now time.Time) int {
	t.Helper()
	ran, err := s.RunDue(context.Background(), now)
	if err != nil {
		t.Fatalf("RunDue(%v): %v", now, err)
	}
	return ran
}

func nextJobTime(t *testing.T, db *storage.DB) (time.Time, bool) {
	t.Helper()
	next, ok, err := db.NextJobTime(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return next, ok
}

func failedJobs(t *testing.T, db *storage.DB) []storage.Job {
	t.Helper()
	failed, err := db.FailedJobs(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	return failed
}

// recorder is a handler that remembers the jobs it ran, and how many ran
// at once.
type recorder struct {
	mu        sync.Mutex
	keys      []string
	running   int
	maxAtOnce int
	hold      time.Duration
}

func (r *recorder) handle(ctx context.Context, job storage.Job) ([]storage.NewJob, error) {
	r.mu.Lock()
	r.keys = append(r.keys, job.DedupeKey)
	r.running++
	r.maxAtOnce = max(r.maxAtOnce, r.running)
	r.mu.Unlock()
	time.Sleep(r.hold)
	r.mu.Lock()
	r.running--
	r.mu.Unlock()
	return nil, nil
}

func (r *recorder) ran() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string{}, r.keys...)
}

func TestRunDueRunsDueJobsOnly(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		s, _ := newScheduler(t, db, Options{Workers: 2})
		rec := &recorder{hold: 5 * time.Millisecond}
		s.Register("test", Runner{Handle: rec.handle})
		for i := range 6 {
			enqueue(t, db, testJob("test", fmt.Sprintf("due-%d", i), t0.Add(-time.Duration(i)*time.Minute)))
		}
		enqueue(t, db, testJob("test", "future", t0.Add(time.Millisecond)))

		if ran := runDue(t, s, t0); ran != 6 {
			t.Errorf("ran %d jobs, want the 6 due", ran)
		}
		if got := rec.ran(); len(got) != 6 || strings.Contains(strings.Join(got, " "), "future") {
			t.Errorf("handler ran %v", got)
		}
		if rec.maxAtOnce > 2 {
			t.Errorf("%d jobs ran at once with 2 workers", rec.maxAtOnce)
		}
		if next, ok := nextJobTime(t, db); !ok || !next.Equal(t0.Add(time.Millisecond)) {
			t.Errorf("left in the queue: next at %v, %v; want the future job", next, ok)
		}
		if ran := runDue(t, s, t0); ran != 0 {
			t.Errorf("second RunDue ran %d, want 0 (done jobs are gone)", ran)
		}
	})
}

func TestNextIsTheEarliestPendingJob(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		s, _ := newScheduler(t, db, Options{})
		s.Register("test", Runner{Handle: (&recorder{}).handle})
		if _, ok, err := s.Next(context.Background()); ok || err != nil {
			t.Fatalf("an empty queue has a next job: %v, %v", ok, err)
		}
		enqueue(t, db, testJob("test", "later", t0.Add(2*time.Hour)), testJob("test", "sooner", t0.Add(time.Hour)))
		if next, ok, err := s.Next(context.Background()); !ok || err != nil || !next.Equal(t0.Add(time.Hour)) {
			t.Errorf("next = %v, %v, %v; want the sooner job's time", next, ok, err)
		}
		runDue(t, s, t0.Add(time.Hour))
		if next, ok, _ := s.Next(context.Background()); !ok || !next.Equal(t0.Add(2*time.Hour)) {
			t.Errorf("after the sooner ran, next = %v, want the later job's time", next)
		}
	})
}

func TestFollowUpsAreEnqueuedWithTheCompletion(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		s, _ := newScheduler(t, db, Options{})
		weekly := func(ctx context.Context, job storage.Job) ([]storage.NewJob, error) {
			next := job.RunAt.Add(7 * 24 * time.Hour)
			return []storage.NewJob{testJob("weekly", "series:1:"+next.Format(time.DateOnly), next)}, nil
		}
		s.Register("weekly", Runner{Handle: weekly})
		enqueue(t, db, testJob("weekly", "series:1:"+t0.Format(time.DateOnly), t0))

		for week := range 3 {
			now := t0.Add(time.Duration(week) * 7 * 24 * time.Hour)
			if ran := runDue(t, s, now); ran != 1 {
				t.Fatalf("week %d: ran %d, want 1", week, ran)
			}
			want := now.Add(7 * 24 * time.Hour)
			if next, ok := nextJobTime(t, db); !ok || !next.Equal(want) {
				t.Fatalf("week %d: next = %v, %v; want the following occurrence at %v", week, next, ok, want)
			}
		}

		// A follow-up that cannot be stored leaves the job undone (the
		// completion rolls back), so the series is not silently cut.
		broken, _ := newScheduler(t, db, Options{})
		broken.Register("weekly", Runner{Handle: func(ctx context.Context, job storage.Job) ([]storage.NewJob, error) {
			return []storage.NewJob{{Kind: "weekly"}}, nil // no dedupe key, no time
		}})
		now := t0.Add(3 * 7 * 24 * time.Hour)
		if _, err := broken.RunDue(context.Background(), now); err == nil {
			t.Fatal("RunDue with an unstorable follow-up reported no error")
		}
		if next, _ := nextJobTime(t, db); !next.Equal(now.Add(testLease)) {
			t.Errorf("next = %v, want the job still queued, claimable when its lease ends (%v)", next, now.Add(testLease))
		}
	})
}

func TestFailingJobIsRetriedWithBackoffThenFailed(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		s, logs := newScheduler(t, db, Options{})
		var attempts []int
		s.Register("flaky", Runner{MaxAttempts: 3, Handle: func(ctx context.Context, job storage.Job) ([]storage.NewJob, error) {
			attempts = append(attempts, job.Attempts)
			return nil, fmt.Errorf("discord: 503 on attempt %d", job.Attempts)
		}})
		enqueue(t, db, testJob("flaky", "f", t0))

		now := t0
		for i, base := range []time.Duration{10 * time.Second, 20 * time.Second} {
			runDue(t, s, now)
			next, ok := nextJobTime(t, db)
			if wait := next.Sub(now); !ok || wait < base*9/10 || wait > base {
				t.Fatalf("after failure %d: retry in %v, want %v less up to a tenth", i+1, wait, base)
			}
			if ran := runDue(t, s, next.Add(-time.Millisecond)); ran != 0 {
				t.Fatalf("after failure %d: ran before the retry time", i+1)
			}
			now = next
		}
		runDue(t, s, now)
		if fmt.Sprint(attempts) != "[1 2 3]" {
			t.Errorf("attempts seen by the handler = %v, want [1 2 3]", attempts)
		}
		if _, ok := nextJobTime(t, db); ok {
			t.Error("job still queued after its last attempt")
		}
		failed := failedJobs(t, db)
		if len(failed) != 1 || failed[0].LastError != "discord: 503 on attempt 3" || failed[0].Attempts != 3 {
			t.Errorf("failed jobs = %+v, want the job with its last error", failed)
		}
		if strings.Contains(logs.String(), "a private note") {
			t.Error("the log shows a job's payload")
		}
		if !strings.Contains(logs.String(), "kind=flaky") || !strings.Contains(logs.String(), "guild=g1") {
			t.Errorf("the log does not name the job's kind and guild:\n%s", logs)
		}
	})
}

func TestBackoffIsCappedAndJittered(t *testing.T) {
	s := New(nil, Options{MaxBackoff: 5 * time.Minute})
	for attempt, want := range map[int]time.Duration{
		1: 10 * time.Second, 2: 20 * time.Second, 3: 40 * time.Second, 5: 160 * time.Second,
		6: 5 * time.Minute, 40: 5 * time.Minute, 1000: 5 * time.Minute,
	} {
		for range 20 {
			if got := s.backoff(attempt); got < want*9/10 || got > want {
				t.Fatalf("backoff(%d) = %v, want within [%v, %v]", attempt, got, want*9/10, want)
			}
		}
	}
}

func TestStaleJobsAreCompletedWithoutRunning(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		s, logs := newScheduler(t, db, Options{})
		startedAt := func(job storage.Job, now time.Time) bool { return now.After(job.RunAt.Add(time.Hour)) }
		rec := &recorder{}
		s.Register("reminder", Runner{Handle: rec.handle, Stale: startedAt})
		s.Register("series", Runner{Handle: rec.handle, Stale: startedAt,
			StaleNext: func(ctx context.Context, job storage.Job) ([]storage.NewJob, error) {
				return []storage.NewJob{testJob("series", "series:next", job.RunAt.Add(7*24*time.Hour))}, nil
			}})
		enqueue(t, db, testJob("reminder", "late", t0.Add(-2*time.Hour)), testJob("reminder", "fresh", t0.Add(-time.Minute)),
			testJob("series", "series:missed", t0.Add(-2*time.Hour)))

		if ran := runDue(t, s, t0); ran != 1 {
			t.Errorf("ran %d, want only the fresh reminder", ran)
		}
		if got := rec.ran(); fmt.Sprint(got) != "[fresh]" {
			t.Errorf("handler ran %v, want [fresh]", got)
		}
		if next, ok := nextJobTime(t, db); !ok || !next.Equal(t0.Add(-2*time.Hour+7*24*time.Hour)) {
			t.Errorf("next = %v, %v; want the missed series' next occurrence", next, ok)
		}
		if len(failedJobs(t, db)) != 0 {
			t.Error("a stale job was failed; it should be completed")
		}
		if !strings.Contains(logs.String(), "level=INFO msg=\"job is stale") {
			t.Errorf("stale job not logged at info:\n%s", logs)
		}
	})
}

func TestPanickingHandlerIsRecoveredAndRetried(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		s, logs := newScheduler(t, db, Options{})
		s.Register("boom", Runner{Handle: func(ctx context.Context, job storage.Job) ([]storage.NewJob, error) {
			var m map[string]int
			m["x"]++ // a nil map write: a real bug, not a chosen panic
			return nil, nil
		}})
		enqueue(t, db, testJob("boom", "b", t0))
		if ran := runDue(t, s, t0); ran != 1 {
			t.Fatalf("ran %d, want 1", ran)
		}
		next, ok := nextJobTime(t, db)
		if !ok || next.Before(t0.Add(9*time.Second)) {
			t.Fatalf("next = %v, %v; want a retry after the backoff", next, ok)
		}
		runDue(t, s, next) // attempt 2 panics again; let it go on to be sure the process survives each
		if !strings.Contains(logs.String(), "job handler panicked") || !strings.Contains(logs.String(), "assignment to entry in nil map") {
			t.Errorf("panic not logged:\n%s", logs)
		}
	})
}

func TestJobOfAnUnknownKindIsFailedAtOnce(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		s, _ := newScheduler(t, db, Options{})
		enqueue(t, db, testJob("nobody.handles.this", "n", t0))
		if ran := runDue(t, s, t0); ran != 0 {
			t.Errorf("ran %d, want 0", ran)
		}
		failed := failedJobs(t, db)
		if len(failed) != 1 || !strings.Contains(failed[0].LastError, `no handler registered for job kind "nobody.handles.this"`) {
			t.Errorf("failed = %+v", failed)
		}
		if _, ok := nextJobTime(t, db); ok {
			t.Error("an unknown kind stays queued")
		}
	})
}

// sentLog stands in for what a handler sends outside the database (a DM):
// the handler records each send in the database's sent log under the
// job's dedupe key, and sends only when the record is new, as real
// handlers do.
type sentLog struct {
	sends atomic.Int32
}

func (l *sentLog) sendOnce(ctx context.Context, db *storage.DB, key string) error {
	if _, ok, err := db.SentRef(ctx, key); err != nil || ok {
		return err
	}
	if err := db.RecordSent(ctx, key, "", time.Now()); err != nil {
		return err
	}
	l.sends.Add(1)
	return nil
}

func TestJobInterruptedAfterItsSideEffectRunsAgainWithoutRepeatingIt(t *testing.T) {
	for _, tc := range []struct {
		name  string
		crash func(db *storage.DB)
	}{
		// The process dies: nothing after the side effect reaches the
		// database, and the job stays leased until its lease ends.
		{"process dies", func(db *storage.DB) { db.Close() }},
		// The handler panics after the side effect: recovered, retried.
		{"handler panics", func(*storage.DB) { panic("crash after sending") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			storagetest.EachBackend(t, func(t *testing.T, b storagetest.Backend) {
				ctx := context.Background()
				d := b.New(t)
				first, err := d.TryOpen()
				if err != nil {
					t.Fatal(err)
				}
				defer first.Close()
				sent := &sentLog{}
				enqueue(t, first, testJob("dm", "dm:u1:welcome", t0))

				s1, _ := newScheduler(t, first, Options{})
				s1.Register("dm", Runner{Handle: func(ctx context.Context, job storage.Job) ([]storage.NewJob, error) {
					if err := sent.sendOnce(ctx, first, job.DedupeKey); err != nil {
						return nil, err
					}
					tc.crash(first)
					return nil, nil
				}})
				s1.RunDue(ctx, t0) // its error, if any, is the crash
				if sent.sends.Load() != 1 {
					t.Fatalf("sends after the first run = %d, want 1", sent.sends.Load())
				}

				// The restarted process: same database, new handles.
				second := d.Open(t)
				s2, _ := newScheduler(t, second, Options{})
				var seen []int
				s2.Register("dm", Runner{Handle: func(ctx context.Context, job storage.Job) ([]storage.NewJob, error) {
					seen = append(seen, job.Attempts)
					return nil, sent.sendOnce(ctx, second, job.DedupeKey)
				}})
				runDue(t, s2, t0.Add(testLease+time.Second))
				if fmt.Sprint(seen) != "[2]" {
					t.Errorf("the rerun saw attempts %v, want [2]", seen)
				}
				if sent.sends.Load() != 1 {
					t.Errorf("sends after the rerun = %d, want still 1", sent.sends.Load())
				}
				if _, ok := nextJobTime(t, second); ok {
					t.Error("job still queued after the rerun completed it")
				}
			})
		})
	}
}

func TestJobThatNeverReportsBackIsFailedAfterMaxAttempts(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		enqueue(t, db, testJob("poison", "p", t0))
		// Three processes each claimed it and died.
		now := t0
		for range 3 {
			if _, err := db.ClaimDueJobs(context.Background(), now, testLease, 1); err != nil {
				t.Fatal(err)
			}
			now = now.Add(testLease)
		}
		s, _ := newScheduler(t, db, Options{})
		called := false
		s.Register("poison", Runner{MaxAttempts: 3, Handle: func(ctx context.Context, job storage.Job) ([]storage.NewJob, error) {
			called = true
			return nil, nil
		}})
		runDue(t, s, now)
		if called {
			t.Error("ran a job past its attempts")
		}
		if failed := failedJobs(t, db); len(failed) != 1 || !strings.Contains(failed[0].LastError, "gave up after 3 attempts") {
			t.Errorf("failed = %+v", failed)
		}
	})
}

func TestCancelledWhileRunningDropsFollowUps(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		s, _ := newScheduler(t, db, Options{})
		s.Register("reminder", Runner{Handle: func(ctx context.Context, job storage.Job) ([]storage.NewJob, error) {
			if _, err := db.CancelJobs(ctx, "meeting:1:"); err != nil { // the meeting is cancelled meanwhile
				return nil, err
			}
			return []storage.NewJob{testJob("reminder", "meeting:1:next", t0.Add(time.Hour))}, nil
		}})
		enqueue(t, db, testJob("reminder", "meeting:1:now", t0))
		if ran := runDue(t, s, t0); ran != 1 {
			t.Fatalf("ran %d", ran)
		}
		if _, ok := nextJobTime(t, db); ok {
			t.Error("a cancelled meeting got its next reminder")
		}
	})
}

func TestRegisterRefusesDuplicatesAndLateKinds(t *testing.T) {
	s := New(storagetest.Open(t), Options{})
	noop := func(ctx context.Context, job storage.Job) ([]storage.NewJob, error) { return nil, nil }
	s.Register("a", Runner{Handle: noop})
	for name, register := range map[string]func(){
		"duplicate":  func() { s.Register("a", Runner{Handle: noop}) },
		"no handler": func() { s.Register("b", Runner{}) },
		"bad spec":   func() { s.Housekeeping("every now and then", "x", nil) },
		"with zone":  func() { s.Housekeeping("CRON_TZ=Europe/Berlin", "x", nil) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			register()
		}()
	}

	s.Housekeeping("30 3 * * *", "nightly", func(context.Context) error { return nil })
	berlinEvening := time.Date(2026, 7, 1, 23, 0, 0, 0, time.FixedZone("CEST", 2*3600))
	if next := s.housekeeping[0].schedule.Next(berlinEvening); !next.Equal(time.Date(2026, 7, 2, 3, 30, 0, 0, time.UTC)) {
		t.Errorf("nightly task next runs at %v, want 03:30 UTC whatever the host's zone", next.UTC())
	}
}

// running is a Run in the background; the test's cleanup stops it
// (before the database closes) if the test did not.
type running struct {
	cancel context.CancelFunc
	done   chan struct{}
	err    error
}

func runInBackground(t *testing.T, s *Scheduler) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{cancel: cancel, done: make(chan struct{})}
	go func() {
		r.err = s.Run(ctx)
		close(r.done)
	}()
	t.Cleanup(func() { r.stop(t) })
	return r
}

// stop cancels Run and waits, bounded, for it to return.
func (r *running) stop(t *testing.T) {
	t.Helper()
	r.cancel()
	select {
	case <-r.done:
		if r.err != nil {
			t.Errorf("Run = %v", r.err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

func waitFor[T any](t *testing.T, c <-chan T, within time.Duration, what string) T {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-time.After(within):
		t.Fatalf("%s: nothing within %v", what, within)
		panic("unreachable")
	}
}

func TestRunWakesForAnEarlierJob(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		s, _ := newScheduler(t, db, Options{})
		started := make(chan time.Time, 4)
		s.Register("ping", Runner{Handle: func(ctx context.Context, job storage.Job) ([]storage.NewJob, error) {
			started <- time.Now()
			return nil, nil
		}})
		now := time.Now()
		enqueue(t, db, testJob("ping", "far", now.Add(time.Hour)), testJob("ping", "now", now))
		runInBackground(t, s)
		// Once the due job ran, the loop sleeps towards the far one (at most
		// idleRecheck, a minute).
		waitFor(t, started, time.Second, "the due job")
		time.Sleep(20 * time.Millisecond)

		runAt := time.Now().Add(50 * time.Millisecond)
		enqueue(t, db, testJob("ping", "soon", runAt))
		at := waitFor(t, started, time.Second, "the job enqueued while the loop slept")
		if at.Before(runAt.Truncate(time.Millisecond)) {
			t.Errorf("started %v before its run_at", runAt.Sub(at))
		}
		t.Logf("started %v after run_at", at.Sub(runAt))
	})
}

func TestRunWaitsForJobsInFlightOnShutdown(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		s, _ := newScheduler(t, db, Options{})
		started, release := make(chan struct{}), make(chan struct{})
		s.Register("slow", Runner{Handle: func(ctx context.Context, job storage.Job) ([]storage.NewJob, error) {
			close(started)
			<-release // finishing work that must not be cut
			return nil, nil
		}})
		enqueue(t, db, testJob("slow", "s", time.Now()))
		r := runInBackground(t, s)
		waitFor(t, started, time.Second, "the job")

		r.cancel()
		select {
		case <-r.done:
			t.Fatal("Run returned while a job was in flight")
		case <-time.After(100 * time.Millisecond):
		}
		close(release)
		waitFor(t, r.done, 2*time.Second, "Run after the job finished")
		if _, ok := nextJobTime(t, db); ok {
			t.Error("the finished job was not marked done during shutdown")
		}
	})
}

func TestJobInterruptedByShutdownRunsAgainAtOnce(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		s, _ := newScheduler(t, db, Options{})
		started := make(chan struct{})
		s.Register("fanout", Runner{Handle: func(ctx context.Context, job storage.Job) ([]storage.NewJob, error) {
			close(started)
			<-ctx.Done()
			return nil, ctx.Err()
		}})
		enqueue(t, db, testJob("fanout", "f", time.Now()))
		r := runInBackground(t, s)
		waitFor(t, started, time.Second, "the job")
		r.stop(t)
		next, ok := nextJobTime(t, db)
		if !ok || time.Until(next) > time.Second {
			t.Errorf("next = %v, %v; want the interrupted job due now, not backed off", next, ok)
		}
		if len(failedJobs(t, db)) != 0 {
			t.Error("a job interrupted by shutdown was failed")
		}
	})
}

func TestRunExtendsTheLeaseOfALongJob(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		const lease = 200 * time.Millisecond
		s, _ := newScheduler(t, db, Options{Lease: lease})
		var runs atomic.Int32
		// The job fails at its end, for jobs_failed to keep its count of
		// claims: had the lease lapsed, a claim (by this process or
		// another) would have counted another attempt and taken it over.
		s.Register("long", Runner{MaxAttempts: 1, Handle: func(ctx context.Context, job storage.Job) ([]storage.NewJob, error) {
			runs.Add(1)
			time.Sleep(3*lease + lease/2)
			return nil, errors.New("held for three and a half leases")
		}})
		enqueue(t, db, testJob("long", "l", time.Now()))
		runInBackground(t, s)
		var failed []storage.Job
		for deadline := time.Now().Add(5 * time.Second); len(failed) == 0; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("the long job did not end within 5s")
			}
			failed = failedJobs(t, db)
		}
		if failed[0].Attempts != 1 || runs.Load() != 1 {
			t.Errorf("after three and a half leases: attempts %d, runs %d; want 1, 1 (lease kept)", failed[0].Attempts, runs.Load())
		}
	})
}

func TestHousekeepingRunsWhileRunning(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		s, logs := newScheduler(t, db, Options{})
		ran := make(chan struct{}, 10)
		s.Housekeeping("@every 1s", "prune failed jobs", func(ctx context.Context) error {
			if _, err := db.PruneFailedJobs(ctx, time.Now().Add(-30*24*time.Hour)); err != nil {
				return err
			}
			ran <- struct{}{}
			return nil
		})
		s.Housekeeping("@every 1s", "broken", func(ctx context.Context) error { return errors.New("disk full") })
		runInBackground(t, s)
		waitFor(t, ran, 3*time.Second, "the housekeeping task")
		deadline := time.Now().Add(time.Second)
		for !strings.Contains(logs.String(), "housekeeping failed") && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if !strings.Contains(logs.String(), `task=broken err="disk full"`) {
			t.Errorf("a failing housekeeping task was not logged:\n%s", logs)
		}
	})
}

// Two processes on one PostgreSQL database fire the same housekeeping
// cron at the same second; one of them runs each occurrence.
func TestHousekeepingRunsInOneProcessAtATime(t *testing.T) {
	d := storagetest.Postgres.New(t)
	var inside, overlaps, runs atomic.Int64
	task := func(ctx context.Context) error {
		if inside.Add(1) > 1 {
			overlaps.Add(1)
		}
		defer inside.Add(-1)
		runs.Add(1)
		time.Sleep(500 * time.Millisecond)
		return nil
	}
	var logs []*logBuffer
	for range 2 {
		s, l := newScheduler(t, d.Open(t), Options{})
		s.Housekeeping("@every 1s", "prune old records", task)
		runInBackground(t, s)
		logs = append(logs, l)
	}
	skipped := func() bool {
		for _, l := range logs {
			if strings.Contains(l.String(), "housekeeping running in another process") {
				return true
			}
		}
		return false
	}
	for deadline := time.Now().Add(10 * time.Second); runs.Load() < 3 || !skipped(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("after 10s: %d runs, skipped in a process: %v; want 3 runs and a skip", runs.Load(), skipped())
		}
	}
	if n := overlaps.Load(); n != 0 {
		t.Errorf("the task ran in both processes at once %d times", n)
	}
}
