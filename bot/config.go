// Package bot is the Kindred process: configuration, the Discord session,
// the one interaction adapter, the Discord port features call (discord.go,
// over discordgo and behind the global rate limiter), command sync, HTTP
// health and metrics, and graceful shutdown.
package bot

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// TokenEnv names the environment variable that holds the bot token. It
// overrides discord.token, so the token need never be written to a file.
const TokenEnv = "KINDRED_DISCORD_TOKEN"

// DefaultConfigPath is read when it exists and no --config was given.
const DefaultConfigPath = "config.yaml"

// Config is the process configuration. Everything a server decides lives
// in the database instead.
type Config struct {
	Discord  DiscordConfig  `yaml:"discord"`
	Database DatabaseConfig `yaml:"database"`
	HTTP     HTTPConfig     `yaml:"http"`
	Log      LogConfig      `yaml:"log"`
	Privacy  PrivacyConfig  `yaml:"privacy"`
}

type DiscordConfig struct {
	Token string `yaml:"token"`
	// APIURL replaces scheme and host of every REST call (a rate-limit
	// proxy, or a local test server).
	APIURL     string `yaml:"api_url"`
	DevGuildID string `yaml:"dev_guild_id"`
	// MembersIntent subscribes to GUILD_MEMBER_REMOVE, so a member who
	// leaves loses their place at once rather than when Kindred next
	// finds them gone. It needs the privileged Server Members intent
	// enabled for the application in the Developer Portal.
	MembersIntent bool `yaml:"members_intent"`
}

type DatabaseConfig struct {
	Path string `yaml:"path"`
}

type HTTPConfig struct {
	// Listen is the address of /healthz and /metrics; empty disables them.
	Listen string `yaml:"listen"`
}

type LogConfig struct {
	Level  string `yaml:"level"`
	Format string `yaml:"format"`
}

type PrivacyConfig struct {
	CheckinRetentionDays int `yaml:"checkin_retention_days"`
}

// DefaultConfig is what Kindred runs with when no file says otherwise.
func DefaultConfig() Config {
	return Config{
		Database: DatabaseConfig{Path: "kindred.db"},
		HTTP:     HTTPConfig{Listen: "127.0.0.1:8080"},
		Log:      LogConfig{Level: "info", Format: "text"},
	}
}

// ConfigError is a problem with the configuration, worded for the operator.
type ConfigError struct{ Msg string }

func (e *ConfigError) Error() string { return e.Msg }

func configErrorf(format string, args ...any) error {
	return &ConfigError{Msg: fmt.Sprintf(format, args...)}
}

// LoadConfig reads the configuration. With explicit false, path is the
// default and may be missing (the defaults apply); with explicit true it
// must exist. getenv supplies the token override.
func LoadConfig(path string, explicit bool, getenv func(string) string) (Config, error) {
	cfg := DefaultConfig()
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		if err := decodeConfig(data, &cfg); err != nil {
			return Config{}, configErrorf("config %s: %v", path, err)
		}
	case errors.Is(err, fs.ErrNotExist) && !explicit:
		// No file: run on the defaults.
	case errors.Is(err, fs.ErrNotExist):
		return Config{}, configErrorf("config file %s does not exist", path)
	default:
		return Config{}, configErrorf("cannot read config file %s: %v", path, err)
	}
	if token := strings.TrimSpace(getenv(TokenEnv)); token != "" {
		cfg.Discord.Token = token
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

func decodeConfig(data []byte, cfg *Config) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true) // a misspelt key must not be silently ignored
	err := dec.Decode(cfg)
	var typeErr *yaml.TypeError
	switch {
	case err == nil || errors.Is(err, io.EOF):
		return nil
	case errors.As(err, &typeErr):
		// One line per problem would break "one clear line"; join them.
		msgs := make([]string, len(typeErr.Errors))
		for i, e := range typeErr.Errors {
			msgs[i] = unknownField.ReplaceAllString(e, "unknown key $1 (config.example.yaml lists every key)")
		}
		return errors.New(oneLine(strings.Join(msgs, "; ")))
	default:
		return errors.New(oneLine(strings.TrimPrefix(err.Error(), "yaml: ")))
	}
}

// oneLine keeps a startup error on the one line operators and supervisors read.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// unknownField matches yaml's wording for a key the Config has no field for.
var unknownField = regexp.MustCompile(`field (\S+) not found in type \S+`)

// Validate checks every setting, naming the first problem.
func (c *Config) Validate() error {
	c.Discord.Token = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(c.Discord.Token), "Bot "))
	if c.Discord.Token == "" {
		return configErrorf("no Discord bot token: set %s (or discord.token in the config file)", TokenEnv)
	}
	if strings.ContainsAny(c.Discord.Token, " \t\r\n") {
		return configErrorf("the Discord bot token contains spaces or line breaks: check %s", TokenEnv)
	}
	if c.Discord.APIURL != "" {
		u, err := url.Parse(c.Discord.APIURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return configErrorf("discord.api_url %q: want an http:// or https:// address such as http://127.0.0.1:8081", c.Discord.APIURL)
		}
	}
	if id := c.Discord.DevGuildID; id != "" && strings.Trim(id, "0123456789") != "" {
		return configErrorf("discord.dev_guild_id %q: want a server id (digits only)", id)
	}
	if strings.TrimSpace(c.Database.Path) == "" {
		return configErrorf("database.path is empty: name the SQLite file, e.g. kindred.db")
	}
	if c.HTTP.Listen != "" {
		if _, _, err := net.SplitHostPort(c.HTTP.Listen); err != nil {
			return configErrorf("http.listen %q: want host:port such as 127.0.0.1:8080, or empty to disable", c.HTTP.Listen)
		}
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		return configErrorf("log.level %q: want debug, info, warn or error", c.Log.Level)
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		return configErrorf("log.format %q: want text or json", c.Log.Format)
	}
	if c.Privacy.CheckinRetentionDays < 0 {
		return configErrorf("privacy.checkin_retention_days is %d: want 0 (keep) or a number of days", c.Privacy.CheckinRetentionDays)
	}
	return nil
}
