package discordsim

import (
	"encoding/json"
	"net/http"
	"slices"
	"time"

	"github.com/bwmarrin/discordgo"
)

// Interaction callbacks and the interaction webhook (@original and
// followups).

// allowedCallbacks lists the callback types Discord accepts per interaction
// type.
func allowedCallbacks(t discordgo.InteractionType) []discordgo.InteractionResponseType {
	switch t {
	case discordgo.InteractionPing:
		return []discordgo.InteractionResponseType{discordgo.InteractionResponsePong}
	case discordgo.InteractionApplicationCommand:
		return []discordgo.InteractionResponseType{
			discordgo.InteractionResponseChannelMessageWithSource,
			discordgo.InteractionResponseDeferredChannelMessageWithSource,
			discordgo.InteractionResponseModal,
		}
	case discordgo.InteractionMessageComponent:
		return []discordgo.InteractionResponseType{
			discordgo.InteractionResponseChannelMessageWithSource,
			discordgo.InteractionResponseDeferredChannelMessageWithSource,
			discordgo.InteractionResponseDeferredMessageUpdate,
			discordgo.InteractionResponseUpdateMessage,
			discordgo.InteractionResponseModal,
		}
	case discordgo.InteractionApplicationCommandAutocomplete:
		return []discordgo.InteractionResponseType{discordgo.InteractionApplicationCommandAutocompleteResult}
	case discordgo.InteractionModalSubmit:
		return []discordgo.InteractionResponseType{
			discordgo.InteractionResponseChannelMessageWithSource,
			discordgo.InteractionResponseDeferredChannelMessageWithSource,
			discordgo.InteractionResponseDeferredMessageUpdate,
			discordgo.InteractionResponseUpdateMessage,
		}
	}
	return nil
}

func (s *Server) interactionCallback(c *call) {
	p := s.interactions[c.param("interaction")]
	if p == nil || p.interaction.Token != c.param("token") {
		c.notFound(codeUnknownInteraction, "interaction")
		return
	}
	p.callbacks++
	if p.acked {
		p.logf(c.at, "callback rejected: 400 Interaction has already been acknowledged (40060)")
		c.fail(http.StatusBadRequest, codeAlreadyAcknowledged, "Interaction has already been acknowledged.")
		return
	}
	if late := c.at.Sub(p.dispatchedAt); late > s.opts.InteractionDeadline {
		p.logf(c.at, "callback rejected: 404 Unknown interaction (10062), it came %v after dispatch, past the %v deadline", late.Round(time.Millisecond), s.opts.InteractionDeadline)
		c.notFound(codeUnknownInteraction, "interaction")
		return
	}
	raw, files, err := c.payload()
	if err != nil {
		p.logf(c.at, "callback rejected: %v", err)
		c.fail(http.StatusBadRequest, 50109, err.Error())
		return
	}
	var body struct {
		Type discordgo.InteractionResponseType `json:"type"`
		Data json.RawMessage                   `json:"data"`
	}
	if !c.decode(raw, &body) {
		p.logf(c.at, "callback rejected: body is not JSON")
		return
	}
	data, err := decodeMessagePayload(body.Data)
	var errs formErrors
	if err != nil {
		errs.add("data", "BASE_TYPE_INVALID", "%v", err)
	} else {
		validateCallback(&errs, p.interaction, body.Type, data)
	}
	if len(errs) > 0 {
		p.logf(c.at, "callback type %d rejected: 400 Invalid Form Body\n%s", body.Type, indent(errs.String()))
		c.invalid(errs)
		return
	}
	if body.Type == discordgo.InteractionResponseChannelMessageWithSource && data.empty(len(files)) {
		p.logf(c.at, "callback type 4 rejected: 400 Cannot send an empty message (50006)")
		c.fail(http.StatusBadRequest, codeEmptyMessage, "Cannot send an empty message")
		return
	}

	p.acked = true
	p.reply.Type = body.Type
	p.reply.Latency = c.at.Sub(p.dispatchedAt)
	p.reply.Files = append(p.reply.Files, files...)
	uploads := s.uploadsLocked(p.interaction.ChannelID, files)
	d := &discordgo.InteractionResponseData{}
	data.applyToData(d, uploads)
	p.reply.Data = d

	switch body.Type {
	case discordgo.InteractionResponseChannelMessageWithSource:
		p.original = s.originalLocked(p, d, uploads)
		s.keepFilesLocked(p, p.original.ID, files)
	case discordgo.InteractionResponseDeferredChannelMessageWithSource:
		p.reply.Deferred = true
		p.original = s.originalLocked(p, d, nil)
		p.original.Flags |= discordgo.MessageFlagsLoading
	case discordgo.InteractionResponseDeferredMessageUpdate:
		p.reply.Deferred = true
		if p.interaction.Message != nil {
			p.original = copyMessage(p.interaction.Message)
		}
	case discordgo.InteractionResponseUpdateMessage:
		m := copyMessage(p.interaction.Message)
		data.applyTo(m, uploads)
		now := s.now()
		m.EditedTimestamp = &now
		p.original = m
		s.updateStoredLocked(c, m)
		s.keepFilesLocked(p, m.ID, files)
	case discordgo.InteractionResponseModal:
		s.rememberModalLocked(p.interaction, d)
	}
	p.logf(c.at, "callback type %d accepted", body.Type)
	if !p.reply.Deferred {
		p.finishLocked()
	}
	c.noContent()
}

