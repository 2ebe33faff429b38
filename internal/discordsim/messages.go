package discordsim

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
)

// messageState is a message in a channel.
type messageState struct {
	msg   *discordgo.Message // replaced, never changed in place, once handed out
	files []File
}

// nonceWindow is how long a nonce sent with enforce_nonce finds the
// message created with it: Discord checks "the past few minutes".
const nonceWindow = 5 * time.Minute

// maxNonce is the longest nonce Discord accepts.
const maxNonce = 25

// nonceRecord is the message an author created with a nonce, and when.
type nonceRecord struct {
	messageID string
	at        time.Time
}

func nonceKey(authorID, nonce string) string { return authorID + "\x00" + nonce }

// nonceMessageLocked returns the live message the author created with
// nonce within nonceWindow, or nil.
func (s *Server) nonceMessageLocked(authorID, nonce string) *discordgo.Message {
	rec, ok := s.nonces[nonceKey(authorID, nonce)]
	if !ok || s.now().Sub(rec.at) >= nonceWindow {
		return nil
	}
	if ms := s.messages[rec.messageID]; ms != nil {
		return ms.msg
	}
	return nil
}

// rememberNonceLocked records that the author created a message with
// nonce, and forgets the nonces that have outlived the window.
func (s *Server) rememberNonceLocked(authorID, nonce, messageID string) {
	now := s.now()
	for k, rec := range s.nonces {
		if now.Sub(rec.at) >= nonceWindow {
			delete(s.nonces, k)
		}
	}
	s.nonces[nonceKey(authorID, nonce)] = nonceRecord{messageID: messageID, at: now}
}

// uploadsLocked turns uploaded files into attachments of a message in a
// channel.
func (s *Server) uploadsLocked(channelID string, files []File) []*discordgo.MessageAttachment {
	var out []*discordgo.MessageAttachment
	for _, f := range files {
		id := s.ids.next()
		path := "/attachments/" + channelID + "/" + id + "/" + url.PathEscape(f.Name)
		out = append(out, &discordgo.MessageAttachment{
			ID:          id,
			Filename:    f.Name,
			ContentType: f.ContentType,
			Size:        len(f.Data),
			URL:         "https://cdn.discordapp.com" + path,
			ProxyURL:    "https://media.discordapp.net" + path,
		})
	}
	return out
}

// newMessageLocked builds a message as Discord returns it.
func (s *Server) newMessageLocked(ch *discordgo.Channel, author *discordgo.User) *discordgo.Message {
	a := *author
	return &discordgo.Message{
		ID:              s.ids.next(),
		ChannelID:       ch.ID,
		GuildID:         ch.GuildID,
		Author:          &a,
		Timestamp:       s.now(),
		Type:            discordgo.MessageTypeDefault,
		Embeds:          []*discordgo.MessageEmbed{},
		Attachments:     []*discordgo.MessageAttachment{},
		Mentions:        []*discordgo.User{},
		MentionRoles:    []string{},
		Reactions:       []*discordgo.MessageReactions{},
		MentionChannels: []*discordgo.Channel{},
	}
}

// storeMessageLocked files a new message under its channel.
func (s *Server) storeMessageLocked(m *discordgo.Message, files []File) {
	s.messages[m.ID] = &messageState{msg: m, files: files}
	if m.Author != nil && m.Author.ID == s.botUser.ID {
		s.botPosts[m.ChannelID] = append(s.botPosts[m.ChannelID], m.ID)
	}
	if cs := s.channels[m.ChannelID]; cs != nil {
		cs.ch.LastMessageID = m.ID
		if cs.ch.IsThread() {
			cs.ch.MessageCount++
		}
	}
}

// channelMessagesLocked returns the live messages of a channel, oldest first.
func (s *Server) channelMessagesLocked(channelID string) []*discordgo.Message {
	var out []*discordgo.Message
	for _, ms := range s.messages {
		if ms.msg.ChannelID == channelID {
			out = append(out, ms.msg)
		}
	}
	slices.SortFunc(out, func(a, b *discordgo.Message) int { return compareIDs(a.ID, b.ID) })
	return out
}

// Messages returns the bot's messages in a channel (or DM channel), oldest
// first, with edits applied and deleted ones left out. Interaction
// responses and followups are not channel messages; see Reply.
func (s *Server) Messages(channelID string) []*discordgo.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*discordgo.Message
	for _, id := range s.botPosts[channelID] {
		if ms := s.messages[id]; ms != nil {
			out = append(out, copyMessage(ms.msg))
		}
	}
	return out
}

// Message returns any stored channel message by id, or nil.
func (s *Server) Message(messageID string) *discordgo.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ms := s.messages[messageID]; ms != nil {
		return copyMessage(ms.msg)
	}
	return nil
}

