package bot_test

import (
	"context"
	"testing"
	"time"

	"github.com/kindred-bot/kindred/internal/kindredtest"
	"github.com/kindred-bot/kindred/storage/storagetest"
)

// A running Kindred counts among the live processes of its database, and
// leaves when it stops, so the processes that remain take back its share
// of Discord's global limit at once.
func TestRunJoinsAndLeavesTheLiveProcesses(t *testing.T) {
	storagetest.EachBackend(t, func(t *testing.T, b storagetest.Backend) {
		h := kindredtest.Start(t, kindredtest.Options{Backend: b})
		db := h.Database.Open(t)
		ctx := context.Background()
		if live, err := db.Heartbeat(ctx, "probe", time.Now()); err != nil || live != 2 {
			t.Fatalf("with Kindred running: %d live processes (err %v), want Kindred and the probe", live, err)
		}
		if err := h.Stop(t); err != nil {
			t.Fatal(err)
		}
		if live, err := db.Heartbeat(ctx, "probe", time.Now()); err != nil || live != 1 {
			t.Fatalf("after Kindred stopped: %d live processes (err %v), want the probe alone", live, err)
		}
	})
}
