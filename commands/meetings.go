package commands

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/kindred-bot/kindred/internal/ical"
	"github.com/kindred-bot/kindred/scheduler"
	"github.com/kindred-bot/kindred/storage"
)

// Meeting limits and defaults.
const (
	maxMeetingTitle    = 100
	maxMeetingLocation = 200
	defaultDuration    = 60 // minutes
	minDuration        = 5
	maxDuration        = 12 * 60
	// hereEarly is how long before the start "I'm here" already counts.
	hereEarly = 15 * time.Minute
	// advanceLead is how long before an occurrence's earliest reminder the
	// series prepares that occurrence.
	advanceLead = time.Hour
	// lateGrace is how late a reminder may run before it says it is late.
	lateGrace = 2 * time.Minute
	// upcomingShown bounds lists of occurrences in one reply.
	upcomingShown = 10
	// attendanceWindow is how far back /meeting attendance and /group info look.
	attendanceWindow = 8 * 7 * 24 * time.Hour
)

// meetingReminderJob is one reminder of one occurrence.
var meetingReminderJob = scheduler.JobDef[reminderPayload]{
	Kind: "meeting.reminder",
	Key: func(p reminderPayload, _ time.Time) string {
		return storage.ReminderJobKey(p.GroupID, p.MeetingID, time.Unix(p.StartsAt, 0), time.Duration(p.Offset)*time.Second)
	},
	Guild:       func(p reminderPayload) string { return p.GuildID },
	MaxAttempts: 5,
}

// meetingAdvanceJob prepares an occurrence's reminders ahead of time.
var meetingAdvanceJob = scheduler.JobDef[advancePayload]{
	Kind: "meeting.advance",
	Key: func(p advancePayload, _ time.Time) string {
		return storage.AdvanceJobKey(p.GroupID, p.MeetingID, time.Unix(p.StartsAt, 0))
	},
	Guild:       func(p advancePayload) string { return p.GuildID },
	MaxAttempts: 10,
}

// The buttons of meeting announcements and reminders. RSVP buttons also
// come by DM with a reminder; I'm here only in the group's channel.
var (
	rsvpButton = NewIDPattern("rsvp:{meeting:int}:{start:int}:{answer}")
	hereButton = NewIDPattern("here:{meeting:int}:{start:int}")
)

var meetingFormats = []string{"online", "in-person", "hybrid"}

var meetingCommand = &discordgo.ApplicationCommand{
	Name:        "meeting",
	Description: "Group meetings: schedule, RSVP, reminders, attendance, calendars",
	Options: []*discordgo.ApplicationCommandOption{
		{
			Type:        discordgo.ApplicationCommandOptionSubCommand,
			Name:        "schedule",
			Description: "Schedule a one-off or recurring meeting and announce it (facilitators)",
			Options: []*discordgo.ApplicationCommandOption{
				{Type: discordgo.ApplicationCommandOptionString, Name: "group", Description: "The group that meets", Required: true, Autocomplete: true},
				{Type: discordgo.ApplicationCommandOptionString, Name: "title", Description: "What the meeting is called, e.g. Tuesday evening circle", Required: true, MaxLength: maxMeetingTitle},
				{Type: discordgo.ApplicationCommandOptionString, Name: "start", Description: "When: 2026-12-01 19:00, 19:00, tomorrow 19:00, tue 7pm", Required: true, Autocomplete: true},
				{Type: discordgo.ApplicationCommandOptionString, Name: "repeat", Description: "none, daily, weekly, biweekly, monthly, or a cron expression (default none)", MaxLength: 100},
				{Type: discordgo.ApplicationCommandOptionInteger, Name: "duration", Description: "Length in minutes (default 60)", MinValue: floatPtr(minDuration), MaxValue: maxDuration},
				{Type: discordgo.ApplicationCommandOptionString, Name: "format", Description: "Online, in person or both (default online)", Choices: stringChoices(meetingFormats...)},
				{Type: discordgo.ApplicationCommandOptionString, Name: "location", Description: "A voice channel, a link, or an address", MaxLength: maxMeetingLocation},
				{Type: discordgo.ApplicationCommandOptionString, Name: "reminders", Description: "When to remind before the start, e.g. 24h,1h (the default); each 5m to 7d", MaxLength: 60},
				{Type: discordgo.ApplicationCommandOptionString, Name: "timezone", Description: "Timezone of the start time, if not yours or the group's", Autocomplete: true},
			},
		},
		{
			Type:        discordgo.ApplicationCommandOptionSubCommand,
			Name:        "list",
			Description: "Upcoming meetings, soonest first",
			Options: []*discordgo.ApplicationCommandOption{
				groupFilter(),
			},
		},
		{
			Type:        discordgo.ApplicationCommandOptionSubCommand,
			Name:        "info",
			Description: "A meeting's details, next dates and answers for the next one",
			Options: []*discordgo.ApplicationCommandOption{
				meetingPicker(),
			},
		},
		{
			Type:        discordgo.ApplicationCommandOptionSubCommand,
			Name:        "cancel",
			Description: "Cancel a meeting series, or one date of it (facilitators)",
			Options: []*discordgo.ApplicationCommandOption{
				meetingPicker(),
				{Type: discordgo.ApplicationCommandOptionString, Name: "occurrence", Description: "Only this date, e.g. 2026-12-08 (leave out to cancel the whole series)", MaxLength: 20},
			},
		},
		{
			Type:        discordgo.ApplicationCommandOptionSubCommand,
			Name:        "attendance",
			Description: "Who came to the recent meetings (facilitators)",
			Options: []*discordgo.ApplicationCommandOption{
				meetingPicker(),
			},
		},
		{
			Type:        discordgo.ApplicationCommandOptionSubCommand,
			Name:        "calendar",
			Description: "A calendar file (.ics) of upcoming meetings for your calendar app",
			Options: []*discordgo.ApplicationCommandOption{
				groupFilter(),
			},
		},
	},
}

// meetingPicker is the `meeting` option: autocomplete over the server's meetings.
func meetingPicker() *discordgo.ApplicationCommandOption {
	return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: "meeting", Description: "The meeting", Required: true, Autocomplete: true}
}

// groupFilter is the optional `group` option of the listing subcommands.
func groupFilter() *discordgo.ApplicationCommandOption {
	return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: "group", Description: "Only this group's meetings", Autocomplete: true}
}

func floatPtr(f float64) *float64 { return &f }

