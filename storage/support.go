package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Support on request: supporters' shifts and members' requests.

// Why a take was refused (TakeSupportRequest).
var (
	ErrSupportTaken  = errors.New("support request already taken")
	ErrSupportClosed = errors.New("support request closed")
	ErrSupportOwn    = errors.New("a member can't take their own support request")
	ErrSupportHeld   = errors.New("the supporter holds as many open requests as they may")
)

// Who ended a support request.
const (
	SupportClosedByMember    = "member"
	SupportClosedBySupporter = "supporter"
	SupportClosedByModerator = "moderator"
	SupportClosedInactive    = "inactive"
)

// SupporterShift is a supporter on duty until EndsAt.
type SupporterShift struct {
	GuildID, UserID string
	StartedAt       time.Time
	EndsAt          time.Time
}

// SupportRequest is one member's request for someone to talk to.
type SupportRequest struct {
	ID             int64
	GuildID        string
	UserID         string // who asked
	Topic          string
	Urgent         bool
	ChannelID      string // the support channel the card is in
	ThreadID       string
	CardMessageID  string
	CreatedAt      time.Time
	TakenBy        string    // "" while waiting
	TakenAt        time.Time // zero while waiting
	LastActivityAt time.Time
	ClosedAt       time.Time // zero while open
	CloseReason    string
	Helped         *bool // nil until answered
}

// Open reports whether the request has not been closed.
func (r SupportRequest) Open() bool { return r.ClosedAt.IsZero() }

// StartShift puts the supporter on duty from now until endsAt (replacing a
// shift they are on) and queues end, the job that ends it, in the same
// transaction; a queued end of an earlier shift is cancelled.
func (db *DB) StartShift(ctx context.Context, s SupporterShift, end NewJob) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO supporter_shifts (guild_id, user_id, started_at, ends_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (guild_id, user_id) DO UPDATE SET ends_at = excluded.ends_at`,
		s.GuildID, s.UserID, s.StartedAt.Unix(), s.EndsAt.Unix()); err != nil {
		return fmt.Errorf("start shift: %w", err)
	}
	if _, err := CancelJobsTx(ctx, tx, SupporterShiftJobPrefix(s.GuildID, s.UserID)); err != nil {
		return err
	}
	if _, err := EnqueueTx(ctx, tx, end); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("start shift: %w", err)
	}
	db.JobsEnqueued()
	return nil
}

// EndShift takes the supporter off duty and cancels the queued end; it
// reports whether they were on duty.
func (db *DB) EndShift(ctx context.Context, guildID, userID string) (bool, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `DELETE FROM supporter_shifts WHERE guild_id = ? AND user_id = ?`, guildID, userID)
	if err != nil {
		return false, fmt.Errorf("end shift: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, err
	}
	if _, err := CancelJobsTx(ctx, tx, SupporterShiftJobPrefix(guildID, userID)); err != nil {
		return false, err
	}
	return n == 1, tx.Commit()
}

// EndShiftAt ends the supporter's shift only if it still ends at endsAt
// (the job that ends it finds a shift renewed since untouched), and
// reports whether it did.
func (db *DB) EndShiftAt(ctx context.Context, guildID, userID string, endsAt time.Time) (bool, error) {
	res, err := db.write.ExecContext(ctx, `DELETE FROM supporter_shifts WHERE guild_id = ? AND user_id = ? AND ends_at = ?`,
		guildID, userID, endsAt.Unix())
	if err != nil {
		return false, fmt.Errorf("end shift: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// OnDutySupporters are the server's supporters on duty at now, longest on
// duty first.
func (db *DB) OnDutySupporters(ctx context.Context, guildID string, now time.Time) ([]SupporterShift, error) {
	out, err := queryAll(ctx, db.read, func(row rowScanner) (SupporterShift, error) {
		s := SupporterShift{GuildID: guildID}
		var started, ends int64
		err := row.Scan(&s.UserID, &started, &ends)
		s.StartedAt, s.EndsAt = unixUTC(started), unixUTC(ends)
		return s, err
	}, `SELECT user_id, started_at, ends_at FROM supporter_shifts
		WHERE guild_id = ? AND ends_at > ? ORDER BY started_at, user_id`, guildID, now.Unix())
	if err != nil {
		return nil, fmt.Errorf("on-duty supporters: %w", err)
	}
	return out, nil
}

const supportColumns = `id, guild_id, user_id, topic, urgent, channel_id, thread_id, card_message_id, created_at,
	taken_by, taken_at, last_activity_at, closed_at, close_reason, helped`

func scanSupportRequest(row rowScanner) (SupportRequest, error) {
	var r SupportRequest
	var urgent, created, activity int64
	var taken, closed, helped sql.NullInt64
	if err := row.Scan(&r.ID, &r.GuildID, &r.UserID, &r.Topic, &urgent, &r.ChannelID, &r.ThreadID, &r.CardMessageID, &created,
		&r.TakenBy, &taken, &activity, &closed, &r.CloseReason, &helped); err != nil {
		return SupportRequest{}, err
	}
	r.Urgent, r.CreatedAt, r.LastActivityAt = urgent == 1, unixUTC(created), unixUTC(activity)
	if taken.Valid {
		r.TakenAt = unixUTC(taken.Int64)
	}
	if closed.Valid {
		r.ClosedAt = unixUTC(closed.Int64)
	}
	if helped.Valid {
		h := helped.Int64 == 1
		r.Helped = &h
	}
	return r, nil
}

// OpenSupportRequest stores a new open request and returns it with its id.
// A member with an open request in the server gets ErrConflict.
func (db *DB) OpenSupportRequest(ctx context.Context, r SupportRequest) (SupportRequest, error) {
	r.CreatedAt = unixUTC(r.CreatedAt.Unix())
	r.LastActivityAt = r.CreatedAt
	err := db.write.QueryRowContext(ctx, `INSERT INTO support_requests (guild_id, user_id, topic, urgent, channel_id, created_at, last_activity_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		r.GuildID, r.UserID, r.Topic, boolInt(r.Urgent), r.ChannelID, r.CreatedAt.Unix(), r.CreatedAt.Unix()).Scan(&r.ID)
	if isUniqueViolation(err) {
		return SupportRequest{}, ErrConflict
	}
	if err != nil {
		return SupportRequest{}, fmt.Errorf("open support request: %w", err)
	}
	return r, nil
}

