package ical

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// A parser-lite of our own, strict where clients are strict: it checks the
// physical layout (CRLF, 75 octets, UTF-8 per physical line), unfolds,
// splits properties and parameters and nests components. Properties and
// their meaning are checked by the tests that use it.

type prop struct {
	name   string
	params map[string]string
	value  string
}

type component struct {
	name     string
	props    []prop
	children []*component
}

// all returns the properties called name.
func (c *component) all(name string) []prop {
	var out []prop
	for _, p := range c.props {
		if p.name == name {
			out = append(out, p)
		}
	}
	return out
}

// one returns the only property called name, failing otherwise.
func (c *component) one(t testing.TB, name string) prop {
	t.Helper()
	ps := c.all(name)
	if len(ps) != 1 {
		t.Fatalf("%s has %d %s properties, want 1", c.name, len(ps), name)
	}
	return ps[0]
}

// value is the value of the only property called name, or "" if there is
// none.
func (c *component) value(t testing.TB, name string) string {
	t.Helper()
	ps := c.all(name)
	switch len(ps) {
	case 0:
		return ""
	case 1:
		return ps[0].value
	}
	t.Fatalf("%s has %d %s properties, want at most 1", c.name, len(ps), name)
	return ""
}

func (c *component) kids(name string) []*component {
	var out []*component
	for _, k := range c.children {
		if k.name == name {
			out = append(out, k)
		}
	}
	return out
}

// physicalLines splits data on CRLF, failing on a bare CR or LF, a line
// over 75 octets or one that is not valid UTF-8 on its own.
func physicalLines(t testing.TB, data []byte) []string {
	t.Helper()
	if !bytes.HasSuffix(data, []byte("\r\n")) {
		t.Fatalf("output does not end in CRLF")
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\r\n"), "\r\n")
	for i, l := range lines {
		if strings.ContainsAny(l, "\r\n") {
			t.Fatalf("line %d has a bare CR or LF: %q", i+1, l)
		}
		if len(l) > maxLineOctets {
			t.Fatalf("line %d is %d octets, over %d: %q", i+1, len(l), maxLineOctets, l)
		}
		if !utf8.ValidString(l) {
			t.Fatalf("line %d splits a UTF-8 sequence: %q", i+1, l)
		}
		if l == "" {
			t.Fatalf("line %d is empty", i+1)
		}
	}
	return lines
}

// unfold joins continuation lines (RFC 5545 3.1).
func unfold(lines []string) []string {
	var out []string
	for _, l := range lines {
		if (l[0] == ' ' || l[0] == '\t') && len(out) > 0 {
			out[len(out)-1] += l[1:]
			continue
		}
		out = append(out, l)
	}
	return out
}

// parseLine splits a content line into name, parameters and value.
func parseLine(line string) (prop, error) {
	p := prop{params: map[string]string{}}
	i := strings.IndexAny(line, ";:")
	if i <= 0 {
		return p, fmt.Errorf("no name: %q", line)
	}
	p.name = line[:i]
	for _, r := range p.name {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
			return p, fmt.Errorf("bad name %q", p.name)
		}
	}
	rest := line[i:]
	for rest[0] == ';' {
		rest = rest[1:]
		eq := strings.IndexByte(rest, '=')
		if eq <= 0 {
			return p, fmt.Errorf("bad parameter in %q", line)
		}
		name := rest[:eq]
		rest = rest[eq+1:]
		var val string
		if strings.HasPrefix(rest, `"`) {
			end := strings.IndexByte(rest[1:], '"')
			if end < 0 {
				return p, fmt.Errorf("unterminated quote in %q", line)
			}
			val, rest = rest[1:end+1], rest[end+2:]
		} else {
			end := strings.IndexAny(rest, ";:")
			if end < 0 {
				return p, fmt.Errorf("no value in %q", line)
			}
			val, rest = rest[:end], rest[end:]
		}
		p.params[name] = val
		if rest == "" {
			return p, fmt.Errorf("no value in %q", line)
		}
	}
	if rest[0] != ':' {
		return p, fmt.Errorf("no colon in %q", line)
	}
	p.value = rest[1:]
	return p, nil
}

