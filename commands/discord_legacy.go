package commands

import (
	"errors"
	"time"

	"github.com/bwmarrin/discordgo"
)

// LegacyDiscord is the part of Discord's API that features call outside an
// interaction's own reply: posting announcements, DMs, roles, threads and
// moderation actions. *discordgo.Session satisfies it; handler tests use a
// recording stand-in.
type LegacyDiscord interface {
	ChannelMessageSendComplex(channelID string, data *discordgo.MessageSend, options ...discordgo.RequestOption) (*discordgo.Message, error)
	ChannelMessageEditComplex(m *discordgo.MessageEdit, options ...discordgo.RequestOption) (*discordgo.Message, error)
	UserChannelCreate(recipientID string, options ...discordgo.RequestOption) (*discordgo.Channel, error)
	GuildMemberRoleAdd(guildID, userID, roleID string, options ...discordgo.RequestOption) error
	GuildMemberRoleRemove(guildID, userID, roleID string, options ...discordgo.RequestOption) error
	ThreadStartComplex(channelID string, data *discordgo.ThreadStart, options ...discordgo.RequestOption) (*discordgo.Channel, error)
	ThreadMemberAdd(threadID, memberID string, options ...discordgo.RequestOption) error
	GuildMemberTimeout(guildID, userID string, until *time.Time, options ...discordgo.RequestOption) error
	GuildMemberDeleteWithReason(guildID, userID, reason string, options ...discordgo.RequestOption) error
	GuildBanCreateWithReason(guildID, userID, reason string, days int, options ...discordgo.RequestOption) error
}

// fromRESTError turns discordgo's error into a *DiscordError while
// features still call LegacyDiscord.
func fromRESTError(err error) error {
	var rest *discordgo.RESTError
	if !errors.As(err, &rest) {
		return err
	}
	de := &DiscordError{}
	if rest.Response != nil {
		de.Status = rest.Response.StatusCode
	}
	if rest.Message != nil {
		de.Code, de.Message = rest.Message.Code, rest.Message.Message
	}
	de.Kind = DiscordErrorKind(de.Code)
	return de
}
