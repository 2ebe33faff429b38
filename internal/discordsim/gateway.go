package discordsim

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
)

// Gateway opcodes.
const (
	opDispatch       = 0
	opHeartbeat      = 1
	opIdentify       = 2
	opPresenceUpdate = 3
	opVoiceState     = 4
	opResume         = 6
	opReconnect      = 7
	opRequestMembers = 8
	opInvalidSession = 9
	opHello          = 10
	opHeartbeatAck   = 11
)

// PrivilegedIntents are refused at IDENTIFY with close code 4014, as for an
// application whose privileged intents are not enabled, unless
// Options.PrivilegedIntents enables them.
const PrivilegedIntents = discordgo.IntentGuildMembers | discordgo.IntentGuildPresences | discordgo.IntentMessageContent

const (
	maxReplay         = 2000 // dispatches kept per session for RESUME
	gatewayWriteLimit = 5 * time.Second
)

// gwConn is one websocket connection.
type gwConn struct {
	ws  *websocket.Conn
	wmu sync.Mutex // serialises writes to ws

	// Guarded by Server.mu.
	session *gwSession // nil until IDENTIFY/RESUME succeeded
	ready   bool       // READY or RESUMED was sent and nothing disturbed it since
	retired bool       // told to reconnect, or dropped: never ready again
}

// gwSession is a gateway session: what IDENTIFY creates and RESUME continues.
type gwSession struct {
	id      string
	intents discordgo.Intent
	started time.Time
	shard   shardKey // [0, 1] for an unsharded session

	// mu orders the dispatches of the session: the sequence number is taken
	// and the frame written under it.
	mu     sync.Mutex
	seq    int64
	replay []gwFrame
	conn   *gwConn // where dispatches go; nil while disconnected
}

type gwFrame struct {
	seq  int64
	data []byte
}

type gwPayload struct {
	Op int             `json:"op"`
	D  json.RawMessage `json:"d"`
	S  *int64          `json:"s"`
	T  *string         `json:"t"`
}

type gwOut struct {
	Op int     `json:"op"`
	D  any     `json:"d"`
	S  *int64  `json:"s"`
	T  *string `json:"t"`
}

func (c *gwConn) writeRaw(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(gatewayWriteLimit))
	return c.ws.WriteMessage(websocket.TextMessage, b)
}

func (c *gwConn) writeOp(op int, d any) error {
	b, err := json.Marshal(gwOut{Op: op, D: d})
	if err != nil {
		return err
	}
	return c.writeRaw(b)
}

// closeWith sends a close frame and gives the client a moment to hang up;
// the read loop ends when it does.
func (c *gwConn) closeWith(code int, text string) {
	msg := websocket.FormatCloseMessage(code, text)
	_ = c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
	_ = c.ws.SetReadDeadline(time.Now().Add(2 * time.Second))
}

// sendLocked dispatches an event on the session. Call with ss.mu held.
// before runs just before the frame is written.
func (ss *gwSession) sendLocked(event string, payload []byte, before func()) {
	ss.seq++
	frame := dispatchFrame(ss.seq, event, payload)
	ss.replay = append(ss.replay, gwFrame{seq: ss.seq, data: frame})
	// Trim only when twice over, so each dispatch costs O(1) amortized
	// instead of copying the whole window every time.
	if len(ss.replay) > 2*maxReplay {
		ss.replay = slices.Clone(ss.replay[len(ss.replay)-maxReplay:])
	}
	if before != nil {
		before()
	}
	if ss.conn != nil {
		if err := ss.conn.writeRaw(frame); err != nil {
			// The reader notices the broken connection and cleans up.
			_ = ss.conn.ws.Close()
		}
	}
}

// dispatchFrame is the op 0 frame carrying payload, which is compact JSON
// already (from json.Marshal, or compacted by DispatchRaw): written out
// directly rather than encoded and compacted a second time, which would
// double the fake's work for a READY with thousands of GUILD_CREATEs.
func dispatchFrame(seq int64, event string, payload []byte) []byte {
	frame := make([]byte, 0, len(payload)+len(event)+48)
	frame = append(frame, `{"op":0,"d":`...)
	frame = append(frame, payload...)
	frame = append(frame, `,"s":`...)
	frame = strconv.AppendInt(frame, seq, 10)
	frame = append(frame, `,"t":`...)
	frame = strconv.AppendQuote(frame, event)
	return append(frame, '}')
}

