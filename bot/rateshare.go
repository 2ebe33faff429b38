package bot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"sync"
	"time"

	"github.com/kindred-bot/kindred/storage"
)

// Discord's global limit is per bot, not per process. Processes sharing a
// PostgreSQL database share it: each keeps a heartbeat row in the database
// (storage.Heartbeat) and sets its global bucket to its share of the
// limit, by how many processes are live. A process that stops deletes its
// row, and the others take back its share at their next heartbeat; a
// process that dies stops counting after storage.ProcessTTL. On SQLite a
// process is always alone, and keeps the whole limit.

// heartbeatInterval is how often a process heartbeats: three times within
// the TTL, so one slow or failed heartbeat doesn't make it count as gone.
const heartbeatInterval = storage.ProcessTTL / 3

// shareOf is one process's share of the global limit when live processes
// share it: the rate and the burst divided between them, the burst at
// least 1 (a bucket without a whole token never lets a request through).
// With more processes than the burst has tokens, the minimum bursts alone
// would add up to more than the headroom, so the rate gives way instead:
// live × (rate + burst) never exceeds the limit in any one second (with
// Discord's 50, up to 45 processes); past that the rate stays at minShare.
func (l globalLimit) shareOf(live int) (perSecond float64, burst int) {
	live = max(1, live)
	burst = max(1, l.burst()/live)
	perSecond = min(l.rate()/float64(live), float64(l)/float64(live)-float64(burst))
	return max(minShare, perSecond), burst
}

// minShare is the lowest rate a process is ever set to: a rate of 0 would
// never let a request through.
const minShare = 0.1

// rateShare keeps a process's global bucket at its share of the limit.
type rateShare struct {
	db     *storage.DB
	id     string // random, chosen at start
	bucket *tokenBucket
	limit  globalLimit
	log    *slog.Logger

	mu   sync.Mutex
	live int // the count the bucket is set for
}

func newRateShare(db *storage.DB, bucket *tokenBucket, limit globalLimit, log *slog.Logger) *rateShare {
	return &rateShare{db: db, id: newProcessID(), bucket: bucket, limit: limit, log: log, live: 1}
}

// newProcessID returns a random id for this process's heartbeat row.
func newProcessID() string {
	var b [12]byte
	rand.Read(b[:]) // never fails (crypto/rand panics rather than return an error)
	return hex.EncodeToString(b[:])
}

// step heartbeats once, at now, and sets the bucket to the share of the
// processes now live. A heartbeat that fails keeps the share as it was.
func (s *rateShare) step(ctx context.Context, now time.Time) {
	ctx, cancel := context.WithTimeout(ctx, heartbeatInterval)
	defer cancel()
	live, err := s.db.Heartbeat(ctx, s.id, now)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.log.Warn("heartbeat failed: keeping this process's share of Discord's global rate limit", "err", err, "processes", s.live)
		return
	}
	if live == s.live {
		return
	}
	perSecond, burst := s.limit.shareOf(live)
	s.bucket.setRate(perSecond, burst)
	s.log.Info("sharing Discord's global rate limit", "processes", live, "per_second", perSecond, "burst", burst)
	s.live = live
}

// run heartbeats every heartbeatInterval until ctx ends.
func (s *rateShare) run(ctx context.Context) {
	tick := time.NewTicker(heartbeatInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			s.step(ctx, time.Now())
		}
	}
}

// leave deletes this process's row, so the others take back its share at
// their next heartbeat rather than after the TTL.
func (s *rateShare) leave(ctx context.Context) {
	if err := s.db.Leave(ctx, s.id); err != nil {
		s.log.Warn("leaving the processes that share Discord's global rate limit", "err", err)
	}
}
