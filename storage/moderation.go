package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ErrAlreadyRevoked is returned when a warning to revoke was revoked before.
var ErrAlreadyRevoked = errors.New("warning already revoked")

// Warning is one recorded warning. Case numbers count from 1 in each
// server. RevokedAt is zero while the warning stands.
type Warning struct {
	GuildID      string
	Case         int64
	UserID       string // the warned member
	ModeratorID  string // who issued it
	Reason       string
	CreatedAt    time.Time
	ExpiresAt    time.Time
	RevokedAt    time.Time
	RevokedBy    string
	RevokeReason string
}

// Revoked reports whether a moderator revoked the warning.
func (w Warning) Revoked() bool { return !w.RevokedAt.IsZero() }

// Expired reports whether the warning has expired at now.
func (w Warning) Expired(now time.Time) bool { return !now.Before(w.ExpiresAt) }

// Active reports whether the warning counts at now: unexpired and unrevoked.
func (w Warning) Active(now time.Time) bool { return !w.Revoked() && !w.Expired(now) }

// Escalation actions.
const (
	ActionTimeout = "timeout"
	ActionKick    = "kick"
	ActionBan     = "ban"
)

// EscalationRule is what happens when a member reaches exactly Warnings
// active warnings. Duration is a timeout's length, zero for kick and ban.
type EscalationRule struct {
	GuildID  string
	Warnings int
	Action   string
	Duration time.Duration
}

// Report is a member's report of a message. DeliveredAt is zero while it
// waits for a mod-log channel.
type Report struct {
	ID          int64
	GuildID     string
	ReporterID  string
	ReportedID  string // the message's author
	ChannelID   string
	MessageID   string
	Reason      string
	Excerpt     string
	CreatedAt   time.Time
	DeliveredAt time.Time
}

const warningColumns = `guild_id, case_number, user_id, moderator_id, reason, created_at, expires_at,
	revoked_at, revoked_by, revoke_reason`

func scanWarning(row rowScanner) (Warning, error) {
	var w Warning
	var created, expires int64
	var revoked sql.NullInt64
	if err := row.Scan(&w.GuildID, &w.Case, &w.UserID, &w.ModeratorID, &w.Reason, &created, &expires,
		&revoked, &w.RevokedBy, &w.RevokeReason); err != nil {
		return Warning{}, err
	}
	w.CreatedAt = time.Unix(created, 0).UTC()
	w.ExpiresAt = time.Unix(expires, 0).UTC()
	if revoked.Valid {
		w.RevokedAt = time.Unix(revoked.Int64, 0).UTC()
	}
	return w, nil
}

// AddWarning records w with the server's next case number and returns it,
// with how many active warnings the member has at w.CreatedAt (this one
// included). The case number is allocated in the write transaction that
// inserts the row; the single writer connection begins it IMMEDIATE, so
// concurrent warnings get distinct numbers with no gaps.
func (db *DB) AddWarning(ctx context.Context, w Warning) (Warning, int, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return Warning{}, 0, err
	}
	defer tx.Rollback()
	w, active, err := addWarningTx(ctx, tx, w)
	if err != nil {
		return Warning{}, 0, err
	}
	if err := tx.Commit(); err != nil {
		return Warning{}, 0, err
	}
	return w, active, nil
}

