package pairing

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)

func members(ids ...string) []Member {
	var ms []Member
	for _, id := range ids {
		ms = append(ms, Member{ID: id})
	}
	return ms
}

func mustPair(t testing.TB, in Input) Result {
	t.Helper()
	r, err := Pair(in)
	if err != nil {
		t.Fatalf("Pair: %v", err)
	}
	return r
}

func TestPairRules(t *testing.T) {
	tests := []struct {
		name string
		in   Input
		want Result
	}{
		{"nobody", Input{Size: 2}, Result{}},
		{"all paused", Input{Size: 2, Members: []Member{{"a", true}, {"b", true}, {"c", true}}}, Result{}},
		{"one member has nobody to meet", Input{Size: 2, Members: members("a")}, Result{Unplaced: []string{"a"}}},
		{"two members pair", Input{Size: 2, Members: members("b", "a")}, Result{Groups: [][]string{{"a", "b"}}}},
		{"paused member left out", Input{Size: 2, Members: []Member{{"a", false}, {"b", true}, {"c", false}}},
			Result{Groups: [][]string{{"a", "c"}}}},
		{"five members make a pair and a trio", Input{Size: 2, Members: members("a", "b", "c", "d", "e"),
			// Force the shape so the expectation is exact.
			Avoid: [][2]string{{"a", "d"}, {"a", "e"}, {"b", "d"}, {"b", "e"}, {"c", "d"}, {"c", "e"}}},
			Result{Groups: [][]string{{"a", "b", "c"}, {"d", "e"}}}},
		{"avoid as written", Input{Size: 2, Members: members("a", "b", "c", "d"),
			Avoid: [][2]string{{"a", "b"}, {"c", "d"}, {"a", "d"}}},
			Result{Groups: [][]string{{"a", "c"}, {"b", "d"}}}},
		{"avoid the other way round", Input{Size: 2, Members: members("a", "b", "c", "d"),
			Avoid: [][2]string{{"b", "a"}, {"d", "c"}, {"d", "a"}}},
			Result{Groups: [][]string{{"a", "c"}, {"b", "d"}}}},
		{"no repeat while a fresh pairing exists", Input{Size: 2, Members: members("a", "b", "c", "d"),
			History: []Met{{"a", "b", t0}, {"c", "d", t0}, {"a", "c", t0}}},
			Result{Groups: [][]string{{"a", "d"}, {"b", "c"}}}},
		{"repeat the pair that met longest ago", Input{Size: 2, Members: members("a", "b", "c", "d"),
			History: []Met{{"a", "b", t0}, {"c", "d", t0}, {"a", "c", t0.AddDate(0, 0, 7)}, {"b", "d", t0.AddDate(0, 0, 7)},
				{"a", "d", t0.AddDate(0, 0, 14)}, {"b", "c", t0.AddDate(0, 0, 14)}}},
			Result{Groups: [][]string{{"a", "b"}, {"c", "d"}}, Repeats: 2}},
		{"member who avoids everyone is unplaced", Input{Size: 2, Members: members("a", "b", "c", "x"),
			Avoid: [][2]string{{"x", "a"}, {"x", "b"}, {"x", "c"}}},
			Result{Groups: [][]string{{"a", "b", "c"}}, Unplaced: []string{"x"}}},
		{"unknown ids in avoid and history are ignored", Input{Size: 2, Members: members("a", "b"),
			Avoid: [][2]string{{"a", "zz"}}, History: []Met{{"b", "zz", t0}}},
			Result{Groups: [][]string{{"a", "b"}}}},
		{"size 3: six make two trios", Input{Size: 3, Members: members("a", "b", "c", "d", "e", "f"),
			Avoid: [][2]string{{"a", "d"}, {"a", "e"}, {"a", "f"}}},
			Result{Groups: [][]string{{"a", "b", "c"}, {"d", "e", "f"}}}},
		{"size 3: one over joins a trio", Input{Size: 3, Members: members("a", "b", "c", "d")},
			Result{Groups: [][]string{{"a", "b", "c", "d"}}}},
		{"size 3: two over form a pair", Input{Size: 3, Members: members("a", "b", "c", "d", "e"),
			Avoid: [][2]string{{"a", "d"}, {"a", "e"}, {"b", "d"}, {"b", "e"}, {"c", "d"}}},
			Result{Groups: [][]string{{"a", "b", "c"}, {"d", "e"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for seed := range uint64(8) {
				tt.in.Seed = seed
				got := mustPair(t, tt.in)
				if !reflect.DeepEqual(got, tt.want) {
					t.Fatalf("seed %d: got %+v, want %+v", seed, got, tt.want)
				}
			}
		})
	}
}

func TestPairRejectsBadInput(t *testing.T) {
	for _, in := range []Input{
		{Size: 1, Members: members("a", "b")},
		{Size: 4, Members: members("a", "b")},
		{Size: 2, Members: members("a", "b", "a")},
		{Size: 2, Members: []Member{{"a", false}, {"a", true}}},
		{Size: 2, Members: members("a", "")},
	} {
		if _, err := Pair(in); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("Pair(%+v) error = %v, want ErrInvalidInput", in, err)
		}
	}
}

// randomInput builds n members, some paused, with random avoid and history.
func randomInput(rng *rand.Rand, n, size int, avoidP, metP float64) Input {
	in := Input{Size: size, Seed: rng.Uint64()}
	for i := range n {
		in.Members = append(in.Members, Member{ID: fmt.Sprintf("m%04d", i), Paused: rng.Float64() < 0.1})
	}
	for i := range n {
		for j := i + 1; j < n; j++ {
			a, b := in.Members[i].ID, in.Members[j].ID
			if rng.Float64() < avoidP {
				if rng.IntN(2) == 0 {
					a, b = b, a
				}
				in.Avoid = append(in.Avoid, [2]string{a, b})
			}
			if rng.Float64() < metP {
				in.History = append(in.History, Met{a, b, t0.AddDate(0, 0, -7*rng.IntN(52))})
			}
		}
	}
	rng.Shuffle(len(in.History), func(i, j int) { in.History[i], in.History[j] = in.History[j], in.History[i] })
	return in
}

// checkInvariants fails t unless res keeps the hard rules for in.
func checkInvariants(t *testing.T, in Input, res Result) {
	t.Helper()
	avoid := map[[2]string]bool{}
	for _, p := range in.Avoid {
		avoid[p], avoid[[2]string{p[1], p[0]}] = true, true
	}
	met := map[[2]string]bool{}
	for _, h := range in.History {
		met[[2]string{h.A, h.B}], met[[2]string{h.B, h.A}] = true, true
	}
	count := map[string]int{}
	repeats := 0
	for gi, g := range res.Groups {
		if len(g) < 2 || len(g) > in.Size+1 {
			t.Errorf("group %v has %d members, size %d", g, len(g), in.Size)
		}
		if !slices.IsSorted(g) {
			t.Errorf("group %v not sorted", g)
		}
		if gi > 0 && slices.Compare(res.Groups[gi-1], g) >= 0 {
			t.Errorf("groups out of order at %d", gi)
		}
		for i, a := range g {
			count[a]++
			for _, b := range g[i+1:] {
				if avoid[[2]string{a, b}] {
					t.Errorf("avoiding members %s and %s grouped", a, b)
				}
				if met[[2]string{a, b}] {
					repeats++
				}
			}
		}
	}
	for _, u := range res.Unplaced {
		count[u]++
	}
	for _, m := range in.Members {
		want := 1
		if m.Paused {
			want = 0
		}
		if count[m.ID] != want {
			t.Errorf("member %s (paused %v) appears %d times", m.ID, m.Paused, count[m.ID])
		}
	}
	if repeats != res.Repeats {
		t.Errorf("Repeats = %d, counted %d", res.Repeats, repeats)
	}
}

// bruteBest enumerates every grouping of the active members (each left out
// or in a group of 2..size+1) and returns the best cost; written
// independently of the package's dynamic programme.
func bruteBest(in Input) cost {
	var ids []string
	for _, m := range in.Members {
		if !m.Paused {
			ids = append(ids, m.ID)
		}
	}
	avoid := map[[2]string]bool{}
	for _, p := range in.Avoid {
		avoid[p], avoid[[2]string{p[1], p[0]}] = true, true
	}
	met := map[[2]string]bool{}
	for _, h := range in.History {
		met[[2]string{h.A, h.B}], met[[2]string{h.B, h.A}] = true, true
	}
	best := cost{unplaced: 1 << 30}
	var rec func(rest []string, acc cost)
	rec = func(rest []string, acc cost) {
		if len(rest) == 0 {
			if acc.less(best) {
				best = acc
			}
			return
		}
		first, others := rest[0], rest[1:]
		rec(others, acc.plus(cost{unplaced: 1}))
		// choose 1..size others to join first
		var choose func(from int, grp []string)
		choose = func(from int, grp []string) {
			if len(grp) >= 2 {
				c := cost{dev: abs(len(grp) - in.Size)}
				for i, a := range grp {
					for _, b := range grp[i+1:] {
						if avoid[[2]string{a, b}] {
							return
						}
						if met[[2]string{a, b}] {
							c.repeats++
						}
					}
				}
				var left []string
				for _, o := range others {
					if !slices.Contains(grp, o) {
						left = append(left, o)
					}
				}
				rec(left, acc.plus(c))
			}
			if len(grp) == in.Size+1 {
				return
			}
			for i := from; i < len(others); i++ {
				choose(i+1, append(slices.Clone(grp), others[i]))
			}
		}
		choose(0, []string{first})
	}
	rec(ids, cost{})
	return best
}

func resultCost(in Input, res Result) cost {
	c := cost{unplaced: len(res.Unplaced), repeats: res.Repeats}
	for _, g := range res.Groups {
		c.dev += abs(len(g) - in.Size)
	}
	return c
}

func TestPairIsOptimalOnSmallGroups(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 400 {
		size := 2 + i%2
		in := randomInput(rng, 1+rng.IntN(10), size, rng.Float64()*0.4, rng.Float64()*0.8)
		res := mustPair(t, in)
		checkInvariants(t, in, res)
		want := bruteBest(in)
		got := resultCost(in, res)
		if got.unplaced != want.unplaced || got.dev != want.dev || got.repeats != want.repeats {
			t.Fatalf("case %d (size %d, %d members): got %+v, brute force %+v\ninput %+v\nresult %+v",
				i, size, len(in.Members), got, want, in, res)
		}
	}
}

// The large-group path is driven with small inputs here so its exact part —
// a repeat-free pairing whenever one exists for an even count, and a
// maximum number of pairs — is checked against brute force.
func TestLargePathOnSmallGroups(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 400 {
		size := 2 + i%2
		in := randomInput(rng, 2+rng.IntN(9), size, rng.Float64()*0.3, rng.Float64()*0.8)
		res, err := pair(in, 0)
		if err != nil {
			t.Fatal(err)
		}
		checkInvariants(t, in, res)
		want := bruteBest(in)
		got := resultCost(in, res)
		if size == 2 && want == (cost{}) && got != want {
			t.Fatalf("case %d: a repeat-free pairing exists but got %+v\ninput %+v\nresult %+v", i, got, in, res)
		}
	}
}

func TestPairInvariantsOnLargeGroups(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range 6 {
		n := 500 + rng.IntN(1501)
		in := randomInput(rng, n, 2+i%2, 2.0/float64(n), 30.0/float64(n))
		res := mustPair(t, in)
		checkInvariants(t, in, res)
		if len(res.Unplaced) != 0 {
			t.Errorf("n=%d: unplaced %v", n, res.Unplaced)
		}
		if in.Size == 2 && res.Repeats != 0 {
			t.Errorf("n=%d: %d repeats with a sparse history", n, res.Repeats)
		}
		if again := mustPair(t, in); !reflect.DeepEqual(again, res) {
			t.Errorf("n=%d: same seed gave a different result", n)
		}
		in.Seed++
		if other := mustPair(t, in); reflect.DeepEqual(other.Groups, res.Groups) {
			t.Errorf("n=%d: another seed gave the same groups", n)
		}
	}
}

func TestPairIsDeterministicAndSeedVaries(t *testing.T) {
	in := Input{Size: 2, Members: members("a", "b", "c", "d", "e", "f")}
	seen := map[string]bool{}
	for seed := range uint64(20) {
		in.Seed = seed
		a, b := mustPair(t, in), mustPair(t, in)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("seed %d: %v then %v", seed, a, b)
		}
		seen[fmt.Sprint(a.Groups)] = true
	}
	if len(seen) < 3 {
		t.Errorf("20 seeds gave only %d distinct pairings", len(seen))
	}
	// Member order does not matter, only the seed.
	rev := slices.Clone(in.Members)
	slices.Reverse(rev)
	if a, b := mustPair(t, in), mustPair(t, Input{Size: 2, Members: rev, Seed: in.Seed}); !reflect.DeepEqual(a, b) {
		t.Errorf("member order changed the result: %v vs %v", a, b)
	}
}

