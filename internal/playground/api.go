// The playground's HTTP API: the contract between this server and the page
// in web/ (index.html, app.js, style.css, embedded and served at / and
// /static/...). It is kept here, word for word, so it lives with the code.
//
// The playground is `kindred playground [--listen ADDR] [--db PATH]` (also `go run . playground`):
// the real Kindred (bot.Run, unmodified) against the in-repo Discord simulator
// (`internal/discordsim`, in-process), plus a web page that behaves like a small Discord client.
// Go code: `internal/playground/` (server, API, demo community, time travel). The page:
// `internal/playground/web/` (index.html, app.js, style.css), embedded with `//go:embed web`,
// served at `/` (index.html) and `/static/...` (app.js, style.css). No build step, no framework,
// plain ES2020 JS, keyboard usable, readable at 380 px width.
//
// All API calls are JSON (request and response, UTF-8). Every request names the member the page is
// acting as: `as` = a user id (query parameter for GET, body field for POST). Errors: HTTP 4xx/5xx
// with `{"error": "text for the person"}`.
//
// ## GET /api/state?as=USER
// (Without `as`, the first member the page may act as: a page opened for the first time learns
// the ids here.)
// The world as this member sees it:
//	{
//	  "now": "2026-12-02T10:31:00Z",          // Kindred's clock (time travel moves it)
//	  "me": "USER",
//	  "bot": {"id": "...", "name": "Kindred"},
//	  "guild": {"id": "...", "name": "Kindred Playground"},
//	  "members": [ {"id": "...", "name": "Riley", "role": "Member", "color": "#5b8def", "actable": true, "bot": false} ],
//	  "roles":   [ {"id": "...", "name": "Facilitator", "color": "#..."} ],
//	  "channels": [
//	    {"id": "...", "name": "general", "kind": "text",   "parent_id": "",    "topic": "..."},
//	    {"id": "...", "name": "Buddies · Evening Circle · round 1 · 1", "kind": "thread", "parent_id": "<channel id>", "private": true},
//	    {"id": "...", "name": "Kindred", "kind": "dm"}      // this member's DM with Kindred, if any
//	  ],                                       // only channels this member can see: private threads only if a member of them
//	  "commands": [ ...ApplicationCommand objects exactly as Kindred registered them (discordgo JSON: name, description, type, options[] with type, name, description, required, choices, autocomplete, min/max_value, max_length; subcommands as options of type 1, groups type 2)... ],
//	  "tour": [ {"title": "Set up the server", "text": "one sentence", "as": "USER", "channel": "general", "line": "/kindred setup ..."} ],
//	  "version": 123                           // increases on every change
//	}
// Channel kinds: `text`, `thread` (parent_id set; `private` for a private thread, else a public
// one such as an anonymous share's replies), `dm`. Members: at least Riley
// (Member), Sam (Facilitator), Morgan (Moderator), Alex (Owner), Jordan (Peer supporter), and a
// few more plain members for pairing; `actable` true for those the page may act as; the bot appears with `bot: true`.
//
// ## GET /api/channels/{id}/messages?as=USER
// This channel's messages, oldest first, as this member sees them: everyone's messages plus this
// member's own ephemeral replies in this channel (never another member's). Each item is a discordgo
// Message in Discord's JSON shape, plus two fields:
//	{ "id": "...", "channel_id": "...", "author": {"id": "...", "username": "Kindred", "bot": true},
//	  "content": "text with <@id>, <#id>, <@&id>, <t:unix:F> markup",
//	  "embeds": [ {"title","description","color","fields":[{"name","value","inline"}],"footer":{"text"},"image":{"url":"attachment://mood.png"}} ],
//	  "components": [ {"type":1,"components":[{"type":2,"style":1,"label":"Going","custom_id":"...","disabled":false}, {"type":3,"custom_id":"...","placeholder":"...","options":[{"label","value","description"}]}]} ],
//	  "attachments": [ {"id": "...", "filename": "mood.png", "content_type": "image/png", "url": "/attachments/MSGID/mood.png?as=USER", "size": 1234} ],
//	  "timestamp": "RFC3339",
//	  "flags": 64,                               // 64 = ephemeral
//	  "ephemeral": true,                         // convenience: only this member sees it
//	  "interaction": {"name": "checkin", "user": {"id": "...", "username": "Riley"}}   // "Riley used /checkin", when it answers a command
//	}
// An embed image `attachment://NAME` refers to the message's attachment NAME; the page shows it
// inline (PNG). Other attachments are download links (`/attachments/MSGID/NAME?as=USER`, served with
// Content-Disposition attachment).
//
// ## POST /api/messages  {"as","channel_id","content"}
// Posts a plain message as the member (so there is something to report). → the message.
//
// ## POST /api/command  {"as","channel_id","line"}
// Runs a slash command typed as a line, exactly as the simulator's parser reads it:
// `/checkin mood:2 note:"a long day"`, `/group create name:"Evening Circle" ...`, users as `<@id>`
// or a member's name, channels as `<#id>` or `#name`, roles as `<@&id>` or `@name`. The server
// builds the interaction (checking the command and options against the registered definitions),
// delivers it to Kindred over the gateway and waits (up to 5 s) for Kindred's answer.
// → `{"ok": true, "message_id": "...", "channel_id": "...", "modal": null}`; when Kindred answers
// with a modal: `"modal": {"custom_id","title","components":[{"type":1,"components":[{"type":4,"custom_id","label","style","min_length","max_length","required","placeholder","value"}]}]}`.
// A line the parser refuses (unknown command, missing required option, bad value) →
// 400 `{"error": "…what is wrong…"}`, which the page shows under the composer.
//
// ## POST /api/autocomplete  {"as","channel_id","line","focused"}
// `line` is the command typed so far, `focused` the option being typed (its current value is in
// the line). → `{"choices": [{"name": "...", "value": "..."}]}` — Kindred's own answer, asked
// over the gateway like Discord does.
//
// ## POST /api/component  {"as","channel_id","message_id","custom_id","values":[...]}
// A button click (values empty) or a select. → same shape as /api/command (`modal` when Kindred
// answers with one).
//
// ## POST /api/modal  {"as","channel_id","custom_id","fields":{"input custom_id":"value"}}
// Submits a modal. → `{"ok": true}` or 400 with the error.
//
// ## POST /api/message-command  {"as","channel_id","message_id","name"}
// Runs a message context-menu command (Kindred's "Report to moderators") on a message. → same
// shape as /api/command (usually a modal).
//
// ## POST /api/time  {"skip": "1h" | "1d" | "1w" | "next"}
// Moves Kindred's clock ahead (never back) by that much, or to the next pending job's run time
// ("next"; an error `{"error":"nothing is scheduled"}` if none), then runs every job now due,
// through the same durable job queue Kindred uses in production, and waits until they are done.
// → `{"now": "RFC3339", "ran": 3}`.
//
// ## POST /api/reset
// Deletes the playground database and the simulator's world and starts over with the demo
// community (Kindred restarts against a fresh simulator). → `{"ok": true}`. The page reloads state.
//
// ## GET /api/events
// Server-sent events. `event: change` with `data: {"version": N}` whenever anything the page
// shows may have changed (a message posted/edited/deleted, a channel or thread created, a member
// added to a thread, the clock moved, a reset). The page then refetches /api/state and the open
// channel's messages. A comment line `: ping` every 15 s keeps it open.
//
// ## GET /attachments/{message_id}/{filename}?as=USER
// The file's bytes, with its content type, for a member who can see its message (404 for anyone
// else). PNG, JPEG, GIF and WebP are shown inline; anything else is a download.

