// Package pairing decides who meets whom in a round of peer buddy pairing.
//
// It is pure: no Discord, no database, no clock. The caller passes the opted-in
// members, the private avoid list, the pairing history and a seed, and gets
// groups back.
//
// Rules, in priority order:
//  1. Two members are never grouped when either avoids the other.
//  2. As many members as possible are placed; a member is left unplaced only
//     when every possible group contains someone they avoid (or nobody else
//     is there).
//  3. Groups stay as close to the target size as possible. Size 2: pairs; an
//     odd leftover joins a pair, which becomes a trio. Size 3: trios; when the
//     count leaves one over, it joins a trio (one group of 4), because the
//     group asked for bigger groups and two pairs would split two trios; when
//     it leaves two over, they form one pair.
//  4. Fewest repeats (two members in one group who were together before);
//     among equally few, the repeats that met longest ago (smallest sum of
//     last-met times).
//  5. Ties are broken by the seed: same input and seed, same result.
//
// Exactness: up to ExactLimit active members the result is optimal for the
// rules above (dynamic programming over subsets). Above it, for size 2 the
// pairs come from a maximum matching (Edmonds' blossom algorithm after a
// randomised greedy start) first in the graph of allowed, never-met pairs and
// then in the graph of allowed pairs, so with an even count a repeat-free
// pairing is always found when one exists, and the number of groups is
// maximal. Minimising repeats when some are unavoidable, placing an odd
// leftover, and building trios are heuristics there, but rule 1 always holds
// and nobody placeable is dropped.
package pairing

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"
)

// ExactLimit is the largest number of active members for which Pair
// searches all groupings. The search is O(2^n · n^3); 12 keeps it well under
// a millisecond-scale budget while covering most peer groups.
const ExactLimit = 12

// Member is one opted-in member of a group.
type Member struct {
	ID     string
	Paused bool
}

// Met is a past pairing of two members; a trio contributes its three pairs.
type Met struct {
	A, B string
	At   time.Time
}

// Input is everything a round needs. Avoid and History entries naming
// members not in Members are ignored.
type Input struct {
	Members []Member
	Avoid   [][2]string // either direction
	History []Met       // any order
	Size    int         // target group size: 2 or 3
	Seed    uint64
}

// Result is one round. Groups are each sorted and ordered by their first
// member; Unplaced is sorted.
type Result struct {
	Groups   [][]string
	Repeats  int      // pairs inside groups that met before
	Unplaced []string // members the avoid rule leaves no group for
}

// ErrInvalidInput is wrapped by every error Pair returns.
var ErrInvalidInput = errors.New("pairing: invalid input")

// Pair computes one round. It returns an error wrapping ErrInvalidInput for a
// Size other than 2 or 3, an empty member id, or a duplicate member id.
func Pair(in Input) (Result, error) {
	return pair(in, ExactLimit)
}

// pair takes the exact limit as a parameter so tests can drive the
// large-group path with small inputs.
func pair(in Input, exactLimit int) (Result, error) {
	if in.Size != 2 && in.Size != 3 {
		return Result{}, fmt.Errorf("%w: size %d, want 2 or 3", ErrInvalidInput, in.Size)
	}
	seen := make(map[string]bool, len(in.Members))
	var ids []string
	for _, m := range in.Members {
		if m.ID == "" {
			return Result{}, fmt.Errorf("%w: empty member id", ErrInvalidInput)
		}
		if seen[m.ID] {
			return Result{}, fmt.Errorf("%w: duplicate member id %q", ErrInvalidInput, m.ID)
		}
		seen[m.ID] = true
		if !m.Paused {
			ids = append(ids, m.ID)
		}
	}
	// Sorting first makes the result independent of the members' order;
	// the seeded shuffle then decides every tie.
	slices.Sort(ids)
	rng := rand.New(rand.NewPCG(in.Seed, in.Seed^0x9e3779b97f4a7c15))
	rng.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })

	g := newGraph(ids, in.Avoid, in.History)
	var groups [][]int
	var unplaced []int
	if len(ids) <= exactLimit {
		groups, unplaced = exact(g, in.Size)
	} else if in.Size == 2 {
		groups, unplaced = pairsLarge(g, rng)
	} else {
		groups, unplaced = triosLarge(g, rng)
	}
	return g.result(groups, unplaced), nil
}

// graph holds the members by index and answers "may a and b meet" and "did
// they meet before". The dense graph of allowed pairs is never built: at
// 10,000 members it would have fifty million edges.
type graph struct {
	ids   []string
	avoid map[uint64]struct{}
	met   map[uint64]int64 // last time they met, seconds since the oldest history entry
}

func key(a, b int) uint64 {
	if a > b {
		a, b = b, a
	}
	return uint64(a)<<32 | uint64(b)
}

