package storage_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kindred-bot/kindred/storage"
	"github.com/kindred-bot/kindred/storage/storagetest"
)

// A member who left one server loses their memberships, opt-ins, answers
// for meetings to come, reminder and queued work there, in one go. What
// they did there stays in their export, their other server is untouched,
// and so is everyone else; a second call ends nothing more.
func TestMemberLeftEndsTheServersHoldOnly(t *testing.T) {
	storagetest.Each(t, testMemberLeftEndsTheServersHoldOnly)
}

func testMemberLeftEndsTheServersHoldOnly(t *testing.T, db *storage.DB) {
	ctx := context.Background()
	g := aliceAndBob(t, db)
	if _, err := db.RecordRound(ctx, storage.NewRound{GroupID: g.ID, At: mdT0, Groups: [][]string{{mdAlice, mdBob}}, Prompts: []int{0}}, nil); err != nil {
		t.Fatal(err)
	}
	// A meeting that begins after Alice leaves, with her answer, and DMs
	// waiting for her and Bob in the first server and for her in the other.
	later, err := db.CreateMeeting(ctx, storage.Meeting{GuildID: mdGuild, GroupID: g.ID, Title: "Later", FirstStart: mdT0.Add(3 * time.Hour), Duration: time.Hour,
		Format: "online", Recurrence: "once", Timezone: "UTC", CreatedBy: mdBob, CreatedAt: mdT0}, func(storage.Meeting) []storage.NewJob { return nil })
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{mdAlice, mdBob} {
		if err := db.SetRSVP(ctx, later.ID, later.FirstStart, u, storage.RSVPGoing, mdT0); err != nil {
			t.Fatal(err)
		}
	}
	dm := func(guild, user string) storage.NewJob {
		return storage.NewJob{Kind: "dm", GuildID: guild, UserID: user, DedupeKey: "test:reminder:" + guild + ":dm:" + user, RunAt: mdT0.Add(2 * time.Hour)}
	}
	mustEnqueue(t, db, dm(mdGuild, mdAlice), dm(mdGuild, mdBob), dm(mdGuild2, mdAlice))
	before, _ := exportJSON(t, db, mdAlice)

	left := mdT0.Add(2 * time.Hour)
	d, err := db.MemberLeft(ctx, mdGuild, mdAlice, left)
	if err != nil {
		t.Fatal(err)
	}
	want := storage.Departure{GroupMemberships: 1, PairingOptIns: 1, RSVPs: 1, CheckinReminders: 1, PendingJobs: 2}
	if d != want {
		t.Errorf("departure = %+v, want %+v", d, want)
	}

	after, raw := exportJSON(t, db, mdAlice)
	inGuild2 := func(n int, what string, guilds ...string) {
		t.Helper()
		if len(guilds) != n {
			t.Errorf("%s: %d entries, want %d", what, len(guilds), n)
		}
		for _, gid := range guilds {
			if gid == mdGuild {
				t.Errorf("%s: still one in the server Alice left", what)
			}
		}
	}
	var memberships, reminders, buddies, pending []string
	for _, m := range after.GroupMemberships {
		memberships = append(memberships, m.GuildID)
	}
	for _, r := range after.CheckinReminders {
		reminders = append(reminders, r.GuildID)
	}
	for _, b := range after.BuddySettings {
		buddies = append(buddies, b.GuildID)
	}
	for _, p := range after.PendingMessages {
		if p.GuildID != "" {
			pending = append(pending, p.GuildID)
		}
	}
	inGuild2(1, "group memberships", memberships...)
	inGuild2(1, "check-in reminders", reminders...)
	inGuild2(1, "buddy settings", buddies...)
	inGuild2(2, "pending work of a server", pending...)
	wantPast := []storage.PastGroupMembershipData{{GuildID: mdGuild, GroupID: fmt.Sprint(g.ID), GroupName: "Circle", JoinedAt: mdT0, LeftAt: left}}
	if fmt.Sprint(after.PastGroupMemberships) != fmt.Sprint(wantPast) {
		t.Errorf("past memberships = %+v, want %+v", after.PastGroupMemberships, wantPast)
	}
	// Kept: what she did, in both servers.
	kept := map[string][2]int{
		"check-ins":      {len(before.Checkins), len(after.Checkins)},
		"check-in runs":  {len(before.CheckinRuns), len(after.CheckinRuns)},
		"avoids":         {len(before.BuddyAvoids), len(after.BuddyAvoids)},
		"pairings":       {len(before.Pairings), len(after.Pairings)},
		"attendance":     {len(before.MeetingAttendance), len(after.MeetingAttendance)},
		"groups created": {len(before.GroupsCreated), len(after.GroupsCreated)},
	}
	for what, n := range kept {
		if n[0] == 0 || n[0] != n[1] {
			t.Errorf("%s: %d before, %d after; want them kept", what, n[0], n[1])
		}
	}
	if after.Preferences == nil || !strings.Contains(raw, mdNote+" "+mdAlice) {
		t.Errorf("preferences or her note went: %s", raw)
	}
	// Her answer for the meeting that had begun stays; the one to come goes.
	if len(after.MeetingRSVPs) != len(before.MeetingRSVPs)-1 {
		t.Errorf("RSVPs: %d before, %d after; want only the one for the meeting to come gone", len(before.MeetingRSVPs), len(after.MeetingRSVPs))
	}
	for _, r := range after.MeetingRSVPs {
		if r.MeetingID == fmt.Sprint(later.ID) {
			t.Errorf("her answer for a meeting that begins after she left is kept: %+v", r)
		}
	}
	if members, err := db.GroupMembersAt(ctx, g.ID, mdT0.Add(time.Hour)); err != nil || fmt.Sprint(members) != fmt.Sprint([]string{mdAlice, mdBob}) {
		t.Errorf("members while she was in = %v, %v; want both", members, err)
	}

	// Bob, in the same server, keeps everything.
	b, braw := exportJSON(t, db, mdBob)
	if len(b.GroupMemberships) != 2 || len(b.BuddySettings) != 2 || len(b.CheckinReminders) != 2 || len(b.MeetingRSVPs) != 3 || len(b.PendingMessages) != 4 {
		t.Errorf("Bob's data changed: %s", braw)
	}

	again, err := db.MemberLeft(ctx, mdGuild, mdAlice, left.Add(time.Hour))
	if err != nil || again.Total() != 0 {
		t.Errorf("leaving again = %+v, %v; want nothing more", again, err)
	}
	if again, _ := exportJSON(t, db, mdAlice); len(again.PastGroupMemberships) != 1 {
		t.Errorf("leaving again changed the past memberships: %+v", again.PastGroupMemberships)
	}
}

