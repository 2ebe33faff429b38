package commands

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/kindred-bot/kindred/storage"
)

// What a group holds is what a person reads before joining: short enough
// to take in at a glance, long enough to be honest about the group.
const (
	maxGroupName        = 50
	maxGroupDescription = 500
	maxGroupCommitment  = 300
	maxGroupGuidelines  = 1500
)

// resetGroupField is the value that sets an optional text field of a group
// back to what it is when never set: Kindred's default guidelines, no
// commitment note, the server's timezone.
const resetGroupField = "default"

// groupAgreeButton is the I agree button that makes a member of someone
// who asked to join.
var groupAgreeButton = NewIDPattern("group:agree:{group:int}").Again("/group join")

// defaultGuidelines are a group's agreements until its facilitators write
// their own: the usual ground rules of peer support.
var defaultGuidelines = []string{
	"What is shared in the group stays in the group.",
	"Listen without judging.",
	"Speak from your own experience.",
	"No advice unless someone asks for it.",
	"Peer support is not professional care: in a crisis, `/resources` lists where to get help.",
}

type groupChoice struct{ value, name string }

var groupTypes = []groupChoice{
	{"mental-health", "Mental health"},
	{"recovery", "Recovery"},
	{"personal-development", "Personal development"},
	{"other", "Other"},
}

var groupFacilitations = []groupChoice{
	{"peer-led", "Peer-led"},
	{"facilitated", "Facilitated"},
	{"structured", "Structured"},
}

// groupRolePermissions are the only permissions a group's role may carry:
// anyone may join a group, and everyone who did would hold them. They let a
// member see, read and take part in channels, in text and in voice, and
// nothing that acts on other members, messages, channels or the server:
// view channels, send messages (and in threads), read message history, add
// reactions, embed links, attach files, use external emoji and stickers,
// use application commands, connect to voice, speak, use voice activity,
// video, and change their own nickname. Even Create Invite is left out: a
// server that keeps invites to a few shouldn't find a group handing them out.
const groupRolePermissions int64 = discordgo.PermissionViewChannel |
	discordgo.PermissionSendMessages |
	discordgo.PermissionSendMessagesInThreads |
	discordgo.PermissionReadMessageHistory |
	discordgo.PermissionAddReactions |
	discordgo.PermissionEmbedLinks |
	discordgo.PermissionAttachFiles |
	discordgo.PermissionUseExternalEmojis |
	discordgo.PermissionUseExternalStickers |
	discordgo.PermissionUseApplicationCommands |
	discordgo.PermissionVoiceConnect |
	discordgo.PermissionVoiceSpeak |
	discordgo.PermissionVoiceUseVAD |
	discordgo.PermissionVoiceStreamVideo |
	discordgo.PermissionChangeNickname

// permissionNames name the permissions a refusal is most likely to be
// about, strongest first, as Discord's Server Settings shows them.
var permissionNames = []struct {
	bit  int64
	name string
}{
	{discordgo.PermissionAdministrator, "Administrator"},
	{discordgo.PermissionManageGuild, "Manage Server"},
	{discordgo.PermissionManageRoles, "Manage Roles"},
	{discordgo.PermissionManageChannels, "Manage Channels"},
	{discordgo.PermissionManageWebhooks, "Manage Webhooks"},
	{discordgo.PermissionKickMembers, "Kick Members"},
	{discordgo.PermissionBanMembers, "Ban Members"},
	{discordgo.PermissionModerateMembers, "Timeout Members"},
	{discordgo.PermissionManageMessages, "Manage Messages"},
	{discordgo.PermissionManageThreads, "Manage Threads"},
	{discordgo.PermissionManageNicknames, "Manage Nicknames"},
	{discordgo.PermissionManageEvents, "Manage Events"},
	{discordgo.PermissionManageGuildExpressions, "Manage Expressions"},
	{discordgo.PermissionMentionEveryone, "Mention @everyone"},
	{discordgo.PermissionViewAuditLogs, "View Audit Log"},
	{discordgo.PermissionVoiceMuteMembers, "Mute Members"},
	{discordgo.PermissionVoiceDeafenMembers, "Deafen Members"},
	{discordgo.PermissionVoiceMoveMembers, "Move Members"},
	{discordgo.PermissionCreateInstantInvite, "Create Invite"},
}

// permissionName names one of the bits in perms, the strongest it knows.
func permissionName(perms int64) string {
	for _, p := range permissionNames {
		if perms&p.bit != 0 {
			return p.name
		}
	}
	return "a permission beyond taking part in channels"
}

func groupChoices(cs []groupChoice) []*discordgo.ApplicationCommandOptionChoice {
	out := make([]*discordgo.ApplicationCommandOptionChoice, len(cs))
	for i, c := range cs {
		out[i] = &discordgo.ApplicationCommandOptionChoice{Name: c.name, Value: c.value}
	}
	return out
}

func groupChoiceName(cs []groupChoice, value string) string {
	for _, c := range cs {
		if c.value == value {
			return c.name
		}
	}
	return value
}

func isGroupChoice(cs []groupChoice, value string) bool {
	for _, c := range cs {
		if c.value == value {
			return true
		}
	}
	return false
}

func groupChoiceValues(cs []groupChoice) string {
	vs := make([]string, len(cs))
	for i, c := range cs {
		vs[i] = "`" + c.value + "`"
	}
	return strings.Join(vs, ", ")
}

