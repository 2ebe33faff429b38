package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/kindred-bot/kindred/storage"
)

// Handler runs one job. It returns the follow-ups to enqueue in the same
// transaction that marks the job done (the next occurrence of a series).
//
// A job can run more than once: a crash after the handler's side effect
// but before the job is marked done leaves its lease to expire, and the
// job runs again. Handlers are therefore idempotent: they check state
// first and remember what they sent, and the messages they post carry a
// nonce made from the job's key, which covers a run again that comes
// before the record. They honour ctx, which is cancelled
// when the scheduler shuts down. A handler's error is logged and stored
// as the job's last error, so it names ids, never a member's text.
type Handler func(ctx context.Context, job storage.Job) (next []storage.NewJob, err error)

// Runner is how jobs of one kind run. Build it from the kind's JobDef
// (JobDef.Runner), so the handler decodes the payload type its producers
// enqueue.
type Runner struct {
	// Kind is the job kind it runs; Register checks it against its name.
	Kind   string
	Handle Handler
	// MaxAttempts is how often the job may be claimed before it is
	// failed with its last error kept (storage.DB.FailedJobs). A claim
	// that never reported back (a crash, a shutdown) counts too, so a job
	// that brings the process down cannot do so forever. Default 5.
	MaxAttempts int
	// Stale reports that running the job now would be pointless (a
	// reminder for a meeting that has started); such a job is completed
	// without running, logged at info. nil: never stale.
	Stale func(job storage.Job, now time.Time) bool
	// StaleNext, if set, is called instead of Handle for a stale job and
	// returns its follow-ups without doing the work, so that a series
	// whose occurrence was missed (the bot was down) carries on. nil: a
	// stale job ends without follow-ups.
	StaleNext Handler
}

// Options tune a Scheduler; zero values take the defaults.
type Options struct {
	Workers    int              // jobs run at once; default 4
	Lease      time.Duration    // how long a claimed job is reserved, renewed while it runs; default DefaultLease
	Now        func() time.Time // the clock; default time.Now
	Log        *slog.Logger     // default slog.Default()
	MaxBackoff time.Duration    // longest wait before a retry; default 30m
}

const (
	defaultWorkers = 4
	// DefaultLease is how long a claimed job is reserved. It is short
	// because it is renewed every third of it while a job runs: its
	// length only decides how long a dead process's jobs wait to run
	// elsewhere. Short, that run again comes well inside the few minutes
	// in which Discord still enforces the nonces of the messages the
	// first run posted.
	DefaultLease       = 30 * time.Second
	defaultMaxBackoff  = 30 * time.Minute
	defaultMaxAttempts = 5

	// firstBackoff is the wait after a first failure; it doubles with
	// each further attempt up to Options.MaxBackoff.
	firstBackoff = 10 * time.Second

	// idleRecheck bounds every sleep, so work that arrived without a
	// wake-up (written by another process, or by hand) is still found.
	idleRecheck = time.Minute

	// errorPause is the wait after the database failed to answer, so a
	// broken database is not hammered in a loop.
	errorPause = time.Second

	// outcomeTimeout bounds the write that records how a job ended. It
	// runs on a context detached from shutdown: a job that finished must
	// be marked done, or it runs again after the lease.
	outcomeTimeout = 10 * time.Second

	// runDueBatch is how many jobs RunDue claims per round.
	runDueBatch = 64
)

// Scheduler claims due jobs and dispatches them by kind. It keeps no
// timers per job: the jobs table is the schedule, so a restart loses
// nothing.
type Scheduler struct {
	db   *storage.DB
	opts Options
	log  *slog.Logger

	mu           sync.Mutex
	kinds        map[string]Runner
	housekeeping []*housekeepingTask
	running      bool
}

type housekeepingTask struct {
	name     string
	schedule cron.Schedule
	task     func(ctx context.Context) error
	busy     atomic.Bool // a run that overlaps the previous one is skipped
}

