package commands

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/kindred-bot/kindred/internal/mood"
	"github.com/kindred-bot/kindred/internal/moodchart"
	"github.com/kindred-bot/kindred/scheduler"
	"github.com/kindred-bot/kindred/storage"
)

// Check-in limits and defaults.
const (
	maxNote            = 1000
	defaultHistoryDays = 30
	maxHistoryDays     = 365
	dateLayout         = "2006-01-02"
)

// kindWords answer a check-in, by mood.
var kindWords = [...]string{
	1: "Thank you for telling us. That takes courage, and you don't have to carry it alone.",
	2: "Thanks for checking in. Low days are part of it; be gentle with yourself today.",
	3: "Thanks for checking in. Okay is a fine place to be.",
	4: "Good to hear. Thanks for checking in.",
	5: "That's wonderful to hear. Thanks for checking in!",
}

func moodChoices() []*discordgo.ApplicationCommandOptionChoice {
	out := make([]*discordgo.ApplicationCommandOptionChoice, 0, 5)
	for m := mood.Lowest; m <= mood.Highest; m++ {
		out = append(out, &discordgo.ApplicationCommandOptionChoice{Name: fmt.Sprintf("%d %s", m, mood.Name(m)), Value: m})
	}
	return out
}

var checkinCommand = &discordgo.ApplicationCommand{
	Name:        "checkin",
	Description: "Check in with how you're doing (private unless you share it)",
	Options: []*discordgo.ApplicationCommandOption{
		{Type: discordgo.ApplicationCommandOptionInteger, Name: "mood", Description: "How are you, from 1 Struggling to 5 Great?", Required: true, Choices: moodChoices()},
		{Type: discordgo.ApplicationCommandOptionString, Name: "note", Description: "Anything you want to add (only you see it unless you share)", MaxLength: maxNote},
		{Type: discordgo.ApplicationCommandOptionBoolean, Name: "share", Description: "Also post your mood and note in your group's channel"},
		{Type: discordgo.ApplicationCommandOptionString, Name: "group", Description: "The group to share with or reach out in", Autocomplete: true},
		{Type: discordgo.ApplicationCommandOptionBoolean, Name: "reach_out", Description: "Let your buddies know a check-in from them would be welcome (not your mood or note)"},
	},
}

var checkinsCommand = &discordgo.ApplicationCommand{
	Name:        "checkins",
	Description: "Your check-in history, daily prompts, and group summaries",
	Options: []*discordgo.ApplicationCommandOption{
		{
			Type: discordgo.ApplicationCommandOptionSubCommand, Name: "history", Description: "Your check-ins with a mood chart (only you see it)",
			Options: []*discordgo.ApplicationCommandOption{
				{Type: discordgo.ApplicationCommandOptionInteger, Name: "days", Description: "How many days back (default 30, up to 365)", MinValue: floatPtr(1), MaxValue: maxHistoryDays},
			},
		},
		{
			Type: discordgo.ApplicationCommandOptionSubCommand, Name: "reminder", Description: "A daily DM at your local time with one-tap check-in buttons",
			Options: []*discordgo.ApplicationCommandOption{
				{Type: discordgo.ApplicationCommandOptionString, Name: "time", Description: "When, in your timezone, e.g. 20:00 or 8pm", Required: true, MaxLength: 16},
				{Type: discordgo.ApplicationCommandOptionString, Name: "days", Description: "Every day (default) or weekdays only", Choices: stringChoices("daily", "weekdays")},
			},
		},
		{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "reminder-off", Description: "Stop your daily check-in DM"},
		{
			Type: discordgo.ApplicationCommandOptionSubCommand, Name: "summary", Description: "Anonymous check-in figures for a group (facilitators)",
			Options: []*discordgo.ApplicationCommandOption{
				{Type: discordgo.ApplicationCommandOptionString, Name: "group", Description: "The group", Required: true, Autocomplete: true},
				{Type: discordgo.ApplicationCommandOptionInteger, Name: "days", Description: "Which complete weeks (default the last 4)", Choices: summaryDayChoices()},
			},
		},
	},
}