// addWarningTx is AddWarning inside tx.
func addWarningTx(ctx context.Context, tx *sql.Tx, w Warning) (Warning, int, error) {
	if !w.ExpiresAt.After(w.CreatedAt) {
		return Warning{}, 0, fmt.Errorf("add warning: expiry %v is not after %v", w.ExpiresAt, w.CreatedAt)
	}
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(case_number), 0) + 1 FROM warnings WHERE guild_id = ?`,
		w.GuildID).Scan(&w.Case); err != nil {
		return Warning{}, 0, fmt.Errorf("allocate case number: %w", err)
	}
	w.CreatedAt = time.Unix(w.CreatedAt.Unix(), 0).UTC()
	w.ExpiresAt = time.Unix(w.ExpiresAt.Unix(), 0).UTC()
	w.RevokedAt, w.RevokedBy, w.RevokeReason = time.Time{}, "", ""
	if _, err := tx.ExecContext(ctx, `INSERT INTO warnings
		(guild_id, case_number, user_id, moderator_id, reason, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`,
		w.GuildID, w.Case, w.UserID, w.ModeratorID, w.Reason, w.CreatedAt.Unix(), w.ExpiresAt.Unix()); err != nil {
		return Warning{}, 0, fmt.Errorf("add warning: %w", err)
	}
	active, err := activeWarningCount(ctx, tx, w.GuildID, w.UserID, w.CreatedAt)
	if err != nil {
		return Warning{}, 0, err
	}
	return w, active, nil
}

func activeWarningCount(ctx context.Context, q queryer, guildID, userID string, now time.Time) (int, error) {
	var n int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM warnings
		WHERE guild_id = ? AND user_id = ? AND revoked_at IS NULL AND expires_at > ?`,
		guildID, userID, now.Unix()).Scan(&n); err != nil {
		return 0, fmt.Errorf("count active warnings: %w", err)
	}
	return n, nil
}

// ActiveWarningCount is how many unexpired, unrevoked warnings the member
// has in the server at now.
func (db *DB) ActiveWarningCount(ctx context.Context, guildID, userID string, now time.Time) (int, error) {
	return activeWarningCount(ctx, db.read, guildID, userID, now)
}

// Warnings are all of the member's warnings in the server, active, expired
// and revoked, oldest first.
func (db *DB) Warnings(ctx context.Context, guildID, userID string) ([]Warning, error) {
	out, err := queryAll(ctx, db.read, scanWarning, `SELECT `+warningColumns+` FROM warnings
		WHERE guild_id = ? AND user_id = ? ORDER BY case_number`, guildID, userID)
	if err != nil {
		return nil, fmt.Errorf("read warnings: %w", err)
	}
	return out, nil
}

// ActiveWarnings are the member's warnings that count at now, oldest first.
func (db *DB) ActiveWarnings(ctx context.Context, guildID, userID string, now time.Time) ([]Warning, error) {
	all, err := db.Warnings(ctx, guildID, userID)
	if err != nil {
		return nil, err
	}
	var out []Warning
	for _, w := range all {
		if w.Active(now) {
			out = append(out, w)
		}
	}
	return out, nil
}

// WarningCase is the server's warning with that case number, or ErrNotFound.
func (db *DB) WarningCase(ctx context.Context, guildID string, caseNumber int64) (Warning, error) {
	return warningCase(ctx, db.read, guildID, caseNumber)
}

func warningCase(ctx context.Context, q queryer, guildID string, caseNumber int64) (Warning, error) {
	w, err := scanWarning(q.QueryRowContext(ctx, `SELECT `+warningColumns+` FROM warnings
		WHERE guild_id = ? AND case_number = ?`, guildID, caseNumber))
	if errors.Is(err, sql.ErrNoRows) {
		return Warning{}, fmt.Errorf("case %d: %w", caseNumber, ErrNotFound)
	}
	if err != nil {
		return Warning{}, fmt.Errorf("read case %d: %w", caseNumber, err)
	}
	return w, nil
}

// RevokeWarning marks the server's case as revoked by revokedBy and returns
// it. A case of another server is ErrNotFound; a second revoke is
// ErrAlreadyRevoked, returned with the warning as it stands.
func (db *DB) RevokeWarning(ctx context.Context, guildID string, caseNumber int64, revokedBy, reason string, now time.Time) (Warning, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return Warning{}, err
	}
	defer tx.Rollback()
	w, err := warningCase(ctx, tx, guildID, caseNumber)
	if err != nil {
		return Warning{}, err
	}
	if w.Revoked() {
		return w, ErrAlreadyRevoked
	}
	if _, err := tx.ExecContext(ctx, `UPDATE warnings SET revoked_at = ?, revoked_by = ?, revoke_reason = ?
		WHERE guild_id = ? AND case_number = ?`, now.Unix(), revokedBy, reason, guildID, caseNumber); err != nil {
		return Warning{}, fmt.Errorf("revoke case %d: %w", caseNumber, err)
	}
	if err := tx.Commit(); err != nil {
		return Warning{}, err
	}
	w.RevokedAt, w.RevokedBy, w.RevokeReason = time.Unix(now.Unix(), 0).UTC(), revokedBy, reason
	return w, nil
}

