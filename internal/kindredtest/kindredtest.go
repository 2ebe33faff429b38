// Package kindredtest starts the real Kindred process against
// internal/discordsim, with a small server to act in, for end-to-end
// tests.
package kindredtest

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/kindred-bot/kindred/bot"
	"github.com/kindred-bot/kindred/internal/discordsim"
	"github.com/kindred-bot/kindred/scheduler"
	"github.com/kindred-bot/kindred/storage/storagetest"
)

// The test server's ids.
const (
	GuildID       = "810000000000000001"
	GeneralID     = "810000000000000010" // a text channel
	ModlogID      = "810000000000000011"
	VoiceID       = "810000000000000012"
	ModRoleID     = "810000000000000020"
	FacilitatorID = "810000000000000021"
	OwnerID       = "820000000000000001" // owns the server
	AdminID       = "820000000000000002" // Manage Server through a role
	ModeratorID   = "820000000000000003" // holds the moderator role
	AliceID       = "820000000000000004" // an ordinary member
	BobID         = "820000000000000005" // another ordinary member
	adminRoleID   = "810000000000000022"
)

// Harness is a running Kindred and the fake Discord it talks to.
type Harness struct {
	Fake *discordsim.Server
	// Database is the bot's database; DBPath is its file on SQLite.
	Database storagetest.Database
	DBPath   string
	HTTPAddr string
	// InteractionsURL is the HTTP interactions endpoint's address, when
	// Options.HTTPInteractions is on.
	InteractionsURL string
	Logs            *SyncBuffer
	// Clock is the bot's clock: real time until a test sets it.
	Clock *Clock

	cfg       bot.Config
	cancel    context.CancelFunc
	done      chan error
	scheduler *scheduler.Scheduler
}

// Options adjust the harness; the zero value is the usual setup.
type Options struct {
	Fake discordsim.Options
	// Configure changes the bot's config before it starts.
	Configure func(*bot.Config)
	// Backend is the database engine; the zero value is SQLite.
	Backend storagetest.Backend
	// HTTPInteractions turns on Kindred's HTTP interactions endpoint
	// (InteractionsPath, with the fake's public key) and has the fake
	// deliver every interaction there, signed, instead of over the gateway.
	HTTPInteractions bool
	// Guilds are more servers the fake holds from the start, besides Server().
	Guilds []discordsim.Guild
	// FakeClock puts the fake on the harness Clock too, so the messages it
	// stamps (a member's post, say) move with RunDue. Interaction
	// deadlines stay in real time.
	FakeClock bool
}

// InteractionsPath is where the harness serves interactions over HTTP.
const InteractionsPath = "/interactions"

// Start runs Kindred against a new fake Discord and waits until it serves.
// Both stop when the test ends.
func Start(t testing.TB, opts Options) *Harness {
	t.Helper()
	clock := &Clock{}
	if opts.FakeClock {
		opts.Fake.Now = clock.Now
	}
	fake := discordsim.New(opts.Fake)
	t.Cleanup(fake.Close)
	fake.AddGuild(Server())
	for _, g := range opts.Guilds {
		fake.AddGuild(g)
	}

	cfg := bot.DefaultConfig()
	cfg.Discord.Token = fake.Token()
	cfg.Discord.APIURL = fake.URL()
	backend := opts.Backend
	if backend == (storagetest.Backend{}) {
		backend = storagetest.SQLite
	}
	database := backend.New(t)
	cfg.Database.Path, cfg.Database.URL = database.Path, database.URL
	cfg.HTTP.Listen = "127.0.0.1:0"
	cfg.Log.Level = "debug" // tests read the most a log could ever say
	if opts.HTTPInteractions {
		cfg.Discord.PublicKey = fake.InteractionsPublicKey()
		cfg.HTTP.InteractionsPath = InteractionsPath
	}
	if opts.Configure != nil {
		opts.Configure(&cfg)
	}
	h := &Harness{Fake: fake, Database: database, DBPath: database.Path, Logs: &SyncBuffer{}, Clock: clock, cfg: cfg}
	h.start(t)
	t.Cleanup(func() { h.Stop(t) })
	return h
}

// Server is the fake guild every harness starts with.
func Server() discordsim.Guild {
	return discordsim.Guild{
		ID: GuildID, Name: "Harbour", OwnerID: OwnerID,
		Channels: []discordsim.Channel{
			{ID: GeneralID, Name: "general"},
			{ID: ModlogID, Name: "mod-log"},
			{ID: VoiceID, Name: "Meeting room", Type: discordgo.ChannelTypeGuildVoice},
		},
		Roles: []discordsim.Role{
			{ID: adminRoleID, Name: "Admin", Permissions: discordgo.PermissionManageGuild, Position: 5},
			{ID: ModRoleID, Name: "Moderators", Position: 4},
			{ID: FacilitatorID, Name: "Facilitators", Position: 3},
		},
		Members: []discordsim.Member{
			{User: discordsim.User{ID: OwnerID, Username: "owner"}},
			{User: discordsim.User{ID: AdminID, Username: "admin"}, Roles: []string{adminRoleID}},
			{User: discordsim.User{ID: ModeratorID, Username: "mod"}, Roles: []string{ModRoleID}},
			{User: discordsim.User{ID: AliceID, Username: "alice"}},
			{User: discordsim.User{ID: BobID, Username: "bob"}},
		},
	}
}

func (h *Harness) start(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan string, 1)
	h.cancel, h.done = cancel, make(chan error, 1)
	go func() {
		h.done <- bot.Run(ctx, h.cfg, bot.Options{
			LogOutput:       h.Logs,
			Now:             h.Clock.Now,
			Started:         func(addr string) { started <- addr },
			ManualScheduler: true,
			Scheduler:       func(s *scheduler.Scheduler) { h.scheduler = s },
		})
	}()
	select {
	case h.HTTPAddr = <-started:
		if h.cfg.HTTP.InteractionsPath != "" {
			h.InteractionsURL = "http://" + h.HTTPAddr + h.cfg.HTTP.InteractionsPath
			h.Fake.DeliverOverHTTP(h.InteractionsURL)
		}
	case err := <-h.done:
		t.Fatalf("kindred did not start: %v\nlog:\n%s", err, h.Logs)
	case <-time.After(15 * time.Second):
		t.Fatalf("kindred did not start within 15 s\nlog:\n%s", h.Logs)
	}
}

// Stop shuts Kindred down as SIGTERM would and returns what Run returned.
// Stopping twice is harmless.
func (h *Harness) Stop(t testing.TB) error {
	t.Helper()
	if h.cancel == nil {
		return nil
	}
	h.cancel()
	h.cancel = nil
	select {
	case err := <-h.done:
		return err
	case <-time.After(20 * time.Second):
		t.Fatalf("kindred did not stop within 20 s")
		return nil
	}
}

// Restart stops Kindred and starts it again on the same database and fake.
func (h *Harness) Restart(t testing.TB) {
	t.Helper()
	if err := h.Stop(t); err != nil {
		t.Fatalf("stop: %v", err)
	}
	h.start(t)
}

// RunDue sets the clock to at and runs every job due then, as the
// scheduler's loop would; it returns how many ran.
func (h *Harness) RunDue(t testing.TB, at time.Time) int {
	t.Helper()
	h.Clock.Set(at)
	n, err := h.scheduler.RunDue(context.Background(), at)
	if err != nil {
		t.Fatalf("run due jobs at %v: %v", at, err)
	}
	return n
}

// Clock is a settable clock; until Set it follows real time.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.now.IsZero() {
		return time.Now()
	}
	return c.now
}

// Set pins the clock at t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// SyncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