// groupFieldOptions are the fields of a group as options: required for
// create where a group can't do without them, all optional for edit.
func groupFieldOptions(create bool) []*discordgo.ApplicationCommandOption {
	if create {
		return []*discordgo.ApplicationCommandOption{
			{Type: discordgo.ApplicationCommandOptionString, Name: "name", Description: "The group's name, e.g. Monday Circle", Required: true, MaxLength: maxGroupName},
			{Type: discordgo.ApplicationCommandOptionString, Name: "description", Description: "What the group is for and who it welcomes", Required: true, MaxLength: maxGroupDescription},
			{Type: discordgo.ApplicationCommandOptionString, Name: "type", Description: "What kind of group it is", Required: true, Choices: groupChoices(groupTypes)},
			{Type: discordgo.ApplicationCommandOptionChannel, Name: "channel", Description: "The group's home text channel", Required: true, ChannelTypes: []discordgo.ChannelType{discordgo.ChannelTypeGuildText}},
			{Type: discordgo.ApplicationCommandOptionRole, Name: "role", Description: "A role Kindred gives members while they belong (optional)"},
			{Type: discordgo.ApplicationCommandOptionString, Name: "facilitation", Description: "How the group is run (default: peer-led)", Choices: groupChoices(groupFacilitations)},
			{Type: discordgo.ApplicationCommandOptionString, Name: "commitment", Description: "What attendance is expected, e.g. Come to most Monday meetings", MaxLength: maxGroupCommitment},
			{Type: discordgo.ApplicationCommandOptionString, Name: "guidelines", Description: "The group's agreements, separated by ; (leave out for Kindred's defaults)", MaxLength: maxGroupGuidelines},
			{Type: discordgo.ApplicationCommandOptionString, Name: "timezone", Description: "The group's timezone, e.g. Europe/Berlin (default: the server's)", Autocomplete: true},
		}
	}
	return []*discordgo.ApplicationCommandOption{
		{Type: discordgo.ApplicationCommandOptionString, Name: "name", Description: "A new name", MaxLength: maxGroupName},
		{Type: discordgo.ApplicationCommandOptionString, Name: "description", Description: "A new description", MaxLength: maxGroupDescription},
		{Type: discordgo.ApplicationCommandOptionString, Name: "type", Description: "What kind of group it is", Choices: groupChoices(groupTypes)},
		{Type: discordgo.ApplicationCommandOptionChannel, Name: "channel", Description: "A new home text channel", ChannelTypes: []discordgo.ChannelType{discordgo.ChannelTypeGuildText}},
		{Type: discordgo.ApplicationCommandOptionRole, Name: "role", Description: "The role for members who join from now on; @everyone gives none"},
		{Type: discordgo.ApplicationCommandOptionString, Name: "facilitation", Description: "How the group is run", Choices: groupChoices(groupFacilitations)},
		{Type: discordgo.ApplicationCommandOptionString, Name: "commitment", Description: "What attendance is expected (\"default\" removes the note)", MaxLength: maxGroupCommitment},
		{Type: discordgo.ApplicationCommandOptionString, Name: "guidelines", Description: "The group's agreements, separated by ; (\"default\" restores Kindred's)", MaxLength: maxGroupGuidelines},
		{Type: discordgo.ApplicationCommandOptionString, Name: "timezone", Description: "The group's timezone (\"default\" uses the server's)", Autocomplete: true},
	}
}

func groupPicker(description string) *discordgo.ApplicationCommandOption {
	return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: "group", Description: description, Required: true, Autocomplete: true}
}

var groupCommand = &discordgo.ApplicationCommand{
	Name:        "group",
	Description: "Peer support groups: see them, join them, run them",
	Options: []*discordgo.ApplicationCommandOption{
		{
			Type:        discordgo.ApplicationCommandOptionSubCommand,
			Name:        "create",
			Description: "Start a group (facilitators)",
			Options:     groupFieldOptions(true),
		},
		{
			Type:        discordgo.ApplicationCommandOptionSubCommand,
			Name:        "edit",
			Description: "Change a group; only the options you give change (facilitators)",
			Options:     append([]*discordgo.ApplicationCommandOption{groupPicker("The group to change")}, groupFieldOptions(false)...),
		},
		{
			Type:        discordgo.ApplicationCommandOptionSubCommand,
			Name:        "archive",
			Description: "Archive a group: it keeps its history and schedules nothing (facilitators)",
			Options:     []*discordgo.ApplicationCommandOption{groupPicker("The group to archive")},
		},
		{
			Type:        discordgo.ApplicationCommandOptionSubCommand,
			Name:        "list",
			Description: "This server's groups",
		},
		{
			Type:        discordgo.ApplicationCommandOptionSubCommand,
			Name:        "info",
			Description: "Everything to know about a group before joining it",
			Options:     []*discordgo.ApplicationCommandOption{groupPicker("The group")},
		},
		{
			Type:        discordgo.ApplicationCommandOptionSubCommand,
			Name:        "join",
			Description: "Join a group: you'll see its guidelines first",
			Options:     []*discordgo.ApplicationCommandOption{groupPicker("The group to join")},
		},
		{
			Type:        discordgo.ApplicationCommandOptionSubCommand,
			Name:        "leave",
			Description: "Leave a group",
			Options:     []*discordgo.ApplicationCommandOption{groupPicker("The group to leave")},
		},
	},
}

// Groups is /group: a server's peer support groups and who belongs to them.
type Groups struct {
	env Env
}

func (f *Groups) Register(r *Router) {
	r.Define(groupCommand)
	r.Subcommands("group", f.autocomplete,
		Sub{"create", f.create, Facilitator},
		Sub{"edit", f.edit, Facilitator},
		Sub{"archive", f.archive, Facilitator},
		Sub{"info", f.info, GuildOnly},
		Sub{"join", f.join, GuildOnly},
		Sub{"leave", f.leave, GuildOnly},
	)
	r.Command("group/list", f.list, GuildOnly)
	r.Component(groupAgreeButton, f.agree, GuildOnly)
}

