package discordsim

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/bwmarrin/discordgo"
)

// Building interactions the way Discord's client does. All Build* methods
// return the interaction the matching test helper dispatches; pass it to
// Start to dispatch it yourself (after changing it, for odd cases).

// dmAppPermissions is what app_permissions says in DMs.
const dmAppPermissions int64 = discordgo.PermissionViewChannel | discordgo.PermissionSendMessages |
	discordgo.PermissionEmbedLinks | discordgo.PermissionAttachFiles | discordgo.PermissionReadMessageHistory |
	discordgo.PermissionAddReactions | discordgo.PermissionUseExternalEmojis

// invocation is who triggers an interaction, and where.
type invocation struct {
	guild   *guildState // nil in DMs
	user    *discordgo.User
	channel *discordgo.Channel
}

// invocationLocked resolves the invoking user and channel. An empty
// channelID means the guild's first text channel, or the user's DM channel.
func (s *Server) invocationLocked(guildID, channelID, userID string) (*invocation, error) {
	if userID == "" {
		return nil, fmt.Errorf("discordsim: no user id given")
	}
	if channelID != "" {
		cs := s.channels[channelID]
		if cs == nil {
			return nil, fmt.Errorf("discordsim: unknown channel %s", channelID)
		}
		if guildID == "" {
			guildID = cs.ch.GuildID
		} else if cs.ch.GuildID != guildID {
			return nil, fmt.Errorf("discordsim: channel %s is not in guild %s", channelID, guildID)
		}
	}
	if guildID == "" {
		inv := &invocation{user: s.userLocked(userID)}
		if channelID == "" {
			inv.channel = s.dmChannelLocked(userID).ch
		} else {
			inv.channel = s.channels[channelID].ch
		}
		return inv, nil
	}
	gs := s.guilds[guildID]
	if gs == nil {
		return nil, fmt.Errorf("discordsim: unknown guild %s (add it with AddGuild)", guildID)
	}
	m := gs.members[userID]
	if m == nil {
		return nil, fmt.Errorf("discordsim: user %s is not a member of guild %s", userID, guildID)
	}
	if channelID == "" {
		channelID = s.defaultChannelLocked(gs)
	}
	return &invocation{guild: gs, user: m.user, channel: s.channels[channelID].ch}, nil
}

// baseInteractionLocked fills in everything but the data.
func (s *Server) baseInteractionLocked(inv *invocation, typ discordgo.InteractionType) *discordgo.Interaction {
	id := s.ids.next()
	i := &discordgo.Interaction{
		ID:           id,
		AppID:        s.AppID(),
		Type:         typ,
		ChannelID:    inv.channel.ID,
		Token:        newInteractionToken(id),
		Version:      1,
		Locale:       discordgo.EnglishUS,
		Entitlements: []*discordgo.Entitlement{},
	}
	if g := inv.guild; g != nil {
		i.GuildID = g.id
		m := g.memberObject(inv.user.ID, true)
		m.GuildID = ""
		m.Permissions = g.permissions(inv.user.ID)
		i.Member = m
		loc := discordgo.EnglishUS
		i.GuildLocale = &loc
		i.AppPermissions = g.permissions(s.botUser.ID)
		i.Context = discordgo.InteractionContextGuild
		i.AuthorizingIntegrationOwners = map[discordgo.ApplicationIntegrationType]string{discordgo.ApplicationIntegrationGuildInstall: g.id}
	} else {
		u := *inv.user
		i.User = &u
		i.AppPermissions = dmAppPermissions
		i.Context = discordgo.InteractionContextBotDM
		i.AuthorizingIntegrationOwners = map[discordgo.ApplicationIntegrationType]string{discordgo.ApplicationIntegrationGuildInstall: "0"}
	}
	return i
}