func stringChoices(values ...string) []*discordgo.ApplicationCommandOptionChoice {
	out := make([]*discordgo.ApplicationCommandOptionChoice, len(values))
	for i, v := range values {
		out[i] = &discordgo.ApplicationCommandOptionChoice{Name: v, Value: v}
	}
	return out
}

// Meetings is /meeting: scheduling, RSVPs, reminders, attendance and calendars.
type Meetings struct {
	env Env
}

func (f *Meetings) Register(r *Router) {
	r.Define(meetingCommand)
	r.Subcommands("meeting", f.autocomplete,
		Sub{"schedule", f.schedule, Facilitator},
		Sub{"list", f.list, GuildOnly},
		Sub{"info", f.info, GuildOnly},
		Sub{"cancel", f.cancel, Facilitator},
		Sub{"attendance", f.attendance, Facilitator},
		Sub{"calendar", f.calendar, Options(GuildOnly, Heavy)},
	)
	r.Component(rsvpButton, f.rsvp, Anywhere)
	r.Component(hereButton, f.here, GuildOnly)
	r.Job(meetingReminderJob.StaleRunner(f.remind, reminderStale, nil))
	r.Job(meetingAdvanceJob.Runner(f.advance))
}

// series is a meeting with what its occurrences need.
type series struct {
	storage.Meeting
	rec       scheduler.Recurrence
	loc       *time.Location
	cancelled map[int64]bool
}

func (f *Meetings) load(ctx context.Context, m storage.Meeting) (series, error) {
	rec, err := scheduler.DecodeRecurrence(m.Recurrence)
	if err != nil {
		return series{}, fmt.Errorf("meeting %d recurrence: %w", m.ID, err)
	}
	cancelled, err := f.env.DB.Cancellations(ctx, m.ID)
	if err != nil {
		return series{}, err
	}
	loc := rec.Location()
	if loc == nil {
		loc = time.UTC
	}
	return series{Meeting: m, rec: rec, loc: loc, cancelled: cancelled}, nil
}

// nextStart is the first occurrence starting at or after t (cancelled
// ones included); zero when the series has ended.
func (s series) nextStart(t time.Time) time.Time {
	if !t.After(s.FirstStart) {
		return s.FirstStart
	}
	return s.rec.Next(t.Add(-time.Second))
}

// upcoming lists up to n occurrences that have not ended by now, skipping
// cancelled ones.
func (s series) upcoming(now time.Time, n int) []time.Time {
	var out []time.Time
	t := s.nextStart(now.Add(-s.Duration))
	for guard := 0; !t.IsZero() && len(out) < n && guard < 1000; guard++ {
		if !s.cancelled[t.Unix()] {
			out = append(out, t)
		}
		t = s.rec.Next(t)
	}
	return out
}

// isOccurrence reports whether t is one of the series' starts.
func (s series) isOccurrence(t time.Time) bool {
	return !t.IsZero() && s.nextStart(t).Equal(t)
}

// reminderPayload names a reminder. GuildID and GroupID key the job; jobs
// queued by earlier versions lack them, which only matters when enqueueing.
type reminderPayload struct {
	GuildID   string `json:"guild_id,omitempty"`
	GroupID   int64  `json:"group_id,omitempty"`
	MeetingID int64  `json:"meeting_id"`
	StartsAt  int64  `json:"starts_at"`
	Offset    int64  `json:"offset_seconds"`
}

type advancePayload struct {
	GuildID   string `json:"guild_id,omitempty"`
	GroupID   int64  `json:"group_id,omitempty"`
	MeetingID int64  `json:"meeting_id"`
	StartsAt  int64  `json:"starts_at"` // the occurrence to prepare
}

// occurrenceJobs are the reminders of one occurrence, plus the job that
// prepares the occurrence after it. Reminders due before `from` are left
// out: from is when the occurrence could first be prepared (the scheduling
// time, or the preparing job's planned time), and a reminder that was
// already past then would only be noise (a 24h reminder for a meeting in
// two hours). A reminder due after `from` but before now is overdue because
// Kindred was down: it is queued anyway and sent at once, marked late, or
// dropped if the meeting has begun.
func occurrenceJobs(s series, start, from, now time.Time) []storage.NewJob {
	var jobs []storage.NewJob
	for _, off := range s.Reminders {
		at := start.Add(-off)
		if at.Before(from) {
			continue
		}
		jobs = append(jobs, meetingReminderJob.New(reminderPayload{
			GuildID: s.GuildID, GroupID: s.GroupID, MeetingID: s.ID, StartsAt: start.Unix(), Offset: int64(off / time.Second),
		}, at))
	}
	if next := s.rec.Next(start); !next.IsZero() {
		jobs = append(jobs, advanceJob(s, next, now))
	}
	return jobs
}

// advanceJob prepares the occurrence at start a little before its earliest
// reminder is due, so only one occurrence ahead is ever materialised and
// the reminders are queued before their time; or now, if that is past.
func advanceJob(s series, start, now time.Time) storage.NewJob {
	at := start.Add(-maxOffset(s.Reminders) - advanceLead)
	if at.Before(now) {
		at = now
	}
	return meetingAdvanceJob.New(advancePayload{
		GuildID: s.GuildID, GroupID: s.GroupID, MeetingID: s.ID, StartsAt: start.Unix(),
	}, at)
}

func maxOffset(ds []time.Duration) time.Duration {
	var m time.Duration
	for _, d := range ds {
		m = max(m, d)
	}
	return m
}

// ---- /meeting schedule ----

// meetingDraft is the meeting a /meeting schedule asks for, every option
// checked.
type meetingDraft struct {
	guildID    string
	createdBy  string
	group      storage.Group
	title      string
	typedStart string // the start as the member typed it, for the reply
	start      time.Time
	rec        scheduler.Recurrence
	loc        *time.Location
	zoneName   string
	zoneSource string // why the start was read in that zone, for the reply
	duration   time.Duration
	format     string
	location   string
	reminders  []time.Duration
}

func (f *Meetings) schedule(ctx context.Context, req *Request) (*Response, error) {
	now := f.env.Now()
	d, err := f.readMeetingDraft(ctx, req, now)
	if err != nil {
		return nil, err
	}
	s, err := f.createMeeting(ctx, d, now)
	if err != nil {
		return nil, err
	}
	postErr := f.announce(ctx, s, d.group, d.start)
	return Ephemeral(scheduledText(d, postErr)), nil
}