package playground

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/kindred-bot/kindred/internal/discordsim"
)

//go:embed web
var webFiles embed.FS

const (
	// maxBody bounds a request body: a command line or a message, with room.
	maxBody = 64 << 10
	// maxContent is Discord's limit on a message a member types.
	maxContent = 2000
)

// Handler serves the page, its static files, the API and attachments.
func (p *Playground) Handler() http.Handler {
	web, err := fs.Sub(webFiles, "web")
	if err != nil {
		panic(err) // the embedded directory is part of the binary
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFileFS(w, r, web, "index.html")
	})
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(web)))
	mux.HandleFunc("GET /api/state", p.withWorld(p.state))
	mux.HandleFunc("GET /api/channels/{id}/messages", p.withWorld(p.messages))
	mux.HandleFunc("POST /api/messages", p.withWorld(p.postMessage))
	mux.HandleFunc("POST /api/command", p.withWorld(p.command))
	mux.HandleFunc("POST /api/autocomplete", p.withWorld(p.autocomplete))
	mux.HandleFunc("POST /api/component", p.withWorld(p.component))
	mux.HandleFunc("POST /api/modal", p.withWorld(p.modal))
	mux.HandleFunc("POST /api/message-command", p.withWorld(p.messageCommand))
	mux.HandleFunc("POST /api/time", p.withWorld(p.timeTravel))
	mux.HandleFunc("POST /api/reset", p.resetHandler)
	mux.HandleFunc("GET /api/events", p.events)
	mux.HandleFunc("GET /attachments/{message}/{filename}", p.attachment)
	return mux
}

