package bot_test

import (
	"runtime"
	"testing"
	"time"

	"github.com/kindred-bot/kindred/bot"
	"github.com/kindred-bot/kindred/internal/kindredtest"
)

// BenchmarkGoroutineSoak sends 10,000 check-ins per op, in bursts of 200,
// and fails unless every goroutine an interaction started (discordgo's
// per-event one, the handler's, the deferral timer's) has ended: the count
// must come back to what it was after warming up, within a small slack for
// the few that come and go on their own (the fake's, the HTTP pool's).
// It is a benchmark, not a test, because it takes about 8 s, and close to
// a minute with the race detector. Reported: goroutines before and after,
// and how many more after.
//
//	go test ./bot -run '^$' -bench GoroutineSoak -benchtime 1x
func BenchmarkGoroutineSoak(b *testing.B) {
	const (
		interactions = 10_000
		slack        = 10
	)
	h := kindredtest.Start(b, kindredtest.Options{Configure: func(c *bot.Config) { c.Log.Level = "warn" }})
	addBurstMembers(h.Fake)
	// Warm up until the REST connection pool is as full as a burst makes
	// it: its connections' goroutines stay, and belong in the baseline.
	for range 3 {
		runBurst(b, h.Fake, nil)
	}
	baseline := settledGoroutines(func(n int) bool { return false })

	b.ResetTimer()
	for range b.N {
		stats := &burstStats{}
		for range interactions / burstSize {
			runBurst(b, h.Fake, stats)
		}
		if len(stats.all) != interactions || stats.missed > 0 {
			b.Fatalf("%d of %d answered in time, %d missed", len(stats.all), interactions, stats.missed)
		}
	}
	b.StopTimer()
	after := settledGoroutines(func(n int) bool { return n <= baseline+slack })
	b.ReportMetric(float64(baseline), "goroutines_before")
	b.ReportMetric(float64(after), "goroutines_after")
	b.ReportMetric(float64(after-baseline), "goroutines_leaked")
	if after > baseline+slack {
		b.Fatalf("%d goroutines after %d interactions, %d before: a path leaks goroutines", after, b.N*interactions, baseline)
	}
}

// settledGoroutines polls the goroutine count until done accepts it, or
// until it has stopped falling for 100 ms, or 10 s have passed, and returns
// the last count. Goroutines end a moment after their work does, so it
// polls instead of reading once.
func settledGoroutines(done func(int) bool) int {
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	low, steady := runtime.NumGoroutine(), 0
	for !done(low) && steady < 10 && time.Now().Before(deadline) {
		<-tick.C
		if n := runtime.NumGoroutine(); n < low {
			low, steady = n, 0
		} else {
			steady++
		}
	}
	return low
}