// readMeetingDraft reads and checks the options of /meeting schedule; the
// first one that is wrong is the UserError the member sees.
func (f *Meetings) readMeetingDraft(ctx context.Context, req *Request, now time.Time) (meetingDraft, error) {
	d := meetingDraft{guildID: req.GuildID, createdBy: req.UserID, typedStart: req.String("start")}
	var err error
	if d.group, err = f.activeGroup(ctx, req.GuildID, req.String("group")); err != nil {
		return meetingDraft{}, err
	}
	d.title = strings.TrimSpace(req.String("title"))
	if d.title == "" || len([]rune(d.title)) > maxMeetingTitle {
		return meetingDraft{}, UserErrorf("Give the meeting a title of up to %d characters, e.g. `title:Tuesday evening circle`.", maxMeetingTitle)
	}
	if d.zoneName, d.loc, d.zoneSource, err = f.zone(ctx, req, d.group); err != nil {
		return meetingDraft{}, err
	}
	start, err := scheduler.ParseStart(d.typedStart, now, d.loc)
	if err != nil {
		return meetingDraft{}, UserErrorf("%s", memberText(err))
	}
	repeat, err := scheduler.ParseRepeat(req.String("repeat"))
	if err != nil {
		return meetingDraft{}, UserErrorf("%s", memberText(err))
	}
	if d.rec, err = scheduler.NewRecurrence(repeat, start, d.loc); err != nil {
		return meetingDraft{}, UserErrorf("%s", memberText(err))
	}
	// A cron series starts at its first firing on or after the typed start.
	d.start = d.rec.First()
	minutes, err := req.IntOr("duration", defaultDuration)
	if err != nil {
		return meetingDraft{}, err
	}
	if minutes < minDuration || minutes > maxDuration {
		return meetingDraft{}, UserErrorf("A meeting lasts %d to %d minutes; for example `duration:90`.", minDuration, maxDuration)
	}
	d.duration = time.Duration(minutes) * time.Minute
	d.format = req.String("format")
	if d.format == "" {
		d.format = "online"
	}
	if !slices.Contains(meetingFormats, d.format) {
		return meetingDraft{}, UserErrorf("The format is one of online, in-person or hybrid.")
	}
	d.location = strings.TrimSpace(req.String("location"))
	if len([]rune(d.location)) > maxMeetingLocation {
		return meetingDraft{}, UserErrorf("The location can be up to %d characters; link to a page for directions.", maxMeetingLocation)
	}
	if d.reminders, err = scheduler.ParseOffsets(req.String("reminders")); err != nil {
		return meetingDraft{}, UserErrorf("%s", memberText(err))
	}
	return d, nil
}

// createMeeting saves the drafted meeting and the jobs of its first
// occurrence in one transaction.
func (f *Meetings) createMeeting(ctx context.Context, d meetingDraft, now time.Time) (series, error) {
	m, err := f.env.DB.CreateMeeting(ctx, storage.Meeting{
		GuildID: d.guildID, GroupID: d.group.ID, Title: d.title, FirstStart: d.start, Duration: d.duration,
		Format: d.format, Location: d.location, Recurrence: d.rec.Encode(), Timezone: d.zoneName, Reminders: d.reminders,
		CreatedBy: d.createdBy, CreatedAt: now,
	}, func(saved storage.Meeting) []storage.NewJob {
		return occurrenceJobs(series{Meeting: saved, rec: d.rec, loc: d.loc}, d.start, now, now)
	})
	if err != nil {
		return series{}, fmt.Errorf("create meeting: %w", err)
	}
	return series{Meeting: m, rec: d.rec, loc: d.loc, cancelled: map[int64]bool{}}, nil
}

// announce posts a new meeting's announcement with its buttons in the group
// channel and remembers the post. The meeting is saved either way: a failed
// post is logged and returned for the reply to explain.
func (f *Meetings) announce(ctx context.Context, s series, group storage.Group, start time.Time) error {
	msgID, err := f.env.Discord.Send(ctx, group.ChannelID, Message{
		Embeds:     []*discordgo.MessageEmbed{f.announcement(s, group, start)},
		Components: meetingButtons(s.ID, start, true),
	})
	if err != nil {
		f.env.Log.Warn("could not announce meeting", "meeting", s.ID, "channel", group.ChannelID, "err", err)
		return err
	}
	if err := f.env.DB.SetMeetingAnnouncement(ctx, s.ID, group.ChannelID, msgID); err != nil {
		f.env.Log.Warn("could not save announcement id", "meeting", s.ID, "err", err)
	}
	return nil
}

// scheduledText is the facilitator's reply to /meeting schedule: what was
// understood, and whether the announcement went out (postErr says why not).
func scheduledText(d meetingDraft, postErr error) string {
	lines := []string{
		fmt.Sprintf("Scheduled **%s** for %s: %s.", d.title, d.group.Name, d.rec.Describe()),
		fmt.Sprintf("Understood **%s** as %s, %s (%s, %s).", echo(d.typedStart, 40), d.start.In(d.loc).Format("Monday 2 January 2006, 15:04"),
			timestamp(d.start, "R"), d.zoneName, d.zoneSource),
		fmt.Sprintf("Reminders: %s before each meeting.", formatOffsets(d.reminders)),
	}
	if postErr != nil {
		lines = append(lines, fmt.Sprintf("⚠️ I couldn't post the announcement in <#%s> (%s). Check that Kindred can view and send messages there; the meeting is saved and reminders will try again.", d.group.ChannelID, discordProblem(postErr)))
	} else {
		lines = append(lines, fmt.Sprintf("Announced in <#%s> with RSVP buttons.", d.group.ChannelID))
	}
	return strings.Join(lines, "\n")
}

// zone picks the timezone a typed time is read in: the option, else the
// member's, else the group's, else the server's, else UTC.
func (f *Meetings) zone(ctx context.Context, req *Request, group storage.Group) (name string, loc *time.Location, source string, err error) {
	if req.Has("timezone") {
		name, loc, err := lookupZone(req.String("timezone"))
		return name, loc, "the timezone you gave", err
	}
	z, err := resolveZone(ctx, f.env.DB, whose{userID: req.UserID, group: &group, guildID: req.GuildID})
	if err != nil {
		return "", nil, "", err
	}
	if z.source == zoneUTC {
		return z.name, z.loc, "no timezone is set: `/preferences timezone` sets yours", nil
	}
	return z.name, z.loc, string(z.source), nil
}