// New returns a scheduler over db. Register the kinds, then Run.
func New(db *storage.DB, opts Options) *Scheduler {
	if opts.Workers <= 0 {
		opts.Workers = defaultWorkers
	}
	if opts.Lease <= 0 {
		opts.Lease = DefaultLease
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = defaultMaxBackoff
	}
	return &Scheduler{db: db, opts: opts, log: opts.Log.With("component", "scheduler"), kinds: map[string]Runner{}}
}

// Register configures a job kind. Call it before Run; registering a kind
// twice, or without a handler, is a programming error and panics.
func (s *Scheduler) Register(kind string, k Runner) {
	if kind == "" || k.Handle == nil || (k.Kind != "" && k.Kind != kind) {
		panic(fmt.Sprintf("scheduler: job kind %q needs a name and a handler", kind))
	}
	if k.MaxAttempts <= 0 {
		k.MaxAttempts = defaultMaxAttempts
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running {
		panic(fmt.Sprintf("scheduler: job kind %q registered while running", kind))
	}
	if _, dup := s.kinds[kind]; dup {
		panic(fmt.Sprintf("scheduler: job kind %q registered twice", kind))
	}
	s.kinds[kind] = k
}

// Housekeeping registers a process task (a lease sweep, pruning failed
// jobs) that Run starts on the cron spec (robfig/cron's standard syntax,
// in UTC, e.g. "@every 1h" or "30 3 * * *"). Only a handful of such tasks
// belong here, never one per member or meeting: those are jobs. A run
// that would overlap the previous one is skipped, as is one that another
// process sharing the database runs (storage.DB.RunExclusive). Like Register, it is
// called before Run with a constant spec, and panics on a bad one.
func (s *Scheduler) Housekeeping(spec string, name string, task func(ctx context.Context) error) {
	if strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=") {
		// cron's parser panics on a zone with nothing after it; and a
		// process task has no reason to follow a zone's clock changes.
		panic(fmt.Sprintf("scheduler: housekeeping %q: give the spec without a timezone; it runs in UTC", name))
	}
	// Without a zone cron would read the spec in the host's local time.
	schedule, err := cron.ParseStandard("CRON_TZ=UTC " + spec)
	if err != nil {
		panic(fmt.Sprintf("scheduler: housekeeping %q: %v", name, err))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running {
		panic(fmt.Sprintf("scheduler: housekeeping %q registered while running", name))
	}
	s.housekeeping = append(s.housekeeping, &housekeepingTask{name: name, schedule: schedule, task: task})
}

func (s *Scheduler) kind(name string) (Runner, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.kinds[name]
	return k, ok
}

// Run is the scheduler's loop. It sleeps until the earliest job is due or
// an earlier one is enqueued (storage.DB.JobsChanged), claims due jobs as
// workers free up, and runs them. When ctx is done it stops claiming,
// waits for the jobs in flight (their handlers see ctx cancelled) to
// finish and be recorded, and returns nil.
func (s *Scheduler) Run(ctx context.Context) error {
	s.mu.Lock()
	if s.running {
		s.mu.Unlock()
		return errors.New("scheduler: already running")
	}
	s.running = true
	tasks := s.housekeeping
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.running = false
		s.mu.Unlock()
	}()

	c := cron.New()
	for _, t := range tasks {
		c.Schedule(t.schedule, cron.FuncJob(func() { s.runHousekeeping(ctx, t) }))
	}
	c.Start()
	defer func() { <-c.Stop().Done() }()

	p := newPool(ctx, s.opts.Workers, s.opts.Now)
	defer p.wait()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	s.log.Info("scheduler started", "workers", s.opts.Workers, "lease", s.opts.Lease)

	var renewed time.Time // when the leases in flight were last extended
	for ctx.Err() == nil {
		if sleep := s.dispatch(ctx, p, &renewed); sleep >= 0 {
			timer.Reset(sleep)
		} else {
			timer.Stop()
		}
		select {
		case <-ctx.Done():
		case <-s.db.JobsChanged():
		case <-p.freed:
		case <-timer.C:
		}
	}
	s.log.Info("scheduler stopping", "in_flight", p.count())
	return nil
}

