package discordsim

import (
	"strings"

	"github.com/bwmarrin/discordgo"
)

// MessageText is the visible text of a posted message for assertions, in
// the same shape as Reply.Text: content, embed texts and text components.
func MessageText(m *discordgo.Message) string {
	if m == nil {
		return ""
	}
	return strings.Join(appendText(nil, m.Content, m.Embeds, m.Components), "\n")
}
