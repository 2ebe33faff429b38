package discordsim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/bwmarrin/discordgo"
)

// Registered application commands. Commands are stored as Discord returns
// them; the interaction builders resolve names and option types from them.

// Commands returns the registered commands, global for guildID "".
func (s *Server) Commands(guildID string) []*discordgo.ApplicationCommand {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloneCommands(s.commands[guildID])
}

// CommandWrites counts the write requests (PUT, POST, PATCH, DELETE) made to
// command endpoints, accepted or not.
func (s *Server) CommandWrites() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commandWrites
}

// commandScope checks the {app} and {guild} parameters and returns the
// command scope (guild id, "" for global).
func (s *Server) commandScope(c *call) (string, bool) {
	if c.param("app") != s.AppID() {
		c.missingAccess()
		return "", false
	}
	g := c.param("guild")
	if g != "" && s.guilds[g] == nil {
		c.missingAccess()
		return "", false
	}
	return g, true
}

func (s *Server) listCommands(c *call) {
	scope, ok := s.commandScope(c)
	if !ok {
		return
	}
	cmds := cloneCommands(s.commands[scope])
	if cmds == nil {
		cmds = []*discordgo.ApplicationCommand{}
	}
	c.json(http.StatusOK, cmds)
}

func (s *Server) overwriteCommands(c *call) {
	s.commandWrites++
	scope, ok := s.commandScope(c)
	if !ok {
		return
	}
	var cmds []*discordgo.ApplicationCommand
	if !c.decode(c.body, &cmds) {
		return
	}
	var errs formErrors
	validateCommandList(&errs, cmds)
	if len(errs) > 0 {
		c.invalid(errs)
		return
	}
	old := s.commands[scope]
	out := make([]*discordgo.ApplicationCommand, 0, len(cmds))
	for _, cmd := range cmds {
		id := ""
		if prev := findCommand(old, cmd.Name, commandType(cmd)); prev != nil {
			id = prev.ID
		}
		out = append(out, s.registerLocked(scope, id, cmd))
	}
	s.commands[scope] = out
	c.json(http.StatusOK, cloneCommands(out))
}

func (s *Server) createCommand(c *call) {
	s.commandWrites++
	scope, ok := s.commandScope(c)
	if !ok {
		return
	}
	var cmd discordgo.ApplicationCommand
	if !c.decode(c.body, &cmd) {
		return
	}
	var errs formErrors
	validateCommand(&errs, "", &cmd)
	if len(errs) > 0 {
		c.invalid(errs)
		return
	}
	// Creating a command with an existing name and type replaces it.
	status := http.StatusCreated
	id := ""
	if prev := findCommand(s.commands[scope], cmd.Name, commandType(&cmd)); prev != nil {
		status, id = http.StatusOK, prev.ID
	}
	reg := s.registerLocked(scope, id, &cmd)
	s.commands[scope] = replaceCommand(s.commands[scope], reg)
	c.json(status, cloneCommands([]*discordgo.ApplicationCommand{reg})[0])
}

func (s *Server) getCommand(c *call) {
	scope, ok := s.commandScope(c)
	if !ok {
		return
	}
	for _, cmd := range s.commands[scope] {
		if cmd.ID == c.param("command") {
			c.json(http.StatusOK, cmd)
			return
		}
	}
	c.notFound(codeUnknownCommand, "application command")
}

func (s *Server) editCommand(c *call) {
	s.commandWrites++
	scope, ok := s.commandScope(c)
	if !ok {
		return
	}
	var prev *discordgo.ApplicationCommand
	for _, cmd := range s.commands[scope] {
		if cmd.ID == c.param("command") {
			prev = cmd
		}
	}
	if prev == nil {
		c.notFound(codeUnknownCommand, "application command")
		return
	}
	var patch map[string]json.RawMessage
	if !c.decode(c.body, &patch) {
		return
	}
	// Overlay the given fields on the current command.
	cur := map[string]json.RawMessage{}
	b, _ := json.Marshal(prev)
	_ = json.Unmarshal(b, &cur)
	for k, v := range patch {
		if k != "id" && k != "application_id" && k != "type" {
			cur[k] = v
		}
	}
	merged, _ := json.Marshal(cur)
	var cmd discordgo.ApplicationCommand
	if !c.decode(merged, &cmd) {
		return
	}
	var errs formErrors
	validateCommand(&errs, "", &cmd)
	if len(errs) > 0 {
		c.invalid(errs)
		return
	}
	reg := s.registerLocked(scope, prev.ID, &cmd)
	s.commands[scope] = replaceCommand(s.commands[scope], reg)
	c.json(http.StatusOK, reg)
}

func (s *Server) deleteCommand(c *call) {
	s.commandWrites++
	scope, ok := s.commandScope(c)
	if !ok {
		return
	}
	cmds := s.commands[scope]
	i := slices.IndexFunc(cmds, func(cmd *discordgo.ApplicationCommand) bool { return cmd.ID == c.param("command") })
	if i < 0 {
		c.notFound(codeUnknownCommand, "application command")
		return
	}
	s.commands[scope] = slices.Delete(slices.Clone(cmds), i, i+1)
	c.noContent()
}

