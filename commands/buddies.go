package commands

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/kindred-bot/kindred/pairing"
	"github.com/kindred-bot/kindred/scheduler"
	"github.com/kindred-bot/kindred/storage"
)

// Pairing limits and defaults.
const (
	defaultPairSize     = 2
	defaultFollowupDays = 3
	minFollowupDays     = 1
	maxFollowupDays     = 14
	minPauseWeeks       = 1
	maxPauseWeeks       = 52
	// unansweredLimit pairings in a row without a We talked from a member
	// pause them until they join again.
	unansweredLimit = 3
	// threadArchive is a week: the longest Discord offers.
	threadArchive = 7 * 24 * time.Hour
	maxThreadName = 100
)

// pairingRoundJob is a group's scheduled pairing round. A round whose
// threads meet a passing Discord error is retried; ten attempts, with the
// scheduler's backoff, ride out an outage of about an hour.
var pairingRoundJob = scheduler.JobDef[roundPayload]{
	Kind:        "pairing.round",
	Key:         func(p roundPayload, at time.Time) string { return storage.PairingRoundJobKey(p.GroupID, at) },
	Guild:       func(p roundPayload) string { return p.GuildID },
	MaxAttempts: 10,
}

// pairingFollowupJob asks a pair whether they talked.
var pairingFollowupJob = scheduler.JobDef[followupPayload]{
	Kind: "pairing.followup",
	Key: func(p followupPayload, _ time.Time) string {
		return storage.PairingFollowupJobKey(p.GroupID, p.PairingID)
	},
	Guild:       func(p followupPayload) string { return p.GuildID },
	MaxAttempts: 5,
}

// buddyAnswerButton is the follow-up's We talked (answer "talked") or Not
// yet ("notyet") button.
var buddyAnswerButton = NewIDPattern("buddy:{answer}:{pairing:int}")

// pairingPrompts open a pair's conversation. They are gentle and
// about the member's own experience, never a demand to disclose.
var pairingPrompts = []string{
	"What is one small thing that helped you get through this week?",
	"What does a good day look like for you lately?",
	"Is there something you're looking forward to, however small?",
	"What has been on your mind since the last group meeting?",
	"Who or what has been a source of support for you recently?",
	"What is something you've learned about yourself this month?",
	"How do you like to recharge when things feel like a lot?",
	"What is one thing you'd like to be a little kinder to yourself about?",
	"What brought you to this group, and what keeps you coming back?",
	"If this week had a weather forecast, what would it be, and why?",
}

var buddyCommand = &discordgo.ApplicationCommand{
	Name:        "buddy",
	Description: "Peer pairing: get a buddy in your group for a one-to-one chat",
	Options: []*discordgo.ApplicationCommandOption{
		{
			Type: discordgo.ApplicationCommandOptionSubCommand, Name: "join", Description: "Take part in pairing in a group (ends any pause)",
			Options: []*discordgo.ApplicationCommandOption{pairingGroupOption("The group to be paired in")},
		},
		{
			Type: discordgo.ApplicationCommandOptionSubCommand, Name: "leave", Description: "Stop being paired in a group",
			Options: []*discordgo.ApplicationCommandOption{pairingGroupOption("The group to stop being paired in")},
		},
		{
			Type: discordgo.ApplicationCommandOptionSubCommand, Name: "pause", Description: "Skip the next rounds in every group you're paired in",
			Options: []*discordgo.ApplicationCommandOption{
				{Type: discordgo.ApplicationCommandOptionInteger, Name: "weeks", Description: "How many weeks to pause (1 to 52)", Required: true,
					MinValue: floatPtr(minPauseWeeks), MaxValue: maxPauseWeeks},
			},
		},
		{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "status", Description: "Your buddies, the next rounds and whether you're paused (only you see it)"},
		{
			Type: discordgo.ApplicationCommandOptionSubCommand, Name: "avoid", Description: "Never pair me with this person (private: they are never told)",
			Options: []*discordgo.ApplicationCommandOption{
				{Type: discordgo.ApplicationCommandOptionUser, Name: "user", Description: "The person not to be paired with", Required: true},
			},
		},
		{
			Type: discordgo.ApplicationCommandOptionSubCommand, Name: "unavoid", Description: "Allow pairing with someone you avoided",
			Options: []*discordgo.ApplicationCommandOption{
				{Type: discordgo.ApplicationCommandOptionUser, Name: "user", Description: "The person you may be paired with again", Required: true},
			},
		},
	},
}

var pairingCommand = &discordgo.ApplicationCommand{
	Name:        "pairing",
	Description: "Run a group's peer pairing (facilitators)",
	Options: []*discordgo.ApplicationCommandOption{
		{
			Type: discordgo.ApplicationCommandOptionSubCommand, Name: "configure", Description: "Set a group's pairing schedule, size and follow-up (facilitators)",
			Options: []*discordgo.ApplicationCommandOption{
				pairingGroupOption("The group to pair"),
				{Type: discordgo.ApplicationCommandOptionString, Name: "schedule", Description: "weekly (Monday 10:00), biweekly, monthly, or a cron expression", Required: true, MaxLength: 100},
				{Type: discordgo.ApplicationCommandOptionInteger, Name: "size", Description: "Pairs or trios (default pairs)", Choices: []*discordgo.ApplicationCommandOptionChoice{
					{Name: "pairs (2)", Value: 2}, {Name: "trios (3)", Value: 3},
				}},
				{Type: discordgo.ApplicationCommandOptionInteger, Name: "followup_days", Description: "Days until asking whether buddies talked (1 to 14, default 3)",
					MinValue: floatPtr(minFollowupDays), MaxValue: maxFollowupDays},
			},
		},
		{
			Type: discordgo.ApplicationCommandOptionSubCommand, Name: "run", Description: "Pair the group's members now (facilitators)",
			Options: []*discordgo.ApplicationCommandOption{pairingGroupOption("The group to pair")},
		},
		{
			Type: discordgo.ApplicationCommandOptionSubCommand, Name: "stats", Description: "Rounds, participants and how many pairs talked (facilitators)",
			Options: []*discordgo.ApplicationCommandOption{pairingGroupOption("The group")},
		},
	},
}

func pairingGroupOption(description string) *discordgo.ApplicationCommandOption {
	return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: "group", Description: description, Required: true, Autocomplete: true}
}

// Buddies is /buddy and /pairing: opt-in peer pairing in private threads.
type Buddies struct {
	env Env
	// beforeRecord, when set, runs after a round's members were read and
	// before the round is recorded: tests commit a change in that window.
	beforeRecord func()
}

