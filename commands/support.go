package commands

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/kindred-bot/kindred/scheduler"
	"github.com/kindred-bot/kindred/storage"
)

// Support on request: peer supporters (members with the server's
// supporter role) go on duty with /supporter on; a member asks with
// /support and gets a private thread in the support channel, and a card
// there that one supporter takes. Support happens in the thread, never in
// DMs; only the "did it help?" question after it closes arrives by DM,
// because a closed thread is locked.
const (
	maxSupportTopic   = 200
	defaultShiftHours = 2
	maxShiftHours     = 8
	// maxHeldRequests is how many open requests one supporter may hold.
	maxHeldRequests = 2
	// supportWait is how long a request waits before the member is told
	// nobody has taken it yet.
	supportWait = 10 * time.Minute
	// supportIdle closes a request with no recorded activity (opened,
	// taken) for this long.
	supportIdle = 24 * time.Hour
	// supportModeratorPause is how long after a moderator ended a member's
	// request they can't open another.
	supportModeratorPause = 24 * time.Hour
	// supportStatsWeeks and supportStatsMin: /supporter stats shows this
	// many whole past weeks, hiding a week with fewer requests than the min.
	supportStatsWeeks = 8
	supportStatsMin   = 5
)

var supporterCommand = &discordgo.ApplicationCommand{
	Name:        "supporter",
	Description: "Peer supporters: go on or off duty, see open requests",
	Options: []*discordgo.ApplicationCommandOption{
		{
			Type: discordgo.ApplicationCommandOptionSubCommand, Name: "on", Description: "Go on duty for a few hours",
			Options: []*discordgo.ApplicationCommandOption{{
				Type: discordgo.ApplicationCommandOptionInteger, Name: "hours", Description: "How long, 1 to 8 hours (default 2)",
				MinValue: floatPtr(1), MaxValue: maxShiftHours,
			}},
		},
		{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "off", Description: "Go off duty"},
		{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "status", Description: "Who is on duty, and the open requests"},
		{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "stats", Description: "Requests per week, anonymously (moderators)"},
	},
}

var supportCommand = &discordgo.ApplicationCommand{
	Name:        "support",
	Description: "Ask for a peer supporter to talk to, in a private thread",
	Options: []*discordgo.ApplicationCommandOption{{
		Type: discordgo.ApplicationCommandOptionString, Name: "topic", Description: "What you'd like to talk about, if you want to say (supporters see it)",
		MaxLength: maxSupportTopic,
	}},
}

// The buttons of support on request.
var (
	// supportTakeButton is a card's I'll take this.
	supportTakeButton = NewIDPattern("support:take:{request:int}").Again("/supporter status")
	// supportCloseButton is Close, on the card and in the thread.
	supportCloseButton = NewIDPattern("support:close:{request:int}")
	// supportFeedbackButton answers "did it help?" (answer yes or no).
	supportFeedbackButton = NewIDPattern("support:helped:{request:int}:{answer}")
)

// Payloads of support's jobs.
type shiftEndPayload struct {
	GuildID string `json:"guild_id"`
	UserID  string `json:"user_id"`
	EndsAt  int64  `json:"ends_at"`
}

type supportTimerPayload struct {
	GuildID   string `json:"guild_id"`
	UserID    string `json:"user_id"` // who asked
	RequestID int64  `json:"request_id"`
	At        int64  `json:"at,omitempty"`
}

var (
	// supportShiftEndJob ends a supporter's duty and thanks them.
	supportShiftEndJob = scheduler.JobDef[shiftEndPayload]{
		Kind: "support.shift_end",
		Key: func(p shiftEndPayload, _ time.Time) string {
			return storage.SupporterShiftJobKey(p.GuildID, p.UserID, time.Unix(p.EndsAt, 0))
		},
		Guild: func(p shiftEndPayload) string { return p.GuildID },
		User:  func(p shiftEndPayload) string { return p.UserID },
	}
	// supportWaitJob tells a member whose request nobody took in
	// supportWait, in their thread, and shows the resources.
	supportWaitJob = scheduler.JobDef[supportTimerPayload]{
		Kind:  "support.wait",
		Key:   func(p supportTimerPayload, _ time.Time) string { return storage.SupportWaitJobKey(p.RequestID) },
		Guild: func(p supportTimerPayload) string { return p.GuildID },
		User:  func(p supportTimerPayload) string { return p.UserID },
	}
	// supportIdleJob closes a request idle for supportIdle.
	supportIdleJob = scheduler.JobDef[supportTimerPayload]{
		Kind: "support.idle",
		Key: func(p supportTimerPayload, at time.Time) string {
			return storage.SupportIdleJobKey(p.RequestID, at)
		},
		Guild: func(p supportTimerPayload) string { return p.GuildID },
		User:  func(p supportTimerPayload) string { return p.UserID },
	}
)

