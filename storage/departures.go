package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Departure is what MemberLeft ended for a member who left a server.
type Departure struct {
	GroupMemberships int // ended, each kept as a past membership
	PairingOptIns    int // buddy settings of the server's groups
	RSVPs            int // answers for occurrences that had not begun
	CheckinReminders int // the member's daily check-in reminder there
	PendingJobs      int // queued work about the member there: DMs, prompts
}

// Total is everything MemberLeft ended.
func (d Departure) Total() int {
	return d.GroupMemberships + d.PairingOptIns + d.RSVPs + d.CheckinReminders + d.PendingJobs
}

// MemberLeft records that a member is no longer in a server. In one
// transaction it ends their memberships of the server's groups (kept as
// past memberships, as /group leave keeps them), removes their pairing
// opt-ins there and their answers for meetings that had not begun by at,
// turns their check-in reminder there off, and cancels the work queued
// about them in that server.
//
// What the member did there stays theirs, for /mydata and for when they
// come back: check-ins and streaks, preferences, their avoid list, pairing
// history, attendance, answers for past meetings, past memberships. The
// check-in reminder is not kept waiting: none of its prompts could reach
// them, and like a group, a member who returns sets it again.
//
// Running it again ends nothing more.
func (db *DB) MemberLeft(ctx context.Context, guildID, userID string, at time.Time) (Departure, error) {
	if err := validMemberID(userID); err != nil {
		return Departure{}, err
	}
	if guildID == "" {
		return Departure{}, errors.New("member left: server missing")
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return Departure{}, err
	}
	defer tx.Rollback()

	var groups []int64
	if err := each(ctx, tx, `SELECT gm.group_id FROM group_members gm JOIN groups g ON g.id = gm.group_id
		WHERE g.guild_id = ? AND gm.user_id = ? ORDER BY gm.group_id`, []any{guildID, userID}, func(r *sql.Rows) error {
		var id int64
		if err := r.Scan(&id); err != nil {
			return err
		}
		groups = append(groups, id)
		return nil
	}); err != nil {
		return Departure{}, fmt.Errorf("member left: %w", err)
	}
	var d Departure
	for _, id := range groups {
		if err := leaveGroupTx(ctx, tx, id, userID, at); err != nil {
			return Departure{}, fmt.Errorf("member left: %w", err)
		}
		d.GroupMemberships++
	}

	// ?1 is the member, ?2 the server.
	steps := []countedStatement{
		{&d.PairingOptIns, `DELETE FROM buddy_members WHERE user_id = ?1 AND group_id IN (SELECT id FROM groups WHERE guild_id = ?2)`, nil},
		{&d.RSVPs, `DELETE FROM meeting_rsvps WHERE user_id = ?1 AND starts_at > ?3
			AND meeting_id IN (SELECT id FROM meetings WHERE guild_id = ?2)`, []any{at.Unix()}},
		{&d.CheckinReminders, `DELETE FROM checkin_reminders WHERE user_id = ?1 AND guild_id = ?2`, nil},
		{&d.PendingJobs, `DELETE FROM jobs WHERE ` + memberJobsWhere + ` AND guild_id = ?2`, nil},
	}
	if err := execCounted(ctx, tx, steps, userID, guildID); err != nil {
		return Departure{}, fmt.Errorf("member left: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return Departure{}, fmt.Errorf("member left: %w", err)
	}
	return d, nil
}
