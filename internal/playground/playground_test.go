package playground

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/kindred-bot/kindred/internal/kindredtest"
)

// Tuesday 1 December 2026, 10:00 UTC: the clock every test starts from.
var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

// pg is a running playground under test.
type pg struct {
	t    *testing.T
	url  string
	logs *kindredtest.SyncBuffer
}

// start runs the playground on a free loopback port with its database in
// a temporary directory and Kindred's clock based at t0.
func start(t *testing.T) *pg {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	logs := &kindredtest.SyncBuffer{}
	go func() {
		done <- Run(ctx, Options{
			Listen: "127.0.0.1:0",
			DBPath: filepath.Join(t.TempDir(), "playground.db"),
			Stdout: io.Discard,
			Log:    logs,
			Now:    func() time.Time { return t0 },
			Ready:  func(url string) { ready <- url },
		})
	}()
	p := &pg{t: t, logs: logs}
	select {
	case p.url = <-ready:
	case err := <-done:
		t.Fatalf("the playground did not start: %v\nlog:\n%s", err, logs)
	case <-time.After(30 * time.Second):
		t.Fatalf("the playground did not start within 30 s\nlog:\n%s", logs)
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v", err)
		}
		if t.Failed() {
			t.Logf("log:\n%s", logs)
		}
	})
	return p
}

// call sends a request and decodes the JSON answer into out (if not nil),
// returning the status.
func (p *pg) call(method, path string, body any, out any) int {
	p.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, p.url+path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			p.t.Fatalf("%s %s → %d, not JSON: %s", method, path, resp.StatusCode, raw)
		}
	}
	return resp.StatusCode
}

type answer struct {
	OK        bool   `json:"ok"`
	MessageID string `json:"message_id"`
	ChannelID string `json:"channel_id"`
	Modal     *struct {
		CustomID   string            `json:"custom_id"`
		Title      string            `json:"title"`
		Components []json.RawMessage `json:"components"`
	} `json:"modal"`
	Error string `json:"error"`
}

// command runs a line and fails the test unless Kindred answered.
func (p *pg) command(as, channelID, line string) answer {
	p.t.Helper()
	var a answer
	if status := p.call("POST", "/api/command", map[string]string{"as": as, "channel_id": channelID, "line": line}, &a); status != 200 || !a.OK {
		p.t.Fatalf("%s as %s → %d %+v", line, as, status, a)
	}
	return a
}

type message struct {
	ID          string `json:"id"`
	ChannelID   string `json:"channel_id"`
	Content     string `json:"content"`
	Ephemeral   bool   `json:"ephemeral"`
	Flags       int    `json:"flags"`
	Author      struct{ ID, Username string }
	Embeds      []*discordgo.MessageEmbed `json:"embeds"`
	Attachments []struct {
		Filename    string `json:"filename"`
		ContentType string `json:"content_type"`
		URL         string `json:"url"`
	} `json:"attachments"`
	Components []struct {
		Type       int `json:"type"`
		Components []struct {
			Type     int    `json:"type"`
			Label    string `json:"label"`
			CustomID string `json:"custom_id"`
		} `json:"components"`
	} `json:"components"`
	Interaction *struct {
		Name string `json:"name"`
		User struct{ ID string }
	} `json:"interaction"`
}

// text is what the message says: content and embed texts.
func (m message) text() string {
	parts := []string{m.Content}
	for _, e := range m.Embeds {
		if e.Author != nil {
			parts = append(parts, e.Author.Name)
		}
		parts = append(parts, e.Title, e.Description)
		for _, f := range e.Fields {
			parts = append(parts, f.Name, f.Value)
		}
	}
	return strings.Join(parts, "\n")
}

func (m message) button(label string) string {
	for _, row := range m.Components {
		for _, c := range row.Components {
			if c.Label == label {
				return c.CustomID
			}
		}
	}
	return ""
}

