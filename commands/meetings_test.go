package commands

import (
	"bufio"
	"context"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/kindred-bot/kindred/storage"
)

// meetingEnv is a server with the group "Monday Circle" (timezone
// Europe/Berlin) and a clock the test moves.
func meetingEnv(t *testing.T) (Env, *recorder, *time.Time, storage.Group) {
	t.Helper()
	env, rec := groupEnv(t)
	now := t0
	env.Now = func() time.Time { return now }
	mustCall(t, env, asFacilitator("group/create", createOpts("Monday Circle", str("timezone", "Europe/Berlin"))...))
	return env, rec, &now, mustGroup(t, env, "Monday Circle")
}

func scheduleMeeting(t *testing.T, env Env, o ...*discordgo.ApplicationCommandInteractionDataOption) storage.Meeting {
	t.Helper()
	mustCall(t, env, asFacilitator("meeting/schedule", append(opts{str("group", "Monday Circle"), str("title", "Circle")}, o...)...))
	ms, err := env.DB.ActiveMeetings(context.Background(), guildID, 0)
	if err != nil || len(ms) == 0 {
		t.Fatalf("no meeting stored: %v", err)
	}
	return ms[len(ms)-1]
}

// claimAll claims every job due at `at`.
func claimAll(t *testing.T, env Env, at time.Time) []storage.Job {
	t.Helper()
	jobs, err := env.DB.ClaimDueJobs(context.Background(), at, time.Minute, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return jobs
}

// A reminder run again after a crash (before it was marked done) does not
// post twice.
func TestReminderIsIdempotent(t *testing.T) {
	env, rec, _, _ := meetingEnv(t)
	// Wednesday 25 Nov 2026 18:00 UTC now; the meeting is on Friday at 19:00 Berlin.
	scheduleMeeting(t, env, str("start", "2026-11-27 19:00"), str("reminders", "1h"))
	f := &Meetings{env: env}
	due := time.Date(2026, 11, 27, 17, 0, 0, 0, time.UTC)
	jobs := claimAll(t, env, due)
	if len(jobs) != 1 || jobs[0].Kind != meetingReminderJob.Kind {
		t.Fatalf("due jobs = %+v, want one reminder", jobs)
	}
	posts := len(rec.Calls("Send")) // the announcement
	for range 2 {
		if _, err := meetingReminderJob.Runner(f.remind).Handle(context.Background(), jobs[0]); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(rec.Calls("Send")) - posts; got != 1 {
		t.Errorf("the reminder ran twice and posted %d times, want once", got)
	}
}

func TestMeetingSeriesKeepsLocalTimeAcrossDST(t *testing.T) {
	env, _, _, _ := meetingEnv(t)
	m := scheduleMeeting(t, env, str("start", "2027-03-16 19:00"), str("repeat", "weekly"))
	f := &Meetings{env: env}
	s, err := f.load(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	for _, occ := range s.upcoming(time.Date(2027, 3, 15, 0, 0, 0, 0, time.UTC), 4) {
		if local := occ.In(berlin); local.Hour() != 19 || local.Minute() != 0 || local.Weekday() != time.Tuesday {
			t.Errorf("occurrence %v is %v in Berlin, want Tuesday 19:00", occ, local)
		}
	}
}

func TestMeetingCancelOccurrenceAndSeries(t *testing.T) {
	env, rec, _, g := meetingEnv(t)
	m := scheduleMeeting(t, env, str("start", "2026-12-01 19:00"), str("repeat", "weekly"), str("reminders", "1h"))
	// Cancel the first date: its reminder is gone, the series goes on.
	resp := mustCall(t, env, asFacilitator("meeting/cancel", str("meeting", "Circle"), str("occurrence", "2026-12-01")))
	if !strings.Contains(text(resp), "Cancelled") {
		t.Errorf("cancel occurrence = %q", text(resp))
	}
	if jobs := claimAll(t, env, time.Date(2026, 12, 1, 17, 30, 0, 0, time.UTC)); len(jobs) != 0 {
		t.Errorf("jobs due on the cancelled date = %+v, want none", jobs)
	}
	if notices := rec.Calls("Send"); len(notices) != 2 || notices[1].Args[0] != g.ChannelID {
		t.Errorf("the group channel should be told of the cancellation: %v", notices)
	}
	_, err := call(t, env, asFacilitator("meeting/cancel", str("meeting", "Circle"), str("occurrence", "2026-12-02")))
	wantUserError(t, err, "doesn't meet on")
	_, err = call(t, env, asFacilitator("meeting/cancel", str("meeting", "Circle"), str("occurrence", "first tuesday")))
	wantUserError(t, err, "2026-12-08")
	_, err = call(t, env, asMember(aliceID, "meeting/cancel", str("meeting", "Circle")))
	wantUserError(t, err, "Only facilitators")

	mustCall(t, env, asFacilitator("meeting/cancel", str("meeting", "Circle")))
	if n, err := env.DB.CancelJobs(context.Background(), storage.MeetingJobPrefix(m.GroupID, m.ID)); err != nil || n != 0 {
		t.Errorf("%d jobs left after cancelling the series (%v)", n, err)
	}
	_, err = call(t, env, asFacilitator("meeting/info", str("meeting", "Circle")))
	wantUserError(t, err, "can't find")
}

func TestMeetingListInfoAndCalendar(t *testing.T) {
	env, _, _, _ := meetingEnv(t)
	scheduleMeeting(t, env, str("start", "2026-12-01 19:00"), str("repeat", "weekly"), str("location", "Voice: Circle room"))
	mustCall(t, env, asFacilitator("meeting/cancel", str("meeting", "Circle"), str("occurrence", "2026-12-08")))

	list := mustCall(t, env, asMember(aliceID, "meeting/list"))
	if got := text(list); !strings.Contains(got, "<t:1796148000:F>") || strings.Contains(got, "<t:1796752800:F>") {
		t.Errorf("list = %q: want 1 Dec and not the cancelled 8 Dec", got)
	}
	info := mustCall(t, env, asMember(aliceID, "meeting/info", str("meeting", "Circle")))
	if got := text(info); !strings.Contains(got, "every Tuesday") || !strings.Contains(got, "0 going") {
		t.Errorf("info = %q", got)
	}

	cal := mustCall(t, env, asMember(aliceID, "meeting/calendar"))
	if len(cal.Files) != 1 || !strings.HasSuffix(cal.Files[0].Name, ".ics") || !cal.Ephemeral {
		t.Fatalf("calendar reply: %d files, ephemeral %v", len(cal.Files), cal.Ephemeral)
	}
	raw, _ := io.ReadAll(cal.Files[0].Reader)
	ics := unfold(string(raw))
	for _, want := range []string{"BEGIN:VCALENDAR", "RRULE:FREQ=WEEKLY", "DTSTART;TZID=Europe/Berlin:20261201T190000",
		"EXDATE;TZID=Europe/Berlin:20261208T190000", "BEGIN:VTIMEZONE", "SUMMARY:Circle", "LOCATION:Voice: Circle room"} {
		if !strings.Contains(ics, want) {
			t.Errorf("calendar lacks %q:\n%s", want, ics)
		}
	}
}

// unfold joins RFC 5545 continuation lines.
func unfold(s string) string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		line := strings.TrimSuffix(sc.Text(), "\r")
		if strings.HasPrefix(line, " ") && len(out) > 0 {
			out[len(out)-1] += line[1:]
			continue
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

func TestRSVPAndHereButtons(t *testing.T) {
	env, _, now, _ := meetingEnv(t)
	m := scheduleMeeting(t, env, str("start", "2026-11-27 19:00"))
	start := time.Date(2026, 11, 27, 18, 0, 0, 0, time.UTC)
	click := func(user, id string) (*Response, error) {
		return call(t, env, &Request{Type: ComponentInteraction, Route: id, GuildID: guildID, UserID: user})
	}
	rsvp := func(answer string) string { return "rsvp:" + itoa(m.ID) + ":" + itoa(start.Unix()) + ":" + answer }
	if resp, err := click(aliceID, rsvp("going")); err != nil || !resp.Ephemeral {
		t.Fatalf("going: %v", err)
	}
	if resp, err := click(aliceID, rsvp("maybe")); err != nil || !strings.Contains(resp.Content, "might") {
		t.Fatalf("change to maybe: %v", err)
	}
	rsvps, _ := env.DB.RSVPs(context.Background(), m.ID, start)
	if len(rsvps) != 1 || rsvps[0].Answer != "maybe" {
		t.Errorf("rsvps = %+v, want Alice's changed answer only", rsvps)
	}
	// A forged occurrence is refused.
	_, err := click(aliceID, "rsvp:"+itoa(m.ID)+":"+itoa(start.Add(time.Hour).Unix())+":going")
	wantUserError(t, err, "isn't part of")

	here := "here:" + itoa(m.ID) + ":" + itoa(start.Unix())
	_, err = click(aliceID, here)
	wantUserError(t, err, "works from")
	*now = start.Add(10 * time.Minute)
	if resp, err := click(aliceID, here); err != nil || !strings.Contains(resp.Content, "marked as here") {
		t.Fatalf("here: %v", err)
	}
	if resp, err := click(aliceID, here); err != nil || !strings.Contains(resp.Content, "already") {
		t.Fatalf("here twice: %v", err)
	}
	*now = start.Add(2 * time.Hour)
	_, err = click(aliceID, here)
	wantUserError(t, err, "ended")
}

func TestDMSenderHonoursPreferences(t *testing.T) {
	env, rec, now, _ := meetingEnv(t)
	ctx := context.Background()
	deliver := dmJob.Runner((&DMs{env: env}).deliver).Handle
	job := func(m DMMessage) storage.Job {
		t.Helper()
		m.Key = "test:dm:" + m.UserID + m.Content
		if _, err := env.DB.Enqueue(ctx, dmJob.New(m, *now)); err != nil {
			t.Fatal(err)
		}
		jobs := claimAll(t, env, *now)
		if len(jobs) != 1 {
			t.Fatalf("claimed %d jobs", len(jobs))
		}
		// The test calls the handler itself; take the job off the queue.
		if err := env.DB.CompleteJob(ctx, jobs[0].ID); err != nil {
			t.Fatal(err)
		}
		return jobs[0]
	}
	sends := func() int { return len(rec.Calls("Send")) }

	// DMs off: nothing is sent, and the job ends.
	env.DB.SetDMsEnabled(ctx, aliceID, false, *now)
	if next, err := deliver(ctx, job(DMMessage{UserID: aliceID, Content: "a"})); err != nil || len(next) != 0 || sends() != 0 {
		t.Errorf("dms off: next %v err %v sends %d", next, err, sends())
	}
	env.DB.SetDMsEnabled(ctx, aliceID, true, *now)

	// Quiet hours 22:00–08:00 Berlin; now is 18:00 UTC = 19:00 Berlin: sent.
	env.DB.SetTimezone(ctx, aliceID, "Europe/Berlin", *now)
	env.DB.SetQuietHours(ctx, aliceID, &storage.QuietHours{Start: 22 * 60, End: 8 * 60}, *now)
	if _, err := deliver(ctx, job(DMMessage{UserID: aliceID, Content: "b"})); err != nil || sends() != 1 {
		t.Fatalf("outside quiet hours: err %v sends %d", err, sends())
	}
	// 23:00 Berlin: held until 08:00 Berlin.
	*now = time.Date(2026, 11, 25, 22, 0, 0, 0, time.UTC)
	next, err := deliver(ctx, job(DMMessage{UserID: aliceID, Content: "c"}))
	if err != nil || len(next) != 1 || !next[0].RunAt.Equal(time.Date(2026, 11, 26, 7, 0, 0, 0, time.UTC)) || sends() != 1 {
		t.Errorf("in quiet hours: next %+v err %v sends %d, want it held until 07:00 UTC", next, err, sends())
	}
	// A reminder useless before quiet hours end is dropped.
	next, err = deliver(ctx, job(DMMessage{UserID: aliceID, Content: "d", ValidUntil: time.Date(2026, 11, 26, 6, 0, 0, 0, time.UTC).Unix()}))
	if err != nil || len(next) != 0 || sends() != 1 {
		t.Errorf("pointless after quiet hours: next %+v err %v", next, err)
	}

	// A closed DM is an outcome, not a failure to retry.
	*now = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	rec.failNext("Send", discordError(403, discordgo.ErrCodeCannotSendMessagesToThisUser, "Cannot send messages to this user"))
	if next, err := deliver(ctx, job(DMMessage{UserID: aliceID, Content: "e"})); err != nil || len(next) != 0 {
		t.Errorf("closed DM: next %v err %v, want a quiet end", next, err)
	}
	// Any other failure is retried.
	rec.failNext("Send", discordError(500, 0, "Internal Server Error"))
	if _, err := deliver(ctx, job(DMMessage{UserID: aliceID, Content: "f"})); err == nil {
		t.Error("a server error should be returned for a retry")
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestMeetingScheduleValidatesEveryOption(t *testing.T) {
	env, rec, _, _ := meetingEnv(t)
	integer := func(name string, v float64) *discordgo.ApplicationCommandInteractionDataOption {
		return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionInteger, Value: v}
	}
	base := opts{str("group", "Monday Circle"), str("title", "Circle"), str("start", "tue 19:00")}
	cases := []struct {
		extra   *discordgo.ApplicationCommandInteractionDataOption
		mention string
	}{
		{integer("duration", 1), "5 to 720 minutes"},
		{integer("duration", 2000), "5 to 720 minutes"},
		{str("format", "telepathy"), "online, in-person or hybrid"},
		{str("location", strings.Repeat("x", 201)), "up to 200"},
		{str("title", strings.Repeat("x", 101)), "up to 100"},
		{str("timezone", "Europe/Berln"), "Europe/Berlin"},
	}
	for _, c := range cases {
		o := append(append(opts{}, base...), c.extra)
		if c.extra.Name == "title" {
			o = opts{str("group", "Monday Circle"), c.extra, str("start", "tue 19:00")}
		}
		_, err := call(t, env, asFacilitator("meeting/schedule", o...))
		wantUserError(t, err, c.mention)
	}
	if ms, _ := env.DB.ActiveMeetings(context.Background(), guildID, 0); len(ms) != 0 {
		t.Errorf("bad input stored %d meetings", len(ms))
	}
	if n := len(rec.Calls("Send")); n != 0 {
		t.Errorf("bad input announced %d times", n)
	}
}

// A member's own timezone wins over the group's; the reply says which was used.
func TestMeetingStartReadInMembersTimezone(t *testing.T) {
	env, _, _, _ := meetingEnv(t)
	env.DB.SetTimezone(context.Background(), facilitatorID, "America/New_York", t0)
	resp := mustCall(t, env, asFacilitator("meeting/schedule", str("group", "Monday Circle"), str("title", "Circle"), str("start", "2026-12-01 19:00")))
	if got := text(resp); !strings.Contains(got, "America/New_York, your timezone") {
		t.Errorf("reply = %q", got)
	}
	ms, _ := env.DB.ActiveMeetings(context.Background(), guildID, 0)
	if want := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC); !ms[0].FirstStart.Equal(want) {
		t.Errorf("start = %v, want %v (19:00 in New York)", ms[0].FirstStart, want)
	}
}

// A daily series with a 7-day reminder prepares the days ahead without
// sending the reminders that were already past when they were prepared.
func TestSeriesSkipsRemindersPastWhenPrepared(t *testing.T) {
	env, rec, _, _ := meetingEnv(t)
	scheduleMeeting(t, env, str("start", "2026-11-26 19:00"), str("repeat", "daily"), str("reminders", "7d,1h"))
	f := &Meetings{env: env}
	ctx := context.Background()
	// Run everything due up to the first day's 1h reminder.
	at := time.Date(2026, 11, 26, 17, 0, 30, 0, time.UTC)
	for range 20 {
		jobs := claimAll(t, env, at)
		if len(jobs) == 0 {
			break
		}
		for _, j := range jobs {
			var next []storage.NewJob
			var err error
			switch j.Kind {
			case meetingReminderJob.Kind:
				reminder := meetingReminderJob.StaleRunner(f.remind, reminderStale, nil)
				if !reminder.Stale(j, at) {
					next, err = reminder.Handle(ctx, j)
				}
			case meetingAdvanceJob.Kind:
				next, err = meetingAdvanceJob.Runner(f.advance).Handle(ctx, j)
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := env.DB.CompleteJob(ctx, j.ID, next...); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Scheduled at Wed 25 Nov 18:00 UTC: the 7d reminders of 26 Nov to
	// 1 Dec were already past; 2 Dec's falls exactly then and is due. So
	// after the announcement: 2 Dec's 7d reminder and 26 Nov's 1h one,
	// neither marked late.
	posts := rec.Calls("Send")[1:]
	var got []string
	for _, p := range posts {
		got = append(got, p.Message.Content)
	}
	if len(posts) != 2 || !strings.Contains(strings.Join(got, " "), "<t:1795716000:F>") || !strings.Contains(strings.Join(got, " "), "<t:1796234400:F>") ||
		strings.Contains(strings.Join(got, " "), "late") {
		t.Errorf("reminders = %q, want 26 Nov's 1h and 2 Dec's 7d reminder, none late", got)
	}
}

// Weeks of downtime don't walk a weekly series through every missed
// occurrence: the first preparation that runs goes straight to the first
// occurrence that hasn't started, whose reminder then comes on time.
func TestSeriesCatchesUpInOneStep(t *testing.T) {
	env, rec, now, g := meetingEnv(t)
	scheduleMeeting(t, env, str("start", "2026-12-01 19:00"), str("repeat", "weekly"), str("reminders", "1h"))
	posts := len(rec.Calls("Send")) // the announcement
	// Back on Tuesday 29 Dec, 13:00 in Berlin: four occurrences missed.
	if n := runScheduler(t, env, now, time.Date(2026, 12, 29, 12, 0, 0, 0, time.UTC)); n != 1 {
		t.Errorf("%d jobs ran on coming back, want the one preparation", n)
	}
	if sends := rec.Calls("Send"); len(sends) != posts {
		t.Errorf("posted %v for occurrences that are over", sends[posts:])
	}
	runScheduler(t, env, now, time.Date(2026, 12, 29, 17, 0, 0, 0, time.UTC))
	reminders := sendsTo(rec, g.ChannelID)[posts:]
	if len(reminders) != 1 || !strings.Contains(reminders[0].Message.Content, timestamp(time.Date(2026, 12, 29, 18, 0, 0, 0, time.UTC), "F")) ||
		strings.Contains(reminders[0].Message.Content, "late") {
		t.Errorf("reminders = %v, want the one of 29 December, on time", reminders)
	}
}

// A reminder reads who is going, and its DM jobs are written when it
// completes. A member who erases their data in between gets no DM job
// written afterwards; a member who still is going does.
func TestReminderWritesNoDMForMemberErasedMeanwhile(t *testing.T) {
	env, _, _, _ := meetingEnv(t)
	m := scheduleMeeting(t, env, str("start", "2026-11-27 19:00"), str("reminders", "1h"))
	ctx := context.Background()
	start := time.Date(2026, 11, 27, 18, 0, 0, 0, time.UTC)
	for _, u := range []string{aliceID, bobID} {
		if err := env.DB.SetRSVP(ctx, m.ID, start, u, storage.RSVPGoing, t0); err != nil {
			t.Fatal(err)
		}
	}
	jobs := claimAll(t, env, start.Add(-time.Hour))
	if len(jobs) != 1 || jobs[0].Kind != meetingReminderJob.Kind {
		t.Fatalf("due jobs = %+v, want the reminder", jobs)
	}
	f := &Meetings{env: env}
	next, err := meetingReminderJob.Runner(f.remind).Handle(ctx, jobs[0])
	if err != nil || len(next) != 2 {
		t.Fatalf("reminder = %d DM jobs, %v; want Alice's and Bob's", len(next), err)
	}
	if _, err := env.DB.EraseMemberData(ctx, aliceID); err != nil {
		t.Fatal(err)
	}
	if err := env.DB.CompleteJob(ctx, jobs[0].ID, next...); err != nil {
		t.Fatal(err)
	}
	var to []string
	for _, j := range pendingJobs(t, env, dmJob.Kind) {
		to = append(to, j.UserID)
	}
	if !slices.Equal(to, []string{bobID}) {
		t.Errorf("DM jobs written for %v, want Bob's alone", to)
	}
}
