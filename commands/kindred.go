package commands

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/kindred-bot/kindred/internal/zones"
	"github.com/kindred-bot/kindred/storage"
)

// maxResourcesText keeps a server's own resources within one message, with
// room for the words Kindred puts around them.
const maxResourcesText = 1800

// resetResources is the resources_text value that goes back to the built-in list.
const resetResources = "default"

var kindredCommand = &discordgo.ApplicationCommand{
	Name:        "kindred",
	Description: "Kindred's settings for this server, and what it is",
	Options: []*discordgo.ApplicationCommandOption{
		{
			Type:        discordgo.ApplicationCommandOptionSubCommand,
			Name:        "setup",
			Description: "Server settings (Manage Server). With no options, shows them.",
			Options: []*discordgo.ApplicationCommandOption{
				{
					Type:         discordgo.ApplicationCommandOptionChannel,
					Name:         "modlog_channel",
					Description:  "Where reports, warnings and problems are logged for moderators",
					ChannelTypes: []discordgo.ChannelType{discordgo.ChannelTypeGuildText},
				},
				{Type: discordgo.ApplicationCommandOptionRole, Name: "moderator_role", Description: "Members with this role can warn and see reports"},
				{Type: discordgo.ApplicationCommandOptionRole, Name: "facilitator_role", Description: "Members with this role run groups, meetings and pairing"},
				{Type: discordgo.ApplicationCommandOptionString, Name: "timezone", Description: "The server's default timezone, e.g. Europe/Berlin", Autocomplete: true},
				{
					Type:        discordgo.ApplicationCommandOptionString,
					Name:        "resources_text",
					Description: "Your own crisis and support resources for /resources (\"default\" restores the built-in list)",
					MaxLength:   maxResourcesText,
				},
				{Type: discordgo.ApplicationCommandOptionRole, Name: "supporter_role", Description: "Peer supporters: members with this role can go on duty for /support"},
				{
					Type:         discordgo.ApplicationCommandOptionChannel,
					Name:         "support_channel",
					Description:  "Where /support opens private threads and posts request cards for supporters",
					ChannelTypes: []discordgo.ChannelType{discordgo.ChannelTypeGuildText},
				},
				{Type: discordgo.ApplicationCommandOptionBoolean, Name: "share_vetting", Description: "Anonymous shares wait for a moderator's approval in the mod-log (default true)"},
			},
		},
		{
			Type:        discordgo.ApplicationCommandOptionSubCommand,
			Name:        "about",
			Description: "What Kindred is, what it stores and how to take your data back",
		},
	},
}

// Kindred is /kindred: the server's settings and the bot's own description.
type Kindred struct {
	env Env
}

func (f *Kindred) Register(r *Router) {
	r.Define(kindredCommand)
	r.Command("kindred/setup", f.setup, ManageServer)
	r.Autocomplete("kindred/setup", timezoneAutocomplete, Anywhere)
	r.Command("kindred/about", f.about, Anywhere)
}

// setup stores the server's settings (its route is ManageServer); with no
// options it shows them.
func (f *Kindred) setup(ctx context.Context, req *Request) (*Response, error) {
	u, changed, err := parseSetup(req)
	if err != nil {
		return nil, err
	}
	if u.SupportChannelID != nil {
		if err := f.checkSupportChannel(ctx, req.GuildID, *u.SupportChannelID); err != nil {
			return nil, err
		}
	}
	var s storage.GuildSettings
	if changed {
		s, err = f.env.DB.UpdateGuildSettings(ctx, req.GuildID, u, f.env.Now())
	} else {
		s, err = f.env.DB.GuildSettings(ctx, req.GuildID)
	}
	if err != nil {
		return nil, fmt.Errorf("setup: %w", err)
	}
	title := "Kindred's settings for this server"
	if changed {
		title = "Saved. Kindred's settings for this server"
	}
	resp := &Response{Ephemeral: true, Embeds: []*discordgo.MessageEmbed{settingsEmbed(title, s)}}
	if u.ModlogChannelID != nil {
		// Reports made while there was no mod-log are posted now.
		posted, err := postPendingReports(ctx, f.env, req.GuildID, s.ModlogChannelID)
		if posted > 0 {
			resp.Content = fmt.Sprintf("Posted %s that waited for a mod-log channel to <#%s>.", plural(posted, "report", "reports"), s.ModlogChannelID)
		}
		if err != nil {
			f.env.Log.Warn("pending reports not posted", "guild", req.GuildID, "channel", s.ModlogChannelID, "err", err)
			resp.Content = strings.TrimSpace(resp.Content + fmt.Sprintf(" Reports waiting for the mod-log couldn't all be posted to <#%s> (%s); they stay saved and are posted the next time the mod-log channel is set.", s.ModlogChannelID, discordProblem(err)))
		}
	}
	return resp, nil
}

