package discordsim

import (
	"strconv"
	"testing"
	"time"
)

// Sharding, as Discord documents it (Gateway → Sharding): a session that
// sends shard [id, count] in IDENTIFY receives the events of the guilds with
// (guild_id >> 22) % count == id, and events without a guild (DMs) only on
// shard 0. A session without a shard field is shard [0, 1] and receives
// everything.

// identifyWindow is the period max_concurrency counts IDENTIFYs in (Gateway
// → Session Start Limit Object: "Number of identify requests allowed per 5
// seconds").
const identifyWindow = 5 * time.Second

// sessionStartWindow is the period of the session start limit (Gateway →
// Identifying: "1000 IDENTIFY calls to the websocket in a 24-hour period").
const sessionStartWindow = 24 * time.Hour

const defaultSessionStartLimit = 1000

// shardKey is a session's [shard_id, num_shards].
type shardKey struct{ id, count int }

// shardOf reads IDENTIFY's shard field; ok is false for an invalid shard.
func shardOf(f *[2]int) (shardKey, bool) {
	if f == nil {
		return shardKey{0, 1}, true
	}
	k := shardKey{f[0], f[1]}
	return k, k.count >= 1 && k.id >= 0 && k.id < k.count
}

// owns reports whether the shard receives the events of guildID ("" for
// events without a guild, which go to shard 0 only).
func (k shardKey) owns(guildID string) bool {
	if k.count <= 1 {
		return true
	}
	if guildID == "" {
		return k.id == 0
	}
	id, err := strconv.ParseUint(guildID, 10, 64)
	if err != nil {
		return k.id == 0
	}
	return int((id>>22)%uint64(k.count)) == k.id
}

// ShardOf returns the shard of count that receives guildID's events:
// (guild_id >> 22) % count.
func ShardOf(guildID string, count int) int {
	for id := range count {
		if (shardKey{id, count}).owns(guildID) {
			return id
		}
	}
	return 0
}

// IdentifyOutcome is what the gateway made of an IDENTIFY.
type IdentifyOutcome string

const (
	// IdentifyAccepted: a session started and READY was sent.
	IdentifyAccepted IdentifyOutcome = "accepted"
	// IdentifyInvalidShard: closed with 4010 (Invalid shard).
	IdentifyInvalidShard IdentifyOutcome = "invalid shard"
	// IdentifyShardingRequired: the session would have had more than
	// Options.RequireSharding guilds; closed with 4011 (Sharding required).
	IdentifyShardingRequired IdentifyOutcome = "sharding required"
	// IdentifyStartLimit: no session starts remained. Discord's docs
	// (Gateway → Identifying) say hitting the daily limit terminates the
	// app's sessions and resets its token; the fake closes just this
	// connection with 4004 (Authentication failed), as for a reset token,
	// and leaves the other sessions and the token alone.
	IdentifyStartLimit IdentifyOutcome = "session start limit"
	// IdentifyConcurrency: another IDENTIFY of the same rate limit key
	// (shard_id % max_concurrency) was accepted less than 5 seconds
	// before; answered with op 9 (Invalid Session, d:false) and the
	// connection left open (Gateway → Identifying).
	IdentifyConcurrency IdentifyOutcome = "max concurrency"
)

// IdentifyRecord is one IDENTIFY that passed authentication and the intent
// check.
type IdentifyRecord struct {
	Shard, Count int // [0, 1] for an unsharded IDENTIFY
	At           time.Time
	Outcome      IdentifyOutcome
}

// IdentifyLog returns the IDENTIFYs that passed authentication, oldest
// first, with the shard they asked for and what became of them. Tests check
// bucket spacing with it.
func (s *Server) IdentifyLog() []IdentifyRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]IdentifyRecord, len(s.identifyLog))
	copy(out, s.identifyLog)
	return out
}

func (s *Server) recordIdentify(k shardKey, o IdentifyOutcome) {
	s.mu.Lock()
	s.identifyLog = append(s.identifyLog, IdentifyRecord{Shard: k.id, Count: k.count, At: time.Now(), Outcome: o})
	s.notifyLocked()
	s.mu.Unlock()
}