// BuildCommand builds the slash command interaction Interact sends.
//
// The command is written as a member types it: "/name", then subcommand
// group and subcommand names, then options as name:value. Values with
// spaces go in double quotes (note:"slept well"; \" and \\ escape inside
// quotes). Names, nesting and types come from the commands the bot
// registered (guild commands first, then global ones); values are typed
// accordingly: integers, numbers, booleans (true/false), users (<@id>, an
// id or a username), channels (<#id>, an id or a name), roles (<@&id>, an
// id or a name), mentionables. Options with choices take a choice's value
// or name. Required options, choices, length and value limits and channel
// types are enforced like the client does. Resolved users, members, roles
// and channels come from the guild model.
func (s *Server) BuildCommand(guildID, userID, command string) (*discordgo.Interaction, error) {
	return s.buildCommand(guildID, "", userID, command, false, "")
}

// BuildCommandIn is BuildCommand from a given channel or thread.
func (s *Server) BuildCommandIn(channelID, userID, command string) (*discordgo.Interaction, error) {
	return s.buildCommand("", channelID, userID, command, false, "")
}

// BuildAutocomplete builds the autocomplete interaction Autocomplete sends:
// the last option is focused and its value is sent as typed, as a string.
func (s *Server) BuildAutocomplete(guildID, userID, command string) (*discordgo.Interaction, error) {
	return s.buildCommand(guildID, "", userID, command, true, "")
}

// BuildAutocompleteIn is BuildAutocomplete from a given channel, with the
// named option focused wherever it stands in the line; an option the line
// does not give yet is focused with an empty value, as when a member has
// just picked it. An empty focused means the last option.
func (s *Server) BuildAutocompleteIn(channelID, userID, line, focused string) (*discordgo.Interaction, error) {
	if focused != "" {
		tokens, err := tokenize(line)
		if err == nil && !slices.ContainsFunc(tokens, func(tok string) bool { return strings.HasPrefix(tok, focused+":") }) {
			line += " " + focused + ":"
		}
	}
	return s.buildCommand("", channelID, userID, line, true, focused)
}

func (s *Server) buildCommand(guildID, channelID, userID, line string, autocomplete bool, focused string) (*discordgo.Interaction, error) {
	fail := func(format string, args ...any) (*discordgo.Interaction, error) {
		return nil, fmt.Errorf("discordsim: %s: %s", line, fmt.Sprintf(format, args...))
	}
	tokens, err := tokenize(line)
	if err != nil {
		return fail("%v", err)
	}
	if len(tokens) == 0 || !strings.HasPrefix(tokens[0], "/") || len(tokens[0]) < 2 {
		return fail("a command starts with /name")
	}
	name := tokens[0][1:]

	s.mu.Lock()
	defer s.mu.Unlock()
	inv, err := s.invocationLocked(guildID, channelID, userID)
	if err != nil {
		return nil, err
	}
	cmd := s.lookupCommandLocked(inv, name, discordgo.ChatApplicationCommand)
	if cmd == nil {
		return fail("no chat command %q is registered for %s; registered: %s", name, scopeName(inv), s.commandNamesLocked(inv))
	}
	if inv.guild == nil && !usableInDM(cmd) {
		return fail("/%s is not available in DMs (dm_permission false or contexts without BotDM)", name)
	}

	var (
		top    []*discordgo.ApplicationCommandInteractionDataOption
		target = &top
		opts   = cmd.Options
		path   = "/" + name
		rest   = tokens[1:]
	)
	// Walk down subcommand groups and subcommands.
	for hasSubcommands(opts) {
		if len(rest) == 0 || strings.Contains(rest[0], ":") {
			return fail("%s needs one of: %s", path, optionNames(opts))
		}
		o := findOption(opts, rest[0])
		if o == nil || (o.Type != discordgo.ApplicationCommandOptionSubCommand && o.Type != discordgo.ApplicationCommandOptionSubCommandGroup) {
			return fail("%s has no subcommand %q; it has: %s", path, rest[0], optionNames(opts))
		}
		d := &discordgo.ApplicationCommandInteractionDataOption{Name: o.Name, Type: o.Type, Options: []*discordgo.ApplicationCommandInteractionDataOption{}}
		*target = append(*target, d)
		target = &d.Options
		path += " " + o.Name
		opts = o.Options
		rest = rest[1:]
	}

	res := &discordgo.ApplicationCommandInteractionDataResolved{}
	given := map[string]bool{}
	for n, tok := range rest {
		optName, raw, ok := strings.Cut(tok, ":")
		if !ok {
			return fail("expected name:value after %s, got %q", path, tok)
		}
		o := findOption(opts, optName)
		if o == nil || o.Type == discordgo.ApplicationCommandOptionSubCommand || o.Type == discordgo.ApplicationCommandOptionSubCommandGroup {
			return fail("%s has no option %q; options: %s", path, optName, describeOptions(opts))
		}
		if given[o.Name] {
			return fail("option %q given twice", o.Name)
		}
		given[o.Name] = true
		d := &discordgo.ApplicationCommandInteractionDataOption{Name: o.Name, Type: o.Type}
		if autocomplete && (o.Name == focused || (focused == "" && n == len(rest)-1)) {
			if !o.Autocomplete {
				return fail("option %q of %s does not have autocomplete", o.Name, path)
			}
			d.Value, d.Focused = raw, true
		} else {
			v, err := s.optionValueLocked(inv, o, raw, res)
			if err != nil {
				return fail("option %q: %v", o.Name, err)
			}
			d.Value = v
		}
		*target = append(*target, d)
	}
	if autocomplete {
		if len(rest) == 0 {
			return fail("autocomplete needs the focused option last, e.g. %s name:partial", path)
		}
	} else {
		var missing []string
		for _, o := range opts {
			if o.Required && !given[o.Name] {
				missing = append(missing, o.Name)
			}
		}
		if len(missing) > 0 {
			return fail("%s is missing required option(s): %s", path, strings.Join(missing, ", "))
		}
	}

	typ := discordgo.InteractionApplicationCommand
	if autocomplete {
		typ = discordgo.InteractionApplicationCommandAutocomplete
	}
	i := s.baseInteractionLocked(inv, typ)
	data := discordgo.ApplicationCommandInteractionData{
		ID: cmd.ID, Name: cmd.Name, CommandType: discordgo.ChatApplicationCommand, Options: top,
	}
	if len(res.Users)+len(res.Members)+len(res.Roles)+len(res.Channels) > 0 {
		data.Resolved = res
	}
	i.Data = data
	return i, nil
}

