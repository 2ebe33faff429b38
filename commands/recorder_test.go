package commands

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
)

// recorder is a Discord that remembers every call a handler makes and
// answers as Discord would, or with an error a test arranged. Safe for
// concurrent use.
type recorder struct {
	// members and servers answer Member and Server; a member not listed
	// is not in the server.
	members map[string]ServerMember // by guild id + "/" + user id
	servers map[string]ServerInfo
	mu      sync.Mutex
	calls   []recordedCall
	fail    map[string][]error // by method name, used up in order
	next    int                // for message and channel ids
}

// recordedCall is one call: the method and its arguments, ids as strings.
type recordedCall struct {
	Method string
	Args   []string
	// Message is what Send posted, as it goes to Discord.
	Message *discordgo.MessageSend
	// Err is what the call returned.
	Err error
}

func (c recordedCall) String() string {
	return c.Method + "(" + strings.Join(c.Args, ", ") + ")"
}

var _ Discord = (*recorder)(nil)

// newRecorder is a recorder for the test server (testServer), in which
// Kindred is a member holding its own role.
func newRecorder() *recorder {
	return &recorder{
		fail:    map[string][]error{},
		servers: map[string]ServerInfo{guildID: testServer()},
		members: map[string]ServerMember{guildID + "/" + kindredID: {UserID: kindredID, Bot: true, RoleIDs: []string{botRoleID}}},
	}
}

// The test server's owner, Kindred's own user and the roles beyond those
// the group tests resolve.
const (
	ownerID       = "200000000000000050"
	kindredID     = "200000000000000098" // Env.BotUserID; holds botRoleID
	adminRoleID   = "400000000000000006" // position 2, Administrator
	councilRoleID = "400000000000000007" // position 12, above Kindred's role
)

// harmlessPermissions are those of @everyone in the test server.
const harmlessPermissions int64 = discordgo.PermissionViewChannel | discordgo.PermissionSendMessages |
	discordgo.PermissionReadMessageHistory | discordgo.PermissionAddReactions

// testServer is the test server as Discord has it: its owner, and roles at
// positions, lowest first. Facilitators (facRoleID) can manage roles,
// moderators (modRoleID) can kick and ban; Kindred's own role (botRoleID,
// managed) sits at 10.
func testServer() ServerInfo {
	return ServerInfo{ID: guildID, OwnerID: ownerID, Roles: []ServerRole{
		{ID: guildID, Position: 0, Permissions: harmlessPermissions},
		{ID: circleRoleID, Position: 1, Permissions: discordgo.PermissionViewChannel | discordgo.PermissionSendMessages},
		{ID: adminRoleID, Position: 2, Permissions: discordgo.PermissionAdministrator},
		{ID: facRoleID, Position: 3, Permissions: discordgo.PermissionManageRoles},
		{ID: modRoleID, Position: 4, Permissions: discordgo.PermissionKickMembers | discordgo.PermissionBanMembers},
		{ID: staffRoleID, Position: 5, Permissions: discordgo.PermissionManageMessages},
		{ID: botRoleID, Position: 10, Managed: true, Permissions: discordgo.PermissionManageRoles | discordgo.PermissionKickMembers |
			discordgo.PermissionBanMembers | discordgo.PermissionModerateMembers},
		{ID: councilRoleID, Position: 12},
	}}
}

// setRole changes (or adds) a role of a server, as an admin would in
// Server Settings.
func (r *recorder) setRole(guildID string, role ServerRole) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.servers[guildID]
	roles := make([]ServerRole, 0, len(s.Roles)+1)
	found := false
	for _, old := range s.Roles {
		if old.ID == role.ID {
			old, found = role, true
		}
		roles = append(roles, old)
	}
	if !found {
		roles = append(roles, role)
	}
	s.Roles = roles
	r.servers[guildID] = s
}

// failNext makes the next call of method return err.
func (r *recorder) failNext(method string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fail[method] = append(r.fail[method], err)
}

// Calls returns the calls so far, optionally only those of one method.
func (r *recorder) Calls(method string) []recordedCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []recordedCall
	for _, c := range r.calls {
		if method == "" || c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

func (r *recorder) record(c recordedCall) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if errs := r.fail[c.Method]; len(errs) > 0 {
		c.Err, r.fail[c.Method] = errs[0], errs[1:]
	}
	r.calls = append(r.calls, c)
	return c.Err
}

func (r *recorder) newID() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.next++
	return strconv.Itoa(900000000000000000 + r.next)
}

func (r *recorder) Send(_ context.Context, channelID string, m Message) (string, error) {
	if err := r.record(recordedCall{Method: "Send", Args: []string{channelID}, Message: m.MessageSend()}); err != nil {
		return "", err
	}
	return r.newID(), nil
}