func (f *Meetings) announcement(s series, group storage.Group, next time.Time) *discordgo.MessageEmbed {
	fields := []*discordgo.MessageEmbedField{
		{Name: "When", Value: fmt.Sprintf("%s (%s)", timestamp(next, "F"), timestamp(next, "R")), Inline: false},
		{Name: "Repeats", Value: s.rec.Describe(), Inline: true},
		{Name: "Length", Value: fmt.Sprintf("%d minutes", int(s.Duration/time.Minute)), Inline: true},
		{Name: "Format", Value: s.Format, Inline: true},
	}
	if s.Location != "" {
		fields = append(fields, &discordgo.MessageEmbedField{Name: "Where", Value: s.Location})
	}
	return &discordgo.MessageEmbed{
		Title:       s.Title,
		Description: fmt.Sprintf("A meeting of **%s**. Let the group know if you're coming:", group.Name),
		Color:       colourCalm,
		Fields:      fields,
		Footer:      &discordgo.MessageEmbedFooter{Text: "Your answer is for this date; you can change it any time."},
	}
}

// meetingButtons are the RSVP buttons of an occurrence and, during the
// meeting window, I'm here.
func meetingButtons(meetingID int64, start time.Time, withHere bool) []discordgo.MessageComponent {
	row := discordgo.ActionsRow{}
	for _, b := range rsvpButtons(meetingID, start) {
		row.Components = append(row.Components, discordgo.Button{Label: b.Label, Style: b.Style.discord(), CustomID: b.CustomID})
	}
	if withHere {
		row.Components = append(row.Components, discordgo.Button{Label: "I'm here", Style: discordgo.PrimaryButton, CustomID: hereButton.ID(meetingID, start.Unix())})
	}
	return []discordgo.MessageComponent{row}
}

// rsvpButtons are the Going, Maybe and Can't go buttons of an occurrence,
// as plain data so a reminder's DM can carry them too.
func rsvpButtons(meetingID int64, start time.Time) []DMButton {
	return []DMButton{
		{Label: "Going", Style: ButtonSuccess, CustomID: rsvpButton.ID(meetingID, start.Unix(), storage.RSVPGoing)},
		{Label: "Maybe", Style: ButtonSecondary, CustomID: rsvpButton.ID(meetingID, start.Unix(), storage.RSVPMaybe)},
		{Label: "Can't go", Style: ButtonSecondary, CustomID: rsvpButton.ID(meetingID, start.Unix(), storage.RSVPNo)},
	}
}

// ---- buttons ----

// occurrenceParts reads the meeting and start of an RSVP or I'm here button.
func occurrenceParts(req *Request) (meetingID int64, start time.Time) {
	return req.Parts.Int("meeting"), time.Unix(req.Parts.Int("start"), 0).UTC()
}

// occurrenceFor finds the meeting behind a button and checks the
// occurrence is still on. The id proves nothing: a button pressed in a
// server must name one of that server's meetings, and one pressed in a DM
// (reminders carry RSVP buttons) one of a server the member is in now. A
// crafted id gets the answer a deleted meeting gets.
func (f *Meetings) occurrenceFor(ctx context.Context, req *Request, meetingID int64, start time.Time) (series, error) {
	// Built only when needed: this path runs on every RSVP press.
	gone := func() error { return UserErrorf("That meeting no longer exists.") }
	m, err := f.env.DB.Meeting(ctx, meetingID)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return series{}, gone()
	case err != nil:
		return series{}, err
	case req.InGuild() && m.GuildID != req.GuildID:
		return series{}, gone()
	case !req.InGuild():
		if member, err := stillIn(ctx, f.env, m.GuildID, req.UserID); err != nil {
			return series{}, err
		} else if !member {
			return series{}, gone()
		}
	}
	s, err := f.load(ctx, m)
	if err != nil {
		return series{}, err
	}
	if !m.CancelledAt.IsZero() {
		return series{}, UserErrorf("**%s** has been cancelled.", m.Title)
	}
	if !s.isOccurrence(start) {
		return series{}, UserErrorf("That date isn't part of **%s** any more.", m.Title)
	}
	if s.cancelled[start.Unix()] {
		return series{}, UserErrorf("**%s** on %s has been cancelled.", m.Title, timestamp(start, "F"))
	}
	return s, nil
}

func (f *Meetings) rsvp(ctx context.Context, req *Request) (*Response, error) {
	meetingID, start := occurrenceParts(req)
	answer := req.Parts.String("answer")
	if answer != storage.RSVPGoing && answer != storage.RSVPMaybe && answer != storage.RSVPNo {
		return nil, rsvpButton.Stale()
	}
	s, err := f.occurrenceFor(ctx, req, meetingID, start)
	if err != nil {
		return nil, err
	}
	now := f.env.Now()
	if !now.Before(start.Add(s.Duration)) {
		return nil, UserErrorf("**%s** on %s is over. Thank you for answering anyway.", s.Title, timestamp(start, "F"))
	}
	if err := f.env.DB.SetRSVP(ctx, meetingID, start, req.UserID, answer, now); err != nil {
		return nil, err
	}
	var text string
	switch answer {
	case storage.RSVPGoing:
		text = fmt.Sprintf("You're **going** to **%s** on %s. See you there!", s.Title, timestamp(start, "F"))
	case storage.RSVPMaybe:
		text = fmt.Sprintf("You **might** come to **%s** on %s. No pressure.", s.Title, timestamp(start, "F"))
	default:
		text = fmt.Sprintf("Noted: you **can't make** **%s** on %s. You're welcome next time.", s.Title, timestamp(start, "F"))
	}
	if answer != storage.RSVPNo {
		text += " You'll get the reminders by DM too, unless you've turned DMs off (`/preferences dms`)."
	}
	return Ephemeral(text + " You can change your answer with the buttons any time."), nil
}

func (f *Meetings) here(ctx context.Context, req *Request) (*Response, error) {
	meetingID, start := occurrenceParts(req)
	s, err := f.occurrenceFor(ctx, req, meetingID, start)
	if err != nil {
		return nil, err
	}
	now := f.env.Now()
	opens, ends := start.Add(-hereEarly), start.Add(s.Duration)
	if now.Before(opens) {
		return nil, UserErrorf("**%s** starts %s. **I'm here** works from %d minutes before the start until it ends.", s.Title, timestamp(start, "R"), int(hereEarly/time.Minute))
	}
	if !now.Before(ends) {
		return nil, UserErrorf("**%s** on %s has ended, so attendance is closed.", s.Title, timestamp(start, "F"))
	}
	already, err := f.env.DB.MarkAttendance(ctx, meetingID, start, req.UserID, now)
	if err != nil {
		return nil, err
	}
	if already {
		return Ephemeral(fmt.Sprintf("You're already marked as here for **%s**. Welcome!", s.Title)), nil
	}
	return Ephemeral(fmt.Sprintf("Welcome to **%s**! You're marked as here.", s.Title)), nil
}

