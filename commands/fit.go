package commands

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"
)

// Fitting text to Discord's limits, in one place.
//
// Discord refuses a whole message (50035 Invalid Form Body) when one part
// of it is a character too long, and the member sees "interaction failed".
// So every Response and every Message passes through FitResponse or
// fitMessage on its way out, which guarantees the limits below. That pass
// is a safety net: it cuts at a line break where it can, but it knows
// nothing of what the text means. Handlers that build long lists use
// fitLines or joinFitted, which leave out whole lines and say how many
// ("… and 31 more").
//
// Discord counts characters as Unicode code points, as utf8 runes do.

// Discord's limits on what a message carries.
const (
	maxMessageContent    = 2000 // a message's content
	maxEmbeds            = 10   // embeds in one message
	maxEmbedTitle        = 256
	maxEmbedDescription  = 4096
	maxEmbedFields       = 25 // fields in one embed
	maxFieldName         = 256
	maxFieldValue        = 1024
	maxEmbedFooter       = 2048
	maxEmbedAuthor       = 256
	maxEmbedsTotal       = 6000 // titles, descriptions, fields, footers and authors of all a message's embeds
	maxButtonLabel       = 80
	maxSelectOptions     = 25
	maxSelectOptionText  = 100 // a select option's label and description
	maxSelectPlaceholder = 150
	maxChoices           = 25  // autocomplete choices
	maxChoiceLength      = 100 // a choice's name, and its value when it is text
	maxModalTitle        = 45
	maxInputLabel        = 45
	maxInputPlaceholder  = 100
	maxInputValue        = 4000
)

// runes is how long Discord counts s to be.
func runes(s string) int { return utf8.RuneCountInString(s) }

// clip shortens s to at most n characters, ending in "…" when cut. Text
// of several lines is cut after a whole line when that keeps at least half
// of what fits, so a list doesn't end mid-entry.
func clip(s string, n int) string {
	if runes(s) <= n {
		return s
	}
	if n <= 1 {
		return string([]rune(s)[:max(n, 0)])
	}
	r := []rune(s)[:n-1]
	if n > 2 {
		if i := lastNewline(r[:n-2]); i >= n/2 {
			return string(r[:i]) + "\n…"
		}
	}
	return string(r) + "…"
}

func lastNewline(r []rune) int {
	for i := len(r) - 1; i >= 0; i-- {
		if r[i] == '\n' {
			return i
		}
	}
	return -1
}

// andMore is the last line of a list that left n entries out.
func andMore(n int) string { return fmt.Sprintf("… and %d more", n) }

// fitLines joins lines, one per line, into at most budget characters,
// leaving out the lines that don't fit and ending with "… and N more".
func fitLines(lines []string, budget int) string {
	return joinFitted("", lines, "\n", budget, andMore)
}

// joinFitted is head followed by lines, each after sep, in at most budget
// characters. The lines that don't fit are left out and more(n), after
// sep, says how many. Only whole lines are kept, except that a first line
// too long on its own is clipped rather than lost.
func joinFitted(head string, lines []string, sep string, budget int, more func(n int) string) string {
	parts := lines
	if head != "" {
		parts = append([]string{head}, lines...)
	}
	if all := strings.Join(parts, sep); runes(all) <= budget {
		return all
	}
	// Something is left out, so every line kept leaves room to say so.
	out := clip(head, budget)
	used := runes(out)
	for i, l := range lines {
		join := 0
		if out != "" {
			join = runes(sep)
		}
		reserve := 0 // room for saying how many lines follow, should they not fit
		if left := len(lines) - i - 1; left > 0 {
			reserve = runes(sep) + runes(more(left))
		}
		if room := budget - used - join - reserve; runes(l) > room {
			if i > 0 || room < minClippedLine {
				tail := more(len(lines) - i)
				if out == "" {
					return clip(tail, budget)
				}
				return clip(out+sep+tail, budget)
			}
			l = clip(l, room)
		}
		if out != "" {
			out += sep
		}
		out += l
		used += join + runes(l)
	}
	return out
}

// minClippedLine is the shortest a clipped first line of a list may be
// before it is better left out.
const minClippedLine = 20

