package discordsim_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"

	"github.com/kindred-bot/kindred/internal/discordsim"
)

// rewriteTransport sends discord.com requests to the fake, keeping paths.
type rewriteTransport struct{ base *url.URL }

func (rt rewriteTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.URL.Scheme, r.URL.Host, r.Host = rt.base.Scheme, rt.base.Host, rt.base.Host
	return http.DefaultTransport.RoundTrip(r)
}

const (
	guildID   = "100000000000000001"
	generalID = "100000000000000010"
	modlogID  = "100000000000000011"
	modRoleID = "100000000000000020"
	highRole  = "100000000000000021"
	aliceID   = "100000000000000030"
	bobID     = "100000000000000031"
	modID     = "100000000000000032"
)

func testGuild() discordsim.Guild {
	return discordsim.Guild{
		ID:   guildID,
		Name: "Kindred Test",
		Channels: []discordsim.Channel{
			{ID: generalID, Name: "general"},
			{ID: modlogID, Name: "mod-log"},
		},
		Roles: []discordsim.Role{
			{ID: modRoleID, Name: "Moderator", Permissions: discordgo.PermissionModerateMembers, Position: 2},
			{ID: highRole, Name: "Council", Permissions: discordgo.PermissionManageGuild, Position: discordsim.BotRolePosition + 5},
		},
		Members: []discordsim.Member{
			{User: discordsim.User{ID: aliceID, Username: "alice"}},
			{User: discordsim.User{ID: bobID, Username: "bob"}},
			{User: discordsim.User{ID: modID, Username: "mod"}, Roles: []string{modRoleID}},
		},
	}
}

func ptr[T any](v T) *T { return &v }

var testCommands = []*discordgo.ApplicationCommand{
	{Name: "preferences", Description: "Your preferences", Options: []*discordgo.ApplicationCommandOption{{
		Type: discordgo.ApplicationCommandOptionSubCommand, Name: "timezone", Description: "Set your time zone",
		Options: []*discordgo.ApplicationCommandOption{{
			Type: discordgo.ApplicationCommandOptionString, Name: "zone", Description: "IANA zone", Required: true, Autocomplete: true,
		}},
	}}},
	{Name: "checkin", Description: "Daily check-in", Options: []*discordgo.ApplicationCommandOption{
		{Type: discordgo.ApplicationCommandOptionInteger, Name: "mood", Description: "How are you?", Required: true,
			Choices: []*discordgo.ApplicationCommandOptionChoice{
				{Name: "rough", Value: 1}, {Name: "meh", Value: 2}, {Name: "ok", Value: 3}, {Name: "good", Value: 4}, {Name: "great", Value: 5},
			}},
		{Type: discordgo.ApplicationCommandOptionString, Name: "note", Description: "Anything to add", MaxLength: 200},
		{Type: discordgo.ApplicationCommandOptionBoolean, Name: "share", Description: "Share with your group"},
	}},
	{Name: "kindred", Description: "Server setup", DefaultMemberPermissions: ptr(int64(discordgo.PermissionManageGuild)),
		Options: []*discordgo.ApplicationCommandOption{{
			Type: discordgo.ApplicationCommandOptionSubCommand, Name: "setup", Description: "Configure Kindred",
			Options: []*discordgo.ApplicationCommandOption{
				{Type: discordgo.ApplicationCommandOptionRole, Name: "moderator_role", Description: "Moderators", Required: true},
				{Type: discordgo.ApplicationCommandOptionChannel, Name: "modlog_channel", Description: "Mod log",
					ChannelTypes: []discordgo.ChannelType{discordgo.ChannelTypeGuildText}},
			},
		}}},
	{Name: "warn", Description: "Warn a member", Options: []*discordgo.ApplicationCommandOption{
		{Type: discordgo.ApplicationCommandOptionUser, Name: "user", Description: "Who", Required: true},
		{Type: discordgo.ApplicationCommandOptionString, Name: "reason", Description: "Why", Required: true},
	}},
	{Name: "resources", Description: "Helpful resources"},
	{Type: discordgo.MessageApplicationCommand, Name: "Report message"},
}

// bot is a minimal discordgo bot wired to a fake server.
type bot struct {
	fake *discordsim.Server
	dg   *discordgo.Session

	mu       sync.Mutex
	handlers map[string]func(*discordgo.Session, *discordgo.Interaction)
	errs     []error
}

func newSession(fake *discordsim.Server, token string) *discordgo.Session {
	dg, err := discordgo.New("Bot " + token)
	if err != nil {
		panic(err)
	}
	base, _ := url.Parse(fake.URL())
	dg.Client = &http.Client{Transport: rewriteTransport{base: base}, Timeout: 10 * time.Second}
	dg.Identify.Intents = discordgo.IntentsGuilds | discordgo.IntentsGuildMessages | discordgo.IntentsDirectMessages | discordgo.IntentGuildModeration
	return dg
}

// startBot starts a fake with the test guild and a session connected to it,
// with the test commands registered globally.
//
// discordgo's Close writes a close frame and then sleeps for a second, so
// tests that do not exercise reconnection turn reconnecting off and simply
// close the fake: the session notices, closes itself in the background and
// stays down.
func startBot(t *testing.T, opts discordsim.Options) *bot {
	t.Helper()
	return start(t, opts, false)
}

// startReconnectingBot is startBot for a session that reconnects and
// resumes, as the real bot does.
func startReconnectingBot(t *testing.T, opts discordsim.Options) *bot {
	t.Helper()
	return start(t, opts, true)
}

