// Package bot is the Kindred process: configuration, the Discord session,
// the one interaction adapter, the Discord port features call (discord.go,
// over discordgo and behind the global rate limiter), command sync, HTTP
// health and metrics, and graceful shutdown.
package bot

import (
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path"
	"reflect"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/kindred-bot/kindred/storage"
)

// TokenEnv names the environment variable that holds the bot token. It
// overrides discord.token, so the token need never be written to a file.
const TokenEnv = "KINDRED_DISCORD_TOKEN"

// DatabaseURLEnv names the environment variable that holds the PostgreSQL
// URL. It overrides database.url, so its password need never be written
// to a file.
const DatabaseURLEnv = "KINDRED_DATABASE_URL"

// DefaultPostgresConnections is database.max_connections when it is 0.
const DefaultPostgresConnections = 10

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
	Token string `yaml:"token" want:"the bot token as text"`
	// APIURL replaces scheme and host of every REST call (a rate-limit
	// proxy, or a local test server).
	APIURL     string `yaml:"api_url" want:"an http:// or https:// address such as http://127.0.0.1:8081"`
	DevGuildID string `yaml:"dev_guild_id" want:"a server id (digits only)"`
	// MembersIntent subscribes to GUILD_MEMBER_REMOVE, so a member who
	// leaves loses their place at once rather than when Kindred next
	// finds them gone. It needs the privileged Server Members intent
	// enabled for the application in the Developer Portal.
	MembersIntent bool `yaml:"members_intent"`
	// PublicKey is the application's Ed25519 public key, which signs the
	// interactions Discord posts to http.interactions_path.
	PublicKey string `yaml:"public_key" want:"the application's public key: 64 hex digits (Developer Portal → General Information → Public Key)"`
	// Gateway opens this process's gateway shards. false serves
	// interactions over http.interactions_path only, beside processes of
	// the same bot that run the shards (see DefaultConfig: true).
	Gateway bool `yaml:"gateway" want:"true or false (false: interactions over HTTP only, no gateway shards)"`
	// ShardCount is the number of gateway shards in all; 0 asks Discord
	// (GET /gateway/bot) for its recommendation.
	ShardCount int `yaml:"shard_count" want:"a whole number of shards (0 asks Discord)"`
	// ShardIDs are the shards this process runs; empty runs them all.
	ShardIDs []int `yaml:"shard_ids" want:"a list of shard numbers such as [0, 1]"`
	// GlobalRateLimit is the bot's global REST limit, requests per second:
	// Discord's 50 unless Discord raised it for this bot. Kindred's own
	// requests keep nine tenths of it, shared between processes.
	GlobalRateLimit int `yaml:"global_rate_limit" want:"a whole number of requests per second (0 means Discord's 50)"`
}

// RateLimit is discord.global_rate_limit, or Discord's 50 when unset.
func (d DiscordConfig) RateLimit() int {
	if d.GlobalRateLimit == 0 {
		return DefaultGlobalRateLimit
	}
	return d.GlobalRateLimit
}

// publicKeySize is the length of an Ed25519 public key in bytes.
const publicKeySize = ed25519.PublicKeySize

// Key is discord.public_key decoded; nil when it is unset or invalid
// (Validate refuses an invalid one).
func (d DiscordConfig) Key() ed25519.PublicKey {
	b, err := hex.DecodeString(d.PublicKey)
	if err != nil || len(b) != publicKeySize {
		return nil
	}
	return ed25519.PublicKey(b)
}

// DatabaseConfig chooses the database: a SQLite file (Path, the default)
// or PostgreSQL (URL); not both.
type DatabaseConfig struct {
	Path string `yaml:"path" want:"the SQLite file's path, e.g. kindred.db"`
	URL  string `yaml:"url" want:"a postgres:// URL such as postgres://kindred:secret@db:5432/kindred?sslmode=require"`
	// MaxConnections bounds the PostgreSQL connections of this process;
	// 0 means DefaultPostgresConnections.
	MaxConnections int `yaml:"max_connections" want:"a whole number of connections, at least 3 (0 picks 10)"`
}