// Rounds fed back into history: avoid pairs never meet, and an even group
// of 40 with few past partners each never repeats a pair.
func TestRoundsFedBackIntoHistory(t *testing.T) {
	for _, tc := range []struct{ n, size int }{{9, 2}, {11, 3}, {40, 2}, {41, 3}} {
		rng := rand.New(rand.NewPCG(uint64(tc.n), 7))
		in := randomInput(rng, tc.n, tc.size, 0.1, 0)
		for round := range 12 {
			in.Seed = uint64(round)
			res := mustPair(t, in)
			checkInvariants(t, in, res)
			if t.Failed() {
				t.Fatalf("n=%d size=%d round %d", tc.n, tc.size, round)
			}
			if tc.n == 40 && res.Repeats != 0 {
				t.Fatalf("n=40 round %d: %d repeats", round, res.Repeats)
			}
			at := t0.AddDate(0, 0, 7*round)
			for _, g := range res.Groups {
				for i, a := range g {
					for _, b := range g[i+1:] {
						in.History = append(in.History, Met{a, b, at})
					}
				}
			}
		}
	}
}

// randomHistory returns weeks of random pairings of ids, one per week.
func randomHistory(rng *rand.Rand, ids []string, weeks int) []Met {
	var h []Met
	order := slices.Clone(ids)
	for w := range weeks {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		at := t0.AddDate(0, 0, -7*(w+1))
		for i := 0; i+1 < len(order); i += 2 {
			h = append(h, Met{order[i], order[i+1], at})
		}
	}
	return h
}

// BenchmarkPair10000: 10,000 opted-in members, a year of weekly history
// (52 random pairings) and 1,000 avoid entries. Target (DESIGN.md): under
// 1 s per round on 2 cores with zero avoidable repeats; the repeats metric
// must stay 0.
func BenchmarkPair10000(b *testing.B) {
	rng := rand.New(rand.NewPCG(10000, 52))
	in := Input{Size: 2}
	var ids []string
	for i := range 10000 {
		id := fmt.Sprintf("u%05d", i)
		ids = append(ids, id)
		in.Members = append(in.Members, Member{ID: id})
	}
	in.History = randomHistory(rng, ids, 52)
	for range 1000 {
		in.Avoid = append(in.Avoid, [2]string{ids[rng.IntN(len(ids))], ids[rng.IntN(len(ids))]})
	}
	var res Result
	for i := 0; b.Loop(); i++ {
		in.Seed = uint64(i)
		res = mustPair(b, in)
	}
	if len(res.Unplaced) != 0 {
		b.Fatalf("unplaced: %v", res.Unplaced)
	}
	b.ReportMetric(float64(res.Repeats), "repeats")
}
