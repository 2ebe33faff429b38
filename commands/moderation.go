package commands

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/kindred-bot/kindred/scheduler"
	"github.com/kindred-bot/kindred/storage"
)

// Moderation limits and defaults.
const (
	defaultWarningDays = 90
	minWarningDays     = 1
	maxWarningDays     = 3650
	maxWarningReason   = 512
	minEscalation      = 1
	maxEscalation      = 50
	minTimeout         = time.Minute
	maxTimeout         = 28 * 24 * time.Hour
	// timeoutMargin keeps a timeout of the longest length just under
	// Discord's 28 days, so that Kindred's clock running a little ahead of
	// Discord's can't push it over: Discord refuses the whole timeout then.
	timeoutMargin    = time.Minute
	maxReportExcerpt = 300
	// reportDraftTTL is how long the message a member chose to report is
	// remembered while they fill in the modal.
	reportDraftTTL = 30 * time.Minute
)

// reportCommandName is the message context menu entry, exactly as members see it.
const reportCommandName = "Report to moderators"

// reportModal is the report form: which message, and whose.
var reportModal = NewIDPattern("report:{channel:id}:{message:id}:{author:id}")

// reportReasonField is the report modal's text input.
const reportReasonField = "reason"

const colourModeration = 0xE8A33D

var warnCommand = &discordgo.ApplicationCommand{
	Name:        "warn",
	Description: "Warn a member (moderators): recorded, sent to them privately and logged",
	Options: []*discordgo.ApplicationCommandOption{
		{Type: discordgo.ApplicationCommandOptionUser, Name: "user", Description: "The member to warn", Required: true},
		{Type: discordgo.ApplicationCommandOptionString, Name: "reason", Description: "Why; the member is sent this (up to 512 characters)", Required: true, MaxLength: maxWarningReason},
		{Type: discordgo.ApplicationCommandOptionInteger, Name: "expires_days", Description: "Days until the warning stops counting (1 to 3650, default 90)",
			MinValue: floatPtr(minWarningDays), MaxValue: maxWarningDays},
	},
}

var warningsCommand = &discordgo.ApplicationCommand{
	Name:        "warnings",
	Description: "Your active warnings, or (moderators) a member's whole record",
	Options: []*discordgo.ApplicationCommandOption{
		{Type: discordgo.ApplicationCommandOptionUser, Name: "user", Description: "Moderators: the member whose warnings to show"},
	},
}

var unwarnCommand = &discordgo.ApplicationCommand{
	Name:        "unwarn",
	Description: "Revoke a warning by its case number (moderators)",
	Options: []*discordgo.ApplicationCommandOption{
		{Type: discordgo.ApplicationCommandOptionInteger, Name: "case", Description: "The warning's case number", Required: true, MinValue: floatPtr(1)},
		{Type: discordgo.ApplicationCommandOptionString, Name: "reason", Description: "Why it is revoked (up to 512 characters)", MaxLength: maxWarningReason},
	},
}

var escalationCommand = &discordgo.ApplicationCommand{
	Name:        "escalation",
	Description: "What happens automatically at a number of active warnings (moderators)",
	Options: []*discordgo.ApplicationCommandOption{
		{
			Type: discordgo.ApplicationCommandOptionSubCommand, Name: "set", Description: "Set the action at a number of active warnings",
			Options: []*discordgo.ApplicationCommandOption{
				{Type: discordgo.ApplicationCommandOptionInteger, Name: "warnings", Description: "Active warnings that trigger it (1 to 50)", Required: true,
					MinValue: floatPtr(minEscalation), MaxValue: maxEscalation},
				{Type: discordgo.ApplicationCommandOptionString, Name: "action", Description: "What Kindred does", Required: true,
					Choices: stringChoices(storage.ActionTimeout, storage.ActionKick, storage.ActionBan)},
				{Type: discordgo.ApplicationCommandOptionString, Name: "duration", Description: "For timeout: how long, e.g. 1h, 3d (up to 28d)", MaxLength: 20},
			},
		},
		{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "list", Description: "The server's escalation rules"},
		{
			Type: discordgo.ApplicationCommandOptionSubCommand, Name: "clear", Description: "Remove the rule at a number of warnings",
			Options: []*discordgo.ApplicationCommandOption{
				{Type: discordgo.ApplicationCommandOptionInteger, Name: "warnings", Description: "The rule's number of warnings", Required: true,
					MinValue: floatPtr(minEscalation), MaxValue: maxEscalation},
			},
		},
	},
}

var reportCommand = &discordgo.ApplicationCommand{
	Type: discordgo.MessageApplicationCommand,
	Name: reportCommandName,
}

// Moderation is /warn, /warnings, /unwarn, /escalation and the Report to
// moderators message menu.
type Moderation struct {
	env Env

	// drafts remember the text of a message being reported while the
	// reporter fills in the modal: a modal submission carries only its
	// custom id, and Kindred can't read messages otherwise. Keyed by
	// reporter and message id; entries expire after reportDraftTTL.
	mu     sync.Mutex
	drafts map[string]reportDraft
}

type reportDraft struct {
	excerpt string
	at      time.Time
}

func (f *Moderation) Register(r *Router) {
	r.Define(warnCommand)
	r.Define(warningsCommand)
	r.Define(unwarnCommand)
	r.Define(escalationCommand)
	r.Define(reportCommand)
	r.Command("warn", f.warn, Moderator)
	// Anyone sees their own warnings; with `user`, the handler asks for a moderator.
	r.Command("warnings", f.warnings, GuildOnly)
	r.Command("unwarn", f.unwarn, Moderator)
	r.Command("escalation/set", f.escalationSet, Moderator)
	r.Command("escalation/list", f.escalationList, Moderator)
	r.Command("escalation/clear", f.escalationClear, Moderator)
	r.Command(reportCommandName, f.reportStart, GuildOnly)
	r.Modal(reportModal, f.reportSubmit, GuildOnly)
}

