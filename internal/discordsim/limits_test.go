package discordsim_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"

	"github.com/kindred-bot/kindred/internal/discordsim"
)

// errorAt reports whether err is Discord's 400 Invalid Form Body (50035)
// with an error at path ("embeds.0.title").
func errorAt(err error, path string) bool {
	var re *discordgo.RESTError
	if !errors.As(err, &re) || re.Message == nil || re.Response.StatusCode != 400 || re.Message.Code != 50035 {
		return false
	}
	var body struct {
		Errors map[string]any `json:"errors"`
	}
	if json.Unmarshal(re.ResponseBody, &body) != nil {
		return false
	}
	var node any = body.Errors
	for _, part := range strings.Split(path, ".") {
		m, ok := node.(map[string]any)
		if !ok {
			return false
		}
		node = m[part]
	}
	m, ok := node.(map[string]any)
	return ok && m["_errors"] != nil
}

// message is what a test sends through each way a bot posts a message.
type message struct {
	content    string
	embeds     []*discordgo.MessageEmbed
	components []discordgo.MessageComponent
}

func (m message) send() *discordgo.MessageSend {
	return &discordgo.MessageSend{Content: m.content, Embeds: m.embeds, Components: m.components}
}

// sink is one way a bot posts a message; path prefixes where its fields
// sit in the body.
type sink struct {
	name string
	path string
	post func(t *testing.T, b *bot, m message) error
}

// sinks are every way Kindred posts: a channel message, a DM, an edit, an
// interaction's reply, its follow-up and the edit of a deferred reply.
var sinks = []sink{
	{"channel message", "", func(t *testing.T, b *bot, m message) error {
		_, err := b.dg.ChannelMessageSendComplex(generalID, m.send())
		return err
	}},
	{"direct message", "", func(t *testing.T, b *bot, m message) error {
		ch, err := b.dg.UserChannelCreate(aliceID)
		if err != nil {
			t.Fatal(err)
		}
		_, err = b.dg.ChannelMessageSendComplex(ch.ID, m.send())
		return err
	}},
	{"message edit", "", func(t *testing.T, b *bot, m message) error {
		sent, err := b.dg.ChannelMessageSend(generalID, "draft")
		if err != nil {
			t.Fatal(err)
		}
		_, err = b.dg.ChannelMessageEditComplex(&discordgo.MessageEdit{ID: sent.ID, Channel: generalID,
			Content: &m.content, Embeds: &m.embeds, Components: &m.components})
		return err
	}},
	{"interaction reply", "data", func(t *testing.T, b *bot, m message) error {
		return answer(t, b, func(s *discordgo.Session, i *discordgo.Interaction) error {
			err := s.InteractionRespond(i, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource,
				Data: &discordgo.InteractionResponseData{Content: m.content, Embeds: m.embeds, Components: m.components}})
			if err != nil {
				b.check(respond(s, i, "fallback", 0))
			}
			return err
		})
	}},
	{"follow-up", "", func(t *testing.T, b *bot, m message) error {
		return answer(t, b, func(s *discordgo.Session, i *discordgo.Interaction) error {
			b.check(s.InteractionRespond(i, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource}))
			_, err := s.FollowupMessageCreate(i, true, &discordgo.WebhookParams{Content: m.content, Embeds: m.embeds, Components: m.components})
			if err != nil {
				_, fallback := s.FollowupMessageCreate(i, true, &discordgo.WebhookParams{Content: "fallback"})
				b.check(fallback)
			}
			return err
		})
	}},
	{"deferred reply edit", "", func(t *testing.T, b *bot, m message) error {
		return answer(t, b, func(s *discordgo.Session, i *discordgo.Interaction) error {
			b.check(s.InteractionRespond(i, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource}))
			_, err := s.InteractionResponseEdit(i, &discordgo.WebhookEdit{Content: &m.content, Embeds: &m.embeds, Components: &m.components})
			if err != nil {
				fallback := "fallback"
				_, ferr := s.InteractionResponseEdit(i, &discordgo.WebhookEdit{Content: &fallback})
				b.check(ferr)
			}
			return err
		})
	}},
}

