package commands

import (
	"context"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/kindred-bot/kindred/storage"
	"github.com/kindred-bot/kindred/storage/storagetest"
)

var t0 = time.Date(2026, 11, 25, 18, 0, 0, 0, time.UTC)

const (
	guildID = "100000000000000001"
	aliceID = "200000000000000001"
)

func testEnv(t *testing.T) Env {
	return Env{
		DB:      storagetest.Open(t),
		Log:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now:     func() time.Time { return t0 },
		Version: "test",
		// Kindred's own user in the recorder's test server.
		BotUserID: kindredID,
	}
}

// call routes a request through a router of every feature, as the adapter does.
func call(t *testing.T, env Env, req *Request) (*Response, error) {
	t.Helper()
	if req.Type == 0 {
		req.Type = CommandInteraction
	}
	if req.UserID == "" {
		req.UserID = aliceID
	}
	route := NewRouter(env.DB, Features(env)...).Find(req.Type, req.Route)
	if route == nil {
		t.Fatalf("no route for %s %q", req.Type, req.Route)
	}
	return route.Handler(context.Background(), req)
}

func str(name, v string) *discordgo.ApplicationCommandInteractionDataOption {
	return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionString, Value: v}
}

func boolean(name string, v bool) *discordgo.ApplicationCommandInteractionDataOption {
	return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionBoolean, Value: v}
}

func wantUserError(t *testing.T, err error, mention string) {
	t.Helper()
	ue, ok := AsUserError(err)
	if !ok {
		t.Fatalf("err = %v, want a UserError", err)
	}
	if !strings.Contains(ue.Message, mention) {
		t.Errorf("user error %q should mention %q", ue.Message, mention)
	}
}

func text(r *Response) string {
	var b strings.Builder
	b.WriteString(r.Content)
	for _, e := range r.Embeds {
		b.WriteString("\n" + e.Title + "\n" + e.Description)
		for _, f := range e.Fields {
			b.WriteString("\n" + f.Name + ": " + f.Value)
		}
	}
	return b.String()
}

// Discord rejects a command set whose names or descriptions break its
// rules, and a member deserves a description for every option.
func TestDefinitionsAreValid(t *testing.T) {
	defs := NewRouter(storagetest.Open(t), Features(testEnv(t))...).Definitions()
	if len(defs) == 0 {
		t.Fatal("no commands defined")
	}
	name := regexp.MustCompile(`^[-_\p{Ll}\p{N}]{1,32}$`)
	seen := map[string]bool{}
	var checkOptions func(path string, opts []*discordgo.ApplicationCommandOption)
	checkOptions = func(path string, opts []*discordgo.ApplicationCommandOption) {
		if len(opts) > 25 {
			t.Errorf("%s: %d options, Discord allows 25", path, len(opts))
		}
		optional := false
		for _, o := range opts {
			p := path + " " + o.Name
			if !name.MatchString(o.Name) {
				t.Errorf("%s: invalid option name", p)
			}
			if n := utf8.RuneCountInString(o.Description); n == 0 || n > 100 {
				t.Errorf("%s: description has %d characters, want 1–100", p, n)
			}
			if o.Required && optional {
				t.Errorf("%s: required option after an optional one", p)
			}
			optional = optional || !o.Required
			if len(o.Choices) > 25 {
				t.Errorf("%s: %d choices, Discord allows 25", p, len(o.Choices))
			}
			if o.Autocomplete && len(o.Choices) > 0 {
				t.Errorf("%s: autocomplete and choices can't be combined", p)
			}
			for _, c := range o.Choices {
				if n := utf8.RuneCountInString(c.Name); n == 0 || n > 100 {
					t.Errorf("%s: choice %q has %d characters, want 1–100", p, c.Name, n)
				}
				switch c.Value.(type) {
				case int:
					if o.Type != discordgo.ApplicationCommandOptionInteger {
						t.Errorf("%s: choice %q is an integer, the option is not", p, c.Name)
					}
				case string:
					if o.Type != discordgo.ApplicationCommandOptionString {
						t.Errorf("%s: choice %q is a string, the option is not", p, c.Name)
					}
				default:
					t.Errorf("%s: choice %q has a %T value", p, c.Name, c.Value)
				}
			}
			checkOptions(p, o.Options)
		}
	}
	for _, c := range defs {
		if seen[c.Name] {
			t.Errorf("/%s defined twice", c.Name)
		}
		seen[c.Name] = true
		if c.Type == 0 || c.Type == discordgo.ChatApplicationCommand {
			if !name.MatchString(c.Name) {
				t.Errorf("/%s: invalid name", c.Name)
			}
			if n := utf8.RuneCountInString(c.Description); n == 0 || n > 100 {
				t.Errorf("/%s: description has %d characters, want 1–100", c.Name, n)
			}
		}
		checkOptions("/"+c.Name, c.Options)
	}
}