func (r *recorder) OpenDM(_ context.Context, userID string) (string, error) {
	if err := r.record(recordedCall{Method: "OpenDM", Args: []string{userID}}); err != nil {
		return "", err
	}
	return "dm-" + userID, nil
}

func (r *recorder) AddRole(_ context.Context, guildID, userID, roleID, _ string) error {
	return r.record(recordedCall{Method: "AddRole", Args: []string{guildID, userID, roleID}})
}

func (r *recorder) RemoveRole(_ context.Context, guildID, userID, roleID, _ string) error {
	return r.record(recordedCall{Method: "RemoveRole", Args: []string{guildID, userID, roleID}})
}

func (r *recorder) StartPrivateThread(_ context.Context, channelID, name string, autoArchive time.Duration) (string, error) {
	if err := r.record(recordedCall{Method: "StartPrivateThread", Args: []string{channelID, name, autoArchive.String()}}); err != nil {
		return "", err
	}
	return r.newID(), nil
}

func (r *recorder) StartMessageThread(_ context.Context, channelID, messageID, name string, _ time.Duration) (string, error) {
	if err := r.record(recordedCall{Method: "StartMessageThread", Args: []string{channelID, messageID, name}}); err != nil {
		return "", err
	}
	return r.newID(), nil
}

func (r *recorder) EditMessage(_ context.Context, channelID, messageID string, m Message) error {
	return r.record(recordedCall{Method: "EditMessage", Args: []string{channelID, messageID}, Message: m.MessageSend()})
}

func (r *recorder) DeleteMessage(_ context.Context, channelID, messageID string) error {
	return r.record(recordedCall{Method: "DeleteMessage", Args: []string{channelID, messageID}})
}

func (r *recorder) AddThreadMember(_ context.Context, threadID, userID string) error {
	return r.record(recordedCall{Method: "AddThreadMember", Args: []string{threadID, userID}})
}

func (r *recorder) CloseThread(_ context.Context, threadID string) error {
	return r.record(recordedCall{Method: "CloseThread", Args: []string{threadID}})
}

func (r *recorder) LastMemberPost(_ context.Context, channelID string) (time.Time, error) {
	return time.Time{}, r.record(recordedCall{Method: "LastMemberPost", Args: []string{channelID}})
}

func (r *recorder) Timeout(_ context.Context, guildID, userID string, until time.Time, _ string) error {
	return r.record(recordedCall{Method: "Timeout", Args: []string{guildID, userID, until.UTC().Format(time.RFC3339)}})
}

func (r *recorder) Kick(_ context.Context, guildID, userID, reason string) error {
	return r.record(recordedCall{Method: "Kick", Args: []string{guildID, userID, reason}})
}

func (r *recorder) Ban(_ context.Context, guildID, userID, reason string) error {
	return r.record(recordedCall{Method: "Ban", Args: []string{guildID, userID, reason}})
}

// discordError is what the port returns when Discord refuses a request,
// e.g. discordError(403, discordgo.ErrCodeMissingPermissions, "Missing Permissions").
func discordError(status, code int, message string) error {
	return &DiscordError{Status: status, Code: code, Message: message, Cause: DiscordErrorCause(code)}
}

func (r *recorder) Member(_ context.Context, guildID, userID string) (ServerMember, error) {
	if err := r.record(recordedCall{Method: "Member", Args: []string{guildID, userID}}); err != nil {
		return ServerMember{}, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	m, ok := r.members[guildID+"/"+userID]
	if !ok {
		return ServerMember{}, discordError(404, 10007, "Unknown Member")
	}
	return m, nil
}

func (r *recorder) Server(_ context.Context, guildID string) (ServerInfo, error) {
	if err := r.record(recordedCall{Method: "Server", Args: []string{guildID}}); err != nil {
		return ServerInfo{}, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.servers[guildID]
	if !ok {
		return ServerInfo{}, discordError(404, 10004, "Unknown Guild")
	}
	return s, nil
}

// addMember makes userID a member of guildID with roles, for Member.
func (r *recorder) addMember(guildID, userID string, roles ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.members == nil {
		r.members = map[string]ServerMember{}
	}
	r.members[guildID+"/"+userID] = ServerMember{UserID: userID, RoleIDs: roles}
}

// addBot makes userID a bot member of guildID, for Member.
func (r *recorder) addBot(guildID, userID string, roles ...string) {
	r.addMember(guildID, userID, roles...)
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.members[guildID+"/"+userID]
	m.Bot = true
	r.members[guildID+"/"+userID] = m
}