func (f *Buddies) Register(r *Router) {
	r.Define(buddyCommand)
	r.Define(pairingCommand)
	r.Subcommands("buddy", f.autocomplete, Sub{"join", f.join, GuildOnly}, Sub{"leave", f.leave, GuildOnly})
	r.Subcommands("buddy", nil,
		Sub{"pause", f.pause, GuildOnly},
		Sub{"status", f.status, GuildOnly},
		Sub{"avoid", f.avoid, GuildOnly},
		Sub{"unavoid", f.unavoid, GuildOnly},
	)
	r.Subcommands("pairing", f.autocomplete,
		Sub{"configure", f.configure, Facilitator},
		Sub{"run", f.run, Facilitator},
		Sub{"stats", f.stats, Facilitator},
	)
	r.Component(buddyAnswerButton, f.answer, GuildOnly)
	r.Job(pairingRoundJob.Runner(f.scheduledRound))
	r.Job(pairingFollowupJob.Runner(f.followup))
}

func (f *Buddies) autocomplete(ctx context.Context, req *Request) (*Response, error) {
	if req.Focused == "group" {
		return groupAutocomplete(ctx, f.env, req)
	}
	return Choices(nil), nil
}

// Payloads of pairing's jobs. GuildID is for enqueueing only: jobs queued
// by earlier versions lack it.
type roundPayload struct {
	GuildID string `json:"guild_id,omitempty"`
	GroupID int64  `json:"group_id"`
	At      int64  `json:"at"`
}

type followupPayload struct {
	GuildID   string `json:"guild_id,omitempty"`
	GroupID   int64  `json:"group_id"`
	PairingID int64  `json:"pairing_id"`
}

func roundJob(g storage.Group, at time.Time) storage.NewJob {
	return pairingRoundJob.New(roundPayload{GuildID: g.GuildID, GroupID: g.ID, At: at.Unix()}, at)
}

// ---- /buddy ----

func (f *Buddies) join(ctx context.Context, req *Request) (*Response, error) {
	g, err := activeGroupByName(ctx, f.env, req.GuildID, req.String("group"))
	if err != nil {
		return nil, err
	}
	member, err := f.env.DB.IsGroupMember(ctx, g.ID, req.UserID)
	if err != nil {
		return nil, err
	}
	if !member {
		return nil, UserErrorf("Pairing is for members of **%s**. Join the group first with `/group join group:%s`, then `/buddy join`.", groupTitle(g), echo(g.Name, maxGroupName))
	}
	rejoined, err := f.env.DB.JoinPairing(ctx, g.ID, req.UserID, f.env.Now())
	if err != nil {
		return nil, err
	}
	text := fmt.Sprintf("You're in for pairing in **%s**. Each round you'll get a private thread with your buddy and a conversation starter.", groupTitle(g))
	if rejoined {
		text = fmt.Sprintf("Welcome back: you're in for pairing in **%s** again, and any pause there has ended.", groupTitle(g))
	}
	if next, ok, err := f.nextRound(ctx, g); err != nil {
		return nil, err
	} else if ok {
		text += fmt.Sprintf(" The next round is %s.", timestamp(next, "R"))
	} else {
		text += " A facilitator hasn't set a schedule yet; you'll be included in the next round they run."
	}
	return Ephemeral(text + " `/buddy leave` opts you out, `/buddy pause` skips rounds."), nil
}

func (f *Buddies) leave(ctx context.Context, req *Request) (*Response, error) {
	g, err := groupByName(ctx, f.env, req.GuildID, req.String("group"))
	if err != nil {
		return nil, err
	}
	if err := f.env.DB.LeavePairing(ctx, g.ID, req.UserID); errors.Is(err, storage.ErrNotFound) {
		return nil, UserErrorf("You aren't taking part in pairing in **%s**, so there's nothing to leave. `/buddy status` shows where you are.", groupTitle(g))
	} else if err != nil {
		return nil, err
	}
	return Ephemeral(fmt.Sprintf("You're out of pairing in **%s**; you won't be paired there again. `/buddy join group:%s` brings you back any time.", groupTitle(g), echo(g.Name, maxGroupName))), nil
}

func (f *Buddies) pause(ctx context.Context, req *Request) (*Response, error) {
	weeks, err := req.Int("weeks")
	if err != nil {
		return nil, err
	}
	if weeks < minPauseWeeks || weeks > maxPauseWeeks {
		return nil, UserErrorf("Pause for %d to %d weeks, e.g. `weeks:2`.", minPauseWeeks, maxPauseWeeks)
	}
	until := f.env.Now().Add(time.Duration(weeks) * 7 * 24 * time.Hour)
	n, err := f.env.DB.PausePairing(ctx, req.GuildID, req.UserID, until)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, UserErrorf("You haven't joined pairing in any group here, so there's nothing to pause. `/buddy join group:…` opts you in.")
	}
	return Ephemeral(fmt.Sprintf("Paused until %s in %s. Take the time you need; `/buddy join` in a group ends the pause there early.",
		timestamp(until, "D"), plural(n, "group", "groups"))), nil
}

func (f *Buddies) status(ctx context.Context, req *Request) (*Response, error) {
	ms, err := f.env.DB.BuddyMemberships(ctx, req.GuildID, req.UserID)
	if err != nil {
		return nil, err
	}
	now := f.env.Now()
	var fields []*discordgo.MessageEmbedField
	for _, m := range ms {
		g, err := f.env.DB.Group(ctx, m.GroupID)
		if err != nil {
			return nil, err
		}
		if g.Archived() {
			continue
		}
		lines, err := f.statusLines(ctx, g, m, req.UserID, now)
		if err != nil {
			return nil, err
		}
		fields = append(fields, &discordgo.MessageEmbedField{Name: g.Name, Value: strings.Join(lines, "\n")})
	}
	if len(fields) == 0 {
		return Ephemeral("You aren't taking part in pairing in any group here. `/buddy join group:…` opts you in."), nil
	}
	embed := &discordgo.MessageEmbed{
		Title: "Your buddies", Color: colourCalm,
		Footer: &discordgo.MessageEmbedFooter{Text: "Only you see this."},
	}
	embed.Fields = fitFields(fields, maxEmbedsTotal-runes(embed.Title)-runes(embed.Footer.Text), moreBuddyGroups)
	return &Response{Ephemeral: true, Embeds: []*discordgo.MessageEmbed{embed}}, nil
}