func start(t *testing.T, opts discordsim.Options, reconnect bool) *bot {
	t.Helper()
	t.Parallel()
	fake := discordsim.New(opts)
	t.Cleanup(fake.Close)
	fake.AddGuild(testGuild())

	b := &bot{fake: fake, dg: newSession(fake, fake.Token()), handlers: map[string]func(*discordgo.Session, *discordgo.Interaction){}}
	b.dg.ShouldReconnectOnError = reconnect
	b.dg.AddHandler(func(s *discordgo.Session, ic *discordgo.InteractionCreate) {
		b.mu.Lock()
		h := b.handlers[handlerKey(ic.Interaction)]
		b.mu.Unlock()
		if h != nil {
			h(s, ic.Interaction)
		}
	})
	if err := b.dg.Open(); err != nil {
		t.Fatalf("Open: %v", err)
	}
	if reconnect {
		t.Cleanup(func() { _ = b.dg.Close() })
	}
	if _, err := b.dg.ApplicationCommandBulkOverwrite(fake.AppID(), "", testCommands); err != nil {
		t.Fatalf("registering commands: %v", err)
	}
	return b
}

// handlerKey routes interactions to test handlers. It type-asserts with ok
// because discordgo hands a half-decoded interaction (nil Data) to handlers
// when the payload does not decode.
func handlerKey(i *discordgo.Interaction) string {
	if i == nil {
		return ""
	}
	switch d := i.Data.(type) {
	case discordgo.ApplicationCommandInteractionData:
		if i.Type == discordgo.InteractionApplicationCommandAutocomplete {
			return "autocomplete:" + d.Name
		}
		return d.Name
	case discordgo.MessageComponentInteractionData:
		return d.CustomID
	case discordgo.ModalSubmitInteractionData:
		return d.CustomID
	}
	return ""
}

func (b *bot) on(key string, h func(*discordgo.Session, *discordgo.Interaction)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.handlers[key] = h
}

// check records an error returned to the bot, for later assertions.
func (b *bot) check(err error) {
	if err != nil {
		b.mu.Lock()
		b.errs = append(b.errs, err)
		b.mu.Unlock()
	}
}

func (b *bot) errors() []error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]error(nil), b.errs...)
}

func respond(s *discordgo.Session, i *discordgo.Interaction, content string, flags discordgo.MessageFlags) error {
	return s.InteractionRespond(i, &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Content: content, Flags: flags},
	})
}

func restCode(err error) (int, int) {
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Message != nil {
		return re.Response.StatusCode, re.Message.Code
	}
	return 0, 0
}