// parseSetup reads /kindred setup's options into an update, checking each
// in the order the command lists them, so the first problem named is
// always the same one; changed is false when no option was given.
func parseSetup(req *Request) (u storage.GuildSettingsUpdate, changed bool, err error) {
	if ch, err := req.Channel("modlog_channel"); err != nil {
		return u, false, err
	} else if ch != nil {
		if ch.Type != discordgo.ChannelTypeGuildText {
			return u, false, UserErrorf("The mod-log needs to be a text channel, for example `#mod-log`.")
		}
		u.ModlogChannelID, changed = &ch.ID, true
	}
	for _, r := range []struct {
		option string
		field  **string
	}{{"moderator_role", &u.ModeratorRoleID}, {"facilitator_role", &u.FacilitatorRoleID}, {"supporter_role", &u.SupporterRoleID}} {
		role, err := req.Role(r.option)
		if err != nil {
			return u, false, err
		}
		if role == nil {
			continue
		}
		if role.ID == req.GuildID {
			return u, false, UserErrorf("`%s` can't be @everyone: pick a role that only some members hold.", r.option)
		}
		*r.field, changed = &role.ID, true
	}
	if req.Has("timezone") {
		name, _, err := lookupZone(req.String("timezone"))
		if err != nil {
			return u, false, err
		}
		u.Timezone, changed = &name, true
	}
	if req.Has("resources_text") {
		text := strings.TrimSpace(req.String("resources_text"))
		if n := len([]rune(text)); n > maxResourcesText {
			return u, false, UserErrorf("Resources text can be up to %d characters; yours has %d. Link to a longer page if you need more room.", maxResourcesText, n)
		}
		if strings.EqualFold(text, resetResources) {
			text = ""
		}
		u.ResourcesText, changed = &text, true
	}
	if ch, err := req.Channel("support_channel"); err != nil {
		return u, false, err
	} else if ch != nil {
		if ch.Type != discordgo.ChannelTypeGuildText {
			return u, false, UserErrorf("The support channel needs to be a text channel, where Kindred can open private threads: for example `#support`.")
		}
		u.SupportChannelID, changed = &ch.ID, true
	}
	if req.Has("share_vetting") {
		vetting, err := req.Bool("share_vetting", true)
		if err != nil {
			return u, false, err
		}
		u.ShareVetting, changed = &vetting, true
	}
	return u, changed, nil
}

func shareVettingText(vetting bool) string {
	if vetting {
		return "wait for a moderator's approval in the mod-log (`share_vetting` on)"
	}
	return "are posted at once (`share_vetting` off)"
}

func settingsEmbed(title string, s storage.GuildSettings) *discordgo.MessageEmbed {
	orNot := func(v, format, unset string) string {
		if v == "" {
			return unset
		}
		return fmt.Sprintf(format, v)
	}
	resources := "Kindred's built-in list"
	if s.ResourcesText != "" {
		resources = fmt.Sprintf("your own text (%d characters)", len([]rune(s.ResourcesText)))
	}
	return &discordgo.MessageEmbed{
		Title: title,
		Color: colourCalm,
		Fields: []*discordgo.MessageEmbedField{
			{Name: "Mod-log channel", Value: orNot(s.ModlogChannelID, "<#%s>", "not set: reports can't be delivered until it is"), Inline: false},
			{Name: "Moderator role", Value: orNot(s.ModeratorRoleID, "<@&%s>", "not set (members with Moderate Members still count)")},
			{Name: "Facilitator role", Value: orNot(s.FacilitatorRoleID, "<@&%s>", "not set (members with Manage Events still count)")},
			{Name: "Default timezone", Value: orNot(s.Timezone, "%s", "UTC (not set)")},
			{Name: "/resources shows", Value: resources},
			{Name: "Support on request", Value: supportSetting(s)},
			{Name: "Anonymous shares", Value: shareVettingText(s.ShareVetting)},
		},
		Footer: &discordgo.MessageEmbedFooter{Text: "Change any of these with /kindred setup and the option's name."},
	}
}

func supportSetting(s storage.GuildSettings) string {
	switch {
	case s.SupporterRoleID != "" && s.SupportChannelID != "":
		return fmt.Sprintf("on: supporters hold <@&%s>; threads open in <#%s>", s.SupporterRoleID, s.SupportChannelID)
	case s.SupporterRoleID != "":
		return fmt.Sprintf("off until `support_channel` is set (supporters hold <@&%s>)", s.SupporterRoleID)
	case s.SupportChannelID != "":
		return fmt.Sprintf("off until `supporter_role` is set (threads would open in <#%s>)", s.SupportChannelID)
	}
	return "off (set `supporter_role` and `support_channel` to turn it on)"
}

// supportChannelPermissions are what Kindred needs in the support channel:
// to see it, post cards, open private threads, post in them, see when a
// member last posted in one (Read Message History), and lock, archive and
// add members to them.
var supportChannelPermissions = []struct {
	perm int64
	name string
}{
	{discordgo.PermissionViewChannel, "View Channel"},
	{discordgo.PermissionSendMessages, "Send Messages"},
	{discordgo.PermissionCreatePrivateThreads, "Create Private Threads"},
	{discordgo.PermissionSendMessagesInThreads, "Send Messages in Threads"},
	{discordgo.PermissionManageThreads, "Manage Threads"},
	{discordgo.PermissionReadMessageHistory, "Read Message History"},
}