// apiError is an answer for the person: HTTP status and text.
type apiError struct {
	status int
	text   string
}

func (e *apiError) Error() string { return e.text }

func badRequest(format string, args ...any) error {
	return &apiError{status: http.StatusBadRequest, text: fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) error {
	return &apiError{status: http.StatusNotFound, text: fmt.Sprintf(format, args...)}
}

// withWorld runs an API handler with the world held for reading (reset
// waits), writing its result as JSON and its error as {"error": ...}.
func (p *Playground) withWorld(h func(*world, *http.Request) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			// Only a same-origin page can send JSON without a CORS
			// preflight, which this server never allows: other web
			// pages cannot drive the playground.
			if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
				writeError(w, &apiError{status: http.StatusUnsupportedMediaType, text: "send the request as application/json"})
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		}
		p.mu.RLock()
		out, err := h(p.w, r)
		p.mu.RUnlock()
		if err != nil {
			writeError(w, err)
			return
		}
		if out == nil {
			return // the handler wrote the answer itself
		}
		writeJSON(w, http.StatusOK, out)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = &apiError{status: http.StatusInternalServerError, text: err.Error()}
	}
	writeJSON(w, ae.status, map[string]string{"error": ae.text})
}

func decode(r *http.Request, v any) error {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		return badRequest("the request is not the JSON expected: %v", err)
	}
	return nil
}

// member checks that as names a member the page may act as.
func member(as string) (persona, error) {
	p, ok := personaOf(as)
	if !ok {
		return persona{}, badRequest("%q is not one of the playground's members", as)
	}
	return p, nil
}

// channelFor checks that a member can see a channel and returns it.
func channelFor(w *world, as, channelID string) (*discordgo.Channel, error) {
	if _, err := member(as); err != nil {
		return nil, err
	}
	if !w.sim.CanSee(as, channelID) {
		return nil, notFound("there is no channel %s that you can see", channelID)
	}
	return w.sim.Channel(channelID), nil
}

// --- state ---

type userJSON struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type memberJSON struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Role    string `json:"role"`
	Color   string `json:"color"`
	Actable bool   `json:"actable"`
	Bot     bool   `json:"bot"`
}

type roleJSON struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Color string `json:"color"`
}

type channelJSON struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Kind     string `json:"kind"`
	ParentID string `json:"parent_id"`
	Topic    string `json:"topic,omitempty"`
	Private  bool   `json:"private,omitempty"`
}