// ---- /warn ----

// warn records a warning, then tells the member, logs it and applies the
// server's escalation rule. The warning stands whatever becomes of those:
// the moderator's reply says what couldn't be done.
func (f *Moderation) warn(ctx context.Context, req *Request) (*Response, error) {
	in, err := parseWarn(req)
	if err != nil {
		return nil, err
	}
	st, err := f.standing(ctx, req, in.target)
	if err != nil {
		return nil, err
	}
	w, active, err := f.env.DB.AddWarning(ctx, in.warning(f.env.Now()))
	if err != nil {
		return nil, fmt.Errorf("warn: %w", err)
	}
	f.warningLog(w).Info("warning recorded", "active", active, "in_server", st.inServer)
	n, err := f.notifyWarning(ctx, w, active, st)
	if err != nil {
		return nil, err
	}
	return Ephemeral(warnReply(w, active, n)), nil
}

// warnInput is a /warn that passed every check.
type warnInput struct {
	guildID, moderatorID string
	target               string
	reason               string
	days                 int64
}

// parseWarn reads and checks /warn's options. Its errors are UserErrors
// with the text the moderator sees.
func parseWarn(req *Request) (warnInput, error) {
	target, err := req.ID("user")
	if err != nil {
		return warnInput{}, err
	}
	if target == "" {
		return warnInput{}, UserErrorf("Pick the member to warn with `user`, e.g. `/warn user:@someone reason:Spam in #general`.")
	}
	if target == req.UserID {
		return warnInput{}, UserErrorf("You can't warn yourself. Pick another member with `user:@someone`; if you should have a warning, ask another moderator.")
	}
	if req.Resolved != nil && req.Resolved.Users[target] != nil && req.Resolved.Users[target].Bot {
		return warnInput{}, UserErrorf("That's a bot (Kindred or another one): warnings are for members. Pick a person with `user:@someone`.")
	}
	reason, err := moderationReason(req, true)
	if err != nil {
		return warnInput{}, err
	}
	days, err := req.IntOr("expires_days", defaultWarningDays)
	if err != nil {
		return warnInput{}, err
	}
	if days < minWarningDays || days > maxWarningDays {
		return warnInput{}, UserErrorf("`expires_days` is %d to %d days, e.g. `expires_days:30`; without it a warning lasts %d days.", minWarningDays, maxWarningDays, defaultWarningDays)
	}
	return warnInput{guildID: req.GuildID, moderatorID: req.UserID, target: target, reason: reason, days: days}, nil
}

// standing is where a warned member stands against the moderator warning
// them, as Discord has the server now.
type standing struct {
	server    ServerInfo
	moderator ServerMember
	// inServer is false when the member has left: a warning can still be
	// recorded, but nothing is done to them.
	inServer bool
}

// standing refuses a /warn of a member Discord wouldn't let the moderator
// act on: the owner, a bot, a fellow moderator or an administrator, or
// anyone whose highest role is at or above the moderator's. The roles come
// from Discord (the server via the port; the member from the interaction's
// resolved data, else the port), never from the custom parts of a request.
// Its errors are UserErrors with the text the moderator sees.
func (f *Moderation) standing(ctx context.Context, req *Request, target string) (standing, error) {
	st := standing{moderator: ServerMember{UserID: req.UserID, RoleIDs: req.RoleIDs}}
	info, err := f.env.Discord.Server(ctx, req.GuildID)
	if err != nil {
		f.env.Log.Warn("read server for a warning", "guild", req.GuildID, "err", err)
		return standing{}, UserErrorf("Kindred couldn't check the server's roles just now (%s), so nothing was recorded. Try again in a minute.", discordProblem(err))
	}
	st.server = info
	if target == info.OwnerID {
		return standing{}, UserErrorf("<@%s> owns this server: nobody can warn or moderate the owner, on Discord or through Kindred. If something needs to change, talk with them directly.", target)
	}
	m, err := f.targetMember(ctx, req, target)
	switch {
	case errors.Is(err, ErrUnknownMember):
		return st, nil
	case err != nil:
		f.env.Log.Warn("read member for a warning", "guild", req.GuildID, "user", target, "err", err)
		return standing{}, UserErrorf("Kindred couldn't check <@%s>'s roles just now (%s), so nothing was recorded. Try again in a minute.", target, discordProblem(err))
	}
	st.inServer = true
	if m.Bot {
		return standing{}, UserErrorf("That's a bot (Kindred or another one): warnings are for members. Pick a person with `user:@someone`.")
	}
	settings, err := f.env.DB.GuildSettings(ctx, req.GuildID)
	if err != nil {
		return standing{}, err
	}
	perms := info.permissions(m)
	switch {
	case perms&discordgo.PermissionAdministrator != 0:
		return standing{}, UserErrorf("<@%s> has the **Administrator** permission: Kindred doesn't warn or moderate administrators. If there's a problem, raise it with the server's owner.", target)
	case perms&discordgo.PermissionModerateMembers != 0 || (settings.ModeratorRoleID != "" && slices.Contains(m.RoleIDs, settings.ModeratorRoleID)):
		return standing{}, UserErrorf("<@%s> is one of this server's moderators: Kindred doesn't let moderators warn each other. If there's a problem, raise it with the server's owner or an administrator.", target)
	case !info.outranks(st.moderator, m):
		return standing{}, UserErrorf("<@%s>'s highest role is at or above yours, so Discord wouldn't let you moderate them, and neither does Kindred. A moderator whose highest role is above theirs, or the server's owner, can warn them.", target)
	}
	return st, nil
}

