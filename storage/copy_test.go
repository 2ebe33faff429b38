package storage_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kindred-bot/kindred/storage"
	"github.com/kindred-bot/kindred/storage/storagetest"
)

// copySource is a SQLite database with a little of everything: a group
// with a member who left another, a check-in without a group (NULL), a
// preference without quiet hours (NULLs), a warning, and jobs of which the
// newest has already run, so the highest job id ever given out is not in
// the table any more.
func copySource(t *testing.T) *storage.DB {
	t.Helper()
	ctx := context.Background()
	db := storagetest.Open(t)
	g := mustCreateGroup(t, db, newGroup("Monday Circle"))
	other := mustCreateGroup(t, db, newGroup("Tuesday Circle"))
	for _, step := range []error{
		db.JoinGroup(ctx, g.ID, alice, groupsT0),
		db.JoinGroup(ctx, other.ID, alice, groupsT0),
		db.LeaveGroupAt(ctx, other.ID, alice, groupsT0.Add(time.Hour)),
	} {
		if step != nil {
			t.Fatal(step)
		}
	}
	if _, err := db.RecordCheckin(ctx, storage.Checkin{GuildID: groupGuild, UserID: alice, Mood: 4, Note: "slept well, for once ☀️",
		LocalDate: "2026-11-25", At: groupsT0}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SetTimezone(ctx, alice, "Europe/Berlin", groupsT0); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.AddWarning(ctx, storage.Warning{GuildID: groupGuild, UserID: bob, ModeratorID: facilitator, Reason: "Off topic",
		CreatedAt: groupsT0, ExpiresAt: groupsT0.AddDate(0, 0, 30)}); err != nil {
		t.Fatal(err)
	}
	mustEnqueue(t, db, job("later", groupsT0.Add(2*time.Hour)), job("soon", groupsT0.Add(time.Hour)), job("now", groupsT0))
	done := mustClaim(t, db, groupsT0, 1)
	if len(done) != 1 || done[0].DedupeKey != "now" {
		t.Fatalf("claimed %v, want the job \"now\"", keys(done))
	}
	if err := db.CompleteJob(ctx, done[0].ID); err != nil {
		t.Fatal(err)
	}
	return db
}

// sqliteTableNames lists the tables a copy must carry: all but SQLite's
// own, schema_migrations, processes and identify_turns.
func sqliteTableNames(t *testing.T, db *storage.DB) []string {
	t.Helper()
	rows, err := storage.RawWrite(db).Query(`SELECT name FROM sqlite_master
		WHERE type = 'table' AND name NOT LIKE 'sqlite%' AND name NOT IN ('schema_migrations', 'processes', 'identify_turns') ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	return names
}

// Every table is copied once, after every table its foreign keys refer to.
func TestCopyOrderCoversEveryTableParentsFirst(t *testing.T) {
	db := storagetest.Open(t)
	order, err := storage.CopyOrder(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := slices.Sorted(slices.Values(order)), sqliteTableNames(t, db); !slices.Equal(got, want) {
		t.Fatalf("copy order has %v, want every table once: %v", got, want)
	}
	for i, table := range order {
		rows, err := storage.RawWrite(db).Query(`SELECT "table" FROM pragma_foreign_key_list(?)`, table)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var parent string
			if err := rows.Scan(&parent); err != nil {
				t.Fatal(err)
			}
			if p := slices.Index(order, parent); p > i && parent != table {
				t.Errorf("%s is copied before %s, which it refers to", table, parent)
			}
		}
		rows.Close()
	}
}

func TestCopyToPostgres(t *testing.T) {
	storagetest.Postgres.Require(t)
	ctx := context.Background()
	src := copySource(t)
	dst := storagetest.Postgres.New(t).Open(t)
	// Live processes are not data: the source's are not copied, and a
	// process already running on the target doesn't make it non-empty.
	if _, err := src.Heartbeat(ctx, "source process", t0); err != nil {
		t.Fatal(err)
	}
	if _, err := dst.Heartbeat(ctx, "target process", t0); err != nil {
		t.Fatal(err)
	}

	var progressed []string
	report, err := storage.CopyToPostgres(ctx, src, dst, func(table string, rows int64) { progressed = append(progressed, table) })
	if err != nil {
		t.Fatal(err)
	}
	var copied []string
	for _, c := range report.Tables {
		copied = append(copied, c.Table)
		if c.Source != c.Target {
			t.Errorf("%s: %d rows in SQLite, %d copied", c.Table, c.Source, c.Target)
		}
	}
	if want := sqliteTableNames(t, src); !slices.Equal(slices.Sorted(slices.Values(copied)), want) {
		t.Errorf("copied %v, want every table: %v", copied, want)
	}
	if !slices.Equal(progressed, copied) {
		t.Errorf("progress named %v, want %v", progressed, copied)
	}
	// groups 2, group_members 1, past_group_memberships 1, checkins 1,
	// checkin_runs 1, member_preferences 1, warnings 1, jobs 2.
	if report.Rows() != 10 {
		t.Errorf("%d rows copied, want 10: %+v", report.Rows(), report.Tables)
	}
	if live, err := dst.Heartbeat(ctx, "target process", t0); err != nil || live != 1 {
		t.Errorf("after the copy: %d live processes (err %v), want the target's one", live, err)
	}

	// The same data comes out, NULLs included.
	for _, user := range []string{alice, bob, facilitator} {
		want, err := src.ExportMemberData(ctx, user, groupsT0)
		if err != nil {
			t.Fatal(err)
		}
		got, err := dst.ExportMemberData(ctx, user, groupsT0)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s's data differs after the copy:\n got %+v\nwant %+v", user, got, want)
		}
	}

	// New rows continue the ids: the next group after the copied ones,
	// the next job after the one that ran and was deleted.
	g := mustCreateGroup(t, dst, newGroup("Wednesday Circle"))
	if g.ID != 3 {
		t.Errorf("new group's id = %d, want 3", g.ID)
	}
	mustEnqueue(t, dst, job("after the copy", groupsT0))
	jobs := mustClaim(t, dst, groupsT0, 10)
	if len(jobs) != 1 || jobs[0].ID != 4 {
		t.Errorf("claimed %+v, want the new job with id 4", jobs)
	}

	// A database with data is never copied into.
	_, err = storage.CopyToPostgres(ctx, src, dst, nil)
	if !errors.Is(err, storage.ErrTargetNotEmpty) || !strings.Contains(err.Error(), "groups") || !strings.Contains(err.Error(), "checkins") {
		t.Errorf("copy into a database with data: err = %v, want ErrTargetNotEmpty naming the tables", err)
	}
}

// An empty table whose identity advanced (rows written and deleted) still
// counts as empty; an empty source leaves every identity to start at 1.
func TestCopyOfEmptyDatabase(t *testing.T) {
	storagetest.Postgres.Require(t)
	ctx := context.Background()
	src := storagetest.Open(t)
	dst := storagetest.Postgres.New(t).Open(t)
	report, err := storage.CopyToPostgres(ctx, src, dst, nil)
	if err != nil || report.Rows() != 0 || len(report.Tables) == 0 {
		t.Fatalf("copy of an empty database = %+v, %v", report, err)
	}
	if g := mustCreateGroup(t, dst, newGroup("First")); g.ID != 1 {
		t.Errorf("first group's id = %d, want 1", g.ID)
	}
}

// A copy that fails part way, cancelled or refused by PostgreSQL, leaves
// the target empty: a second copy then goes through.
func TestCopyFailureLeavesTargetEmpty(t *testing.T) {
	storagetest.Postgres.Require(t)
	src := copySource(t)
	dst := storagetest.Postgres.New(t).Open(t)

	ctx, cancel := context.WithCancel(context.Background())
	var seen []string
	_, err := storage.CopyToPostgres(ctx, src, dst, func(table string, rows int64) {
		seen = append(seen, table)
		if rows > 0 {
			cancel() // after the first table with rows
		}
	})
	cancel()
	if err == nil || len(seen) == 0 {
		t.Fatalf("cancelled copy: err = %v after %v", err, seen)
	}
	assertEmpty(t, dst)

	// PostgreSQL refuses text with a NUL character, which SQLite stores;
	// sent_log comes after the groups and check-ins.
	if _, err := storage.RawWrite(src).Exec(`INSERT INTO sent_log (key, ref, sent_at) VALUES ('k', 'a' || char(0) || 'b', 1)`); err != nil {
		t.Fatal(err)
	}
	_, err = storage.CopyToPostgres(context.Background(), src, dst, nil)
	if err == nil || !strings.Contains(err.Error(), "sent_log") {
		t.Fatalf("copy of a NUL: err = %v, want one naming sent_log", err)
	}
	assertEmpty(t, dst)

	if _, err := storage.RawWrite(src).Exec(`DELETE FROM sent_log`); err != nil {
		t.Fatal(err)
	}
	if report, err := storage.CopyToPostgres(context.Background(), src, dst, nil); err != nil || report.Rows() != 10 {
		t.Errorf("copy after the failures = %d rows, %v; want 10", report.Rows(), err)
	}
}

func assertEmpty(t *testing.T, db *storage.DB) {
	t.Helper()
	for _, table := range []string{"groups", "group_members", "checkins", "jobs", "warnings", "member_preferences"} {
		var n int
		if err := storage.RawWrite(db).QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%s has %d rows after a failed copy", table, n)
		}
	}
}

// A table or a column on one side only stops the copy before it writes.
func TestCopyRefusesDifferentSchemas(t *testing.T) {
	storagetest.Postgres.Require(t)
	ctx := context.Background()
	tests := []struct {
		name      string
		sqlite    string
		postgres  string
		mentioned string
	}{
		{"a table PostgreSQL lacks", `CREATE TABLE notes (id INTEGER PRIMARY KEY)`, "", "table notes is missing"},
		{"a column PostgreSQL lacks", `ALTER TABLE groups ADD COLUMN colour TEXT`, "", "table groups has columns"},
		{"a table SQLite lacks", "", `CREATE TABLE notes (id BIGINT PRIMARY KEY)`, "table notes is not in the SQLite database"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := copySource(t)
			dst := storagetest.Postgres.New(t).Open(t)
			if tt.sqlite != "" {
				if _, err := storage.RawWrite(src).Exec(tt.sqlite); err != nil {
					t.Fatal(err)
				}
			}
			if tt.postgres != "" {
				if _, err := storage.RawWrite(dst).Exec(tt.postgres); err != nil {
					t.Fatal(err)
				}
			}
			_, err := storage.CopyToPostgres(ctx, src, dst, nil)
			if err == nil || !strings.Contains(err.Error(), tt.mentioned) {
				t.Fatalf("err = %v, want one saying %q", err, tt.mentioned)
			}
			assertEmpty(t, dst)
		})
	}
}
