package ical

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// maxLineOctets is RFC 5545's limit on a content line, without its CRLF.
const maxLineOctets = 75

// normalizeText turns s into something a TEXT value can carry: valid UTF-8
// (invalid bytes become U+FFFD), CRLF and lone CR as LF, and no control
// characters other than tab and newline (RFC 5545 TEXT has no way to write
// them, so they are dropped).
func normalizeText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || (r >= 0x20 && r != 0x7f) {
			return r
		}
		return -1
	}, s)
}

// escapeText escapes a TEXT value (RFC 5545 3.3.11) after normalizing it.
func escapeText(s string) string {
	s = normalizeText(s)
	var b strings.Builder
	b.Grow(len(s) + 8)
	for _, r := range s {
		switch r {
		case '\\':
			b.WriteString(`\\`)
		case ';':
			b.WriteString(`\;`)
		case ',':
			b.WriteString(`\,`)
		case '\n':
			b.WriteString(`\n`)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// fold writes line to b folded into lines of at most 75 octets (RFC 5545
// 3.1): a continuation line starts with a space, which counts towards its
// 75. Lines are cut on UTF-8 character boundaries only, because some
// clients decode each physical line on its own.
func fold(b *bytes.Buffer, line string) {
	limit := maxLineOctets
	for len(line) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(line[cut]) {
			cut--
		}
		b.WriteString(line[:cut])
		b.WriteString("\r\n ")
		line = line[cut:]
		limit = maxLineOctets - 1
	}
	b.WriteString(line)
	b.WriteString("\r\n")
}

// checkValue accepts a non-TEXT value (URI, zone name) that can be written
// as is: valid UTF-8 without control characters. Anything else could break
// the line structure, so it is refused rather than altered.
func checkValue(s string) error {
	if !utf8.ValidString(s) {
		return errors.New("not valid UTF-8")
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("control character %q", r)
		}
	}
	return nil
}

// checkZoneName accepts a time zone name that reads the same as a TZID
// parameter and as the TEXT value of a VTIMEZONE's TZID property, so
// clients that compare them as written still match them. IANA names
// ("America/Argentina/Buenos_Aires", "Etc/GMT+5") all qualify.
func checkZoneName(s string) error {
	if err := checkValue(s); err != nil {
		return err
	}
	if i := strings.IndexAny(s, `";:,\`); i >= 0 {
		return fmt.Errorf("%q has %q, which a TZID cannot carry unchanged", s, s[i])
	}
	return nil
}
