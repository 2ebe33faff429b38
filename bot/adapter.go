package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/kindred-bot/kindred/commands"
)

// Replies the adapter gives when a handler could not.
const (
	genericErrorText = "Something went wrong on our side, and nothing was changed. Please try again in a moment."
	unknownRouteText = "I don't know that one (it may be from an older version of Kindred). Type `/` to see what I can do."
	stoppingText     = "Kindred is restarting right now. Please try again in a minute."
)

// responder is the part of discordgo's Session the adapter answers with.
type responder interface {
	InteractionRespond(i *discordgo.Interaction, resp *discordgo.InteractionResponse, options ...discordgo.RequestOption) error
	InteractionResponseEdit(i *discordgo.Interaction, edit *discordgo.WebhookEdit, options ...discordgo.RequestOption) (*discordgo.Message, error)
	InteractionResponseDelete(i *discordgo.Interaction, options ...discordgo.RequestOption) error
	FollowupMessageCreate(i *discordgo.Interaction, wait bool, data *discordgo.WebhookParams, options ...discordgo.RequestOption) (*discordgo.Message, error)
	RequestWithBucketID(method, urlStr string, data any, bucketID string, options ...discordgo.RequestOption) ([]byte, error)
}

// adapter is the one place that turns Discord interactions into handler
// calls and handler results into Discord replies. It recovers panics,
// defers when a handler is slow, maps errors to ephemeral messages and
// keeps every reply from pinging anyone unless the handler says so.
type adapter struct {
	router  *commands.Router
	log     *slog.Logger
	metrics *metrics

	// deferAfter is how long a handler may take before the adapter
	// acknowledges the interaction itself; Discord allows 3 s in all.
	deferAfter time.Duration
	// handlerTimeout bounds a handler's work; the interaction token lives 15 minutes.
	handlerTimeout time.Duration

	base context.Context // cancelled only when the handlers' grace period is over

	// memberLeft records that a member left a server; set with
	// discord.members_intent, when onMemberRemove is registered.
	memberLeft func(ctx context.Context, guildID, userID string) error

	mu       sync.Mutex // guards stopping against inflight.Add, as WaitGroup requires
	stopping bool
	inflight sync.WaitGroup
}

func newAdapter(base context.Context, router *commands.Router, log *slog.Logger, m *metrics) *adapter {
	return &adapter{
		router:         router,
		log:            log,
		metrics:        m,
		deferAfter:     2 * time.Second,
		handlerTimeout: 10 * time.Minute,
		base:           base,
	}
}

// stop makes new interactions get a polite "restarting" answer and waits
// up to grace for running handlers. It reports whether they all finished.
func (a *adapter) stop(grace time.Duration) bool {
	a.mu.Lock()
	a.stopping = true
	a.mu.Unlock()
	done := make(chan struct{})
	go func() {
		a.inflight.Wait()
		close(done)
	}()
	select {
	case <-done:
		return true
	case <-time.After(grace):
		return false
	}
}

// begin counts an interaction as running, unless Kindred is stopping.
func (a *adapter) begin() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.stopping {
		return false
	}
	a.inflight.Add(1)
	return true
}

// onInteraction is registered with discordgo, which calls it on its own
// goroutine per event and has no recover of its own.
func (a *adapter) onInteraction(s *discordgo.Session, ev *discordgo.InteractionCreate) {
	if ev == nil || ev.Interaction == nil {
		a.log.Warn("malformed interaction: no payload")
		return
	}
	a.handle(s, ev.Interaction)
}

// memberEventTimeout bounds recording one member's departure: a single
// write transaction.
const memberEventTimeout = 30 * time.Second

// onMemberRemove is registered with discordgo when discord.members_intent
// is on: a member left a server, or was kicked or banned from it. Like an
// interaction it counts as running work for a graceful shutdown; one that
// arrives while Kindred stops is not lost for good, as Discord's 10007
// and 50278 report the departure later.
func (a *adapter) onMemberRemove(_ *discordgo.Session, ev *discordgo.GuildMemberRemove) {
	if ev == nil || ev.Member == nil || ev.User == nil || ev.GuildID == "" || ev.User.ID == "" {
		a.log.Warn("malformed GUILD_MEMBER_REMOVE")
		return
	}
	log := a.log.With("guild", ev.GuildID, "user", ev.User.ID)
	if !a.begin() {
		log.Info("member left while Kindred stops; not recorded now")
		return
	}
	defer a.inflight.Done()
	defer func() {
		if v := recover(); v != nil {
			log.Error("panic recording a member leaving", "panic", v, "stack", string(debug.Stack()))
		}
	}()
	ctx, cancel := context.WithTimeout(a.base, memberEventTimeout)
	defer cancel()
	if err := a.memberLeft(ctx, ev.GuildID, ev.User.ID); err != nil {
		log.Error("could not record a member leaving", "err", err)
	}
}

