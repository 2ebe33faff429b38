package commands

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
)

// Discord is everything features ask of Discord outside an interaction's
// own reply: posting announcements and DMs, roles, threads and moderation
// actions. commands/ owns this port; bot/ implements it over discordgo,
// and handler tests use a recording stand-in.
//
// Every call takes ctx, which reaches the rate limiter and the request.
// Errors Discord answers with come back as *DiscordError, which matches
// the sentinels below with errors.Is, so a feature branches on what
// happened (ErrDMClosed) rather than on Discord's numeric codes.
type Discord interface {
	// Send posts m in a channel (or thread, or DM channel) and returns the
	// new message's id.
	Send(ctx context.Context, channelID string, m Message) (messageID string, err error)
	// OpenDM returns the id of the DM channel with a member.
	OpenDM(ctx context.Context, userID string) (channelID string, err error)
	// AddRole and RemoveRole give or take a member's role; reason goes to
	// the server's audit log.
	AddRole(ctx context.Context, guildID, userID, roleID, reason string) error
	RemoveRole(ctx context.Context, guildID, userID, roleID, reason string) error
	// StartPrivateThread opens a private thread in a text channel that
	// only its members (and moderators) see, which members can't invite
	// others to.
	StartPrivateThread(ctx context.Context, channelID, name string, autoArchive time.Duration) (threadID string, err error)
	AddThreadMember(ctx context.Context, threadID, userID string) error
	// CloseThread archives and locks a thread: only members with Manage
	// Threads can post in it or open it again.
	CloseThread(ctx context.Context, threadID string) error
	// LastMemberPost is when a member (not a bot) last posted in a channel
	// or thread, judged from its latest messages' authors and times; zero
	// when none of them is a member's. Kindred reads no message's content.
	LastMemberPost(ctx context.Context, channelID string) (time.Time, error)
	// StartMessageThread opens a public thread on one of Kindred's
	// messages, for replies to it.
	StartMessageThread(ctx context.Context, channelID, messageID, name string, autoArchive time.Duration) (threadID string, err error)
	// EditMessage replaces one of Kindred's messages with m (content,
	// embeds and components; files are kept). Nobody is pinged by an edit.
	EditMessage(ctx context.Context, channelID, messageID string, m Message) error
	// DeleteMessage deletes one of Kindred's messages.
	DeleteMessage(ctx context.Context, channelID, messageID string) error
	// Timeout, Kick and Ban are moderation actions; reason goes to the
	// audit log.
	Timeout(ctx context.Context, guildID, userID string, until time.Time, reason string) error
	Kick(ctx context.Context, guildID, userID, reason string) error
	Ban(ctx context.Context, guildID, userID, reason string) error

	// Member is a member of a server as Discord has it now; a user who is
	// not in the server gives an error matching ErrUnknownMember.
	Member(ctx context.Context, guildID, userID string) (ServerMember, error)
	// Server is a server's owner and roles, with their positions, as
	// Discord has them (from the gateway's view, else from REST).
	Server(ctx context.Context, guildID string) (ServerInfo, error)
}

// ServerMember is one member of a server.
type ServerMember struct {
	UserID  string
	Bot     bool
	RoleIDs []string
}

// ServerInfo is what a server's hierarchy checks need: who owns it and
// its roles. The @everyone role has the server's id.
type ServerInfo struct {
	ID      string
	OwnerID string
	Roles   []ServerRole
}

// ServerRole is one role of a server. Higher Position ranks higher; on a
// tie, the role with the lower id ranks higher, as Discord orders them.
type ServerRole struct {
	ID          string
	Position    int
	Permissions int64
	Managed     bool
}

// Message is a message Kindred posts. Nobody is pinged by it unless Ping
// names them: no role, no @everyone, whatever the text contains.
type Message struct {
	Content    string
	Embeds     []*discordgo.MessageEmbed
	Components []discordgo.MessageComponent
	Files      []*discordgo.File
	// Ping lists the members this message may notify (the members of a
	// buddy thread being introduced, say).
	Ping []string
	// Nonce, when set, makes the post idempotent for a few minutes:
	// Discord returns the message Kindred already posted with the same
	// nonce instead of creating a second one. Jobs set it from their
	// dedupe key (nonceFor), so a job run again after its process died
	// between posting and recording the post shows nothing new. At most
	// maxNonce characters.
	Nonce string
}

