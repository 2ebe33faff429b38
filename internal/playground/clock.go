package playground

import (
	"sync"
	"time"
)

// clock is Kindred's clock in the playground: a base clock (real time)
// plus the time travelled so far. It never goes back.
type clock struct {
	base func() time.Time

	mu     sync.Mutex
	offset time.Duration
	last   time.Time
}

func newClock(base func() time.Time) *clock { return &clock{base: base} }

// Now is the playground's time.
func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nowLocked()
}

func (c *clock) nowLocked() time.Time {
	t := c.base().Add(c.offset)
	if t.Before(c.last) {
		t = c.last
	}
	c.last = t
	return t
}

// Advance moves the clock ahead by d (never back) and returns the new time.
func (c *clock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.advanceToLocked(c.nowLocked().Add(d))
}

// AdvanceTo moves the clock ahead to t, if t is ahead, and returns the
// new time.
func (c *clock) AdvanceTo(t time.Time) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.advanceToLocked(t)
}

func (c *clock) advanceToLocked(t time.Time) time.Time {
	if t.After(c.nowLocked()) {
		c.offset = t.Sub(c.base())
	}
	return c.nowLocked()
}
