package commands

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxCustomID is Discord's limit on a component's or modal's custom id.
const maxCustomID = 100

// staleComponentText answers a button, select or form whose custom id no
// route understands: from an older version of Kindred, or crafted.
const staleComponentText = "This button no longer works: it may be from an older message, or Kindred has changed since. Run the command again for a fresh one."

// staleText is staleComponentText naming the command that gives a fresh
// button, when the pattern knows it.
func (p *IDPattern) staleText() string {
	if p == nil || p.again == "" {
		return staleComponentText
	}
	return fmt.Sprintf("This button no longer works: it may be from an older message, or Kindred has changed since. Use `%s` again for a fresh one.", p.again)
}

// An IDPattern is the shape of the custom ids of one component or modal
// route, declared once and used both to build ids and to route and parse
// them: "rsvp:{meeting:int}:{start:int}:{answer}". Parts are separated by
// ':'; a part is a literal or a named field. A field is typed:
//
//	{name}           a word: letters, digits, '-' and '_'
//	{name:int}       a decimal integer (int64)
//	{name:id}        a Discord snowflake
//
// Literal parts come first, so the router can tell routes apart by them.
// The ':' syntax is the one Kindred's ids have always used, so buttons
// posted by earlier versions still match their routes.
type IDPattern struct {
	again   string // the command that gives a fresh one, for the stale reply
	text    string
	literal []string // the leading literal parts
	prefix  string   // the literal parts joined, with the ':' after them
	fields  []idField
}

type idField struct {
	name string
	kind fieldKind
}

type fieldKind int

const (
	fieldWord fieldKind = iota
	fieldInt
	fieldSnowflake
)

// NewIDPattern parses a pattern. A malformed one is a programming error and
// panics, so it fails at start (and in every test), never for a member.
func NewIDPattern(pattern string) *IDPattern {
	p := &IDPattern{text: pattern}
	seen := map[string]bool{}
	for _, part := range splitPattern(pattern) {
		name, isField := strings.CutPrefix(part, "{")
		if !isField {
			if len(p.fields) > 0 || !isWord(part) {
				panic(fmt.Sprintf("commands: custom id pattern %q: literal %q must be a word before every field", pattern, part))
			}
			p.literal = append(p.literal, part)
			continue
		}
		name, ok := strings.CutSuffix(name, "}")
		if !ok {
			panic(fmt.Sprintf("commands: custom id pattern %q: unclosed field %q", pattern, part))
		}
		f := idField{name: name}
		if n, kind, typed := strings.Cut(name, ":"); typed {
			f.name = n
			switch kind {
			case "int":
				f.kind = fieldInt
			case "id":
				f.kind = fieldSnowflake
			default:
				panic(fmt.Sprintf("commands: custom id pattern %q: unknown field type %q", pattern, kind))
			}
		}
		if !isWord(f.name) || seen[f.name] {
			panic(fmt.Sprintf("commands: custom id pattern %q: bad or repeated field name %q", pattern, f.name))
		}
		seen[f.name] = true
		p.fields = append(p.fields, f)
	}
	if len(p.literal) == 0 {
		panic(fmt.Sprintf("commands: custom id pattern %q must start with a literal", pattern))
	}
	// Built once: the router tries every pattern's prefix on every click.
	p.prefix = strings.Join(p.literal, ":") + ":"
	return p
}

// Stale is the member's answer to a component of this pattern that no
// longer works, or whose id names something it can't (a crafted id).
func (p *IDPattern) Stale() error { return UserErrorf("%s", p.staleText()) }

// Again names the command that makes a fresh component of this pattern
// ("/mydata delete"), for the reply to one that no longer works.
func (p *IDPattern) Again(command string) *IDPattern {
	p.again = command
	return p
}

// String is the pattern as declared.
func (p *IDPattern) String() string { return p.text }

// Prefix is the literal head of every id of the pattern ("rsvp:").
func (p *IDPattern) Prefix() string { return p.prefix }

