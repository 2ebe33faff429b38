package commands

import (
	"fmt"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"
)

func TestClip(t *testing.T) {
	tests := []struct {
		name string
		s    string
		n    int
		want string
	}{
		{"short enough", "hello", 5, "hello"},
		{"counts code points, not bytes", "héllo 👋", 7, "héllo 👋"},
		{"cut with an ellipsis", "hello world", 6, "hello…"},
		{"cut after a whole line", "first line\nsecond line", 15, "first line\n…"},
		{"a line break too early is not used", "a\nbcdefghijkl", 8, "a\nbcdef…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := clip(tt.s, tt.n)
			if got != tt.want {
				t.Errorf("clip(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.want)
			}
			if runes(got) > tt.n {
				t.Errorf("clip(%q, %d) is %d characters", tt.s, tt.n, runes(got))
			}
		})
	}
}

func numbered(n int, format string) []string {
	lines := make([]string, n)
	for i := range lines {
		lines[i] = fmt.Sprintf(format, i+1)
	}
	return lines
}

func TestFitLines(t *testing.T) {
	t.Run("everything fits", func(t *testing.T) {
		if got := fitLines([]string{"a", "b"}, 10); got != "a\nb" {
			t.Errorf("got %q", got)
		}
	})
	t.Run("whole lines and how many more", func(t *testing.T) {
		lines := numbered(56, "• <t:17961480%02d:D>: 3 here") // 27 characters each, like attendance
		got := fitLines(lines, maxFieldValue)
		if runes(got) > maxFieldValue {
			t.Fatalf("%d characters, budget %d", runes(got), maxFieldValue)
		}
		kept := strings.Split(got, "\n")
		last := kept[len(kept)-1]
		if want := andMore(56 - (len(kept) - 1)); last != want {
			t.Errorf("last line %q, want %q", last, want)
		}
		for i, l := range kept[:len(kept)-1] {
			if l != lines[i] {
				t.Fatalf("line %d = %q, want it whole: %q", i, l, lines[i])
			}
		}
	})
	t.Run("the more line takes room from the last entry", func(t *testing.T) {
		// All three need 32; the second would fit in 30 but not with the note.
		got := fitLines([]string{"aaaaaaaaaa", "bbbbbbbbbb", "cccccccccc"}, 30)
		if got != "aaaaaaaaaa\n… and 2 more" {
			t.Errorf("got %q", got)
		}
	})
	t.Run("a first line too long on its own is clipped", func(t *testing.T) {
		got := fitLines([]string{strings.Repeat("x", 2000), "y"}, 100)
		if runes(got) > 100 || !strings.HasPrefix(got, "xxxx") || !strings.HasSuffix(got, "…\ny") {
			t.Errorf("got %q", got)
		}
	})
	t.Run("head is always kept", func(t *testing.T) {
		got := joinFitted("Header.", numbered(100, "line %d"), "\n\n", 60, andMore)
		if !strings.HasPrefix(got, "Header.\n\nline 1") || runes(got) > 60 || !strings.HasSuffix(got, "more") {
			t.Errorf("got %q", got)
		}
	})
}

// embedChars counts an embed's characters the way Discord totals them.
func embedChars(embeds []*discordgo.MessageEmbed) int {
	n := 0
	for _, e := range embeds {
		n += runes(e.Title) + runes(e.Description)
		for _, f := range e.Fields {
			n += runes(f.Name) + runes(f.Value)
		}
		if e.Footer != nil {
			n += runes(e.Footer.Text)
		}
		if e.Author != nil {
			n += runes(e.Author.Name)
		}
	}
	return n
}

