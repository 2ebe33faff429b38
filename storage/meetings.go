package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Meeting is a one-off or recurring meeting of a group. Its occurrences
// follow from FirstStart and Recurrence; cancellations, RSVPs and
// attendance are stored per occurrence by its original start.
type Meeting struct {
	ID                int64
	GuildID           string
	GroupID           int64
	Title             string
	FirstStart        time.Time
	Duration          time.Duration
	Format            string // online | in-person | hybrid
	Location          string
	Recurrence        string // scheduler.Recurrence.Encode()
	Timezone          string
	Reminders         []time.Duration // longest first
	AnnounceChannelID string
	AnnounceMessageID string
	CreatedBy         string
	CreatedAt         time.Time
	CancelledAt       time.Time // zero while the series is on
}

// RSVP answers.
const (
	RSVPGoing = "going"
	RSVPMaybe = "maybe"
	RSVPNo    = "no"
)

// RSVP is a member's answer for one occurrence.
type RSVP struct {
	UserID string
	Answer string
}

const meetingColumns = `id, guild_id, group_id, title, first_start, duration_minutes, format, location, recurrence, timezone,
	reminders, announce_channel_id, announce_message_id, created_by, created_at, cancelled_at`

func scanMeeting(row rowScanner) (Meeting, error) {
	var m Meeting
	var first, created int64
	var minutes int
	var reminders string
	var cancelled sql.NullInt64
	if err := row.Scan(&m.ID, &m.GuildID, &m.GroupID, &m.Title, &first, &minutes, &m.Format, &m.Location, &m.Recurrence, &m.Timezone,
		&reminders, &m.AnnounceChannelID, &m.AnnounceMessageID, &m.CreatedBy, &created, &cancelled); err != nil {
		return Meeting{}, err
	}
	m.FirstStart = time.Unix(first, 0).UTC()
	m.Duration = time.Duration(minutes) * time.Minute
	m.CreatedAt = time.Unix(created, 0).UTC()
	if cancelled.Valid {
		m.CancelledAt = time.Unix(cancelled.Int64, 0).UTC()
	}
	for _, f := range strings.Split(reminders, ",") {
		if s, err := strconv.ParseInt(f, 10, 64); err == nil && s > 0 {
			m.Reminders = append(m.Reminders, time.Duration(s)*time.Second)
		}
	}
	return m, nil
}

func encodeReminders(ds []time.Duration) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = strconv.FormatInt(int64(d/time.Second), 10)
	}
	return strings.Join(parts, ",")
}

// CreateMeeting stores m and the timed work jobsFor returns for it (its
// reminders) in one transaction, so a meeting never exists without its
// reminders or the other way round. jobsFor runs inside that transaction:
// it must not use the database.
func (db *DB) CreateMeeting(ctx context.Context, m Meeting, jobsFor func(Meeting) []NewJob) (Meeting, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return Meeting{}, err
	}
	defer tx.Rollback()
	if err := tx.QueryRowContext(ctx, `INSERT INTO meetings (guild_id, group_id, title, first_start, duration_minutes, format, location,
		recurrence, timezone, reminders, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		m.GuildID, m.GroupID, m.Title, m.FirstStart.Unix(), int(m.Duration/time.Minute), m.Format, m.Location,
		m.Recurrence, m.Timezone, encodeReminders(m.Reminders), m.CreatedBy, m.CreatedAt.Unix()).Scan(&m.ID); err != nil {
		return Meeting{}, fmt.Errorf("insert meeting: %w", err)
	}
	for _, j := range jobsFor(m) {
		if _, err := EnqueueTx(ctx, tx, j); err != nil {
			return Meeting{}, fmt.Errorf("enqueue %s: %w", j.Kind, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return Meeting{}, err
	}
	db.JobsEnqueued()
	return m, nil
}

// SetMeetingAnnouncement remembers where the meeting was announced.
func (db *DB) SetMeetingAnnouncement(ctx context.Context, id int64, channelID, messageID string) error {
	_, err := db.write.ExecContext(ctx, `UPDATE meetings SET announce_channel_id = ?, announce_message_id = ? WHERE id = ?`, channelID, messageID, id)
	if err != nil {
		return fmt.Errorf("save announcement: %w", err)
	}
	return nil
}

// Meeting returns one meeting; ErrNotFound when there is none.
func (db *DB) Meeting(ctx context.Context, id int64) (Meeting, error) {
	m, err := scanMeeting(db.read.QueryRowContext(ctx, `SELECT `+meetingColumns+` FROM meetings WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Meeting{}, ErrNotFound
	}
	if err != nil {
		return Meeting{}, fmt.Errorf("read meeting: %w", err)
	}
	return m, nil
}

