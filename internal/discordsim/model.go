package discordsim

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
)

// Guild describes a guild for AddGuild. Empty ids are filled in with fresh
// snowflakes. The @everyone role has the guild's id; if Roles does not
// contain it, one with DefaultEveryonePermissions is added.
//
// A guild without channels gets a text channel "general".
//
// If OwnerID is empty, a separate member "guild-owner" is created to own the
// guild, so that no listed member gets the owner's permissions by accident;
// an owner missing from Members is added to them.
//
// Unless Members already lists the bot user, the bot joins with a managed
// role named after it, at BotRolePosition, with BotPermissions.
type Guild struct {
	ID, Name, OwnerID string
	Channels          []Channel
	Roles             []Role
	Members           []Member
}

// Channel describes a guild channel. Type defaults to a text channel.
type Channel struct {
	ID, Name string
	Type     discordgo.ChannelType
	ParentID string
	Topic    string
}

// Role describes a guild role. Higher Position ranks higher; on a tie the
// role with the lower id ranks higher, as on Discord. A Managed role
// belongs to an integration (a bot's own role): nobody can hand it out.
type Role struct {
	ID, Name    string
	Permissions int64
	Position    int
	Managed     bool
}

// Member is a guild member: a user and the ids of their roles (without
// @everyone).
type Member struct {
	User  User
	Roles []string
}

// User is a Discord user.
type User struct {
	ID, Username string
	Bot          bool
}

const (
	// BotRolePosition is the position of the role the bot gets in every guild
	// added without an explicit bot member. Roles at this position or above
	// are out of the bot's reach (403 Missing Permissions).
	BotRolePosition = 10

	// DefaultEveryonePermissions are the @everyone permissions of a guild
	// whose Roles do not include @everyone, close to a fresh Discord server.
	DefaultEveryonePermissions int64 = discordgo.PermissionViewChannel |
		discordgo.PermissionCreateInstantInvite |
		discordgo.PermissionChangeNickname |
		discordgo.PermissionSendMessages |
		discordgo.PermissionSendMessagesInThreads |
		discordgo.PermissionCreatePublicThreads |
		discordgo.PermissionCreatePrivateThreads |
		discordgo.PermissionEmbedLinks |
		discordgo.PermissionAttachFiles |
		discordgo.PermissionAddReactions |
		discordgo.PermissionUseExternalEmojis |
		discordgo.PermissionReadMessageHistory |
		discordgo.PermissionUseApplicationCommands |
		discordgo.PermissionVoiceConnect |
		discordgo.PermissionVoiceSpeak |
		discordgo.PermissionVoiceUseVAD

	// BotPermissions are the permissions of the bot's own role.
	BotPermissions int64 = discordgo.PermissionViewChannel |
		discordgo.PermissionSendMessages |
		discordgo.PermissionSendMessagesInThreads |
		discordgo.PermissionCreatePublicThreads |
		discordgo.PermissionCreatePrivateThreads |
		discordgo.PermissionManageThreads |
		discordgo.PermissionManageMessages |
		discordgo.PermissionEmbedLinks |
		discordgo.PermissionAttachFiles |
		discordgo.PermissionAddReactions |
		discordgo.PermissionUseExternalEmojis |
		discordgo.PermissionReadMessageHistory |
		discordgo.PermissionUseApplicationCommands |
		discordgo.PermissionManageRoles |
		discordgo.PermissionManageNicknames |
		discordgo.PermissionKickMembers |
		discordgo.PermissionBanMembers |
		discordgo.PermissionModerateMembers |
		discordgo.PermissionViewAuditLogs

	// AllPermissions is what owners and administrators have. (discordgo's
	// PermissionAll misses newer bits such as MODERATE_MEMBERS.)
	AllPermissions int64 = 1<<51 - 1
)

type guildState struct {
	id, name, ownerID string
	joinedAt          time.Time
	roles             []*discordgo.Role
	channelOrder      []string // guild channels (not threads), in creation order
	members           map[string]*memberState
	memberOrder       []string
	bans              map[string]*discordgo.GuildBan
	botRoleID         string
}

