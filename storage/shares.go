package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Anonymous shares. The author's user id is stored here and only here:
// callers name a share by its id, and a method that acts for a moderator
// never returns the author to them (the commands layer keeps it that way).

// Share states.
const (
	SharePending  = "pending"  // waiting for a moderator on its vetting card
	SharePosted   = "posted"   // approved (or not vetted) and posted
	ShareRejected = "rejected" // a moderator rejected it
	ShareDeleted  = "deleted"  // its author deleted it; text emptied
)

var (
	// ErrShareLimit: the member reached the day's number of shares.
	ErrShareLimit = errors.New("share limit reached")
	// ErrShareBlocked: a moderator blocked the member from sharing here.
	ErrShareBlocked = errors.New("member blocked from sharing")
	// ErrShareDecided: the share is no longer pending.
	ErrShareDecided = errors.New("share already decided")
	// ErrShareNotWarned: the share's author has no warning given through
	// a share in this server, so they can't be blocked.
	ErrShareNotWarned = errors.New("share author not warned through a share")
)

// Share is one anonymous share.
type Share struct {
	ID             int64
	GuildID        string
	GroupID        int64
	UserID         string // the author: never shown to anyone but them
	Text           string
	ContentWarning string
	Crisis         bool // the text mentions self-harm or suicide
	State          string
	CreatedAt      time.Time
	CardChannelID  string // the vetting card, when there is one
	CardMessageID  string
	ChannelID      string // the post, once posted
	MessageID      string
	ThreadID       string
	PostedAt       time.Time
	DecidedBy      string // the moderator who approved or rejected it
	DecidedAt      time.Time
	RejectReason   string
}

const shareColumns = `id, guild_id, group_id, user_id, text, content_warning, crisis, state, created_at,
	card_channel_id, card_message_id, channel_id, message_id, thread_id, posted_at, decided_by, decided_at, reject_reason`