// maxNonce is the longest nonce Discord accepts on a message.
const maxNonce = 25

// nonceFor is the nonce of the message a job posts for key, a stable name
// of that one effect (a job's dedupe key, "pairing-intro:<id>"): the same
// key always gives the same nonce, of maxNonce characters at most.
//
// It is "k" and the first 120 bits of the key's SHA-256 in base32 (24
// characters). Discord keeps a nonce for a few minutes and compares it
// with the bot's other posts only, so a collision would need two of
// Kindred's keys to share 120 bits of hash within those minutes: with n
// posts in the window the chance is about n²/2¹²¹, nothing for any n a bot
// reaches. The letter keeps the nonce from reading as a number.
func nonceFor(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "k" + strings.ToLower(base32.StdEncoding.EncodeToString(sum[:15]))
}

// MessageSend is m as discordgo posts it, fitted to Discord's limits
// (fit.go). Allowed mentions are set here, once for every implementation
// of the port: no one, or exactly Ping — never a role, @everyone or
// @here, whatever the content says.
func (m Message) MessageSend() *discordgo.MessageSend {
	m = fitMessage(m)
	allowed := &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}
	for _, u := range m.Ping {
		if u != "" && !slices.Contains(allowed.Users, u) {
			allowed.Users = append(allowed.Users, u)
		}
	}
	return &discordgo.MessageSend{
		Content:         m.Content,
		Embeds:          m.Embeds,
		Components:      m.Components,
		Files:           m.Files,
		AllowedMentions: allowed,
	}
}

// MessageEdit is m as discordgo edits message messageID in channelID,
// fitted to Discord's limits, with no mentions allowed.
func (m Message) MessageEdit(channelID, messageID string) *discordgo.MessageEdit {
	send := fitMessage(m)
	embeds := send.Embeds
	if embeds == nil {
		embeds = []*discordgo.MessageEmbed{}
	}
	components := send.Components
	if components == nil {
		components = []discordgo.MessageComponent{}
	}
	return &discordgo.MessageEdit{
		ID:              messageID,
		Channel:         channelID,
		Content:         &send.Content,
		Embeds:          &embeds,
		Components:      &components,
		AllowedMentions: &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}},
	}
}

// What Discord refused, as errors.Is can test for. A *DiscordError
// matches at most one of them, and ErrDMClosed too when it is
// ErrNoMutualServer.
var (
	// ErrDMClosed: the member's DMs are closed to Kindred (50007, 50278).
	ErrDMClosed = errors.New("the member's DMs are closed")
	// ErrNoMutualServer: a DM can't reach the user because they share no
	// server with Kindred any more (50278): they left. It matches
	// ErrDMClosed too, so callers that only care whether the DM went out
	// need no second branch.
	ErrNoMutualServer = fmt.Errorf("the user shares no server with Kindred: %w", ErrDMClosed)
	// ErrForbidden: Kindred lacks a permission for this, or the target
	// ranks above Kindred or owns the server (50013).
	ErrForbidden = errors.New("missing permissions")
	// ErrNoAccess: Kindred can't see the channel (50001).
	ErrNoAccess = errors.New("missing access")
	// ErrUnknownMember: the member has left the server (10007).
	ErrUnknownMember = errors.New("unknown member")
	// ErrUnknownChannel: the channel or thread is gone (10003).
	ErrUnknownChannel = errors.New("unknown channel")
	// ErrUnknownMessage: the message is gone (10008).
	ErrUnknownMessage = errors.New("unknown message")
	// ErrUnknownRole: the role is gone (10011).
	ErrUnknownRole = errors.New("unknown role")
	// ErrUnknownGuild: Kindred is not in that server (10004).
	ErrUnknownGuild = errors.New("unknown guild")
	// ErrTwoFactorRequired: the server requires 2FA for moderation and the
	// bot's owner has none (60003).
	ErrTwoFactorRequired = errors.New("two-factor authentication required")
	// ErrRateLimited: Discord kept answering 429 past the request's patience.
	ErrRateLimited = errors.New("rate limited")
)

