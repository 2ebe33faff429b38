package discordsim

import (
	"crypto/ed25519"
	"crypto/rand"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
)

// Options configure a Server. The zero value is usable.
type Options struct {
	// Token is the valid bot token, without the "Bot " prefix.
	// Default "fake-bot-token".
	Token string
	// HeartbeatInterval is announced in HELLO. Default 41250ms.
	HeartbeatInterval time.Duration
	// InteractionDeadline is how long after an INTERACTION_CREATE was written
	// the initial callback is accepted; later ones get 404 Unknown
	// interaction (10062). Default 3s, like Discord.
	InteractionDeadline time.Duration
	// BotUsername is the bot user's name. Default "Kindred".
	BotUsername string
	// RateLimit enforces Discord's REST rate limits; nil (the default)
	// enforces none and sends no rate limit headers.
	RateLimit *RateLimit
	// PrivilegedIntents are the privileged intents the application has
	// enabled in the Developer Portal (Bot → Privileged Gateway Intents),
	// of those in the package's PrivilegedIntents. IDENTIFY asking for any
	// other is closed with 4014. Default none.
	PrivilegedIntents discordgo.Intent
	// Now is the simulated world's clock: message and edit timestamps,
	// join dates, snowflake times and the 28-day limit of timeouts follow
	// it. The interaction deadline and rate limits keep to real time, as
	// they measure how fast the bot answers. Default time.Now.
	Now func() time.Time
	// BotUserID is the bot user's (and application's) id. Default a fresh
	// snowflake; a fixed one lets a world be rebuilt with the same ids.
	BotUserID string

	// Shards is the recommended shard count GET /gateway/bot returns.
	// Default 1.
	Shards int
	// SessionStartLimit is the session start limit's total: IDENTIFYs
	// allowed per 24 hours. Default 1000, like Discord.
	SessionStartLimit int
	// SessionStartsUsed is how many of them are used up when the server
	// starts; every accepted IDENTIFY uses one more, and one beyond the
	// limit is closed with 4004.
	SessionStartsUsed int
	// MaxConcurrency is the session start limit's max_concurrency. When
	// set, it is enforced: an IDENTIFY less than 5 seconds after an
	// accepted one with the same shard_id % MaxConcurrency gets op 9.
	// Default: 1 is reported and nothing is enforced, so tests can
	// re-identify at once.
	MaxConcurrency int
	// RequireSharding, when set, closes with 4011 (Sharding required) an
	// IDENTIFY whose session would have more guilds than this (Discord's
	// limit is 2500 per shard).
	RequireSharding int
}

const (
	defaultToken               = "fake-bot-token"
	defaultHeartbeatInterval   = 41250 * time.Millisecond
	defaultInteractionDeadline = 3 * time.Second
	defaultBotUsername         = "Kindred"

	// waitTimeout bounds the helpers that wait for the bot (Interact & co).
	waitTimeout = 10 * time.Second

	// discordEpoch is the first millisecond of 2015, the snowflake epoch.
	discordEpoch = 1420070400000
)

// Server is a fake Discord API server. Create it with New and stop it with
// Close. All methods are safe for concurrent use.
type Server struct {
	opts    Options
	botUser discordgo.User
	baseURL string
	ln      net.Listener
	httpSrv *http.Server
	routes  []route
	ids     idGen

	// signingKey signs interactions delivered over HTTP.
	signingKey ed25519.PrivateKey
	httpClient *http.Client

	closeOnce sync.Once
	closed    chan struct{}
	conns     sync.WaitGroup // gateway connection goroutines

	// mu guards everything below. REST handlers run with it held.
	mu       sync.Mutex
	changed  chan struct{} // closed and replaced on every state change
	version  uint64        // counts state changes
	shutdown bool

	// The guild model.
	guilds     map[string]*guildState
	guildOrder []string
	users      map[string]*discordgo.User
	channels   map[string]*channelState // guild channels, threads and DMs
	dmChannels map[string]string        // user id → DM channel id
	dmBlocked  map[string]bool

	// Messages posted in channels (by the bot, or injected by tests).
	messages  map[string]*messageState // by message id
	botPosts  map[string][]string      // channel id → ids of bot messages, in order
	msgCursor map[string]int           // channel id → bot messages handed out by WaitMessage
	nonces    map[string]nonceRecord   // author id and nonce → the message created with it

	commands      map[string][]*discordgo.ApplicationCommand // guild id ("" = global) → commands
	commandWrites int

	requests []Request
	faults   []fault
	limits   *rateLimiter // nil: no rate limits

	interactions map[string]*Pending // by interaction id
	tokens       map[string]*Pending // by interaction token
	modals       map[string]*modalRecord
	gone         map[string]bool // ids of deleted interaction responses
	// interactionsURL, when set, receives interactions instead of the gateway.
	interactionsURL string

	// The gateway.
	identifies    []discordgo.Identify
	identifyLog   []IdentifyRecord
	startsUsed    int
	startsResetAt time.Time
	resumes       int
	sessions      map[string]*gwSession
	gwConns       map[*gwConn]struct{}
}