// lookupCommandLocked finds a registered command: guild commands first.
func (s *Server) lookupCommandLocked(inv *invocation, name string, typ discordgo.ApplicationCommandType) *discordgo.ApplicationCommand {
	if inv.guild != nil {
		if cmd := findCommand(s.commands[inv.guild.id], name, typ); cmd != nil {
			return cmd
		}
	}
	return findCommand(s.commands[""], name, typ)
}

func (s *Server) commandNamesLocked(inv *invocation) string {
	var names []string
	add := func(cmds []*discordgo.ApplicationCommand) {
		for _, c := range cmds {
			switch commandType(c) {
			case discordgo.ChatApplicationCommand:
				names = append(names, "/"+c.Name)
			case discordgo.UserApplicationCommand:
				names = append(names, "user:"+c.Name)
			default:
				names = append(names, "message:"+c.Name)
			}
		}
	}
	if inv.guild != nil {
		add(s.commands[inv.guild.id])
	}
	add(s.commands[""])
	if len(names) == 0 {
		return "none (did the bot register its commands?)"
	}
	return strings.Join(names, ", ")
}

func scopeName(inv *invocation) string {
	if inv.guild == nil {
		return "DMs"
	}
	return "guild " + inv.guild.id
}

func usableInDM(cmd *discordgo.ApplicationCommand) bool {
	if cmd.GuildID != "" {
		return false
	}
	if cmd.Contexts != nil {
		return slices.Contains(*cmd.Contexts, discordgo.InteractionContextBotDM)
	}
	return cmd.DMPermission == nil || *cmd.DMPermission
}

func hasSubcommands(opts []*discordgo.ApplicationCommandOption) bool {
	for _, o := range opts {
		if o.Type == discordgo.ApplicationCommandOptionSubCommand || o.Type == discordgo.ApplicationCommandOptionSubCommandGroup {
			return true
		}
	}
	return false
}

