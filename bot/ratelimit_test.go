package bot

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The bucket never lets more than rate+burst requests through in any
// one-second window, which is what keeps Kindred under Discord's 50/s.
func TestTokenBucketWindow(t *testing.T) {
	b := newTokenBucket(200, 5) // fast, so the test is short
	var stamps []time.Time
	deadline := time.Now().Add(500 * time.Millisecond)
	for time.Now().Before(deadline) {
		if err := b.wait(context.Background()); err != nil {
			t.Fatal(err)
		}
		stamps = append(stamps, time.Now())
	}
	window := 100 * time.Millisecond
	limit := 5 + 200*window.Seconds() + 1 // burst + rate·window, one for timer slack
	for i := range stamps {
		n := 0
		for j := i; j < len(stamps) && stamps[j].Sub(stamps[i]) < window; j++ {
			n++
		}
		if float64(n) > limit {
			t.Fatalf("%d requests in %v from request %d, want at most %.0f", n, window, i, limit)
		}
	}
	if len(stamps) < 20 { // lenient: a loaded machine only ever gives fewer
		t.Errorf("only %d requests in 500 ms at 200/s", len(stamps))
	}
}

func TestTokenBucketHonoursContext(t *testing.T) {
	b := newTokenBucket(1, 1)
	b.wait(context.Background()) // use the only token
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := b.wait(ctx); err == nil {
		t.Fatal("wait returned a token it did not have")
	}
}

// drain takes every token the bucket has.
func drain(t *testing.T, b *tokenBucket) {
	t.Helper()
	b.mu.Lock()
	b.tokens = 0
	b.last = time.Now()
	b.mu.Unlock()
}

// grants runs n waiters on b for d and returns how many got a token.
// start, when not nil, runs once they are waiting.
func grants(b *tokenBucket, n int, d time.Duration, start func()) int {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var (
		wg  sync.WaitGroup
		got atomic.Int32
	)
	for range n {
		wg.Go(func() {
			if b.wait(ctx) == nil {
				got.Add(1)
			}
		})
	}
	if start != nil {
		time.Sleep(5 * time.Millisecond)
		start()
	}
	wg.Wait()
	return int(got.Load())
}

// A lower rate holds back the requests already waiting for a token.
func TestTokenBucketSetRateSlowsWaiters(t *testing.T) {
	b := newTokenBucket(100, 5)
	drain(t, b)
	got := grants(b, 30, 600*time.Millisecond, func() { b.setRate(10, 1) })
	// At most the token under way, 10/s for 0.6 s and one for timer slack;
	// at the old rate it would have been all 30.
	if got > 8 || got < 3 {
		t.Fatalf("%d requests in 600 ms after the rate fell to 10/s, want 3 to 8", got)
	}
}

// A lower burst takes effect at once: tokens saved up under the old one
// don't all go out together.
func TestTokenBucketSetRateCapsBurst(t *testing.T) {
	b := newTokenBucket(100, 50) // full: 50 tokens saved up
	b.setRate(10, 2)
	if got := grants(b, 20, 50*time.Millisecond, nil); got > 3 || got < 2 {
		t.Fatalf("%d requests in 50 ms after the burst fell to 2 at 10/s, want 2 or 3", got)
	}
}

// A higher rate reaches the requests already waiting, rather than after
// the delay they worked out at the old one.
func TestTokenBucketSetRateWakesWaiters(t *testing.T) {
	b := newTokenBucket(1, 1)
	drain(t, b) // the next token is a second away
	start := time.Now()
	if got := grants(b, 1, 500*time.Millisecond, func() { b.setRate(100, 1) }); got != 1 {
		t.Fatalf("the waiter got no token within 500 ms of the rate rising to 100/s")
	}
	if d := time.Since(start); d > 300*time.Millisecond {
		t.Errorf("the waiter waited %v after the rate rose to 100/s", d)
	}
}