// registerLocked turns a submitted command into the stored one: ids,
// version and the defaults Discord fills in.
func (s *Server) registerLocked(scope, id string, in *discordgo.ApplicationCommand) *discordgo.ApplicationCommand {
	cmd := cloneCommands([]*discordgo.ApplicationCommand{in})[0]
	if id == "" {
		id = s.ids.next()
	}
	cmd.ID = id
	cmd.ApplicationID = s.AppID()
	cmd.Version = s.ids.next()
	cmd.GuildID = scope
	cmd.Type = commandType(cmd)
	if scope == "" && cmd.DMPermission == nil {
		yes := true
		cmd.DMPermission = &yes
	}
	if cmd.NSFW == nil {
		no := false
		cmd.NSFW = &no
	}
	if cmd.IntegrationTypes == nil {
		cmd.IntegrationTypes = &[]discordgo.ApplicationIntegrationType{discordgo.ApplicationIntegrationGuildInstall}
	}
	return cmd
}

func commandType(cmd *discordgo.ApplicationCommand) discordgo.ApplicationCommandType {
	if cmd.Type == 0 {
		return discordgo.ChatApplicationCommand
	}
	return cmd.Type
}

func findCommand(cmds []*discordgo.ApplicationCommand, name string, typ discordgo.ApplicationCommandType) *discordgo.ApplicationCommand {
	for _, cmd := range cmds {
		if cmd.Name == name && commandType(cmd) == typ {
			return cmd
		}
	}
	return nil
}

func replaceCommand(cmds []*discordgo.ApplicationCommand, cmd *discordgo.ApplicationCommand) []*discordgo.ApplicationCommand {
	out := slices.Clone(cmds)
	for i, c := range out {
		if c.ID == cmd.ID {
			out[i] = cmd
			return out
		}
	}
	return append(out, cmd)
}

// cloneCommands deep-copies commands through JSON.
func cloneCommands(cmds []*discordgo.ApplicationCommand) []*discordgo.ApplicationCommand {
	if cmds == nil {
		return nil
	}
	b, err := json.Marshal(cmds)
	if err != nil {
		panic("discordsim: encoding commands: " + err.Error())
	}
	var out []*discordgo.ApplicationCommand
	if err := json.Unmarshal(b, &out); err != nil {
		panic("discordsim: decoding commands: " + err.Error())
	}
	return out
}

// --- validation, after Discord's documented rules ---

// chatName is the rule for chat command and option names.
var chatName = regexp.MustCompile(`^[-_'\p{L}\p{N}\p{Devanagari}\p{Thai}]{1,32}$`)

func validateCommandList(errs *formErrors, cmds []*discordgo.ApplicationCommand) {
	counts := map[discordgo.ApplicationCommandType]int{}
	seen := map[string]bool{}
	for i, cmd := range cmds {
		path := strconv.Itoa(i)
		validateCommand(errs, path, cmd)
		typ := commandType(cmd)
		counts[typ]++
		key := fmt.Sprint(typ, "/", cmd.Name)
		if seen[key] {
			errs.add(path+".name", "APPLICATION_COMMANDS_DUPLICATE_NAME", "Application command names must be unique")
		}
		seen[key] = true
	}
	if counts[discordgo.ChatApplicationCommand] > 100 {
		errs.add("_errors", "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer chat input commands.")
	}
	if counts[discordgo.UserApplicationCommand] > 15 || counts[discordgo.MessageApplicationCommand] > 15 {
		errs.add("_errors", "BASE_TYPE_MAX_LENGTH", "Must be 15 or fewer user and message commands each.")
	}
}

func validateCommand(errs *formErrors, path string, cmd *discordgo.ApplicationCommand) {
	switch commandType(cmd) {
	case discordgo.ChatApplicationCommand:
		validateChatName(errs, joinPath(path, "name"), cmd.Name)
		lenBetween(errs, joinPath(path, "description"), cmd.Description, 1, 100)
		validateOptions(errs, path, cmd.Options, 0)
	case discordgo.UserApplicationCommand, discordgo.MessageApplicationCommand:
		lenBetween(errs, joinPath(path, "name"), cmd.Name, 1, 32)
		if cmd.Description != "" {
			errs.add(joinPath(path, "description"), "APPLICATION_COMMAND_INVALID_DESCRIPTION", "Context menu commands cannot have a description")
		}
		if len(cmd.Options) > 0 {
			errs.add(joinPath(path, "options"), "APPLICATION_COMMAND_INVALID_OPTIONS", "Context menu commands cannot have options")
		}
	default:
		errs.add(joinPath(path, "type"), "BASE_TYPE_CHOICES", "Value must be one of (1, 2, 3).")
	}
}

func validateChatName(errs *formErrors, path, name string) {
	if !chatName.MatchString(name) || strings.ToLower(name) != name {
		errs.add(path, "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid (1-32 lowercase letters, digits, - or _): %q", name)
	}
}

