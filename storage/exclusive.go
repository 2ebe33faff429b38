package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Process-wide tasks (the nightly housekeeping, registering Discord's
// commands at startup) run in one process at a time. On SQLite there is
// one process per database file, so they just run. On PostgreSQL several
// processes may share the database, and a task runs under a session
// advisory lock named after the schema and the task.
//
// The lock's session is a connection of its own, opened for the task and
// closed after it, outside the two pools: the task itself uses the pools,
// and with the smallest database.max_connections the read pool has a
// single connection, which the lock would otherwise hold while the task
// waits for it. Closing the connection ends the session, so a lock is
// never left behind, whatever happens to the unlock.

// unlockTimeout bounds the unlock; after it the closing connection ends
// the lock.
const unlockTimeout = 5 * time.Second

// pgShared is what the PostgreSQL-only features keep of OpenPostgres's
// arguments.
type pgShared struct {
	cfg    *pgx.ConnConfig
	schema string
}

// RunExclusive runs fn unless another process sharing the database is
// running the task of the same name; ran reports whether fn ran. Two
// processes whose cron fire together thus run a task once between them.
func (db *DB) RunExclusive(ctx context.Context, name string, fn func(ctx context.Context) error) (ran bool, err error) {
	return db.runLocked(ctx, name, false, fn)
}

// RunExclusiveWait runs fn once no other process sharing the database runs
// the task of the same name, waiting for it as long as ctx allows.
func (db *DB) RunExclusiveWait(ctx context.Context, name string, fn func(ctx context.Context) error) error {
	_, err := db.runLocked(ctx, name, true, fn)
	return err
}

func (db *DB) runLocked(ctx context.Context, name string, wait bool, fn func(ctx context.Context) error) (bool, error) {
	if db.pg == nil {
		return true, fn(ctx)
	}
	conn, err := pgx.ConnectConfig(ctx, db.pg.cfg)
	if err != nil {
		return false, fmt.Errorf("task %q: connect for its lock: %w", name, err)
	}
	defer conn.Close(context.Background())
	key := lockKey("kindred task " + db.pg.schema + "\x00" + name)
	if wait {
		if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, key); err != nil {
			return false, fmt.Errorf("task %q: wait for its lock: %w", name, err)
		}
	} else {
		var got bool
		if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&got); err != nil {
			return false, fmt.Errorf("task %q: take its lock: %w", name, err)
		}
		if !got {
			return false, nil
		}
	}
	err = fn(ctx)
	// Unlock before closing, so a process waiting for the lock has it at
	// once rather than when the server notices the session ended.
	unlockCtx, cancel := context.WithTimeout(context.Background(), unlockTimeout)
	defer cancel()
	conn.Exec(unlockCtx, `SELECT pg_advisory_unlock($1)`, key)
	return true, err
}