// targetMember is the member a command's `user` option names: from the
// interaction's resolved data when Discord sent it, else from Discord. A
// user who isn't in the server gives an error matching ErrUnknownMember.
func (f *Moderation) targetMember(ctx context.Context, req *Request, userID string) (ServerMember, error) {
	if req.Resolved != nil && req.Resolved.Members[userID] != nil {
		m := ServerMember{UserID: userID, RoleIDs: req.Resolved.Members[userID].Roles}
		if u := req.Resolved.Users[userID]; u != nil {
			m.Bot = u.Bot
		}
		return m, nil
	}
	return f.env.Discord.Member(ctx, req.GuildID, userID)
}

// warning is the warning to store, issued at now.
func (in warnInput) warning(now time.Time) storage.Warning {
	return storage.Warning{
		GuildID: in.guildID, UserID: in.target, ModeratorID: in.moderatorID, Reason: in.reason,
		CreatedAt: now, ExpiresAt: now.Add(time.Duration(in.days) * 24 * time.Hour),
	}
}

// warningLog is the logger for what follows a recorded warning.
func (f *Moderation) warningLog(w storage.Warning) *slog.Logger {
	return f.env.Log.With("guild", w.GuildID, "case", w.Case, "user", w.UserID, "moderator", w.ModeratorID)
}

// warningNotice is what became of a recorded warning's follow-ups.
type warningNotice struct {
	dmSent     bool
	escalation string   // what the escalation rule did, or ""
	problems   []string // what couldn't be done, for the moderator, in order
}

// notifyWarning DMs the member, posts the warning to the mod-log and
// applies the escalation rule for their active warnings, in that order.
// A step Discord refuses is reported in the notice and doesn't stop the
// next; only a storage error stops them, and is returned.
func (f *Moderation) notifyWarning(ctx context.Context, w storage.Warning, active int, st standing) (warningNotice, error) {
	var n warningNotice
	if problem := f.sendWarningDM(ctx, w); problem != "" {
		n.problems = append(n.problems, problem)
		f.warningLog(w).Info("warning dm not delivered")
	} else {
		n.dmSent = true
	}
	settings, err := f.env.DB.GuildSettings(ctx, w.GuildID)
	if err != nil {
		return warningNotice{}, err
	}
	if problem, err := f.logToModlog(ctx, settings.ModlogChannelID, warningEmbed(w, active)); problem != "" {
		n.problems = append(n.problems, problem)
		if err != nil {
			f.warningLog(w).Warn("warning not logged to the mod-log", "channel", settings.ModlogChannelID, "err", err)
		}
	}
	done, problem, err := f.escalateWarning(ctx, settings.ModlogChannelID, w, active, st)
	if err != nil {
		return warningNotice{}, err
	}
	if problem != "" {
		n.problems = append(n.problems, problem)
	}
	n.escalation = done
	return n, nil
}

// warnReply is the moderator's reply to a recorded warning.
func warnReply(w storage.Warning, active int, n warningNotice) string {
	lines := []string{fmt.Sprintf("Warning recorded: **case #%d** for <@%s>, until %s. They have %s now.",
		w.Case, w.UserID, timestamp(w.ExpiresAt, "F"), plural(active, "active warning", "active warnings"))}
	if n.dmSent {
		lines = append(lines, "They were sent the reason privately.")
	}
	if n.escalation != "" {
		lines = append(lines, "Escalation: "+n.escalation)
	}
	if len(n.problems) > 0 {
		lines = append(lines, "", "**What couldn't be done** (the warning is recorded either way):")
		for _, p := range n.problems {
			lines = append(lines, "• "+p)
		}
	}
	return strings.Join(lines, "\n")
}

// moderationReason reads the `reason` option of /warn and /unwarn.
func moderationReason(req *Request, required bool) (string, error) {
	reason := strings.TrimSpace(req.String("reason"))
	if reason == "" && required {
		return "", UserErrorf("Give a reason with `reason`, e.g. `reason:Repeated personal attacks in #general`. The member is sent it.")
	}
	if n := len([]rune(reason)); n > maxWarningReason {
		return "", UserErrorf("A reason can be up to %d characters; yours has %d. Keep it to what the member needs to know.", maxWarningReason, n)
	}
	return reason, nil
}

// sendWarningDM tells the member about their warning, directly rather than
// through the DM queue, so the moderator learns at once if it can't be
// delivered. It returns what went wrong, for the moderator, or "".
func (f *Moderation) sendWarningDM(ctx context.Context, w storage.Warning) string {
	prefs, err := f.env.DB.Preferences(ctx, w.UserID)
	if err != nil {
		f.env.Log.Error("read preferences for a warning dm", "user", w.UserID, "err", err)
		return "They weren't sent a DM: Kindred couldn't read their DM preference. They can see it with `/warnings`."
	}
	if !prefs.DMsEnabled {
		return "They weren't sent a DM: they turned Kindred's DMs off (`/preferences dms`). They can see it with `/warnings`."
	}
	content := strings.Join([]string{
		fmt.Sprintf("You've received a warning from the moderators of a server you're in (https://discord.com/channels/%s), case #%d.", w.GuildID, w.Case),
		"",
		"**Reason:** " + w.Reason,
		fmt.Sprintf("**Expires:** %s (%s). After that it no longer counts toward further action.", timestamp(w.ExpiresAt, "F"), timestamp(w.ExpiresAt, "R")),
		"",
		"**To appeal** or talk it over, contact the server's moderators in the server. Replies to this DM aren't read. `/warnings` in the server shows your active warnings.",
	}, "\n")
	_, err = sendDM(ctx, f.env.Discord, w.UserID, Message{Content: content})
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrNoMutualServer):
		return "They weren't sent a DM: they share no server with Kindred any more (Discord error 50278), so they have probably left."
	case errors.Is(err, ErrDMClosed):
		return "They weren't sent a DM: their DMs are closed to Kindred (Discord error 50007). Tell them another way if they should know."
	default:
		return "They weren't sent a DM: " + discordProblem(err) + "."
	}
}

