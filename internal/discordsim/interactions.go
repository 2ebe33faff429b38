package discordsim

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
)

// ErrNotConnected is returned by Start when no gateway session that
// receives the interaction's guild (shard 0 for a DM) is ready.
var ErrNotConnected = errors.New("discordsim: no gateway session is connected and ready")

// ackGrace is how long past the interaction deadline Wait keeps listening
// for an acknowledgement that was accepted just in time.
const ackGrace = 100 * time.Millisecond

// Reply is what the bot answered to an interaction, frozen when the answer
// became final: an immediate callback (types 1, 4, 7, 8, 9), or a deferred
// one (5, 6) followed by an edit of @original or a followup. For a deferred
// update (6), deleting @original is final too. Later changes are visible
// through Pending.Reply.
type Reply struct {
	// Type is the initial callback type.
	Type     discordgo.InteractionResponseType
	Deferred bool
	// Data is the callback's data with, for deferred replies, the @original
	// edits applied on top.
	Data *discordgo.InteractionResponseData
	// Files are all files uploaded with the callback, @original edits and
	// followups, in order.
	Files     []File
	Followups []*discordgo.Message
	// Latency is the time from writing INTERACTION_CREATE to receiving the
	// callback request.
	Latency time.Duration
	// Message is the @original message as it stood (for component
	// interactions answered with types 6 or 7, the message of the
	// component). Nil for autocomplete and modal replies, or when deleted.
	Message *discordgo.Message
	// Deleted reports that the bot deleted @original.
	Deleted bool
}

// Ephemeral reports whether the reply is only visible to the invoking user.
func (r *Reply) Ephemeral() bool {
	return r.Data != nil && r.Data.Flags&discordgo.MessageFlagsEphemeral != 0
}

// Text is the visible text of the reply for assertions: content, embed
// titles, descriptions, field names and values, footers and text display
// components of Data, then the same for each followup, joined by "\n".
func (r *Reply) Text() string {
	var parts []string
	if r.Data != nil {
		parts = appendText(parts, r.Data.Content, r.Data.Embeds, r.Data.Components)
	}
	for _, f := range r.Followups {
		parts = appendText(parts, f.Content, f.Embeds, f.Components)
	}
	return strings.Join(parts, "\n")
}

func appendText(parts []string, content string, embeds []*discordgo.MessageEmbed, comps []discordgo.MessageComponent) []string {
	add := func(s string) {
		if s != "" {
			parts = append(parts, s)
		}
	}
	add(content)
	for _, e := range embeds {
		if e == nil {
			continue
		}
		if e.Author != nil {
			add(e.Author.Name)
		}
		add(e.Title)
		add(e.Description)
		for _, f := range e.Fields {
			add(f.Name)
			add(f.Value)
		}
		if e.Footer != nil {
			add(e.Footer.Text)
		}
	}
	walkComponents(comps, func(c discordgo.MessageComponent) {
		if td, ok := c.(discordgo.TextDisplay); ok {
			add(td.Content)
		}
	})
	return parts
}

// Buttons returns the buttons in Data's components, flattened.
func (r *Reply) Buttons() []discordgo.Button {
	if r.Data == nil {
		return nil
	}
	return buttonsOf(r.Data.Components)
}

// TextInputs returns the text inputs of a modal reply (type 9), flattened.
func (r *Reply) TextInputs() []discordgo.TextInput {
	if r.Data == nil {
		return nil
	}
	var out []discordgo.TextInput
	walkComponents(r.Data.Components, func(c discordgo.MessageComponent) {
		if ti, ok := c.(discordgo.TextInput); ok {
			out = append(out, ti)
		}
	})
	return out
}

func buttonsOf(comps []discordgo.MessageComponent) []discordgo.Button {
	var out []discordgo.Button
	walkComponents(comps, func(c discordgo.MessageComponent) {
		if b, ok := c.(discordgo.Button); ok {
			out = append(out, b)
		}
	})
	return out
}

// walkComponents visits every component, depth first, as values.
func walkComponents(comps []discordgo.MessageComponent, visit func(discordgo.MessageComponent)) {
	for _, c := range comps {
		c = deref(c)
		visit(c)
		switch v := c.(type) {
		case discordgo.ActionsRow:
			walkComponents(v.Components, visit)
		case discordgo.Section:
			walkComponents(v.Components, visit)
			if v.Accessory != nil {
				walkComponents([]discordgo.MessageComponent{v.Accessory}, visit)
			}
		case discordgo.Container:
			walkComponents(v.Components, visit)
		}
	}
}

func cloneReply(r *Reply) *Reply {
	cp := *r
	if r.Data != nil {
		d := *r.Data
		cp.Data = &d
	}
	cp.Files = slices.Clone(r.Files)
	cp.Followups = make([]*discordgo.Message, len(r.Followups))
	for i, f := range r.Followups {
		cp.Followups[i] = copyMessage(f)
	}
	if r.Message != nil {
		cp.Message = copyMessage(r.Message)
	}
	return &cp
}