type memberState struct {
	user         *discordgo.User
	roles        []string
	nick         string
	joinedAt     time.Time
	timeoutUntil *time.Time
	mute, deaf   bool
}

type channelState struct {
	ch            *discordgo.Channel
	threadMembers []string // for threads: member user ids in join order
}

// AddGuild adds a guild (or replaces one with the same id) and, if the bot
// is connected, dispatches GUILD_CREATE for it.
func (s *Server) AddGuild(g Guild) {
	var out outbox
	s.mu.Lock()
	gs := s.addGuildLocked(g)
	// Built only for a connected bot: a test adding thousands of guilds
	// before connecting should not pay for payloads nobody receives.
	s.emitEachLocked(&out, gs.id, "GUILD_CREATE", discordgo.IntentGuilds, func(*gwSession) any {
		return s.guildCreateLocked(gs, s.threadsByGuildLocked()[gs.id])
	})
	s.notifyLocked()
	s.mu.Unlock()
	s.flush(out)
}

func (s *Server) addGuildLocked(g Guild) *guildState {
	if g.ID == "" {
		g.ID = s.ids.next()
	}
	if old := s.guilds[g.ID]; old != nil {
		for _, id := range old.channelOrder {
			delete(s.channels, id)
		}
	} else {
		s.guildOrder = append(s.guildOrder, g.ID)
	}
	if g.Name == "" {
		g.Name = "Guild " + g.ID
	}
	gs := &guildState{
		id:       g.ID,
		name:     g.Name,
		ownerID:  g.OwnerID,
		joinedAt: s.now(),
		members:  map[string]*memberState{},
		bans:     map[string]*discordgo.GuildBan{},
	}
	s.guilds[g.ID] = gs

	hasEveryone := false
	for _, r := range g.Roles {
		if r.ID == "" {
			r.ID = s.ids.next()
		}
		if r.ID == g.ID {
			hasEveryone = true
			if r.Name == "" {
				r.Name = "@everyone"
			}
		}
		gs.roles = append(gs.roles, &discordgo.Role{ID: r.ID, Name: r.Name, Permissions: r.Permissions, Position: r.Position, Managed: r.Managed})
	}
	if !hasEveryone {
		gs.roles = append([]*discordgo.Role{{ID: g.ID, Name: "@everyone", Permissions: DefaultEveryonePermissions}}, gs.roles...)
	}

	if len(g.Channels) == 0 {
		g.Channels = []Channel{{Name: "general"}}
	}
	for i, c := range g.Channels {
		if c.ID == "" {
			c.ID = s.ids.next()
		}
		if c.Name == "" {
			c.Name = "channel-" + c.ID
		}
		s.channels[c.ID] = &channelState{ch: &discordgo.Channel{
			ID: c.ID, GuildID: g.ID, Name: c.Name, Type: c.Type, ParentID: c.ParentID, Topic: c.Topic, Position: i,
		}}
		gs.channelOrder = append(gs.channelOrder, c.ID)
	}

	for _, m := range g.Members {
		s.addMemberLocked(gs, m)
	}
	if gs.ownerID != "" && gs.members[gs.ownerID] == nil {
		s.addMemberLocked(gs, Member{User: User{ID: gs.ownerID}})
	}
	if gs.ownerID == "" {
		owner := Member{User: User{ID: s.ids.next(), Username: "guild-owner"}}
		s.addMemberLocked(gs, owner)
		gs.ownerID = owner.User.ID
	}
	if gs.members[s.botUser.ID] == nil {
		gs.botRoleID = s.ids.next()
		gs.roles = append(gs.roles, &discordgo.Role{
			ID: gs.botRoleID, Name: s.botUser.Username, Permissions: BotPermissions,
			Position: BotRolePosition, Managed: true,
		})
		gs.members[s.botUser.ID] = &memberState{user: &s.botUser, roles: []string{gs.botRoleID}, joinedAt: gs.joinedAt}
		gs.memberOrder = append(gs.memberOrder, s.botUser.ID)
	}
	return gs
}

