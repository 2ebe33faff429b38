package commands

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/kindred-bot/kindred/storage"
)

// Anonymous sharing: /share, /shares and the Warn anonymous author menu.
//
// Who can learn who wrote a share: the author, and an operator with
// database access. Nothing Kindred posts, replies, logs or exports for
// anyone else carries the author: cards and buttons name the share by its
// id, the author is looked up here, logs name the share and never the
// member, and a warning given through a share is left out of moderators'
// views of the member's record (see README, "Anonymous sharing").

// Limits of a share.
const (
	maxShareText    = 1500
	maxShareWarning = 100
	sharesPerDay    = 3
	// maxSharesListed is how many of a member's shares /shares lists, each
	// with a Delete button: Discord allows 5 rows of 5 buttons.
	maxSharesListed = 10
	// shareThreadArchive is how long a share's reply thread stays open
	// without a message: a week, Discord's longest.
	shareThreadArchive = 7 * 24 * time.Hour
	shareThreadName    = "Replies to an anonymous share"
	anonymousName      = "Anonymous member"
	colourUrgent       = 0xD9534F
)

const shareWarnCommandName = "Warn anonymous author"

var (
	shareApproveButton = NewIDPattern("share:approve:{share:int}")
	shareRejectButton  = NewIDPattern("share:reject:{share:int}")
	shareRejectModal   = NewIDPattern("share:rejectform:{share:int}")
	shareDeleteButton  = NewIDPattern("share:delete:{share:int}").Again("/shares")
	shareWarnModal     = NewIDPattern("share:warn:{share:int}")
	shareBlockButton   = NewIDPattern("share:block:{share:int}")
	shareUnblockButton = NewIDPattern("share:unblock:{share:int}")
)

// Modal fields.
const (
	shareRejectReasonField = "reason"
	shareWarnReasonField   = "reason"
)

var shareCommand = &discordgo.ApplicationCommand{
	Name:        "share",
	Description: "Share something with a group anonymously: posted as \"Anonymous member\"",
	Options: []*discordgo.ApplicationCommandOption{
		groupPicker("The group to share with (one you've joined)"),
		{Type: discordgo.ApplicationCommandOptionString, Name: "text", Description: "What you'd like to share (up to 1,500 characters)", Required: true, MaxLength: maxShareText},
		{Type: discordgo.ApplicationCommandOptionString, Name: "content_warning", Description: "A content warning, e.g. grief; the text is then hidden behind it (up to 100 characters)", MaxLength: maxShareWarning},
	},
}

var sharesCommand = &discordgo.ApplicationCommand{
	Name:        "shares",
	Description: "Your anonymous shares in this server, with a way to delete them",
}

var shareWarnCommand = &discordgo.ApplicationCommand{
	Type: discordgo.MessageApplicationCommand,
	Name: shareWarnCommandName,
}

// Shares is anonymous sharing.
type Shares struct {
	env Env
}

func (f *Shares) Register(r *Router) {
	r.Define(shareCommand)
	r.Define(sharesCommand)
	r.Define(shareWarnCommand)
	r.Command("share", f.share, GuildOnly)
	r.Autocomplete("share", f.groupAutocomplete, GuildOnly)
	r.Command("shares", f.list, GuildOnly)
	r.Component(shareDeleteButton, f.delete, GuildOnly)
	r.Component(shareApproveButton, f.approve, Moderator)
	r.Component(shareRejectButton, f.rejectForm, Moderator)
	r.Modal(shareRejectModal, f.reject, Moderator)
	r.Command(shareWarnCommandName, f.warnForm, Moderator)
	r.Modal(shareWarnModal, f.warn, Moderator)
	r.Component(shareBlockButton, f.block, Moderator)
	r.Component(shareUnblockButton, f.unblock, Moderator)
}

func (f *Shares) groupAutocomplete(ctx context.Context, req *Request) (*Response, error) {
	return groupAutocomplete(ctx, f.env, req)
}

// shareLog is the logger for one share: its id and server, never its author.
func (f *Shares) shareLog(s storage.Share) *slog.Logger {
	return f.env.Log.With("guild", s.GuildID, "share", s.ID)
}

// ---- /share ----