func findOption(opts []*discordgo.ApplicationCommandOption, name string) *discordgo.ApplicationCommandOption {
	for _, o := range opts {
		if o.Name == name {
			return o
		}
	}
	return nil
}

func optionNames(opts []*discordgo.ApplicationCommandOption) string {
	names := make([]string, len(opts))
	for i, o := range opts {
		names[i] = o.Name
	}
	return strings.Join(names, ", ")
}

func describeOptions(opts []*discordgo.ApplicationCommandOption) string {
	if len(opts) == 0 {
		return "none"
	}
	parts := make([]string, len(opts))
	for i, o := range opts {
		desc := strings.ToLower(o.Type.String())
		if o.Required {
			desc += ", required"
		}
		if o.Autocomplete {
			desc += ", autocomplete"
		}
		if len(o.Choices) > 0 {
			desc += ", choices " + choiceList(o.Choices)
		}
		parts[i] = fmt.Sprintf("%s (%s)", o.Name, desc)
	}
	return strings.Join(parts, "; ")
}

func choiceList(choices []*discordgo.ApplicationCommandOptionChoice) string {
	parts := make([]string, len(choices))
	for i, c := range choices {
		parts[i] = fmt.Sprintf("%s=%v", c.Name, c.Value)
	}
	return strings.Join(parts, " ")
}

// optionValueLocked converts a typed value to the option's type, adding
// what it refers to to res.
func (s *Server) optionValueLocked(inv *invocation, o *discordgo.ApplicationCommandOption, raw string, res *discordgo.ApplicationCommandInteractionDataResolved) (any, error) {
	switch o.Type {
	case discordgo.ApplicationCommandOptionString:
		if len(o.Choices) > 0 {
			return matchChoice(o, raw)
		}
		if o.MinLength != nil && runes(raw) < *o.MinLength {
			return nil, fmt.Errorf("%q is shorter than min_length %d", raw, *o.MinLength)
		}
		if o.MaxLength > 0 && runes(raw) > o.MaxLength {
			return nil, fmt.Errorf("%q is longer than max_length %d", raw, o.MaxLength)
		}
		if raw == "" {
			return nil, fmt.Errorf("empty value")
		}
		return raw, nil
	case discordgo.ApplicationCommandOptionInteger, discordgo.ApplicationCommandOptionNumber:
		if len(o.Choices) > 0 {
			return matchChoice(o, raw)
		}
		f, err := strconv.ParseFloat(raw, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("%q is not a number", raw)
		}
		if o.MinValue != nil && f < *o.MinValue {
			return nil, fmt.Errorf("%v is below min_value %v", f, *o.MinValue)
		}
		if o.MaxValue != 0 && f > o.MaxValue {
			return nil, fmt.Errorf("%v is above max_value %v", f, o.MaxValue)
		}
		if o.Type == discordgo.ApplicationCommandOptionInteger {
			n, err := strconv.ParseInt(raw, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("%q is not an integer", raw)
			}
			return n, nil
		}
		return f, nil
	case discordgo.ApplicationCommandOptionBoolean:
		switch strings.ToLower(raw) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return nil, fmt.Errorf("%q is not true or false", raw)
	case discordgo.ApplicationCommandOptionUser:
		u, err := s.findUserLocked(inv, raw)
		if err != nil {
			return nil, err
		}
		s.resolveUserLocked(inv, u, res)
		return u.ID, nil
	case discordgo.ApplicationCommandOptionRole:
		r, err := s.findRoleLocked(inv, raw)
		if err != nil {
			return nil, err
		}
		resolveRole(r, res)
		return r.ID, nil
	case discordgo.ApplicationCommandOptionMentionable:
		if strings.HasPrefix(raw, "<@&") {
			r, err := s.findRoleLocked(inv, raw)
			if err != nil {
				return nil, err
			}
			resolveRole(r, res)
			return r.ID, nil
		}
		if u, err := s.findUserLocked(inv, raw); err == nil {
			s.resolveUserLocked(inv, u, res)
			return u.ID, nil
		}
		r, err := s.findRoleLocked(inv, raw)
		if err != nil {
			return nil, fmt.Errorf("%q is neither a known user nor a role", raw)
		}
		resolveRole(r, res)
		return r.ID, nil
	case discordgo.ApplicationCommandOptionChannel:
		ch, err := s.findChannelLocked(inv, raw)
		if err != nil {
			return nil, err
		}
		if len(o.ChannelTypes) > 0 && !slices.Contains(o.ChannelTypes, ch.Type) {
			return nil, fmt.Errorf("channel %s has type %d, the option accepts %v", ch.ID, ch.Type, o.ChannelTypes)
		}
		if res.Channels == nil {
			res.Channels = map[string]*discordgo.Channel{}
		}
		res.Channels[ch.ID] = copyChannel(ch)
		return ch.ID, nil
	case discordgo.ApplicationCommandOptionAttachment:
		return nil, fmt.Errorf("attachment options are not supported")
	}
	return nil, fmt.Errorf("unsupported option type %d", o.Type)
}

