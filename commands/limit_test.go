package commands

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// testClock is a settable clock for a router's cool-downs.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// routeOn sends req through r as the adapter does.
func routeOn(t *testing.T, r *Router, req *Request) (*Response, error) {
	t.Helper()
	if req.Type == 0 {
		req.Type = CommandInteraction
	}
	route := r.Find(req.Type, req.Route)
	if route == nil {
		t.Fatalf("no route for %q", req.Route)
	}
	return route.Handler(context.Background(), req)
}

// A member's second heavy request while the first runs is answered at once
// and kindly, whichever heavy route it asks for; another member's runs.
func TestHeavyRouteRunsOneAtATimePerMember(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	slow := func(ctx context.Context, req *Request) (*Response, error) {
		if req.UserID == aliceID && req.Route == "report/export" {
			close(started)
			<-release
		}
		return Ephemeral("here it is"), nil
	}
	r := NewRouter(nil, featureFunc(func(r *Router) {
		r.Command("report/export", slow, Anywhere, Heavy)
		r.Command("report/chart", slow, GuildOnly, Heavy)
		r.Command("report/light", slow, Anywhere)
	}))
	first := make(chan error, 1)
	go func() {
		_, err := r.Find(CommandInteraction, "report/export").Handler(context.Background(),
			&Request{Type: CommandInteraction, Route: "report/export", GuildID: guildID, UserID: aliceID})
		first <- err
	}()
	<-started

	_, err := routeOn(t, r, &Request{Route: "report/export", UserID: aliceID}) // from a DM
	wantUserError(t, err, "I'm still putting together your `/report export`: it'll be with you in a moment, so there's no need to ask again.")
	_, err = routeOn(t, r, &Request{Route: "report/chart", GuildID: guildID, UserID: aliceID})
	wantUserError(t, err, "still putting together your `/report export`: it'll be with you in a moment. Ask for `/report chart` again once it has arrived.")
	if _, err := routeOn(t, r, &Request{Route: "report/light", GuildID: guildID, UserID: aliceID}); err != nil {
		t.Errorf("a route that isn't heavy was held up: %v", err)
	}
	if _, err := routeOn(t, r, &Request{Route: "report/export", GuildID: guildID, UserID: bobID}); err != nil {
		t.Errorf("Bob was held up by Alice's export: %v", err)
	}

	close(release)
	if err := <-first; err != nil {
		t.Fatalf("Alice's first export: %v", err)
	}
	if _, err := routeOn(t, r, &Request{Route: "report/chart", GuildID: guildID, UserID: aliceID}); err != nil {
		t.Errorf("after her export arrived, Alice's chart was refused: %v", err)
	}
}

// After a heavy request the member waits heavyCooldown before asking for
// the same route again, in a server or a DM alike; other routes and other
// members are not affected.
func TestHeavyRouteCoolDown(t *testing.T) {
	env := testEnv(t)
	clock := &testClock{now: t0}
	r := NewRouter(env.DB, Features(env)...)
	r.Now = clock.Now
	export := func(userID, guild string) error {
		t.Helper()
		resp, err := routeOn(t, r, &Request{Route: "mydata/export", GuildID: guild, UserID: userID})
		if err == nil && len(resp.Files) != 1 {
			t.Fatalf("export for %s: %d files", userID, len(resp.Files))
		}
		return err
	}

	if err := export(aliceID, guildID); err != nil {
		t.Fatal(err)
	}
	clock.Add(3 * time.Second)
	again := fmt.Sprintf("You just asked for `/mydata export`. Give me a few seconds: you can ask again <t:%d:R>.", t0.Add(heavyCooldown).Unix())
	wantUserError(t, export(aliceID, ""), again) // a DM doesn't get round it
	wantUserError(t, export(aliceID, "100000000000000077"), again)
	if err := export(bobID, guildID); err != nil {
		t.Errorf("Bob was held up by Alice's export: %v", err)
	}
	if _, err := routeOn(t, r, asMember(aliceID, "checkins/history", days(30))); err != nil {
		t.Errorf("Alice's history was held up by her export: %v", err)
	}

	clock.Add(heavyCooldown - 3*time.Second - time.Millisecond)
	wantUserError(t, export(aliceID, guildID), "You just asked for `/mydata export`")
	clock.Add(time.Millisecond)
	if err := export(aliceID, guildID); err != nil {
		t.Errorf("after the cool-down: %v", err)
	}
}

// The guards come first, and a request refused for what was asked starts
// no cool-down: the member corrects it and asks again at once.
func TestHeavyRouteRefusalsStartNoCoolDown(t *testing.T) {
	env := testEnv(t)
	clock := &testClock{now: t0}
	r := NewRouter(env.DB, Features(env)...)
	r.Now = clock.Now
	_, err := routeOn(t, r, &Request{Route: "checkins/history", UserID: aliceID, Options: opts{days(7)}})
	wantUserError(t, err, "inside one of your servers")
	_, err = routeOn(t, r, asMember(aliceID, "checkins/history", days(400)))
	wantUserError(t, err, "1 to 365")
	resp, err := routeOn(t, r, asMember(aliceID, "checkins/history", days(7)))
	if err != nil {
		t.Fatalf("history after a refusal: %v", err)
	}
	if len(resp.Files) != 1 {
		t.Errorf("history: %d files, want the chart", len(resp.Files))
	}
	_, err = routeOn(t, r, asMember(aliceID, "checkins/history", days(7)))
	wantUserError(t, err, "You just asked for `/checkins history`")
}

// A handler that panics (the adapter recovers it) still frees the member's
// turn.
func TestHeavyRoutePanicFreesTheMember(t *testing.T) {
	clock := &testClock{now: t0}
	r := NewRouter(nil, featureFunc(func(r *Router) {
		r.Command("report/export", func(context.Context, *Request) (*Response, error) { panic("boom") }, Anywhere, Heavy)
	}))
	r.Now = clock.Now
	func() {
		defer func() { _ = recover() }()
		routeOn(t, r, &Request{Route: "report/export", UserID: aliceID})
	}()
	clock.Add(heavyCooldown)
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the second request didn't reach the handler")
			}
		}()
		_, err := routeOn(t, r, &Request{Route: "report/export", UserID: aliceID})
		t.Errorf("the second request was refused: %v", err)
	}()
}

// However many members ask, the limits remember at most heavyTracked
// cool-downs, and forget the ones that have passed.
func TestHeavyLimitsStayBounded(t *testing.T) {
	l := newHeavyLimits()
	for i := range heavyTracked + 500 {
		user := fmt.Sprint(300000000000000000 + i)
		if err := l.begin(user, "mydata/export", t0); err != nil {
			t.Fatal(err)
		}
		l.end(user, "mydata/export", t0, true)
	}
	if n := len(l.finished); n != heavyTracked {
		t.Errorf("%d cool-downs remembered, want at most %d", n, heavyTracked)
	}
	if len(l.running) != 0 {
		t.Errorf("%d requests still counted as running", len(l.running))
	}
	later := t0.Add(heavyCooldown)
	if err := l.begin(aliceID, "mydata/export", later); err != nil {
		t.Fatal(err)
	}
	l.end(aliceID, "mydata/export", later, true)
	if n := len(l.finished); n != 1 {
		t.Errorf("after the cool-downs passed, %d are remembered, want Alice's alone", n)
	}
	if err := l.begin(aliceID, "mydata/export", later.Add(time.Second)); err == nil || !strings.Contains(err.Error(), "You just asked") {
		t.Errorf("Alice's cool-down was forgotten: %v", err)
	}
}