func TestOpenReceivesReadyAndGuilds(t *testing.T) {
	b := startBot(t, discordsim.Options{})
	if got := b.dg.State.User.ID; got != b.fake.BotUserID() {
		t.Errorf("READY user = %s, want the bot %s", got, b.fake.BotUserID())
	}
	b.fake.WaitReady(t, 5*time.Second)
	if !b.fake.Connected() {
		t.Error("Connected() = false after READY")
	}
	ids := b.fake.Identifies()
	if len(ids) != 1 || ids[0].Intents&discordsim.PrivilegedIntents != 0 || ids[0].Token != "Bot "+b.fake.Token() {
		t.Errorf("identifies = %+v", ids)
	}
	// READY lists the guild as unavailable; GUILD_CREATE follows with the
	// details. Wait for the session state to have them.
	deadline := time.Now().Add(5 * time.Second)
	for {
		g, err := b.dg.State.Guild(guildID)
		b.dg.State.RLock()
		ready := err == nil && !g.Unavailable
		if ready && (len(g.Channels) != 2 || len(g.Roles) != 4 || g.MemberCount != 5 || len(g.Members) != 1) {
			t.Errorf("guild from GUILD_CREATE: %d channels, %d roles, %d members (%d listed)", len(g.Channels), len(g.Roles), g.MemberCount, len(g.Members))
		}
		b.dg.State.RUnlock()
		if ready {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("GUILD_CREATE never reached the session state")
		}
		time.Sleep(10 * time.Millisecond)
	}

	// A guild added while connected is dispatched too.
	added := make(chan string, 1)
	b.dg.AddHandler(func(_ *discordgo.Session, g *discordgo.GuildCreate) {
		if g.ID == "200000000000000001" {
			added <- g.Name
		}
	})
	b.fake.AddGuild(discordsim.Guild{ID: "200000000000000001", Name: "Second"})
	select {
	case name := <-added:
		if name != "Second" {
			t.Errorf("GUILD_CREATE name = %q", name)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no GUILD_CREATE for a guild added while connected")
	}
}

func TestCommandsRegistered(t *testing.T) {
	b := startBot(t, discordsim.Options{})
	cmds := b.fake.Commands("")
	if len(cmds) != len(testCommands) || b.fake.CommandWrites() != 1 {
		t.Fatalf("registered %d commands with %d writes", len(cmds), b.fake.CommandWrites())
	}
	first := cmds[0].ID
	// Overwriting keeps the ids of commands that keep their names.
	again, err := b.dg.ApplicationCommandBulkOverwrite(b.fake.AppID(), "", testCommands)
	if err != nil || again[0].ID != first || again[0].ApplicationID != b.fake.AppID() {
		t.Fatalf("second overwrite: %v, id %s (was %s)", err, again[0].ID, first)
	}
	// Invalid commands are refused like Discord does.
	_, err = b.dg.ApplicationCommandCreate(b.fake.AppID(), guildID, &discordgo.ApplicationCommand{Name: "Bad Name", Description: "x"})
	if status, code := restCode(err); status != 400 || code != 50035 {
		t.Errorf("invalid command: status %d code %d (%v)", status, code, err)
	}
}

func TestInteractImmediateReply(t *testing.T) {
	b := startBot(t, discordsim.Options{})
	var got *discordgo.Interaction
	b.on("checkin", func(s *discordgo.Session, i *discordgo.Interaction) {
		got = i
		d := i.ApplicationCommandData()
		text := fmt.Sprintf("mood=%d note=%q share=%v", d.GetOption("mood").IntValue(), d.GetOption("note").StringValue(), d.GetOption("share").BoolValue())
		b.check(respond(s, i, text, discordgo.MessageFlagsEphemeral))
	})
	r := b.fake.Interact(t, guildID, aliceID, `/checkin mood:good note:"slept well" share:true`)
	if r.Type != discordgo.InteractionResponseChannelMessageWithSource || r.Deferred {
		t.Errorf("reply type %d deferred %v", r.Type, r.Deferred)
	}
	if r.Text() != `mood=4 note="slept well" share=true` || !r.Ephemeral() {
		t.Errorf("reply %q ephemeral=%v", r.Text(), r.Ephemeral())
	}
	if r.Latency <= 0 || r.Message == nil || r.Message.Content != r.Data.Content {
		t.Errorf("latency %v, original %+v", r.Latency, r.Message)
	}
	// The payload looked like Discord's.
	if got.Member == nil || got.Member.User.ID != aliceID || got.GuildID != guildID || got.ChannelID != generalID ||
		got.Version != 1 || got.AppID != b.fake.AppID() || got.Locale != discordgo.EnglishUS ||
		got.Member.Permissions != b.fake.Permissions(guildID, aliceID) || got.AppPermissions&discordgo.PermissionManageRoles == 0 {
		t.Errorf("interaction as received: %+v member %+v", got, got.Member)
	}
	if d := got.ApplicationCommandData(); d.ID != b.fake.Commands("")[1].ID {
		t.Errorf("data.id = %s, want the registered command id", d.ID)
	}
	if len(b.errors()) > 0 {
		t.Errorf("bot errors: %v", b.errors())
	}
}

func TestInteractResolvesOptions(t *testing.T) {
	b := startBot(t, discordsim.Options{})
	var mu sync.Mutex
	var got []*discordgo.Interaction
	record := func(s *discordgo.Session, i *discordgo.Interaction) {
		mu.Lock()
		got = append(got, i)
		mu.Unlock()
		b.check(respond(s, i, "ok", 0))
	}
	b.on("kindred", record)
	b.on("warn", record)
	b.on("resources", record)

	b.fake.Interact(t, guildID, modID, "/kindred setup moderator_role:<@&"+modRoleID+"> modlog_channel:<#"+modlogID+">")
	b.fake.Interact(t, guildID, modID, `/warn user:<@`+bobID+`> reason:"spam, twice"`)
	b.fake.Interact(t, "", aliceID, "/resources")

	setup := got[0].ApplicationCommandData()
	sub := setup.Options[0]
	if sub.Name != "setup" || sub.Type != discordgo.ApplicationCommandOptionSubCommand ||
		sub.GetOption("moderator_role").RoleValue(nil, "").ID != modRoleID ||
		sub.GetOption("modlog_channel").ChannelValue(nil).ID != modlogID {
		t.Errorf("setup options: %+v", sub)
	}
	if setup.Resolved.Roles[modRoleID].Name != "Moderator" || setup.Resolved.Channels[modlogID].Name != "mod-log" {
		t.Errorf("setup resolved: %+v", setup.Resolved)
	}
	warn := got[1].ApplicationCommandData()
	if warn.GetOption("user").UserValue(nil).ID != bobID || warn.GetOption("reason").StringValue() != "spam, twice" ||
		warn.Resolved.Users[bobID].Username != "bob" || warn.Resolved.Members[bobID] == nil {
		t.Errorf("warn: %+v resolved %+v", warn.Options, warn.Resolved)
	}
	dm := got[2]
	if dm.GuildID != "" || dm.Member != nil || dm.User == nil || dm.User.ID != aliceID || dm.ChannelID != b.fake.DMChannelID(aliceID) {
		t.Errorf("DM interaction: guild %q member %v user %v channel %s", dm.GuildID, dm.Member, dm.User, dm.ChannelID)
	}

	// Mistakes in the command line are reported, not sent.
	for _, bad := range []string{"/nope", "/checkin", "/checkin mood:9", "/preferences", "/warn user:<@1> reason:x", "/checkin mood:4 colour:red"} {
		if _, err := b.fake.BuildCommand(guildID, aliceID, bad); err == nil {
			t.Errorf("BuildCommand(%q) succeeded", bad)
		}
	}
}

func TestDeferredReplyWithEdit(t *testing.T) {
	b := startBot(t, discordsim.Options{})
	b.on("resources", func(s *discordgo.Session, i *discordgo.Interaction) {
		b.check(s.InteractionRespond(i, &discordgo.InteractionResponse{
			Type: discordgo.InteractionResponseDeferredChannelMessageWithSource,
			Data: &discordgo.InteractionResponseData{Flags: discordgo.MessageFlagsEphemeral},
		}))
		time.Sleep(50 * time.Millisecond)
		_, err := s.InteractionResponseEdit(i, &discordgo.WebhookEdit{
			Content: ptr("Here you go"),
			Embeds:  &[]*discordgo.MessageEmbed{{Title: "Crisis lines", Fields: []*discordgo.MessageEmbedField{{Name: "EU", Value: "112"}}}},
			Components: &[]discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
				discordgo.Button{Label: "More", CustomID: "more"},
			}}},
		})
		b.check(err)
	})
	r := b.fake.Interact(t, guildID, aliceID, "/resources")
	if !r.Deferred || r.Type != discordgo.InteractionResponseDeferredChannelMessageWithSource || !r.Ephemeral() {
		t.Errorf("reply type %d deferred %v ephemeral %v", r.Type, r.Deferred, r.Ephemeral())
	}
	if want := "Here you go\nCrisis lines\nEU\n112"; r.Text() != want {
		t.Errorf("Text() = %q, want %q", r.Text(), want)
	}
	if bs := r.Buttons(); len(bs) != 1 || bs[0].CustomID != "more" {
		t.Errorf("buttons %+v", bs)
	}
	if r.Message == nil || r.Message.Flags&discordgo.MessageFlagsLoading != 0 || len(r.Message.Components) != 1 {
		t.Errorf("@original: %+v", r.Message)
	}
}