func scanShare(row rowScanner) (Share, error) {
	var s Share
	var crisis, created int64
	var posted, decided sql.NullInt64
	if err := row.Scan(&s.ID, &s.GuildID, &s.GroupID, &s.UserID, &s.Text, &s.ContentWarning, &crisis, &s.State, &created,
		&s.CardChannelID, &s.CardMessageID, &s.ChannelID, &s.MessageID, &s.ThreadID, &posted, &s.DecidedBy, &decided, &s.RejectReason); err != nil {
		return Share{}, err
	}
	s.Crisis = crisis != 0
	s.CreatedAt = unixUTC(created)
	if posted.Valid {
		s.PostedAt = unixUTC(posted.Int64)
	}
	if decided.Valid {
		s.DecidedAt = unixUTC(decided.Int64)
	}
	return s, nil
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// CreateShare stores s as pending and returns it with its id, unless the
// member is blocked from sharing in the server (ErrShareBlocked) or has
// already made limit shares created in [dayStart, dayEnd)
// (ErrShareLimit): the check and the insert are one transaction, so two
// shares at once can't both pass the limit. Deleted shares still count.
func (db *DB) CreateShare(ctx context.Context, s Share, dayStart, dayEnd time.Time, limit int) (Share, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return Share{}, err
	}
	defer tx.Rollback()
	var blocked int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM share_blocks WHERE guild_id = ? AND user_id = ?`,
		s.GuildID, s.UserID).Scan(&blocked); err != nil {
		return Share{}, fmt.Errorf("create share: %w", err)
	}
	if blocked > 0 {
		return Share{}, ErrShareBlocked
	}
	var today int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM shares WHERE guild_id = ? AND user_id = ? AND created_at >= ? AND created_at < ?`,
		s.GuildID, s.UserID, dayStart.Unix(), dayEnd.Unix()).Scan(&today); err != nil {
		return Share{}, fmt.Errorf("create share: %w", err)
	}
	if today >= limit {
		return Share{}, ErrShareLimit
	}
	s.State = SharePending
	s.CreatedAt = unixUTC(s.CreatedAt.Unix())
	if err := tx.QueryRowContext(ctx, `INSERT INTO shares (guild_id, group_id, user_id, text, content_warning, crisis, state, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		s.GuildID, s.GroupID, s.UserID, s.Text, s.ContentWarning, boolInt(s.Crisis), s.State, s.CreatedAt.Unix()).Scan(&s.ID); err != nil {
		return Share{}, fmt.Errorf("create share: %w", err)
	}
	return s, tx.Commit()
}

// DiscardShare removes a share that never reached anyone (its vetting
// card or post failed), so that nothing is kept and it doesn't count.
func (db *DB) DiscardShare(ctx context.Context, id int64) error {
	if _, err := db.write.ExecContext(ctx, `DELETE FROM shares WHERE id = ? AND message_id = ''`, id); err != nil {
		return fmt.Errorf("discard share %d: %w", id, err)
	}
	return nil
}

// SetShareCard records where a share's vetting card was posted.
func (db *DB) SetShareCard(ctx context.Context, id int64, channelID, messageID string) error {
	if _, err := db.write.ExecContext(ctx, `UPDATE shares SET card_channel_id = ?, card_message_id = ? WHERE id = ?`,
		channelID, messageID, id); err != nil {
		return fmt.Errorf("record share %d card: %w", id, err)
	}
	return nil
}

// Share is the server's share with that id, or ErrNotFound (a share of
// another server included).
func (db *DB) Share(ctx context.Context, guildID string, id int64) (Share, error) {
	s, err := scanShare(db.read.QueryRowContext(ctx, `SELECT `+shareColumns+` FROM shares WHERE guild_id = ? AND id = ?`, guildID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Share{}, fmt.Errorf("share %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Share{}, fmt.Errorf("read share %d: %w", id, err)
	}
	return s, nil
}

// ShareByMessage is the server's share whose post or vetting card is that
// message, or ErrNotFound.
func (db *DB) ShareByMessage(ctx context.Context, guildID, messageID string) (Share, error) {
	if messageID == "" {
		return Share{}, fmt.Errorf("share by message: %w", ErrNotFound)
	}
	s, err := scanShare(db.read.QueryRowContext(ctx, `SELECT `+shareColumns+` FROM shares
		WHERE guild_id = ? AND (message_id = ? OR card_message_id = ?) ORDER BY id LIMIT 1`, guildID, messageID, messageID))
	if errors.Is(err, sql.ErrNoRows) {
		return Share{}, fmt.Errorf("share by message: %w", ErrNotFound)
	}
	if err != nil {
		return Share{}, fmt.Errorf("read share by message: %w", err)
	}
	return s, nil
}

// DecideShare moves a pending share to state (SharePosted for an
// approval, ShareRejected) as decided by a moderator at now, and returns
// it. A share that is not pending any more is ErrShareDecided, returned
// with the share as it stands; one of another server is ErrNotFound.
// Whoever decides an approval posts the share; ReopenShare undoes an
// approval whose post failed.
func (db *DB) DecideShare(ctx context.Context, guildID string, id int64, state, by, reason string, now time.Time) (Share, error) {
	if state != SharePosted && state != ShareRejected {
		return Share{}, fmt.Errorf("decide share: bad state %q", state)
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return Share{}, err
	}
	defer tx.Rollback()
	s, err := scanShare(tx.QueryRowContext(ctx, `SELECT `+shareColumns+` FROM shares WHERE guild_id = ? AND id = ?`, guildID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Share{}, fmt.Errorf("share %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Share{}, fmt.Errorf("decide share %d: %w", id, err)
	}
	if s.State != SharePending {
		return s, ErrShareDecided
	}
	if _, err := tx.ExecContext(ctx, `UPDATE shares SET state = ?, decided_by = ?, decided_at = ?, reject_reason = ? WHERE id = ?`,
		state, by, now.Unix(), reason, id); err != nil {
		return Share{}, fmt.Errorf("decide share %d: %w", id, err)
	}
	s.State, s.DecidedBy, s.DecidedAt, s.RejectReason = state, by, unixUTC(now.Unix()), reason
	return s, tx.Commit()
}

// ReopenShare puts an approved share whose post failed back to pending.
func (db *DB) ReopenShare(ctx context.Context, id int64) error {
	if _, err := db.write.ExecContext(ctx, `UPDATE shares SET state = 'pending', decided_by = '', decided_at = NULL
		WHERE id = ? AND state = 'posted' AND message_id = ''`, id); err != nil {
		return fmt.Errorf("reopen share %d: %w", id, err)
	}
	return nil
}

// SetSharePost records a share's post and its reply thread, and marks it
// posted. A share deleted meanwhile stays deleted: false is returned,
// and the caller deletes the post it just made.
func (db *DB) SetSharePost(ctx context.Context, id int64, channelID, messageID, threadID string, now time.Time) (bool, error) {
	res, err := db.write.ExecContext(ctx, `UPDATE shares SET state = 'posted', channel_id = ?, message_id = ?, thread_id = ?, posted_at = ?
		WHERE id = ? AND state IN ('pending', 'posted')`, channelID, messageID, threadID, now.Unix(), id)
	if err != nil {
		return false, fmt.Errorf("record share %d post: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// MemberShares are the member's shares in the server that they haven't
// deleted, newest first.
func (db *DB) MemberShares(ctx context.Context, guildID, userID string) ([]Share, error) {
	out, err := queryAll(ctx, db.read, scanShare, `SELECT `+shareColumns+` FROM shares
		WHERE guild_id = ? AND user_id = ? AND state <> 'deleted' ORDER BY created_at DESC, id DESC`, guildID, userID)
	if err != nil {
		return nil, fmt.Errorf("read shares: %w", err)
	}
	return out, nil
}

// DeleteShare empties the text of the member's own share and marks it
// deleted, and returns it as it was (with its post and card, for the
// caller to delete). A share that isn't theirs, is of another server or
// is already deleted is ErrNotFound.
func (db *DB) DeleteShare(ctx context.Context, guildID string, id int64, userID string) (Share, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return Share{}, err
	}
	defer tx.Rollback()
	s, err := scanShare(tx.QueryRowContext(ctx, `SELECT `+shareColumns+` FROM shares
		WHERE guild_id = ? AND id = ? AND user_id = ? AND state <> 'deleted'`, guildID, id, userID))
	if errors.Is(err, sql.ErrNoRows) {
		return Share{}, fmt.Errorf("share %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Share{}, fmt.Errorf("delete share %d: %w", id, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE shares SET state = 'deleted', text = '', content_warning = '' WHERE id = ?`, id); err != nil {
		return Share{}, fmt.Errorf("delete share %d: %w", id, err)
	}
	return s, tx.Commit()
}