func (s *Server) addMemberLocked(gs *guildState, m Member) *memberState {
	if m.User.ID == "" {
		m.User.ID = s.ids.next()
	}
	u := s.userLocked(m.User.ID)
	if m.User.Username != "" {
		u.Username = m.User.Username
	}
	u.Bot = u.Bot || m.User.Bot
	ms := &memberState{user: u, roles: slices.Clone(m.Roles), joinedAt: s.now()}
	if gs.members[u.ID] == nil {
		gs.memberOrder = append(gs.memberOrder, u.ID)
	}
	gs.members[u.ID] = ms
	return ms
}

// userLocked returns the directory entry for a user id, creating a
// placeholder user if the id is unknown.
func (s *Server) userLocked(id string) *discordgo.User {
	if u := s.users[id]; u != nil {
		return u
	}
	u := &discordgo.User{ID: id, Username: "user" + id, Discriminator: "0"}
	s.users[id] = u
	return u
}

// AddUser makes a user known outside of any guild, e.g. for DM-only tests.
// As on Discord, the bot can open a DM channel with such a user but not
// message them (403, 50278) until they share a guild.
func (s *Server) AddUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	du := s.userLocked(u.ID)
	if u.Username != "" {
		du.Username = u.Username
	}
	du.Bot = u.Bot
}

// AddMember adds a member to a guild. Like Discord without the privileged
// GUILD_MEMBERS intent, nothing is dispatched.
func (s *Server) AddMember(guildID string, m Member) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if gs := s.guilds[guildID]; gs != nil {
		s.addMemberLocked(gs, m)
		s.notifyLocked()
	}
}

// RemoveMember makes a member leave a guild, as leaving the server does.
// Afterwards Discord answers 404 Unknown Member (10007) for them there
// (GET member, roles, adding them to a thread), and a DM to a user who
// then shares no guild with the bot 403 (50278). Sessions that identified
// with the privileged GUILD_MEMBERS intent receive GUILD_MEMBER_REMOVE.
func (s *Server) RemoveMember(guildID, userID string) {
	var out outbox
	s.mu.Lock()
	if gs := s.guilds[guildID]; gs != nil {
		s.removeMemberLocked(&out, gs, userID)
		s.notifyLocked()
	}
	s.mu.Unlock()
	s.flush(out)
}

// removeMemberLocked takes a member out of a guild, whether they left, were
// kicked or banned, and dispatches GUILD_MEMBER_REMOVE {guild_id, user} to
// the sessions with the GUILD_MEMBERS intent. A non-member is ignored.
func (s *Server) removeMemberLocked(out *outbox, gs *guildState, userID string) {
	m := gs.members[userID]
	if m == nil {
		return
	}
	u := *m.user
	gs.removeMember(userID)
	s.emitLocked(out, gs.id, "GUILD_MEMBER_REMOVE", discordgo.IntentGuildMembers, map[string]any{"guild_id": gs.id, "user": &u})
}

// AddChannel adds a channel to a guild, dispatches CHANNEL_CREATE and
// returns the channel id.
func (s *Server) AddChannel(guildID string, c Channel) string {
	var out outbox
	s.mu.Lock()
	gs := s.guilds[guildID]
	if gs == nil {
		s.mu.Unlock()
		return ""
	}
	if c.ID == "" {
		c.ID = s.ids.next()
	}
	if c.Name == "" {
		c.Name = "channel-" + c.ID
	}
	ch := &discordgo.Channel{ID: c.ID, GuildID: guildID, Name: c.Name, Type: c.Type, ParentID: c.ParentID, Topic: c.Topic, Position: len(gs.channelOrder)}
	s.channels[c.ID] = &channelState{ch: ch}
	gs.channelOrder = append(gs.channelOrder, c.ID)
	s.emitLocked(&out, guildID, "CHANNEL_CREATE", discordgo.IntentGuilds, copyChannel(ch))
	s.notifyLocked()
	s.mu.Unlock()
	s.flush(out)
	return c.ID
}

