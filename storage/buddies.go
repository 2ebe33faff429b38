package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Follow-up answers of a pairing.
const (
	AnswerTalked = "talked"
	AnswerNotYet = "notyet"
)

// PairingSettings is a group's pairing schedule.
type PairingSettings struct {
	GroupID      int64
	Recurrence   string // scheduler.Recurrence.Encode()
	Size         int    // 2 or 3
	FollowupDays int
	UpdatedBy    string
	UpdatedAt    time.Time
}

// BuddyMember is a member's opt-in to pairing in one group.
type BuddyMember struct {
	GroupID     int64
	UserID      string
	ActiveSince time.Time // when they last joined pairing
	PausedUntil time.Time // zero when not paused for a while
	PausedOpen  bool      // paused until they join again
}

// Paused reports whether the member sits out a round formed at now.
func (m BuddyMember) Paused(now time.Time) bool {
	return m.PausedOpen || now.Before(m.PausedUntil)
}

// Pairing is one pair or trio of a round.
type Pairing struct {
	ID       int64 // the round group's id
	RoundID  int64
	GroupID  int64
	Round    int // the round's number in its group, from 1
	At       time.Time
	Prompt   int
	ThreadID string
	// MembersAdded and IntroPosted are the steps after opening ThreadID
	// that are done; a round run again resumes the others.
	MembersAdded bool
	IntroPosted  bool
	Members      []string
	// Answers are the members' follow-up answers; a member who didn't
	// answer is missing.
	Answers map[string]string
}

// Talked reports whether anyone of the pair answered We talked.
func (p Pairing) Talked() bool {
	for _, a := range p.Answers {
		if a == AnswerTalked {
			return true
		}
	}
	return false
}

// Round is a recorded round of pairing.
type Round struct {
	ID       int64
	GroupID  int64
	Number   int
	At       time.Time
	Pairings []Pairing
}

// NewRound is a round to record: its pairs and trios (with the prompt each
// gets), and the members to pause because their last pairings went
// unanswered.
type NewRound struct {
	GroupID int64
	JobKey  string // the scheduled job's dedupe key; empty for /pairing run
	RunBy   string
	At      time.Time
	Groups  [][]string
	Prompts []int // one per group
	Pause   []string
}

// PairingStats is what /pairing stats shows.
type PairingStats struct {
	Rounds       int
	Participants int
	Pairs        int // pairs and trios
	Talked       int // of them, those where someone answered We talked
}

// ConfigurePairing stores a group's pairing schedule and, in the same
// transaction, replaces any queued round job with next.
func (db *DB) ConfigurePairing(ctx context.Context, s PairingSettings, next NewJob) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO pairing_settings (group_id, recurrence, size, followup_days, updated_by, updated_at)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (group_id) DO UPDATE SET recurrence = excluded.recurrence, size = excluded.size,
			followup_days = excluded.followup_days, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
		s.GroupID, s.Recurrence, s.Size, s.FollowupDays, s.UpdatedBy, s.UpdatedAt.Unix()); err != nil {
		return fmt.Errorf("configure pairing of group %d: %w", s.GroupID, err)
	}
	if _, err := CancelJobsTx(ctx, tx, PairingRoundJobPrefix(s.GroupID)); err != nil {
		return fmt.Errorf("configure pairing of group %d: %w", s.GroupID, err)
	}
	if _, err := EnqueueTx(ctx, tx, next); err != nil {
		return fmt.Errorf("configure pairing of group %d: %w", s.GroupID, err)
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	db.JobsEnqueued()
	return nil
}

// PairingSettingsOf returns a group's pairing schedule, or ErrNotFound
// when it was never configured.
func (db *DB) PairingSettingsOf(ctx context.Context, groupID int64) (PairingSettings, error) {
	s := PairingSettings{GroupID: groupID}
	var updated int64
	err := db.read.QueryRowContext(ctx, `SELECT recurrence, size, followup_days, updated_by, updated_at
		FROM pairing_settings WHERE group_id = ?`, groupID).Scan(&s.Recurrence, &s.Size, &s.FollowupDays, &s.UpdatedBy, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return PairingSettings{}, fmt.Errorf("pairing settings of group %d: %w", groupID, ErrNotFound)
	}
	if err != nil {
		return PairingSettings{}, fmt.Errorf("pairing settings of group %d: %w", groupID, err)
	}
	s.UpdatedAt = time.Unix(updated, 0).UTC()
	return s, nil
}