func validateCallback(errs *formErrors, i *discordgo.Interaction, typ discordgo.InteractionResponseType, data *messagePayload) {
	if !slices.Contains(allowedCallbacks(i.Type), typ) {
		errs.add("type", "INTERACTION_RESPONSE_TYPE_INVALID", "Callback type %d is not valid for an interaction of type %d.", typ, i.Type)
		return
	}
	switch typ {
	case discordgo.InteractionResponseChannelMessageWithSource:
		validateMessage(errs, "data", data)
	case discordgo.InteractionResponseUpdateMessage, discordgo.InteractionResponseDeferredMessageUpdate:
		if i.Message == nil {
			errs.add("type", "INTERACTION_RESPONSE_TYPE_INVALID", "There is no message to update.")
		}
		validateMessage(errs, "data", data)
	case discordgo.InteractionApplicationCommandAutocompleteResult:
		if data.Choices == nil {
			errs.add("data.choices", "BASE_TYPE_REQUIRED", "This field is required")
		} else {
			validateChoices(errs, *data.Choices)
		}
	case discordgo.InteractionResponseModal:
		validateModal(errs, data)
	}
}

// originalLocked creates the @original message of a message callback.
func (s *Server) originalLocked(p *Pending, d *discordgo.InteractionResponseData, uploads []*discordgo.MessageAttachment) *discordgo.Message {
	i := p.interaction
	m := s.newMessageLocked(s.channelOfLocked(i), &s.botUser)
	m.WebhookID = s.AppID()
	m.Content = d.Content
	if d.Embeds != nil {
		m.Embeds = d.Embeds
	}
	m.Components = d.Components
	m.Flags = d.Flags
	m.TTS = d.TTS
	m.Poll = d.Poll
	if uploads != nil {
		m.Attachments = uploads
	}
	m.Type = discordgo.MessageTypeReply
	if i.Type == discordgo.InteractionApplicationCommand {
		m.Type = discordgo.MessageTypeChatInputCommand
		if d, ok := commandData(i); ok && d.CommandType != 0 && d.CommandType != discordgo.ChatApplicationCommand {
			m.Type = discordgo.MessageTypeContextMenuCommand
		}
	}
	m.InteractionMetadata = &discordgo.MessageInteractionMetadata{ID: i.ID, Type: i.Type, User: invoker(i)}
	if d, ok := commandData(i); ok {
		// The older "interaction" field, which clients still show as
		// "Riley used /checkins history".
		m.Interaction = &discordgo.MessageInteraction{ID: i.ID, Type: i.Type, Name: invokedName(d), User: invoker(i)}
	}
	return m
}

// invokedName is a command's name as Discord shows it in a reply's
// interaction field: with the subcommand group and subcommand it ran.
func invokedName(d discordgo.ApplicationCommandInteractionData) string {
	name := d.Name
	opts := d.Options
	for len(opts) > 0 && (opts[0].Type == discordgo.ApplicationCommandOptionSubCommandGroup || opts[0].Type == discordgo.ApplicationCommandOptionSubCommand) {
		name += " " + opts[0].Name
		opts = opts[0].Options
	}
	return name
}

// keepFilesLocked files uploads under the message they belong to, for
// MessageFiles: a channel message's own record, or else the interaction's.
func (s *Server) keepFilesLocked(p *Pending, messageID string, files []File) {
	if len(files) == 0 {
		return
	}
	if ms := s.messages[messageID]; ms != nil {
		ms.files = append(slices.Clone(ms.files), files...)
		return
	}
	if p.files == nil {
		p.files = map[string][]File{}
	}
	p.files[messageID] = append(p.files[messageID], files...)
}