// moreBuddyGroups ends /buddy status for a member in more groups than one
// answer can show.
func moreBuddyGroups(n int) *discordgo.MessageEmbedField {
	return &discordgo.MessageEmbedField{Name: "…", Value: fmt.Sprintf("and %s where you take part in pairing: more than one answer can show.", nouns(n, "more group"))}
}

// statusLines are what /buddy status says about one group: the member's
// current buddies, the next round and whether they are paused there.
func (f *Buddies) statusLines(ctx context.Context, g storage.Group, m storage.BuddyMember, userID string, now time.Time) ([]string, error) {
	var lines []string
	current, err := f.env.DB.CurrentPairings(ctx, g.ID, userID)
	if err != nil {
		return nil, err
	}
	var buddies []string
	for _, p := range current {
		for _, u := range p.Members {
			if u != userID {
				buddies = append(buddies, "<@"+u+">")
			}
		}
	}
	if len(buddies) > 0 {
		lines = append(lines, "Your buddy: "+strings.Join(buddies, ", "))
	} else {
		lines = append(lines, "No buddy this round.")
	}
	switch next, ok, err := f.nextRound(ctx, g); {
	case err != nil:
		return nil, err
	case ok:
		lines = append(lines, fmt.Sprintf("Next round: %s (%s)", timestamp(next, "F"), timestamp(next, "R")))
	default:
		lines = append(lines, "Next round: when a facilitator runs one")
	}
	switch {
	case m.PausedOpen:
		lines = append(lines, fmt.Sprintf("Paused: `/buddy join group:%s` when you'd like a buddy again", echo(g.Name, maxGroupName)))
	case m.Paused(now):
		lines = append(lines, "Paused until "+timestamp(m.PausedUntil, "D"))
	default:
		lines = append(lines, "Not paused")
	}
	return lines, nil
}

// avoidTarget reads the `user` option of /buddy avoid and unavoid.
func avoidTarget(req *Request) (string, error) {
	id, err := req.ID("user")
	if err != nil {
		return "", err
	}
	if id == "" {
		return "", UserErrorf("Pick the person with `user`, e.g. `user:@someone`.")
	}
	if id == req.UserID {
		return "", UserErrorf("That's you: you're never paired with yourself. Pick someone else with `user:@someone`.")
	}
	if req.Resolved != nil && req.Resolved.Users[id] != nil && req.Resolved.Users[id].Bot {
		return "", UserErrorf("That's a bot, and bots are never paired. Pick a person with `user:@someone`.")
	}
	return id, nil
}

func (f *Buddies) avoid(ctx context.Context, req *Request) (*Response, error) {
	target, err := avoidTarget(req)
	if err != nil {
		return nil, err
	}
	if _, err := f.env.DB.AddAvoid(ctx, req.GuildID, req.UserID, target, f.env.Now()); err != nil {
		return nil, err
	}
	return Ephemeral(fmt.Sprintf("Done: you won't be paired with <@%s> in any group here. This is private: they aren't told, and it isn't shown anywhere. `/buddy unavoid` undoes it.", target)), nil
}

func (f *Buddies) unavoid(ctx context.Context, req *Request) (*Response, error) {
	target, err := avoidTarget(req)
	if err != nil {
		return nil, err
	}
	removed, err := f.env.DB.RemoveAvoid(ctx, req.GuildID, req.UserID, target)
	if err != nil {
		return nil, err
	}
	if !removed {
		return Ephemeral(fmt.Sprintf("You weren't avoiding <@%s>, so nothing changed.", target)), nil
	}
	return Ephemeral(fmt.Sprintf("Done: you may be paired with <@%s> again. They were never told either way.", target)), nil
}

// ---- /pairing ----

// pairingZone is the group's timezone, else the server's, else UTC.
func (f *Buddies) pairingZone(ctx context.Context, g storage.Group) (string, *time.Location, error) {
	z, err := resolveZone(ctx, f.env.DB, whose{group: &g, guildID: g.GuildID})
	return z.name, z.loc, err
}

// nextMonday10 is the first Monday 10:00 in loc after now.
func nextMonday10(now time.Time, loc *time.Location) time.Time {
	local := now.In(loc)
	days := (int(time.Monday) - int(local.Weekday()) + 7) % 7
	t := time.Date(local.Year(), local.Month(), local.Day()+days, 10, 0, 0, 0, loc)
	if !t.After(now) {
		t = time.Date(local.Year(), local.Month(), local.Day()+days+7, 10, 0, 0, 0, loc)
	}
	return t
}

func (f *Buddies) configure(ctx context.Context, req *Request) (*Response, error) {
	g, err := activeGroupByName(ctx, f.env, req.GuildID, req.String("group"))
	if err != nil {
		return nil, err
	}
	opts, err := readPairingOptions(req)
	if err != nil {
		return nil, err
	}
	zoneName, loc, err := f.pairingZone(ctx, g)
	if err != nil {
		return nil, err
	}
	now := f.env.Now()
	rec, first, err := pairingSchedule(opts.repeat, now, loc)
	if err != nil {
		return nil, err
	}
	err = f.env.DB.ConfigurePairing(ctx, storage.PairingSettings{
		GroupID: g.ID, Recurrence: rec.Encode(), Size: opts.size, FollowupDays: opts.followupDays, UpdatedBy: req.UserID, UpdatedAt: now,
	}, roundJob(g, first))
	if err != nil {
		return nil, err
	}
	kind := "pairs"
	if opts.size == 3 {
		kind = "trios"
	}
	return Ephemeral(fmt.Sprintf("Pairing in **%s**: %s (%s), in %s, with a follow-up after %s.\nThe first round is %s (%s). Members opt in with `/buddy join group:%s`.",
		groupTitle(g), rec.Describe(), zoneName, kind, plural(opts.followupDays, "day", "days"), timestamp(first, "F"), timestamp(first, "R"), echo(g.Name, maxGroupName))), nil
}

// pairingOptions are the checked schedule, size and followup_days options
// of /pairing configure.
type pairingOptions struct {
	repeat       scheduler.Repeat
	size         int
	followupDays int
}

