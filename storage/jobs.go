package storage

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Job is one row of timed work: a reminder, a check-in prompt, a pairing
// round, a follow-up. Payload is the JSON the enqueuer gave; it may hold
// personal text, so it is never logged.
type Job struct {
	ID        int64
	Kind      string
	GuildID   string // empty for work that belongs to no server (a member's DMs)
	UserID    string // the member the payload is about; empty for none
	DedupeKey string
	Payload   json.RawMessage
	RunAt     time.Time
	Attempts  int // claims so far, this one included
	LastError string
}

// NewJob is timed work to enqueue. DedupeKey names the work (e.g.
// "meeting:12:reminder:1764093600:3600"): while a job with that key is
// queued or running, enqueuing it again does nothing.
type NewJob struct {
	Kind, GuildID, DedupeKey string
	// UserID is the member this job's payload is about, if any: /mydata
	// export and delete find jobs by it.
	UserID  string
	RunAt   time.Time
	Payload any // JSON-marshalled; nil is stored as null
	// Requires, if set, is checked in the transaction that writes the job,
	// and the job is written only while it holds (see Requirement).
	Requires *Requirement
}

// A Requirement is what a job was computed from, such as the member's
// RSVP a reminder DM is for. A handler reads it, and the job it returns is
// written later, at completion; a /mydata delete (or a changed answer)
// that commits in between would otherwise be undone by a job naming the
// member. Checked inside the writing transaction, it can't be. Storage
// builds them (RequireRSVP), so the SQL stays here.
type Requirement struct {
	what  string // for errors: what is required
	query string // returns a row while the requirement holds
	args  []any
}

// holds reports whether r holds in tx.
func (r *Requirement) holds(ctx context.Context, tx *sql.Tx) (bool, error) {
	var one int
	switch err := tx.QueryRowContext(ctx, r.query, r.args...).Scan(&one); {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("check %s: %w", r.what, err)
	}
	return true, nil
}

// required reports whether j's requirement, if any, holds in tx.
func required(ctx context.Context, tx *sql.Tx, j NewJob) (bool, error) {
	if j.Requires == nil {
		return true, nil
	}
	ok, err := j.Requires.holds(ctx, tx)
	if err != nil {
		return false, fmt.Errorf("enqueue %s job %q: %w", j.Kind, j.DedupeKey, err)
	}
	return ok, nil
}

// insertJobSQL adds a job unless its dedupe key is taken.
const insertJobSQL = `INSERT INTO jobs (kind, guild_id, user_id, payload, run_at, dedupe_key, created_at)
	VALUES (?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (dedupe_key) DO NOTHING`

// maxErrorText bounds last_error: a handler's error is a diagnosis, not a log.
const maxErrorText = 2000