// MessageFiles returns the files uploaded with a message: a channel
// message, or an interaction response or followup.
func (s *Server) MessageFiles(messageID string) []File {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ms := s.messages[messageID]; ms != nil {
		return slices.Clone(ms.files)
	}
	var out []File
	for _, p := range s.answeredLocked() {
		out = append(out, p.files[messageID]...)
	}
	return out
}

// WaitMessage returns the bot's next message in a channel: each call hands
// out the next message the bot posted there that no earlier WaitMessage call
// returned, waiting up to timeout for it. Because it counts from the first
// message, a message posted before the call is not missed. The message is
// returned as it is now (edits applied); if it was deleted meanwhile, it is
// returned as last seen.
func (s *Server) WaitMessage(t testing.TB, channelID string, timeout time.Duration) *discordgo.Message {
	t.Helper()
	var got *discordgo.Message
	ok := s.waitUntil(timeout, func() bool {
		posts := s.botPosts[channelID]
		i := s.msgCursor[channelID]
		if i >= len(posts) {
			return false
		}
		s.msgCursor[channelID] = i + 1
		if ms := s.messages[posts[i]]; ms != nil {
			got = copyMessage(ms.msg)
		} else {
			got = &discordgo.Message{ID: posts[i], ChannelID: channelID}
		}
		return true
	})
	if !ok {
		t.Fatalf("discordsim: the bot posted no new message in channel %s within %v; requests:\n%s",
			channelID, timeout, s.requestLog(time.Time{}))
	}
	return got
}

// DMChannelID is the DM channel the fake created for a user, "" if none.
func (s *Server) DMChannelID(userID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dmChannels[userID]
}

// UserMessage makes a user post a message in a channel (a DM channel is
// created for a user's id given as "@<user id>") and dispatches
// MESSAGE_CREATE. As for a bot without the MESSAGE_CONTENT intent, guild
// messages reach the gateway without content unless they mention the bot.
func (s *Server) UserMessage(channelID, userID, content string) *discordgo.Message {
	var out outbox
	s.mu.Lock()
	defer func() { s.mu.Unlock(); s.flush(out) }()
	if strings.HasPrefix(channelID, "@") {
		channelID = s.dmChannelLocked(strings.TrimPrefix(channelID, "@")).ch.ID
	}
	cs := s.channels[channelID]
	if cs == nil {
		panic(fmt.Sprintf("discordsim: UserMessage: unknown channel %s", channelID))
	}
	m := s.newMessageLocked(cs.ch, s.userLocked(userID))
	m.Content = content
	if cs.ch.GuildID != "" {
		if gs := s.guilds[cs.ch.GuildID]; gs != nil && gs.members[userID] != nil {
			m.Member = gs.memberObject(userID, false)
		}
	}
	for _, id := range mentionedUsers(content) {
		if u := s.users[id]; u != nil {
			cp := *u
			m.Mentions = append(m.Mentions, &cp)
		}
	}
	s.storeMessageLocked(m, nil)
	s.emitMessageLocked(&out, "MESSAGE_CREATE", m)
	s.notifyLocked()
	return copyMessage(m)
}

// emitMessageLocked dispatches a message event with the intent it needs,
// stripping content the session may not see.
func (s *Server) emitMessageLocked(out *outbox, event string, m *discordgo.Message) {
	intent := discordgo.IntentGuildMessages
	if m.GuildID == "" {
		intent = discordgo.IntentDirectMessages
	}
	s.emitEachLocked(out, m.GuildID, event, intent, func(sess *gwSession) any {
		if s.contentVisible(sess, m) {
			return wire(m)
		}
		cp := *m
		cp.Content = ""
		cp.Embeds = []*discordgo.MessageEmbed{}
		cp.Attachments = []*discordgo.MessageAttachment{}
		cp.Components = nil
		return wire(&cp)
	})
}

// contentVisible applies Discord's MESSAGE_CONTENT rule: without the intent
// a bot sees content only of DMs, its own messages and messages mentioning
// it.
func (s *Server) contentVisible(sess *gwSession, m *discordgo.Message) bool {
	if sess.intents&discordgo.IntentMessageContent != 0 || m.GuildID == "" {
		return true
	}
	if m.Author != nil && m.Author.ID == s.botUser.ID {
		return true
	}
	for _, u := range m.Mentions {
		if u.ID == s.botUser.ID {
			return true
		}
	}
	return false
}

// mentionedUsers extracts the ids of <@id> and <@!id> mentions.
func mentionedUsers(content string) []string {
	var ids []string
	for {
		i := strings.Index(content, "<@")
		if i < 0 {
			return ids
		}
		content = content[i+2:]
		j := strings.IndexByte(content, '>')
		if j < 0 {
			return ids
		}
		id := strings.TrimPrefix(content[:j], "!")
		if id != "" && !strings.HasPrefix(id, "&") {
			ids = append(ids, id)
		}
		content = content[j+1:]
	}
}

func copyMessage(m *discordgo.Message) *discordgo.Message {
	cp := *m
	return &cp
}