// rawMessages are the messages of channels a member sees, in Discord's
// JSON shape, so a test can look for a name anywhere in them.
func (p *pg) rawMessages(as string, channelIDs ...string) []string {
	p.t.Helper()
	var out []string
	for _, ch := range channelIDs {
		var msgs []json.RawMessage
		if status := p.call("GET", "/api/channels/"+ch+"/messages?as="+as, nil, &msgs); status != 200 {
			p.t.Fatalf("messages of %s as %s → %d", ch, as, status)
		}
		for _, raw := range msgs {
			out = append(out, string(raw))
		}
	}
	return out
}

func (p *pg) messages(as, channelID string) []message {
	p.t.Helper()
	var out []message
	if status := p.call("GET", "/api/channels/"+channelID+"/messages?as="+as, nil, &out); status != 200 {
		p.t.Fatalf("messages of %s as %s → %d", channelID, as, status)
	}
	return out
}

// message finds one message a member sees.
func (p *pg) message(as, channelID, id string) message {
	p.t.Helper()
	for _, m := range p.messages(as, channelID) {
		if m.ID == id {
			return m
		}
	}
	p.t.Fatalf("%s does not see message %s in %s", as, id, channelID)
	return message{}
}

// click presses a button on a message and fails unless Kindred answered.
func (p *pg) click(as, channelID string, m message, label string) answer {
	p.t.Helper()
	id := m.button(label)
	if id == "" {
		p.t.Fatalf("no %q button on %q", label, m.text())
	}
	var a answer
	if status := p.call("POST", "/api/component", map[string]any{"as": as, "channel_id": channelID, "message_id": m.ID, "custom_id": id, "values": []string{}}, &a); status != 200 {
		p.t.Fatalf("clicking %q as %s → %d %+v", label, as, status, a)
	}
	return a
}

type state struct {
	Now      string `json:"now"`
	Me       string `json:"me"`
	Bot      struct{ ID, Name string }
	Guild    struct{ ID, Name string }
	Members  []memberJSON
	Roles    []roleJSON
	Channels []channelJSON
	Commands []*discordgo.ApplicationCommand
	Tour     []tourStep
	Version  uint64
}

func (p *pg) state(as string) state {
	p.t.Helper()
	var st state
	if status := p.call("GET", "/api/state?as="+as, nil, &st); status != 200 {
		p.t.Fatalf("state as %s → %d", as, status)
	}
	return st
}

func (st state) channel(kind string) *channelJSON {
	for i, c := range st.Channels {
		if c.Kind == kind {
			return &st.Channels[i]
		}
	}
	return nil
}

const setupLine = `/kindred setup modlog_channel:#mod-log moderator_role:@Moderator facilitator_role:@Facilitator timezone:Europe/London`

func TestStateShowsTheDemoCommunity(t *testing.T) {
	p := start(t)
	if first := p.state(""); first.Me != RileyID {
		t.Errorf("a page that names no one acts as %q, want Riley", first.Me)
	}
	st := p.state(RileyID)
	if st.Now != "2026-12-01T10:00:00Z" || st.Me != RileyID || st.Guild.Name != "Kindred Playground" || st.Bot.ID != BotID {
		t.Errorf("state = now %s, me %s, guild %+v, bot %+v", st.Now, st.Me, st.Guild, st.Bot)
	}
	var names []string
	for _, c := range st.Channels {
		names = append(names, c.Kind+":"+c.Name)
	}
	if got := strings.Join(names, " "); got != "text:general text:mod-log text:evening-circle text:recovery-room text:support" {
		t.Errorf("channels = %s", got)
	}
	roles := map[string]string{}
	for _, m := range st.Members {
		if m.Actable == m.Bot {
			t.Errorf("member %+v: the page acts as every person and never as the bot", m)
		}
		roles[m.Name] = m.Role
	}
	for name, role := range map[string]string{"Riley": "Member", "Sam": "Facilitator", "Morgan": "Moderator", "Alex": "Owner", "Jordan": "Peer supporter", "Casey": "Member", "Kindred": "Bot"} {
		if roles[name] != role {
			t.Errorf("%s is %q, want %q", name, roles[name], role)
		}
	}
	commands := map[string]discordgo.ApplicationCommandType{}
	for _, c := range st.Commands {
		commands[c.Name] = c.Type
	}
	if commands["checkin"] != discordgo.ChatApplicationCommand || commands["Report to moderators"] != discordgo.MessageApplicationCommand {
		t.Errorf("registered commands = %v", commands)
	}
	if len(st.Tour) == 0 || len(st.Roles) < 2 {
		t.Errorf("%d tour steps, roles %+v", len(st.Tour), st.Roles)
	}

	var e answer
	if status := p.call("GET", "/api/state?as=123", nil, &e); status != 400 || !strings.Contains(e.Error, "not one of the playground's members") {
		t.Errorf("state as a stranger → %d %q", status, e.Error)
	}
	if status := p.call("POST", "/api/time", map[string]string{"skip": "next"}, &e); status != 400 || e.Error != "nothing is scheduled" {
		t.Errorf("skip to the next job with none → %d %q", status, e.Error)
	}
}

