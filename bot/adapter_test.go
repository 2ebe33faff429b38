package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/kindred-bot/kindred/commands"
	"github.com/kindred-bot/kindred/internal/discordsim"
)

const (
	testGuild  = "710000000000000001"
	testMember = "720000000000000001"
)

// probe is a feature whose handlers misbehave on purpose.
type probe struct {
	slow    time.Duration
	started chan struct{} // when set, slow handlers signal here as they begin
}

func (p probe) Register(r *commands.Router) {
	sub := func(name string) *discordgo.ApplicationCommandOption {
		return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionSubCommand, Name: name, Description: "probe " + name}
	}
	r.Define(&discordgo.ApplicationCommand{Name: "probe", Description: "adapter probes", Options: []*discordgo.ApplicationCommandOption{
		sub("ok"), sub("panic"), sub("slow"), sub("fail"), sub("oops"), sub("announce"), sub("announce-slow"), sub("announce-slow-fail"), sub("ping"),
	}})
	ok := func(ctx context.Context, req *commands.Request) (*commands.Response, error) {
		return commands.Ephemeral("fine"), nil
	}
	sleep := func(h commands.Handler) commands.Handler {
		return func(ctx context.Context, req *commands.Request) (*commands.Response, error) {
			if p.started != nil {
				p.started <- struct{}{}
			}
			time.Sleep(p.slow)
			return h(ctx, req)
		}
	}
	public := func(ctx context.Context, req *commands.Request) (*commands.Response, error) {
		return &commands.Response{Content: "hello everyone"}, nil
	}
	fail := func(ctx context.Context, req *commands.Request) (*commands.Response, error) {
		return nil, errors.New("database on fire: secret detail")
	}
	r.Command("probe/ok", ok, commands.Anywhere)
	r.Command("probe/panic", func(ctx context.Context, req *commands.Request) (*commands.Response, error) { panic("boom") }, commands.Anywhere)
	r.Command("probe/slow", sleep(func(ctx context.Context, req *commands.Request) (*commands.Response, error) {
		return commands.Ephemeral("worth the wait"), nil
	}), commands.Anywhere)
	r.Command("probe/fail", fail, commands.Anywhere)
	r.Command("probe/oops", func(ctx context.Context, req *commands.Request) (*commands.Response, error) {
		return nil, commands.UserErrorf("Try `19:00` instead.")
	}, commands.Anywhere)
	r.Command("probe/announce", public, commands.Anywhere, commands.Public)
	r.Command("probe/announce-slow", sleep(public), commands.Anywhere, commands.Public)
	r.Command("probe/announce-slow-fail", sleep(fail), commands.Anywhere, commands.Public)
	r.Command("probe/ping", func(ctx context.Context, req *commands.Request) (*commands.Response, error) {
		return &commands.Response{Content: "@everyone look <@" + testMember + ">"}, nil
	}, commands.Anywhere, commands.Public)
}

func startAdapter(t *testing.T, deferAfter time.Duration, features ...commands.Feature) *discordsim.Server {
	fake, _ := startAdapterWith(t, deferAfter, features...)
	return fake
}

func startAdapterWith(t *testing.T, deferAfter time.Duration, features ...commands.Feature) (*discordsim.Server, *adapter) {
	t.Helper()
	fake := discordsim.New(discordsim.Options{})
	t.Cleanup(fake.Close)
	fake.AddGuild(discordsim.Guild{ID: testGuild, Name: "probe", Members: []discordsim.Member{{User: discordsim.User{ID: testMember, Username: "member"}}}})

	cfg := DefaultConfig()
	cfg.Discord.Token, cfg.Discord.APIURL = fake.Token(), fake.URL()
	session, err := newSession(cfg)
	if err != nil {
		t.Fatal(err)
	}
	log := NewLogger(&testWriter{t}, LogConfig{Level: "debug", Format: "text"})
	router := commands.NewRouter(nil, features...)
	a := newAdapter(context.Background(), router, log, newMetrics(nil))
	a.deferAfter = deferAfter
	session.AddHandler(a.onInteraction)
	if err := session.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { session.Close() })
	if _, err := syncCommands(session, fake.AppID(), "", router.Definitions()); err != nil {
		t.Fatal(err)
	}
	return fake, a
}

