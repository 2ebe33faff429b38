package discordsim

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/bwmarrin/discordgo"
)

// Channels, channel messages, DMs and threads.

const (
	codeNonTextChannel       = 50008
	codeInvalidChannelType   = 50024
	codeThreadAlreadyCreated = 160004
	codeNoMutualGuilds       = 50278
)

// channelLocked resolves {channel}, answering 404 Unknown Channel if needed.
func (s *Server) channelLocked(c *call) *channelState {
	cs := s.channels[c.param("channel")]
	if cs == nil {
		c.notFound(codeUnknownChannel, "Channel")
	}
	return cs
}

func messageIntent(m *discordgo.Message) discordgo.Intent {
	if m.GuildID == "" {
		return discordgo.IntentDirectMessages
	}
	return discordgo.IntentGuildMessages
}

func messageDeleteEvent(m *discordgo.Message) map[string]string {
	ev := map[string]string{"id": m.ID, "channel_id": m.ChannelID}
	if m.GuildID != "" {
		ev["guild_id"] = m.GuildID
	}
	return ev
}

func channelEvent(ch *discordgo.Channel, what string) string {
	if ch.IsThread() {
		return "THREAD_" + what
	}
	return "CHANNEL_" + what
}

func (s *Server) getChannel(c *call) {
	if cs := s.channelLocked(c); cs != nil {
		c.json(http.StatusOK, copyChannel(cs.ch))
	}
}

// editChannel applies the channel fields a bot typically changes: name and
// topic, and for threads archived, locked, invitable and
// auto_archive_duration.
func (s *Server) editChannel(c *call) {
	cs := s.channelLocked(c)
	if cs == nil {
		return
	}
	var body struct {
		Name                *string `json:"name"`
		Topic               *string `json:"topic"`
		Archived            *bool   `json:"archived"`
		Locked              *bool   `json:"locked"`
		Invitable           *bool   `json:"invitable"`
		AutoArchiveDuration *int    `json:"auto_archive_duration"`
	}
	if !c.decode(c.body, &body) {
		return
	}
	ch := cs.ch
	if gs := s.guilds[ch.GuildID]; gs != nil {
		need := int64(discordgo.PermissionManageChannels)
		if ch.IsThread() {
			need = discordgo.PermissionManageThreads
			if ch.OwnerID == s.botUser.ID && body.Locked == nil {
				need = 0 // a thread's owner may rename and archive it
			}
		}
		if !gs.has(s.botUser.ID, need) {
			c.missingPermissions()
			return
		}
	}
	if body.Name != nil {
		ch.Name = *body.Name
	}
	if body.Topic != nil {
		ch.Topic = *body.Topic
	}
	if md := ch.ThreadMetadata; md != nil {
		if body.Archived != nil {
			md.Archived = *body.Archived
			md.ArchiveTimestamp = s.now()
		}
		if body.Locked != nil {
			md.Locked = *body.Locked
		}
		if body.Invitable != nil {
			md.Invitable = *body.Invitable
		}
		if body.AutoArchiveDuration != nil {
			md.AutoArchiveDuration = *body.AutoArchiveDuration
		}
	}
	c.emit(ch.GuildID, channelEvent(ch, "UPDATE"), discordgo.IntentGuilds, copyChannel(ch))
	c.json(http.StatusOK, copyChannel(ch))
}

func (s *Server) deleteChannel(c *call) {
	cs := s.channelLocked(c)
	if cs == nil {
		return
	}
	ch := cs.ch
	if gs := s.guilds[ch.GuildID]; gs != nil {
		need := int64(discordgo.PermissionManageChannels)
		if ch.IsThread() {
			need = discordgo.PermissionManageThreads
		}
		if !gs.has(s.botUser.ID, need) {
			c.missingPermissions()
			return
		}
		gs.channelOrder = slices.DeleteFunc(gs.channelOrder, func(id string) bool { return id == ch.ID })
	}
	delete(s.channels, ch.ID)
	c.emit(ch.GuildID, channelEvent(ch, "DELETE"), discordgo.IntentGuilds, copyChannel(ch))
	c.json(http.StatusOK, copyChannel(ch))
}

func (s *Server) typing(c *call) {
	if s.channelLocked(c) != nil {
		c.noContent()
	}
}