// matchChoice accepts a choice's value or its name.
func matchChoice(o *discordgo.ApplicationCommandOption, raw string) (any, error) {
	for _, c := range o.Choices {
		if fmt.Sprint(c.Value) == raw {
			return choiceValue(o, c.Value), nil
		}
	}
	for _, c := range o.Choices {
		if strings.EqualFold(c.Name, raw) {
			return choiceValue(o, c.Value), nil
		}
	}
	return nil, fmt.Errorf("%q is not one of the choices: %s", raw, choiceList(o.Choices))
}

func choiceValue(o *discordgo.ApplicationCommandOption, v any) any {
	if f, ok := v.(float64); ok && o.Type == discordgo.ApplicationCommandOptionInteger {
		return int64(f)
	}
	return v
}

// mentionID extracts the id from <prefix id> or a bare id.
func mentionID(raw, prefix string) (string, bool) {
	if strings.HasPrefix(raw, prefix) && strings.HasSuffix(raw, ">") {
		id := strings.TrimPrefix(strings.TrimSuffix(strings.TrimPrefix(raw, prefix), ">"), "!")
		return id, isSnowflake(id)
	}
	return raw, isSnowflake(raw)
}

func isSnowflake(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !unicode.IsDigit(r) {
			return false
		}
	}
	return true
}

func (s *Server) findUserLocked(inv *invocation, raw string) (*discordgo.User, error) {
	if strings.HasPrefix(raw, "<@&") {
		return nil, fmt.Errorf("%q is a role mention, not a user", raw)
	}
	if id, ok := mentionID(raw, "<@"); ok {
		if u := s.users[id]; u != nil {
			return u, nil
		}
		if inv.guild == nil {
			return s.userLocked(id), nil
		}
		return nil, fmt.Errorf("unknown user %s", id)
	}
	name := strings.TrimPrefix(raw, "@")
	if inv.guild != nil {
		for _, id := range inv.guild.memberOrder {
			if m := inv.guild.members[id]; m.user.Username == name || (m.nick != "" && m.nick == name) {
				return m.user, nil
			}
		}
	}
	for _, u := range s.users {
		if u.Username == name {
			return u, nil
		}
	}
	return nil, fmt.Errorf("no user %q", raw)
}

func (s *Server) resolveUserLocked(inv *invocation, u *discordgo.User, res *discordgo.ApplicationCommandInteractionDataResolved) {
	if res.Users == nil {
		res.Users = map[string]*discordgo.User{}
	}
	cp := *u
	res.Users[u.ID] = &cp
	if g := inv.guild; g != nil && g.members[u.ID] != nil {
		if res.Members == nil {
			res.Members = map[string]*discordgo.Member{}
		}
		m := g.memberObject(u.ID, false)
		m.GuildID = ""
		m.Permissions = g.permissions(u.ID)
		res.Members[u.ID] = m
	}
}

func (s *Server) findRoleLocked(inv *invocation, raw string) (*discordgo.Role, error) {
	if inv.guild == nil {
		return nil, fmt.Errorf("roles do not exist in DMs")
	}
	if id, ok := mentionID(raw, "<@&"); ok {
		if r := inv.guild.role(id); r != nil {
			return r, nil
		}
		return nil, fmt.Errorf("guild %s has no role %s", inv.guild.id, id)
	}
	name := strings.TrimPrefix(raw, "@")
	for _, r := range inv.guild.roles {
		if r.Name == name || r.Name == raw {
			return r, nil
		}
	}
	return nil, fmt.Errorf("guild %s has no role %q", inv.guild.id, raw)
}

