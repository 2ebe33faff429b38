package commands

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/kindred-bot/kindred/storage/storagetest"
)

// handledPaths is Kindred after a server's set-up (a group, a weekly
// meeting) and a member's (a timezone) over a real database: handle routes and runs a request as the
// adapter does (find the route, guards, handler); checkin is a /checkin
// with a mood and rsvp a press of an occurrence's Going button.
func handledPaths(tb testing.TB) (handle func(*Request) (*Response, error), checkin, rsvp *Request) {
	env := Env{
		DB:        storagetest.Open(tb),
		Log:       slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now:       func() time.Time { return t0 },
		Version:   "test",
		BotUserID: kindredID,
		Discord:   newRecorder(),
	}
	router := NewRouter(env.DB, Features(env)...)
	ctx := context.Background()
	handle = func(req *Request) (*Response, error) {
		return router.Find(req.Type, req.Route).Handler(ctx, req)
	}
	for _, req := range []*Request{
		asFacilitator("group/create", createOpts("Monday Circle", str("timezone", "Europe/Berlin"))...),
		asFacilitator("meeting/schedule", str("group", "Monday Circle"), str("title", "Circle"), str("start", "2026-11-27 19:00")),
	} {
		req.Type = CommandInteraction
		if _, err := handle(req); err != nil {
			tb.Fatalf("%s: %v", req.Route, err)
		}
	}
	if _, err := env.DB.SetTimezone(ctx, aliceID, "America/New_York", t0); err != nil {
		tb.Fatal(err)
	}
	ms, err := env.DB.ActiveMeetings(ctx, guildID, 0)
	if err != nil || len(ms) != 1 {
		tb.Fatalf("meetings %v: %v", ms, err)
	}
	start := time.Date(2026, 11, 27, 18, 0, 0, 0, time.UTC) // 19:00 in Berlin
	checkin = &Request{Type: CommandInteraction, Route: "checkin", GuildID: guildID, UserID: aliceID, Options: opts{
		{Name: "mood", Type: discordgo.ApplicationCommandOptionInteger, Value: float64(4)},
		str("note", "Slept a bit better; the walk at lunch helped."),
	}}
	rsvp = &Request{Type: ComponentInteraction, GuildID: guildID, UserID: aliceID,
		Route: "rsvp:" + strconv.FormatInt(ms[0].ID, 10) + ":" + strconv.FormatInt(start.Unix(), 10) + ":going"}
	for _, req := range []*Request{checkin, rsvp} {
		if resp, err := handle(req); err != nil || !resp.Ephemeral {
			tb.Fatalf("%s: %v", req.Route, err)
		}
	}
	return handle, checkin, rsvp
}

func benchmarkHandled(b *testing.B, pick func(checkin, rsvp *Request) *Request) {
	handle, checkin, rsvp := handledPaths(b)
	req := pick(checkin, rsvp)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := handle(req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHandledCheckin is a /checkin (mood and note) from routing to
// the reply, through a real database: guards, the member's timezone, the
// write with its streak, the reply's text.
//
// Budget: ≤ checkinAllocBudget allocs/op (TestHandledPathAllocs holds it).
func BenchmarkHandledCheckin(b *testing.B) {
	benchmarkHandled(b, func(checkin, _ *Request) *Request { return checkin })
}

// BenchmarkHandledRSVP is a press of an occurrence's Going button from
// routing to the reply, through a real database: the custom id, the
// meeting and its series, the RSVP write, the reply's text.
//
// Budget: ≤ rsvpAllocBudget allocs/op (TestHandledPathAllocs holds it).
func BenchmarkHandledRSVP(b *testing.B) {
	benchmarkHandled(b, func(_, rsvp *Request) *Request { return rsvp })
}

// Allocation budgets of the handled paths, a little above what they
// measure, counted over the whole process (the committer's work is part
// of a write).
const (
	checkinAllocBudget = 90  // measured 81
	rsvpAllocBudget    = 105 // measured 91
)

// The handled paths of /checkin and of an RSVP button allocate a bounded
// amount: a change that makes them allocate much more fails here, not in
// production under a burst.
func TestHandledPathAllocs(t *testing.T) {
	handle, checkin, rsvp := handledPaths(t)
	for _, tt := range []struct {
		req    *Request
		budget float64
	}{{checkin, checkinAllocBudget}, {rsvp, rsvpAllocBudget}} {
		got := testing.AllocsPerRun(200, func() {
			if _, err := handle(tt.req); err != nil {
				t.Fatal(err)
			}
		})
		t.Logf("%s: %.0f allocs/op", tt.req.Route, got)
		if got > tt.budget {
			t.Errorf("%s allocates %.0f times, budget %.0f", tt.req.Route, got, tt.budget)
		}
	}
}