// Checkins is /checkin and /checkins: private mood tracking.
type Checkins struct {
	env Env
}

func (f *Checkins) Register(r *Router) {
	r.Define(checkinCommand)
	r.Define(checkinsCommand)
	r.Command("checkin", f.record, GuildOnly)
	r.Autocomplete("checkin", f.groupAutocomplete, GuildOnly)
	r.Subcommands("checkins", nil,
		Sub{"history", f.history, Options(GuildOnly, Heavy)},
		Sub{"reminder", f.setReminder, GuildOnly},
		Sub{"reminder-off", f.reminderOff, GuildOnly},
	)
	r.Subcommands("checkins", f.groupAutocomplete, Sub{"summary", f.summary, Facilitator})
	// The prompt's buttons arrive in DMs: the server is in the id.
	r.Component(checkinMoodButton, f.tapMood, Anywhere)
	r.Job(checkinPromptJob.Runner(f.prompt))
}

func (f *Checkins) groupAutocomplete(ctx context.Context, req *Request) (*Response, error) {
	return groupAutocomplete(ctx, f.env, req)
}

// memberLocation is where a member's calendar days are counted: their
// timezone, else the server's, else UTC.
func (f *Checkins) memberLocation(ctx context.Context, guildID, userID string) (*time.Location, string, error) {
	z, err := resolveZone(ctx, f.env.DB, whose{userID: userID, guildID: guildID})
	return z.loc, z.name, err
}

// ---- /checkin ----

func (f *Checkins) record(ctx context.Context, req *Request) (*Response, error) {
	picked, err := req.Int("mood")
	if err != nil {
		return nil, err
	}
	m := int(picked)
	if !mood.Valid(m) {
		return nil, UserErrorf("Pick a mood from 1 (Struggling) to 5 (Great).")
	}
	note := strings.TrimSpace(req.String("note"))
	if n := len([]rune(note)); n > maxNote {
		return nil, UserErrorf("Notes can be up to %d characters; yours has %d.", maxNote, n)
	}
	share, err := req.Bool("share", false)
	if err != nil {
		return nil, err
	}
	reachOut, err := req.Bool("reach_out", false)
	if err != nil {
		return nil, err
	}
	var group storage.Group
	if share || reachOut || req.Has("group") {
		if group, err = f.checkinGroup(ctx, req, share, reachOut); err != nil {
			return nil, err
		}
	}

	now := f.env.Now()
	loc, _, err := f.memberLocation(ctx, req.GuildID, req.UserID)
	if err != nil {
		return nil, err
	}
	streak, err := f.env.DB.RecordCheckin(ctx, storage.Checkin{
		GuildID: req.GuildID, UserID: req.UserID, GroupID: group.ID, Mood: m, Note: note, Shared: share,
		LocalDate: now.In(loc).Format(dateLayout), At: now,
	})
	if err != nil {
		return nil, fmt.Errorf("record check-in: %w", err)
	}

	lines := []string{fmt.Sprintf("Checked in: **%s**. %s", mood.Name(m), kindWords[m]), streakLine(streak.Days)}
	if share {
		lines = append(lines, f.share(ctx, req, group, m, note))
	}
	if reachOut {
		told, err := reachOutToBuddies(ctx, f.env, group, req.UserID)
		if err != nil {
			return nil, err
		}
		if told > 0 {
			lines = append(lines, fmt.Sprintf("Your buddies in **%s** have been told, in your private thread, that a check-in from them would be welcome. Your mood and note stay private.", group.Name))
		} else {
			lines = append(lines, fmt.Sprintf("No buddy is paired with you in **%s** yet, so there was no one to reach out to. Your check-in is saved.", group.Name))
		}
	}
	resp := Ephemeral(strings.Join(lines, "\n"))
	if m == mood.Lowest || mentionsCrisis(note) {
		resp.Content += "\n" + heavyLine
		if err := addResources(ctx, f.env, req.GuildID, resp); err != nil {
			return nil, err
		}
	}
	return resp, nil
}

