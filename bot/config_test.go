package bot

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadConfigDefaultsWithoutFile(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "config.yaml")
	cfg, err := LoadConfig(missing, false, env(map[string]string{TokenEnv: "tok"}))
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultConfig()
	want.Discord.Token = "tok"
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("config = %+v, want %+v", cfg, want)
	}
}

func TestLoadConfigFileAndEnvironment(t *testing.T) {
	path := writeConfig(t, `
discord:
  token: from-file
  api_url: http://127.0.0.1:9999
  dev_guild_id: "123456789012345678"
  members_intent: true
  shard_count: 4
  shard_ids: [1, 3]
database:
  path: /var/lib/kindred/kindred.db
http:
  listen: ""
log:
  level: debug
  format: json
privacy:
  checkin_retention_days: 30
`)
	cfg, err := LoadConfig(path, true, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Discord.Token != "from-file" || cfg.HTTP.Listen != "" || cfg.Privacy.CheckinRetentionDays != 30 ||
		cfg.Log.Format != "json" || cfg.Discord.DevGuildID != "123456789012345678" || cfg.Database.Path != "/var/lib/kindred/kindred.db" ||
		!cfg.Discord.MembersIntent || cfg.Discord.ShardCount != 4 || !reflect.DeepEqual(cfg.Discord.ShardIDs, []int{1, 3}) {
		t.Errorf("config = %+v", cfg)
	}
	cfg, err = LoadConfig(path, true, env(map[string]string{TokenEnv: "from-env"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Discord.Token != "from-env" {
		t.Errorf("the environment must override the file's token, got %q", cfg.Discord.Token)
	}
}

func TestLoadConfigErrors(t *testing.T) {
	token := env(map[string]string{TokenEnv: "tok"})
	tests := []struct {
		name     string
		body     string // "" with explicit: file missing
		explicit bool
		getenv   func(string) string
		want     string
	}{
		{"no token", "log:\n  level: info\n", true, env(nil), "no Discord bot token"},
		{"missing explicit file", "", true, token, "does not exist"},
		{"unknown key", "discord:\n  tokn: x\n", true, token, "unknown key discord.tokn"},
		{"unknown section", "metrics:\n  on: true\n", true, token, "unknown key metrics"},
		{"not yaml", "discord: [unclosed\n", true, token, "config"},
		{"wrong type", "privacy:\n  checkin_retention_days: forever\n", true, token,
			`privacy.checkin_retention_days: want a whole number of days (0 keeps forever), got "forever" (line 2)`},
		{"bool for a number", "privacy:\n  checkin_retention_days: true\n", true, token, `privacy.checkin_retention_days: want a whole number of days`},
		{"list for text", "log:\n  level: [debug]\n", true, token, "log.level: want debug, info, warn or error, got a list"},
		{"section for text", "database:\n  path:\n    file: x\n", true, token, "database.path: want the SQLite file's path, e.g. kindred.db, got a section of keys"},
		{"text for a section", "discord: yes\n", true, token, `discord: want a section of keys, got "yes"`},
		{"not a mapping", "- a\n- b\n", true, token, "the file: want a section of keys, got a list"},
		{"key set twice", "log:\n  level: info\n  level: debug\n", true, token, "log.level is set twice (lines 2 and 3)"},
		{"unknown key line", "log:\n  levle: info\n", true, token, "unknown key log.levle on line 2"},
		{"bad level", "log:\n  level: loud\n", true, token, "log.level"},
		{"bad format", "log:\n  format: xml\n", true, token, "log.format"},
		{"bad api url", "discord:\n  api_url: discord.example\n", true, token, "discord.api_url"},
		{"bad guild id", "discord:\n  dev_guild_id: my-server\n", true, token, "discord.dev_guild_id"},
		{"bad listen", "http:\n  listen: localhost\n", true, token, "http.listen"},
		{"negative retention", "privacy:\n  checkin_retention_days: -1\n", true, token, "checkin_retention_days"},
		{"empty database path", "database:\n  path: \"\"\n", true, token, "database.path"},
		{"path and url", "database:\n  path: k.db\n  url: postgres://db/kindred\n", true, token, "database.path and database.url are both set"},
		{"path and url from the environment", "database:\n  path: k.db\n", true, env(map[string]string{TokenEnv: "tok", DatabaseURLEnv: "postgres://db/kindred"}),
			"database.path and " + DatabaseURLEnv + " are both set"},
		{"not a postgres url", "database:\n  url: mysql://db/kindred\n", true, token, "database.url: want a postgres:// URL"},
		{"too few connections", "database:\n  url: postgres://db/kindred\n  max_connections: 2\n", true, token, "database.max_connections is 2: want at least 3"},
		{"negative connections", "database:\n  max_connections: -1\n", true, token, "database.max_connections is -1"},
		{"public key not hex", "discord:\n  public_key: not-a-key\n", true, token, "discord.public_key: want the application's public key: 64 hex digits"},
		{"public key too short", "discord:\n  public_key: abcd\n", true, token, "discord.public_key: want"},
		{"interactions path without slash", "http:\n  interactions_path: interactions\n", true, token, `http.interactions_path "interactions": want a path such as /interactions`},
		{"interactions path is root", "http:\n  interactions_path: /\n", true, token, "http.interactions_path \"/\": want a path"},
		{"interactions path with a pattern", "http:\n  interactions_path: /{id}\n", true, token, "http.interactions_path"},
		{"interactions path not clean", "http:\n  interactions_path: /a/../b\n", true, token, "http.interactions_path"},
		{"interactions path taken", "discord:\n  public_key: abababababababababababababababababababababababababababababababab\nhttp:\n  interactions_path: /healthz\n", true, token, "http.interactions_path \"/healthz\": that path is taken"},
		{"interactions path without listen", "discord:\n  public_key: abababababababababababababababababababababababababababababababab\nhttp:\n  listen: \"\"\n  interactions_path: /interactions\n", true, token,
			"http.interactions_path is set but http.listen is empty"},
		{"interactions path without key", "http:\n  interactions_path: /interactions\n", true, token, "http.interactions_path is set but discord.public_key is empty"},
		{"gateway off without the endpoint", "discord:\n  gateway: false\n", true, token,
			"discord.gateway is false but http.interactions_path is empty"},
		{"gateway off with shard ids", "discord:\n  gateway: false\n  public_key: abababababababababababababababababababababababababababababababab\n  shard_ids: [0]\nhttp:\n  interactions_path: /interactions\n", true, token,
			"discord.gateway is false but discord.shard_ids lists shards"},
		{"gateway not a bool", "discord:\n  gateway: http\n", true, token, `discord.gateway: want true or false`},
		{"negative shard count", "discord:\n  shard_count: -1\n", true, token, "discord.shard_count is -1"},
		{"negative global rate limit", "discord:\n  global_rate_limit: -5\n", true, token, "discord.global_rate_limit is -5"},
		{"shard count not a number", "discord:\n  shard_count: many\n", true, token, "discord.shard_count: want a whole number of shards"},
		{"shard ids not a list", "discord:\n  shard_ids: 1\n", true, token, "discord.shard_ids: want a list of shard numbers"},
		{"shard id not a number", "discord:\n  shard_ids: [zero]\n", true, token, "discord.shard_ids: want a list of shard numbers"},
		{"shard id past the count", "discord:\n  shard_count: 2\n  shard_ids: [0, 2]\n", true, token, "discord.shard_ids lists 2: with discord.shard_count 2 the shards are 0 to 1"},
		{"negative shard id", "discord:\n  shard_ids: [-1]\n", true, token, "discord.shard_ids lists -1"},
		{"shard id twice", "discord:\n  shard_ids: [1, 1]\n", true, token, "discord.shard_ids lists 1 twice"},
		{"connections not a number", "database:\n  max_connections: many\n", true, token, "database.max_connections: want a whole number of connections"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "absent.yaml")
			if tt.body != "" {
				path = writeConfig(t, tt.body)
			}
			_, err := LoadConfig(path, tt.explicit, tt.getenv)
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want a ConfigError", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %q, want it to mention %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("err spans lines: %q", err)
			}
		})
	}
}

func TestLoadConfigInteractionsEndpoint(t *testing.T) {
	key := strings.Repeat("0f", 32)
	path := writeConfig(t, "discord:\n  public_key: "+strings.ToUpper(key)+"\nhttp:\n  interactions_path: /discord/interactions\n")
	cfg, err := LoadConfig(path, true, env(map[string]string{TokenEnv: "tok"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTP.InteractionsPath != "/discord/interactions" || len(cfg.Discord.Key()) != 32 || cfg.Discord.Key()[0] != 0x0f {
		t.Errorf("config = %+v, key %x", cfg.HTTP, cfg.Discord.Key())
	}
	// A key alone is fine: the endpoint is simply off.
	path = writeConfig(t, "discord:\n  public_key: "+key+"\n")
	if _, err := LoadConfig(path, true, env(map[string]string{TokenEnv: "tok"})); err != nil {
		t.Errorf("a public key without the endpoint: %v", err)
	}
}

// discord.gateway is on unless the file turns it off; off, it needs the
// HTTP endpoint, and "shard_ids: []" (all shards, the default) still loads.
func TestLoadConfigGateway(t *testing.T) {
	cfg, err := LoadConfig(writeConfig(t, "discord:\n  shard_ids: []\n"), true, env(map[string]string{TokenEnv: "tok"}))
	if err != nil || !cfg.Discord.Gateway {
		t.Fatalf("gateway = %v (%v), want on by default", cfg.Discord.Gateway, err)
	}
	key := strings.Repeat("ab", 32)
	path := writeConfig(t, "discord:\n  gateway: false\n  public_key: "+key+"\n  shard_ids: []\nhttp:\n  interactions_path: /interactions\n")
	cfg, err = LoadConfig(path, true, env(map[string]string{TokenEnv: "tok"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Discord.Gateway || cfg.Discord.ShardIDs != nil || cfg.HTTP.InteractionsPath != "/interactions" {
		t.Errorf("config = %+v %+v", cfg.Discord, cfg.HTTP)
	}
}

func TestLoadConfigUnreadableFile(t *testing.T) {
	dir := t.TempDir() // a directory can't be read as a file, even by root
	_, err := LoadConfig(dir, true, env(map[string]string{TokenEnv: "tok"}))
	if err == nil || !strings.Contains(err.Error(), "cannot read config file") {
		t.Fatalf("err = %v", err)
	}
}

// The token must never appear in what Validate reports.
func TestConfigErrorsDoNotLeakToken(t *testing.T) {
	path := writeConfig(t, "log:\n  level: loud\n")
	_, err := LoadConfig(path, true, env(map[string]string{TokenEnv: "very-secret-token"}))
	if err == nil || strings.Contains(err.Error(), "very-secret-token") {
		t.Fatalf("err = %v", err)
	}
}

func FuzzDecodeConfig(f *testing.F) {
	for _, seed := range []string{"", "discord:\n  token: x\n", "log: [", "privacy:\n  checkin_retention_days: 9999999999999999999\n", "a: &a [*a, *a]\n"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg := DefaultConfig()
		if err := decodeConfig(data, &cfg, map[string]bool{}); err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("config error spans lines: %q", err)
			}
			return
		}
		cfg.Validate() // must not panic whatever was decoded
	})
}

// TestEveryKeyNamedInTypeErrors gives every key of the configuration a
// value of the wrong form and wants the error to name that key and what
// it wants, whatever its type.
func TestEveryKeyNamedInTypeErrors(t *testing.T) {
	var keys []string
	lists := map[string]bool{} // keys whose value is a list
	var walk func(prefix string, t reflect.Type)
	walk = func(prefix string, typ reflect.Type) {
		for i := range typ.NumField() {
			f := typ.Field(i)
			key := prefix + strings.Split(f.Tag.Get("yaml"), ",")[0]
			if f.Type.Kind() == reflect.Struct {
				walk(key+".", f.Type)
				continue
			}
			keys = append(keys, key)
			if f.Type.Kind() == reflect.Slice {
				lists[key] = true
			}
		}
	}
	walk("", reflect.TypeFor[Config]())
	if len(keys) < 8 {
		t.Fatalf("found only %d keys: %v", len(keys), keys)
	}
	for _, key := range keys {
		section, name, _ := strings.Cut(key, ".")
		bads := []string{"{a: 1}", "[1, 2]"}
		if lists[key] {
			bads = bads[:1]
		}
		for _, bad := range bads {
			path := writeConfig(t, section+":\n  "+name+": "+bad+"\n")
			_, err := LoadConfig(path, true, env(map[string]string{TokenEnv: "tok"}))
			if err == nil || !strings.Contains(err.Error(), key+": want ") {
				t.Errorf("%s: %s: err = %v, want it to name the key and the form it wants", key, bad, err)
			}
		}
	}
}

func TestLoadConfigCommentsOnlyAndEmptySections(t *testing.T) {
	for _, body := range []string{"# nothing set\n", "discord:\nlog:\n"} {
		cfg, err := LoadConfig(writeConfig(t, body), true, env(map[string]string{TokenEnv: "tok"}))
		if err != nil {
			t.Fatalf("%q: %v", body, err)
		}
		if cfg.Log.Level != "info" || cfg.Database.Path != "kindred.db" {
			t.Errorf("%q: defaults lost: %+v", body, cfg)
		}
	}
}

// A URL, from the file or the environment, selects PostgreSQL; the
// default SQLite path gives way to it, and the environment wins.
func TestLoadConfigDatabaseURL(t *testing.T) {
	const fileURL, envURL = "postgres://kindred:secret@db:5432/kindred?sslmode=require", "postgres://kindred:other@db2/kindred"
	cfg, err := LoadConfig(writeConfig(t, "database:\n  url: "+fileURL+"\n"), true, env(map[string]string{TokenEnv: "tok"}))
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Database.Postgres() || cfg.Database.URL != fileURL || cfg.Database.Path != "" || cfg.Database.Connections() != DefaultPostgresConnections {
		t.Errorf("database = %+v", cfg.Database)
	}
	if strings.Contains(cfg.Database.Redacted(), "secret") {
		t.Errorf("Redacted() = %q shows the password", cfg.Database.Redacted())
	}
	if shown := (DatabaseConfig{URL: "postgres://kindred@db/kindred?password=secret&sslmode=require"}).Redacted(); strings.Contains(shown, "secret") {
		t.Errorf("Redacted() = %q shows the password given as a parameter", shown)
	}
	cfg, err = LoadConfig(writeConfig(t, "database:\n  url: "+fileURL+"\n  max_connections: 4\n"), true, env(map[string]string{TokenEnv: "tok", DatabaseURLEnv: envURL}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Database.URL != envURL || cfg.Database.Connections() != 4 {
		t.Errorf("database = %+v, want the environment's URL", cfg.Database)
	}
	cfg, err = LoadConfig(filepath.Join(t.TempDir(), "absent.yaml"), false, env(map[string]string{TokenEnv: "tok", DatabaseURLEnv: envURL}))
	if err != nil || cfg.Database.URL != envURL || cfg.Database.Path != "" {
		t.Errorf("no file, URL in the environment: %+v, %v", cfg.Database, err)
	}
}

// Commands that use only the database need no token, and a broken one in
// the file is none of their business; the rest is checked as for the bot.
func TestLoadDatabaseConfigNeedsNoToken(t *testing.T) {
	path := writeConfig(t, "discord:\n  token: \"has spaces\"\ndatabase:\n  path: community.db\n")
	db, err := LoadDatabaseConfig(path, true, env(nil))
	if err != nil || db.Path != "community.db" || db.Postgres() {
		t.Errorf("LoadDatabaseConfig = %+v, %v; want community.db", db, err)
	}
	db, err = LoadDatabaseConfig(writeConfig(t, "log:\n  level: info\n"), true, env(map[string]string{DatabaseURLEnv: "postgres://k@db:5432/k"}))
	if err != nil || !db.Postgres() {
		t.Errorf("with %s: %+v, %v; want PostgreSQL", DatabaseURLEnv, db, err)
	}
	if _, err := LoadDatabaseConfig(writeConfig(t, "database:\n  path: \"\"\n"), true, env(nil)); err == nil {
		t.Error("an empty database.path was accepted")
	}
}

// kindred healthcheck reads the same file as the bot, in a container
// whose token may not be set, and must not hold one it was given.
func TestLoadConfigWithoutTokenHoldsNone(t *testing.T) {
	path := writeConfig(t, "http:\n  listen: 0.0.0.0:8080\n")
	cfg, err := LoadConfigWithoutToken(path, true, env(nil))
	if err != nil || cfg.HTTP.Listen != "0.0.0.0:8080" {
		t.Errorf("LoadConfigWithoutToken = %+v, %v; want listen 0.0.0.0:8080", cfg.HTTP, err)
	}
	cfg, err = LoadConfigWithoutToken(path, true, env(map[string]string{TokenEnv: "secret-token"}))
	if err != nil || cfg.Discord.Token != "" {
		t.Errorf("with %s set: token %q, %v; want none", TokenEnv, cfg.Discord.Token, err)
	}
	if _, err := LoadConfigWithoutToken(writeConfig(t, "http:\n  listen: nowhere\n"), true, env(nil)); err == nil {
		t.Error("an invalid http.listen was accepted")
	}
}