// readPairingOptions reads and checks /pairing configure's options; the
// first one that is wrong is the UserError the member sees.
func readPairingOptions(req *Request) (pairingOptions, error) {
	repeat, err := scheduler.ParseRepeat(req.String("schedule"))
	if err != nil {
		return pairingOptions{}, UserErrorf("%s Pairing schedules are `weekly`, `biweekly`, `monthly` or a cron expression such as `0 10 * * 1`.", memberText(err))
	}
	switch repeat.Cadence {
	case scheduler.RepeatWeekly, scheduler.RepeatBiweekly, scheduler.RepeatMonthly, scheduler.RepeatCron:
	default:
		return pairingOptions{}, UserErrorf("Pairing repeats: use `weekly` (Mondays 10:00), `biweekly`, `monthly` or a cron expression such as `0 10 * * 1`.")
	}
	size, err := req.IntOr("size", defaultPairSize)
	if err != nil {
		return pairingOptions{}, err
	}
	if size != 2 && size != 3 {
		return pairingOptions{}, UserErrorf("Buddies come in pairs or trios: `size:2` or `size:3`.")
	}
	followup, err := req.IntOr("followup_days", defaultFollowupDays)
	if err != nil {
		return pairingOptions{}, err
	}
	if followup < minFollowupDays || followup > maxFollowupDays {
		return pairingOptions{}, UserErrorf("Ask about the chat %d to %d days after pairing, e.g. `followup_days:3`.", minFollowupDays, maxFollowupDays)
	}
	return pairingOptions{repeat: repeat, size: int(size), followupDays: int(followup)}, nil
}

// pairingSchedule is the recurrence of a pairing schedule in loc and its
// first round after now. Weekly, biweekly and monthly schedules are
// anchored on the next Monday 10:00; a cron schedule on the next minute. A
// schedule that never comes round is a UserError.
func pairingSchedule(repeat scheduler.Repeat, now time.Time, loc *time.Location) (scheduler.Recurrence, time.Time, error) {
	anchor := nextMonday10(now, loc)
	if repeat.Cadence == scheduler.RepeatCron {
		anchor = now.Add(time.Minute).Truncate(time.Minute)
	}
	rec, err := scheduler.NewRecurrence(repeat, anchor, loc)
	if err != nil {
		return scheduler.Recurrence{}, time.Time{}, UserErrorf("%s", memberText(err))
	}
	first := rec.First()
	if first.IsZero() || !first.After(now) {
		if first = rec.Next(now); first.IsZero() {
			return scheduler.Recurrence{}, time.Time{}, UserErrorf("That schedule never comes round. Try `weekly` or a cron expression such as `0 10 * * 1`.")
		}
	}
	return rec, first, nil
}

func (f *Buddies) run(ctx context.Context, req *Request) (*Response, error) {
	g, err := activeGroupByName(ctx, f.env, req.GuildID, req.String("group"))
	if err != nil {
		return nil, err
	}
	settings, err := f.settings(ctx, g)
	if err != nil {
		return nil, err
	}
	out, err := f.formRound(ctx, roundRequest{Group: g, Settings: settings, RunBy: req.UserID})
	if err != nil {
		return nil, err
	}
	if out.tooFew {
		return nil, UserErrorf("**%s** needs at least 2 members who opted in and aren't paused; it has %d. Nothing was created. Members opt in with `/buddy join group:%s`.",
			groupTitle(g), out.available, echo(g.Name, maxGroupName))
	}
	lines := []string{fmt.Sprintf("Round %d of **%s**: %s for %s. Each has a private thread in <#%s> with an introduction and a conversation starter.",
		out.round.Number, groupTitle(g), plural(len(out.round.Pairings), "pair or trio", "pairs and trios"), plural(out.available, "member", "members"), g.ChannelID)}
	if len(out.unplaced) > 0 {
		lines = append(lines, fmt.Sprintf("%s couldn't be placed this round because of who they may be paired with.", plural(len(out.unplaced), "member", "members")))
	}
	if len(out.paused) > 0 {
		lines = append(lines, fmt.Sprintf("%s left three pairings in a row unanswered and %s now paused; they were told privately how to rejoin.",
			plural(len(out.paused), "member", "members"), map[bool]string{true: "is", false: "are"}[len(out.paused) == 1]))
	}
	if len(out.failed) > 0 {
		lines = append(lines, "⚠️ The round is recorded, but some threads could not be opened:")
		lines = append(lines, out.failed...)
		lines = append(lines, fmt.Sprintf("Check that Kindred can view <#%s> and has **Create Private Threads** and **Send Messages in Threads** there.", g.ChannelID))
	}
	return Ephemeral(clip(strings.Join(lines, "\n"), maxMessageContent)), nil
}

func (f *Buddies) stats(ctx context.Context, req *Request) (*Response, error) {
	g, err := groupByName(ctx, f.env, req.GuildID, req.String("group"))
	if err != nil {
		return nil, err
	}
	s, err := f.env.DB.PairingStatsOf(ctx, g.ID)
	if err != nil {
		return nil, err
	}
	if s.Rounds == 0 {
		return Ephemeral(fmt.Sprintf("**%s** hasn't had a pairing round yet. `/pairing configure` sets a schedule; `/pairing run` pairs now.", groupTitle(g))), nil
	}
	share := "no pairs yet"
	if s.Pairs > 0 {
		share = fmt.Sprintf("%d of %d (%d%%)", s.Talked, s.Pairs, s.Talked*100/s.Pairs)
	}
	return &Response{Ephemeral: true, Embeds: []*discordgo.MessageEmbed{{
		Title: "Pairing in " + g.Name, Color: colourCalm,
		Fields: []*discordgo.MessageEmbedField{
			{Name: "Rounds held", Value: strconv.Itoa(s.Rounds), Inline: true},
			{Name: "Participants", Value: strconv.Itoa(s.Participants), Inline: true},
			{Name: "Pairs that talked", Value: share, Inline: true},
		},
		Footer: &discordgo.MessageEmbedFooter{Text: "From the We talked button of each pair's follow-up."},
	}}}, nil
}

// settings are the group's pairing settings, or the defaults when a
// facilitator runs a round before configuring a schedule.
func (f *Buddies) settings(ctx context.Context, g storage.Group) (storage.PairingSettings, error) {
	s, err := f.env.DB.PairingSettingsOf(ctx, g.ID)
	if errors.Is(err, storage.ErrNotFound) {
		return storage.PairingSettings{GroupID: g.ID, Size: defaultPairSize, FollowupDays: defaultFollowupDays}, nil
	}
	return s, err
}

