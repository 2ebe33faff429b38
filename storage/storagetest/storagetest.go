// Package storagetest opens real, migrated SQLite databases for tests.
package storagetest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/kindred-bot/kindred/storage"
)

// Open returns a freshly migrated database in a file under t.TempDir(),
// closed when the test ends.
func Open(t testing.TB) *storage.DB {
	t.Helper()
	db, err := storage.Open(context.Background(), filepath.Join(t.TempDir(), "kindred.db"))
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
