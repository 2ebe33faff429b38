package commands_test

import (
	"context"
	"github.com/bwmarrin/discordgo"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kindred-bot/kindred/bot"
	"github.com/kindred-bot/kindred/internal/kindredtest"
	"github.com/kindred-bot/kindred/storage"
	"github.com/kindred-bot/kindred/storage/storagetest"
)

// A community that used every feature on SQLite moves to PostgreSQL: the
// copy carries every table, and each member's /mydata export from Kindred
// running on the copy is the one they got before, byte for byte.
func TestMigrateDataEndToEnd(t *testing.T) {
	storagetest.Postgres.Require(t)
	t.Parallel()
	ctx := context.Background()
	h := startMeetings(t) // SQLite; Tuesday 1 Dec 2026 10:00 UTC; "Evening Circle" in #general, Europe/Berlin
	guild := kindredtest.GuildID
	owner, admin, mod, alice, bob := kindredtest.OwnerID, kindredtest.AdminID, kindredtest.ModeratorID, kindredtest.AliceID, kindredtest.BobID
	members := []string{owner, admin, mod, alice, bob}
	do := func(guildID, userID, command, want string) {
		t.Helper()
		if reply := h.Fake.Interact(t, guildID, userID, command); !strings.Contains(reply.Text(), want) {
			t.Fatalf("%s: reply %q, want %q in it", command, reply.Text(), want)
		}
	}

	// Server setup and members' own preferences.
	do(guild, admin, `/kindred setup modlog_channel:<#`+kindredtest.ModlogID+`> moderator_role:<@&`+kindredtest.ModRoleID+
		`> facilitator_role:<@&`+kindredtest.FacilitatorID+`> timezone:Europe/Berlin resources_text:"Call 116 123, day or night"`, "Saved")
	do("", alice, "/preferences timezone zone:Europe/Berlin", "Europe/Berlin")
	do("", alice, "/preferences quiet-hours start:22:00 end:07:00", "22:00")
	do("", bob, "/preferences timezone zone:America/New_York", "America/New_York")
	do("", mod, "/preferences dms enabled:false", "")

	// Groups: Alice and Bob join Evening Circle; Bob joins a second group
	// and leaves it again.
	do(guild, owner, `/group create name:"Morning Walk" description:"Walk and talk" type:personal-development channel:<#`+
		kindredtest.GeneralID+`> facilitation:facilitated commitment:"Most Saturdays"`, "Morning Walk")
	for _, join := range []struct{ user, group string }{{alice, "Evening Circle"}, {bob, "Evening Circle"}, {bob, "Morning Walk"}} {
		reply := h.Fake.Interact(t, guild, join.user, `/group join group:"`+join.group+`"`)
		h.Fake.Click(t, guild, join.user, reply.Buttons()[0].CustomID, reply.Message)
	}
	h.Clock.Set(meetingT0.Add(time.Hour))
	h.Fake.Interact(t, guild, bob, `/group leave group:"Morning Walk"`)

	// A weekly meeting: answers, one date cancelled, the reminder, and
	// Alice marked as here.
	h.Fake.Interact(t, guild, owner, `/meeting schedule group:"Evening Circle" title:"Tuesday circle" start:"2026-12-01 19:00" repeat:weekly reminders:1h`)
	announcement := h.Fake.WaitMessage(t, kindredtest.GeneralID, 5*time.Second)
	h.Fake.Click(t, guild, alice, buttonID(t, announcement, "Going"), announcement)
	h.Fake.Click(t, guild, bob, buttonID(t, announcement, "Maybe"), announcement)
	do(guild, owner, `/meeting cancel meeting:"Tuesday circle" occurrence:2026-12-15`, "Cancelled")
	h.Fake.WaitMessage(t, kindredtest.GeneralID, 5*time.Second) // the channel is told
	start := time.Date(2026, 12, 1, 18, 0, 0, 0, time.UTC)
	h.RunDue(t, start.Add(-59*time.Minute))
	reminder := h.Fake.WaitMessage(t, kindredtest.GeneralID, 5*time.Second)
	h.RunDue(t, start.Add(-59*time.Minute)) // the DMs the reminder queued
	h.Clock.Set(start.Add(5 * time.Minute))
	h.Fake.Click(t, guild, alice, buttonID(t, reminder, "I'm here"), reminder)

	// Check-ins with notes, one shared, and Alice's daily prompt.
	do(guild, alice, `/checkin mood:4 note:"slept well, for once ☀️" share:true`, "streak")
	do(guild, bob, `/checkin mood:2 note:"a heavy week"`, "streak")
	do(guild, alice, "/checkins reminder time:20:00", "20:00")

	// Buddies: both opt in, Alice avoids the owner, a round pairs them,
	// and Bob answers the follow-up.
	do(guild, alice, `/buddy join group:"Evening Circle"`, "You're in")
	do(guild, bob, `/buddy join group:"Evening Circle"`, "You're in")
	h.Fake.Interact(t, guild, alice, "/buddy avoid user:<@"+owner+">")
	do(guild, owner, `/pairing configure group:"Evening Circle" schedule:weekly followup_days:2`, "first round")
	round := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC) // Monday 10:00 in Berlin
	h.RunDue(t, round)
	threads := h.Fake.Threads(kindredtest.GeneralID)
	if len(threads) != 1 {
		t.Fatalf("%d pairing threads, want 1", len(threads))
	}
	h.Fake.WaitMessage(t, threads[0].ID, 5*time.Second) // the introduction
	h.RunDue(t, round.Add(48*time.Hour))
	followup := h.Fake.WaitMessage(t, threads[0].ID, 5*time.Second)
	h.Fake.Click(t, guild, bob, buttonID(t, followup, "We talked"), followup)

	// Moderation: an escalation rule, two warnings (one revoked), a report.
	do(guild, mod, `/escalation set warnings:3 action:timeout duration:1h`, "Saved")
	do(guild, mod, `/warn user:<@`+alice+`> reason:"Off topic in #general"`, "case #1")
	do(guild, mod, `/warn user:<@`+bob+`> reason:"Spoilers"`, "case #2")
	do(guild, mod, `/unwarn case:2 reason:"A mistake"`, "")
	target := h.Fake.UserMessage(kindredtest.GeneralID, bob, "nobody cares")
	open := h.Fake.MessageCommand(t, guild, alice, "Report to moderators", target)
	h.Fake.SubmitModal(t, guild, alice, open.Data.CustomID, map[string]string{"reason": "Unkind"})
	h.Fake.WaitMessage(t, kindredtest.ModlogID, 5*time.Second)

	// Support on request: the moderators are the supporters here, in
	// #general; the moderator goes on duty and Alice asks.
	do(guild, admin, `/kindred setup supporter_role:<@&`+kindredtest.ModRoleID+`> support_channel:<#`+kindredtest.GeneralID+`>`, "Saved")
	do(guild, mod, `/supporter on hours:8`, "on duty")
	do(guild, alice, `/support topic:"a rough week"`, "private thread is open")
	// Anonymous sharing: a share approved, its author warned through it
	// and blocked from sharing.
	do(guild, alice, `/share group:"Evening Circle" text:"A hard week, and I'm still here"`, "Thank you")
	var card *discordgo.Message
	for _, m := range h.Fake.Messages(kindredtest.ModlogID) {
		for _, b := range buttonsOf(m) {
			if b.Label == "Approve" {
				card = m
			}
		}
	}
	if card == nil {
		t.Fatal("no vetting card in the mod-log")
	}
	h.Fake.Click(t, guild, mod, buttonID(t, card, "Approve"), card)
	posts := h.Fake.Messages(kindredtest.GeneralID)
	warnForm := h.Fake.MessageCommand(t, guild, mod, "Warn anonymous author", posts[len(posts)-1])
	warned := h.Fake.SubmitModal(t, guild, mod, warnForm.Data.CustomID, map[string]string{"reason": "Please keep to the guidelines"})
	h.Fake.Click(t, guild, mod, warned.Buttons()[0].CustomID, nil)

	// No command leaves a failed job behind: a job of a kind no release
	// handles, addressed to Alice, stands in for one.
	if err := h.Stop(t); err != nil {
		t.Fatal(err)
	}
	failed := storage.NewJob{Kind: "retired.kind", GuildID: guild, UserID: alice, DedupeKey: "retired:" + alice, RunAt: meetingT0}
	withSQLite(t, h, func(db *storage.DB) {
		if _, err := db.Enqueue(ctx, failed); err != nil {
			t.Fatal(err)
		}
		claimed, err := db.ClaimDueJobs(ctx, meetingT0, time.Minute, 1)
		if err != nil || len(claimed) != 1 || claimed[0].Kind != failed.Kind {
			t.Fatalf("claimed %+v, %v; want the retired job alone", claimed, err)
		}
		if err := db.FailJob(ctx, claimed[0].ID, "no handler registered for job kind"); err != nil {
			t.Fatal(err)
		}
	})
	h.Restart(t)

	exportAt := round.Add(49 * time.Hour)
	h.Clock.Set(exportAt)
	before := map[string]string{}
	for _, id := range members {
		_, before[id] = exportFile(t, h, id)
	}
	if !strings.Contains(before[alice], failed.Kind) {
		t.Fatalf("Alice's export lacks the failed job: %s", before[alice])
	}
	if err := h.Stop(t); err != nil {
		t.Fatal(err)
	}

	src, err := storage.Open(ctx, h.DBPath)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	copyTarget := storagetest.Postgres.New(t)
	dst, err := copyTarget.TryOpen()
	if err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	report, err := storage.CopyToPostgres(ctx, src, dst, nil)
	took := time.Since(began)
	if err != nil {
		dst.Close()
		t.Fatal(err)
	}
	t.Logf("copied %d rows in %d tables in %s", report.Rows(), len(report.Tables), took)
	for _, c := range report.Tables {
		if c.Source == 0 {
			t.Errorf("%s is empty: the community should use every feature, so that every table is copied", c.Table)
		}
		if c.Source != c.Target {
			t.Errorf("%s: %d rows in SQLite, %d in PostgreSQL", c.Table, c.Source, c.Target)
		}
	}
	for _, id := range members {
		want, err := src.ExportMemberData(ctx, id, exportAt)
		if err != nil {
			t.Fatal(err)
		}
		got, err := dst.ExportMemberData(ctx, id, exportAt)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s's data differs in the copy:\n got %+v\nwant %+v", id, got, want)
		}
	}
	dst.Close()

	// Kindred on the copy gives every member the export they had.
	pg := kindredtest.Start(t, kindredtest.Options{Backend: storagetest.Postgres, Configure: func(c *bot.Config) {
		c.Database.Path, c.Database.URL = "", copyTarget.URL
	}})
	pg.Clock.Set(exportAt)
	for _, id := range members {
		if _, after := exportFile(t, pg, id); after != before[id] {
			t.Errorf("%s's export on PostgreSQL differs:\n got %s\nwant %s", id, after, before[id])
		}
	}
	// The copy goes on working: Bob checks in again, on a new id.
	do = func(guildID, userID, command, want string) {
		t.Helper()
		if reply := pg.Fake.Interact(t, guildID, userID, command); !strings.Contains(reply.Text(), want) {
			t.Fatalf("%s on PostgreSQL: reply %q, want %q in it", command, reply.Text(), want)
		}
	}
	do(guild, bob, `/checkin mood:3 note:"better"`, "streak")
}

// withSQLite opens the stopped harness's SQLite database for f.
func withSQLite(t *testing.T, h *kindredtest.Harness, f func(db *storage.DB)) {
	t.Helper()
	db, err := storage.Open(context.Background(), h.DBPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	f(db)
}