// nextRound is when the group's next scheduled round falls; ok is false
// without a schedule.
func (f *Buddies) nextRound(ctx context.Context, g storage.Group) (time.Time, bool, error) {
	s, err := f.env.DB.PairingSettingsOf(ctx, g.ID)
	if errors.Is(err, storage.ErrNotFound) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, err
	}
	rec, err := scheduler.DecodeRecurrence(s.Recurrence)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("group %d pairing recurrence: %w", g.ID, err)
	}
	now := f.env.Now()
	next := rec.First()
	if !next.After(now) {
		next = rec.Next(now)
	}
	return next, !next.IsZero(), nil
}

// ---- rounds ----

// roundRequest is a round to form: the group and its settings, and how the
// round was started. A scheduled round carries its job's JobKey (so a rerun
// finds it); a round run by hand carries the facilitator in RunBy.
type roundRequest struct {
	Group    storage.Group
	Settings storage.PairingSettings
	JobKey   string
	RunBy    string
}

// roundOutcome is what forming a round did.
type roundOutcome struct {
	round     storage.Round
	tooFew    bool
	available int      // opted-in, unpaused members
	unplaced  []string // members the avoid rule left out
	paused    []string // members paused for unanswered pairings
	failed    []string // one line per pair whose thread could not be opened
	retry     error    // why some of failed may open when tried again
}

// maxRoundForms bounds how often one round is formed again because its
// members changed while it was being formed.
const maxRoundForms = 3

// formRound pairs the group's members, records the round with its jobs in
// one transaction, and opens a private thread per pair or trio. A member
// who leaves pairing or erases their data while the round is being formed
// is left out: recording refuses the round, and it is formed again from
// the members there are then.
func (f *Buddies) formRound(ctx context.Context, rq roundRequest) (roundOutcome, error) {
	for try := 1; ; try++ {
		out, err := f.formRoundOnce(ctx, rq)
		if !errors.Is(err, storage.ErrNotOptedIn) || try == maxRoundForms {
			return out, err
		}
		f.env.Log.Info("pairing members changed while the round was formed; forming it again", "group", rq.Group.ID)
	}
}

// formRoundOnce is one try of formRound.
func (f *Buddies) formRoundOnce(ctx context.Context, rq roundRequest) (roundOutcome, error) {
	now := f.env.Now()
	c, err := f.roundCandidates(ctx, rq, now)
	if err != nil {
		return roundOutcome{}, err
	}
	res, err := f.pairPresent(ctx, rq.Group, &c)
	if err != nil {
		return roundOutcome{}, err
	}
	out := roundOutcome{available: c.available, paused: c.paused, unplaced: res.Unplaced}
	if len(res.Groups) == 0 {
		out.tooFew = true
		return out, nil
	}
	round, err := f.recordRound(ctx, rq, c, res.Groups, now)
	if err != nil {
		return roundOutcome{}, err
	}
	out.round = round
	f.env.Log.Info("pairing round formed", "group", rq.Group.ID, "round", round.ID, "pairings", len(round.Pairings), "paused", len(out.paused))
	out.failed, out.retry = f.openThreads(ctx, rq.Group, round)
	return out, nil
}

// pairPresent pairs c's members, then confirms with Discord that everyone
// it placed is still in the server (GET member, which needs no privileged
// intent): a member who left is recorded as gone (MemberLeft) and dropped
// from c, and the round is paired again without them. Each member is
// looked up once at most, and every pass that pairs again has dropped
// someone, so a round costs at most one lookup per member placed.
//
// A lookup Discord doesn't answer (5xx, 429, no access) counts the member
// as present: the round goes ahead. Failing it instead would retry a
// scheduled round only a few times and then lose it with the schedule's
// next round; at worst, as before, adding them to the thread fails and is
// reported.
func (f *Buddies) pairPresent(ctx context.Context, g storage.Group, c *roundCandidates) (pairing.Result, error) {
	confirmed := map[string]bool{}
	for c.available >= 2 {
		res, err := pairing.Pair(c.input)
		if err != nil {
			return pairing.Result{}, fmt.Errorf("pair group %d: %w", g.ID, err)
		}
		var gone []string
		for _, grp := range res.Groups {
			for _, u := range grp {
				if confirmed[u] {
					continue
				}
				_, err := f.env.Discord.Member(ctx, g.GuildID, u)
				if errors.Is(err, ErrUnknownMember) {
					if err := MemberLeft(ctx, f.env, g.GuildID, u); err != nil {
						return pairing.Result{}, err
					}
					gone = append(gone, u)
					continue
				}
				if ctx.Err() != nil {
					return pairing.Result{}, ctx.Err()
				}
				if err != nil {
					f.env.Log.Warn("could not confirm a paired member is in the server; pairing them", "group", g.ID, "user", u, "err", err)
				}
				confirmed[u] = true
			}
		}
		if len(gone) == 0 {
			return res, nil
		}
		f.env.Log.Info("pairing again without members who left the server", "group", g.ID, "left", len(gone))
		c.drop(gone)
	}
	return pairing.Result{}, nil
}

// drop takes members out of the round: they are no longer in the server.
func (c *roundCandidates) drop(gone []string) {
	out := func(id string) bool { return slices.Contains(gone, id) }
	c.input.Members = slices.DeleteFunc(c.input.Members, func(m pairing.Member) bool { return out(m.ID) })
	c.paused = slices.DeleteFunc(c.paused, out)
	c.available = 0
	for _, m := range c.input.Members {
		if !m.Paused {
			c.available++
		}
	}
}

// roundCandidates is what a round is formed from.
type roundCandidates struct {
	input     pairing.Input           // members, past meetings and avoids, seeded for this round
	number    int                     // the round's number in the group
	available int                     // opted-in, unpaused members
	paused    []string                // members this round pauses for unanswered pairings
	seen      map[string]map[int]bool // the prompts each member has had
}

