package bot_test

import (
	"slices"
	"testing"
	"time"

	"github.com/kindred-bot/kindred/bot"
	"github.com/kindred-bot/kindred/internal/discordsim"
	"github.com/kindred-bot/kindred/internal/kindredtest"
)

// dispatchConcurrent is the size of one dispatch burst.
const dispatchConcurrent = 200

// BenchmarkInteractionDispatch200 measures interaction dispatch → callback
// through internal/discordsim: each iteration sends a burst of 200
// concurrent /resources interactions to the real bot over the gateway and
// waits for every callback. Target (2 cores): p99 under 20 ms, no missed
// 3-second deadline. Reported: p50_ms, p99_ms, max_ms, missed (callbacks
// later than Discord's window). The fake Discord runs in the same process
// and shares the two cores with the bot.
func BenchmarkInteractionDispatch200(b *testing.B) {
	h := kindredtest.Start(b, kindredtest.Options{Configure: func(c *bot.Config) { c.Log.Level = "warn" }})

	// Warm up the way a running bot is warm: the first burst dials the REST
	// connections later bursts reuse.
	dispatchBurst(b, h.Fake, prepareResources(b, h.Fake), nil)

	stats := &dispatchStats{}
	b.ResetTimer()
	for range b.N {
		b.StopTimer() // building the interactions is the test's work, not the bot's
		batch := prepareResources(b, h.Fake)
		b.StartTimer()
		dispatchBurst(b, h.Fake, batch, stats)
	}
	b.StopTimer()
	if len(stats.latencies) == 0 {
		b.Fatal("no interaction answered")
	}
	b.ReportMetric(stats.percentile(0.50), "p50_ms")
	b.ReportMetric(stats.percentile(0.99), "p99_ms")
	b.ReportMetric(stats.percentile(1), "max_ms")
	b.ReportMetric(float64(stats.missed), "missed")
}

// BenchmarkInteractionTransport200 compares the two ways an interaction
// reaches Kindred: the same burst of 200 concurrent /resources as
// BenchmarkInteractionDispatch200, sent to one Kindred over the gateway and
// to another over its HTTP interactions endpoint (the fake POSTs each
// interaction, signed, and takes the response body as its callback). Each
// iteration sends one burst to each, alternating which goes first, so
// both see the same machine load. For both the latency is stamped by the
// fake, from sending the interaction (writing INTERACTION_CREATE, or
// starting the POST) to receiving its answer (the callback, or the whole
// response body).
//
// Reported per transport (gateway_, http_): p50_ms, p99_ms, max_ms,
// missed; and p99_ratio, the HTTP endpoint's p99 over the gateway's.
//
//	go test ./bot -run '^$' -bench InteractionTransport200 -benchtime 20x -count 3
func BenchmarkInteractionTransport200(b *testing.B) {
	quiet := func(c *bot.Config) { c.Log.Level = "warn" }
	gateway := kindredtest.Start(b, kindredtest.Options{Configure: quiet})
	overHTTP := kindredtest.Start(b, kindredtest.Options{Configure: quiet, HTTPInteractions: true})

	type transport struct {
		name  string
		fake  *discordsim.Server
		stats dispatchStats
	}
	transports := []*transport{{name: "gateway", fake: gateway.Fake}, {name: "http", fake: overHTTP.Fake}}
	// Warm up: the first bursts dial the connections later ones reuse.
	for range 2 {
		for _, t := range transports {
			dispatchBurst(b, t.fake, prepareResources(b, t.fake), nil)
		}
	}

	b.ResetTimer()
	for n := range b.N {
		for k := range transports {
			t := transports[(n+k)%len(transports)]
			b.StopTimer() // building the interactions is the test's work, not the bot's
			batch := prepareResources(b, t.fake)
			b.StartTimer()
			dispatchBurst(b, t.fake, batch, &t.stats)
		}
	}
	b.StopTimer()
	for _, t := range transports {
		if len(t.stats.latencies) == 0 {
			b.Fatalf("%s: no interaction answered", t.name)
		}
		b.ReportMetric(t.stats.percentile(0.50), t.name+"_p50_ms")
		b.ReportMetric(t.stats.percentile(0.99), t.name+"_p99_ms")
		b.ReportMetric(t.stats.percentile(1), t.name+"_max_ms")
		b.ReportMetric(float64(t.stats.missed), t.name+"_missed")
	}
	b.ReportMetric(transports[1].stats.percentile(0.99)/transports[0].stats.percentile(0.99), "p99_ratio")
}

// prepareResources builds a burst of /resources interactions from Alice.
func prepareResources(b *testing.B, fake *discordsim.Server) []*discordsim.Prepared {
	// The fake shares the process: forgetting the last burst keeps its
	// records, and their garbage collection, from growing with every burst.
	fake.ForgetAnswered()
	batch := make([]*discordsim.Prepared, dispatchConcurrent)
	for i := range batch {
		ic, err := fake.BuildCommand(kindredtest.GuildID, kindredtest.AliceID, "/resources")
		if err != nil {
			b.Fatal(err)
		}
		if batch[i], err = fake.Prepare(ic); err != nil {
			b.Fatal(err)
		}
	}
	return batch
}

// dispatchStats collects the latencies of dispatch bursts.
type dispatchStats struct {
	latencies []time.Duration
	missed    int // callbacks later than Discord's window, or none
}

// percentile is the p-th latency so far, in ms.
func (s *dispatchStats) percentile(p float64) float64 {
	sorted := slices.Sorted(slices.Values(s.latencies))
	return ms(sorted[int(float64(len(sorted)-1)*p)])
}

// dispatchBurst dispatches batch at once and waits for every answer,
// recording the latencies in stats (nil: don't record).
func dispatchBurst(b *testing.B, fake *discordsim.Server, batch []*discordsim.Prepared, stats *dispatchStats) {
	latencies, missed := dispatchAll(b, fake, batch)
	if stats != nil {
		stats.latencies = append(stats.latencies, latencies...)
		stats.missed += missed
	}
}

// dispatchAll dispatches batch at once and waits for every answer. It
// returns the answers' latencies and how many came later than Discord's
// window, or not at all.
func dispatchAll(tb testing.TB, fake *discordsim.Server, batch []*discordsim.Prepared) (latencies []time.Duration, missed int) {
	pending := make([]*discordsim.Pending, len(batch))
	for i, pr := range batch {
		var err error
		if pending[i], err = fake.Dispatch(pr); err != nil {
			tb.Fatal(err)
		}
	}
	// Waiting one by one is enough: each reply's latency is stamped by
	// the fake when the callback arrives, and a single waiter keeps the
	// fake's wake-ups from competing with the bot for the two cores.
	for _, p := range pending {
		reply, err := p.Wait(10 * time.Second)
		if err != nil || reply.Latency >= 3*time.Second {
			missed++
			continue
		}
		latencies = append(latencies, reply.Latency)
	}
	return latencies, missed
}