// outbox collects dispatches decided while s.mu is held; flush sends them
// after it is released.
type outbox []outgoing

type outgoing struct {
	sess    *gwSession
	event   string
	payload []byte
}

// emitLocked queues an event about a guild ("" for none: DMs) for every
// live session of the shard that guild belongs to whose intents include
// intent (0: no intent needed).
func (s *Server) emitLocked(out *outbox, guildID, event string, intent discordgo.Intent, data any) {
	s.emitEachLocked(out, guildID, event, intent, func(*gwSession) any { return data })
}

// emitEachLocked is emitLocked with a payload per session.
func (s *Server) emitEachLocked(out *outbox, guildID, event string, intent discordgo.Intent, data func(*gwSession) any) {
	for _, sess := range s.sessionsLocked() {
		if intent != 0 && sess.intents&intent == 0 || !sess.shard.owns(guildID) {
			continue
		}
		b, err := json.Marshal(data(sess))
		if err != nil {
			panic("discordsim: encoding " + event + ": " + err.Error())
		}
		*out = append(*out, outgoing{sess: sess, event: event, payload: b})
	}
}

// sessionsLocked returns the valid sessions, oldest first. Sessions that are
// momentarily disconnected count: their dispatches are kept for RESUME.
func (s *Server) sessionsLocked() []*gwSession {
	out := make([]*gwSession, 0, len(s.sessions))
	for _, sess := range s.sessions {
		out = append(out, sess)
	}
	slices.SortFunc(out, func(a, b *gwSession) int { return a.started.Compare(b.started) })
	return out
}

func (s *Server) flush(out outbox) {
	for _, o := range out {
		o.sess.mu.Lock()
		o.sess.sendLocked(o.event, o.payload, nil)
		o.sess.mu.Unlock()
	}
}

// DispatchRaw sends any dispatch, as is, to every live session of the
// shard its top-level "guild_id" belongs to (shard 0 without one). Use it
// for events the fake does not produce itself or for malformed payloads.
func (s *Server) DispatchRaw(eventType string, data json.RawMessage) {
	var compact bytes.Buffer
	if err := json.Compact(&compact, data); err != nil {
		panic("discordsim: encoding dispatch: " + err.Error())
	}
	var about struct {
		GuildID string `json:"guild_id"`
	}
	_ = json.Unmarshal(data, &about) // not an object: no guild
	var out outbox
	s.mu.Lock()
	for _, sess := range s.sessionsLocked() {
		if !sess.shard.owns(about.GuildID) {
			continue
		}
		out = append(out, outgoing{sess: sess, event: eventType, payload: slices.Clone(compact.Bytes())})
	}
	s.mu.Unlock()
	s.flush(out)
}

// serveGateway runs one websocket connection.
func (s *Server) serveGateway(w http.ResponseWriter, r *http.Request) {
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	ws, err := up.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade has answered already
	}
	c := &gwConn{ws: ws}
	s.mu.Lock()
	if s.shutdown {
		s.mu.Unlock()
		_ = ws.Close()
		return
	}
	s.gwConns[c] = struct{}{}
	s.conns.Add(1)
	s.mu.Unlock()
	defer s.conns.Done()

	endSession := false
	defer func() { s.dropConn(c, endSession) }()

	q := r.URL.Query()
	switch {
	case q.Get("v") != "" && q.Get("v") != "9" && q.Get("v") != "10":
		c.closeWith(4012, "Invalid API version")
		drain(ws)
		return
	case q.Get("encoding") != "" && q.Get("encoding") != "json":
		c.closeWith(4002, "Error while decoding payload.")
		drain(ws)
		return
	}

	if err := c.writeOp(opHello, map[string]int64{"heartbeat_interval": s.opts.HeartbeatInterval.Milliseconds()}); err != nil {
		return
	}
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			// A client closing with 1000 or 1001 ends its session for good.
			endSession = errors.As(err, &ce) && (ce.Code == websocket.CloseNormalClosure || ce.Code == websocket.CloseGoingAway)
			return
		}
		if !s.handleGatewayMessage(c, data) {
			drain(ws)
			return
		}
	}
}