// DeleteSupportRequest removes a request whose thread or card could not be
// opened, with its timers, as if it had never been asked.
func (db *DB) DeleteSupportRequest(ctx context.Context, id int64) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM support_requests WHERE id = ?`, id); err != nil {
		return fmt.Errorf("delete support request %d: %w", id, err)
	}
	if _, err := CancelJobsTx(ctx, tx, SupportRequestJobPrefix(id)); err != nil {
		return err
	}
	return tx.Commit()
}

// PostSupportRequest records the request's thread and card and queues its
// timers, in one transaction.
func (db *DB) PostSupportRequest(ctx context.Context, id int64, threadID, cardMessageID string, timers []NewJob) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE support_requests SET thread_id = ?, card_message_id = ? WHERE id = ?`, threadID, cardMessageID, id)
	if err != nil {
		return fmt.Errorf("post support request %d: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return ErrNotFound
	}
	if _, err := EnqueueManyTx(ctx, tx, timers); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	db.JobsEnqueued()
	return nil
}

// SupportRequest returns one request, or ErrNotFound.
func (db *DB) SupportRequest(ctx context.Context, id int64) (SupportRequest, error) {
	r, err := scanSupportRequest(db.read.QueryRowContext(ctx, `SELECT `+supportColumns+` FROM support_requests WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return SupportRequest{}, ErrNotFound
	}
	if err != nil {
		return SupportRequest{}, fmt.Errorf("read support request %d: %w", id, err)
	}
	return r, nil
}

// OpenSupportRequestOf is the member's open request in the server, or ErrNotFound.
func (db *DB) OpenSupportRequestOf(ctx context.Context, guildID, userID string) (SupportRequest, error) {
	r, err := scanSupportRequest(db.read.QueryRowContext(ctx, `SELECT `+supportColumns+` FROM support_requests
		WHERE guild_id = ? AND user_id = ? AND closed_at IS NULL`, guildID, userID))
	if errors.Is(err, sql.ErrNoRows) {
		return SupportRequest{}, ErrNotFound
	}
	if err != nil {
		return SupportRequest{}, fmt.Errorf("read open support request: %w", err)
	}
	return r, nil
}

// SupportEndedByModeratorSince reports when a moderator last ended one of
// the member's requests in the server, at or after since; zero if not.
func (db *DB) SupportEndedByModeratorSince(ctx context.Context, guildID, userID string, since time.Time) (time.Time, error) {
	var at sql.NullInt64
	err := db.read.QueryRowContext(ctx, `SELECT MAX(closed_at) FROM support_requests
		WHERE guild_id = ? AND user_id = ? AND close_reason = ? AND closed_at >= ?`,
		guildID, userID, SupportClosedByModerator, since.Unix()).Scan(&at)
	if err != nil {
		return time.Time{}, fmt.Errorf("read moderator-ended support requests: %w", err)
	}
	if !at.Valid {
		return time.Time{}, nil
	}
	return unixUTC(at.Int64), nil
}

// OpenSupportRequests are the server's open requests, oldest first.
func (db *DB) OpenSupportRequests(ctx context.Context, guildID string) ([]SupportRequest, error) {
	out, err := queryAll(ctx, db.read, scanSupportRequest, `SELECT `+supportColumns+` FROM support_requests
		WHERE guild_id = ? AND closed_at IS NULL ORDER BY created_at, id`, guildID)
	if err != nil {
		return nil, fmt.Errorf("open support requests: %w", err)
	}
	return out, nil
}

// TakeSupportRequest gives the open, waiting request id to supporterID,
// who may hold at most maxHeld open requests, decided in one transaction
// so that of two supporters pressing at once exactly one gets it. The
// refusals are ErrSupportClosed, ErrSupportTaken (the request returned
// says by whom), ErrSupportOwn and ErrSupportHeld; an unknown id is
// ErrNotFound. The take counts as activity.
func (db *DB) TakeSupportRequest(ctx context.Context, id int64, supporterID string, maxHeld int, now time.Time) (SupportRequest, error) {
	var r SupportRequest
	err := db.writeTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		r, err = scanSupportRequest(tx.QueryRowContext(ctx, `SELECT `+supportColumns+` FROM support_requests WHERE id = ?`, id))
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return ErrNotFound
		case err != nil:
			return err
		case !r.Open():
			return ErrSupportClosed
		case r.TakenBy != "":
			return ErrSupportTaken
		case r.UserID == supporterID:
			return ErrSupportOwn
		}
		var held int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM support_requests
			WHERE guild_id = ? AND taken_by = ? AND closed_at IS NULL`, r.GuildID, supporterID).Scan(&held); err != nil {
			return err
		}
		if held >= maxHeld {
			return ErrSupportHeld
		}
		res, err := tx.ExecContext(ctx, `UPDATE support_requests SET taken_by = ?, taken_at = ?, last_activity_at = ?
			WHERE id = ? AND taken_by = '' AND closed_at IS NULL`, supporterID, now.Unix(), now.Unix(), id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			return ErrSupportTaken
		}
		r.TakenBy, r.TakenAt, r.LastActivityAt = supporterID, unixUTC(now.Unix()), unixUTC(now.Unix())
		return nil
	})
	if err != nil && !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrSupportClosed) && !errors.Is(err, ErrSupportTaken) &&
		!errors.Is(err, ErrSupportOwn) && !errors.Is(err, ErrSupportHeld) {
		return SupportRequest{}, fmt.Errorf("take support request %d: %w", id, err)
	}
	return r, err
}