func (f *Shares) share(ctx context.Context, req *Request) (*Response, error) {
	g, err := activeGroupByName(ctx, f.env, req.GuildID, req.String("group"))
	if err != nil {
		return nil, err
	}
	text := strings.TrimSpace(req.String("text"))
	if text == "" {
		return nil, UserErrorf("Write what you'd like to share in `text`, e.g. `/share group:%s text:This week was hard, and I made it through.` Nothing was saved.", echo(g.Name, maxGroupName))
	}
	if n := runes(text); n > maxShareText {
		return nil, UserErrorf("A share can be up to %d characters; yours has %d. Nothing was saved: shorten it, or share it in two parts.", maxShareText, n)
	}
	cw := strings.TrimSpace(req.String("content_warning"))
	if n := runes(cw); n > maxShareWarning {
		return nil, UserErrorf("A content warning can be up to %d characters; yours has %d. A few words are enough, e.g. `content_warning:grief`. Nothing was saved.", maxShareWarning, n)
	}
	member, err := f.env.DB.IsGroupMember(ctx, g.ID, req.UserID)
	if err != nil {
		return nil, err
	}
	if !member {
		return nil, UserErrorf("You can share in groups you've joined. `/group join group:%s` first; nothing was saved.", echo(g.Name, maxGroupName))
	}
	settings, err := f.env.DB.GuildSettings(ctx, req.GuildID)
	if err != nil {
		return nil, err
	}
	if settings.ShareVetting && settings.ModlogChannelID == "" {
		return nil, UserErrorf("Shares in this server are looked at by a moderator before they're posted, and the moderators haven't set up where to see them yet, so nothing was saved. Please ask a moderator to set a mod-log channel (`/kindred setup modlog_channel:`).")
	}
	now := f.env.Now()
	z, err := resolveZone(ctx, f.env.DB, whose{userID: req.UserID, guildID: req.GuildID})
	if err != nil {
		return nil, err
	}
	local := now.In(z.loc)
	dayStart := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, z.loc)
	dayEnd := time.Date(local.Year(), local.Month(), local.Day()+1, 0, 0, 0, 0, z.loc)
	crisis := mentionsCrisis(text) || mentionsCrisis(cw)
	s, err := f.env.DB.CreateShare(ctx, storage.Share{
		GuildID: req.GuildID, GroupID: g.ID, UserID: req.UserID, Text: text, ContentWarning: cw, Crisis: crisis, CreatedAt: now,
	}, dayStart, dayEnd, sharesPerDay)
	switch {
	case errors.Is(err, storage.ErrShareLimit):
		return nil, UserErrorf("You've already shared %d times today in this server, which is the most for one day. You can share again tomorrow; `/shares` lists the ones you've made.", sharesPerDay)
	case errors.Is(err, storage.ErrShareBlocked):
		return nil, UserErrorf("Anonymous sharing is turned off for you in this server by its moderators, so nothing was saved. You can still take part in your groups' channels, and talk with a moderator if you'd like to ask about it.")
	case err != nil:
		return nil, fmt.Errorf("share: %w", err)
	}
	log := f.shareLog(s)

	var lines []string
	if settings.ShareVetting {
		msgID, err := f.env.Discord.Send(ctx, settings.ModlogChannelID, Message{
			Embeds:     []*discordgo.MessageEmbed{vettingCard(s, g, "")},
			Components: vettingButtons(s.ID),
		})
		if err != nil {
			log.Warn("share's vetting card not posted", "channel", settings.ModlogChannelID, "err", err)
			if derr := f.env.DB.DiscardShare(ctx, s.ID); derr != nil {
				return nil, derr
			}
			return nil, UserErrorf("Kindred couldn't pass your share to the moderators just now (%s), so nothing was saved. Please try again in a little while.", discordProblem(err))
		}
		if err := f.env.DB.SetShareCard(ctx, s.ID, settings.ModlogChannelID, msgID); err != nil {
			return nil, err
		}
		log.Info("share waiting for vetting", "crisis", crisis)
		lines = append(lines, fmt.Sprintf("Thank you for sharing. A moderator will look at it before it's posted in **%s**; they don't see who wrote it. You'll be told privately when it's posted, or if it isn't. `/shares` lists your shares.", groupTitle(g)))
	} else {
		link, err := f.post(ctx, s, g)
		if err != nil {
			log.Warn("share not posted", "channel", g.ChannelID, "err", err)
			if derr := f.env.DB.DiscardShare(ctx, s.ID); derr != nil {
				return nil, derr
			}
			return nil, UserErrorf("Kindred couldn't post your share in <#%s> just now (%s), so nothing was saved. Please try again in a little while.", g.ChannelID, discordProblem(err))
		}
		log.Info("share posted without vetting")
		lines = append(lines, fmt.Sprintf("Posted anonymously in **%s**: %s\nNobody sees that it was you. Replies go in its thread; `/shares` lets you delete it.", groupTitle(g), link))
	}
	resp := Ephemeral(strings.Join(lines, "\n"))
	if crisis {
		resp.Content += "\n" + heavyLine
		if err := addResources(ctx, f.env, req.GuildID, resp); err != nil {
			return nil, err
		}
	}
	return resp, nil
}