type result struct {
	resp *commands.Response
	err  error
}

type panicError struct {
	value any
	stack []byte
}

func (p *panicError) Error() string { return fmt.Sprintf("panic: %v", p.value) }

// exchange is one interaction on its way through the adapter: what
// arrived, where it is routed, and what is logged and counted with it.
type exchange struct {
	s        responder
	i        *discordgo.Interaction
	req      *commands.Request
	route    *commands.Route // nil for an unknown command or autocomplete
	label    string          // the route's metrics label
	kind     string          // the interaction type's metrics label
	log      *slog.Logger
	received time.Time
}

// handle answers one interaction: decode and route it, admit it unless
// Kindred is stopping, run its handler (deferring if it is slow), reply.
func (a *adapter) handle(s responder, i *discordgo.Interaction) {
	received := time.Now()
	defer a.recoverAnswering(i)

	x := a.decode(s, i, received)
	if x == nil {
		return
	}
	if !a.begin() {
		a.refuse(x, outcomeShuttingDown, stoppingText)
		return
	}
	defer a.inflight.Done()
	if x.route == nil {
		x.log.Warn("no handler for interaction", "name", x.req.Route)
		a.refuse(x, outcomeUnknownRoute, unknownRouteText)
		return
	}

	ctx, cancel := context.WithTimeout(a.base, a.handlerTimeout)
	defer cancel()
	r, deferred := a.run(ctx, x)
	a.answer(x, r, deferred)
}

// recoverAnswering is deferred by handle: a panic there (outside the
// handler) would otherwise kill the whole process.
func (a *adapter) recoverAnswering(i *discordgo.Interaction) {
	if v := recover(); v != nil {
		a.log.Error("panic while answering an interaction", "interaction", i.ID, "panic", v, "stack", string(debug.Stack()))
	}
}

// decode reads the interaction and finds its route. A malformed
// interaction is logged, counted and, where Discord allows an answer,
// answered here; decode then returns nil.
func (a *adapter) decode(s responder, i *discordgo.Interaction, received time.Time) *exchange {
	req, err := buildRequest(i)
	if err != nil {
		a.log.Warn("malformed interaction", "interaction", i.ID, "type", int(i.Type), "err", err)
		a.metrics.count("", "", outcomeMalformed)
		if i.Type != discordgo.InteractionApplicationCommandAutocomplete && i.ID != "" && i.Token != "" {
			a.send(s, i, immediateReply(commands.Ephemeral(genericErrorText), true))
		}
		return nil
	}
	kind := req.Type.String()
	route := a.router.Find(req.Type, req.Route)
	label := "unknown" // a fixed label: custom ids would make metrics unbounded
	if route != nil {
		label = route.Name
	}
	return &exchange{
		s: s, i: i, req: req, route: route, label: label, kind: kind, received: received,
		log: a.log.With("route", label, "kind", kind, "interaction", i.ID, "guild", req.GuildID),
	}
}

// refuse answers an interaction whose handler won't run: autocomplete
// with no choices, anything else with text, privately.
func (a *adapter) refuse(x *exchange, outcome, text string) {
	a.metrics.count(x.label, x.kind, outcome)
	if x.req.Type == commands.AutocompleteInteraction {
		a.send(x.s, x.i, autocompleteReply(nil))
	} else {
		a.send(x.s, x.i, immediateReply(commands.Ephemeral(text), true))
	}
}

// run calls the route's handler and, when it is still working after
// deferAfter, acknowledges the interaction so Discord keeps waiting. It
// reports whether it did.
func (a *adapter) run(ctx context.Context, x *exchange) (result, bool) {
	done := callHandler(ctx, x.route, x.req)
	timer := time.NewTimer(a.deferAfter)
	defer timer.Stop()
	select {
	case r := <-done:
		return r, false
	case <-timer.C:
	}
	if x.req.Type == commands.AutocompleteInteraction {
		// Autocomplete can't be deferred; a late answer is simply dropped by Discord.
		return <-done, false
	}
	a.acknowledge(x)
	return <-done, true
}

// callHandler runs the handler on its own goroutine, so that a slow one
// can be deferred; a panic in it comes back as a *panicError.
func callHandler(ctx context.Context, route *commands.Route, req *commands.Request) <-chan result {
	done := make(chan result, 1)
	go func() {
		defer func() {
			if v := recover(); v != nil {
				done <- result{err: &panicError{value: v, stack: debug.Stack()}}
			}
		}()
		resp, err := route.Handler(ctx, req)
		done <- result{resp: resp, err: err}
	}()
	return done
}