// dispatch extends the leases of the jobs in flight when a third of a
// lease has passed since the last time, then claims as many due jobs as
// there are free workers and starts them. It returns how long to sleep
// before looking again, or -1 to wait for a worker to free up (or a
// wake-up) instead.
//
// Extending before claiming, in the same goroutine, means every lease in
// flight ends after the claim's now, so this loop never claims (and
// charges an attempt to) a job it is still running, however late it
// wakes; and a job that runs longer than a lease (a large reminder
// fan-out) is not taken over by another process.
func (s *Scheduler) dispatch(ctx context.Context, p *pool, renewed *time.Time) time.Duration {
	now := s.opts.Now()
	renewEvery := s.opts.Lease / 3
	if ids := p.ids(); len(ids) > 0 && now.Sub(*renewed) >= renewEvery {
		if err := s.db.ExtendJobLeases(ctx, now.Add(s.opts.Lease), ids...); err != nil {
			if ctx.Err() == nil {
				s.log.Error("extend job leases", "jobs", len(ids), "err", err)
			}
			return errorPause
		}
		*renewed = now
	}
	sleep := s.claim(ctx, p, now)
	if p.count() > 0 {
		renewIn := max(renewEvery-s.opts.Now().Sub(*renewed), time.Millisecond)
		if sleep < 0 || renewIn < sleep {
			sleep = renewIn
		}
	}
	return sleep
}

// claim is dispatch's claiming half; it returns dispatch's sleep.
func (s *Scheduler) claim(ctx context.Context, p *pool, now time.Time) time.Duration {
	free := p.free()
	if free == 0 {
		return -1
	}
	// Claim no more than can start now: a claimed job's lease runs
	// whether or not a worker has picked it up.
	jobs, err := s.db.ClaimDueJobs(ctx, now, s.opts.Lease, free)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("claim jobs", "err", err)
		}
		return errorPause
	}
	for _, j := range jobs {
		p.start(j, s.runJob)
	}
	if len(jobs) == free {
		return -1 // more may be due; look again when a worker frees up
	}
	next, ok, err := s.db.NextJobTime(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("next job time", "err", err)
		}
		return errorPause
	}
	if !ok {
		return idleRecheck
	}
	return min(max(next.Sub(s.opts.Now()), time.Millisecond), idleRecheck)
}

// RunDue claims and runs every job due at now, in rounds, until none is
// left, and returns how many handlers ran (stale jobs and jobs without a
// handler are settled but not counted). Tests and tools use it so that
// nobody sleeps for a reminder; it is not meant to run beside Run.
// A handler that keeps enqueuing follow-ups due at now keeps it going.
func (s *Scheduler) RunDue(ctx context.Context, now time.Time) (ran int, err error) {
	var errs []error
	for {
		jobs, err := s.db.ClaimDueJobs(ctx, now, s.opts.Lease, runDueBatch)
		if err != nil {
			return ran, errors.Join(append(errs, err)...)
		}
		if len(jobs) == 0 {
			return ran, errors.Join(errs...)
		}
		p := newPool(ctx, s.opts.Workers, func() time.Time { return now })
		var mu sync.Mutex
		for _, j := range jobs {
			for p.free() == 0 {
				<-p.freed
			}
			p.start(j, func(ctx context.Context, now func() time.Time, j storage.Job) (bool, error) {
				handled, err := s.runJob(ctx, now, j)
				mu.Lock()
				defer mu.Unlock()
				if handled {
					ran++
				}
				if err != nil {
					errs = append(errs, err)
				}
				return handled, err
			})
		}
		p.wait()
	}
}