type stateJSON struct {
	Now      string                          `json:"now"`
	Me       string                          `json:"me"`
	Bot      userJSON                        `json:"bot"`
	Guild    userJSON                        `json:"guild"`
	Members  []memberJSON                    `json:"members"`
	Roles    []roleJSON                      `json:"roles"`
	Channels []channelJSON                   `json:"channels"`
	Commands []*discordgo.ApplicationCommand `json:"commands"`
	Tour     []tourStep                      `json:"tour"`
	Version  uint64                          `json:"version"`
}

const botColor = "#7a7f8a"

func (p *Playground) state(w *world, r *http.Request) (any, error) {
	as := r.URL.Query().Get("as")
	if as == "" {
		// A page opened for the first time doesn't know anyone's id yet.
		as = personas[0].id
	}
	if _, err := member(as); err != nil {
		return nil, err
	}
	g := w.sim.Guild(GuildID)
	st := stateJSON{
		Now:      w.clock.Now().UTC().Format(time.RFC3339),
		Me:       as,
		Bot:      userJSON{ID: w.sim.BotUserID(), Name: w.sim.BotUser().Username},
		Guild:    userJSON{ID: g.ID, Name: g.Name},
		Members:  []memberJSON{},
		Roles:    []roleJSON{},
		Channels: []channelJSON{},
		Commands: append(w.sim.Commands(GuildID), w.sim.Commands("")...),
		Tour:     tour,
		Version:  p.version(),
	}
	for _, m := range w.sim.GuildMembers(GuildID) {
		mj := memberJSON{ID: m.User.ID, Name: m.User.Username, Role: "Member", Color: botColor, Bot: m.User.Bot}
		if pe, ok := personaOf(m.User.ID); ok {
			mj.Role, mj.Color, mj.Actable = pe.role, pe.color, true
		} else if m.User.Bot {
			mj.Role = "Bot"
		}
		st.Members = append(st.Members, mj)
	}
	for _, role := range w.sim.GuildRoles(GuildID) {
		if role.ID == GuildID {
			continue // @everyone
		}
		color, ok := roleColors[role.ID]
		if !ok {
			color = botColor
		}
		st.Roles = append(st.Roles, roleJSON{ID: role.ID, Name: role.Name, Color: color})
	}
	for _, c := range w.sim.VisibleChannels(as) {
		cj := channelJSON{ID: c.ID, Name: c.Name, ParentID: c.ParentID, Topic: c.Topic}
		switch {
		case c.Type == discordgo.ChannelTypeGuildText:
			cj.Kind = "text"
		case c.IsThread():
			cj.Kind, cj.Private = "thread", c.Type == discordgo.ChannelTypeGuildPrivateThread
		case c.Type == discordgo.ChannelTypeDM:
			cj.Kind, cj.Name = "dm", st.Bot.Name
		default:
			continue // voice channels and categories have nothing to show
		}
		st.Channels = append(st.Channels, cj)
	}
	return st, nil
}

// --- messages ---

// messageJSON is a message in Discord's JSON shape (components included,
// which discordgo leaves out), with attachment URLs served here, plus
// what the page needs to show it.
type messageJSON struct {
	*discordgo.Message
	Components  []discordgo.MessageComponent   `json:"components"`
	Attachments []*discordgo.MessageAttachment `json:"attachments"`
	Ephemeral   bool                           `json:"ephemeral"`
	Interaction *discordgo.MessageInteraction  `json:"interaction,omitempty"`
}

