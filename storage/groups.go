package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrArchived is returned when a change needs an active group and the
// group has been archived.
var ErrArchived = errors.New("group is archived")

// Group is a peer support group of one server. Empty strings mean "not
// set": no role, no commitment note, the default guidelines (the commands
// package words them), the server's timezone.
type Group struct {
	ID           int64
	GuildID      string
	Name         string
	Description  string
	Type         string // mental-health | recovery | personal-development | other
	ChannelID    string
	RoleID       string
	Facilitation string // peer-led | facilitated | structured
	Commitment   string
	Guidelines   string
	Timezone     string    // IANA name
	ArchivedAt   time.Time // zero while the group is active
	CreatedBy    string
	CreatedAt    time.Time
	UpdatedAt    time.Time

	// Members is how many members the group has.
	Members int
}

// Archived reports whether the group has been archived.
func (g Group) Archived() bool { return !g.ArchivedAt.IsZero() }

// GroupUpdate names the fields to change; nil fields are kept.
type GroupUpdate struct {
	Name         *string
	Description  *string
	Type         *string
	ChannelID    *string
	RoleID       *string
	Facilitation *string
	Commitment   *string
	Guidelines   *string
	Timezone     *string
}

// groupColumns are read by scanGroup, in this order; g is the groups table.
const groupColumns = `g.id, g.guild_id, g.name, g.description, g.type, g.channel_id, g.role_id, g.facilitation,
	g.commitment, g.guidelines, g.timezone, g.archived_at, g.created_by, g.created_at, g.updated_at,
	(SELECT COUNT(*) FROM group_members m WHERE m.group_id = g.id)`

func scanGroup(row rowScanner) (Group, error) {
	var g Group
	var archived sql.NullInt64
	var created, updated int64
	if err := row.Scan(&g.ID, &g.GuildID, &g.Name, &g.Description, &g.Type, &g.ChannelID, &g.RoleID, &g.Facilitation,
		&g.Commitment, &g.Guidelines, &g.Timezone, &archived, &g.CreatedBy, &created, &updated, &g.Members); err != nil {
		return Group{}, err
	}
	if archived.Valid {
		g.ArchivedAt = time.Unix(archived.Int64, 0).UTC()
	}
	g.CreatedAt = time.Unix(created, 0).UTC()
	g.UpdatedAt = time.Unix(updated, 0).UTC()
	return g, nil
}