// roundCandidates gathers the group's members, its pairing history and the
// server's avoids, and decides who takes part: members already paused sit
// out, and so do members this round pauses for leaving too many pairings
// unanswered.
func (f *Buddies) roundCandidates(ctx context.Context, rq roundRequest, now time.Time) (roundCandidates, error) {
	g, s := rq.Group, rq.Settings
	members, err := f.env.DB.PairingMembers(ctx, g.ID)
	if err != nil {
		return roundCandidates{}, err
	}
	history, err := f.env.DB.PairingHistory(ctx, g.ID)
	if err != nil {
		return roundCandidates{}, err
	}
	avoids, err := f.env.DB.Avoids(ctx, g.GuildID)
	if err != nil {
		return roundCandidates{}, err
	}
	c := roundCandidates{input: pairing.Input{Avoid: avoids, Size: s.Size}, seen: map[string]map[int]bool{}}
	for _, m := range members {
		paused := m.Paused(now)
		if !paused && unansweredStreak(history, m, now, s.FollowupDays) {
			c.paused = append(c.paused, m.UserID)
			paused = true
		}
		if !paused {
			c.available++
		}
		c.input.Members = append(c.input.Members, pairing.Member{ID: m.UserID, Paused: paused})
	}
	rounds := map[int64]bool{}
	for _, p := range history {
		rounds[p.RoundID] = true
		for i, a := range p.Members {
			if c.seen[a] == nil {
				c.seen[a] = map[int]bool{}
			}
			c.seen[a][p.Prompt] = true
			for _, b := range p.Members[i+1:] {
				c.input.History = append(c.input.History, pairing.Met{A: a, B: b, At: p.At})
			}
		}
	}
	c.number = len(rounds) + 1
	c.input.Seed = uint64(g.ID)<<32 | uint64(c.number)
	return c, nil
}

// recordRound stores the round formed from groups, with a conversation
// starter for each, and its jobs in one transaction.
func (f *Buddies) recordRound(ctx context.Context, rq roundRequest, c roundCandidates, groups [][]string, now time.Time) (storage.Round, error) {
	if f.beforeRecord != nil {
		f.beforeRecord()
	}
	prompts := make([]int, len(groups))
	for i, grp := range groups {
		prompts[i] = choosePrompt(c.number, grp, c.seen)
	}
	return f.env.DB.RecordRound(ctx, storage.NewRound{
		GroupID: rq.Group.ID, JobKey: rq.JobKey, RunBy: rq.RunBy, At: now, Groups: groups, Prompts: prompts, Pause: c.paused,
	}, func(r storage.Round) []storage.NewJob {
		return roundJobs(rq, r, c.paused, now)
	})
}

// roundJobs are the jobs recorded with a round: a follow-up per pairing and
// a DM to each member the round paused. The next scheduled round is not
// among them: it goes with the completion of the round's job, so that a
// schedule changed meanwhile (which cancels that job) leaves no round of
// the old one behind.
func roundJobs(rq roundRequest, r storage.Round, paused []string, now time.Time) []storage.NewJob {
	g := rq.Group
	var jobs []storage.NewJob
	for _, p := range r.Pairings {
		jobs = append(jobs, pairingFollowupJob.New(followupPayload{GuildID: g.GuildID, GroupID: g.ID, PairingID: p.ID},
			now.Add(time.Duration(rq.Settings.FollowupDays)*24*time.Hour)))
	}
	for _, u := range paused {
		jobs = append(jobs, dmJob.New(DMMessage{
			Key: storage.PairingPausedJobKey(g.ID, r.ID, u), UserID: u, GuildID: g.GuildID,
			Content: fmt.Sprintf("Your last %d buddy pairings in **%s** went without a “We talked”, so I've paused pairing for you there. That's completely okay: life gets busy. "+
				"Whenever you'd like a buddy again, use `/buddy join group:%s` in the server.", unansweredLimit, groupTitle(g), echo(g.Name, maxGroupName)),
		}, now))
	}
	return jobs
}

// unansweredStreak reports whether the member's last pairings since they
// joined, whose follow-up has been asked, all went without a We talked
// from them.
func unansweredStreak(history []storage.Pairing, m storage.BuddyMember, now time.Time, followupDays int) bool {
	asked := now.Add(-time.Duration(followupDays) * 24 * time.Hour)
	count := 0
	for i := len(history) - 1; i >= 0 && count < unansweredLimit; i-- {
		p := history[i]
		if p.At.Before(m.ActiveSince) {
			break
		}
		if p.At.After(asked) || !slices.Contains(p.Members, m.UserID) {
			continue
		}
		if p.Answers[m.UserID] == storage.AnswerTalked {
			return false
		}
		count++
	}
	return count >= unansweredLimit
}

// choosePrompt picks the conversation starter of a pair: rotated by round
// and members, and one none of them has had before when there is one.
func choosePrompt(number int, members []string, seen map[string]map[int]bool) int {
	h := fnv.New32a()
	for _, m := range members {
		h.Write([]byte(m))
		h.Write([]byte{0})
	}
	n := len(pairingPrompts)
	start := (number + int(h.Sum32()%uint32(n))) % n
	best, bestSeen := start, len(members)+1
	for i := range n {
		p := (start + i) % n
		count := 0
		for _, m := range members {
			if seen[m][p] {
				count++
			}
		}
		if count < bestSeen {
			best, bestSeen = p, count
		}
	}
	return best
}

// openThreads takes the missing steps of opening each pairing's private
// thread: open it, add its members, post the introduction. Each step is
// recorded when done, so a run again (after a crash, or to retry) resumes
// where this one stopped and never opens a second thread or posts a
// second introduction. It returns a line per pairing that could not be
// fully opened, and, when any of those failures may pass (Discord was down
// or busy), an error for a caller that can try again later.
func (f *Buddies) openThreads(ctx context.Context, g storage.Group, round storage.Round) (failed []string, retry error) {
	var retryable []error
	for i, p := range round.Pairings {
		line, err := f.openThread(ctx, g, round.Number, i, p)
		if line != "" {
			failed = append(failed, line)
		}
		if transient(err) {
			retryable = append(retryable, err)
		}
	}
	return failed, errors.Join(retryable...)
}