// escalateWarning applies the server's escalation rule at the member's
// active warnings, if there is one and the warning moderator could apply
// it themself, and notes the outcome in the mod-log channel, if set. It
// returns what was done, or what went wrong for the moderator; err is a
// storage error.
func (f *Moderation) escalateWarning(ctx context.Context, modlogChannelID string, w storage.Warning, active int, st standing) (done, problem string, err error) {
	rule, ok, err := f.env.DB.EscalationRuleFor(ctx, w.GuildID, active)
	if err != nil || !ok {
		return "", "", err
	}
	log := f.warningLog(w)
	logged := ""
	if problem, logged = escalationRefusal(rule, st); problem == "" {
		done, problem = f.escalate(ctx, w, rule)
		logged = problem
	}
	if problem != "" {
		log.Warn("escalation not applied", "action", rule.Action, "warnings", rule.Warnings)
	} else {
		log.Info("escalation applied", "action", rule.Action, "warnings", rule.Warnings)
	}
	if modlogChannelID != "" {
		if _, err := f.env.Discord.Send(ctx, modlogChannelID, Message{
			Content: escalationNote(w, active, done, logged),
		}); err != nil {
			log.Warn("escalation not logged to the mod-log", "channel", modlogChannelID, "err", err)
		}
	}
	return done, problem, nil
}

// escalationNote is the mod-log line for an escalation: what was done, or
// why it wasn't.
func escalationNote(w storage.Warning, active int, done, problem string) string {
	text := fmt.Sprintf("**Escalation** (case #%d, %d active warnings): ", w.Case, active)
	if problem != "" {
		return text + "not applied. " + problem
	}
	return text + done
}

// escalationRefusal is why rule must not be applied to a warned member in
// st, for the moderator and for the mod-log, or "": Kindred applies a rule
// only to a member still in the server, and a kick or ban only for a
// moderator who could kick or ban them on Discord themself. (A timeout is
// what the server's moderator role is for, so the role is enough for one.)
func escalationRefusal(rule storage.EscalationRule, st standing) (forModerator, forModlog string) {
	if !st.inServer {
		text := fmt.Sprintf("The escalation rule at %d warnings (%s) wasn't applied: they're no longer in the server.", rule.Warnings, describeRule(rule))
		return text, text
	}
	perm, name := escalationPermission(rule.Action)
	if perm != 0 && !hasPermission(st.server.permissions(st.moderator), perm) {
		return fmt.Sprintf("The escalation rule at %d warnings wasn't applied: it would %s, and you don't have the **%s** permission, so Discord wouldn't let you do that yourself and Kindred didn't either. A moderator with %s can do it.",
				rule.Warnings, escalationVerb(rule.Action), name, name),
			fmt.Sprintf("The rule at %d warnings would %s, and <@%s>, who issued the warning, doesn't have the **%s** permission. A moderator with %s can do it.",
				rule.Warnings, escalationVerb(rule.Action), st.moderator.UserID, name, name)
	}
	return "", ""
}

// escalationPermission is the Discord permission an action needs of the
// moderator behind it, and its name; 0 for a timeout.
func escalationPermission(action string) (int64, string) {
	switch action {
	case storage.ActionKick:
		return discordgo.PermissionKickMembers, "Kick Members"
	case storage.ActionBan:
		return discordgo.PermissionBanMembers, "Ban Members"
	}
	return 0, ""
}

// escalationVerb is what an action does, as in "couldn't time them out".
func escalationVerb(action string) string {
	switch action {
	case storage.ActionTimeout:
		return "time them out"
	case storage.ActionKick:
		return "kick them"
	case storage.ActionBan:
		return "ban them"
	}
	return action
}

// timeoutLength is how long Kindred asks Discord to time a member out for
// a rule of length d: d, but never closer to Discord's 28 days than
// timeoutMargin.
func timeoutLength(d time.Duration) time.Duration {
	return min(d, maxTimeout-timeoutMargin)
}

// escalate applies rule to the warned member. It returns what was done,
// or what went wrong for the moderator.
func (f *Moderation) escalate(ctx context.Context, w storage.Warning, rule storage.EscalationRule) (done, problem string) {
	auditReason := fmt.Sprintf("Kindred escalation: %d active warnings (case #%d)", rule.Warnings, w.Case)
	var err error
	switch rule.Action {
	case storage.ActionTimeout:
		until := f.env.Now().Add(timeoutLength(rule.Duration))
		err = f.env.Discord.Timeout(ctx, w.GuildID, w.UserID, until, auditReason)
		done = fmt.Sprintf("<@%s> is timed out for %s, until %s.", w.UserID, scheduler.FormatOffset(rule.Duration), timestamp(until, "F"))
	case storage.ActionKick:
		err = f.env.Discord.Kick(ctx, w.GuildID, w.UserID, auditReason)
		done = fmt.Sprintf("<@%s> was kicked from the server.", w.UserID)
	case storage.ActionBan:
		err = f.env.Discord.Ban(ctx, w.GuildID, w.UserID, auditReason)
		done = fmt.Sprintf("<@%s> was banned from the server.", w.UserID)
	default:
		return "", fmt.Sprintf("The escalation rule at %d warnings has an unknown action.", rule.Warnings)
	}
	if err == nil {
		return done, ""
	}
	action := escalationVerb(rule.Action)
	if errors.Is(err, ErrForbidden) {
		return "", fmt.Sprintf("The escalation rule at %d warnings couldn't %s: Kindred lacks the permission, or the member's role is above Kindred's, or they own the server (Discord error 50013).", rule.Warnings, action)
	}
	return "", fmt.Sprintf("The escalation rule at %d warnings couldn't %s: %s.", rule.Warnings, action, discordProblem(err))
}

