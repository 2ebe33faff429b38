package commands

import (
	"context"
	"errors"
	"fmt"

	"github.com/bwmarrin/discordgo"

	"github.com/kindred-bot/kindred/scheduler"
	"github.com/kindred-bot/kindred/storage"
)

var preferencesCommand = &discordgo.ApplicationCommand{
	Name:        "preferences",
	Description: "Your own settings, wherever you use Kindred",
	Options: []*discordgo.ApplicationCommandOption{
		{
			Type:        discordgo.ApplicationCommandOptionSubCommand,
			Name:        "timezone",
			Description: "Set your timezone, so times are read and shown as yours",
			Options: []*discordgo.ApplicationCommandOption{
				{Type: discordgo.ApplicationCommandOptionString, Name: "zone", Description: "Your timezone, e.g. Europe/Berlin or America/New_York", Required: true, Autocomplete: true},
			},
		},
		{
			Type:        discordgo.ApplicationCommandOptionSubCommand,
			Name:        "quiet-hours",
			Description: "Hold Kindred's DMs to you between these times (your local time)",
			Options: []*discordgo.ApplicationCommandOption{
				{Type: discordgo.ApplicationCommandOptionString, Name: "start", Description: "When quiet hours begin, e.g. 22:00", Required: true, MaxLength: 16},
				{Type: discordgo.ApplicationCommandOptionString, Name: "end", Description: "When they end, e.g. 08:00", Required: true, MaxLength: 16},
			},
		},
		{
			Type:        discordgo.ApplicationCommandOptionSubCommand,
			Name:        "quiet-hours-off",
			Description: "Turn quiet hours off",
		},
		{
			Type:        discordgo.ApplicationCommandOptionSubCommand,
			Name:        "dms",
			Description: "Turn all of Kindred's DMs to you off or on",
			Options: []*discordgo.ApplicationCommandOption{
				{Type: discordgo.ApplicationCommandOptionBoolean, Name: "enabled", Description: "True to get DMs (reminders, check-in prompts), false for none", Required: true},
			},
		},
		{
			Type:        discordgo.ApplicationCommandOptionSubCommand,
			Name:        "show",
			Description: "Show your preferences",
		},
	},
}

// Preferences is /preferences: a member's own settings. They belong to the
// member, not to a server.
type Preferences struct {
	env Env
}

func (f *Preferences) Register(r *Router) {
	r.Define(preferencesCommand)
	r.Command("preferences/timezone", f.setTimezone, Anywhere)
	r.Autocomplete("preferences/timezone", timezoneAutocomplete, Anywhere)
	r.Command("preferences/quiet-hours", f.setQuietHours, Anywhere)
	r.Command("preferences/quiet-hours-off", f.quietHoursOff, Anywhere)
	r.Command("preferences/dms", f.setDMs, Anywhere)
	r.Command("preferences/show", f.show, Anywhere)
}

func (f *Preferences) setTimezone(ctx context.Context, req *Request) (*Response, error) {
	name, loc, err := lookupZone(req.String("zone"))
	if err != nil {
		return nil, err
	}
	p, err := f.env.DB.SetTimezone(ctx, req.UserID, name, f.env.Now())
	if err != nil {
		return nil, fmt.Errorf("set timezone: %w", err)
	}
	local := f.env.Now().In(loc)
	text := fmt.Sprintf("Your timezone is now **%s**. It's %s there right now.", name, local.Format("15:04 on Monday 2 January"))
	if p.QuietHours != nil {
		text += fmt.Sprintf("\nYour quiet hours, %s to %s, now follow this timezone.", scheduler.FormatClock(p.QuietHours.Start), scheduler.FormatClock(p.QuietHours.End))
	}
	return Ephemeral(text), nil
}

