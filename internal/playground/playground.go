// Package playground is `kindred playground`: the real Kindred, run by
// bot.Run unmodified, against the in-process Discord simulator
// (internal/discordsim), with a web page that acts as a small Discord
// client. A demo community to act in, members to act as and time travel
// let a person try every feature on their own machine, without a token
// or a network. The HTTP API the page uses is described in api.go.
//
// The simulator is reached the way production reaches Discord, through
// discord.api_url and the gateway; the only seam is the clock, which the
// playground moves ahead on request. Timed work then runs through the
// same durable job queue as in production.
package playground

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/kindred-bot/kindred/bot"
	"github.com/kindred-bot/kindred/internal/discordsim"
	"github.com/kindred-bot/kindred/scheduler"
)

// Defaults of the command's flags.
const (
	DefaultListen = "127.0.0.1:8081"
	DefaultDBPath = "playground.db"
)

const (
	// startTimeout bounds Kindred's start against a fresh simulator.
	startTimeout = 30 * time.Second
	// tick is how often timed work that came due in real time is run.
	tick = time.Second
	// eventGap spaces change events, so a burst of changes (a pairing
	// round's threads and messages) costs the page one refetch.
	eventGap = 100 * time.Millisecond
	// pingEvery keeps an idle event stream open through proxies.
	pingEvery = 15 * time.Second
)

// Options configure Run. The zero value serves the defaults.
type Options struct {
	// Listen is the page's address; default DefaultListen (loopback).
	Listen string
	// DBPath is the playground's database; default DefaultDBPath. Reset
	// deletes it (and its -wal and -shm files) and nothing else.
	DBPath string
	// Stdout receives the line with the page's address; default os.Stdout.
	Stdout io.Writer
	// Log receives Kindred's and the playground's warnings and errors;
	// default os.Stderr.
	Log io.Writer
	// Now is the base of Kindred's clock, which time travel moves ahead;
	// default time.Now.
	Now func() time.Time
	// Ready, when set, is called with the page's URL once it is served.
	Ready func(url string)
}

// StartupError is a problem that keeps the playground from starting,
// worded for the person who started it.
type StartupError struct{ Msg string }

func (e *StartupError) Error() string { return e.Msg }