// openThread takes the missing steps of one pairing (the i-th of its
// round); see openThreads. It returns the line that says what went wrong,
// if anything, and the error that stopped it, if one did.
func (f *Buddies) openThread(ctx context.Context, g storage.Group, number, i int, p storage.Pairing) (problem string, err error) {
	log := f.env.Log.With("group", g.ID, "pairing", p.ID)
	who := mentionList(p.Members)
	threadID := p.ThreadID
	if threadID == "" {
		name := clip(fmt.Sprintf("Buddies · %s · round %d · %d", g.Name, number, i+1), maxThreadName)
		id, err := f.env.Discord.StartPrivateThread(ctx, g.ChannelID, name, threadArchive)
		if err != nil {
			log.Warn("could not open pairing thread", "channel", g.ChannelID, "err", err)
			return fmt.Sprintf("• %s: %s", who, discordProblem(err)), err
		}
		// Until the id is saved a run again can't find this thread, so
		// nobody is added to it: an empty private thread is seen by no one.
		if err := f.env.DB.SetPairingThread(ctx, p.ID, id); err != nil {
			log.Warn("could not save pairing thread", "thread", id, "err", err)
			return fmt.Sprintf("• %s: Kindred could not record the thread it opened", who), err
		}
		threadID = id
	}
	var missing []string
	present := p.Members
	if !p.MembersAdded {
		present = nil
		for _, u := range p.Members {
			err := f.env.Discord.AddThreadMember(ctx, threadID, u)
			if err == nil {
				present = append(present, u)
				continue
			}
			log.Warn("could not add member to pairing thread", "thread", threadID, "user", u, "err", err)
			if errors.Is(err, ErrUnknownMember) {
				// They left between the round's check and now.
				if err := leftIf(ctx, f.env, err, g.GuildID, u); err != nil {
					log.Warn("could not record that a member left", "user", u, "err", err)
				}
				missing = append(missing, "<@"+u+"> (left the server)")
				continue
			}
			if transient(err) {
				// The introduction waits for everyone a retry may still add.
				return fmt.Sprintf("• %s: the thread opened but not everyone could be added (%s)", who, discordProblem(err)), err
			}
			missing = append(missing, "<@"+u+">")
			present = append(present, u)
		}
		// Adding is idempotent: should this record be lost, a run again
		// only adds them again.
		if err := f.env.DB.RecordPairingStep(ctx, p.ID, storage.StepMembersAdded, f.env.Now()); err != nil {
			log.Warn("could not record pairing members added", "err", err)
		}
	}
	// Nobody to introduce when everyone left between the round's check and
	// the thread.
	if !p.IntroPosted && len(present) > 0 {
		prompt := pairingPrompts[p.Prompt%len(pairingPrompts)]
		intro := fmt.Sprintf("👋 %s, you're buddies this round in **%s**!\n"+
			"This thread is just for you. There's no agenda: a short chat, a voice call, or a check-in message all count. "+
			"Share only what you're comfortable with, and what's said here stays here.\n\n"+
			"💬 A conversation starter, if you'd like one: *%s*", mentionList(present), groupTitle(g), prompt)
		// The introduction pings the buddies, and only them: that is how
		// they learn the thread exists. Whoever left isn't named.
		// The nonce covers a run again that finds the introduction
		// unrecorded because the process died right after posting it.
		if _, err := f.env.Discord.Send(ctx, threadID, Message{Content: intro, Ping: slices.Clone(present), Nonce: nonceFor(fmt.Sprintf("pairing-intro:%d", p.ID))}); err != nil {
			log.Warn("could not post pairing introduction", "thread", threadID, "err", err)
			return fmt.Sprintf("• %s: the thread opened but the introduction could not be posted (%s)", who, discordProblem(err)), err
		}
		// Not an error: the job would run again and, past the nonce's few
		// minutes, post a second one.
		if err := f.env.DB.RecordPairingStep(ctx, p.ID, storage.StepIntroPosted, f.env.Now()); err != nil {
			log.Warn("could not record pairing introduction posted", "thread", threadID, "err", err)
		}
	}
	if len(missing) > 0 {
		return fmt.Sprintf("• %s: the thread opened but %s could not be added", who, strings.Join(missing, ", ")), nil
	}
	return "", nil
}

func mentionList(ids []string) string {
	ms := make([]string, len(ids))
	for i, id := range ids {
		ms[i] = "<@" + id + ">"
	}
	switch len(ms) {
	case 0:
		return ""
	case 1:
		return ms[0]
	}
	return strings.Join(ms[:len(ms)-1], ", ") + " and " + ms[len(ms)-1]
}

// roundCatchUp is how late a missed round may still be formed: after a
// week its buddies' time together is over.
const roundCatchUp = 7 * 24 * time.Hour

// catchUpRound decides what a scheduled round's job does when it runs at
// now, later than planned (Kindred was down): after downtime one round at
// most is formed, for the latest of the schedule's times due by now, and
// only if that time is less than a week ago. latest is that time; ok is
// false when even it is a week old or more.
func catchUpRound(rec scheduler.Recurrence, planned, now time.Time) (latest time.Time, ok bool) {
	latest = planned
	if cutoff := now.Add(-roundCatchUp); !latest.After(cutoff) {
		// Only times within the last week count; start from the first.
		if latest = rec.Next(cutoff); latest.IsZero() || latest.After(now) {
			return time.Time{}, false
		}
	}
	for n := rec.Next(latest); !n.IsZero() && !n.After(now); n = rec.Next(latest) {
		latest = n
	}
	return latest, true
}

