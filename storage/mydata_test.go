package storage_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"github.com/kindred-bot/kindred/storage"
	"github.com/kindred-bot/kindred/storage/storagetest"
)

// notUserIDs are the *_id columns that name something other than a
// member: a column named id, or ending in _<one of these>, is not a user
// id. Every other *_id, every *_by, user_id, any column naming a user or
// member, and the columns that carry job payloads and dedupe keys (which
// may embed a user id) must be classified in storage.MemberDataColumns.
var notUserIDs = []string{
	"guild_id",   // a server
	"channel_id", // modlog_channel_id, announce_channel_id, …
	"message_id", // announce_message_id
	"role_id",    // moderator_role_id, facilitator_role_id, a group's role
	"group_id",   // a Kindred group; round_group_id is a pair or trio
	"meeting_id", // a Kindred meeting
	"round_id",   // a pairing round
	"thread_id",  // a pair's private thread
	"share_id",   // an anonymous share
}

func holdsUserID(column string) bool {
	switch {
	case column == "payload" || column == "dedupe_key" || column == "key":
		return true // job payloads and keys carry user ids of the work's addressee
	case strings.HasSuffix(column, "_by"), strings.Contains(column, "user"), strings.Contains(column, "member"):
		return true
	case strings.HasSuffix(column, "_id"):
		for _, s := range notUserIDs {
			if column == s || strings.HasSuffix(column, "_"+s) {
				return false
			}
		}
		return true
	}
	return false
}

// unclassifiedColumns compares the schema of conn with
// storage.MemberDataColumns and returns every problem: a column that holds
// a user id and is not classified, or a classification that names no
// column.
func unclassifiedColumns(t *testing.T, db *storage.DB) []string {
	t.Helper()
	classified := map[string]storage.MemberColumn{}
	wholeTables := map[string]bool{}
	var problems []string
	for _, c := range storage.MemberDataColumns() {
		switch {
		case c.Column == "*" && c.Use != storage.ModerationRecord:
			problems = append(problems, fmt.Sprintf("%s: only moderation records may be classified as a whole table", c.Table))
		case c.Use != storage.MemberErased && c.Reason == "":
			problems = append(problems, fmt.Sprintf("%s.%s: %s needs a reason", c.Table, c.Column, c.Use))
		}
		if c.Column == "*" {
			wholeTables[c.Table] = true
		}
		classified[c.Table+"."+c.Column] = c
	}
	seen := map[string]bool{}
	for _, tc := range schemaColumns(t, db) {
		table, col := tc[0], tc[1]
		seen[table+".*"] = true
		seen[table+"."+col] = true
		if table == "schema_migrations" || wholeTables[table] || !holdsUserID(col) {
			continue
		}
		if _, ok := classified[table+"."+col]; !ok {
			problems = append(problems, fmt.Sprintf("%s.%s holds a user id but /mydata doesn't know it: cover it in EraseMemberData and ExportMemberData, or classify it in storage.MemberDataColumns", table, col))
		}
	}
	for key, c := range classified {
		// Moderation tables may not exist yet: they are kept whatever they hold.
		if !seen[key] && c.Use != storage.ModerationRecord {
			problems = append(problems, fmt.Sprintf("%s is classified in storage.MemberDataColumns but is not in the schema", key))
		}
	}
	sort.Strings(problems)
	return problems
}

