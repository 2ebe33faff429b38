package commands_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kindred-bot/kindred/internal/discordsim"
	"github.com/kindred-bot/kindred/internal/kindredtest"
)

// longText is n characters that grow when Kindred quotes, escapes or
// measures them: accented letters and emoji (several bytes each), Markdown
// that gets escaped, and, with breaks, line breaks that get quoted.
func longText(n int, breaks bool) string {
	pattern := []rune("é🌱*_~|`>ü ")
	if breaks {
		pattern = append(pattern, '\n')
	}
	out := make([]rune, n)
	for i := range out {
		out[i] = pattern[i%len(pattern)]
	}
	// Neither end is blank, so nothing is trimmed off: the longest input stays the longest.
	out[0], out[n-1] = 'A', 'Z'
	return string(out)
}

// q quotes a value for a command line.
func q(s string) string { return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"` }

// Every option Kindred repeats back, at the longest length it allows, with
// characters that expand: each reply and each post it leads to is accepted
// by Discord's limits and says what the member should see. Options with
// autocomplete have no declared maximum, so they get the 6,000 characters
// Discord allows a string option.
func TestLongestInputsFitEndToEnd(t *testing.T) {
	t.Parallel()
	h := startMeetings(t)
	guild := kindredtest.GuildID
	name := string([]rune(longText(50, false))) // the longest group name
	title := longText(100, true)
	huge := longText(6000, true)

	h.Fake.Interact(t, guild, kindredtest.OwnerID, "/kindred setup modlog_channel:<#"+kindredtest.ModlogID+"> moderator_role:<@&"+kindredtest.ModRoleID+">")

	steps := []struct {
		name    string
		user    string
		command string
		want    string // in the reply
		then    func(*discordsim.Reply)
	}{
		{"group create", kindredtest.OwnerID, fmt.Sprintf("/group create name:%s description:%s type:other channel:<#%s> commitment:%s guidelines:%s",
			q(name), q(longText(500, true)), kindredtest.GeneralID, q(longText(300, true)), q(longText(1500, true))), "Created", nil},
		{"group edit", kindredtest.OwnerID, fmt.Sprintf("/group edit group:%s description:%s", q(name), q(longText(500, true))), "", nil},
		{"group info", kindredtest.AliceID, "/group info group:" + q(name), "Guidelines", nil},
		{"group list", kindredtest.AliceID, "/group list", "Z", nil},
		{"group join", kindredtest.AliceID, "/group join group:" + q(name), "agree", func(r *discordsim.Reply) {
			h.Fake.Click(t, guild, kindredtest.AliceID, r.Buttons()[0].CustomID, r.Message)
		}},
		{"unknown group", kindredtest.AliceID, "/group info group:" + q(huge), "no group called", nil},
		{"meeting schedule", kindredtest.OwnerID, fmt.Sprintf("/meeting schedule group:%s title:%s start:\"2026-12-01 19:00\" repeat:weekly format:in-person location:%s",
			q(name), q(title), q(longText(200, true))), "Understood", nil},
		{"meeting schedule, unreadable start", kindredtest.OwnerID, fmt.Sprintf("/meeting schedule group:%s title:x start:%s", q(name), q(huge)), "longer than any start", nil},
		{"meeting list", kindredtest.AliceID, "/meeting list", "Upcoming", nil},
		{"meeting info", kindredtest.AliceID, "/meeting info meeting:" + q(title), "Where", nil},
		{"meeting attendance", kindredtest.OwnerID, "/meeting attendance meeting:" + q(title), "hasn't met", nil},
		{"meeting cancel, unreadable date", kindredtest.OwnerID, fmt.Sprintf("/meeting cancel meeting:%s occurrence:%s", q(title), q(longText(20, false))), "A", nil},
		{"unknown meeting", kindredtest.OwnerID, "/meeting info meeting:" + q(huge), "can't find a meeting", nil},
		{"checkin share", kindredtest.AliceID, fmt.Sprintf("/checkin mood:1 note:%s share:true group:%s", q(longText(1000, true)), q(name)), "Shared with", nil},
		{"checkins reminder, unreadable time", kindredtest.AliceID, "/checkins reminder time:" + q(longText(16, false)), "couldn't read", nil},
		{"quiet hours, unreadable time", kindredtest.AliceID, "/preferences quiet-hours start:" + q(longText(16, false)) + " end:08:00", "couldn't read", nil},
		{"unknown timezone", kindredtest.AliceID, "/preferences timezone zone:" + q(huge), "timezone", nil},
		{"pairing configure, unreadable schedule", kindredtest.OwnerID, fmt.Sprintf("/pairing configure group:%s schedule:%s", q(name), q(longText(100, false))), "", nil},
		{"warn", kindredtest.ModeratorID, "/warn user:<@" + kindredtest.AliceID + "> reason:" + q(longText(512, true)), "#1", nil},
		{"warnings of a member", kindredtest.ModeratorID, "/warnings user:<@" + kindredtest.AliceID + ">", "#1", nil},
		{"own warnings", kindredtest.AliceID, "/warnings", "Z", nil},
		{"unwarn", kindredtest.ModeratorID, "/unwarn case:1 reason:" + q(longText(512, true)), "revoked", nil},
		{"escalation, unreadable duration", kindredtest.ModeratorID, "/escalation set warnings:3 action:timeout duration:" + q(longText(20, false)), "", nil},
		{"resources text", kindredtest.AdminID, "/kindred setup resources_text:" + q(longText(1800, true)), "Saved", nil},
		{"resources", kindredtest.AliceID, "/resources", "Z", nil},
	}
	for _, s := range steps {
		reply := h.Fake.Interact(t, guild, s.user, s.command) // fails the test unless the reply is accepted
		text := reply.Text()
		if strings.Contains(text, "Something went wrong") || !strings.Contains(text, s.want) {
			t.Errorf("%s: reply %q, want it to say %q", s.name, clipped(text), s.want)
		}
		if s.then != nil {
			s.then(reply)
		}
	}
	// The posts these led to: the meeting's announcement, the shared
	// check-in, the warning's DM and mod-log entries.
	if n := len(h.Fake.Messages(kindredtest.GeneralID)); n != 2 {
		t.Errorf("%d posts in the group channel, want the announcement and the shared check-in", n)
	}
	if n := len(h.Fake.Messages(kindredtest.ModlogID)); n < 2 {
		t.Errorf("%d mod-log entries, want the warning and its revocation", n)
	}
	if dm := h.Fake.DMChannelID(kindredtest.AliceID); dm == "" || len(h.Fake.Messages(dm)) == 0 {
		t.Error("the warning's DM was not delivered")
	}
	for _, r := range h.Fake.Requests() {
		if r.Status == 400 {
			t.Errorf("Discord refused %s", r)
		}
	}

	// Report to moderators: a member's longest message and the longest reason.
	reported := h.Fake.UserMessage(kindredtest.GeneralID, kindredtest.BobID, longText(2000, true))
	form := h.Fake.MessageCommand(t, guild, kindredtest.AliceID, "Report to moderators", reported)
	if form.Data == nil || form.Data.CustomID == "" {
		t.Fatalf("report opened no form: %q", form.Text())
	}
	h.Fake.SubmitModal(t, guild, kindredtest.AliceID, form.Data.CustomID, map[string]string{form.TextInputs()[0].CustomID: longText(512, true)})
	report := h.Fake.WaitRequest(t, 5*time.Second, func(r discordsim.Request) bool {
		return r.Method == "POST" && strings.HasSuffix(r.Path, "/channels/"+kindredtest.ModlogID+"/messages") && strings.Contains(string(r.Body), reported.ID)
	})
	if report.Status != 200 {
		t.Errorf("the report's mod-log entry was refused: %s", report)
	}
}

func clipped(s string) string {
	if r := []rune(s); len(r) > 300 {
		return string(r[:300]) + "…"
	}
	return s
}