func newGraph(ids []string, avoid [][2]string, history []Met) *graph {
	idx := make(map[string]int, len(ids))
	for i, id := range ids {
		idx[id] = i
	}
	g := &graph{ids: ids, avoid: make(map[uint64]struct{}), met: make(map[uint64]int64, len(history))}
	for _, p := range avoid {
		a, okA := idx[p[0]]
		b, okB := idx[p[1]]
		if okA && okB && a != b {
			g.avoid[key(a, b)] = struct{}{}
		}
	}
	var oldest int64
	for i, h := range history {
		if s := h.At.Unix(); i == 0 || s < oldest {
			oldest = s
		}
	}
	for _, h := range history {
		a, okA := idx[h.A]
		b, okB := idx[h.B]
		if !okA || !okB || a == b {
			continue
		}
		// +1 keeps "met at the oldest instant" distinct from "never met".
		t := h.At.Unix() - oldest + 1
		if k := key(a, b); t > g.met[k] {
			g.met[k] = t
		}
	}
	return g
}

func (g *graph) allowed(a, b int) bool {
	if a == b {
		return false
	}
	_, bad := g.avoid[key(a, b)]
	return !bad
}

func (g *graph) fresh(a, b int) bool {
	if !g.allowed(a, b) {
		return false
	}
	_, met := g.met[key(a, b)]
	return !met
}

// cost orders candidate groupings; lower is better, fields compared in
// order.
type cost struct {
	unplaced int
	dev      int   // how far group sizes are from the target, summed
	repeats  int   // pairs that met before
	recency  int64 // sum of their last-met times: lower means longer ago
}

func (c cost) less(d cost) bool {
	if c.unplaced != d.unplaced {
		return c.unplaced < d.unplaced
	}
	if c.dev != d.dev {
		return c.dev < d.dev
	}
	if c.repeats != d.repeats {
		return c.repeats < d.repeats
	}
	return c.recency < d.recency
}

func (c cost) plus(d cost) cost {
	return cost{c.unplaced + d.unplaced, c.dev + d.dev, c.repeats + d.repeats, c.recency + d.recency}
}

// groupCost reports the cost of grouping members, and false when two of them
// must not meet.
func (g *graph) groupCost(members []int, size int) (cost, bool) {
	c := cost{dev: abs(len(members) - size)}
	for i, a := range members {
		for _, b := range members[i+1:] {
			if !g.allowed(a, b) {
				return cost{}, false
			}
			if t, ok := g.met[key(a, b)]; ok {
				c.repeats++
				c.recency += t
			}
		}
	}
	return c, true
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func (g *graph) result(groups [][]int, unplaced []int) Result {
	var r Result
	for _, grp := range groups {
		c, _ := g.groupCost(grp, len(grp))
		r.Repeats += c.repeats
		names := make([]string, len(grp))
		for i, m := range grp {
			names[i] = g.ids[m]
		}
		slices.Sort(names)
		r.Groups = append(r.Groups, names)
	}
	slices.SortFunc(r.Groups, func(a, b []string) int { return slices.Compare(a, b) })
	for _, m := range unplaced {
		r.Unplaced = append(r.Unplaced, g.ids[m])
	}
	slices.Sort(r.Unplaced)
	return r
}

// exact finds an optimal grouping by dynamic programming over the set of
// members still to place: the lowest one is either left out or grouped with
// 1..3 others. Group sizes 2..3 for size 2 and 2..4 for size 3.
func exact(g *graph, size int) ([][]int, []int) {
	n := len(g.ids)
	full := 1<<n - 1
	best := make([]cost, full+1)
	choice := make([]int, full+1) // the group taking the lowest member; 0 = left out
	maxGroup := size + 1
	buf := make([]int, 0, 4)
	for mask := 1; mask <= full; mask++ {
		low := 0
		for mask&(1<<low) == 0 {
			low++
		}
		rest := mask &^ (1 << low)
		best[mask] = best[rest].plus(cost{unplaced: 1})
		choice[mask] = 0
		// Enumerate subsets of rest with 1..maxGroup-1 members, joined to low.
		var walk func(from, sub int, members []int)
		walk = func(from, sub int, members []int) {
			if len(members) >= 2 {
				if c, ok := g.groupCost(members, size); ok {
					if total := best[mask&^sub].plus(c); total.less(best[mask]) {
						best[mask] = total
						choice[mask] = sub
					}
				} else {
					return // adding members cannot lift the avoid
				}
			}
			if len(members) == maxGroup {
				return
			}
			for j := from; j < n; j++ {
				if rest&(1<<j) != 0 {
					walk(j+1, sub|1<<j, append(members, j))
				}
			}
		}
		walk(low+1, 1<<low, append(buf[:0], low))
	}
	var groups [][]int
	var unplaced []int
	for mask := full; mask != 0; {
		sub := choice[mask]
		if sub == 0 {
			low := 0
			for mask&(1<<low) == 0 {
				low++
			}
			unplaced = append(unplaced, low)
			mask &^= 1 << low
			continue
		}
		var grp []int
		for j := 0; j < n; j++ {
			if sub&(1<<j) != 0 {
				grp = append(grp, j)
			}
		}
		groups = append(groups, grp)
		mask &^= sub
	}
	return groups, unplaced
}
