package commands_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/kindred-bot/kindred/internal/discordsim"
	"github.com/kindred-bot/kindred/internal/kindredtest"
	"github.com/kindred-bot/kindred/storage/storagetest"
)

// Tuesday 1 December 2026, 10:00 UTC (11:00 in Berlin).
var meetingT0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

// startMeetings runs Kindred with the clock at meetingT0 and a group
// "Evening Circle" whose channel is #general.
func startMeetings(t *testing.T) *kindredtest.Harness {
	t.Helper()
	h := kindredtest.Start(t, kindredtest.Options{})
	h.Clock.Set(meetingT0)
	reply := h.Fake.Interact(t, kindredtest.GuildID, kindredtest.OwnerID,
		`/group create name:"Evening Circle" description:"Peer support for anxiety" type:mental-health channel:<#`+kindredtest.GeneralID+`> timezone:Europe/Berlin`)
	if !strings.Contains(reply.Text(), "Evening Circle") {
		t.Fatalf("group create = %q", reply.Text())
	}
	return h
}

func buttonID(t testing.TB, m *discordgo.Message, label string) string {
	t.Helper()
	for _, row := range m.Components {
		r, ok := row.(*discordgo.ActionsRow)
		if !ok {
			continue
		}
		for _, c := range r.Components {
			if b, ok := c.(*discordgo.Button); ok && b.Label == label {
				return b.CustomID
			}
		}
	}
	t.Fatalf("no %q button on message %q", label, m.Content)
	return ""
}

