package commands

import (
	"context"
	"strings"
	"sync"
	"time"
)

// Heavy marks a route whose answer is costly to build (a whole export, a
// year's chart, a calendar file), so that no member can keep Kindred busy
// with it: the router runs one heavy request at a time per member, and
// after one finishes the member waits heavyCooldown before asking for the
// same route again. The limit follows the member, not the server: asking
// from a DM or another server doesn't get round it. Other members are
// never held up.
func Heavy(r *Route) { r.Heavy = true }

const (
	// heavyCooldown is how long after a heavy request finished the member
	// waits before asking for the same route again.
	heavyCooldown = 10 * time.Second
	// heavyTracked bounds how many cool-downs are remembered at once. When
	// that many members finished a heavy request in the last heavyCooldown,
	// further ones start no cool-down; one at a time still holds.
	heavyTracked = 10_000
	// heavySweepMin is the fewest remembered cool-downs at which expired
	// ones are dropped; heavySweepEvery spaces out those sweeps while the
	// record is full.
	heavySweepMin   = 256
	heavySweepEvery = time.Second
)

// heavyLimits is the router's record of its members' heavy requests,
// in memory: one process serves every server.
type heavyLimits struct {
	mu       sync.Mutex
	running  map[string]string      // member id → the heavy route running for them
	finished map[heavyKey]time.Time // when the member's last request for the route finished
	sweepAt  int                    // len(finished) at which expired entries are dropped
	swept    time.Time              // when they last were
}

type heavyKey struct{ user, route string }

func newHeavyLimits() *heavyLimits {
	return &heavyLimits{running: map[string]string{}, finished: map[heavyKey]time.Time{}, sweepAt: heavySweepMin}
}

// begin claims the member's heavy slot for route at now, or returns the
// UserError that tells them when to ask again.
func (l *heavyLimits) begin(user, route string, now time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if busy, ok := l.running[user]; ok {
		return stillWorking(busy, route)
	}
	k := heavyKey{user, route}
	if at, ok := l.finished[k]; ok {
		if again := at.Add(heavyCooldown); now.Before(again) {
			return UserErrorf("You just asked for `%s`. Give me a few seconds: you can ask again <t:%d:R>.", commandName(route), unixCeil(again))
		}
		delete(l.finished, k)
	}
	l.running[user] = route
	return nil
}

// end frees the member's heavy slot at now and, with cool, starts the
// route's cool-down for them.
func (l *heavyLimits) end(user, route string, now time.Time, cool bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.running, user)
	if !cool {
		return
	}
	// Sweeping when the record has doubled keeps the cost per request
	// constant; once it is full, a sweep at most every heavySweepEvery.
	if len(l.finished) >= l.sweepAt && (l.sweepAt < heavyTracked || !now.Before(l.swept.Add(heavySweepEvery))) {
		for k, at := range l.finished {
			if !now.Before(at.Add(heavyCooldown)) {
				delete(l.finished, k)
			}
		}
		l.swept = now
		l.sweepAt = min(max(2*len(l.finished), heavySweepMin), heavyTracked)
	}
	k := heavyKey{user, route}
	if _, ok := l.finished[k]; ok || len(l.finished) < heavyTracked {
		l.finished[k] = now
	}
}

// stillWorking answers a member whose earlier heavy request is running.
func stillWorking(busy, asked string) error {
	if busy == asked {
		return UserErrorf("I'm still putting together your `%s`: it'll be with you in a moment, so there's no need to ask again.", commandName(busy))
	}
	return UserErrorf("I'm still putting together your `%s`: it'll be with you in a moment. Ask for `%s` again once it has arrived.",
		commandName(busy), commandName(asked))
}

// runHeavy runs a heavy route's handler within the member's limits. A
// request refused for what was asked (a UserError: a bad option, say)
// starts no cool-down, so the member can correct it and ask again at once.
func (r *Router) runHeavy(ctx context.Context, route *Route, h Handler, req *Request) (resp *Response, err error) {
	if err := r.heavy.begin(req.UserID, route.Name, r.now()); err != nil {
		return nil, err
	}
	defer func() {
		_, refused := AsUserError(err)
		r.heavy.end(req.UserID, route.Name, r.now(), !refused)
	}()
	return h(ctx, req)
}

// commandName writes a route's name as members type it: "/mydata export".
func commandName(route string) string {
	return "/" + strings.ReplaceAll(route, "/", " ")
}

// unixCeil is t in whole unix seconds, rounded up, so a time shown to a
// member is never before the moment it names.
func unixCeil(t time.Time) int64 {
	s := t.Unix()
	if t.After(time.Unix(s, 0)) {
		s++
	}
	return s
}
