package commands

import (
	"context"
	"fmt"

	"github.com/bwmarrin/discordgo"
)

// A Guard is a condition a route declares and the router checks before
// the handler runs, so a handler body never repeats it. Every route
// declares at least one: where it works (GuildOnly, Anywhere) or who may
// use it (Facilitator, Moderator, ManageServer, which all imply a server).
//
// Roles per SPEC: a facilitator holds the server's facilitator role or
// Manage Events; a moderator holds the moderator role or Moderate Members,
// and can do everything a facilitator can. They are checked here, from
// the interaction's member data, because server admins can change
// Discord's default command permissions.
type Guard int

const (
	guardGuild Guard = iota + 1
	guardAnywhere
	guardFacilitator
	guardModerator
	guardManageServer
	guardSupporter
)

func (g Guard) String() string {
	switch g {
	case guardGuild:
		return "guild"
	case guardAnywhere:
		return "anywhere"
	case guardFacilitator:
		return "facilitator"
	case guardModerator:
		return "moderator"
	case guardManageServer:
		return "manage-server"
	case guardSupporter:
		return "supporter"
	}
	return "unknown"
}

// GuildOnly: the route works inside a server, for any member.
func GuildOnly(r *Route) { r.Guards = append(r.Guards, guardGuild) }

// Anywhere: the route works in a server and in DMs, for anyone (the
// member's own preferences and data; a DM's buttons).
func Anywhere(r *Route) { r.Guards = append(r.Guards, guardAnywhere) }

// Facilitator: only facilitators (and moderators), inside a server.
func Facilitator(r *Route) { r.Guards = append(r.Guards, guardGuild, guardFacilitator) }

// Moderator: only moderators, inside a server.
func Moderator(r *Route) { r.Guards = append(r.Guards, guardGuild, guardModerator) }

// ManageServer: only members with the Manage Server permission, inside a server.
func ManageServer(r *Route) { r.Guards = append(r.Guards, guardGuild, guardManageServer) }

// Supporter: only the server's peer supporters (members holding its
// supporter role), inside a server. Moderators are not supporters by
// right: supporters are the people the server chose to listen.
func Supporter(r *Route) { r.Guards = append(r.Guards, guardGuild, guardSupporter) }

// The refusals members see.
const (
	notInGuildText   = "That works inside a server, not in DMs: use it inside one of your servers."
	notFacilitator   = "Only facilitators can do that: members with the server's facilitator role or the **Manage Events** permission. Ask a facilitator or moderator if you'd like it done."
	notModerator     = "Only moderators can do that: members with the server's moderator role or the **Moderate Members** permission."
	notSupporter     = "Only peer supporters can do that: members with the server's supporter role. If you'd like someone to talk to, `/support` asks one of them."
	notServerManager = "Only members with the **Manage Server** permission can change Kindred's settings. `/kindred about` tells you what Kindred does."
)

func (g Guard) check(ctx context.Context, settings SettingsSource, req *Request) error {
	switch g {
	case guardAnywhere:
		return nil
	case guardGuild:
		if !req.InGuild() {
			return UserErrorf(notInGuildText)
		}
		return nil
	case guardFacilitator:
		return refuseUnless(isFacilitator(ctx, settings, req))(notFacilitator)
	case guardModerator:
		return refuseUnless(isModerator(ctx, settings, req))(notModerator)
	case guardSupporter:
		return refuseUnless(isSupporter(ctx, settings, req))(notSupporter)
	case guardManageServer:
		return refuseUnless(req.InGuild() && req.HasPermission(discordgo.PermissionManageGuild), nil)(notServerManager)
	}
	return fmt.Errorf("unknown guard %d", g)
}

// refuseUnless turns a role check into a refusal with the given text.
func refuseUnless(ok bool, err error) func(text string) error {
	return func(text string) error {
		switch {
		case err != nil:
			return err
		case !ok:
			return UserErrorf("%s", text)
		}
		return nil
	}
}

// isModerator reports whether the member is one of the server's moderators.
// Handlers whose answer depends on it (a moderator sees more) call it; a
// route only moderators may use declares Moderator instead.
func isModerator(ctx context.Context, settings SettingsSource, req *Request) (bool, error) {
	if !req.InGuild() {
		return false, nil
	}
	if req.HasPermission(discordgo.PermissionModerateMembers) {
		return true, nil
	}
	s, err := settings.GuildSettings(ctx, req.GuildID)
	if err != nil {
		return false, fmt.Errorf("check moderator: %w", err)
	}
	return req.HasRole(s.ModeratorRoleID), nil
}

// isFacilitator reports whether the member may run groups, meetings and pairing.
func isFacilitator(ctx context.Context, settings SettingsSource, req *Request) (bool, error) {
	if !req.InGuild() {
		return false, nil
	}
	if req.HasPermission(discordgo.PermissionManageEvents) {
		return true, nil
	}
	s, err := settings.GuildSettings(ctx, req.GuildID)
	if err != nil {
		return false, fmt.Errorf("check facilitator: %w", err)
	}
	if req.HasRole(s.FacilitatorRoleID) {
		return true, nil
	}
	return isModerator(ctx, settings, req)
}

// isSupporter reports whether the member holds the server's supporter
// role, as the interaction's member data has it.
func isSupporter(ctx context.Context, settings SettingsSource, req *Request) (bool, error) {
	if !req.InGuild() {
		return false, nil
	}
	s, err := settings.GuildSettings(ctx, req.GuildID)
	if err != nil {
		return false, fmt.Errorf("check supporter: %w", err)
	}
	return req.HasRole(s.SupporterRoleID), nil
}
