package bot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"

	"github.com/kindred-bot/kindred/commands"
	"github.com/kindred-bot/kindred/scheduler"
	"github.com/kindred-bot/kindred/storage"
)

// Intents are what Kindred asks the gateway for: guild structure only.
// No privileged intent (members, presences, message content) is needed,
// because every member action arrives as an interaction.
const Intents = discordgo.IntentsGuilds

// intents are what this configuration asks the gateway for: Intents, and
// the privileged GUILD_MEMBERS when discord.members_intent is on, for
// GUILD_MEMBER_REMOVE.
func intents(cfg Config) discordgo.Intent {
	if cfg.Discord.MembersIntent {
		return Intents | discordgo.IntentGuildMembers
	}
	return Intents
}

// closeDisallowedIntents is the gateway's close code for a privileged
// intent the application has not enabled.
const closeDisallowedIntents = 4014

// shutdownGrace is how long running handlers may take to finish on SIGTERM.
const shutdownGrace = 10 * time.Second

// StartupError is a problem that stops Kindred before it serves anyone:
// the process should print it as one line and exit with status 2.
type StartupError struct{ Msg string }

func (e *StartupError) Error() string { return e.Msg }

func startupErrorf(format string, args ...any) error {
	return &StartupError{Msg: fmt.Sprintf(format, args...)}
}

// Options are what the caller of Run may change; the zero value is right
// for production.
type Options struct {
	// Logger is the process log; when nil, one is built from the config's
	// log settings, writing to LogOutput (default os.Stderr).
	Logger    *slog.Logger
	LogOutput io.Writer
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Started, when set, is called once Kindred is connected and serving,
	// with the address /healthz and /metrics listen on ("" when disabled).
	Started func(httpAddr string)
	// ManualScheduler leaves the scheduler's loop off: timed work runs only
	// when the caller calls RunDue on the scheduler handed to Scheduler.
	// Tests use it so they never wait for a reminder.
	ManualScheduler bool
	// Scheduler, when set, receives the scheduler once it is built.
	Scheduler func(*scheduler.Scheduler)
}

// Run runs Kindred until ctx is cancelled, then shuts down gracefully and
// returns nil. Problems before serving are *StartupError.
func Run(ctx context.Context, cfg Config, opts Options) error {
	opts = opts.withDefaults(cfg)
	p := &process{cfg: cfg, opts: opts, log: opts.Logger}
	defer p.release()

	if err := p.openStorage(ctx); err != nil {
		return err
	}
	me, err := p.connect()
	if err != nil {
		return err
	}
	p.buildAdapter(ctx, me.ID)
	p.startRateShare(ctx)
	p.buildScheduler()
	if err := p.startHTTP(); err != nil {
		return err
	}
	appID, changed, err := p.openGateway(ctx, me)
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return nil // stopped while the shards were starting
		}
		return err
	}
	p.startScheduler(ctx)
	p.announce(appID, changed)

	<-ctx.Done()
	p.shutdown()
	return nil
}

// withDefaults fills in what the caller left zero.
func (o Options) withDefaults(cfg Config) Options {
	if o.LogOutput == nil {
		o.LogOutput = os.Stderr
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = NewLogger(o.LogOutput, cfg.Log)
	}
	return o
}

// process holds the running pieces of Kindred, built one step at a time
// by Run. A field is nil until its step has run.
type process struct {
	cfg  Config
	opts Options
	log  *slog.Logger

	db *storage.DB
	// session is the one REST path of the process (and the first shard's
	// gateway session); the other shards' sessions only carry events.
	session *discordgo.Session
	plan    shardPlan
	shards  []*shard // by shard id
	router  *commands.Router
	metrics *metrics

	bucket         *tokenBucket // the global limit's, shared by every request Kindred makes on its own
	adapter        *adapter
	cancelHandlers context.CancelFunc

	share     *rateShare
	stopShare context.CancelFunc
	shareDone chan struct{} // closed when the heartbeat loop has returned

	sched         *scheduler.Scheduler
	stopScheduler context.CancelFunc
	schedDone     chan struct{} // closed when the scheduler's loop has returned

	srv      *http.Server
	httpAddr string // "" when HTTP is disabled
}

