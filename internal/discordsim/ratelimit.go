package discordsim

import (
	"fmt"
	"hash/fnv"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// RateLimit makes the fake enforce Discord's REST rate limits, so tests can
// check that a burst of bot requests (a reminder fan-out) stays under them.
// A zero field turns that limit off.
//
// The fake follows Discord's documented behaviour:
//
//   - Per-route limits: RouteLimit requests per RouteWindow in each bucket.
//     A bucket is the method and route together with its top-level resource
//     (channel, guild, or webhook id and token; for interaction callbacks
//     the interaction), so two channels never share a bucket. The window
//     starts with a bucket's first request. Every answer on a limited route
//     carries X-RateLimit-Limit, -Remaining, -Reset (epoch seconds),
//     -Reset-After (seconds) and -Bucket; a 429 adds Retry-After and
//     X-RateLimit-Scope: user.
//   - The global limit: GlobalPerSecond requests in any one-second window,
//     across all routes. A 429 for it carries Retry-After,
//     X-RateLimit-Global: true and X-RateLimit-Scope: global, and, as on
//     Discord, no bucket headers: discordgo v0.29.0 then only delays the
//     request that was refused, and other goroutines keep sending until
//     they are refused too. That is what a bot without its own pacing
//     meets in production.
//   - Interaction endpoints (the callback and the interaction webhook
//     under /webhooks/{app}/{token}) are not bound to the global limit.
//
// Refused requests use up neither limit. Requests refused for a missing or
// wrong token (401) are not counted.
type RateLimit struct {
	// GlobalPerSecond is the most requests accepted in any one-second
	// window; Discord allows a bot 50.
	GlobalPerSecond int
	// RouteLimit is the most requests per bucket per RouteWindow, e.g. 5.
	RouteLimit int
	// RouteWindow is how long a bucket's window lasts. Default 5s when
	// RouteLimit is set.
	RouteWindow time.Duration
}

const (
	defaultRouteWindow = 5 * time.Second
	rateLimitedMessage = "You are being rate limited."
	// rateLimitSlack is added to every wait the fake announces. discordgo
	// turns fractional seconds into whole milliseconds through float
	// arithmetic that can round down; without the slack a client waiting
	// exactly as told can arrive a hair early and be refused again.
	rateLimitSlack = time.Millisecond
)

// rateLimiter holds the limits' state. It is guarded by Server.mu.
type rateLimiter struct {
	cfg RateLimit
	// recent holds the acceptance times of the last GlobalPerSecond
	// globally counted requests, oldest at next: a sliding one-second
	// window in constant memory.
	recent  []time.Time
	next    int
	buckets map[string]*routeBucket
	limited int
}

type routeBucket struct {
	hash    string
	used    int
	resetAt time.Time
}

// newRateLimiter returns nil when rl is nil: no limits, no headers.
func newRateLimiter(rl *RateLimit) *rateLimiter {
	if rl == nil {
		return nil
	}
	cfg := *rl // the caller may reuse its struct
	if cfg.RouteLimit > 0 && cfg.RouteWindow <= 0 {
		cfg.RouteWindow = defaultRouteWindow
	}
	l := &rateLimiter{cfg: cfg, buckets: map[string]*routeBucket{}}
	if cfg.GlobalPerSecond > 0 {
		l.recent = make([]time.Time, cfg.GlobalPerSecond)
	}
	return l
}

// RateLimited is how many 429s the rate limits have sent (those injected
// with FailNext are not counted).
func (s *Server) RateLimited() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.limits == nil {
		return 0
	}
	return s.limits.limited
}