// logToModlog posts embed to the server's mod-log channel, if one is set.
// It returns what couldn't be done, for the moderator, or "", and the
// Discord error behind it, for the log.
func (f *Moderation) logToModlog(ctx context.Context, channelID string, embed *discordgo.MessageEmbed) (problem string, err error) {
	if channelID == "" {
		return "It wasn't logged: no mod-log channel is set. `/kindred setup modlog_channel:#mod-log` sets one.", nil
	}
	if _, err := f.postModlog(ctx, channelID, embed); err != nil {
		return fmt.Sprintf("It couldn't be posted to <#%s>: %s.", channelID, discordProblem(err)), err
	}
	return "", nil
}

func (f *Moderation) postModlog(ctx context.Context, channelID string, embed *discordgo.MessageEmbed) (string, error) {
	return f.env.Discord.Send(ctx, channelID, Message{
		Embeds: []*discordgo.MessageEmbed{embed},
	})
}

func warningEmbed(w storage.Warning, active int) *discordgo.MessageEmbed {
	return &discordgo.MessageEmbed{
		Title: fmt.Sprintf("Warning · case #%d", w.Case),
		Color: colourModeration,
		Fields: []*discordgo.MessageEmbedField{
			{Name: "Member", Value: fmt.Sprintf("<@%s> (%s)", w.UserID, w.UserID), Inline: true},
			{Name: "Moderator", Value: fmt.Sprintf("<@%s>", w.ModeratorID), Inline: true},
			{Name: "Reason", Value: w.Reason},
			{Name: "Expires", Value: fmt.Sprintf("%s (%s)", timestamp(w.ExpiresAt, "F"), timestamp(w.ExpiresAt, "R")), Inline: true},
			{Name: "Active warnings", Value: fmt.Sprint(active), Inline: true},
		},
		Timestamp: w.CreatedAt.Format(time.RFC3339),
	}
}

// ---- /warnings ----

func (f *Moderation) warnings(ctx context.Context, req *Request) (*Response, error) {
	target, err := req.ID("user")
	if err != nil {
		return nil, err
	}
	now := f.env.Now()
	if target == "" {
		return f.ownWarnings(ctx, req, now)
	}
	if ok, err := isModerator(ctx, f.env.DB, req); err != nil {
		return nil, err
	} else if !ok {
		return nil, UserErrorf(notModerator)
	}
	return f.memberWarnings(ctx, req.GuildID, target, now)
}

// memberWarnings is a member's whole record, newest first, as moderators
// see it: revoked and expired warnings too, with who issued each.
func (f *Moderation) memberWarnings(ctx context.Context, guildID, userID string, now time.Time) (*Response, error) {
	listed, err := f.env.DB.Warnings(ctx, guildID, userID)
	if err != nil {
		return nil, err
	}
	// Warnings given through an anonymous share are left out, for every
	// member alike, or this view would name the share's author.
	viaShares, err := f.env.DB.ShareWarningCases(ctx, guildID)
	if err != nil {
		return nil, err
	}
	var all []storage.Warning
	for _, w := range listed {
		if !viaShares[w.Case] {
			all = append(all, w)
		}
	}
	if len(all) == 0 {
		return Ephemeral(fmt.Sprintf("<@%s> has no warnings in this server. %s", userID, anonymousWarningsNote)), nil
	}
	activeCount := 0
	var lines []string
	for i := len(all) - 1; i >= 0; i-- { // newest first
		if warningStatus(all[i], now) == "active" {
			activeCount++
		}
		lines = append(lines, warningRecordLine(all[i], now))
	}
	return &Response{Ephemeral: true, Embeds: []*discordgo.MessageEmbed{{
		Title:       "Warnings",
		Description: joinFitted(fmt.Sprintf("<@%s>: %d active, %d in all.", userID, activeCount, len(all)), lines, "\n\n", maxEmbedDescription, andMore),
		Color:       colourModeration,
		Footer:      &discordgo.MessageEmbedFooter{Text: anonymousWarningsNote},
	}}}, nil
}

// anonymousWarningsNote goes with every moderator's view of a member's
// warnings, whether or not any were left out.
const anonymousWarningsNote = "Warnings given through anonymous shares are never listed here, to keep their authors anonymous; they count toward escalation as usual."

// warningStatus is "active", "revoked" or "expired" at now.
func warningStatus(w storage.Warning, now time.Time) string {
	switch {
	case w.Revoked():
		return "revoked"
	case w.Expired(now):
		return "expired"
	}
	return "active"
}

// warningRecordLine is one warning in a moderator's view of a record.
func warningRecordLine(w storage.Warning, now time.Time) string {
	line := fmt.Sprintf("**#%d** · %s · issued by <@%s> %s · expires %s\n> %s",
		w.Case, warningStatus(w, now), w.ModeratorID, timestamp(w.CreatedAt, "D"), timestamp(w.ExpiresAt, "D"), oneLine(w.Reason))
	if w.Revoked() {
		line += fmt.Sprintf("\nRevoked by <@%s> %s", w.RevokedBy, timestamp(w.RevokedAt, "D"))
		if w.RevokeReason != "" {
			line += ": " + oneLine(w.RevokeReason)
		}
	}
	return line
}

