package zones

import (
	"slices"
	"strings"
	"testing"
)

// discordMaxChoices and discordMaxChoiceLen are Discord's autocomplete
// limits; every answer we produce has to fit them.
const (
	discordMaxChoices   = 25
	discordMaxChoiceLen = 100
)

func TestNames(t *testing.T) {
	names := Names()
	if len(names) < 400 {
		t.Fatalf("only %d names; zones.txt looks truncated", len(names))
	}
	if !slices.IsSorted(names) {
		t.Error("Names() is not sorted")
	}
	if len(slices.Compact(slices.Clone(names))) != len(names) {
		t.Error("Names() has duplicates")
	}
	for _, want := range []string{"UTC", "Europe/Berlin", "Europe/Kyiv", "Asia/Kolkata", "America/New_York", "America/Argentina/Buenos_Aires", "Arctic/Longyearbyen"} {
		if !slices.Contains(names, want) {
			t.Errorf("Names() lacks %s", want)
		}
	}
	// Legacy aliases and fixed offsets would give members two entries for
	// one place, or a zone that ignores daylight saving.
	for _, bad := range []string{"Local", "US/Eastern", "EST5EDT", "Etc/GMT+3", "Etc/UTC", "GMT", "Europe/Kiev", "Asia/Calcutta", "Australia/NSW", "Factory"} {
		if slices.Contains(names, bad) {
			t.Errorf("Names() contains alias %s", bad)
		}
	}
	for _, n := range names {
		if len(n) > discordMaxChoiceLen {
			t.Errorf("%s is longer than a Discord choice may be", n)
		}
	}

	// Callers get their own copy.
	names[0] = "mutated"
	if Names()[0] == "mutated" {
		t.Error("Names() exposes internal state")
	}
}

func TestEveryNameLoads(t *testing.T) {
	for _, n := range Names() {
		got, loc, ok := Lookup(n)
		if !ok {
			t.Errorf("Lookup(%q) failed", n)
			continue
		}
		if got != n || loc.String() != n {
			t.Errorf("Lookup(%q) = %q, %v", n, got, loc)
		}
	}
}

func TestLookup(t *testing.T) {
	tests := []struct {
		in   string
		want string // "" means rejected
	}{
		{"Europe/Berlin", "Europe/Berlin"},
		{"europe/berlin", "Europe/Berlin"},
		{"EUROPE/BERLIN", "Europe/Berlin"},
		{"  Asia/Tokyo ", "Asia/Tokyo"},
		{"america/new york", "America/New_York"},
		{"UTC", "UTC"},
		{"utc", "UTC"},
		{"", ""},
		{"   ", ""},
		{"Local", ""},
		{"local", ""},
		{"Mars/Olympus", ""},
		{"../../etc/passwd", ""},
		{"/etc/localtime", ""},
		{"Europe/../Europe/Berlin", ""},
		{"US/Eastern", ""},
		{"Etc/GMT+3", ""},
		{"Europe/Berlin\x00", ""},
		{"berlin", ""},
	}
	for _, tt := range tests {
		got, loc, ok := Lookup(tt.in)
		if tt.want == "" {
			if ok || got != "" || loc != nil {
				t.Errorf("Lookup(%q) = %q, %v, %v; want rejection", tt.in, got, loc, ok)
			}
			continue
		}
		if !ok || got != tt.want || loc == nil || loc.String() != tt.want {
			t.Errorf("Lookup(%q) = %q, %v, %v; want %q", tt.in, got, loc, ok, tt.want)
		}
	}
}

