package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
)

// identifyInterval is how often each rate limit key may start a session
// (Gateway → Sharding → Max Concurrency: shards with the same
// shard_id % max_concurrency identify at most once per 5 seconds).
const identifyInterval = 5 * time.Second

// Shard states, as /healthz words them.
const (
	shardStarting     = "starting"
	shardConnected    = "connected"
	shardDisconnected = "disconnected"
)

// shard is one gateway session of this process. Its state follows the
// session's events: connected from READY or RESUMED until the connection
// drops.
type shard struct {
	id, count int
	session   *discordgo.Session

	mu    sync.Mutex
	state string
}

func newShard(id, count int, session *discordgo.Session) *shard {
	sh := &shard{id: id, count: count, session: session, state: shardStarting}
	session.ShardID, session.ShardCount = id, count
	session.AddHandler(func(*discordgo.Session, *discordgo.Ready) { sh.set(shardConnected) })
	session.AddHandler(func(*discordgo.Session, *discordgo.Resumed) { sh.set(shardConnected) })
	session.AddHandler(func(*discordgo.Session, *discordgo.Disconnect) { sh.set(shardDisconnected) })
	return sh
}

func (sh *shard) set(state string) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	sh.state = state
}

// State is the shard's state: starting, connected or disconnected.
func (sh *shard) State() string {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return sh.state
}

func (sh *shard) connected() bool { return sh.State() == shardConnected }

// shardPlan is what this process runs: shards ids of count, started in
// rounds of at most maxConcurrency.
type shardPlan struct {
	count          int
	ids            []int
	maxConcurrency int
}

// planShards decides the shards from the configuration and Discord's
// GET /gateway/bot answer, and refuses a start that the day's remaining
// session starts would not cover: a process restarting in a loop would
// otherwise use them up, and Discord then resets the token.
func planShards(c DiscordConfig, gb *discordgo.GatewayBotResponse) (shardPlan, error) {
	plan := shardPlan{count: c.ShardCount, maxConcurrency: max(gb.SessionStartLimit.MaxConcurrency, 1)}
	if plan.count == 0 {
		plan.count = max(gb.Shards, 1)
	}
	plan.ids = slices.Clone(c.ShardIDs)
	if len(plan.ids) == 0 {
		for id := range plan.count {
			plan.ids = append(plan.ids, id)
		}
	}
	slices.Sort(plan.ids)
	if last := plan.ids[len(plan.ids)-1]; last >= plan.count {
		return shardPlan{}, startupErrorf("discord.shard_ids lists %d, but Discord recommends %d shards (discord.shard_count is 0): set discord.shard_count to the count the shard numbers are of", last, plan.count)
	}
	limit := gb.SessionStartLimit
	if limit.Total > 0 && limit.Remaining < len(plan.ids) {
		reset := (time.Duration(limit.ResetAfter) * time.Millisecond).Round(time.Second)
		return shardPlan{}, startupErrorf("Discord allows %d more gateway session starts (of %d a day) until they reset in %v, and this process would start %d shards: "+
			"not starting, so that a restart loop does not use up the rest; start again after the reset", limit.Remaining, limit.Total, reset, len(plan.ids))
	}
	return plan, nil
}

// rounds orders the shard ids for IDENTIFY: each round holds at most one
// shard of each rate limit key (shard_id % maxConcurrency), so a round
// may identify at once, each shard in its key's turn.
func (plan shardPlan) rounds() [][]int {
	var rounds [][]int
	placed := map[int]int{} // rate limit key → its shards placed so far
	for _, id := range plan.ids {
		k := plan.key(id)
		r := placed[k]
		placed[k]++
		if r == len(rounds) {
			rounds = append(rounds, nil)
		}
		rounds[r] = append(rounds[r], id)
	}
	return rounds
}

// key is shard id's rate limit key.
func (plan shardPlan) key(id int) int { return id % plan.maxConcurrency }

// String describes the plan for the log.
func (plan shardPlan) String() string {
	ids := make([]string, len(plan.ids))
	for i, id := range plan.ids {
		ids[i] = fmt.Sprint(id)
	}
	return fmt.Sprintf("%s of %d", strings.Join(ids, ","), plan.count)
}

// identifyTurn runs identify in the turn of rate limit key: one identify
// of the key at a time, identifyInterval after the previous one ended, in
// this process and the others sharing its database
// (storage.DB.IdentifyTurn).
type identifyTurn func(ctx context.Context, key int, identify func(context.Context) error) error

// openShards opens the sessions of shards, round by round as plan.rounds
// orders them, each in its key's turn. On failure it closes those it
// opened; told to stop while waiting for a turn, it returns ctx's error.
func openShards(ctx context.Context, plan shardPlan, shards map[int]*shard, turn identifyTurn, membersIntent bool) error {
	var opened []*shard
	fail := func(err error) error {
		closeShards(opened, func(*shard, error) {})
		return err
	}
	for _, round := range plan.rounds() {
		errs := make([]error, len(round))
		var wg sync.WaitGroup
		for j, id := range round {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var openErr error
				err := turn(ctx, plan.key(id), func(context.Context) error {
					openErr = shards[id].session.Open()
					return openErr
				})
				switch {
				case err == nil:
				case openErr != nil:
					errs[j] = gatewayError(id, plan.count, openErr, membersIntent)
				case ctx.Err() != nil: // stopped while waiting for the turn
					errs[j] = ctx.Err()
				default:
					errs[j] = startupErrorf("discord gateway shard %d: waiting for its turn to identify: %v", id, err)
				}
			}()
		}
		wg.Wait()
		var first error
		for j, err := range errs {
			if err == nil {
				opened = append(opened, shards[round[j]])
			} else if first == nil {
				first = err
			}
		}
		if first != nil {
			return fail(first)
		}
	}
	return nil
}

// gatewayError words a failed Open of shard id of count for the operator.
func gatewayError(id, count int, err error, membersIntent bool) error {
	var closed *websocket.CloseError
	if errors.As(err, &closed) && closed.Code == closeDisallowedIntents && membersIntent {
		return startupErrorf("discord.members_intent is true, but Discord refused the Server Members intent (gateway close 4014): " +
			"enable it in the Developer Portal (your application → Bot → Privileged Gateway Intents), or set discord.members_intent to false")
	}
	if count > 1 {
		return startupErrorf("discord gateway shard %d of %d: %v", id, count, err)
	}
	return startupErrorf("discord gateway: %v", err)
}

// closeShards closes the sessions of shards at once: discordgo waits a
// second for the gateway to close each connection. warn hears of a
// failure.
func closeShards(shards []*shard, warn func(*shard, error)) {
	var wg sync.WaitGroup
	for _, sh := range shards {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := sh.session.Close(); err != nil {
				warn(sh, err)
			}
		}()
	}
	wg.Wait()
}
