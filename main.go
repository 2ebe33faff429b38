// Command kindred runs the Kindred Discord bot.
//
//	KINDRED_DISCORD_TOKEN=… kindred [--config config.yaml]
//
// and, to try it without Discord, against a built-in simulator with a web
// page:
//
//	kindred playground [--listen 127.0.0.1:8081] [--db playground.db]
//
// and, to move from SQLite to PostgreSQL, copying the configured SQLite
// database into an empty PostgreSQL database:
//
//	kindred migrate-data --to postgres://… [--config config.yaml]
//
// and, to check a running Kindred from where it runs (its container
// image has no curl), GET /healthz on the config's http.listen:
//
//	kindred healthcheck [--config config.yaml] [--timeout 3s]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	_ "time/tzdata" // timezones must not depend on the host having them

	"github.com/bwmarrin/discordgo"

	"github.com/kindred-bot/kindred/bot"
	"github.com/kindred-bot/kindred/internal/playground"
	"github.com/kindred-bot/kindred/storage"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// run is main without the process around it: it returns the exit status.
// 2 means Kindred could not start (bad flags, config, token or database).
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "playground" {
		return runPlayground(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "migrate-data" {
		return runMigrateData(ctx, args[1:], getenv, stdout, stderr)
	}
	if len(args) > 0 && args[0] == "healthcheck" {
		return runHealthcheck(ctx, args[1:], getenv, stdout, stderr)
	}
	flags := flag.NewFlagSet("kindred", flag.ContinueOnError)
	flags.SetOutput(stderr)
	configPath := flags.String("config", bot.DefaultConfigPath, "path of the YAML config file")
	if status, ok := parseSubcommand(flags, args, "the only option is --config PATH", stderr); !ok {
		return status
	}
	explicit := false
	flags.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "config" })

	cfg, err := bot.LoadConfig(*configPath, explicit, getenv)
	if err != nil {
		fmt.Fprintln(stderr, "kindred:", err)
		return 2
	}
	log := bot.NewLogger(stderr, cfg.Log)
	slog.SetDefault(log)
	discordgo.Logger = bot.DiscordgoLogger(log)
	err = bot.Run(ctx, cfg, bot.Options{Logger: log})
	var startup *bot.StartupError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &startup):
		fmt.Fprintln(stderr, "kindred:", err)
		return 2
	default:
		fmt.Fprintln(stderr, "kindred:", err)
		return 1
	}
}

// runPlayground is `kindred playground`: the exit status is 2 when the
// playground cannot start (bad flags, the address in use).
func runPlayground(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("kindred playground", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.Usage = func() {
		fmt.Fprintln(stderr, "Usage: kindred playground [--listen ADDR] [--db PATH]")
		fmt.Fprintln(stderr, "Runs Kindred against a built-in Discord simulator and serves a web page to try it: a demo")
		fmt.Fprintln(stderr, "community, members to act as and time travel. Needs no token and no network.")
		flags.PrintDefaults()
	}
	listen := flags.String("listen", playground.DefaultListen, "address of the web page (loopback unless you name another)")
	dbPath := flags.String("db", playground.DefaultDBPath, "the playground's database, kept between runs; reset deletes it")
	if status, ok := parseSubcommand(flags, args, "the options are --listen ADDR and --db PATH", stderr); !ok {
		return status
	}
	log := bot.NewLogger(stderr, bot.LogConfig{Level: "warn", Format: "text"})
	discordgo.Logger = bot.DiscordgoLogger(log)
	err := playground.Run(ctx, playground.Options{Listen: *listen, DBPath: *dbPath, Stdout: stdout, Log: stderr})
	var startup *playground.StartupError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &startup):
		fmt.Fprintln(stderr, err)
		return 2
	default:
		fmt.Fprintln(stderr, "playground:", err)
		return 1
	}
}

// runMigrateData is `kindred migrate-data`: it copies the SQLite database
// the config names into the empty PostgreSQL database --to names, and
// verifies the copy. The exit status is 2 when the copy cannot begin (bad
// flags or config, a database that cannot be opened) and 1 when the copy
// is refused or fails; either way no data has been written to the target.
func runMigrateData(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("kindred migrate-data", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.Usage = func() {
		fmt.Fprintln(stderr, "Usage: kindred migrate-data --to postgres://USER:PASSWORD@HOST:5432/DB [--config PATH]")
		fmt.Fprintln(stderr, "Copies the SQLite database the config names (database.path) into an empty PostgreSQL")
		fmt.Fprintln(stderr, "database, in one transaction, and checks that every table has as many rows in both.")
		fmt.Fprintln(stderr, "Stop Kindred first: what it writes while the copy runs is not copied.")
		flags.PrintDefaults()
	}
	to := flags.String("to", "", "the PostgreSQL database to copy into, as a postgres:// URL (required)")
	configPath := flags.String("config", bot.DefaultConfigPath, "path of the YAML config file naming the SQLite database")
	if status, ok := parseSubcommand(flags, args, "the options are --to URL and --config PATH", stderr); !ok {
		return status
	}
	fail := func(format string, args ...any) int {
		fmt.Fprintf(stderr, "kindred migrate-data: "+format+"\n", args...)
		return 2
	}
	if *to == "" {
		return fail("--to is required: the PostgreSQL database to copy into, e.g. --to postgres://kindred:secret@db:5432/kindred")
	}
	target, err := url.Parse(*to)
	if err != nil || (target.Scheme != "postgres" && target.Scheme != "postgresql") || target.Host == "" {
		return fail("--to: want a postgres:// URL such as postgres://kindred:secret@db:5432/kindred?sslmode=require")
	}
	shown := bot.RedactURL(target)
	explicit := false
	flags.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "config" })
	cfg, err := bot.LoadDatabaseConfig(*configPath, explicit, getenv)
	if err != nil {
		return fail("%v", err)
	}
	if cfg.Postgres() {
		return fail("the config selects PostgreSQL (database.url or %s): migrate-data copies from a SQLite database, so name its database.path and leave the URL unset", bot.DatabaseURLEnv)
	}
	// Opening a SQLite file creates it: a missing file is a wrong path,
	// not an empty community.
	if _, err := os.Stat(cfg.Path); errors.Is(err, fs.ErrNotExist) {
		return fail("the SQLite database %s does not exist: name it with database.path in the config (--config PATH)", cfg.Path)
	} else if err != nil {
		return fail("the SQLite database %s: %v", cfg.Path, err)
	}
	src, err := storage.Open(ctx, cfg.Path)
	if err != nil {
		return fail("the SQLite database %s: %v", cfg.Path, err)
	}
	defer src.Close()
	dst, err := storage.OpenPostgres(ctx, *to, storage.MinPostgresConnections)
	if err != nil {
		return fail("the PostgreSQL database %s: %v", shown, err)
	}
	defer dst.Close()

	fmt.Fprintf(stdout, "Copying %s into %s\n", cfg.Path, shown)
	start := time.Now()
	report, err := storage.CopyToPostgres(ctx, src, dst, func(table string, rows int64) {
		fmt.Fprintf(stdout, "  %-24s %10d rows\n", table, rows)
	})
	if err != nil {
		fmt.Fprintf(stderr, "kindred migrate-data: %v\nNo data was written to %s.\n", err, shown)
		return 1
	}
	fmt.Fprintf(stdout, "Copied %d rows in %d tables in %s; every table has as many rows in PostgreSQL as in SQLite.\n",
		report.Rows(), len(report.Tables), time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(stdout, "To run Kindred on it, set database.url (or %s) and remove database.path.\n", bot.DatabaseURLEnv)
	return 0
}