func TestAutocomplete(t *testing.T) {
	b := startBot(t, discordsim.Options{})
	b.on("autocomplete:preferences", func(s *discordgo.Session, i *discordgo.Interaction) {
		opt := i.ApplicationCommandData().Options[0].Options[0]
		var choices []*discordgo.ApplicationCommandOptionChoice
		for _, z := range []string{"Europe/Berlin", "Europe/Bern", "America/New_York"} {
			if opt.Focused && strings.HasPrefix(z, opt.StringValue()) {
				choices = append(choices, &discordgo.ApplicationCommandOptionChoice{Name: z, Value: z})
			}
		}
		b.check(s.InteractionRespond(i, &discordgo.InteractionResponse{
			Type: discordgo.InteractionApplicationCommandAutocompleteResult,
			Data: &discordgo.InteractionResponseData{Choices: choices},
		}))
	})
	choices := b.fake.Autocomplete(t, guildID, aliceID, "/preferences timezone zone:Europe/Ber")
	if len(choices) != 2 || choices[0].Value != "Europe/Berlin" || choices[1].Name != "Europe/Bern" {
		t.Errorf("choices = %+v", choices)
	}
}

func TestSecondCallbackIsRejected(t *testing.T) {
	b := startBot(t, discordsim.Options{})
	second := make(chan error, 1)
	b.on("resources", func(s *discordgo.Session, i *discordgo.Interaction) {
		b.check(respond(s, i, "first", 0))
		second <- respond(s, i, "second", 0)
	})
	i, err := b.fake.BuildCommand(guildID, aliceID, "/resources")
	if err != nil {
		t.Fatal(err)
	}
	p, err := b.fake.Start(i)
	if err != nil {
		t.Fatal(err)
	}
	r, err := p.Wait(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if r.Text() != "first" {
		t.Errorf("reply %q", r.Text())
	}
	if status, code := restCode(<-second); status != 400 || code != 40060 {
		t.Errorf("second callback: status %d code %d", status, code)
	}
	if n := p.Callbacks(); n != 2 {
		t.Errorf("Callbacks() = %d, want 2: the refused one counts too", n)
	}
}

func TestLateCallbackIsUnknown(t *testing.T) {
	b := startBot(t, discordsim.Options{InteractionDeadline: 150 * time.Millisecond})
	late := make(chan error, 1)
	b.on("resources", func(s *discordgo.Session, i *discordgo.Interaction) {
		time.Sleep(300 * time.Millisecond)
		late <- respond(s, i, "too late", 0)
	})
	b.fake.WaitReady(t, 5*time.Second)
	i, err := b.fake.BuildCommand(guildID, aliceID, "/resources")
	if err != nil {
		t.Fatal(err)
	}
	p, err := b.fake.Start(i)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Wait(5 * time.Second); err == nil || !strings.Contains(err.Error(), "deadline") {
		t.Errorf("Wait error = %v, want a missed deadline", err)
	}
	if status, code := restCode(<-late); status != 404 || code != 10062 {
		t.Errorf("late callback: status %d code %d", status, code)
	}
}

func TestReconnectResumes(t *testing.T) {
	b := startReconnectingBot(t, discordsim.Options{})
	b.on("resources", func(s *discordgo.Session, i *discordgo.Interaction) { b.check(respond(s, i, "still here", 0)) })
	resumed := make(chan struct{}, 1)
	b.dg.AddHandler(func(*discordgo.Session, *discordgo.Resumed) { resumed <- struct{}{} })

	b.fake.Reconnect()
	select {
	case <-resumed:
	case <-time.After(8 * time.Second):
		t.Fatal("no RESUMED after op 7")
	}
	if b.fake.Resumes() != 1 || len(b.fake.Identifies()) != 1 {
		t.Errorf("resumes %d, identifies %d", b.fake.Resumes(), len(b.fake.Identifies()))
	}
	if r := b.fake.Interact(t, guildID, aliceID, "/resources"); r.Text() != "still here" {
		t.Errorf("after resume: %q", r.Text())
	}
}

func TestDroppedConnectionResumes(t *testing.T) {
	b := startReconnectingBot(t, discordsim.Options{})
	b.on("resources", func(s *discordgo.Session, i *discordgo.Interaction) { b.check(respond(s, i, "back", 0)) })
	b.fake.DropConnection()
	if r := b.fake.Interact(t, guildID, aliceID, "/resources"); r.Text() != "back" {
		t.Errorf("after drop: %q", r.Text())
	}
	if b.fake.Resumes() != 1 {
		t.Errorf("resumes = %d", b.fake.Resumes())
	}
}

func TestInvalidSessionIdentifiesAgain(t *testing.T) {
	b := startBot(t, discordsim.Options{})
	b.on("resources", func(s *discordgo.Session, i *discordgo.Interaction) { b.check(respond(s, i, "hello again", 0)) })
	b.fake.InvalidateSession()
	b.fake.WaitReady(t, 5*time.Second)
	if n := len(b.fake.Identifies()); n != 2 {
		t.Errorf("identifies = %d, want 2", n)
	}
	if r := b.fake.Interact(t, guildID, aliceID, "/resources"); r.Text() != "hello again" {
		t.Errorf("after op 9: %q", r.Text())
	}
}

// A new session's GUILD_CREATEs carry each guild's own active threads
// and no other guild's.
func TestGuildCreateCarriesItsThreads(t *testing.T) {
	t.Parallel()
	fake := discordsim.New(discordsim.Options{})
	t.Cleanup(fake.Close)
	fake.AddGuild(testGuild())
	dg := newSession(fake, fake.Token())
	dg.ShouldReconnectOnError = false
	// Handled in the order they were sent, so each GUILD_CREATE below is
	// known to come from the step that sent it.
	dg.SyncEvents = true
	events := make(chan *discordgo.Guild, 8)
	dg.AddHandler(func(_ *discordgo.Session, g *discordgo.GuildCreate) { events <- g.Guild })
	if err := dg.Open(); err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { dg.Close() })
	next := func(step string) *discordgo.Guild {
		t.Helper()
		select {
		case g := <-events:
			return g
		case <-time.After(5 * time.Second):
			t.Fatalf("no GUILD_CREATE after %s", step)
		}
		return nil
	}
	if g := next("identifying"); g.ID != guildID {
		t.Fatalf("first GUILD_CREATE is for %s", g.ID)
	}
	th, err := dg.ThreadStartComplex(generalID, &discordgo.ThreadStart{Name: "Meeting 1", AutoArchiveDuration: 1440, Type: discordgo.ChannelTypeGuildPrivateThread})
	if err != nil {
		t.Fatal(err)
	}
	const otherID = "200000000000000001"
	fake.AddGuild(discordsim.Guild{ID: otherID, Name: "Second"})
	if g := next("adding a server"); g.ID != otherID {
		t.Fatalf("GUILD_CREATE for %s, want the added %s", g.ID, otherID)
	}

	fake.InvalidateSession()
	got := map[string][]string{}
	for len(got) < 2 {
		g := next("identifying again")
		ids := []string{}
		for _, c := range g.Threads {
			ids = append(ids, c.ID)
		}
		got[g.ID] = ids
	}
	if !slices.Equal(got[guildID], []string{th.ID}) || len(got[otherID]) != 0 {
		t.Errorf("threads by guild %v, want only %s in %s", got, th.ID, guildID)
	}
}

