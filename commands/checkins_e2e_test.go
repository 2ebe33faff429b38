package commands_test

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/kindred-bot/kindred/internal/discordsim"
	"github.com/kindred-bot/kindred/internal/kindredtest"
	"github.com/kindred-bot/kindred/storage/storagetest"
)

// startCheckins runs Kindred on backend b with the clock at meetingT0,
// the group "Evening Circle" in #general, and Alice a member of it.
func startCheckins(t *testing.T, b storagetest.Backend) *kindredtest.Harness {
	t.Helper()
	h := startMeetingsWith(t, kindredtest.Options{Backend: b})
	join := h.Fake.Interact(t, kindredtest.GuildID, kindredtest.AliceID, `/group join group:"Evening Circle"`)
	h.Fake.Click(t, kindredtest.GuildID, kindredtest.AliceID, join.Buttons()[0].CustomID, nil)
	return h
}

// A shared check-in posts mood and note to the group channel, pinging no
// one even when the note says @everyone; the note never reaches the log.
func TestCheckinShareEndToEnd(t *testing.T) {
	t.Parallel()
	storagetest.EachBackend(t, func(t *testing.T, b storagetest.Backend) {
		t.Parallel()
		h := startCheckins(t, b)
		const note = "hello @everyone, slept well for once: zebra-quartz-7"
		reply := h.Fake.Interact(t, kindredtest.GuildID, kindredtest.AliceID, `/checkin mood:4 note:"`+note+`" share:true`)
		if !reply.Ephemeral() || !strings.Contains(reply.Text(), "Good") || !strings.Contains(reply.Text(), "streak") {
			t.Errorf("check-in reply = %q", reply.Text())
		}
		shared := h.Fake.WaitMessage(t, kindredtest.GeneralID, 5*time.Second)
		if !strings.Contains(shared.Content, note) || !strings.Contains(shared.Content, "Good") {
			t.Errorf("shared post = %q", shared.Content)
		}
		posted := h.Fake.WaitRequest(t, 5*time.Second, func(r discordsim.Request) bool {
			return r.Method == "POST" && strings.HasSuffix(r.Path, "/channels/"+kindredtest.GeneralID+"/messages")
		})
		if !strings.Contains(string(posted.Body), `"allowed_mentions":{"parse":[]`) {
			t.Errorf("the shared post must allow no mentions: %s", posted.Body)
		}
		if strings.Contains(h.Logs.String(), "zebra-quartz-7") {
			t.Error("the note appeared in the log")
		}
	})
}

// Quoting adds "> " to every line: a note of the most characters allowed,
// most of them line breaks, still posts, mood line first, trimmed to fit.
func TestCheckinShareOfALongNoteFitsEndToEnd(t *testing.T) {
	t.Parallel()
	storagetest.EachBackend(t, func(t *testing.T, b storagetest.Backend) {
		t.Parallel()
		h := startCheckins(t, b)
		note := strings.TrimSuffix(strings.Repeat("🌧\n", 500), "\n") + "!" // 1,000 characters
		h.Fake.Interact(t, kindredtest.GuildID, kindredtest.AliceID, `/checkin mood:2 note:"`+note+`" share:true`)
		shared := h.Fake.WaitMessage(t, kindredtest.GeneralID, 5*time.Second)
		if n := utf8.RuneCountInString(shared.Content); n > 2000 {
			t.Fatalf("shared post of %d characters", n)
		}
		lines := strings.Split(shared.Content, "\n")
		if want := "<@" + kindredtest.AliceID + "> checked in: **Low**"; lines[0] != want {
			t.Errorf("first line %q, want the mood line %q", lines[0], want)
		}
		if lines[1] != "> 🌧" || lines[len(lines)-1] != "> …" {
			t.Errorf("the note should be quoted and end with \"> …\": %q … %q", lines[1], lines[len(lines)-1])
		}
	})
}

func TestCheckinCrisisShowsResourcesPrivately(t *testing.T) {
	t.Parallel()
	storagetest.EachBackend(t, func(t *testing.T, b storagetest.Backend) {
		t.Parallel()
		h := startCheckins(t, b)
		for _, command := range []string{`/checkin mood:1`, `/checkin mood:3 note:"I keep thinking about suicide"`} {
			reply := h.Fake.Interact(t, kindredtest.GuildID, kindredtest.AliceID, command)
			if !reply.Ephemeral() || !strings.Contains(reply.Text(), "findahelpline.com") {
				t.Errorf("%s: reply %q should carry the resources, privately", command, reply.Text())
			}
		}
		if n := len(h.Fake.Messages(kindredtest.GeneralID)); n != 0 {
			t.Errorf("%d public messages; nobody else is alerted", n)
		}
	})
}

