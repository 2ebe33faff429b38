package bot_test

import (
	"slices"
	"testing"
	"time"

	"github.com/kindred-bot/kindred/bot"
	"github.com/kindred-bot/kindred/internal/discordsim"
	"github.com/kindred-bot/kindred/internal/kindredtest"
)

// BenchmarkInteractionDispatch200 measures interaction dispatch → callback
// through internal/discordsim: each iteration sends a burst of 200
// concurrent /resources interactions to the real bot over the gateway and
// waits for every callback. Target (2 cores): p99 under 20 ms, no missed
// 3-second deadline. Reported: p50_ms, p99_ms, max_ms, missed (callbacks
// later than Discord's window). The fake Discord runs in the same process
// and shares the two cores with the bot.
func BenchmarkInteractionDispatch200(b *testing.B) {
	const concurrent = 200
	h := kindredtest.Start(b, kindredtest.Options{Configure: func(c *bot.Config) { c.Log.Level = "warn" }})

	prepare := func() []*discordsim.Prepared {
		// The fake shares the process: forgetting the last burst keeps its
		// records, and their garbage collection, from growing with every burst.
		h.Fake.ForgetAnswered()
		batch := make([]*discordsim.Prepared, concurrent)
		for i := range batch {
			ic, err := h.Fake.BuildCommand(kindredtest.GuildID, kindredtest.AliceID, "/resources")
			if err != nil {
				b.Fatal(err)
			}
			if batch[i], err = h.Fake.Prepare(ic); err != nil {
				b.Fatal(err)
			}
		}
		return batch
	}
	var latencies []time.Duration
	missed := 0
	burst := func(batch []*discordsim.Prepared, record bool) {
		pending := make([]*discordsim.Pending, len(batch))
		for i, pr := range batch {
			var err error
			if pending[i], err = h.Fake.Dispatch(pr); err != nil {
				b.Fatal(err)
			}
		}
		// Waiting one by one is enough: each reply's latency is stamped by
		// the fake when the callback arrives, and a single waiter keeps the
		// fake's wake-ups from competing with the bot for the two cores.
		for _, p := range pending {
			reply, err := p.Wait(10 * time.Second)
			if !record {
				continue
			}
			if err != nil || reply.Latency >= 3*time.Second {
				missed++
				continue
			}
			latencies = append(latencies, reply.Latency)
		}
	}
	// Warm up the way a running bot is warm: the first burst dials the REST
	// connections later bursts reuse.
	burst(prepare(), false)

	b.ResetTimer()
	for range b.N {
		b.StopTimer() // building the interactions is the test's work, not the bot's
		batch := prepare()
		b.StartTimer()
		burst(batch, true)
	}
	b.StopTimer()
	if len(latencies) == 0 {
		b.Fatal("no interaction answered")
	}
	slices.Sort(latencies)
	pct := func(p float64) float64 {
		return float64(latencies[int(float64(len(latencies)-1)*p)].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50_ms")
	b.ReportMetric(pct(0.99), "p99_ms")
	b.ReportMetric(pct(1), "max_ms")
	b.ReportMetric(float64(missed), "missed")
}
