package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/kindred-bot/kindred/internal/zones"
	"github.com/kindred-bot/kindred/scheduler"
	"github.com/kindred-bot/kindred/storage"
)

// Every DM Kindred sends is a "dm" job, enqueued by the feature that wants
// it in the same transaction as whatever caused it. One sender means one
// place that honours /preferences dms and quiet hours, and treats a closed
// DM as a normal outcome rather than something to retry.
const jobDM = "dm"

// discordCannotMessageUser is Discord's code for a member whose DMs are
// closed to the bot (privacy settings, or no shared server).
const discordCannotMessageUser = 50007

// DMMessage is what a DM job carries. Buttons are kept as plain data so the
// payload round-trips through JSON.
type DMMessage struct {
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
	Label    string                `json:"label"`
	CustomID string                `json:"custom_id"`
	Style    discordgo.ButtonStyle `json:"style"`
}

// dmJob builds the job that sends m; dedupe makes a second enqueue of the
// same DM a no-op.
func dmJob(dedupe string, runAt time.Time, m DMMessage) storage.NewJob {
	return storage.NewJob{Kind: jobDM, GuildID: m.GuildID, UserID: m.UserID, DedupeKey: dedupe, RunAt: runAt, Payload: m}
}

// DMs is the DM sender. It has no commands of its own.
type DMs struct {
	env Env
	// channels caches each member's DM channel id: Discord returns the same
	// channel every time, and asking again would double the requests of a
	// reminder fan-out.
	channels sync.Map
}

func (f *DMs) Register(r *Router) {
	r.Job(jobDM, scheduler.Kind{Handle: f.deliver, MaxAttempts: 5})
}

// deliver sends one DM, or holds it until quiet hours end, or drops it.
// It is idempotent: a DM recorded as sent is not sent again after a crash.
func (f *DMs) deliver(ctx context.Context, job storage.Job) ([]storage.NewJob, error) {
	var m DMMessage
	if err := json.Unmarshal(job.Payload, &m); err != nil {
		return nil, fmt.Errorf("dm payload: %w", err)
	}
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
		return []storage.NewJob{{Kind: jobDM, GuildID: job.GuildID, UserID: m.UserID, DedupeKey: job.DedupeKey, RunAt: until, Payload: m}}, nil
	}
	if _, sent, err := f.env.DB.SentRef(ctx, job.DedupeKey); err != nil || sent {
		return nil, err
	}
	channelID, err := f.dmChannel(m.UserID)
	if err != nil {
		if closedDM(err) {
			log.Info("dm not delivered: the member's DMs are closed")
			return nil, nil
		}
		return nil, fmt.Errorf("open dm channel: %w", err)
	}
	msg, err := f.env.Wire.ChannelMessageSendComplex(channelID, &discordgo.MessageSend{
		Content:         m.Content,
		Components:      dmComponents(m.Buttons),
		AllowedMentions: noMentions(),
	})
	if err != nil {
		if closedDM(err) {
			log.Info("dm not delivered: the member's DMs are closed")
			return nil, nil
		}
		return nil, fmt.Errorf("send dm: %w", err)
	}
	return nil, f.env.DB.RecordSent(ctx, job.DedupeKey, msg.ID, now)
}

func (f *DMs) dmChannel(userID string) (string, error) {
	if id, ok := f.channels.Load(userID); ok {
		return id.(string), nil
	}
	channel, err := f.env.Wire.UserChannelCreate(userID)
	if err != nil {
		return "", err
	}
	f.channels.Store(userID, channel.ID)
	return channel.ID, nil
}

// quietUntil reports whether now falls in the member's quiet hours and,
// if so, when they end.
func quietUntil(p storage.Preferences, now time.Time) (time.Time, bool) {
	if p.QuietHours == nil {
		return time.Time{}, false
	}
	loc := time.UTC
	if _, l, ok := zones.Lookup(p.Timezone); ok {
		loc = l
	}
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

func closedDM(err error) bool {
	var rest *discordgo.RESTError
	if !errors.As(err, &rest) {
		return false
	}
	if rest.Message != nil && rest.Message.Code == discordCannotMessageUser {
		return true
	}
	return false
}

func dmComponents(buttons []DMButton) []discordgo.MessageComponent {
	if len(buttons) == 0 {
		return nil
	}
	row := discordgo.ActionsRow{}
	for _, b := range buttons {
		row.Components = append(row.Components, discordgo.Button{Label: b.Label, CustomID: b.CustomID, Style: b.Style})
	}
	return []discordgo.MessageComponent{row}
}

// noMentions is the allowed-mentions value for everything Kindred posts
// itself: no one is pinged.
func noMentions() *discordgo.MessageAllowedMentions {
	return &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}
}
