package bot_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/kindred-bot/kindred/bot"
	"github.com/kindred-bot/kindred/internal/discordsim"
	"github.com/kindred-bot/kindred/internal/kindredtest"
)

// Burst shape shared by the burst benchmark and the goroutine soak.
const (
	burstMembers = 50  // distinct members sending a burst
	burstSize    = 200 // concurrent interactions in one burst
)

// BenchmarkCheckinBurst measures how fast a burst of check-ins is
// acknowledged, against a floor: a bare discordgo bot that answers every
// interaction with a fixed ephemeral text, no routing and no storage. Each
// op sends 50 bursts of 200 concurrent `/checkin mood:N` from 50 members to
// each bot, alternating floor and Kindred so both see the same machine
// load. Each bot has its own internal/discordsim with the same server; the
// latency is stamped by the fake, from writing INTERACTION_CREATE to
// receiving the callback.
//
// Targets (2 cores): p99_ratio (Kindred's p99 over the floor's) ≤ 1.3;
// worst_burst_over_median (the slowest burst's max latency over the median
// of Kindred's per-burst maxima) ≤ 2, that is no burst stalls; no missed
// 3-second deadline. Reported besides: each bot's p50/p99 in ms.
//
//	go test ./bot -run '^$' -bench CheckinBurst -benchtime 1x -count 3
func BenchmarkCheckinBurst(b *testing.B) {
	const bursts = 50
	h := kindredtest.Start(b, kindredtest.Options{Configure: func(c *bot.Config) { c.Log.Level = "warn" }})
	addBurstMembers(h.Fake)
	floor := startFloor(b, h.Fake.Commands(""))

	kindred, bare := &burstStats{}, &burstStats{}
	// Warm up as a running bot is warm: the first bursts dial the REST
	// connections later ones reuse, and fill SQLite's page cache.
	for range 2 {
		runBurst(b, floor, nil)
		runBurst(b, h.Fake, nil)
	}
	b.ResetTimer()
	for range b.N {
		for range bursts {
			runBurst(b, floor, bare)
			runBurst(b, h.Fake, kindred)
		}
	}
	b.StopTimer()
	if len(kindred.all) == 0 || len(bare.all) == 0 {
		b.Fatal("no interaction answered")
	}
	b.ReportMetric(bare.percentile(0.50), "floor_p50_ms")
	b.ReportMetric(bare.percentile(0.99), "floor_p99_ms")
	b.ReportMetric(kindred.percentile(0.50), "p50_ms")
	b.ReportMetric(kindred.percentile(0.99), "p99_ms")
	b.ReportMetric(kindred.percentile(0.99)/bare.percentile(0.99), "p99_ratio")
	b.ReportMetric(kindred.worstOverMedian(), "worst_burst_over_median")
	b.ReportMetric(float64(kindred.missed), "missed")
}

// addBurstMembers adds the members who send the bursts to the test server.
func addBurstMembers(fake *discordsim.Server) {
	for m := range burstMembers {
		fake.AddMember(kindredtest.GuildID, discordsim.Member{User: discordsim.User{ID: burstMemberID(m), Username: fmt.Sprintf("member%d", m)}})
	}
}

func burstMemberID(m int) string { return fmt.Sprintf("8300000000000%05d", m) }

// burstStats collects the latencies of one bot's bursts.
type burstStats struct {
	all       []time.Duration
	burstMaxs []time.Duration
	missed    int
}

// percentile is the p-th latency of every burst so far, in ms.
func (s *burstStats) percentile(p float64) float64 {
	sorted := slices.Sorted(slices.Values(s.all))
	return ms(sorted[int(float64(len(sorted)-1)*p)])
}