// Support is /supporter and /support.
type Support struct {
	env Env
}

func (f *Support) Register(r *Router) {
	r.Define(supporterCommand)
	r.Define(supportCommand)
	r.Subcommands("supporter", nil,
		Sub{"on", f.on, Supporter},
		Sub{"off", f.off, Supporter},
		Sub{"status", f.status, Supporter},
		Sub{"stats", f.stats, Moderator},
	)
	r.Command("support", f.ask, GuildOnly)
	r.Component(supportTakeButton, f.take, Supporter)
	r.Component(supportCloseButton, f.closeButton, GuildOnly)
	r.Component(supportFeedbackButton, f.feedback, Anywhere)
	r.Job(supportShiftEndJob.Runner(f.endShift))
	r.Job(supportWaitJob.Runner(f.waited))
	r.Job(supportIdleJob.Runner(f.idle))
}

const supportNotSetUp = "Support on request isn't set up in this server yet: an admin can turn it on with `/kindred setup supporter_role:@Peer Supporters support_channel:#support`. If you need help now, `/resources` lists people you can reach any time."

// supportSettings are the server's settings, or the refusal when support
// on request is not set up.
func (f *Support) supportSettings(ctx context.Context, guildID string) (storage.GuildSettings, error) {
	s, err := f.env.DB.GuildSettings(ctx, guildID)
	if err != nil {
		return s, err
	}
	if s.SupporterRoleID == "" || s.SupportChannelID == "" {
		return s, UserErrorf(supportNotSetUp)
	}
	return s, nil
}

// onDuty are the supporters on duty now who still hold the supporter role,
// as Discord has them: one who lost it (or left) is taken off duty here.
// A member Discord can't answer for just now is kept.
func (f *Support) onDuty(ctx context.Context, s storage.GuildSettings) ([]storage.SupporterShift, error) {
	shifts, err := f.env.DB.OnDutySupporters(ctx, s.GuildID, f.env.Now())
	if err != nil {
		return nil, err
	}
	out := shifts[:0]
	for _, sh := range shifts {
		m, err := f.env.Discord.Member(ctx, s.GuildID, sh.UserID)
		present, perr := presence(err)
		if perr != nil {
			f.env.Log.Warn("could not check a supporter's role", "guild", s.GuildID, "user", sh.UserID, "err", perr)
			out = append(out, sh)
			continue
		}
		if present && slices.Contains(m.RoleIDs, s.SupporterRoleID) {
			out = append(out, sh)
			continue
		}
		if _, err := f.env.DB.EndShift(ctx, s.GuildID, sh.UserID); err != nil {
			return nil, err
		}
		f.env.Log.Info("supporter taken off duty: no longer holds the supporter role", "guild", s.GuildID, "user", sh.UserID)
	}
	return out, nil
}

func shiftUsers(shifts []storage.SupporterShift) []string {
	ids := make([]string, len(shifts))
	for i, s := range shifts {
		ids[i] = s.UserID
	}
	return ids
}

// ---- /supporter ----

func (f *Support) on(ctx context.Context, req *Request) (*Response, error) {
	s, err := f.supportSettings(ctx, req.GuildID)
	if err != nil {
		return nil, err
	}
	hours, err := req.IntOr("hours", defaultShiftHours)
	if err != nil {
		return nil, err
	}
	if hours < 1 || hours > maxShiftHours {
		return nil, UserErrorf("A shift can be 1 to %d hours; you asked for %d. For example: `/supporter on hours:3`.", maxShiftHours, hours)
	}
	now := f.env.Now()
	ends := time.Unix(now.Add(time.Duration(hours)*time.Hour).Unix(), 0)
	end := supportShiftEndJob.New(shiftEndPayload{GuildID: req.GuildID, UserID: req.UserID, EndsAt: ends.Unix()}, ends)
	if err := f.env.DB.StartShift(ctx, storage.SupporterShift{GuildID: req.GuildID, UserID: req.UserID, StartedAt: now, EndsAt: ends}, end); err != nil {
		return nil, fmt.Errorf("supporter on: %w", err)
	}
	lines := []string{fmt.Sprintf("Thank you! You're on duty until %s (%s). New requests in <#%s> will mention you; `/supporter off` ends your shift early.",
		timestamp(ends, "t"), timestamp(ends, "R"), s.SupportChannelID)}
	open, err := f.env.DB.OpenSupportRequests(ctx, req.GuildID)
	if err != nil {
		return nil, err
	}
	var waiting []string
	for _, r := range open {
		if r.TakenBy == "" {
			waiting = append(waiting, requestLine(r))
		}
	}
	if len(waiting) > 0 {
		lines = append(lines, "", fmt.Sprintf("**%s waiting for someone:**", plural(len(waiting), "request is", "requests are")))
		lines = append(lines, waiting...)
	}
	return Ephemeral(strings.Join(lines, "\n")), nil
}

