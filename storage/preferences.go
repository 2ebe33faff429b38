package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Preferences are a member's own settings. They belong to the member, not
// to a server, and apply wherever the member meets the bot.
type Preferences struct {
	UserID     string
	Timezone   string      // IANA name; empty when not set
	QuietHours *QuietHours // nil when off
	DMsEnabled bool
}

// QuietHours is a daily window, in the member's local time, during which
// the bot holds its DMs. Start and End are minutes after local midnight;
// a window with End < Start runs over midnight.
type QuietHours struct {
	Start, End int
}

// Contains reports whether the local minute-of-day m falls in the window.
func (q QuietHours) Contains(m int) bool {
	if q.Start <= q.End {
		return m >= q.Start && m < q.End
	}
	return m >= q.Start || m < q.End
}

// Preferences returns the member's preferences, or the defaults (DMs on,
// no timezone, no quiet hours) when they never set any.
func (db *DB) Preferences(ctx context.Context, userID string) (Preferences, error) {
	return preferences(ctx, db.read, userID)
}

func preferences(ctx context.Context, q queryer, userID string) (Preferences, error) {
	p := Preferences{UserID: userID, DMsEnabled: true}
	var start, end sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT timezone, quiet_start, quiet_end, dms_enabled FROM member_preferences WHERE user_id = ?`, userID).
		Scan(&p.Timezone, &start, &end, &p.DMsEnabled)
	if errors.Is(err, sql.ErrNoRows) {
		return p, nil
	}
	if err != nil {
		return Preferences{}, fmt.Errorf("read preferences: %w", err)
	}
	if start.Valid && end.Valid {
		p.QuietHours = &QuietHours{Start: int(start.Int64), End: int(end.Int64)}
	}
	return p, nil
}

// SetTimezone stores the member's timezone (an IANA name the caller has validated).
func (db *DB) SetTimezone(ctx context.Context, userID, zone string, now time.Time) (Preferences, error) {
	return db.updatePreferences(ctx, userID, now, func(p *Preferences) { p.Timezone = zone })
}

// SetQuietHours stores the member's quiet hours; nil turns them off.
func (db *DB) SetQuietHours(ctx context.Context, userID string, q *QuietHours, now time.Time) (Preferences, error) {
	return db.updatePreferences(ctx, userID, now, func(p *Preferences) { p.QuietHours = q })
}

// SetDMsEnabled turns all of the bot's DMs to the member on or off.
func (db *DB) SetDMsEnabled(ctx context.Context, userID string, enabled bool, now time.Time) (Preferences, error) {
	return db.updatePreferences(ctx, userID, now, func(p *Preferences) { p.DMsEnabled = enabled })
}

func (db *DB) updatePreferences(ctx context.Context, userID string, now time.Time, change func(*Preferences)) (Preferences, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return Preferences{}, err
	}
	defer tx.Rollback()
	p, err := preferences(ctx, tx, userID)
	if err != nil {
		return Preferences{}, err
	}
	change(&p)
	var start, end sql.NullInt64
	if p.QuietHours != nil {
		start = sql.NullInt64{Int64: int64(p.QuietHours.Start), Valid: true}
		end = sql.NullInt64{Int64: int64(p.QuietHours.End), Valid: true}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO member_preferences (user_id, timezone, quiet_start, quiet_end, dms_enabled, updated_at)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET
			timezone = excluded.timezone,
			quiet_start = excluded.quiet_start,
			quiet_end = excluded.quiet_end,
			dms_enabled = excluded.dms_enabled,
			updated_at = excluded.updated_at`,
		userID, p.Timezone, start, end, p.DMsEnabled, now.Unix()); err != nil {
		return Preferences{}, fmt.Errorf("save preferences: %w", err)
	}
	return p, tx.Commit()
}