// autocomplete serves the group and timezone options of every /group subcommand.
func (f *Groups) autocomplete(ctx context.Context, req *Request) (*Response, error) {
	switch req.Focused {
	case "group":
		return groupAutocomplete(ctx, f.env, req)
	case "timezone":
		return timezoneAutocomplete(ctx, req)
	}
	return Choices(nil), nil
}

// groupAutocomplete offers the server's active groups whose name contains
// what was typed, those starting with it first. The choice's value is the
// group's name, which the handlers look up again.
func groupAutocomplete(ctx context.Context, env Env, req *Request) (*Response, error) {
	gs, err := env.DB.SearchActiveGroups(ctx, req.GuildID, req.FocusedValue(), maxChoices)
	if err != nil {
		return nil, fmt.Errorf("group autocomplete: %w", err)
	}
	choices := make([]*discordgo.ApplicationCommandOptionChoice, 0, len(gs))
	for _, g := range gs {
		if len([]rune(g.Name)) > maxChoiceLength {
			continue // can't be offered whole; typing the name still works
		}
		choices = append(choices, &discordgo.ApplicationCommandOptionChoice{Name: g.Name, Value: g.Name})
	}
	return Choices(choices), nil
}

// activeGroupByName finds one of the server's active groups by the name a
// member picked or typed. Unknown and archived groups are UserErrors that
// say so.
// liveGroup loads a group for timed work: live is false when the group is
// gone or archived, and the work should quietly end.
func liveGroup(ctx context.Context, env Env, id int64) (g storage.Group, live bool, err error) {
	g, err = env.DB.Group(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return storage.Group{}, false, nil
	}
	if err != nil {
		return storage.Group{}, false, err
	}
	return g, !g.Archived(), nil
}

func activeGroupByName(ctx context.Context, env Env, guildID, name string) (storage.Group, error) {
	g, err := groupByName(ctx, env, guildID, name)
	if err != nil {
		return storage.Group{}, err
	}
	if g.Archived() {
		return storage.Group{}, UserErrorf("**%s** is archived: it keeps its history, but takes no new members and schedules nothing. `/group list` shows the active groups.", groupTitle(g))
	}
	return g, nil
}

// groupByName finds one of the server's groups, active or archived, by
// name; unknown names are a UserError.
func groupByName(ctx context.Context, env Env, guildID, name string) (storage.Group, error) {
	if guildID == "" {
		return storage.Group{}, UserErrorf("Groups live in a server: use this inside one.")
	}
	name = normaliseGroupName(name)
	if name == "" {
		return storage.Group{}, UserErrorf("Please pick a group from the list as you type `group:`. `/group list` shows this server's groups.")
	}
	g, err := env.DB.GroupByName(ctx, guildID, name, true)
	if errors.Is(err, storage.ErrNotFound) {
		return storage.Group{}, UserErrorf("There's no group called `%s` in this server. `/group list` shows the groups; pick one from the list as you type.", echo(name, 60))
	}
	if err != nil {
		return storage.Group{}, fmt.Errorf("find group: %w", err)
	}
	return g, nil
}

func normaliseGroupName(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// groupTitle is a group's name for bold text: Markdown characters in it
// are shown, not obeyed.
func groupTitle(g storage.Group) string {
	return strings.NewReplacer(`\`, `\\`, "*", `\*`, "_", `\_`, "~", `\~`, "|", `\|`, "`", "\\`").Replace(g.Name)
}

// ---- create and edit ----

// readGroupFields reads and checks every group field the member gave, for
// create (the role can't be @everyone) or edit (@everyone removes it).
// Nothing is stored when any of them is wrong.
func (f *Groups) readGroupFields(ctx context.Context, req *Request, create bool) (storage.GroupUpdate, error) {
	var u storage.GroupUpdate
	if req.Has("name") {
		name := normaliseGroupName(req.String("name"))
		if name == "" {
			return u, UserErrorf("A group needs a name, for example `Monday Circle`.")
		}
		if n := len([]rune(name)); n > maxGroupName {
			return u, UserErrorf("Group names can be up to %d characters; yours has %d. Short names are easiest to pick from a list, for example `Monday Circle`.", maxGroupName, n)
		}
		u.Name = &name
	}
	if req.Has("description") {
		d := strings.TrimSpace(req.String("description"))
		if d == "" {
			return u, UserErrorf("Please describe the group in a sentence or two, for example `A weekly circle for people in recovery from alcohol. Newcomers welcome.`")
		}
		if n := len([]rune(d)); n > maxGroupDescription {
			return u, UserErrorf("Descriptions can be up to %d characters; yours has %d. Say who the group is for and what happens in it; details can live in the group's channel.", maxGroupDescription, n)
		}
		u.Description = &d
	}
	if req.Has("type") {
		t := req.String("type")
		if !isGroupChoice(groupTypes, t) {
			return u, UserErrorf("Pick the group's type from the list: %s.", groupChoiceValues(groupTypes))
		}
		u.Type = &t
	}
	if ch, err := req.Channel("channel"); err != nil {
		return u, err
	} else if ch != nil {
		if ch.Type != discordgo.ChannelTypeGuildText {
			return u, UserErrorf("A group's home needs to be a text channel, for example `#monday-circle`.")
		}
		u.ChannelID = &ch.ID
	}
	if role, err := req.Role("role"); err != nil {
		return u, err
	} else if role != nil {
		id, err := f.checkGroupRole(ctx, req, role, create)
		if err != nil {
			return u, err
		}
		u.RoleID = &id
	}
	if req.Has("facilitation") {
		v := req.String("facilitation")
		if !isGroupChoice(groupFacilitations, v) {
			return u, UserErrorf("Pick how the group is run from the list: %s.", groupChoiceValues(groupFacilitations))
		}
		u.Facilitation = &v
	}
	if req.Has("commitment") {
		c := resetOr(req.String("commitment"))
		if n := len([]rune(c)); n > maxGroupCommitment {
			return u, UserErrorf("A commitment note can be up to %d characters; yours has %d. For example `Come to most Monday meetings, and let us know when you can't.`", maxGroupCommitment, n)
		}
		u.Commitment = &c
	}
	if req.Has("guidelines") {
		g := resetOr(req.String("guidelines"))
		if n := len([]rune(g)); n > maxGroupGuidelines {
			return u, UserErrorf("Guidelines can be up to %d characters; yours have %d. Keep the main agreements here, separated by `;`, and pin the full version in the group's channel.", maxGroupGuidelines, n)
		}
		u.Guidelines = &g
	}
	if req.Has("timezone") {
		zone := resetOr(req.String("timezone"))
		if zone != "" {
			name, _, err := lookupZone(zone)
			if err != nil {
				return u, err
			}
			zone = name
		}
		u.Timezone = &zone
	}
	return u, nil
}

