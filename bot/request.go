package bot

import (
	"errors"
	"fmt"

	"github.com/bwmarrin/discordgo"

	"github.com/kindred-bot/kindred/commands"
)

// buildRequest turns a discordgo Interaction into the handlers' Request.
// Payloads that lack what every interaction has (a user, typed data) are
// refused with an error rather than risking a nil dereference.
func buildRequest(i *discordgo.Interaction) (*commands.Request, error) {
	req := &commands.Request{GuildID: i.GuildID, ChannelID: i.ChannelID, Message: i.Message}
	switch {
	case i.Member != nil && i.Member.User != nil:
		req.UserID, req.UserName = i.Member.User.ID, i.Member.User.Username
		req.Permissions, req.RoleIDs = i.Member.Permissions, i.Member.Roles
	case i.User != nil:
		req.UserID, req.UserName = i.User.ID, i.User.Username
	}
	if req.UserID == "" {
		return nil, errors.New("no user")
	}
	if i.GuildID != "" && i.Member == nil {
		return nil, errors.New("guild interaction without member")
	}

	switch i.Type {
	case discordgo.InteractionApplicationCommand, discordgo.InteractionApplicationCommandAutocomplete:
		data, ok := i.Data.(discordgo.ApplicationCommandInteractionData)
		if !ok || data.Name == "" {
			return nil, fmt.Errorf("command data is %T", i.Data)
		}
		req.Type = commands.CommandInteraction
		if i.Type == discordgo.InteractionApplicationCommandAutocomplete {
			req.Type = commands.AutocompleteInteraction
		}
		req.Route, req.Options = commandRoute(data.Name, data.Options)
		req.Resolved = data.Resolved
		for _, o := range req.Options {
			if o != nil && o.Focused {
				req.Focused = o.Name
			}
		}
		if data.CommandType == discordgo.MessageApplicationCommand {
			if data.Resolved == nil || data.Resolved.Messages[data.TargetID] == nil {
				return nil, errors.New("message command without its target message")
			}
			req.TargetMessage = data.Resolved.Messages[data.TargetID]
		}
	case discordgo.InteractionMessageComponent:
		data, ok := i.Data.(discordgo.MessageComponentInteractionData)
		if !ok || data.CustomID == "" {
			return nil, fmt.Errorf("component data is %T", i.Data)
		}
		req.Type, req.Route, req.Values = commands.ComponentInteraction, data.CustomID, data.Values
	case discordgo.InteractionModalSubmit:
		data, ok := i.Data.(discordgo.ModalSubmitInteractionData)
		if !ok || data.CustomID == "" {
			return nil, fmt.Errorf("modal data is %T", i.Data)
		}
		req.Type, req.Route, req.Fields = commands.ModalInteraction, data.CustomID, modalFields(data.Components)
	default:
		return nil, fmt.Errorf("interaction type %d", i.Type)
	}
	return req, nil
}

// commandRoute names a command by its path ("group/create") and returns
// the options of the innermost subcommand.
func commandRoute(name string, opts []*discordgo.ApplicationCommandInteractionDataOption) (string, []*discordgo.ApplicationCommandInteractionDataOption) {
	for len(opts) == 1 && opts[0] != nil &&
		(opts[0].Type == discordgo.ApplicationCommandOptionSubCommand || opts[0].Type == discordgo.ApplicationCommandOptionSubCommandGroup) {
		name += "/" + opts[0].Name
		opts = opts[0].Options
	}
	return name, opts
}

func modalFields(rows []discordgo.MessageComponent) map[string]string {
	fields := map[string]string{}
	for _, c := range rows {
		row, ok := c.(*discordgo.ActionsRow)
		if !ok {
			continue
		}
		for _, inner := range row.Components {
			if in, ok := inner.(*discordgo.TextInput); ok {
				fields[in.CustomID] = in.Value
			}
		}
	}
	return fields
}