// A command's ephemeral reply is seen by the member who used it, in the
// channel it was used in, and by no one else.
func TestEphemeralReplyIsOnlyForItsMember(t *testing.T) {
	p := start(t)
	a := p.command(RileyID, GeneralID, "/resources")
	m := p.message(RileyID, GeneralID, a.MessageID)
	if !m.Ephemeral || m.Flags&64 == 0 || m.Interaction == nil || m.Interaction.Name != "resources" || m.Interaction.User.ID != RileyID {
		t.Errorf("Riley's reply = %+v", m)
	}
	for _, other := range p.messages(SamID, GeneralID) {
		if other.ID == a.MessageID {
			t.Error("Sam sees Riley's ephemeral reply")
		}
	}
	// Nor can Sam act on it.
	var e answer
	if status := p.call("POST", "/api/message-command", map[string]string{"as": SamID, "channel_id": GeneralID, "message_id": a.MessageID, "name": "Report to moderators"}, &e); status != 404 {
		t.Errorf("Sam reporting Riley's ephemeral reply → %d %+v", status, e)
	}
}

func TestCommandLinesAreCheckedAndCompleted(t *testing.T) {
	p := start(t)
	var e answer
	if status := p.call("POST", "/api/command", map[string]string{"as": RileyID, "channel_id": GeneralID, "line": "/checkin mood:9"}, &e); status != 400 || !strings.Contains(e.Error, `option "mood"`) || strings.Contains(e.Error, "discordsim") {
		t.Errorf("a mood out of range → %d %q", status, e.Error)
	}
	if status := p.call("POST", "/api/command", map[string]string{"as": RileyID, "channel_id": GeneralID, "line": "/nope"}, &e); status != 400 || !strings.Contains(e.Error, "/checkin") {
		t.Errorf("an unknown command → %d %q, want the registered ones listed", status, e.Error)
	}
	var got struct {
		Choices []*discordgo.ApplicationCommandOptionChoice `json:"choices"`
	}
	if status := p.call("POST", "/api/autocomplete", map[string]string{"as": RileyID, "channel_id": GeneralID, "line": "/preferences timezone zone:Europe/Berl", "focused": "zone"}, &got); status != 200 || len(got.Choices) == 0 || got.Choices[0].Value != "Europe/Berlin" {
		t.Errorf("timezone choices → %d %+v", status, got.Choices)
	}
	// Private threads and other members' DMs are not there to act in.
	if status := p.call("POST", "/api/command", map[string]string{"as": RileyID, "channel_id": "999", "line": "/resources"}, &e); status != 404 {
		t.Errorf("a command in an unknown channel → %d", status)
	}
	req, _ := http.NewRequest("POST", p.url+"/api/reset", strings.NewReader(`{}`))
	req.Header.Set("Content-Type", "text/plain")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("a reset another web page could send → %v %v", resp.StatusCode, err)
	}
}