// ReleaseSupportRequest undoes supporterID's take of an open request (the
// supporter could not be added to its thread), so another may take it.
func (db *DB) ReleaseSupportRequest(ctx context.Context, id int64, supporterID string) error {
	if _, err := db.write.ExecContext(ctx, `UPDATE support_requests SET taken_by = '', taken_at = NULL
		WHERE id = ? AND taken_by = ? AND closed_at IS NULL`, id, supporterID); err != nil {
		return fmt.Errorf("release support request %d: %w", id, err)
	}
	return nil
}

// CloseSupportRequest closes the open request id for reason, cancels its
// timers and queues next (the "did it help?" question) in one
// transaction. closed is false, and nothing changes, when it was already
// closed; the request is returned either way.
func (db *DB) CloseSupportRequest(ctx context.Context, id int64, reason string, now time.Time, next []NewJob) (r SupportRequest, closed bool, err error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return SupportRequest{}, false, err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE support_requests SET closed_at = ?, close_reason = ? WHERE id = ? AND closed_at IS NULL`,
		now.Unix(), reason, id)
	if err != nil {
		return SupportRequest{}, false, fmt.Errorf("close support request %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return SupportRequest{}, false, err
	}
	closed = n == 1
	if closed {
		if _, err := CancelJobsTx(ctx, tx, SupportRequestJobPrefix(id)); err != nil {
			return SupportRequest{}, false, err
		}
		if _, err := EnqueueManyTx(ctx, tx, next); err != nil {
			return SupportRequest{}, false, err
		}
	}
	r, err = scanSupportRequest(tx.QueryRowContext(ctx, `SELECT `+supportColumns+` FROM support_requests WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return SupportRequest{}, false, ErrNotFound
	}
	if err != nil {
		return SupportRequest{}, false, fmt.Errorf("close support request %d: %w", id, err)
	}
	if err := tx.Commit(); err != nil {
		return SupportRequest{}, false, err
	}
	if closed && len(next) > 0 {
		db.JobsEnqueued()
	}
	return r, closed, nil
}