// ---- timed work ----

// reminderStale: a reminder for an occurrence that has started is pointless.
func reminderStale(p reminderPayload, now time.Time) bool {
	return !now.Before(time.Unix(p.StartsAt, 0))
}

// remind posts an occurrence's reminder in the group channel and queues a
// DM for each member who answered Going or Maybe. A rerun after a crash
// finds the channel post in the sent log and doesn't post again; the DM
// jobs are deduplicated by their keys.
func (f *Meetings) remind(ctx context.Context, job storage.Job, p reminderPayload) ([]storage.NewJob, error) {
	start := time.Unix(p.StartsAt, 0).UTC()
	m, err := f.env.DB.Meeting(ctx, p.MeetingID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	s, err := f.load(ctx, m)
	if err != nil {
		return nil, err
	}
	if !m.CancelledAt.IsZero() || s.cancelled[start.Unix()] {
		return nil, nil
	}
	group, live, err := liveGroup(ctx, f.env, m.GroupID)
	if err != nil || !live {
		return nil, err
	}
	now := f.env.Now()
	text := reminderText(m, group, start, now.Sub(job.RunAt) > lateGrace)
	if err := f.postReminder(ctx, job.DedupeKey, m, group, start, text, now); err != nil {
		return nil, err
	}
	return f.reminderDMs(ctx, job.DedupeKey, m, start, text, now)
}

// reminderText is a reminder as the channel and the DMs show it; late
// says Kindred was offline when it was due.
func reminderText(m storage.Meeting, group storage.Group, start time.Time, late bool) string {
	text := fmt.Sprintf("⏰ **%s** (%s) starts %s, %s.", m.Title, group.Name, timestamp(start, "R"), timestamp(start, "F"))
	if m.Location != "" {
		text += "\nWhere: " + m.Location
	}
	if late {
		text += "\n_This reminder is late: Kindred was offline when it was due._"
	}
	return text
}

// postReminder posts the reminder with its buttons in the group channel,
// unless the sent log shows a run before a crash already did.
func (f *Meetings) postReminder(ctx context.Context, jobKey string, m storage.Meeting, group storage.Group, start time.Time, text string, now time.Time) error {
	channelKey := storage.ChannelPostKey(jobKey)
	if _, sent, err := f.env.DB.SentRef(ctx, channelKey); err != nil || sent {
		return err
	}
	msgID, err := f.env.Discord.Send(ctx, group.ChannelID, Message{
		Content:    text,
		Components: meetingButtons(m.ID, start, true),
		Nonce:      nonceFor(channelKey),
	})
	if err != nil {
		return fmt.Errorf("post reminder for meeting %d: %w", m.ID, err)
	}
	return f.env.DB.RecordSent(ctx, channelKey, msgID, now)
}

// reminderDMs are the DM jobs of a reminder: one for each member who
// answered Going or Maybe, with the RSVP buttons. Each is written at the
// reminder's completion only if that answer still stands then: a member
// who erased their data (or changed their answer) meanwhile gets no DM
// job naming them.
func (f *Meetings) reminderDMs(ctx context.Context, jobKey string, m storage.Meeting, start time.Time, text string, now time.Time) ([]storage.NewJob, error) {
	rsvps, err := f.env.DB.RSVPs(ctx, m.ID, start)
	if err != nil {
		return nil, err
	}
	var dms []storage.NewJob
	for _, r := range rsvps {
		if r.Answer != storage.RSVPGoing && r.Answer != storage.RSVPMaybe {
			continue
		}
		dm := dmJob.New(DMMessage{
			Key: storage.DMJobKey(jobKey, r.UserID), UserID: r.UserID, GuildID: m.GuildID,
			Content: text, ValidUntil: start.Unix(), Buttons: rsvpButtons(m.ID, start),
		}, now)
		dm.Requires = storage.RequireRSVP(m.ID, start, r.UserID, storage.RSVPGoing, storage.RSVPMaybe)
		dms = append(dms, dm)
	}
	return dms, nil
}

// advance prepares the next occurrence of a series: its reminders and the
// job that prepares the one after it. After downtime that outlasted the
// occurrence's start, whose reminders would all be stale, it goes straight
// to preparing the first occurrence that hasn't started, as if that one's
// own job had been waiting: one step however many were missed.
func (f *Meetings) advance(ctx context.Context, job storage.Job, p advancePayload) ([]storage.NewJob, error) {
	m, err := f.env.DB.Meeting(ctx, p.MeetingID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !m.CancelledAt.IsZero() {
		return nil, nil
	}
	if _, live, err := liveGroup(ctx, f.env, m.GroupID); err != nil || !live {
		return nil, err
	}
	s, err := f.load(ctx, m)
	if err != nil {
		return nil, err
	}
	start, now := time.Unix(p.StartsAt, 0).UTC(), f.env.Now()
	if !now.Before(start) {
		next := s.rec.Next(now)
		if next.IsZero() {
			return nil, nil
		}
		f.env.Log.Info("meeting occurrences missed; preparing the next", "meeting", m.ID, "missed", start, "next", next)
		return []storage.NewJob{advanceJob(s, next, now)}, nil
	}
	return occurrenceJobs(s, start, job.RunAt, now), nil
}

// ---- /meeting list, info ----

func (f *Meetings) list(ctx context.Context, req *Request) (*Response, error) {
	groupID, err := f.groupFilter(ctx, req)
	if err != nil {
		return nil, err
	}
	upcoming, err := f.upcoming(ctx, req.GuildID, groupID, f.env.Now(), upcomingShown)
	if err != nil {
		return nil, err
	}
	if len(upcoming) == 0 {
		return Ephemeral("No meetings are coming up. Facilitators schedule them with `/meeting schedule`."), nil
	}
	lines := make([]string, 0, len(upcoming))
	for _, o := range upcoming {
		line := fmt.Sprintf("• %s · **%s** (%s)", timestamp(o.start, "F"), o.s.Title, o.group.Name)
		if o.s.Location != "" {
			line += " · " + clip(o.s.Location, 60)
		}
		lines = append(lines, line)
	}
	return &Response{Ephemeral: true, Embeds: []*discordgo.MessageEmbed{{
		Title: "Upcoming meetings", Description: fitLines(lines, maxEmbedDescription), Color: colourCalm,
		Footer: &discordgo.MessageEmbedFooter{Text: "Times are shown in your own timezone. /meeting info has the details."},
	}}}, nil
}

type occurrence struct {
	s     series
	group storage.Group
	start time.Time
}

// upcoming lists the server's next occurrences, soonest first.
func (f *Meetings) upcoming(ctx context.Context, guildID string, groupID int64, now time.Time, n int) ([]occurrence, error) {
	meetings, err := f.env.DB.ActiveMeetings(ctx, guildID, groupID)
	if err != nil {
		return nil, err
	}
	groups := map[int64]storage.Group{}
	var out []occurrence
	for _, m := range meetings {
		s, err := f.load(ctx, m)
		if err != nil {
			return nil, err
		}
		g, ok := groups[m.GroupID]
		if !ok {
			if g, err = f.env.DB.Group(ctx, m.GroupID); err != nil {
				return nil, err
			}
			groups[m.GroupID] = g
		}
		for _, t := range s.upcoming(now, n) {
			out = append(out, occurrence{s: s, group: g, start: t})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].start.Before(out[j].start) })
	if len(out) > n {
		out = out[:n]
	}
	return out, nil
}

func (f *Meetings) info(ctx context.Context, req *Request) (*Response, error) {
	s, group, err := f.meetingOption(ctx, req)
	if err != nil {
		return nil, err
	}
	now := f.env.Now()
	next := s.upcoming(now, 5)
	fields := []*discordgo.MessageEmbedField{
		{Name: "Group", Value: group.Name, Inline: true},
		{Name: "Repeats", Value: s.rec.Describe(), Inline: true},
		{Name: "Length", Value: fmt.Sprintf("%d minutes", int(s.Duration/time.Minute)), Inline: true},
		{Name: "Format", Value: s.Format, Inline: true},
		{Name: "Reminders", Value: formatOffsets(s.Reminders) + " before", Inline: true},
	}
	if s.Location != "" {
		fields = append(fields, &discordgo.MessageEmbedField{Name: "Where", Value: s.Location})
	}
	if len(next) == 0 {
		fields = append(fields, &discordgo.MessageEmbedField{Name: "Next", Value: "No dates ahead."})
	} else {
		var dates []string
		for _, t := range next {
			dates = append(dates, timestamp(t, "F"))
		}
		fields = append(fields, &discordgo.MessageEmbedField{Name: "Next dates", Value: strings.Join(dates, "\n")})
		rsvps, err := f.env.DB.RSVPs(ctx, s.ID, next[0])
		if err != nil {
			return nil, err
		}
		counts := map[string]int{}
		for _, r := range rsvps {
			counts[r.Answer]++
		}
		fields = append(fields, &discordgo.MessageEmbedField{Name: "Answers for the next one",
			Value: fmt.Sprintf("%d going · %d maybe · %d can't go", counts[storage.RSVPGoing], counts[storage.RSVPMaybe], counts[storage.RSVPNo])})
	}
	return &Response{Ephemeral: true, Embeds: []*discordgo.MessageEmbed{{Title: s.Title, Color: colourCalm, Fields: fields}}}, nil
}

// ---- /meeting cancel ----

func (f *Meetings) cancel(ctx context.Context, req *Request) (*Response, error) {
	s, group, err := f.meetingOption(ctx, req)
	if err != nil {
		return nil, err
	}
	now := f.env.Now()
	if !req.Has("occurrence") {
		if err := f.env.DB.CancelMeeting(ctx, s.ID, storage.MeetingJobPrefix(s.GroupID, s.ID), now); errors.Is(err, storage.ErrConflict) {
			return nil, UserErrorf("**%s** was already cancelled.", s.Title)
		} else if err != nil {
			return nil, err
		}
		f.notice(ctx, group.ChannelID, fmt.Sprintf("**%s** (%s) has been cancelled. No more reminders will be sent for it.", s.Title, group.Name))
		return Ephemeral(fmt.Sprintf("Cancelled **%s**: every date and its reminders. The group channel has been told.", s.Title)), nil
	}
	day, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(req.String("occurrence")), s.loc)
	if err != nil {
		example := "2026-12-08"
		if next := s.upcoming(now, 1); len(next) > 0 {
			example = next[0].In(s.loc).Format("2006-01-02")
		}
		return nil, UserErrorf("I couldn't read `%s` as a date. Use the meeting's date as year-month-day, e.g. `occurrence:%s`.",
			echo(req.String("occurrence"), 20), example)
	}
	start := s.nextStart(day)
	if start.IsZero() || start.In(s.loc).Format("2006-01-02") != day.Format("2006-01-02") {
		return nil, UserErrorf("**%s** doesn't meet on %s. Its next dates: %s.", s.Title, day.Format("Monday 2 January 2006"), datesList(s.upcoming(now, 3), s.loc))
	}
	if !now.Before(start) {
		return nil, UserErrorf("**%s** on %s has already started; only dates ahead can be cancelled.", s.Title, timestamp(start, "F"))
	}
	if err := f.env.DB.CancelOccurrence(ctx, s.ID, start, req.UserID, storage.OccurrenceJobPrefix(s.GroupID, s.ID, start), now); errors.Is(err, storage.ErrConflict) {
		return nil, UserErrorf("**%s** on %s was already cancelled.", s.Title, timestamp(start, "F"))
	} else if err != nil {
		return nil, err
	}
	f.notice(ctx, group.ChannelID, fmt.Sprintf("**%s** (%s) on %s is cancelled. Other dates go ahead as planned.", s.Title, group.Name, timestamp(start, "F")))
	return Ephemeral(fmt.Sprintf("Cancelled **%s** on %s; its reminders won't be sent. The group channel has been told.", s.Title, timestamp(start, "F"))), nil
}