// startSessionLocked decides whether a valid IDENTIFY for shard k starts a session,
// records it, and counts the session start.
func (s *Server) startSessionLocked(k shardKey) IdentifyOutcome {
	now := time.Now()
	o := IdentifyAccepted
	switch {
	case s.opts.RequireSharding > 0 && s.guildCountLocked(k) > s.opts.RequireSharding:
		o = IdentifyShardingRequired
	case s.startsRemainingLocked(now) <= 0:
		o = IdentifyStartLimit
	case s.identifyTooSoonLocked(k, now):
		o = IdentifyConcurrency
	}
	s.identifyLog = append(s.identifyLog, IdentifyRecord{Shard: k.id, Count: k.count, At: now, Outcome: o})
	if o == IdentifyAccepted {
		s.startsUsed++
	}
	s.notifyLocked()
	return o
}

func (s *Server) guildCountLocked(k shardKey) int {
	n := 0
	for _, id := range s.guildOrder {
		if k.owns(id) {
			n++
		}
	}
	return n
}

// startsRemainingLocked is the session start limit's remaining count,
// starting a new 24-hour window when the last one has passed.
func (s *Server) startsRemainingLocked(now time.Time) int {
	if !now.Before(s.startsResetAt) {
		s.startsUsed = 0
		s.startsResetAt = now.Add(sessionStartWindow)
	}
	return max(s.startLimitTotal()-s.startsUsed, 0)
}

func (s *Server) startLimitTotal() int {
	if s.opts.SessionStartLimit > 0 {
		return s.opts.SessionStartLimit
	}
	return defaultSessionStartLimit
}

// identifyTooSoonLocked applies max_concurrency (Gateway → Sharding → Max
// Concurrency): rate_limit_key = shard_id % max_concurrency, and each key
// may identify once per 5 seconds. Enforced only when
// Options.MaxConcurrency is set.
func (s *Server) identifyTooSoonLocked(k shardKey, now time.Time) bool {
	c := s.opts.MaxConcurrency
	if c <= 0 {
		return false
	}
	for i := len(s.identifyLog) - 1; i >= 0; i-- {
		r := s.identifyLog[i]
		if now.Sub(r.At) >= identifyWindow {
			break
		}
		if r.Outcome == IdentifyAccepted && r.Shard%c == k.id%c {
			return true
		}
	}
	return false
}

// gatewayBotLocked is GET /gateway/bot's answer (Gateway → Get Gateway Bot,
// Session Start Limit Object).
func (s *Server) gatewayBotLocked() map[string]any {
	now := time.Now()
	remaining := s.startsRemainingLocked(now)
	shards := max(s.opts.Shards, 1)
	return map[string]any{
		"url":    s.GatewayURL(),
		"shards": shards,
		"session_start_limit": map[string]int{
			"total":           s.startLimitTotal(),
			"remaining":       remaining,
			"reset_after":     int(s.startsResetAt.Sub(now).Milliseconds()),
			"max_concurrency": max(s.opts.MaxConcurrency, 1),
		},
	}
}

// ReconnectShard is Reconnect for the sessions of one shard (an unsharded
// session is shard 0): they get op 7 and are expected to RESUME; the
// others carry on.
func (s *Server) ReconnectShard(id int) {
	for _, c := range s.takeOutOfService(false, id) {
		_ = c.writeOp(opReconnect, nil)
	}
}

// InvalidateShard is InvalidateSession for the sessions of one shard: they
// get op 9 (d:false) and are forgotten; the others carry on.
func (s *Server) InvalidateShard(id int) {
	for _, c := range s.takeOutOfService(true, id) {
		_ = c.writeOp(opInvalidSession, false)
	}
}

// readyConnForLocked returns the newest ready connection whose session
// receives guildID's events ("" for a DM), or nil.
func (s *Server) readyConnForLocked(guildID string) *gwConn {
	for _, c := range s.readyConnsLocked() {
		if c.session.shard.owns(guildID) {
			return c
		}
	}
	return nil
}

// WaitShardReady is WaitReady for a session of shard id of count.
func (s *Server) WaitShardReady(t testing.TB, id, count int, timeout time.Duration) {
	t.Helper()
	want := shardKey{id, count}
	if !s.waitUntil(timeout, func() bool {
		for _, c := range s.readyConnsLocked() {
			if c.session.shard == want {
				return true
			}
		}
		return false
	}) {
		t.Fatalf("discordsim: no ready gateway session for shard [%d, %d] after %v", id, count, timeout)
	}
}