func (f *Moderation) ownWarnings(ctx context.Context, req *Request, now time.Time) (*Response, error) {
	active, err := f.env.DB.ActiveWarnings(ctx, req.GuildID, req.UserID, now)
	if err != nil {
		return nil, err
	}
	if len(active) == 0 {
		return Ephemeral("You have no active warnings in this server."), nil
	}
	var lines []string
	for _, w := range active {
		lines = append(lines, fmt.Sprintf("**%s**, until %s\n> %s", timestamp(w.CreatedAt, "D"), timestamp(w.ExpiresAt, "D"), oneLine(w.Reason)))
	}
	return &Response{Ephemeral: true, Embeds: []*discordgo.MessageEmbed{{
		Title:       "Your active warnings",
		Description: joinFitted(fmt.Sprintf("You have %s here.", plural(len(active), "active warning", "active warnings")), lines, "\n\n", maxEmbedDescription, andMore),
		Color:       colourModeration,
		Footer:      &discordgo.MessageEmbedFooter{Text: "Only you see this. To appeal, contact the server's moderators."},
	}}}, nil
}

// oneLine keeps a reason on one quoted line.
func oneLine(s string) string {
	return strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
}

// ---- /unwarn ----

func (f *Moderation) unwarn(ctx context.Context, req *Request) (*Response, error) {
	caseNumber, err := req.Int("case")
	if err != nil {
		return nil, err
	}
	reason, err := moderationReason(req, false)
	if err != nil {
		return nil, err
	}
	w, err := f.env.DB.RevokeWarning(ctx, req.GuildID, caseNumber, req.UserID, reason, f.env.Now())
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return nil, UserErrorf("There's no such case #%d in this server. `/warnings user:@someone` lists a member's cases.", caseNumber)
	case errors.Is(err, storage.ErrAlreadyRevoked):
		return nil, UserErrorf("Case #%d was already revoked %s.", caseNumber, timestamp(w.RevokedAt, "F"))
	case err != nil:
		return nil, err
	}
	settings, err := f.env.DB.GuildSettings(ctx, req.GuildID)
	if err != nil {
		return nil, err
	}
	viaShares, err := f.env.DB.ShareWarningCases(ctx, req.GuildID)
	if err != nil {
		return nil, err
	}
	text := fmt.Sprintf("Case #%d (<@%s>) is revoked: it no longer counts, and stays in their record as revoked.", w.Case, w.UserID)
	embed := revokedEmbed(w)
	if !viaShares[w.Case] {
		f.env.Log.Info("warning revoked", "guild", req.GuildID, "case", w.Case, "user", w.UserID, "moderator", req.UserID)
	} else {
		// Given through an anonymous share: its author stays unnamed, in
		// the log too.
		f.env.Log.Info("warning revoked", "guild", req.GuildID, "case", w.Case, "moderator", req.UserID)
		text = fmt.Sprintf("Case #%d (anonymous author) is revoked: it no longer counts, and stays in their record as revoked.", w.Case)
		embed.Fields[0].Value = "Anonymous author (warned through a share)"
	}
	if problem, _ := f.logToModlog(ctx, settings.ModlogChannelID, embed); problem != "" {
		text += "\n" + problem
	}
	return Ephemeral(text), nil
}

// revokedEmbed is the mod-log entry for a revoked warning.
func revokedEmbed(w storage.Warning) *discordgo.MessageEmbed {
	fields := []*discordgo.MessageEmbedField{
		{Name: "Member", Value: fmt.Sprintf("<@%s> (%s)", w.UserID, w.UserID), Inline: true},
		{Name: "Revoked by", Value: fmt.Sprintf("<@%s>", w.RevokedBy), Inline: true},
		{Name: "Original reason", Value: w.Reason},
	}
	if w.RevokeReason != "" {
		fields = append(fields, &discordgo.MessageEmbedField{Name: "Why revoked", Value: w.RevokeReason})
	}
	return &discordgo.MessageEmbed{
		Title: fmt.Sprintf("Warning revoked · case #%d", w.Case), Color: colourCalm, Fields: fields,
	}
}

// ---- /escalation ----

func (f *Moderation) escalationSet(ctx context.Context, req *Request) (*Response, error) {
	n, err := req.Int("warnings")
	if err != nil {
		return nil, err
	}
	if n < minEscalation || n > maxEscalation {
		return nil, UserErrorf("`warnings` is %d to %d, e.g. `/escalation set warnings:3 action:timeout duration:1h`.", minEscalation, maxEscalation)
	}
	rule := storage.EscalationRule{GuildID: req.GuildID, Warnings: int(n), Action: req.String("action")}
	switch rule.Action {
	case storage.ActionTimeout:
		if !req.Has("duration") {
			return nil, UserErrorf("A timeout needs a `duration`, e.g. `duration:1h` or `duration:3d` (up to 28d).")
		}
		d, err := scheduler.ParseLength(req.String("duration"), minTimeout, maxTimeout)
		if err != nil {
			return nil, UserErrorf("%s A timeout lasts from 1m to 28d, e.g. `duration:1h` or `duration:3d`.", memberText(err))
		}
		rule.Duration = d
	case storage.ActionKick, storage.ActionBan:
		if req.Has("duration") {
			return nil, UserErrorf("A %s has no `duration`: only timeouts do. Try `/escalation set warnings:%d action:%s`.", rule.Action, n, rule.Action)
		}
		if err := f.mayRule(ctx, req, rule.Action); err != nil {
			return nil, err
		}
	default:
		return nil, UserErrorf("`action` is one of `timeout`, `kick` or `ban`, e.g. `action:timeout duration:1h`.")
	}
	if err := f.env.DB.SetEscalationRule(ctx, rule, req.UserID, f.env.Now()); err != nil {
		return nil, err
	}
	f.env.Log.Info("escalation rule set", "guild", req.GuildID, "moderator", req.UserID, "warnings", rule.Warnings, "action", rule.Action)
	return Ephemeral(fmt.Sprintf("Saved: when a member reaches %s, Kindred will %s. `/escalation list` shows every rule.",
		plural(rule.Warnings, "active warning", "active warnings"), describeRule(rule))), nil
}