func resolveRole(r *discordgo.Role, res *discordgo.ApplicationCommandInteractionDataResolved) {
	if res.Roles == nil {
		res.Roles = map[string]*discordgo.Role{}
	}
	cp := *r
	res.Roles[r.ID] = &cp
}

func (s *Server) findChannelLocked(inv *invocation, raw string) (*discordgo.Channel, error) {
	guildID := ""
	if inv.guild != nil {
		guildID = inv.guild.id
	}
	if id, ok := mentionID(raw, "<#"); ok {
		cs := s.channels[id]
		if cs == nil || cs.ch.GuildID != guildID {
			return nil, fmt.Errorf("no channel %s in %s", id, scopeName(inv))
		}
		return cs.ch, nil
	}
	name := strings.TrimPrefix(raw, "#")
	var found *discordgo.Channel
	for _, cs := range s.channels {
		if cs.ch.GuildID == guildID && guildID != "" && cs.ch.Name == name {
			if found == nil || compareIDs(cs.ch.ID, found.ID) < 0 {
				found = cs.ch
			}
		}
	}
	if found == nil {
		return nil, fmt.Errorf("no channel %q in %s", raw, scopeName(inv))
	}
	return found, nil
}

// tokenize splits a command line on spaces, keeping double-quoted parts
// together (quotes removed, \" and \\ escaped inside them).
func tokenize(line string) ([]string, error) {
	var (
		tokens  []string
		cur     strings.Builder
		inQuote bool
		started bool
	)
	rs := []rune(line)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case inQuote && r == '\\' && i+1 < len(rs) && (rs[i+1] == '"' || rs[i+1] == '\\'):
			i++
			cur.WriteRune(rs[i])
		case r == '"':
			inQuote = !inQuote
			started = true
		case !inQuote && unicode.IsSpace(r):
			if started {
				tokens = append(tokens, cur.String())
				cur.Reset()
				started = false
			}
		default:
			cur.WriteRune(r)
			started = true
		}
	}
	if inQuote {
		return nil, fmt.Errorf("unterminated quote")
	}
	if started {
		tokens = append(tokens, cur.String())
	}
	return tokens, nil
}