// admitLocked applies the rate limits to c, whose route is rt (nil for an
// unknown path). It sets the rate limit headers and reports true if the
// request may go on, or answers 429 and reports false. Call it with s.mu
// held, after authentication and before the handler.
func (s *Server) admitLocked(c *call, rt *route) bool {
	l := s.limits
	if l == nil {
		return true
	}
	now := time.Now()
	global := l.cfg.GlobalPerSecond > 0 && !exemptFromGlobal(rt)
	// The global limit is checked first and leaves the route bucket alone,
	// so a refused request neither uses nor starts a bucket's window.
	if global {
		if oldest := l.recent[l.next]; !oldest.IsZero() && now.Sub(oldest) < time.Second {
			l.limited++
			wait := oldest.Add(time.Second).Sub(now)
			c.headers.Set("X-RateLimit-Global", "true")
			c.headers.Set("X-RateLimit-Scope", "global")
			c.tooManyRequests(wait, true)
			return false
		}
	}
	if rt != nil && l.cfg.RouteLimit > 0 {
		b := l.bucketLocked(rt, c.params, now)
		if b.used >= l.cfg.RouteLimit {
			l.limited++
			b.setHeaders(c.headers, l.cfg.RouteLimit, now)
			c.headers.Set("X-RateLimit-Scope", "user")
			c.tooManyRequests(b.resetAt.Sub(now), false)
			return false
		}
		b.used++
		b.setHeaders(c.headers, l.cfg.RouteLimit, now)
	}
	if global {
		l.recent[l.next] = now
		l.next = (l.next + 1) % len(l.recent)
	}
	return true
}

// bucketLocked returns rt's bucket for these path parameters, starting a
// new window if the last one is over.
func (l *rateLimiter) bucketLocked(rt *route, params map[string]string, now time.Time) *routeBucket {
	h := fnv.New64a()
	h.Write([]byte(rt.method + " " + rt.pattern))
	hash := fmt.Sprintf("%016x", h.Sum64())
	key := hash + ":" + majorParameter(params)
	b := l.buckets[key]
	if b == nil {
		b = &routeBucket{hash: hash}
		l.buckets[key] = b
	}
	if !now.Before(b.resetAt) {
		b.used, b.resetAt = 0, now.Add(l.cfg.RouteWindow)
	}
	return b
}

// majorParameter is the top-level resource in a path, which Discord keeps
// separate limits for.
func majorParameter(params map[string]string) string {
	switch {
	case params["channel"] != "":
		return "channel/" + params["channel"]
	case params["guild"] != "":
		return "guild/" + params["guild"]
	case params["interaction"] != "":
		return "interaction/" + params["interaction"]
	case params["token"] != "":
		return "webhook/" + params["app"] + "/" + params["token"]
	}
	return ""
}

// exemptFromGlobal reports whether rt is an interaction endpoint, which
// Discord does not count against the global limit.
func exemptFromGlobal(rt *route) bool {
	return rt != nil && (strings.HasPrefix(rt.pattern, "/interactions/") || strings.HasPrefix(rt.pattern, "/webhooks/"))
}

func (b *routeBucket) setHeaders(h http.Header, limit int, now time.Time) {
	h.Set("X-RateLimit-Limit", strconv.Itoa(limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(limit-b.used))
	resetMs := (b.resetAt.Add(rateLimitSlack).UnixMicro() + 999) / 1000
	h.Set("X-RateLimit-Reset", strconv.FormatFloat(float64(resetMs)/1000, 'f', 3, 64))
	h.Set("X-RateLimit-Reset-After", seconds(b.resetAt.Sub(now)))
	h.Set("X-RateLimit-Bucket", b.hash)
}

// tooManyRequests answers 429 with Discord's body and Retry-After, which
// is whole seconds, rounded up, as Discord sends it.
func (c *call) tooManyRequests(wait time.Duration, global bool) {
	c.headers.Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
	c.status = http.StatusTooManyRequests
	c.resp = fmt.Appendf(nil, `{"message":%q,"retry_after":%s,"global":%t}`, rateLimitedMessage, seconds(wait), global)
}

// seconds formats a wait as fractional seconds with millisecond precision,
// rounded up and with rateLimitSlack added, so a client that waits exactly
// that long is not early.
func seconds(d time.Duration) string {
	ms := (d + rateLimitSlack + time.Millisecond - 1) / time.Millisecond
	return strconv.FormatFloat(float64(ms)/1000, 'f', 3, 64)
}