// AddShareWarning records w, a warning of a share's author, exactly as
// AddWarning does, and marks its case as given through that share, in
// the same transaction.
func (db *DB) AddShareWarning(ctx context.Context, w Warning, shareID int64) (Warning, int, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return Warning{}, 0, err
	}
	defer tx.Rollback()
	w, active, err := addWarningTx(ctx, tx, w)
	if err != nil {
		return Warning{}, 0, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO share_warnings (guild_id, case_number, share_id) VALUES (?, ?, ?)`,
		w.GuildID, w.Case, shareID); err != nil {
		return Warning{}, 0, fmt.Errorf("mark share warning: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return Warning{}, 0, err
	}
	return w, active, nil
}

// ShareWarningCases are the server's case numbers given through a share.
func (db *DB) ShareWarningCases(ctx context.Context, guildID string) (map[int64]bool, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT case_number FROM share_warnings WHERE guild_id = ?`, guildID)
	if err != nil {
		return nil, fmt.Errorf("read share warnings: %w", err)
	}
	defer rows.Close()
	out := map[int64]bool{}
	for rows.Next() {
		var n int64
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("read share warnings: %w", err)
		}
		out[n] = true
	}
	return out, rows.Err()
}

// BlockShareAuthor blocks the author of the server's share from sharing
// in the server, as moderator by at now, and reports whether they were
// not blocked already. Only an author warned through a share (any of
// theirs in the server) can be blocked: ErrShareNotWarned otherwise; a
// share of another server is ErrNotFound.
func (db *DB) BlockShareAuthor(ctx context.Context, guildID string, shareID int64, by string, now time.Time) (bool, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	var author string
	err = tx.QueryRowContext(ctx, `SELECT user_id FROM shares WHERE guild_id = ? AND id = ?`, guildID, shareID).Scan(&author)
	if errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("share %d: %w", shareID, ErrNotFound)
	}
	if err != nil {
		return false, fmt.Errorf("block share author: %w", err)
	}
	var warned int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM share_warnings sw
		JOIN warnings w ON w.guild_id = sw.guild_id AND w.case_number = sw.case_number
		WHERE sw.guild_id = ? AND w.user_id = ?`, guildID, author).Scan(&warned); err != nil {
		return false, fmt.Errorf("block share author: %w", err)
	}
	if warned == 0 {
		return false, ErrShareNotWarned
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO share_blocks (guild_id, user_id, share_id, blocked_by, blocked_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (guild_id, user_id) DO NOTHING`, guildID, author, shareID, by, now.Unix())
	if err != nil {
		return false, fmt.Errorf("block share author: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, err
	}
	return n == 1, tx.Commit()
}

// UnblockShareAuthor lifts the block on the author of the server's share
// and reports whether there was one.
func (db *DB) UnblockShareAuthor(ctx context.Context, guildID string, shareID int64) (bool, error) {
	res, err := db.write.ExecContext(ctx, `DELETE FROM share_blocks WHERE guild_id = ?
		AND user_id = (SELECT user_id FROM shares WHERE guild_id = ? AND id = ?)`, guildID, guildID, shareID)
	if err != nil {
		return false, fmt.Errorf("unblock share author: %w", err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}