// fitFields keeps whole fields, in order, while they fit in one embed's
// 25 and in budget characters (names and values, each clipped to its own
// limit), and ends with more(n) for the n it left out.
func fitFields(fields []*discordgo.MessageEmbedField, budget int, more func(n int) *discordgo.MessageEmbedField) []*discordgo.MessageEmbedField {
	size := func(f *discordgo.MessageEmbedField) int {
		return min(runes(f.Name), maxFieldName) + min(runes(f.Value), maxFieldValue)
	}
	total := 0
	for _, f := range fields {
		total += size(f)
	}
	if len(fields) <= maxEmbedFields && total <= budget {
		return fields
	}
	reserve := size(more(len(fields)))
	var out []*discordgo.MessageEmbedField
	used := 0
	for _, f := range fields {
		if len(out) == maxEmbedFields-1 || used+size(f)+reserve > budget {
			break
		}
		out = append(out, f)
		used += size(f)
	}
	return append(out, more(len(fields)-len(out)))
}

// FitResponse makes a handler's response fit Discord's limits: the bot
// package calls it on every response before it leaves Kindred. It returns
// a fitted copy; resp itself is not changed.
func FitResponse(resp *Response) *Response {
	if resp == nil {
		return nil
	}
	out := *resp
	out.Content = clip(resp.Content, maxMessageContent)
	out.Embeds = fitEmbeds(resp.Embeds)
	out.Components = fitComponents(resp.Components)
	if resp.Choices != nil {
		out.Choices = fitChoices(resp.Choices)
	}
	if resp.Modal != nil {
		out.Modal = fitModal(resp.Modal)
	}
	return &out
}

// fitMessage makes a message Kindred posts fit Discord's limits.
func fitMessage(m Message) Message {
	m.Content = clip(m.Content, maxMessageContent)
	m.Embeds = fitEmbeds(m.Embeds)
	m.Components = fitComponents(m.Components)
	return m
}

// fitEmbeds returns copies of embeds within every limit of a message's
// embeds: each part on its own, 25 fields an embed, 10 embeds, and 6,000
// characters across them all.
func fitEmbeds(embeds []*discordgo.MessageEmbed) []*discordgo.MessageEmbed {
	if embeds == nil {
		return nil
	}
	var out []*discordgo.MessageEmbed
	for _, e := range embeds {
		if e == nil {
			continue
		}
		if len(out) == maxEmbeds {
			break
		}
		out = append(out, fitEmbed(e))
	}
	fitEmbedsTotal(out)
	return out
}

func fitEmbed(e *discordgo.MessageEmbed) *discordgo.MessageEmbed {
	cp := *e
	cp.Title = clip(e.Title, maxEmbedTitle)
	cp.Description = clip(e.Description, maxEmbedDescription)
	if e.Footer != nil {
		f := *e.Footer
		f.Text = clip(f.Text, maxEmbedFooter)
		cp.Footer = &f
	}
	if e.Author != nil {
		a := *e.Author
		a.Name = clip(a.Name, maxEmbedAuthor)
		cp.Author = &a
	}
	if e.Fields != nil {
		fields := e.Fields
		var left int
		if len(fields) > maxEmbedFields {
			fields, left = fields[:maxEmbedFields-1], len(fields)-(maxEmbedFields-1)
		}
		cp.Fields = make([]*discordgo.MessageEmbedField, 0, len(fields)+1)
		for _, f := range fields {
			if f == nil {
				continue
			}
			fc := *f
			fc.Name = clip(orDash(f.Name), maxFieldName)
			fc.Value = clip(orDash(f.Value), maxFieldValue)
			cp.Fields = append(cp.Fields, &fc)
		}
		if left > 0 {
			cp.Fields = append(cp.Fields, &discordgo.MessageEmbedField{Name: "…", Value: fmt.Sprintf("and %d more not shown", left)})
		}
	}
	return &cp
}

// orDash stands in for an empty field name or value, which Discord refuses.
func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "—"
	}
	return s
}