// acknowledge defers the reply: a component's message stays as it is
// (type 6); anything else shows "thinking…" (type 5), privately unless
// the route is Public.
func (a *adapter) acknowledge(x *exchange) {
	ack := &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource}
	if x.req.Type == commands.ComponentInteraction {
		ack.Type = discordgo.InteractionResponseDeferredMessageUpdate
	} else if !x.route.Public {
		ack.Data = &discordgo.InteractionResponseData{Flags: discordgo.MessageFlagsEphemeral}
	}
	if err := x.s.InteractionRespond(x.i, ack); err != nil {
		x.log.Error("could not defer interaction", "err", err)
	}
	a.metrics.observe(x.kind, time.Since(x.received))
}

// answer sends the handler's result, filling in the deferral if there was
// one, and counts the outcome.
func (a *adapter) answer(x *exchange, r result, deferred bool) {
	outcome, resp := a.response(x.log, r)
	var sendErr error
	if deferred {
		sendErr = a.finishDeferred(x.s, x.i, x.req.Type, x.route, resp)
	} else {
		sendErr = a.send(x.s, x.i, a.reply(x.req.Type, x.route, resp))
		a.metrics.observe(x.kind, time.Since(x.received))
	}
	if sendErr != nil {
		outcome = outcomeSendFailed
	}
	a.metrics.count(x.label, x.kind, outcome)
}

// response maps a handler's result to its outcome and to what the member
// sees: a user error's own text, or the generic apology for anything
// else, fitted to Discord's limits.
func (a *adapter) response(log *slog.Logger, r result) (string, *commands.Response) {
	outcome := a.outcome(log, r)
	resp := r.resp
	if r.err != nil {
		resp = commands.Ephemeral(genericErrorText)
		if ue, ok := commands.AsUserError(r.err); ok {
			resp = commands.Ephemeral(ue.Message)
		}
	}
	if resp == nil {
		log.Error("handler returned neither a response nor an error")
		outcome, resp = outcomeError, commands.Ephemeral(genericErrorText)
	}
	return outcome, commands.FitResponse(resp)
}

// outcome logs what went wrong, if anything, and names it for metrics.
// User errors are expected and logged at debug only; their text may echo
// what a member typed, so it is not logged.
func (a *adapter) outcome(log *slog.Logger, r result) string {
	var p *panicError
	switch {
	case r.err == nil:
		return outcomeOK
	case errors.As(r.err, &p):
		log.Error("handler panicked", "panic", fmt.Sprint(p.value), "stack", string(p.stack))
		return outcomePanic
	default:
		if _, ok := commands.AsUserError(r.err); ok {
			log.Debug("user error")
			return outcomeUserError
		}
		log.Error("handler failed", "err", r.err)
		return outcomeError
	}
}

// reply turns a response into an immediate interaction callback.
func (a *adapter) reply(kind commands.InteractionType, route *commands.Route, resp *commands.Response) *discordgo.InteractionResponse {
	switch {
	case kind == commands.AutocompleteInteraction:
		return autocompleteReply(resp.Choices)
	case resp.Modal != nil:
		return &discordgo.InteractionResponse{
			Type: discordgo.InteractionResponseModal,
			Data: &discordgo.InteractionResponseData{CustomID: resp.Modal.CustomID, Title: resp.Modal.Title, Components: resp.Modal.Components},
		}
	case kind == commands.ComponentInteraction && resp.Update:
		r := immediateReply(resp, false)
		r.Type = discordgo.InteractionResponseUpdateMessage
		r.Data.Flags = 0
		return r
	default:
		return immediateReply(resp, ephemeral(route, resp))
	}
}

// finishDeferred sends a slow handler's result after the adapter has
// already acknowledged the interaction.
func (a *adapter) finishDeferred(s responder, i *discordgo.Interaction, kind commands.InteractionType, route *commands.Route, resp *commands.Response) error {
	if resp.Modal != nil {
		// A modal must be the first answer; after a deferral it can't be shown.
		a.log.Error("handler opened a modal too late to show it", "route", route.Name)
		resp = commands.Ephemeral(genericErrorText)
	}
	wantEphemeral := ephemeral(route, resp)
	switch {
	case kind == commands.ComponentInteraction && resp.Update:
		_, err := s.InteractionResponseEdit(i, webhookEdit(resp))
		return a.logSend(err, i)
	case kind == commands.ComponentInteraction:
		// The acknowledgement left the clicked message as it was; answer in a new one.
		return a.followup(s, i, resp, wantEphemeral)
	case wantEphemeral == !route.Public:
		// The deferral's visibility matches the answer's: fill it in.
		_, err := s.InteractionResponseEdit(i, webhookEdit(resp))
		return a.logSend(err, i)
	default:
		// A public deferral that must end in a private answer (an error, say):
		// remove the "thinking…" placeholder and answer privately.
		if err := s.InteractionResponseDelete(i); err != nil {
			a.logSend(err, i)
		}
		return a.followup(s, i, resp, wantEphemeral)
	}
}