// SetEscalationRule adds or replaces the server's rule for r.Warnings.
func (db *DB) SetEscalationRule(ctx context.Context, r EscalationRule, updatedBy string, now time.Time) error {
	switch r.Action {
	case ActionTimeout:
		if r.Duration <= 0 {
			return fmt.Errorf("escalation rule: a timeout needs a duration")
		}
	case ActionKick, ActionBan:
		if r.Duration != 0 {
			return fmt.Errorf("escalation rule: %s takes no duration", r.Action)
		}
	default:
		return fmt.Errorf("escalation rule: unknown action %q", r.Action)
	}
	if _, err := db.write.ExecContext(ctx, `INSERT INTO escalation_rules
		(guild_id, warnings, action, duration_seconds, updated_by, updated_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (guild_id, warnings) DO UPDATE SET
			action = excluded.action, duration_seconds = excluded.duration_seconds,
			updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
		r.GuildID, r.Warnings, r.Action, int64(r.Duration/time.Second), updatedBy, now.Unix()); err != nil {
		return fmt.Errorf("save escalation rule: %w", err)
	}
	return nil
}

// EscalationRules are the server's rules by number of warnings.
func (db *DB) EscalationRules(ctx context.Context, guildID string) ([]EscalationRule, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT guild_id, warnings, action, duration_seconds
		FROM escalation_rules WHERE guild_id = ? ORDER BY warnings`, guildID)
	if err != nil {
		return nil, fmt.Errorf("read escalation rules: %w", err)
	}
	defer rows.Close()
	var out []EscalationRule
	for rows.Next() {
		var r EscalationRule
		var secs int64
		if err := rows.Scan(&r.GuildID, &r.Warnings, &r.Action, &secs); err != nil {
			return nil, fmt.Errorf("read escalation rules: %w", err)
		}
		r.Duration = time.Duration(secs) * time.Second
		out = append(out, r)
	}
	return out, rows.Err()
}

// EscalationRuleFor is the server's rule for exactly that many active
// warnings, if there is one.
func (db *DB) EscalationRuleFor(ctx context.Context, guildID string, warnings int) (EscalationRule, bool, error) {
	r := EscalationRule{GuildID: guildID, Warnings: warnings}
	var secs int64
	err := db.read.QueryRowContext(ctx, `SELECT action, duration_seconds FROM escalation_rules
		WHERE guild_id = ? AND warnings = ?`, guildID, warnings).Scan(&r.Action, &secs)
	if errors.Is(err, sql.ErrNoRows) {
		return EscalationRule{}, false, nil
	}
	if err != nil {
		return EscalationRule{}, false, fmt.Errorf("read escalation rule: %w", err)
	}
	r.Duration = time.Duration(secs) * time.Second
	return r, true, nil
}