func TestMatch(t *testing.T) {
	tests := []struct {
		query   string
		limit   int
		first   string   // expected first result; "" means no results
		include []string // must appear somewhere in the result
	}{
		{query: "Europe/Ber", limit: 25, first: "Europe/Berlin"},
		{query: "europe/ber", limit: 25, first: "Europe/Berlin"},
		{query: "EUROPE/BER", limit: 25, first: "Europe/Berlin"},
		{query: "berlin", limit: 25, first: "Europe/Berlin"},
		{query: "Berlin", limit: 25, first: "Europe/Berlin"},
		{query: "new york", limit: 25, first: "America/New_York"},
		{query: "new_york", limit: 25, first: "America/New_York"},
		{query: "New York ", limit: 25, first: "America/New_York"},
		{query: "america/new york", limit: 25, first: "America/New_York"},
		{query: "utc", limit: 25, first: "UTC"},
		{query: "tokyo", limit: 1, first: "Asia/Tokyo"},
		{query: "buenos", limit: 25, first: "America/Argentina/Buenos_Aires"},
		{query: "argentina/bu", limit: 25, first: "America/Argentina/Buenos_Aires"},
		{query: "york", limit: 25, first: "America/New_York"},
		{query: "angeles", limit: 25, first: "America/Los_Angeles"},
		{query: "London", limit: 25, first: "Europe/London"},
		{query: "eu", limit: 25, first: "Europe/Amsterdam", include: []string{"Europe/Berlin"}},
		{query: "Mars", limit: 25},
		{query: strings.Repeat("a", 500), limit: 25},
		{query: "berlin", limit: 0},
		{query: "berlin", limit: -1},
	}
	for _, tt := range tests {
		got := Match(tt.query, tt.limit)
		if len(got) > max(tt.limit, 0) {
			t.Errorf("Match(%q, %d) returned %d names", tt.query, tt.limit, len(got))
		}
		if tt.first == "" {
			if len(got) != 0 {
				t.Errorf("Match(%q, %d) = %q; want none", tt.query, tt.limit, got)
			}
			continue
		}
		if len(got) == 0 || got[0] != tt.first {
			t.Errorf("Match(%q, %d) = %q; want %s first", tt.query, tt.limit, got, tt.first)
		}
		for _, inc := range tt.include {
			if !slices.Contains(got, inc) {
				t.Errorf("Match(%q, %d) = %q; want it to include %s", tt.query, tt.limit, got, inc)
			}
		}
	}
}

func TestMatchTiers(t *testing.T) {
	// "ab" starts a segment of Africa/Abidjan and friends and occurs
	// inside others (Asia/Kabul); the city matches should lead.
	got := Match("ab", 100)
	seenSubstring := false
	for _, n := range got {
		l := strings.ToLower(n)
		segPrefix := strings.Contains(l, "/ab")
		if !segPrefix {
			seenSubstring = true
		} else if seenSubstring {
			t.Fatalf("Match(\"ab\") ranks segment prefix %s after a substring match: %q", n, got)
		}
	}
	if !seenSubstring {
		t.Fatalf("Match(\"ab\") = %q; expected some substring-only matches to exercise ranking", got)
	}

	// Full-name prefixes come before everything else.
	got = Match("america", 1000)
	for i, n := range got {
		if !strings.HasPrefix(n, "America/") {
			t.Fatalf("Match(\"america\")[%d] = %s; full-name prefixes must come first", i, n)
		}
	}
}

func TestMatchLimits(t *testing.T) {
	for _, q := range []string{"", "a", "e", "/", "_", "america", "zzz"} {
		for _, limit := range []int{0, 1, 5, discordMaxChoices, 1000} {
			got := Match(q, limit)
			if len(got) > limit {
				t.Errorf("Match(%q, %d) returned %d names", q, limit, len(got))
			}
			if limit == discordMaxChoices && q == "a" && len(got) != discordMaxChoices {
				t.Errorf("Match(%q, %d) returned only %d names", q, limit, len(got))
			}
		}
	}
	def := Match("", discordMaxChoices)
	if len(def) == 0 || def[0] != "UTC" {
		t.Errorf("Match(\"\") = %q; want a default selection starting with UTC", def)
	}
	if len(def) != len(popular) {
		t.Errorf("default selection has %d of %d popular zones; one is missing from zones.txt", len(def), len(popular))
	}
	if got := Match("", 3); len(got) != 3 {
		t.Errorf("Match(\"\", 3) = %q", got)
	}
	// The default selection is a copy: callers may not corrupt it.
	def[0] = "mutated"
	if Match("", 1)[0] != "UTC" {
		t.Error("Match exposes its default selection")
	}
}

