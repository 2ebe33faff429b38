package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

const commitGuild = "120000000000000001"

func openCommitTest(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "kindred.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// insertCheckin is a write as RecordCheckin makes it, without the streak.
func insertCheckin(user string) func(ctx context.Context, tx *sql.Tx) error {
	return func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO checkins (guild_id, user_id, mood, note, shared, local_date, created_at) VALUES (?, ?, 3, '', 0, '2026-11-25', 0)`,
			commitGuild, user)
		return err
	}
}

func storedUsers(t *testing.T, db *DB) map[string]int {
	t.Helper()
	rows, err := db.read.Query(`SELECT user_id, COUNT(*) FROM checkins GROUP BY user_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var u string
		var n int
		if err := rows.Scan(&u, &n); err != nil {
			t.Fatal(err)
		}
		out[u] = n
	}
	return out
}

func request(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) *writeRequest {
	return &writeRequest{ctx: ctx, fn: fn, done: make(chan writeResult, 1)}
}

// Many members checking in at once share commits, and each gets back
// the streak of its own days, as if the check-ins had run one by one.
func TestConcurrentCheckins(t *testing.T) { eachEngine(t, testConcurrentCheckins) }

func testConcurrentCheckins(t *testing.T, db *DB) {
	const members, days = 8, 40
	start := time.Date(2026, 1, 1, 20, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	for m := range members {
		user := fmt.Sprintf("22%016d", m)
		wg.Go(func() {
			for d := range days {
				at := start.AddDate(0, 0, d)
				s, err := db.RecordCheckin(context.Background(), Checkin{GuildID: commitGuild, UserID: user, Mood: 3, LocalDate: at.Format(time.DateOnly), At: at})
				if err != nil {
					t.Error(err)
					return
				}
				if s.Days != d+1 || !s.Today {
					t.Errorf("%s on day %d: streak %+v, want %d days, today", user, d, s, d+1)
					return
				}
			}
		})
	}
	wg.Wait()
	stored := storedUsers(t, db)
	for m := range members {
		if user := fmt.Sprintf("22%016d", m); stored[user] != days {
			t.Errorf("%s has %d check-ins stored, want %d", user, stored[user], days)
		}
	}
}

// In a group, a write that fails (its own error, a broken constraint, a
// panic, a caller that gave up) is undone and reported to its caller
// alone; the others commit.
func TestFailingWriteFailsAlone(t *testing.T) { eachEngine(t, testFailingWriteFailsAlone) }

func testFailingWriteFailsAlone(t *testing.T, db *DB) {
	ctx := context.Background()
	gaveUp, cancel := context.WithCancel(ctx)
	cancel()
	refused := errors.New("refused")
	group := []*writeRequest{
		request(ctx, insertCheckin("ok-1")),
		request(ctx, func(ctx context.Context, tx *sql.Tx) error {
			if err := insertCheckin("own-error")(ctx, tx); err != nil {
				return err
			}
			return refused // after writing: the write must be undone
		}),
		request(gaveUp, insertCheckin("gave-up")),
		request(ctx, func(ctx context.Context, tx *sql.Tx) error {
			if err := insertCheckin("constraint")(ctx, tx); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO checkins (guild_id, user_id, group_id, mood, note, shared, local_date, created_at)
				VALUES (?, 'constraint', 999, 3, '', 0, '2026-11-25', 0)`, commitGuild)
			return err // no group 999: the foreign key fails
		}),
		request(ctx, func(ctx context.Context, tx *sql.Tx) error {
			if err := insertCheckin("panics")(ctx, tx); err != nil {
				return err
			}
			panic("a bug")
		}),
		request(ctx, insertCheckin("ok-2")),
	}
	db.commitGroup(group)

	for i, want := range []error{nil, refused, context.Canceled, nil, nil, nil} {
		if got := (<-group[i].done).err; i == 3 {
			if got == nil || !isConstraint(got) {
				t.Errorf("write %d: err = %v, want the foreign key's", i, got)
			}
		} else if !errors.Is(got, want) {
			t.Errorf("write %d: err = %v, want %v", i, got, want)
		}
	}
	if p := group[4].res.panicked; p != "a bug" {
		t.Errorf("panicking write: panicked = %v, want it handed back", p)
	}
	if got, want := storedUsers(t, db), map[string]int{"ok-1": 1, "ok-2": 1}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("stored %v, want %v", got, want)
	}
}

// A panic in a write reaches its caller's goroutine, where the bot's
// recovery answers the member, and does not kill the committer.
func TestWritePanicReachesCaller(t *testing.T) { eachEngine(t, testWritePanicReachesCaller) }

func testWritePanicReachesCaller(t *testing.T, db *DB) {
	func() {
		defer func() {
			if p := recover(); p != "a bug" {
				t.Errorf("recovered %v, want the write's panic", p)
			}
		}()
		db.writeTx(context.Background(), func(context.Context, *sql.Tx) error { panic("a bug") })
	}()
	if err := db.writeTx(context.Background(), insertCheckin("after")); err != nil {
		t.Fatalf("a write after the panic: %v", err)
	}
}

// No caller hears back before the COMMIT has returned, and a COMMIT that
// fails fails every write of its group, none of which is stored.
func TestCommitBeforeAnswer(t *testing.T) { eachEngine(t, testCommitBeforeAnswer) }

func testCommitBeforeAnswer(t *testing.T, db *DB) {
	ctx := context.Background()
	group := []*writeRequest{request(ctx, insertCheckin("a")), request(ctx, insertCheckin("b")), request(ctx, insertCheckin("c"))}
	diskFull := errors.New("disk full")
	db.commits.beforeCommit = func() error {
		for i, r := range group {
			if len(r.done) != 0 {
				t.Errorf("write %d was answered before its commit", i)
			}
		}
		return diskFull
	}
	db.commitGroup(group)
	for i, r := range group {
		if err := (<-r.done).err; !errors.Is(err, diskFull) {
			t.Errorf("write %d: err = %v, want the commit's", i, err)
		}
	}
	if _, err := db.RecordCheckin(ctx, Checkin{GuildID: commitGuild, UserID: "d", Mood: 3, LocalDate: "2026-11-25", At: time.Unix(1, 0)}); !errors.Is(err, diskFull) {
		t.Errorf("RecordCheckin: err = %v, want the commit's", err)
	}
	if got := storedUsers(t, db); len(got) != 0 {
		t.Errorf("stored %v after failed commits, want nothing", got)
	}
}

// Close waits for the write in progress and the writes queued behind it
// to commit, and refuses writes after it.
func TestCloseDrainsWrites(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "kindred.db")
		db, err := Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		release := make(chan struct{})
		errs := make(chan error, 4)
		go func() {
			errs <- db.writeTx(context.Background(), func(ctx context.Context, tx *sql.Tx) error {
				<-release
				return insertCheckin("in-progress")(ctx, tx)
			})
		}()
		synctest.Wait() // the committer is inside the first write
		for _, u := range []string{"queued-1", "queued-2", "queued-3"} {
			go func() { errs <- db.writeTx(context.Background(), insertCheckin(u)) }()
		}
		synctest.Wait() // three writes wait in the queue
		closed := make(chan error)
		go func() { closed <- db.Close() }()
		synctest.Wait()
		select {
		case err := <-closed:
			t.Fatalf("Close returned (%v) with writes queued", err)
		default:
		}
		close(release)
		if err := <-closed; err != nil {
			t.Fatal(err)
		}
		for range 4 {
			if err := <-errs; err != nil {
				t.Errorf("a write taken before Close: %v", err)
			}
		}
		if err := db.writeTx(context.Background(), insertCheckin("late")); !errors.Is(err, errClosed) {
			t.Errorf("a write after Close: err = %v, want errClosed", err)
		}

		db, err = Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if got, want := storedUsers(t, db), map[string]int{"in-progress": 1, "queued-1": 1, "queued-2": 1, "queued-3": 1}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("stored %v, want %v", got, want)
		}
	})
}

// Commits don't checkpoint (the write pool turns that off); the
// checkpointer does, between them, so the WAL stays about the size of
// what is written between two checkpoints rather than growing with
// everything ever written.
func TestCheckpointerBoundsWAL(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "kindred.db")
		db, err := Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var walMax int64
		for round := range 20 {
			for i := range 200 {
				user := fmt.Sprintf("23%08d%08d", round, i) // each a page of the index apart
				// Straight through the write pool, not writeTx: the
				// checkpointer hears of every commit on the connection.
				write := func(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
					tx, err := db.write.BeginTx(ctx, nil)
					if err != nil {
						return err
					}
					defer tx.Rollback()
					if err := fn(ctx, tx); err != nil {
						return err
					}
					return tx.Commit()
				}
				if err := write(context.Background(), insertCheckin(user)); err != nil {
					t.Fatal(err)
				}
			}
			time.Sleep(2 * checkpointEvery) // the bubble's clock: no real wait
			synctest.Wait()
			st, err := os.Stat(path + "-wal")
			if err != nil {
				t.Fatal(err)
			}
			walMax = max(walMax, st.Size())
		}
		// 4,000 commits of a page or more each: unchecked, the WAL would
		// pass 16 MB.
		if walMax > 4<<20 {
			t.Errorf("the WAL grew to %d bytes", walMax)
		}
	})
}
