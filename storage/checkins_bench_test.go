package storage_test

import (
	"context"
	"database/sql"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"github.com/kindred-bot/kindred/storage"
	"github.com/kindred-bot/kindred/storage/storagetest"
)

// benchDates is every local date from 2024-01-01 on, for ten years.
func benchDates() []string {
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	out := make([]string, 3653)
	for i := range out {
		out[i] = start.AddDate(0, 0, i).Format(time.DateOnly)
	}
	return out
}

// BenchmarkRecordCheckin is sustained check-in writes, streak included,
// from several goroutines (more than cores, as under load) into a real
// SQLite file, reported as checkins/s.
//
// Target (DESIGN.md): ≥ 5,000 check-ins per second on 2 cores.
//
// Both start from a year of history of 1,000 members (a table of a few
// hundred thousand rows, larger than SQLite's page cache):
//   - typical: members check in on about 70% of days, so runs break now
//     and then, as real ones do.
//   - year-long-streaks: every member has checked in every day and goes
//     on doing so, so each write walks a run of 365+ days: the slowest
//     case the streak has.
func BenchmarkRecordCheckin(b *testing.B) {
	b.Run("typical", func(b *testing.B) {
		benchmarkRecordCheckin(b, func(member, day int) bool { return mix(member, day)%10 < 7 })
	})
	b.Run("year-long-streaks", func(b *testing.B) {
		benchmarkRecordCheckin(b, func(int, int) bool { return true })
	})
}

const (
	benchGuild   = "100000000000000001"
	benchMembers = 1000
)

func benchUser(i int) string { return fmt.Sprintf("2%017d", i) }

// benchmarkRecordCheckin seeds a year of check-ins, then has the members
// go on checking in, day by day, on the days checksIn says.
func benchmarkRecordCheckin(b *testing.B, checksIn func(member, day int) bool) {
	const seedDays = 365
	db := storagetest.Open(b)
	ctx := context.Background()
	dates := benchDates()
	seedCheckins(b, db, dates[:seedDays], benchMembers, checksIn)
	users := make([]string, benchMembers)
	for i := range users {
		users[i] = benchUser(i)
	}
	at := time.Date(2026, 11, 25, 20, 0, 0, 0, time.UTC)
	var next atomic.Int64
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			var member, day int
			for {
				n := int(next.Add(1) - 1)
				member, day = n%benchMembers, seedDays+n/benchMembers
				if checksIn(member, day) {
					break
				}
			}
			c := storage.Checkin{
				GuildID: benchGuild, UserID: users[member], Mood: day%5 + 1,
				LocalDate: dates[day%len(dates)], At: at,
			}
			if member%3 == 0 {
				c.Note = "Slept a bit better; the walk at lunch helped. Still tired by the evening though."
			}
			if _, err := db.RecordCheckin(ctx, c); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "checkins/s")
}

// mix is a cheap deterministic hash, so "does this member check in on this
// day" is the same on every run.
func mix(a, b int) uint64 {
	h := uint64(a)*0x9e3779b97f4a7c15 ^ uint64(b)*0xbf58476d1ce4e5b9
	h ^= h >> 31
	h *= 0x94d049bb133111eb
	return h ^ h>>29
}

// BenchmarkDailyMoods3Years is /checkins history's query for a member with
// three years of daily check-ins, over its longest window (365 days), in a
// table that holds other members' years too.
//
// Budget: /checkins history answers in 50 ms, chart included, so this query
// should take well under a millisecond (see ns/op).
func BenchmarkDailyMoods3Years(b *testing.B) {
	db := storagetest.Open(b)
	ctx := context.Background()
	dates := benchDates()[:3*365+1]
	seedCheckins(b, db, dates, 50, func(int, int) bool { return true })
	from, to := dates[len(dates)-365], dates[len(dates)-1]
	b.ResetTimer()
	for b.Loop() {
		days, err := db.DailyMoods(ctx, benchGuild, benchUser(0), from, to)
		if err != nil {
			b.Fatal(err)
		}
		if len(days) != 365 {
			b.Fatalf("got %d days, want 365", len(days))
		}
	}
}

// seedCheckins writes, for the first members members, a check-in on each
// of dates that checksIn says (a second one on every seventh day), in one
// transaction on a handle of its own: going through RecordCheckin would
// make setup take longer than the benchmark.
func seedCheckins(b *testing.B, db *storage.DB, dates []string, members int, checksIn func(member, day int) bool) {
	b.Helper()
	raw, err := sql.Open("sqlite3", "file:"+db.Path()+"?_busy_timeout=5000")
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	tx, err := raw.Begin()
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback()
	stmt, err := tx.Prepare(`INSERT INTO checkins (guild_id, user_id, mood, note, local_date, created_at) VALUES (?, ?, ?, ?, ?, ?)`)
	if err != nil {
		b.Fatal(err)
	}
	defer stmt.Close()
	for m := 0; m < members; m++ {
		user := benchUser(m)
		for i, d := range dates {
			if !checksIn(m, i) {
				continue
			}
			for k := 0; k <= btoi(i%7 == 0); k++ {
				if _, err := stmt.Exec(benchGuild, user, (i+m+k)%5+1, "a note of average length, about a line", d, int64(1700000000+i*86400)); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}
