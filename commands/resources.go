package commands

import (
	"context"
	"fmt"

	"github.com/bwmarrin/discordgo"
)

var resourcesCommand = &discordgo.ApplicationCommand{
	Name:        "resources",
	Description: "Crisis lines and other support, if you or someone else needs help now",
}

// builtinResources is shown when a server has not written its own. It
// points to directories and services that work across countries first,
// because members may be anywhere.
const builtinResources = `**If you or someone else is in immediate danger, call your local emergency number now** (112 in most of Europe, 911 in the US and Canada, 999 in the UK, 000 in Australia).

• **Find a Helpline**: free, confidential crisis lines in your country, by phone, text or chat: https://findahelpline.com
• **NAMI HelpLine** (US): call 1-800-950-6264, text "helpline" to 62640, or chat at https://www.nami.org/help
• **988 Suicide & Crisis Lifeline** (US): call or text 988, any time
• **HeyPeers**: peer-run support groups and warmlines: https://www.heypeers.com`

const resourcesFooter = "Kindred and this community are peer support, not professional care. Reaching out is a strong thing to do."

// Resources is /resources: crisis and support resources, always private.
type Resources struct {
	env Env
}

func (f *Resources) Register(r *Router) {
	r.Define(resourcesCommand)
	r.Command("resources", f.show, Anywhere)
}

func (f *Resources) show(ctx context.Context, req *Request) (*Response, error) {
	embed, err := resourcesEmbed(ctx, f.env, req.GuildID)
	if err != nil {
		return nil, err
	}
	return &Response{Ephemeral: true, Embeds: []*discordgo.MessageEmbed{embed}}, nil
}

// heavyLine goes before the resources when a member's own words sound like
// a crisis.
const heavyLine = "If things feel heavy right now, you don't have to wait: these people are there to listen."

// addResources adds the resources, as /resources shows them, to a reply:
// for a member whose words sound like a crisis, or who asked for someone
// and has to wait.
func addResources(ctx context.Context, env Env, guildID string, resp *Response) error {
	embed, err := resourcesEmbed(ctx, env, guildID)
	if err != nil {
		return err
	}
	resp.Embeds = append(resp.Embeds, embed)
	return nil
}

// resourcesEmbed is the server's own resources text, or the built-in list.
// Other features (a check-in that sounds like a crisis) show it too.
func resourcesEmbed(ctx context.Context, env Env, guildID string) (*discordgo.MessageEmbed, error) {
	text := builtinResources
	if guildID != "" {
		s, err := env.DB.GuildSettings(ctx, guildID)
		if err != nil {
			return nil, fmt.Errorf("resources: %w", err)
		}
		if s.ResourcesText != "" {
			text = s.ResourcesText
		}
	}
	return &discordgo.MessageEmbed{
		Title:       "Support and crisis resources",
		Description: text,
		Color:       colourCalm,
		Footer:      &discordgo.MessageEmbedFooter{Text: resourcesFooter},
	}, nil
}