// fitEmbedsTotal brings the embeds within 6,000 characters in all by
// clipping their longest texts to one common length, so that short parts
// (titles, names, one-line values) stay whole and long ones share what is
// left.
func fitEmbedsTotal(embeds []*discordgo.MessageEmbed) {
	var parts []*string
	for _, e := range embeds {
		parts = append(parts, &e.Title, &e.Description)
		for _, f := range e.Fields {
			parts = append(parts, &f.Name, &f.Value)
		}
		if e.Footer != nil {
			parts = append(parts, &e.Footer.Text)
		}
		if e.Author != nil {
			parts = append(parts, &e.Author.Name)
		}
	}
	total, longest := 0, 0
	for _, p := range parts {
		total += runes(*p)
		longest = max(longest, runes(*p))
	}
	if total <= maxEmbedsTotal {
		return
	}
	// The largest cap at which the clipped parts fit.
	lo, hi := 1, longest
	for lo < hi {
		c := (lo + hi + 1) / 2
		sum := 0
		for _, p := range parts {
			sum += min(runes(*p), c)
		}
		if sum <= maxEmbedsTotal {
			lo = c
		} else {
			hi = c - 1
		}
	}
	for _, p := range parts {
		*p = clip(*p, lo)
	}
}

// fitComponents returns copies of action rows with button labels and
// select menus within Discord's limits. Custom ids are left alone: the
// codec (customid.go) refuses to build one over 100 characters, and a cut
// id would route nowhere.
func fitComponents(comps []discordgo.MessageComponent) []discordgo.MessageComponent {
	if comps == nil {
		return nil
	}
	out := make([]discordgo.MessageComponent, 0, len(comps))
	for _, c := range comps {
		switch row := c.(type) {
		case discordgo.ActionsRow:
			out = append(out, fitRow(row))
		case *discordgo.ActionsRow:
			r := fitRow(*row)
			out = append(out, &r)
		default:
			out = append(out, c)
		}
	}
	return out
}

func fitRow(row discordgo.ActionsRow) discordgo.ActionsRow {
	inner := make([]discordgo.MessageComponent, 0, len(row.Components))
	for _, c := range row.Components {
		switch v := c.(type) {
		case discordgo.Button:
			inner = append(inner, fitButton(v))
		case *discordgo.Button:
			b := fitButton(*v)
			inner = append(inner, &b)
		case discordgo.SelectMenu:
			inner = append(inner, fitSelect(v))
		case *discordgo.SelectMenu:
			s := fitSelect(*v)
			inner = append(inner, &s)
		case discordgo.TextInput:
			inner = append(inner, fitInput(v))
		case *discordgo.TextInput:
			in := fitInput(*v)
			inner = append(inner, &in)
		default:
			inner = append(inner, c)
		}
	}
	row.Components = inner
	return row
}

func fitButton(b discordgo.Button) discordgo.Button {
	b.Label = clip(b.Label, maxButtonLabel)
	return b
}

func fitSelect(s discordgo.SelectMenu) discordgo.SelectMenu {
	s.Placeholder = clip(s.Placeholder, maxSelectPlaceholder)
	if s.Options == nil {
		return s
	}
	opts := make([]discordgo.SelectMenuOption, 0, min(len(s.Options), maxSelectOptions))
	for _, o := range s.Options {
		if len(opts) == maxSelectOptions {
			break
		}
		if runes(o.Value) > maxSelectOptionText {
			continue // a cut value would select something else
		}
		o.Label = clip(o.Label, maxSelectOptionText)
		o.Description = clip(o.Description, maxSelectOptionText)
		opts = append(opts, o)
	}
	s.Options = opts
	return s
}

func fitInput(in discordgo.TextInput) discordgo.TextInput {
	in.Label = clip(in.Label, maxInputLabel)
	in.Placeholder = clip(in.Placeholder, maxInputPlaceholder)
	in.Value = clip(in.Value, maxInputValue)
	return in
}

func fitModal(m *Modal) *Modal {
	cp := *m
	cp.Title = clip(m.Title, maxModalTitle)
	cp.Components = fitComponents(m.Components)
	return &cp
}

// fitChoices keeps at most 25 autocomplete choices with names of at most
// 100 characters. A choice whose text value is too long is left out, not
// cut: a cut value would pick something else.
func fitChoices(choices []*discordgo.ApplicationCommandOptionChoice) []*discordgo.ApplicationCommandOptionChoice {
	out := make([]*discordgo.ApplicationCommandOptionChoice, 0, min(len(choices), maxChoices))
	for _, c := range choices {
		if len(out) == maxChoices {
			break
		}
		if c == nil {
			continue
		}
		if v, ok := c.Value.(string); ok && runes(v) > maxChoiceLength {
			continue
		}
		cp := *c
		cp.Name = clip(orDash(c.Name), maxChoiceLength)
		out = append(out, &cp)
	}
	return out
}
