package discordsim_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"

	"github.com/kindred-bot/kindred/internal/discordsim"
)

// shardedGuildID is a guild id whose (id >> 22) is k, so it belongs to
// shard k % count.
func shardedGuildID(k int) string {
	return strconv.FormatUint(uint64(k)<<22|uint64(k), 10)
}

// shardWorld is a fake with six guilds spread over the shards, each with
// alice as a member, and the /resources command registered.
func shardWorld(t *testing.T, opts discordsim.Options) (*discordsim.Server, []string) {
	t.Helper()
	fake := discordsim.New(opts)
	t.Cleanup(fake.Close)
	var guilds []string
	for k := 1; k <= 6; k++ {
		id := shardedGuildID(k)
		guilds = append(guilds, id)
		fake.AddGuild(discordsim.Guild{
			ID: id, Name: "guild " + strconv.Itoa(k),
			Channels: []discordsim.Channel{{Name: "general"}},
			Members:  []discordsim.Member{{User: discordsim.User{ID: aliceID, Username: "alice"}}},
		})
	}
	return fake, guilds
}

// shardBot is one discordgo session of a sharded bot.
type shardBot struct {
	dg *discordgo.Session

	mu      sync.Mutex
	created []string // GUILD_CREATE guild ids
	ready   []string // READY guild ids
	got     []string // interactions' guild ids ("dm" for a DM)
}

func openShard(t *testing.T, fake *discordsim.Server, id, count int, reconnect bool) *shardBot {
	t.Helper()
	b := &shardBot{dg: newSession(fake, fake.Token())}
	b.dg.ShardID, b.dg.ShardCount = id, count
	b.dg.ShouldReconnectOnError = reconnect
	// Without the state cache, which rewrites READY's guilds in place
	// while the handler below reads them.
	b.dg.StateEnabled = false
	b.dg.AddHandler(func(_ *discordgo.Session, r *discordgo.Ready) {
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, g := range r.Guilds {
			b.ready = append(b.ready, g.ID)
		}
	})
	b.dg.AddHandler(func(_ *discordgo.Session, g *discordgo.GuildCreate) {
		b.mu.Lock()
		defer b.mu.Unlock()
		b.created = append(b.created, g.ID)
	})
	b.dg.AddHandler(func(s *discordgo.Session, ic *discordgo.InteractionCreate) {
		where := ic.GuildID
		if where == "" {
			where = "dm"
		}
		b.mu.Lock()
		b.got = append(b.got, where)
		b.mu.Unlock()
		_ = respond(s, ic.Interaction, fmt.Sprintf("shard %d", id), 0)
	})
	if err := b.dg.Open(); err != nil {
		t.Fatalf("Open shard %d/%d: %v", id, count, err)
	}
	t.Cleanup(func() { _ = b.dg.Close() })
	return b
}

func (b *shardBot) snapshot() (ready, created, got []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Sorted(slices.Values(b.ready)), slices.Sorted(slices.Values(b.created)), slices.Clone(b.got)
}

func ownedBy(guilds []string, shard, count int) []string {
	var out []string
	for _, g := range guilds {
		if discordsim.ShardOf(g, count) == shard {
			out = append(out, g)
		}
	}
	slices.Sort(out)
	return out
}