// listMessages answers newest first, honouring limit, before, after and
// around.
func (s *Server) listMessages(c *call) {
	cs := s.channelLocked(c)
	if cs == nil {
		return
	}
	// Discord: a guild channel's messages need View Channel (and, for a
	// private thread, being in it or Manage Threads); without Read Message
	// History the list is empty.
	if gs := s.guilds[cs.ch.GuildID]; gs != nil {
		if !s.canSeeLocked(s.botUser.ID, cs.ch.ID) {
			c.missingAccess()
			return
		}
		if !gs.has(s.botUser.ID, discordgo.PermissionReadMessageHistory) {
			c.json(http.StatusOK, []*wireMessage{})
			return
		}
	}
	q := c.r.URL.Query()
	limit := 50
	if l, err := strconv.Atoi(q.Get("limit")); err == nil && l >= 1 && l <= 100 {
		limit = l
	}
	msgs := s.channelMessagesLocked(cs.ch.ID) // oldest first
	switch {
	case q.Get("before") != "":
		b := q.Get("before")
		msgs = slices.DeleteFunc(msgs, func(m *discordgo.Message) bool { return compareIDs(m.ID, b) >= 0 })
		if len(msgs) > limit {
			msgs = msgs[len(msgs)-limit:]
		}
	case q.Get("after") != "":
		a := q.Get("after")
		msgs = slices.DeleteFunc(msgs, func(m *discordgo.Message) bool { return compareIDs(m.ID, a) <= 0 })
		if len(msgs) > limit {
			msgs = msgs[:limit]
		}
	case q.Get("around") != "":
		a := q.Get("around")
		i, _ := slices.BinarySearchFunc(msgs, a, func(m *discordgo.Message, id string) int { return compareIDs(m.ID, id) })
		lo := max(0, i-limit/2)
		msgs = msgs[lo:min(len(msgs), lo+limit)]
	default:
		if len(msgs) > limit {
			msgs = msgs[len(msgs)-limit:]
		}
	}
	out := make([]*wireMessage, len(msgs))
	for i, m := range msgs {
		out[len(msgs)-1-i] = wire(m)
	}
	c.json(http.StatusOK, out)
}