// worstOverMedian is the slowest burst's max latency over the median of
// all bursts' maxima: 1 when every burst ends alike, large when one stalls.
func (s *burstStats) worstOverMedian() float64 {
	sorted := slices.Sorted(slices.Values(s.burstMaxs))
	return ms(sorted[len(sorted)-1]) / ms(sorted[len(sorted)/2])
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// runBurst sends burstSize concurrent check-ins from burstMembers members
// to whichever bot fake serves, and records their latencies in stats (nil:
// don't record).
func runBurst(tb testing.TB, fake *discordsim.Server, stats *burstStats) {
	b, timed := tb.(*testing.B)
	if timed {
		b.StopTimer() // building the interactions is the test's work, not the bot's
	}
	// The fake shares the process: forgetting the last burst keeps its
	// records, and their garbage collection, from growing with every burst.
	fake.ForgetAnswered()
	batch := make([]*discordsim.Prepared, burstSize)
	for i := range batch {
		ic, err := fake.BuildCommand(kindredtest.GuildID, burstMemberID(i%burstMembers), fmt.Sprintf("/checkin mood:%d", i%5+1))
		if err != nil {
			tb.Fatal(err)
		}
		if batch[i], err = fake.Prepare(ic); err != nil {
			tb.Fatal(err)
		}
	}
	if timed {
		b.StartTimer()
	}

	latencies, missed := dispatchAll(tb, fake, batch)
	if stats != nil {
		stats.all = append(stats.all, latencies...)
		stats.missed += missed
		stats.burstMaxs = append(stats.burstMaxs, slices.Max(append(latencies, 0)))
	}
}

// startFloor runs the floor bot against a fresh fake with the test server,
// its burst members and the given command definitions: a bare discordgo
// session, configured as its README shows, that answers every interaction
// with a fixed ephemeral text.
func startFloor(b *testing.B, defs []*discordgo.ApplicationCommand) *discordsim.Server {
	fake := discordsim.New(discordsim.Options{})
	b.Cleanup(fake.Close)
	fake.AddGuild(kindredtest.Server())
	addBurstMembers(fake)

	s, err := discordgo.New("Bot " + fake.Token())
	if err != nil {
		b.Fatal(err)
	}
	// discordgo's endpoints are fixed at discord.com; only the host is
	// redirected, over the default transport a bare bot uses.
	base, err := url.Parse(fake.URL())
	if err != nil {
		b.Fatal(err)
	}
	s.Client = &http.Client{Timeout: 20 * time.Second, Transport: hostRewrite{base: base}}
	s.Identify.Intents = discordgo.IntentsGuilds
	s.AddHandler(func(s *discordgo.Session, ic *discordgo.InteractionCreate) {
		_ = s.InteractionRespond(ic.Interaction, &discordgo.InteractionResponse{
			Type: discordgo.InteractionResponseChannelMessageWithSource,
			Data: &discordgo.InteractionResponseData{Content: "Thanks for checking in.", Flags: discordgo.MessageFlagsEphemeral},
		})
	})
	if err := s.Open(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	if _, err := s.ApplicationCommandBulkOverwrite(fake.AppID(), "", stripIDs(defs)); err != nil {
		b.Fatal(err)
	}
	fake.WaitReady(b, 10*time.Second)
	return fake
}

// stripIDs copies command definitions as an application would write them.
func stripIDs(defs []*discordgo.ApplicationCommand) []*discordgo.ApplicationCommand {
	out := make([]*discordgo.ApplicationCommand, len(defs))
	for i, d := range defs {
		cp := *d
		cp.ID, cp.ApplicationID, cp.Version = "", "", ""
		out[i] = &cp
	}
	return out
}

// hostRewrite sends discordgo's requests to the fake, over
// http.DefaultTransport.
type hostRewrite struct{ base *url.URL }

func (t hostRewrite) RoundTrip(req *http.Request) (*http.Response, error) {
	out := req.Clone(req.Context())
	out.URL.Scheme, out.URL.Host, out.Host = t.base.Scheme, t.base.Host, t.base.Host
	return http.DefaultTransport.RoundTrip(out)
}
