package main

import (
	"bytes"
	"context"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kindred-bot/kindred/bot"
	"github.com/kindred-bot/kindred/storage"
	"github.com/kindred-bot/kindred/storage/storagetest"
)

func migrateData(t *testing.T, getenv func(string) string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	code = run(context.Background(), append([]string{"migrate-data"}, args...), getenv, &out, &errOut)
	return code, out.String(), errOut.String()
}

// Whatever keeps the copy from beginning exits 2 with one line naming it,
// and never shows the target's password.
func TestMigrateDataRefusesToStart(t *testing.T) {
	dir := t.TempDir()
	sqlite := storagetest.SQLite.New(t)
	db := sqlite.Open(t)
	db.Close()
	withPath := writeFile(t, "sqlite.yaml", "database:\n  path: "+sqlite.Path+"\n")
	const target = "postgres://kindred:hunter2@127.0.0.1:1/kindred?sslmode=disable"
	urlEnv := func(k string) string {
		if k == bot.DatabaseURLEnv {
			return "postgres://kindred@db:5432/kindred"
		}
		return ""
	}
	tests := []struct {
		name   string
		getenv func(string) string
		args   []string
		want   string
	}{
		{"no --to", nil, []string{"--config", withPath}, "--to is required"},
		{"not a postgres URL", nil, []string{"--config", withPath, "--to", "mysql://db/kindred"}, "want a postgres:// URL"},
		{"stray argument", nil, []string{"--to", target, "now"}, `unexpected argument "now"`},
		{"unknown flag", nil, []string{"--from", "x"}, "flag provided but not defined"},
		{"config selects PostgreSQL", nil, []string{"--config", writeFile(t, "pg.yaml", "database:\n  url: postgres://kindred@db:5432/kindred\n"), "--to", target},
			"the config selects PostgreSQL"},
		{"environment selects PostgreSQL", urlEnv, []string{"--config", writeFile(t, "log.yaml", "log:\n  level: info\n"), "--to", target},
			"the config selects PostgreSQL"},
		{"missing config", nil, []string{"--config", filepath.Join(dir, "nope.yaml"), "--to", target}, "does not exist"},
		{"missing SQLite file", nil, []string{"--config", writeFile(t, "gone.yaml", "database:\n  path: "+filepath.Join(dir, "gone.db")+"\n"), "--to", target},
			"gone.db does not exist"},
		{"unreachable target", nil, []string{"--config", withPath, "--to", target}, "postgres://kindred:xxxxx@127.0.0.1:1/kindred"},
		{"password as a parameter", nil, []string{"--config", withPath, "--to", "postgres://kindred@127.0.0.1:1/kindred?password=hunter2"}, "password=xxxxx"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := migrateData(t, tt.getenv, tt.args...)
			if code != 2 || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, stderr, tt.want)
			}
			if strings.Contains(stdout+stderr, "hunter2") {
				t.Errorf("the password was shown: %s%s", stdout, stderr)
			}
		})
	}
}

// The configured SQLite database goes into an empty PostgreSQL database;
// a second run finds it full and exits 1, leaving it as it was.
func TestMigrateDataCopies(t *testing.T) {
	storagetest.Postgres.Require(t)
	ctx := context.Background()
	sqlite := storagetest.SQLite.New(t)
	src := sqlite.Open(t)
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	if _, err := src.CreateGroup(ctx, storage.Group{GuildID: "810000000000000001", Name: "Evening Circle", Description: "Peer support",
		Type: "mental-health", ChannelID: "810000000000000010", CreatedBy: "820000000000000001"}, now); err != nil {
		t.Fatal(err)
	}
	src.Close()
	config := writeFile(t, "config.yaml", "database:\n  path: "+sqlite.Path+"\n")
	target := storagetest.Postgres.New(t)
	u, err := url.Parse(target.URL)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(u.User.Username(), "hunter2") // the test server trusts; the password only has to stay hidden
	to := u.String()

	code, stdout, stderr := migrateData(t, nil, "--config", config, "--to", to)
	if code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	for _, want := range []string{"groups", "Copied 1 rows in", "every table has as many rows in PostgreSQL as in SQLite"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout %q should say %q", stdout, want)
		}
	}
	if strings.Contains(stdout+stderr, "hunter2") {
		t.Errorf("the password was shown: %s%s", stdout, stderr)
	}
	dst := target.Open(t)
	if g, err := dst.GroupByName(ctx, "810000000000000001", "evening circle", false); err != nil || g.Description != "Peer support" {
		t.Errorf("the copied group = %+v, %v", g, err)
	}

	code, stdout, stderr = migrateData(t, nil, "--config", config, "--to", to)
	if code != 1 || !strings.Contains(stderr, "already holds Kindred data (rows in groups)") || !strings.Contains(stderr, "No data was written") {
		t.Errorf("second run: exit %d, stderr %q; want 1 and a refusal naming groups", code, stderr)
	}
	if strings.Contains(stdout+stderr, "hunter2") {
		t.Errorf("the password was shown: %s%s", stdout, stderr)
	}
}
