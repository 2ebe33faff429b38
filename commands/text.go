package commands

import (
	"fmt"
	"strings"
	"time"
)

// How Kindred writes things for members, in one place: times, counts and
// echoed input. Fitting text to Discord's limits is in fit.go.

// timestamp is Discord's markup that shows t in each reader's own timezone
// (style "F" full, "R" relative, "D" date, "t" time).
func timestamp(t time.Time, style string) string {
	return fmt.Sprintf("<t:%d:%s>", t.Unix(), style)
}

// echo prepares something a member typed to be shown back inside `code`
// marks: at most n characters, on one line, with no backticks to break out.
func echo(s string, n int) string {
	return clip(strings.NewReplacer("`", "'", "\n", " ", "\r", " ").Replace(strings.TrimSpace(s)), n)
}

// plural is "1 group" or "3 groups".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// nouns is plural for words that take an s.
func nouns(n int, noun string) string { return plural(n, noun, noun+"s") }