// post posts a share in its group's channel with a thread for replies, and
// records it; it returns the post's link. A failed thread doesn't undo
// the post. A share deleted while it was being posted has its post
// deleted again.
func (f *Shares) post(ctx context.Context, s storage.Share, g storage.Group) (string, error) {
	msgID, err := f.env.Discord.Send(ctx, g.ChannelID, Message{Embeds: []*discordgo.MessageEmbed{sharePostEmbed(s)}})
	if err != nil {
		return "", err
	}
	threadID, err := f.env.Discord.StartMessageThread(ctx, g.ChannelID, msgID, shareThreadName, shareThreadArchive)
	if err != nil {
		f.shareLog(s).Warn("share's reply thread not opened", "channel", g.ChannelID, "err", err)
		threadID = ""
	}
	ok, err := f.env.DB.SetSharePost(ctx, s.ID, g.ChannelID, msgID, threadID, f.env.Now())
	if err != nil {
		return "", err
	}
	if !ok {
		f.deleteMessage(ctx, s, g.ChannelID, msgID)
		return "", UserErrorf("Its author deleted this share meanwhile, so it wasn't posted.")
	}
	return messageLink(s.GuildID, g.ChannelID, msgID), nil
}

func messageLink(guildID, channelID, messageID string) string {
	return fmt.Sprintf("https://discord.com/channels/%s/%s/%s", guildID, channelID, messageID)
}

// spoilerSafe keeps a member's text inside one ||spoiler||: a '|' of
// theirs is escaped so it can't end the spoiler early.
func spoilerSafe(s string) string {
	return strings.ReplaceAll(s, "|", `\|`)
}

// sharePostEmbed is a share as the group sees it: by "Anonymous member";
// behind its content warning, when it has one.
func sharePostEmbed(s storage.Share) *discordgo.MessageEmbed {
	desc := s.Text
	if s.ContentWarning != "" {
		desc = "**Content warning:** " + oneLine(s.ContentWarning) + "\n\n||" + spoilerSafe(s.Text) + "||"
	}
	return &discordgo.MessageEmbed{
		Author:      &discordgo.MessageEmbedAuthor{Name: anonymousName},
		Description: desc,
		Color:       colourCalm,
		Footer:      &discordgo.MessageEmbedFooter{Text: "Shared anonymously. Reply in the thread; please be kind."},
	}
}

// vettingCard is a share as moderators see it before it's posted. decided
// is what became of it ("Approved by …"), or "" while it waits.
func vettingCard(s storage.Share, g storage.Group, decided string) *discordgo.MessageEmbed {
	cw := s.ContentWarning
	if cw == "" {
		cw = "none"
	}
	// The text is the description, not a field: a share may be longer
	// than a field's 1,024 characters, and moderators must see all of it.
	e := &discordgo.MessageEmbed{
		Title:       fmt.Sprintf("Anonymous share #%d waiting for approval", s.ID),
		Color:       colourModeration,
		Description: orDash(s.Text),
		Fields: []*discordgo.MessageEmbedField{
			{Name: "Group", Value: groupTitle(g), Inline: true},
			{Name: "Content warning", Value: cw, Inline: true},
		},
		Footer: &discordgo.MessageEmbedFooter{Text: "Nobody is shown who wrote it. Use Warn anonymous author (message menu) if it breaks the rules."},
	}
	if s.Crisis {
		e.Title = fmt.Sprintf("⚠ Please look first: anonymous share #%d mentions self-harm or suicide", s.ID)
		e.Color = colourUrgent
		e.Fields = append(e.Fields, &discordgo.MessageEmbedField{Name: "Its author", Value: "was shown the crisis resources. Consider approving it with care, or reaching out in the group."})
	}
	if decided != "" {
		e.Title = fmt.Sprintf("Anonymous share #%d", s.ID)
		e.Fields = append(e.Fields, &discordgo.MessageEmbedField{Name: "Decision", Value: decided})
	}
	return e
}

func vettingButtons(shareID int64) []discordgo.MessageComponent {
	return []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
		discordgo.Button{Label: "Approve", Style: discordgo.SuccessButton, CustomID: shareApproveButton.ID(shareID)},
		discordgo.Button{Label: "Reject", Style: discordgo.DangerButton, CustomID: shareRejectButton.ID(shareID)},
	}}}
}