// checkinGroup finds the group a check-in is shared with or reaches out in.
func (f *Checkins) checkinGroup(ctx context.Context, req *Request, share, reachOut bool) (storage.Group, error) {
	if req.Has("group") {
		g, err := activeGroupByName(ctx, f.env, req.GuildID, req.String("group"))
		if err != nil {
			return storage.Group{}, err
		}
		member, err := f.env.DB.IsGroupMember(ctx, g.ID, req.UserID)
		if err != nil {
			return storage.Group{}, err
		}
		if !member && (share || reachOut) {
			return storage.Group{}, UserErrorf("You can share in groups you've joined. `/group join group:%s` first, or leave out `share`.", echo(g.Name, maxGroupName))
		}
		return g, nil
	}
	mine, err := f.env.DB.GroupsOfMember(ctx, req.GuildID, req.UserID)
	if err != nil {
		return storage.Group{}, err
	}
	var active []storage.Group
	for _, g := range mine {
		if !g.Archived() {
			active = append(active, g)
		}
	}
	switch len(active) {
	case 0:
		return storage.Group{}, UserErrorf("Sharing and reaching out happen in a group, and you haven't joined one here yet. `/group list` shows the groups; nothing was saved.")
	case 1:
		return active[0], nil
	}
	names := make([]string, len(active))
	for i, g := range active {
		names[i] = "`" + g.Name + "`"
	}
	return storage.Group{}, UserErrorf("You're in several groups (%s). Add `group:` to say which one; nothing was saved.", strings.Join(names, ", "))
}

// share posts the member's mood and note in the group channel. The
// check-in is already saved; a failed post is told, not fatal.
func (f *Checkins) share(ctx context.Context, req *Request, g storage.Group, m int, note string) string {
	if _, err := f.env.Discord.Send(ctx, g.ChannelID, Message{Content: sharedCheckin(req.UserID, m, note)}); err != nil {
		f.env.Log.Warn("could not share check-in", "guild", req.GuildID, "group", g.ID, "err", err)
		return fmt.Sprintf("I couldn't post it in <#%s> (%s), but your check-in is saved.", g.ChannelID, discordProblem(err))
	}
	return fmt.Sprintf("Shared with **%s** in <#%s>.", g.Name, g.ChannelID)
}

// sharedCheckin is the post of a shared check-in: the mood line, then the
// note quoted line by line. Quoting adds two characters a line, so a note
// within maxNote can still overflow a message; then its last lines give
// way to "> …", never the mood line.
func sharedCheckin(userID string, m int, note string) string {
	text := fmt.Sprintf("<@%s> checked in: **%s**", userID, mood.Name(m))
	if note == "" {
		return text
	}
	lines := strings.Split(strings.ReplaceAll(note, "\r\n", "\n"), "\n")
	for i, l := range lines {
		lines[i] = "> " + l
	}
	return joinFitted(text, lines, "\n", maxMessageContent, func(int) string { return "> …" })
}

func streakLine(days int) string {
	switch {
	case days <= 1:
		return "This is day one of your streak. Every check-in counts."
	default:
		return fmt.Sprintf("Your streak: **%d days**. (A single missed day never breaks it.)", days)
	}
}

// ---- /checkins history ----