// Pending is a dispatched interaction and what the bot did with it so far.
type Pending struct {
	s           *Server
	interaction *discordgo.Interaction

	// Guarded by s.mu.
	dispatchedAt time.Time
	acked        bool
	callbacks    int    // callbacks received, accepted or not
	final        *Reply // set once the answer is final
	reply        Reply  // the answer as it develops
	original     *discordgo.Message
	files        map[string][]File // message id → files uploaded with it
	log          []string
}

// Interaction returns the interaction as dispatched.
func (p *Pending) Interaction() *discordgo.Interaction {
	cp := *p.interaction
	return &cp
}

// Callbacks is how many times the bot tried to answer: every callback
// received for this interaction (over REST or, for HTTP delivery, in the
// response body), including refused ones. An interaction answered exactly
// once has 1.
func (p *Pending) Callbacks() int {
	p.s.mu.Lock()
	defer p.s.mu.Unlock()
	return p.callbacks
}

// Reply returns the answer as it stands now, final or not, including
// followups and edits made after it became final.
func (p *Pending) Reply() *Reply {
	p.s.mu.Lock()
	defer p.s.mu.Unlock()
	return p.currentLocked()
}

func (p *Pending) currentLocked() *Reply {
	r := cloneReply(&p.reply)
	if p.original != nil && !p.reply.Deleted {
		r.Message = copyMessage(p.original)
	}
	return r
}

func (p *Pending) logf(at time.Time, format string, args ...any) {
	offset := "?"
	if !p.dispatchedAt.IsZero() {
		offset = "+" + at.Sub(p.dispatchedAt).Round(time.Microsecond).String()
	}
	p.log = append(p.log, fmt.Sprintf("%-10s %s", offset, fmt.Sprintf(format, args...)))
}

// finishLocked freezes the final reply and wakes Wait.
func (p *Pending) finishLocked() {
	if p.final == nil {
		p.final = p.currentLocked()
	}
}

// Wait waits for the bot's final answer. It gives up as soon as the
// interaction deadline has passed without an accepted acknowledgement, and
// otherwise after timeout.
func (p *Pending) Wait(timeout time.Duration) (*Reply, error) {
	s := p.s
	start := time.Now()
	s.mu.Lock()
	ackBy := p.dispatchedAt.Add(s.opts.InteractionDeadline + ackGrace)
	s.mu.Unlock()

	s.waitUntil(min(timeout, time.Until(ackBy)), func() bool { return p.acked })
	s.mu.Lock()
	acked := p.acked
	s.mu.Unlock()
	if !acked {
		if time.Since(start) >= timeout {
			return nil, p.failure(fmt.Sprintf("no acknowledgement within %v", timeout))
		}
		return nil, p.failure(fmt.Sprintf("no valid acknowledgement within the %v interaction deadline", s.opts.InteractionDeadline))
	}
	if !s.waitUntil(timeout-time.Since(start), func() bool { return p.final != nil }) {
		s.mu.Lock()
		typ := p.reply.Type
		s.mu.Unlock()
		return nil, p.failure(fmt.Sprintf("acknowledged with deferred type %d, but no @original edit or followup followed within %v", typ, timeout))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloneReply(p.final), nil
}

// failure describes a failed interaction with everything the fake saw.
func (p *Pending) failure(reason string) error {
	s := p.s
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "discordsim: interaction %s: %s\nwhat happened:\n", describeInteraction(p.interaction), reason)
	for _, l := range p.log {
		fmt.Fprintf(&b, "  %s\n", l)
	}
	b.WriteString("REST requests since dispatch:\n")
	b.WriteString(s.requestLogLocked(p.dispatchedAt))
	return errors.New(b.String())
}

func describeInteraction(i *discordgo.Interaction) string {
	switch d := i.Data.(type) {
	case discordgo.ApplicationCommandInteractionData:
		kind := "command"
		if i.Type == discordgo.InteractionApplicationCommandAutocomplete {
			kind = "autocomplete"
		}
		return fmt.Sprintf("%s %q (id %s)", kind, d.Name, i.ID)
	case discordgo.MessageComponentInteractionData:
		return fmt.Sprintf("component %q (id %s)", d.CustomID, i.ID)
	case discordgo.ModalSubmitInteractionData:
		return fmt.Sprintf("modal submit %q (id %s)", d.CustomID, i.ID)
	}
	return fmt.Sprintf("type %d (id %s)", i.Type, i.ID)
}

// Start dispatches an interaction to the newest ready session. It fills in
// ID, Token, AppID, Version and Locale when empty. It does not wait; see
// Pending.Wait.
func (s *Server) Start(i *discordgo.Interaction) (*Pending, error) {
	pr, err := s.Prepare(i)
	if err != nil {
		return nil, err
	}
	return s.Dispatch(pr)
}