// The whole path a member sees: schedule → announcement with buttons →
// Going → reminder in the channel and by DM → I'm here → attendance.
func TestMeetingLifecycleEndToEnd(t *testing.T) {
	t.Parallel()
	storagetest.EachBackend(t, func(t *testing.T, b storagetest.Backend) {
		t.Parallel()
		h := startMeetingsWith(t, kindredtest.Options{Backend: b})
		guild := kindredtest.GuildID

		scheduled := h.Fake.Interact(t, guild, kindredtest.OwnerID,
			`/meeting schedule group:"Evening Circle" title:"Tuesday circle" start:"2026-12-01 19:00" repeat:weekly reminders:1h`)
		if !scheduled.Ephemeral() {
			t.Error("the scheduling reply is for the facilitator only")
		}
		// 19:00 is read in the group's timezone (the owner has none) and echoed.
		for _, want := range []string{"Understood", "19:00", "Europe/Berlin", "every Tuesday"} {
			if !strings.Contains(scheduled.Text(), want) {
				t.Errorf("schedule reply %q should mention %q", scheduled.Text(), want)
			}
		}
		announcement := h.Fake.WaitMessage(t, kindredtest.GeneralID, 5*time.Second)
		start := time.Date(2026, 12, 1, 18, 0, 0, 0, time.UTC) // 19:00 in Berlin
		if got := discordsim.MessageText(announcement); !strings.Contains(got, "Tuesday circle") || !strings.Contains(got, "<t:1796148000:F>") {
			t.Errorf("announcement = %q, want the title and the start as a timestamp", got)
		}

		going := h.Fake.Click(t, guild, kindredtest.AliceID, buttonID(t, announcement, "Going"), announcement)
		if !going.Ephemeral() || !strings.Contains(going.Text(), "going") {
			t.Errorf("Going = %q", going.Text())
		}
		maybe := h.Fake.Click(t, guild, kindredtest.BobID, buttonID(t, announcement, "Maybe"), announcement)
		if !maybe.Ephemeral() {
			t.Error("RSVP confirmations are private")
		}
		// Bob changes his mind: only Alice gets a DM.
		h.Fake.Click(t, guild, kindredtest.BobID, buttonID(t, announcement, "Can't go"), announcement)

		// Nothing is due before the reminder time.
		if n := h.RunDue(t, start.Add(-61*time.Minute)); n != 0 {
			t.Fatalf("%d jobs ran before the reminder was due", n)
		}
		h.RunDue(t, start.Add(-59*time.Minute))
		reminder := h.Fake.WaitMessage(t, kindredtest.GeneralID, 5*time.Second)
		if !strings.Contains(reminder.Content, "Tuesday circle") || strings.Contains(reminder.Content, "late") {
			t.Errorf("channel reminder = %q", reminder.Content)
		}
		if reminder.Flags&discordgo.MessageFlagsEphemeral != 0 {
			t.Error("the channel reminder is public")
		}
		h.RunDue(t, start.Add(-59*time.Minute)) // the DM jobs the reminder queued
		dmChannel := h.Fake.DMChannelID(kindredtest.AliceID)
		if dmChannel == "" {
			t.Fatal("Alice, who is going, got no DM")
		}
		dm := h.Fake.WaitMessage(t, dmChannel, 5*time.Second)
		if !strings.Contains(dm.Content, "Tuesday circle") {
			t.Errorf("DM = %q", dm.Content)
		}
		if h.Fake.DMChannelID(kindredtest.BobID) != "" {
			t.Error("Bob said he can't go, yet got a DM")
		}

		// I'm here: too early, then during the meeting.
		h.Clock.Set(start.Add(-time.Hour))
		early := h.Fake.Click(t, guild, kindredtest.AliceID, buttonID(t, reminder, "I'm here"), reminder)
		if !strings.Contains(early.Text(), "works from") {
			t.Errorf("I'm here an hour early = %q", early.Text())
		}
		h.Clock.Set(start.Add(5 * time.Minute))
		here := h.Fake.Click(t, guild, kindredtest.AliceID, buttonID(t, reminder, "I'm here"), reminder)
		if !here.Ephemeral() || !strings.Contains(here.Text(), "marked as here") {
			t.Errorf("I'm here = %q", here.Text())
		}

		h.Clock.Set(start.Add(2 * time.Hour))
		attendance := h.Fake.Interact(t, guild, kindredtest.OwnerID, `/meeting attendance meeting:"Tuesday circle"`)
		if !attendance.Ephemeral() || !strings.Contains(attendance.Text(), "<@"+kindredtest.AliceID+">: 1 of 1") {
			t.Errorf("attendance = %q", attendance.Text())
		}
		refused := h.Fake.Interact(t, guild, kindredtest.AliceID, `/meeting attendance meeting:"Tuesday circle"`)
		if !strings.Contains(refused.Text(), "Only facilitators") {
			t.Errorf("a member asked for attendance: %q", refused.Text())
		}

		// The series goes on: next Tuesday's reminder is prepared and sent.
		nextWeek := start.AddDate(0, 0, 7)
		h.RunDue(t, nextWeek.Add(-59*time.Minute))
		next := h.Fake.WaitMessage(t, kindredtest.GeneralID, 5*time.Second)
		if !strings.Contains(next.Content, "Tuesday circle") || !strings.Contains(next.Content, fmt.Sprintf("<t:%d:F>", nextWeek.Unix())) {
			t.Errorf("next week's reminder = %q", next.Content)
		}
	})
}

// A restart between scheduling and the due time loses no reminder: a late
// one is sent once, marked late, while the meeting hasn't started.
func TestReminderSurvivesRestartAndIsMarkedLate(t *testing.T) {
	t.Parallel()
	storagetest.EachBackend(t, func(t *testing.T, b storagetest.Backend) {
		t.Parallel()
		h := startMeetingsWith(t, kindredtest.Options{Backend: b})
		h.Fake.Interact(t, kindredtest.GuildID, kindredtest.OwnerID,
			`/meeting schedule group:"Evening Circle" title:"One-off" start:"2026-12-01 19:00" reminders:1h`)
		h.Fake.WaitMessage(t, kindredtest.GeneralID, 5*time.Second) // the announcement
		h.Restart(t)
		start := time.Date(2026, 12, 1, 18, 0, 0, 0, time.UTC)
		// The bot was down at 17:00; it is back at 17:30.
		h.RunDue(t, start.Add(-30*time.Minute))
		late := h.Fake.WaitMessage(t, kindredtest.GeneralID, 5*time.Second)
		if !strings.Contains(late.Content, "late") {
			t.Errorf("late reminder = %q, want it marked late", late.Content)
		}
		h.Restart(t)
		if n := h.RunDue(t, start.Add(-20*time.Minute)); n != 0 {
			t.Errorf("%d jobs ran again after the reminder was sent", n)
		}
		if got := len(h.Fake.Messages(kindredtest.GeneralID)); got != 2 {
			t.Errorf("%d messages in the channel, want the announcement and one reminder", got)
		}
	})
}

