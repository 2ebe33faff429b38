package commands

import (
	"context"
	"fmt"

	"github.com/bwmarrin/discordgo"
)

// Roles per SPEC: a facilitator holds the server's facilitator role or
// Manage Events; a moderator holds the moderator role or Moderate Members,
// and can do everything a facilitator can. Checked here, in the handler,
// because server admins can change Discord's default command permissions.

// isModerator reports whether the member is one of the server's moderators.
func isModerator(ctx context.Context, env Env, req *Request) (bool, error) {
	if !req.InGuild() {
		return false, nil
	}
	if req.HasPermission(discordgo.PermissionModerateMembers) {
		return true, nil
	}
	s, err := env.DB.GuildSettings(ctx, req.GuildID)
	if err != nil {
		return false, fmt.Errorf("check moderator: %w", err)
	}
	return req.HasRole(s.ModeratorRoleID), nil
}

// isFacilitator reports whether the member may run groups, meetings and pairing.
func isFacilitator(ctx context.Context, env Env, req *Request) (bool, error) {
	if !req.InGuild() {
		return false, nil
	}
	if req.HasPermission(discordgo.PermissionManageEvents) {
		return true, nil
	}
	s, err := env.DB.GuildSettings(ctx, req.GuildID)
	if err != nil {
		return false, fmt.Errorf("check facilitator: %w", err)
	}
	if req.HasRole(s.FacilitatorRoleID) {
		return true, nil
	}
	return isModerator(ctx, env, req)
}

// requireFacilitator refuses members who are not facilitators (or moderators).
func requireFacilitator(ctx context.Context, env Env, req *Request) error {
	if !req.InGuild() {
		return UserErrorf("This works inside a server, not in DMs.")
	}
	ok, err := isFacilitator(ctx, env, req)
	if err != nil {
		return err
	}
	if !ok {
		return UserErrorf("Only facilitators can do that: members with the server's facilitator role or the **Manage Events** permission. Ask a facilitator or moderator if you'd like it done.")
	}
	return nil
}

// requireModerator refuses members who are not moderators.
func requireModerator(ctx context.Context, env Env, req *Request) error {
	if !req.InGuild() {
		return UserErrorf("This works inside a server, not in DMs.")
	}
	ok, err := isModerator(ctx, env, req)
	if err != nil {
		return err
	}
	if !ok {
		return UserErrorf("Only moderators can do that: members with the server's moderator role or the **Moderate Members** permission.")
	}
	return nil
}