func TestShardsReceiveTheirOwnGuilds(t *testing.T) {
	for _, count := range []int{2, 3} {
		t.Run(strconv.Itoa(count), func(t *testing.T) {
			t.Parallel()
			fake, guilds := shardWorld(t, discordsim.Options{})
			bots := make([]*shardBot, count)
			for id := range count {
				bots[id] = openShard(t, fake, id, count, false)
			}
			if _, err := bots[0].dg.ApplicationCommandBulkOverwrite(fake.AppID(), "", testCommands); err != nil {
				t.Fatal(err)
			}
			for id, b := range bots {
				want := ownedBy(guilds, id, count)
				if len(want) == 0 {
					t.Fatalf("shard %d/%d owns no guild: the test world is wrong", id, count)
				}
				deadline := time.Now().Add(5 * time.Second)
				for {
					ready, created, _ := b.snapshot()
					if slices.Equal(created, want) {
						if !slices.Equal(ready, want) {
							t.Errorf("shard %d/%d READY guilds %v, want %v", id, count, ready, want)
						}
						break
					}
					if time.Now().After(deadline) {
						t.Fatalf("shard %d/%d GUILD_CREATEs %v, want %v", id, count, created, want)
					}
					time.Sleep(10 * time.Millisecond)
				}
			}

			for _, g := range guilds {
				owner := discordsim.ShardOf(g, count)
				if r := fake.Interact(t, g, aliceID, "/resources"); r.Text() != fmt.Sprintf("shard %d", owner) {
					t.Errorf("interaction in %s answered %q, want shard %d", g, r.Text(), owner)
				}
			}
			if r := fake.Interact(t, "", aliceID, "/resources"); r.Text() != "shard 0" {
				t.Errorf("DM interaction answered %q, want shard 0", r.Text())
			}
			for id, b := range bots {
				_, _, got := b.snapshot()
				want := ownedBy(guilds, id, count)
				if id == 0 {
					want = append(want, "dm")
				}
				if slices.Sort(got); !slices.Equal(got, slices.Sorted(slices.Values(want))) {
					t.Errorf("shard %d/%d got interactions from %v, want %v", id, count, got, want)
				}
			}

			// Guild events follow the guild's shard too.
			g := guilds[0]
			owner := discordsim.ShardOf(g, count)
			before := map[int]int{}
			for id, b := range bots {
				_, created, _ := b.snapshot()
				before[id] = len(created)
			}
			fake.AddGuild(discordsim.Guild{ID: g, Name: "renamed"}) // GUILD_CREATE again
			deadline := time.Now().Add(5 * time.Second)
			for {
				_, created, _ := bots[owner].snapshot()
				if len(created) == before[owner]+1 || time.Now().After(deadline) {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			time.Sleep(50 * time.Millisecond)
			for id, b := range bots {
				_, created, _ := b.snapshot()
				want := before[id]
				if id == owner {
					want++
				}
				if len(created) != want {
					t.Errorf("shard %d/%d: %d GUILD_CREATEs after re-adding %s, want %d", id, count, len(created), g, want)
				}
			}
		})
	}
}

// rawIdentify opens a bare gateway connection and sends IDENTIFY with the
// given shard field (nil: none). It returns the connection after HELLO.
func rawIdentify(t *testing.T, fake *discordsim.Server, shard *[2]int) *websocket.Conn {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(fake.GatewayURL()+"?v=10&encoding=json", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ws.Close() })
	var hello struct{ Op int }
	if err := ws.ReadJSON(&hello); err != nil || hello.Op != 10 {
		t.Fatalf("HELLO: %v %+v", err, hello)
	}
	d := map[string]any{
		"token": "Bot " + fake.Token(), "intents": discordgo.IntentsGuilds,
		"properties": map[string]string{"os": "linux", "browser": "test", "device": "test"},
	}
	if shard != nil {
		d["shard"] = shard
	}
	if err := ws.WriteJSON(map[string]any{"op": 2, "d": d}); err != nil {
		t.Fatal(err)
	}
	return ws
}

// firstAnswer reads the gateway's answer to IDENTIFY: "READY", "op 9" or
// the close code.
func firstAnswer(t *testing.T, ws *websocket.Conn) string {
	t.Helper()
	_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	var p struct {
		Op int
		D  json.RawMessage
		T  string
	}
	if err := ws.ReadJSON(&p); err != nil {
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return "close " + strconv.Itoa(ce.Code)
		}
		t.Fatalf("reading the answer to IDENTIFY: %v", err)
	}
	if p.Op == 9 {
		return "op 9 " + string(p.D)
	}
	return p.T
}