// openStorage opens the database.
func (p *process) openStorage(ctx context.Context) error {
	if d := p.cfg.Database; d.Postgres() {
		db, err := storage.OpenPostgres(ctx, d.URL, d.Connections())
		if err != nil {
			return startupErrorf("database %s: %v", d.Redacted(), err)
		}
		p.db = db
		return nil
	}
	db, err := storage.Open(ctx, p.cfg.Database.Path)
	if err != nil {
		return startupErrorf("database %s: %v", p.cfg.Database.Path, err)
	}
	p.db = db
	return nil
}

// connect builds the Discord session and checks the token by asking who
// the bot is, before anything else depends on it; then, unless
// discord.gateway is off, it plans the gateway shards and builds their
// sessions. With the gateway off the session is never opened: discordgo's
// REST calls need only its token and HTTP client.
func (p *process) connect() (*discordgo.User, error) {
	session, err := newSession(p.cfg)
	if err != nil {
		return nil, startupErrorf("discord: %v", err)
	}
	p.session = session
	me, err := session.User("@me")
	if err != nil {
		return nil, startupErrorf("%s", describeTokenError(err))
	}
	p.log.Info("token accepted", "bot", me.Username, "id", me.ID)
	if !p.cfg.Discord.Gateway {
		// No shard to plan: GET /gateway/bot would only use up a request.
		p.log.Info("gateway off: this process serves interactions over HTTP and timed work only", "path", p.cfg.HTTP.InteractionsPath)
		if p.cfg.Discord.MembersIntent {
			p.log.Info("discord.members_intent has no effect here: members leaving are heard by the processes that run the gateway")
		}
		return me, nil
	}
	gb, err := session.GatewayBot()
	if err != nil {
		return nil, startupErrorf("discord: asking for the gateway (GET /gateway/bot): %v", err)
	}
	plan, err := planShards(p.cfg.Discord, gb)
	if err != nil {
		return nil, err
	}
	p.plan = plan
	for i, id := range plan.ids {
		s := session
		if i > 0 {
			if s, err = newSession(p.cfg); err != nil {
				return nil, startupErrorf("discord: %v", err)
			}
			// One REST client and rate limiter for the whole process.
			s.Client, s.Ratelimiter = session.Client, session.Ratelimiter
		}
		p.shards = append(p.shards, newShard(id, plan.count, s))
	}
	p.log.Info("gateway shards planned", "shards", plan.String(), "max_concurrency", plan.maxConcurrency,
		"session_starts_remaining", gb.SessionStartLimit.Remaining)
	return me, nil
}

// closeGateway closes every shard's session.
func (p *process) closeGateway() {
	closeShards(p.shards, func(sh *shard, err error) {
		p.log.Warn("closing gateway", "shard", sh.id, "err", err)
	})
}