func (f *Support) off(ctx context.Context, req *Request) (*Response, error) {
	was, err := f.env.DB.EndShift(ctx, req.GuildID, req.UserID)
	if err != nil {
		return nil, fmt.Errorf("supporter off: %w", err)
	}
	if !was {
		return Ephemeral("You weren't on duty. `/supporter on` starts a shift whenever you're ready."), nil
	}
	return Ephemeral("You're off duty. Thank you for being there for people today. 💚 Requests you took stay yours until they're closed."), nil
}

// requestLine is one open request as supporters see it in lists.
func requestLine(r storage.SupportRequest) string {
	var b strings.Builder
	fmt.Fprintf(&b, "• ")
	if r.Urgent {
		b.WriteString("**Urgent** · ")
	}
	topic := "no topic given"
	if r.Topic != "" {
		topic = "`" + echo(r.Topic, maxSupportTopic) + "`"
	}
	fmt.Fprintf(&b, "%s · asked %s", topic, timestamp(r.CreatedAt, "R"))
	if r.TakenBy != "" {
		fmt.Fprintf(&b, " · taken by <@%s>", r.TakenBy)
	}
	if r.CardMessageID != "" {
		fmt.Fprintf(&b, " · https://discord.com/channels/%s/%s/%s", r.GuildID, r.ChannelID, r.CardMessageID)
	}
	return b.String()
}

func (f *Support) status(ctx context.Context, req *Request) (*Response, error) {
	s, err := f.supportSettings(ctx, req.GuildID)
	if err != nil {
		return nil, err
	}
	on, err := f.onDuty(ctx, s)
	if err != nil {
		return nil, err
	}
	open, err := f.env.DB.OpenSupportRequests(ctx, req.GuildID)
	if err != nil {
		return nil, err
	}
	duty := "Nobody is on duty right now."
	if len(on) > 0 {
		var ls []string
		for _, sh := range on {
			ls = append(ls, fmt.Sprintf("<@%s> until %s", sh.UserID, timestamp(sh.EndsAt, "t")))
		}
		duty = strings.Join(ls, "\n")
	}
	requests := "No open requests."
	if len(open) > 0 {
		var ls []string
		for _, r := range open {
			ls = append(ls, requestLine(r))
		}
		requests = strings.Join(ls, "\n")
	}
	return &Response{Ephemeral: true, Embeds: []*discordgo.MessageEmbed{{
		Title: "Support on request",
		Color: colourCalm,
		Fields: []*discordgo.MessageEmbedField{
			{Name: "On duty", Value: duty},
			{Name: "Open requests", Value: requests},
		},
	}}}, nil
}

// ---- /support ----

