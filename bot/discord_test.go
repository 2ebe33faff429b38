package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/kindred-bot/kindred/commands"
	"github.com/kindred-bot/kindred/internal/discordsim"
)

// The server the port tests act in.
const (
	portGuild   = "730000000000000001"
	portGeneral = "730000000000000010"
	portLowRole = "730000000000000020" // below the bot's role
	portTopRole = "730000000000000021" // above the bot's role
	portOwner   = "740000000000000001"
	portAlice   = "740000000000000002"
	portBob     = "740000000000000003"
	portCarol   = "740000000000000004"
	portNobody  = "740000000000000009" // in no server Kindred is in
)

// startPort returns a port talking to a new fake Discord over REST, with
// its own token bucket (a roomy one when bucket is nil).
func startPort(t *testing.T, bucket *tokenBucket) (*discordsim.Server, *discordPort) {
	t.Helper()
	fake := discordsim.New(discordsim.Options{})
	t.Cleanup(fake.Close)
	fake.AddGuild(discordsim.Guild{
		ID: portGuild, Name: "port", OwnerID: portOwner,
		Channels: []discordsim.Channel{{ID: portGeneral, Name: "general"}},
		Roles: []discordsim.Role{
			{ID: portLowRole, Name: "Group", Position: 1},
			{ID: portTopRole, Name: "Council", Position: discordsim.BotRolePosition + 1},
		},
		Members: []discordsim.Member{
			{User: discordsim.User{ID: portAlice, Username: "alice"}},
			{User: discordsim.User{ID: portBob, Username: "bob"}},
			{User: discordsim.User{ID: portCarol, Username: "carol"}},
		},
	})
	fake.AddUser(discordsim.User{ID: portNobody, Username: "nobody"})
	return fake, newPortSession(t, fake.URL(), fake.Token(), bucket)
}

