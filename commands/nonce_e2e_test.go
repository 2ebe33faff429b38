package commands_test

import (
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/kindred-bot/kindred/internal/discordsim"
	"github.com/kindred-bot/kindred/internal/kindredtest"
	"github.com/kindred-bot/kindred/storage/storagetest"
)

// rawDB opens the harness's database beneath Kindred's storage, to leave it
// as a crash would.
func rawDB(t *testing.T, d storagetest.Database) *sql.DB {
	t.Helper()
	driver, dsn := "pgx", d.URL
	if d.Backend == storagetest.SQLite {
		driver, dsn = "sqlite3", "file:"+d.Path+"?_busy_timeout=5000"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func mustExec(t *testing.T, db *sql.DB, query string) {
	t.Helper()
	if _, err := db.Exec(query); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// posts counts the message creations the fake was asked for in a channel.
func posts(fake *discordsim.Server, channelID string) int {
	n := 0
	for _, r := range fake.Requests() {
		if r.Method == "POST" && strings.HasSuffix(r.Path, "/channels/"+channelID+"/messages") {
			n++
		}
	}
	return n
}

// A process killed after Discord created a reminder and its DM, before the
// jobs recorded them, leaves the jobs to run again (another process takes
// them once their lease is over). The run again posts both once more, and
// Discord, seeing the same nonces, returns the messages it already has:
// the channel and the member each still have one reminder.
func TestReminderRunAgainAfterCrashPostsNothingNew(t *testing.T) {
	t.Parallel()
	storagetest.EachBackend(t, func(t *testing.T, b storagetest.Backend) {
		t.Parallel()
		h := startMeetingsWith(t, kindredtest.Options{Backend: b})
		h.Fake.Interact(t, kindredtest.GuildID, kindredtest.OwnerID,
			`/meeting schedule group:"Evening Circle" title:"One-off" start:"2026-12-01 19:00" reminders:1h`)
		announcement := h.Fake.WaitMessage(t, kindredtest.GeneralID, 5*time.Second)
		h.Fake.Click(t, kindredtest.GuildID, kindredtest.AliceID, buttonID(t, announcement, "Going"), announcement)
		start := time.Date(2026, 12, 1, 18, 0, 0, 0, time.UTC)

		raw := rawDB(t, h.Database)
		mustExec(t, raw, `CREATE TABLE jobs_before_crash AS SELECT * FROM jobs`)
		h.RunDue(t, start.Add(-59*time.Minute)) // the reminder, then the DM it queues
		reminder := h.Fake.WaitMessage(t, kindredtest.GeneralID, 5*time.Second)
		dmChannel := h.Fake.DMChannelID(kindredtest.AliceID)
		if dmChannel == "" {
			t.Fatal("Alice, who is going, got no DM")
		}
		dm := h.Fake.WaitMessage(t, dmChannel, 5*time.Second)

		// The crash: the jobs are back as they were before they ran, and
		// nothing records what they posted.
		mustExec(t, raw, `DELETE FROM sent_log`)
		mustExec(t, raw, `INSERT INTO jobs SELECT * FROM jobs_before_crash WHERE dedupe_key NOT IN (SELECT dedupe_key FROM jobs)`)
		if n := h.RunDue(t, start.Add(-58*time.Minute)); n < 2 {
			t.Fatalf("%d jobs ran again, want the reminder and its DM", n)
		}

		// Both were posted again: without the nonce there would be two of each.
		if got := posts(h.Fake, kindredtest.GeneralID); got != 3 {
			t.Errorf("%d posts in #general, want the announcement and the reminder twice", got)
		}
		if got := posts(h.Fake, dmChannel); got != 2 {
			t.Errorf("%d posts in Alice's DMs, want the reminder twice", got)
		}
		if msgs := h.Fake.Messages(kindredtest.GeneralID); len(msgs) != 2 || msgs[1].ID != reminder.ID {
			t.Errorf("#general has %d messages, want the announcement and the one reminder %s", len(msgs), reminder.ID)
		}
		if msgs := h.Fake.Messages(dmChannel); len(msgs) != 1 || msgs[0].ID != dm.ID {
			t.Errorf("Alice has %d DMs, want the one reminder %s", len(msgs), dm.ID)
		}
		// The run again recorded the messages Discord returned: a third
		// run, however late, posts nothing.
		mustExec(t, raw, `INSERT INTO jobs SELECT * FROM jobs_before_crash WHERE dedupe_key NOT IN (SELECT dedupe_key FROM jobs)`)
		h.RunDue(t, start.Add(-50*time.Minute))
		if got := posts(h.Fake, kindredtest.GeneralID); got != 3 {
			t.Errorf("%d posts in #general after a third run, want no more", got)
		}
	})
}