// A reminder whose time passed while the bot was down is dropped once the
// meeting has started.
func TestReminderDroppedAfterStart(t *testing.T) {
	t.Parallel()
	storagetest.EachBackend(t, func(t *testing.T, b storagetest.Backend) {
		t.Parallel()
		h := startMeetingsWith(t, kindredtest.Options{Backend: b})
		h.Fake.Interact(t, kindredtest.GuildID, kindredtest.OwnerID,
			`/meeting schedule group:"Evening Circle" title:"One-off" start:"2026-12-01 19:00" reminders:1h`)
		h.Fake.WaitMessage(t, kindredtest.GeneralID, 5*time.Second)
		h.Restart(t)
		h.RunDue(t, time.Date(2026, 12, 1, 18, 10, 0, 0, time.UTC))
		if got := len(h.Fake.Messages(kindredtest.GeneralID)); got != 1 {
			t.Errorf("%d messages in the channel, want only the announcement", got)
		}
	})
}

func TestMeetingScheduleBadInput(t *testing.T) {
	t.Parallel()
	h := startMeetings(t)
	guild := kindredtest.GuildID
	cases := map[string]string{
		`/meeting schedule group:"Evening Circle" title:"x" start:"25:00"`:                         "",
		`/meeting schedule group:"Evening Circle" title:"x" start:"2020-01-01 19:00"`:              "already passed",
		`/meeting schedule group:"Evening Circle" title:"x" start:"tue 19:00" repeat:sometimes`:    "",
		`/meeting schedule group:"Evening Circle" title:"x" start:"tue 19:00" repeat:"0 0 30 2 *"`: "",
		`/meeting schedule group:"Evening Circle" title:"x" start:"tue 19:00" reminders:8d`:        "",
		`/meeting schedule group:"Evening Circle" title:"x" start:"tue 19:00" reminders:2m`:        "",
		`/meeting schedule group:"Evening Circle" title:"x" start:"tue 19:00" timezone:Mars/Base`:  "timezone",
		`/meeting schedule group:"Nope" title:"x" start:"tue 19:00"`:                               "Nope",
	}
	for command, mention := range cases {
		reply := h.Fake.Interact(t, guild, kindredtest.OwnerID, command)
		if !reply.Ephemeral() || reply.Text() == "" {
			t.Errorf("%s: reply %q should be a private explanation", command, reply.Text())
		}
		if mention != "" && !strings.Contains(reply.Text(), mention) {
			t.Errorf("%s: reply %q should mention %q", command, reply.Text(), mention)
		}
		if strings.Contains(reply.Text(), "Scheduled") {
			t.Errorf("%s: bad input was scheduled: %q", command, reply.Text())
		}
		if strings.Contains(reply.Text(), "Something went wrong") {
			t.Errorf("%s: bad input got the generic error", command)
		}
	}
	if n := len(h.Fake.Messages(kindredtest.GeneralID)); n != 0 {
		t.Errorf("bad input announced %d meetings", n)
	}
	refused := h.Fake.Interact(t, guild, kindredtest.AliceID, `/meeting schedule group:"Evening Circle" title:"x" start:"tue 19:00"`)
	if !strings.Contains(refused.Text(), "Only facilitators") {
		t.Errorf("a member scheduled a meeting: %q", refused.Text())
	}
}

