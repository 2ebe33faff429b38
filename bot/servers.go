package bot

import (
	"slices"
	"sync"

	"github.com/bwmarrin/discordgo"

	"github.com/kindred-bot/kindred/commands"
)

// servers keeps, per server, the one thing Kindred reads from the gateway:
// its owner and roles, for the role hierarchy checks. discordgo's own
// state would keep every channel, thread and emoji of every server as
// well: on one shard of 2,500 servers that is most of the process's
// memory, for nothing Kindred uses. So the session's state is off and
// these handlers keep this instead.
type servers struct {
	mu   sync.RWMutex
	byID map[string]commands.ServerInfo
}

// newServers starts keeping the servers of session.
func newServers(session *discordgo.Session) *servers {
	s := &servers{byID: map[string]commands.ServerInfo{}}
	s.watch(session)
	return s
}

// watch keeps the servers of one more session: another gateway shard.
func (s *servers) watch(session *discordgo.Session) {
	session.AddHandler(func(_ *discordgo.Session, e *discordgo.GuildCreate) { s.put(e.Guild) })
	session.AddHandler(func(_ *discordgo.Session, e *discordgo.GuildUpdate) { s.put(e.Guild) })
	session.AddHandler(func(_ *discordgo.Session, e *discordgo.GuildDelete) { s.forget(e.ID) })
	session.AddHandler(func(_ *discordgo.Session, e *discordgo.GuildRoleCreate) { s.putRole(e.GuildID, e.Role) })
	session.AddHandler(func(_ *discordgo.Session, e *discordgo.GuildRoleUpdate) { s.putRole(e.GuildID, e.Role) })
	session.AddHandler(func(_ *discordgo.Session, e *discordgo.GuildRoleDelete) { s.removeRole(e.GuildID, e.RoleID) })
}

// get returns a server as last seen on the gateway; ok is false when the
// gateway has not described it (yet).
func (s *servers) get(guildID string) (commands.ServerInfo, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	info, ok := s.byID[guildID]
	if !ok || info.OwnerID == "" || len(info.Roles) == 0 {
		return commands.ServerInfo{}, false
	}
	info.Roles = slices.Clone(info.Roles)
	return info, true
}

// put records a server from GUILD_CREATE or GUILD_UPDATE. An unavailable
// server (an outage) is forgotten until it comes back, so that its
// hierarchy is read from REST rather than from a stale copy.
func (s *servers) put(g *discordgo.Guild) {
	if g == nil || g.ID == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if g.Unavailable {
		delete(s.byID, g.ID)
		return
	}
	info := serverInfo(g.ID, g.OwnerID, g.Roles)
	if g.Roles == nil { // an update without roles keeps those known
		info.Roles = s.byID[g.ID].Roles
	}
	s.byID[g.ID] = info
}

func (s *servers) forget(guildID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.byID, guildID)
}

// putRole adds or replaces a role. The role list is replaced, never
// changed in place, so a copy handed out by get stays as it was.
func (s *servers) putRole(guildID string, r *discordgo.Role) {
	if r == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	info, ok := s.byID[guildID]
	if !ok {
		return
	}
	role := commands.ServerRole{ID: r.ID, Position: r.Position, Permissions: r.Permissions, Managed: r.Managed}
	roles := slices.DeleteFunc(slices.Clone(info.Roles), func(x commands.ServerRole) bool { return x.ID == r.ID })
	info.Roles = append(roles, role)
	s.byID[guildID] = info
}

func (s *servers) removeRole(guildID, roleID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	info, ok := s.byID[guildID]
	if !ok {
		return
	}
	info.Roles = slices.DeleteFunc(slices.Clone(info.Roles), func(x commands.ServerRole) bool { return x.ID == roleID })
	s.byID[guildID] = info
}