// Run serves the playground until ctx is cancelled, then stops Kindred and
// returns nil. Problems before serving are *StartupError.
func Run(ctx context.Context, opts Options) error {
	if opts.Listen == "" {
		opts.Listen = DefaultListen
	}
	if opts.DBPath == "" {
		opts.DBPath = DefaultDBPath
	}
	if opts.Stdout == nil {
		opts.Stdout = os.Stdout
	}
	if opts.Log == nil {
		opts.Log = os.Stderr
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if err := checkDBPath(opts.DBPath); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", opts.Listen)
	if err != nil {
		return listenError(opts.Listen, err)
	}
	p := &Playground{
		opts: opts,
		log:  bot.NewLogger(opts.Log, bot.LogConfig{Level: "warn", Format: "text"}).With("component", "playground"),
		done: make(chan struct{}),
	}
	w, err := p.newWorld()
	if err != nil {
		ln.Close()
		return &StartupError{Msg: "playground: " + err.Error()}
	}
	p.w = w

	handler := p.Handler()
	if ip := net.ParseIP(hostOf(ln.Addr().String())); ip != nil && ip.IsLoopback() {
		handler = loopbackHostsOnly(handler)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	url := "http://" + ln.Addr().String()
	fmt.Fprintf(opts.Stdout, "Kindred playground: %s\n", url)
	if opts.Ready != nil {
		opts.Ready(url)
	}

	ticking := make(chan struct{})
	go func() {
		defer close(ticking)
		p.runDueInRealTime(ctx)
	}()
	select {
	case <-ctx.Done():
	case err := <-served:
		p.log.Error("the page's server stopped", "err", err)
	}
	close(p.done) // event streams end, so Shutdown need not wait for them
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Shutdown(shutdownCtx)
	<-ticking
	p.mu.Lock()
	defer p.mu.Unlock()
	p.w.stop()
	return nil
}

// checkDBPath refuses Kindred's production database: reset deletes the
// playground's database.
func checkDBPath(path string) error {
	prod, err1 := filepath.Abs(bot.DefaultConfig().Database.Path)
	mine, err2 := filepath.Abs(path)
	if err1 == nil && err2 == nil && prod == mine {
		return &StartupError{Msg: fmt.Sprintf("playground: --db %s is where Kindred keeps its real data, and reset deletes the playground's database; choose another path", path)}
	}
	return nil
}

// listenError explains why the page cannot be served at addr.
func listenError(addr string, err error) error {
	if errors.Is(err, syscall.EADDRINUSE) {
		next := "127.0.0.1:8082"
		if host, port, splitErr := net.SplitHostPort(addr); splitErr == nil {
			if n, convErr := strconv.Atoi(port); convErr == nil && n > 0 && n < 65535 {
				next = net.JoinHostPort(host, strconv.Itoa(n+1))
			}
		}
		return &StartupError{Msg: fmt.Sprintf("playground: %s is in use; choose another with --listen %s", addr, next)}
	}
	return &StartupError{Msg: fmt.Sprintf("playground: cannot listen on %s: %v", addr, err)}
}

// Playground is a running playground: the world (simulator and Kindred)
// and what the page's API needs around it.
type Playground struct {
	opts Options
	log  *slog.Logger
	done chan struct{} // closed when Run is stopping

	// mu guards w: API calls hold it for reading while they use the
	// world, reset holds it for writing while it builds a new one.
	mu sync.RWMutex
	w  *world

	// jobs serialises runs of due jobs: time travel's and the real-time
	// ticker's, so time travel counts and waits for every job it makes due.
	jobs sync.Mutex

	// base makes the version the page sees grow across resets and clock
	// moves, which the simulator's own version does not count.
	base    atomic.Uint64
	signals signal
}

// world is one simulator with a Kindred running against it.
type world struct {
	sim   *discordsim.Server
	clock *clock
	sched *scheduler.Scheduler
	stop  func()
}

// newWorld starts a simulator with the demo community and Kindred
// against it, on the playground's database.
func (p *Playground) newWorld() (*world, error) {
	clk := newClock(p.opts.Now)
	sim := discordsim.New(discordsim.Options{Now: clk.Now, BotUserID: BotID})
	sim.AddGuild(demoGuild())

	cfg := bot.DefaultConfig()
	cfg.Discord.Token = sim.Token()
	cfg.Discord.APIURL = sim.URL()
	cfg.Database.Path = p.opts.DBPath
	cfg.HTTP.Listen = ""
	cfg.Log.Level = "warn"

	ctx, cancel := context.WithCancel(context.Background())
	var sched *scheduler.Scheduler
	started := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- bot.Run(ctx, cfg, bot.Options{
			LogOutput: p.opts.Log,
			Now:       clk.Now,
			// The playground runs due jobs itself (see runDue), so that
			// time travel can count and wait for the jobs it makes due.
			ManualScheduler: true,
			Scheduler:       func(s *scheduler.Scheduler) { sched = s },
			Started:         func(string) { close(started) },
		})
	}()
	select {
	case <-started:
	case err := <-done:
		cancel()
		sim.Close()
		return nil, fmt.Errorf("Kindred did not start: %w", err)
	case <-time.After(startTimeout):
		cancel()
		<-done
		sim.Close()
		return nil, fmt.Errorf("Kindred did not start within %v", startTimeout)
	}
	return &world{sim: sim, clock: clk, sched: sched, stop: func() {
		cancel()
		<-done
		sim.Close()
	}}, nil
}

// reset stops Kindred, deletes the database and starts over with a fresh
// simulator and demo community.
func (p *Playground) reset() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	old := p.w
	old.stop()
	p.base.Add(old.sim.Version() + 1)
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(p.opts.DBPath + suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("delete the playground database: %w", err)
		}
	}
	w, err := p.newWorld()
	if err != nil {
		return err
	}
	p.w = w
	p.signals.broadcast()
	return nil
}