func (f *Preferences) setQuietHours(ctx context.Context, req *Request) (*Response, error) {
	start, errStart := scheduler.ParseClock(req.String("start"))
	end, errEnd := scheduler.ParseClock(req.String("end"))
	if err := errors.Join(errStart, errEnd); err != nil {
		bad := req.String("start")
		if errStart == nil {
			bad = req.String("end")
		}
		return nil, UserErrorf("I couldn't read `%s` as a time. Try 24-hour times like `start:22:00 end:08:00`, or `10pm` and `8am`.", echo(bad, 20))
	}
	if start == end {
		return nil, UserErrorf("Quiet hours need to start and end at different times, for example `start:22:00 end:08:00`.")
	}
	p, err := f.env.DB.SetQuietHours(ctx, req.UserID, &storage.QuietHours{Start: start, End: end}, f.env.Now())
	if err != nil {
		return nil, fmt.Errorf("set quiet hours: %w", err)
	}
	zone, note := memberZone(p)
	text := fmt.Sprintf("Quiet hours are on: **%s to %s** (%s). DMs from Kindred due in that time wait until %s; ones that would be pointless by then are dropped. Replies to your own commands are never held.",
		scheduler.FormatClock(start), scheduler.FormatClock(end), zone, scheduler.FormatClock(end))
	if !p.DMsEnabled {
		text += "\nYour DMs from Kindred are off altogether right now; `/preferences dms enabled:true` turns them back on."
	}
	return Ephemeral(text + note), nil
}

func (f *Preferences) quietHoursOff(ctx context.Context, req *Request) (*Response, error) {
	if _, err := f.env.DB.SetQuietHours(ctx, req.UserID, nil, f.env.Now()); err != nil {
		return nil, fmt.Errorf("quiet hours off: %w", err)
	}
	return Ephemeral("Quiet hours are off: Kindred's DMs arrive when they're due."), nil
}

func (f *Preferences) setDMs(ctx context.Context, req *Request) (*Response, error) {
	enabled, err := req.Bool("enabled", true)
	if err != nil {
		return nil, err
	}
	if _, err := f.env.DB.SetDMsEnabled(ctx, req.UserID, enabled, f.env.Now()); err != nil {
		return nil, fmt.Errorf("set dms: %w", err)
	}
	if enabled {
		return Ephemeral("DMs are on: Kindred can send you reminders and check-in prompts you asked for."), nil
	}
	return Ephemeral("DMs are off: Kindred won't message you privately. Meeting reminders still appear in group channels. `/preferences dms enabled:true` turns them back on."), nil
}

func (f *Preferences) show(ctx context.Context, req *Request) (*Response, error) {
	p, err := f.env.DB.Preferences(ctx, req.UserID)
	if err != nil {
		return nil, fmt.Errorf("show preferences: %w", err)
	}
	zone, note := memberZone(p)
	quiet := "off"
	if p.QuietHours != nil {
		quiet = fmt.Sprintf("%s to %s (%s)", scheduler.FormatClock(p.QuietHours.Start), scheduler.FormatClock(p.QuietHours.End), zone)
	}
	dms := "on"
	if !p.DMsEnabled {
		dms = "off"
	}
	tz := p.Timezone
	if tz == "" {
		tz = "not set (the group's or server's timezone is used)"
	}
	return &Response{Ephemeral: true, Embeds: []*discordgo.MessageEmbed{{
		Title: "Your preferences",
		Color: colourCalm,
		Fields: []*discordgo.MessageEmbedField{
			{Name: "Timezone", Value: tz},
			{Name: "Quiet hours", Value: quiet},
			{Name: "DMs from Kindred", Value: dms},
		},
		Description: note,
		Footer:      &discordgo.MessageEmbedFooter{Text: "These apply in every server where you use Kindred."},
	}}}, nil
}

// memberZone names the zone quiet hours are read in, with a nudge when the
// member hasn't set one.
func memberZone(p storage.Preferences) (zone, note string) {
	if p.Timezone != "" {
		return "your time, " + p.Timezone, ""
	}
	return "UTC", "\nYou haven't set a timezone, so these are UTC times. `/preferences timezone` sets yours."
}
