package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/kindred-bot/kindred/scheduler"
	"github.com/kindred-bot/kindred/storage"
)

// Every DM Kindred sends is a dmJob, enqueued by the feature that wants it
// in the same transaction as whatever caused it. One sender means one
// place that honours /preferences dms and quiet hours, and treats a closed
// DM as a normal outcome rather than something to retry.
var dmJob = scheduler.JobDef[DMMessage]{
	Kind:        "dm",
	Key:         func(m DMMessage, _ time.Time) string { return m.Key },
	Guild:       func(m DMMessage) string { return m.GuildID },
	User:        func(m DMMessage) string { return m.UserID },
	MaxAttempts: 5,
}

// DMMessage is what a DM job carries. Buttons are kept as plain data so the
// payload round-trips through JSON.
type DMMessage struct {
	// Key names the DM for deduplication (storage.DMJobKey and friends):
	// it becomes the job's dedupe key, and is not part of the payload.
	Key     string     `json:"-"`
	UserID  string     `json:"user_id"`
	GuildID string     `json:"guild_id,omitempty"`
	Content string     `json:"content"`
	Buttons []DMButton `json:"buttons,omitempty"`
	// ValidUntil is when the DM stops being useful (a reminder once the
	// meeting has begun): a DM held by quiet hours past it is dropped.
	ValidUntil int64 `json:"valid_until,omitempty"`
}

// DMButton is one button of a DM.
type DMButton struct {
	Label    string      `json:"label"`
	CustomID string      `json:"custom_id"`
	Style    ButtonStyle `json:"style"`
}

// ButtonStyle is a button's look, stored by name so that a queued DM
// doesn't depend on discordgo's numbering.
type ButtonStyle string

const (
	ButtonPrimary   ButtonStyle = "primary"
	ButtonSecondary ButtonStyle = "secondary"
	ButtonSuccess   ButtonStyle = "success"
	ButtonDanger    ButtonStyle = "danger"
)

// UnmarshalJSON also reads the numbers that DMs queued by earlier versions
// of Kindred carry (Discord's own: 1 primary … 4 danger).
func (s *ButtonStyle) UnmarshalJSON(b []byte) error {
	var n int
	if err := json.Unmarshal(b, &n); err == nil {
		styles := map[int]ButtonStyle{1: ButtonPrimary, 2: ButtonSecondary, 3: ButtonSuccess, 4: ButtonDanger}
		if styles[n] == "" {
			return fmt.Errorf("button style %d", n)
		}
		*s = styles[n]
		return nil
	}
	var name string
	if err := json.Unmarshal(b, &name); err != nil {
		return fmt.Errorf("button style: %w", err)
	}
	*s = ButtonStyle(name)
	return nil
}

func (s ButtonStyle) discord() discordgo.ButtonStyle {
	switch s {
	case ButtonPrimary:
		return discordgo.PrimaryButton
	case ButtonSuccess:
		return discordgo.SuccessButton
	case ButtonDanger:
		return discordgo.DangerButton
	}
	return discordgo.SecondaryButton
}

// DMs is the DM sender. It has no commands of its own.
type DMs struct {
	env Env
}

func (f *DMs) Register(r *Router) {
	r.Job(dmJob.Runner(f.deliver))
}

// deliver sends one DM, or holds it until quiet hours end, or drops it.
// It is idempotent: a DM recorded as sent is not sent again after a crash.
func (f *DMs) deliver(ctx context.Context, job storage.Job, m DMMessage) ([]storage.NewJob, error) {
	log := f.env.Log.With("job", job.ID, "user", m.UserID)
	now := f.env.Now()
	if m.ValidUntil != 0 && !now.Before(time.Unix(m.ValidUntil, 0)) {
		log.Info("dm dropped: no longer useful")
		return nil, nil
	}
	prefs, err := f.env.DB.Preferences(ctx, m.UserID)
	if err != nil {
		return nil, err
	}
	if !prefs.DMsEnabled {
		log.Debug("dm not sent: the member turned DMs off")
		return nil, nil
	}
	if until, held := quietUntil(prefs, now); held {
		if m.ValidUntil != 0 && !until.Before(time.Unix(m.ValidUntil, 0)) {
			log.Info("dm dropped: quiet hours last past its use")
			return nil, nil
		}
		log.Debug("dm held for quiet hours", "until", until)
		// Completing this job and enqueueing the held one happen in one
		// transaction, the old row first, so the dedupe key carries over.
		m.Key = job.DedupeKey
		return []storage.NewJob{dmJob.New(m, until)}, nil
	}
	if _, sent, err := f.env.DB.SentRef(ctx, job.DedupeKey); err != nil || sent {
		return nil, err
	}
	// The sent log stops a run again after this one recorded the DM; the
	// nonce stops one that comes before, after a crash in between.
	effect := job.DedupeKey
	if effect == "" {
		effect = fmt.Sprintf("job:%d", job.ID)
	}
	msgID, err := sendDM(ctx, f.env.Discord, m.UserID, Message{Content: m.Content, Components: dmComponents(m.Buttons), Nonce: nonceFor(effect)})
	switch {
	case errors.Is(err, ErrNoMutualServer) && m.GuildID != "":
		// They share no server with Kindred: they left this job's one.
		log.Info("dm not delivered: the member has left the server", "guild", m.GuildID)
		return nil, MemberLeft(ctx, f.env, m.GuildID, m.UserID)
	case errors.Is(err, ErrDMClosed):
		log.Info("dm not delivered: the member's DMs are closed")
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("send dm: %w", err)
	}
	return nil, f.env.DB.RecordSent(ctx, job.DedupeKey, msgID, now)
}

// sendDM opens the member's DM channel and posts m there. A member whose
// DMs are closed gives an error matching ErrDMClosed.
func sendDM(ctx context.Context, d Discord, userID string, m Message) (messageID string, err error) {
	channelID, err := d.OpenDM(ctx, userID)
	if err != nil {
		return "", fmt.Errorf("open dm channel: %w", err)
	}
	return d.Send(ctx, channelID, m)
}

// quietUntil reports whether now falls in the member's quiet hours and,
// if so, when they end.
func quietUntil(p storage.Preferences, now time.Time) (time.Time, bool) {
	if p.QuietHours == nil {
		return time.Time{}, false
	}
	loc := firstZone(zoneChoice{p.Timezone, zoneOfMember}).loc
	local := now.In(loc)
	minute := local.Hour()*60 + local.Minute()
	if !p.QuietHours.Contains(minute) {
		return time.Time{}, false
	}
	end := time.Date(local.Year(), local.Month(), local.Day(), p.QuietHours.End/60, p.QuietHours.End%60, 0, 0, loc)
	if !end.After(local) {
		end = time.Date(local.Year(), local.Month(), local.Day()+1, p.QuietHours.End/60, p.QuietHours.End%60, 0, 0, loc)
	}
	return end, true
}

func dmComponents(buttons []DMButton) []discordgo.MessageComponent {
	if len(buttons) == 0 {
		return nil
	}
	row := discordgo.ActionsRow{}
	for _, b := range buttons {
		row.Components = append(row.Components, discordgo.Button{Label: b.Label, CustomID: b.CustomID, Style: b.Style.discord()})
	}
	return []discordgo.MessageComponent{row}
}