// Every command and subcommand defined has a handler, and vice versa.
func TestEveryCommandIsRouted(t *testing.T) {
	r := NewRouter(storagetest.Open(t), Features(testEnv(t))...)
	for _, c := range r.Definitions() {
		var leaves []string
		var walk func(prefix string, opts []*discordgo.ApplicationCommandOption)
		walk = func(prefix string, opts []*discordgo.ApplicationCommandOption) {
			hasSub := false
			for _, o := range opts {
				switch o.Type {
				case discordgo.ApplicationCommandOptionSubCommand, discordgo.ApplicationCommandOptionSubCommandGroup:
					hasSub = true
					walk(prefix+"/"+o.Name, o.Options)
				}
			}
			if !hasSub {
				leaves = append(leaves, prefix)
			}
		}
		walk(c.Name, c.Options)
		for _, l := range leaves {
			if r.Find(CommandInteraction, l) == nil {
				t.Errorf("/%s is defined but has no handler", strings.ReplaceAll(l, "/", " "))
			}
		}
	}
}

func TestSetupRefusesNonAdmins(t *testing.T) {
	env := testEnv(t)
	_, err := call(t, env, &Request{Route: "kindred/setup", GuildID: guildID, Permissions: discordgo.PermissionManageEvents,
		Options: []*discordgo.ApplicationCommandInteractionDataOption{str("timezone", "Europe/Berlin")}})
	wantUserError(t, err, "Manage Server")
	if s, _ := env.DB.GuildSettings(context.Background(), guildID); s.Timezone != "" {
		t.Errorf("a refused setup stored the timezone")
	}
}

func TestSetupStoresAndShows(t *testing.T) {
	env := testEnv(t)
	modlog := &discordgo.Channel{ID: "300000000000000001", Type: discordgo.ChannelTypeGuildText}
	mod := &discordgo.Role{ID: "400000000000000001"}
	req := &Request{Route: "kindred/setup", GuildID: guildID, Permissions: discordgo.PermissionManageGuild,
		Options: []*discordgo.ApplicationCommandInteractionDataOption{
			{Name: "modlog_channel", Type: discordgo.ApplicationCommandOptionChannel, Value: modlog.ID},
			{Name: "moderator_role", Type: discordgo.ApplicationCommandOptionRole, Value: mod.ID},
			str("timezone", "europe/berlin"),
			str("resources_text", "Call our warmline: 0800 111 0 111"),
		},
		Resolved: &discordgo.ApplicationCommandInteractionDataResolved{
			Channels: map[string]*discordgo.Channel{modlog.ID: modlog},
			Roles:    map[string]*discordgo.Role{mod.ID: mod},
		},
	}
	resp, err := call(t, env, req)
	if err != nil {
		t.Fatal(err)
	}
	if !resp.Ephemeral {
		t.Error("setup reply must be ephemeral")
	}
	s, _ := env.DB.GuildSettings(context.Background(), guildID)
	want := storage.GuildSettings{GuildID: guildID, ModlogChannelID: modlog.ID, ModeratorRoleID: mod.ID, Timezone: "Europe/Berlin",
		ResourcesText: "Call our warmline: 0800 111 0 111", ShareVetting: true, UpdatedAt: t0}
	if s != want {
		t.Errorf("stored %+v, want %+v", s, want)
	}
	// With no options it shows them.
	resp, err = call(t, env, &Request{Route: "kindred/setup", GuildID: guildID, Permissions: discordgo.PermissionAdministrator})
	if err != nil {
		t.Fatal(err)
	}
	if got := text(resp); !strings.Contains(got, "<#"+modlog.ID+">") || !strings.Contains(got, "Europe/Berlin") {
		t.Errorf("settings shown = %q", got)
	}
	// /resources now shows the server's own text.
	resp, err = call(t, env, &Request{Route: "resources", GuildID: guildID})
	if err != nil {
		t.Fatal(err)
	}
	if !resp.Ephemeral || !strings.Contains(text(resp), "0800 111 0 111") {
		t.Errorf("resources = %q (ephemeral %v)", text(resp), resp.Ephemeral)
	}
	// "default" brings the built-in list back.
	if _, err := call(t, env, &Request{Route: "kindred/setup", GuildID: guildID, Permissions: discordgo.PermissionManageGuild,
		Options: []*discordgo.ApplicationCommandInteractionDataOption{str("resources_text", "default")}}); err != nil {
		t.Fatal(err)
	}
	resp, _ = call(t, env, &Request{Route: "resources", GuildID: guildID})
	if !strings.Contains(text(resp), "findahelpline.com") {
		t.Errorf("built-in resources not restored: %q", text(resp))
	}
}