// BlockDMs makes messages to the user's DM channel fail with 403 "Cannot
// send messages to this user" (50007), as when a user closed their DMs.
func (s *Server) BlockDMs(userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dmBlocked[userID] = true
}

// Permissions computes a member's guild-level permissions the way Discord
// does: the owner and administrators have AllPermissions, everyone else the
// union of @everyone and their roles. Non-members have none.
func (s *Server) Permissions(guildID, userID string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	gs := s.guilds[guildID]
	if gs == nil {
		return 0
	}
	return gs.permissions(userID)
}

// Member returns a guild member as Discord would (roles, nick, timeout), or
// nil if the user is not a member.
func (s *Server) Member(guildID, userID string) *discordgo.Member {
	s.mu.Lock()
	defer s.mu.Unlock()
	gs := s.guilds[guildID]
	if gs == nil || gs.members[userID] == nil {
		return nil
	}
	return gs.memberObject(userID, true)
}

// GuildRoles returns a guild's roles, @everyone first.
func (s *Server) GuildRoles(guildID string) []*discordgo.Role {
	s.mu.Lock()
	defer s.mu.Unlock()
	gs := s.guilds[guildID]
	if gs == nil {
		return nil
	}
	return gs.roleObjects()
}

// BotRoleID is the id of the role the fake gave the bot in a guild ("" if
// the guild listed the bot as a member itself).
func (s *Server) BotRoleID(guildID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if gs := s.guilds[guildID]; gs != nil {
		return gs.botRoleID
	}
	return ""
}

// SetRole changes a guild's role (found by id) to r, or adds it when the
// guild has no such role, and dispatches GUILD_ROLE_UPDATE or
// GUILD_ROLE_CREATE, as Discord does when someone edits roles in Server
// Settings.
func (s *Server) SetRole(guildID string, r Role) {
	var out outbox
	s.mu.Lock()
	gs := s.guilds[guildID]
	if gs == nil {
		s.mu.Unlock()
		return
	}
	if r.ID == "" {
		r.ID = s.ids.next()
	}
	event := "GUILD_ROLE_UPDATE"
	role := gs.role(r.ID)
	if role == nil {
		event = "GUILD_ROLE_CREATE"
		role = &discordgo.Role{ID: r.ID}
		gs.roles = append(gs.roles, role)
	}
	if r.Name != "" {
		role.Name = r.Name
	}
	role.Permissions, role.Position, role.Managed = r.Permissions, r.Position, r.Managed
	cp := *role
	s.emitLocked(&out, gs.id, event, discordgo.IntentGuilds, map[string]any{"guild_id": gs.id, "role": &cp})
	s.notifyLocked()
	s.mu.Unlock()
	s.flush(out)
}

// Ban returns the ban of a user in a guild, or nil.
func (s *Server) Ban(guildID, userID string) *discordgo.GuildBan {
	s.mu.Lock()
	defer s.mu.Unlock()
	gs := s.guilds[guildID]
	if gs == nil || gs.bans[userID] == nil {
		return nil
	}
	b := *gs.bans[userID]
	return &b
}

// Channel returns a channel, thread or DM channel by id, or nil.
func (s *Server) Channel(channelID string) *discordgo.Channel {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cs := s.channels[channelID]; cs != nil {
		return copyChannel(cs.ch)
	}
	return nil
}

// Threads returns the threads created under a channel, oldest first.
func (s *Server) Threads(parentID string) []*discordgo.Channel {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*discordgo.Channel
	for _, cs := range s.channels {
		if cs.ch.ParentID == parentID && cs.ch.IsThread() {
			out = append(out, copyChannel(cs.ch))
		}
	}
	slices.SortFunc(out, func(a, b *discordgo.Channel) int { return compareIDs(a.ID, b.ID) })
	return out
}