func newPortSession(t *testing.T, apiURL, token string, bucket *tokenBucket) *discordPort {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Discord.Token, cfg.Discord.APIURL = token, apiURL
	session, err := newSession(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if bucket == nil {
		bucket = newTokenBucket(1000, 100)
	}
	return newDiscordPort(session, bucket)
}

// requestsTo returns the recorded requests with that method whose path ends
// with suffix.
func requestsTo(fake *discordsim.Server, method, suffix string) []discordsim.Request {
	var out []discordsim.Request
	for _, r := range fake.Requests() {
		if r.Method == method && strings.HasSuffix(r.Path, suffix) {
			out = append(out, r)
		}
	}
	return out
}

// lastRequest is the last recorded request with that method and path
// suffix; it fails the test when there is none.
func lastRequest(t *testing.T, fake *discordsim.Server, method, suffix string) discordsim.Request {
	t.Helper()
	rs := requestsTo(fake, method, suffix)
	if len(rs) == 0 {
		t.Fatalf("no %s …%s request", method, suffix)
	}
	return rs[len(rs)-1]
}

// recordedReason is the audit log reason a request carried.
func recordedReason(t *testing.T, r discordsim.Request) string {
	t.Helper()
	reason, err := url.PathUnescape(r.Header.Get("X-Audit-Log-Reason"))
	if err != nil {
		t.Fatalf("audit log reason %q is not URL-encoded: %v", r.Header.Get("X-Audit-Log-Reason"), err)
	}
	return reason
}

// wantKind checks that err is a *commands.DiscordError matching kind and
// no other sentinel.
func wantKind(t *testing.T, what string, err, kind error) *commands.DiscordError {
	t.Helper()
	var de *commands.DiscordError
	if !errors.As(err, &de) {
		t.Fatalf("%s: %v (%T), want a *commands.DiscordError", what, err, err)
	}
	for _, s := range sentinels {
		// A DM to someone who shares no server is a closed DM too.
		want := s == kind || (kind == commands.ErrNoMutualServer && s == commands.ErrDMClosed)
		if got := errors.Is(err, s); got != want {
			t.Errorf("%s: errors.Is(%v, %q) = %v", what, err, s, got)
		}
	}
	return de
}

var sentinels = []error{
	commands.ErrDMClosed, commands.ErrNoMutualServer, commands.ErrForbidden, commands.ErrNoAccess, commands.ErrUnknownMember,
	commands.ErrUnknownChannel, commands.ErrUnknownMessage, commands.ErrUnknownRole,
	commands.ErrTwoFactorRequired, commands.ErrRateLimited,
}

func TestPortSendPingsOnlyWhomItNames(t *testing.T) {
	t.Parallel()
	fake, d := startPort(t, nil)
	ctx := context.Background()
	content := "@everyone @here <@&" + portLowRole + "> <@" + portAlice + "> <@" + portBob + ">, you're buddies"
	id, err := d.Send(ctx, portGeneral, commands.Message{Content: content, Ping: []string{portAlice, portAlice}})
	if err != nil {
		t.Fatal(err)
	}
	if m := fake.Message(id); m == nil || m.Content != content || m.ChannelID != portGeneral {
		t.Fatalf("message %s = %+v", id, m)
	}
	if _, err := d.Send(ctx, portGeneral, commands.Message{Content: "@everyone <@" + portBob + "> hello"}); err != nil {
		t.Fatal(err)
	}

	sends := requestsTo(fake, "POST", "/channels/"+portGeneral+"/messages")
	if len(sends) != 2 {
		t.Fatalf("%d sends, want 2", len(sends))
	}
	for i, want := range [][]string{{portAlice}, nil} {
		var body struct {
			AllowedMentions map[string]json.RawMessage `json:"allowed_mentions"`
		}
		if err := json.Unmarshal(sends[i].Body, &body); err != nil {
			t.Fatalf("send %d: %v: %s", i, err, sends[i].Body)
		}
		am := body.AllowedMentions
		if am == nil || string(am["parse"]) != "[]" {
			t.Errorf("send %d: allowed_mentions %s, want parse: [] (nobody from the text)", i, sends[i].Body)
		}
		var users []string
		if raw, ok := am["users"]; ok {
			if err := json.Unmarshal(raw, &users); err != nil {
				t.Fatal(err)
			}
		}
		if !slices.Equal(users, want) {
			t.Errorf("send %d: allowed users %v, want %v", i, users, want)
		}
		if roles, ok := am["roles"]; ok && string(roles) != "[]" {
			t.Errorf("send %d: allowed roles %s, want none", i, roles)
		}
	}
}

// A message with a nonce is posted with enforce_nonce: sent again, with
// or without files, it returns the first message. Its body is otherwise
// what ChannelMessageSendComplex sends, and Discord's refusals map as
// always.
func TestPortSendWithNonce(t *testing.T) {
	t.Parallel()
	fake, d := startPort(t, nil)
	ctx := context.Background()
	m := commands.Message{
		Content:    "<@" + portAlice + "> reminder",
		Embeds:     []*discordgo.MessageEmbed{{Title: "Tuesday circle"}},
		Components: []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{discordgo.Button{Label: "Going", CustomID: "rsvp/1/going"}}}},
		Ping:       []string{portAlice},
		Nonce:      "kreminder",
	}
	first, err := d.Send(ctx, portGeneral, m)
	if err != nil {
		t.Fatal(err)
	}
	again, err := d.Send(ctx, portGeneral, m)
	if err != nil || again != first {
		t.Fatalf("sent again: %s, %v; want the first message %s", again, err, first)
	}
	got := fake.Message(first)
	if got == nil || got.Content != m.Content || len(got.Embeds) != 1 || got.Embeds[0].Type != discordgo.EmbedTypeRich || len(got.Components) != 1 {
		t.Errorf("message = %+v", got)
	}
	sends := requestsTo(fake, "POST", "/channels/"+portGeneral+"/messages")
	if len(sends) != 2 {
		t.Fatalf("%d sends, want 2", len(sends))
	}
	var body struct {
		Nonce           string          `json:"nonce"`
		EnforceNonce    bool            `json:"enforce_nonce"`
		AllowedMentions json.RawMessage `json:"allowed_mentions"`
	}
	if err := json.Unmarshal(sends[0].Body, &body); err != nil {
		t.Fatal(err)
	}
	if body.Nonce != "kreminder" || !body.EnforceNonce || !strings.Contains(string(body.AllowedMentions), portAlice) {
		t.Errorf("body %s, want the nonce enforced and the allowed mentions", sends[0].Body)
	}

	withFile := commands.Message{Content: "export", Files: []*discordgo.File{{Name: "a.txt", ContentType: "text/plain", Reader: strings.NewReader("a")}}, Nonce: "kexport"}
	id, err := d.Send(ctx, portGeneral, withFile)
	if err != nil {
		t.Fatal(err)
	}
	withFile.Files = []*discordgo.File{{Name: "a.txt", ContentType: "text/plain", Reader: strings.NewReader("a")}}
	if again, err := d.Send(ctx, portGeneral, withFile); err != nil || again != id {
		t.Errorf("file sent again: %s, %v; want %s", again, err, id)
	}
	if files := fake.MessageFiles(id); len(files) != 1 || string(files[0].Data) != "a" {
		t.Errorf("files = %+v", files)
	}
	if n := len(fake.Messages(portGeneral)); n != 2 {
		t.Errorf("%d messages, want 2", n)
	}

	fake.BlockDMs(portBob)
	bobDM, err := d.OpenDM(ctx, portBob)
	if err != nil {
		t.Fatal(err)
	}
	_, err = d.Send(ctx, bobDM, commands.Message{Content: "hi", Nonce: "kdm"})
	wantKind(t, "DM with a nonce to closed DMs", err, commands.ErrDMClosed)
}

