package storage_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"github.com/kindred-bot/kindred/storage"
	"github.com/kindred-bot/kindred/storage/storagetest"
)

var t0 = time.Date(2026, 11, 25, 18, 0, 0, 0, time.UTC)

func TestOpenMigratesFreshDatabase(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		if got := schemaVersion(t, db); got != storage.SchemaVersion() {
			t.Errorf("schema version = %d, want %d", got, storage.SchemaVersion())
		}
		if storage.SchemaVersion() < 1 {
			t.Errorf("no migrations embedded")
		}
	})
}

// Both engines have the same migrations, by number and name: a schema
// version means the same tables on either.
func TestMigrationsMatch(t *testing.T) {
	names := func(engine string) []string {
		files, err := filepath.Glob(filepath.Join("migrations", engine, "*.sql"))
		if err != nil {
			t.Fatal(err)
		}
		for i, f := range files {
			files[i] = filepath.Base(f)
		}
		return files
	}
	sqlite, postgres := names("sqlite"), names("postgres")
	if len(sqlite) == 0 || fmt.Sprint(sqlite) != fmt.Sprint(postgres) {
		t.Errorf("migrations differ:\n sqlite   %v\n postgres %v", sqlite, postgres)
	}
}

func TestOpenKeepsExistingData(t *testing.T) {
	storagetest.EachBackend(t, func(t *testing.T, b storagetest.Backend) {
		ctx := context.Background()
		d := b.New(t)
		db, err := d.TryOpen()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.SetTimezone(ctx, "u1", "Europe/Berlin", t0); err != nil {
			t.Fatal(err)
		}
		db.Close()

		db = d.Open(t)
		p, err := db.Preferences(ctx, "u1")
		if err != nil {
			t.Fatal(err)
		}
		if p.Timezone != "Europe/Berlin" {
			t.Errorf("timezone after reopen = %q", p.Timezone)
		}
		if got := countMigrations(t, db); got != storage.SchemaVersion() {
			t.Errorf("schema_migrations rows = %d, want %d (each migration recorded once)", got, storage.SchemaVersion())
		}
	})
}

// Processes that start together on one PostgreSQL database migrate it
// once: the others wait for the migration lock and find it done.
func TestPostgresProcessesStartingTogetherMigrateOnce(t *testing.T) {
	storagetest.Postgres.Require(t)
	d := storagetest.Postgres.New(t)
	const processes = 4
	dbs := make([]*storage.DB, processes)
	errs := make([]error, processes)
	var wg sync.WaitGroup
	for i := range processes {
		wg.Go(func() { dbs[i], errs[i] = d.TryOpen() })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("process %d: %v", i, err)
		}
		defer dbs[i].Close()
	}
	if got := countMigrations(t, dbs[0]); got != storage.SchemaVersion() {
		t.Errorf("schema_migrations rows = %d, want %d (each migration applied once)", got, storage.SchemaVersion())
	}
}

func TestOpenPostgresRefusesBadSettings(t *testing.T) {
	storagetest.Postgres.Require(t)
	d := storagetest.Postgres.New(t)
	if db, err := storage.OpenPostgres(context.Background(), d.URL, storage.MinPostgresConnections-1); err == nil {
		db.Close()
		t.Error("OpenPostgres with too few connections succeeded")
	}
	if db, err := storage.OpenPostgres(context.Background(), "postgres://postgres@127.0.0.1:1/nowhere?sslmode=disable&connect_timeout=2", 5); err == nil {
		db.Close()
		t.Error("OpenPostgres of a server that isn't there succeeded")
	}
}