// toJSON is a message as the page shows it to the member as: its files'
// addresses name them, since only who can see a message may fetch them.
func toJSON(m *discordgo.Message, as string) *messageJSON {
	out := &messageJSON{
		Message:     m,
		Components:  m.Components,
		Attachments: make([]*discordgo.MessageAttachment, len(m.Attachments)),
		Ephemeral:   m.Flags&discordgo.MessageFlagsEphemeral != 0,
		Interaction: m.Interaction,
	}
	if out.Components == nil {
		out.Components = []discordgo.MessageComponent{}
	}
	for i, a := range m.Attachments {
		cp := *a
		cp.URL = "/attachments/" + m.ID + "/" + url.PathEscape(a.Filename) + "?as=" + url.QueryEscape(as)
		cp.ProxyURL = cp.URL
		out.Attachments[i] = &cp
	}
	return out
}

func (p *Playground) messages(w *world, r *http.Request) (any, error) {
	as := r.URL.Query().Get("as")
	if _, err := channelFor(w, as, r.PathValue("id")); err != nil {
		return nil, err
	}
	out := []*messageJSON{}
	for _, m := range w.sim.MessagesFor(as, r.PathValue("id")) {
		out = append(out, toJSON(m, as))
	}
	return out, nil
}

func (p *Playground) postMessage(w *world, r *http.Request) (any, error) {
	var req struct {
		As        string `json:"as"`
		ChannelID string `json:"channel_id"`
		Content   string `json:"content"`
	}
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	if _, err := channelFor(w, req.As, req.ChannelID); err != nil {
		return nil, err
	}
	switch n := len([]rune(req.Content)); {
	case strings.TrimSpace(req.Content) == "":
		return nil, badRequest("write something first")
	case n > maxContent:
		return nil, badRequest("a message can be up to %d characters; this one has %d", maxContent, n)
	}
	return toJSON(w.sim.UserMessage(req.ChannelID, req.As, req.Content), req.As), nil
}

// --- interactions ---

// answerJSON is how Kindred answered an interaction.
type answerJSON struct {
	OK        bool       `json:"ok"`
	MessageID string     `json:"message_id"`
	ChannelID string     `json:"channel_id"`
	Modal     *modalJSON `json:"modal"`
}

type modalJSON struct {
	CustomID   string                       `json:"custom_id"`
	Title      string                       `json:"title"`
	Components []discordgo.MessageComponent `json:"components"`
}

// dispatch delivers a built interaction to Kindred and waits for its
// answer. A build error is the person's mistake (a line the client would
// refuse); a dispatch error is Kindred not answering.
func dispatch(w *world, i *discordgo.Interaction, buildErr error, line string) (*answerJSON, error) {
	if buildErr != nil {
		return nil, badRequest("%s", parserText(buildErr, line))
	}
	reply, err := w.sim.Do(i)
	if err != nil {
		return nil, notAnswered(err)
	}
	out := &answerJSON{OK: true, ChannelID: i.ChannelID}
	switch {
	case reply.Type == discordgo.InteractionResponseModal && reply.Data != nil:
		out.Modal = &modalJSON{CustomID: reply.Data.CustomID, Title: reply.Data.Title, Components: reply.Data.Components}
	case reply.Message != nil:
		out.MessageID = reply.Message.ID
	case len(reply.Followups) > 0:
		out.MessageID = reply.Followups[0].ID
	}
	return out, nil
}

// notAnswered is the answer to an interaction Kindred didn't answer. The
// simulator's story includes request bodies, which may hold what a member
// typed: the person gets its first line only.
func notAnswered(err error) error {
	first, _, _ := strings.Cut(err.Error(), "\n")
	return &apiError{status: http.StatusBadGateway, text: "Kindred did not answer: " + strings.TrimPrefix(first, "discordsim: ")}
}

// parserText is the simulator's complaint about a line, without its
// "discordsim: LINE: " preamble.
func parserText(err error, line string) string {
	text := strings.TrimPrefix(err.Error(), "discordsim: ")
	if line != "" {
		text = strings.TrimPrefix(text, line+": ")
	}
	return text
}