// buildAdapter builds the handlers' Env, the router over every feature and
// the adapter that feeds it interactions from the session. botUserID is
// Kindred's own user id, from the token check.
func (p *process) buildAdapter(ctx context.Context, botUserID string) {
	p.bucket = newGlobalBucket(globalLimit(p.cfg.Discord.RateLimit()))
	port := newDiscordClient(p.session, p.bucket)
	env := commands.Env{
		DB:                   p.db,
		Log:                  p.log,
		Now:                  p.opts.Now,
		Discord:              port,
		BotUserID:            botUserID,
		Version:              Version(),
		CheckinRetentionDays: p.cfg.Privacy.CheckinRetentionDays,
	}
	p.router = commands.NewRouter(p.db, commands.Features(env)...)
	p.router.Now = p.opts.Now
	p.metrics = newMetrics(p.shards)

	// Handlers keep their context through the grace period, so a running
	// handler finishes its write instead of failing half-way.
	handlerCtx, cancelHandlers := context.WithCancel(context.WithoutCancel(ctx))
	p.cancelHandlers = cancelHandlers
	p.adapter = newAdapter(handlerCtx, p.router, p.log, p.metrics)
	if p.cfg.Discord.MembersIntent {
		p.adapter.memberLeft = func(ctx context.Context, guildID, userID string) error {
			return commands.MemberLeft(ctx, env, guildID, userID)
		}
	}
	// Every shard's events reach the one adapter and server cache; answers
	// go out over the REST session, whichever shard brought the event.
	// Events are handled in order (SyncEvents, see newSession); these run
	// concurrently, each on its own goroutine, as discordgo would run them.
	for i, sh := range p.shards {
		if i > 0 {
			port.servers.watch(sh.session)
		}
		sh.session.AddHandler(func(_ *discordgo.Session, ev *discordgo.InteractionCreate) {
			go p.adapter.onInteraction(p.session, ev)
		})
		if p.cfg.Discord.MembersIntent {
			sh.session.AddHandler(func(s *discordgo.Session, ev *discordgo.GuildMemberRemove) {
				go p.adapter.onMemberRemove(s, ev)
			})
		}
	}
}

// startRateShare joins the processes that share Discord's global limit:
// a first heartbeat sets the bucket before any request is made, then a
// loop keeps it up to date.
func (p *process) startRateShare(ctx context.Context) {
	p.share = newRateShare(p.db, p.bucket, globalLimit(p.cfg.Discord.RateLimit()), p.log)
	p.share.step(ctx, time.Now())
	shareCtx, stopShare := context.WithCancel(context.WithoutCancel(ctx))
	p.stopShare = stopShare
	p.shareDone = make(chan struct{})
	go func() {
		defer close(p.shareDone)
		p.share.run(shareCtx)
	}()
}

// leaveTimeout bounds leaving at shutdown; a process that could not leave
// stops counting after storage.ProcessTTL.
const leaveTimeout = 5 * time.Second

// leaveRateShare stops the heartbeat loop and leaves, so the processes
// that remain take back this one's share at once. It runs once the
// process has made its last request, and only once.
func (p *process) leaveRateShare() {
	if p.stopShare == nil {
		return
	}
	p.stopShare()
	p.stopShare = nil
	<-p.shareDone
	leaveCtx, cancel := context.WithTimeout(context.Background(), leaveTimeout)
	defer cancel()
	p.share.leave(leaveCtx)
}

// buildScheduler builds the scheduler with every feature's job kinds and
// the process housekeeping, and hands it to opts.Scheduler.
func (p *process) buildScheduler() {
	db, now, log := p.db, p.opts.Now, p.log
	p.sched = scheduler.New(db, scheduler.Options{Now: now, Log: log})
	for kind, k := range p.router.Jobs() {
		p.sched.Register(kind, k)
	}
	p.sched.Housekeeping("30 3 * * *", "prune old records", func(ctx context.Context) error {
		return pruneOldRecords(ctx, db, now())
	})
	if days := p.cfg.Privacy.CheckinRetentionDays; days > 0 {
		p.sched.Housekeeping("0 3 * * *", "check-in retention", func(ctx context.Context) error {
			n, err := db.PurgeCheckinsBefore(ctx, now().AddDate(0, 0, -days))
			if n > 0 {
				log.Info("deleted check-ins past the retention period", "count", n, "days", days)
			}
			return err
		})
	}
	if p.opts.Scheduler != nil {
		p.opts.Scheduler(p.sched)
	}
}