// BuildMessageCommand builds a message context menu interaction on target.
func (s *Server) BuildMessageCommand(guildID, userID, name string, target *discordgo.Message) (*discordgo.Interaction, error) {
	if target == nil || target.ID == "" {
		return nil, fmt.Errorf("discordsim: message command %q needs a target message with an id", name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	channelID := target.ChannelID
	if s.channels[channelID] == nil {
		channelID = ""
	}
	inv, err := s.invocationLocked(guildID, channelID, userID)
	if err != nil {
		return nil, err
	}
	cmd := s.lookupCommandLocked(inv, name, discordgo.MessageApplicationCommand)
	if cmd == nil {
		return nil, fmt.Errorf("discordsim: no message command %q is registered for %s; registered: %s", name, scopeName(inv), s.commandNamesLocked(inv))
	}
	m := copyMessage(target)
	if m.ChannelID == "" {
		m.ChannelID = inv.channel.ID
	}
	i := s.baseInteractionLocked(inv, discordgo.InteractionApplicationCommand)
	i.Data = discordgo.ApplicationCommandInteractionData{
		ID: cmd.ID, Name: cmd.Name, CommandType: discordgo.MessageApplicationCommand, TargetID: m.ID,
		Resolved: &discordgo.ApplicationCommandInteractionDataResolved{Messages: map[string]*discordgo.Message{m.ID: m}},
	}
	return i, nil
}

// BuildUserCommand builds a user context menu interaction on a user.
func (s *Server) BuildUserCommand(guildID, userID, name, targetUserID string) (*discordgo.Interaction, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	inv, err := s.invocationLocked(guildID, "", userID)
	if err != nil {
		return nil, err
	}
	cmd := s.lookupCommandLocked(inv, name, discordgo.UserApplicationCommand)
	if cmd == nil {
		return nil, fmt.Errorf("discordsim: no user command %q is registered for %s; registered: %s", name, scopeName(inv), s.commandNamesLocked(inv))
	}
	target := s.users[targetUserID]
	if target == nil {
		return nil, fmt.Errorf("discordsim: unknown target user %s", targetUserID)
	}
	res := &discordgo.ApplicationCommandInteractionDataResolved{}
	s.resolveUserLocked(inv, target, res)
	i := s.baseInteractionLocked(inv, discordgo.InteractionApplicationCommand)
	i.Data = discordgo.ApplicationCommandInteractionData{
		ID: cmd.ID, Name: cmd.Name, CommandType: discordgo.UserApplicationCommand, TargetID: target.ID, Resolved: res,
	}
	return i, nil
}

// BuildComponent builds a button click (values nil) or a select menu choice
// on msg (nil: a synthetic bot message holding just that component).
func (s *Server) BuildComponent(guildID, userID, customID string, values []string, msg *discordgo.Message) (*discordgo.Interaction, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	channelID := ""
	if msg != nil && s.channels[msg.ChannelID] != nil {
		channelID = msg.ChannelID
	}
	inv, err := s.invocationLocked(guildID, channelID, userID)
	if err != nil {
		return nil, err
	}
	var m *discordgo.Message
	var kind discordgo.ComponentType
	if msg == nil {
		m = s.newMessageLocked(inv.channel, &s.botUser)
		var comp discordgo.MessageComponent = discordgo.Button{CustomID: customID, Label: customID, Style: discordgo.PrimaryButton}
		kind = discordgo.ButtonComponent
		if values != nil {
			comp = discordgo.SelectMenu{CustomID: customID, MenuType: discordgo.StringSelectMenu}
			kind = discordgo.SelectMenuComponent
		}
		m.Components = []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{comp}}}
	} else {
		m = copyMessage(msg)
		if m.ChannelID == "" {
			m.ChannelID = inv.channel.ID
		}
		kind, err = checkComponent(m, customID, values)
		if err != nil {
			return nil, err
		}
	}
	i := s.baseInteractionLocked(inv, discordgo.InteractionMessageComponent)
	i.Message = m
	i.Data = discordgo.MessageComponentInteractionData{CustomID: customID, ComponentType: kind, Values: values}
	return i, nil
}

// checkComponent finds the component a user interacts with and checks that
// the client would let them.
func checkComponent(m *discordgo.Message, customID string, values []string) (discordgo.ComponentType, error) {
	var ids []string
	var kind discordgo.ComponentType
	var err error
	found := false
	walkComponents(m.Components, func(c discordgo.MessageComponent) {
		switch v := c.(type) {
		case discordgo.Button:
			ids = append(ids, v.CustomID)
			if v.CustomID != customID || found {
				return
			}
			found, kind = true, discordgo.ButtonComponent
			switch {
			case values != nil:
				err = fmt.Errorf("%q is a button, not a select menu", customID)
			case v.Disabled:
				err = fmt.Errorf("button %q is disabled", customID)
			}
		case discordgo.SelectMenu:
			ids = append(ids, v.CustomID)
			if v.CustomID != customID || found {
				return
			}
			found, kind = true, v.Type()
			err = checkSelection(v, values)
		}
	})
	if !found {
		return 0, fmt.Errorf("discordsim: message %s has no component %q; it has: %s", m.ID, customID, strings.Join(ids, ", "))
	}
	if err != nil {
		return 0, fmt.Errorf("discordsim: %w", err)
	}
	return kind, nil
}