// ActiveMeetings returns the server's meetings that are not cancelled and
// belong to active groups; groupID 0 means every group.
func (db *DB) ActiveMeetings(ctx context.Context, guildID string, groupID int64) ([]Meeting, error) {
	return db.queryMeetings(ctx, `SELECT `+prefixed("m.", meetingColumns)+` FROM meetings m JOIN groups g ON g.id = m.group_id
		WHERE m.guild_id = ? AND m.cancelled_at IS NULL AND g.archived_at IS NULL AND (? = 0 OR m.group_id = ?)
		ORDER BY m.first_start, m.id`, guildID, groupID, groupID)
}

// GroupMeetings returns every meeting of a group, cancelled ones included,
// for its activity figures.
func (db *DB) GroupMeetings(ctx context.Context, groupID int64) ([]Meeting, error) {
	return db.queryMeetings(ctx, `SELECT `+meetingColumns+` FROM meetings WHERE group_id = ? ORDER BY first_start, id`, groupID)
}

func (db *DB) queryMeetings(ctx context.Context, query string, args ...any) ([]Meeting, error) {
	rows, err := db.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list meetings: %w", err)
	}
	defer rows.Close()
	var out []Meeting
	for rows.Next() {
		m, err := scanMeeting(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

func prefixed(prefix, columns string) string {
	fields := strings.Split(columns, ",")
	for i, f := range fields {
		fields[i] = prefix + strings.TrimSpace(f)
	}
	return strings.Join(fields, ", ")
}

// CancelMeeting cancels the whole series and its queued timed work (every
// job whose dedupe key starts with jobPrefix). ErrNotFound when there is no
// such meeting on; ErrConflict when it was already cancelled.
func (db *DB) CancelMeeting(ctx context.Context, id int64, jobPrefix string, now time.Time) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE meetings SET cancelled_at = ? WHERE id = ? AND cancelled_at IS NULL`, now.Unix(), id)
	if err != nil {
		return fmt.Errorf("cancel meeting: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrConflict
	}
	if _, err := CancelJobsTx(ctx, tx, jobPrefix); err != nil {
		return err
	}
	return tx.Commit()
}

// CancelOccurrence cancels one occurrence (by its original start) and its
// queued timed work. ErrConflict when it was already cancelled.
func (db *DB) CancelOccurrence(ctx context.Context, id int64, startsAt time.Time, by, jobPrefix string, now time.Time) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO meeting_cancellations (meeting_id, starts_at, cancelled_by, cancelled_at) VALUES (?, ?, ?, ?)`,
		id, startsAt.Unix(), by, now.Unix()); err != nil {
		if isConstraint(err) {
			return ErrConflict
		}
		return fmt.Errorf("cancel occurrence: %w", err)
	}
	if _, err := CancelJobsTx(ctx, tx, jobPrefix); err != nil {
		return err
	}
	return tx.Commit()
}

// Cancellations returns the cancelled occurrences of a meeting, by start.
func (db *DB) Cancellations(ctx context.Context, meetingID int64) (map[int64]bool, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT starts_at FROM meeting_cancellations WHERE meeting_id = ?`, meetingID)
	if err != nil {
		return nil, fmt.Errorf("read cancellations: %w", err)
	}
	defer rows.Close()
	out := map[int64]bool{}
	for rows.Next() {
		var s int64
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out[s] = true
	}
	return out, rows.Err()
}

// SetRSVP records (or changes) a member's answer for one occurrence.
func (db *DB) SetRSVP(ctx context.Context, meetingID int64, startsAt time.Time, userID, answer string, now time.Time) error {
	err := db.writeTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO meeting_rsvps (meeting_id, starts_at, user_id, answer, updated_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (meeting_id, starts_at, user_id) DO UPDATE SET answer = excluded.answer, updated_at = excluded.updated_at`,
			meetingID, startsAt.Unix(), userID, answer, now.Unix())
		return err
	})
	if err != nil {
		return fmt.Errorf("save rsvp: %w", err)
	}
	return nil
}

