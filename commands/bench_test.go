package commands_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/kindred-bot/kindred/internal/discordsim"
	"github.com/kindred-bot/kindred/internal/kindredtest"
)

// BenchmarkReminderFanOut measures a reminder fanning out to the members
// who answered Going: one channel post and a DM each (opening each DM
// channel the first time), against a fake Discord that enforces Discord's
// global limit of 50 requests/s. Target: at least 45 sends/s sustained with
// no 429 storm. Reported: sends_per_s (REST requests the fan-out made per
// second) and 429s (refusals the fake sent).
func BenchmarkReminderFanOut(b *testing.B) {
	const members = 150
	h := kindredtest.Start(b, kindredtest.Options{Fake: discordsim.Options{RateLimit: &discordsim.RateLimit{GlobalPerSecond: 50}}})
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	h.Clock.Set(t0)
	for i := range members {
		h.Fake.AddMember(kindredtest.GuildID, discordsim.Member{User: discordsim.User{ID: fmt.Sprintf("83%016d", i), Username: fmt.Sprintf("m%d", i)}})
	}
	h.Fake.Interact(b, kindredtest.GuildID, kindredtest.OwnerID,
		`/group create name:"Big Circle" description:"A large group" type:other channel:<#`+kindredtest.GeneralID+`> timezone:UTC`)

	var requests, refused int
	var elapsed time.Duration
	for i := range b.N {
		b.StopTimer()
		day := t0.AddDate(0, 0, i)
		start := time.Date(day.Year(), day.Month(), day.Day(), 19, 0, 0, 0, time.UTC)
		h.Clock.Set(day)
		h.Fake.Interact(b, kindredtest.GuildID, kindredtest.OwnerID, fmt.Sprintf(
			`/meeting schedule group:"Big Circle" title:"Circle %d" start:"%s" reminders:1h`, i, start.Format("2006-01-02 15:04")))
		announcement := h.Fake.WaitMessage(b, kindredtest.GeneralID, 10*time.Second)
		going := buttonID(b, announcement, "Going")
		for m := range members {
			h.Fake.Click(b, kindredtest.GuildID, fmt.Sprintf("83%016d", m), going, announcement)
		}
		before, refusedBefore := len(h.Fake.Requests()), h.Fake.RateLimited()
		b.StartTimer()
		began := time.Now()
		h.RunDue(b, start.Add(-time.Hour))
		elapsed += time.Since(began)
		b.StopTimer()
		requests += len(h.Fake.Requests()) - before
		refused += h.Fake.RateLimited() - refusedBefore
		h.Fake.WaitMessage(b, kindredtest.GeneralID, 10*time.Second) // the channel reminder
	}
	b.ReportMetric(float64(requests)/elapsed.Seconds(), "sends_per_s")
	b.ReportMetric(float64(refused), "429s")
}
