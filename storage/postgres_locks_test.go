package storage_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/kindred-bot/kindred/storage"
	"github.com/kindred-bot/kindred/storage/storagetest"
)

// Two processes on one PostgreSQL database write one at a time: a write
// transaction begins only once the other process's has ended.
func TestPostgresWritesWaitForOtherProcesses(t *testing.T) {
	storagetest.Postgres.Require(t)
	d := storagetest.Postgres.New(t)
	first, second := d.Open(t), d.Open(t)
	ctx := context.Background()

	holding, err := storage.RawWrite(first).BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer holding.Rollback()
	var holder int
	if err := holding.QueryRow(`SELECT pg_backend_pid()`).Scan(&holder); err != nil {
		t.Fatal(err)
	}
	began := make(chan error, 1)
	go func() {
		tx, err := storage.RawWrite(second).BeginTx(ctx, nil)
		if err == nil {
			err = tx.Commit()
		}
		began <- err
	}()
	waitForLockWaiter(t, d.URL, holder)
	select {
	case err := <-began:
		t.Fatalf("second process began writing while the first was (err %v)", err)
	default:
	}
	if err := holding.Commit(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-began:
		if err != nil {
			t.Fatalf("second process's write: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("second process still waits after the first committed")
	}
}

// A write transaction that gives up waiting for the write lock (here a
// lock_timeout in the URL) fails alone: the connection is not left inside
// a transaction, and the next write succeeds.
func TestPostgresFailedWriteLockLeavesNoTransaction(t *testing.T) {
	storagetest.Postgres.Require(t)
	d := storagetest.Postgres.New(t)
	first := d.Open(t)
	impatient := storagetest.Database{Backend: d.Backend, URL: d.URL + "&lock_timeout=50ms"}.Open(t)
	ctx := context.Background()

	holding, err := storage.RawWrite(first).BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer holding.Rollback()
	_, err = storage.RawWrite(impatient).BeginTx(ctx, nil)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "55P03" { // lock_not_available
		t.Fatalf("write while another process writes: err = %v, want lock_not_available", err)
	}
	if err := holding.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, err := impatient.Enqueue(ctx, storage.NewJob{Kind: "k", DedupeKey: "after", RunAt: t0}); err != nil {
		t.Fatalf("write after a failed lock: %v", err)
	}
	if err := storage.RawWrite(first).QueryRow(`SELECT 1 FROM jobs WHERE dedupe_key = 'after'`).Scan(new(int)); errors.Is(err, sql.ErrNoRows) {
		t.Fatal("the write after a failed lock was not committed")
	} else if err != nil {
		t.Fatal(err)
	}
}

// waitForLockWaiter returns once a session waits for an advisory lock
// that the session holder (a backend's pid) holds; url names the server.
func waitForLockWaiter(t *testing.T, url string, holder int) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		var waiting bool
		if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_locks
			WHERE locktype = 'advisory' AND NOT granted AND $1 = ANY (pg_blocking_pids(pid)))`, holder).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting {
			return
		}
	}
	t.Fatal("no session waits for the write lock")
}