// Prepared is an interaction filled in and encoded, ready to Dispatch.
// Preparing a batch first lets a benchmark time the dispatch → callback
// path alone, without the fake's own encoding work in between.
type Prepared struct {
	pending *Pending
	payload []byte
}

// Payload is the interaction as encoded for delivery: the d of
// INTERACTION_CREATE, or the body of an HTTP delivery.
func (pr *Prepared) Payload() []byte { return slices.Clone(pr.payload) }

// Prepare fills in what Start would (id, token, application id, version,
// locale) and encodes the INTERACTION_CREATE payload.
func (s *Server) Prepare(i *discordgo.Interaction) (*Prepared, error) {
	if i == nil || i.Type == 0 {
		return nil, errors.New("discordsim: Start needs an interaction with a type")
	}
	cp := *i
	if cp.ID == "" {
		cp.ID = s.ids.next()
	}
	if cp.Token == "" {
		cp.Token = newInteractionToken(cp.ID)
	}
	if cp.AppID == "" {
		cp.AppID = s.AppID()
	}
	if cp.Version == 0 {
		cp.Version = 1
	}
	if cp.Locale == "" {
		cp.Locale = discordgo.EnglishUS
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var channel *discordgo.Channel
	if cs := s.channels[cp.ChannelID]; cs != nil {
		channel = copyChannel(cs.ch)
	}
	payload, err := encodeInteraction(&cp, channel)
	if err != nil {
		return nil, fmt.Errorf("discordsim: encoding interaction: %w", err)
	}
	return &Prepared{pending: &Pending{s: s, interaction: &cp}, payload: payload}, nil
}

// Dispatch sends a prepared interaction to the connected bot: over the
// gateway, to the newest ready session of the shard its guild belongs to
// (shard 0 for a DM), or, after DeliverOverHTTP, as a signed POST. A
// Prepared is dispatched once.
func (s *Server) Dispatch(pr *Prepared) (*Pending, error) {
	p := pr.pending
	s.mu.Lock()
	if url := s.interactionsURL; url != "" {
		if s.interactions[p.interaction.ID] != nil {
			s.mu.Unlock()
			return nil, errors.New("discordsim: interaction dispatched twice")
		}
		s.interactions[p.interaction.ID] = p
		s.tokens[p.interaction.Token] = p
		p.dispatchedAt = time.Now()
		p.logf(p.dispatchedAt, "interaction POSTed to %s", url)
		s.notifyLocked()
		s.mu.Unlock()
		go s.deliverHTTP(p, url, pr.payload)
		return p, nil
	}
	conn := s.readyConnForLocked(p.interaction.GuildID)
	if conn == nil {
		s.mu.Unlock()
		return nil, ErrNotConnected
	}
	if s.interactions[p.interaction.ID] != nil {
		s.mu.Unlock()
		return nil, errors.New("discordsim: interaction dispatched twice")
	}
	sess := conn.session
	s.interactions[p.interaction.ID] = p
	s.tokens[p.interaction.Token] = p
	s.mu.Unlock()

	sess.mu.Lock()
	sess.sendLocked("INTERACTION_CREATE", pr.payload, func() {
		s.mu.Lock()
		p.dispatchedAt = time.Now()
		p.logf(p.dispatchedAt, "INTERACTION_CREATE dispatched (seq %d)", sess.seq)
		s.mu.Unlock()
	})
	sess.mu.Unlock()
	return p, nil
}

// ForgetAnswered drops every interaction whose answer is final (its
// Pending, @original and followups) and the request log, as Discord lets an
// interaction token expire. Later calls with a forgotten token are answered
// as for an expired one: 404 Unknown interaction (10062) or Unknown Webhook
// (10015). Long benchmarks call it between bursts, so the fake's own
// records don't grow with every interaction and its garbage collection
// doesn't slow the bot it shares the process with. Interactions still
// waiting for their answer are kept.
func (s *Server) ForgetAnswered() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, p := range s.interactions {
		if p.final == nil {
			continue
		}
		delete(s.interactions, id)
		delete(s.tokens, p.interaction.Token)
	}
	s.requests = nil
}

func newInteractionToken(id string) string {
	b := make([]byte, 48)
	_, _ = rand.Read(b)
	return "aW50ZXJhY3Rpb246" + base64.RawURLEncoding.EncodeToString([]byte(id+":")) + base64.RawURLEncoding.EncodeToString(b)
}

