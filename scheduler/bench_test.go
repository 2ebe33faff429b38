package scheduler

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kindred-bot/kindred/storage"
	"github.com/kindred-bot/kindred/storage/storagetest"
)

// pendingJobs is the queue size of the performance targets: 100,000 future
// jobs, e.g. one next occurrence for each of 100,000 series.
const pendingJobs = 100_000

// A queueTemplate is a database holding a queue that every run of a
// benchmark starts from: a SQLite file the runs copy, or a PostgreSQL
// schema whose jobs the runs copy into schemas of their own.
type queueTemplate struct {
	backend storagetest.Backend
	path    string // SQLite: the template file
	schema  string // PostgreSQL: the template schema
}

// pendingQueue builds, once per benchmark, a database of backend holding
// pendingJobs future jobs (the earliest a year after base, so no run of a
// benchmark reaches them) and `due` jobs due at base. Sub-benchmarks open
// copies of it (queueTemplate.open) so every run starts from the same
// queue.
func pendingQueue(b *testing.B, backend storagetest.Backend, base time.Time, due int) queueTemplate {
	b.Helper()
	ctx := context.Background()
	d := backend.New(b)
	db, err := d.TryOpen()
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	jobs := make([]storage.NewJob, 0, pendingJobs+due)
	future := base.AddDate(1, 0, 0)
	for i := range pendingJobs {
		// Spread over a week, as weekly series are.
		runAt := future.Add(time.Duration(i) * 7 * 24 * time.Hour / pendingJobs)
		jobs = append(jobs, storage.NewJob{Kind: "pending", GuildID: fmt.Sprint(1000 + i%500),
			DedupeKey: fmt.Sprintf("series:%d:%d", i, runAt.Unix()), RunAt: runAt,
			Payload: map[string]any{"series": i, "channel": "123456789012345678"}})
	}
	for i := range due {
		jobs = append(jobs, storage.NewJob{Kind: "noop", GuildID: "1", DedupeKey: fmt.Sprintf("due:%d", i), RunAt: base})
	}
	started := time.Now()
	if n, err := db.EnqueueMany(ctx, jobs); err != nil || n != len(jobs) {
		b.Fatalf("enqueue %d jobs = %d, %v", len(jobs), n, err)
	}
	b.Logf("%s: enqueued %d jobs in one transaction in %v", backend.Name, len(jobs), time.Since(started).Round(time.Millisecond))
	return queueTemplate{backend: backend, path: d.Path, schema: searchPath(b, d.URL)}
}

// open opens a private copy of the template, closed when b ends.
func (q queueTemplate) open(b *testing.B) *storage.DB {
	b.Helper()
	if q.backend == storagetest.SQLite {
		body, err := os.ReadFile(q.path)
		if err != nil {
			b.Fatal(err)
		}
		path := filepath.Join(b.TempDir(), "kindred.db")
		if err := os.WriteFile(path, body, 0o600); err != nil {
			b.Fatal(err)
		}
		db, err := storage.Open(context.Background(), path)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		return db
	}
	d := q.backend.New(b)
	db := d.Open(b)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, d.URL)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	// The ids are copied as they are; the identity goes on after them.
	// ANALYZE, as autovacuum would soon after such a load, so the planner
	// knows the table's size before the timed claims.
	for _, stmt := range []string{
		`INSERT INTO jobs SELECT * FROM ` + pgx.Identifier{q.schema, "jobs"}.Sanitize(),
		`SELECT setval(pg_get_serial_sequence('jobs', 'id'), (SELECT max(id) FROM jobs))`,
		`ANALYZE jobs`,
	} {
		if _, err := conn.Exec(ctx, stmt); err != nil {
			b.Fatalf("copy the queue: %v", err)
		}
	}
	return db
}