// startHTTP serves /healthz, /metrics and http.interactions_path, unless
// http.listen is empty.
func (p *process) startHTTP() error {
	if p.cfg.HTTP.Listen == "" {
		return nil
	}
	ln, err := net.Listen("tcp", p.cfg.HTTP.Listen)
	if err != nil {
		return startupErrorf("http.listen %s: %v", p.cfg.HTTP.Listen, err)
	}
	p.httpAddr = ln.Addr().String()
	var interactions http.Handler
	if path := p.cfg.HTTP.InteractionsPath; path != "" {
		interactions = newInteractionEndpoint(p.cfg.Discord.Key(), p.adapter, p.session, p.log)
		p.log.Info("receiving interactions over HTTP", "path", path)
	}
	handler := httpHandler(p.db, p.cfg.Discord.Gateway, p.shards, p.metrics, p.cfg.HTTP.InteractionsPath, interactions)
	// ReadTimeout bounds a slow body: an interaction is small.
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second}
	p.srv = srv
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			p.log.Error("http server stopped", "err", err)
		}
	}()
	return nil
}

// commandSyncWait bounds how long a process waits for another that syncs
// the commands.
const commandSyncWait = 2 * time.Minute

// openGateway connects every shard to the gateway (none with
// discord.gateway off) and brings Discord's commands in line with the
// router's. It returns the application id and
// whether the commands had to be registered again.
func (p *process) openGateway(ctx context.Context, me *discordgo.User) (string, bool, error) {
	appID, err := p.connectShards(ctx, me)
	if err != nil {
		return "", false, err
	}
	// Processes sharing a PostgreSQL database start together in a rolling
	// deploy: they sync one at a time, so the later ones find nothing to change.
	var changed bool
	syncCtx, cancel := context.WithTimeout(ctx, commandSyncWait)
	defer cancel()
	err = p.db.RunExclusiveWait(syncCtx, "sync commands", func(context.Context) (err error) {
		changed, err = syncCommands(p.session, appID, p.cfg.Discord.DevGuildID, p.router.Definitions())
		return err
	})
	if err != nil {
		p.closeGateway()
		return "", false, startupErrorf("%v", err)
	}
	return appID, changed, nil
}

// connectShards opens the shards, taking turns to identify, and reads the application id from
// READY; with the gateway off it asks REST (GET /oauth2/applications/@me)
// instead. An application made before bot users shared its id has a bot
// user id of its own, so me.ID is only the last resort.
func (p *process) connectShards(ctx context.Context, me *discordgo.User) (string, error) {
	if !p.cfg.Discord.Gateway {
		app, err := p.session.Application("@me")
		if err != nil {
			return "", startupErrorf("discord: asking for the application (GET /oauth2/applications/@me): %v", err)
		}
		if app.ID == "" {
			return me.ID, nil
		}
		return app.ID, nil
	}
	byID := map[int]*shard{}
	for _, sh := range p.shards {
		byID[sh.id] = sh
	}
	turn := func(ctx context.Context, key int, identify func(context.Context) error) error {
		return p.db.IdentifyTurn(ctx, key, identifyInterval, identify)
	}
	if err := openShards(ctx, p.plan, byID, turn, p.cfg.Discord.MembersIntent); err != nil {
		return "", err
	}
	appID := me.ID
	p.session.State.RLock()
	if app := p.session.State.Ready.Application; app != nil && app.ID != "" {
		appID = app.ID
	}
	p.session.State.RUnlock()
	return appID, nil
}

// startScheduler starts the scheduler's loop, unless opts.ManualScheduler
// leaves timed work to the caller.
func (p *process) startScheduler(ctx context.Context) {
	schedCtx, stopScheduler := context.WithCancel(context.WithoutCancel(ctx))
	p.stopScheduler = stopScheduler
	p.schedDone = make(chan struct{})
	if p.opts.ManualScheduler {
		close(p.schedDone)
		return
	}
	go func() {
		defer close(p.schedDone)
		if err := p.sched.Run(schedCtx); err != nil {
			p.log.Error("scheduler stopped", "err", err)
		}
	}()
}