// resetOr trims a typed value, and turns "default" into "" (not set).
func resetOr(typed string) string {
	s := strings.TrimSpace(typed)
	if strings.EqualFold(s, resetGroupField) {
		return ""
	}
	return s
}

// checkGroupRole returns the id of a role fit to hand to anyone who joins,
// or "" when an edit picked @everyone to stop giving a role. Kindred never
// gives a role the facilitator couldn't give themself: they need Manage
// Roles and a highest role above it (the owner reaches every role), and the
// role must be below Kindred's own, made by the server, not Kindred's
// moderator or facilitator role, and carry only groupRolePermissions. The
// roles and positions are the server's as Discord has them, not what the
// interaction carried.
func (f *Groups) checkGroupRole(ctx context.Context, req *Request, role *discordgo.Role, create bool) (string, error) {
	if role.ID == req.GuildID {
		if create {
			return "", UserErrorf("@everyone can't be a group's role: everyone already has it. Pick a role only the group's members should get, or leave `role` out.")
		}
		return "", nil
	}
	info, err := f.env.Discord.Server(ctx, req.GuildID)
	if err != nil {
		f.env.Log.Warn("read server for a group role", "guild", req.GuildID, "err", err)
		return "", UserErrorf("Kindred couldn't check the server's roles just now (%s), so nothing was saved. Try again in a minute.", discordProblem(err))
	}
	r, ok := info.role(role.ID)
	if !ok {
		return "", UserErrorf("Kindred can't find <@&%s> among the server's roles. If it was just made, try again in a minute.", role.ID)
	}
	caller := ServerMember{UserID: req.UserID, RoleIDs: req.RoleIDs}
	if !hasPermission(info.permissions(caller), discordgo.PermissionManageRoles) {
		return "", UserErrorf("Kindred gives a group's role to everyone who joins, so only someone who could give that role themself can attach it: you need the **Manage Roles** permission. Ask an administrator to attach it with `/group edit`, or leave `role` out.")
	}
	s, err := f.env.DB.GuildSettings(ctx, req.GuildID)
	if err != nil {
		return "", fmt.Errorf("check group role: %w", err)
	}
	if problem := groupRoleProblem(info, s, r); problem != "" {
		return "", UserErrorf("<@&%s> can't be a group's role: %s, and anyone who joins the group would get it. Pick a role made for the group, one that only lets members see and take part in channels.", r.ID, problem)
	}
	if !info.reaches(caller, r) {
		return "", UserErrorf("<@&%s> is at or above your highest role, so Discord wouldn't let you give it to anyone, and Kindred won't give it for you. Pick a role below yours, or ask someone whose role is above it (an administrator or the server's owner) to attach it.", r.ID)
	}
	me, err := f.env.Discord.Member(ctx, req.GuildID, f.env.BotUserID)
	if err != nil {
		f.env.Log.Warn("read Kindred's own member", "guild", req.GuildID, "err", err)
		return "", UserErrorf("Kindred couldn't check its own role just now (%s), so nothing was saved. Try again in a minute.", discordProblem(err))
	}
	if !info.reaches(me, r) {
		return "", UserErrorf("<@&%s> is at or above Kindred's own role, so Kindred couldn't give it to anyone. Someone with Manage Roles can drag Kindred's role above it in Server Settings → Roles; then try again.", r.ID)
	}
	return r.ID, nil
}

// groupRoleProblem is why role can't be handed to whoever joins a group,
// whoever attaches it, or "": it's @everyone, belongs to an integration,
// is Kindred's moderator or facilitator role, or carries a permission
// beyond groupRolePermissions. Joining asks again: roles change.
func groupRoleProblem(info ServerInfo, s storage.GuildSettings, role ServerRole) string {
	switch {
	case role.ID == info.ID:
		return "it is @everyone, which everyone already has"
	case role.Managed:
		return "it belongs to a bot or an integration, so nobody can hand it out"
	case role.ID == s.ModeratorRoleID:
		return "it is this server's moderator role in Kindred"
	case role.ID == s.FacilitatorRoleID:
		return "it is this server's facilitator role in Kindred"
	case role.Permissions&^groupRolePermissions != 0:
		return fmt.Sprintf("it has the **%s** permission", permissionName(role.Permissions&^groupRolePermissions))
	}
	return ""
}