// notice posts a short message in a group channel; failing to post is
// logged, never fatal, because the cancellation itself is already saved.
func (f *Meetings) notice(ctx context.Context, channelID, text string) {
	if _, err := f.env.Discord.Send(ctx, channelID, Message{Content: text}); err != nil {
		f.env.Log.Warn("could not post notice", "channel", channelID, "err", err)
	}
}

// ---- /meeting attendance ----

func (f *Meetings) attendance(ctx context.Context, req *Request) (*Response, error) {
	s, _, err := f.meetingOption(ctx, req)
	if err != nil {
		return nil, err
	}
	now := f.env.Now()
	since := now.Add(-attendanceWindow)
	rows, err := f.env.DB.MeetingAttendance(ctx, s.ID, since)
	if err != nil {
		return nil, err
	}
	held := s.opened(since, now)
	if len(held) == 0 {
		return Ephemeral(fmt.Sprintf("**%s** hasn't met in the last 8 weeks yet.", s.Title)), nil
	}
	perOccurrence := map[int64]int{}
	perMember := map[string]int{}
	for _, a := range rows {
		perOccurrence[a.StartsAt.Unix()]++
		perMember[a.UserID]++
	}
	// Newest first, so that a long series loses its oldest meetings.
	meetings := make([]string, 0, len(held))
	for i := len(held) - 1; i >= 0; i-- {
		t := held[i]
		meetings = append(meetings, fmt.Sprintf("• %s: %d here", timestamp(t, "D"), perOccurrence[t.Unix()]))
	}
	members := make([]string, 0, len(perMember))
	for u := range perMember {
		members = append(members, u)
	}
	sort.Slice(members, func(i, j int) bool {
		if perMember[members[i]] != perMember[members[j]] {
			return perMember[members[i]] > perMember[members[j]]
		}
		return members[i] < members[j]
	})
	memberLines := make([]string, len(members))
	for i, u := range members {
		memberLines[i] = fmt.Sprintf("• <@%s>: %d of %d", u, perMember[u], len(held))
	}
	who := "No one has marked **I'm here** yet."
	if len(memberLines) > 0 {
		who = fitLines(memberLines, maxFieldValue)
	}
	return &Response{Ephemeral: true, Embeds: []*discordgo.MessageEmbed{{
		Title: "Attendance: " + s.Title, Color: colourCalm,
		Fields: []*discordgo.MessageEmbedField{
			{Name: "Meetings in the last 8 weeks", Value: joinFitted("", meetings, "\n", maxFieldValue, earlierMeetings)},
			{Name: "Members", Value: who},
		},
		Footer: &discordgo.MessageEmbedFooter{Text: "Counted from the I'm here button. Shown only to you."},
	}}}, nil
}

