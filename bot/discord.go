package bot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/kindred-bot/kindred/commands"
)

// discordPort is commands.Discord over a discordgo session. Every call
// first waits for a token of the global bucket, then makes its request;
// the caller's context bounds both. Errors Discord answers with come back
// as *commands.DiscordError.
type discordPort struct {
	session *discordgo.Session
	bucket  *tokenBucket
	// dms caches each member's DM channel id (user id → channel id):
	// Discord returns the same channel every time.
	dms sync.Map
	// servers are the owners and roles the gateway has described.
	servers *servers
}

var _ commands.Discord = (*discordPort)(nil)

func newDiscordPort(session *discordgo.Session, bucket *tokenBucket) *discordPort {
	return &discordPort{session: session, bucket: bucket, servers: newServers(session)}
}

// maxAuditReason is the most characters Discord keeps of an audit log
// reason.
const maxAuditReason = 512

// call waits for a token, then runs request with ctx and extra as its
// request options, and translates the error.
func (d *discordPort) call(ctx context.Context, op string, request func(opts ...discordgo.RequestOption) error, extra ...discordgo.RequestOption) error {
	if err := d.bucket.wait(ctx); err != nil {
		return err
	}
	opts := append([]discordgo.RequestOption{discordgo.WithContext(ctx)}, extra...)
	return discordError(op, request(opts...))
}

// auditReason is the request option that puts reason in the server's audit
// log, or none when reason is empty. Discord reads the header URL-encoded.
func auditReason(reason string) []discordgo.RequestOption {
	if reason == "" {
		return nil
	}
	return []discordgo.RequestOption{discordgo.WithAuditLogReason(url.PathEscape(clipReason(reason)))}
}

// clipReason shortens an audit log reason to what Discord keeps.
func clipReason(reason string) string {
	if r := []rune(reason); len(r) > maxAuditReason {
		return string(r[:maxAuditReason])
	}
	return reason
}

// discordError turns what discordgo returned into a *commands.DiscordError
// when Discord refused the request, and otherwise (the network, the
// context) wraps it with the operation.
func discordError(op string, err error) error {
	if err == nil {
		return nil
	}
	var rest *discordgo.RESTError
	if errors.As(err, &rest) {
		de := &commands.DiscordError{}
		if rest.Response != nil {
			de.Status = rest.Response.StatusCode
		}
		if rest.Message != nil {
			de.Code, de.Message = rest.Message.Code, rest.Message.Message
		}
		de.Cause = commands.DiscordErrorCause(de.Code)
		if de.Status == http.StatusTooManyRequests {
			de.Cause = commands.ErrRateLimited
		}
		return de
	}
	var limited *discordgo.RateLimitError
	if errors.As(err, &limited) {
		return rateLimited(limited.RateLimit)
	}
	var limitedValue discordgo.RateLimitError
	if errors.As(err, &limitedValue) {
		return rateLimited(limitedValue.RateLimit)
	}
	return fmt.Errorf("discord %s: %w", op, err)
}

// rateLimited is the error for a 429 that discordgo gave up on.
func rateLimited(rl *discordgo.RateLimit) *commands.DiscordError {
	de := &commands.DiscordError{Status: http.StatusTooManyRequests, Cause: commands.ErrRateLimited}
	if rl != nil && rl.TooManyRequests != nil {
		de.Message = rl.Message
	}
	return de
}

func (d *discordPort) Send(ctx context.Context, channelID string, m commands.Message) (string, error) {
	var msg *discordgo.Message
	err := d.call(ctx, "send message", func(opts ...discordgo.RequestOption) (err error) {
		if m.Nonce != "" {
			msg, err = d.sendWithNonce(channelID, m, opts...)
		} else {
			msg, err = d.session.ChannelMessageSendComplex(channelID, m.MessageSend(), opts...)
		}
		return err
	})
	if err != nil {
		return "", err
	}
	return msg.ID, nil
}

// nonceMessage is a message to create with an enforced nonce, which
// discordgo's MessageSend has no fields for: Discord then returns the
// message the bot created with the same nonce in the past few minutes, if
// there is one, instead of creating another.
type nonceMessage struct {
	*discordgo.MessageSend
	Nonce        string `json:"nonce"`
	EnforceNonce bool   `json:"enforce_nonce"`
}

