package bot

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/kindred-bot/kindred/storage"
	"github.com/kindred-bot/kindred/storage/storagetest"
)

var shareT0 = time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)

// setting returns the bucket's rate and burst.
func setting(b *tokenBucket) (float64, int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.rate, int(b.burst)
}

func wantSetting(t *testing.T, who string, b *tokenBucket, perSecond float64, burst int) {
	t.Helper()
	if r, n := setting(b); r != perSecond || n != burst {
		t.Fatalf("%s: bucket at %v/s burst %d, want %v/s burst %d", who, r, n, perSecond, burst)
	}
}

func newTestShare(db *storage.DB, log *slog.Logger) *rateShare {
	return newRateShare(db, newGlobalBucket(DefaultGlobalRateLimit), DefaultGlobalRateLimit, log)
}

func TestShareOf(t *testing.T) {
	for _, c := range []struct {
		limit     globalLimit
		live      int
		perSecond float64
		burst     int
	}{
		{50, 1, 45, 5}, {50, 2, 22.5, 2}, {50, 3, 15, 1}, {50, 5, 9, 1}, {50, 10, 4, 1},
		{500, 1, 450, 50}, {500, 3, 150, 16}, {1200, 2, 540, 60},
	} {
		if r, n := c.limit.shareOf(c.live); r != c.perSecond || n != c.burst {
			t.Errorf("limit %d: shareOf(%d) = %v/s burst %d, want %v/s burst %d", c.limit, c.live, r, n, c.perSecond, c.burst)
		}
	}
	// Together the processes stay within the limit in any second.
	for _, limit := range []globalLimit{50, 120, 500, 1200} {
		for live := 1; live <= int(limit)*9/10; live++ {
			r, n := limit.shareOf(live)
			if total := float64(live) * (r + float64(n)); total > float64(limit)+1e-9 || r <= 0 {
				t.Errorf("limit %d: %d processes at %v/s burst %d: %v requests in a second", limit, live, r, n, total)
			}
		}
	}
}

// Two processes on one PostgreSQL database end up at half the rate each,
// and the one that stays takes back the whole limit when the other leaves
// or goes silent.
func TestRateShareSplitsAcrossProcesses(t *testing.T) {
	d := storagetest.Postgres.New(t)
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	one, two := newTestShare(d.Open(t), log), newTestShare(d.Open(t), log)
	half, halfBurst := 22.5, 2

	one.step(ctx, shareT0)
	wantSetting(t, "one, alone", one.bucket, 45, 5)
	two.step(ctx, shareT0.Add(time.Second))
	wantSetting(t, "two, after one", two.bucket, half, halfBurst)
	one.step(ctx, shareT0.Add(heartbeatInterval))
	wantSetting(t, "one, after two joined", one.bucket, half, halfBurst)

	// two stops and leaves: one has the whole limit at its next heartbeat.
	two.leave(ctx)
	one.step(ctx, shareT0.Add(2*heartbeatInterval))
	wantSetting(t, "one, after two left", one.bucket, 45, 5)

	// two is back, then dies without leaving: one takes back its share
	// once two's last heartbeat is older than the TTL.
	last := shareT0.Add(2*heartbeatInterval + time.Second)
	two.step(ctx, last)
	one.step(ctx, last.Add(time.Second))
	wantSetting(t, "one, after two came back", one.bucket, half, halfBurst)
	one.step(ctx, last.Add(storage.ProcessTTL))
	wantSetting(t, "one, within the TTL of two's last heartbeat", one.bucket, half, halfBurst)
	one.step(ctx, last.Add(storage.ProcessTTL+time.Millisecond))
	wantSetting(t, "one, past the TTL of two's last heartbeat", one.bucket, 45, 5)
}

// A heartbeat that fails keeps the share as it was, and says so.
func TestRateShareKeepsRateWhenHeartbeatFails(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		var logs bytes.Buffer
		s := newTestShare(db, slog.New(slog.NewTextHandler(&logs, nil)))
		ctx := context.Background()
		if _, err := db.Heartbeat(ctx, "another process", shareT0); err != nil {
			t.Fatal(err)
		}
		s.step(ctx, shareT0)
		wantSetting(t, "with another process", s.bucket, 22.5, 2)

		failing, cancel := context.WithCancel(ctx)
		cancel()
		s.step(failing, shareT0.Add(storage.ProcessTTL+time.Second)) // would find itself alone
		wantSetting(t, "after a failed heartbeat", s.bucket, 22.5, 2)
		if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "heartbeat failed") {
			t.Errorf("a failed heartbeat logged %q, want a warning", logs.String())
		}
	})
}