// ID builds a custom id from the fields' values, in the pattern's order:
// int64 or int for int fields, strings for the others. A value of the
// wrong type or shape, or an id over Discord's 100 characters, is a
// programming error and panics (the adapter turns that into a generic
// reply; the custom-id tests build every pattern).
func (p *IDPattern) ID(values ...any) string {
	if len(values) != len(p.fields) {
		panic(fmt.Sprintf("commands: custom id %q: %d values for %d fields", p.text, len(values), len(p.fields)))
	}
	parts := append([]string(nil), p.literal...)
	for i, f := range p.fields {
		var s string
		switch v := values[i].(type) {
		case int64:
			s = strconv.FormatInt(v, 10)
		case int:
			s = strconv.Itoa(v)
		case string:
			s = v
		default:
			panic(fmt.Sprintf("commands: custom id %q: field %s given a %T", p.text, f.name, v))
		}
		if !f.valid(s) {
			panic(fmt.Sprintf("commands: custom id %q: field %s given %q", p.text, f.name, s))
		}
		parts = append(parts, s)
	}
	id := strings.Join(parts, ":")
	if utf8.RuneCountInString(id) > maxCustomID {
		panic(fmt.Sprintf("commands: custom id %q is %d characters; Discord allows %d", p.text, len(id), maxCustomID))
	}
	return id
}

// matchesLiteral reports whether id starts with the pattern's literal parts.
func (p *IDPattern) matchesLiteral(id string) bool {
	return strings.HasPrefix(id, p.Prefix())
}

// Parse reads an id of this pattern; ok is false when it has another shape.
func (p *IDPattern) Parse(id string) (IDParts, bool) {
	if !p.matchesLiteral(id) || utf8.RuneCountInString(id) > maxCustomID {
		return IDParts{}, false
	}
	rest := strings.Split(strings.TrimPrefix(id, p.Prefix()), ":")
	if len(rest) != len(p.fields) {
		return IDParts{}, false
	}
	for i, f := range p.fields {
		if !f.valid(rest[i]) {
			return IDParts{}, false
		}
	}
	return IDParts{pattern: p, values: rest}, true
}

// splitPattern splits a pattern at the ':' that are not inside a field.
func splitPattern(pattern string) []string {
	var parts []string
	depth, start := 0, 0
	for i, c := range pattern {
		switch {
		case c == '{':
			depth++
		case c == '}':
			depth--
		case c == ':' && depth == 0:
			parts = append(parts, pattern[start:i])
			start = i + 1
		}
	}
	return append(parts, pattern[start:])
}

func (f idField) valid(s string) bool {
	switch f.kind {
	case fieldInt:
		// Canonical decimal only, so an id reads back exactly as it was built.
		n, err := strconv.ParseInt(s, 10, 64)
		return err == nil && strconv.FormatInt(n, 10) == s
	case fieldSnowflake:
		return IsSnowflake(s)
	}
	return isWord(s)
}

// IDParts are the fields of a parsed custom id. Asking for a field the
// pattern doesn't have, or with the wrong type, is a programming error
// and panics.
type IDParts struct {
	pattern *IDPattern
	values  []string
}

func (p IDParts) field(name string, kind fieldKind) string {
	if p.pattern != nil {
		for i, f := range p.pattern.fields {
			if f.name == name && (f.kind == kind || kind == fieldWord) {
				return p.values[i]
			}
		}
	}
	panic(fmt.Sprintf("commands: custom id has no field %s of that type", name))
}

// Int is an int field's value.
func (p IDParts) Int(name string) int64 {
	n, _ := strconv.ParseInt(p.field(name, fieldInt), 10, 64) // checked by Parse
	return n
}

// String is a word or snowflake field's value (or an int field's text).
func (p IDParts) String(name string) string { return p.field(name, fieldWord) }

// IsSnowflake reports whether s looks like a Discord id: 1 to 20 digits.
func IsSnowflake(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func isWord(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