// Whatever a handler builds, what leaves Kindred is within every limit.
func TestFitResponseKeepsEveryLimit(t *testing.T) {
	long := strings.Repeat("🌱 line of text\n", 700) // 11,200 characters, far more bytes
	var fields []*discordgo.MessageEmbedField
	for i := range 30 {
		fields = append(fields, &discordgo.MessageEmbedField{Name: fmt.Sprintf("%d %s", i, long), Value: long})
	}
	fields = append(fields, &discordgo.MessageEmbedField{Name: "", Value: ""})
	embed := &discordgo.MessageEmbed{
		Title: long, Description: long, Fields: fields,
		Footer: &discordgo.MessageEmbedFooter{Text: long}, Author: &discordgo.MessageEmbedAuthor{Name: long},
	}
	var embeds []*discordgo.MessageEmbed
	for range 12 {
		embeds = append(embeds, embed)
	}
	var choices []*discordgo.ApplicationCommandOptionChoice
	for i := range 30 {
		choices = append(choices, &discordgo.ApplicationCommandOptionChoice{Name: long, Value: fmt.Sprint(i)})
	}
	choices = append([]*discordgo.ApplicationCommandOptionChoice{{Name: "too long a value", Value: long}}, choices...)
	resp := &Response{
		Content: long,
		Embeds:  embeds,
		Components: []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
			discordgo.Button{Label: long, CustomID: "a"},
			&discordgo.Button{Label: long, CustomID: "b"},
		}}},
		Choices: choices,
		Modal: &Modal{CustomID: "m", Title: long, Components: []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
			discordgo.TextInput{CustomID: "t", Label: long, Placeholder: long, Value: long + long},
		}}}},
	}
	got := FitResponse(resp)

	if n := runes(got.Content); n > maxMessageContent {
		t.Errorf("content: %d characters", n)
	}
	if len(got.Embeds) != maxEmbeds {
		t.Errorf("%d embeds, want the first %d", len(got.Embeds), maxEmbeds)
	}
	if n := embedChars(got.Embeds); n > maxEmbedsTotal {
		t.Errorf("embeds total %d characters", n)
	}
	for i, e := range got.Embeds {
		if runes(e.Title) > maxEmbedTitle || runes(e.Description) > maxEmbedDescription ||
			runes(e.Footer.Text) > maxEmbedFooter || runes(e.Author.Name) > maxEmbedAuthor {
			t.Errorf("embed %d: a part is over its limit", i)
		}
		if len(e.Fields) != maxEmbedFields || !strings.Contains(e.Fields[maxEmbedFields-1].Value, "7 more") {
			t.Errorf("embed %d: %d fields, last %+v; want 25 ending with how many more", i, len(e.Fields), e.Fields[len(e.Fields)-1])
		}
		for j, f := range e.Fields {
			if n := runes(f.Name); n < 1 || n > maxFieldName {
				t.Errorf("embed %d field %d: name of %d characters", i, j, n)
			}
			if n := runes(f.Value); n < 1 || n > maxFieldValue {
				t.Errorf("embed %d field %d: value of %d characters", i, j, n)
			}
		}
	}
	row := got.Components[0].(discordgo.ActionsRow)
	if n := runes(row.Components[0].(discordgo.Button).Label); n > maxButtonLabel {
		t.Errorf("button label: %d characters", n)
	}
	if n := runes(row.Components[1].(*discordgo.Button).Label); n > maxButtonLabel {
		t.Errorf("button label: %d characters", n)
	}
	if len(got.Choices) != maxChoices || got.Choices[0].Value != "0" {
		t.Errorf("%d choices starting %v; want 25, without the one whose value is too long", len(got.Choices), got.Choices[0].Value)
	}
	for _, c := range got.Choices {
		if runes(c.Name) > maxChoiceLength {
			t.Errorf("choice name of %d characters", runes(c.Name))
		}
	}
	if runes(got.Modal.Title) > maxModalTitle {
		t.Errorf("modal title: %d characters", runes(got.Modal.Title))
	}
	in := got.Modal.Components[0].(discordgo.ActionsRow).Components[0].(discordgo.TextInput)
	if runes(in.Label) > maxInputLabel || runes(in.Placeholder) > maxInputPlaceholder || runes(in.Value) > maxInputValue {
		t.Errorf("text input over its limits: %d, %d, %d", runes(in.Label), runes(in.Placeholder), runes(in.Value))
	}

	// The handler's own values are left as they were.
	if resp.Content != long || embed.Title != long || len(embed.Fields) != 31 || fields[0].Value != long {
		t.Error("FitResponse changed the response it was given")
	}
}

// Short parts stay whole when the total is over: only the long ones give.
func TestFitEmbedsTotalClipsTheLongestParts(t *testing.T) {
	long := strings.Repeat("x", 1000)
	e := &discordgo.MessageEmbed{Title: "Your buddies", Description: strings.Repeat("y", 4000)}
	for i := range 5 {
		e.Fields = append(e.Fields, &discordgo.MessageEmbedField{Name: fmt.Sprintf("Group %d", i), Value: long})
	}
	got := fitEmbeds([]*discordgo.MessageEmbed{e})[0]
	if n := embedChars([]*discordgo.MessageEmbed{got}); n > maxEmbedsTotal {
		t.Fatalf("%d characters", n)
	}
	if got.Title != "Your buddies" || got.Fields[4].Name != "Group 4" {
		t.Errorf("short parts were cut: %q, %q", got.Title, got.Fields[4].Name)
	}
	if runes(got.Description) >= 4000 || runes(got.Fields[0].Value) >= 1000 {
		t.Errorf("the long parts were not shortened")
	}
}

func TestMessageSendIsFitted(t *testing.T) {
	long := strings.Repeat("a\n", 1500)
	m := Message{Content: long, Embeds: []*discordgo.MessageEmbed{{Description: long + long + long}}}.MessageSend()
	if runes(m.Content) > maxMessageContent || runes(m.Embeds[0].Description) > maxEmbedDescription {
		t.Errorf("message of %d characters with a description of %d", runes(m.Content), runes(m.Embeds[0].Description))
	}
}

func TestFitFields(t *testing.T) {
	more := func(n int) *discordgo.MessageEmbedField {
		return &discordgo.MessageEmbedField{Name: "…", Value: fmt.Sprintf("%d more", n)}
	}
	field := func(i int) *discordgo.MessageEmbedField {
		return &discordgo.MessageEmbedField{Name: fmt.Sprintf("Group %02d %s", i, strings.Repeat("é", 41)), Value: strings.Repeat("line of status\n", 12)}
	}
	var few, many []*discordgo.MessageEmbedField
	for i := range 3 {
		few = append(few, field(i))
	}
	for i := range 40 {
		many = append(many, field(i))
	}
	if got := fitFields(few, maxEmbedsTotal, more); len(got) != 3 || got[2] != few[2] {
		t.Errorf("fields that fit were changed: %d", len(got))
	}
	got := fitFields(many, 5000, more)
	size := 0
	for _, f := range got {
		size += runes(f.Name) + runes(f.Value)
	}
	if size > 5000 || len(got) > maxEmbedFields {
		t.Errorf("%d fields of %d characters", len(got), size)
	}
	for i, f := range got[:len(got)-1] {
		if f != many[i] {
			t.Errorf("field %d is not kept whole", i)
		}
	}
	if last := got[len(got)-1]; last.Value != fmt.Sprintf("%d more", 40-(len(got)-1)) {
		t.Errorf("last field %+v", last)
	}
	if got := fitFields(many[:30], maxEmbedsTotal*10, more); len(got) != maxEmbedFields || got[24].Value != "6 more" {
		t.Errorf("30 short fields: %d, last %+v", len(got), got[len(got)-1])
	}
}
