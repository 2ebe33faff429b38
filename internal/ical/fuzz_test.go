package ical

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzEscape checks that any text a member types survives escaping and
// folding: every physical line is CRLF-terminated, at most 75 octets and
// valid UTF-8 on its own, and unfolding and unescaping gives back the text
// (normalized: what TEXT cannot carry — bare CRs, control characters,
// invalid UTF-8 — is the only thing that changes).
func FuzzEscape(f *testing.F) {
	for _, s := range []string{
		"",
		"plain",
		`a\b,c;d` + "\n" + `e\nf`,
		"windows\r\nline\rends\n",
		strings.Repeat("é", 80),
		strings.Repeat("👩‍👩‍👧‍👦", 30),
		strings.Repeat("x", 74) + "é" + strings.Repeat(",", 40),
		"\x00\x01\x7f\xff\xfe tail",
		" leading and trailing spaces ",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var b bytes.Buffer
		fold(&b, "DESCRIPTION:"+escapeText(s))
		lines := physicalLines(t, b.Bytes())
		joined := unfold(lines)
		if len(joined) != 1 {
			t.Fatalf("one property became %d content lines: %q", len(joined), b.String())
		}
		p, err := parseLine(joined[0])
		if err != nil {
			t.Fatal(err)
		}
		got := unescapeText(t, p.value)
		if want := normalizeText(s); got != want {
			t.Fatalf("round trip of %q gave %q, want %q", s, got, want)
		}
		if isPlainText(s) && got != s {
			t.Fatalf("text needing no normalization changed: %q → %q", s, got)
		}
	})
}

// isPlainText reports whether s is text TEXT carries unchanged.
func isPlainText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 && r != '\t' && r != '\n' || r == 0x7f {
			return false
		}
	}
	return true
}
