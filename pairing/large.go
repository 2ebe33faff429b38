package pairing

import (
	"math/rand/v2"
	"slices"
)

// matcher finds maximum matchings with Edmonds' blossom algorithm on the
// implicit graph given by edge. Neighbours are scanned in index order, which
// the caller has already shuffled by the seed.
type matcher struct {
	n     int
	edge  func(a, b int) bool
	match []int
	// per-search scratch, reused to avoid allocating per root
	parent, base []int
	used, inB    []bool
	queue        []int
}

func newMatcher(n int, match []int) *matcher {
	return &matcher{
		n: n, match: match,
		parent: make([]int, n), base: make([]int, n),
		used: make([]bool, n), inB: make([]bool, n),
	}
}

// greedy matches free vertices to random free partners. On the dense graphs
// real groups produce it leaves only a handful free, so the blossom search,
// which costs O(n) per root even when lucky, runs only a few times.
func (m *matcher) greedy(rng *rand.Rand) {
	var free []int
	for v := range m.n {
		if m.match[v] < 0 {
			free = append(free, v)
		}
	}
	pos := make([]int, m.n)
	for i, v := range free {
		pos[v] = i
	}
	remove := func(v int) {
		i, last := pos[v], free[len(free)-1]
		free[i], pos[last] = last, i
		free = free[:len(free)-1]
	}
	for v := range m.n {
		if m.match[v] >= 0 {
			continue
		}
		remove(v)
		partner := -1
		for try := 0; try < 32 && len(free) > 0 && partner < 0; try++ {
			if u := free[rng.IntN(len(free))]; m.edge(v, u) {
				partner = u
			}
		}
		if partner < 0 && len(free) > 0 {
			start := rng.IntN(len(free))
			for i := range free {
				if u := free[(start+i)%len(free)]; m.edge(v, u) {
					partner = u
					break
				}
			}
		}
		if partner >= 0 {
			remove(partner)
			m.match[v], m.match[partner] = partner, v
		}
	}
}

// augment grows the matching to maximum size. A root with no augmenting path
// never gets one later (Berge), so each free vertex is searched once.
func (m *matcher) augment() {
	free := 0
	for v := range m.n {
		if m.match[v] < 0 {
			free++
		}
	}
	for root := 0; root < m.n && free > 1; root++ {
		if m.match[root] >= 0 {
			continue
		}
		if end := m.findPath(root); end >= 0 {
			for v := end; v >= 0; {
				pv := m.parent[v]
				ppv := m.match[pv]
				m.match[v], m.match[pv] = pv, v
				v = ppv
			}
			free -= 2
		}
	}
}

func (m *matcher) lca(a, b int) int {
	seen := m.inB // borrowed: cleared before use in blossom marking
	clear(seen)
	for {
		a = m.base[a]
		seen[a] = true
		if m.match[a] < 0 {
			break
		}
		a = m.parent[m.match[a]]
	}
	for {
		b = m.base[b]
		if seen[b] {
			return b
		}
		b = m.parent[m.match[b]]
	}
}

func (m *matcher) markPath(v, b, child int) {
	for m.base[v] != b {
		m.inB[m.base[v]], m.inB[m.base[m.match[v]]] = true, true
		m.parent[v] = child
		child = m.match[v]
		v = m.parent[m.match[v]]
	}
}

// findPath returns the free end of an augmenting path from root, with the
// path recorded in parent, or -1.
func (m *matcher) findPath(root int) int {
	for i := range m.n {
		m.parent[i], m.base[i], m.used[i] = -1, i, false
	}
	m.used[root] = true
	m.queue = append(m.queue[:0], root)
	for qh := 0; qh < len(m.queue); qh++ {
		v := m.queue[qh]
		for to := range m.n {
			if m.base[v] == m.base[to] || m.match[v] == to || !m.edge(v, to) {
				continue
			}
			if to == root || m.match[to] >= 0 && m.parent[m.match[to]] >= 0 {
				cur := m.lca(v, to)
				clear(m.inB)
				m.markPath(v, cur, to)
				m.markPath(to, cur, v)
				for i := range m.n {
					if m.inB[m.base[i]] {
						m.base[i] = cur
						if !m.used[i] {
							m.used[i] = true
							m.queue = append(m.queue, i)
						}
					}
				}
			} else if m.parent[to] < 0 {
				m.parent[to] = v
				if m.match[to] < 0 {
					return to
				}
				m.used[m.match[to]] = true
				m.queue = append(m.queue, m.match[to])
			}
		}
	}
	return -1
}

// maxPairs returns a maximum matching of allowed pairs that, first, is a
// maximum matching of never-met pairs; so an even group with a repeat-free
// pairing always gets one.
func maxPairs(g *graph, rng *rand.Rand) []int {
	n := len(g.ids)
	match := make([]int, n)
	for i := range match {
		match[i] = -1
	}
	m := newMatcher(n, match)
	m.edge = g.fresh
	m.greedy(rng)
	m.augment()

	// Pair the still-free among themselves, oldest meeting first, before
	// letting augmenting paths trade fresh pairs for repeats.
	var free []int
	for v := range n {
		if match[v] < 0 {
			free = append(free, v)
		}
	}
	for _, v := range free {
		if match[v] >= 0 {
			continue
		}
		best, bestT := -1, int64(0)
		for _, u := range free {
			if u == v || match[u] >= 0 || !g.allowed(v, u) {
				continue
			}
			if t := g.met[key(v, u)]; best < 0 || t < bestT {
				best, bestT = u, t
			}
		}
		if best >= 0 {
			match[v], match[best] = best, v
		}
	}
	m.edge = g.allowed
	m.augment()
	return match
}