// AnswerSupportFeedback records whether the closed request helped its
// member; only the first answer counts. It reports whether this one was
// recorded; a request that isn't the member's, or isn't closed, is ErrNotFound.
func (db *DB) AnswerSupportFeedback(ctx context.Context, id int64, userID string, helped bool) (bool, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	var answered sql.NullInt64
	err = tx.QueryRowContext(ctx, `SELECT helped FROM support_requests WHERE id = ? AND user_id = ? AND closed_at IS NOT NULL`, id, userID).Scan(&answered)
	if errors.Is(err, sql.ErrNoRows) {
		return false, ErrNotFound
	}
	if err != nil || answered.Valid {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE support_requests SET helped = ? WHERE id = ? AND helped IS NULL`, boolInt(helped), id); err != nil {
		return false, fmt.Errorf("answer support feedback %d: %w", id, err)
	}
	return true, tx.Commit()
}

// SupportRequestsSince are the server's requests created at or after
// since, oldest first, for anonymous statistics: who asked or took them is
// left out.
func (db *DB) SupportRequestsSince(ctx context.Context, guildID string, since time.Time) ([]SupportRequest, error) {
	out, err := queryAll(ctx, db.read, func(row rowScanner) (SupportRequest, error) {
		var r SupportRequest
		var created int64
		var taken, helped sql.NullInt64
		if err := row.Scan(&created, &taken, &helped); err != nil {
			return r, err
		}
		r.GuildID, r.CreatedAt = guildID, unixUTC(created)
		if taken.Valid {
			r.TakenAt = unixUTC(taken.Int64)
		}
		if helped.Valid {
			h := helped.Int64 == 1
			r.Helped = &h
		}
		return r, nil
	}, `SELECT created_at, taken_at, helped FROM support_requests
		WHERE guild_id = ? AND created_at >= ? ORDER BY created_at, id`, guildID, since.Unix())
	if err != nil {
		return nil, fmt.Errorf("support statistics: %w", err)
	}
	return out, nil
}