// sendWithNonce is ChannelMessageSendComplex for a message with a nonce:
// the same request, on the same route and rate-limit bucket, plus the
// nonce.
func (d *discordPort) sendWithNonce(channelID string, m commands.Message, opts ...discordgo.RequestOption) (*discordgo.Message, error) {
	data := m.MessageSend()
	for _, e := range data.Embeds {
		if e.Type == "" {
			e.Type = discordgo.EmbedTypeRich // as discordgo fills it in
		}
	}
	body := nonceMessage{MessageSend: data, Nonce: m.Nonce, EnforceNonce: true}
	endpoint := discordgo.EndpointChannelMessages(channelID)
	var (
		response []byte
		err      error
	)
	if len(data.Files) > 0 {
		contentType, multipart, encodeErr := discordgo.MultipartBodyWithJSON(body, data.Files)
		if encodeErr != nil {
			return nil, encodeErr
		}
		response, err = d.session.RequestRaw(http.MethodPost, endpoint, contentType, multipart, endpoint, 0, opts...)
	} else {
		response, err = d.session.RequestWithBucketID(http.MethodPost, endpoint, body, endpoint, opts...)
	}
	if err != nil {
		return nil, err
	}
	var msg discordgo.Message
	if err := discordgo.Unmarshal(response, &msg); err != nil {
		return nil, fmt.Errorf("%w: %s", discordgo.ErrJSONUnmarshal, err)
	}
	return &msg, nil
}

func (d *discordPort) OpenDM(ctx context.Context, userID string) (string, error) {
	if id, ok := d.dms.Load(userID); ok {
		return id.(string), nil
	}
	var ch *discordgo.Channel
	err := d.call(ctx, "open DM", func(opts ...discordgo.RequestOption) (err error) {
		ch, err = d.session.UserChannelCreate(userID, opts...)
		return err
	})
	if err != nil {
		return "", err
	}
	d.dms.Store(userID, ch.ID)
	return ch.ID, nil
}

func (d *discordPort) AddRole(ctx context.Context, guildID, userID, roleID, reason string) error {
	return d.call(ctx, "add role", func(opts ...discordgo.RequestOption) error {
		return d.session.GuildMemberRoleAdd(guildID, userID, roleID, opts...)
	}, auditReason(reason)...)
}

func (d *discordPort) RemoveRole(ctx context.Context, guildID, userID, roleID, reason string) error {
	return d.call(ctx, "remove role", func(opts ...discordgo.RequestOption) error {
		return d.session.GuildMemberRoleRemove(guildID, userID, roleID, opts...)
	}, auditReason(reason)...)
}

func (d *discordPort) StartPrivateThread(ctx context.Context, channelID, name string, autoArchive time.Duration) (string, error) {
	var th *discordgo.Channel
	err := d.call(ctx, "start thread", func(opts ...discordgo.RequestOption) (err error) {
		th, err = d.session.ThreadStartComplex(channelID, &discordgo.ThreadStart{
			Name:                name,
			Type:                discordgo.ChannelTypeGuildPrivateThread,
			Invitable:           false,
			AutoArchiveDuration: int(autoArchive / time.Minute),
		}, opts...)
		return err
	})
	if err != nil {
		return "", err
	}
	return th.ID, nil
}

func (d *discordPort) StartMessageThread(ctx context.Context, channelID, messageID, name string, autoArchive time.Duration) (string, error) {
	var th *discordgo.Channel
	err := d.call(ctx, "start message thread", func(opts ...discordgo.RequestOption) (err error) {
		th, err = d.session.MessageThreadStartComplex(channelID, messageID, &discordgo.ThreadStart{
			Name:                name,
			AutoArchiveDuration: int(autoArchive / time.Minute),
		}, opts...)
		return err
	})
	if err != nil {
		return "", err
	}
	return th.ID, nil
}

func (d *discordPort) DeleteMessage(ctx context.Context, channelID, messageID string) error {
	return d.call(ctx, "delete message", func(opts ...discordgo.RequestOption) error {
		return d.session.ChannelMessageDelete(channelID, messageID, opts...)
	})
}

func (d *discordPort) AddThreadMember(ctx context.Context, threadID, userID string) error {
	return d.call(ctx, "add thread member", func(opts ...discordgo.RequestOption) error {
		return d.session.ThreadMemberAdd(threadID, userID, opts...)
	})
}