func (s *Server) createMessage(c *call) {
	cs := s.channelLocked(c)
	if cs == nil {
		return
	}
	ch := cs.ch
	switch {
	case ch.Type == discordgo.ChannelTypeDM && len(ch.Recipients) > 0:
		to := ch.Recipients[0].ID
		if !s.sharesGuildLocked(to) {
			c.fail(http.StatusForbidden, codeNoMutualGuilds, "Cannot send messages to this user due to having no mutual guilds")
			return
		}
		if s.dmBlocked[to] {
			c.fail(http.StatusForbidden, codeCannotDMUser, "Cannot send messages to this user")
			return
		}
	case ch.Type == discordgo.ChannelTypeGuildCategory || ch.Type == discordgo.ChannelTypeGuildForum || ch.Type == discordgo.ChannelTypeGuildMedia:
		c.fail(http.StatusBadRequest, codeNonTextChannel, "Cannot send messages in a non-text channel")
		return
	}
	if gs := s.guilds[ch.GuildID]; gs != nil {
		need := int64(discordgo.PermissionViewChannel | discordgo.PermissionSendMessages)
		if ch.IsThread() {
			need = discordgo.PermissionViewChannel | discordgo.PermissionSendMessagesInThreads
			if ch.ThreadMetadata != nil && ch.ThreadMetadata.Locked && !gs.has(s.botUser.ID, discordgo.PermissionManageThreads) {
				c.missingPermissions()
				return
			}
		}
		if !gs.has(s.botUser.ID, need) {
			c.missingPermissions()
			return
		}
	}

	data, files, errs, err := c.readMessage()
	if err != nil {
		c.fail(http.StatusBadRequest, 50109, err.Error())
		return
	}
	var ref *discordgo.Message
	if data != nil && data.MessageReference != nil && data.MessageReference.MessageID != "" {
		if ms := s.messages[data.MessageReference.MessageID]; ms != nil && ms.msg.ChannelID == ch.ID {
			ref = ms.msg
		} else if data.MessageReference.FailIfNotExists == nil || *data.MessageReference.FailIfNotExists {
			errs.add("message_reference", "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "Unknown message")
		}
	}
	var nonce string
	if data != nil {
		var nerr error
		if nonce, nerr = data.nonce(); nerr != nil {
			errs.add("nonce", "BASE_TYPE_INVALID", "%v", nerr)
		} else {
			maxLen(&errs, "nonce", nonce, maxNonce)
		}
	}
	if len(errs) > 0 {
		c.invalid(errs)
		return
	}
	if data.empty(len(files)) {
		c.fail(http.StatusBadRequest, codeEmptyMessage, "Cannot send an empty message")
		return
	}
	if nonce != "" && data.EnforceNonce {
		// The message already created is the answer: nothing new, no event.
		if prior := s.nonceMessageLocked(s.botUser.ID, nonce); prior != nil {
			c.json(http.StatusOK, wire(prior))
			return
		}
	}

	m := s.newMessageLocked(ch, &s.botUser)
	data.applyTo(m, s.uploadsLocked(ch.ID, files))
	m.Flags = 0
	if data.Flags != nil {
		m.Flags = *data.Flags &^ discordgo.MessageFlagsEphemeral
	}
	m.TTS = data.TTS
	if ref != nil {
		m.Type = discordgo.MessageTypeReply
		m.MessageReference = &discordgo.MessageReference{MessageID: ref.ID, ChannelID: ch.ID, GuildID: ch.GuildID}
		m.ReferencedMessage = copyMessage(ref)
	}
	for _, id := range mentionedUsers(m.Content) {
		if u := s.users[id]; u != nil {
			cp := *u
			m.Mentions = append(m.Mentions, &cp)
		}
	}
	if ch.ThreadMetadata != nil && ch.ThreadMetadata.Archived {
		ch.ThreadMetadata.Archived = false // posting unarchives a thread
	}
	s.storeMessageLocked(m, files)
	if nonce != "" {
		s.rememberNonceLocked(s.botUser.ID, nonce, m.ID)
	}
	s.emitMessageLocked(&c.out, "MESSAGE_CREATE", m)
	c.json(http.StatusOK, wire(m))
}

// sharesGuildLocked reports whether a user is a member of a guild the bot
// is in: a bot can only DM such users.
func (s *Server) sharesGuildLocked(userID string) bool {
	for _, gs := range s.guilds {
		if gs.members[userID] != nil && gs.members[s.botUser.ID] != nil {
			return true
		}
	}
	return false
}

// messageLocked resolves {channel}/messages/{message}.
func (s *Server) messageLocked(c *call) *messageState {
	cs := s.channelLocked(c)
	if cs == nil {
		return nil
	}
	ms := s.messages[c.param("message")]
	if ms == nil || ms.msg.ChannelID != cs.ch.ID {
		c.notFound(codeUnknownMessage, "Message")
		return nil
	}
	return ms
}

func (s *Server) getMessage(c *call) {
	if ms := s.messageLocked(c); ms != nil {
		c.json(http.StatusOK, wire(ms.msg))
	}
}

func (s *Server) editMessage(c *call) {
	ms := s.messageLocked(c)
	if ms == nil {
		return
	}
	if ms.msg.Author == nil || ms.msg.Author.ID != s.botUser.ID {
		c.fail(http.StatusForbidden, codeCannotEditOthers, "Cannot edit a message authored by another user")
		return
	}
	data, files, errs, err := c.readMessage()
	if err != nil {
		c.fail(http.StatusBadRequest, 50109, err.Error())
		return
	}
	if len(errs) > 0 {
		c.invalid(errs)
		return
	}
	m := copyMessage(ms.msg)
	data.applyTo(m, s.uploadsLocked(m.ChannelID, files))
	if messageEmpty(m) {
		c.fail(http.StatusBadRequest, codeEmptyMessage, "Cannot send an empty message")
		return
	}
	now := s.now()
	m.EditedTimestamp = &now
	ms.msg = m
	ms.files = append(slices.Clone(ms.files), files...)
	s.emitMessageLocked(&c.out, "MESSAGE_UPDATE", m)
	c.json(http.StatusOK, wire(m))
}

func (s *Server) deleteMessage(c *call) {
	ms := s.messageLocked(c)
	if ms == nil {
		return
	}
	m := ms.msg
	if m.Author == nil || m.Author.ID != s.botUser.ID {
		gs := s.guilds[m.GuildID]
		if gs == nil || !gs.has(s.botUser.ID, discordgo.PermissionManageMessages) {
			c.missingPermissions()
			return
		}
	}
	delete(s.messages, m.ID)
	c.emit(m.GuildID, "MESSAGE_DELETE", messageIntent(m), messageDeleteEvent(m))
	c.noContent()
}

// createThread starts a thread, from a message when the path has one. As in
// API v9, a thread without a message and without a type is private.
func (s *Server) createThread(c *call) {
	parent := s.channelLocked(c)
	if parent == nil {
		return
	}
	gs := s.guilds[parent.ch.GuildID]
	if gs == nil {
		c.fail(http.StatusBadRequest, codeInvalidChannelType, "Cannot execute action on this channel type")
		return
	}
	var body struct {
		Name                string                `json:"name"`
		AutoArchiveDuration int                   `json:"auto_archive_duration"`
		Type                discordgo.ChannelType `json:"type"`
		Invitable           *bool                 `json:"invitable"`
		RateLimitPerUser    int                   `json:"rate_limit_per_user"`
	}
	if !c.decode(c.body, &body) {
		return
	}

	var (
		errs   formErrors
		source *messageState
	)
	lenBetween(&errs, "name", body.Name, 1, 100)
	typ := body.Type
	if mid := c.param("message"); mid != "" {
		source = s.messages[mid]
		if source == nil || source.msg.ChannelID != parent.ch.ID {
			c.notFound(codeUnknownMessage, "Message")
			return
		}
		if source.msg.Thread != nil {
			c.fail(http.StatusBadRequest, codeThreadAlreadyCreated, "A thread has already been created for this message")
			return
		}
		typ = discordgo.ChannelTypeGuildPublicThread
		if parent.ch.Type == discordgo.ChannelTypeGuildNews {
			typ = discordgo.ChannelTypeGuildNewsThread
		}
	} else if typ == 0 {
		typ = discordgo.ChannelTypeGuildPrivateThread
	}
	switch typ {
	case discordgo.ChannelTypeGuildPublicThread, discordgo.ChannelTypeGuildNewsThread:
	case discordgo.ChannelTypeGuildPrivateThread:
		if parent.ch.Type != discordgo.ChannelTypeGuildText {
			errs.add("type", "THREAD_INVALID_TYPE", "Private threads need a text channel")
		}
	default:
		errs.add("type", "BASE_TYPE_CHOICES", "Value must be one of (10, 11, 12).")
	}
	if parent.ch.Type != discordgo.ChannelTypeGuildText && parent.ch.Type != discordgo.ChannelTypeGuildNews {
		c.fail(http.StatusBadRequest, codeInvalidChannelType, "Cannot execute action on this channel type")
		return
	}
	archive := body.AutoArchiveDuration
	if archive == 0 {
		archive = 4320
	}
	if !slices.Contains([]int{60, 1440, 4320, 10080}, archive) {
		errs.add("auto_archive_duration", "BASE_TYPE_CHOICES", "Value must be one of (60, 1440, 4320, 10080).")
	}
	if len(errs) > 0 {
		c.invalid(errs)
		return
	}
	need := int64(discordgo.PermissionViewChannel | discordgo.PermissionCreatePublicThreads)
	if typ == discordgo.ChannelTypeGuildPrivateThread {
		need = discordgo.PermissionViewChannel | discordgo.PermissionCreatePrivateThreads
	}
	if !gs.has(s.botUser.ID, need) {
		c.missingPermissions()
		return
	}

	invitable := true
	if body.Invitable != nil {
		invitable = *body.Invitable
	}
	now := s.now()
	th := &discordgo.Channel{
		ID:               s.ids.next(),
		GuildID:          gs.id,
		ParentID:         parent.ch.ID,
		OwnerID:          s.botUser.ID,
		Name:             body.Name,
		Type:             typ,
		RateLimitPerUser: body.RateLimitPerUser,
		MemberCount:      1,
		ThreadMetadata: &discordgo.ThreadMetadata{
			AutoArchiveDuration: archive,
			ArchiveTimestamp:    now,
			Invitable:           typ == discordgo.ChannelTypeGuildPrivateThread && invitable,
		},
		Member: &discordgo.ThreadMember{UserID: s.botUser.ID, JoinTimestamp: now},
	}
	if source != nil {
		th.ID = source.msg.ID // a thread started from a message shares its id
		m := copyMessage(source.msg)
		m.Flags |= discordgo.MessageFlagsHasThread
		m.Thread = copyChannel(th)
		source.msg = m
	}
	s.channels[th.ID] = &channelState{ch: th, threadMembers: []string{s.botUser.ID}}
	c.emit(th.GuildID, "THREAD_CREATE", discordgo.IntentGuilds, struct {
		*discordgo.Channel
		NewlyCreated bool `json:"newly_created"`
	}{copyChannel(th), true})
	c.json(http.StatusCreated, copyChannel(th))
}

// threadLocked resolves {channel} as a thread.
func (s *Server) threadLocked(c *call) *channelState {
	cs := s.channelLocked(c)
	if cs != nil && !cs.ch.IsThread() {
		c.fail(http.StatusBadRequest, codeInvalidChannelType, "Cannot execute action on this channel type")
		return nil
	}
	return cs
}

func threadMember(threadID, userID string) *discordgo.ThreadMember {
	return &discordgo.ThreadMember{ID: threadID, UserID: userID, JoinTimestamp: snowflakeTime(threadID)}
}

func (s *Server) listThreadMembers(c *call) {
	cs := s.threadLocked(c)
	if cs == nil {
		return
	}
	out := make([]*discordgo.ThreadMember, 0, len(cs.threadMembers))
	for _, u := range cs.threadMembers {
		out = append(out, threadMember(cs.ch.ID, u))
	}
	c.json(http.StatusOK, out)
}

func (s *Server) getThreadMember(c *call) {
	cs := s.threadLocked(c)
	if cs == nil {
		return
	}
	if !slices.Contains(cs.threadMembers, c.userParam()) {
		c.notFound(codeUnknownMember, "Member")
		return
	}
	c.json(http.StatusOK, threadMember(cs.ch.ID, c.userParam()))
}

func (s *Server) addThreadMember(c *call) {
	cs := s.threadLocked(c)
	if cs == nil {
		return
	}
	user := c.userParam()
	gs := s.guilds[cs.ch.GuildID]
	if gs == nil || gs.members[user] == nil {
		c.notFound(codeUnknownMember, "Member")
		return
	}
	if md := cs.ch.ThreadMetadata; md != nil && md.Locked && !gs.has(s.botUser.ID, discordgo.PermissionManageThreads) {
		c.fail(http.StatusBadRequest, codeThreadLocked, "Thread is locked")
		return
	}
	if cs.ch.Type == discordgo.ChannelTypeGuildPrivateThread && user != s.botUser.ID &&
		!slices.Contains(cs.threadMembers, s.botUser.ID) && !gs.has(s.botUser.ID, discordgo.PermissionManageThreads) {
		c.missingAccess()
		return
	}
	if len(cs.threadMembers) >= 1000 {
		c.fail(http.StatusBadRequest, codeMaxThreadParticipants, "Maximum number of thread participants reached")
		return
	}
	if !slices.Contains(cs.threadMembers, user) {
		cs.threadMembers = append(cs.threadMembers, user)
		cs.ch.MemberCount = len(cs.threadMembers)
	}
	c.noContent()
}

func (s *Server) removeThreadMember(c *call) {
	cs := s.threadLocked(c)
	if cs == nil {
		return
	}
	user := c.userParam()
	i := slices.Index(cs.threadMembers, user)
	if i < 0 {
		c.notFound(codeUnknownMember, "Member")
		return
	}
	if user != s.botUser.ID && cs.ch.OwnerID != s.botUser.ID {
		if gs := s.guilds[cs.ch.GuildID]; gs == nil || !gs.has(s.botUser.ID, discordgo.PermissionManageThreads) {
			c.missingPermissions()
			return
		}
	}
	cs.threadMembers = slices.Delete(cs.threadMembers, i, i+1)
	cs.ch.MemberCount = len(cs.threadMembers)
	c.noContent()
}

func indent(s string) string {
	s = strings.TrimRight(s, "\n")
	return "             " + strings.ReplaceAll(s, "\n", "\n             ")
}