// groupQueryer is a transaction or the read pool.
type groupQueryer interface {
	queryer
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func queryGroups(ctx context.Context, q groupQueryer, query string, args ...any) ([]Group, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Group
	for rows.Next() {
		g, err := scanGroup(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

func groupByID(ctx context.Context, q queryer, id int64) (Group, error) {
	g, err := scanGroup(q.QueryRowContext(ctx, `SELECT `+groupColumns+` FROM groups g WHERE g.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Group{}, fmt.Errorf("group %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Group{}, fmt.Errorf("read group %d: %w", id, err)
	}
	return g, nil
}

// groupIDByName finds a group of the server by name, ignoring case. SQLite's
// NOCASE folds ASCII letters only, so names with other letters ("Ärzte")
// are compared in Go; a server has few groups.
func groupIDByName(ctx context.Context, q groupQueryer, guildID, name string) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, `SELECT id FROM groups WHERE guild_id = ? AND name = ?`, guildID, name).Scan(&id)
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("find group: %w", err)
	}
	if asciiOnly(name) {
		return 0, ErrNotFound
	}
	rows, err := q.QueryContext(ctx, `SELECT id, name FROM groups WHERE guild_id = ?`, guildID)
	if err != nil {
		return 0, fmt.Errorf("find group: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var have string
		if err := rows.Scan(&id, &have); err != nil {
			return 0, fmt.Errorf("find group: %w", err)
		}
		if strings.EqualFold(have, name) {
			return id, nil
		}
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("find group: %w", err)
	}
	return 0, ErrNotFound
}

func asciiOnly(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// CreateGroup stores a new group and returns it with its id. Another group
// of the server with the same name (ignoring case, archived ones included)
// is ErrConflict. Empty Facilitation means peer-led.
func (db *DB) CreateGroup(ctx context.Context, g Group, now time.Time) (Group, error) {
	if g.Facilitation == "" {
		g.Facilitation = "peer-led"
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return Group{}, err
	}
	defer tx.Rollback()
	switch _, err := groupIDByName(ctx, tx, g.GuildID, g.Name); {
	case err == nil:
		return Group{}, fmt.Errorf("create group: name taken: %w", ErrConflict)
	case !errors.Is(err, ErrNotFound):
		return Group{}, fmt.Errorf("create group: %w", err)
	}
	var id int64
	err = tx.QueryRowContext(ctx, `INSERT INTO groups
		(guild_id, name, description, type, channel_id, role_id, facilitation, commitment, guidelines, timezone, created_by, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		g.GuildID, g.Name, g.Description, g.Type, g.ChannelID, g.RoleID, g.Facilitation, g.Commitment, g.Guidelines, g.Timezone,
		g.CreatedBy, now.Unix(), now.Unix()).Scan(&id)
	if isUniqueViolation(err) {
		return Group{}, fmt.Errorf("create group: name taken: %w", ErrConflict)
	}
	if err != nil {
		return Group{}, fmt.Errorf("create group: %w", err)
	}
	created, err := groupByID(ctx, tx, id)
	if err != nil {
		return Group{}, err
	}
	return created, tx.Commit()
}

// UpdateGroup applies u to a group (active or archived) and returns it. A
// missing group is ErrNotFound; a new name another group of the server
// has is ErrConflict.
func (db *DB) UpdateGroup(ctx context.Context, id int64, u GroupUpdate, now time.Time) (Group, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return Group{}, err
	}
	defer tx.Rollback()
	g, err := groupByID(ctx, tx, id)
	if err != nil {
		return Group{}, err
	}
	if u.Name != nil {
		switch other, err := groupIDByName(ctx, tx, g.GuildID, *u.Name); {
		case err == nil && other != id:
			return Group{}, fmt.Errorf("rename group %d: name taken: %w", id, ErrConflict)
		case err != nil && !errors.Is(err, ErrNotFound):
			return Group{}, fmt.Errorf("rename group %d: %w", id, err)
		}
	}
	for _, f := range []struct {
		from *string
		to   *string
	}{
		{u.Name, &g.Name},
		{u.Description, &g.Description},
		{u.Type, &g.Type},
		{u.ChannelID, &g.ChannelID},
		{u.RoleID, &g.RoleID},
		{u.Facilitation, &g.Facilitation},
		{u.Commitment, &g.Commitment},
		{u.Guidelines, &g.Guidelines},
		{u.Timezone, &g.Timezone},
	} {
		if f.from != nil {
			*f.to = *f.from
		}
	}
	_, err = tx.ExecContext(ctx, `UPDATE groups SET name = ?, description = ?, type = ?, channel_id = ?, role_id = ?,
		facilitation = ?, commitment = ?, guidelines = ?, timezone = ?, updated_at = ? WHERE id = ?`,
		g.Name, g.Description, g.Type, g.ChannelID, g.RoleID, g.Facilitation, g.Commitment, g.Guidelines, g.Timezone, now.Unix(), id)
	if isUniqueViolation(err) {
		return Group{}, fmt.Errorf("rename group %d: name taken: %w", id, ErrConflict)
	}
	if err != nil {
		return Group{}, fmt.Errorf("update group %d: %w", id, err)
	}
	updated, err := groupByID(ctx, tx, id)
	if err != nil {
		return Group{}, err
	}
	return updated, tx.Commit()
}

// ArchiveGroup archives an active group and, in the same transaction,
// cancels its queued jobs (every job of a group has a dedupe key starting
// with "group:<id>:"). It returns the archived group and how many jobs
// were cancelled. A missing group is ErrNotFound; one already archived is
// ErrArchived.
func (db *DB) ArchiveGroup(ctx context.Context, id int64, now time.Time) (Group, int, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return Group{}, 0, err
	}
	defer tx.Rollback()
	g, err := groupByID(ctx, tx, id)
	if err != nil {
		return Group{}, 0, err
	}
	if g.Archived() {
		return Group{}, 0, fmt.Errorf("archive group %d: %w", id, ErrArchived)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE groups SET archived_at = ?, updated_at = ? WHERE id = ?`, now.Unix(), now.Unix(), id); err != nil {
		return Group{}, 0, fmt.Errorf("archive group %d: %w", id, err)
	}
	cancelled, err := CancelJobsTx(ctx, tx, GroupJobPrefix(id))
	if err != nil {
		return Group{}, 0, fmt.Errorf("archive group %d: cancel jobs: %w", id, err)
	}
	g, err = groupByID(ctx, tx, id)
	if err != nil {
		return Group{}, 0, err
	}
	return g, cancelled, tx.Commit()
}

// Group returns a group by id, active or archived, or ErrNotFound.
func (db *DB) Group(ctx context.Context, id int64) (Group, error) {
	return groupByID(ctx, db.read, id)
}

// GroupByName returns the server's group with that name, ignoring case.
// Archived groups count only with includeArchived. None is ErrNotFound.
func (db *DB) GroupByName(ctx context.Context, guildID, name string, includeArchived bool) (Group, error) {
	id, err := groupIDByName(ctx, db.read, guildID, name)
	if err != nil {
		return Group{}, err
	}
	g, err := groupByID(ctx, db.read, id)
	if err != nil {
		return Group{}, err
	}
	if g.Archived() && !includeArchived {
		return Group{}, ErrNotFound
	}
	return g, nil
}

// ActiveGroups returns the server's active groups, by name.
func (db *DB) ActiveGroups(ctx context.Context, guildID string) ([]Group, error) {
	gs, err := queryGroups(ctx, db.read, `SELECT `+groupColumns+` FROM groups g
		WHERE g.guild_id = ? AND g.archived_at IS NULL ORDER BY `+db.dialect.byGroupName, guildID)
	if err != nil {
		return nil, fmt.Errorf("list groups: %w", err)
	}
	return gs, nil
}

// SearchActiveGroups returns up to limit of the server's active groups
// whose name contains query, ignoring case: names starting with it first,
// each part by name. An empty query matches every group.
func (db *DB) SearchActiveGroups(ctx context.Context, guildID, query string, limit int) ([]Group, error) {
	// Filtered here rather than with LIKE, which folds ASCII letters only.
	all, err := db.ActiveGroups(ctx, guildID)
	if err != nil {
		return nil, err
	}
	q := strings.ToLower(strings.TrimSpace(query))
	var starts, contains []Group
	for _, g := range all {
		name := strings.ToLower(g.Name)
		switch {
		case strings.HasPrefix(name, q):
			starts = append(starts, g)
		case strings.Contains(name, q):
			contains = append(contains, g)
		}
	}
	out := append(starts, contains...)
	if len(out) > limit {
		out = out[:max(limit, 0)]
	}
	return out, nil
}

// JoinGroup makes the member a member of an active group. A missing group
// is ErrNotFound, an archived one ErrArchived, and an existing membership
// ErrConflict.
func (db *DB) JoinGroup(ctx context.Context, groupID int64, userID string, now time.Time) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	g, err := groupByID(ctx, tx, groupID)
	if err != nil {
		return err
	}
	if g.Archived() {
		return fmt.Errorf("join group %d: %w", groupID, ErrArchived)
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO group_members (group_id, user_id, joined_at) VALUES (?, ?, ?)
		ON CONFLICT (group_id, user_id) DO NOTHING`, groupID, userID, now.Unix())
	if err != nil {
		return fmt.Errorf("join group %d: %w", groupID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("join group %d: %w", groupID, err)
	} else if n == 0 {
		return fmt.Errorf("join group %d: already a member: %w", groupID, ErrConflict)
	}
	return tx.Commit()
}

// LeaveGroup is LeaveGroupAt by the wall clock, for callers without a
// clock of their own. Callers with one should use LeaveGroupAt.
func (db *DB) LeaveGroup(ctx context.Context, groupID int64, userID string) error {
	return db.LeaveGroupAt(ctx, groupID, userID, time.Now())
}

// LeaveGroupAt ends a membership, in an active or archived group, at the
// time given, and keeps it as a past membership so that GroupMembersAt
// still knows it. A member who isn't one is ErrNotFound.
func (db *DB) LeaveGroupAt(ctx context.Context, groupID int64, userID string, at time.Time) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := leaveGroupTx(ctx, tx, groupID, userID, at); err != nil {
		return err
	}
	return tx.Commit()
}

// leaveGroupTx is LeaveGroupAt inside the caller's transaction: every
// membership ends through it, so every one is kept as a past membership.
func leaveGroupTx(ctx context.Context, tx *sql.Tx, groupID int64, userID string, at time.Time) error {
	var joined int64
	err := tx.QueryRowContext(ctx, `DELETE FROM group_members WHERE group_id = ? AND user_id = ? RETURNING joined_at`, groupID, userID).Scan(&joined)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("leave group %d: not a member: %w", groupID, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("leave group %d: %w", groupID, err)
	}
	// A membership that ends when it begins held no moment: there is
	// nothing to keep.
	if left := at.Unix(); left > joined {
		if _, err := tx.ExecContext(ctx, `INSERT INTO past_group_memberships (group_id, user_id, joined_at, left_at) VALUES (?, ?, ?, ?)`,
			groupID, userID, joined, left); err != nil {
			return fmt.Errorf("leave group %d: keep the past membership: %w", groupID, err)
		}
	}
	return nil
}

// membersAtSQL selects (group_id, user_id) of everyone who belonged to a
// group at one moment, parameter ?1 in unix seconds: a membership counts
// from the second it began (joined_at <= ?1) until the second it ended,
// exclusive (left_at > ?1). groupFilter is a condition on the groups g,
// which may use further numbered parameters.
func membersAtSQL(groupFilter string) string {
	return `SELECT m.group_id, m.user_id FROM group_members m JOIN groups g ON g.id = m.group_id
		WHERE m.joined_at <= ?1 AND ` + groupFilter + `
		UNION
		SELECT p.group_id, p.user_id FROM past_group_memberships p JOIN groups g ON g.id = p.group_id
		WHERE p.joined_at <= ?1 AND p.left_at > ?1 AND ` + groupFilter
}

// GroupMembersAt returns the user ids of the group's members at the moment
// at, by user id: those who had joined by then and not yet left, whatever
// they did afterwards. Memberships erased with /mydata delete, and those
// ended before past memberships were kept, are not known.
func (db *DB) GroupMembersAt(ctx context.Context, groupID int64, at time.Time) ([]string, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT user_id FROM (`+membersAtSQL(`g.id = ?2`)+`) m ORDER BY user_id`, at.Unix(), groupID)
	if err != nil {
		return nil, fmt.Errorf("list members of group %d at %v: %w", groupID, at, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("list members of group %d at %v: %w", groupID, at, err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// IsGroupMember reports whether the member belongs to the group.
func (db *DB) IsGroupMember(ctx context.Context, groupID int64, userID string) (bool, error) {
	var one int
	err := db.read.QueryRowContext(ctx, `SELECT 1 FROM group_members WHERE group_id = ? AND user_id = ?`, groupID, userID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("check membership of group %d: %w", groupID, err)
	}
	return true, nil
}

// GroupMembers returns the user ids of a group's members, longest-standing
// first.
func (db *DB) GroupMembers(ctx context.Context, groupID int64) ([]string, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT user_id FROM group_members WHERE group_id = ? ORDER BY joined_at, user_id`, groupID)
	if err != nil {
		return nil, fmt.Errorf("list members of group %d: %w", groupID, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("list members of group %d: %w", groupID, err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// GroupsOfMember returns the server's groups the member belongs to,
// archived ones included (check Archived), by name.
func (db *DB) GroupsOfMember(ctx context.Context, guildID, userID string) ([]Group, error) {
	gs, err := queryGroups(ctx, db.read, `SELECT `+groupColumns+` FROM groups g
		JOIN group_members gm ON gm.group_id = g.id
		WHERE g.guild_id = ? AND gm.user_id = ? ORDER BY `+db.dialect.byGroupName, guildID, userID)
	if err != nil {
		return nil, fmt.Errorf("list groups of member: %w", err)
	}
	return gs, nil
}
