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