// Next is when the next job becomes due (it may lie in the past: work is
// due now); ok is false when nothing is scheduled. Tools that move the
// clock use it to skip ahead to the next piece of timed work.
func (s *Scheduler) Next(ctx context.Context) (at time.Time, ok bool, err error) {
	return s.db.NextJobTime(ctx)
}

// runJob runs one claimed job and records how it ended: done (with its
// follow-ups), retried later, or failed. It reports whether the handler
// ran, and the error of recording the outcome, if any; the handler's own
// error is recorded on the job, not returned.
func (s *Scheduler) runJob(ctx context.Context, now func() time.Time, job storage.Job) (handled bool, err error) {
	log := s.log.With("job", job.ID, "kind", job.Kind, "guild", job.GuildID, "attempt", job.Attempts)
	// The outcome is written even when ctx is done: the work happened.
	octx, cancel := context.WithTimeout(context.WithoutCancel(ctx), outcomeTimeout)
	defer cancel()

	k, ok := s.kind(job.Kind)
	if !ok {
		// Retrying cannot help until a release registers the kind; the
		// failed job keeps its payload for an operator to re-enqueue.
		log.Error("job kind has no handler; job failed")
		return false, s.settle(octx, log, s.db.FailJob(octx, job.ID, fmt.Sprintf("no handler registered for job kind %q", job.Kind)))
	}
	if job.Attempts > k.MaxAttempts {
		// Claimed more often than it may run: earlier runs never reported
		// back, so the job may be what brings the process down.
		log.Error("job did not finish in its allowed attempts; job failed", "max_attempts", k.MaxAttempts)
		msg := fmt.Sprintf("gave up after %d attempts; the last did not finish (the process stopped or lost the lease)", k.MaxAttempts)
		if job.LastError != "" {
			msg += "; earlier error: " + job.LastError
		}
		return false, s.settle(octx, log, s.db.FailJob(octx, job.ID, msg))
	}

	handle := k.Handle
	if k.Stale != nil && k.Stale(job, now()) {
		log.Info("job is stale; completed without running", "run_at", job.RunAt)
		handle = k.StaleNext
		if handle == nil {
			return false, s.settle(octx, log, s.db.CompleteJob(octx, job.ID))
		}
	} else {
		handled = true
	}

	started := time.Now()
	next, herr := call(ctx, handle, job)
	if herr == nil {
		log.Debug("job done", "took", time.Since(started), "follow_ups", len(next))
		return handled, s.settle(octx, log, s.db.CompleteJob(octx, job.ID, next...))
	}
	var pe *panicError
	if errors.As(herr, &pe) {
		log.Error("job handler panicked", "panic", pe.value, "stack", string(pe.stack))
	}
	switch {
	case ctx.Err() != nil:
		// Interrupted by shutdown: leave it for the next start to run at once.
		log.Info("job interrupted by shutdown; will run again", "err", herr)
		return handled, s.settle(octx, log, s.db.RetryJob(octx, job.ID, now(), "interrupted by shutdown: "+herr.Error()))
	case errors.As(herr, new(*permanentError)):
		// Retrying can't help (a payload that doesn't decode).
		log.Error("job failed for good", "err", herr)
		return handled, s.settle(octx, log, s.db.FailJob(octx, job.ID, herr.Error()))
	case job.Attempts >= k.MaxAttempts:
		log.Error("job failed for good", "err", herr, "max_attempts", k.MaxAttempts)
		return handled, s.settle(octx, log, s.db.FailJob(octx, job.ID, herr.Error()))
	default:
		wait := s.backoff(job.Attempts)
		log.Warn("job failed; will retry", "err", herr, "retry_in", wait)
		return handled, s.settle(octx, log, s.db.RetryJob(octx, job.ID, now().Add(wait), herr.Error()))
	}
}