func TestPortDMs(t *testing.T) {
	t.Parallel()
	fake, d := startPort(t, nil)
	ctx := context.Background()

	ch, err := d.OpenDM(ctx, portAlice)
	if err != nil {
		t.Fatal(err)
	}
	again, err := d.OpenDM(ctx, portAlice)
	if err != nil || again != ch || fake.DMChannelID(portAlice) != ch {
		t.Fatalf("DM channel %s, again %s (%v), the fake's %s", ch, again, err, fake.DMChannelID(portAlice))
	}
	if n := len(requestsTo(fake, "POST", "/users/@me/channels")); n != 1 {
		t.Errorf("opening the same DM twice made %d requests, want 1", n)
	}
	if _, err := d.Send(ctx, ch, commands.Message{Content: "Time for your check-in!"}); err != nil {
		t.Fatal(err)
	}
	if msgs := fake.Messages(ch); len(msgs) != 1 || msgs[0].Content != "Time for your check-in!" {
		t.Errorf("DM messages %+v", msgs)
	}

	fake.BlockDMs(portBob)
	bobDM, err := d.OpenDM(ctx, portBob)
	if err != nil {
		t.Fatal(err)
	}
	_, err = d.Send(ctx, bobDM, commands.Message{Content: "hi"})
	if de := wantKind(t, "DM to closed DMs", err, commands.ErrDMClosed); de.Status != http.StatusForbidden || de.Code != 50007 {
		t.Errorf("DM to closed DMs: %+v", de)
	}

	nobodyDM, err := d.OpenDM(ctx, portNobody)
	if err != nil {
		t.Fatal(err)
	}
	_, err = d.Send(ctx, nobodyDM, commands.Message{Content: "hi"})
	if de := wantKind(t, "DM to someone in no shared server", err, commands.ErrNoMutualServer); de.Code != 50278 {
		t.Errorf("DM to someone in no shared server: %+v", de)
	}
}

func TestPortRoles(t *testing.T) {
	t.Parallel()
	fake, d := startPort(t, nil)
	ctx := context.Background()

	if err := d.AddRole(ctx, portGuild, portAlice, portLowRole, "Kindred: member joined group 3"); err != nil {
		t.Fatal(err)
	}
	if m := fake.Member(portGuild, portAlice); !slices.Contains(m.Roles, portLowRole) {
		t.Errorf("roles after AddRole: %v", m.Roles)
	}
	r := lastRequest(t, fake, "PUT", "/members/"+portAlice+"/roles/"+portLowRole)
	if got := recordedReason(t, r); got != "Kindred: member joined group 3" {
		t.Errorf("audit log reason %q", got)
	}
	if err := d.RemoveRole(ctx, portGuild, portAlice, portLowRole, ""); err != nil {
		t.Fatal(err)
	}
	if m := fake.Member(portGuild, portAlice); slices.Contains(m.Roles, portLowRole) {
		t.Errorf("roles after RemoveRole: %v", m.Roles)
	}
	r = lastRequest(t, fake, "DELETE", "/members/"+portAlice+"/roles/"+portLowRole)
	if _, ok := r.Header["X-Audit-Log-Reason"]; ok {
		t.Errorf("an empty reason sent an audit log header %q", r.Header.Get("X-Audit-Log-Reason"))
	}

	err := d.AddRole(ctx, portGuild, portAlice, portTopRole, "")
	if de := wantKind(t, "role above Kindred's", err, commands.ErrForbidden); de.Status != http.StatusForbidden || de.Code != 50013 || de.Message == "" {
		t.Errorf("role above Kindred's: %+v", de)
	}
	wantKind(t, "role for a non-member", d.AddRole(ctx, portGuild, portNobody, portLowRole, ""), commands.ErrUnknownMember)
	wantKind(t, "removing a role from a non-member", d.RemoveRole(ctx, portGuild, portNobody, portLowRole, ""), commands.ErrUnknownMember)
	wantKind(t, "unknown role", d.AddRole(ctx, portGuild, portAlice, "730000000000000099", ""), commands.ErrUnknownRole)
}