// migrateTo builds the database at path the way an older Kindred did:
// the embedded migrations up to and including version, each recorded in
// schema_migrations. The caller then writes rows in that schema's shape
// and opens the file with storage.Open to run the rest.
func migrateTo(t *testing.T, path string, version int) *sql.DB {
	t.Helper()
	raw, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	if _, err := raw.Exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join("migrations", "sqlite", "*.sql"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files) // zero-padded numbers: name order is version order
	for i, f := range files[:version] {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := raw.Exec(string(body)); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if _, err := raw.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, 0)`, i+1, filepath.Base(f)); err != nil {
			t.Fatal(err)
		}
	}
	return raw
}

// Jobs queued before jobs had a user_id column get theirs from the
// payload, or for a check-in prompt from its dedupe key, so /mydata finds
// them after the upgrade.
func TestMigrationFillsJobUserIDs(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v7.db")
	raw := migrateTo(t, path, 7)
	at := t0.UnixMilli()
	prompt := func(user string) string { return storage.CheckinPromptJobPrefix(mdGuild, user) + "1764093600" }
	for _, j := range []struct{ kind, guild, payload, key string }{
		{"dm", "", `{"user_id":"` + mdAlice + `","content":"hello"}`, "test:dm:alice"},
		{"checkin.prompt", mdGuild, `{"guild_id":"` + mdGuild + `","user_id":"` + mdAlice + `"}`, prompt(mdAlice)},
		{"checkin.prompt", mdGuild, `{"guild_id":"` + mdGuild + `"}`, prompt(mdBob)},
		{"dm", mdGuild, `{"user_id":"` + mdBob + `","guild_id":"` + mdGuild + `"}`, prompt(mdBob) + ":dm"},
		{"meeting.reminder", mdGuild, `{"meeting_id":3,"starts_at":1764093600,"offset":3600}`, "meeting:3:rem:3600"},
		{"odd", mdGuild, `not json`, "odd:1"},
		{"empty", "", `null`, "empty:1"},
	} {
		if _, err := raw.Exec(`INSERT INTO jobs (kind, guild_id, payload, run_at, dedupe_key, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			j.kind, j.guild, j.payload, at, j.key, at); err != nil {
			t.Fatal(err)
		}
	}
	for i, j := range []struct{ kind, guild, payload, key string }{
		{"dm", "", `{"user_id":"` + mdBob + `","content":"hello"}`, "test:dm:bob"},
		{"checkin.prompt", mdGuild, `{}`, prompt(mdAlice)},
		{"pairing.round", mdGuild, `{"group_id":4,"at":1764093600}`, "group:4:pairing:round:1764093600"},
	} {
		if _, err := raw.Exec(`INSERT INTO jobs_failed (id, kind, guild_id, payload, run_at, dedupe_key, attempts, last_error, created_at, failed_at)
			VALUES (?, ?, ?, ?, ?, ?, 5, 'gave up', ?, ?)`, 100+i, j.kind, j.guild, j.payload, at, j.key, at, at); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()

	db, err := storage.Open(ctx, path)
	if err != nil {
		t.Fatalf("migrate from version 7: %v", err)
	}
	defer db.Close()
	conn := storage.RawWrite(db)
	for table, want := range map[string]map[string]string{
		"jobs": {
			"test:dm:alice": mdAlice, prompt(mdAlice): mdAlice, prompt(mdBob): mdBob, prompt(mdBob) + ":dm": mdBob,
			"meeting:3:rem:3600": "", "odd:1": "", "empty:1": "",
		},
		"jobs_failed": {"test:dm:bob": mdBob, prompt(mdAlice): mdAlice, "group:4:pairing:round:1764093600": ""},
	} {
		got := map[string]string{}
		rows, err := conn.Query(`SELECT dedupe_key, user_id FROM ` + table)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var key, user string
			if err := rows.Scan(&key, &user); err != nil {
				t.Fatal(err)
			}
			got[key] = user
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s user ids after migrating:\n got %v\nwant %v", table, got, want)
		}
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	storagetest.EachBackend(t, func(t *testing.T, b storagetest.Backend) {
		d := b.New(t)
		db, err := d.TryOpen()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := storage.RawWrite(db).Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, '0999_future.sql', 0)`); err != nil {
			t.Fatal(err)
		}
		db.Close()

		db, err = d.TryOpen()
		if err == nil {
			db.Close()
		}
		if !errors.Is(err, storage.ErrSchemaTooNew) {
			t.Fatalf("Open = %v, want ErrSchemaTooNew", err)
		}
	})
}

func TestOpenRefusesUnusablePaths(t *testing.T) {
	dir := t.TempDir()
	readOnly := filepath.Join(dir, "ro")
	if err := os.Mkdir(readOnly, 0o500); err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"missing directory": filepath.Join(dir, "nope", "kindred.db"),
		"a directory":       dir,
		"memory":            ":memory:",
	}
	if os.Geteuid() != 0 { // root writes anywhere
		cases["read-only directory"] = filepath.Join(readOnly, "kindred.db")
	}
	for name, path := range cases {
		t.Run(name, func(t *testing.T) {
			db, err := storage.Open(context.Background(), path)
			if err == nil {
				db.Close()
				t.Fatalf("Open(%q) succeeded", path)
			}
		})
	}
}

func TestGuildSettingsRoundTrip(t *testing.T) { storagetest.Each(t, testGuildSettingsRoundTrip) }

func testGuildSettingsRoundTrip(t *testing.T, db *storage.DB) {
	ctx := context.Background()
	s, err := db.GuildSettings(ctx, "g1")
	if err != nil {
		t.Fatal(err)
	}
	if !s.UpdatedAt.IsZero() || s.GuildID != "g1" || !s.ShareVetting {
		t.Fatalf("unset settings = %+v", s)
	}
	mod, tz := "r-mod", "Europe/Berlin"
	if _, err := db.UpdateGuildSettings(ctx, "g1", storage.GuildSettingsUpdate{ModeratorRoleID: &mod, Timezone: &tz}, t0); err != nil {
		t.Fatal(err)
	}
	log := "c-log"
	got, err := db.UpdateGuildSettings(ctx, "g1", storage.GuildSettingsUpdate{ModlogChannelID: &log}, t0)
	if err != nil {
		t.Fatal(err)
	}
	want := storage.GuildSettings{GuildID: "g1", ModlogChannelID: log, ModeratorRoleID: mod, Timezone: tz, ShareVetting: true, UpdatedAt: t0}
	if got != want {
		t.Errorf("after partial update = %+v, want %+v", got, want)
	}
	if read, _ := db.GuildSettings(ctx, "g1"); read != want {
		t.Errorf("read back = %+v, want %+v", read, want)
	}
	if other, _ := db.GuildSettings(ctx, "g2"); other.ModeratorRoleID != "" {
		t.Errorf("settings leaked to another server: %+v", other)
	}
}

func TestPreferencesRoundTrip(t *testing.T) { storagetest.Each(t, testPreferencesRoundTrip) }

func testPreferencesRoundTrip(t *testing.T, db *storage.DB) {
	ctx := context.Background()
	p, err := db.Preferences(ctx, "u1")
	if err != nil {
		t.Fatal(err)
	}
	if !p.DMsEnabled || p.QuietHours != nil || p.Timezone != "" {
		t.Fatalf("defaults = %+v", p)
	}
	if _, err := db.SetQuietHours(ctx, "u1", &storage.QuietHours{Start: 22 * 60, End: 8 * 60}, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SetDMsEnabled(ctx, "u1", false, t0); err != nil {
		t.Fatal(err)
	}
	p, _ = db.Preferences(ctx, "u1")
	if p.DMsEnabled || p.QuietHours == nil || *p.QuietHours != (storage.QuietHours{Start: 1320, End: 480}) {
		t.Fatalf("after updates = %+v", p)
	}
	if _, err := db.SetQuietHours(ctx, "u1", nil, t0); err != nil {
		t.Fatal(err)
	}
	if p, _ = db.Preferences(ctx, "u1"); p.QuietHours != nil || p.DMsEnabled {
		t.Fatalf("quiet hours off = %+v", p)
	}
}

func TestQuietHoursContains(t *testing.T) {
	overnight := storage.QuietHours{Start: 22 * 60, End: 8 * 60}
	daytime := storage.QuietHours{Start: 13 * 60, End: 14 * 60}
	tests := []struct {
		q    storage.QuietHours
		m    int
		want bool
	}{
		{overnight, 23 * 60, true},
		{overnight, 0, true},
		{overnight, 7*60 + 59, true},
		{overnight, 8 * 60, false},
		{overnight, 12 * 60, false},
		{overnight, 22 * 60, true},
		{daytime, 13*60 + 30, true},
		{daytime, 14 * 60, false},
		{daytime, 12 * 60, false},
	}
	for _, tt := range tests {
		if got := tt.q.Contains(tt.m); got != tt.want {
			t.Errorf("%+v.Contains(%d) = %v, want %v", tt.q, tt.m, got, tt.want)
		}
	}
}

// Concurrent writers must queue on the one write connection, never fail with SQLITE_BUSY.
func TestConcurrentWritesDoNotFail(t *testing.T) { storagetest.Each(t, testConcurrentWritesDoNotFail) }

func testConcurrentWritesDoNotFail(t *testing.T, db *storage.DB) {
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			user := string(rune('a' + i%26))
			if _, err := db.SetDMsEnabled(ctx, user, i%2 == 0, t0); err != nil {
				errs <- err
			}
			if _, err := db.Preferences(ctx, user); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func schemaVersion(t *testing.T, db *storage.DB) int {
	t.Helper()
	var v int
	if err := storage.RawWrite(db).QueryRow(`SELECT MAX(version) FROM schema_migrations`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func countMigrations(t *testing.T, db *storage.DB) int {
	t.Helper()
	var n int
	if err := storage.RawWrite(db).QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestPruneSentLog(t *testing.T) { storagetest.Each(t, testPruneSentLog) }

func testPruneSentLog(t *testing.T, db *storage.DB) {
	ctx := context.Background()
	db.RecordSent(ctx, "old", "1", t0.Add(-40*24*time.Hour))
	db.RecordSent(ctx, "new", "2", t0)
	if n, err := db.PruneSentLog(ctx, t0.Add(-30*24*time.Hour)); err != nil || n != 1 {
		t.Fatalf("pruned %d, %v; want the old entry", n, err)
	}
	if _, ok, _ := db.SentRef(ctx, "new"); !ok {
		t.Error("the recent entry was pruned")
	}
	if _, ok, _ := db.SentRef(ctx, "old"); ok {
		t.Error("the old entry is still there")
	}
}