// ---- vetting ----

// shareOf loads the share a custom id names, in the interaction's server;
// one of another server (a crafted id) gets the stale answer.
func (f *Shares) shareOf(ctx context.Context, req *Request, p *IDPattern) (storage.Share, error) {
	s, err := f.env.DB.Share(ctx, req.GuildID, req.Parts.Int("share"))
	if errors.Is(err, storage.ErrNotFound) {
		return storage.Share{}, p.Stale()
	}
	return s, err
}

// decidedText is what moderators are told about a share already decided.
func decidedText(s storage.Share) string {
	switch s.State {
	case storage.SharePosted:
		return fmt.Sprintf("Share #%d was already approved and posted.", s.ID)
	case storage.ShareRejected:
		return fmt.Sprintf("Share #%d was already rejected.", s.ID)
	}
	return fmt.Sprintf("Share #%d was withdrawn by its author.", s.ID)
}

func (f *Shares) approve(ctx context.Context, req *Request) (*Response, error) {
	s, err := f.shareOf(ctx, req, shareApproveButton)
	if err != nil {
		return nil, err
	}
	g, err := f.env.DB.Group(ctx, s.GroupID)
	if err != nil {
		return nil, err
	}
	s, err = f.env.DB.DecideShare(ctx, req.GuildID, s.ID, storage.SharePosted, req.UserID, "", f.env.Now())
	switch {
	case errors.Is(err, storage.ErrShareDecided):
		return Ephemeral(decidedText(s)), nil
	case err != nil:
		return nil, err
	}
	link, err := f.post(ctx, s, g)
	if err != nil {
		if _, isUser := AsUserError(err); isUser {
			return nil, err
		}
		f.shareLog(s).Warn("approved share not posted", "channel", g.ChannelID, "err", err)
		if rerr := f.env.DB.ReopenShare(ctx, s.ID); rerr != nil {
			return nil, rerr
		}
		return nil, UserErrorf("Kindred couldn't post it in <#%s> (%s). It is still waiting: try Approve again once that's fixed.", g.ChannelID, discordProblem(err))
	}
	if _, err := f.env.DB.Enqueue(ctx, dmJob.New(DMMessage{
		Key: storage.DMJobKey(fmt.Sprintf("share-posted:%d", s.ID), s.UserID), UserID: s.UserID, GuildID: s.GuildID,
		Content: fmt.Sprintf("Your anonymous share in **%s** was approved and posted: %s\nNobody is shown that it was you. Replies go in its thread, and `/shares` in the server lets you delete it.", groupTitle(g), link),
	}, f.env.Now())); err != nil {
		return nil, err
	}
	f.shareLog(s).Info("share approved", "moderator", req.UserID)
	return &Response{
		Update:     true,
		Embeds:     []*discordgo.MessageEmbed{vettingCard(s, g, fmt.Sprintf("Approved by <@%s>: %s", req.UserID, link))},
		Components: []discordgo.MessageComponent{},
	}, nil
}

func (f *Shares) rejectForm(ctx context.Context, req *Request) (*Response, error) {
	s, err := f.shareOf(ctx, req, shareRejectButton)
	if err != nil {
		return nil, err
	}
	if s.State != storage.SharePending {
		return Ephemeral(decidedText(s)), nil
	}
	return &Response{Modal: &Modal{
		CustomID: shareRejectModal.ID(s.ID),
		Title:    fmt.Sprintf("Reject share #%d", s.ID),
		Components: []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
			discordgo.TextInput{
				CustomID: shareRejectReasonField, Label: "Why? (optional; the author is sent this)", Style: discordgo.TextInputParagraph,
				Placeholder: "e.g. It names another member. You're welcome to share it again without their name.",
				Required:    false, MaxLength: maxWarningReason,
			},
		}}},
	}}, nil
}

