package bot

import (
	"fmt"

	"github.com/bwmarrin/discordgo"
)

// InvitePermission is one permission Kindred asks for when invited, and why.
type InvitePermission struct {
	Name string
	Bit  int64
	Why  string
}

// InvitePermissions is every permission Kindred needs, and nothing more.
// README.md lists the same table; a test keeps them in step.
func InvitePermissions() []InvitePermission {
	return []InvitePermission{
		{"View Channels", discordgo.PermissionViewChannel, "see the group and mod-log channels it posts in"},
		{"Send Messages", discordgo.PermissionSendMessages, "meeting announcements and reminders, shared check-ins, mod-log entries"},
		{"Embed Links", discordgo.PermissionEmbedLinks, "announcements and reports are embeds"},
		{"Attach Files", discordgo.PermissionAttachFiles, "calendar (.ics) files and mood charts"},
		{"Read Message History", discordgo.PermissionReadMessageHistory, "link reported messages, edit its own reminders, see when a support thread was last used"},
		{"Manage Roles", discordgo.PermissionManageRoles, "give and take a group's role when members join or leave (only roles below Kindred's own)"},
		{"Create Private Threads", discordgo.PermissionCreatePrivateThreads, "one private thread per buddy pair and per support request"},
		{"Send Messages in Threads", discordgo.PermissionSendMessagesInThreads, "introductions and follow-ups in buddy threads; support threads"},
		{"Manage Threads", discordgo.PermissionManageThreads, "add buddies to their private thread; add a supporter to a support thread, and archive and lock it when it closes"},
		{"Moderate Members", discordgo.PermissionModerateMembers, "time out members when an escalation rule says so"},
		{"Kick Members", discordgo.PermissionKickMembers, "only when a server sets an escalation rule with kick"},
		{"Ban Members", discordgo.PermissionBanMembers, "only when a server sets an escalation rule with ban"},
	}
}

// InvitePermissionBits is the permissions integer of the invite link.
func InvitePermissionBits() int64 {
	var bits int64
	for _, p := range InvitePermissions() {
		bits |= p.Bit
	}
	return bits
}

// InviteURL is the link that adds Kindred to a server with the bot and
// applications.commands scopes.
func InviteURL(appID string) string {
	return fmt.Sprintf("https://discord.com/oauth2/authorize?client_id=%s&scope=bot+applications.commands&permissions=%d", appID, InvitePermissionBits())
}
