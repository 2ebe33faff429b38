package bot_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kindred-bot/kindred/bot"
	"github.com/kindred-bot/kindred/internal/discordsim"
	"github.com/kindred-bot/kindred/internal/kindredtest"
)

// shardGuild is a server whose id gives (id >> 22) == k, so it belongs to
// shard k % count, with alice as a member.
func shardGuild(k int) discordsim.Guild {
	id := strconv.FormatUint(uint64(k)<<22|uint64(k), 10)
	return discordsim.Guild{
		ID: id, Name: "guild " + strconv.Itoa(k), OwnerID: kindredtest.OwnerID,
		Channels: []discordsim.Channel{{Name: "general"}},
		Members: []discordsim.Member{
			{User: discordsim.User{ID: kindredtest.OwnerID, Username: "owner"}},
			{User: discordsim.User{ID: kindredtest.AliceID, Username: "alice"}},
		},
	}
}

// Three shards, as Discord recommends: every shard's servers are served,
// each shard shows in /healthz and /metrics, and one shard down turns
// /healthz to 503 naming it.
func TestShardsServeEveryShard(t *testing.T) {
	t.Parallel()
	guilds := []discordsim.Guild{shardGuild(3), shardGuild(4), shardGuild(5)} // shards 0, 1, 2
	h := kindredtest.Start(t, kindredtest.Options{
		// Exactly the starts three shards need: a shard that must identify
		// again later is refused.
		Fake:   discordsim.Options{Shards: 3, MaxConcurrency: 3, SessionStartLimit: 3},
		Guilds: guilds,
	})
	for _, g := range guilds {
		if shard := discordsim.ShardOf(g.ID, 3); shard != mustAtoi(t, g.Name[len("guild "):])%3 {
			t.Fatalf("guild %s is on shard %d", g.ID, shard)
		}
		reply := h.Fake.Interact(t, g.ID, kindredtest.AliceID, "/resources")
		if reply.Text() == "" {
			t.Errorf("/resources in %s (shard %d): empty answer", g.Name, discordsim.ShardOf(g.ID, 3))
		}
	}
	if log := h.Fake.IdentifyLog(); len(log) != 3 {
		t.Errorf("identifies = %+v, want one per shard", log)
	}

	status, body := get(t, "http://"+h.HTTPAddr+"/healthz")
	if status != http.StatusOK {
		t.Fatalf("/healthz = %d %q with every shard connected", status, body)
	}
	for id := range 3 {
		if want := "gateway shard " + strconv.Itoa(id) + " of 3: connected"; !strings.Contains(body, want) {
			t.Errorf("/healthz = %q, want it to list %q", body, want)
		}
	}
	_, metrics := get(t, "http://"+h.HTTPAddr+"/metrics")
	for id := range 3 {
		if want := `kindred_gateway_connected{shard="` + strconv.Itoa(id) + `"} 1`; !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}

	// Discord drops shard 1's session, and with no session starts left
	// refuses it a new one: that shard stays down, the others serve on.
	h.Fake.InvalidateShard(1)
	waitFor(t, func() bool {
		status, body = get(t, "http://"+h.HTTPAddr+"/healthz")
		return status == http.StatusServiceUnavailable
	}, "/healthz to turn 503 with shard 1 down")
	if !strings.Contains(body, "gateway shard 1 not connected") || strings.Contains(body, "shard 0 not") || strings.Contains(body, "shard 2 not") {
		t.Errorf("503 body = %q, want it to name shard 1 alone", body)
	}
	_, metrics = get(t, "http://"+h.HTTPAddr+"/metrics")
	for id, want := range []string{"1", "0", "1"} {
		if line := `kindred_gateway_connected{shard="` + strconv.Itoa(id) + `"} ` + want; !strings.Contains(metrics, line) {
			t.Errorf("/metrics lacks %q", line)
		}
	}
	h.Fake.Interact(t, guilds[2].ID, kindredtest.AliceID, "/resources")
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// A process that runs shard 1 of 2 gets shard 1's servers only: an
// interaction in a server of shard 0 never reaches it.
func TestShardIDsRunOnlyThoseShards(t *testing.T) {
	t.Parallel()
	mine, other := shardGuild(3), shardGuild(4) // shards 1 and 0 of 2
	h := kindredtest.Start(t, kindredtest.Options{
		Guilds: []discordsim.Guild{mine, other},
		Configure: func(c *bot.Config) {
			c.Discord.ShardCount = 2
			c.Discord.ShardIDs = []int{1}
		},
	})
	if reply := h.Fake.Interact(t, mine.ID, kindredtest.AliceID, "/resources"); reply.Text() == "" {
		t.Errorf("/resources in shard 1's server: empty answer")
	}
	i, err := h.Fake.BuildCommand(other.ID, kindredtest.AliceID, "/resources")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Fake.Start(i); !errors.Is(err, discordsim.ErrNotConnected) {
		t.Errorf("an interaction in shard 0's server: err = %v, want no session to deliver it", err)
	}
	for _, r := range h.Fake.IdentifyLog() {
		if r.Shard != 1 || r.Count != 2 {
			t.Errorf("identified as shard [%d, %d], want [1, 2] only", r.Shard, r.Count)
		}
	}
	status, body := get(t, "http://"+h.HTTPAddr+"/healthz")
	if status != http.StatusOK || !strings.Contains(body, "gateway shard 1 of 2: connected") || strings.Contains(body, "shard 0") {
		t.Errorf("/healthz = %d %q, want shard 1 alone, connected", status, body)
	}
}

// Shards start in rounds: one per rate limit key (shard_id %
// max_concurrency) at once, the next round 5 seconds later, so Discord
// never answers an IDENTIFY with op 9.
func TestShardsIdentifyInRounds(t *testing.T) {
	t.Parallel()
	h := kindredtest.Start(t, kindredtest.Options{Fake: discordsim.Options{Shards: 3, MaxConcurrency: 2}})
	log := h.Fake.IdentifyLog()
	at := map[int]time.Time{}
	for _, r := range log {
		if r.Outcome != discordsim.IdentifyAccepted || r.Count != 3 {
			t.Errorf("identify %+v, want shards of 3 accepted", r)
		}
		at[r.Shard] = r.At
	}
	if len(log) != 3 || len(at) != 3 {
		t.Fatalf("identifies = %+v, want one per shard", log)
	}
	// Shards 0 and 2 share key 0; shard 1 has key 1 to itself.
	if gap := at[2].Sub(at[0]); gap < 5*time.Second {
		t.Errorf("shard 2 identified %v after shard 0, which shares its key: want at least 5 s", gap)
	}
	if gap := at[1].Sub(at[0]).Abs(); gap > 2*time.Second {
		t.Errorf("shard 1 identified %v apart from shard 0: want them in one round", gap)
	}
}

// Too few session starts left for the shards: Kindred refuses to start
// and says why, before identifying at all.
func TestShardsRefuseWithoutSessionStarts(t *testing.T) {
	t.Parallel()
	fake := discordsim.New(discordsim.Options{Shards: 3, SessionStartLimit: 2})
	t.Cleanup(fake.Close)
	cfg := bot.DefaultConfig()
	cfg.Discord.Token, cfg.Discord.APIURL = fake.Token(), fake.URL()
	cfg.Database.Path = filepath.Join(t.TempDir(), "kindred.db")
	cfg.HTTP.Listen = ""
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	err := bot.Run(ctx, cfg, bot.Options{LogOutput: io.Discard})
	var se *bot.StartupError
	if !errors.As(err, &se) {
		t.Fatalf("Run = %v, want a StartupError", err)
	}
	for _, want := range []string{"2 more gateway session starts", "would start 3 shards", "reset in"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err = %q, want it to say %q", err, want)
		}
	}
	if log := fake.IdentifyLog(); len(log) != 0 {
		t.Errorf("identified %+v before refusing", log)
	}
}