// Report to moderators: a message command, a modal, and the report in
// #mod-log.
func TestMessageCommandAndModal(t *testing.T) {
	p := start(t)
	p.command(AlexID, GeneralID, setupLine)
	var posted message
	if status := p.call("POST", "/api/messages", map[string]string{"as": JordanID, "channel_id": GeneralID, "content": "you should just stop taking your meds"}, &posted); status != 200 || posted.Author.ID != JordanID {
		t.Fatalf("posting → %d %+v", status, posted)
	}
	var a answer
	if status := p.call("POST", "/api/message-command", map[string]string{"as": RileyID, "channel_id": GeneralID, "message_id": posted.ID, "name": "Report to moderators"}, &a); status != 200 || a.Modal == nil {
		t.Fatalf("report → %d %+v", status, a)
	}
	var field struct {
		Components []struct {
			CustomID string `json:"custom_id"`
		} `json:"components"`
	}
	if len(a.Modal.Components) == 0 || json.Unmarshal(a.Modal.Components[0], &field) != nil || len(field.Components) == 0 {
		t.Fatalf("modal = %+v", a.Modal)
	}
	var ok struct{ OK bool }
	if status := p.call("POST", "/api/modal", map[string]any{"as": RileyID, "channel_id": GeneralID, "custom_id": a.Modal.CustomID,
		"fields": map[string]string{field.Components[0].CustomID: "medical advice"}}, &ok); status != 200 || !ok.OK {
		t.Fatalf("submitting the report → %d", status)
	}
	reports := p.messages(MorganID, ModlogID)
	if len(reports) == 0 || !strings.Contains(reports[len(reports)-1].text(), posted.ID) {
		t.Errorf("#mod-log has no report linking the message: %+v", reports)
	}
}