// ThreadMembers returns the user ids that are members of a thread.
func (s *Server) ThreadMembers(threadID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cs := s.channels[threadID]; cs != nil {
		return slices.Clone(cs.threadMembers)
	}
	return nil
}

// --- guild helpers (all called with s.mu held) ---

func (g *guildState) role(id string) *discordgo.Role {
	for _, r := range g.roles {
		if r.ID == id {
			return r
		}
	}
	return nil
}

func (g *guildState) permissions(userID string) int64 {
	if userID == g.ownerID {
		return AllPermissions
	}
	m := g.members[userID]
	if m == nil {
		return 0
	}
	var perms int64
	if everyone := g.role(g.id); everyone != nil {
		perms = everyone.Permissions
	}
	for _, id := range m.roles {
		if r := g.role(id); r != nil {
			perms |= r.Permissions
		}
	}
	if perms&discordgo.PermissionAdministrator != 0 {
		return AllPermissions
	}
	return perms
}

func (g *guildState) has(userID string, perm int64) bool {
	return g.permissions(userID)&perm == perm
}

// roleAbove reports whether role a ranks above role b, as Discord orders
// roles: by position, a tie going to the role with the lower id; @everyone
// ranks below every other role.
func (g *guildState) roleAbove(a, b *discordgo.Role) bool {
	if a.ID == b.ID || a.ID == g.id {
		return false // no role outranks itself; @everyone outranks none
	}
	if b.ID == g.id || a.Position > b.Position {
		return true
	}
	return a.Position == b.Position && compareIDs(a.ID, b.ID) < 0
}

// topRole is the member's highest role, @everyone when they hold none.
func (g *guildState) topRole(userID string) *discordgo.Role {
	top := g.role(g.id)
	if top == nil {
		top = &discordgo.Role{ID: g.id}
	}
	if m := g.members[userID]; m != nil {
		for _, id := range m.roles {
			if r := g.role(id); r != nil && g.roleAbove(r, top) {
				top = r
			}
		}
	}
	return top
}

// reaches reports whether a member may hand out (or take away) role r:
// the owner reaches every role, anyone else the roles below their highest.
func (g *guildState) reaches(userID string, r *discordgo.Role) bool {
	return userID == g.ownerID || g.roleAbove(g.topRole(userID), r)
}

// outranks reports whether actor may moderate target under Discord's role
// hierarchy: nobody outranks the owner, the owner outranks everyone else,
// and otherwise actor's highest role must rank above target's.
func (g *guildState) outranks(actorID, targetID string) bool {
	switch {
	case targetID == g.ownerID:
		return false
	case actorID == g.ownerID:
		return true
	}
	return g.roleAbove(g.topRole(actorID), g.topRole(targetID))
}

func (g *guildState) roleObjects() []*discordgo.Role {
	out := make([]*discordgo.Role, len(g.roles))
	for i, r := range g.roles {
		c := *r
		out[i] = &c
	}
	return out
}

func (g *guildState) memberObject(userID string, withUser bool) *discordgo.Member {
	m := g.members[userID]
	obj := &discordgo.Member{
		GuildID:  g.id,
		JoinedAt: m.joinedAt,
		Nick:     m.nick,
		Roles:    slices.Clone(m.roles),
		Mute:     m.mute,
		Deaf:     m.deaf,
	}
	if obj.Roles == nil {
		obj.Roles = []string{}
	}
	if m.timeoutUntil != nil {
		t := *m.timeoutUntil
		obj.CommunicationDisabledUntil = &t
	}
	if withUser {
		u := *m.user
		obj.User = &u
	}
	return obj
}

func (s *Server) guildObjectLocked(g *guildState) *discordgo.Guild {
	return &discordgo.Guild{
		ID:                g.id,
		Name:              g.name,
		OwnerID:           g.ownerID,
		Roles:             g.roleObjects(),
		Emojis:            []*discordgo.Emoji{},
		Stickers:          []*discordgo.Sticker{},
		Features:          []discordgo.GuildFeature{},
		PreferredLocale:   "en-US",
		AfkTimeout:        300,
		MaxMembers:        500000,
		VerificationLevel: discordgo.VerificationLevelNone,
	}
}