// Postgres reports whether the database is PostgreSQL.
func (d DatabaseConfig) Postgres() bool { return d.URL != "" }

// Connections is the PostgreSQL pool size to use.
func (d DatabaseConfig) Connections() int {
	if d.MaxConnections == 0 {
		return DefaultPostgresConnections
	}
	return d.MaxConnections
}

// Redacted is the database URL without its password, for messages.
func (d DatabaseConfig) Redacted() string {
	u, err := url.Parse(d.URL)
	if err != nil {
		return "(an unreadable URL)"
	}
	return RedactURL(u)
}

// RedactURL shows a database URL without its password, whether it is in
// the user part or a password= parameter.
func RedactURL(u *url.URL) string {
	c := *u
	if q := c.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		c.RawQuery = q.Encode()
	}
	return c.Redacted()
}

type HTTPConfig struct {
	// Listen is the address of /healthz and /metrics; empty disables them.
	Listen string `yaml:"listen" want:"host:port such as 127.0.0.1:8080, or empty to disable"`
	// InteractionsPath, when set, receives interactions over HTTP on
	// Listen, verified with discord.public_key.
	InteractionsPath string `yaml:"interactions_path" want:"a path such as /interactions, or empty to disable"`
}

type LogConfig struct {
	Level  string `yaml:"level" want:"debug, info, warn or error"`
	Format string `yaml:"format" want:"text or json"`
}

type PrivacyConfig struct {
	CheckinRetentionDays int `yaml:"checkin_retention_days" want:"a whole number of days (0 keeps forever)"`
}

