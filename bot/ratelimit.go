package bot

import (
	"context"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/kindred-bot/kindred/commands"
)

// Discord allows a bot 50 requests per second across all routes. Kindred's
// own sends (reminders, DMs, roles) stay under it with a token bucket, so
// a burst of reminders is spread out instead of collecting 429s; the
// per-route limits are left to discordgo, which reads Discord's bucket
// headers. Interaction replies don't count toward the global limit and
// don't pass through here.
const (
	globalRequestsPerSecond = 45 // headroom under Discord's 50
	globalBurst             = 5  // burst + rate stays ≤ 50 in any one-second window
)

// tokenBucket hands out one token per request at a steady rate.
type tokenBucket struct {
	mu     sync.Mutex
	rate   float64 // tokens per second
	burst  float64
	tokens float64
	last   time.Time
}

func newTokenBucket(perSecond, burst int) *tokenBucket {
	return &tokenBucket{rate: float64(perSecond), burst: float64(burst), tokens: float64(burst), last: time.Now()}
}

// wait blocks until a token is available or ctx ends. A caller whose ctx
// has already ended gets no token.
func (b *tokenBucket) wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for {
		b.mu.Lock()
		now := time.Now()
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
		b.last = now
		if b.tokens >= 1 {
			b.tokens--
			b.mu.Unlock()
			return nil
		}
		delay := time.Duration((1 - b.tokens) / b.rate * float64(time.Second))
		b.mu.Unlock()
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// limitedDiscord passes every call of the legacy method set through the
// global token bucket, which it shares with the Discord port, while
// features move to the port.
type limitedDiscord struct {
	next   commands.LegacyDiscord
	bucket *tokenBucket
}

func newLimitedDiscord(next commands.LegacyDiscord, bucket *tokenBucket) *limitedDiscord {
	return &limitedDiscord{next: next, bucket: bucket}
}

// discordClients returns the Discord port and the legacy method set over
// session. They share one token bucket: Discord's global limit counts all
// of Kindred's requests together.
func discordClients(session *discordgo.Session) (*discordPort, *limitedDiscord) {
	bucket := newTokenBucket(globalRequestsPerSecond, globalBurst)
	return newDiscordPort(session, bucket), newLimitedDiscord(session, bucket)
}

// take waits for a token. The calls carry no context of their own, so a
// request waits as long as it must; the bucket never waits more than a
// fraction of a second per queued request.
func (d *limitedDiscord) take() {
	_ = d.bucket.wait(context.Background())
}

func (d *limitedDiscord) ChannelMessageSendComplex(channelID string, data *discordgo.MessageSend, options ...discordgo.RequestOption) (*discordgo.Message, error) {
	d.take()
	return d.next.ChannelMessageSendComplex(channelID, data, options...)
}

func (d *limitedDiscord) ChannelMessageEditComplex(m *discordgo.MessageEdit, options ...discordgo.RequestOption) (*discordgo.Message, error) {
	d.take()
	return d.next.ChannelMessageEditComplex(m, options...)
}

func (d *limitedDiscord) UserChannelCreate(recipientID string, options ...discordgo.RequestOption) (*discordgo.Channel, error) {
	d.take()
	return d.next.UserChannelCreate(recipientID, options...)
}

func (d *limitedDiscord) GuildMemberRoleAdd(guildID, userID, roleID string, options ...discordgo.RequestOption) error {
	d.take()
	return d.next.GuildMemberRoleAdd(guildID, userID, roleID, options...)
}

func (d *limitedDiscord) GuildMemberRoleRemove(guildID, userID, roleID string, options ...discordgo.RequestOption) error {
	d.take()
	return d.next.GuildMemberRoleRemove(guildID, userID, roleID, options...)
}

func (d *limitedDiscord) ThreadStartComplex(channelID string, data *discordgo.ThreadStart, options ...discordgo.RequestOption) (*discordgo.Channel, error) {
	d.take()
	return d.next.ThreadStartComplex(channelID, data, options...)
}

func (d *limitedDiscord) ThreadMemberAdd(threadID, memberID string, options ...discordgo.RequestOption) error {
	d.take()
	return d.next.ThreadMemberAdd(threadID, memberID, options...)
}

func (d *limitedDiscord) GuildMemberTimeout(guildID, userID string, until *time.Time, options ...discordgo.RequestOption) error {
	d.take()
	return d.next.GuildMemberTimeout(guildID, userID, until, options...)
}

func (d *limitedDiscord) GuildMemberDeleteWithReason(guildID, userID, reason string, options ...discordgo.RequestOption) error {
	d.take()
	return d.next.GuildMemberDeleteWithReason(guildID, userID, reason, options...)
}

func (d *limitedDiscord) GuildBanCreateWithReason(guildID, userID, reason string, days int, options ...discordgo.RequestOption) error {
	d.take()
	return d.next.GuildBanCreateWithReason(guildID, userID, reason, days, options...)
}