func TestInvalidShardIsClosedWith4010(t *testing.T) {
	t.Parallel()
	fake, _ := shardWorld(t, discordsim.Options{})
	for _, shard := range [][2]int{{2, 2}, {0, 0}, {-1, 2}} {
		if got := firstAnswer(t, rawIdentify(t, fake, &shard)); got != "close 4010" {
			t.Errorf("IDENTIFY shard %v: %s, want close 4010", shard, got)
		}
	}
	if got := firstAnswer(t, rawIdentify(t, fake, &[2]int{1, 2})); got != "READY" {
		t.Errorf("IDENTIFY shard [1, 2]: %s", got)
	}
}

func TestShardingRequired(t *testing.T) {
	t.Parallel()
	fake, _ := shardWorld(t, discordsim.Options{RequireSharding: 4})
	if got := firstAnswer(t, rawIdentify(t, fake, nil)); got != "close 4011" {
		t.Errorf("unsharded IDENTIFY with 6 guilds: %s, want close 4011", got)
	}
	if got := firstAnswer(t, rawIdentify(t, fake, &[2]int{0, 2})); got != "READY" {
		t.Errorf("IDENTIFY [0, 2] with 3 guilds: %s", got)
	}
}

func getGatewayBot(t *testing.T, fake *discordsim.Server) (shards int, limit map[string]int) {
	t.Helper()
	req, _ := http.NewRequest("GET", fake.URL()+"/api/v9/gateway/bot", nil)
	req.Header.Set("Authorization", "Bot "+fake.Token())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		URL               string         `json:"url"`
		Shards            int            `json:"shards"`
		SessionStartLimit map[string]int `json:"session_start_limit"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(body.URL, "ws://") {
		t.Errorf("url %q", body.URL)
	}
	return body.Shards, body.SessionStartLimit
}

func TestGatewayBotCountsSessionStarts(t *testing.T) {
	t.Parallel()
	fake, _ := shardWorld(t, discordsim.Options{Shards: 3, SessionStartLimit: 10, SessionStartsUsed: 7, MaxConcurrency: 3})
	shards, limit := getGatewayBot(t, fake)
	if shards != 3 || limit["total"] != 10 || limit["remaining"] != 3 || limit["max_concurrency"] != 3 ||
		limit["reset_after"] <= 0 || limit["reset_after"] > 24*3600*1000 {
		t.Fatalf("GET /gateway/bot: shards %d, session_start_limit %v", shards, limit)
	}
	for _, shard := range [][2]int{{0, 3}, {1, 3}} {
		if got := firstAnswer(t, rawIdentify(t, fake, &shard)); got != "READY" {
			t.Fatalf("IDENTIFY %v: %s", shard, got)
		}
	}
	if _, limit := getGatewayBot(t, fake); limit["remaining"] != 1 {
		t.Errorf("remaining after two starts = %d, want 1", limit["remaining"])
	}
	if got := firstAnswer(t, rawIdentify(t, fake, &[2]int{2, 3})); got != "READY" {
		t.Fatalf("IDENTIFY [2, 3]: %s", got)
	}
	// No starts left: the fake refuses as for the reset token.
	if got := firstAnswer(t, rawIdentify(t, fake, &[2]int{0, 3})); got != "close 4004" {
		t.Errorf("IDENTIFY with no starts remaining: %s, want close 4004", got)
	}
	if _, limit := getGatewayBot(t, fake); limit["remaining"] != 0 {
		t.Errorf("remaining = %d, want 0", limit["remaining"])
	}
}

// With max_concurrency 2, shards 0 and 2 share rate limit key 0 and may not
// identify within 5 seconds of each other; shard 1 (key 1) may.
func TestMaxConcurrencyBuckets(t *testing.T) {
	t.Parallel()
	fake, _ := shardWorld(t, discordsim.Options{MaxConcurrency: 2})
	answers := map[[2]int]string{}
	for _, shard := range [][2]int{{0, 4}, {1, 4}, {2, 4}, {3, 4}} {
		answers[shard] = firstAnswer(t, rawIdentify(t, fake, &shard))
	}
	want := map[[2]int]string{{0, 4}: "READY", {1, 4}: "READY", {2, 4}: "op 9 false", {3, 4}: "op 9 false"}
	for shard, w := range want {
		if answers[shard] != w {
			t.Errorf("IDENTIFY %v: %s, want %s", shard, answers[shard], w)
		}
	}
	log := fake.IdentifyLog()
	if len(log) != 4 {
		t.Fatalf("identify log %+v", log)
	}
	for i, r := range log {
		wantOutcome := discordsim.IdentifyAccepted
		if i >= 2 {
			wantOutcome = discordsim.IdentifyConcurrency
		}
		if r.Shard != i || r.Count != 4 || r.Outcome != wantOutcome || r.At.IsZero() {
			t.Errorf("identify %d: %+v", i, r)
		}
	}
	if _, limit := getGatewayBot(t, fake); limit["remaining"] != 998 {
		t.Errorf("remaining = %d, want 998 (refused IDENTIFYs start no session)", limit["remaining"])
	}
}

// Op 7 to one shard: that shard resumes, the other never notices.
func TestReconnectOneShard(t *testing.T) {
	t.Parallel()
	fake, guilds := shardWorld(t, discordsim.Options{})
	bots := []*shardBot{openShard(t, fake, 0, 2, true), openShard(t, fake, 1, 2, true)}
	if _, err := bots[0].dg.ApplicationCommandBulkOverwrite(fake.AppID(), "", testCommands); err != nil {
		t.Fatal(err)
	}
	resumed := make([]chan struct{}, 2)
	for i, b := range bots {
		resumed[i] = make(chan struct{}, 1)
		b.dg.AddHandler(func(*discordgo.Session, *discordgo.Resumed) { resumed[i] <- struct{}{} })
	}
	fake.WaitShardReady(t, 0, 2, 5*time.Second)
	fake.WaitShardReady(t, 1, 2, 5*time.Second)

	fake.ReconnectShard(1)
	g0, g1 := ownedBy(guilds, 0, 2)[0], ownedBy(guilds, 1, 2)[0]
	// Shard 0 keeps receiving while shard 1 reconnects.
	if r := fake.Interact(t, g0, aliceID, "/resources"); r.Text() != "shard 0" {
		t.Errorf("shard 0's guild during shard 1's reconnect: %q", r.Text())
	}
	select {
	case <-resumed[1]:
	case <-time.After(8 * time.Second):
		t.Fatal("shard 1 did not resume after op 7")
	}
	if r := fake.Interact(t, g1, aliceID, "/resources"); r.Text() != "shard 1" {
		t.Errorf("shard 1's guild after its resume: %q", r.Text())
	}
	select {
	case <-resumed[0]:
		t.Error("shard 0 resumed, though only shard 1 was told to reconnect")
	default:
	}
	if fake.Resumes() != 1 || len(fake.IdentifyLog()) != 2 {
		t.Errorf("resumes %d, identifies %+v", fake.Resumes(), fake.IdentifyLog())
	}

	// Op 9 to shard 0 only: it identifies again; shard 1 keeps its session.
	fake.InvalidateShard(0)
	fake.WaitShardReady(t, 0, 2, 5*time.Second)
	if log := fake.IdentifyLog(); len(log) != 3 || log[2].Shard != 0 {
		t.Errorf("identifies after InvalidateShard(0): %+v", log)
	}
	if r := fake.Interact(t, g1, aliceID, "/resources"); r.Text() != "shard 1" {
		t.Errorf("shard 1 after shard 0's invalidation: %q", r.Text())
	}
	if r := fake.Interact(t, g0, aliceID, "/resources"); r.Text() != "shard 0" {
		t.Errorf("shard 0 after identifying again: %q", r.Text())
	}
}