// announce tells the operator Kindred is serving, and the caller too.
func (p *process) announce(appID string, changed bool) {
	scope := "global"
	if p.cfg.Discord.DevGuildID != "" {
		scope = "guild " + p.cfg.Discord.DevGuildID
	}
	p.log.Info("invite Kindred to a server with", "url", InviteURL(appID))
	p.log.Info("kindred is serving", "commands", len(p.router.Definitions()), "registered", changed, "scope", scope, "http", p.httpAddr,
		"gateway", p.cfg.Discord.Gateway)
	if p.opts.Started != nil {
		p.opts.Started(p.httpAddr)
	}
}

// shutdown stops a serving Kindred in the order that lets work finish.
// First it stops taking interactions, so none is turned away in a rolling
// restart: the gateway closes (Discord delivers the shards' interactions
// to the process that identifies next) and the HTTP listener closes (a
// load balancer's next request is refused at connect and goes to another
// process). Then running handlers, HTTP requests among them, get up to
// shutdownGrace before they lose their context, and the scheduler's jobs
// in flight as long again. The database closes last, in release.
func (p *process) shutdown() {
	p.closeGateway()
	httpDone := make(chan struct{})
	go func() {
		defer close(httpDone)
		if p.srv != nil {
			shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace+time.Second)
			defer cancel()
			p.srv.Shutdown(shutdownCtx)
		}
	}()
	p.log.Info("shutting down: finishing running handlers", "grace", shutdownGrace)
	if !p.adapter.stop(shutdownGrace) {
		p.log.Warn("some handlers did not finish in time")
	}
	p.cancelHandlers()
	// Jobs in flight finish and are recorded; the rest wait in the database.
	p.stopScheduler()
	select {
	case <-p.schedDone:
	case <-time.After(shutdownGrace):
		p.log.Warn("timed work did not finish in time; it runs again after its lease")
	}
	p.leaveRateShare()
	<-httpDone
	p.log.Info("stopped")
}

// release frees whatever the steps so far have built, in reverse order;
// Run defers it, so it runs after shutdown and after a startup error alike.
// It leaves the gateway alone: openGateway closes it on failure and
// shutdown closes it on the way out.
func (p *process) release() {
	if p.stopScheduler != nil {
		p.stopScheduler()
	}
	if p.srv != nil {
		p.srv.Close()
	}
	if p.cancelHandlers != nil {
		p.cancelHandlers()
	}
	p.leaveRateShare()
	if p.db != nil {
		p.db.Close()
	}
}

// keepRecords is how long the sent log and failed jobs are kept: long past
// any rerun, long enough to look into a failure.
const keepRecords = 30 * 24 * time.Hour

// pruneOldRecords is the nightly clean-up of bookkeeping rows.
func pruneOldRecords(ctx context.Context, db *storage.DB, now time.Time) error {
	if _, err := db.PruneSentLog(ctx, now.Add(-keepRecords)); err != nil {
		return err
	}
	_, err := db.PruneFailedJobs(ctx, now.Add(-keepRecords))
	return err
}

func newSession(cfg Config) (*discordgo.Session, error) {
	session, err := discordgo.New("Bot " + cfg.Discord.Token)
	if err != nil {
		return nil, err
	}
	client, err := restClient(cfg.Discord.APIURL)
	if err != nil {
		return nil, err
	}
	session.Client = client
	session.Dialer = gatewayDialer()
	session.Identify.Intents = intents(cfg)
	// discordgo's state would keep every channel, thread, role and member
	// the gateway sends: most of the memory of a process with thousands of
	// servers. Kindred reads only owners and roles, which the Discord port
	// keeps itself (servers.go); members are read over REST when needed.
	// READY's essentials (the application id) are kept regardless.
	session.StateEnabled = false
	// A 429 is waited out and retried by discordgo itself.
	session.ShouldRetryOnRateLimit = true
	// Handlers run in the order the gateway sent their events, so that a
	// role change is in the server cache before the interaction that
	// follows it is answered (discordgo's own state was updated in order
	// the same way). Work that takes time (an interaction, a member who
	// left) starts its own goroutine: see process.buildAdapter.
	session.SyncEvents = true
	return session, nil
}