// Every tour line runs, in order, as the member and in the channel the
// tour names, with the clicks its texts ask for; time travel brings the
// meeting's reminder.
func TestTourRunsInOrder(t *testing.T) {
	p := start(t)
	st := p.state(RileyID)
	if len(st.Tour) != len(tour) {
		t.Fatalf("state has %d tour steps, want %d", len(st.Tour), len(tour))
	}
	// What each step's reply says when it worked.
	want := map[string]string{
		"Set up the server":      "Saved",
		"Create a group":         "Created",
		"Join the group":         "I agree",
		"Schedule a meeting":     "Understood",
		"Check in":               "Checked in",
		"See your history":       "Your mood",
		"Opt in to buddies":      "You're in",
		"Sam joins the group":    "I agree",
		"Sam opts in to buddies": "You're in",
		"Run a pairing round":    "Round 1",
		"Turn on support":        "Saved",
		"Go on duty":             "You're on duty",
		"Ask for support":        "Your private thread is open",
		"Share anonymously":      "A moderator will look at it",
		"Set an escalation rule": "reaches 2 active warnings",
		"Warn a member":          "case #1",
		"Export your data":       "everything Kindred stores about you",
	}
	var history, export, supportReply message
	for _, step := range st.Tour {
		switch step.Title {
		case "Take the request":
			a := p.click(JordanID, SupportID, p.lastWithButton(JordanID, SupportID, "I'll take this"), "I'll take this")
			if text := p.message(JordanID, SupportID, a.MessageID).text(); !strings.Contains(text, "It's yours") {
				t.Errorf("taking the request → %q", text)
			}
		case "Approve the share":
			p.click(MorganID, ModlogID, p.lastWithButton(MorganID, ModlogID, "Approve"), "Approve")
			msgs := p.messages(RileyID, EveningCircleID)
			if posted := msgs[len(msgs)-1]; !strings.Contains(posted.text(), "Anonymous member") || !strings.Contains(posted.text(), "tonight I reached out") {
				t.Errorf("the newest post in #evening-circle = %q, want the share by Anonymous member", posted.text())
			}
			// Nothing in the group's channel or the mod-log, as the group
			// or the moderators see them, names Riley.
			for _, raw := range append(p.rawMessages(MorganID, EveningCircleID, ModlogID), p.rawMessages(SamID, EveningCircleID)...) {
				if strings.Contains(raw, "Riley") || strings.Contains(raw, RileyID) {
					t.Errorf("a message names Riley, the share's author: %s", raw)
				}
			}
		}
		if step.Line == "" {
			continue
		}
		if p.state(step.As).channel("text") == nil {
			t.Fatalf("%s: %s sees no channels", step.Title, step.As)
		}
		a := p.command(step.As, step.ChannelID, step.Line)
		reply := p.message(step.As, step.ChannelID, a.MessageID)
		if w, ok := want[step.Title]; !ok {
			t.Errorf("step %q has no expectation in this test", step.Title)
		} else if !strings.Contains(reply.text()+reply.button("I agree"), w) {
			t.Errorf("%s: %s\n  → %q, want it to mention %q", step.Title, step.Line, reply.text(), w)
		}
		switch step.Title {
		case "Join the group", "Sam joins the group":
			p.click(step.As, step.ChannelID, reply, "I agree")
		case "Schedule a meeting":
			// The RSVP step: Riley presses Going on the announcement.
			p.click(RileyID, EveningCircleID, p.lastWithButton(RileyID, EveningCircleID, "Going"), "Going")
		case "Ask for support":
			supportReply = reply
		case "See your history":
			history = reply
		case "Export your data":
			export = reply
		}
	}

	// The pairing round opened a private thread for Riley and Sam, which
	// Jordan does not see.
	thread := p.state(RileyID).channel("thread")
	if thread == nil || thread.ParentID != EveningCircleID {
		t.Fatalf("Riley has no buddy thread under #evening-circle: %+v", p.state(RileyID).Channels)
	}
	for _, c := range p.state(JordanID).Channels {
		if c.ID == thread.ID {
			t.Error("Jordan sees a private thread he is not in")
		}
	}
	var e answer
	if status := p.call("GET", "/api/channels/"+thread.ID+"/messages?as="+JordanID, nil, &e); status != 404 {
		t.Errorf("Jordan reading the buddy thread → %d", status)
	}

	// Riley's support thread, under #support, is Riley's and Jordan's,
	// who took the request; Casey, another member, neither sees nor reads it.
	var support *channelJSON
	for _, c := range p.state(RileyID).Channels {
		if c.Kind == "thread" && c.ParentID == SupportID {
			support = &c
		}
	}
	if support == nil || !support.Private || !strings.Contains(supportReply.text(), "<#"+support.ID+">") {
		t.Fatalf("Riley has no support thread under #support named in the reply %q: %+v", supportReply.text(), p.state(RileyID).Channels)
	}
	sees := func(as string) bool {
		for _, c := range p.state(as).Channels {
			if c.ID == support.ID {
				return true
			}
		}
		return false
	}
	if !sees(JordanID) || sees(CaseyID) {
		t.Errorf("the support thread: Jordan sees it %v (want true), Casey %v (want false)", sees(JordanID), sees(CaseyID))
	}
	if status := p.call("GET", "/api/channels/"+support.ID+"/messages?as="+CaseyID, nil, &e); status != 404 {
		t.Errorf("Casey reading the support thread → %d", status)
	}
	taken := false
	for _, m := range p.messages(JordanID, SupportID) {
		taken = taken || strings.Contains(m.text(), "Taken by <@"+JordanID+">")
	}
	if !taken {
		t.Error("the card in #support does not show Jordan took the request")
	}

	// The chart and the export are served with their types.
	if len(history.Attachments) == 0 || !strings.HasPrefix(history.Attachments[0].URL, "/attachments/"+history.ID+"/") {
		t.Fatalf("history attachments = %+v", history.Attachments)
	}
	if body, header := p.download(history.Attachments[0].URL); header.Get("Content-Type") != "image/png" || !bytes.HasPrefix(body, []byte("\x89PNG")) || header.Get("Content-Disposition") != "" {
		t.Errorf("chart served as %v, %d bytes", header, len(body))
	}
	if len(export.Attachments) == 0 {
		t.Fatalf("export attachments = %+v", export.Attachments)
	}
	if body, header := p.download(export.Attachments[0].URL); !json.Valid(body) || !strings.HasPrefix(header.Get("Content-Disposition"), "attachment") {
		t.Errorf("export served as %v: %.100s", header, body)
	}
	// Riley's export is Riley's: asked for as Sam, or as no one, it isn't there.
	for _, as := range []string{SamID, ""} {
		u := strings.Replace(export.Attachments[0].URL, "as="+RileyID, "as="+as, 1)
		resp, err := http.Get(p.url + u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("Riley's export fetched as %q → %d, want 404", as, resp.StatusCode)
		}
	}

	// A day later the meeting's first reminder has gone out, in the
	// channel and, as Riley is going, by DM.
	var travelled struct {
		Now string `json:"now"`
		Ran int    `json:"ran"`
	}
	if status := p.call("POST", "/api/time", map[string]string{"skip": "1d"}, &travelled); status != 200 || travelled.Ran == 0 || travelled.Now != "2026-12-02T10:00:00Z" {
		t.Fatalf("skipping a day → %d %+v", status, travelled)
	}
	reminders := 0
	for _, m := range p.messages(SamID, EveningCircleID) {
		if strings.Contains(m.text(), "Evening check-in") && m.button("Going") != "" {
			reminders++
		}
		// Jobs due during the skip ran at their own time, as if the day
		// had passed: none is late.
		if strings.Contains(m.text(), "reminder is late") {
			t.Errorf("a message sent while skipping ahead says it is late: %q", m.text())
		}
	}
	if reminders < 2 {
		t.Errorf("#evening-circle has %d messages about the meeting, want the announcement and a reminder", reminders)
	}
	dm := p.state(RileyID).channel("dm")
	if dm == nil || len(p.messages(RileyID, dm.ID)) == 0 {
		t.Errorf("Riley, who is going, has no DM from Kindred: %+v", dm)
	}
	if sam := p.state(SamID).channel("dm"); sam != nil && sam.ID == dm.ID {
		t.Error("Sam sees Riley's DM channel")
	}

	// "next" goes straight to the next job: the hour-before reminder.
	if status := p.call("POST", "/api/time", map[string]string{"skip": "next"}, &travelled); status != 200 || travelled.Ran == 0 || travelled.Now != "2026-12-02T18:00:00Z" {
		t.Errorf("skipping to the next job → %d %+v", status, travelled)
	}
}