// guildCreateLocked builds a GUILD_CREATE payload: the guild with channels,
// active threads (threads, from threadsByGuildLocked), roles and member
// count, and (without the GUILD_MEMBERS intent) only the bot's own member.
func (s *Server) guildCreateLocked(g *guildState, threads []*discordgo.Channel) *discordgo.Guild {
	obj := s.guildObjectLocked(g)
	obj.JoinedAt = g.joinedAt
	obj.MemberCount = len(g.members)
	obj.Channels = s.guildChannelsLocked(g)
	obj.Threads = make([]*discordgo.Channel, 0, len(threads))
	for _, th := range threads {
		obj.Threads = append(obj.Threads, copyChannel(th))
	}
	slices.SortFunc(obj.Threads, func(a, b *discordgo.Channel) int { return compareIDs(a.ID, b.ID) })
	obj.Members = []*discordgo.Member{}
	if g.members[s.botUser.ID] != nil {
		obj.Members = append(obj.Members, g.memberObject(s.botUser.ID, true))
	}
	obj.Presences = []*discordgo.Presence{}
	obj.VoiceStates = []*discordgo.VoiceState{}
	obj.StageInstances = []*discordgo.StageInstance{}
	return obj
}

// threadsByGuildLocked groups the threads by guild id in one pass over the
// channels, so that a READY's GUILD_CREATEs cost O(channels), not
// O(guilds × channels).
func (s *Server) threadsByGuildLocked() map[string][]*discordgo.Channel {
	out := map[string][]*discordgo.Channel{}
	for _, cs := range s.channels {
		if cs.ch.IsThread() {
			out[cs.ch.GuildID] = append(out[cs.ch.GuildID], cs.ch)
		}
	}
	return out
}

func (s *Server) guildChannelsLocked(g *guildState) []*discordgo.Channel {
	out := make([]*discordgo.Channel, 0, len(g.channelOrder))
	for _, id := range g.channelOrder {
		if cs := s.channels[id]; cs != nil {
			out = append(out, copyChannel(cs.ch))
		}
	}
	return out
}

// defaultChannelLocked picks the channel interactions come from when a test
// does not say: the guild's first text channel, else its first channel.
func (s *Server) defaultChannelLocked(g *guildState) string {
	for _, id := range g.channelOrder {
		if cs := s.channels[id]; cs != nil && cs.ch.Type == discordgo.ChannelTypeGuildText {
			return id
		}
	}
	if len(g.channelOrder) > 0 {
		return g.channelOrder[0]
	}
	return ""
}

// dmChannelLocked returns the DM channel with a user, creating it.
func (s *Server) dmChannelLocked(userID string) *channelState {
	if id := s.dmChannels[userID]; id != "" {
		return s.channels[id]
	}
	u := *s.userLocked(userID)
	cs := &channelState{ch: &discordgo.Channel{
		ID:         s.ids.next(),
		Type:       discordgo.ChannelTypeDM,
		Recipients: []*discordgo.User{&u},
	}}
	s.channels[cs.ch.ID] = cs
	s.dmChannels[userID] = cs.ch.ID
	return cs
}

func copyChannel(c *discordgo.Channel) *discordgo.Channel {
	cp := *c
	if c.ThreadMetadata != nil {
		md := *c.ThreadMetadata
		cp.ThreadMetadata = &md
	}
	cp.Recipients = slices.Clone(c.Recipients)
	cp.PermissionOverwrites = slices.Clone(c.PermissionOverwrites)
	if cp.PermissionOverwrites == nil {
		cp.PermissionOverwrites = []*discordgo.PermissionOverwrite{}
	}
	return &cp
}

// compareIDs orders snowflakes numerically.
func compareIDs(a, b string) int {
	if c := cmp.Compare(len(a), len(b)); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}