// parseICS checks the layout of data and returns its VCALENDAR.
func parseICS(t testing.TB, data []byte) *component {
	t.Helper()
	var stack []*component
	var root *component
	for _, l := range unfold(physicalLines(t, data)) {
		p, err := parseLine(l)
		if err != nil {
			t.Fatal(err)
		}
		switch p.name {
		case "BEGIN":
			c := &component{name: p.value}
			if len(stack) > 0 {
				top := stack[len(stack)-1]
				top.children = append(top.children, c)
			} else if root != nil {
				t.Fatalf("a second top-level component %s", p.value)
			} else {
				root = c
			}
			stack = append(stack, c)
		case "END":
			if len(stack) == 0 || stack[len(stack)-1].name != p.value {
				t.Fatalf("END:%s does not close the open component", p.value)
			}
			stack = stack[:len(stack)-1]
		default:
			if len(stack) == 0 {
				t.Fatalf("property %s outside any component", p.name)
			}
			top := stack[len(stack)-1]
			top.props = append(top.props, p)
		}
	}
	if len(stack) != 0 {
		t.Fatalf("%s is never closed", stack[len(stack)-1].name)
	}
	if root == nil || root.name != "VCALENDAR" {
		t.Fatalf("the top-level component is not VCALENDAR")
	}
	return root
}

// unescapeText reverses TEXT escaping, strictly: a backslash must start one
// of the four escapes.
func unescapeText(t testing.TB, s string) string {
	t.Helper()
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ',' || c == ';' {
			t.Fatalf("unescaped %q in TEXT %q", c, s)
		}
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		i++
		if i == len(s) {
			t.Fatalf("TEXT ends in a backslash: %q", s)
		}
		switch s[i] {
		case '\\', ',', ';':
			b.WriteByte(s[i])
		case 'n', 'N':
			b.WriteByte('\n')
		default:
			t.Fatalf("unknown escape \\%c in %q", s[i], s)
		}
	}
	return b.String()
}

