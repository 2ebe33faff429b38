package storage

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"
)

// eachEngine runs f on a fresh SQLite database and, when
// KINDRED_TEST_POSTGRES_URL is set, on a fresh PostgreSQL schema, for the
// package's own tests (storagetest, which the other tests use, imports
// this package).
func eachEngine(t *testing.T, f func(t *testing.T, db *DB)) {
	t.Run("sqlite", func(t *testing.T) {
		db, err := Open(context.Background(), filepath.Join(t.TempDir(), "kindred.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		f(t, db)
	})
	t.Run("postgres", func(t *testing.T) {
		base := os.Getenv("KINDRED_TEST_POSTGRES_URL")
		if base == "" {
			t.Skip("PostgreSQL run skipped: set KINDRED_TEST_POSTGRES_URL (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable) to enable it")
		}
		ctx := context.Background()
		var b [6]byte
		rand.Read(b[:])
		schema := "kindred_internal_test_" + hex.EncodeToString(b[:])
		admin, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Fatal(err)
		}
		defer admin.Close(ctx)
		if _, err := admin.Exec(ctx, `CREATE SCHEMA `+schema); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			admin, err := pgx.Connect(ctx, base)
			if err != nil {
				t.Error(err)
				return
			}
			defer admin.Close(ctx)
			if _, err := admin.Exec(ctx, `DROP SCHEMA `+schema+` CASCADE`); err != nil {
				t.Error(err)
			}
		})
		u, err := url.Parse(base)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		db, err := OpenPostgres(ctx, u.String(), 5)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		f(t, db)
	})
}