func TestSetupBadInput(t *testing.T) {
	admin := func(opts ...*discordgo.ApplicationCommandInteractionDataOption) *Request {
		return &Request{Route: "kindred/setup", GuildID: guildID, Permissions: discordgo.PermissionManageGuild, Options: opts}
	}
	tests := []struct {
		name    string
		req     *Request
		mention string
	}{
		{"unknown timezone", admin(str("timezone", "Europe/Berln")), "Europe/Berlin"},
		{"nonsense timezone", admin(str("timezone", "`@everyone`")), "Timezones look like"},
		{"resources too long", admin(str("resources_text", strings.Repeat("x", maxResourcesText+1))), "up to 1800"},
		{"everyone as moderator role", admin(&discordgo.ApplicationCommandInteractionDataOption{Name: "moderator_role", Type: discordgo.ApplicationCommandOptionRole, Value: guildID}), "@everyone"},
		{"voice channel as mod-log", &Request{Route: "kindred/setup", GuildID: guildID, Permissions: discordgo.PermissionManageGuild,
			Options:  []*discordgo.ApplicationCommandInteractionDataOption{{Name: "modlog_channel", Type: discordgo.ApplicationCommandOptionChannel, Value: "5"}},
			Resolved: &discordgo.ApplicationCommandInteractionDataResolved{Channels: map[string]*discordgo.Channel{"5": {ID: "5", Type: discordgo.ChannelTypeGuildVoice}}}}, "text channel"},
		{"in a DM", &Request{Route: "kindred/setup"}, "inside a server"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := testEnv(t)
			_, err := call(t, env, tt.req)
			wantUserError(t, err, tt.mention)
			if s, _ := env.DB.GuildSettings(context.Background(), guildID); !s.UpdatedAt.IsZero() {
				t.Errorf("bad input stored settings: %+v", s)
			}
		})
	}
}

func TestAboutAndBuiltinResources(t *testing.T) {
	env := testEnv(t)
	env.CheckinRetentionDays = 90
	resp, err := call(t, env, &Request{Route: "kindred/about", GuildID: guildID})
	if err != nil {
		t.Fatal(err)
	}
	got := text(resp)
	if n := utf8.RuneCountInString(resp.Embeds[0].Description); n > maxEmbedDescription {
		t.Errorf("about is %d characters; an embed's description holds %d", n, maxEmbedDescription)
	}
	for _, want := range []string{"preferences", "90 days", "not therapy", "only to you", "/mydata export", "/mydata delete", "warnings and reports", "Group summaries", "fewer than 5 people"} {
		if !strings.Contains(got, want) {
			t.Errorf("about should mention %q: %q", want, got)
		}
	}
	resp, err = call(t, env, &Request{Route: "resources"}) // in a DM: built-in list
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"findahelpline.com", "emergency", "NAMI HelpLine", "HeyPeers"} {
		if !strings.Contains(text(resp), want) {
			t.Errorf("built-in resources should mention %q", want)
		}
	}
	if !resp.Ephemeral {
		t.Error("resources must be ephemeral")
	}
}