func (p *Playground) command(w *world, r *http.Request) (any, error) {
	var req struct {
		As        string `json:"as"`
		ChannelID string `json:"channel_id"`
		Line      string `json:"line"`
	}
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	if _, err := channelFor(w, req.As, req.ChannelID); err != nil {
		return nil, err
	}
	line := strings.TrimSpace(req.Line)
	i, err := w.sim.BuildCommandIn(req.ChannelID, req.As, line)
	return dispatch(w, i, err, line)
}

func (p *Playground) autocomplete(w *world, r *http.Request) (any, error) {
	var req struct {
		As        string `json:"as"`
		ChannelID string `json:"channel_id"`
		Line      string `json:"line"`
		Focused   string `json:"focused"`
	}
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	if _, err := channelFor(w, req.As, req.ChannelID); err != nil {
		return nil, err
	}
	line := strings.TrimSpace(req.Line)
	i, err := w.sim.BuildAutocompleteIn(req.ChannelID, req.As, line, req.Focused)
	if err != nil {
		return nil, badRequest("%s", parserText(err, line))
	}
	choices, err := w.sim.Complete(i)
	if err != nil {
		return nil, notAnswered(err)
	}
	if choices == nil {
		choices = []*discordgo.ApplicationCommandOptionChoice{}
	}
	return map[string]any{"choices": choices}, nil
}

// visibleMessage finds a message the member can see in a channel.
func visibleMessage(w *world, as, channelID, messageID string) (*discordgo.Message, *discordgo.Channel, error) {
	ch, err := channelFor(w, as, channelID)
	if err != nil {
		return nil, nil, err
	}
	m := w.sim.MessageFor(as, messageID)
	if m == nil || m.ChannelID != channelID {
		return nil, nil, notFound("there is no message %s in this channel that you can see", messageID)
	}
	return m, ch, nil
}

func (p *Playground) component(w *world, r *http.Request) (any, error) {
	var req struct {
		As        string   `json:"as"`
		ChannelID string   `json:"channel_id"`
		MessageID string   `json:"message_id"`
		CustomID  string   `json:"custom_id"`
		Values    []string `json:"values"`
	}
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	m, ch, err := visibleMessage(w, req.As, req.ChannelID, req.MessageID)
	if err != nil {
		return nil, err
	}
	// A button takes no values; a select takes the chosen ones, maybe none.
	var values []string
	if isSelect(m.Components, req.CustomID) {
		values = append([]string{}, req.Values...)
	}
	i, err := w.sim.BuildComponent(ch.GuildID, req.As, req.CustomID, values, m)
	return dispatch(w, i, err, "")
}

// isSelect reports whether the component with that custom id is a select
// menu.
func isSelect(comps []discordgo.MessageComponent, customID string) bool {
	for _, c := range comps {
		switch v := c.(type) {
		case discordgo.ActionsRow:
			if isSelect(v.Components, customID) {
				return true
			}
		case *discordgo.ActionsRow:
			if isSelect(v.Components, customID) {
				return true
			}
		case discordgo.SelectMenu:
			if v.CustomID == customID {
				return true
			}
		case *discordgo.SelectMenu:
			if v.CustomID == customID {
				return true
			}
		}
	}
	return false
}

func (p *Playground) modal(w *world, r *http.Request) (any, error) {
	var req struct {
		As        string            `json:"as"`
		ChannelID string            `json:"channel_id"`
		CustomID  string            `json:"custom_id"`
		Fields    map[string]string `json:"fields"`
	}
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	ch, err := channelFor(w, req.As, req.ChannelID)
	if err != nil {
		return nil, err
	}
	i, err := w.sim.BuildModalSubmit(ch.GuildID, req.As, req.CustomID, req.Fields)
	if _, err := dispatch(w, i, err, ""); err != nil {
		return nil, err
	}
	return map[string]bool{"ok": true}, nil
}