// DiscordError is a request Discord refused. Cause is one of the sentinels
// above, or nil for a refusal features have no branch for.
type DiscordError struct {
	Status  int    // HTTP status
	Code    int    // Discord's JSON error code; 0 when none came
	Message string // Discord's own words, for logs and facilitators
	Cause   error
}

func (e *DiscordError) Error() string {
	return fmt.Sprintf("discord: %d %d %s", e.Status, e.Code, e.Message)
}

func (e *DiscordError) Unwrap() error { return e.Cause }

// Discord's JSON error codes that discordgo v0.29.0 has no name for.
const (
	discordCodeNoMutualGuilds    = 50278 // a DM can't reach someone who shares no server with Kindred
	discordCodeTwoFactorRequired = 60003
)

// DiscordErrorCause maps one of Discord's documented JSON error codes to the
// sentinel features branch on, or nil.
func DiscordErrorCause(code int) error {
	switch code {
	case discordgo.ErrCodeUnknownChannel:
		return ErrUnknownChannel
	case discordgo.ErrCodeUnknownMember:
		return ErrUnknownMember
	case discordgo.ErrCodeUnknownMessage:
		return ErrUnknownMessage
	case discordgo.ErrCodeUnknownRole:
		return ErrUnknownRole
	case discordgo.ErrCodeUnknownGuild:
		return ErrUnknownGuild
	case discordgo.ErrCodeMissingAccess:
		return ErrNoAccess
	case discordgo.ErrCodeCannotSendMessagesToThisUser:
		return ErrDMClosed
	case discordCodeNoMutualGuilds:
		return ErrNoMutualServer
	case discordgo.ErrCodeMissingPermissions:
		return ErrForbidden
	case discordCodeTwoFactorRequired:
		return ErrTwoFactorRequired
	}
	return nil
}

// memberOf reports whether userID is in the server now. A button pressed
// in a DM names its server in its id; this is how a handler checks it.
func memberOf(ctx context.Context, d Discord, guildID, userID string) (bool, error) {
	_, err := d.Member(ctx, guildID, userID)
	return presence(err)
}

// presence reads Member's answer: in the server, not in it (or Kindred
// isn't), or an error Discord gave no verdict with.
func presence(err error) (bool, error) {
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, ErrUnknownMember), errors.Is(err, ErrNoAccess), errors.Is(err, ErrUnknownGuild):
		return false, nil
	}
	return false, err
}

// transient reports whether trying the same request again later may
// succeed: Discord failed (5xx) or asked Kindred to slow down (429), or
// the request never got an answer (a timeout, a dropped connection).
// Anything else Discord refused will be refused again. A cancelled ctx is
// not transient: the caller is shutting down.
func transient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var de *DiscordError
	if errors.As(err, &de) {
		return de.Status >= 500 || de.Status == http.StatusTooManyRequests || errors.Is(de, ErrRateLimited)
	}
	return true
}

// discordProblem words a Discord error for the facilitator or moderator
// who has to fix it.
func discordProblem(err error) string {
	switch {
	case errors.Is(err, ErrForbidden):
		return "Kindred is missing a permission there"
	case errors.Is(err, ErrNoAccess):
		return "Kindred can't see that channel"
	case errors.Is(err, ErrUnknownChannel):
		return "the channel no longer exists"
	case errors.Is(err, ErrUnknownMember):
		return "they are no longer in the server"
	case errors.Is(err, ErrNoMutualServer):
		return "they share no server with Kindred any more"
	case errors.Is(err, ErrDMClosed):
		return "their DMs are closed to Kindred"
	case errors.Is(err, ErrTwoFactorRequired):
		return "the server requires two-factor authentication for moderation, which Kindred's owner account lacks (Discord error 60003); Kindred's owner can turn 2FA on, or the server's owner can lift the requirement in Server Settings → Safety Setup"
	case errors.Is(err, ErrRateLimited):
		return "Discord asked Kindred to slow down; try again in a minute"
	}
	var de *DiscordError
	if errors.As(err, &de) && de.Message != "" {
		return de.Message
	}
	return "Discord didn't answer"
}