func TestPreferences(t *testing.T) {
	env := testEnv(t)
	ctx := context.Background()
	resp, err := call(t, env, &Request{Route: "preferences/timezone", Options: []*discordgo.ApplicationCommandInteractionDataOption{str("zone", "america/new_york")}})
	if err != nil {
		t.Fatal(err)
	}
	// Echoes how it understood the input: the canonical name and the local time now.
	if got := text(resp); !strings.Contains(got, "America/New_York") || !strings.Contains(got, "13:00") {
		t.Errorf("timezone reply = %q", got)
	}
	resp, err = call(t, env, &Request{Route: "preferences/quiet-hours", Options: []*discordgo.ApplicationCommandInteractionDataOption{str("start", "10pm"), str("end", "08:00")}})
	if err != nil {
		t.Fatal(err)
	}
	if got := text(resp); !strings.Contains(got, "22:00 to 08:00") || !strings.Contains(got, "America/New_York") {
		t.Errorf("quiet hours reply = %q", got)
	}
	if _, err := call(t, env, &Request{Route: "preferences/dms", Options: []*discordgo.ApplicationCommandInteractionDataOption{boolean("enabled", false)}}); err != nil {
		t.Fatal(err)
	}
	p, _ := env.DB.Preferences(ctx, aliceID)
	want := storage.Preferences{UserID: aliceID, Timezone: "America/New_York", QuietHours: &storage.QuietHours{Start: 1320, End: 480}, DMsEnabled: false}
	if p.Timezone != want.Timezone || *p.QuietHours != *want.QuietHours || p.DMsEnabled {
		t.Errorf("stored %+v, want %+v", p, want)
	}
	resp, err = call(t, env, &Request{Route: "preferences/show"})
	if err != nil || !resp.Ephemeral {
		t.Fatalf("show: %v, ephemeral %v", err, resp != nil && resp.Ephemeral)
	}
	if got := text(resp); !strings.Contains(got, "22:00 to 08:00") || !strings.Contains(got, "DMs from Kindred: off") {
		t.Errorf("show = %q", got)
	}
	if _, err := call(t, env, &Request{Route: "preferences/quiet-hours-off"}); err != nil {
		t.Fatal(err)
	}
	if p, _ := env.DB.Preferences(ctx, aliceID); p.QuietHours != nil {
		t.Errorf("quiet hours still on: %+v", p.QuietHours)
	}
}

func TestPreferencesBadInput(t *testing.T) {
	tests := []struct {
		name    string
		req     *Request
		mention string
	}{
		{"unknown zone", &Request{Route: "preferences/timezone", Options: []*discordgo.ApplicationCommandInteractionDataOption{str("zone", "Amerca/New_York")}}, "America/New_York"},
		{"Local is not a zone", &Request{Route: "preferences/timezone", Options: []*discordgo.ApplicationCommandInteractionDataOption{str("zone", "Local")}}, "don't know"},
		{"hour 25", &Request{Route: "preferences/quiet-hours", Options: []*discordgo.ApplicationCommandInteractionDataOption{str("start", "25:00"), str("end", "08:00")}}, "25:00"},
		{"bad end", &Request{Route: "preferences/quiet-hours", Options: []*discordgo.ApplicationCommandInteractionDataOption{str("start", "22:00"), str("end", "7:61")}}, "7:61"},
		{"equal", &Request{Route: "preferences/quiet-hours", Options: []*discordgo.ApplicationCommandInteractionDataOption{str("start", "22:00"), str("end", "10pm")}}, "different times"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := testEnv(t)
			_, err := call(t, env, tt.req)
			wantUserError(t, err, tt.mention)
			if p, _ := env.DB.Preferences(context.Background(), aliceID); p.Timezone != "" || p.QuietHours != nil {
				t.Errorf("bad input stored preferences: %+v", p)
			}
		})
	}
}

func TestTimezoneAutocomplete(t *testing.T) {
	env := testEnv(t)
	for _, route := range []string{"preferences/timezone", "kindred/setup"} {
		for query, want := range map[string]string{"Europe/Ber": "Europe/Berlin", "europe/ber": "Europe/Berlin", "": "UTC", "new york": "America/New_York"} {
			focus := "zone"
			if route == "kindred/setup" {
				focus = "timezone"
			}
			resp, err := call(t, env, &Request{Type: AutocompleteInteraction, Route: route, Focused: focus,
				Options: []*discordgo.ApplicationCommandInteractionDataOption{str(focus, query)}})
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.Choices) == 0 || len(resp.Choices) > maxChoices {
				t.Fatalf("%s %q: %d choices", route, query, len(resp.Choices))
			}
			if resp.Choices[0].Value != want {
				t.Errorf("%s %q: first choice %v, want %s", route, query, resp.Choices[0].Value, want)
			}
		}
	}
}