// mayRule refuses a kick or ban rule to a moderator who couldn't kick or
// ban on Discord themself: Kindred would be doing it for them.
func (f *Moderation) mayRule(ctx context.Context, req *Request, action string) error {
	perm, name := escalationPermission(action)
	info, err := f.env.Discord.Server(ctx, req.GuildID)
	if err != nil {
		f.env.Log.Warn("read server for an escalation rule", "guild", req.GuildID, "err", err)
		return UserErrorf("Kindred couldn't check your permissions just now (%s), so the rule wasn't saved. Try again in a minute.", discordProblem(err))
	}
	if !hasPermission(info.permissions(ServerMember{UserID: req.UserID, RoleIDs: req.RoleIDs}), perm) {
		return UserErrorf("A %s rule would have Kindred %s for you, and you don't have the **%s** permission yourself, so it wasn't saved. A moderator or administrator with %s can set it; a timeout rule needs only the moderator role, e.g. `/escalation set warnings:3 action:timeout duration:1d`.",
			action, strings.TrimSuffix(escalationVerb(action), " them")+" members", name, name)
	}
	return nil
}

func describeRule(r storage.EscalationRule) string {
	switch r.Action {
	case storage.ActionTimeout:
		return "time them out for " + scheduler.FormatOffset(r.Duration)
	case storage.ActionKick:
		return "kick them"
	case storage.ActionBan:
		return "ban them"
	}
	return r.Action
}

func (f *Moderation) escalationList(ctx context.Context, req *Request) (*Response, error) {
	rules, err := f.env.DB.EscalationRules(ctx, req.GuildID)
	if err != nil {
		return nil, err
	}
	if len(rules) == 0 {
		return Ephemeral("No escalation rules: warnings are recorded and nothing more happens. Add one with e.g. `/escalation set warnings:3 action:timeout duration:1h`."), nil
	}
	lines := make([]string, len(rules))
	for i, r := range rules {
		lines[i] = fmt.Sprintf("At %s: %s", plural(r.Warnings, "active warning", "active warnings"), describeRule(r))
	}
	return &Response{Ephemeral: true, Embeds: []*discordgo.MessageEmbed{{
		Title: "Escalation rules", Color: colourModeration, Description: strings.Join(lines, "\n"),
		Footer: &discordgo.MessageEmbedFooter{Text: "A rule applies when a warning brings a member to exactly that many active warnings."},
	}}}, nil
}

func (f *Moderation) escalationClear(ctx context.Context, req *Request) (*Response, error) {
	n, err := req.Int("warnings")
	if err != nil {
		return nil, err
	}
	removed, err := f.env.DB.ClearEscalationRule(ctx, req.GuildID, int(n))
	if err != nil {
		return nil, err
	}
	if !removed {
		return nil, UserErrorf("There's no rule at %d warnings. `/escalation list` shows the rules there are.", n)
	}
	f.env.Log.Info("escalation rule cleared", "guild", req.GuildID, "moderator", req.UserID, "warnings", n)
	return Ephemeral(fmt.Sprintf("Removed the rule at %s.", plural(int(n), "warning", "warnings"))), nil
}

// ---- Report to moderators ----

func (f *Moderation) reportStart(ctx context.Context, req *Request) (*Response, error) {
	m := req.TargetMessage
	if m == nil || m.ID == "" || m.Author == nil {
		return nil, UserErrorf("Kindred couldn't see that message. Try again, or tell a moderator directly.")
	}
	channelID := m.ChannelID
	if channelID == "" {
		channelID = req.ChannelID
	}
	f.rememberDraft(req.UserID, m.ID, excerpt(m.Content))
	return &Response{Modal: &Modal{
		CustomID: reportModal.ID(channelID, m.ID, m.Author.ID),
		Title:    "Report to moderators",
		Components: []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
			discordgo.TextInput{
				CustomID: reportReasonField, Label: "What's wrong with this message?", Style: discordgo.TextInputParagraph,
				Placeholder: "Only moderators see this. The author isn't told who reported it.",
				Required:    true, MinLength: 1, MaxLength: maxWarningReason,
			},
		}}},
	}}, nil
}

// reportSubmit files a report from the modal. The channel its id names must
// be the one the modal was submitted from: Discord sends a modal's
// submission from the channel it was opened in, which for this menu is the
// reported message's, and vouches that the channel is in the interaction's
// server. So a crafted id can't file a report pointing at another server
// or at a channel the reporter wasn't in; it gets the answer an expired
// form gets.
func (f *Moderation) reportSubmit(ctx context.Context, req *Request) (*Response, error) {
	channelID, messageID := req.Parts.String("channel"), req.Parts.String("message")
	if channelID != req.ChannelID {
		f.env.Log.Warn("report form from another channel than it names", "guild", req.GuildID, "reporter", req.UserID,
			"channel", req.ChannelID, "named", channelID)
		return nil, reportModal.Stale()
	}
	reason, err := reportReason(req)
	if err != nil {
		return nil, err
	}
	now := f.env.Now()
	r, err := f.env.DB.AddReport(ctx, storage.Report{
		GuildID: req.GuildID, ReporterID: req.UserID, ReportedID: req.Parts.String("author"), ChannelID: channelID, MessageID: messageID,
		Reason: reason, Excerpt: f.takeDraft(req.UserID, messageID), CreatedAt: now,
	})
	if err != nil {
		return nil, err
	}
	reply, err := f.deliverReport(ctx, r, now)
	if err != nil {
		return nil, err
	}
	return Ephemeral(reply), nil
}

