// Package storage is Kindred's database: one concrete *DB over SQLite (the
// default, one file) or PostgreSQL, with embedded, numbered migrations per
// engine. Methods are grouped by feature, one
// transaction each. The durable job queue is jobs.go; every dedupe key of
// every job, and the prefixes that cancel a family of jobs, are built in
// jobkeys.go and nowhere else.
package storage

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/mattn/go-sqlite3"
)

// ErrNotFound is returned when the row a caller asked for does not exist.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned when a write would break a uniqueness rule.
var ErrConflict = errors.New("conflict")

// ErrSchemaTooNew is returned by Open when the database was migrated by a
// newer Kindred than this binary: running on would risk corrupting it.
var ErrSchemaTooNew = errors.New("database schema is newer than this version of Kindred")

//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrationFiles embed.FS

// DB is Kindred's database. SQLite allows one writer at a time, so writes
// go through a pool of exactly one connection that takes the write lock at
// BEGIN (no lock upgrades, no SQLITE_BUSY storms), and reads use their own
// pool. PostgreSQL is used the same way (see postgres.go). The hottest
// writes share commits (see writeTx).
type DB struct {
	write   *sql.DB
	read    *sql.DB
	dialect dialect
	path    string // the SQLite file; empty on PostgreSQL
	commits committer

	checkpoints *checkpointer // SQLite only
	events      *pgEvents     // PostgreSQL only
	pg          *pgShared     // PostgreSQL only

	// settings caches GuildSettings by guild id: they are read on nearly
	// every interaction and change only through UpdateGuildSettings. On
	// PostgreSQL, where several processes may share the database, the
	// others' changes arrive as notifications (see pgEvents).
	settings settingsCache

	jobsWake chan struct{} // see JobsChanged

	identifyTurns identifyTurns // SQLite only: see IdentifyTurn
}

// readPoolSize is how many connections the read pool may open. No method
// holds one connection while asking for another (see TestPoolNesting), so
// a full pool only makes readers wait their turn.
const readPoolSize = 4

// Open opens (creating if needed) the SQLite database at path and brings
// its schema up to date.
func Open(ctx context.Context, path string) (*DB, error) {
	return open(ctx, path, readPoolSize)
}

// open is Open with a read pool of readConns connections.
func open(ctx context.Context, path string, readConns int) (*DB, error) {
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("database path %q: want a file path", path)
	}
	if dir := filepath.Dir(path); dir != "" {
		if _, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("database directory %s: %w", dir, err)
		}
	}
	checkpoints, err := newCheckpointer(path)
	if err != nil {
		return nil, err
	}
	read, err := sql.Open("sqlite3", dsn(path, false))
	if err != nil {
		checkpoints.conn.Close()
		return nil, err
	}
	read.SetMaxOpenConns(readConns)
	db := &DB{read: read, dialect: sqliteDialect, path: path, checkpoints: checkpoints, jobsWake: make(chan struct{}, 1)}
	db.write = openWritePool(path, db.committed)
	go db.checkpointLoop()
	db.startCommitter()
	if err := migrate(ctx, db.write, sqliteDialect); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func dsn(path string, writer bool) string {
	q := url.Values{}
	q.Set("_foreign_keys", "on")
	q.Set("_journal_mode", "WAL")
	q.Set("_busy_timeout", "5000")
	q.Set("_synchronous", "NORMAL")
	// A larger page cache and reused prepared statements make the hot
	// writes (check-ins and their streak) markedly faster; the cache only
	// grows as pages are read.
	q.Set("_cache_size", "-16384") // KiB
	q.Set("_stmt_cache_size", "32")
	if writer {
		q.Set("_txlock", "immediate")
	} else {
		q.Set("mode", "rw")
	}
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// Close waits for the writes already queued to commit, refuses new ones,
// and closes both pools.
func (db *DB) Close() error {
	db.closeCommitter()
	return errors.Join(db.closeCheckpointer(), db.closeEvents(), db.read.Close(), db.write.Close())
}

// Ping reports whether the database answers a query, for /healthz.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	if err := db.read.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
		return fmt.Errorf("database: %w", err)
	}
	return nil
}

// Path is the SQLite database file, for messages about it; empty on
// PostgreSQL.
func (db *DB) Path() string { return db.path }

// Engine is "sqlite" or "postgres".
func (db *DB) Engine() string { return db.dialect.name }

type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations reads the migrations of one engine ("sqlite" or
// "postgres"), in order.
func loadMigrations(engine string) ([]migration, error) {
	dir := "migrations/" + engine
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		prefix, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(prefix)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with a positive number and '_'", e.Name())
		}
		body, err := migrationFiles.ReadFile(dir + "/" + e.Name())
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(body)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: expected number %d", m.name, i+1)
		}
	}
	return ms, nil
}

// SchemaVersion is the highest migration this binary knows. Both engines
// have the same migrations, by number and name (TestMigrationsMatch).
func SchemaVersion() int {
	ms, err := loadMigrations("sqlite")
	if err != nil {
		return 0
	}
	return len(ms)
}

// migrationConn is what migrate needs of a connection: *sql.DB (SQLite's
// one write connection) or *sql.Conn (PostgreSQL's, holding the
// migration lock).
type migrationConn interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
}

// migrate applies the migrations the database lacks, each in its own
// transaction together with its row in schema_migrations.
func migrate(ctx context.Context, conn migrationConn, d dialect) error {
	ms, err := loadMigrations(d.name)
	if err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY,
		name TEXT NOT NULL,
		applied_at BIGINT NOT NULL
	)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", describe(err))
	}
	var current int
	if err := conn.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if current > len(ms) {
		return fmt.Errorf("%w (database at version %d, this binary knows %d): upgrade Kindred", ErrSchemaTooNew, current, len(ms))
	}
	for _, m := range ms[current:] {
		if err := apply(ctx, conn, m); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
	}
	return nil
}

func apply(ctx context.Context, conn migrationConn, m migration) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		m.version, m.name, time.Now().Unix()); err != nil {
		return err
	}
	return tx.Commit()
}

// describe turns SQLite's terse open errors into something an operator can act on.
func describe(err error) error {
	var se sqlite3.Error
	if errors.As(err, &se) && (se.Code == sqlite3.ErrCantOpen || se.Code == sqlite3.ErrReadonly || se.Code == sqlite3.ErrPerm) {
		return fmt.Errorf("cannot open or write the database file: %w", err)
	}
	return err
}