func (f *Checkins) history(ctx context.Context, req *Request) (*Response, error) {
	days, err := req.IntOr("days", defaultHistoryDays)
	if err != nil {
		return nil, err
	}
	if days < 1 || days > maxHistoryDays {
		return nil, UserErrorf("`days` goes from 1 to %d, for example `days:90`.", maxHistoryDays)
	}
	loc, zone, err := f.memberLocation(ctx, req.GuildID, req.UserID)
	if err != nil {
		return nil, err
	}
	now := f.env.Now().In(loc)
	to := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	from := to.AddDate(0, 0, -int(days-1))
	daily, err := f.env.DB.DailyMoods(ctx, req.GuildID, req.UserID, from.Format(dateLayout), to.Format(dateLayout))
	if err != nil {
		return nil, err
	}
	streak, err := f.env.DB.CheckinStreak(ctx, req.GuildID, req.UserID, to.Format(dateLayout))
	if err != nil {
		return nil, err
	}
	count, sum := 0, 0.0
	chartDays := make([]moodchart.Day, 0, len(daily))
	for _, d := range daily {
		count += d.Count
		sum += d.Mean * float64(d.Count)
		date, err := time.ParseInLocation(dateLayout, d.Date, loc)
		if err != nil {
			return nil, fmt.Errorf("check-in date %q: %w", d.Date, err)
		}
		chartDays = append(chartDays, moodchart.Day{Date: date, Mean: d.Mean, Count: d.Count})
	}
	var png bytes.Buffer
	title := fmt.Sprintf("Your mood, last %d days", days)
	if err := moodchart.Render(&png, chartDays, moodchart.Options{Title: title, From: from, To: to}); err != nil {
		return nil, fmt.Errorf("mood chart: %w", err)
	}
	summary := "No check-ins in this window yet. `/checkin` records one; only you ever see your history."
	if count > 0 {
		summary = fmt.Sprintf("**%d** check-ins on **%d** days. Average mood **%.1f** (%s). Current streak: **%d** days.",
			count, len(daily), sum/float64(count), mood.Name(int(sum/float64(count)+0.5)), streak.Days)
	}
	return &Response{
		Ephemeral: true,
		Embeds: []*discordgo.MessageEmbed{{
			Title: title, Description: summary, Color: colourCalm,
			Image:  &discordgo.MessageEmbedImage{URL: "attachment://mood.png"},
			Footer: &discordgo.MessageEmbedFooter{Text: "Days are counted in " + zone + ". Only you can see this."},
		}},
		Files: []*discordgo.File{{Name: "mood.png", ContentType: "image/png", Reader: &png}},
	}, nil
}

// ---- /checkins reminder ----

// promptPayload names a member's prompt. At is its planned time (unix
// seconds): the job's run_at moves when it is retried. Prompts queued by
// earlier versions lack it, and go by their run_at.
type promptPayload struct {
	GuildID string `json:"guild_id"`
	UserID  string `json:"user_id"`
	At      int64  `json:"at,omitempty"`
}

func promptJob(guildID, userID string, at time.Time) storage.NewJob {
	return checkinPromptJob.New(promptPayload{GuildID: guildID, UserID: userID, At: at.Unix()}, at)
}

// checkinPromptJob is a member's daily check-in prompt in a server.
var checkinPromptJob = scheduler.JobDef[promptPayload]{
	Kind: "checkin.prompt",
	Key: func(p promptPayload, at time.Time) string {
		return storage.CheckinPromptJobKey(p.GuildID, p.UserID, at)
	},
	Guild:       func(p promptPayload) string { return p.GuildID },
	User:        func(p promptPayload) string { return p.UserID },
	MaxAttempts: 5,
}

// checkinMoodButton is one mood of a prompt's one-tap check-in.
var checkinMoodButton = NewIDPattern("checkin:mood:{guild:id}:{mood:int}").Again("/checkin")

// nextPrompt is the first prompt time strictly after `after`: the minute of
// the day in loc, on every day or on weekdays only.
func nextPrompt(minute int, days string, loc *time.Location, after time.Time) time.Time {
	local := after.In(loc)
	for i := 0; i < 8; i++ {
		d := local.AddDate(0, 0, i)
		t := time.Date(d.Year(), d.Month(), d.Day(), minute/60, minute%60, 0, 0, loc)
		if !t.After(after) {
			continue
		}
		if days == "weekdays" && (t.Weekday() == time.Saturday || t.Weekday() == time.Sunday) {
			continue
		}
		return t
	}
	return time.Time{}
}