func pairsLarge(g *graph, rng *rand.Rand) ([][]int, []int) {
	match := maxPairs(g, rng)
	var groups [][]int
	var left []int
	for v, u := range match {
		switch {
		case u < 0:
			left = append(left, v)
		case v < u:
			groups = append(groups, []int{v, u})
		}
	}
	groups, unplaced := placeExtras(g, rng, groups, left, 2)
	return groups, unplaced
}

// placeExtras adds each leftover member to the group it fits best: no one
// it avoids, then the smallest change in distance from the target size, then
// fewest new repeats, oldest first. A member no group can take is unplaced.
func placeExtras(g *graph, rng *rand.Rand, groups [][]int, left []int, size int) ([][]int, []int) {
	var unplaced []int
	for _, v := range left {
		best := -1
		var bestC cost
		start := 0
		if len(groups) > 0 {
			start = rng.IntN(len(groups))
		}
		for i := range groups {
			gi := (start + i) % len(groups)
			grp := groups[gi]
			c := cost{dev: abs(len(grp)+1-size) - abs(len(grp)-size)}
			ok := true
			for _, u := range grp {
				if !g.allowed(v, u) {
					ok = false
					break
				}
				if t, met := g.met[key(v, u)]; met {
					c.repeats++
					c.recency += t
				}
			}
			if ok && (best < 0 || c.less(bestC)) {
				best, bestC = gi, c
			}
		}
		if best < 0 {
			unplaced = append(unplaced, v)
			continue
		}
		groups[best] = append(groups[best], v)
	}
	return groups, unplaced
}

// triosLarge builds trios from a maximum pairing: n/3 pairs become cores and
// the other members are matched to cores, preferring thirds who never met
// either core member (augmenting paths over the bipartite graph), then any
// allowed third with fewest repeats. Two left over form a pair; one left
// over joins a trio.
func triosLarge(g *graph, rng *rand.Rand) ([][]int, []int) {
	match := maxPairs(g, rng)
	var pairs [][]int
	var thirds []int
	for v, u := range match {
		switch {
		case u < 0:
			thirds = append(thirds, v)
		case v < u:
			pairs = append(pairs, []int{v, u})
		}
	}
	rng.Shuffle(len(pairs), func(i, j int) { pairs[i], pairs[j] = pairs[j], pairs[i] })
	t := min(len(g.ids)/3, len(pairs))
	cores := pairs[:t]
	for _, p := range pairs[t:] {
		thirds = append(thirds, p...)
	}
	freshTo := func(x, c int) bool { return g.fresh(x, cores[c][0]) && g.fresh(x, cores[c][1]) }
	owner := make([]int, t) // third assigned to each core, or -1
	for i := range owner {
		owner[i] = -1
	}
	assigned := make([]bool, len(thirds))
	// Greedy first, then Kuhn's augmenting paths for whoever is left.
	for xi, x := range thirds {
		if t == 0 {
			break
		}
		start := rng.IntN(t)
		for i := range t {
			if c := (start + i) % t; owner[c] < 0 && freshTo(x, c) {
				owner[c], assigned[xi] = xi, true
				break
			}
		}
	}
	visited := make([]bool, t)
	var try func(xi int) bool
	try = func(xi int) bool {
		for c := range t {
			if visited[c] || !freshTo(thirds[xi], c) {
				continue
			}
			visited[c] = true
			if owner[c] < 0 || try(owner[c]) {
				owner[c] = xi
				return true
			}
		}
		return false
	}
	for xi := range thirds {
		if assigned[xi] || !slices.Contains(owner, -1) {
			continue
		}
		clear(visited)
		if try(xi) {
			assigned[xi] = true
		}
	}
	groups := make([][]int, 0, len(g.ids)/3+1)
	var open []int // cores still without a third
	for c, xi := range owner {
		if xi >= 0 {
			groups = append(groups, []int{cores[c][0], cores[c][1], thirds[xi]})
		} else {
			groups = append(groups, slices.Clone(cores[c]))
			open = append(open, len(groups)-1)
		}
	}
	var rest []int
	for xi, x := range thirds {
		if !assigned[xi] {
			rest = append(rest, x)
		}
	}
	// Fill open cores with the best remaining allowed third.
	for _, gi := range open {
		best, bestC := -1, cost{}
		for ri, x := range rest {
			c, ok := g.groupCost(append(slices.Clone(groups[gi]), x), 3)
			if ok && (best < 0 || c.less(bestC)) {
				best, bestC = ri, c
			}
		}
		if best >= 0 {
			groups[gi] = append(groups[gi], rest[best])
			rest = slices.Delete(rest, best, best+1)
		}
	}
	// What remains pairs up (a short group beats two extras), then the rest
	// join groups as extras.
	var extras []int
	for len(rest) > 0 {
		v := rest[0]
		rest = rest[1:]
		i := slices.IndexFunc(rest, func(u int) bool { return g.allowed(v, u) })
		if i < 0 {
			extras = append(extras, v)
			continue
		}
		groups = append(groups, []int{v, rest[i]})
		rest = slices.Delete(rest, i, i+1)
	}
	return placeExtras(g, rng, groups, extras, 3)
}
