// Command kindred runs the Kindred Discord bot.
//
//	KINDRED_DISCORD_TOKEN=… kindred [--config config.yaml]
//
// and, to try it without Discord, against a built-in simulator with a web
// page:
//
//	kindred playground [--listen 127.0.0.1:8081] [--db playground.db]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	_ "time/tzdata" // timezones must not depend on the host having them

	"github.com/bwmarrin/discordgo"

	"github.com/kindred-bot/kindred/bot"
	"github.com/kindred-bot/kindred/internal/playground"
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
	flags := flag.NewFlagSet("kindred", flag.ContinueOnError)
	flags.SetOutput(stderr)
	configPath := flags.String("config", bot.DefaultConfigPath, "path of the YAML config file")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	if flags.NArg() > 0 {
		fmt.Fprintf(stderr, "kindred: unexpected argument %q (the only option is --config PATH)\n", flags.Arg(0))
		return 2
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
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if flags.NArg() > 0 {
		fmt.Fprintf(stderr, "kindred playground: unexpected argument %q (the options are --listen ADDR and --db PATH)\n", flags.Arg(0))
		return 2
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