func (f *Checkins) setReminder(ctx context.Context, req *Request) (*Response, error) {
	minute, err := scheduler.ParseClock(req.String("time"))
	if err != nil {
		return nil, UserErrorf("I couldn't read `%s` as a time. Try `time:20:00` or `time:8pm`.", echo(req.String("time"), 20))
	}
	days := req.String("days")
	if days == "" {
		days = "daily"
	}
	if days != "daily" && days != "weekdays" {
		return nil, UserErrorf("`days` is daily or weekdays.")
	}
	loc, zone, err := f.memberLocation(ctx, req.GuildID, req.UserID)
	if err != nil {
		return nil, err
	}
	now := f.env.Now()
	first := nextPrompt(minute, days, loc, now)
	r := storage.CheckinReminder{GuildID: req.GuildID, UserID: req.UserID, Minute: minute, Days: days, Timezone: zone, CreatedAt: now}
	if err := f.env.DB.SetCheckinReminder(ctx, r, promptJob(req.GuildID, req.UserID, first)); err != nil {
		return nil, fmt.Errorf("set check-in reminder: %w", err)
	}
	when := "every day"
	if days == "weekdays" {
		when = "Monday to Friday"
	}
	text := fmt.Sprintf("I'll DM you %s at **%s** (%s) with one-tap check-in buttons. The first is %s.", when, scheduler.FormatClock(minute), zone, timestamp(first, "R"))
	prefs, err := f.env.DB.Preferences(ctx, req.UserID)
	if err != nil {
		return nil, err
	}
	if !prefs.DMsEnabled {
		text += "\nYour DMs from Kindred are off, so none will arrive until you turn them on with `/preferences dms enabled:true`."
	}
	if prefs.Timezone == "" {
		text += "\nYou haven't set a timezone, so this is " + zone + " time. `/preferences timezone` sets yours (then set the reminder again)."
	}
	return Ephemeral(text), nil
}

func (f *Checkins) reminderOff(ctx context.Context, req *Request) (*Response, error) {
	if err := f.env.DB.DeleteCheckinReminder(ctx, req.GuildID, req.UserID); errors.Is(err, storage.ErrNotFound) {
		return Ephemeral("You don't have a check-in reminder in this server. `/checkins reminder time:20:00` sets one."), nil
	} else if err != nil {
		return nil, err
	}
	return Ephemeral("Your daily check-in DM is off. `/checkin` still works any time."), nil
}

// todaysPrompt is the prompt time on now's day in loc, if there is one and
// it has come.
func todaysPrompt(minute int, days string, loc *time.Location, now time.Time) (time.Time, bool) {
	local := now.In(loc)
	t := time.Date(local.Year(), local.Month(), local.Day(), minute/60, minute%60, 0, 0, loc)
	if days == "weekdays" && (t.Weekday() == time.Saturday || t.Weekday() == time.Sunday) {
		return time.Time{}, false
	}
	return t, !t.After(now)
}

// prompt queues today's check-in DM and the next prompt. The DM goes
// through the DM sender, so DMs off and quiet hours are honoured; it stays
// useful until the end of the member's day.
//
// After downtime the prompt catches up once: a job that runs late sends
// the DM only if today's prompt time has come and is not before the job's
// own (the latest missed prompt is still on the member's day), and the
// next prompt is the first after now, so days of downtime never send a
// burst of prompts.
func (f *Checkins) prompt(ctx context.Context, job storage.Job, p promptPayload) ([]storage.NewJob, error) {
	r, err := f.env.DB.CheckinReminder(ctx, p.GuildID, p.UserID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil // turned off since
	}
	if err != nil {
		return nil, err
	}
	loc := firstZone(zoneChoice{r.Timezone, zoneOfMember}).loc
	now := f.env.Now()
	planned := job.RunAt
	if p.At != 0 {
		planned = time.Unix(p.At, 0)
	}
	var next []storage.NewJob
	if today, ok := todaysPrompt(r.Minute, r.Days, loc, now); ok && !today.Before(planned) {
		local := now.In(loc)
		endOfDay := time.Date(local.Year(), local.Month(), local.Day()+1, 0, 0, 0, 0, loc)
		var buttons []DMButton
		for m := mood.Lowest; m <= mood.Highest; m++ {
			buttons = append(buttons, DMButton{Label: fmt.Sprintf("%d %s", m, mood.Name(m)), CustomID: checkinMoodButton.ID(p.GuildID, m), Style: ButtonSecondary})
		}
		next = append(next, dmJob.New(DMMessage{
			Key: storage.DMJobKey(job.DedupeKey, p.UserID), UserID: p.UserID, GuildID: p.GuildID, ValidUntil: endOfDay.Unix(), Buttons: buttons,
			Content: "Hi, how are you today? Tap one to check in (only you see it). `/checkins reminder-off` stops these.",
		}, now))
	} else {
		f.env.Log.Info("check-in prompt skipped: its day is over", "guild", p.GuildID, "user", p.UserID, "planned", planned)
	}
	after := planned.Add(time.Minute)
	if now.After(after) {
		after = now
	}
	if at := nextPrompt(r.Minute, r.Days, loc, after); !at.IsZero() {
		next = append(next, promptJob(p.GuildID, p.UserID, at))
	}
	return next, nil
}