// maxHealthBody bounds what kindred healthcheck prints of /healthz: a line
// per shard, far below this even for thousands of shards.
const maxHealthBody = 1 << 20

// runHealthcheck is `kindred healthcheck`: it asks the Kindred the config
// describes for GET /healthz and prints the answer. The exit status is 0
// when it answers 200, 1 when it answers anything else or nothing in time,
// and 2 when there is nothing to ask (bad flags or config, http.listen
// empty). It needs no token: the token stays with the bot.
func runHealthcheck(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("kindred healthcheck", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.Usage = func() {
		fmt.Fprintln(stderr, "Usage: kindred healthcheck [--config PATH] [--timeout 3s]")
		fmt.Fprintln(stderr, "Asks the Kindred running with this config for GET /healthz on its http.listen and prints")
		fmt.Fprintln(stderr, "the answer. Exit status 0 when it answers 200, 1 otherwise, 2 when there is nothing to ask.")
		flags.PrintDefaults()
	}
	configPath := flags.String("config", bot.DefaultConfigPath, "path of the YAML config file the bot runs with")
	timeout := flags.Duration("timeout", 3*time.Second, "how long to wait for the answer")
	if status, ok := parseSubcommand(flags, args, "the options are --config PATH and --timeout DURATION", stderr); !ok {
		return status
	}
	fail := func(format string, args ...any) int {
		fmt.Fprintf(stderr, "kindred healthcheck: "+format+"\n", args...)
		return 2
	}
	if *timeout <= 0 {
		return fail("--timeout %s: want a positive duration such as 3s", *timeout)
	}
	explicit := false
	flags.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "config" })
	cfg, err := bot.LoadConfigWithoutToken(*configPath, explicit, getenv)
	if err != nil {
		return fail("%v", err)
	}
	if cfg.HTTP.Listen == "" {
		return fail("http.listen is empty: nothing to check")
	}
	target := "http://" + dialable(cfg.HTTP.Listen) + "/healthz"

	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return fail("%s: %v", target, err)
	}
	// No proxy: the question is whether Kindred answers here, not whether
	// a proxy the environment names does.
	client := &http.Client{Transport: &http.Transport{}}
	resp, err := client.Do(req)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			fmt.Fprintf(stderr, "kindred healthcheck: no answer from %s within %s\n", target, *timeout)
			return 1
		}
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // it repeats the method and the address
		}
		fmt.Fprintf(stderr, "kindred healthcheck: cannot reach %s: %v\n", target, err)
		return 1
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxHealthBody))
	if len(body) > 0 {
		fmt.Fprint(stdout, string(body))
		if !strings.HasSuffix(string(body), "\n") {
			fmt.Fprintln(stdout)
		}
	}
	switch {
	case err != nil:
		fmt.Fprintf(stderr, "kindred healthcheck: reading the answer of %s: %v\n", target, err)
		return 1
	case resp.StatusCode != http.StatusOK:
		fmt.Fprintf(stderr, "kindred healthcheck: %s answered %s\n", target, resp.Status)
		return 1
	}
	return 0
}

// dialable turns the address Kindred listens on into one to reach it at
// from the same machine: a wildcard host (empty, 0.0.0.0, ::) becomes
// loopback of the same family.
func dialable(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen // LoadConfig has checked it; kept as is for the message
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return net.JoinHostPort(host, port)
}

// parseSubcommand parses the flags of a kindred command and refuses a
// stray argument, saying what the options are. It returns false, with the
// exit status to stop with (0 after --help, 2 otherwise), or true to go on.
func parseSubcommand(flags *flag.FlagSet, args []string, options string, stderr io.Writer) (status int, ok bool) {
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, false
		}
		return 2, false
	}
	if flags.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected argument %q (%s)\n", flags.Name(), flags.Arg(0), options)
		return 2, false
	}
	return 0, true
}
