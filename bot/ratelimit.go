package bot

import (
	"context"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
)

// Discord allows a bot 50 requests per second across all routes (more for
// a large bot whose limit Discord raised: discord.global_rate_limit).
// Kindred's own sends (reminders, DMs, roles) stay under it with a token
// bucket, so a burst of reminders is spread out instead of collecting
// 429s; the per-route limits are left to discordgo, which reads Discord's
// bucket headers. Interaction replies don't count toward the global limit
// and don't pass through here. Processes sharing a database share the
// limit: each sets its bucket to its share (rateshare.go).

// globalLimit is the bot's global limit and how Kindred keeps under it: a
// steady rate with headroom (nine tenths) and a burst of the rest, so
// burst + rate stays within the limit in any one-second window.
type globalLimit int

// DefaultGlobalRateLimit is Discord's global limit for a bot, requests per
// second, unless Discord raised it.
const DefaultGlobalRateLimit = 50

func (l globalLimit) rate() float64 { return float64(l) * 9 / 10 }
func (l globalLimit) burst() int    { return max(1, int(l)/10) }

// tokenBucket hands out one token per request at a steady rate.
type tokenBucket struct {
	mu      sync.Mutex
	rate    float64 // tokens per second
	burst   float64
	tokens  float64
	last    time.Time
	changed chan struct{} // closed and replaced by setRate: waiters work out their delay again
}

func newTokenBucket(perSecond float64, burst int) *tokenBucket {
	return &tokenBucket{rate: perSecond, burst: float64(burst), tokens: float64(burst), last: time.Now(), changed: make(chan struct{})}
}

// refill adds the tokens earned since the last refill. b.mu is held.
func (b *tokenBucket) refill(now time.Time) {
	b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
}

// setRate changes the rate and the burst from now on. Tokens earned so far
// are kept up to the new burst, so a lower burst takes effect at once;
// waiters work out their delay again at the new rate.
func (b *tokenBucket) setRate(perSecond float64, burst int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refill(time.Now())
	b.rate, b.burst = perSecond, float64(burst)
	b.tokens = min(b.tokens, b.burst)
	close(b.changed)
	b.changed = make(chan struct{})
}

// wait blocks until a token is available or ctx ends. A caller whose ctx
// has already ended gets no token.
func (b *tokenBucket) wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for {
		b.mu.Lock()
		b.refill(time.Now())
		if b.tokens >= 1 {
			b.tokens--
			b.mu.Unlock()
			return nil
		}
		delay := time.Duration((1 - b.tokens) / b.rate * float64(time.Second))
		changed := b.changed
		b.mu.Unlock()
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-changed:
			t.Stop()
		case <-t.C:
		}
	}
}

// newGlobalBucket is the bucket of a process that is alone; processes
// sharing a database share the limit (see rateShare).
func newGlobalBucket(l globalLimit) *tokenBucket {
	return newTokenBucket(l.rate(), l.burst())
}

// newDiscordClient is the Discord port over session, behind the global
// token bucket: every request Kindred makes on its own counts against
// Discord's global limit.
func newDiscordClient(session *discordgo.Session, bucket *tokenBucket) *discordPort {
	return newDiscordPort(session, bucket)
}
