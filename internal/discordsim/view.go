package discordsim

import (
	"slices"

	"github.com/bwmarrin/discordgo"
)

// What one user sees, as a Discord client would show it to them: the
// playground's page is drawn from these.

// Guild returns a guild's id, name and owner, or nil.
func (s *Server) Guild(guildID string) *discordgo.Guild {
	s.mu.Lock()
	defer s.mu.Unlock()
	gs := s.guilds[guildID]
	if gs == nil {
		return nil
	}
	return &discordgo.Guild{ID: gs.id, Name: gs.name, OwnerID: gs.ownerID}
}

// GuildMembers returns a guild's members in the order they joined.
func (s *Server) GuildMembers(guildID string) []*discordgo.Member {
	s.mu.Lock()
	defer s.mu.Unlock()
	gs := s.guilds[guildID]
	if gs == nil {
		return nil
	}
	out := make([]*discordgo.Member, 0, len(gs.memberOrder))
	for _, id := range gs.memberOrder {
		if gs.members[id] != nil {
			out = append(out, gs.memberObject(id, true))
		}
	}
	return out
}

// VisibleChannels returns the channels a user can open, in the order a
// client lists them: per guild they are a member of, its channels, then
// its threads oldest first (a private thread only for its members and
// those with Manage Threads, as on Discord); then their DM channel with
// the bot, if it exists.
func (s *Server) VisibleChannels(userID string) []*discordgo.Channel {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*discordgo.Channel
	for _, gid := range s.guildOrder {
		gs := s.guilds[gid]
		if gs == nil || gs.members[userID] == nil {
			continue
		}
		out = append(out, s.guildChannelsLocked(gs)...)
		var threads []*discordgo.Channel
		for _, cs := range s.channels {
			if cs.ch.GuildID == gid && cs.ch.IsThread() && s.seesThreadLocked(gs, cs, userID) {
				threads = append(threads, copyChannel(cs.ch))
			}
		}
		slices.SortFunc(threads, func(a, b *discordgo.Channel) int { return compareIDs(a.ID, b.ID) })
		out = append(out, threads...)
	}
	if id := s.dmChannels[userID]; id != "" {
		out = append(out, copyChannel(s.channels[id].ch))
	}
	return out
}

func (s *Server) seesThreadLocked(gs *guildState, cs *channelState, userID string) bool {
	return cs.ch.Type != discordgo.ChannelTypeGuildPrivateThread ||
		slices.Contains(cs.threadMembers, userID) || gs.has(userID, discordgo.PermissionManageThreads)
}

// canSeeLocked reports whether a user can open a channel.
func (s *Server) canSeeLocked(userID, channelID string) bool {
	cs := s.channels[channelID]
	switch {
	case cs == nil:
		return false
	case cs.ch.GuildID == "":
		return s.dmChannels[userID] == channelID
	}
	gs := s.guilds[cs.ch.GuildID]
	if gs == nil || gs.members[userID] == nil {
		return false
	}
	return !cs.ch.IsThread() || s.seesThreadLocked(gs, cs, userID)
}

// CanSee reports whether a user can open a channel: a guild channel of a
// guild they are in, a thread they may view, or their own DM channel.
func (s *Server) CanSee(userID, channelID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.canSeeLocked(userID, channelID)
}

// MessagesFor returns a channel's messages as a user sees them, oldest
// first: every channel message, and the bot's interaction responses and
// followups there, those flagged ephemeral only for the member whose
// interaction they answer. Edits are applied, deleted messages left out.
// A channel the user cannot see has no messages for them.
func (s *Server) MessagesFor(userID, channelID string) []*discordgo.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.canSeeLocked(userID, channelID) {
		return nil
	}
	var out []*discordgo.Message
	for _, m := range s.channelMessagesLocked(channelID) {
		out = append(out, copyMessage(m))
	}
	for _, m := range s.responsesLocked() {
		if m.ChannelID == channelID && seenBy(m, userID) {
			out = append(out, copyMessage(m))
		}
	}
	slices.SortFunc(out, func(a, b *discordgo.Message) int { return compareIDs(a.ID, b.ID) })
	return out
}

// MessageFor returns one message as a user sees it (see MessagesFor), or
// nil when it does not exist or is not theirs to see.
func (s *Server) MessageFor(userID, messageID string) *discordgo.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.anyMessageLocked(messageID)
	if m == nil || !s.canSeeLocked(userID, m.ChannelID) || !seenBy(m, userID) {
		return nil
	}
	return copyMessage(m)
}

// anyMessageLocked finds a channel message or an interaction response by
// id.
func (s *Server) anyMessageLocked(id string) *discordgo.Message {
	if ms := s.messages[id]; ms != nil {
		return ms.msg
	}
	return s.responsesLocked()[id]
}

// responsesLocked returns the live interaction responses and followups
// that are not channel messages, by id. A message answered again later
// (a button on it pressed, then the message updated) is taken as the
// newest interaction left it.
func (s *Server) responsesLocked() map[string]*discordgo.Message {
	out := map[string]*discordgo.Message{}
	add := func(m *discordgo.Message) {
		if m != nil && s.messages[m.ID] == nil && !s.gone[m.ID] {
			out[m.ID] = m
		}
	}
	for _, p := range s.answeredLocked() {
		if !p.reply.Deleted {
			add(p.original)
		}
		for _, f := range p.reply.Followups {
			add(f)
		}
	}
	return out
}

// seenBy applies ephemerality: an ephemeral message is seen only by the
// member whose interaction it answers.
func seenBy(m *discordgo.Message, userID string) bool {
	if m.Flags&discordgo.MessageFlagsEphemeral == 0 {
		return true
	}
	return m.InteractionMetadata != nil && m.InteractionMetadata.User != nil && m.InteractionMetadata.User.ID == userID
}

// answeredLocked returns the acknowledged interactions, oldest first.
func (s *Server) answeredLocked() []*Pending {
	out := make([]*Pending, 0, len(s.interactions))
	for _, p := range s.interactions {
		if p.acked {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b *Pending) int { return compareIDs(a.interaction.ID, b.interaction.ID) })
	return out
}
