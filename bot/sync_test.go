package bot

import (
	"encoding/json"
	"io"
	"log/slog"
	"testing"

	"github.com/bwmarrin/discordgo"

	"github.com/kindred-bot/kindred/commands"
)

func definitions(t *testing.T) []*discordgo.ApplicationCommand {
	env := commands.Env{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	return commands.NewRouter(nil, commands.Features(env)...).Definitions()
}

// asRegistered is what Discord answers for registered commands: the same
// definitions after a JSON round trip, with ids, versions and defaults added.
func asRegistered(t *testing.T, defs []*discordgo.ApplicationCommand) []*discordgo.ApplicationCommand {
	t.Helper()
	raw, err := json.Marshal(defs)
	if err != nil {
		t.Fatal(err)
	}
	var generic []map[string]any
	if err := json.Unmarshal(raw, &generic); err != nil {
		t.Fatal(err)
	}
	for i, c := range generic {
		c["id"] = "9000000000000000" + string(rune('0'+i%10))
		c["application_id"] = "1"
		c["version"] = "1"
		if _, ok := c["type"]; !ok {
			c["type"] = 1 // Discord fills in chat input; context menus keep theirs
		}
		c["dm_permission"] = true
		c["nsfw"] = false
		c["contexts"] = nil
	}
	raw, _ = json.Marshal(generic)
	var back []*discordgo.ApplicationCommand
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	return back
}

func TestSameCommandsIgnoresWhatDiscordAdds(t *testing.T) {
	defs := definitions(t)
	if !sameCommands(asRegistered(t, defs), defs) {
		t.Fatal("registered commands should equal their definitions")
	}
}

func TestSameCommandsNoticesChanges(t *testing.T) {
	defs := definitions(t)
	changed := asRegistered(t, defs)
	changed[0].Description += " (old)"
	if sameCommands(changed, defs) {
		t.Error("a changed description must count as a change")
	}
	if sameCommands(asRegistered(t, defs[1:]), defs) {
		t.Error("a missing command must count as a change")
	}
	option := asRegistered(t, defs)
	for _, c := range option {
		if c.Name == "preferences" {
			c.Options[0].Options[0].Required = false
		}
	}
	if sameCommands(option, defs) {
		t.Error("a changed option must count as a change")
	}
}
