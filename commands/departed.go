package commands

import (
	"context"
	"errors"
	"fmt"
)

// Members who left a server. With only the GUILDS intent Kindred hears of
// a departure from Discord's answers while it acts for its own records:
//
//   - 10007 Unknown Member when a round confirms who it placed or adds
//     them to their thread, when a group's role is given or taken, when a
//     DM's button is pressed;
//   - 50278 (no mutual server) on a DM a server's job sends;
//   - and, with discord.members_intent, GUILD_MEMBER_REMOVE at once.
//
// Each ends in MemberLeft. A member id typed into someone's command (a
// /warn of a non-member, an avoid) never does: a wrong id there gets its
// own error, and nobody can make Kindred forget someone else.

// MemberLeft ends what a member who has left a server had there: their
// group memberships and pairing opt-ins, their answers for meetings to
// come, their check-in reminder and the work queued about them. Their own
// data stays for /mydata, and they may come back and join again. bot/
// calls it on GUILD_MEMBER_REMOVE; it is idempotent.
func MemberLeft(ctx context.Context, env Env, guildID, userID string) error {
	d, err := env.DB.MemberLeft(ctx, guildID, userID, env.Now())
	if err != nil {
		return fmt.Errorf("record that member %s left server %s: %w", userID, guildID, err)
	}
	if d.Total() > 0 {
		env.Log.Info("member left the server: their place there ended", "guild", guildID, "user", userID,
			"groups", d.GroupMemberships, "pairing", d.PairingOptIns, "rsvps", d.RSVPs,
			"checkin_reminders", d.CheckinReminders, "jobs", d.PendingJobs)
	}
	return nil
}

// leftIf records the departure that err reports, if it reports one: 10007
// from a call about userID in guildID, which Kindred made for its own
// records of that member. It returns a storage error, or nil.
func leftIf(ctx context.Context, env Env, err error, guildID, userID string) error {
	if !errors.Is(err, ErrUnknownMember) {
		return nil
	}
	return MemberLeft(ctx, env, guildID, userID)
}

// stillIn is memberOf for a member acting on their own records from
// outside the server (a button in a DM): when Discord says they are not in
// it, their place there ends.
func stillIn(ctx context.Context, env Env, guildID, userID string) (bool, error) {
	_, err := env.Discord.Member(ctx, guildID, userID)
	if lerr := leftIf(ctx, env, err, guildID, userID); lerr != nil {
		return false, lerr
	}
	return presence(err)
}
