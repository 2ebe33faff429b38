package bot

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"
)

func gatewayBot(shards, remaining, maxConcurrency int) *discordgo.GatewayBotResponse {
	return &discordgo.GatewayBotResponse{Shards: shards, SessionStartLimit: discordgo.SessionInformation{
		Total: 1000, Remaining: remaining, ResetAfter: 3_600_000, MaxConcurrency: maxConcurrency,
	}}
}

func TestPlanShards(t *testing.T) {
	tests := []struct {
		name    string
		cfg     DiscordConfig
		gb      *discordgo.GatewayBotResponse
		count   int
		ids     []int
		wantErr string
	}{
		{"recommended count", DiscordConfig{}, gatewayBot(3, 1000, 1), 3, []int{0, 1, 2}, ""},
		{"no recommendation", DiscordConfig{}, gatewayBot(0, 1000, 1), 1, []int{0}, ""},
		{"configured count", DiscordConfig{ShardCount: 4}, gatewayBot(1, 1000, 1), 4, []int{0, 1, 2, 3}, ""},
		{"some shards", DiscordConfig{ShardCount: 4, ShardIDs: []int{3, 1}}, gatewayBot(1, 1000, 1), 4, []int{1, 3}, ""},
		{"shard past the recommendation", DiscordConfig{ShardIDs: []int{2}}, gatewayBot(2, 1000, 1), 0, nil,
			"discord.shard_ids lists 2, but Discord recommends 2 shards"},
		{"too few starts", DiscordConfig{}, gatewayBot(3, 2, 1), 0, nil,
			"Discord allows 2 more gateway session starts (of 1000 a day) until they reset in 1h0m0s, and this process would start 3 shards"},
		{"starts enough for this process's shards", DiscordConfig{ShardCount: 3, ShardIDs: []int{2}}, gatewayBot(1, 1, 1), 3, []int{2}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, err := planShards(tt.cfg, tt.gb)
			if tt.wantErr != "" {
				var se *StartupError
				if !errors.As(err, &se) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want a StartupError with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if plan.count != tt.count || !reflect.DeepEqual(plan.ids, tt.ids) {
				t.Errorf("plan = %d shards %v, want %d shards %v", plan.count, plan.ids, tt.count, tt.ids)
			}
		})
	}
}

// Each round holds at most one shard per rate limit key
// (shard_id % max_concurrency), lowest first.
func TestShardRounds(t *testing.T) {
	tests := []struct {
		ids            []int
		maxConcurrency int
		want           [][]int
	}{
		{[]int{0}, 1, [][]int{{0}}},
		{[]int{0, 1, 2}, 1, [][]int{{0}, {1}, {2}}},
		{[]int{0, 1, 2}, 2, [][]int{{0, 1}, {2}}},
		{[]int{0, 1, 2, 3, 4, 5}, 16, [][]int{{0, 1, 2, 3, 4, 5}}},
		{[]int{1, 3, 4, 6}, 2, [][]int{{1, 4}, {3, 6}}},
	}
	for _, tt := range tests {
		got := shardPlan{ids: tt.ids, maxConcurrency: tt.maxConcurrency}.rounds()
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("rounds(%v, max_concurrency %d) = %v, want %v", tt.ids, tt.maxConcurrency, got, tt.want)
		}
	}
}