func (f *Groups) create(ctx context.Context, req *Request) (*Response, error) {
	u, err := f.readGroupFields(ctx, req, true)
	if err != nil {
		return nil, err
	}
	for _, required := range []struct {
		name  string
		given bool
	}{{"name", u.Name != nil}, {"description", u.Description != nil}, {"type", u.Type != nil}, {"channel", u.ChannelID != nil}} {
		if !required.given {
			return nil, UserErrorf("Please fill in `%s`. For example: `/group create name:Monday Circle description:A weekly recovery circle type:recovery channel:#monday-circle`.", required.name)
		}
	}
	g := storage.Group{
		GuildID: req.GuildID, Name: *u.Name, Description: *u.Description, Type: *u.Type, ChannelID: *u.ChannelID,
		CreatedBy: req.UserID,
	}
	for _, opt := range []struct {
		from *string
		to   *string
	}{{u.RoleID, &g.RoleID}, {u.Facilitation, &g.Facilitation}, {u.Commitment, &g.Commitment}, {u.Guidelines, &g.Guidelines}, {u.Timezone, &g.Timezone}} {
		if opt.from != nil {
			*opt.to = *opt.from
		}
	}
	g, err = f.env.DB.CreateGroup(ctx, g, f.env.Now())
	if errors.Is(err, storage.ErrConflict) {
		return nil, f.nameTaken(ctx, req.GuildID, *u.Name)
	}
	if err != nil {
		return nil, fmt.Errorf("create group: %w", err)
	}
	f.env.Log.Info("group created", "guild", g.GuildID, "group", g.ID, "by", req.UserID)
	text := fmt.Sprintf("Created **%s**. Members join with `/group join group:%s`; they'll read its guidelines and agree to them first.", groupTitle(g), echo(g.Name, maxGroupName))
	if g.RoleID != "" {
		text += fmt.Sprintf(" They get <@&%s> when they do.", g.RoleID)
	}
	embed, err := f.groupEmbed(ctx, g)
	if err != nil {
		return nil, err
	}
	return &Response{Ephemeral: true, Content: text, Embeds: []*discordgo.MessageEmbed{embed}}, nil
}

// nameTaken explains a name another group of the server already has.
func (f *Groups) nameTaken(ctx context.Context, guildID, name string) error {
	if g, err := f.env.DB.GroupByName(ctx, guildID, name, true); err == nil && g.Archived() {
		return UserErrorf("The archived group **%s** still has that name: archived groups keep their history under it. Pick another name, or rename the archived one first with `/group edit group:%s name:%s (archived)`.",
			groupTitle(g), echo(g.Name, maxGroupName), echo(g.Name, maxGroupName))
	}
	return UserErrorf("There's already a group called `%s` in this server. Pick another name, for example `%s (evenings)`.", echo(name, maxGroupName), echo(name, maxGroupName))
}

func (f *Groups) edit(ctx context.Context, req *Request) (*Response, error) {
	// Archived groups can be edited too, so that one can be renamed to
	// free its name for a new group.
	g, err := groupByName(ctx, f.env, req.GuildID, req.String("group"))
	if err != nil {
		return nil, err
	}
	u, err := f.readGroupFields(ctx, req, false)
	if err != nil {
		return nil, err
	}
	var changed []string
	for _, field := range []struct {
		name  string
		given bool
	}{
		{"name", u.Name != nil}, {"description", u.Description != nil}, {"type", u.Type != nil}, {"channel", u.ChannelID != nil},
		{"role", u.RoleID != nil}, {"facilitation", u.Facilitation != nil}, {"commitment", u.Commitment != nil},
		{"guidelines", u.Guidelines != nil}, {"timezone", u.Timezone != nil},
	} {
		if field.given {
			changed = append(changed, field.name)
		}
	}
	if len(changed) == 0 {
		return nil, UserErrorf("Tell me what to change, for example `/group edit group:%s commitment:Come to most Monday meetings`. You can change `name`, `description`, `type`, `channel`, `role`, `facilitation`, `commitment`, `guidelines` and `timezone`; `default` resets commitment, guidelines and timezone, and role @everyone stops giving a role.",
			echo(g.Name, maxGroupName))
	}
	updated, err := f.env.DB.UpdateGroup(ctx, g.ID, u, f.env.Now())
	if errors.Is(err, storage.ErrConflict) {
		return nil, f.nameTaken(ctx, req.GuildID, *u.Name)
	}
	if err != nil {
		return nil, fmt.Errorf("edit group %d: %w", g.ID, err)
	}
	f.env.Log.Info("group edited", "guild", g.GuildID, "group", g.ID, "by", req.UserID, "fields", strings.Join(changed, ","))
	text := fmt.Sprintf("Saved **%s**: changed %s.", groupTitle(updated), strings.Join(changed, ", "))
	if u.RoleID != nil && g.RoleID != "" && g.RoleID != updated.RoleID {
		// Moving every member's role would take a Discord request per
		// member; Kindred doesn't do it behind the facilitator's back.
		text += fmt.Sprintf("\nMembers who joined earlier keep <@&%s>; a moderator can change it for them in Server Settings.", g.RoleID)
	}
	if updated.RoleID != "" && updated.RoleID != g.RoleID {
		text += fmt.Sprintf("\nNew members get <@&%s>.", updated.RoleID)
	}
	embed, err := f.groupEmbed(ctx, updated)
	if err != nil {
		return nil, err
	}
	return &Response{Ephemeral: true, Content: text, Embeds: []*discordgo.MessageEmbed{embed}}, nil
}

