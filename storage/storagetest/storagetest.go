// Package storagetest opens real, migrated databases for tests: SQLite
// files, and PostgreSQL schemas when a server is named by
// KINDRED_TEST_POSTGRES_URL.
package storagetest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/kindred-bot/kindred/internal/pgtest"
	"github.com/kindred-bot/kindred/storage"
)

// PostgresEnv names the variable that enables the PostgreSQL runs: a URL
// of a server and database where tests may create schemas.
const PostgresEnv = pgtest.Env

// Open returns a freshly migrated SQLite database in a file under
// t.TempDir(), closed when the test ends.
func Open(t testing.TB) *storage.DB {
	t.Helper()
	return SQLite.New(t).Open(t)
}

// A Backend is one database engine a suite runs against.
type Backend struct {
	Name string // "sqlite" or "postgres", the subtest's name
}

var (
	// SQLite is the default engine, always available.
	SQLite = Backend{Name: "sqlite"}
	// Postgres needs a server named by PostgresEnv.
	Postgres = Backend{Name: "postgres"}
)

// Backends are the engines, in the order suites run them.
func Backends() []Backend { return []Backend{SQLite, Postgres} }

// Each runs f once per backend, as subtests named after them, each with a
// fresh database closed when the subtest ends.
func Each(t *testing.T, f func(t *testing.T, db *storage.DB)) {
	t.Helper()
	EachBackend(t, func(t *testing.T, b Backend) { f(t, b.New(t).Open(t)) })
}

// EachBackend runs f once per backend, as subtests named after them; f
// makes its own databases (for tests that close and reopen one). The
// PostgreSQL subtest is skipped, saying how to enable it, unless
// PostgresEnv is set.
func EachBackend(t *testing.T, f func(t *testing.T, b Backend)) {
	t.Helper()
	for _, b := range Backends() {
		t.Run(b.Name, func(t *testing.T) {
			b.Require(t)
			f(t, b)
		})
	}
}

// Require skips t when b is not available here.
func (b Backend) Require(t testing.TB) {
	t.Helper()
	if b == Postgres {
		pgtest.Require(t)
	}
}

// A Database is a fresh, empty database of one backend that a test may
// open, close and open again: a file for SQLite, a schema of its own for
// PostgreSQL, removed when the test ends.
type Database struct {
	Backend Backend
	Path    string // SQLite's file
	URL     string // PostgreSQL's URL, its search_path set to the schema
}

// New makes an empty database; it is created when first opened.
func (b Backend) New(t testing.TB) Database {
	t.Helper()
	if b == SQLite {
		return Database{Backend: b, Path: filepath.Join(t.TempDir(), "kindred.db")}
	}
	return Database{Backend: b, URL: pgtest.NewSchema(t)}
}

// Open opens (migrating) the database, closed when the test ends.
func (d Database) Open(t testing.TB) *storage.DB {
	t.Helper()
	db, err := d.TryOpen()
	if err != nil {
		t.Fatalf("open %s test database: %v", d.Backend.Name, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TryOpen opens the database, returning the error (for tests of Open's
// refusals); the caller closes it.
func (d Database) TryOpen() (*storage.DB, error) {
	if d.Backend == SQLite {
		return storage.Open(context.Background(), d.Path)
	}
	return storage.OpenPostgres(context.Background(), d.URL, 8)
}