// EnqueueTx inserts j inside the caller's transaction, so a domain write
// and its timed work commit together. A job whose dedupe key already
// exists, or whose requirement no longer holds, is left out; ok reports
// whether a row was inserted. After
// Commit the caller calls db.JobsEnqueued so a sleeping scheduler sees
// work that may be due before what it waits for.
func EnqueueTx(ctx context.Context, tx *sql.Tx, j NewJob) (ok bool, err error) {
	args, err := insertArgs(j, time.Now())
	if err != nil {
		return false, err
	}
	if ok, err := required(ctx, tx, j); err != nil || !ok {
		return false, err
	}
	res, err := tx.ExecContext(ctx, insertJobSQL, args...)
	if err != nil {
		return false, fmt.Errorf("enqueue %s job %q: %w", j.Kind, j.DedupeKey, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// EnqueueManyTx inserts jobs in the caller's transaction through one
// prepared statement (a fan-out, a bulk import) and returns how many were
// inserted; those whose dedupe key exists are left as they are, and those
// whose requirement no longer holds are left out.
func EnqueueManyTx(ctx context.Context, tx *sql.Tx, jobs []NewJob) (int, error) {
	if len(jobs) == 0 {
		return 0, nil
	}
	stmt, err := tx.PrepareContext(ctx, insertJobSQL)
	if err != nil {
		return 0, fmt.Errorf("prepare enqueue: %w", err)
	}
	defer stmt.Close()
	created := time.Now()
	inserted := 0
	for _, j := range jobs {
		args, err := insertArgs(j, created)
		if err != nil {
			return 0, err
		}
		if ok, err := required(ctx, tx, j); err != nil {
			return 0, err
		} else if !ok {
			continue
		}
		res, err := stmt.ExecContext(ctx, args...)
		if err != nil {
			return 0, fmt.Errorf("enqueue %s job %q: %w", j.Kind, j.DedupeKey, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return 0, err
		}
		inserted += int(n)
	}
	return inserted, nil
}

func insertArgs(j NewJob, created time.Time) ([]any, error) {
	switch {
	case j.Kind == "":
		return nil, errors.New("enqueue job: kind is empty")
	case j.DedupeKey == "":
		return nil, fmt.Errorf("enqueue %s job: dedupe key is empty", j.Kind)
	case j.RunAt.IsZero():
		return nil, fmt.Errorf("enqueue %s job %q: run_at is zero", j.Kind, j.DedupeKey)
	}
	payload, err := json.Marshal(j.Payload)
	if err != nil {
		return nil, fmt.Errorf("enqueue %s job %q: payload: %w", j.Kind, j.DedupeKey, err)
	}
	return []any{j.Kind, j.GuildID, j.UserID, string(payload), j.RunAt.UnixMilli(), j.DedupeKey, created.UnixMilli()}, nil
}

// Enqueue inserts j on its own; see EnqueueTx.
func (db *DB) Enqueue(ctx context.Context, j NewJob) (bool, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	ok, err := EnqueueTx(ctx, tx, j)
	if err != nil {
		return false, err
	}
	if err := tx.Commit(); err != nil {
		return false, err
	}
	if ok {
		db.JobsEnqueued()
	}
	return ok, nil
}

// EnqueueMany inserts jobs in one transaction; see EnqueueManyTx.
func (db *DB) EnqueueMany(ctx context.Context, jobs []NewJob) (int, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	n, err := EnqueueManyTx(ctx, tx, jobs)
	if err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	if n > 0 {
		db.JobsEnqueued()
	}
	return n, nil
}

// ClaimDueJobs leases up to limit jobs that are due at now and not leased
// (or whose lease has expired: the process that held it died or lost it),
// earliest first. Each claim counts as an attempt. The caller must end
// every claimed job with CompleteJob, RetryJob or FailJob before now+lease,
// or extend the lease with ExtendJobLeases; otherwise the job is claimed
// again.
func (db *DB) ClaimDueJobs(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Job, error) {
	if limit <= 0 {
		return nil, nil
	}
	if lease <= 0 {
		return nil, fmt.Errorf("claim jobs: lease %v must be positive", lease)
	}
	args := []any{now.Add(lease).UnixMilli(), now.UnixMilli(), limit}
	var jobs []Job
	if db.dialect.claimsInParallel {
		// One statement, its own transaction, outside the write lock: it
		// decides on nothing but the rows it locks, and skips the rows
		// another claim or write holds, so claims of several processes
		// run side by side and never wait for a write.
		rows, err := db.read.QueryContext(ctx, db.dialect.claimJobs, args...)
		if err != nil {
			return nil, fmt.Errorf("claim jobs: %w", err)
		}
		if jobs, err = scanJobs(rows); err != nil {
			return nil, fmt.Errorf("claim jobs: %w", err)
		}
	} else {
		tx, err := db.write.BeginTx(ctx, nil)
		if err != nil {
			return nil, err
		}
		defer tx.Rollback()
		rows, err := tx.QueryContext(ctx, db.dialect.claimJobs, args...)
		if err != nil {
			return nil, fmt.Errorf("claim jobs: %w", err)
		}
		if jobs, err = scanJobs(rows); err != nil {
			return nil, fmt.Errorf("claim jobs: %w", err)
		}
		if err := tx.Commit(); err != nil {
			return nil, fmt.Errorf("claim jobs: %w", err)
		}
	}
	slices.SortFunc(jobs, func(a, b Job) int {
		if c := a.RunAt.Compare(b.RunAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return jobs, nil
}

func scanJobs(rows *sql.Rows) ([]Job, error) {
	defer rows.Close()
	var jobs []Job
	for rows.Next() {
		var j Job
		var payload []byte
		var runAt int64
		if err := rows.Scan(&j.ID, &j.Kind, &j.GuildID, &j.UserID, &payload, &runAt, &j.DedupeKey, &j.Attempts, &j.LastError); err != nil {
			return nil, err
		}
		j.Payload = payload
		j.RunAt = time.UnixMilli(runAt).UTC()
		jobs = append(jobs, j)
	}
	return jobs, rows.Err()
}

// ExtendJobLeases moves the lease of still-running jobs to until, so a
// handler that runs longer than one lease is not claimed a second time.
// Jobs that are gone (cancelled meanwhile) are skipped.
func (db *DB) ExtendJobLeases(ctx context.Context, until time.Time, ids ...int64) error {
	if len(ids) == 0 {
		return nil
	}
	args := make([]any, 0, len(ids)+1)
	args = append(args, until.UnixMilli())
	for _, id := range ids {
		args = append(args, id)
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `UPDATE jobs SET locked_until = ? WHERE locked_until > 0 AND id IN (?`+
		strings.Repeat(", ?", len(ids)-1)+`)`, args...); err != nil {
		return fmt.Errorf("extend job leases: %w", err)
	}
	return tx.Commit()
}

// CompleteJob removes a finished job and enqueues its follow-ups (the next
// occurrence of a series) in the same transaction, so a series neither
// stops nor doubles across a crash. It returns ErrNotFound, and enqueues
// nothing, when the job is gone: it was cancelled while it ran, and its
// series was cancelled with it.
func (db *DB) CompleteJob(ctx context.Context, id int64, next ...NewJob) error {
	// Completions of the scheduler's workers share commits (see writeTx):
	// with a no-op handler the queue is bound by commits, one per job
	// without.
	inserted := 0
	err := db.writeTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		inserted = 0
		res, err := tx.ExecContext(ctx, `DELETE FROM jobs WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if err := mustAffectOne(res, id); err != nil {
			return err
		}
		for _, j := range next {
			ok, err := EnqueueTx(ctx, tx, j)
			if err != nil {
				return err
			}
			if ok {
				inserted++
			}
		}
		return nil
	})
	if errors.Is(err, ErrNotFound) {
		return err // "job N: not found": cancelled while it ran
	}
	if err != nil {
		return fmt.Errorf("complete job %d: %w", id, err)
	}
	if inserted > 0 {
		db.JobsEnqueued()
	}
	return nil
}

// RetryJob releases the job's lease and queues it again for retryAt with
// errText as its last error. ErrNotFound when the job is gone.
func (db *DB) RetryJob(ctx context.Context, id int64, retryAt time.Time, errText string) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE jobs SET run_at = ?, locked_until = 0, last_error = ? WHERE id = ?`,
		retryAt.UnixMilli(), truncateError(errText), id)
	if err != nil {
		return fmt.Errorf("retry job %d: %w", id, err)
	}
	if err := mustAffectOne(res, id); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("retry job %d: %w", id, err)
	}
	// The retry may fall before whatever the scheduler is sleeping towards.
	db.JobsEnqueued()
	return nil
}

// FailJob moves the job out of the queue into jobs_failed with errText as
// its last error, for an operator to inspect (FailedJobs). Its dedupe key
// is free again afterwards. ErrNotFound when the job is gone.
func (db *DB) FailJob(ctx context.Context, id int64, errText string) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `INSERT INTO jobs_failed
		(id, kind, guild_id, user_id, payload, run_at, dedupe_key, attempts, last_error, created_at, failed_at)
		SELECT id, kind, guild_id, user_id, payload, run_at, dedupe_key, attempts, ?, created_at, ?
		FROM jobs WHERE id = ?`,
		truncateError(errText), time.Now().UnixMilli(), id)
	if err != nil {
		return fmt.Errorf("fail job %d: %w", id, err)
	}
	if err := mustAffectOne(res, id); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM jobs WHERE id = ?`, id); err != nil {
		return fmt.Errorf("fail job %d: %w", id, err)
	}
	return tx.Commit()
}

// FailedJobs returns up to limit failed jobs, most recently failed first.
func (db *DB) FailedJobs(ctx context.Context, limit int) ([]Job, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+jobColumns+` FROM jobs_failed ORDER BY failed_at DESC, id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("list failed jobs: %w", err)
	}
	jobs, err := scanJobs(rows)
	if err != nil {
		return nil, fmt.Errorf("list failed jobs: %w", err)
	}
	return jobs, nil
}

// PruneFailedJobs deletes failed jobs that failed before cutoff and returns
// how many; a housekeeping task, since their payloads may hold member data.
func (db *DB) PruneFailedJobs(ctx context.Context, cutoff time.Time) (int, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `DELETE FROM jobs_failed WHERE failed_at < ?`, cutoff.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("prune failed jobs: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	return int(n), tx.Commit()
}

// NextJobTime is when the next job becomes claimable: the earliest run_at
// among unclaimed jobs, or the end of an expired-to-be lease for claimed
// ones. It may lie in the past (work is due now). ok is false when the
// queue is empty.
func (db *DB) NextJobTime(ctx context.Context) (t time.Time, ok bool, err error) {
	var ms int64
	err = db.read.QueryRowContext(ctx, db.dialect.nextJobTime).Scan(&ms)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("next job time: %w", err)
	}
	return time.UnixMilli(ms).UTC(), true, nil
}

// CancelJobs removes the jobs whose dedupe key starts with dedupePrefix
// (e.g. "meeting:12:" for all of a meeting's reminders) and returns how
// many. A job that is running right now is removed too: its completion
// then finds it gone and enqueues no follow-up, so a cancelled series
// stays cancelled.
func (db *DB) CancelJobs(ctx context.Context, dedupePrefix string) (int, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	n, err := CancelJobsTx(ctx, tx, dedupePrefix)
	if err != nil {
		return 0, err
	}
	return n, tx.Commit()
}

// CancelJobsTx is CancelJobs inside the caller's transaction, so that
// cancelling a meeting and its reminders commit together. An empty prefix
// is refused: it would cancel every job of every server.
func CancelJobsTx(ctx context.Context, tx *sql.Tx, dedupePrefix string) (int, error) {
	if dedupePrefix == "" {
		return 0, errors.New("cancel jobs: empty dedupe prefix")
	}
	if !utf8.ValidString(dedupePrefix) {
		return 0, fmt.Errorf("cancel jobs %q: dedupe prefix is not UTF-8", dedupePrefix)
	}
	// A range over the dedupe key's unique index instead of LIKE, which
	// would need escaping and, being case-insensitive, could not use it.
	query, args := `DELETE FROM jobs WHERE dedupe_key >= ?`, []any{dedupePrefix}
	if end, ok := prefixEnd(dedupePrefix); ok {
		query += ` AND dedupe_key < ?`
		args = append(args, end)
	}
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, fmt.Errorf("cancel jobs %q: %w", dedupePrefix, err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// prefixEnd returns the smallest string greater than every string that
// starts with prefix, in the byte order both engines compare dedupe keys
// in (which, for UTF-8, is code point order): the prefix with its last
// code point incremented. ok is false when there is none (every code
// point is the last one).
func prefixEnd(prefix string) (string, bool) {
	for prefix != "" {
		r, size := utf8.DecodeLastRuneInString(prefix)
		prefix = prefix[:len(prefix)-size]
		switch {
		case r == utf8.MaxRune:
			continue
		case r == 0xD7FF: // the surrogates are not code points
			return prefix + "\uE000", true
		default:
			return prefix + string(r+1), true
		}
	}
	return "", false
}

// JobsChanged receives (buffered, one pending signal at most) after a
// committed write enqueued a job or moved one earlier, so a sleeping
// scheduler can look again. There is one channel per DB: one scheduler
// should listen.
func (db *DB) JobsChanged() <-chan struct{} { return db.jobsWake }

// JobsEnqueued tells the scheduler that jobs were enqueued. Domain methods
// that call EnqueueTx call it after their Commit; it never blocks.
func (db *DB) JobsEnqueued() {
	db.wakeScheduler()
	if db.events != nil {
		db.events.enqueued() // and the other processes' schedulers
	}
}

// wakeScheduler signals JobsChanged; it never blocks.
func (db *DB) wakeScheduler() {
	select {
	case db.jobsWake <- struct{}{}:
	default:
	}
}

func mustAffectOne(res sql.Result, id int64) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("job %d: %w", id, ErrNotFound)
	}
	return nil
}

func truncateError(s string) string {
	if len(s) <= maxErrorText {
		return s
	}
	// Cut on a rune boundary so the stored text stays valid UTF-8.
	cut := maxErrorText
	for cut > 0 && s[cut]&0xc0 == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}