func TestSuggest(t *testing.T) {
	tests := []struct {
		bad   string
		first string // "" means no suggestions
	}{
		{"Europe/Berln", "Europe/Berlin"},
		{"Amerca/New_York", "America/New_York"},
		{"berlin", "Europe/Berlin"},
		{"Berlim", "Europe/Berlin"},
		{"europe/londn", "Europe/London"},
		{"Asia/Tokio", "Asia/Tokyo"},
		{"Amsterdm", "Europe/Amsterdam"},
		{"Eurpoe/Paris", "Europe/Paris"},
		{"new york", "America/New_York"},
		{"America/Los Angles", "America/Los_Angeles"},
		{"utc", "UTC"},
		{"", ""},
		{"qqqqqqqqqqqq", ""},
		{strings.Repeat("x", 10000), ""},
	}
	for _, tt := range tests {
		got := Suggest(tt.bad, 3)
		if len(got) > 3 {
			t.Errorf("Suggest(%q, 3) returned %d names", tt.bad, len(got))
		}
		if tt.first == "" {
			if len(got) != 0 {
				t.Errorf("Suggest(%q) = %q; want none", tt.bad, got)
			}
			continue
		}
		if len(got) == 0 || got[0] != tt.first {
			t.Errorf("Suggest(%q) = %q; want %s first", tt.bad, got, tt.first)
		}
	}
	if got := Suggest("Europe/Berln", 0); got != nil {
		t.Errorf("Suggest with limit 0 = %q", got)
	}
}

func TestDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"abc", "", 3},
		{"", "abc", 3},
		{"berlin", "berlin", 0},
		{"berln", "berlin", 1},
		{"berlni", "berlin", 1}, // transposition counts once
		{"kitten", "sitting", 3},
	}
	d := newDistancer(4)
	for _, tt := range tests {
		if got := d.distance(tt.a, tt.b, 100); got != tt.want {
			t.Errorf("distance(%q, %q) = %d; want %d", tt.a, tt.b, got, tt.want)
		}
	}

	// Stopping early at a bound must not change any answer within it.
	words := []string{"", "a", "ab", "ba", "berlin", "berln", "belem", "bern", "europe/berlin", "europe/kyiv", "europe/kiev", "europe/kirov", "kitten", "sitting", "new_york", "wen_yrok"}
	for _, a := range words {
		for _, b := range words {
			exact := d.distance(a, b, 100)
			for bound := range 5 {
				got := d.distance(a, b, bound)
				if (exact <= bound && got != exact) || (exact > bound && got <= bound) {
					t.Errorf("distance(%q, %q, %d) = %d; exact distance is %d", a, b, bound, got, exact)
				}
			}
		}
	}
}

func FuzzLookupAndMatch(f *testing.F) {
	for _, s := range []string{"", "Europe/Ber", "berlin", "new york", "UTC", "Local", "../../etc/passwd", "Amerca/New_York", "\x00", "é/ü"} {
		f.Add(s, 25)
	}
	f.Add("a", 0)
	f.Add("a", -3)
	f.Add("e", 1000)

	known := make(map[string]bool)
	for _, n := range Names() {
		known[n] = true
	}
	f.Fuzz(func(t *testing.T, s string, limit int) {
		limit %= 1000 // keep result slices small; sign is kept to test <= 0
		if name, loc, ok := Lookup(s); ok {
			if !known[name] || loc == nil || loc.String() != name {
				t.Fatalf("Lookup(%q) = %q, %v", s, name, loc)
			}
		} else if name != "" || loc != nil {
			t.Fatalf("failed Lookup(%q) returned %q, %v", s, name, loc)
		}
		for fn, got := range map[string][]string{
			"Match":   Match(s, limit),
			"Suggest": Suggest(s, limit),
		} {
			if len(got) > max(limit, 0) {
				t.Fatalf("%s(%q, %d) returned %d names", fn, s, limit, len(got))
			}
			for _, n := range got {
				if !known[n] {
					t.Fatalf("%s(%q, %d) returned unknown %q", fn, s, limit, n)
				}
			}
			if len(slices.Compact(slices.Sorted(slices.Values(got)))) != len(got) {
				t.Fatalf("%s(%q, %d) returned duplicates: %q", fn, s, limit, got)
			}
		}
	})
}

func BenchmarkMatch(b *testing.B) {
	// A mix of what members type, one query per op so ns/op is the cost
	// of a single keystroke.
	queries := []string{"", "e", "Europe/Ber", "berlin", "new york", "york", "zzz"}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		Match(queries[i%len(queries)], discordMaxChoices)
		i++
	}
}

func BenchmarkMatchSubstring(b *testing.B) {
	// Worst case: a query that matches few names, so every tier scans
	// the whole list.
	b.ReportAllocs()
	for b.Loop() {
		Match("ana", discordMaxChoices)
	}
}

func BenchmarkSuggest(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Suggest("Amerca/New_York", 3)
	}
}
