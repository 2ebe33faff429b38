// Package pgtest gives a test a PostgreSQL schema of its own, in the
// server KINDRED_TEST_POSTGRES_URL names. It knows nothing of Kindred's
// storage, so that storage's own tests can use it as well as storagetest.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// Env names the variable that enables the PostgreSQL runs: a URL of a
// server and database where tests may create schemas.
const Env = "KINDRED_TEST_POSTGRES_URL"

// HowTo is the one line a skipped PostgreSQL run says.
const HowTo = "PostgreSQL run skipped: set " + Env +
	" (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable) to enable it"

// Require skips t unless Env is set.
func Require(t testing.TB) {
	t.Helper()
	if os.Getenv(Env) == "" {
		t.Skip(HowTo)
	}
}

// NewSchema creates a schema for one test and returns the server's URL with
// its search_path set to it. The schema is dropped when the test ends,
// after the databases opened on it are closed (cleanups run
// last-registered first).
func NewSchema(t testing.TB) string {
	t.Helper()
	Require(t)
	base := os.Getenv(Env)
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("%s: want a postgres:// URL, got %q", Env, base)
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "kindred_test_" + schemaSafe(t.Name()) + "_" + hex.EncodeToString(b[:])
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("%s: connect: %v", Env, err)
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