// testWriter sends the adapter's log to the test's log.
type testWriter struct{ t *testing.T }

func (w *testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func TestAdapterPanicGetsGenericReplyAndBotKeepsAnswering(t *testing.T) {
	t.Parallel()
	fake := startAdapter(t, time.Second, probe{})
	reply := fake.Interact(t, testGuild, testMember, "/probe panic")
	if !reply.Ephemeral() || reply.Data.Content != genericErrorText {
		t.Errorf("panic reply = %q (ephemeral %v)", reply.Data.Content, reply.Ephemeral())
	}
	if again := fake.Interact(t, testGuild, testMember, "/probe ok"); again.Data.Content != "fine" {
		t.Errorf("after a panic: %q", again.Data.Content)
	}
}

func TestAdapterSlowHandlerIsDeferredThenEdited(t *testing.T) {
	t.Parallel()
	fake := startAdapter(t, 100*time.Millisecond, probe{slow: 400 * time.Millisecond})
	reply := fake.Interact(t, testGuild, testMember, "/probe slow")
	if !reply.Deferred || reply.Type != discordgo.InteractionResponseDeferredChannelMessageWithSource {
		t.Fatalf("slow handler: type %d deferred %v, want a deferral", reply.Type, reply.Deferred)
	}
	if !reply.Ephemeral() {
		t.Error("a private route must defer ephemerally")
	}
	if reply.Data.Content != "worth the wait" {
		t.Errorf("edited content = %q", reply.Data.Content)
	}
	if reply.Latency > 2*time.Second {
		t.Errorf("deferral took %v", reply.Latency)
	}
}

func TestAdapterDefersWithinDiscordsWindowByDefault(t *testing.T) {
	t.Parallel()
	fake := startAdapter(t, 2*time.Second, probe{slow: 2500 * time.Millisecond})
	reply := fake.Interact(t, testGuild, testMember, "/probe slow")
	if !reply.Deferred || reply.Latency >= 3*time.Second {
		t.Fatalf("deferred %v after %v; Discord needs an answer within 3 s", reply.Deferred, reply.Latency)
	}
	if reply.Data.Content != "worth the wait" {
		t.Errorf("edited content = %q", reply.Data.Content)
	}
}

func TestAdapterErrorsAreEphemeralAndHideDetails(t *testing.T) {
	t.Parallel()
	fake := startAdapter(t, time.Second, probe{})
	failed := fake.Interact(t, testGuild, testMember, "/probe fail")
	if !failed.Ephemeral() || failed.Data.Content != genericErrorText || strings.Contains(failed.Text(), "secret") {
		t.Errorf("internal error reply = %q", failed.Text())
	}
	user := fake.Interact(t, testGuild, testMember, "/probe oops")
	if !user.Ephemeral() || user.Data.Content != "Try `19:00` instead." {
		t.Errorf("user error reply = %q", user.Text())
	}
}

func TestAdapterPublicRoutes(t *testing.T) {
	t.Parallel()
	fake := startAdapter(t, 100*time.Millisecond, probe{slow: 300 * time.Millisecond})
	if r := fake.Interact(t, testGuild, testMember, "/probe announce"); r.Ephemeral() || r.Data.Content != "hello everyone" {
		t.Errorf("public reply = %q (ephemeral %v)", r.Data.Content, r.Ephemeral())
	}
	slow := fake.Interact(t, testGuild, testMember, "/probe announce-slow")
	if !slow.Deferred || slow.Ephemeral() || slow.Data.Content != "hello everyone" {
		t.Errorf("slow public reply = %q (deferred %v, ephemeral %v)", slow.Data.Content, slow.Deferred, slow.Ephemeral())
	}
	// A public deferral that ends in an error must not show the error publicly.
	fake.Interact(t, testGuild, testMember, "/probe announce-slow-fail")
	deleted := fake.WaitRequest(t, 5*time.Second, func(r discordsim.Request) bool {
		return r.Method == "DELETE" && strings.HasSuffix(r.Path, "/messages/@original")
	})
	followup := fake.WaitRequest(t, 5*time.Second, func(r discordsim.Request) bool {
		return r.Method == "POST" && strings.HasPrefix(r.Path, "/api/v9/webhooks/")
	})
	if followup.At.Before(deleted.At) {
		t.Error("the public placeholder should be deleted before the private error is sent")
	}
	var params discordgo.WebhookParams
	if err := json.Unmarshal(followup.Body, &params); err != nil {
		t.Fatal(err)
	}
	if params.Flags&discordgo.MessageFlagsEphemeral == 0 || params.Content != genericErrorText {
		t.Errorf("error after a public deferral: %+v, want the generic text, ephemeral", params)
	}
}

func TestAdapterAllowsNoMentionsByDefault(t *testing.T) {
	t.Parallel()
	fake := startAdapter(t, time.Second, probe{})
	r := fake.Interact(t, testGuild, testMember, "/probe ping")
	am := r.Data.AllowedMentions
	if am == nil || len(am.Parse) != 0 || len(am.Users) != 0 || len(am.Roles) != 0 || am.RepliedUser {
		t.Errorf("allowed mentions = %+v, want none", am)
	}
}

// On shutdown, running handlers finish and new interactions are told to
// come back in a minute.
func TestAdapterStopFinishesRunningHandlers(t *testing.T) {
	t.Parallel()
	started := make(chan struct{}, 1)
	fake, a := startAdapterWith(t, 2*time.Second, probe{slow: 500 * time.Millisecond, started: started})
	ic, err := fake.BuildCommand(testGuild, testMember, "/probe slow")
	if err != nil {
		t.Fatal(err)
	}
	running, err := fake.Start(ic)
	if err != nil {
		t.Fatal(err)
	}
	<-started
	if !a.stop(5 * time.Second) {
		t.Fatal("stop did not wait for the running handler")
	}
	reply, err := running.Wait(5 * time.Second)
	if err != nil || reply.Data.Content != "worth the wait" {
		t.Fatalf("running handler's reply = %v, %v", reply, err)
	}
	late := fake.Interact(t, testGuild, testMember, "/probe ok")
	if !late.Ephemeral() || late.Data.Content != stoppingText {
		t.Errorf("interaction after stop = %q", late.Data.Content)
	}
}

// GUILD_MEMBER_REMOVE reaches the member-left function with the server and
// the user; a malformed one, or one arriving while Kindred stops, doesn't,
// and a panic in it doesn't escape to discordgo.
func TestAdapterMemberRemove(t *testing.T) {
	var got [][2]string
	a := newAdapter(context.Background(), commands.NewRouter(nil), NewLogger(&testWriter{t}, LogConfig{Level: "debug", Format: "text"}),
		newMetrics(nil))
	a.memberLeft = func(_ context.Context, guildID, userID string) error {
		if userID == "panics" {
			panic("member left")
		}
		got = append(got, [2]string{guildID, userID})
		return nil
	}
	removed := func(guildID string, u *discordgo.User) *discordgo.GuildMemberRemove {
		return &discordgo.GuildMemberRemove{Member: &discordgo.Member{GuildID: guildID, User: u}}
	}
	a.onMemberRemove(nil, removed(testGuild, &discordgo.User{ID: testMember}))
	a.onMemberRemove(nil, removed(testGuild, nil))
	a.onMemberRemove(nil, removed("", &discordgo.User{ID: testMember}))
	a.onMemberRemove(nil, &discordgo.GuildMemberRemove{})
	a.onMemberRemove(nil, removed(testGuild, &discordgo.User{ID: "panics"}))
	a.stop(time.Second)
	a.onMemberRemove(nil, removed(testGuild, &discordgo.User{ID: "after-stop"}))
	if want := [][2]string{{testGuild, testMember}}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("member-left calls = %v, want %v", got, want)
	}
}