// Do dispatches an interaction (from one of the Build* methods) once a
// gateway session is ready, and waits for the bot's final answer. Its
// error tells the story of what went wrong, as a test failure would.
// The test helpers below are Build* followed by Do.
func (s *Server) Do(i *discordgo.Interaction) (*Reply, error) {
	start := time.Now()
	if !s.waitUntil(waitTimeout, func() bool { return s.interactionsURL != "" || s.readyConnForLocked(i.GuildID) != nil }) {
		return nil, fmt.Errorf("discordsim: interaction %s: no gateway session became ready within %v", describeInteraction(i), waitTimeout)
	}
	p, err := s.Start(i)
	if err != nil {
		return nil, fmt.Errorf("discordsim: interaction %s: %w", describeInteraction(i), err)
	}
	return p.Wait(waitTimeout - time.Since(start))
}

// Complete is Do for an autocomplete interaction: it returns the choices
// the bot offered.
func (s *Server) Complete(i *discordgo.Interaction) ([]*discordgo.ApplicationCommandOptionChoice, error) {
	r, err := s.Do(i)
	if err != nil {
		return nil, err
	}
	if r.Type != discordgo.InteractionApplicationCommandAutocompleteResult {
		return nil, fmt.Errorf("discordsim: %s answered with callback type %d, want 8", describeInteraction(i), r.Type)
	}
	return r.Data.Choices, nil
}

// run is Do for the test helpers, failing the test on an error.
func (s *Server) run(t testing.TB, i *discordgo.Interaction) *Reply {
	t.Helper()
	r, err := s.Do(i)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Interact runs a slash command as a member would type it, e.g.
// `/checkin mood:4 note:"slept well"`, and returns the bot's final answer.
// guildID "" means a DM with the bot. See BuildCommand for the syntax.
func (s *Server) Interact(t testing.TB, guildID, userID, command string) *Reply {
	t.Helper()
	i, err := s.BuildCommand(guildID, userID, command)
	if err != nil {
		t.Fatal(err)
	}
	return s.run(t, i)
}

// InteractIn is Interact from a given channel (or thread); the guild is the
// channel's.
func (s *Server) InteractIn(t testing.TB, channelID, userID, command string) *Reply {
	t.Helper()
	i, err := s.BuildCommandIn(channelID, userID, command)
	if err != nil {
		t.Fatal(err)
	}
	return s.run(t, i)
}

// Autocomplete sends an autocomplete interaction for a partly typed
// command; the last option given is the focused one and its value may be
// partial or empty (`/preferences timezone zone:Europe/Ber`). It returns the
// choices the bot offered.
func (s *Server) Autocomplete(t testing.TB, guildID, userID, command string) []*discordgo.ApplicationCommandOptionChoice {
	t.Helper()
	i, err := s.BuildAutocomplete(guildID, userID, command)
	if err != nil {
		t.Fatal(err)
	}
	choices, err := s.Complete(i)
	if err != nil {
		t.Fatal(err)
	}
	return choices
}

// Click presses a button. With msg nil, the button sits on a synthetic bot
// message; otherwise msg must contain an enabled button with that custom id
// (Reply.Message is a good msg).
func (s *Server) Click(t testing.TB, guildID, userID, customID string, msg *discordgo.Message) *Reply {
	t.Helper()
	i, err := s.BuildComponent(guildID, userID, customID, nil, msg)
	if err != nil {
		t.Fatal(err)
	}
	return s.run(t, i)
}

// Select picks values in a select menu, like Click.
func (s *Server) Select(t testing.TB, guildID, userID, customID string, values []string, msg *discordgo.Message) *Reply {
	t.Helper()
	if values == nil {
		values = []string{}
	}
	i, err := s.BuildComponent(guildID, userID, customID, values, msg)
	if err != nil {
		t.Fatal(err)
	}
	return s.run(t, i)
}

// SubmitModal submits a modal with text input values by custom id. If the
// bot showed this user a modal with that custom id, the submission follows
// its layout and is checked against it (unknown fields, required fields,
// lengths); otherwise the fields are sent in name order.
func (s *Server) SubmitModal(t testing.TB, guildID, userID, customID string, fields map[string]string) *Reply {
	t.Helper()
	i, err := s.BuildModalSubmit(guildID, userID, customID, fields)
	if err != nil {
		t.Fatal(err)
	}
	return s.run(t, i)
}

// MessageCommand runs a message context menu command on target.
func (s *Server) MessageCommand(t testing.TB, guildID, userID, name string, target *discordgo.Message) *Reply {
	t.Helper()
	i, err := s.BuildMessageCommand(guildID, userID, name, target)
	if err != nil {
		t.Fatal(err)
	}
	return s.run(t, i)
}

// UserCommand runs a user context menu command on the target user.
func (s *Server) UserCommand(t testing.TB, guildID, userID, name, targetUserID string) *Reply {
	t.Helper()
	i, err := s.BuildUserCommand(guildID, userID, name, targetUserID)
	if err != nil {
		t.Fatal(err)
	}
	return s.run(t, i)
}