// settle logs and returns the error of recording a job's outcome. A job
// that is gone was cancelled while it ran: nothing is lost, and its
// follow-ups are rightly dropped with it.
func (s *Scheduler) settle(ctx context.Context, log *slog.Logger, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, storage.ErrNotFound):
		log.Info("job was cancelled while it ran")
		return nil
	default:
		log.Error("record job outcome; it will run again after its lease", "err", err)
		return err
	}
}

// backoff is the wait before attempt+1: firstBackoff doubled per attempt,
// capped at MaxBackoff, less up to a tenth at random so that jobs that
// failed together (Discord was down) do not all return in one instant.
func (s *Scheduler) backoff(attempt int) time.Duration {
	d := s.opts.MaxBackoff
	if shift := attempt - 1; shift >= 0 && shift < 30 && firstBackoff<<shift < d {
		d = firstBackoff << shift
	}
	return d - rand.N(d/10+1)
}

// panicError is a handler's panic, turned into an error so the job is
// retried (and eventually failed) like any other failure.
type panicError struct {
	value any
	stack []byte
}

func (e *panicError) Error() string { return fmt.Sprintf("panic: %v", e.value) }

func call(ctx context.Context, h Handler, job storage.Job) (next []storage.NewJob, err error) {
	defer func() {
		if r := recover(); r != nil {
			next, err = nil, &panicError{value: r, stack: debug.Stack()}
		}
	}()
	return h(ctx, job)
}

func (s *Scheduler) runHousekeeping(ctx context.Context, t *housekeepingTask) {
	if !t.busy.CompareAndSwap(false, true) {
		s.log.Warn("housekeeping still running; skipped this turn", "task", t.name)
		return
	}
	defer t.busy.Store(false)
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("housekeeping panicked", "task", t.name, "panic", r, "stack", string(debug.Stack()))
		}
	}()
	started := time.Now()
	// Processes sharing a PostgreSQL database fire the same cron: one of
	// them runs each occurrence.
	ran, err := s.db.RunExclusive(ctx, "housekeeping "+t.name, t.task)
	switch {
	case err != nil:
		if ctx.Err() == nil {
			s.log.Error("housekeeping failed", "task", t.name, "err", err)
		}
		return
	case !ran:
		s.log.Debug("housekeeping running in another process; skipped this turn", "task", t.name)
		return
	}
	s.log.Debug("housekeeping done", "task", t.name, "took", time.Since(started))
}

// pool runs jobs, one goroutine each, and remembers which are in flight,
// for lease extension and so that no job runs twice at once here. Its
// callers start a job only when free() > 0, which bounds it to size.
type pool struct {
	ctx   context.Context
	now   func() time.Time
	size  int
	freed chan struct{} // one pending signal: a worker finished
	wg    sync.WaitGroup

	mu       sync.Mutex
	inflight map[int64]struct{}
}

func newPool(ctx context.Context, size int, now func() time.Time) *pool {
	return &pool{ctx: ctx, now: now, size: size, freed: make(chan struct{}, 1), inflight: map[int64]struct{}{}}
}

func (p *pool) free() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.size - len(p.inflight)
}

func (p *pool) count() int { return p.size - p.free() }

func (p *pool) ids() []int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	ids := make([]int64, 0, len(p.inflight))
	for id := range p.inflight {
		ids = append(ids, id)
	}
	return ids
}

func (p *pool) start(j storage.Job, run func(context.Context, func() time.Time, storage.Job) (bool, error)) {
	p.mu.Lock()
	if _, dup := p.inflight[j.ID]; dup {
		// Its lease lapsed while it still runs here; the running one
		// will record the outcome.
		p.mu.Unlock()
		return
	}
	p.inflight[j.ID] = struct{}{}
	p.mu.Unlock()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		defer func() {
			p.mu.Lock()
			delete(p.inflight, j.ID)
			p.mu.Unlock()
			select {
			case p.freed <- struct{}{}:
			default:
			}
		}()
		run(p.ctx, p.now, j)
	}()
}

func (p *pool) wait() { p.wg.Wait() }