func (f *Support) ask(ctx context.Context, req *Request) (*Response, error) {
	s, err := f.supportSettings(ctx, req.GuildID)
	if err != nil {
		return nil, err
	}
	topic := strings.TrimSpace(req.String("topic"))
	if n := utf8.RuneCountInString(topic); n > maxSupportTopic {
		return nil, UserErrorf("A topic can be up to %d characters; yours has %d. A few words are plenty, for example `/support topic:a rough week at work`; you can say more in the thread.", maxSupportTopic, n)
	}
	if open, err := f.env.DB.OpenSupportRequestOf(ctx, req.GuildID, req.UserID); err == nil {
		return nil, alreadyOpen(open)
	} else if !errors.Is(err, storage.ErrNotFound) {
		return nil, err
	}
	now := f.env.Now()
	if ended, err := f.env.DB.SupportEndedByModeratorSince(ctx, req.GuildID, req.UserID, now.Add(-supportModeratorPause)); err != nil {
		return nil, err
	} else if !ended.IsZero() {
		return nil, UserErrorf("A moderator ended your last support request, so you can ask again %s. If you need help now, `/resources` lists people you can reach any time.",
			timestamp(ended.Add(supportModeratorPause), "R"))
	}
	urgent := mentionsCrisis(topic)
	r, err := f.env.DB.OpenSupportRequest(ctx, storage.SupportRequest{GuildID: req.GuildID, UserID: req.UserID, Topic: topic, Urgent: urgent, ChannelID: s.SupportChannelID, CreatedAt: now})
	if errors.Is(err, storage.ErrConflict) {
		// Asked twice at once: the other one opened it.
		if open, err := f.env.DB.OpenSupportRequestOf(ctx, req.GuildID, req.UserID); err == nil {
			return nil, alreadyOpen(open)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("open support request: %w", err)
	}
	log := f.env.Log.With("guild", req.GuildID, "request", r.ID)
	on, err := f.onDuty(ctx, s)
	if err != nil {
		f.undoRequest(ctx, log, r, "")
		return nil, err
	}
	threadID, cardID, err := f.openRequest(ctx, log, r, on)
	if err != nil {
		return nil, err
	}
	r.ThreadID, r.CardMessageID = threadID, cardID
	timers := []storage.NewJob{
		supportWaitJob.New(supportTimerPayload{GuildID: r.GuildID, UserID: r.UserID, RequestID: r.ID}, now.Add(supportWait)),
		idleJob(r, now.Add(supportIdle)),
	}
	if err := f.env.DB.PostSupportRequest(ctx, r.ID, threadID, cardID, timers); err != nil {
		f.undoRequest(ctx, log, r, threadID)
		return nil, fmt.Errorf("record support request: %w", err)
	}

	lines := []string{
		fmt.Sprintf("Your private thread is open: <#%s>. 💚", threadID),
		"**What happens next:** a peer supporter will join you there when they take your request, and you'll get a notification. Write as much or as little as you like while you wait.",
		"**Who can see it:** you, the supporter who takes your request, and the server's moderators (anyone with the Manage Threads permission can see private threads). Supporters on duty see your topic and how long you've waited, never your check-ins.",
		"When you're done, press **Close** in the thread.",
	}
	resp := &Response{Ephemeral: true}
	showResources := urgent
	if len(on) == 0 {
		lines = append(lines, "", "**Nobody is on duty right now.** Your request stays open, and the next supporter to come on duty will see it. If you need someone sooner, these people are there any time:")
		showResources = true
	} else if urgent {
		lines = append(lines, "", "It sounds like things are really hard right now. While you wait, these people are there any time:")
	}
	resp.Content = strings.Join(lines, "\n")
	if showResources {
		if err := addResources(ctx, f.env, req.GuildID, resp); err != nil {
			return nil, err
		}
	}
	return resp, nil
}

func alreadyOpen(r storage.SupportRequest) error {
	if r.ThreadID == "" {
		return UserErrorf("Your request is being opened right now; your private thread will appear in a moment.")
	}
	return UserErrorf("You already have an open request: your private thread is <#%s>. Write there any time; press **Close** in it when you're done, and you can ask again.", r.ThreadID)
}

func idleJob(r storage.SupportRequest, at time.Time) storage.NewJob {
	return supportIdleJob.New(supportTimerPayload{GuildID: r.GuildID, UserID: r.UserID, RequestID: r.ID, At: at.Unix()}, at)
}

// openRequest opens the request's private thread with the member in it,
// posts its first message (with Close) and the card in the support
// channel. On any failure what was made is undone (the request deleted,
// the thread closed) and the member is told what went wrong.
func (f *Support) openRequest(ctx context.Context, log *slog.Logger, r storage.SupportRequest, on []storage.SupporterShift) (threadID, cardID string, err error) {
	fail := func(what string, err error, threadID string) (string, string, error) {
		log.Warn("could not open support request", "step", what, "err", err)
		f.undoRequest(ctx, log, r, threadID)
		if transient(err) {
			return "", "", UserErrorf("Discord didn't answer while I was opening your private thread, so nothing was saved. Please try `/support` again in a minute. If you need help now, `/resources` lists people you can reach any time.")
		}
		return "", "", UserErrorf("I couldn't %s: %s. Nothing was saved; please tell a moderator so they can fix it. If you need help now, `/resources` lists people you can reach any time.", what, discordProblem(err))
	}
	threadID, err = f.env.Discord.StartPrivateThread(ctx, r.ChannelID, fmt.Sprintf("Support request %d", r.ID), threadArchive)
	if err != nil {
		return fail("open your private thread in the support channel", err, "")
	}
	if err := f.env.Discord.AddThreadMember(ctx, threadID, r.UserID); err != nil {
		return fail("add you to your private thread", err, threadID)
	}
	welcome := fmt.Sprintf("Hi <@%s>, this is your private space. 💚 A peer supporter will join you here when they take your request. "+
		"They're members like you, not professionals; `/resources` lists crisis lines if you need more. Press **Close** whenever you're done.", r.UserID)
	if _, err := f.env.Discord.Send(ctx, threadID, Message{Content: welcome, Ping: []string{r.UserID},
		Components: supportButtons(r, false)}); err != nil {
		return fail("post in your private thread", err, threadID)
	}
	cardID, err = f.env.Discord.Send(ctx, r.ChannelID, supportCard(r, shiftUsers(on)))
	if err != nil {
		return fail("post your request in the support channel", err, threadID)
	}
	return threadID, cardID, nil
}

// undoRequest removes a request that could not be opened, and closes its
// thread if one was made, so nothing is left half done.
func (f *Support) undoRequest(ctx context.Context, log *slog.Logger, r storage.SupportRequest, threadID string) {
	if threadID != "" {
		if err := f.env.Discord.CloseThread(ctx, threadID); err != nil {
			log.Warn("could not close the thread of a request that failed to open", "thread", threadID, "err", err)
		}
	}
	if err := f.env.DB.DeleteSupportRequest(ctx, r.ID); err != nil {
		log.Error("could not remove a request that failed to open", "err", err)
	}
}

// supportButtons are the card's buttons (take is left out in the thread).
func supportButtons(r storage.SupportRequest, card bool) []discordgo.MessageComponent {
	closed := !r.Open()
	var buttons []discordgo.MessageComponent
	if card {
		buttons = append(buttons, discordgo.Button{Label: "I'll take this", Style: discordgo.PrimaryButton,
			CustomID: supportTakeButton.ID(r.ID), Disabled: closed || r.TakenBy != ""})
	}
	buttons = append(buttons, discordgo.Button{Label: "Close", Style: discordgo.SecondaryButton, CustomID: supportCloseButton.ID(r.ID), Disabled: closed})
	return []discordgo.MessageComponent{discordgo.ActionsRow{Components: buttons}}
}

// supportCard is the request as supporters see it in the support
// channel: topic, how long it has waited, its state; never who asked or
// their check-ins. notify are the supporters it pings (only when posted).
func supportCard(r storage.SupportRequest, notify []string) Message {
	title := "Someone would like to talk"
	colour := colourCalm
	if r.Urgent {
		title = "🔴 Urgent: someone would like to talk"
		colour = 0xD9534F
	}
	topic := "No topic given."
	if r.Topic != "" {
		topic = r.Topic // an embed pings no one; echoed as typed
	}
	state := "Waiting for a supporter since " + timestamp(r.CreatedAt, "R") + "."
	switch {
	case !r.Open():
		state = fmt.Sprintf("Closed %s (asked %s).", timestamp(r.ClosedAt, "R"), timestamp(r.CreatedAt, "R"))
	case r.TakenBy != "":
		state = fmt.Sprintf("Taken by <@%s> %s (asked %s).", r.TakenBy, timestamp(r.TakenAt, "R"), timestamp(r.CreatedAt, "R"))
	}
	embed := &discordgo.MessageEmbed{
		Title: title,
		Color: colour,
		Fields: []*discordgo.MessageEmbedField{
			{Name: "Topic", Value: topic},
			{Name: "Status", Value: state},
		},
		Footer: &discordgo.MessageEmbedFooter{Text: fmt.Sprintf("Request %d · the first supporter to press I'll take this joins the member's private thread", r.ID)},
	}
	m := Message{Embeds: []*discordgo.MessageEmbed{embed}, Components: supportButtons(r, true)}
	if len(notify) > 0 {
		m.Content = mentionList(notify) + ": a new request is waiting."
		m.Ping = slices.Clone(notify)
	} else if r.Open() && r.TakenBy == "" {
		m.Content = "A new request is waiting. Nobody is on duty right now: `/supporter on` to help."
	}
	return m
}

// refreshCard edits the request's card to show its state now.
func (f *Support) refreshCard(ctx context.Context, r storage.SupportRequest) error {
	if r.CardMessageID == "" {
		return nil
	}
	return f.env.Discord.EditMessage(ctx, r.ChannelID, r.CardMessageID, supportCard(r, nil))
}

// requestOf reads the request a button names; the id proves nothing, so it
// must be one of this server's.
func (f *Support) requestOf(ctx context.Context, req *Request, p *IDPattern) (storage.SupportRequest, error) {
	r, err := f.env.DB.SupportRequest(ctx, req.Parts.Int("request"))
	if errors.Is(err, storage.ErrNotFound) || err == nil && req.GuildID != "" && r.GuildID != req.GuildID {
		return r, p.Stale()
	}
	return r, err
}

func (f *Support) take(ctx context.Context, req *Request) (*Response, error) {
	r, err := f.requestOf(ctx, req, supportTakeButton)
	if err != nil {
		return nil, err
	}
	taken, err := f.env.DB.TakeSupportRequest(ctx, r.ID, req.UserID, maxHeldRequests, f.env.Now())
	switch {
	case errors.Is(err, storage.ErrSupportTaken):
		return nil, UserErrorf("Someone else has just taken this request. Thank you for being ready; `/supporter status` shows any others waiting.")
	case errors.Is(err, storage.ErrSupportClosed):
		return nil, UserErrorf("This request is already closed.")
	case errors.Is(err, storage.ErrSupportOwn):
		return nil, UserErrorf("This is your own request, so another supporter will take it. 💚")
	case errors.Is(err, storage.ErrSupportHeld):
		return nil, UserErrorf("You already hold %d open requests: please finish one (press **Close** in its thread) before taking another.", maxHeldRequests)
	case err != nil:
		return nil, err
	}
	log := f.env.Log.With("guild", r.GuildID, "request", r.ID)
	if err := f.env.Discord.AddThreadMember(ctx, taken.ThreadID, req.UserID); err != nil {
		log.Warn("could not add supporter to support thread", "err", err)
		if rerr := f.env.DB.ReleaseSupportRequest(ctx, r.ID, req.UserID); rerr != nil {
			return nil, rerr
		}
		return nil, UserErrorf("I couldn't add you to the member's thread (%s), so the request is still waiting. Please tell a moderator.", discordProblem(err))
	}
	hello := fmt.Sprintf("<@%s>, <@%s> has taken your request and is here to listen. 💚 Take your time.", taken.UserID, req.UserID)
	if _, err := f.env.Discord.Send(ctx, taken.ThreadID, Message{Content: hello, Ping: []string{taken.UserID, req.UserID}}); err != nil {
		log.Warn("could not post in support thread", "err", err)
	}
	if err := f.refreshCard(ctx, taken); err != nil {
		log.Warn("could not update support card", "err", err)
	}
	return Ephemeral(fmt.Sprintf("It's yours: you've been added to <#%s>. Thank you. Press **Close** there when you're both done.", taken.ThreadID)), nil
}

func (f *Support) closeButton(ctx context.Context, req *Request) (*Response, error) {
	r, err := f.requestOf(ctx, req, supportCloseButton)
	if err != nil {
		return nil, err
	}
	if !r.Open() {
		return nil, UserErrorf("This request is already closed.")
	}
	var reason string
	switch req.UserID {
	case r.UserID:
		reason = storage.SupportClosedByMember
	case r.TakenBy:
		reason = storage.SupportClosedBySupporter
	default:
		mod, err := isModerator(ctx, f.env.DB, req)
		if err != nil {
			return nil, err
		}
		if !mod {
			return nil, UserErrorf("Only the member who asked, the supporter who took the request, or a moderator can close it.")
		}
		reason = storage.SupportClosedByModerator
	}
	problems, err := f.closeRequest(ctx, r, reason, "")
	if err != nil {
		return nil, err
	}
	text := "Closed. The thread is archived and locked."
	switch reason {
	case storage.SupportClosedByMember:
		text = "Closed. Thank you for reaching out. 💚 I'll ask you by DM whether it helped; answering is up to you. `/support` is here whenever you need it again."
	case storage.SupportClosedBySupporter:
		text = "Closed. Thank you for supporting them. 💚"
	case storage.SupportClosedByModerator:
		text = fmt.Sprintf("Closed as a moderator. The member can't open a new request for %d hours.", int(supportModeratorPause/time.Hour))
	}
	if problems != "" {
		text += "\n" + problems
	}
	return Ephemeral(text), nil
}

// closeRequest closes r for reason, queues the member's "did it help?"
// DM, says goodbye in the thread, locks it and updates the card. The
// request is closed even when Discord refuses a step; problems says which
// steps failed, for whoever closed it. nonceKey, when set, makes the
// goodbye idempotent (a job's).
func (f *Support) closeRequest(ctx context.Context, r storage.SupportRequest, reason, nonceKey string) (problems string, err error) {
	now := f.env.Now()
	var next []storage.NewJob
	if reason != storage.SupportClosedByModerator {
		next = append(next, dmJob.New(DMMessage{
			Key:     storage.DMJobKey(storage.SupportFeedbackKey(r.ID), r.UserID),
			UserID:  r.UserID,
			GuildID: r.GuildID,
			Content: "Your support request has closed. Did talking it through help? Your answer is anonymous in the server's figures and helps the supporters see how support is going.",
			Buttons: []DMButton{
				{Label: "It helped", CustomID: supportFeedbackButton.ID(r.ID, "yes"), Style: ButtonSuccess},
				{Label: "Not really", CustomID: supportFeedbackButton.ID(r.ID, "no"), Style: ButtonSecondary},
			},
		}, now))
	}
	closed, did, err := f.env.DB.CloseSupportRequest(ctx, r.ID, reason, now, next)
	if err != nil {
		return "", fmt.Errorf("close support request: %w", err)
	}
	if !did {
		return "", UserErrorf("This request is already closed.")
	}
	log := f.env.Log.With("guild", r.GuildID, "request", r.ID)
	var failed []string
	goodbye := map[string]string{
		storage.SupportClosedByMember:    "This request is closed. Take care of yourself. 💚 `/support` is here whenever you need it.",
		storage.SupportClosedBySupporter: "The supporter has closed this request. Take care of yourself. 💚 `/support` is here whenever you need it.",
		storage.SupportClosedByModerator: "A moderator has closed this request.",
		storage.SupportClosedInactive:    "This request was closed after a day without activity. 💚 `/support` is here whenever you need it again.",
	}[reason]
	m := Message{Content: goodbye}
	if nonceKey != "" {
		m.Nonce = nonceFor(nonceKey)
	}
	if _, err := f.env.Discord.Send(ctx, closed.ThreadID, m); err != nil {
		log.Warn("could not post closing message", "err", err)
	}
	if err := f.env.Discord.CloseThread(ctx, closed.ThreadID); err != nil {
		log.Warn("could not lock support thread", "err", err)
		failed = append(failed, fmt.Sprintf("the thread could not be locked (%s)", discordProblem(err)))
	}
	if err := f.refreshCard(ctx, closed); err != nil {
		log.Warn("could not update support card", "err", err)
		failed = append(failed, fmt.Sprintf("the card could not be updated (%s)", discordProblem(err)))
	}
	if len(failed) > 0 {
		problems = "The request is closed, but " + strings.Join(failed, " and ") + "."
	}
	return problems, nil
}

func (f *Support) feedback(ctx context.Context, req *Request) (*Response, error) {
	answer := req.Parts.String("answer")
	if answer != "yes" && answer != "no" {
		return nil, supportFeedbackButton.Stale()
	}
	recorded, err := f.env.DB.AnswerSupportFeedback(ctx, req.Parts.Int("request"), req.UserID, answer == "yes")
	if errors.Is(err, storage.ErrNotFound) {
		return nil, UserErrorf("Only the member who asked for support can answer this.")
	}
	if err != nil {
		return nil, err
	}
	if !recorded {
		return Ephemeral("You've already answered. Thank you!"), nil
	}
	if answer == "yes" {
		return Ephemeral("Thank you, I'm glad it helped. 💚"), nil
	}
	return Ephemeral("Thank you for saying so. Not every conversation helps, and that's okay. `/resources` lists other places to turn to, and `/support` is here any time."), nil
}

// ---- jobs ----

// endShift ends a supporter's duty when it is due and thanks them by DM.
// A shift renewed or ended since is left alone.
func (f *Support) endShift(ctx context.Context, job storage.Job, p shiftEndPayload) ([]storage.NewJob, error) {
	ended, err := f.env.DB.EndShiftAt(ctx, p.GuildID, p.UserID, time.Unix(p.EndsAt, 0))
	if err != nil || !ended {
		return nil, err
	}
	return []storage.NewJob{dmJob.New(DMMessage{
		Key:     storage.DMJobKey(job.DedupeKey, p.UserID),
		UserID:  p.UserID,
		GuildID: p.GuildID,
		Content: "Your supporter shift has ended. Thank you for being there for people. 💚 Supporting others takes energy: take a moment for yourself, rest, and do something kind for you. Requests you took stay yours until they're closed.",
	}, f.env.Now())}, nil
}

// waited tells a member whose request is still untaken, in their thread,
// and shows the resources. The card keeps showing the wait.
func (f *Support) waited(ctx context.Context, job storage.Job, p supportTimerPayload) ([]storage.NewJob, error) {
	r, err := f.env.DB.SupportRequest(ctx, p.RequestID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil || !r.Open() || r.TakenBy != "" || r.ThreadID == "" {
		return nil, err
	}
	if _, sent, err := f.env.DB.SentRef(ctx, job.DedupeKey); err != nil || sent {
		return nil, err
	}
	embed, err := resourcesEmbed(ctx, f.env, r.GuildID)
	if err != nil {
		return nil, err
	}
	msgID, err := f.env.Discord.Send(ctx, r.ThreadID, Message{
		Content: fmt.Sprintf("<@%s>, nobody has taken your request yet, and I'm sorry you're waiting. It stays open, and a supporter will join you here when they can. "+
			"If you need someone sooner, these people are there any time:", r.UserID),
		Embeds: []*discordgo.MessageEmbed{embed},
		Ping:   []string{r.UserID},
		Nonce:  nonceFor(job.DedupeKey),
	})
	if err != nil {
		if transient(err) {
			return nil, err
		}
		f.env.Log.Warn("could not post the wait message", "request", r.ID, "err", err)
		return nil, nil
	}
	return nil, f.env.DB.RecordSent(ctx, job.DedupeKey, msgID, f.env.Now())
}

// idle closes a request with no activity for supportIdle, or checks again
// supportIdle after its last activity.
func (f *Support) idle(ctx context.Context, job storage.Job, p supportTimerPayload) ([]storage.NewJob, error) {
	r, err := f.env.DB.SupportRequest(ctx, p.RequestID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil || !r.Open() {
		return nil, err
	}
	// Support happens in the thread: a member's post there is activity
	// too. Kindred reads when they last posted, never what.
	activity := r.LastActivityAt
	if r.ThreadID != "" {
		last, err := f.env.Discord.LastMemberPost(ctx, r.ThreadID)
		if transient(err) {
			return nil, err // try again later rather than close a live conversation
		}
		if err != nil {
			f.env.Log.Warn("could not read when the support thread was last used", "request", r.ID, "thread", r.ThreadID, "err", err)
		}
		if last.After(activity) {
			activity = last
		}
	}
	if due := activity.Add(supportIdle); f.env.Now().Before(due) {
		return []storage.NewJob{idleJob(r, due)}, nil
	}
	if _, err := f.closeRequest(ctx, r, storage.SupportClosedInactive, job.DedupeKey); err != nil {
		if _, ok := AsUserError(err); ok {
			return nil, nil // closed meanwhile
		}
		return nil, err
	}
	return nil, nil
}

// ---- /supporter stats ----

// stats shows whole past weeks (Monday to Sunday, UTC) only, so the
// figures for a week never change as requests come in, and hides any week
// with fewer than supportStatsMin requests: no two answers differ by one
// person's request, and no one is named.
func (f *Support) stats(ctx context.Context, req *Request) (*Response, error) {
	now := f.env.Now().UTC()
	thisWeek := mondayOf(now)
	from := thisWeek.AddDate(0, 0, -7*supportStatsWeeks)
	rs, err := f.env.DB.SupportRequestsSince(ctx, req.GuildID, from)
	if err != nil {
		return nil, err
	}
	lines := []string{"Requests per week (Monday to Sunday, UTC), oldest first. Weeks with fewer than " +
		fmt.Sprint(supportStatsMin) + " requests are hidden so no one can be singled out."}
	for w := range supportStatsWeeks {
		start := from.AddDate(0, 0, 7*w)
		end := start.AddDate(0, 0, 7)
		var week []storage.SupportRequest
		for _, r := range rs {
			if !r.CreatedAt.Before(start) && r.CreatedAt.Before(end) {
				week = append(week, r)
			}
		}
		label := fmt.Sprintf("**Week of %s**", timestamp(start, "D"))
		if len(week) < supportStatsMin {
			lines = append(lines, label+": hidden (fewer than "+fmt.Sprint(supportStatsMin)+" requests)")
			continue
		}
		var waits []time.Duration
		answered, helped := 0, 0
		for _, r := range week {
			if !r.TakenAt.IsZero() {
				waits = append(waits, r.TakenAt.Sub(r.CreatedAt))
			}
			if r.Helped != nil {
				answered++
				if *r.Helped {
					helped++
				}
			}
		}
		taken := "none taken"
		if len(waits) > 0 {
			taken = "median wait to be taken " + shortDuration(median(waits))
		}
		share := "nobody answered whether it helped"
		if answered > 0 {
			share = fmt.Sprintf("%d%% of answers said it helped", helped*100/answered)
		}
		lines = append(lines, fmt.Sprintf("%s: %d requests · %s · %s", label, len(week), taken, share))
	}
	return &Response{Ephemeral: true, Embeds: []*discordgo.MessageEmbed{{
		Title: "Support on request: the last 8 weeks", Color: colourCalm, Description: strings.Join(lines, "\n"),
	}}}, nil
}

func mondayOf(t time.Time) time.Time {
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
}

func median(ds []time.Duration) time.Duration {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	n := len(ds)
	if n%2 == 1 {
		return ds[n/2]
	}
	return (ds[n/2-1] + ds[n/2]) / 2
}

// shortDuration is "45 s", "12 min" or "2 h 5 min".
func shortDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d/time.Minute))
	}
	return fmt.Sprintf("%d h %d min", int(d/time.Hour), int(d%time.Hour/time.Minute))
}