func TestPortThreads(t *testing.T) {
	t.Parallel()
	fake, d := startPort(t, nil)
	ctx := context.Background()

	id, err := d.StartPrivateThread(ctx, portGeneral, "Buddies · round 1", 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	th := fake.Channel(id)
	if th == nil || th.Type != discordgo.ChannelTypeGuildPrivateThread || th.ParentID != portGeneral || th.Name != "Buddies · round 1" {
		t.Fatalf("thread %+v", th)
	}
	if md := th.ThreadMetadata; md.Invitable || md.AutoArchiveDuration != 1440 {
		t.Errorf("thread metadata %+v, want not invitable, archived after 1440 minutes", md)
	}
	for _, u := range []string{portAlice, portBob} {
		if err := d.AddThreadMember(ctx, id, u); err != nil {
			t.Fatal(err)
		}
	}
	if got := fake.ThreadMembers(id); !slices.Contains(got, portAlice) || !slices.Contains(got, portBob) {
		t.Errorf("thread members %v", got)
	}
	if _, err := d.Send(ctx, id, commands.Message{Content: "<@" + portAlice + "> <@" + portBob + ">, welcome", Ping: []string{portAlice, portBob}}); err != nil {
		t.Fatal(err)
	}

	wantKind(t, "adding someone who left", d.AddThreadMember(ctx, id, portNobody), commands.ErrUnknownMember)
	_, err = d.StartPrivateThread(ctx, "730000000000000098", "gone", time.Hour)
	wantKind(t, "thread in an unknown channel", err, commands.ErrUnknownChannel)
	_, err = d.Send(ctx, "730000000000000098", commands.Message{Content: "hello"})
	wantKind(t, "send to an unknown channel", err, commands.ErrUnknownChannel)
}

func TestPortModeration(t *testing.T) {
	t.Parallel()
	fake, d := startPort(t, nil)
	ctx := context.Background()

	until := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	reason := "Kindred escalation: 3 active warnings (case #7) — ärger"
	if err := d.Timeout(ctx, portGuild, portAlice, until, reason); err != nil {
		t.Fatal(err)
	}
	if m := fake.Member(portGuild, portAlice); m.CommunicationDisabledUntil == nil || !m.CommunicationDisabledUntil.Equal(until) {
		t.Errorf("timed out until %v, want %v", m.CommunicationDisabledUntil, until)
	}
	if got := recordedReason(t, lastRequest(t, fake, "PATCH", "/members/"+portAlice)); got != reason {
		t.Errorf("timeout's audit log reason %q, want %q", got, reason)
	}
	if err := d.Timeout(ctx, portGuild, portAlice, time.Time{}, ""); err != nil {
		t.Fatal(err)
	}
	if m := fake.Member(portGuild, portAlice); m.CommunicationDisabledUntil != nil {
		t.Errorf("a zero until left the timeout at %v", m.CommunicationDisabledUntil)
	}
	wantKind(t, "timing out a non-member", d.Timeout(ctx, portGuild, portNobody, until, ""), commands.ErrUnknownMember)
	wantKind(t, "timing out the owner", d.Timeout(ctx, portGuild, portOwner, until, ""), commands.ErrForbidden)

	if err := d.Kick(ctx, portGuild, portBob, "kicked for cause"); err != nil {
		t.Fatal(err)
	}
	if fake.Member(portGuild, portBob) != nil {
		t.Error("kicked member is still in the server")
	}
	kick := lastRequest(t, fake, "DELETE", "/members/"+portBob)
	if got := recordedReason(t, kick); got != "kicked for cause" {
		t.Errorf("kick's audit log reason %q", got)
	}
	if kick.Query.Has("reason") {
		t.Errorf("kick sent the reason as a query parameter too: %v", kick.Query)
	}
	wantKind(t, "kicking someone who left", d.Kick(ctx, portGuild, portBob, ""), commands.ErrUnknownMember)

	if err := d.Ban(ctx, portGuild, portCarol, reason); err != nil {
		t.Fatal(err)
	}
	if b := fake.Ban(portGuild, portCarol); b == nil || b.Reason != reason {
		t.Errorf("ban %+v, want reason %q", b, reason)
	}
	ban := lastRequest(t, fake, "PUT", "/bans/"+portCarol)
	if ban.Query.Get("delete_message_days") != "" || ban.Query.Has("reason") {
		t.Errorf("ban query %v, want no deleted messages and the reason only in the header", ban.Query)
	}
	if got := recordedReason(t, ban); got != reason {
		t.Errorf("ban's audit log reason %q, want %q", got, reason)
	}
	wantKind(t, "banning the owner", d.Ban(ctx, portGuild, portOwner, ""), commands.ErrForbidden)
}

// Member and Server answer from Discord: a member's roles, a server's
// owner and roles with positions; a user who isn't a member is
// ErrUnknownMember.
func TestPortMemberAndServer(t *testing.T) {
	t.Parallel()
	fake, d := startPort(t, nil)
	ctx := context.Background()
	fake.AddMember(portGuild, discordsim.Member{User: discordsim.User{ID: portBob, Username: "bob"}, Roles: []string{portLowRole}})
	m, err := d.Member(ctx, portGuild, portBob)
	if err != nil || m.UserID != portBob || m.Bot || !slices.Equal(m.RoleIDs, []string{portLowRole}) {
		t.Errorf("member = %+v, %v", m, err)
	}
	me := fake.BotUser()
	if m, err := d.Member(ctx, portGuild, me.ID); err != nil || !m.Bot || !slices.Equal(m.RoleIDs, []string{fake.BotRoleID(portGuild)}) {
		t.Errorf("Kindred's own member = %+v, %v", m, err)
	}
	_, err = d.Member(ctx, portGuild, portNobody)
	wantKind(t, "a user who isn't a member", err, commands.ErrUnknownMember)

	info, err := d.Server(ctx, portGuild)
	if err != nil || info.ID != portGuild || info.OwnerID != portOwner {
		t.Fatalf("server = %+v, %v", info, err)
	}
	positions := map[string]int{}
	for _, r := range info.Roles {
		positions[r.ID] = r.Position
		if r.ID == fake.BotRoleID(portGuild) && !r.Managed {
			t.Error("Kindred's own role isn't managed")
		}
	}
	if positions[portGuild] != 0 || positions[portLowRole] != 1 || positions[portTopRole] != discordsim.BotRolePosition+1 {
		t.Errorf("role positions %v", positions)
	}
}

// A caller that gives up while the global bucket is empty gets its
// context's error at once, and no request is made.
func TestPortWaitHonoursContext(t *testing.T) {
	t.Parallel()
	bucket := newTokenBucket(1, 1)
	fake, d := startPort(t, bucket)
	if err := bucket.wait(context.Background()); err != nil { // the only token
		t.Fatal(err)
	}
	before := len(fake.Requests())

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	start := time.Now()
	_, err := d.Send(ctx, portGeneral, commands.Message{Content: "late"})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Send after cancel: %v, want context.Canceled", err)
	}
	if took := time.Since(start); took > 500*time.Millisecond {
		t.Errorf("Send took %v to notice the cancel (the bucket refills in 1s)", took)
	}

	// A context that has already ended takes no token.
	bucket = newTokenBucket(1, 1)
	d.bucket = bucket
	if err := d.AddRole(ctx, portGuild, portAlice, portLowRole, ""); !errors.Is(err, context.Canceled) {
		t.Errorf("AddRole with an ended context: %v", err)
	}
	start = time.Now()
	if err := bucket.wait(context.Background()); err != nil || time.Since(start) > 200*time.Millisecond {
		t.Errorf("an ended context used the bucket's only token (%v; the next caller waited %v)", err, time.Since(start))
	}
	if n := len(fake.Requests()); n != before {
		t.Errorf("%d requests made for callers that gave up", n-before)
	}
}

