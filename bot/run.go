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

	"github.com/kindred-bot/kindred/commands"
	"github.com/kindred-bot/kindred/scheduler"
	"github.com/kindred-bot/kindred/storage"
)

// Intents are what Kindred asks the gateway for: guild structure only.
// No privileged intent (members, presences, message content) is needed,
// because every member action arrives as an interaction.
const Intents = discordgo.IntentsGuilds

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
	if opts.LogOutput == nil {
		opts.LogOutput = os.Stderr
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = NewLogger(opts.LogOutput, cfg.Log)
	}

	db, err := storage.Open(ctx, cfg.Database.Path)
	if err != nil {
		return startupErrorf("database %s: %v", cfg.Database.Path, err)
	}
	defer db.Close()

	session, err := newSession(cfg)
	if err != nil {
		return startupErrorf("discord: %v", err)
	}
	me, err := session.User("@me")
	if err != nil {
		return startupErrorf("%s", describeTokenError(err))
	}
	log.Info("token accepted", "bot", me.Username, "id", me.ID)

	env := commands.Env{
		DB:                   db,
		Log:                  log,
		Now:                  opts.Now,
		Discord:              newDiscordClient(session),
		Version:              Version(),
		CheckinRetentionDays: cfg.Privacy.CheckinRetentionDays,
	}
	router := commands.NewRouter(db, commands.Features(env)...)
	connected := func() bool {
		session.RLock()
		defer session.RUnlock()
		return session.DataReady
	}
	m := newMetrics(connected)

	// Handlers keep their context through the grace period, so a running
	// handler finishes its write instead of failing half-way.
	handlerCtx, cancelHandlers := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelHandlers()
	a := newAdapter(handlerCtx, router, log, m)
	session.AddHandler(a.onInteraction)

	sched := scheduler.New(db, scheduler.Options{Now: opts.Now, Log: log})
	for kind, k := range router.Jobs() {
		sched.Register(kind, k)
	}
	sched.Housekeeping("30 3 * * *", "prune old records", func(ctx context.Context) error {
		return pruneOldRecords(ctx, db, opts.Now())
	})
	if days := cfg.Privacy.CheckinRetentionDays; days > 0 {
		sched.Housekeeping("0 3 * * *", "check-in retention", func(ctx context.Context) error {
			n, err := db.PurgeCheckinsBefore(ctx, opts.Now().AddDate(0, 0, -days))
			if n > 0 {
				log.Info("deleted check-ins past the retention period", "count", n, "days", days)
			}
			return err
		})
	}
	if opts.Scheduler != nil {
		opts.Scheduler(sched)
	}

	var httpAddr string
	var srv *http.Server
	if cfg.HTTP.Listen != "" {
		ln, err := net.Listen("tcp", cfg.HTTP.Listen)
		if err != nil {
			return startupErrorf("http.listen %s: %v", cfg.HTTP.Listen, err)
		}
		httpAddr = ln.Addr().String()
		srv = &http.Server{Handler: httpHandler(db, connected, m), ReadHeaderTimeout: 5 * time.Second}
		go func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("http server stopped", "err", err)
			}
		}()
		defer srv.Close()
	}

	if err := session.Open(); err != nil {
		return startupErrorf("discord gateway: %v", err)
	}
	appID := me.ID
	session.State.RLock()
	if app := session.State.Ready.Application; app != nil && app.ID != "" {
		appID = app.ID
	}
	session.State.RUnlock()
	changed, err := syncCommands(session, appID, cfg.Discord.DevGuildID, router.Definitions())
	if err != nil {
		session.Close()
		return startupErrorf("%v", err)
	}
	scope := "global"
	if cfg.Discord.DevGuildID != "" {
		scope = "guild " + cfg.Discord.DevGuildID
	}
	schedCtx, stopScheduler := context.WithCancel(context.WithoutCancel(ctx))
	defer stopScheduler()
	schedDone := make(chan struct{})
	if opts.ManualScheduler {
		close(schedDone)
	} else {
		go func() {
			defer close(schedDone)
			if err := sched.Run(schedCtx); err != nil {
				log.Error("scheduler stopped", "err", err)
			}
		}()
	}
	log.Info("invite Kindred to a server with", "url", InviteURL(appID))
	log.Info("kindred is serving", "commands", len(router.Definitions()), "registered", changed, "scope", scope, "http", httpAddr)
	if opts.Started != nil {
		opts.Started(httpAddr)
	}

	<-ctx.Done()
	log.Info("shutting down: finishing running handlers", "grace", shutdownGrace)
	if !a.stop(shutdownGrace) {
		log.Warn("some handlers did not finish in time")
	}
	cancelHandlers()
	// Jobs in flight finish and are recorded; the rest wait in the database.
	stopScheduler()
	select {
	case <-schedDone:
	case <-time.After(shutdownGrace):
		log.Warn("timed work did not finish in time; it runs again after its lease")
	}
	if err := session.Close(); err != nil {
		log.Warn("closing gateway", "err", err)
	}
	if srv != nil {
		shutdownCtx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		srv.Shutdown(shutdownCtx)
	}
	log.Info("stopped")
	return nil
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
	session.Identify.Intents = Intents
	session.StateEnabled = true
	// A 429 is waited out and retried by discordgo itself.
	session.ShouldRetryOnRateLimit = true
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

func httpHandler(db *storage.DB, connected func() bool, m *metrics) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		var problems []string
		if !connected() {
			problems = append(problems, "gateway not connected")
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
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.Handle("GET /metrics", metricsHandler(m))
	return mux
}