func (f *Groups) archive(ctx context.Context, req *Request) (*Response, error) {
	g, err := groupByName(ctx, f.env, req.GuildID, req.String("group"))
	if err != nil {
		return nil, err
	}
	if g.Archived() {
		return nil, UserErrorf("**%s** is already archived.", groupTitle(g))
	}
	archived, cancelled, err := f.env.DB.ArchiveGroup(ctx, g.ID, f.env.Now())
	if errors.Is(err, storage.ErrArchived) {
		return nil, UserErrorf("**%s** is already archived.", groupTitle(g))
	}
	if err != nil {
		return nil, fmt.Errorf("archive group %d: %w", g.ID, err)
	}
	g = archived
	f.env.Log.Info("group archived", "guild", g.GuildID, "group", g.ID, "by", req.UserID, "jobs_cancelled", cancelled)
	text := fmt.Sprintf("Archived **%s**. Its history is kept; it takes no new members and nothing more is scheduled for it.", groupTitle(g))
	switch cancelled {
	case 0:
	case 1:
		text += " One scheduled reminder or task was cancelled."
	default:
		text += fmt.Sprintf(" %d scheduled reminders and tasks were cancelled.", cancelled)
	}
	if g.RoleID != "" {
		text += fmt.Sprintf("\nMembers keep <@&%s>; a moderator can remove it in Server Settings if it should go.", g.RoleID)
	}
	return Ephemeral(text), nil
}

// ---- list and info ----

func (f *Groups) list(ctx context.Context, req *Request) (*Response, error) {
	gs, err := f.env.DB.ActiveGroups(ctx, req.GuildID)
	if err != nil {
		return nil, fmt.Errorf("list groups: %w", err)
	}
	if len(gs) == 0 {
		return Ephemeral("This server has no groups yet. A facilitator can start one with `/group create`, for example `/group create name:Monday Circle description:A weekly recovery circle type:recovery channel:#monday-circle`."), nil
	}
	lines := make([]string, 0, len(gs))
	for _, g := range gs {
		activity, err := meetingActivity(ctx, f.env, g.ID, f.env.Now())
		if err != nil {
			return nil, err
		}
		lines = append(lines, "• "+strings.Join(f.listLine(g, activity.next), " · "))
	}
	return &Response{Ephemeral: true, Embeds: []*discordgo.MessageEmbed{{
		Title:       "Groups in this server",
		Description: joinFitted("", lines, "\n", maxEmbedDescription, moreGroups),
		Color:       colourCalm,
		Footer:      &discordgo.MessageEmbedFooter{Text: "/group info shows a group's details and guidelines; /group join joins it."},
	}}}, nil
}

// moreGroups ends /group list when not every group fits.
func moreGroups(n int) string {
	return fmt.Sprintf("… and %d more. Type a name in `/group info` to find them.", n)
}

// listLine is a group's entry in /group list, as parts joined with " · ".
func (f *Groups) listLine(g storage.Group, next time.Time) []string {
	meets := "no meeting scheduled"
	if !next.IsZero() {
		meets = "next meets " + timestamp(next, "f")
	}
	return []string{
		"**" + groupTitle(g) + "**",
		groupChoiceName(groupTypes, g.Type),
		memberCount(g.Members),
		"<#" + g.ChannelID + ">",
		meets,
	}
}

func memberCount(n int) string {
	switch n {
	case 0:
		return "no members yet"
	case 1:
		return "1 member"
	}
	return fmt.Sprintf("%d members", n)
}

func (f *Groups) info(ctx context.Context, req *Request) (*Response, error) {
	g, err := groupByName(ctx, f.env, req.GuildID, req.String("group"))
	if err != nil {
		return nil, err
	}
	embed, err := f.groupEmbed(ctx, g)
	if err != nil {
		return nil, err
	}
	member, err := f.env.DB.IsGroupMember(ctx, g.ID, req.UserID)
	if err != nil {
		return nil, fmt.Errorf("group info: %w", err)
	}
	switch {
	case member:
		embed.Footer = &discordgo.MessageEmbedFooter{Text: "You're a member of this group. /group leave leaves it."}
	case !g.Archived():
		embed.Footer = &discordgo.MessageEmbedFooter{Text: "To join: /group join group:" + g.Name}
	}
	return &Response{Ephemeral: true, Embeds: []*discordgo.MessageEmbed{embed}}, nil
}