// checkCalendar parses data and checks what every calendar we write must
// have: the VCALENDAR header, required event and time zone properties, and
// a VTIMEZONE for exactly the TZIDs the events use.
func checkCalendar(t testing.TB, data []byte) *component {
	t.Helper()
	cal := parseICS(t, data)
	for name, want := range map[string]string{"VERSION": "2.0", "CALSCALE": "GREGORIAN", "METHOD": "PUBLISH"} {
		if got := cal.one(t, name).value; got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	cal.one(t, "PRODID")
	defined := map[string]bool{}
	for _, z := range cal.kids("VTIMEZONE") {
		id := z.one(t, "TZID").value
		if defined[id] {
			t.Errorf("VTIMEZONE %s is defined twice", id)
		}
		defined[id] = true
		if len(z.children) == 0 {
			t.Errorf("VTIMEZONE %s has no observance", id)
		}
		for _, o := range z.children {
			if o.name != "STANDARD" && o.name != "DAYLIGHT" {
				t.Errorf("VTIMEZONE %s has a %s", id, o.name)
			}
			for _, p := range []string{"DTSTART", "TZOFFSETFROM", "TZOFFSETTO"} {
				o.one(t, p)
			}
		}
	}
	used := map[string]bool{}
	events := cal.kids("VEVENT")
	if len(events) == 0 {
		t.Errorf("no VEVENT")
	}
	for _, ev := range events {
		for _, p := range []string{"UID", "DTSTAMP", "DTSTART"} {
			ev.one(t, p)
		}
		if !strings.HasSuffix(ev.one(t, "DTSTAMP").value, "Z") {
			t.Errorf("DTSTAMP %q is not UTC", ev.one(t, "DTSTAMP").value)
		}
		if len(ev.all("DTEND")) > 0 && len(ev.all("DURATION")) > 0 {
			t.Errorf("event has both DTEND and DURATION")
		}
		for _, p := range ev.props {
			if id, ok := p.params["TZID"]; ok {
				used[id] = true
				if !defined[id] {
					t.Errorf("%s uses TZID %q, which has no VTIMEZONE", p.name, id)
				}
				if strings.HasSuffix(p.value, "Z") {
					t.Errorf("%s has both TZID and Z: %q", p.name, p.value)
				}
			}
		}
	}
	for id := range defined {
		if !used[id] {
			t.Errorf("VTIMEZONE %s is not used by any event", id)
		}
	}
	return cal
}

// --- a VTIMEZONE interpreter, for what we emit ---

// onset is when an observance begins and the offset it sets.
type onset struct {
	at     time.Time
	offset int
}

func parseOffset(t testing.TB, s string) int {
	t.Helper()
	var sign, h, m, sec int
	switch s[0] {
	case '+':
		sign = 1
	case '-':
		sign = -1
	default:
		t.Fatalf("bad UTC offset %q", s)
	}
	switch len(s) {
	case 5:
		_, err := fmt.Sscanf(s[1:], "%02d%02d", &h, &m)
		if err != nil {
			t.Fatalf("bad UTC offset %q", s)
		}
	case 7:
		_, err := fmt.Sscanf(s[1:], "%02d%02d%02d", &h, &m, &sec)
		if err != nil {
			t.Fatalf("bad UTC offset %q", s)
		}
	default:
		t.Fatalf("bad UTC offset %q", s)
	}
	if s == "-0000" {
		t.Fatalf("-0000 is not a valid UTC offset")
	}
	return sign * (h*3600 + m*60 + sec)
}

// zoneOnsets expands a VTIMEZONE's observances into onsets up to limit,
// following RFC 5545: DTSTART is local time in TZOFFSETFROM, and the RRULE
// repeats it. Only the rule parts we emit are understood; anything else
// fails the test.
func zoneOnsets(t testing.TB, z *component, limit time.Time) []onset {
	t.Helper()
	var out []onset
	for _, o := range z.children {
		from := parseOffset(t, o.one(t, "TZOFFSETFROM").value)
		to := parseOffset(t, o.one(t, "TZOFFSETTO").value)
		wall, err := time.Parse(dateTimeLocal, o.one(t, "DTSTART").value)
		if err != nil {
			t.Fatalf("observance DTSTART: %v", err)
		}
		start := wall.Add(-time.Duration(from) * time.Second)
		out = append(out, onset{start, to})
		rule := o.value(t, "RRULE")
		if rule == "" {
			continue
		}
		parts := map[string]string{}
		for _, p := range strings.Split(rule, ";") {
			k, v, _ := strings.Cut(p, "=")
			parts[k] = v
		}
		var until time.Time
		for k, v := range parts {
			switch k {
			case "FREQ":
				if v != "YEARLY" {
					t.Fatalf("RRULE %q: only FREQ=YEARLY is expected", rule)
				}
			case "BYMONTH", "BYDAY", "BYMONTHDAY":
			case "UNTIL":
				if until, err = time.Parse(dateTimeUTC, v); err != nil {
					t.Fatalf("RRULE %q: UNTIL: %v", rule, err)
				}
			default:
				t.Fatalf("RRULE %q: unexpected part %s", rule, k)
			}
		}
		var month int
		fmt.Sscan(parts["BYMONTH"], &month)
		if month != int(wall.Month()) {
			t.Fatalf("RRULE %q: BYMONTH does not match DTSTART %v", rule, wall)
		}
		byday := parts["BYDAY"]
		wd := strings.Index(weekdayCodes, byday[len(byday)-2:]) / 2
		nth := 0
		if len(byday) > 2 {
			fmt.Sscan(byday[:len(byday)-2], &nth)
		}
		var monthDays []int
		if md := parts["BYMONTHDAY"]; md != "" {
			for _, d := range strings.Split(md, ",") {
				var n int
				fmt.Sscan(d, &n)
				monthDays = append(monthDays, n)
			}
		}
		dateIn := func(year int) (int, bool) {
			dim := daysIn(year, time.Month(month))
			var cands []int
			for d := 1; d <= dim; d++ {
				if int(time.Date(year, time.Month(month), d, 0, 0, 0, 0, time.UTC).Weekday()) != wd {
					continue
				}
				if monthDays != nil && !containsInt(monthDays, d) {
					continue
				}
				cands = append(cands, d)
			}
			switch {
			case len(cands) == 0:
				return 0, false
			case nth > 0 && nth <= len(cands):
				return cands[nth-1], true
			case nth == -1:
				return cands[len(cands)-1], true
			case nth == 0 && len(cands) == 1:
				return cands[0], true
			}
			t.Fatalf("RRULE %q: cannot pick a day in %d", rule, year)
			return 0, false
		}
		if d, ok := dateIn(wall.Year()); !ok || d != wall.Day() {
			t.Fatalf("RRULE %q does not start at its DTSTART %v", rule, wall)
		}
		for year := wall.Year() + 1; ; year++ {
			d, ok := dateIn(year)
			if !ok {
				continue
			}
			at := time.Date(year, time.Month(month), d, wall.Hour(), wall.Minute(), wall.Second(), 0, time.UTC).Add(-time.Duration(from) * time.Second)
			if !until.IsZero() && at.After(until) || at.After(limit) {
				break
			}
			out = append(out, onset{at, to})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].at.Before(out[j].at) })
	for i := 1; i < len(out); i++ {
		if out[i].at.Equal(out[i-1].at) {
			t.Fatalf("two observances begin at %v", out[i].at)
		}
	}
	return out
}

func containsInt(s []int, n int) bool {
	for _, v := range s {
		if v == n {
			return true
		}
	}
	return false
}

// offsetAt is the offset the onsets (sorted) give at x: that of the latest
// onset at or before x. It fails if x is before every onset.
func offsetAt(t testing.TB, onsets []onset, x time.Time) int {
	// No t.Helper here: this runs hundreds of thousands of times and
	// Helper walks the stack on every call.
	i := sort.Search(len(onsets), func(i int) bool { return onsets[i].at.After(x) })
	if i == 0 {
		t.Fatalf("no observance in effect at %v", x)
	}
	return onsets[i-1].offset
}