// validateOptions checks one level of options: depth 0 is the command, 1 a
// subcommand group, 2 a subcommand.
func validateOptions(errs *formErrors, path string, opts []*discordgo.ApplicationCommandOption, depth int) {
	if len(opts) > 25 {
		errs.add(joinPath(path, "options"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
	}
	names := map[string]bool{}
	subs, values := 0, 0
	optionalSeen := false
	for i, o := range opts {
		if o == nil {
			continue
		}
		op := fmt.Sprintf("%s.%d", joinPath(path, "options"), i)
		validateChatName(errs, op+".name", o.Name)
		lenBetween(errs, op+".description", o.Description, 1, 100)
		if names[o.Name] {
			errs.add(op+".name", "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS", "Option names must be unique")
		}
		names[o.Name] = true

		switch o.Type {
		case discordgo.ApplicationCommandOptionSubCommandGroup:
			subs++
			if depth != 0 {
				errs.add(op+".type", "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID", "Subcommand groups can only be top-level options")
			}
			for j, so := range o.Options {
				if so != nil && so.Type != discordgo.ApplicationCommandOptionSubCommand {
					errs.add(fmt.Sprintf("%s.options.%d.type", op, j), "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID", "Subcommand groups can only contain subcommands")
				}
			}
			validateOptions(errs, op, o.Options, 1)
		case discordgo.ApplicationCommandOptionSubCommand:
			subs++
			if depth > 1 {
				errs.add(op+".type", "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID", "Subcommands cannot be nested this deep")
			}
			validateOptions(errs, op, o.Options, 2)
		case discordgo.ApplicationCommandOptionString, discordgo.ApplicationCommandOptionInteger,
			discordgo.ApplicationCommandOptionNumber:
			values++
			validateChoiceDefs(errs, op, o)
		case discordgo.ApplicationCommandOptionBoolean, discordgo.ApplicationCommandOptionUser,
			discordgo.ApplicationCommandOptionChannel, discordgo.ApplicationCommandOptionRole,
			discordgo.ApplicationCommandOptionMentionable, discordgo.ApplicationCommandOptionAttachment:
			values++
			if len(o.Choices) > 0 || o.Autocomplete {
				errs.add(op+".choices", "APPLICATION_COMMAND_OPTION_CHOICES_INVALID", "Only string, integer and number options can have choices or autocomplete")
			}
		default:
			errs.add(op+".type", "BASE_TYPE_CHOICES", "Unknown option type %d", o.Type)
			continue
		}
		if o.Type != discordgo.ApplicationCommandOptionSubCommand && o.Type != discordgo.ApplicationCommandOptionSubCommandGroup {
			if o.Required && optionalSeen {
				errs.add(op+".required", "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID", "Required options must be placed before non-required options")
			}
			if !o.Required {
				optionalSeen = true
			}
		}
	}
	if subs > 0 && values > 0 {
		errs.add(joinPath(path, "options"), "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID", "Subcommands and groups cannot be mixed with other options")
	}
	if depth == 2 && subs > 0 {
		errs.add(joinPath(path, "options"), "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID", "Subcommands cannot contain subcommands")
	}
}

func validateChoiceDefs(errs *formErrors, path string, o *discordgo.ApplicationCommandOption) {
	if len(o.Choices) > 25 {
		errs.add(path+".choices", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
	}
	if o.Autocomplete && len(o.Choices) > 0 {
		errs.add(path+".autocomplete", "APPLICATION_COMMAND_OPTION_CHOICES_INVALID", "Autocomplete cannot be combined with choices")
	}
	for i, ch := range o.Choices {
		cp := fmt.Sprintf("%s.choices.%d", path, i)
		lenBetween(errs, cp+".name", ch.Name, 1, 100)
		switch v := ch.Value.(type) {
		case string:
			if o.Type != discordgo.ApplicationCommandOptionString {
				errs.add(cp+".value", "BASE_TYPE_NUMBER_TYPE_COERCE", "Value %q is not a number.", v)
			}
			lenBetween(errs, cp+".value", v, 1, 100)
		case float64:
			if o.Type == discordgo.ApplicationCommandOptionString {
				errs.add(cp+".value", "BASE_TYPE_STRING_TYPE_COERCE", "Value must be a string.")
			}
			if o.Type == discordgo.ApplicationCommandOptionInteger && v != float64(int64(v)) {
				errs.add(cp+".value", "NUMBER_TYPE_COERCE", "Value %v is not int.", v)
			}
		default:
			errs.add(cp+".value", "BASE_TYPE_REQUIRED", "This field is required")
		}
	}
	if o.Type == discordgo.ApplicationCommandOptionString && (o.MaxLength > 6000 || (o.MinLength != nil && *o.MinLength > 6000)) {
		errs.add(path, "BASE_TYPE_BAD_LENGTH", "min_length and max_length must be between 0 and 6000.")
	}
}
