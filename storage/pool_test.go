package storage

import (
	"context"
	"database/sql"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// poolDeadline bounds each call of TestPoolNesting. Every call is a few
// milliseconds of SQLite; one that waits for a connection waits forever.
const poolDeadline = 2 * time.Second

// noConnection are the exported methods that take no connection.
var noConnection = map[string]bool{"Close": true, "Path": true, "Engine": true, "JobsChanged": true, "JobsEnqueued": true}

// poolCall is one exported method, called with arguments that make it do
// its whole work, and the pool it may use.
type poolCall struct {
	method string
	write  bool // uses the write pool; otherwise the read pool
	call   func(ctx context.Context) error
}

// No method asks a pool for a connection while it holds one (a query
// while its transaction or rows are open, another *DB method called from
// inside its own), and none reaches into the other pool: with four
// concurrent callers doing that, the read pool once deadlocked and froze
// settings, preferences, the scheduler and /healthz until the handlers
// timed out. Here each pool has one connection and the test holds the
// pool a method must not use, so such a method waits for a connection
// that never comes and fails at its deadline. Every exported method is
// called, in an order that gives each something to read; a new method
// fails the test until it is added.
func TestPoolNesting(t *testing.T) {
	ctx := context.Background()
	db, err := open(ctx, filepath.Join(t.TempDir(), "kindred.db"), 1)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	calls := poolCalls(db)
	listed := map[string]bool{}
	for _, c := range calls {
		if listed[c.method] {
			t.Errorf("%s is called twice in the list", c.method)
		}
		listed[c.method] = true
	}
	typ := reflect.TypeOf(db)
	for i := 0; i < typ.NumMethod(); i++ {
		if name := typ.Method(i).Name; !listed[name] && !noConnection[name] {
			t.Errorf("%s is not exercised by TestPoolNesting: add it to poolCalls", name)
		}
	}

	for _, c := range calls {
		other, pool := db.write, "write"
		if c.write {
			other, pool = db.read, "read"
		}
		held, err := other.Conn(ctx)
		if err != nil {
			t.Fatalf("hold the %s pool: %v", pool, err)
		}
		callCtx, cancel := context.WithTimeout(ctx, poolDeadline)
		err = c.call(callCtx)
		timedOut := callCtx.Err() != nil
		cancel()
		held.Close()
		switch {
		case timedOut:
			t.Fatalf("%s waited %v for a connection: it asks for a second one while holding one, or uses the %s pool (err: %v)", c.method, poolDeadline, pool, err)
		case err != nil:
			t.Fatalf("%s: %v", c.method, err)
		}
		for name, p := range map[string]*sql.DB{"read": db.read, "write": db.write} {
			if n := p.Stats().InUse; n != 0 {
				t.Fatalf("%s left %d %s connection(s) in use", c.method, n, name)
			}
		}
	}
}

// errOf drops a method's result: TestPoolNesting only needs to know it
// finished.
func errOf[T any](_ T, err error) error { return err }

// poolCalls lists every exported method that takes a connection. Earlier
// calls create what later ones read; the ones that delete come last.
func poolCalls(db *DB) []poolCall {
	const (
		guild = "710000000000000001"
		u1    = "720000000000000001" // has a warning: the export that once deadlocked
		u2    = "720000000000000002"
		u3    = "720000000000000003"
		mod   = "720000000000000009"
	)
	t0 := time.Date(2026, 11, 25, 18, 0, 0, 0, time.UTC)
	later := t0.Add(30 * 24 * time.Hour) // everything queued is due
	var (
		group, other  Group
		meeting       Meeting
		round         Round
		report        Report
		support       SupportRequest
		share         Share
		claimed       []Job
		start         = t0.Add(48 * time.Hour)
		text          = "Europe/Berlin"
		checkinPrompt = NewJob{Kind: "checkin.prompt", GuildID: guild, UserID: u1, DedupeKey: CheckinPromptJobKey(guild, u1, t0.Add(time.Hour)), RunAt: t0.Add(time.Hour)}
	)
	read := func(method string, call func(ctx context.Context) error) poolCall {
		return poolCall{method: method, call: call}
	}
	write := func(method string, call func(ctx context.Context) error) poolCall {
		return poolCall{method: method, write: true, call: call}
	}
	return []poolCall{
		read("Ping", db.Ping),
		// On SQLite these run their task and take no connection themselves;
		// on PostgreSQL the lock's connection is outside both pools.
		read("RunExclusive", func(ctx context.Context) error {
			return errOf(db.RunExclusive(ctx, "task", func(ctx context.Context) error { return db.Ping(ctx) }))
		}),
		read("IdentifyTurn", func(ctx context.Context) error {
			return db.IdentifyTurn(ctx, 0, time.Millisecond, func(ctx context.Context) error { return db.Ping(ctx) })
		}),
		read("RunExclusiveWait", func(ctx context.Context) error {
			return db.RunExclusiveWait(ctx, "task", func(ctx context.Context) error { return db.Ping(ctx) })
		}),
		read("GuildSettings", func(ctx context.Context) error { return errOf(db.GuildSettings(ctx, guild)) }),
		write("UpdateGuildSettings", func(ctx context.Context) error {
			return errOf(db.UpdateGuildSettings(ctx, guild, GuildSettingsUpdate{Timezone: &text}, t0))
		}),

		write("SetTimezone", func(ctx context.Context) error { return errOf(db.SetTimezone(ctx, u1, text, t0)) }),
		write("SetQuietHours", func(ctx context.Context) error {
			return errOf(db.SetQuietHours(ctx, u1, &QuietHours{Start: 22 * 60, End: 7 * 60}, t0))
		}),
		write("SetDMsEnabled", func(ctx context.Context) error { return errOf(db.SetDMsEnabled(ctx, u1, true, t0)) }),
		read("Preferences", func(ctx context.Context) error { return errOf(db.Preferences(ctx, u1)) }),

		write("CreateGroup", func(ctx context.Context) (err error) {
			if group, err = db.CreateGroup(ctx, Group{GuildID: guild, Name: "Circle", Type: "recovery", CreatedBy: mod}, t0); err != nil {
				return err
			}
			other, err = db.CreateGroup(ctx, Group{GuildID: guild, Name: "Ärzte", Type: "other", CreatedBy: mod}, t0)
			return err
		}),
		write("UpdateGroup", func(ctx context.Context) error {
			return errOf(db.UpdateGroup(ctx, group.ID, GroupUpdate{Description: &text}, t0))
		}),
		read("Group", func(ctx context.Context) error { return errOf(db.Group(ctx, group.ID)) }),
		read("GroupByName", func(ctx context.Context) error {
			// A non-ASCII name is compared in Go, over a second query.
			return errOf(db.GroupByName(ctx, guild, "ärzte", false))
		}),
		read("ActiveGroups", func(ctx context.Context) error { return errOf(db.ActiveGroups(ctx, guild)) }),
		read("SearchActiveGroups", func(ctx context.Context) error { return errOf(db.SearchActiveGroups(ctx, guild, "cir", 25)) }),
		write("JoinGroup", func(ctx context.Context) error {
			for _, u := range []string{u1, u2, u3} {
				if err := db.JoinGroup(ctx, group.ID, u, t0); err != nil {
					return err
				}
			}
			return nil
		}),
		read("IsGroupMember", func(ctx context.Context) error { return errOf(db.IsGroupMember(ctx, group.ID, u1)) }),
		read("GroupMembers", func(ctx context.Context) error { return errOf(db.GroupMembers(ctx, group.ID)) }),
		read("GroupsOfMember", func(ctx context.Context) error { return errOf(db.GroupsOfMember(ctx, guild, u1)) }),

		write("RecordCheckin", func(ctx context.Context) error {
			for i, c := range []Checkin{
				{UserID: u1, Mood: 3, LocalDate: "2026-11-23"},
				{UserID: u1, Mood: 4, LocalDate: "2026-11-24"},
				{UserID: u1, Mood: 2, LocalDate: "2026-11-25", Note: "long day", GroupID: group.ID},
				{UserID: u2, Mood: 5, LocalDate: "2026-11-25"},
			} {
				c.GuildID, c.At = guild, t0.Add(time.Duration(i)*time.Minute)
				if _, err := db.RecordCheckin(ctx, c); err != nil {
					return err
				}
			}
			return nil
		}),
		read("CheckinStreak", func(ctx context.Context) error {
			// A day before the stored run's last day: the walk over the days.
			return errOf(db.CheckinStreak(ctx, guild, u1, "2026-11-24"))
		}),
		read("CheckinsBetween", func(ctx context.Context) error {
			return errOf(db.CheckinsBetween(ctx, guild, u1, "2026-11-01", "2026-11-30"))
		}),
		read("DailyMoods", func(ctx context.Context) error {
			return errOf(db.DailyMoods(ctx, guild, u1, "2026-11-01", "2026-11-30"))
		}),
		read("GroupCheckinSummary", func(ctx context.Context) error {
			return errOf(db.GroupCheckinSummary(ctx, CheckinSummaryQuery{GroupID: group.ID, GuildID: guild, From: "2026-11-02", Weeks: 4, MembersAt: t0, Except: mod}))
		}),
		write("SetCheckinReminder", func(ctx context.Context) error {
			return db.SetCheckinReminder(ctx, CheckinReminder{GuildID: guild, UserID: u1, Minute: 20 * 60, Days: ReminderDaily, Timezone: text, CreatedAt: t0}, checkinPrompt)
		}),
		read("CheckinReminder", func(ctx context.Context) error { return errOf(db.CheckinReminder(ctx, guild, u1)) }),

		write("CreateMeeting", func(ctx context.Context) (err error) {
			meeting, err = db.CreateMeeting(ctx, Meeting{GuildID: guild, GroupID: group.ID, Title: "Evening circle", FirstStart: start,
				Duration: time.Hour, Format: "online", Timezone: text, Reminders: []time.Duration{time.Hour}, CreatedBy: mod, CreatedAt: t0},
				func(m Meeting) []NewJob {
					return []NewJob{{Kind: "meeting.reminder", GuildID: guild, DedupeKey: ReminderJobKey(group.ID, m.ID, start, time.Hour), RunAt: start.Add(-time.Hour)}}
				})
			return err
		}),
		write("SetMeetingAnnouncement", func(ctx context.Context) error {
			return db.SetMeetingAnnouncement(ctx, meeting.ID, "730000000000000001", "740000000000000001")
		}),
		read("Meeting", func(ctx context.Context) error { return errOf(db.Meeting(ctx, meeting.ID)) }),
		read("ActiveMeetings", func(ctx context.Context) error { return errOf(db.ActiveMeetings(ctx, guild, 0)) }),
		read("GroupMeetings", func(ctx context.Context) error { return errOf(db.GroupMeetings(ctx, group.ID)) }),
		write("SetRSVP", func(ctx context.Context) error { return db.SetRSVP(ctx, meeting.ID, start, u1, RSVPGoing, t0) }),
		read("RSVPs", func(ctx context.Context) error { return errOf(db.RSVPs(ctx, meeting.ID, start)) }),
		write("MarkAttendance", func(ctx context.Context) error { return errOf(db.MarkAttendance(ctx, meeting.ID, start, u1, start)) }),
		read("MeetingAttendance", func(ctx context.Context) error { return errOf(db.MeetingAttendance(ctx, meeting.ID, t0)) }),
		write("CancelOccurrence", func(ctx context.Context) error {
			next := start.Add(7 * 24 * time.Hour)
			return db.CancelOccurrence(ctx, meeting.ID, next, mod, OccurrenceJobPrefix(group.ID, meeting.ID, next), t0)
		}),
		read("Cancellations", func(ctx context.Context) error { return errOf(db.Cancellations(ctx, meeting.ID)) }),

		write("ConfigurePairing", func(ctx context.Context) error {
			return db.ConfigurePairing(ctx, PairingSettings{GroupID: group.ID, Recurrence: "weekly", Size: 2, FollowupDays: 3, UpdatedBy: mod, UpdatedAt: t0},
				NewJob{Kind: "pairing.round", GuildID: guild, DedupeKey: PairingRoundJobKey(group.ID, start), RunAt: start})
		}),
		read("PairingSettingsOf", func(ctx context.Context) error { return errOf(db.PairingSettingsOf(ctx, group.ID)) }),
		write("JoinPairing", func(ctx context.Context) error {
			for _, u := range []string{u1, u2, u3} {
				if _, err := db.JoinPairing(ctx, group.ID, u, t0); err != nil {
					return err
				}
			}
			return nil
		}),
		write("PausePairing", func(ctx context.Context) error { return errOf(db.PausePairing(ctx, guild, u3, later)) }),
		read("BuddyMemberships", func(ctx context.Context) error { return errOf(db.BuddyMemberships(ctx, guild, u1)) }),
		read("PairingMembers", func(ctx context.Context) error { return errOf(db.PairingMembers(ctx, group.ID)) }),
		write("AddAvoid", func(ctx context.Context) error { return errOf(db.AddAvoid(ctx, guild, u1, u3, t0)) }),
		read("Avoids", func(ctx context.Context) error { return errOf(db.Avoids(ctx, guild)) }),
		write("RecordRound", func(ctx context.Context) (err error) {
			round, err = db.RecordRound(ctx, NewRound{GroupID: group.ID, JobKey: PairingRoundJobKey(group.ID, t0), At: t0,
				Groups: [][]string{{u1, u2}}, Prompts: []int{0}, Pause: []string{u3}},
				func(r Round) []NewJob {
					return []NewJob{{Kind: "pairing.followup", GuildID: guild, DedupeKey: PairingFollowupJobKey(group.ID, r.Pairings[0].ID), RunAt: t0.Add(72 * time.Hour)}}
				})
			return err
		}),
		read("RoundByJobKey", func(ctx context.Context) error { return errOf(db.RoundByJobKey(ctx, PairingRoundJobKey(group.ID, t0))) }),
		read("Pairing", func(ctx context.Context) error { return errOf(db.Pairing(ctx, round.Pairings[0].ID)) }),
		read("PairingHistory", func(ctx context.Context) error { return errOf(db.PairingHistory(ctx, group.ID)) }),
		read("CurrentPairings", func(ctx context.Context) error { return errOf(db.CurrentPairings(ctx, group.ID, u1)) }),
		write("SetPairingThread", func(ctx context.Context) error {
			return db.SetPairingThread(ctx, round.Pairings[0].ID, "750000000000000001")
		}),
		write("RecordPairingStep", func(ctx context.Context) error {
			return db.RecordPairingStep(ctx, round.Pairings[0].ID, StepMembersAdded, t0)
		}),
		write("AnswerFollowup", func(ctx context.Context) error {
			return db.AnswerFollowup(ctx, round.Pairings[0].ID, u1, AnswerTalked, t0)
		}),
		read("PairingStatsOf", func(ctx context.Context) error { return errOf(db.PairingStatsOf(ctx, group.ID)) }),

		write("AddWarning", func(ctx context.Context) error {
			_, _, err := db.AddWarning(ctx, Warning{GuildID: guild, UserID: u1, ModeratorID: mod, Reason: "Please keep advice to when it's asked for",
				CreatedAt: t0, ExpiresAt: later})
			return err
		}),
		read("ActiveWarningCount", func(ctx context.Context) error { return errOf(db.ActiveWarningCount(ctx, guild, u1, t0)) }),
		read("Warnings", func(ctx context.Context) error { return errOf(db.Warnings(ctx, guild, u1)) }),
		read("ActiveWarnings", func(ctx context.Context) error { return errOf(db.ActiveWarnings(ctx, guild, u1, t0)) }),
		read("WarningCase", func(ctx context.Context) error { return errOf(db.WarningCase(ctx, guild, 1)) }),
		write("SetEscalationRule", func(ctx context.Context) error {
			return db.SetEscalationRule(ctx, EscalationRule{GuildID: guild, Warnings: 3, Action: ActionTimeout, Duration: time.Hour}, mod, t0)
		}),
		read("EscalationRules", func(ctx context.Context) error { return errOf(db.EscalationRules(ctx, guild)) }),
		read("EscalationRuleFor", func(ctx context.Context) error {
			_, _, err := db.EscalationRuleFor(ctx, guild, 3)
			return err
		}),
		write("AddReport", func(ctx context.Context) (err error) {
			for range 2 {
				if report, err = db.AddReport(ctx, Report{GuildID: guild, ReporterID: u2, ReportedID: u1, ChannelID: "730000000000000001",
					MessageID: "740000000000000002", Reason: "unkind", CreatedAt: t0}); err != nil {
					return err
				}
			}
			return nil
		}),
		read("PendingReports", func(ctx context.Context) error { return errOf(db.PendingReports(ctx, guild)) }),
		write("ClaimReport", func(ctx context.Context) error { return errOf(db.ClaimReport(ctx, report.ID, t0)) }),
		write("ReleaseReport", func(ctx context.Context) error { return db.ReleaseReport(ctx, report.ID) }),
		write("ClaimPendingReports", func(ctx context.Context) error { return errOf(db.ClaimPendingReports(ctx, guild, t0)) }),

		write("StartShift", func(ctx context.Context) error {
			end := t0.Add(2 * time.Hour)
			return db.StartShift(ctx, SupporterShift{GuildID: guild, UserID: u2, StartedAt: t0, EndsAt: end},
				NewJob{Kind: "support.shift_end", GuildID: guild, UserID: u2, DedupeKey: SupporterShiftJobKey(guild, u2, end), RunAt: end})
		}),
		read("OnDutySupporters", func(ctx context.Context) error { return errOf(db.OnDutySupporters(ctx, guild, t0)) }),
		write("EndShiftAt", func(ctx context.Context) error { return errOf(db.EndShiftAt(ctx, guild, u2, t0)) }),
		write("EndShift", func(ctx context.Context) error { return errOf(db.EndShift(ctx, guild, u2)) }),
		write("OpenSupportRequest", func(ctx context.Context) (err error) {
			support, err = db.OpenSupportRequest(ctx, SupportRequest{GuildID: guild, UserID: u1, Topic: "a hard week", CreatedAt: t0})
			return err
		}),
		write("PostSupportRequest", func(ctx context.Context) error {
			return db.PostSupportRequest(ctx, support.ID, "750000000000000001", "740000000000000009",
				[]NewJob{{Kind: "support.wait", GuildID: guild, UserID: u1, DedupeKey: SupportWaitJobKey(support.ID), RunAt: t0.Add(10 * time.Minute)}})
		}),
		read("SupportRequest", func(ctx context.Context) error { return errOf(db.SupportRequest(ctx, support.ID)) }),
		read("OpenSupportRequestOf", func(ctx context.Context) error { return errOf(db.OpenSupportRequestOf(ctx, guild, u1)) }),
		read("OpenSupportRequests", func(ctx context.Context) error { return errOf(db.OpenSupportRequests(ctx, guild)) }),
		write("TakeSupportRequest", func(ctx context.Context) error { return errOf(db.TakeSupportRequest(ctx, support.ID, u2, 2, t0)) }),
		write("ReleaseSupportRequest", func(ctx context.Context) error { return db.ReleaseSupportRequest(ctx, support.ID, u2) }),
		write("CloseSupportRequest", func(ctx context.Context) error {
			_, _, err := db.CloseSupportRequest(ctx, support.ID, SupportClosedByModerator, t0, nil)
			return err
		}),
		write("AnswerSupportFeedback", func(ctx context.Context) error { return errOf(db.AnswerSupportFeedback(ctx, support.ID, u1, true)) }),
		read("SupportEndedByModeratorSince", func(ctx context.Context) error {
			return errOf(db.SupportEndedByModeratorSince(ctx, guild, u1, t0))
		}),
		read("SupportRequestsSince", func(ctx context.Context) error { return errOf(db.SupportRequestsSince(ctx, guild, t0)) }),
		write("DeleteSupportRequest", func(ctx context.Context) error { return db.DeleteSupportRequest(ctx, support.ID) }),
		write("CreateShare", func(ctx context.Context) (err error) {
			share, err = db.CreateShare(ctx, Share{GuildID: guild, GroupID: group.ID, UserID: u1, Text: "a hard week", CreatedAt: t0}, t0.Add(-time.Hour), t0.Add(time.Hour), 3)
			return err
		}),
		write("SetShareCard", func(ctx context.Context) error {
			return db.SetShareCard(ctx, share.ID, "730000000000000003", "740000000000000003")
		}),
		read("Share", func(ctx context.Context) error { return errOf(db.Share(ctx, guild, share.ID)) }),
		read("ShareByMessage", func(ctx context.Context) error { return errOf(db.ShareByMessage(ctx, guild, "740000000000000003")) }),
		write("DecideShare", func(ctx context.Context) error {
			return errOf(db.DecideShare(ctx, guild, share.ID, SharePosted, mod, "", t0))
		}),
		write("ReopenShare", func(ctx context.Context) error { return db.ReopenShare(ctx, share.ID) }),
		write("SetSharePost", func(ctx context.Context) error {
			return errOf(db.SetSharePost(ctx, share.ID, "730000000000000004", "740000000000000004", "730000000000000005", t0))
		}),
		read("MemberShares", func(ctx context.Context) error { return errOf(db.MemberShares(ctx, guild, u1)) }),
		write("AddShareWarning", func(ctx context.Context) error {
			_, _, err := db.AddShareWarning(ctx, Warning{GuildID: guild, UserID: u1, ModeratorID: mod, Reason: "unkind share", CreatedAt: t0, ExpiresAt: later}, share.ID)
			return err
		}),
		read("ShareWarningCases", func(ctx context.Context) error { return errOf(db.ShareWarningCases(ctx, guild)) }),
		write("BlockShareAuthor", func(ctx context.Context) error { return errOf(db.BlockShareAuthor(ctx, guild, share.ID, mod, t0)) }),
		write("UnblockShareAuthor", func(ctx context.Context) error { return errOf(db.UnblockShareAuthor(ctx, guild, share.ID)) }),
		write("DeleteShare", func(ctx context.Context) error { return errOf(db.DeleteShare(ctx, guild, share.ID, u1)) }),
		write("DiscardShare", func(ctx context.Context) error { return db.DiscardShare(ctx, share.ID) }),

		write("Enqueue", func(ctx context.Context) error {
			return errOf(db.Enqueue(ctx, NewJob{Kind: "dm", UserID: u1, DedupeKey: DMJobKey("test:1", u1), RunAt: t0}))
		}),
		write("EnqueueMany", func(ctx context.Context) error {
			return errOf(db.EnqueueMany(ctx, []NewJob{
				{Kind: "dm", UserID: u2, DedupeKey: DMJobKey("test:2", u2), RunAt: t0},
				{Kind: "dm", UserID: u3, DedupeKey: DMJobKey("test:3", u3), RunAt: t0},
			}))
		}),
		read("NextJobTime", func(ctx context.Context) error {
			_, _, err := db.NextJobTime(ctx)
			return err
		}),
		write("ClaimDueJobs", func(ctx context.Context) (err error) {
			claimed, err = db.ClaimDueJobs(ctx, later, time.Minute, 3)
			return err
		}),
		write("ExtendJobLeases", func(ctx context.Context) error {
			return db.ExtendJobLeases(ctx, later.Add(time.Hour), claimed[0].ID, claimed[1].ID, claimed[2].ID)
		}),
		write("CompleteJob", func(ctx context.Context) error {
			return db.CompleteJob(ctx, claimed[0].ID, NewJob{Kind: "dm", UserID: u1, DedupeKey: DMJobKey("test:4", u1), RunAt: later})
		}),
		write("RetryJob", func(ctx context.Context) error { return db.RetryJob(ctx, claimed[1].ID, later, "try again") }),
		write("FailJob", func(ctx context.Context) error { return db.FailJob(ctx, claimed[2].ID, "gave up") }),
		read("FailedJobs", func(ctx context.Context) error { return errOf(db.FailedJobs(ctx, 10)) }),
		write("RecordSent", func(ctx context.Context) error {
			return db.RecordSent(ctx, DMJobKey("test:1", u1), "760000000000000001", t0)
		}),
		read("SentUnder", func(ctx context.Context) error { return errOf(db.SentUnder(ctx, "test:")) }),
		// The sent log is read through the writer, which records it.
		write("SentRef", func(ctx context.Context) error {
			_, _, err := db.SentRef(ctx, DMJobKey("test:1", u1))
			return err
		}),

		read("ExportMemberData", func(ctx context.Context) error { return errOf(db.ExportMemberData(ctx, u1, t0)) }),

		write("RevokeWarning", func(ctx context.Context) error { return errOf(db.RevokeWarning(ctx, guild, 1, mod, "misread", t0)) }),
		write("ClearEscalationRule", func(ctx context.Context) error { return errOf(db.ClearEscalationRule(ctx, guild, 3)) }),
		write("RemoveAvoid", func(ctx context.Context) error { return errOf(db.RemoveAvoid(ctx, guild, u1, u3)) }),
		write("LeavePairing", func(ctx context.Context) error { return db.LeavePairing(ctx, group.ID, u2) }),
		read("GroupMembersAt", func(ctx context.Context) error { return errOf(db.GroupMembersAt(ctx, group.ID, t0)) }),
		write("LeaveGroup", func(ctx context.Context) error { return db.LeaveGroup(ctx, group.ID, u3) }),
		write("LeaveGroupAt", func(ctx context.Context) error {
			if err := db.LeaveGroupAt(ctx, group.ID, u2, t0); err != nil {
				return err
			}
			return db.JoinGroup(ctx, group.ID, u2, t0)
		}),
		write("MemberLeft", func(ctx context.Context) error {
			// u2 has a group, an opt-in, a queued DM: every step has rows.
			if err := db.SetRSVP(ctx, meeting.ID, start, u2, RSVPGoing, t0); err != nil {
				return err
			}
			return errOf(db.MemberLeft(ctx, guild, u2, t0))
		}),
		write("DeleteCheckinReminder", func(ctx context.Context) error { return db.DeleteCheckinReminder(ctx, guild, u1) }),
		write("CancelJobs", func(ctx context.Context) error { return errOf(db.CancelJobs(ctx, PairingRoundJobPrefix(group.ID))) }),
		write("CancelMeeting", func(ctx context.Context) error {
			return db.CancelMeeting(ctx, meeting.ID, MeetingJobPrefix(group.ID, meeting.ID), t0)
		}),
		write("ArchiveGroup", func(ctx context.Context) error {
			_, _, err := db.ArchiveGroup(ctx, other.ID, t0)
			return err
		}),
		write("EraseMemberData", func(ctx context.Context) error { return errOf(db.EraseMemberData(ctx, u1)) }),
		write("PruneFailedJobs", func(ctx context.Context) error { return errOf(db.PruneFailedJobs(ctx, later)) }),
		write("PruneSentLog", func(ctx context.Context) error { return errOf(db.PruneSentLog(ctx, later)) }),
		write("PurgeCheckinsBefore", func(ctx context.Context) error { return errOf(db.PurgeCheckinsBefore(ctx, later)) }),
		write("Heartbeat", func(ctx context.Context) error { return errOf(db.Heartbeat(ctx, "process-1", t0)) }),
		write("Leave", func(ctx context.Context) error { return db.Leave(ctx, "process-1") }),
	}
}
