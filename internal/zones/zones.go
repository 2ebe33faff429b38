// Package zones resolves the IANA timezone names members type when they set
// their timezone, and ranks names for the slash command's autocomplete.
//
// The accepted names are a fixed, generated list (zones.txt) rather than
// whatever time.LoadLocation happens to accept: LoadLocation also takes
// "Local", file-system-like paths and legacy aliases, and its answer depends
// on the host's zoneinfo. A closed list keeps stored settings canonical and
// makes autocomplete, lookup and "did you mean" agree with each other.
package zones

//go:generate go run mkzones.go

import (
	_ "embed"
	"slices"
	"strings"
	"sync"
	"time"

	// Embedding tzdata means a zone that is in zones.txt always loads, even
	// in a minimal container without /usr/share/zoneinfo.
	_ "time/tzdata"
)

//go:embed zones.txt
var zonesTxt string

// popular is what an empty autocomplete shows: UTC, then widely used zones
// ordered west to east so the list reads like a map. It holds at most 25
// entries because that is all Discord displays.
var popular = [...]string{
	"UTC",
	"Pacific/Honolulu",
	"America/Anchorage",
	"America/Los_Angeles",
	"America/Denver",
	"America/Chicago",
	"America/Mexico_City",
	"America/New_York",
	"America/Sao_Paulo",
	"America/Argentina/Buenos_Aires",
	"Europe/London",
	"Europe/Paris",
	"Europe/Berlin",
	"Africa/Lagos",
	"Africa/Johannesburg",
	"Europe/Istanbul",
	"Europe/Moscow",
	"Asia/Dubai",
	"Asia/Kolkata",
	"Asia/Jakarta",
	"Asia/Shanghai",
	"Asia/Tokyo",
	"Asia/Seoul",
	"Australia/Sydney",
	"Pacific/Auckland",
}

// table is built once and never modified, so it is safe to share between
// the concurrent interaction handlers that call into this package.
type table struct {
	names    []string       // canonical, sorted
	lower    []string       // normalized form of names[i], for matching
	index    map[string]int // normalized name -> position in names
	defaults []string       // popular, limited to names we actually have
	maxLen   int            // longest normalized name
	// locs[i] loads names[i] the first time it is asked for: LoadLocation
	// reads and parses the zone's file on every call, and a member's zone
	// is needed on nearly every interaction.
	locs []func() (*time.Location, error)
}

var load = sync.OnceValue(func() *table {
	names := strings.Fields(zonesTxt)
	slices.Sort(names)
	names = slices.Compact(names)
	t := &table{
		names: names,
		lower: make([]string, len(names)),
		index: make(map[string]int, len(names)),
		locs:  make([]func() (*time.Location, error), len(names)),
	}
	for i, n := range names {
		t.locs[i] = sync.OnceValues(func() (*time.Location, error) { return time.LoadLocation(n) })
		l := normalize(n)
		t.lower[i] = l
		t.index[l] = i
		t.maxLen = max(t.maxLen, len(l))
	}
	for _, p := range popular {
		if _, ok := t.index[normalize(p)]; ok {
			t.defaults = append(t.defaults, p)
		}
	}
	return t
})

// Names returns every canonical IANA zone name Kindred accepts, sorted.
// The slice is a copy, so callers may modify it.
func Names() []string {
	return slices.Clone(load().names)
}

// Lookup finds the zone a member meant. It accepts a known name exactly or
// case-insensitively ("europe/berlin"), ignoring surrounding blanks and
// treating spaces as underscores ("america/new york"), because that is how
// people type place names. It returns the canonical name to store and the
// loaded location. "UTC" is accepted; "", "Local", aliases and anything else
// not in Names() are not, so the stored value is always one of Names().
func Lookup(name string) (canonical string, loc *time.Location, ok bool) {
	t := load()
	i, found := t.index[normalize(name)]
	if !found {
		return "", nil, false
	}
	canonical = t.names[i]
	loc, err := t.locs[i]()
	if err != nil {
		// Unreachable while zones.txt and the embedded tzdata come from
		// the same Go release; refuse rather than store a zone that
		// cannot be used.
		return "", nil, false
	}
	return canonical, loc, true
}

// Match returns up to limit names for autocomplete, best first, ignoring
// case and treating spaces as underscores. An empty query gives a default
// selection of common zones. Otherwise names are ranked in tiers, each in
// sorted order:
//
//  1. the full name starts with the query ("Europe/Ber" -> Europe/Berlin);
//  2. a part after a '/' starts with it ("berlin", "new york");
//  3. the name contains it anywhere ("york").
//
// Match runs on every keystroke, so it allocates only the result.
func Match(query string, limit int) []string {
	if limit <= 0 {
		return nil
	}
	t := load()
	query = strings.TrimSpace(query)
	if query == "" {
		return slices.Clone(t.defaults[:min(limit, len(t.defaults))])
	}
	if len(query) > t.maxLen {
		return nil
	}
	// The normalized query stays in a stack buffer; maxLen is small
	// enough that this never spills to the heap.
	var buf [64]byte
	q := string(appendNormalized(buf[:0], query))

	var out []string
	for tier := range 3 {
		for i, l := range t.lower {
			if !strings.Contains(l, q) || rank(l, q) != tier {
				continue
			}
			if out == nil {
				out = make([]string, 0, limit)
			}
			out = append(out, t.names[i])
			if len(out) == limit {
				return out
			}
		}
	}
	return out
}