// checkSupportChannel refuses a support channel where Kindred lacks a
// permission support needs, naming what is missing. It reads Kindred's
// server-wide permissions from its roles; a channel's own overwrites are
// not read.
func (f *Kindred) checkSupportChannel(ctx context.Context, guildID, channelID string) error {
	server, err := f.env.Discord.Server(ctx, guildID)
	if err != nil {
		return fmt.Errorf("check support channel: %w", err)
	}
	me, err := f.env.Discord.Member(ctx, guildID, f.env.BotUserID)
	if err != nil {
		return fmt.Errorf("check support channel: %w", err)
	}
	perms := server.permissions(me)
	var missing []string
	for _, p := range supportChannelPermissions {
		if !hasPermission(perms, p.perm) {
			missing = append(missing, "**"+p.name+"**")
		}
	}
	if len(missing) > 0 {
		return UserErrorf("Kindred can't run support in <#%s> yet: it is missing %s. Give Kindred's role those permissions, then run this again. Nothing was changed.",
			channelID, strings.Join(missing, ", "))
	}
	return nil
}

func (f *Kindred) about(ctx context.Context, req *Request) (*Response, error) {
	retention := "kept with no automatic deletion"
	if d := f.env.CheckinRetentionDays; d > 0 {
		retention = fmt.Sprintf("deleted automatically after %d days", d)
	}
	version := f.env.Version
	if version == "" {
		version = "development build"
	}
	text := strings.Join([]string{
		"Kindred helps peer support groups meet, check in and look out for each other. It is peer support, not therapy: `/resources` lists crisis lines and other help.",
		"",
		"**What Kindred stores**",
		"• Your preferences (timezone, quiet hours, whether you get DMs), wherever you use Kindred, until you change them.",
		"• In each server: the groups you joined (and when you left one, so group summaries count who was a member when their weeks began), your meeting answers (Going, Maybe, Can't go) and when you marked I'm here.",
		"• Each server's settings, groups and meetings, and the reminders and DMs waiting to be sent.",
		"• In each server: your check-ins with their notes (" + retention + ") and your daily check-in reminder.",
		"• In each server: your buddy settings, who you asked not to be paired with (never shown to anyone), your pairings and whether you said you talked.",
		"• In each server: your `/support` requests with their topics, and whether you said it helped; as a supporter, your time on duty and the requests you took.",
		"• In each server: your anonymous shares, with you as their author so that `/shares` can list them for you to delete; no member or moderator is ever shown who wrote one.",
		"",
		"• Moderation records: warnings and reports. They are kept when you delete your data, because they protect the community.",
		"",
		"**Private by default.** Anything personal is shown only to you, and nothing you type is written to Kindred's logs.",
		"",
		fmt.Sprintf("**Group summaries** show facilitators anonymous figures, never who or any note: only for whole past weeks, only when at least %[1]d members besides the facilitator, members when those weeks began, checked in every week, and with moods fewer than %[1]d people chose hidden. No two summaries differ by the check-ins of fewer than %[1]d people, so none can single you out.", summaryMinMembers),
		"",
		"**Your data:** `/mydata export` sends you everything Kindred stores about you, in every server, as a file; `/mydata delete` erases it (after you confirm).",
	}, "\n")
	return &Response{Ephemeral: true, Embeds: []*discordgo.MessageEmbed{{
		Title:       "About Kindred",
		Description: text,
		Color:       colourCalm,
		Footer:      &discordgo.MessageEmbedFooter{Text: "Kindred " + version},
	}}}, nil
}

// lookupZone reads a timezone a member typed, or explains what works.
func lookupZone(typed string) (string, *time.Location, error) {
	name, loc, ok := zones.Lookup(strings.TrimSpace(typed))
	if ok {
		return name, loc, nil
	}
	example := "Europe/Berlin"
	if suggestions := zones.Suggest(typed, 3); len(suggestions) > 0 {
		return "", nil, UserErrorf("I don't know the timezone `%s`. Did you mean %s? Pick one from the list as you type.",
			echo(typed, 60), "`"+strings.Join(suggestions, "`, `")+"`")
	}
	return "", nil, UserErrorf("I don't know the timezone `%s`. Timezones look like `%s` or `America/New_York`; pick one from the list as you type.", echo(typed, 60), example)
}

// timezoneAutocomplete offers IANA names for whichever timezone option is focused.
func timezoneAutocomplete(ctx context.Context, req *Request) (*Response, error) {
	names := zones.Match(req.FocusedValue(), maxChoices)
	choices := make([]*discordgo.ApplicationCommandOptionChoice, 0, len(names))
	for _, n := range names {
		choices = append(choices, &discordgo.ApplicationCommandOptionChoice{Name: n, Value: n})
	}
	return Choices(choices), nil
}
