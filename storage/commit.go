package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"sync"
)

// Group commit. SQLite has one writer, and most of a small write's cost is
// its COMMIT (appending the pages to the WAL). Writes that go through
// writeTx are queued to one committer goroutine, which runs whatever is
// waiting in a single transaction, each write in its own SAVEPOINT, and
// commits once: a burst of check-ins pays for one commit, not one each.
//
// For its caller a writeTx is still one transaction: its writes all land
// or none do, it sees the writes queued before it, and it returns only
// after the COMMIT that made it durable has returned. A write that fails
// is rolled back to its savepoint and fails alone; a COMMIT that fails
// fails every write in the group, and none of them is stored.

// maxWriteGroup bounds how many writes share a commit, so one commit's
// latency stays bounded under any burst. Each write in a group is a
// savepoint; PostgreSQL keeps the ids of at most 64 of a transaction's
// subtransactions in shared memory and past that slows other sessions'
// reads, so its groups stop at 64 (dialect.maxWriteGroup).
const maxWriteGroup = 128

// errClosed is returned by writes that arrive once Close has begun.
var errClosed = errors.New("storage: the database is closed")

// writeRequest is one queued writeTx.
type writeRequest struct {
	ctx  context.Context // the caller's: checked before its turn, never passed to SQLite
	fn   func(ctx context.Context, tx *sql.Tx) error
	done chan writeResult // buffered: the committer never waits for the caller
	res  writeResult      // the committer's working copy
}

type writeResult struct {
	err      error
	panicked any // fn panicked: re-raised in the caller's goroutine
}

// committer is the state of group commit on a DB.
type committer struct {
	queue chan *writeRequest // unbuffered: a request is either taken or not

	mu      sync.RWMutex
	closed  bool           // no new writes are taken
	pending sync.WaitGroup // writes taken and not yet answered
	exited  chan struct{}  // closed when the committer goroutine returns

	// beforeCommit, when set (tests only), runs just before COMMIT; an
	// error from it stands for a COMMIT that failed.
	beforeCommit func() error
}

func (db *DB) startCommitter() {
	db.commits.queue = make(chan *writeRequest)
	db.commits.exited = make(chan struct{})
	go db.commitLoop()
}

// writeTx runs fn in a write transaction shared with whatever other writes
// are waiting, and returns once that transaction has committed (nil) or
// fn's writes have been undone (an error).
//
// fn must use the ctx it is given, never the caller's: a statement
// interrupted by a cancelled context rolls back the whole transaction,
// and with it the other callers' writes. The caller's ctx only decides
// whether fn runs at all. fn must not call another *DB method that writes
// (the committer would wait for itself), and it runs once or,
// when ctx ends before its turn, not at all.
func (db *DB) writeTx(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	c := &db.commits
	c.mu.RLock()
	if c.closed {
		c.mu.RUnlock()
		return errClosed
	}
	c.pending.Add(1)
	c.mu.RUnlock()
	defer c.pending.Done()

	r := &writeRequest{ctx: ctx, fn: fn, done: make(chan writeResult, 1)}
	select {
	case c.queue <- r:
	case <-ctx.Done():
		return ctx.Err()
	}
	// Taken: wait for the answer even if ctx ends now, since the write
	// may already be part of a transaction that will commit.
	res := <-r.done
	if res.panicked != nil {
		panic(res.panicked)
	}
	return res.err
}

func (db *DB) commitLoop() {
	defer close(db.commits.exited)
	group := make([]*writeRequest, 0, maxWriteGroup)
	for first := range db.commits.queue {
		// The writers woken by the last commit are usually runnable but
		// not yet queued: let them queue before the group is gathered.
		runtime.Gosched()
		group = db.commitGroup(append(group[:0], first))
		clear(group) // don't keep the last group's closures alive
	}
}

// gather adds to group the writes waiting in the queue, up to
// maxWriteGroup, without waiting for more.
func (db *DB) gather(group []*writeRequest) []*writeRequest {
	for len(group) < db.dialect.maxWriteGroup {
		select {
		case r, ok := <-db.commits.queue:
			if !ok {
				return group
			}
			group = append(group, r)
		default:
			return group
		}
	}
	return group
}

// commitGroup runs a group of writes in one transaction, taking in the
// writes that queue while it runs them, and answers each. It returns the
// whole group.
func (db *DB) commitGroup(group []*writeRequest) []*writeRequest {
	defer func() {
		for _, r := range group {
			r.done <- r.res
		}
	}()
	ctx := context.Background()
	tx, err := db.write.BeginTx(ctx, nil)
	group = db.gather(group)
	if err != nil {
		for _, r := range group {
			r.res.err = fmt.Errorf("begin write: %w", err)
		}
		return group
	}
	defer tx.Rollback()

	ok := 0
	// A write's savepoint is released together with the next write's
	// SAVEPOINT, in one statement (one round trip on PostgreSQL); the
	// last one is released by COMMIT.
	released := true
	for i := 0; i < len(group); i++ {
		r := group[i]
		if err := r.ctx.Err(); err != nil {
			r.res.err = err // the caller gave up before its turn
			continue
		}
		if i == len(group)-1 {
			// The writes that queued meanwhile join before this one runs,
			// so it knows whether it is alone.
			group = db.gather(group)
		}
		// A lone write needs no savepoint: if it fails, the transaction
		// is rolled back below.
		if len(group) > 1 {
			begin := `SAVEPOINT write`
			if !released {
				begin = `RELEASE write; SAVEPOINT write`
			}
			if _, err := tx.ExecContext(ctx, begin); err != nil {
				failGroup(group[:i], group[i:], fmt.Errorf("savepoint: %w", err))
				return group
			}
			released = false
		}
		r.res = run(ctx, tx, r.fn)
		if r.res.err == nil && r.res.panicked == nil {
			ok++
		} else if !released {
			if _, err := tx.ExecContext(ctx, `ROLLBACK TO write`); err != nil {
				// SQLite has rolled back the whole transaction (an I/O
				// error, a full disk): the writes before this one are
				// gone too.
				failGroup(group[:i+1], group[i+1:], fmt.Errorf("roll back a failed write: %w", err))
				return group
			}
		}
	}
	if ok == 0 {
		return group // nothing to keep: the deferred Rollback undoes any partial write
	}
	if hook := db.commits.beforeCommit; hook != nil {
		err = hook()
	}
	if err == nil {
		err = tx.Commit()
	}
	if err != nil {
		failGroup(group, nil, fmt.Errorf("commit: %w", err))
	}
	return group
}

// run calls fn, turning a panic into a result for its caller.
func run(ctx context.Context, tx *sql.Tx, fn func(ctx context.Context, tx *sql.Tx) error) (res writeResult) {
	defer func() {
		if p := recover(); p != nil {
			res.panicked = p
		}
	}()
	res.err = fn(ctx, tx)
	return res
}

// failGroup gives err to every write in ran that had succeeded (its
// writes are lost with the transaction) and to every write in notRun.
func failGroup(ran, notRun []*writeRequest, err error) {
	for _, r := range ran {
		if r.res.err == nil && r.res.panicked == nil {
			r.res.err = err
		}
	}
	for _, r := range notRun {
		r.res = writeResult{err: err}
	}
}

// closeCommitter stops taking writes, waits until every write already
// taken is answered, and stops the committer.
func (db *DB) closeCommitter() {
	c := &db.commits
	c.mu.Lock()
	wasClosed := c.closed
	c.closed = true
	c.mu.Unlock()
	if wasClosed {
		<-c.exited
		return
	}
	c.pending.Wait()
	close(c.queue)
	<-c.exited
}
