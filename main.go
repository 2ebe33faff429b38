// Command kindred runs the Kindred Discord bot.
//
//	KINDRED_DISCORD_TOKEN=… kindred [--config config.yaml]
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
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stderr))
}

// run is main without the process around it: it returns the exit status.
// 2 means Kindred could not start (bad flags, config, token or database).
func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) int {
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