// A member who comes back joins as anyone does, and leaving again keeps
// both memberships.
func TestMemberLeftThenBack(t *testing.T) { storagetest.Each(t, testMemberLeftThenBack) }

func testMemberLeftThenBack(t *testing.T, db *storage.DB) {
	ctx := context.Background()
	g, err := db.CreateGroup(ctx, storage.Group{GuildID: mdGuild, Name: "Circle", Description: "d", Type: "recovery", ChannelID: "720000000000000001", CreatedBy: mdBob}, mdT0)
	if err != nil {
		t.Fatal(err)
	}
	steps := []func() error{
		func() error { return db.JoinGroup(ctx, g.ID, mdAlice, mdT0) },
		func() error { _, err := db.MemberLeft(ctx, mdGuild, mdAlice, mdT0.Add(time.Hour)); return err },
		func() error { return db.JoinGroup(ctx, g.ID, mdAlice, mdT0.Add(2*time.Hour)) },
		func() error { _, err := db.JoinPairing(ctx, g.ID, mdAlice, mdT0.Add(2*time.Hour)); return err },
		func() error { _, err := db.MemberLeft(ctx, mdGuild, mdAlice, mdT0.Add(3*time.Hour)); return err },
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	d, _ := exportJSON(t, db, mdAlice)
	if len(d.PastGroupMemberships) != 2 || len(d.GroupMemberships)+len(d.BuddySettings) != 0 {
		t.Errorf("export = %+v", d)
	}
}

func TestMemberLeftRefusesOddIDs(t *testing.T) { storagetest.Each(t, testMemberLeftRefusesOddIDs) }

func testMemberLeftRefusesOddIDs(t *testing.T, db *storage.DB) {
	for _, ids := range [][2]string{{"", mdAlice}, {mdGuild, ""}, {mdGuild, "1:2"}} {
		if _, err := db.MemberLeft(context.Background(), ids[0], ids[1], mdT0); err == nil {
			t.Errorf("MemberLeft(%q, %q) did not refuse", ids[0], ids[1])
		}
	}
}