// answer runs /resources with h as its handler and returns h's error.
func answer(t *testing.T, b *bot, h func(*discordgo.Session, *discordgo.Interaction) error) error {
	t.Helper()
	done := make(chan error, 1)
	b.on("resources", func(s *discordgo.Session, i *discordgo.Interaction) { done <- h(s, i) })
	b.fake.Interact(t, guildID, aliceID, "/resources")
	return <-done
}

func repeat(s string, n int) string { return strings.Repeat(s, n) }

func embed(e discordgo.MessageEmbed) []*discordgo.MessageEmbed { return []*discordgo.MessageEmbed{&e} }

func fields(n int, name, value string) []*discordgo.MessageEmbedField {
	out := make([]*discordgo.MessageEmbedField, n)
	for i := range out {
		out[i] = &discordgo.MessageEmbedField{Name: name, Value: value}
	}
	return out
}

func row(c ...discordgo.MessageComponent) []discordgo.MessageComponent {
	return []discordgo.MessageComponent{discordgo.ActionsRow{Components: c}}
}

// The fake refuses what Discord refuses, wherever a bot posts, and names
// the field; the same message at the limit goes through. Limits count
// characters (code points), not bytes: "é" and "🌱" are one each.
func TestMessageLimits(t *testing.T) {
	for _, sk := range sinks {
		t.Run(sk.name, func(t *testing.T) {
			b := startBot(t, discordsim.Options{})
			for _, tt := range overLimit() {
				path := tt.path
				if sk.path != "" {
					path = sk.path + "." + path
				}
				if err := sk.post(t, b, tt.m); !errorAt(err, path) {
					t.Errorf("%s: got %v, want 400 50035 at %s", tt.name, err, path)
				}
			}
			if err := sk.post(t, b, atLimit()); err != nil {
				t.Errorf("a message at every limit was refused: %v", err)
			}
			if errs := b.errors(); len(errs) > 0 {
				t.Errorf("fallback answers failed: %v", errs)
			}
		})
	}
}

// overLimit is one message over each limit, and where Discord says so.
// Each call builds new embeds: discordgo writes to those it sends.
func overLimit() []struct {
	name string
	m    message
	path string
} {
	return []struct {
		name string
		m    message
		path string
	}{
		{"content over 2,000", message{content: repeat("é", 2001)}, "content"},
		{"embed title over 256", message{embeds: embed(discordgo.MessageEmbed{Title: repeat("é", 257)})}, "embeds.0.title"},
		{"embed description over 4,096", message{embeds: embed(discordgo.MessageEmbed{Description: repeat("é", 4097)})}, "embeds.0.description"},
		{"field name over 256", message{embeds: embed(discordgo.MessageEmbed{Fields: fields(1, repeat("é", 257), "v")})}, "embeds.0.fields.0.name"},
		{"field value over 1,024", message{embeds: embed(discordgo.MessageEmbed{Fields: fields(1, "n", repeat("é", 1025))})}, "embeds.0.fields.0.value"},
		{"empty field value", message{embeds: embed(discordgo.MessageEmbed{Fields: fields(1, "n", "")})}, "embeds.0.fields.0.value"},
		{"26 fields", message{embeds: embed(discordgo.MessageEmbed{Fields: fields(26, "n", "v")})}, "embeds.0.fields"},
		{"footer over 2,048", message{embeds: embed(discordgo.MessageEmbed{Footer: &discordgo.MessageEmbedFooter{Text: repeat("é", 2049)}})}, "embeds.0.footer.text"},
		{"author over 256", message{embeds: embed(discordgo.MessageEmbed{Author: &discordgo.MessageEmbedAuthor{Name: repeat("é", 257)}})}, "embeds.0.author.name"},
		{"6,001 across two embeds", message{embeds: []*discordgo.MessageEmbed{{Description: repeat("é", 3001)}, {Description: repeat("é", 3000)}}}, "embeds"},
		{"11 embeds", message{embeds: func() []*discordgo.MessageEmbed {
			var out []*discordgo.MessageEmbed
			for range 11 {
				out = append(out, &discordgo.MessageEmbed{Title: "t"})
			}
			return out
		}()}, "embeds"},
		{"button label over 80", message{content: "x", components: row(discordgo.Button{Label: repeat("é", 81), CustomID: "b"})}, "components.0.components.0.label"},
		{"custom id over 100", message{content: "x", components: row(discordgo.Button{Label: "b", CustomID: repeat("x", 101)})}, "components.0.components.0.custom_id"},
		{"select option label over 100", message{content: "x", components: row(discordgo.SelectMenu{CustomID: "s",
			Options: []discordgo.SelectMenuOption{{Label: repeat("é", 101), Value: "v"}}})}, "components.0.components.0.options.0.label"},
		{"select placeholder over 150", message{content: "x", components: row(discordgo.SelectMenu{CustomID: "s", Placeholder: repeat("é", 151),
			Options: []discordgo.SelectMenuOption{{Label: "l", Value: "v"}}})}, "components.0.components.0.placeholder"},
	}
}