func TestWrongTokenIsUnauthorized(t *testing.T) {
	t.Parallel()
	fake := discordsim.New(discordsim.Options{})
	defer fake.Close()
	dg := newSession(fake, "not-the-token")
	_, err := dg.User("@me")
	if status, _ := restCode(err); status != http.StatusUnauthorized {
		t.Errorf("GET /users/@me with a wrong token: %v", err)
	}
	reqs := fake.Requests()
	if len(reqs) != 1 || reqs[0].Status != 401 || reqs[0].Path != "/api/v9/users/@me" {
		t.Errorf("recorded %+v", reqs)
	}
	// GET /gateway needs no token, but IDENTIFY does.
	err = dg.Open()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != 4004 {
		t.Errorf("Open with a wrong token: %v", err)
	}
}

// A bot that never opens the gateway learns its application id over REST.
func TestCurrentApplication(t *testing.T) {
	t.Parallel()
	fake := discordsim.New(discordsim.Options{})
	defer fake.Close()
	app, err := newSession(fake, fake.Token()).Application("@me")
	if err != nil {
		t.Fatal(err)
	}
	if app.ID != fake.AppID() || app.VerifyKey != fake.InteractionsPublicKey() || app.Name == "" {
		t.Errorf("GET /oauth2/applications/@me = %+v", app)
	}
	if _, err := newSession(fake, "not-the-token").Application("@me"); err == nil {
		t.Error("GET /oauth2/applications/@me with a wrong token succeeded")
	}
	if len(fake.IdentifyLog()) != 0 || fake.Connected() {
		t.Error("REST alone connected to the gateway")
	}
}

func TestPrivilegedIntentsAreRefused(t *testing.T) {
	t.Parallel()
	fake := discordsim.New(discordsim.Options{})
	defer fake.Close()
	dg := newSession(fake, fake.Token())
	dg.Identify.Intents |= discordgo.IntentMessageContent
	err := dg.Open()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != 4014 {
		t.Errorf("Open with MESSAGE_CONTENT: %v", err)
	}
	if fake.Connected() {
		t.Error("connected despite disallowed intents")
	}
}

func TestDirectMessages(t *testing.T) {
	b := startBot(t, discordsim.Options{})
	ch, err := b.dg.UserChannelCreate(aliceID)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := b.dg.UserChannelCreate(aliceID)
	if ch.Type != discordgo.ChannelTypeDM || again.ID != ch.ID || b.fake.DMChannelID(aliceID) != ch.ID {
		t.Fatalf("DM channel %+v, again %s", ch, again.ID)
	}
	if _, err := b.dg.ChannelMessageSend(ch.ID, "Time for your check-in!"); err != nil {
		t.Fatal(err)
	}
	m := b.fake.WaitMessage(t, ch.ID, 5*time.Second)
	if m.Content != "Time for your check-in!" || m.Author.ID != b.fake.BotUserID() {
		t.Errorf("DM message %+v", m)
	}
	if _, err := b.dg.ChannelMessageEdit(ch.ID, m.ID, "edited"); err != nil {
		t.Fatal(err)
	}
	if msgs := b.fake.Messages(ch.ID); len(msgs) != 1 || msgs[0].Content != "edited" || msgs[0].EditedTimestamp == nil {
		t.Errorf("messages after edit: %+v", msgs)
	}

	b.fake.BlockDMs(bobID)
	bobDM, _ := b.dg.UserChannelCreate(bobID)
	_, err = b.dg.ChannelMessageSend(bobDM.ID, "hi")
	if status, code := restCode(err); status != 403 || code != 50007 {
		t.Errorf("DM to a user with closed DMs: %d %d", status, code)
	}
	_, err = b.dg.ChannelMessageSend("999", "hi")
	if status, code := restCode(err); status != 404 || code != 10003 {
		t.Errorf("unknown channel: %d %d", status, code)
	}
}

