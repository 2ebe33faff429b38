// Package storagetest opens real, migrated databases for tests: SQLite
// files, and PostgreSQL schemas when a server is named by
// KINDRED_TEST_POSTGRES_URL.
package storagetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/kindred-bot/kindred/storage"
)

// PostgresEnv names the variable that enables the PostgreSQL runs: a URL
// of a server and database where tests may create schemas.
const PostgresEnv = "KINDRED_TEST_POSTGRES_URL"

// PostgresHowTo is the one line a skipped PostgreSQL run says.
const PostgresHowTo = "PostgreSQL run skipped: set " + PostgresEnv +
	" (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable) to enable it"

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
	if b == Postgres && os.Getenv(PostgresEnv) == "" {
		t.Skip(PostgresHowTo)
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
	b.Require(t)
	return Database{Backend: b, URL: newSchema(t, os.Getenv(PostgresEnv))}
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

// newSchema creates a schema for one test in the server at base and
// returns base with its search_path set to it. The schema is dropped when
// the test ends, after the databases opened on it are closed (cleanups
// run last-registered first).
func newSchema(t testing.TB, base string) string {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("%s: want a postgres:// URL, got %q", PostgresEnv, base)
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "kindred_test_" + schemaSafe(t.Name()) + "_" + hex.EncodeToString(b[:])
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("%s: connect: %v", PostgresEnv, err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, `CREATE SCHEMA `+pgx.Identifier{schema}.Sanitize()); err != nil {
		t.Fatalf("create test schema: %v", err)
	}
	t.Cleanup(func() {
		admin, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("drop test schema %s: %v", schema, err)
			return
		}
		defer admin.Close(ctx)
		if _, err := admin.Exec(ctx, `DROP SCHEMA `+pgx.Identifier{schema}.Sanitize()+` CASCADE`); err != nil {
			t.Errorf("drop test schema %s: %v", schema, err)
		}
	})
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// schemaSafe keeps a test name's letters and digits, short enough that the
// schema name stays within PostgreSQL's 63 bytes.
func schemaSafe(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "_"):
			b.WriteByte('_')
		}
	}
	s := b.String()
	if len(s) > 30 {
		s = s[:30]
	}
	return strings.Trim(s, "_")
}