// atLimit is a message at every limit at once.
func atLimit() message {
	return message{
		content: repeat("🌱", 2000),
		embeds: embed(discordgo.MessageEmbed{
			Title: repeat("é", 256), Description: repeat("é", 4096),
			Fields: fields(1, repeat("é", 256), repeat("é", 1024)),
			Footer: &discordgo.MessageEmbedFooter{Text: repeat("é", 368)}, // 6,000 in all
		}),
		components: row(discordgo.Button{Label: repeat("é", 80), CustomID: repeat("x", 100)}),
	}
}

// An autocomplete answer must name its choices, even none, with at most 25
// of at most 100 characters.
func TestAutocompleteLimits(t *testing.T) {
	b := startBot(t, discordsim.Options{})
	choices := func(n int, name, value string) []*discordgo.ApplicationCommandOptionChoice {
		out := make([]*discordgo.ApplicationCommandOptionChoice, n)
		for i := range out {
			out[i] = &discordgo.ApplicationCommandOptionChoice{Name: name, Value: value}
		}
		return out
	}
	tests := []struct {
		name string
		body any
		path string // "" when accepted
	}{
		{"no choices key", map[string]any{"type": 8, "data": map[string]any{}}, "data.choices"},
		{"choices null", map[string]any{"type": 8, "data": map[string]any{"choices": nil}}, "data.choices"},
		{"26 choices", map[string]any{"type": 8, "data": map[string]any{"choices": choices(26, "n", "v")}}, "data.choices"},
		{"name over 100", map[string]any{"type": 8, "data": map[string]any{"choices": choices(1, repeat("é", 101), "v")}}, "data.choices.0.name"},
		{"value over 100", map[string]any{"type": 8, "data": map[string]any{"choices": choices(1, "n", repeat("é", 101))}}, "data.choices.0.value"},
		{"empty list", map[string]any{"type": 8, "data": map[string]any{"choices": []any{}}}, ""},
		{"25 at the limit", map[string]any{"type": 8, "data": map[string]any{"choices": choices(25, repeat("é", 100), repeat("é", 100))}}, ""},
	}
	for _, tt := range tests {
		got := make(chan error, 1)
		b.on("autocomplete:preferences", func(s *discordgo.Session, i *discordgo.Interaction) {
			endpoint := discordgo.EndpointInteractionResponse(i.ID, i.Token)
			_, err := s.RequestWithBucketID("POST", endpoint, tt.body, endpoint)
			if err != nil {
				b.check(s.InteractionRespond(i, &discordgo.InteractionResponse{Type: discordgo.InteractionApplicationCommandAutocompleteResult,
					Data: &discordgo.InteractionResponseData{Choices: choices(1, "fallback", "fallback")}}))
			}
			got <- err
		})
		b.fake.Autocomplete(t, guildID, aliceID, "/preferences timezone zone:Eu")
		err := <-got
		switch {
		case tt.path == "" && err != nil:
			t.Errorf("%s: refused: %v", tt.name, err)
		case tt.path != "" && !errorAt(err, tt.path):
			t.Errorf("%s: got %v, want 400 50035 at %s", tt.name, err, tt.path)
		}
	}
	if errs := b.errors(); len(errs) > 0 {
		t.Errorf("fallback answers failed: %v", errs)
	}
}