// RequireRSVP is the requirement of a job for the member's answer to one
// occurrence: it holds while their answer is one of answers.
func RequireRSVP(meetingID int64, startsAt time.Time, userID string, answers ...string) *Requirement {
	if len(answers) == 0 {
		return &Requirement{what: "rsvp", query: `SELECT 1 WHERE 1 = 0`}
	}
	args := []any{meetingID, startsAt.Unix(), userID}
	for _, a := range answers {
		args = append(args, a)
	}
	return &Requirement{
		what: fmt.Sprintf("rsvp to meeting %d at %d", meetingID, startsAt.Unix()),
		query: `SELECT 1 FROM meeting_rsvps WHERE meeting_id = ? AND starts_at = ? AND user_id = ? AND answer IN (?` +
			strings.Repeat(", ?", len(answers)-1) + `)`,
		args: args,
	}
}

// RSVPs returns the answers for one occurrence, oldest first.
func (db *DB) RSVPs(ctx context.Context, meetingID int64, startsAt time.Time) ([]RSVP, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT user_id, answer FROM meeting_rsvps WHERE meeting_id = ? AND starts_at = ? ORDER BY updated_at, user_id`,
		meetingID, startsAt.Unix())
	if err != nil {
		return nil, fmt.Errorf("read rsvps: %w", err)
	}
	defer rows.Close()
	var out []RSVP
	for rows.Next() {
		var r RSVP
		if err := rows.Scan(&r.UserID, &r.Answer); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// MarkAttendance records that a member is at an occurrence; already
// reports that they had said so before.
func (db *DB) MarkAttendance(ctx context.Context, meetingID int64, startsAt time.Time, userID string, now time.Time) (already bool, err error) {
	res, err := db.write.ExecContext(ctx, `INSERT INTO meeting_attendance (meeting_id, starts_at, user_id, marked_at) VALUES (?, ?, ?, ?)
		ON CONFLICT DO NOTHING`, meetingID, startsAt.Unix(), userID, now.Unix())
	if err != nil {
		return false, fmt.Errorf("mark attendance: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 0, err
}

// Attendance is who was at which occurrence of a meeting.
type Attendance struct {
	StartsAt time.Time
	UserID   string
}

// MeetingAttendance returns the attendance of a meeting's occurrences that
// started at or after since, oldest first.
func (db *DB) MeetingAttendance(ctx context.Context, meetingID int64, since time.Time) ([]Attendance, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT starts_at, user_id FROM meeting_attendance WHERE meeting_id = ? AND starts_at >= ?
		ORDER BY starts_at, marked_at`, meetingID, since.Unix())
	if err != nil {
		return nil, fmt.Errorf("read attendance: %w", err)
	}
	defer rows.Close()
	var out []Attendance
	for rows.Next() {
		var a Attendance
		var s int64
		if err := rows.Scan(&s, &a.UserID); err != nil {
			return nil, err
		}
		a.StartsAt = time.Unix(s, 0).UTC()
		out = append(out, a)
	}
	return out, rows.Err()
}

// SentRef returns what a job recorded under key with RecordSent.
func (db *DB) SentRef(ctx context.Context, key string) (ref string, ok bool, err error) {
	err = db.write.QueryRowContext(ctx, `SELECT ref FROM sent_log WHERE key = ?`, key).Scan(&ref)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read sent log: %w", err)
	}
	return ref, true, nil
}

// SentUnder reports whether the sent log holds a key starting with prefix
// (a check-in prompt delivered to this member from this server, say).
func (db *DB) SentUnder(ctx context.Context, prefix string) (bool, error) {
	if prefix == "" {
		return false, errors.New("sent under: empty prefix")
	}
	query, args := `SELECT 1 FROM sent_log WHERE key >= ?`, []any{prefix}
	if end, ok := prefixEnd(prefix); ok {
		query += ` AND key < ?`
		args = append(args, end)
	}
	var one int
	err := db.read.QueryRowContext(ctx, query+` LIMIT 1`, args...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read sent log: %w", err)
	}
	return true, nil
}

// RecordSent remembers that a job did something outside the database
// (posted a message, with ref its id), so a rerun after a crash skips it.
func (db *DB) RecordSent(ctx context.Context, key, ref string, now time.Time) error {
	_, err := db.write.ExecContext(ctx, `INSERT INTO sent_log (key, ref, sent_at) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING`, key, ref, now.Unix())
	if err != nil {
		return fmt.Errorf("record sent: %w", err)
	}
	return nil
}

// PruneSentLog forgets what timed work recorded before cutoff: by then no
// job can run again for it.
func (db *DB) PruneSentLog(ctx context.Context, cutoff time.Time) (int, error) {
	res, err := db.write.ExecContext(ctx, `DELETE FROM sent_log WHERE sent_at < ?`, cutoff.Unix())
	if err != nil {
		return 0, fmt.Errorf("prune sent log: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}