// The daily prompt arrives by DM with mood buttons; a tap records the
// check-in and updates the prompt.
func TestCheckinReminderAndTapEndToEnd(t *testing.T) {
	t.Parallel()
	storagetest.EachBackend(t, func(t *testing.T, b storagetest.Backend) {
		t.Parallel()
		h := startCheckins(t, b)
		h.Fake.Interact(t, "", kindredtest.AliceID, "/preferences timezone zone:Europe/Berlin")
		set := h.Fake.Interact(t, kindredtest.GuildID, kindredtest.AliceID, "/checkins reminder time:20:00")
		if !set.Ephemeral() || !strings.Contains(set.Text(), "20:00") || !strings.Contains(set.Text(), "Europe/Berlin") {
			t.Errorf("reminder reply = %q", set.Text())
		}
		if n := h.RunDue(t, time.Date(2026, 12, 1, 18, 59, 0, 0, time.UTC)); n != 0 {
			t.Fatalf("%d jobs ran before 20:00 Berlin", n)
		}
		h.RunDue(t, time.Date(2026, 12, 1, 19, 0, 30, 0, time.UTC))
		dmChannel := h.Fake.DMChannelID(kindredtest.AliceID)
		if dmChannel == "" {
			t.Fatal("no prompt DM")
		}
		prompt := h.Fake.WaitMessage(t, dmChannel, 5*time.Second)
		good := buttonID(t, prompt, "4 Good")
		// Tapped the next morning: still records, for that day.
		h.Clock.Set(time.Date(2026, 12, 2, 7, 0, 0, 0, time.UTC))
		tapped := h.Fake.Click(t, "", kindredtest.AliceID, good, prompt)
		if !strings.Contains(tapped.Text(), "Checked in") || tapped.Type != discordgo.InteractionResponseUpdateMessage && !tapped.Deferred {
			t.Errorf("tap = type %d %q", tapped.Type, tapped.Text())
		}
		history := h.Fake.Interact(t, kindredtest.GuildID, kindredtest.AliceID, "/checkins history days:7")
		if !strings.Contains(history.Text(), "**1** check-ins") || len(history.Files) != 1 || history.Files[0].ContentType != "image/png" {
			t.Errorf("history = %q with %d files", history.Text(), len(history.Files))
		}
		// The next day's prompt comes too.
		h.RunDue(t, time.Date(2026, 12, 2, 19, 0, 30, 0, time.UTC))
		if next := h.Fake.WaitMessage(t, dmChannel, 5*time.Second); !strings.Contains(next.Content, "how are you today") {
			t.Errorf("second prompt = %q", next.Content)
		}
		// Turning it off cancels the queued one.
		h.Fake.Interact(t, kindredtest.GuildID, kindredtest.AliceID, "/checkins reminder-off")
		if n := h.RunDue(t, time.Date(2026, 12, 3, 19, 1, 0, 0, time.UTC)); n != 0 {
			t.Errorf("%d jobs ran after the reminder was turned off", n)
		}
	})
}

// Kindred down for four days sends one prompt when it comes back on the
// fourth evening, not four, and the prompts go on the next day.
func TestCheckinPromptAfterDowntimeEndToEnd(t *testing.T) {
	t.Parallel()
	storagetest.EachBackend(t, func(t *testing.T, b storagetest.Backend) {
		t.Parallel()
		h := startCheckins(t, b)
		h.Fake.Interact(t, "", kindredtest.AliceID, "/preferences timezone zone:Europe/Berlin")
		h.Fake.Interact(t, kindredtest.GuildID, kindredtest.AliceID, "/checkins reminder time:20:00")
		// The first prompt was due Tuesday 1 Dec, 20:00 in Berlin; back on Friday at 20:30.
		h.RunDue(t, time.Date(2026, 12, 4, 19, 30, 0, 0, time.UTC))
		dmChannel := h.Fake.DMChannelID(kindredtest.AliceID)
		if dmChannel == "" {
			t.Fatal("no prompt DM")
		}
		h.Fake.WaitMessage(t, dmChannel, 5*time.Second)
		if n := h.RunDue(t, time.Date(2026, 12, 4, 22, 0, 0, 0, time.UTC)); n != 0 || len(h.Fake.Messages(dmChannel)) != 1 {
			t.Fatalf("%d prompts after four days down, want one", len(h.Fake.Messages(dmChannel)))
		}
		h.RunDue(t, time.Date(2026, 12, 5, 19, 0, 30, 0, time.UTC))
		h.Fake.WaitMessage(t, dmChannel, 5*time.Second)
		if n := len(h.Fake.Messages(dmChannel)); n != 2 {
			t.Errorf("%d prompts after Saturday's, want two", n)
		}
	})
}