// channelOfLocked is the interaction's channel, or a stand-in when the
// interaction names one the model does not know.
func (s *Server) channelOfLocked(i *discordgo.Interaction) *discordgo.Channel {
	if cs := s.channels[i.ChannelID]; cs != nil {
		return cs.ch
	}
	return &discordgo.Channel{ID: i.ChannelID, GuildID: i.GuildID}
}

// commandData is the interaction's command data, given by value or pointer.
func commandData(i *discordgo.Interaction) (discordgo.ApplicationCommandInteractionData, bool) {
	switch d := i.Data.(type) {
	case discordgo.ApplicationCommandInteractionData:
		return d, true
	case *discordgo.ApplicationCommandInteractionData:
		return *d, true
	}
	return discordgo.ApplicationCommandInteractionData{}, false
}

func invoker(i *discordgo.Interaction) *discordgo.User {
	if i.Member != nil && i.Member.User != nil {
		u := *i.Member.User
		return &u
	}
	if i.User != nil {
		u := *i.User
		return &u
	}
	return nil
}

// updateStoredLocked mirrors a change of a message the bot also has in a
// channel (a component's message) into the channel store.
func (s *Server) updateStoredLocked(c *call, m *discordgo.Message) {
	if ms := s.messages[m.ID]; ms != nil {
		ms.msg = copyMessage(m)
		s.emitMessageLocked(&c.out, "MESSAGE_UPDATE", ms.msg)
	}
}

// webhookPendingLocked finds the interaction behind /webhooks/{app}/{token}.
// The webhook exists once the interaction was acknowledged.
func (s *Server) webhookPendingLocked(c *call) *Pending {
	p := s.tokens[c.param("token")]
	if c.param("app") != s.AppID() || p == nil || !p.acked {
		c.notFound(codeUnknownWebhook, "Webhook")
		return nil
	}
	return p
}

func (s *Server) getOriginal(c *call) {
	p := s.webhookPendingLocked(c)
	if p == nil {
		return
	}
	if p.original == nil || p.reply.Deleted {
		c.notFound(codeUnknownMessage, "Message")
		return
	}
	c.json(http.StatusOK, wire(p.original))
}

func (s *Server) editOriginal(c *call) {
	p := s.webhookPendingLocked(c)
	if p == nil {
		return
	}
	if p.original == nil || p.reply.Deleted {
		p.logf(c.at, "@original edit rejected: 404 Unknown Message (there is no original message)")
		c.notFound(codeUnknownMessage, "Message")
		return
	}
	data, files, ok := s.messageBody(c, p, "@original edit")
	if !ok {
		return
	}
	uploads := s.uploadsLocked(p.original.ChannelID, files)
	m := copyMessage(p.original)
	loading := m.Flags&discordgo.MessageFlagsLoading != 0
	data.applyTo(m, uploads)
	m.Flags &^= discordgo.MessageFlagsLoading
	if messageEmpty(m) {
		p.logf(c.at, "@original edit rejected: 400 Cannot send an empty message (50006)")
		c.fail(http.StatusBadRequest, codeEmptyMessage, "Cannot send an empty message")
		return
	}
	if !loading {
		now := s.now()
		m.EditedTimestamp = &now
	}
	p.original = m
	d := *p.reply.Data
	data.applyToData(&d, uploads)
	p.reply.Data = &d
	p.reply.Files = append(p.reply.Files, files...)
	s.updateStoredLocked(c, m)
	s.keepFilesLocked(p, m.ID, files)
	p.logf(c.at, "@original edited")
	if p.reply.Deferred {
		p.finishLocked()
	}
	c.json(http.StatusOK, wire(m))
}

func (s *Server) deleteOriginal(c *call) {
	p := s.webhookPendingLocked(c)
	if p == nil {
		return
	}
	if p.original == nil || p.reply.Deleted {
		c.notFound(codeUnknownMessage, "Message")
		return
	}
	p.reply.Deleted = true
	s.gone[p.original.ID] = true
	if ms := s.messages[p.original.ID]; ms != nil {
		delete(s.messages, ms.msg.ID)
		c.emit(ms.msg.GuildID, "MESSAGE_DELETE", messageIntent(ms.msg), messageDeleteEvent(ms.msg))
	}
	p.logf(c.at, "@original deleted")
	// Deleting the message a deferred update was about is an answer in
	// itself (a "dismiss" button); after a deferred message, a followup is
	// expected to follow the deletion.
	if p.reply.Type == discordgo.InteractionResponseDeferredMessageUpdate {
		p.finishLocked()
	}
	c.noContent()
}

