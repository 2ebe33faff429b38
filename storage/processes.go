package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Live processes. Discord's global rate limit is per bot, not per process:
// every process sharing the database keeps a row in processes fresh, and
// divides the limit by how many rows are fresh. On SQLite there is one
// process per file, which always finds itself alone.

// ProcessTTL is how long a process counts as live after its last
// heartbeat. A process heartbeats several times within it, so one slow or
// failed heartbeat doesn't drop it; a process that died stops counting
// after it, and the others take back its share.
const ProcessTTL = 15 * time.Second

// Heartbeat records that the process id is live at now, deletes the rows
// of processes not heard from within ProcessTTL, and returns how many
// processes are live, itself included (at least 1).
func (db *DB) Heartbeat(ctx context.Context, id string, now time.Time) (live int, err error) {
	if id == "" {
		return 0, errors.New("heartbeat: empty process id")
	}
	ms := now.UnixMilli()
	err = db.writeTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO processes (id, started_at, heartbeat_at) VALUES (?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at`, id, ms, ms); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM processes WHERE heartbeat_at < ? AND id <> ?`,
			ms-ProcessTTL.Milliseconds(), id); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM processes`).Scan(&live)
	})
	if err != nil {
		return 0, fmt.Errorf("heartbeat: %w", err)
	}
	return live, nil
}

// Leave deletes the row of the process id, so the others count one
// process fewer at their next heartbeat instead of after ProcessTTL.
func (db *DB) Leave(ctx context.Context, id string) error {
	if err := db.writeTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM processes WHERE id = ?`, id)
		return err
	}); err != nil {
		return fmt.Errorf("leave: %w", err)
	}
	return nil
}