// groupEmbed is everything a person should check before joining a group.
// The description carries the guidelines (up to 1500 characters, more than
// an embed field holds); the fields are short facts, and more can be
// appended.
func (f *Groups) groupEmbed(ctx context.Context, g storage.Group) (*discordgo.MessageEmbed, error) {
	var desc strings.Builder
	if g.Archived() {
		desc.WriteString("*This group is archived: it keeps its history, but takes no new members and schedules nothing.*\n\n")
	}
	desc.WriteString(g.Description)
	desc.WriteString("\n\n**Guidelines**\n")
	desc.WriteString(guidelinesText(g))
	commitment := g.Commitment
	if commitment == "" {
		commitment = "No set commitment: come when you can."
	}
	role := "None"
	if g.RoleID != "" {
		role = "<@&" + g.RoleID + ">"
	}
	zone := g.Timezone
	if zone == "" {
		s, err := f.env.DB.GuildSettings(ctx, g.GuildID)
		if err != nil {
			return nil, fmt.Errorf("group timezone: %w", err)
		}
		zone = "Server default (" + s.Timezone + ")"
		if s.Timezone == "" {
			zone = "Server default (UTC)"
		}
	}
	title := g.Name
	if g.Archived() {
		title += " (archived)"
	}
	activity, err := meetingActivity(ctx, f.env, g.ID, f.env.Now())
	if err != nil {
		return nil, err
	}
	schedule := "No meetings scheduled yet."
	if len(activity.schedule) > 0 {
		next := ""
		if !activity.next.IsZero() {
			next = "Next: " + timestamp(activity.next, "F")
		}
		schedule = joinFitted(next, activity.schedule, "\n", maxFieldValue, andMore)
	}
	active := "No meetings in the last 8 weeks."
	if avg := activity.averageAttendance(); avg >= 0 {
		active = fmt.Sprintf("%d meetings held in the last 8 weeks, %.1f people at each on average.", activity.held, avg)
	}
	return &discordgo.MessageEmbed{
		Title:       title,
		Description: desc.String(),
		Color:       colourCalm,
		Fields: []*discordgo.MessageEmbedField{
			{Name: "Type", Value: groupChoiceName(groupTypes, g.Type), Inline: true},
			{Name: "Facilitation", Value: groupChoiceName(groupFacilitations, g.Facilitation), Inline: true},
			{Name: "Members", Value: memberCount(g.Members), Inline: true},
			{Name: "Commitment", Value: commitment},
			{Name: "Channel", Value: "<#" + g.ChannelID + ">", Inline: true},
			{Name: "Role", Value: role, Inline: true},
			{Name: "Timezone", Value: zone, Inline: true},
			{Name: "Meeting schedule", Value: schedule},
			{Name: "Activity", Value: active},
		},
	}, nil
}

// guidelinesText shows a group's agreements as a list: its own, split at
// ";" (a slash command option holds one line), or Kindred's defaults.
func guidelinesText(g storage.Group) string {
	items := defaultGuidelines
	if g.Guidelines != "" {
		items = nil
		for _, part := range strings.Split(g.Guidelines, ";") {
			if part = strings.TrimSpace(part); part != "" {
				items = append(items, part)
			}
		}
		if len(items) == 1 {
			return items[0]
		}
	}
	return "• " + strings.Join(items, "\n• ")
}

// ---- join and leave ----

// join shows the group's guidelines with an I agree button: membership
// starts only when the member agrees (see agree).
func (f *Groups) join(ctx context.Context, req *Request) (*Response, error) {
	g, err := groupByName(ctx, f.env, req.GuildID, req.String("group"))
	if err != nil {
		return nil, err
	}
	if g.Archived() {
		return nil, UserErrorf("**%s** is archived, so it isn't taking new members. `/group list` shows the groups you can join.", groupTitle(g))
	}
	member, err := f.env.DB.IsGroupMember(ctx, g.ID, req.UserID)
	if err != nil {
		return nil, fmt.Errorf("join group: %w", err)
	}
	if member {
		return Ephemeral(fmt.Sprintf("You're already a member of **%s**. Its home is <#%s>; `/group leave` leaves it.", groupTitle(g), g.ChannelID)), nil
	}
	desc := "**Guidelines**\n" + guidelinesText(g)
	if g.Commitment != "" {
		desc += "\n\n**Commitment**\n" + g.Commitment
	}
	return &Response{
		Ephemeral: true,
		Content:   fmt.Sprintf("Before you join **%s**, please read what its members agree to. Your membership starts when you press **I agree**.", groupTitle(g)),
		Embeds: []*discordgo.MessageEmbed{{
			Title:       g.Name,
			Description: desc,
			Color:       colourCalm,
		}},
		Components: []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
			discordgo.Button{Label: "I agree", Style: discordgo.SuccessButton, CustomID: groupAgreeButton.ID(g.ID)},
		}}},
	}, nil
}

// agree answers the I agree button by turning the guidelines message into
// the outcome. The membership stands even when Discord refuses the role:
// the member is told, and a moderator can fix the role.
func (f *Groups) agree(ctx context.Context, req *Request) (*Response, error) {
	id := req.Parts.Int("group")
	g, err := f.env.DB.Group(ctx, id)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && g.GuildID != req.GuildID) {
		return groupUpdate("That group doesn't exist any more. `/group list` shows the groups you can join."), nil
	}
	if err != nil {
		return nil, fmt.Errorf("agree to group %d: %w", id, err)
	}
	switch err := f.env.DB.JoinGroup(ctx, g.ID, req.UserID, f.env.Now()); {
	case errors.Is(err, storage.ErrArchived):
		return groupUpdate(fmt.Sprintf("**%s** was archived, so it isn't taking new members. `/group list` shows the groups you can join.", groupTitle(g))), nil
	case errors.Is(err, storage.ErrConflict):
		return groupUpdate(fmt.Sprintf("You're already a member of **%s**. Its home is <#%s>.", groupTitle(g), g.ChannelID)), nil
	case err != nil:
		return nil, fmt.Errorf("agree to group %d: %w", id, err)
	}
	f.env.Log.Info("member joined group", "guild", g.GuildID, "group", g.ID, "user", req.UserID)
	text := fmt.Sprintf("Welcome to **%s**! You're a member now. Its home is <#%s>.", groupTitle(g), g.ChannelID)
	if g.RoleID != "" {
		if refused, err := f.roleStillFit(ctx, g, req.UserID); err != nil {
			return nil, err
		} else if refused != "" {
			return groupUpdate(text + "\n\n" + refused), nil
		}
		err := f.env.Discord.AddRole(ctx, g.GuildID, req.UserID, g.RoleID, groupAuditReason("joined", g))
		if err != nil {
			f.env.Log.Warn("could not give group role", "guild", g.GuildID, "group", g.ID, "user", req.UserID, "role", g.RoleID, "err", err)
			if err := leftIf(ctx, f.env, err, g.GuildID, req.UserID); err != nil {
				return nil, err
			}
			text += "\n\n" + roleTrouble(err, g.RoleID, "give you", "Your membership counts either way.")
		} else {
			text += fmt.Sprintf(" You now have <@&%s>.", g.RoleID)
		}
	}
	return groupUpdate(text), nil
}