// A bot can only message users it shares a server with: anyone else gets
// 403 50278, even though the DM channel opens.
func TestDirectMessagesNeedAMutualGuild(t *testing.T) {
	b := startBot(t, discordsim.Options{})
	const strangerID = "100000000000000039"
	b.fake.AddUser(discordsim.User{ID: strangerID, Username: "stranger"})
	ch, err := b.dg.UserChannelCreate(strangerID)
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.dg.ChannelMessageSend(ch.ID, "hi")
	if status, code := restCode(err); status != 403 || code != 50278 {
		t.Errorf("DM to a user in no server with the bot: %d %d (%v)", status, code, err)
	}

	b.fake.AddMember(guildID, discordsim.Member{User: discordsim.User{ID: strangerID}})
	if _, err := b.dg.ChannelMessageSend(ch.ID, "welcome"); err != nil {
		t.Fatalf("DM once they joined: %v", err)
	}
	if err := b.dg.GuildMemberDelete(guildID, strangerID); err != nil {
		t.Fatal(err)
	}
	_, err = b.dg.ChannelMessageSend(ch.ID, "still there?")
	if status, code := restCode(err); status != 403 || code != 50278 {
		t.Errorf("DM after they were kicked: %d %d (%v)", status, code, err)
	}
}

func TestMultipartCallback(t *testing.T) {
	b := startBot(t, discordsim.Options{})
	b.on("resources", func(s *discordgo.Session, i *discordgo.Interaction) {
		b.check(s.InteractionRespond(i, &discordgo.InteractionResponse{
			Type: discordgo.InteractionResponseChannelMessageWithSource,
			Data: &discordgo.InteractionResponseData{
				Content: "Your export",
				Files:   []*discordgo.File{{Name: "checkins.csv", ContentType: "text/csv", Reader: strings.NewReader("day,mood\n1,4\n")}},
			},
		}))
	})
	r := b.fake.Interact(t, guildID, aliceID, "/resources")
	if len(r.Files) != 1 || r.Files[0].Name != "checkins.csv" || r.Files[0].ContentType != "text/csv" || string(r.Files[0].Data) != "day,mood\n1,4\n" {
		t.Fatalf("files = %+v", r.Files)
	}
	if r.Text() != "Your export" || r.Message == nil || len(r.Message.Attachments) != 1 || r.Message.Attachments[0].Filename != "checkins.csv" {
		t.Errorf("reply %q, original %+v", r.Text(), r.Message)
	}
}

func TestComponentsModalsAndContextMenus(t *testing.T) {
	b := startBot(t, discordsim.Options{})
	b.on("resources", func(s *discordgo.Session, i *discordgo.Interaction) {
		b.check(s.InteractionRespond(i, &discordgo.InteractionResponse{
			Type: discordgo.InteractionResponseChannelMessageWithSource,
			Data: &discordgo.InteractionResponseData{Content: "Pick one", Components: []discordgo.MessageComponent{
				discordgo.ActionsRow{Components: []discordgo.MessageComponent{
					discordgo.Button{Label: "Talk", CustomID: "talk"},
					discordgo.Button{Label: "Gone", CustomID: "gone", Disabled: true},
				}},
			}},
		}))
	})
	b.on("talk", func(s *discordgo.Session, i *discordgo.Interaction) {
		b.check(s.InteractionRespond(i, &discordgo.InteractionResponse{
			Type: discordgo.InteractionResponseModal,
			Data: &discordgo.InteractionResponseData{CustomID: "talk-modal", Title: "Talk to us", Components: []discordgo.MessageComponent{
				discordgo.ActionsRow{Components: []discordgo.MessageComponent{
					discordgo.TextInput{CustomID: "topic", Label: "Topic", Style: discordgo.TextInputShort, Required: true},
				}},
				discordgo.ActionsRow{Components: []discordgo.MessageComponent{
					discordgo.TextInput{CustomID: "details", Label: "Details", Style: discordgo.TextInputParagraph},
				}},
			}},
		}))
	})
	b.on("talk-modal", func(s *discordgo.Session, i *discordgo.Interaction) {
		d := i.ModalSubmitData()
		topic := d.Components[0].(*discordgo.ActionsRow).Components[0].(*discordgo.TextInput).Value
		b.check(s.InteractionRespond(i, &discordgo.InteractionResponse{
			Type: discordgo.InteractionResponseUpdateMessage,
			Data: &discordgo.InteractionResponseData{Content: "Thanks, noted: " + topic, Components: []discordgo.MessageComponent{}},
		}))
	})
	b.on("Report message", func(s *discordgo.Session, i *discordgo.Interaction) {
		d := i.ApplicationCommandData()
		b.check(respond(s, i, "Reported: "+d.Resolved.Messages[d.TargetID].Content, discordgo.MessageFlagsEphemeral))
	})

	menu := b.fake.Interact(t, guildID, aliceID, "/resources")
	modal := b.fake.Click(t, guildID, aliceID, "talk", menu.Message)
	if modal.Type != discordgo.InteractionResponseModal || len(modal.TextInputs()) != 2 {
		t.Fatalf("click reply type %d inputs %+v", modal.Type, modal.TextInputs())
	}
	done := b.fake.SubmitModal(t, guildID, aliceID, "talk-modal", map[string]string{"topic": "sleep"})
	if done.Type != discordgo.InteractionResponseUpdateMessage || done.Text() != "Thanks, noted: sleep" || done.Message.ID != menu.Message.ID {
		t.Errorf("modal reply type %d %q", done.Type, done.Text())
	}
	if _, err := b.fake.BuildComponent(guildID, aliceID, "gone", nil, menu.Message); err == nil {
		t.Error("clicking a disabled button was allowed")
	}
	if _, err := b.fake.BuildModalSubmit(guildID, aliceID, "talk-modal", map[string]string{"details": "no topic"}); err == nil {
		t.Error("a modal without its required input was submitted")
	}

	target := b.fake.UserMessage(generalID, bobID, "something unkind")
	r := b.fake.MessageCommand(t, guildID, modID, "Report message", target)
	if r.Text() != "Reported: something unkind" || !r.Ephemeral() {
		t.Errorf("message command reply %q", r.Text())
	}
}