// schemaColumns lists every table and column of the database's schema, as
// (table, column) pairs in table order.
func schemaColumns(t *testing.T, db *storage.DB) [][2]string {
	t.Helper()
	query := `SELECT m.name, c.name FROM sqlite_master m, pragma_table_info(m.name) c
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, c.cid`
	if db.Engine() == "postgres" {
		query = `SELECT table_name, column_name FROM information_schema.columns
			WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`
	}
	rows, err := storage.RawWrite(db).Query(query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out [][2]string
	for rows.Next() {
		var tc [2]string
		if err := rows.Scan(&tc[0], &tc[1]); err != nil {
			t.Fatal(err)
		}
		out = append(out, tc)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// The completeness guard: every column of the migrated schema that holds
// a member's user id is covered by /mydata or deliberately exempted.
func TestMemberDataCoverage(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		for _, p := range unclassifiedColumns(t, db) {
			t.Error(p)
		}
	})
}

// The guard catches a table or column that nobody classified.
func TestMemberDataCoverageCatchesNewTables(t *testing.T) {
	storagetest.Each(t, testMemberDataCoverageCatchesNewTables)
}

func testMemberDataCoverageCatchesNewTables(t *testing.T, db *storage.DB) {
	conn := storage.RawWrite(db)
	for _, stmt := range []string{
		`CREATE TABLE journal (id INTEGER PRIMARY KEY, guild_id TEXT, author_id TEXT, body TEXT)`,
		`ALTER TABLE groups ADD COLUMN archived_by TEXT`,
		`CREATE TABLE notes (guild_id TEXT, channel_id TEXT, user_id TEXT)`,
		`CREATE TABLE jobs_archive (id INTEGER PRIMARY KEY, kind TEXT, user_id TEXT, payload TEXT)`,
	} {
		if _, err := conn.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	got := strings.Join(unclassifiedColumns(t, db), "\n")
	for _, want := range []string{"journal.author_id", "groups.archived_by", "notes.user_id", "jobs_archive.user_id", "jobs_archive.payload"} {
		if !strings.Contains(got, want) {
			t.Errorf("the guard missed %s; it said:\n%s", want, got)
		}
	}
	for _, not := range []string{"journal.guild_id", "notes.channel_id", "journal.id "} {
		if strings.Contains(got, not) {
			t.Errorf("the guard flagged %s, which names no user:\n%s", not, got)
		}
	}
}

const (
	mdGuild  = "700000000000000001"
	mdGuild2 = "700000000000000002"
	mdAlice  = "710000000000000001"
	mdBob    = "710000000000000002"
	mdNote   = "marmalade-quasar-42"
)

var mdT0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

// aliceAndBob gives Alice and Bob their lives (see live) and returns the
// group they share.
func aliceAndBob(t *testing.T, db *storage.DB) storage.Group {
	t.Helper()
	live(t, db, mdAlice, mdBob)
	live(t, db, mdBob, mdAlice)
	g, err := db.GroupByName(context.Background(), mdGuild, "Circle", false)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// live gives a member a life in two servers: preferences, a group, a
// meeting answer and attendance, check-ins, a reminder, buddies, an avoid,
// a round with an answer, and a DM waiting to be sent.
func live(t *testing.T, db *storage.DB, user, other string) {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := db.SetTimezone(ctx, user, "Europe/Berlin", mdT0)
	must(err)
	for _, guild := range []string{mdGuild, mdGuild2} {
		g, err := db.GroupByName(ctx, guild, "Circle", false)
		if err != nil {
			g, err = db.CreateGroup(ctx, storage.Group{GuildID: guild, Name: "Circle", Description: "d", Type: "recovery", ChannelID: "720000000000000001", CreatedBy: user}, mdT0)
			must(err)
		}
		must(db.JoinGroup(ctx, g.ID, user, mdT0))
		m, err := db.CreateMeeting(ctx, storage.Meeting{GuildID: guild, GroupID: g.ID, Title: "Evening", FirstStart: mdT0.Add(time.Hour), Duration: time.Hour,
			Format: "online", Recurrence: "once", Timezone: "UTC", CreatedBy: user, CreatedAt: mdT0}, func(storage.Meeting) []storage.NewJob { return nil })
		must(err)
		must(db.SetRSVP(ctx, m.ID, m.FirstStart, user, "going", mdT0))
		_, err = db.MarkAttendance(ctx, m.ID, m.FirstStart, user, mdT0.Add(time.Hour))
		must(err)
		_, err = db.RecordCheckin(ctx, storage.Checkin{GuildID: guild, UserID: user, Mood: 2, Note: mdNote + " " + user, LocalDate: "2026-12-01", At: mdT0})
		must(err)
		must(db.SetCheckinReminder(ctx, storage.CheckinReminder{GuildID: guild, UserID: user, Minute: 20 * 60, Days: storage.ReminderDaily, Timezone: "Europe/Berlin", CreatedAt: mdT0},
			storage.NewJob{Kind: "checkin.prompt", GuildID: guild, UserID: user, DedupeKey: storage.CheckinPromptJobPrefix(guild, user) + "1", RunAt: mdT0.Add(10 * time.Hour), Payload: map[string]string{"guild_id": guild, "user_id": user}}))
		_, err = db.JoinPairing(ctx, g.ID, user, mdT0)
		must(err)
		_, err = db.AddAvoid(ctx, guild, user, other, mdT0)
		must(err)
	}
	_, err = db.Enqueue(ctx, storage.NewJob{Kind: "dm", UserID: user, DedupeKey: "test:dm:" + user, RunAt: mdT0.Add(time.Hour), Payload: map[string]string{"user_id": user, "content": "secret " + mdNote}})
	must(err)
	must(db.RecordSent(ctx, "test:sent:"+user, "730000000000000001", mdT0))
}

func exportJSON(t *testing.T, db *storage.DB, user string) (storage.MemberData, string) {
	t.Helper()
	d, err := db.ExportMemberData(context.Background(), user, mdT0.Add(48*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return d, string(b)
}

func TestExportAndEraseMemberData(t *testing.T) { storagetest.Each(t, testExportAndEraseMemberData) }

func testExportAndEraseMemberData(t *testing.T, db *storage.DB) {
	ctx := context.Background()
	g := aliceAndBob(t, db)
	round, err := db.RecordRound(ctx, storage.NewRound{GroupID: g.ID, RunBy: mdBob, At: mdT0, Groups: [][]string{{mdAlice, mdBob}}, Prompts: []int{0}},
		func(storage.Round) []storage.NewJob { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if err := db.AnswerFollowup(ctx, round.Pairings[0].ID, mdAlice, storage.AnswerTalked, mdT0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}

	d, raw := exportJSON(t, db, mdAlice)
	if d.FormatVersion != storage.MyDataFormatVersion || d.Preferences == nil || d.Preferences.Timezone != "Europe/Berlin" {
		t.Errorf("export head = %d %+v", d.FormatVersion, d.Preferences)
	}
	counts := map[string]int{
		"group_memberships": len(d.GroupMemberships), "groups_created": len(d.GroupsCreated), "meetings_created": len(d.MeetingsCreated),
		"meeting_rsvps": len(d.MeetingRSVPs), "meeting_attendance": len(d.MeetingAttendance), "checkins": len(d.Checkins),
		"checkin_reminders": len(d.CheckinReminders), "checkin_runs": len(d.CheckinRuns), "buddy_settings": len(d.BuddySettings),
		"buddy_avoids": len(d.BuddyAvoids), "pending_messages": len(d.PendingMessages),
	}
	for what, n := range counts {
		if n < 2 {
			t.Errorf("%s: %d entries, want one per server", what, n)
		}
	}
	if len(d.Pairings) != 1 || d.Pairings[0].Answer != storage.AnswerTalked || strings.Join(d.Pairings[0].MemberIDs, ",") != mdAlice+","+mdBob {
		t.Errorf("pairings = %+v", d.Pairings)
	}
	if !strings.Contains(raw, mdNote+" "+mdAlice) {
		t.Error("the export lacks Alice's note")
	}
	if strings.Contains(raw, mdNote+" "+mdBob) || strings.Contains(raw, "secret") {
		t.Error("the export holds Bob's note or a DM's content")
	}
	for _, a := range d.BuddyAvoids {
		if a.AvoidID != mdBob {
			t.Errorf("avoid = %+v", a)
		}
	}
	// Bob avoids Alice: that is Bob's, and not in Alice's export.
	if strings.Count(raw, `"avoid_user_id"`) != 2 {
		t.Errorf("avoids in export: %s", raw)
	}

	if _, _, err := db.AddWarning(ctx, storage.Warning{GuildID: mdGuild, UserID: mdAlice, ModeratorID: mdBob, Reason: "spam-kiwi",
		CreatedAt: mdT0, ExpiresAt: mdT0.Add(90 * 24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	erased, err := db.EraseMemberData(ctx, mdAlice)
	if err != nil {
		t.Fatal(err)
	}
	want := storage.ErasedMemberData{Checkins: 2, CheckinReminders: 2, CheckinRuns: 2, Preferences: 1, GroupMemberships: 2, BuddySettings: 2,
		BuddyAvoids: 2, Pairings: 1, RSVPs: 2, Attendance: 2, PendingMessages: 3, SentMessageMarks: 1}
	if !reflect.DeepEqual(erased, want) {
		t.Errorf("erased %+v, want %+v", erased, want)
	}
	d, raw = exportJSON(t, db, mdAlice)
	if d.Preferences != nil || len(d.Checkins)+len(d.CheckinReminders)+len(d.CheckinRuns)+len(d.GroupMemberships)+len(d.MeetingRSVPs)+
		len(d.MeetingAttendance)+len(d.BuddySettings)+len(d.BuddyAvoids)+len(d.Pairings)+len(d.PendingMessages) != 0 || strings.Contains(raw, mdNote) {
		t.Errorf("after erasing, the export still holds member data: %s", raw)
	}
	if len(d.Warnings) != 1 || d.Warnings[0].Reason != "spam-kiwi" || strings.Contains(raw, `"moderator`) {
		t.Errorf("warnings are kept and exported without the moderator: %s", raw)
	}
	if len(d.GroupsCreated) != 2 || len(d.MeetingsCreated) != 2 {
		t.Errorf("the server's records Alice created must be kept: %s", raw)
	}
	// Bob's data is untouched, his avoid of Alice included.
	b, braw := exportJSON(t, db, mdBob)
	if len(b.Checkins) != 2 || len(b.BuddyAvoids) != 2 || len(b.GroupMemberships) != 2 || len(b.Pairings) != 1 || len(b.PendingMessages) != 3 || b.Preferences == nil {
		t.Errorf("Bob's data changed: %s", braw)
	}
	if !strings.Contains(braw, mdNote+" "+mdBob) {
		t.Error("Bob's note is gone")
	}
	again, err := db.EraseMemberData(ctx, mdAlice)
	if err != nil || again.Total() != 0 {
		t.Errorf("erasing again = %+v, %v; want nothing, harmlessly", again, err)
	}
}

// A member's queued and failed jobs are found by the job's user_id, not by
// reading payloads or keys: another member's jobs, and jobs about no one
// member, stay.
func TestMemberJobsAreFoundByUserID(t *testing.T) {
	storagetest.Each(t, testMemberJobsAreFoundByUserID)
}

func testMemberJobsAreFoundByUserID(t *testing.T, db *storage.DB) {
	ctx := context.Background()
	dm := func(user string, at time.Time) storage.NewJob {
		return storage.NewJob{Kind: "dm", UserID: user, DedupeKey: "test:dm:" + user, RunAt: at, Payload: map[string]string{"user_id": user, "content": "secret"}}
	}
	prompt := func(user string) storage.NewJob {
		return storage.NewJob{Kind: "checkin.prompt", GuildID: mdGuild, UserID: user, DedupeKey: storage.CheckinPromptJobPrefix(mdGuild, user) + "1",
			RunAt: mdT0.Add(2 * time.Hour), Payload: map[string]string{"guild_id": mdGuild, "user_id": user}}
	}
	reminder := storage.NewJob{Kind: "meeting.reminder", GuildID: mdGuild, DedupeKey: "meeting:1:rem:3600", RunAt: mdT0.Add(3 * time.Hour), Payload: map[string]int{"meeting_id": 1}}
	mustEnqueue(t, db, dm(mdAlice, mdT0), prompt(mdAlice), dm(mdBob, mdT0.Add(time.Hour)), prompt(mdBob), reminder)
	// Alice's DM, the earliest job, fails.
	claimed := mustClaim(t, db, mdT0, 1)
	if len(claimed) != 1 || claimed[0].DedupeKey != "test:dm:"+mdAlice {
		t.Fatalf("claimed %v, want Alice's DM", keys(claimed))
	}
	if err := db.FailJob(ctx, claimed[0].ID, "dms closed"); err != nil {
		t.Fatal(err)
	}

	d, _ := exportJSON(t, db, mdAlice)
	if len(d.PendingMessages) != 1 || d.PendingMessages[0].Kind != "checkin.prompt" || len(d.FailedMessages) != 1 || d.FailedMessages[0].Kind != "dm" {
		t.Errorf("Alice's export: pending %+v, failed %+v; want her prompt pending and her DM failed", d.PendingMessages, d.FailedMessages)
	}
	erased, err := db.EraseMemberData(ctx, mdAlice)
	if err != nil {
		t.Fatal(err)
	}
	if erased.PendingMessages != 1 || erased.FailedMessages != 1 {
		t.Errorf("erased %d pending and %d failed jobs, want 1 and 1", erased.PendingMessages, erased.FailedMessages)
	}
	if failed, err := db.FailedJobs(ctx, 10); err != nil || len(failed) != 0 {
		t.Errorf("failed jobs after erasing = %v, %v; want none", keys(failed), err)
	}
	left := mustClaim(t, db, mdT0.Add(24*time.Hour), 10)
	if !sameKeys(left, "test:dm:"+mdBob, storage.CheckinPromptJobPrefix(mdGuild, mdBob)+"1", "meeting:1:rem:3600") {
		t.Errorf("jobs left = %v, want Bob's DM and prompt and the meeting reminder", keys(left))
	}
}

func TestMemberDataRefusesOddIDs(t *testing.T) { storagetest.Each(t, testMemberDataRefusesOddIDs) }

func testMemberDataRefusesOddIDs(t *testing.T, db *storage.DB) {
	if _, err := db.EraseMemberData(context.Background(), ""); err == nil {
		t.Error("erasing an empty user id must fail")
	}
	if _, err := db.ExportMemberData(context.Background(), "1:2", mdT0); err == nil {
		t.Error("a user id with ':' must be refused")
	}
}

// Past memberships are the member's data like current ones: exported with
// when they began and ended, and erased.
func TestPastGroupMembershipsAreExportedAndErased(t *testing.T) {
	storagetest.Each(t, testPastGroupMembershipsAreExportedAndErased)
}

func testPastGroupMembershipsAreExportedAndErased(t *testing.T, db *storage.DB) {
	ctx := context.Background()
	g, err := db.CreateGroup(ctx, storage.Group{GuildID: mdGuild, Name: "Circle", Description: "d", Type: "recovery", ChannelID: "720000000000000001", CreatedBy: mdBob}, mdT0)
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []error{
		db.JoinGroup(ctx, g.ID, mdAlice, mdT0),
		db.LeaveGroupAt(ctx, g.ID, mdAlice, mdT0.Add(time.Hour)),
		db.JoinGroup(ctx, g.ID, mdAlice, mdT0.Add(2*time.Hour)),
		db.JoinGroup(ctx, g.ID, mdBob, mdT0),
		db.LeaveGroupAt(ctx, g.ID, mdBob, mdT0.Add(time.Hour)),
	} {
		if step != nil {
			t.Fatal(step)
		}
	}
	d, raw := exportJSON(t, db, mdAlice)
	want := []storage.PastGroupMembershipData{{GuildID: mdGuild, GroupID: fmt.Sprint(g.ID), GroupName: "Circle", JoinedAt: mdT0, LeftAt: mdT0.Add(time.Hour)}}
	if fmt.Sprint(d.PastGroupMemberships) != fmt.Sprint(want) || len(d.GroupMemberships) != 1 {
		t.Errorf("export: past %+v, current %+v; want %+v and the current one", d.PastGroupMemberships, d.GroupMemberships, want)
	}
	if !strings.Contains(raw, `"past_group_memberships":[{"guild_id":"`+mdGuild+`"`) || !strings.Contains(raw, `"left_at":"2026-12-01T11:00:00Z"`) {
		t.Errorf("export JSON: %s", raw)
	}
	erased, err := db.EraseMemberData(ctx, mdAlice)
	if err != nil || erased.GroupMemberships != 2 {
		t.Errorf("erased %+v, %v; want 2 group memberships, the past one counted", erased, err)
	}
	if d, _ := exportJSON(t, db, mdAlice); len(d.PastGroupMemberships)+len(d.GroupMemberships) != 0 {
		t.Errorf("after erasing: %+v", d)
	}
	if b, _ := exportJSON(t, db, mdBob); len(b.PastGroupMemberships) != 1 {
		t.Errorf("Bob's past membership = %+v, want it kept", b.PastGroupMemberships)
	}
	if members, err := db.GroupMembersAt(ctx, g.ID, mdT0); err != nil || fmt.Sprint(members) != fmt.Sprint([]string{mdBob}) {
		t.Errorf("members at T0 after Alice erased her data = %v, %v; want Bob only", members, err)
	}
}

// Work computed from a member's data before /mydata delete and written
// after it is not written: a job's requirement is checked in the
// transaction that writes it, on every path that writes jobs, and a round
// naming the member is refused whole.
func TestEraseBetweenReadAndWriteLeavesNoTrace(t *testing.T) {
	storagetest.Each(t, testEraseBetweenReadAndWriteLeavesNoTrace)
}

func testEraseBetweenReadAndWriteLeavesNoTrace(t *testing.T, db *storage.DB) {
	ctx := context.Background()
	g := aliceAndBob(t, db)
	ms, err := db.GroupMeetings(ctx, g.ID)
	if err != nil || len(ms) == 0 {
		t.Fatalf("meetings = %v, %v", ms, err)
	}
	m := ms[0]
	if err := db.SetRSVP(ctx, m.ID, m.FirstStart, mdBob, storage.RSVPMaybe, mdT0); err != nil {
		t.Fatal(err)
	}
	dm := func(user, key string) storage.NewJob {
		return storage.NewJob{Kind: "dm", UserID: user, DedupeKey: key + ":dm:" + user, RunAt: mdT0,
			Requires: storage.RequireRSVP(m.ID, m.FirstStart, user, storage.RSVPGoing, storage.RSVPMaybe)}
	}
	if members, err := db.PairingMembers(ctx, g.ID); err != nil || len(members) != 2 {
		t.Fatalf("pairing members read before the erase = %+v, %v", members, err)
	}
	if _, err := db.EraseMemberData(ctx, mdAlice); err != nil {
		t.Fatal(err)
	}

	if ok, err := db.Enqueue(ctx, dm(mdAlice, "one")); err != nil || ok {
		t.Errorf("enqueue for the erased member = %v, %v; want left out", ok, err)
	}
	if n, err := db.EnqueueMany(ctx, []storage.NewJob{dm(mdAlice, "many"), dm(mdBob, "many")}); err != nil || n != 1 {
		t.Errorf("enqueue many = %d, %v; want Bob's alone", n, err)
	}
	mustEnqueue(t, db, job("reminder", mdT0.Add(-time.Minute)))
	reminder := mustClaim(t, db, mdT0.Add(-time.Minute), 10)
	if len(reminder) != 1 {
		t.Fatalf("claimed %+v, want the reminder", reminder)
	}
	if err := db.CompleteJob(ctx, reminder[0].ID, dm(mdAlice, "done"), dm(mdBob, "done")); err != nil {
		t.Fatal(err)
	}
	_, err = db.RecordRound(ctx, storage.NewRound{GroupID: g.ID, RunBy: mdBob, At: mdT0, Groups: [][]string{{mdAlice, mdBob}}, Prompts: []int{0}},
		func(r storage.Round) []storage.NewJob {
			return []storage.NewJob{{Kind: "pairing.followup", DedupeKey: storage.PairingFollowupJobKey(g.ID, r.Pairings[0].ID), RunAt: mdT0}}
		})
	if !errors.Is(err, storage.ErrNotOptedIn) {
		t.Errorf("record a round naming the erased member = %v, want ErrNotOptedIn", err)
	}

	if d, _ := exportJSON(t, db, mdAlice); len(d.PendingMessages) > 0 || len(d.Pairings) > 0 {
		t.Errorf("after the erase, written back: %+v, %+v", d.PendingMessages, d.Pairings)
	}
	var keys []string
	for _, j := range mustClaim(t, db, mdT0.Add(time.Hour), 100) {
		if j.UserID == mdAlice || j.Kind == "pairing.followup" {
			keys = append(keys, j.DedupeKey)
		}
	}
	if len(keys) > 0 {
		t.Errorf("jobs written after the erase: %v", keys)
	}
}
