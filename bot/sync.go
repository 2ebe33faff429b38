package bot

import (
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/bwmarrin/discordgo"
)

// commandRegistrar is the part of discordgo's Session that registers commands.
type commandRegistrar interface {
	ApplicationCommands(appID, guildID string, options ...discordgo.RequestOption) ([]*discordgo.ApplicationCommand, error)
	ApplicationCommandBulkOverwrite(appID, guildID string, commands []*discordgo.ApplicationCommand, options ...discordgo.RequestOption) ([]*discordgo.ApplicationCommand, error)
}

// syncCommands registers want (globally, or to guildID) when it differs
// from what Discord has, and reports whether it wrote. Registering only on
// change keeps restarts from churning Discord's command cache, which is
// rate limited and slow to propagate globally.
func syncCommands(s commandRegistrar, appID, guildID string, want []*discordgo.ApplicationCommand) (bool, error) {
	have, err := s.ApplicationCommands(appID, guildID)
	if err != nil {
		return false, fmt.Errorf("list registered commands: %w", err)
	}
	if sameCommands(have, want) {
		return false, nil
	}
	if _, err := s.ApplicationCommandBulkOverwrite(appID, guildID, want); err != nil {
		return false, fmt.Errorf("register commands: %w", err)
	}
	return true, nil
}

// commandShape is the part of a command Kindred defines. Discord answers
// with more (ids, versions, defaults), which must not count as a change.
type commandShape struct {
	Type        discordgo.ApplicationCommandType
	Name        string
	Description string
	Permissions *int64
	Options     []optionShape
}

type optionShape struct {
	Type         discordgo.ApplicationCommandOptionType
	Name         string
	Description  string
	Required     bool
	Autocomplete bool
	Choices      []string
	ChannelTypes []discordgo.ChannelType
	MinValue     *float64
	MaxValue     float64
	MinLength    *int
	MaxLength    int
	Options      []optionShape
}

func sameCommands(have, want []*discordgo.ApplicationCommand) bool {
	return reflect.DeepEqual(shapes(have), shapes(want))
}

func shapes(cmds []*discordgo.ApplicationCommand) map[string]commandShape {
	out := make(map[string]commandShape, len(cmds))
	for _, c := range cmds {
		typ := c.Type
		if typ == 0 {
			typ = discordgo.ChatApplicationCommand
		}
		out[fmt.Sprint(typ, "/", c.Name)] = commandShape{
			Type:        typ,
			Name:        c.Name,
			Description: c.Description,
			Permissions: c.DefaultMemberPermissions,
			Options:     optionShapes(c.Options),
		}
	}
	return out
}

func optionShapes(opts []*discordgo.ApplicationCommandOption) []optionShape {
	if len(opts) == 0 {
		return nil
	}
	out := make([]optionShape, 0, len(opts))
	for _, o := range opts {
		s := optionShape{
			Type:         o.Type,
			Name:         o.Name,
			Description:  o.Description,
			Required:     o.Required,
			Autocomplete: o.Autocomplete,
			ChannelTypes: o.ChannelTypes,
			MinValue:     o.MinValue,
			MaxValue:     o.MaxValue,
			MinLength:    o.MinLength,
			MaxLength:    o.MaxLength,
			Options:      optionShapes(o.Options),
		}
		if len(s.ChannelTypes) == 0 {
			s.ChannelTypes = nil
		}
		for _, ch := range o.Choices {
			// Values come back from JSON as float64 or string; compare their JSON.
			v, _ := json.Marshal(ch.Value)
			s.Choices = append(s.Choices, ch.Name+"="+string(v))
		}
		out = append(out, s)
	}
	return out
}