func (f *Shares) reject(ctx context.Context, req *Request) (*Response, error) {
	s, err := f.shareOf(ctx, req, shareRejectModal)
	if err != nil {
		return nil, err
	}
	reason := strings.TrimSpace(req.Fields[shareRejectReasonField])
	if n := runes(reason); n > maxWarningReason {
		return nil, UserErrorf("A reason can be up to %d characters; yours has %d.", maxWarningReason, n)
	}
	g, err := f.env.DB.Group(ctx, s.GroupID)
	if err != nil {
		return nil, err
	}
	s, err = f.env.DB.DecideShare(ctx, req.GuildID, s.ID, storage.ShareRejected, req.UserID, reason, f.env.Now())
	switch {
	case errors.Is(err, storage.ErrShareDecided):
		return Ephemeral(decidedText(s)), nil
	case err != nil:
		return nil, err
	}
	told := "The moderators decided not to post it."
	if reason != "" {
		told += "\n**Reason:** " + reason
	}
	if _, err := f.env.DB.Enqueue(ctx, dmJob.New(DMMessage{
		Key: storage.DMJobKey(fmt.Sprintf("share-rejected:%d", s.ID), s.UserID), UserID: s.UserID, GuildID: s.GuildID,
		Content: fmt.Sprintf("Your anonymous share in **%s** from %s wasn't posted. %s\nYou're welcome to share again with `/share`; if you'd like to talk it over, contact the server's moderators.",
			groupTitle(g), timestamp(s.CreatedAt, "f"), told),
	}, f.env.Now())); err != nil {
		return nil, err
	}
	f.shareLog(s).Info("share rejected", "moderator", req.UserID)
	decided := fmt.Sprintf("Rejected by <@%s>", req.UserID)
	if reason != "" {
		decided += ": " + oneLine(reason)
	}
	if s.CardChannelID != "" {
		if err := f.env.Discord.EditMessage(ctx, s.CardChannelID, s.CardMessageID, Message{Embeds: []*discordgo.MessageEmbed{vettingCard(s, g, decided)}}); err != nil {
			f.shareLog(s).Warn("vetting card not updated", "err", err)
		}
	}
	return Ephemeral(fmt.Sprintf("Share #%d is rejected. Its author is told privately, with your reason if you gave one, and not who you are.", s.ID)), nil
}

// ---- /shares ----

func (f *Shares) list(ctx context.Context, req *Request) (*Response, error) {
	return f.listing(ctx, req.GuildID, req.UserID, "")
}

// listing is /shares: the member's shares, each with a Delete button;
// head, when set, comes first (what was just done).
func (f *Shares) listing(ctx context.Context, guildID, userID, head string) (*Response, error) {
	shares, err := f.env.DB.MemberShares(ctx, guildID, userID)
	if err != nil {
		return nil, err
	}
	intro := []string{}
	if head != "" {
		intro = append(intro, head)
	}
	if len(shares) == 0 {
		intro = append(intro, "You have no anonymous shares in this server. `/share` makes one: it's posted as \"Anonymous member\".")
		return &Response{Ephemeral: true, Content: strings.Join(intro, "\n"), Components: []discordgo.MessageComponent{}}, nil
	}
	var lines []string
	var buttons []discordgo.MessageComponent
	for i, s := range shares {
		if i == maxSharesListed {
			lines = append(lines, fmt.Sprintf("… and %d older ones. Delete some of these to see them.", len(shares)-maxSharesListed))
			break
		}
		group := "a group"
		if g, err := f.env.DB.Group(ctx, s.GroupID); err == nil {
			group = "**" + groupTitle(g) + "**"
		}
		line := fmt.Sprintf("**#%d** · %s · %s · %s", s.ID, group, timestamp(s.CreatedAt, "D"), shareStateText(s))
		lines = append(lines, line+"\n> "+oneLine(clip(s.Text, 120)))
		buttons = append(buttons, discordgo.Button{Label: fmt.Sprintf("Delete #%d", s.ID), Style: discordgo.DangerButton, CustomID: shareDeleteButton.ID(s.ID)})
	}
	var rows []discordgo.MessageComponent
	for len(buttons) > 0 {
		n := min(len(buttons), 5)
		rows = append(rows, discordgo.ActionsRow{Components: buttons[:n]})
		buttons = buttons[n:]
	}
	intro = append(intro, "Your anonymous shares in this server. Only you see this. **Delete** removes the post and its text for good.")
	return &Response{
		Ephemeral:  true,
		Update:     head != "",
		Content:    joinFitted(strings.Join(intro, "\n"), lines, "\n", maxMessageContent, andMore),
		Components: rows,
	}, nil
}

func shareStateText(s storage.Share) string {
	switch s.State {
	case storage.SharePending:
		return "waiting for a moderator"
	case storage.SharePosted:
		if s.MessageID != "" {
			return "posted: " + messageLink(s.GuildID, s.ChannelID, s.MessageID)
		}
		return "being posted"
	case storage.ShareRejected:
		if s.RejectReason != "" {
			return "not posted: " + oneLine(clip(s.RejectReason, 100))
		}
		return "not posted"
	}
	return s.State
}