func TestModeration(t *testing.T) {
	b := startBot(t, discordsim.Options{})
	if err := b.dg.GuildMemberRoleAdd(guildID, aliceID, modRoleID); err != nil {
		t.Fatalf("adding a role below the bot: %v", err)
	}
	if m := b.fake.Member(guildID, aliceID); len(m.Roles) != 1 || m.Roles[0] != modRoleID {
		t.Errorf("alice's roles = %v", m.Roles)
	}
	if b.fake.Permissions(guildID, aliceID)&discordgo.PermissionModerateMembers == 0 {
		t.Error("the moderator role's permissions do not count")
	}
	err := b.dg.GuildMemberRoleAdd(guildID, aliceID, highRole)
	if status, code := restCode(err); status != 403 || code != 50013 {
		t.Errorf("adding a role above the bot: %d %d", status, code)
	}

	until := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	if err := b.dg.GuildMemberTimeout(guildID, bobID, &until, discordgo.WithAuditLogReason("cool down")); err != nil {
		t.Fatal(err)
	}
	if m := b.fake.Member(guildID, bobID); m.CommunicationDisabledUntil == nil || !m.CommunicationDisabledUntil.Equal(until) {
		t.Errorf("timeout = %v, want %v", m.CommunicationDisabledUntil, until)
	}
	req := b.fake.WaitRequest(t, time.Second, func(r discordsim.Request) bool {
		return r.Method == "PATCH" && r.Path == "/api/v9/guilds/"+guildID+"/members/"+bobID
	})
	if req.Header.Get("X-Audit-Log-Reason") != "cool down" || req.Status != 200 {
		t.Errorf("timeout request %v with headers %v", req, req.Header)
	}
	if err := b.dg.GuildMemberTimeout(guildID, bobID, nil); err != nil {
		t.Fatal(err)
	}
	if m := b.fake.Member(guildID, bobID); m.CommunicationDisabledUntil != nil {
		t.Errorf("timeout not lifted: %v", m.CommunicationDisabledUntil)
	}

	if err := b.dg.GuildBanCreateWithReason(guildID, bobID, "spam", 0); err != nil {
		t.Fatal(err)
	}
	if ban := b.fake.Ban(guildID, bobID); ban == nil || ban.Reason != "spam" || b.fake.Member(guildID, bobID) != nil {
		t.Errorf("ban %+v", ban)
	}
	if err := b.dg.GuildMemberDelete(guildID, modID); err != nil {
		t.Fatal(err)
	}
	if b.fake.Member(guildID, modID) != nil {
		t.Error("kicked member still there")
	}
}

func TestThreads(t *testing.T) {
	b := startBot(t, discordsim.Options{})
	th, err := b.dg.ThreadStartComplex(generalID, &discordgo.ThreadStart{Name: "Meeting 1", AutoArchiveDuration: 1440, Type: discordgo.ChannelTypeGuildPrivateThread})
	if err != nil {
		t.Fatal(err)
	}
	if th.Type != discordgo.ChannelTypeGuildPrivateThread || th.ParentID != generalID || th.GuildID != guildID {
		t.Errorf("thread %+v", th)
	}
	if err := b.dg.ThreadMemberAdd(th.ID, aliceID); err != nil {
		t.Fatal(err)
	}
	if got := b.fake.ThreadMembers(th.ID); len(got) != 2 || got[1] != aliceID {
		t.Errorf("thread members %v", got)
	}
	if _, err := b.dg.ChannelMessageSend(th.ID, "Welcome"); err != nil {
		t.Fatal(err)
	}
	if m := b.fake.WaitMessage(t, th.ID, time.Second); m.Content != "Welcome" {
		t.Errorf("thread message %q", m.Content)
	}
	if threads := b.fake.Threads(generalID); len(threads) != 1 || threads[0].Name != "Meeting 1" {
		t.Errorf("threads %+v", threads)
	}
}

func TestFaultsAndUnknownRoutes(t *testing.T) {
	b := startBot(t, discordsim.Options{})
	b.fake.FailNext("POST", "/channels/"+generalID+"/messages", 500, 0, "500: Internal Server Error")
	_, err := b.dg.ChannelMessageSend(generalID, "hello")
	if status, _ := restCode(err); status != 500 {
		t.Errorf("injected failure: %v", err)
	}
	if _, err := b.dg.ChannelMessageSend(generalID, "hello"); err != nil {
		t.Errorf("the fault applied twice: %v", err)
	}
	// A 429 carries retry_after, so discordgo retries on its own.
	b.fake.FailNext("POST", "/channels/", 429, 0, "You are being rate limited.")
	if _, err := b.dg.ChannelMessageSend(generalID, "again"); err != nil {
		t.Errorf("after a 429: %v", err)
	}
	if n := len(b.fake.Messages(generalID)); n != 2 {
		t.Errorf("%d messages posted, want 2", n)
	}

	_, err = b.dg.GuildEmojis(guildID)
	if status, code := restCode(err); status != 404 || code != 0 {
		t.Errorf("unknown route: %v", err)
	}
	b.fake.WaitRequest(t, time.Second, func(r discordsim.Request) bool {
		return r.Path == "/api/v9/guilds/"+guildID+"/emojis" && r.Status == 404
	})

	// A malformed dispatch must not break the session.
	b.fake.DispatchRaw("INTERACTION_CREATE", json.RawMessage(`{"type":2,"data":"nonsense"}`))
	b.on("resources", func(s *discordgo.Session, i *discordgo.Interaction) { b.check(respond(s, i, "fine", 0)) })
	if r := b.fake.Interact(t, guildID, aliceID, "/resources"); r.Text() != "fine" {
		t.Errorf("after a malformed dispatch: %q", r.Text())
	}
}