func checkSelection(menu discordgo.SelectMenu, values []string) error {
	switch {
	case values == nil:
		return fmt.Errorf("%q is a select menu; use Select", menu.CustomID)
	case menu.Disabled:
		return fmt.Errorf("select menu %q is disabled", menu.CustomID)
	}
	lo, hi := 1, 1
	if menu.MinValues != nil {
		lo = *menu.MinValues
	}
	if menu.MaxValues > 0 {
		hi = menu.MaxValues
	}
	if len(values) < lo || len(values) > hi {
		return fmt.Errorf("select menu %q takes %d to %d values, got %d", menu.CustomID, lo, hi, len(values))
	}
	if menu.Type() == discordgo.SelectMenuComponent {
		for _, v := range values {
			if !slices.ContainsFunc(menu.Options, func(o discordgo.SelectMenuOption) bool { return o.Value == v }) {
				return fmt.Errorf("select menu %q has no option %q", menu.CustomID, v)
			}
		}
	}
	return nil
}

// modalRecord is a modal the bot showed a user, kept for SubmitModal.
type modalRecord struct {
	inputs    []discordgo.TextInput
	message   *discordgo.Message // the component's message, if opened from one
	channelID string             // where the interaction that opened it happened
}

func modalKey(userID, customID string) string { return userID + "\x00" + customID }

// rememberModalLocked records a modal shown in reply to an interaction.
func (s *Server) rememberModalLocked(i *discordgo.Interaction, d *discordgo.InteractionResponseData) {
	u := invoker(i)
	if u == nil {
		return
	}
	rec := &modalRecord{message: i.Message, channelID: i.ChannelID}
	walkComponents(d.Components, func(c discordgo.MessageComponent) {
		if ti, ok := c.(discordgo.TextInput); ok {
			rec.inputs = append(rec.inputs, ti)
		}
	})
	s.modals[modalKey(u.ID, d.CustomID)] = rec
}

// BuildModalSubmit builds the modal submission SubmitModal sends.
func (s *Server) BuildModalSubmit(guildID, userID, customID string, fields map[string]string) (*discordgo.Interaction, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := s.modals[modalKey(userID, customID)]
	// Like Discord, a modal is submitted from the channel it was opened
	// in: a message command's modal from the reported message's channel.
	channelID := ""
	switch {
	case rec == nil:
	case rec.channelID != "" && s.channels[rec.channelID] != nil:
		channelID = rec.channelID
	case rec.message != nil && s.channels[rec.message.ChannelID] != nil:
		channelID = rec.message.ChannelID
	}
	inv, err := s.invocationLocked(guildID, channelID, userID)
	if err != nil {
		return nil, err
	}
	var inputs []discordgo.TextInput
	if rec == nil {
		names := make([]string, 0, len(fields))
		for k := range fields {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			inputs = append(inputs, discordgo.TextInput{CustomID: k, Value: fields[k]})
		}
	} else {
		for k := range fields {
			if !slices.ContainsFunc(rec.inputs, func(ti discordgo.TextInput) bool { return ti.CustomID == k }) {
				return nil, fmt.Errorf("discordsim: modal %q has no text input %q", customID, k)
			}
		}
		for _, ti := range rec.inputs {
			v, ok := fields[ti.CustomID]
			if !ok {
				v = ti.Value // prefilled values are submitted as they are
			}
			if ti.Required && v == "" {
				return nil, fmt.Errorf("discordsim: modal %q: text input %q is required", customID, ti.CustomID)
			}
			if v != "" && ((ti.MinLength > 0 && runes(v) < ti.MinLength) || (ti.MaxLength > 0 && runes(v) > ti.MaxLength)) {
				return nil, fmt.Errorf("discordsim: modal %q: %q must be %d to %d characters long", customID, ti.CustomID, ti.MinLength, ti.MaxLength)
			}
			inputs = append(inputs, discordgo.TextInput{CustomID: ti.CustomID, Value: v})
		}
	}
	rows := make([]discordgo.MessageComponent, len(inputs))
	for n, ti := range inputs {
		rows[n] = discordgo.ActionsRow{Components: []discordgo.MessageComponent{ti}}
	}
	i := s.baseInteractionLocked(inv, discordgo.InteractionModalSubmit)
	if rec != nil && rec.message != nil {
		i.Message = copyMessage(rec.message)
	}
	i.Data = discordgo.ModalSubmitInteractionData{CustomID: customID, Components: rows}
	return i, nil
}