func (f *Shares) delete(ctx context.Context, req *Request) (*Response, error) {
	s, err := f.env.DB.DeleteShare(ctx, req.GuildID, req.Parts.Int("share"), req.UserID)
	if errors.Is(err, storage.ErrNotFound) {
		// Another member's share and an already deleted one get the same
		// answer: whose a share is is never told.
		return nil, UserErrorf("That share is already deleted, or isn't one of yours. `/shares` lists yours.")
	}
	if err != nil {
		return nil, err
	}
	f.deleteMessage(ctx, s, s.ChannelID, s.MessageID)
	if s.State == storage.SharePending || s.State == storage.ShareRejected {
		// Its card in the mod-log holds the text too.
		f.deleteMessage(ctx, s, s.CardChannelID, s.CardMessageID)
	}
	f.shareLog(s).Info("share deleted by its author")
	return f.listing(ctx, req.GuildID, req.UserID, fmt.Sprintf("Deleted share #%d: its post and its text are gone.", s.ID))
}

// deleteMessage deletes one of a share's messages, if it has one; a
// message already gone is fine, anything else is logged.
func (f *Shares) deleteMessage(ctx context.Context, s storage.Share, channelID, messageID string) {
	if channelID == "" || messageID == "" {
		return
	}
	err := f.env.Discord.DeleteMessage(ctx, channelID, messageID)
	if err != nil && !errors.Is(err, ErrUnknownMessage) && !errors.Is(err, ErrUnknownChannel) {
		f.shareLog(s).Warn("share message not deleted", "channel", channelID, "err", err)
	}
}

// ---- Warn anonymous author ----

func (f *Shares) warnForm(ctx context.Context, req *Request) (*Response, error) {
	m := req.TargetMessage
	if m == nil || m.ID == "" {
		return nil, UserErrorf("Kindred couldn't see that message. Try again.")
	}
	s, err := f.env.DB.ShareByMessage(ctx, req.GuildID, m.ID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, UserErrorf("That message isn't an anonymous share. Use **%s** on a share's post (by \"Anonymous member\") or on its card in the mod-log; for anyone else, use `/warn`.", shareWarnCommandName)
	}
	if err != nil {
		return nil, err
	}
	return &Response{Modal: &Modal{
		CustomID: shareWarnModal.ID(s.ID),
		Title:    fmt.Sprintf("Warn the author of share #%d", s.ID),
		Components: []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
			discordgo.TextInput{
				CustomID: shareWarnReasonField, Label: "Reason (the author is sent this)", Style: discordgo.TextInputParagraph,
				Placeholder: "You won't be told who wrote it: only the case number.",
				Required:    true, MinLength: 1, MaxLength: maxWarningReason,
			},
		}}},
	}}, nil
}

// anonymousRefusal is the one answer to a warning through a share that
// Discord's role rules don't let this moderator give, whatever the reason
// (the author owns the server, is an administrator or a moderator, or
// ranks at or above them): naming the reason would narrow down who wrote it.
const anonymousRefusal = "The warning couldn't be applied: Kindred can't let you warn the author of this share. Nothing was recorded and nothing was sent to them. A moderator higher in the server's roles, or the server's owner, may be able to."