func (p *Playground) messageCommand(w *world, r *http.Request) (any, error) {
	var req struct {
		As        string `json:"as"`
		ChannelID string `json:"channel_id"`
		MessageID string `json:"message_id"`
		Name      string `json:"name"`
	}
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	m, ch, err := visibleMessage(w, req.As, req.ChannelID, req.MessageID)
	if err != nil {
		return nil, err
	}
	i, err := w.sim.BuildMessageCommand(ch.GuildID, req.As, req.Name, m)
	return dispatch(w, i, err, "")
}

// --- time, reset, events, attachments ---

// skips are the steps time travel takes.
var skips = map[string]time.Duration{"1h": time.Hour, "1d": 24 * time.Hour, "1w": 7 * 24 * time.Hour}

func (p *Playground) timeTravel(w *world, r *http.Request) (any, error) {
	var req struct {
		Skip string `json:"skip"`
	}
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	d, ok := skips[req.Skip]
	if !ok && req.Skip != "next" {
		return nil, badRequest("skip is 1h, 1d, 1w or next, not %q", req.Skip)
	}
	now, ran, err := p.travel(r.Context(), d, req.Skip == "next")
	switch {
	case errors.Is(err, errNothingScheduled):
		return nil, badRequest("%v", err)
	case err != nil:
		p.log.Warn("running due jobs after time travel", "err", err)
		return nil, fmt.Errorf("some scheduled work failed to record its outcome: %w", err)
	}
	return map[string]any{"now": now.UTC().Format(time.RFC3339), "ran": ran}, nil
}

func (p *Playground) resetHandler(w http.ResponseWriter, r *http.Request) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		writeError(w, &apiError{status: http.StatusUnsupportedMediaType, text: "send the request as application/json"})
		return
	}
	if err := p.reset(); err != nil {
		p.log.Error("reset", "err", err)
		writeError(w, fmt.Errorf("the playground could not start over: %w", err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

// events streams a change event whenever the version grows, and a ping
// comment every pingEvery.
func (p *Playground) events(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		writeError(w, errors.New("this server cannot stream events"))
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	flusher.Flush()
	ping := time.NewTicker(pingEvery)
	defer ping.Stop()
	var sent uint64
	for {
		playground := p.signals.wait()
		p.mu.RLock()
		simChanged := p.w.sim.Changed()
		v := p.version()
		p.mu.RUnlock()
		if v != sent {
			fmt.Fprintf(w, "event: change\ndata: {\"version\": %d}\n\n", v)
			flusher.Flush()
			sent = v
		}
		select {
		case <-r.Context().Done():
			return
		case <-p.done:
			return
		case <-ping.C:
			fmt.Fprint(w, ": ping\n\n")
			flusher.Flush()
			continue
		case <-simChanged:
		case <-playground:
		}
		if !sleep(r.Context(), eventGap) {
			return
		}
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// attachment serves a file of a message: images inline, anything else as
// a download.
// inlineImage reports whether the page shows a file of that type as an
// image; any other file (an SVG could carry a script) is a download.
func inlineImage(contentType string) bool {
	switch contentType {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
		return true
	}
	return false
}

func (p *Playground) attachment(w http.ResponseWriter, r *http.Request) {
	// A file is fetched as a member, who must be able to see its message:
	// Riley's /mydata export is Riley's alone.
	as, id := r.URL.Query().Get("as"), r.PathValue("message")
	p.mu.RLock()
	var files []discordsim.File
	if p.w.sim.MessageFor(as, id) != nil {
		files = p.w.sim.MessageFiles(id)
	}
	p.mu.RUnlock()
	name := r.PathValue("filename")
	for _, f := range files {
		if f.Name != name {
			continue
		}
		w.Header().Set("Content-Type", f.ContentType)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if !inlineImage(f.ContentType) {
			w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": f.Name}))
		}
		w.Write(f.Data)
		return
	}
	writeError(w, notFound("there is no file %q on that message", name))
}
