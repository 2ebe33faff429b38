package commands

import (
	"cmp"
	"strings"

	"github.com/bwmarrin/discordgo"
)

// Discord's role hierarchy, as Discord applies it when a member acts on
// another member or hands out a role. Kindred applies it to the member who
// asked, so that it never does for someone what Discord would refuse them.
//
// Everything here is pure: the server's roles and owner come in a
// ServerInfo read from Discord (Discord.Server), never from what a client
// sent, and members are their user id and role ids.

// allPermissions stands for every permission bit: what the owner and
// administrators hold.
const allPermissions = int64(^uint64(0) >> 1)

// hasPermission reports whether perms include perm; Administrator counts
// as every permission, as on Discord.
func hasPermission(perms, perm int64) bool {
	return perms&discordgo.PermissionAdministrator != 0 || perms&perm == perm
}

// role returns the server's role with that id.
func (s ServerInfo) role(id string) (ServerRole, bool) {
	for _, r := range s.Roles {
		if r.ID == id {
			return r, true
		}
	}
	return ServerRole{}, false
}

// everyone is the server's @everyone role, whose id is the server's.
func (s ServerInfo) everyone() ServerRole {
	if r, ok := s.role(s.ID); ok {
		return r
	}
	return ServerRole{ID: s.ID}
}

// ranksAbove reports whether role a sits above role b: by position, a tie
// going to the role with the lower id; @everyone is below every other role.
func (s ServerInfo) ranksAbove(a, b ServerRole) bool {
	switch {
	case a.ID == b.ID:
		return false
	case b.ID == s.ID:
		return true
	case a.ID == s.ID:
		return false
	case a.Position != b.Position:
		return a.Position > b.Position
	}
	return compareSnowflakes(a.ID, b.ID) < 0
}

// highestRole is the highest of roleIDs the server has, or @everyone when
// there are none. complete is false when some id is not among the server's
// roles (one made after the server was read).
func (s ServerInfo) highestRole(roleIDs []string) (top ServerRole, complete bool) {
	top, complete = s.everyone(), true
	for _, id := range roleIDs {
		r, ok := s.role(id)
		if !ok {
			complete = false
			continue
		}
		if s.ranksAbove(r, top) {
			top = r
		}
	}
	return top, complete
}

// outranks reports whether a may act on b (warn, time out, kick, ban):
// nobody outranks the owner, the owner outranks everyone else, and
// otherwise a's highest role must be above b's. A role of b the server
// doesn't list can't be ranked, so b is then not outranked; a role of a
// the server doesn't list doesn't count for a.
func (s ServerInfo) outranks(a, b ServerMember) bool {
	switch {
	case a.UserID == b.UserID, b.UserID == s.OwnerID:
		return false
	case a.UserID == s.OwnerID:
		return true
	}
	aTop, _ := s.highestRole(a.RoleIDs)
	bTop, complete := s.highestRole(b.RoleIDs)
	return complete && s.ranksAbove(aTop, bTop)
}

// reaches reports whether m's rank lets them hand out role: the owner
// reaches every role, anyone else only the roles below their highest.
// Whether they hold Manage Roles is asked separately.
func (s ServerInfo) reaches(m ServerMember, role ServerRole) bool {
	if m.UserID == s.OwnerID {
		return true
	}
	top, _ := s.highestRole(m.RoleIDs)
	return s.ranksAbove(top, role)
}

// permissions are m's permissions across the server: @everyone's and those
// of their roles; every permission for the owner and for Administrator.
// These, not an interaction's permissions, decide what a member may do to
// members and roles: an interaction's are those in its channel, and a
// channel's overwrites can grant Manage Roles there (as Manage
// Permissions) to someone who lacks it in the server.
func (s ServerInfo) permissions(m ServerMember) int64 {
	if m.UserID == s.OwnerID {
		return allPermissions
	}
	perms := s.everyone().Permissions
	for _, id := range m.RoleIDs {
		if r, ok := s.role(id); ok {
			perms |= r.Permissions
		}
	}
	if perms&discordgo.PermissionAdministrator != 0 {
		return allPermissions
	}
	return perms
}

// compareSnowflakes orders two Discord ids numerically.
func compareSnowflakes(a, b string) int {
	if c := cmp.Compare(len(a), len(b)); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}