// drain reads until the peer hangs up or the read deadline set by closeWith
// passes, so that the close frame is not lost to a reset connection.
func drain(ws *websocket.Conn) {
	for {
		if _, _, err := ws.ReadMessage(); err != nil {
			return
		}
	}
}

// dropConn forgets a finished connection. The session stays resumable unless
// end is set.
func (s *Server) dropConn(c *gwConn, end bool) {
	s.mu.Lock()
	delete(s.gwConns, c)
	sess := c.session
	c.session, c.ready = nil, false
	if sess != nil && end {
		delete(s.sessions, sess.id)
	}
	s.notifyLocked()
	s.mu.Unlock()
	if sess != nil {
		sess.mu.Lock()
		if sess.conn == c {
			sess.conn = nil
		}
		sess.mu.Unlock()
	}
	_ = c.ws.Close()
}

// handleGatewayMessage handles one client payload. It returns false after
// closing the connection.
func (s *Server) handleGatewayMessage(c *gwConn, data []byte) bool {
	var p gwPayload
	if err := json.Unmarshal(data, &p); err != nil {
		c.closeWith(4002, "Error while decoding payload.")
		return false
	}
	switch p.Op {
	case opHeartbeat:
		_ = c.writeOp(opHeartbeatAck, nil)
		return true
	case opIdentify:
		return s.identify(c, p.D)
	case opResume:
		return s.resume(c, p.D)
	case opPresenceUpdate, opVoiceState, opRequestMembers:
		s.mu.Lock()
		authed := c.session != nil
		s.mu.Unlock()
		if !authed {
			c.closeWith(4003, "Not authenticated.")
			return false
		}
		return true
	default:
		c.closeWith(4001, "Unknown opcode.")
		return false
	}
}

func (s *Server) identify(c *gwConn, raw json.RawMessage) bool {
	idf, err := decodeIdentify(raw)
	if err != nil {
		c.closeWith(4002, "Error while decoding payload.")
		return false
	}
	s.mu.Lock()
	s.identifies = append(s.identifies, idf)
	already := c.session != nil
	s.notifyLocked()
	s.mu.Unlock()

	switch {
	case already:
		c.closeWith(4005, "Already authenticated.")
		return false
	case !s.validToken(idf.Token):
		c.closeWith(4004, "Authentication failed.")
		return false
	case idf.Intents&PrivilegedIntents&^s.opts.PrivilegedIntents != 0:
		c.closeWith(4014, "Disallowed intent(s).")
		return false
	}
	shard, ok := shardOf(idf.Shard)
	if !ok {
		// Close event codes: 4010 Invalid shard, "You sent an invalid shard
		// when identifying."
		s.recordIdentify(shard, IdentifyInvalidShard)
		c.closeWith(4010, "Invalid shard.")
		return false
	}

	sess := &gwSession{id: randomHex(16), intents: idf.Intents, started: time.Now(), shard: shard}
	sess.mu.Lock()
	defer sess.mu.Unlock()

	s.mu.Lock()
	switch outcome := s.startSessionLocked(shard); outcome {
	case IdentifyAccepted:
	case IdentifyShardingRequired:
		s.mu.Unlock()
		c.closeWith(4011, "Sharding required.")
		return false
	case IdentifyStartLimit:
		s.mu.Unlock()
		c.closeWith(4004, "Authentication failed.")
		return false
	default: // IdentifyConcurrency
		s.mu.Unlock()
		_ = c.writeOp(opInvalidSession, false)
		return true
	}
	sess.conn = c
	c.session = sess
	s.sessions[sess.id] = sess
	ready := s.readyLocked(sess, idf.Shard)
	var creates [][]byte
	if sess.intents&discordgo.IntentGuilds != 0 {
		threads := s.threadsByGuildLocked()
		for _, id := range s.guildOrder {
			if !shard.owns(id) {
				continue
			}
			b, _ := json.Marshal(s.guildCreateLocked(s.guilds[id], threads[id]))
			creates = append(creates, b)
		}
	}
	// Ready before READY is written: a client may act as soon as it reads
	// READY. Anything dispatched meanwhile waits for sess.mu, held here, so
	// it still follows READY and the GUILD_CREATEs.
	c.ready = true
	s.notifyLocked()
	s.mu.Unlock()

	sess.sendLocked("READY", ready, nil)
	for _, b := range creates {
		sess.sendLocked("GUILD_CREATE", b, nil)
	}
	return true
}