// reportReason reads and checks the report modal's reason. Its errors are
// UserErrors with the text the reporter sees.
func reportReason(req *Request) (string, error) {
	reason := strings.TrimSpace(req.Fields[reportReasonField])
	if reason == "" {
		return "", UserErrorf("Please say what's wrong with the message, so moderators know what to look at.")
	}
	if n := len([]rune(reason)); n > maxWarningReason {
		return "", UserErrorf("A report's reason can be up to %d characters; yours has %d.", maxWarningReason, n)
	}
	return reason, nil
}

// deliverReport posts a stored report to the mod-log channel, unless there
// is none yet or the report was already claimed, and returns the
// reporter's reply. A report whose post fails is released, to be posted
// when the channel is set again.
func (f *Moderation) deliverReport(ctx context.Context, r storage.Report, now time.Time) (string, error) {
	log := f.env.Log.With("guild", r.GuildID, "report", r.ID, "reporter", r.ReporterID, "reported", r.ReportedID)
	settings, err := f.env.DB.GuildSettings(ctx, r.GuildID)
	if err != nil {
		return "", err
	}
	if settings.ModlogChannelID == "" {
		log.Info("report stored: no mod-log channel")
		return "Thank you for reporting it. Moderators can't see it yet: this server hasn't set a mod-log channel. Your report is saved, and moderators will see it as soon as one is set. The author isn't told who reported it.", nil
	}
	claimed, err := f.env.DB.ClaimReport(ctx, r.ID, now)
	if err != nil {
		return "", err
	}
	if claimed {
		if _, err := f.postModlog(ctx, settings.ModlogChannelID, reportEmbed(r)); err != nil {
			log.Warn("report not posted to the mod-log", "channel", settings.ModlogChannelID, "err", err)
			if err := f.env.DB.ReleaseReport(ctx, r.ID); err != nil {
				return "", err
			}
			return "Thank you for reporting it. Kindred couldn't deliver it to the moderators just now; it is saved and will be posted when a moderator sets the mod-log channel again. If it's urgent, contact a moderator directly.", nil
		}
	}
	log.Info("report delivered")
	return "Thank you for reporting it. The moderators have it, with a link to the message. The author isn't told who reported it.", nil
}

func reportEmbed(r storage.Report) *discordgo.MessageEmbed {
	text := r.Excerpt
	if text == "" {
		text = "(no excerpt: open the message with the link)"
	}
	return &discordgo.MessageEmbed{
		Title: "Report",
		Color: colourModeration,
		Fields: []*discordgo.MessageEmbedField{
			{Name: "Reported member", Value: fmt.Sprintf("<@%s> (%s)", r.ReportedID, r.ReportedID), Inline: true},
			{Name: "Reported by", Value: fmt.Sprintf("<@%s>", r.ReporterID), Inline: true},
			{Name: "Reason", Value: r.Reason},
			{Name: "Message", Value: fmt.Sprintf("https://discord.com/channels/%s/%s/%s", r.GuildID, r.ChannelID, r.MessageID)},
			{Name: "Excerpt", Value: text},
		},
		Timestamp: r.CreatedAt.Format(time.RFC3339),
	}
}

// excerpt is at most maxReportExcerpt characters of a message's text.
func excerpt(content string) string {
	return clip(strings.TrimSpace(content), maxReportExcerpt)
}

func (f *Moderation) rememberDraft(reporterID, messageID, text string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.env.Now()
	if f.drafts == nil {
		f.drafts = map[string]reportDraft{}
	}
	for k, d := range f.drafts {
		if now.Sub(d.at) > reportDraftTTL {
			delete(f.drafts, k)
		}
	}
	f.drafts[reporterID+":"+messageID] = reportDraft{excerpt: text, at: now}
}

func (f *Moderation) takeDraft(reporterID, messageID string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	key := reporterID + ":" + messageID
	d, ok := f.drafts[key]
	if !ok {
		return ""
	}
	delete(f.drafts, key)
	return d.excerpt
}

// postPendingReports posts the server's undelivered reports to the mod-log
// channel, oldest first, and returns how many were posted. A report whose
// post fails stays pending, as do the ones after it.
func postPendingReports(ctx context.Context, env Env, guildID, channelID string) (int, error) {
	reports, err := env.DB.ClaimPendingReports(ctx, guildID, env.Now())
	if err != nil {
		return 0, err
	}
	for i, r := range reports {
		// A report claimed but not posted (a crash) is claimed again
		// later; within Discord's nonce window that posts nothing new.
		_, err := env.Discord.Send(ctx, channelID, Message{
			Embeds: []*discordgo.MessageEmbed{reportEmbed(r)},
			Nonce:  nonceFor("report:" + strconv.FormatInt(r.ID, 10)),
		})
		if err != nil {
			for _, left := range reports[i:] {
				if rerr := env.DB.ReleaseReport(ctx, left.ID); rerr != nil {
					return i, errors.Join(err, rerr)
				}
			}
			return i, err
		}
		env.Log.Info("pending report delivered", "guild", guildID, "report", r.ID)
	}
	return len(reports), nil
}