func (f *Shares) warn(ctx context.Context, req *Request) (*Response, error) {
	s, err := f.shareOf(ctx, req, shareWarnModal)
	if err != nil {
		return nil, err
	}
	reason := strings.TrimSpace(req.Fields[shareWarnReasonField])
	if reason == "" {
		return nil, UserErrorf("Give a reason: the author is sent it, so they know what to change.")
	}
	if n := runes(reason); n > maxWarningReason {
		return nil, UserErrorf("A reason can be up to %d characters; yours has %d. Keep it to what the author needs to know.", maxWarningReason, n)
	}
	mod := &Moderation{env: f.env}
	// The same hierarchy checks as /warn, from Discord's view of the
	// server and the moderator's roles in this interaction; every refusal
	// is worded the same, and nothing is logged that names the author.
	st, err := mod.standing(ctx, &Request{GuildID: req.GuildID, UserID: req.UserID, RoleIDs: req.RoleIDs}, s.UserID)
	if err != nil {
		if _, refused := AsUserError(err); refused {
			f.shareLog(s).Info("warning through a share refused by the role hierarchy", "moderator", req.UserID)
			return nil, UserErrorf(anonymousRefusal)
		}
		return nil, err
	}
	now := f.env.Now()
	w, active, err := f.env.DB.AddShareWarning(ctx, storage.Warning{
		GuildID: req.GuildID, UserID: s.UserID, ModeratorID: req.UserID, Reason: reason,
		CreatedAt: now, ExpiresAt: now.Add(defaultWarningDays * 24 * time.Hour),
	}, s.ID)
	if err != nil {
		return nil, fmt.Errorf("warn share author: %w", err)
	}
	log := f.shareLog(s).With("case", w.Case, "moderator", req.UserID)
	log.Info("warning recorded through a share")

	g, err := f.env.DB.Group(ctx, s.GroupID)
	if err != nil {
		return nil, err
	}
	lines := []string{fmt.Sprintf("Warning recorded: **case #%d, anonymous author**, until %s.", w.Case, timestamp(w.ExpiresAt, "F"))}
	var problems []string
	if f.sendShareWarningDM(ctx, w, s, g) {
		lines = append(lines, "They were sent the reason privately, naming the share.")
	} else {
		problems = append(problems, "The author couldn't be sent a DM about it; they can see it with `/warnings`.")
	}
	settings, err := f.env.DB.GuildSettings(ctx, req.GuildID)
	if err != nil {
		return nil, err
	}
	if problem, err := mod.logToModlog(ctx, settings.ModlogChannelID, shareWarningEmbed(w, s)); problem != "" {
		problems = append(problems, problem)
		if err != nil {
			log.Warn("warning through a share not logged to the mod-log", "channel", settings.ModlogChannelID, "err", err)
		}
	}
	done, problem, err := f.escalate(ctx, mod, settings.ModlogChannelID, w, active, st)
	if err != nil {
		return nil, err
	}
	if done != "" {
		lines = append(lines, "Escalation: "+done)
	}
	if problem != "" {
		problems = append(problems, problem)
	}
	if len(problems) > 0 {
		lines = append(lines, "", "**What couldn't be done** (the warning is recorded either way):")
		for _, p := range problems {
			lines = append(lines, "• "+p)
		}
	}
	lines = append(lines, "", "If this author keeps breaking the rules through shares, **Block from sharing** stops them sharing in this server; you still won't be told who they are.")
	return &Response{
		Ephemeral: true,
		Content:   strings.Join(lines, "\n"),
		Components: []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
			discordgo.Button{Label: "Block from sharing", Style: discordgo.DangerButton, CustomID: shareBlockButton.ID(s.ID)},
		}}},
	}, nil
}

// escalate applies the escalation rule at the author's active warnings,
// as /warn does, and words the outcome without naming them: done is what
// was done, problem what wasn't, for the moderator; the mod-log gets the
// same. err is a storage error.
func (f *Shares) escalate(ctx context.Context, mod *Moderation, modlogChannelID string, w storage.Warning, active int, st standing) (done, problem string, err error) {
	rule, ok, err := f.env.DB.EscalationRuleFor(ctx, w.GuildID, active)
	if err != nil || !ok {
		return "", "", err
	}
	if refusal, _ := escalationRefusal(rule, st); refusal != "" {
		if st.inServer {
			problem = refusal // the moderator's own permissions: nothing about the author
		} else {
			problem = fmt.Sprintf("The escalation rule at %d warnings (%s) wasn't applied.", rule.Warnings, describeRule(rule))
		}
	} else if _, problem = mod.escalate(ctx, w, rule); problem == "" {
		done = fmt.Sprintf("the rule at %s applied (%s).", plural(rule.Warnings, "warning", "warnings"), describeRule(rule))
	}
	if problem != "" {
		f.env.Log.Warn("escalation through a share not applied", "guild", w.GuildID, "case", w.Case, "action", rule.Action)
	} else {
		f.env.Log.Info("escalation through a share applied", "guild", w.GuildID, "case", w.Case, "action", rule.Action)
	}
	if modlogChannelID != "" {
		note := fmt.Sprintf("**Escalation** (case #%d, anonymous author): ", w.Case)
		if problem != "" {
			note += "not applied. " + problem
		} else {
			note += done
		}
		if _, err := f.env.Discord.Send(ctx, modlogChannelID, Message{Content: note}); err != nil {
			f.env.Log.Warn("escalation through a share not logged to the mod-log", "guild", w.GuildID, "case", w.Case, "err", err)
		}
	}
	return done, problem, nil
}

