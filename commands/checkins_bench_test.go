package commands

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/kindred-bot/kindred/storage"
	"github.com/kindred-bot/kindred/storage/storagetest"
)

// BenchmarkCheckinHistory365 is `/checkins history days:365` for a member
// with three years of daily check-ins, chart included, through the
// handler with a real database. Target: under 50 ms.
func BenchmarkCheckinHistory365(b *testing.B) {
	env := Env{DB: storagetest.Open(b), Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return t0 }}
	ctx := context.Background()
	for d := range 3 * 365 {
		at := t0.AddDate(0, 0, -d)
		if _, err := env.DB.RecordCheckin(ctx, storage.Checkin{GuildID: guildID, UserID: aliceID, Mood: d%5 + 1, Note: "a note",
			LocalDate: at.Format(dateLayout), At: at}); err != nil {
			b.Fatal(err)
		}
	}
	f := &Checkins{env: env}
	req := &Request{Route: "checkins/history", GuildID: guildID, UserID: aliceID, Options: opts{days(365)}}
	b.ResetTimer()
	for b.Loop() {
		resp, err := f.history(ctx, req)
		if err != nil || len(resp.Files) != 1 {
			b.Fatalf("history: %v", err)
		}
	}
}