// version is what /api/state and the event stream call the version: it
// grows with every change the page may show. Call it with p.mu held.
func (p *Playground) version() uint64 {
	return p.base.Load() + p.w.sim.Version()
}

// errNothingScheduled answers "skip to the next job" with no job pending.
var errNothingScheduled = errors.New("nothing is scheduled")

// travel moves Kindred's clock ahead by d, or to the next pending job's
// time when next is set, and runs the jobs due on the way, each at its own
// time, as if the time had passed with Kindred running: a reminder due
// halfway is sent then, not late, and a daily prompt comes once a day. It
// returns the new time and how many jobs ran. Call it with p.mu held for
// reading.
func (p *Playground) travel(ctx context.Context, d time.Duration, next bool) (time.Time, int, error) {
	w := p.w
	p.jobs.Lock()
	defer p.jobs.Unlock()
	target := w.clock.Now().Add(d)
	if next {
		at, ok, err := w.sched.Next(ctx)
		if err != nil {
			return time.Time{}, 0, err
		}
		if !ok {
			return time.Time{}, 0, errNothingScheduled
		}
		target = at
	}
	defer func() {
		p.base.Add(1)
		p.signals.broadcast()
	}()
	ran := 0
	for range maxTravelSteps {
		at, ok, err := w.sched.Next(ctx)
		if err != nil {
			return w.clock.Now(), ran, err
		}
		if !ok || at.After(target) {
			break
		}
		n, err := w.sched.RunDue(ctx, w.clock.AdvanceTo(at))
		ran += n
		if err != nil {
			return w.clock.Now(), ran, err
		}
	}
	now := w.clock.AdvanceTo(target)
	n, err := w.sched.RunDue(ctx, now)
	return now, ran + n, err
}

// maxTravelSteps bounds the stops one trip through time makes at jobs'
// times: a week of a busy demo community is far fewer.
const maxTravelSteps = 2000

// runDueInRealTime runs the jobs that come due as real time passes (a
// reminder set for in ten minutes), until ctx is done.
func (p *Playground) runDueInRealTime(ctx context.Context) {
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		p.mu.RLock()
		p.runDue(ctx)
		p.mu.RUnlock()
	}
}

// runDue runs the jobs due now, if any. Call it with p.mu held for reading.
func (p *Playground) runDue(ctx context.Context) {
	w := p.w
	p.jobs.Lock()
	defer p.jobs.Unlock()
	now := w.clock.Now()
	at, ok, err := w.sched.Next(ctx)
	if err != nil || !ok || at.After(now) {
		return
	}
	if _, err := w.sched.RunDue(ctx, now); err != nil && ctx.Err() == nil {
		p.log.Warn("running due jobs", "err", err)
	}
}

// signal wakes everyone waiting for the next broadcast.
type signal struct {
	mu sync.Mutex
	ch chan struct{}
}

// wait returns a channel closed at the next broadcast.
func (s *signal) wait() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch == nil {
		s.ch = make(chan struct{})
	}
	return s.ch
}

func (s *signal) broadcast() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch != nil {
		close(s.ch)
		s.ch = nil
	}
}

// loopbackHostsOnly answers only requests addressed to a loopback name. A
// web page elsewhere can point its own host name at 127.0.0.1 (DNS
// rebinding) and then talk to the playground as if it were the page; the
// Host header it sends still names that other host.
func loopbackHostsOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := hostOf(r.Host)
		if ip := net.ParseIP(host); (ip == nil || !ip.IsLoopback()) && host != "localhost" {
			http.Error(w, "the playground answers only at a loopback address such as 127.0.0.1", http.StatusMisdirectedRequest)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// hostOf is the host part of host:port (or host alone), without brackets.
func hostOf(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return strings.Trim(hostport, "[]")
}