// ClearEscalationRule removes the server's rule for that many warnings and
// reports whether there was one.
func (db *DB) ClearEscalationRule(ctx context.Context, guildID string, warnings int) (bool, error) {
	res, err := db.write.ExecContext(ctx, `DELETE FROM escalation_rules WHERE guild_id = ? AND warnings = ?`, guildID, warnings)
	if err != nil {
		return false, fmt.Errorf("clear escalation rule: %w", err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

const reportColumns = `id, guild_id, reporter_id, reported_id, channel_id, message_id, reason, excerpt, created_at, delivered_at`

func scanReport(row rowScanner) (Report, error) {
	var r Report
	var created int64
	var delivered sql.NullInt64
	if err := row.Scan(&r.ID, &r.GuildID, &r.ReporterID, &r.ReportedID, &r.ChannelID, &r.MessageID, &r.Reason, &r.Excerpt,
		&created, &delivered); err != nil {
		return Report{}, err
	}
	r.CreatedAt = time.Unix(created, 0).UTC()
	if delivered.Valid {
		r.DeliveredAt = time.Unix(delivered.Int64, 0).UTC()
	}
	return r, nil
}

// AddReport stores a report, not yet delivered, and returns it with its id.
func (db *DB) AddReport(ctx context.Context, r Report) (Report, error) {
	r.CreatedAt = time.Unix(r.CreatedAt.Unix(), 0).UTC()
	r.DeliveredAt = time.Time{}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return Report{}, fmt.Errorf("add report: %w", err)
	}
	defer tx.Rollback()
	if err := tx.QueryRowContext(ctx, `INSERT INTO reports
		(guild_id, reporter_id, reported_id, channel_id, message_id, reason, excerpt, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		r.GuildID, r.ReporterID, r.ReportedID, r.ChannelID, r.MessageID, r.Reason, r.Excerpt, r.CreatedAt.Unix()).Scan(&r.ID); err != nil {
		return Report{}, fmt.Errorf("add report: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return Report{}, fmt.Errorf("add report: %w", err)
	}
	return r, nil
}

// ClaimReport marks one report delivered at now, unless it already was,
// and reports whether this call claimed it. Whoever claims a report posts
// it; ReleaseReport undoes a claim whose post failed.
func (db *DB) ClaimReport(ctx context.Context, id int64, now time.Time) (bool, error) {
	res, err := db.write.ExecContext(ctx, `UPDATE reports SET delivered_at = ? WHERE id = ? AND delivered_at IS NULL`, now.Unix(), id)
	if err != nil {
		return false, fmt.Errorf("claim report %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ClaimPendingReports marks every undelivered report of the server as
// delivered at now and returns them, oldest first, in one transaction, so
// two callers never post the same report.
func (db *DB) ClaimPendingReports(ctx context.Context, guildID string, now time.Time) ([]Report, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT `+reportColumns+` FROM reports
		WHERE guild_id = ? AND delivered_at IS NULL ORDER BY id`, guildID)
	if err != nil {
		return nil, fmt.Errorf("read pending reports: %w", err)
	}
	var out []Report
	for rows.Next() {
		r, err := scanReport(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("read pending reports: %w", err)
		}
		out = append(out, r)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, fmt.Errorf("read pending reports: %w", err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE reports SET delivered_at = ? WHERE guild_id = ? AND delivered_at IS NULL`,
		now.Unix(), guildID); err != nil {
		return nil, fmt.Errorf("claim pending reports: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	for i := range out {
		out[i].DeliveredAt = time.Unix(now.Unix(), 0).UTC()
	}
	return out, nil
}

// ReleaseReport marks a claimed report undelivered again, for a post that failed.
func (db *DB) ReleaseReport(ctx context.Context, id int64) error {
	if _, err := db.write.ExecContext(ctx, `UPDATE reports SET delivered_at = NULL WHERE id = ?`, id); err != nil {
		return fmt.Errorf("release report %d: %w", id, err)
	}
	return nil
}

// PendingReports are the server's reports not yet delivered, oldest first.
func (db *DB) PendingReports(ctx context.Context, guildID string) ([]Report, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+reportColumns+` FROM reports
		WHERE guild_id = ? AND delivered_at IS NULL ORDER BY id`, guildID)
	if err != nil {
		return nil, fmt.Errorf("read pending reports: %w", err)
	}
	defer rows.Close()
	var out []Report
	for rows.Next() {
		r, err := scanReport(rows)
		if err != nil {
			return nil, fmt.Errorf("read pending reports: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
