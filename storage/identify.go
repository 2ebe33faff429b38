package storage

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Gateway identify turns. Discord lets each rate limit key of a bot
// (shard_id % max_concurrency) start one gateway session per 5 seconds,
// whichever process sends the IDENTIFY, and answers one too early with
// op 9 (Invalid Session). A shard identifies inside IdentifyTurn, which
// runs one identify per key at a time and starts it no sooner than the
// interval after the previous one of that key ended.
//
// On PostgreSQL the processes sharing the database take the turns
// together: the turn is a session advisory lock named after the schema
// and the key, held on a connection of its own (as RunExclusive's), and
// the time the key last identified is a row of identify_turns, read and
// written on the database's clock so that processes on hosts whose
// clocks differ still keep the interval. On SQLite a process is alone
// with its file, and the turns are kept in memory.

// identifyTurns are a SQLite process's turns, per rate limit key. The
// zero value is ready.
type identifyTurns struct {
	mu   sync.Mutex
	keys map[int]*identifyKey
}

// identifyKey is one rate limit key's turn: turn holds a token while a
// shard of the key waits out the interval or identifies.
type identifyKey struct {
	turn chan struct{}
	last time.Time // when the key's last identify ended; zero before the first
}

func (t *identifyTurns) key(k int) *identifyKey {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.keys == nil {
		t.keys = map[int]*identifyKey{}
	}
	ik := t.keys[k]
	if ik == nil {
		ik = &identifyKey{turn: make(chan struct{}, 1)}
		t.keys[k] = ik
	}
	return ik
}

// IdentifyTurn runs identify (a shard's IDENTIFY, up to its READY) when it
// is the turn of rate limit key: no other identify of the key runs, in
// this process or, on PostgreSQL, in another sharing the database, and
// the previous one ended at least interval ago. It waits for the turn as
// long as ctx allows, and returns identify's error, or why the turn could
// not be had (identify then did not run).
//
// The time is taken when identify returns, which is after Discord
// received the IDENTIFY: the next identify of the key is thus at least
// interval after it, whatever the time between the turn and the send.
func (db *DB) IdentifyTurn(ctx context.Context, key int, interval time.Duration, identify func(ctx context.Context) error) error {
	if db.pg == nil {
		return db.identifyTurns.run(ctx, key, interval, identify)
	}
	return db.pgIdentifyTurn(ctx, key, interval, identify)
}

func (t *identifyTurns) run(ctx context.Context, key int, interval time.Duration, identify func(ctx context.Context) error) error {
	ik := t.key(key)
	select {
	case ik.turn <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-ik.turn }()
	if !ik.last.IsZero() {
		if sleep(ctx, time.Until(ik.last.Add(interval))); ctx.Err() != nil {
			return ctx.Err()
		}
	}
	err := identify(ctx)
	ik.last = time.Now()
	return err
}

// nowMillis is the database's clock in unix milliseconds. clock_timestamp,
// not now(): now() is the transaction's start.
const nowMillis = `(extract(epoch FROM clock_timestamp()) * 1000)::bigint`

func (db *DB) pgIdentifyTurn(ctx context.Context, key int, interval time.Duration, identify func(ctx context.Context) error) error {
	conn, err := pgx.ConnectConfig(ctx, db.pg.cfg)
	if err != nil {
		return fmt.Errorf("identify turn of key %d: connect for its lock: %w", key, err)
	}
	defer conn.Close(context.Background())
	lock := lockKey("kindred identify " + db.pg.schema + "\x00identify:" + strconv.Itoa(key))
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, lock); err != nil {
		return fmt.Errorf("identify turn of key %d: wait for its lock: %w", key, err)
	}
	// Unlock before closing, so a process waiting for the turn has it at
	// once rather than when the server notices the session ended.
	defer func() {
		unlockCtx, cancel := context.WithTimeout(context.Background(), unlockTimeout)
		defer cancel()
		conn.Exec(unlockCtx, `SELECT pg_advisory_unlock($1)`, lock)
	}()
	var now, last int64
	if err := conn.QueryRow(ctx, `SELECT `+nowMillis+`,
		COALESCE((SELECT identified_at FROM identify_turns WHERE rate_key = $1), 0)`, key).Scan(&now, &last); err != nil {
		return fmt.Errorf("identify turn of key %d: %w", key, err)
	}
	if last > 0 {
		if sleep(ctx, time.Duration(last+interval.Milliseconds()-now)*time.Millisecond); ctx.Err() != nil {
			return ctx.Err()
		}
	}
	// The time is written before the identify too, so that if this
	// process dies during it, the next turn still waits the interval.
	record := func(ctx context.Context) error {
		_, err := conn.Exec(ctx, `INSERT INTO identify_turns (rate_key, identified_at) VALUES ($1, `+nowMillis+`)
			ON CONFLICT (rate_key) DO UPDATE SET identified_at = excluded.identified_at`, key)
		if err != nil {
			return fmt.Errorf("identify turn of key %d: record it: %w", key, err)
		}
		return nil
	}
	if err := record(ctx); err != nil {
		return err
	}
	err = identify(ctx)
	// Recorded again at the end, even when ctx ended during the identify:
	// it may have reached Discord. Should this write fail, the one before
	// the identify stands, and the shard, identified, runs on.
	recordCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), unlockTimeout)
	defer cancel()
	record(recordCtx)
	return err
}