func TestDeferredFollowupsSelectsAndThreads(t *testing.T) {
	b := startBot(t, discordsim.Options{})
	b.on("checkin", func(s *discordgo.Session, i *discordgo.Interaction) {
		b.check(s.InteractionRespond(i, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource}))
		b.check(s.InteractionResponseDelete(i))
		_, err := s.FollowupMessageCreate(i, true, &discordgo.WebhookParams{
			Content: "Saved privately",
			Flags:   discordgo.MessageFlagsEphemeral,
			Components: []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
				discordgo.SelectMenu{CustomID: "mood-select", Options: []discordgo.SelectMenuOption{{Label: "Good", Value: "good"}, {Label: "Bad", Value: "bad"}}},
			}}},
		})
		b.check(err)
	})
	b.on("mood-select", func(s *discordgo.Session, i *discordgo.Interaction) {
		b.check(s.InteractionRespond(i, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredMessageUpdate}))
		b.check(s.InteractionResponseDelete(i))
	})
	b.on("resources", func(s *discordgo.Session, i *discordgo.Interaction) {
		b.check(respond(s, i, "from "+i.ChannelID, 0))
	})

	r := b.fake.Interact(t, guildID, aliceID, "/checkin mood:3")
	if !r.Deferred || !r.Deleted || len(r.Followups) != 1 || r.Text() != "Saved privately" ||
		r.Followups[0].Flags&discordgo.MessageFlagsEphemeral == 0 {
		t.Fatalf("deferred reply: deleted %v, followups %+v", r.Deleted, r.Followups)
	}
	picked := b.fake.Select(t, guildID, aliceID, "mood-select", []string{"good"}, r.Followups[0])
	if picked.Type != discordgo.InteractionResponseDeferredMessageUpdate || !picked.Deleted {
		t.Errorf("select reply type %d deleted %v", picked.Type, picked.Deleted)
	}
	if _, err := b.fake.BuildComponent(guildID, aliceID, "mood-select", []string{"meh"}, r.Followups[0]); err == nil {
		t.Error("a value the menu does not offer was accepted")
	}

	th, err := b.dg.ThreadStart(generalID, "Meeting", discordgo.ChannelTypeGuildPublicThread, 60)
	if err != nil {
		t.Fatal(err)
	}
	if r := b.fake.InteractIn(t, th.ID, aliceID, "/resources"); r.Text() != "from "+th.ID {
		t.Errorf("interaction in a thread: %q", r.Text())
	}
}

func TestUnansweredInteractionExplainsItself(t *testing.T) {
	b := startBot(t, discordsim.Options{InteractionDeadline: 200 * time.Millisecond})
	b.on("resources", func(s *discordgo.Session, i *discordgo.Interaction) {
		// An empty message is refused, so the interaction stays unanswered.
		b.check(respond(s, i, "", 0))
	})
	i, err := b.fake.BuildCommand(guildID, aliceID, "/resources")
	if err != nil {
		t.Fatal(err)
	}
	p, err := b.fake.Start(i)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = p.Wait(5 * time.Second)
	if err == nil || time.Since(start) > 2*time.Second {
		t.Fatalf("Wait = %v after %v, want an early failure", err, time.Since(start))
	}
	for _, want := range []string{"interaction deadline", "Cannot send an empty message", "/callback → 400"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("failure lacks %q:\n%v", want, err)
		}
	}
	if errs := b.errors(); len(errs) != 1 {
		t.Errorf("bot errors %v", errs)
	} else if status, code := restCode(errs[0]); status != 400 || code != 50006 {
		t.Errorf("empty message: %d %d", status, code)
	}
}

func TestForgetAnsweredExpiresOnlyAnsweredInteractions(t *testing.T) {
	b := startBot(t, discordsim.Options{})
	release := make(chan struct{})
	b.on("resources", func(s *discordgo.Session, i *discordgo.Interaction) {
		b.check(respond(s, i, "answered", discordgo.MessageFlagsEphemeral))
	})
	b.on("checkin", func(s *discordgo.Session, i *discordgo.Interaction) {
		<-release
		b.check(respond(s, i, "answered late", discordgo.MessageFlagsEphemeral))
	})
	b.fake.WaitReady(t, 5*time.Second)
	answered, err := b.fake.BuildCommand(guildID, aliceID, "/resources")
	if err != nil {
		t.Fatal(err)
	}
	done, err := b.fake.Start(answered)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := done.Wait(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	waiting, err := b.fake.BuildCommand(guildID, bobID, "/checkin mood:3")
	if err != nil {
		t.Fatal(err)
	}
	open, err := b.fake.Start(waiting)
	if err != nil {
		t.Fatal(err)
	}

	b.fake.ForgetAnswered()
	if n := len(b.fake.Requests()); n != 0 {
		t.Errorf("%d requests still logged", n)
	}
	// The answered interaction's token has expired, as Discord's do.
	_, err = b.dg.FollowupMessageCreate(done.Interaction(), true, &discordgo.WebhookParams{Content: "one more thing"})
	if status, code := restCode(err); status != 404 || code != 10015 {
		t.Errorf("followup after forgetting: status %d code %d, want 404 10015", status, code)
	}
	if status, code := restCode(respond(b.dg, done.Interaction(), "again", 0)); status != 404 || code != 10062 {
		t.Errorf("callback after forgetting: status %d code %d, want 404 10062", status, code)
	}
	// The one still waiting for its answer is kept.
	close(release)
	if r, err := open.Wait(5 * time.Second); err != nil || r.Text() != "answered late" {
		t.Errorf("waiting interaction: reply %v, err %v", r, err)
	}
	if errs := b.errors(); len(errs) > 0 {
		t.Errorf("bot errors: %v", errs)
	}
}