// lastWithButton is the newest message in a channel with a button so
// labelled, as a member sees it.
func (p *pg) lastWithButton(as, channelID, label string) message {
	p.t.Helper()
	msgs := p.messages(as, channelID)
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].button(label) != "" {
			return msgs[i]
		}
	}
	p.t.Fatalf("%s sees no %q button in %s", as, label, channelID)
	return message{}
}

func (p *pg) download(path string) ([]byte, http.Header) {
	p.t.Helper()
	resp, err := http.Get(p.url + path)
	if err != nil || resp.StatusCode != 200 {
		p.t.Fatalf("GET %s: %v %v", path, resp.StatusCode, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return body, resp.Header
}

func TestResetStartsOver(t *testing.T) {
	p := start(t)
	p.command(AlexID, GeneralID, setupLine)
	p.command(SamID, EveningCircleID, `/group create name:"Evening Circle" description:"d" type:other channel:#evening-circle`)
	before := p.state(RileyID).Version
	var ok struct{ OK bool }
	if status := p.call("POST", "/api/reset", map[string]string{}, &ok); status != 200 || !ok.OK {
		t.Fatalf("reset → %d", status)
	}
	st := p.state(RileyID)
	if st.Version <= before {
		t.Errorf("version %d after reset, was %d: the page would not notice", st.Version, before)
	}
	if msgs := p.messages(AlexID, GeneralID); len(msgs) != 0 {
		t.Errorf("general still has %d messages", len(msgs))
	}
	a := p.command(RileyID, GeneralID, "/group list")
	if text := p.message(RileyID, GeneralID, a.MessageID).text(); strings.Contains(text, "Evening Circle") {
		t.Errorf("the group survived the reset: %q", text)
	}
	if st.Guild.Name != "Kindred Playground" || st.channel("text") == nil {
		t.Errorf("the demo community is not back: %+v", st)
	}
}

func TestEventsAnnounceChanges(t *testing.T) {
	p := start(t)
	resp, err := http.Get(p.url + "/api/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("content type %q", resp.Header.Get("Content-Type"))
	}
	events := make(chan uint64, 16)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(resp.Body)
		var event string
		for sc.Scan() {
			line := sc.Text()
			if rest, ok := strings.CutPrefix(line, "event: "); ok {
				event = rest
			}
			if rest, ok := strings.CutPrefix(line, "data: "); ok && event == "change" {
				var d struct{ Version uint64 }
				if json.Unmarshal([]byte(rest), &d) == nil {
					events <- d.Version
				}
			}
		}
	}()
	next := func() uint64 {
		select {
		case v, ok := <-events:
			if !ok {
				t.Fatal("the event stream ended")
			}
			return v
		case <-time.After(10 * time.Second):
			t.Fatal("no change event within 10 s")
		}
		return 0
	}
	first := next() // the version at connection
	var posted message
	p.call("POST", "/api/messages", map[string]string{"as": RileyID, "channel_id": GeneralID, "content": "hello"}, &posted)
	for v := next(); v <= first; v = next() {
	}
	if v := p.state(RileyID).Version; v <= first {
		t.Errorf("state version %d after a message, first event said %d", v, first)
	}
}

// The page and its files are served from the binary.
func TestPageIsServed(t *testing.T) {
	p := start(t)
	for path, want := range map[string]string{"/": "text/html", "/static/app.js": "javascript", "/static/style.css": "text/css"} {
		body, header := p.download(path)
		if !strings.Contains(header.Get("Content-Type"), want) || len(body) == 0 {
			t.Errorf("%s served as %q (%d bytes)", path, header.Get("Content-Type"), len(body))
		}
	}
}

func TestClockNeverGoesBack(t *testing.T) {
	now := t0
	c := newClock(func() time.Time { return now })
	c.Advance(time.Hour)
	if got := c.AdvanceTo(t0); !got.Equal(t0.Add(time.Hour)) {
		t.Errorf("AdvanceTo the past moved the clock to %v", got)
	}
	if got := c.Advance(-time.Hour); !got.Equal(t0.Add(time.Hour)) {
		t.Errorf("a negative advance moved the clock to %v", got)
	}
	now = t0.Add(-time.Minute) // the base clock steps back (NTP)
	if got := c.Now(); got.Before(t0.Add(time.Hour)) {
		t.Errorf("Now went back to %v", got)
	}
	if got := c.AdvanceTo(t0.Add(3 * time.Hour)); !got.Equal(t0.Add(3 * time.Hour)) {
		t.Errorf("AdvanceTo = %v", got)
	}
}

func TestListenErrors(t *testing.T) {
	err := listenError("127.0.0.1:8081", fmt.Errorf("listen: %w", syscall.EADDRINUSE))
	if err.Error() != "playground: 127.0.0.1:8081 is in use; choose another with --listen 127.0.0.1:8082" {
		t.Errorf("error = %q", err)
	}
	if err := checkDBPath("kindred.db"); err == nil {
		t.Error("the production database path was accepted")
	}
	if err := checkDBPath(filepath.Join(t.TempDir(), "playground.db")); err != nil {
		t.Error(err)
	}
}

// A page on another host that points its name at 127.0.0.1 (DNS
// rebinding) reaches the playground's port, but not the playground: only
// requests addressed to a loopback name are answered.
func TestOnlyLoopbackNamesAreAnswered(t *testing.T) {
	p := start(t)
	for host, want := range map[string]int{
		"":                      http.StatusOK, // the address itself
		"localhost:8081":        http.StatusOK,
		"evil.example:8081":     http.StatusMisdirectedRequest,
		"127.0.0.1.nip.io:8081": http.StatusMisdirectedRequest,
		"[::1]:8081":            http.StatusOK,
	} {
		req, _ := http.NewRequest("GET", p.url+"/api/state", nil)
		if host != "" {
			req.Host = host
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("Host %q → %d, want %d", host, resp.StatusCode, want)
		}
	}
}
