package storage

import (
	"strings"
	"testing"
)

func TestRebind(t *testing.T) {
	for in, want := range map[string]string{
		`SELECT 1`:                                    `SELECT 1`,
		`SELECT ? , ?`:                                `SELECT $1 , $2`,
		`WHERE a = ?1 AND b = ?2 OR c = ?1`:           `WHERE a = $1 AND b = $2 OR c = $1`,
		`WHERE a = '?' AND b = ?`:                     `WHERE a = '?' AND b = $1`,
		`WHERE "odd?" = ? -- why?` + "\n" + `AND x=?`: `WHERE "odd?" = $1 -- why?` + "\n" + `AND x=$2`,
		`/* ? */ VALUES (?, ?)`:                       `/* ? */ VALUES ($1, $2)`,
		`WHERE a = 'it''s' AND b = ?`:                 `WHERE a = 'it''s' AND b = $1`,
		`WHERE a = 'unterminated ?`:                   `WHERE a = 'unterminated ?`,
	} {
		if got := rebind(in); got != want {
			t.Errorf("rebind(%q) = %q, want %q", in, got, want)
		}
	}
}

// Every placeholder outside quotes and comments is rewritten, and nothing
// else changes.
func FuzzRebind(f *testing.F) {
	for _, seed := range []string{`SELECT ?`, `'?'`, `-- ?`, `/* ?`, `?12?`, `"?"?`} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, q string) {
		out := rebind(q)
		if !strings.ContainsAny(q, `'"-/`) {
			if strings.Contains(out, "?") {
				t.Fatalf("rebind(%q) = %q kept a placeholder", q, out)
			}
			if strings.ReplaceAll(q, "?", "") != strings.Map(func(r rune) rune {
				if r == '$' {
					return -1
				}
				return r
			}, out) && !strings.Contains(q, "$") {
				// Only the placeholders' own numbers may be added.
				stripped := strings.Map(func(r rune) rune {
					if r == '$' || (r >= '0' && r <= '9') {
						return -1
					}
					return r
				}, out)
				want := strings.Map(func(r rune) rune {
					if r == '?' || (r >= '0' && r <= '9') {
						return -1
					}
					return r
				}, q)
				if stripped != want {
					t.Fatalf("rebind(%q) = %q changed more than placeholders", q, out)
				}
			}
		}
	})
}