// JoinPairing opts the member in to pairing in a group. Joining again ends
// any pause and starts their record afresh; rejoined reports that they
// had opted in before.
func (db *DB) JoinPairing(ctx context.Context, groupID int64, userID string, now time.Time) (rejoined bool, err error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	var one int
	switch err := tx.QueryRowContext(ctx, `SELECT 1 FROM buddy_members WHERE group_id = ? AND user_id = ?`, groupID, userID).Scan(&one); {
	case err == nil:
		rejoined = true
	case !errors.Is(err, sql.ErrNoRows):
		return false, fmt.Errorf("join pairing in group %d: %w", groupID, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO buddy_members (group_id, user_id, active_since) VALUES (?, ?, ?)
		ON CONFLICT (group_id, user_id) DO UPDATE SET active_since = excluded.active_since, paused_until = 0, paused_open = 0`,
		groupID, userID, now.Unix()); err != nil {
		return false, fmt.Errorf("join pairing in group %d: %w", groupID, err)
	}
	return rejoined, tx.Commit()
}

// LeavePairing opts the member out of pairing in a group; ErrNotFound when
// they weren't in.
func (db *DB) LeavePairing(ctx context.Context, groupID int64, userID string) error {
	res, err := db.write.ExecContext(ctx, `DELETE FROM buddy_members WHERE group_id = ? AND user_id = ?`, groupID, userID)
	if err != nil {
		return fmt.Errorf("leave pairing in group %d: %w", groupID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return fmt.Errorf("leave pairing in group %d: %w", groupID, ErrNotFound)
	}
	return nil
}

// PausePairing pauses the member until `until` in every group of the
// server they opted in to, and returns how many.
func (db *DB) PausePairing(ctx context.Context, guildID, userID string, until time.Time) (int, error) {
	res, err := db.write.ExecContext(ctx, `UPDATE buddy_members SET paused_until = ?
		WHERE user_id = ? AND group_id IN (SELECT id FROM groups WHERE guild_id = ?)`, until.Unix(), userID, guildID)
	if err != nil {
		return 0, fmt.Errorf("pause pairing: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

const buddyMemberColumns = `b.group_id, b.user_id, b.active_since, b.paused_until, b.paused_open`

func queryBuddyMembers(ctx context.Context, q *sql.DB, query string, args ...any) ([]BuddyMember, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []BuddyMember
	for rows.Next() {
		var m BuddyMember
		var since, until int64
		if err := rows.Scan(&m.GroupID, &m.UserID, &since, &until, &m.PausedOpen); err != nil {
			return nil, err
		}
		m.ActiveSince = time.Unix(since, 0).UTC()
		if until != 0 {
			m.PausedUntil = time.Unix(until, 0).UTC()
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// BuddyMemberships returns the member's opt-ins in the server's groups,
// archived ones included, by group name.
func (db *DB) BuddyMemberships(ctx context.Context, guildID, userID string) ([]BuddyMember, error) {
	ms, err := queryBuddyMembers(ctx, db.read, `SELECT `+buddyMemberColumns+` FROM buddy_members b
		JOIN groups g ON g.id = b.group_id WHERE g.guild_id = ? AND b.user_id = ? ORDER BY `+db.dialect.byGroupName, guildID, userID)
	if err != nil {
		return nil, fmt.Errorf("list pairing opt-ins: %w", err)
	}
	return ms, nil
}

// PairingMembers returns who opted in to pairing in a group and are still
// its members, longest-standing first.
func (db *DB) PairingMembers(ctx context.Context, groupID int64) ([]BuddyMember, error) {
	ms, err := queryBuddyMembers(ctx, db.read, `SELECT `+buddyMemberColumns+` FROM buddy_members b
		JOIN group_members gm ON gm.group_id = b.group_id AND gm.user_id = b.user_id
		WHERE b.group_id = ? ORDER BY b.active_since, b.user_id`, groupID)
	if err != nil {
		return nil, fmt.Errorf("list pairing members of group %d: %w", groupID, err)
	}
	return ms, nil
}

// AddAvoid records that userID never wants to be paired with avoidID;
// added is false when it already was.
func (db *DB) AddAvoid(ctx context.Context, guildID, userID, avoidID string, now time.Time) (added bool, err error) {
	res, err := db.write.ExecContext(ctx, `INSERT INTO buddy_avoids (guild_id, user_id, avoid_id, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT DO NOTHING`, guildID, userID, avoidID, now.Unix())
	if err != nil {
		return false, fmt.Errorf("add avoid: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// RemoveAvoid undoes AddAvoid; removed is false when there was nothing to undo.
func (db *DB) RemoveAvoid(ctx context.Context, guildID, userID, avoidID string) (removed bool, err error) {
	res, err := db.write.ExecContext(ctx, `DELETE FROM buddy_avoids WHERE guild_id = ? AND user_id = ? AND avoid_id = ?`, guildID, userID, avoidID)
	if err != nil {
		return false, fmt.Errorf("remove avoid: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// Avoids returns every avoid of the server as (who, whom) pairs. They are
// for pairing only: never shown to anyone.
func (db *DB) Avoids(ctx context.Context, guildID string) ([][2]string, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT user_id, avoid_id FROM buddy_avoids WHERE guild_id = ? ORDER BY user_id, avoid_id`, guildID)
	if err != nil {
		return nil, fmt.Errorf("list avoids: %w", err)
	}
	defer rows.Close()
	var out [][2]string
	for rows.Next() {
		var p [2]string
		if err := rows.Scan(&p[0], &p[1]); err != nil {
			return nil, fmt.Errorf("list avoids: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// ErrNotOptedIn is returned by RecordRound when a member the round places
// or pauses has left pairing (or erased their data) since the round was
// formed from the members read before. Form it again from the members
// there are now.
var ErrNotOptedIn = errors.New("member no longer takes part in pairing")

// RecordRound stores a round, its pairs and trios and the pauses it
// decided, and enqueues the jobs jobsFor returns for it (follow-ups, DMs),
// all in one transaction. A round whose job key was recorded before is
// ErrConflict; one naming a member who no longer takes part in pairing
// in the group is ErrNotOptedIn, and nothing is written. jobsFor runs
// inside that transaction: it must not use the database.
func (db *DB) RecordRound(ctx context.Context, r NewRound, jobsFor func(Round) []NewJob) (Round, error) {
	if len(r.Prompts) != len(r.Groups) {
		return Round{}, fmt.Errorf("record round: %d prompts for %d groups", len(r.Prompts), len(r.Groups))
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return Round{}, err
	}
	defer tx.Rollback()
	// Checked here, in the writing transaction: a member who left or
	// erased their data after the round was formed is not written back.
	placed := slices.Concat(slices.Concat(r.Groups...), r.Pause)
	for _, u := range placed {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM buddy_members WHERE group_id = ? AND user_id = ?`, r.GroupID, u).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return Round{}, fmt.Errorf("record round of group %d: %s: %w", r.GroupID, u, ErrNotOptedIn)
		}
		if err != nil {
			return Round{}, fmt.Errorf("record round: %w", err)
		}
	}
	round := Round{GroupID: r.GroupID, At: r.At.UTC().Truncate(time.Second)}
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(number), 0) + 1 FROM pairing_rounds WHERE group_id = ?`, r.GroupID).Scan(&round.Number); err != nil {
		return Round{}, fmt.Errorf("record round: %w", err)
	}
	var jobKey any
	if r.JobKey != "" {
		jobKey = r.JobKey
	}
	err = tx.QueryRowContext(ctx, `INSERT INTO pairing_rounds (group_id, number, job_key, run_by, created_at) VALUES (?, ?, ?, ?, ?)
		RETURNING id`, r.GroupID, round.Number, jobKey, r.RunBy, round.At.Unix()).Scan(&round.ID)
	if isUniqueViolation(err) {
		return Round{}, fmt.Errorf("record round: job %q already formed one: %w", r.JobKey, ErrConflict)
	}
	if err != nil {
		return Round{}, fmt.Errorf("record round: %w", err)
	}
	for i, members := range r.Groups {
		var id int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO pairing_round_groups (round_id, prompt) VALUES (?, ?) RETURNING id`,
			round.ID, r.Prompts[i]).Scan(&id); err != nil {
			return Round{}, fmt.Errorf("record round: %w", err)
		}
		for _, u := range members {
			if _, err := tx.ExecContext(ctx, `INSERT INTO pairing_round_members (round_group_id, user_id) VALUES (?, ?)`, id, u); err != nil {
				return Round{}, fmt.Errorf("record round: %w", err)
			}
		}
		round.Pairings = append(round.Pairings, Pairing{ID: id, RoundID: round.ID, GroupID: r.GroupID, Round: round.Number, At: round.At,
			Prompt: r.Prompts[i], Members: append([]string(nil), members...), Answers: map[string]string{}})
	}
	for _, u := range r.Pause {
		if _, err := tx.ExecContext(ctx, `UPDATE buddy_members SET paused_open = 1 WHERE group_id = ? AND user_id = ?`, r.GroupID, u); err != nil {
			return Round{}, fmt.Errorf("record round: pause: %w", err)
		}
	}
	var jobs []NewJob
	if jobsFor != nil {
		jobs = jobsFor(round)
	}
	n, err := EnqueueManyTx(ctx, tx, jobs)
	if err != nil {
		return Round{}, fmt.Errorf("record round: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return Round{}, fmt.Errorf("record round: %w", err)
	}
	if n > 0 {
		db.JobsEnqueued()
	}
	return round, nil
}

// RoundByJobKey returns the round a scheduled job formed, or ErrNotFound.
func (db *DB) RoundByJobKey(ctx context.Context, jobKey string) (Round, error) {
	var r Round
	var at int64
	err := db.read.QueryRowContext(ctx, `SELECT id, group_id, number, created_at FROM pairing_rounds WHERE job_key = ?`, jobKey).
		Scan(&r.ID, &r.GroupID, &r.Number, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return Round{}, fmt.Errorf("round of job %q: %w", jobKey, ErrNotFound)
	}
	if err != nil {
		return Round{}, fmt.Errorf("round of job %q: %w", jobKey, err)
	}
	r.At = time.Unix(at, 0).UTC()
	r.Pairings, err = db.queryPairings(ctx, `WHERE r.id = ?`, r.ID)
	return r, err
}

// queryPairings reads pairings with their members and answers, oldest first.
func (db *DB) queryPairings(ctx context.Context, where string, args ...any) ([]Pairing, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT pg.id, r.id, r.group_id, r.number, r.created_at, pg.prompt, pg.thread_id,
		pg.invited_at <> 0, pg.intro_posted_at <> 0, m.user_id, m.answer
		FROM pairing_round_groups pg
		JOIN pairing_rounds r ON r.id = pg.round_id
		JOIN pairing_round_members m ON m.round_group_id = pg.id `+where+`
		ORDER BY r.id, pg.id, m.user_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("read pairings: %w", err)
	}
	defer rows.Close()
	var out []Pairing
	for rows.Next() {
		var p Pairing
		var at int64
		var user, answer string
		if err := rows.Scan(&p.ID, &p.RoundID, &p.GroupID, &p.Round, &at, &p.Prompt, &p.ThreadID, &p.MembersAdded, &p.IntroPosted, &user, &answer); err != nil {
			return nil, fmt.Errorf("read pairings: %w", err)
		}
		if len(out) == 0 || out[len(out)-1].ID != p.ID {
			p.At = time.Unix(at, 0).UTC()
			p.Answers = map[string]string{}
			out = append(out, p)
		}
		last := &out[len(out)-1]
		last.Members = append(last.Members, user)
		if answer != "" {
			last.Answers[user] = answer
		}
	}
	return out, rows.Err()
}

// PairingHistory returns every pairing of a group, oldest first.
func (db *DB) PairingHistory(ctx context.Context, groupID int64) ([]Pairing, error) {
	return db.queryPairings(ctx, `WHERE r.group_id = ?`, groupID)
}

// Pairing returns one pair or trio by its id, or ErrNotFound.
func (db *DB) Pairing(ctx context.Context, id int64) (Pairing, error) {
	ps, err := db.queryPairings(ctx, `WHERE pg.id = ?`, id)
	if err != nil {
		return Pairing{}, err
	}
	if len(ps) == 0 {
		return Pairing{}, fmt.Errorf("pairing %d: %w", id, ErrNotFound)
	}
	return ps[0], nil
}

// CurrentPairings returns the member's pairings in the group's latest
// round: their current buddies. None when they sat it out.
func (db *DB) CurrentPairings(ctx context.Context, groupID int64, userID string) ([]Pairing, error) {
	ps, err := db.queryPairings(ctx, `WHERE r.id = (SELECT MAX(id) FROM pairing_rounds WHERE group_id = ?)
		AND pg.id IN (SELECT round_group_id FROM pairing_round_members WHERE user_id = ?)`, groupID, userID)
	if err != nil {
		return nil, err
	}
	return ps, nil
}

// SetPairingThread remembers the private thread opened for a pairing.
func (db *DB) SetPairingThread(ctx context.Context, id int64, threadID string) error {
	if _, err := db.write.ExecContext(ctx, `UPDATE pairing_round_groups SET thread_id = ? WHERE id = ?`, threadID, id); err != nil {
		return fmt.Errorf("set thread of pairing %d: %w", id, err)
	}
	return nil
}

// PairingStep is a step of opening a pairing's thread after the thread
// itself (SetPairingThread), in the order they are taken.
type PairingStep int

const (
	StepMembersAdded PairingStep = iota + 1 // its members were added
	StepIntroPosted                         // its introduction was posted
)

// RecordPairingStep remembers that a step of opening the pairing's thread
// is done, so a round run again doesn't take it twice.
func (db *DB) RecordPairingStep(ctx context.Context, id int64, step PairingStep, at time.Time) error {
	var column string
	switch step {
	case StepMembersAdded:
		column = "invited_at"
	case StepIntroPosted:
		column = "intro_posted_at"
	default:
		return fmt.Errorf("record step of pairing %d: unknown step %d", id, step)
	}
	if _, err := db.write.ExecContext(ctx, `UPDATE pairing_round_groups SET `+column+` = ? WHERE id = ?`, at.Unix(), id); err != nil {
		return fmt.Errorf("record step of pairing %d: %w", id, err)
	}
	return nil
}

// AnswerFollowup records a member's follow-up answer for their pairing,
// changeable. ErrNotFound when they aren't one of its members.
func (db *DB) AnswerFollowup(ctx context.Context, id int64, userID, answer string, now time.Time) error {
	if answer != AnswerTalked && answer != AnswerNotYet {
		return fmt.Errorf("answer follow-up: unknown answer %q", answer)
	}
	res, err := db.write.ExecContext(ctx, `UPDATE pairing_round_members SET answer = ?, answered_at = ? WHERE round_group_id = ? AND user_id = ?`,
		answer, now.Unix(), id, userID)
	if err != nil {
		return fmt.Errorf("answer follow-up of pairing %d: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return fmt.Errorf("answer follow-up of pairing %d: not a member: %w", id, ErrNotFound)
	}
	return nil
}

// PairingStatsOf counts a group's rounds, participants and pairs.
func (db *DB) PairingStatsOf(ctx context.Context, groupID int64) (PairingStats, error) {
	var s PairingStats
	err := db.read.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM pairing_rounds WHERE group_id = ?1),
		(SELECT COUNT(DISTINCT m.user_id) FROM pairing_round_members m
			JOIN pairing_round_groups pg ON pg.id = m.round_group_id
			JOIN pairing_rounds r ON r.id = pg.round_id WHERE r.group_id = ?1),
		(SELECT COUNT(*) FROM pairing_round_groups pg JOIN pairing_rounds r ON r.id = pg.round_id WHERE r.group_id = ?1),
		(SELECT COUNT(*) FROM pairing_round_groups pg JOIN pairing_rounds r ON r.id = pg.round_id WHERE r.group_id = ?1
			AND EXISTS (SELECT 1 FROM pairing_round_members m WHERE m.round_group_id = pg.id AND m.answer = 'talked'))`,
		groupID).Scan(&s.Rounds, &s.Participants, &s.Pairs, &s.Talked)
	if err != nil {
		return PairingStats{}, fmt.Errorf("pairing stats of group %d: %w", groupID, err)
	}
	return s, nil
}
