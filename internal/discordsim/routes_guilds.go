package discordsim

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/bwmarrin/discordgo"
)

// Guilds, members, roles and bans. Moderation follows Discord's rules: the
// bot needs the permission, and its highest role must be above the role it
// hands out or the member it acts on; the owner is out of reach.

// guildLocked resolves {guild}, answering 404 Unknown Guild if needed.
func (s *Server) guildLocked(c *call) *guildState {
	gs := s.guilds[c.param("guild")]
	if gs == nil {
		c.notFound(codeUnknownGuild, "Guild")
	}
	return gs
}

// memberLocked resolves {guild} and {user} as a member.
func (s *Server) memberLocked(c *call) (*guildState, *memberState) {
	gs := s.guildLocked(c)
	if gs == nil {
		return nil, nil
	}
	m := gs.members[c.userParam()]
	if m == nil {
		c.notFound(codeUnknownMember, "Member")
		return nil, nil
	}
	return gs, m
}

func (s *Server) getGuild(c *call) {
	gs := s.guildLocked(c)
	if gs == nil {
		return
	}
	g := s.guildObjectLocked(gs)
	if c.r.URL.Query().Get("with_counts") == "true" {
		g.ApproximateMemberCount = len(gs.members)
	}
	c.json(http.StatusOK, g)
}

func (s *Server) getGuildChannels(c *call) {
	if gs := s.guildLocked(c); gs != nil {
		c.json(http.StatusOK, s.guildChannelsLocked(gs))
	}
}

func (s *Server) getGuildRoles(c *call) {
	if gs := s.guildLocked(c); gs != nil {
		c.json(http.StatusOK, gs.roleObjects())
	}
}

// listMembers needs the privileged GUILD_MEMBERS intent, which Kindred does
// not have, so it is refused like Discord refuses it.
func (s *Server) listMembers(c *call) {
	if s.guildLocked(c) != nil {
		c.missingAccess()
	}
}

func (s *Server) getMember(c *call) {
	gs, m := s.memberLocked(c)
	if m != nil {
		c.json(http.StatusOK, gs.memberObject(m.user.ID, true))
	}
}

// editMember applies nick, roles, communication_disabled_until (null lifts
// a timeout), mute and deaf, after checking all of them.
func (s *Server) editMember(c *call) {
	gs, m := s.memberLocked(c)
	if m == nil {
		return
	}
	var patch map[string]json.RawMessage
	if !c.decode(c.body, &patch) {
		return
	}
	bot, target := s.botUser.ID, m.user.ID
	var (
		errs    formErrors
		nick    *string
		roles   *[]string
		timeout **time.Time
		mute    *bool
		deaf    *bool
	)
	for key, raw := range patch {
		null := string(raw) == "null"
		switch key {
		case "nick":
			allowed := gs.has(bot, discordgo.PermissionManageNicknames) && gs.outranks(bot, target)
			if target == bot {
				allowed = gs.has(bot, discordgo.PermissionChangeNickname) || gs.has(bot, discordgo.PermissionManageNicknames)
			}
			if !allowed {
				c.missingPermissions()
				return
			}
			v := ""
			if !null && json.Unmarshal(raw, &v) != nil {
				errs.add("nick", "BASE_TYPE_STRING_TYPE_COERCE", "Value must be a string.")
			}
			maxLen(&errs, "nick", v, 32)
			nick = &v
		case "roles":
			var ids []string
			if !null && json.Unmarshal(raw, &ids) != nil {
				errs.add("roles", "BASE_TYPE_ARRAY_TYPE_COERCE", "Value must be an array of role ids.")
				continue
			}
			if !gs.has(bot, discordgo.PermissionManageRoles) {
				c.missingPermissions()
				return
			}
			for i, id := range ids {
				if gs.role(id) == nil || id == gs.id {
					errs.add("roles."+strconv.Itoa(i), "ROLE_INVALID", "Unknown role %s", id)
				}
			}
			if len(errs) > 0 {
				continue
			}
			// Every role that changes hands must be below the bot's top role.
			for _, id := range symmetricDiff(m.roles, ids) {
				if r := gs.role(id); r != nil && (!gs.reaches(bot, r) || r.Managed) {
					c.missingPermissions()
					return
				}
			}
			roles = &ids
		case "communication_disabled_until":
			if !gs.has(bot, discordgo.PermissionModerateMembers) || !gs.outranks(bot, target) ||
				gs.permissions(target)&discordgo.PermissionAdministrator != 0 {
				c.missingPermissions()
				return
			}
			var until *time.Time
			if !null {
				var t time.Time
				if json.Unmarshal(raw, &t) != nil {
					errs.add(key, "DATE_TIME_TYPE_COERCE", "Could not interpret %s as a timestamp.", string(raw))
					continue
				}
				if t.After(s.now().Add(28 * 24 * time.Hour)) {
					errs.add(key, "BASE_TYPE_BAD_TIME", "Timeouts can last at most 28 days.")
					continue
				}
				if t.After(s.now()) {
					t = t.UTC()
					until = &t
				}
			}
			timeout = &until
		case "mute", "deaf":
			perm := int64(discordgo.PermissionVoiceMuteMembers)
			if key == "deaf" {
				perm = discordgo.PermissionVoiceDeafenMembers
			}
			if !gs.has(bot, perm) {
				c.missingPermissions()
				return
			}
			var v bool
			if json.Unmarshal(raw, &v) != nil {
				errs.add(key, "BASE_TYPE_BOOLEAN_TYPE_COERCE", "Value must be a boolean.")
				continue
			}
			if key == "mute" {
				mute = &v
			} else {
				deaf = &v
			}
		case "channel_id":
			c.fail(http.StatusBadRequest, 40032, "Target user is not connected to voice.")
			return
		}
	}
	if len(errs) > 0 {
		c.invalid(errs)
		return
	}
	if nick != nil {
		m.nick = *nick
	}
	if roles != nil {
		m.roles = slices.Clone(*roles)
	}
	if timeout != nil {
		m.timeoutUntil = *timeout
	}
	if mute != nil {
		m.mute = *mute
	}
	if deaf != nil {
		m.deaf = *deaf
	}
	c.json(http.StatusOK, gs.memberObject(target, true))
}

