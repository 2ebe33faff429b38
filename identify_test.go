package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kindred-bot/kindred/bot"
	"github.com/kindred-bot/kindred/internal/discordsim"
	"github.com/kindred-bot/kindred/internal/kindredtest"
	"github.com/kindred-bot/kindred/internal/pgtest"
)

// Two processes on one PostgreSQL database, shards 0 and 1 of 2, started
// at the same moment by a bot whose max_concurrency is 1 (as most bots'
// is): both shards share the one rate limit key, and the processes take
// turns to identify, 5 seconds apart, so Discord refuses neither.
func TestProcessesTakeIdentifyTurns(t *testing.T) {
	pgtest.Require(t)
	fake := discordsim.New(discordsim.Options{Shards: 2, MaxConcurrency: 1})
	t.Cleanup(fake.Close)
	dbURL := pgtest.NewSchema(t)
	dir := t.TempDir()

	cmds := make([]*exec.Cmd, 2)
	logs := make([]*kindredtest.SyncBuffer, 2)
	for shard := range cmds {
		config := filepath.Join(dir, fmt.Sprintf("shard-%d.yaml", shard))
		yaml := fmt.Sprintf("discord:\n  api_url: %s\n  shard_count: 2\n  shard_ids: [%d]\n"+
			"database:\n  url: %s\n  max_connections: 6\nhttp:\n  listen: \"\"\nlog:\n  level: info\n",
			fake.URL(), shard, dbURL)
		if err := os.WriteFile(config, []byte(yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), runMainEnv+"=1", "KINDRED_TEST_ARGS=--config "+config, bot.TokenEnv+"="+fake.Token())
		logs[shard] = &kindredtest.SyncBuffer{}
		cmd.Stderr = logs[shard]
		cmds[shard] = cmd
	}
	var wg sync.WaitGroup
	for _, cmd := range cmds {
		wg.Go(func() {
			if err := cmd.Start(); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	t.Cleanup(func() {
		for shard, cmd := range cmds {
			if cmd.Process != nil {
				cmd.Process.Kill()
				cmd.Wait()
			}
			if t.Failed() {
				t.Logf("shard %d's process log, last 4000 bytes:\n%s", shard, tail(logs[shard].String(), 4000))
			}
		}
	})
	if t.Failed() {
		return
	}

	deadline := time.Now().Add(time.Minute)
	for shard, log := range logs {
		for !strings.Contains(log.String(), "kindred is serving") {
			if time.Now().After(deadline) {
				t.Fatalf("shard %d's process did not serve within a minute", shard)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	identifies := fake.IdentifyLog()
	var accepted []discordsim.IdentifyRecord
	for _, r := range identifies {
		if r.Outcome != discordsim.IdentifyAccepted {
			t.Errorf("identify of shard %d: %s, want every identify accepted", r.Shard, r.Outcome)
			continue
		}
		accepted = append(accepted, r)
	}
	if len(accepted) != 2 || accepted[0].Shard == accepted[1].Shard {
		t.Fatalf("identifies = %+v, want one accepted per shard", identifies)
	}
	if gap := accepted[1].At.Sub(accepted[0].At); gap < 5*time.Second {
		t.Errorf("the shards identified %v apart, want at least 5 s: they share a rate limit key", gap)
	}
}