// Facilitators take attendance during the meeting: the occurrence in
// progress is in the report as soon as members press I'm here, even when
// they press it in the minutes before the start.
func TestAttendanceDuringMeetingEndToEnd(t *testing.T) {
	t.Parallel()
	h := startMeetings(t)
	guild := kindredtest.GuildID
	h.Fake.Interact(t, guild, kindredtest.OwnerID,
		`/meeting schedule group:"Evening Circle" title:"Tuesday circle" start:"2026-12-01 19:00" reminders:1h`)
	h.Fake.WaitMessage(t, kindredtest.GeneralID, 5*time.Second) // the announcement
	start := time.Date(2026, 12, 1, 18, 0, 0, 0, time.UTC)
	h.RunDue(t, start.Add(-time.Hour))
	reminder := h.Fake.WaitMessage(t, kindredtest.GeneralID, 5*time.Second)
	attendance := func() string {
		return h.Fake.Interact(t, guild, kindredtest.OwnerID, `/meeting attendance meeting:"Tuesday circle"`).Text()
	}
	day := fmt.Sprintf("<t:%d:D>", start.Unix())

	h.Clock.Set(start.Add(-5 * time.Minute))
	h.Fake.Click(t, guild, kindredtest.AliceID, buttonID(t, reminder, "I'm here"), reminder)
	if text := attendance(); !strings.Contains(text, day+": 1 here") || !strings.Contains(text, "<@"+kindredtest.AliceID+">: 1 of 1") {
		t.Errorf("attendance after an early I'm here = %q", text)
	}

	h.Clock.Set(start.Add(10 * time.Minute))
	h.Fake.Click(t, guild, kindredtest.BobID, buttonID(t, reminder, "I'm here"), reminder)
	text := attendance()
	for _, want := range []string{day + ": 2 here", "<@" + kindredtest.AliceID + ">: 1 of 1", "<@" + kindredtest.BobID + ">: 1 of 1"} {
		if !strings.Contains(text, want) {
			t.Errorf("attendance during the meeting = %q, want %q", text, want)
		}
	}
}

// A daily meeting has 56 occurrences in 8 weeks, more lines than an embed
// field holds: the report is accepted, shows the newest meetings whole and
// says how many earlier ones it left out.
func TestAttendanceOfADailyMeetingFitsEndToEnd(t *testing.T) {
	t.Parallel()
	h := startMeetings(t)
	h.Fake.Interact(t, kindredtest.GuildID, kindredtest.OwnerID,
		`/meeting schedule group:"Evening Circle" title:"Daily circle" start:"2026-12-01 19:00" repeat:daily reminders:1h`)
	first := time.Date(2026, 12, 1, 18, 0, 0, 0, time.UTC)
	h.Clock.Set(first.AddDate(0, 0, 70).Add(2 * time.Hour))
	reply := h.Fake.Interact(t, kindredtest.GuildID, kindredtest.OwnerID, `/meeting attendance meeting:"Daily circle"`)
	if reply.Message == nil || len(reply.Message.Embeds) != 1 {
		t.Fatalf("attendance = %q, want one embed", reply.Text())
	}
	meetings := reply.Message.Embeds[0].Fields[0].Value
	if n := utf8.RuneCountInString(meetings); n > 1024 {
		t.Errorf("meetings field of %d characters", n)
	}
	lines := strings.Split(meetings, "\n")
	newest := fmt.Sprintf("• <t:%d:D>: 0 here", first.AddDate(0, 0, 70).Unix())
	if lines[0] != newest {
		t.Errorf("first line %q, want the newest meeting %q", lines[0], newest)
	}
	if want := fmt.Sprintf("… and %d earlier meetings before these", 56-(len(lines)-1)); lines[len(lines)-1] != want {
		t.Errorf("last line %q, want %q", lines[len(lines)-1], want)
	}
}