// symmetricDiff returns the ids in exactly one of a and b.
func symmetricDiff(a, b []string) []string {
	var out []string
	for _, id := range a {
		if !slices.Contains(b, id) {
			out = append(out, id)
		}
	}
	for _, id := range b {
		if !slices.Contains(a, id) {
			out = append(out, id)
		}
	}
	return out
}

func (s *Server) kickMember(c *call) {
	gs, m := s.memberLocked(c)
	if m == nil {
		return
	}
	bot := s.botUser.ID
	if !gs.has(bot, discordgo.PermissionKickMembers) || (m.user.ID != bot && !gs.outranks(bot, m.user.ID)) {
		c.missingPermissions()
		return
	}
	s.removeMemberLocked(&c.out, gs, m.user.ID)
	c.noContent()
}

func (g *guildState) removeMember(userID string) {
	delete(g.members, userID)
	g.memberOrder = slices.DeleteFunc(g.memberOrder, func(id string) bool { return id == userID })
}

// roleChangeLocked resolves a member role route and checks that the bot may
// hand the role out.
func (s *Server) roleChangeLocked(c *call) (*memberState, string, bool) {
	gs, m := s.memberLocked(c)
	if m == nil {
		return nil, "", false
	}
	r := gs.role(c.param("role"))
	if r == nil {
		c.notFound(codeUnknownRole, "Role")
		return nil, "", false
	}
	bot := s.botUser.ID
	if !gs.has(bot, discordgo.PermissionManageRoles) || !gs.reaches(bot, r) || r.Managed || r.ID == gs.id {
		c.missingPermissions()
		return nil, "", false
	}
	return m, r.ID, true
}

func (s *Server) addMemberRole(c *call) {
	m, role, ok := s.roleChangeLocked(c)
	if !ok {
		return
	}
	if !slices.Contains(m.roles, role) {
		m.roles = append(slices.Clone(m.roles), role)
	}
	c.noContent()
}

func (s *Server) removeMemberRole(c *call) {
	m, role, ok := s.roleChangeLocked(c)
	if !ok {
		return
	}
	m.roles = slices.DeleteFunc(slices.Clone(m.roles), func(id string) bool { return id == role })
	c.noContent()
}

func (s *Server) listBans(c *call) {
	gs := s.guildLocked(c)
	if gs == nil {
		return
	}
	if !gs.has(s.botUser.ID, discordgo.PermissionBanMembers) {
		c.missingPermissions()
		return
	}
	out := make([]*discordgo.GuildBan, 0, len(gs.bans))
	for _, b := range gs.bans {
		cp := *b
		out = append(out, &cp)
	}
	slices.SortFunc(out, func(a, b *discordgo.GuildBan) int { return compareIDs(a.User.ID, b.User.ID) })
	c.json(http.StatusOK, out)
}

func (s *Server) getBan(c *call) {
	gs := s.guildLocked(c)
	if gs == nil {
		return
	}
	b := gs.bans[c.userParam()]
	if b == nil {
		c.notFound(codeUnknownBan, "Ban")
		return
	}
	c.json(http.StatusOK, b)
}

// createBan bans a user, member or not. The reason comes from
// X-Audit-Log-Reason, or from the "reason" query parameter discordgo's
// GuildBanCreateWithReason still sends.
func (s *Server) createBan(c *call) {
	gs := s.guildLocked(c)
	if gs == nil {
		return
	}
	bot, target := s.botUser.ID, c.userParam()
	if !gs.has(bot, discordgo.PermissionBanMembers) || target == bot ||
		(gs.members[target] != nil && !gs.outranks(bot, target)) || target == gs.ownerID {
		c.missingPermissions()
		return
	}
	reason := c.auditReason()
	if reason == "" {
		reason = c.r.URL.Query().Get("reason")
	}
	u := *s.userLocked(target)
	gs.bans[target] = &discordgo.GuildBan{Reason: reason, User: &u}
	s.removeMemberLocked(&c.out, gs, target)
	c.emit(gs.id, "GUILD_BAN_ADD", discordgo.IntentGuildModeration, map[string]any{"guild_id": gs.id, "user": &u})
	c.noContent()
}

func (s *Server) removeBan(c *call) {
	gs := s.guildLocked(c)
	if gs == nil {
		return
	}
	if !gs.has(s.botUser.ID, discordgo.PermissionBanMembers) {
		c.missingPermissions()
		return
	}
	b := gs.bans[c.userParam()]
	if b == nil {
		c.notFound(codeUnknownBan, "Ban")
		return
	}
	delete(gs.bans, c.userParam())
	c.emit(gs.id, "GUILD_BAN_REMOVE", discordgo.IntentGuildModeration, map[string]any{"guild_id": gs.id, "user": b.User})
	c.noContent()
}
