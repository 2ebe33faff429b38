package storage

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/kindred-bot/kindred/internal/pgtest"
)

// eachEngine runs f on a fresh SQLite database and, when
// KINDRED_TEST_POSTGRES_URL is set, on a fresh PostgreSQL schema, for the
// package's own tests (storagetest, which the other tests use, imports
// this package).
func eachEngine(t *testing.T, f func(t *testing.T, db *DB)) {
	open := map[string]func(t *testing.T) (*DB, error){
		"sqlite": func(t *testing.T) (*DB, error) {
			return Open(context.Background(), filepath.Join(t.TempDir(), "kindred.db"))
		},
		"postgres": func(t *testing.T) (*DB, error) {
			return OpenPostgres(context.Background(), pgtest.NewSchema(t), 5)
		},
	}
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			db, err := open[engine](t)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			f(t, db)
		})
	}
}
