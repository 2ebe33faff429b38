package bot

import (
	"context"
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