func (a *adapter) followup(s responder, i *discordgo.Interaction, resp *commands.Response, eph bool) error {
	// A follow-up carries what an immediate reply would.
	d := immediateReply(resp, eph).Data
	params := &discordgo.WebhookParams{Content: d.Content, Embeds: d.Embeds, Components: d.Components, Files: d.Files,
		AllowedMentions: d.AllowedMentions, Flags: d.Flags}
	_, err := s.FollowupMessageCreate(i, true, params)
	return a.logSend(err, i)
}

func (a *adapter) send(s responder, i *discordgo.Interaction, r *discordgo.InteractionResponse) error {
	if r.Type == discordgo.InteractionApplicationCommandAutocompleteResult {
		return a.logSend(respondChoices(s, i, r.Data.Choices), i)
	}
	return a.logSend(s.InteractionRespond(i, r), i)
}

// respondChoices answers an autocomplete request. Discord requires the
// choices key, even when nothing matched ("choices": []), and discordgo's
// InteractionResponseData leaves an empty list out (omitempty), so this
// one callback is sent with a body of its own.
func respondChoices(s responder, i *discordgo.Interaction, choices []*discordgo.ApplicationCommandOptionChoice) error {
	if choices == nil {
		choices = []*discordgo.ApplicationCommandOptionChoice{}
	}
	type data struct {
		Choices []*discordgo.ApplicationCommandOptionChoice `json:"choices"`
	}
	body := struct {
		Type discordgo.InteractionResponseType `json:"type"`
		Data data                              `json:"data"`
	}{discordgo.InteractionApplicationCommandAutocompleteResult, data{choices}}
	endpoint := discordgo.EndpointInteractionResponse(i.ID, i.Token)
	_, err := s.RequestWithBucketID(http.MethodPost, endpoint, body, endpoint)
	return err
}

func (a *adapter) logSend(err error, i *discordgo.Interaction) error {
	if err != nil {
		a.log.Error("could not answer interaction", "interaction", i.ID, "err", err)
	}
	return err
}

// ephemeral decides visibility: only Public routes may answer publicly,
// and even they answer privately when the response asks to.
func ephemeral(route *commands.Route, resp *commands.Response) bool {
	return !route.Public || resp.Ephemeral
}

func immediateReply(resp *commands.Response, eph bool) *discordgo.InteractionResponse {
	data := &discordgo.InteractionResponseData{
		Content:         resp.Content,
		Embeds:          resp.Embeds,
		Components:      resp.Components,
		Files:           resp.Files,
		AllowedMentions: allowedMentions(resp),
	}
	if eph {
		data.Flags = discordgo.MessageFlagsEphemeral
	}
	return &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource, Data: data}
}

func autocompleteReply(choices []*discordgo.ApplicationCommandOptionChoice) *discordgo.InteractionResponse {
	if choices == nil {
		choices = []*discordgo.ApplicationCommandOptionChoice{}
	}
	return &discordgo.InteractionResponse{
		Type: discordgo.InteractionApplicationCommandAutocompleteResult,
		Data: &discordgo.InteractionResponseData{Choices: choices},
	}
}

func webhookEdit(resp *commands.Response) *discordgo.WebhookEdit {
	content, embeds, components := resp.Content, resp.Embeds, resp.Components
	if embeds == nil {
		embeds = []*discordgo.MessageEmbed{}
	}
	if components == nil {
		components = []discordgo.MessageComponent{}
	}
	return &discordgo.WebhookEdit{
		Content:         &content,
		Embeds:          &embeds,
		Components:      &components,
		Files:           resp.Files,
		AllowedMentions: allowedMentions(resp),
	}
}

// allowedMentions is "no one" unless the handler deliberately chose whom
// the message may ping.
func allowedMentions(resp *commands.Response) *discordgo.MessageAllowedMentions {
	if resp.AllowedMentions != nil {
		return resp.AllowedMentions
	}
	return &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}
}