func (s *Server) createFollowup(c *call) {
	p := s.webhookPendingLocked(c)
	if p == nil {
		return
	}
	data, files, ok := s.messageBody(c, p, "followup")
	if !ok {
		return
	}
	if data.empty(len(files)) {
		p.logf(c.at, "followup rejected: 400 Cannot send an empty message (50006)")
		c.fail(http.StatusBadRequest, codeEmptyMessage, "Cannot send an empty message")
		return
	}
	ch := s.channelOfLocked(p.interaction)
	m := s.newMessageLocked(ch, &s.botUser)
	m.WebhookID = s.AppID()
	data.applyTo(m, s.uploadsLocked(ch.ID, files))
	if data.Flags != nil {
		m.Flags = *data.Flags
	}
	m.InteractionMetadata = &discordgo.MessageInteractionMetadata{ID: p.interaction.ID, Type: p.interaction.Type, User: invoker(p.interaction)}
	if p.original != nil {
		m.InteractionMetadata.OriginalResponseMessageID = p.original.ID
	}
	p.reply.Followups = append(p.reply.Followups, m)
	p.reply.Files = append(p.reply.Files, files...)
	s.keepFilesLocked(p, m.ID, files)
	p.logf(c.at, "followup %s posted", m.ID)
	if p.reply.Deferred {
		p.finishLocked()
	}
	c.json(http.StatusOK, wire(m))
}

func (p *Pending) followupIndex(id string) int {
	return slices.IndexFunc(p.reply.Followups, func(m *discordgo.Message) bool { return m.ID == id })
}

func (s *Server) getFollowup(c *call) {
	p := s.webhookPendingLocked(c)
	if p == nil {
		return
	}
	if p.original != nil && !p.reply.Deleted && p.original.ID == c.param("message") {
		c.json(http.StatusOK, wire(p.original))
		return
	}
	i := p.followupIndex(c.param("message"))
	if i < 0 {
		c.notFound(codeUnknownMessage, "Message")
		return
	}
	c.json(http.StatusOK, wire(p.reply.Followups[i]))
}

func (s *Server) editFollowup(c *call) {
	p := s.webhookPendingLocked(c)
	if p == nil {
		return
	}
	if p.original != nil && p.original.ID == c.param("message") {
		s.editOriginal(c)
		return
	}
	i := p.followupIndex(c.param("message"))
	if i < 0 {
		c.notFound(codeUnknownMessage, "Message")
		return
	}
	data, files, ok := s.messageBody(c, p, "followup edit")
	if !ok {
		return
	}
	m := copyMessage(p.reply.Followups[i])
	data.applyTo(m, s.uploadsLocked(m.ChannelID, files))
	now := s.now()
	m.EditedTimestamp = &now
	p.reply.Followups = slices.Clone(p.reply.Followups)
	p.reply.Followups[i] = m
	p.reply.Files = append(p.reply.Files, files...)
	s.keepFilesLocked(p, m.ID, files)
	p.logf(c.at, "followup %s edited", m.ID)
	c.json(http.StatusOK, wire(m))
}

func (s *Server) deleteFollowup(c *call) {
	p := s.webhookPendingLocked(c)
	if p == nil {
		return
	}
	if p.original != nil && p.original.ID == c.param("message") {
		s.deleteOriginal(c)
		return
	}
	i := p.followupIndex(c.param("message"))
	if i < 0 {
		c.notFound(codeUnknownMessage, "Message")
		return
	}
	s.gone[p.reply.Followups[i].ID] = true
	p.reply.Followups = slices.Delete(slices.Clone(p.reply.Followups), i, i+1)
	p.logf(c.at, "followup deleted")
	c.noContent()
}

// messageBody reads and validates a message payload for the interaction
// webhook, logging a rejection on the interaction.
func (s *Server) messageBody(c *call, p *Pending, what string) (*messagePayload, []File, bool) {
	data, files, errs, err := c.readMessage()
	if err != nil {
		p.logf(c.at, "%s rejected: %v", what, err)
		c.fail(http.StatusBadRequest, 50109, err.Error())
		return nil, nil, false
	}
	if len(errs) > 0 {
		p.logf(c.at, "%s rejected: 400 Invalid Form Body\n%s", what, indent(errs.String()))
		c.invalid(errs)
		return nil, nil, false
	}
	return data, files, true
}

func messageEmpty(m *discordgo.Message) bool {
	return m.Content == "" && len(m.Embeds) == 0 && len(m.Components) == 0 &&
		len(m.Attachments) == 0 && m.Poll == nil && len(m.StickerItems) == 0
}