// searchPath is the schema a PostgreSQL test database's URL selects; ""
// for SQLite's.
func searchPath(b *testing.B, dbURL string) string {
	if dbURL == "" {
		return ""
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		b.Fatal(err)
	}
	return u.Query().Get("search_path")
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func noop(context.Context, storage.Job) ([]storage.NewJob, error) { return nil, nil }

// BenchmarkDueJobLateness measures how late a due job starts while Run is
// looping over 100,000 pending future jobs (plus 1,000 due at start-up,
// run first). Each op is one job, enqueued ahead of time like a reminder
// and due 5 ms after the previous one, so Run sleeps towards each in turn.
//
// Target: a due job starts less than 1 s after its run_at (p99-late-ms,
// max-late-ms < 1000).
func BenchmarkDueJobLateness(b *testing.B) {
	template := pendingQueue(b, storagetest.SQLite, time.Now(), 1000)
	b.Run(fmt.Sprintf("pending=%d", pendingJobs), func(b *testing.B) {
		ctx, cancel := context.WithCancel(context.Background())
		db := template.open(b)
		s := New(db, Options{Log: quietLog()})
		var backlog atomic.Int32
		s.Register("noop", Runner{Handle: func(context.Context, storage.Job) ([]storage.NewJob, error) {
			backlog.Add(1)
			return nil, nil
		}})
		lateness := make(chan time.Duration, b.N)
		s.Register("probe", Runner{Handle: func(ctx context.Context, job storage.Job) ([]storage.NewJob, error) {
			lateness <- time.Since(job.RunAt)
			return nil, nil
		}})
		var wg sync.WaitGroup
		wg.Go(func() { s.Run(ctx) })
		defer func() { cancel(); wg.Wait() }()
		for backlog.Load() < 1000 {
			time.Sleep(time.Millisecond)
		}

		b.ResetTimer()
		first := time.Now().Add(50 * time.Millisecond)
		probes := make([]storage.NewJob, b.N)
		for i := range probes {
			probes[i] = storage.NewJob{Kind: "probe", GuildID: "1", DedupeKey: fmt.Sprintf("probe:%d", i),
				RunAt: first.Add(time.Duration(i) * 5 * time.Millisecond)}
		}
		if _, err := db.EnqueueMany(ctx, probes); err != nil {
			b.Fatal(err)
		}
		late := make([]time.Duration, 0, b.N)
		timeout := time.After(time.Duration(b.N)*5*time.Millisecond + 10*time.Second)
		for range b.N {
			select {
			case d := <-lateness:
				late = append(late, d)
			case <-timeout:
				b.Fatalf("only %d of %d due jobs started", len(late), b.N)
			}
		}
		b.StopTimer()
		slices.Sort(late)
		ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
		b.ReportMetric(ms(late[len(late)/2]), "p50-late-ms")
		b.ReportMetric(ms(late[len(late)*99/100]), "p99-late-ms")
		b.ReportMetric(ms(late[len(late)-1]), "max-late-ms")
	})
}

// BenchmarkStartup measures what a restart costs before the first job
// runs, with 100,000 pending future jobs and 1,000 due: Open (schema
// check) + the first NextJobTime + the first claim of a worker pool's
// worth of jobs. Each op claims at a time past the previous op's leases.
//
// Target: < 2 s (startup-ms).
func BenchmarkStartup(b *testing.B) {
	ctx := context.Background()
	base := time.Now()
	template := pendingQueue(b, storagetest.SQLite, base, 1000)
	now := base // advanced across runs, so every claim finds free jobs
	b.Run(fmt.Sprintf("pending=%d", pendingJobs), func(b *testing.B) {
		path := filepath.Join(b.TempDir(), "kindred.db")
		body, err := os.ReadFile(template.path)
		if err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(path, body, 0o600); err != nil {
			b.Fatal(err)
		}
		var took time.Duration
		b.ResetTimer()
		for range b.N {
			now = now.Add(DefaultLease + time.Second)
			started := time.Now()
			db, err := storage.Open(ctx, path)
			if err != nil {
				b.Fatal(err)
			}
			if _, ok, err := db.NextJobTime(ctx); err != nil || !ok {
				b.Fatalf("NextJobTime = %v, %v", ok, err)
			}
			jobs, err := db.ClaimDueJobs(ctx, now, DefaultLease, defaultWorkers)
			if err != nil || len(jobs) != defaultWorkers {
				b.Fatalf("claimed %d, %v", len(jobs), err)
			}
			took += time.Since(started)
			b.StopTimer()
			db.Close()
			b.StartTimer()
		}
		b.ReportMetric(float64(took)/float64(time.Millisecond)/float64(b.N), "startup-ms")
	})
}

// BenchmarkClaimThroughput measures jobs claimed, run (no-op handler) and
// completed per second with 100,000 pending future jobs beside them; each
// op is one job. It runs once per engine: sqlite and postgres (skipped
// unless storagetest.PostgresEnv is set). RunDue claims in rounds of 64;
// Run claims as its 4 workers free up, as in production. Each claim and
// each completion is its own write transaction.
//
// Target: none set; it bounds how fast a backlog (after downtime) drains.
func BenchmarkClaimThroughput(b *testing.B) {
	for _, backend := range storagetest.Backends() {
		b.Run(backend.Name, func(b *testing.B) {
			backend.Require(b)
			benchmarkClaimThroughput(b, backend)
		})
	}
}

// claimWorkers is the worker count of BenchmarkClaimThroughput, stated
// rather than defaulted so the figure keeps its meaning.
const claimWorkers = 4

func benchmarkClaimThroughput(b *testing.B, backend storagetest.Backend) {
	base := time.Now()
	template := pendingQueue(b, backend, base, 0)
	due := func(b *testing.B, db *storage.DB) {
		b.Helper()
		jobs := make([]storage.NewJob, b.N)
		for i := range jobs {
			jobs[i] = storage.NewJob{Kind: "noop", GuildID: "1", DedupeKey: fmt.Sprintf("due:%d", i), RunAt: base}
		}
		if _, err := db.EnqueueMany(context.Background(), jobs); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("RunDue", func(b *testing.B) {
		db := template.open(b)
		due(b, db)
		s := New(db, Options{Workers: claimWorkers, Log: quietLog()})
		s.Register("noop", Runner{Handle: noop})
		b.ResetTimer()
		ran, err := s.RunDue(context.Background(), base)
		if err != nil || ran != b.N {
			b.Fatalf("RunDue = %d, %v; want %d", ran, err, b.N)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "jobs/s")
	})
	b.Run("Run", func(b *testing.B) {
		db := template.open(b)
		due(b, db)
		s := New(db, Options{Workers: claimWorkers, Log: quietLog()})
		var ran atomic.Int64
		all := make(chan struct{})
		s.Register("noop", Runner{Handle: func(context.Context, storage.Job) ([]storage.NewJob, error) {
			if ran.Add(1) == int64(b.N) {
				close(all)
			}
			return nil, nil
		}})
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		b.ResetTimer()
		wg.Go(func() { s.Run(ctx) })
		<-all
		cancel()
		wg.Wait() // the last completions are written
		b.StopTimer()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "jobs/s")
	})
}

// BenchmarkJobsAcrossProcesses runs b.N due no-op jobs with 1, 2 and 3
// schedulers sharing one PostgreSQL database, each on a database handle of
// its own (its own connections, write lock turns and notifications), as
// separate processes would have, in this one test process: the scaling
// curve of the job queue. A job run twice fails the benchmark.
func BenchmarkJobsAcrossProcesses(b *testing.B) {
	storagetest.Postgres.Require(b)
	for _, processes := range []int{1, 2, 3} {
		b.Run(fmt.Sprintf("processes=%d", processes), func(b *testing.B) {
			d := storagetest.Postgres.New(b)
			dbs := make([]*storage.DB, processes)
			for i := range dbs {
				dbs[i] = d.Open(b)
			}
			base := time.Now()
			jobs := make([]storage.NewJob, b.N)
			for i := range jobs {
				jobs[i] = storage.NewJob{Kind: "noop", GuildID: "1", DedupeKey: fmt.Sprintf("due:%d", i), RunAt: base}
			}
			if _, err := dbs[0].EnqueueMany(context.Background(), jobs); err != nil {
				b.Fatal(err)
			}
			var ran atomic.Int64
			var seen sync.Map
			all := make(chan struct{})
			ctx, cancel := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			b.ResetTimer()
			for _, db := range dbs {
				s := New(db, Options{Workers: claimWorkers, Log: quietLog()})
				s.Register("noop", Runner{Handle: func(_ context.Context, j storage.Job) ([]storage.NewJob, error) {
					if _, twice := seen.LoadOrStore(j.ID, true); twice {
						b.Errorf("job %d ran twice", j.ID)
					}
					if ran.Add(1) == int64(b.N) {
						close(all)
					}
					return nil, nil
				}})
				wg.Go(func() { s.Run(ctx) })
			}
			<-all
			cancel()
			wg.Wait()
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "jobs/s")
		})
	}
}