func (d *discordPort) CloseThread(ctx context.Context, threadID string) error {
	yes := true
	return d.call(ctx, "close thread", func(opts ...discordgo.RequestOption) error {
		_, err := d.session.ChannelEditComplex(threadID, &discordgo.ChannelEdit{Archived: &yes, Locked: &yes}, opts...)
		return err
	})
}

// lastPostsRead is how many of a channel's latest messages LastMemberPost
// looks through for a member's: Kindred's own posts in a support thread
// are a handful at most.
const lastPostsRead = 20

func (d *discordPort) LastMemberPost(ctx context.Context, channelID string) (time.Time, error) {
	var msgs []*discordgo.Message
	err := d.call(ctx, "read latest messages", func(opts ...discordgo.RequestOption) (err error) {
		msgs, err = d.session.ChannelMessages(channelID, lastPostsRead, "", "", "", opts...)
		return err
	})
	if err != nil {
		return time.Time{}, err
	}
	for _, m := range msgs { // newest first
		if m.Author != nil && !m.Author.Bot {
			return m.Timestamp, nil
		}
	}
	return time.Time{}, nil
}

func (d *discordPort) EditMessage(ctx context.Context, channelID, messageID string, m commands.Message) error {
	return d.call(ctx, "edit message", func(opts ...discordgo.RequestOption) error {
		_, err := d.session.ChannelMessageEditComplex(m.MessageEdit(channelID, messageID), opts...)
		return err
	})
}

// Timeout times a member out until then; a zero until lifts a timeout.
func (d *discordPort) Timeout(ctx context.Context, guildID, userID string, until time.Time, reason string) error {
	var u *time.Time
	if !until.IsZero() {
		u = &until
	}
	return d.call(ctx, "time out member", func(opts ...discordgo.RequestOption) error {
		return d.session.GuildMemberTimeout(guildID, userID, u, opts...)
	}, auditReason(reason)...)
}

// Kick and Ban send the audit log reason only in X-Audit-Log-Reason, where
// Discord reads it: discordgo's ...WithReason calls would also put it in a
// "reason" query parameter, which Discord no longer documents.

func (d *discordPort) Kick(ctx context.Context, guildID, userID, reason string) error {
	return d.call(ctx, "kick member", func(opts ...discordgo.RequestOption) error {
		return d.session.GuildMemberDelete(guildID, userID, opts...)
	}, auditReason(reason)...)
}

func (d *discordPort) Ban(ctx context.Context, guildID, userID, reason string) error {
	return d.call(ctx, "ban member", func(opts ...discordgo.RequestOption) error {
		return d.session.GuildBanCreate(guildID, userID, 0, opts...)
	}, auditReason(reason)...)
}

func (d *discordPort) Member(ctx context.Context, guildID, userID string) (commands.ServerMember, error) {
	var m *discordgo.Member
	err := d.call(ctx, "get member", func(opts ...discordgo.RequestOption) (err error) {
		m, err = d.session.GuildMember(guildID, userID, opts...)
		return err
	})
	if err != nil {
		return commands.ServerMember{}, err
	}
	out := commands.ServerMember{UserID: userID, RoleIDs: m.Roles}
	if m.User != nil {
		out.Bot = m.User.Bot
	}
	return out, nil
}

// Server reads the server as the gateway described it (GUILD_CREATE and
// the role events keep it current), and asks REST only when the gateway
// has not.
func (d *discordPort) Server(ctx context.Context, guildID string) (commands.ServerInfo, error) {
	if info, ok := d.servers.get(guildID); ok {
		return info, nil
	}
	var g *discordgo.Guild
	if err := d.call(ctx, "get guild", func(opts ...discordgo.RequestOption) (err error) {
		g, err = d.session.Guild(guildID, opts...)
		return err
	}); err != nil {
		return commands.ServerInfo{}, err
	}
	return serverInfo(g.ID, g.OwnerID, g.Roles), nil
}

func serverInfo(id, owner string, roles []*discordgo.Role) commands.ServerInfo {
	info := commands.ServerInfo{ID: id, OwnerID: owner, Roles: make([]commands.ServerRole, 0, len(roles))}
	for _, r := range roles {
		info.Roles = append(info.Roles, commands.ServerRole{ID: r.ID, Position: r.Position, Permissions: r.Permissions, Managed: r.Managed})
	}
	return info
}