// DefaultConfig is what Kindred runs with when no file says otherwise.
func DefaultConfig() Config {
	return Config{
		Discord:  DiscordConfig{Gateway: true},
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
	set := map[string]bool{} // the keys the file sets
	switch {
	case err == nil:
		if err := decodeConfig(data, &cfg, set); err != nil {
			return Config{}, configErrorf("config %s: %v", path, err)
		}
	case errors.Is(err, fs.ErrNotExist) && !explicit:
		// No file: run on the defaults.
	case errors.Is(err, fs.ErrNotExist):
		return Config{}, configErrorf("config file %s does not exist", path)
	default:
		return Config{}, configErrorf("cannot read config file %s: %v", path, err)
	}
	if len(cfg.Discord.ShardIDs) == 0 {
		cfg.Discord.ShardIDs = nil // "shard_ids: []" is the default, all of them
	}
	if token := strings.TrimSpace(getenv(TokenEnv)); token != "" {
		cfg.Discord.Token = token
	}
	urlKey := "database.url"
	if u := strings.TrimSpace(getenv(DatabaseURLEnv)); u != "" {
		cfg.Database.URL, urlKey = u, DatabaseURLEnv
	}
	if cfg.Database.URL != "" {
		// The default SQLite path gives way to a URL; a path the file
		// names does not.
		if set["database.path"] {
			return Config{}, configErrorf("database.path and %s are both set: keep database.path for SQLite or %s for PostgreSQL, not both", urlKey, urlKey)
		}
		cfg.Database.Path = ""
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// LoadConfigWithoutToken reads the configuration as LoadConfig does, for
// commands that never talk to Discord (kindred migrate-data, kindred
// healthcheck): no bot token is needed, one in the file is not checked,
// and the Config returned holds none.
func LoadConfigWithoutToken(path string, explicit bool, getenv func(string) string) (Config, error) {
	cfg, err := LoadConfig(path, explicit, func(key string) string {
		if key == TokenEnv {
			return "unused" // stands in for the token, which these commands never send
		}
		return getenv(key)
	})
	cfg.Discord.Token = ""
	return cfg, err
}

// LoadDatabaseConfig is LoadConfigWithoutToken's database section.
func LoadDatabaseConfig(path string, explicit bool, getenv func(string) string) (DatabaseConfig, error) {
	cfg, err := LoadConfigWithoutToken(path, explicit, getenv)
	return cfg.Database, err
}

// decodeConfig reads the YAML key by key into cfg, so that every problem
// names its key and the form it wants ("privacy.checkin_retention_days:
// want a whole number of days (0 keeps forever), got "forever""), not the
// Go type yaml would have named. Problems are joined on one line.
func decodeConfig(data []byte, cfg *Config, set map[string]bool) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return errors.New(oneLine(strings.TrimPrefix(err.Error(), "yaml: ")))
	}
	if len(doc.Content) == 0 {
		return nil // an empty file: the defaults apply
	}
	var problems []string
	decodeSection(doc.Content[0], reflect.ValueOf(cfg).Elem(), "", set, &problems)
	if len(problems) > 0 {
		return errors.New(oneLine(strings.Join(problems, "; ")))
	}
	return nil
}

// decodeSection decodes a mapping into the struct v, whose fields are
// named by their yaml tags; key is the section's dotted path ("" at the top).
func decodeSection(n *yaml.Node, v reflect.Value, key string, set map[string]bool, problems *[]string) {
	if n.Tag == "!!null" {
		return // "discord:" with nothing under it keeps the defaults
	}
	if n.Kind != yaml.MappingNode {
		*problems = append(*problems, configProblem(key, "a section of keys", n))
		return
	}
	fields := map[string]int{}
	for i := range v.NumField() {
		fields[strings.Split(v.Type().Field(i).Tag.Get("yaml"), ",")[0]] = i
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, value := n.Content[i], n.Content[i+1]
		path := k.Value
		if key != "" {
			path = key + "." + k.Value
		}
		if line, dup := seen[k.Value]; dup {
			*problems = append(*problems, fmt.Sprintf("%s is set twice (lines %d and %d)", path, line, k.Line))
			continue
		}
		seen[k.Value] = k.Line
		set[path] = true
		idx, ok := fields[k.Value]
		if !ok {
			*problems = append(*problems, fmt.Sprintf("unknown key %s on line %d (config.example.yaml lists every key)", path, k.Line))
			continue
		}
		field, fv := v.Type().Field(idx), v.Field(idx)
		if fv.Kind() == reflect.Struct {
			decodeSection(value, fv, path, set, problems)
			continue
		}
		want := field.Tag.Get("want")
		if want == "" {
			want = wantOfKind(fv.Kind())
		}
		if value.Kind != yaml.ScalarNode && fv.Kind() != reflect.Slice {
			*problems = append(*problems, configProblem(path, want, value))
			continue
		}
		if err := value.Decode(fv.Addr().Interface()); err != nil {
			*problems = append(*problems, configProblem(path, want, value))
		}
	}
}

// wantOfKind words the form of a key whose field declares no want tag.
func wantOfKind(k reflect.Kind) string {
	switch k {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Uint, reflect.Uint64, reflect.Uint32:
		return "a whole number"
	case reflect.Slice:
		return "a list"
	}
	return "text"
}

// configProblem is one key's problem: what it wants, what it got, where.
func configProblem(key, want string, got *yaml.Node) string {
	var what string
	switch got.Kind {
	case yaml.MappingNode:
		what = "a section of keys"
	case yaml.SequenceNode:
		what = "a list"
	case yaml.AliasNode:
		what = "an alias"
	default:
		what = strconv.Quote(got.Value)
	}
	if key == "" {
		return fmt.Sprintf("the file: want %s, got %s", want, what)
	}
	return fmt.Sprintf("%s: want %s, got %s (line %d)", key, want, what, got.Line)
}

// oneLine keeps a startup error on the one line operators and supervisors read.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

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
	if k := c.Discord.PublicKey; k != "" && c.Discord.Key() == nil {
		return configErrorf("discord.public_key: want the application's public key: 64 hex digits (Developer Portal → General Information → Public Key), got %d characters that are not one", len(k))
	}
	if err := c.Discord.validateShards(); err != nil {
		return err
	}
	if n := c.Discord.GlobalRateLimit; n < 0 {
		return configErrorf("discord.global_rate_limit is %d: want a whole number of requests per second (0 means Discord's %d)", n, DefaultGlobalRateLimit)
	}
	switch db := c.Database; {
	case db.URL != "" && db.Path != "":
		return configErrorf("database.path and database.url are both set: keep database.path for SQLite or database.url for PostgreSQL, not both")
	case db.URL != "":
		u, err := url.Parse(db.URL)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
			return configErrorf("database.url: want a postgres:// URL such as postgres://kindred:secret@db:5432/kindred?sslmode=require")
		}
		if n := db.MaxConnections; n != 0 && n < storage.MinPostgresConnections {
			return configErrorf("database.max_connections is %d: want at least %d (0 picks %d)", n, storage.MinPostgresConnections, DefaultPostgresConnections)
		}
	case strings.TrimSpace(db.Path) == "":
		return configErrorf("database.path is empty: name the SQLite file, e.g. kindred.db")
	}
	if c.Database.MaxConnections < 0 {
		return configErrorf("database.max_connections is %d: want at least %d (0 picks %d)", c.Database.MaxConnections, storage.MinPostgresConnections, DefaultPostgresConnections)
	}
	if c.HTTP.Listen != "" {
		if _, _, err := net.SplitHostPort(c.HTTP.Listen); err != nil {
			return configErrorf("http.listen %q: want host:port such as 127.0.0.1:8080, or empty to disable", c.HTTP.Listen)
		}
	}
	if err := c.HTTP.validateInteractionsPath(c.Discord.PublicKey); err != nil {
		return err
	}
	if err := c.validateGatewayOff(); err != nil {
		return err
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

// validateInteractionsPath checks http.interactions_path: a plain path,
// served beside /healthz and /metrics, with a key to verify what arrives.
func (h HTTPConfig) validateInteractionsPath(publicKey string) error {
	p := h.InteractionsPath
	if p == "" {
		return nil
	}
	if !strings.HasPrefix(p, "/") || p == "/" || strings.HasSuffix(p, "/") || strings.Trim(p, interactionsPathChars) != "" || path.Clean(p) != p {
		return configErrorf("http.interactions_path %q: want a path such as /interactions (letters, digits, - _ . ~ and /; not ending in /), or empty to disable", p)
	}
	if p == "/healthz" || p == "/metrics" {
		return configErrorf("http.interactions_path %q: that path is taken by Kindred's own %s; choose another, such as /interactions", p, p)
	}
	if h.Listen == "" {
		return configErrorf("http.interactions_path is set but http.listen is empty: the endpoint is served on http.listen, so set both")
	}
	if publicKey == "" {
		return configErrorf("http.interactions_path is set but discord.public_key is empty: copy the application's Public Key from the Developer Portal (General Information) into discord.public_key")
	}
	return nil
}

// validateGatewayOff checks discord.gateway: false. Such a process
// hears from Discord only over http.interactions_path, and runs no shard.
func (c *Config) validateGatewayOff() error {
	if c.Discord.Gateway {
		return nil
	}
	if c.HTTP.InteractionsPath == "" {
		return configErrorf("discord.gateway is false but http.interactions_path is empty: without the gateway, interactions can only arrive over HTTP, so set http.interactions_path (and discord.public_key), or set discord.gateway to true")
	}
	if len(c.Discord.ShardIDs) > 0 {
		return configErrorf("discord.gateway is false but discord.shard_ids lists shards: a process without the gateway runs none, so empty discord.shard_ids or set discord.gateway to true")
	}
	return nil
}

// interactionsPathChars are what http.interactions_path may contain:
// nothing a URL would escape or an http.ServeMux pattern would read.
const interactionsPathChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~/"

// validateShards checks discord.shard_count and discord.shard_ids.
func (d DiscordConfig) validateShards() error {
	if d.ShardCount < 0 {
		return configErrorf("discord.shard_count is %d: want a whole number of shards (0 asks Discord)", d.ShardCount)
	}
	seen := map[int]bool{}
	for _, id := range d.ShardIDs {
		switch {
		case id < 0:
			return configErrorf("discord.shard_ids lists %d: shard numbers start at 0", id)
		case d.ShardCount > 0 && id >= d.ShardCount:
			return configErrorf("discord.shard_ids lists %d: with discord.shard_count %d the shards are 0 to %d", id, d.ShardCount, d.ShardCount-1)
		case seen[id]:
			return configErrorf("discord.shard_ids lists %d twice", id)
		}
		seen[id] = true
	}
	return nil
}