// rank reports the tier of a name l that is known to contain q.
func rank(l, q string) int {
	if strings.HasPrefix(l, q) {
		return 0
	}
	for i := range len(l) {
		if l[i] == '/' && strings.HasPrefix(l[i+1:], q) {
			return 1
		}
	}
	return 2
}

// Suggest returns up to limit known names close to one that Lookup
// rejected, closest first, for a reply like "Did you mean Europe/Berlin?".
// It compares by edit distance against both the full name ("Europe/Berln")
// and the last part of it ("berlin", "Amerca/New_York"), since members often
// type just the city or misspell the region. Names too far from the input
// to be a plausible typo are left out, so the result may be empty.
func Suggest(bad string, limit int) []string {
	if limit <= 0 {
		return nil
	}
	t := load()
	q := normalize(bad)
	if q == "" {
		return nil
	}
	qLast := lastPart(q)
	maxFull := tolerance(len(q))
	maxLast := tolerance(len(qLast))

	type candidate struct {
		dist int
		i    int
	}
	var found []candidate
	d := newDistancer(t.maxLen)
	for i, l := range t.lower {
		best := -1
		if abs(len(l)-len(q)) <= maxFull {
			if n := d.distance(q, l, maxFull); n <= maxFull {
				best = n
			}
		}
		last := lastPart(l)
		if abs(len(last)-len(qLast)) <= maxLast {
			if n := d.distance(qLast, last, maxLast); n <= maxLast && (best < 0 || n < best) {
				best = n
			}
		}
		if best >= 0 {
			found = append(found, candidate{best, i})
		}
	}
	// Names are already sorted, so a stable sort on distance leaves ties
	// in alphabetical order.
	slices.SortStableFunc(found, func(a, b candidate) int { return a.dist - b.dist })

	out := make([]string, 0, min(limit, len(found)))
	for _, c := range found[:min(limit, len(found))] {
		out = append(out, t.names[c.i])
	}
	return out
}

// tolerance is how many edits still count as a typo for an input of n
// bytes: one for short words, growing to three for long names, so that a
// short input does not match half the list.
func tolerance(n int) int {
	return min(max(n/4, 1), 3)
}

func lastPart(s string) string {
	return s[strings.LastIndexByte(s, '/')+1:]
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// normalize maps a name to the form used for comparison: trimmed, ASCII
// lower case, spaces as underscores. Zone names are ASCII, so no Unicode
// case folding is needed.
func normalize(s string) string {
	s = strings.TrimSpace(s)
	return string(appendNormalized(make([]byte, 0, len(s)), s))
}

func appendNormalized(dst []byte, s string) []byte {
	for i := range len(s) {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		case c == ' ':
			c = '_'
		}
		dst = append(dst, c)
	}
	return dst
}

// distancer computes optimal-string-alignment distance (Levenshtein plus
// transposition of neighbours, the most common typing slip) and reuses its
// rows across the few hundred comparisons of one Suggest call.
// Distances above a bound are not needed exactly, which lets most
// comparisons stop after a few rows.
type distancer struct {
	prev2, prev, cur []int
}

func newDistancer(n int) *distancer {
	return &distancer{
		prev2: make([]int, 0, n+1),
		prev:  make([]int, 0, n+1),
		cur:   make([]int, 0, n+1),
	}
}

// distance returns the distance between a and b, or some value greater
// than bound once it is clear the distance exceeds bound.
func (d *distancer) distance(a, b string, bound int) int {
	if len(a) == 0 || len(b) == 0 {
		return max(len(a), len(b))
	}
	d.prev2 = resize(d.prev2, len(b)+1)
	d.prev = resize(d.prev, len(b)+1)
	d.cur = resize(d.cur, len(b)+1)
	for j := range d.prev {
		d.prev[j] = j
	}
	prevMin := 0 // row 0 holds 0..len(b)
	for i := 1; i <= len(a); i++ {
		d.cur[0] = i
		rowMin := i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(d.prev[j]+1, d.cur[j-1]+1, d.prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, d.prev2[j-2]+1)
			}
			d.cur[j] = v
			rowMin = min(rowMin, v)
		}
		d.prev2, d.prev, d.cur = d.prev, d.cur, d.prev2
		// A cell is never below the smallest value of the row above, or
		// of the row two above plus one (a transposition), so once two
		// consecutive rows exceed the bound every later row does too.
		if rowMin > bound && prevMin > bound {
			return bound + 1
		}
		prevMin = rowMin
	}
	return d.prev[len(b)]
}

func resize(s []int, n int) []int {
	if cap(s) < n {
		return make([]int, n)
	}
	return s[:n]
}