// New starts a fake Discord server on 127.0.0.1 with a random port.
// Close it when done (before that, close any discordgo session using it, or
// the session will try to reconnect forever).
func New(opts Options) *Server {
	if opts.Token == "" {
		opts.Token = defaultToken
	}
	if opts.HeartbeatInterval <= 0 {
		opts.HeartbeatInterval = defaultHeartbeatInterval
	}
	if opts.InteractionDeadline <= 0 {
		opts.InteractionDeadline = defaultInteractionDeadline
	}
	if opts.BotUsername == "" {
		opts.BotUsername = defaultBotUsername
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic("discordsim: cannot listen on 127.0.0.1: " + err.Error())
	}

	s := &Server{
		opts:         opts,
		ln:           ln,
		baseURL:      "http://" + ln.Addr().String(),
		closed:       make(chan struct{}),
		changed:      make(chan struct{}),
		guilds:       map[string]*guildState{},
		users:        map[string]*discordgo.User{},
		channels:     map[string]*channelState{},
		dmChannels:   map[string]string{},
		dmBlocked:    map[string]bool{},
		messages:     map[string]*messageState{},
		botPosts:     map[string][]string{},
		nonces:       map[string]nonceRecord{},
		msgCursor:    map[string]int{},
		commands:     map[string][]*discordgo.ApplicationCommand{},
		interactions: map[string]*Pending{},
		tokens:       map[string]*Pending{},
		modals:       map[string]*modalRecord{},
		gone:         map[string]bool{},
		sessions:     map[string]*gwSession{},
		gwConns:      map[*gwConn]struct{}{},
		limits:       newRateLimiter(opts.RateLimit),

		startsUsed:    opts.SessionStartsUsed,
		startsResetAt: time.Now().Add(sessionStartWindow),
	}
	_, s.signingKey, err = ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic("discordsim: cannot make a signing key: " + err.Error())
	}
	// Interactions are POSTed in bursts to one host, the bot's endpoint:
	// keep every connection of a burst for the next one, as Discord's
	// long-lived senders would, rather than the default transport's two.
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConns = 0 // no limit across hosts
	transport.MaxIdleConnsPerHost = maxIdleInteractionConns
	s.httpClient = &http.Client{Timeout: opts.InteractionDeadline + ackGrace, Transport: transport}
	s.ids.now = opts.Now
	botID := opts.BotUserID
	if botID == "" {
		botID = s.ids.next()
	}
	s.botUser = discordgo.User{
		ID:            botID,
		Username:      opts.BotUsername,
		Discriminator: "0",
		Bot:           true,
		Verified:      true,
	}
	s.users[s.botUser.ID] = &s.botUser
	s.routes = compileRoutes(s.routeTable())
	s.httpSrv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go s.httpSrv.Serve(ln) //nolint:errcheck // returns http.ErrServerClosed on Close
	return s
}

// URL is the server's base URL, "http://127.0.0.1:PORT". REST lives under
// URL()+"/api/v9", the gateway at ws://127.0.0.1:PORT/gateway.
func (s *Server) URL() string { return s.baseURL }

// GatewayURL is what GET /api/v9/gateway answers.
func (s *Server) GatewayURL() string { return "ws://" + s.ln.Addr().String() + "/gateway" }

// Token is the valid bot token (without "Bot ").
func (s *Server) Token() string { return s.opts.Token }

// AppID is the application id; it equals the bot user id.
func (s *Server) AppID() string { return s.botUser.ID }

// BotUserID is the bot user's id.
func (s *Server) BotUserID() string { return s.botUser.ID }

// BotUser returns a copy of the bot user.
func (s *Server) BotUser() *discordgo.User {
	u := s.botUser
	return &u
}

// Close stops the server: the listener, every gateway connection and the
// goroutines serving them. Helpers still waiting return early.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.shutdown = true
		conns := make([]*gwConn, 0, len(s.gwConns))
		for c := range s.gwConns {
			conns = append(conns, c)
		}
		s.notifyLocked()
		s.mu.Unlock()

		close(s.closed)
		_ = s.httpSrv.Close()
		s.httpClient.CloseIdleConnections()
		for _, c := range conns {
			_ = c.ws.Close()
		}
		s.conns.Wait()
	})
}

// notifyLocked wakes every goroutine blocked in waitUntil. Call it with s.mu
// held after changing state that someone may wait for.
func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
	s.version++
}

// Changed returns a channel that is closed at the next change of the
// server's state (a request handled, a message posted, an interaction
// dispatched, the server closed). Call it again for the change after.
func (s *Server) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

// Version counts the changes of the server's state so far; it only grows.
func (s *Server) Version() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.version
}

// now is the simulated world's time, in UTC.
func (s *Server) now() time.Time { return s.opts.Now().UTC() }

// waitUntil blocks until cond, evaluated with s.mu held, reports true, the
// timeout passes or the server is closed. It reports whether cond held.
func (s *Server) waitUntil(timeout time.Duration, cond func() bool) bool {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		s.mu.Lock()
		ok := cond()
		changed := s.changed
		s.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-changed:
		case <-timer.C:
			s.mu.Lock()
			defer s.mu.Unlock()
			return cond()
		case <-s.closed:
			s.mu.Lock()
			defer s.mu.Unlock()
			return cond()
		}
	}
}

// idGen hands out increasing snowflakes, timed by the world's clock.
type idGen struct {
	now  func() time.Time
	mu   sync.Mutex
	last uint64
}

func (g *idGen) next() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	id := uint64(g.now().UnixMilli()-discordEpoch) << 22
	if id <= g.last {
		id = g.last + 1
	}
	g.last = id
	return strconv.FormatUint(id, 10)
}

// NewID returns a fresh snowflake, larger than every id handed out before.
// Handy for building guild models.
func (s *Server) NewID() string { return s.ids.next() }

// snowflakeTime is the creation time encoded in a snowflake, or now if the
// id is not a number.
func snowflakeTime(id string) time.Time {
	n, err := strconv.ParseUint(id, 10, 64)
	if err != nil {
		return time.Now().UTC()
	}
	return time.UnixMilli(int64(n>>22) + discordEpoch).UTC()
}