// tapMood records a one-tap check-in from a prompt, for today, and updates
// the prompt to confirm. An old prompt still records for today.
func (f *Checkins) tapMood(ctx context.Context, req *Request) (*Response, error) {
	guildID, m := req.Parts.String("guild"), int(req.Parts.Int("mood"))
	if !mood.Valid(m) || (req.GuildID != "" && req.GuildID != guildID) {
		// A crafted id, or one pressed outside the server it names.
		return nil, checkinMoodButton.Stale()
	}
	if ok, err := f.promptedBy(ctx, guildID, req); err != nil {
		return nil, err
	} else if !ok {
		return nil, checkinMoodButton.Stale()
	}
	loc, _, err := f.memberLocation(ctx, guildID, req.UserID)
	if err != nil {
		return nil, err
	}
	now := f.env.Now()
	streak, err := f.env.DB.RecordCheckin(ctx, storage.Checkin{GuildID: guildID, UserID: req.UserID, Mood: m, LocalDate: now.In(loc).Format(dateLayout), At: now})
	if err != nil {
		return nil, fmt.Errorf("record check-in: %w", err)
	}
	text := fmt.Sprintf("Checked in: **%s**. %s\n%s", mood.Name(m), kindWords[m], streakLine(streak.Days))
	resp := &Response{Update: true, Content: text, Components: []discordgo.MessageComponent{}}
	if m == mood.Lowest {
		if err := addResources(ctx, f.env, guildID, resp); err != nil {
			return nil, err
		}
	}
	return resp, nil
}

// promptedBy reports whether the server named by a mood button really sent
// this member a prompt, and, for a press in a DM, whether they are still
// in that server: the id alone proves nothing.
func (f *Checkins) promptedBy(ctx context.Context, guildID string, req *Request) (bool, error) {
	sent, err := f.env.DB.SentUnder(ctx, storage.CheckinPromptJobPrefix(guildID, req.UserID))
	if err != nil || !sent {
		return false, err
	}
	if req.InGuild() {
		return true, nil
	}
	return stillIn(ctx, f.env, guildID, req.UserID)
}

// ---- /checkins summary ----

// Group summaries are anonymous, and built so that no two answers a
// facilitator can get differ by the check-ins of fewer than
// summaryMinMembers members:
//
//   - A window is the last 1, 4 or 12 complete weeks, Monday to Sunday by
//     each member's own calendar (the local date of a check-in). A week is
//     complete once it has ended everywhere on Earth, so no check-in can be
//     added to it afterwards, and no timezone setting moves it.
//   - It counts the check-ins of the members the group had when the window
//     began (when its first day began anywhere), never the facilitator who
//     asks. Membership at a past moment is history: later joins and leaves
//     change nothing. So one window always gets the same answer.
//   - It is shown only when every one of its weeks has check-ins from at
//     least summaryMinMembers counted members. Two different windows differ
//     by at least one whole week, whose check-ins are in one answer and not
//     the other: those of at least summaryMinMembers members.
//   - For one window, two groups of the server count the same check-ins, or
//     those of at least summaryMinMembers members apart; else neither is
//     shown.
//   - Within an answer, a mood chosen by fewer than summaryMinMembers
//     members is hidden, the others are shares rounded to 10 %, and the
//     trend compares only moods shown that way in each half.
//   - With privacy.checkin_retention_days, a window is shown only while
//     none of its check-ins can have been deleted.
//
// What still changes an answer is a member erasing their data with
// /mydata delete: their right comes first.

