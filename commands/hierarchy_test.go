package commands

import (
	"testing"

	"github.com/bwmarrin/discordgo"
)

// The roles of the hierarchy tests' server, with their positions. Three sit
// at position 5: among them the lower id ranks higher.
const (
	hOwner   = "200000000000000100"
	hLow     = "400000000000000011" // position 1, Kick Members
	hAdmin   = "400000000000000012" // position 2, Administrator
	hTwinOld = "400000000000000014" // position 5, the oldest: highest of the three
	hMid     = "400000000000000015" // position 5
	hTwinNew = "400000000000000016" // position 5, the newest: lowest of the three
	hTop     = "400000000000000019" // position 9
	hZero    = "100000000000000000" // position 0 like @everyone, with a lower id
	hGone    = "400000000000000099" // not among the server's roles
)

func hierarchyServer() ServerInfo {
	return ServerInfo{ID: guildID, OwnerID: hOwner, Roles: []ServerRole{
		{ID: guildID, Position: 0, Permissions: discordgo.PermissionSendMessages},
		{ID: hLow, Position: 1, Permissions: discordgo.PermissionKickMembers},
		{ID: hAdmin, Position: 2, Permissions: discordgo.PermissionAdministrator},
		{ID: hMid, Position: 5},
		{ID: hTwinOld, Position: 5},
		{ID: hTwinNew, Position: 5},
		{ID: hTop, Position: 9},
		{ID: hZero, Position: 0},
	}}
}

func member(id string, roles ...string) ServerMember { return ServerMember{UserID: id, RoleIDs: roles} }

func TestOutranks(t *testing.T) {
	s := hierarchyServer()
	tests := []struct {
		name string
		a, b ServerMember
		want bool
	}{
		{"the owner outranks the top role", member(hOwner), member(bobID, hTop), true},
		{"nobody outranks the owner", member(aliceID, hTop), member(hOwner), false},
		{"the owner holding roles is still the owner", member(aliceID, hTop), member(hOwner, hLow), false},
		{"nobody outranks themself", member(aliceID, hTop), member(aliceID, hTop), false},
		{"a higher position outranks", member(aliceID, hMid), member(bobID, hLow), true},
		{"a lower position doesn't", member(aliceID, hLow), member(bobID, hMid), false},
		{"the same role doesn't", member(aliceID, hMid), member(bobID, hMid), false},
		{"a tie goes to the lower id", member(aliceID, hTwinOld), member(bobID, hMid), true},
		{"a tie against a lower id is lost", member(aliceID, hMid), member(bobID, hTwinOld), false},
		{"a tie against a higher id is won", member(aliceID, hMid), member(bobID, hTwinNew), true},
		{"the highest role counts, not the first", member(aliceID, hLow, hTop), member(bobID, hMid, hLow), true},
		{"no roles against no roles", member(aliceID), member(bobID), false},
		{"any role outranks no roles", member(aliceID, hLow), member(bobID), true},
		{"no roles outrank nothing", member(aliceID), member(bobID, hLow), false},
		{"@everyone is lowest even against a lower id at position 0", member(aliceID, hZero), member(bobID), true},
		{"listing @everyone changes nothing", member(aliceID, guildID), member(bobID, guildID), false},
		{"Administrator doesn't raise a rank", member(aliceID, hAdmin), member(bobID, hMid), false},
		{"an Administrator below is outranked", member(aliceID, hMid), member(bobID, hAdmin), true},
		{"a target's unknown role can't be ranked", member(aliceID, hTop), member(bobID, hGone), false},
		{"an actor's unknown role doesn't count", member(aliceID, hGone, hLow), member(bobID, hLow), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := s.outranks(tt.a, tt.b); got != tt.want {
				t.Errorf("outranks(%v, %v) = %v, want %v", tt.a, tt.b, got, tt.want)
			}
		})
	}
}

func TestReaches(t *testing.T) {
	s := hierarchyServer()
	role := func(id string) ServerRole { r, _ := s.role(id); return r }
	tests := []struct {
		name string
		m    ServerMember
		role string
		want bool
	}{
		{"the owner reaches the top role", member(hOwner), hTop, true},
		{"a role below", member(aliceID, hMid), hLow, true},
		{"not their own role", member(aliceID, hMid), hMid, false},
		{"not a role above", member(aliceID, hMid), hTop, false},
		{"not a tied role with a lower id", member(aliceID, hMid), hTwinOld, false},
		{"a tied role with a higher id", member(aliceID, hMid), hTwinNew, true},
		{"no roles reach nothing", member(aliceID), hZero, false},
		{"Administrator doesn't reach above its role", member(aliceID, hAdmin), hMid, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := s.reaches(tt.m, role(tt.role)); got != tt.want {
				t.Errorf("reaches(%v, %s) = %v, want %v", tt.m, tt.role, got, tt.want)
			}
		})
	}
}

func TestServerPermissions(t *testing.T) {
	s := hierarchyServer()
	tests := []struct {
		name string
		m    ServerMember
		perm int64
		want bool
	}{
		{"@everyone's permissions", member(aliceID), discordgo.PermissionSendMessages, true},
		{"no roles, no kick", member(aliceID), discordgo.PermissionKickMembers, false},
		{"a role's permission", member(aliceID, hLow), discordgo.PermissionKickMembers, true},
		{"a role's permission is only that", member(aliceID, hLow), discordgo.PermissionBanMembers, false},
		{"Administrator is every permission", member(aliceID, hAdmin), discordgo.PermissionBanMembers, true},
		{"the owner has every permission", member(hOwner), discordgo.PermissionManageRoles, true},
		{"an unknown role gives nothing", member(aliceID, hGone), discordgo.PermissionKickMembers, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := hasPermission(s.permissions(tt.m), tt.perm); got != tt.want {
				t.Errorf("has %d = %v, want %v", tt.perm, got, tt.want)
			}
		})
	}
}