// describeTokenError words the answer of the token check for an operator.
func describeTokenError(err error) string {
	var rest *discordgo.RESTError
	if errors.As(err, &rest) && rest.Response != nil {
		switch rest.Response.StatusCode {
		case http.StatusUnauthorized:
			return "Discord rejected the bot token (401 Unauthorized): copy it again from the Developer Portal's Bot page into " + TokenEnv
		case http.StatusForbidden:
			return "Discord refused the bot token (403 Forbidden)"
		}
		return fmt.Sprintf("checking the bot token: Discord answered %s", rest.Response.Status)
	}
	return "checking the bot token: cannot reach Discord: " + err.Error()
}

// DiscordgoLogger forwards discordgo's own log lines (reconnects, gateway
// errors) to log. discordgo keeps its logger in a package variable, so only
// main should install it, once.
func DiscordgoLogger(log *slog.Logger) func(level, caller int, format string, a ...any) {
	return func(level, caller int, format string, a ...any) {
		l := slog.LevelInfo
		switch level {
		case discordgo.LogError:
			l = slog.LevelError
		case discordgo.LogWarning:
			l = slog.LevelWarn
		case discordgo.LogDebug:
			l = slog.LevelDebug
		}
		log.Log(context.Background(), l, fmt.Sprintf(format, a...), "source", "discordgo")
	}
}

// NewLogger builds the process logger from the log settings.
func NewLogger(w io.Writer, c LogConfig) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.Level)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// Version is the module version Kindred was built as, or "development build".
func Version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "development build"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			return "development build " + s.Value[:12]
		}
	}
	return "development build"
}

// httpHandler serves /healthz (every shard's state and the database),
// /metrics and, when interactions is not nil, interactions posted to
// interactionsPath (POST only; other methods get 405). With gateway off
// the process has no shard, and /healthz says so instead.
func httpHandler(db *storage.DB, gateway bool, shards []*shard, m *metrics, interactionsPath string, interactions http.Handler) http.Handler {
	mux := http.NewServeMux()
	if interactions != nil {
		mux.Handle("POST "+interactionsPath, interactions)
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		var problems, states []string
		if !gateway {
			states = append(states, "gateway: off (interactions over HTTP)")
		}
		for _, sh := range shards {
			state := sh.State()
			states = append(states, fmt.Sprintf("gateway shard %d of %d: %s", sh.id, sh.count, state))
			if state != shardConnected {
				problems = append(problems, fmt.Sprintf("gateway shard %d not connected (%s)", sh.id, state))
			}
		}
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := db.Ping(ctx); err != nil {
			problems = append(problems, "database not answering")
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if len(problems) > 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, strings.Join(problems, "; "))
		} else {
			fmt.Fprintln(w, "ok")
		}
		for _, line := range states {
			fmt.Fprintln(w, line)
		}
	})
	mux.Handle("GET /metrics", metricsHandler(m))
	return mux
}

// gatewayReadBuffer is the gateway connection's receive buffer. A burst of
// interactions arrives faster than discordgo decodes it (one event at a
// time); with the default, autotuned buffer the kernel prunes the queue
// and can drop a segment, and the resend waits out TCP's minimum
// retransmission timeout (200 ms on Linux): every interaction behind it
// stalls.
const gatewayReadBuffer = 4 << 20

// gatewayDialer is websocket.DefaultDialer with a receive buffer big
// enough for a burst.
func gatewayDialer() *websocket.Dialer {
	d := *websocket.DefaultDialer
	d.NetDialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if tcp, ok := conn.(*net.TCPConn); ok {
			tcp.SetReadBuffer(gatewayReadBuffer) // best effort: the kernel caps it at rmem_max
		}
		return conn, err
	}
	return &d
}
