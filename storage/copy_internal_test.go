package storage

import (
	"context"
	"strings"
	"testing"
)

// CopyOrder is the order CopyToPostgres copies db's tables in.
func CopyOrder(ctx context.Context, db *DB) ([]string, error) {
	tx, err := db.read.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	tables, err := sqliteTables(ctx, tx)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(tables))
	for i, t := range tables {
		names[i] = t.name
	}
	return names, nil
}

func TestParentsFirst(t *testing.T) {
	got, err := parentsFirst([]string{"a", "b", "c", "d"}, map[string][]string{
		"a": {"c"}, "b": {"b"}, "c": {"d"}, "d": nil,
	})
	if err != nil || strings.Join(got, " ") != "d c a b" {
		t.Errorf("parentsFirst = %v, %v; want d c a b", got, err)
	}
	if _, err := parentsFirst([]string{"a", "b"}, map[string][]string{"a": {"b"}, "b": {"a"}}); err == nil || !strings.Contains(err.Error(), "a → b → a") {
		t.Errorf("a cycle: err = %v", err)
	}
	if _, err := parentsFirst([]string{"a"}, map[string][]string{"a": {"gone"}}); err == nil || !strings.Contains(err.Error(), "gone") {
		t.Errorf("a missing parent: err = %v", err)
	}
}