// earlierMeetings ends an attendance list that leaves out n older meetings.
func earlierMeetings(n int) string {
	return fmt.Sprintf("… and %s before these", nouns(n, "earlier meeting"))
}

// opened lists the occurrences since since, not cancelled, whose
// attendance has opened by now: those held, the one in progress, and one
// starting within hereEarly, whose I'm here already counts.
func (s series) opened(since, now time.Time) []time.Time {
	var out []time.Time
	for t, guard := s.nextStart(since), 0; !t.IsZero() && !now.Before(t.Add(-hereEarly)) && guard < 10000; t, guard = s.rec.Next(t), guard+1 {
		if !s.cancelled[t.Unix()] {
			out = append(out, t)
		}
	}
	return out
}

// ---- shared option handling ----

// groupFilter reads the optional `group` option of the listing
// subcommands: 0 means every group.
func (f *Meetings) groupFilter(ctx context.Context, req *Request) (int64, error) {
	if !req.Has("group") {
		return 0, nil
	}
	g, err := f.activeGroup(ctx, req.GuildID, req.String("group"))
	if err != nil {
		return 0, err
	}
	return g.ID, nil
}

// activeGroup finds a group by the name a member chose; archived and
// unknown groups are explained.
func (f *Meetings) activeGroup(ctx context.Context, guildID, name string) (storage.Group, error) {
	return activeGroupByName(ctx, f.env, guildID, name)
}

// meetingOption reads the `meeting` option: an id from autocomplete, or a
// title typed in full.
func (f *Meetings) meetingOption(ctx context.Context, req *Request) (series, storage.Group, error) {
	typed := strings.TrimSpace(req.String("meeting"))
	meetings, err := f.env.DB.ActiveMeetings(ctx, req.GuildID, 0)
	if err != nil {
		return series{}, storage.Group{}, err
	}
	var found []storage.Meeting
	for _, m := range meetings {
		if strconv.FormatInt(m.ID, 10) == typed {
			found = []storage.Meeting{m}
			break
		}
		if strings.EqualFold(m.Title, typed) {
			found = append(found, m)
		}
	}
	switch {
	case len(found) == 0:
		return series{}, storage.Group{}, UserErrorf("I can't find a meeting called `%s` in this server. Pick one from the list as you type, or see `/meeting list`.", echo(typed, 60))
	case len(found) > 1:
		return series{}, storage.Group{}, UserErrorf("Several meetings are called `%s`; pick the one you mean from the list as you type.", echo(typed, 60))
	}
	s, err := f.load(ctx, found[0])
	if err != nil {
		return series{}, storage.Group{}, err
	}
	g, err := f.env.DB.Group(ctx, found[0].GroupID)
	if err != nil {
		return series{}, storage.Group{}, err
	}
	return s, g, nil
}

// autocomplete serves the group, meeting, start and timezone options of /meeting.
func (f *Meetings) autocomplete(ctx context.Context, req *Request) (*Response, error) {
	switch req.Focused {
	case "timezone":
		return timezoneAutocomplete(ctx, req)
	case "group":
		return groupAutocomplete(ctx, f.env, req)
	case "start":
		return f.startAutocomplete(ctx, req)
	case "meeting":
		return f.meetingAutocomplete(ctx, req)
	}
	return Choices(nil), nil
}

// startAutocomplete shows how the typed start will be understood.
func (f *Meetings) startAutocomplete(ctx context.Context, req *Request) (*Response, error) {
	var group storage.Group
	if g, err := activeGroupByName(ctx, f.env, req.GuildID, req.String("group")); err == nil {
		group = g
	}
	zoneName, loc, _, err := f.zone(ctx, req, group)
	if err != nil {
		zoneName, loc = "UTC", time.UTC
	}
	typed := strings.TrimSpace(req.FocusedValue())
	now := f.env.Now()
	var choices []*discordgo.ApplicationCommandOptionChoice
	add := func(input string) {
		t, err := scheduler.ParseStart(input, now, loc)
		if err != nil {
			return
		}
		value := t.In(loc).Format("2006-01-02 15:04")
		for _, c := range choices {
			if c.Value == value {
				return
			}
		}
		name := fmt.Sprintf("%s (%s)", t.In(loc).Format("Mon 2 Jan 2006, 15:04"), zoneName)
		choices = append(choices, &discordgo.ApplicationCommandOptionChoice{Name: clip(name, maxChoiceLength), Value: value})
	}
	if typed != "" {
		add(typed)
	}
	if len(choices) == 0 {
		for _, example := range []string{"tomorrow 19:00", "19:00", "mon 19:00", "tue 19:00", "wed 19:00", "thu 19:00", "fri 19:00", "sat 11:00", "sun 11:00"} {
			add(example)
		}
	}
	return Choices(choices), nil
}