// decodeIdentify reads an IDENTIFY payload. discordgo.Identify cannot be
// decoded as a whole: discordgo sends presence.game.created_at as a
// timestamp string, while its Activity type decodes it as an integer. The
// presence is therefore decoded on a best-effort basis.
func decodeIdentify(raw json.RawMessage) (discordgo.Identify, error) {
	var p struct {
		Token          string                       `json:"token"`
		Properties     discordgo.IdentifyProperties `json:"properties"`
		Compress       bool                         `json:"compress"`
		LargeThreshold int                          `json:"large_threshold"`
		Shard          *[2]int                      `json:"shard"`
		Presence       json.RawMessage              `json:"presence"`
		Intents        *discordgo.Intent            `json:"intents"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return discordgo.Identify{}, err
	}
	if p.Intents == nil {
		return discordgo.Identify{}, errors.New("intents missing")
	}
	idf := discordgo.Identify{
		Token: p.Token, Properties: p.Properties, Compress: p.Compress,
		LargeThreshold: p.LargeThreshold, Shard: p.Shard, Intents: *p.Intents,
	}
	if len(p.Presence) > 0 {
		var presence struct {
			Since  int    `json:"since"`
			Status string `json:"status"`
			AFK    bool   `json:"afk"`
		}
		if json.Unmarshal(p.Presence, &presence) == nil {
			idf.Presence = discordgo.GatewayStatusUpdate{Since: presence.Since, Status: presence.Status, AFK: presence.AFK}
		}
	}
	return idf, nil
}

func (s *Server) readyLocked(sess *gwSession, shard *[2]int) []byte {
	type unavailableGuild struct {
		ID          string `json:"id"`
		Unavailable bool   `json:"unavailable"`
	}
	guilds := make([]unavailableGuild, 0, len(s.guildOrder))
	for _, id := range s.guildOrder {
		if sess.shard.owns(id) {
			guilds = append(guilds, unavailableGuild{ID: id, Unavailable: true})
		}
	}
	if shard == nil {
		shard = &[2]int{0, 1}
	}
	user := s.botUser
	b, _ := json.Marshal(map[string]any{
		"v":                       9,
		"user":                    &user,
		"guilds":                  guilds,
		"session_id":              sess.id,
		"session_type":            "normal",
		"resume_gateway_url":      s.GatewayURL(),
		"shard":                   shard,
		"application":             map[string]any{"id": s.AppID(), "flags": 1 << 23},
		"private_channels":        []any{},
		"relationships":           []any{},
		"presences":               []any{},
		"guild_join_requests":     []any{},
		"geo_ordered_rtc_regions": []string{"fake"},
		"user_settings":           map[string]any{},
		"auth":                    map[string]any{},
		"_trace":                  []string{`["discordsim-gateway",{"micros":0}]`},
	})
	return b
}

func (s *Server) resume(c *gwConn, raw json.RawMessage) bool {
	var rp struct {
		Token     string `json:"token"`
		SessionID string `json:"session_id"`
		Seq       int64  `json:"seq"`
	}
	if err := json.Unmarshal(raw, &rp); err != nil {
		c.closeWith(4002, "Error while decoding payload.")
		return false
	}
	if !s.validToken(rp.Token) {
		c.closeWith(4004, "Authentication failed.")
		return false
	}
	s.mu.Lock()
	sess := s.sessions[rp.SessionID]
	s.mu.Unlock()
	if sess == nil {
		_ = c.writeOp(opInvalidSession, false)
		return true
	}

	sess.mu.Lock()
	defer sess.mu.Unlock()
	if len(sess.replay) > 0 && rp.Seq < sess.replay[0].seq-1 {
		// Too far behind: what it missed is gone.
		_ = c.writeOp(opInvalidSession, false)
		return true
	}
	s.mu.Lock()
	if s.sessions[sess.id] != sess {
		s.mu.Unlock()
		_ = c.writeOp(opInvalidSession, false)
		return true
	}
	old := sess.conn
	if old != nil && old != c {
		old.session, old.ready = nil, false
	}
	c.session = sess
	sess.conn = c
	s.resumes++
	s.mu.Unlock()
	if old != nil && old != c {
		_ = old.ws.Close()
	}

	for _, f := range sess.replay {
		if f.seq > rp.Seq {
			if err := c.writeRaw(f.data); err != nil {
				return true // the read loop notices
			}
		}
	}
	sess.sendLocked("RESUMED", []byte(`{"_trace":["discordsim-gateway"]}`), nil)

	s.mu.Lock()
	c.ready = c.session == sess && !c.retired
	s.notifyLocked()
	s.mu.Unlock()
	return true
}

func (s *Server) validToken(t string) bool {
	return strings.TrimPrefix(t, "Bot ") == s.opts.Token
}

// readyConnsLocked returns the connections whose session is ready, newest
// session first.
func (s *Server) readyConnsLocked() []*gwConn {
	var out []*gwConn
	for c := range s.gwConns {
		if c.ready && c.session != nil {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b *gwConn) int { return b.session.started.Compare(a.session.started) })
	return out
}

// Connected reports whether a session is identified (or resumed) and ready.
func (s *Server) Connected() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.readyConnsLocked()) > 0
}

// WaitReady waits until a session has identified or resumed and was sent
// READY or RESUMED (or, after IDENTIFY, is being sent READY: anything
// dispatched after WaitReady follows it), and has not been told to
// reconnect, invalidated or dropped since.
func (s *Server) WaitReady(t testing.TB, timeout time.Duration) {
	t.Helper()
	if !s.waitUntil(timeout, func() bool { return len(s.readyConnsLocked()) > 0 }) {
		s.mu.Lock()
		n, r := len(s.identifies), s.resumes
		s.mu.Unlock()
		t.Fatalf("discordsim: no ready gateway session after %v (%d IDENTIFY, %d RESUME received so far)", timeout, n, r)
	}
}

// Identifies returns every IDENTIFY received, accepted or not.
func (s *Server) Identifies() []discordgo.Identify {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.identifies)
}

// Resumes counts the successful RESUMEs.
func (s *Server) Resumes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.resumes
}

// Reconnect sends op 7 (Reconnect) to every identified session. Dispatches
// from then on are kept for the RESUME the client is expected to make.
func (s *Server) Reconnect() {
	for _, c := range s.takeOutOfService(false, -1) {
		_ = c.writeOp(opReconnect, nil)
	}
}

// InvalidateSession sends op 9 (Invalid Session, d:false) to every
// identified session and forgets all sessions, so the client has to
// IDENTIFY again (discordgo does so on the same connection).
func (s *Server) InvalidateSession() {
	for _, c := range s.takeOutOfService(true, -1) {
		_ = c.writeOp(opInvalidSession, false)
	}
}

// DropConnection closes every gateway TCP connection without a close frame.
// Sessions stay resumable.
func (s *Server) DropConnection() {
	s.mu.Lock()
	conns := make([]*gwConn, 0, len(s.gwConns))
	for c := range s.gwConns {
		c.ready, c.retired = false, true
		conns = append(conns, c)
	}
	s.notifyLocked()
	s.mu.Unlock()
	for _, c := range conns {
		_ = c.ws.UnderlyingConn().Close()
	}
}

// takeOutOfService detaches the identified connections of shard (-1: of
// every shard) from their sessions: they stop counting as ready and receive
// no more dispatches. With forget, those sessions are invalidated and the
// connections may IDENTIFY again; without, the connections are retired and
// the sessions wait for a RESUME.
func (s *Server) takeOutOfService(forget bool, shard int) []*gwConn {
	s.mu.Lock()
	var (
		conns    []*gwConn
		sessions []*gwSession
	)
	for c := range s.gwConns {
		if c.session == nil || shard >= 0 && c.session.shard.id != shard {
			continue
		}
		conns = append(conns, c)
		sessions = append(sessions, c.session)
		c.ready = false
		if forget {
			c.session = nil
		} else {
			c.retired = true
		}
	}
	if forget {
		for id, sess := range s.sessions {
			if shard < 0 || sess.shard.id == shard {
				delete(s.sessions, id)
			}
		}
	}
	s.notifyLocked()
	s.mu.Unlock()
	for i, c := range conns {
		sess := sessions[i]
		sess.mu.Lock()
		if sess.conn == c {
			sess.conn = nil
		}
		sess.mu.Unlock()
	}
	return conns
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