const (
	summaryMinMembers  = 5
	defaultSummaryDays = 28
	// A member's check-in day begins first at UTC+14 and ends last at
	// UTC−12, the extreme offsets of the world's timezones.
	firstDayBegins = 14 * time.Hour
	lastDayEnds    = 12 * time.Hour
)

// summaryDays are the windows /checkins summary offers, in days.
var summaryDays = []int{7, 28, 84}

func summaryDayChoices() []*discordgo.ApplicationCommandOptionChoice {
	out := make([]*discordgo.ApplicationCommandOptionChoice, len(summaryDays))
	for i, d := range summaryDays {
		name := "7 days: the last complete week"
		if d > 7 {
			name = fmt.Sprintf("%d days: the last %d complete weeks", d, d/7)
		}
		out[i] = &discordgo.ApplicationCommandOptionChoice{Name: name, Value: d}
	}
	return out
}

// summaryWindow is a run of complete weeks of members' calendar days.
type summaryWindow struct {
	from, to  time.Time // the first day and the day after the last, as dates at 00:00 UTC
	weeks     int
	membersAt time.Time // when the first day began, anywhere
	next      time.Time // when the week after it is complete
}

// lastWeeks is the window of the last `weeks` weeks that have ended
// everywhere by now: it changes on Mondays at 12:00 UTC.
func lastWeeks(now time.Time, weeks int) summaryWindow {
	d := now.UTC().Add(-lastDayEnds)
	day := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC) // the date where days end last
	to := day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))             // its week's Monday
	from := to.AddDate(0, 0, -7*weeks)
	return summaryWindow{from: from, to: to, weeks: weeks, membersAt: from.Add(-firstDayBegins), next: to.AddDate(0, 0, 7).Add(lastDayEnds)}
}

// dates is the window's days in words: "Mon 2 Nov – Sun 29 Nov 2026".
func (w summaryWindow) dates() string {
	last := w.to.AddDate(0, 0, -1)
	first := w.from.Format("Mon 2 Jan")
	if w.from.Year() != last.Year() {
		first = w.from.Format("Mon 2 Jan 2006")
	}
	return first + " – " + last.Format("Mon 2 Jan 2006")
}

func (w summaryWindow) title() string {
	if w.weeks == 1 {
		return "the last complete week"
	}
	return fmt.Sprintf("the last %d complete weeks", w.weeks)
}

// summaryShowable is the rule for showing a summary at all: every week
// has check-ins from enough counted members, and no other group's summary
// of the window differs from it by too few members.
func summaryShowable(s storage.CheckinSummary) bool {
	if len(s.WeekMembers) == 0 {
		return false
	}
	for _, n := range s.WeekMembers {
		if n < summaryMinMembers {
			return false
		}
	}
	for _, n := range s.OtherGroups {
		if n > 0 && n < summaryMinMembers {
			return false
		}
	}
	return true
}

// moodShare is a mood's share of total check-ins in whole percent,
// rounded to the nearest 10 (halves up), or false when fewer than
// summaryMinMembers members chose it.
func moodShare(t storage.MoodTally, total int) (int, bool) {
	if t.Members < summaryMinMembers || total <= 0 {
		return 0, false
	}
	return (t.Checkins*20 + total) / (2 * total) * 10, true
}

// shareText is how a mood's share reads.
func shareText(t storage.MoodTally, total int) string {
	pct, ok := moodShare(t, total)
	switch {
	case !ok:
		return fmt.Sprintf("fewer than %d people", summaryMinMembers)
	case pct == 0:
		return "under 5 %"
	}
	return strings.Repeat("█", pct/5) + fmt.Sprintf(" about %d %%", pct)
}

// halfMean is the mean mood of a half's check-ins in the moods at least
// summaryMinMembers members chose in that half; false when there are none.
func halfMean(h [5]storage.MoodTally) (float64, bool) {
	n, sum := 0, 0
	for i, t := range h {
		if t.Members >= summaryMinMembers {
			n += t.Checkins
			sum += t.Checkins * (i + mood.Lowest)
		}
	}
	if n == 0 {
		return 0, false
	}
	return float64(sum) / float64(n), true
}