// sendShareWarningDM tells the author about their warning, naming the
// share, and reports whether it was delivered.
func (f *Shares) sendShareWarningDM(ctx context.Context, w storage.Warning, s storage.Share, g storage.Group) bool {
	prefs, err := f.env.DB.Preferences(ctx, w.UserID)
	if err != nil || !prefs.DMsEnabled {
		return false
	}
	which := fmt.Sprintf("your anonymous share in **%s** from %s", groupTitle(g), timestamp(s.CreatedAt, "f"))
	if s.Text != "" {
		which += "\n> " + oneLine(clip(s.Text, 200))
	}
	content := strings.Join([]string{
		fmt.Sprintf("You've received a warning from the moderators of a server you're in (https://discord.com/channels/%s), case #%d, for %s", w.GuildID, w.Case, which),
		"",
		"**Reason:** " + w.Reason,
		fmt.Sprintf("**Expires:** %s (%s). After that it no longer counts toward further action.", timestamp(w.ExpiresAt, "F"), timestamp(w.ExpiresAt, "R")),
		"",
		"The moderators still don't know who wrote the share. **To appeal** or talk it over, contact the server's moderators in the server. Replies to this DM aren't read. `/warnings` in the server shows your active warnings.",
	}, "\n")
	_, err = sendDM(ctx, f.env.Discord, w.UserID, Message{Content: content})
	return err == nil
}

// shareWarningEmbed is the mod-log entry of a warning through a share.
func shareWarningEmbed(w storage.Warning, s storage.Share) *discordgo.MessageEmbed {
	return &discordgo.MessageEmbed{
		Title: fmt.Sprintf("Warning · case #%d", w.Case),
		Color: colourModeration,
		Fields: []*discordgo.MessageEmbedField{
			{Name: "Member", Value: fmt.Sprintf("Anonymous author of share #%d", s.ID), Inline: true},
			{Name: "Moderator", Value: fmt.Sprintf("<@%s>", w.ModeratorID), Inline: true},
			{Name: "Reason", Value: w.Reason},
			{Name: "Expires", Value: fmt.Sprintf("%s (%s)", timestamp(w.ExpiresAt, "F"), timestamp(w.ExpiresAt, "R")), Inline: true},
		},
		Timestamp: w.CreatedAt.Format(time.RFC3339),
	}
}

func (f *Shares) block(ctx context.Context, req *Request) (*Response, error) {
	id := req.Parts.Int("share")
	blocked, err := f.env.DB.BlockShareAuthor(ctx, req.GuildID, id, req.UserID, f.env.Now())
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return nil, shareBlockButton.Stale()
	case errors.Is(err, storage.ErrShareNotWarned):
		return nil, UserErrorf("Only an author who was warned through a share can be blocked from sharing. Use **%s** on the share first.", shareWarnCommandName)
	case err != nil:
		return nil, err
	}
	f.env.Log.Info("share author blocked from sharing", "guild", req.GuildID, "share", id, "moderator", req.UserID)
	text := fmt.Sprintf("The author of share #%d is blocked from sharing in this server. They aren't told who blocked them, and you still don't know who they are.", id)
	if !blocked {
		text = fmt.Sprintf("The author of share #%d was already blocked from sharing in this server.", id)
	}
	if settings, err := f.env.DB.GuildSettings(ctx, req.GuildID); err == nil && settings.ModlogChannelID != "" && blocked {
		if _, err := f.env.Discord.Send(ctx, settings.ModlogChannelID, Message{
			Content: fmt.Sprintf("**Sharing blocked** for the anonymous author of share #%d, by <@%s>.", id, req.UserID),
		}); err != nil {
			f.env.Log.Warn("sharing block not logged to the mod-log", "guild", req.GuildID, "share", id, "err", err)
		}
	}
	return &Response{Ephemeral: true, Content: text, Components: []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
		discordgo.Button{Label: "Undo: allow sharing again", Style: discordgo.SecondaryButton, CustomID: shareUnblockButton.ID(id)},
	}}}}, nil
}

func (f *Shares) unblock(ctx context.Context, req *Request) (*Response, error) {
	id := req.Parts.Int("share")
	lifted, err := f.env.DB.UnblockShareAuthor(ctx, req.GuildID, id)
	if err != nil {
		return nil, err
	}
	f.env.Log.Info("share author unblocked", "guild", req.GuildID, "share", id, "moderator", req.UserID)
	if !lifted {
		return Ephemeral(fmt.Sprintf("The author of share #%d isn't blocked from sharing.", id)), nil
	}
	return Ephemeral(fmt.Sprintf("The author of share #%d can share in this server again.", id)), nil
}