// roleStillFit checks, as a member joins, that the group's role may still
// be handed to anyone who joins (roles change after a group is set up). It
// returns "" when it may, or what to tell the member when it may not;
// then the mod-log channel, if set, is told too. err is a storage error.
func (f *Groups) roleStillFit(ctx context.Context, g storage.Group, userID string) (refused string, err error) {
	log := f.env.Log.With("guild", g.GuildID, "group", g.ID, "user", userID, "role", g.RoleID)
	const anyway = "Your membership counts either way."
	info, derr := f.env.Discord.Server(ctx, g.GuildID)
	if derr != nil {
		log.Warn("could not check group role", "err", derr)
		return fmt.Sprintf("Kindred couldn't check the group's role <@&%s> just now (%s), so it didn't give it to you. A moderator can give it by hand. %s", g.RoleID, discordProblem(derr), anyway), nil
	}
	role, ok := info.role(g.RoleID)
	if !ok {
		log.Warn("group role gone")
		return roleTrouble(ErrUnknownRole, g.RoleID, "give you", anyway), nil
	}
	settings, err := f.env.DB.GuildSettings(ctx, g.GuildID)
	if err != nil {
		return "", fmt.Errorf("check group role: %w", err)
	}
	problem := groupRoleProblem(info, settings, role)
	if problem == "" {
		return "", nil
	}
	log.Warn("group role no longer fit to give", "problem", problem)
	if settings.ModlogChannelID != "" {
		note := fmt.Sprintf("**Group role not given**: <@%s> joined **%s**, but Kindred didn't give them <@&%s>: %s, and anyone who joins the group would get it. A facilitator can attach a suitable role with `/group edit group:%s role:…`, or someone with Manage Roles can change the role back.",
			userID, groupTitle(g), g.RoleID, problem, echo(g.Name, maxGroupName))
		if _, err := f.env.Discord.Send(ctx, settings.ModlogChannelID, Message{Content: note}); err != nil {
			log.Warn("group role problem not logged to the mod-log", "channel", settings.ModlogChannelID, "err", err)
		}
	}
	return fmt.Sprintf("Kindred didn't give you the group's role <@&%s>: it has changed since the group was set up (%s), and a group's role may only let members see and take part in channels. The moderators have been told. %s", g.RoleID, problem, anyway), nil
}

// groupUpdate replaces the guidelines message (and its button) with text.
func groupUpdate(text string) *Response {
	return &Response{Update: true, Content: text, Embeds: []*discordgo.MessageEmbed{}, Components: []discordgo.MessageComponent{}}
}

func (f *Groups) leave(ctx context.Context, req *Request) (*Response, error) {
	// Archived groups too: their members may still want out, and their role gone.
	g, err := groupByName(ctx, f.env, req.GuildID, req.String("group"))
	if err != nil {
		return nil, err
	}
	err = f.env.DB.LeaveGroupAt(ctx, g.ID, req.UserID, f.env.Now())
	if errors.Is(err, storage.ErrNotFound) {
		return nil, UserErrorf("You're not a member of **%s**, so there's nothing to leave. `/group join` joins a group.", groupTitle(g))
	}
	if err != nil {
		return nil, fmt.Errorf("leave group %d: %w", g.ID, err)
	}
	f.env.Log.Info("member left group", "guild", g.GuildID, "group", g.ID, "user", req.UserID)
	text := fmt.Sprintf("You've left **%s**.", groupTitle(g))
	if !g.Archived() {
		text += " You're welcome back any time with `/group join`."
	}
	if g.RoleID != "" {
		if err := f.env.Discord.RemoveRole(ctx, g.GuildID, req.UserID, g.RoleID, groupAuditReason("left", g)); err != nil {
			f.env.Log.Warn("could not remove group role", "guild", g.GuildID, "group", g.ID, "user", req.UserID, "role", g.RoleID, "err", err)
			if err := leftIf(ctx, f.env, err, g.GuildID, req.UserID); err != nil {
				return nil, err
			}
			text += "\n\n" + roleTrouble(err, g.RoleID, "take away", "You've left the group either way.")
		}
	}
	return Ephemeral(text), nil
}

// groupAuditReason tells moderators reading the audit log why Kindred
// changed a member's roles. It names the group by id: its name was typed by
// a member.
func groupAuditReason(what string, g storage.Group) string {
	return fmt.Sprintf("Kindred: member %s group %d", what, g.ID)
}

// roleTrouble tells a member why Kindred couldn't give or take a group's
// role and who can fix it.
func roleTrouble(err error, roleID, doing, anyway string) string {
	switch {
	case errors.Is(err, ErrForbidden):
		return fmt.Sprintf("I couldn't %s the role <@&%s>: Kindred's own role has to sit above it in Server Settings → Roles, with Manage Roles. A moderator can fix that, and change your role by hand. %s", doing, roleID, anyway)
	case errors.Is(err, ErrUnknownRole):
		return fmt.Sprintf("The group's role no longer exists, so there was no role to %s. A facilitator can set a new one with `/group edit`. %s", strings.TrimSuffix(doing, " you"), anyway)
	}
	return fmt.Sprintf("I couldn't %s the role <@&%s> just now. A moderator can do it by hand. %s", doing, roleID, anyway)
}