func trendText(s storage.CheckinSummary) string {
	first, ok1 := halfMean(s.Halves[0])
	second, ok2 := halfMean(s.Halves[1])
	if !ok1 || !ok2 {
		return fmt.Sprintf("not enough to tell: each half of the window needs a mood at least %d people chose", summaryMinMembers)
	}
	// Compared as shown, to one decimal.
	first, second = math.Round(first*10)/10, math.Round(second*10)/10
	switch diff := second - first; {
	case diff >= 0.3:
		return fmt.Sprintf("lifting (%.1f → %.1f)", first, second)
	case diff <= -0.3:
		return fmt.Sprintf("dipping (%.1f → %.1f): a gentle group check-in might help", first, second)
	default:
		return fmt.Sprintf("steady (%.1f → %.1f)", first, second)
	}
}

func (f *Checkins) summary(ctx context.Context, req *Request) (*Response, error) {
	g, err := activeGroupByName(ctx, f.env, req.GuildID, req.String("group"))
	if err != nil {
		return nil, err
	}
	days, err := req.IntOr("days", defaultSummaryDays)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(summaryDays, int(days)) {
		return nil, UserErrorf("`days` is 7, 28 or 84: the last 1, 4 or 12 complete weeks, for example `days:28`.")
	}
	now := f.env.Now()
	w := lastWeeks(now, int(days)/7)
	if r := f.env.CheckinRetentionDays; r > 0 && now.AddDate(0, 0, -r).After(w.membersAt) {
		return Ephemeral(fmt.Sprintf("Check-ins in this server are deleted after %d days, and some from %s (%s) may be gone already, so it can't be summarised fairly. A shorter `days` may work.",
			r, w.title(), w.dates())), nil
	}
	s, err := f.env.DB.GroupCheckinSummary(ctx, storage.CheckinSummaryQuery{
		GroupID: g.ID, GuildID: req.GuildID, From: w.from.Format(dateLayout), Weeks: w.weeks, MembersAt: w.membersAt, Except: req.UserID,
	})
	if err != nil {
		return nil, err
	}
	if !summaryShowable(s) {
		// Which condition failed, or by how much, is not said: that too
		// would tell about a few members.
		return Ephemeral(fmt.Sprintf("Not shown for **%s**, %s (%s). So that no one's moods can be singled out, a summary needs at least %d members besides you, in the group when the window began, checking in in every week of it, and it mustn't differ from another group's by only a few people. This answer won't change; another `days` may work, and a new week is added %s.",
			g.Name, w.title(), w.dates(), summaryMinMembers, timestamp(w.next, "R"))), nil
	}
	var moods strings.Builder
	for m := mood.Highest; m >= mood.Lowest; m-- {
		fmt.Fprintf(&moods, "`%-10s` %s\n", mood.Name(m), shareText(s.ByMood[m-mood.Lowest], s.Checkins))
	}
	return &Response{Ephemeral: true, Embeds: []*discordgo.MessageEmbed{{
		Title:       fmt.Sprintf("%s: check-ins, %s", g.Name, w.title()),
		Description: fmt.Sprintf("%s, by each member's own calendar. The next week is added %s.", w.dates(), timestamp(w.next, "R")),
		Color:       colourCalm,
		Fields: []*discordgo.MessageEmbedField{
			{Name: "Check-ins", Value: fmt.Sprintf("%d from %s", s.Checkins, nouns(s.Members, "member"))},
			{Name: "Moods", Value: strings.TrimSuffix(moods.String(), "\n")},
			{Name: "Trend", Value: trendText(s)},
		},
		Footer: &discordgo.MessageEmbedFooter{Text: fmt.Sprintf("Anonymous: the members the group had when the window began, not you, never who or what they wrote. Moods fewer than %d people chose are hidden; shares are rounded to 10 %%.", summaryMinMembers)},
	}}}, nil
}