// The caller's context also bounds the request itself.
func TestPortContextReachesRequest(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select { // never answers while the client waits
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	d := newPortSession(t, srv.URL, "token", nil)

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := d.Kick(ctx, portGuild, portAlice, "")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Kick against a server that never answers: %v, want context.DeadlineExceeded", err)
	}
	var de *commands.DiscordError
	if errors.As(err, &de) {
		t.Errorf("a request that got no answer came back as a Discord refusal: %v", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Kick took %v; the context ended after 50ms", took)
	}
}

// When discordgo gives up on a 429, features see ErrRateLimited.
func TestPortRateLimitGivenUp(t *testing.T) {
	t.Parallel()
	fake, d := startPort(t, nil)
	d.session.ShouldRetryOnRateLimit = false
	fake.FailNext("POST", "/channels/"+portGeneral+"/messages", http.StatusTooManyRequests, 0, "You are being rate limited.")
	_, err := d.Send(context.Background(), portGeneral, commands.Message{Content: "hi"})
	if de := wantKind(t, "429", err, commands.ErrRateLimited); de.Status != http.StatusTooManyRequests {
		t.Errorf("429: %+v", de)
	}
}

// Each Discord error code features branch on comes back as its sentinel,
// whether built by hand or answered by the fake through discordgo.
func TestDiscordErrorMapping(t *testing.T) {
	t.Parallel()
	cases := []struct {
		status, code int
		kind         error
	}{
		{http.StatusForbidden, 50007, commands.ErrDMClosed},
		{http.StatusForbidden, 50278, commands.ErrNoMutualServer},
		{http.StatusForbidden, 50013, commands.ErrForbidden},
		{http.StatusForbidden, 50001, commands.ErrNoAccess},
		{http.StatusNotFound, 10003, commands.ErrUnknownChannel},
		{http.StatusNotFound, 10007, commands.ErrUnknownMember},
		{http.StatusNotFound, 10008, commands.ErrUnknownMessage},
		{http.StatusNotFound, 10011, commands.ErrUnknownRole},
		{http.StatusForbidden, 60003, commands.ErrTwoFactorRequired},
		{http.StatusTooManyRequests, 0, commands.ErrRateLimited},
		{http.StatusBadRequest, 50035, nil}, // Invalid Form Body: no branch for it
		{http.StatusInternalServerError, 0, nil},
	}
	fake, d := startPort(t, nil)
	for _, c := range cases {
		name := fmt.Sprintf("%d %d", c.status, c.code)
		message := "refused with " + name
		rest := &discordgo.RESTError{
			Response:     &http.Response{StatusCode: c.status, Status: name},
			ResponseBody: []byte(`{}`),
			Message:      &discordgo.APIErrorMessage{Code: c.code, Message: message},
		}
		err := discordError("test", fmt.Errorf("wrapped: %w", rest))
		de := wantKind(t, name, err, c.kind)
		if de.Status != c.status || de.Code != c.code || de.Message != message || de.Cause != c.kind {
			t.Errorf("%s: %+v", name, de)
		}
		if c.status == http.StatusTooManyRequests {
			continue // discordgo retries these; TestPortRateLimitGivenUp covers the fake
		}
		fake.FailNext("PUT", "/guilds/"+portGuild+"/members/"+portAlice+"/roles/", c.status, c.code, message)
		err = d.AddRole(context.Background(), portGuild, portAlice, portLowRole, "")
		de = wantKind(t, name+" from the fake", err, c.kind)
		if de.Status != c.status || de.Code != c.code || de.Message != message {
			t.Errorf("%s from the fake: %+v", name, de)
		}
	}

	// A 429 discordgo stopped retrying.
	err := discordError("test", &discordgo.RateLimitError{RateLimit: &discordgo.RateLimit{
		TooManyRequests: &discordgo.TooManyRequests{Message: "You are being rate limited.", RetryAfter: time.Second},
	}})
	if de := wantKind(t, "RateLimitError", err, commands.ErrRateLimited); de.Status != http.StatusTooManyRequests || de.Message == "" {
		t.Errorf("RateLimitError: %+v", de)
	}

	// Anything else is not a refusal and keeps its cause.
	for _, cause := range []error{io.ErrUnexpectedEOF, context.Canceled, &net.OpError{Op: "dial", Err: errors.New("connection refused")}} {
		err := discordError("send message", cause)
		var de *commands.DiscordError
		if errors.As(err, &de) || !errors.Is(err, cause) || !strings.Contains(err.Error(), "send message") {
			t.Errorf("%v became %v", cause, err)
		}
	}
	if discordError("send message", nil) != nil {
		t.Error("no error became one")
	}
}