func (f *Meetings) meetingAutocomplete(ctx context.Context, req *Request) (*Response, error) {
	typed := strings.ToLower(strings.TrimSpace(req.FocusedValue()))
	meetings, err := f.env.DB.ActiveMeetings(ctx, req.GuildID, 0)
	if err != nil {
		return nil, err
	}
	now := f.env.Now()
	var choices []*discordgo.ApplicationCommandOptionChoice
	for _, m := range meetings {
		if typed != "" && !strings.Contains(strings.ToLower(m.Title), typed) {
			continue
		}
		s, err := f.load(ctx, m)
		if err != nil {
			return nil, err
		}
		label := m.Title
		if next := s.upcoming(now, 1); len(next) > 0 {
			label += " · next " + next[0].In(s.loc).Format("Mon 2 Jan 15:04") + " " + s.Timezone
		} else {
			label += " · no dates ahead"
		}
		choices = append(choices, &discordgo.ApplicationCommandOptionChoice{Name: clip(label, maxChoiceLength), Value: strconv.FormatInt(m.ID, 10)})
		if len(choices) == maxChoices {
			break
		}
	}
	return Choices(choices), nil
}

// ---- small helpers ----

// memberText is the message of a parser error, meant for members.
func memberText(err error) string {
	return err.Error()
}

func formatOffsets(ds []time.Duration) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = scheduler.FormatOffset(d)
	}
	return strings.Join(parts, ", ")
}

func datesList(ts []time.Time, loc *time.Location) string {
	if len(ts) == 0 {
		return "none ahead"
	}
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = t.In(loc).Format("2006-01-02")
	}
	return strings.Join(parts, ", ")
}

// ---- /meeting calendar ----

// calendarExpand is how many dates of a series that iCalendar's RRULE
// can't express are listed one by one.
const calendarExpand = 20

func (f *Meetings) calendar(ctx context.Context, req *Request) (*Response, error) {
	groupID, err := f.groupFilter(ctx, req)
	if err != nil {
		return nil, err
	}
	meetings, err := f.env.DB.ActiveMeetings(ctx, req.GuildID, groupID)
	if err != nil {
		return nil, err
	}
	now := f.env.Now()
	cal := ical.Calendar{ProdID: "-//Kindred//Peer support meetings//EN", Name: "Kindred meetings"}
	for _, m := range meetings {
		s, err := f.load(ctx, m)
		if err != nil {
			return nil, err
		}
		if len(s.upcoming(now, 1)) == 0 {
			continue
		}
		g, err := f.env.DB.Group(ctx, m.GroupID)
		if err != nil {
			return nil, err
		}
		cal.Events = append(cal.Events, calendarEvents(s, g, now)...)
	}
	if len(cal.Events) == 0 {
		return Ephemeral("No meetings are coming up, so there's nothing to put in a calendar yet."), nil
	}
	var buf bytes.Buffer
	if _, err := cal.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("write calendar: %w", err)
	}
	return &Response{
		Ephemeral: true,
		Content:   fmt.Sprintf("Here are %d upcoming meeting series and dates as a calendar file. Open it, or import it in your calendar app; recurring meetings keep their local time.", len(cal.Events)),
		Files:     []*discordgo.File{{Name: "kindred-meetings.ics", ContentType: "text/calendar; charset=utf-8", Reader: &buf}},
	}, nil
}

// calendarEvents are a series' calendar entries: one recurring event with
// its cancelled dates excluded when iCalendar's RRULE can express the
// series, else its next calendarExpand dates one by one.
func calendarEvents(s series, g storage.Group, now time.Time) []ical.Event {
	event := ical.Event{
		Summary:     s.Title,
		Description: fmt.Sprintf("A meeting of %s. RSVP in the group's channel on Discord.", g.Name),
		Location:    s.Location,
		Duration:    s.Duration,
		TZ:          s.loc,
		Stamp:       now.UTC(),
	}
	if rule, ok := s.rec.RRule(); ok {
		event.UID = fmt.Sprintf("meeting-%d@kindred-%s", s.ID, s.GuildID)
		event.Start = s.FirstStart
		event.RRule = rule
		for unix := range s.cancelled {
			event.ExDates = append(event.ExDates, time.Unix(unix, 0).UTC())
		}
		sort.Slice(event.ExDates, func(i, j int) bool { return event.ExDates[i].Before(event.ExDates[j]) })
		return []ical.Event{event}
	}
	var events []ical.Event
	for _, t := range s.upcoming(now, calendarExpand) {
		e := event
		e.UID = fmt.Sprintf("meeting-%d-%d@kindred-%s", s.ID, t.Unix(), s.GuildID)
		e.Start = t
		events = append(events, e)
	}
	return events
}

// groupActivity is what /group list and /group info say about a group's
// meetings.
type groupActivity struct {
	next     time.Time // zero when nothing is scheduled
	schedule []string  // one line per active series
	held     int       // occurrences held in the last 8 weeks
	attended int       // "I'm here" marks at them
}

// averageAttendance is people per meeting held, or -1 with none held.
func (a groupActivity) averageAttendance() float64 {
	if a.held == 0 {
		return -1
	}
	return float64(a.attended) / float64(a.held)
}

func meetingActivity(ctx context.Context, env Env, groupID int64, now time.Time) (groupActivity, error) {
	meetings, err := env.DB.GroupMeetings(ctx, groupID)
	if err != nil {
		return groupActivity{}, err
	}
	f := &Meetings{env: env}
	since := now.Add(-attendanceWindow)
	var a groupActivity
	for _, m := range meetings {
		s, err := f.load(ctx, m)
		if err != nil {
			return groupActivity{}, err
		}
		until := now
		if !m.CancelledAt.IsZero() && m.CancelledAt.Before(now) {
			until = m.CancelledAt
		}
		held := s.opened(since, until)
		a.held += len(held)
		if len(held) > 0 {
			rows, err := env.DB.MeetingAttendance(ctx, m.ID, since)
			if err != nil {
				return groupActivity{}, err
			}
			a.attended += len(rows)
		}
		if !m.CancelledAt.IsZero() {
			continue
		}
		if next := s.upcoming(now, 1); len(next) > 0 {
			if a.next.IsZero() || next[0].Before(a.next) {
				a.next = next[0]
			}
			a.schedule = append(a.schedule, fmt.Sprintf("**%s**: %s", m.Title, s.rec.Describe()))
		}
	}
	return a, nil
}