// scheduledRound forms a scheduled round and queues the next one, the
// first after now (see catchUpRound for a job that runs late). Run again
// after a crash, it finds its round and takes only the missing steps of
// opening its threads.
func (f *Buddies) scheduledRound(ctx context.Context, job storage.Job, p roundPayload) ([]storage.NewJob, error) {
	g, live, err := liveGroup(ctx, f.env, p.GroupID)
	if err != nil || !live {
		return nil, err
	}
	s, err := f.env.DB.PairingSettingsOf(ctx, g.ID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	rec, err := scheduler.DecodeRecurrence(s.Recurrence)
	if err != nil {
		return nil, fmt.Errorf("group %d pairing recurrence: %w", g.ID, err)
	}
	// The next round is written when this job completes, in the same
	// transaction: a /pairing configure committed meanwhile has cancelled
	// this job, and its completion then writes nothing.
	planned, now := time.Unix(p.At, 0).UTC(), f.env.Now()
	from := planned
	if now.After(from) {
		from = now
	}
	var next []storage.NewJob
	if at := rec.Next(from); !at.IsZero() {
		next = append(next, roundJob(g, at))
	}
	var failed []string
	var retry error
	var number int
	round, err := f.env.DB.RoundByJobKey(ctx, job.DedupeKey)
	switch {
	case err == nil:
		number = round.Number
		failed, retry = f.openThreads(ctx, g, round)
	case errors.Is(err, storage.ErrNotFound):
		latest, ok := catchUpRound(rec, planned, now)
		if !ok {
			f.env.Log.Info("pairing round skipped: its week is over", "group", g.ID, "planned", planned)
			return next, nil
		}
		if !latest.Equal(planned) {
			f.env.Log.Info("pairing rounds missed; forming one now", "group", g.ID, "planned", planned, "latest", latest)
		}
		out, err := f.formRound(ctx, roundRequest{Group: g, Settings: s, JobKey: job.DedupeKey})
		if err != nil {
			return nil, err
		}
		if out.tooFew {
			f.env.Log.Info("pairing round skipped: too few members", "group", g.ID, "available", out.available)
			return next, nil
		}
		number, failed, retry = out.round.Number, out.failed, out.retry
	default:
		return nil, err
	}
	if retry != nil && job.Attempts < pairingRoundJob.MaxAttempts {
		// Discord was down or busy. The job runs again after the
		// scheduler's backoff, finds its round and resumes the missing
		// steps; the mod-log hears only from the run that gives up.
		return nil, fmt.Errorf("open threads of round %d of group %d: %w", number, g.ID, retry)
	}
	if len(failed) > 0 {
		if err := f.reportToModlog(ctx, job.DedupeKey, g, number, failed); err != nil {
			return nil, err
		}
	}
	return next, nil
}

// reportToModlog tells the server's moderators which threads of a
// scheduled round could not be opened, once per round job (jobKey) even
// if the job runs again. A server without a mod-log isn't told; not being
// able to read its settings is an error.
func (f *Buddies) reportToModlog(ctx context.Context, jobKey string, g storage.Group, number int, failed []string) error {
	settings, err := f.env.DB.GuildSettings(ctx, g.GuildID)
	if err != nil {
		return fmt.Errorf("report pairing round %d of group %d: %w", number, g.ID, err)
	}
	if settings.ModlogChannelID == "" {
		f.env.Log.Info("pairing threads failed; no mod-log to tell", "group", g.ID, "round", number)
		return nil
	}
	reportKey := storage.ModlogPostKey(jobKey)
	if _, sent, err := f.env.DB.SentRef(ctx, reportKey); err != nil || sent {
		return err
	}
	text := fmt.Sprintf("⚠️ Pairing round %d of **%s** is recorded, but some private threads could not be opened in <#%s>:\n%s\n"+
		"Check that Kindred can view that channel and has **Create Private Threads** and **Send Messages in Threads** there.",
		number, groupTitle(g), g.ChannelID, strings.Join(failed, "\n"))
	msgID, err := f.env.Discord.Send(ctx, settings.ModlogChannelID, Message{
		Content: clip(text, maxMessageContent),
		Nonce:   nonceFor(reportKey),
	})
	if err != nil {
		f.env.Log.Warn("could not post to mod-log", "group", g.ID, "channel", settings.ModlogChannelID, "err", err)
		return nil
	}
	return f.env.DB.RecordSent(ctx, reportKey, msgID, f.env.Now())
}

// followup asks a pair in their thread whether they talked.
func (f *Buddies) followup(ctx context.Context, job storage.Job, p followupPayload) ([]storage.NewJob, error) {
	if _, live, err := liveGroup(ctx, f.env, p.GroupID); err != nil || !live {
		return nil, err
	}
	pr, err := f.env.DB.Pairing(ctx, p.PairingID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if pr.ThreadID == "" {
		f.env.Log.Info("pairing follow-up skipped: no thread", "pairing", pr.ID)
		return nil, nil
	}
	if _, sent, err := f.env.DB.SentRef(ctx, job.DedupeKey); err != nil || sent {
		return nil, err
	}
	question := "Did you two get to talk?"
	if len(pr.Members) == 3 {
		question = "Did you three get to talk?"
	}
	msgID, err := f.env.Discord.Send(ctx, pr.ThreadID, Message{
		Content: question + " Any kind of contact counts. Your answer helps the facilitators see how pairing is going.",
		Components: []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
			discordgo.Button{Label: "We talked", Style: discordgo.SuccessButton, CustomID: buddyAnswerButton.ID(storage.AnswerTalked, pr.ID)},
			discordgo.Button{Label: "Not yet", Style: discordgo.SecondaryButton, CustomID: buddyAnswerButton.ID(storage.AnswerNotYet, pr.ID)},
		}}},
		Nonce: nonceFor(job.DedupeKey),
	})
	if err != nil {
		return nil, fmt.Errorf("post follow-up for pairing %d: %w", pr.ID, err)
	}
	return nil, f.env.DB.RecordSent(ctx, job.DedupeKey, msgID, f.env.Now())
}

// answer records a member's click on We talked or Not yet.
func (f *Buddies) answer(ctx context.Context, req *Request) (*Response, error) {
	answer, id := req.Parts.String("answer"), req.Parts.Int("pairing")
	if answer != storage.AnswerTalked && answer != storage.AnswerNotYet {
		return nil, buddyAnswerButton.Stale()
	}
	gone := UserErrorf("That pairing no longer exists.")
	pr, err := f.env.DB.Pairing(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, gone
	}
	if err != nil {
		return nil, err
	}
	// The id proves nothing: the pairing must be one of this server's.
	if g, err := f.env.DB.Group(ctx, pr.GroupID); err != nil && !errors.Is(err, storage.ErrNotFound) {
		return nil, err
	} else if err != nil || g.GuildID != req.GuildID {
		return nil, gone
	}
	if !slices.Contains(pr.Members, req.UserID) {
		return nil, UserErrorf("Only the buddies of this pair can answer here.")
	}
	if err := f.env.DB.AnswerFollowup(ctx, id, req.UserID, answer, f.env.Now()); err != nil {
		return nil, err
	}
	if answer == storage.AnswerTalked {
		return Ephemeral("Lovely, thank you for letting us know. 💚 You can change your answer with the buttons."), nil
	}
	return Ephemeral("Thanks for answering. No pressure: there's still time to reach out. You can change your answer with the buttons."), nil
}

// reachOutToBuddies tells the member's current buddies in the group, in
// their private thread, that a check-in from them would be welcome. It
// never carries the mood or the note. It returns how many threads were told.
func reachOutToBuddies(ctx context.Context, env Env, g storage.Group, userID string) (int, error) {
	current, err := env.DB.CurrentPairings(ctx, g.ID, userID)
	if err != nil {
		return 0, err
	}
	told := 0
	for _, p := range current {
		if p.ThreadID == "" || len(p.Members) < 2 {
			continue
		}
		if _, err := env.Discord.Send(ctx, p.ThreadID, Message{
			Content: fmt.Sprintf("💬 <@%s> would welcome a check-in from you when you have a moment. A short hello is plenty.", userID),
		}); err != nil {
			env.Log.Warn("could not reach out in pairing thread", "pairing", p.ID, "thread", p.ThreadID, "err", err)
			continue
		}
		told++
	}
	return told, nil
}
