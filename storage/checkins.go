package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kindred-bot/kindred/internal/mood"
)

// Checkin is one check-in of a member in a server. Note is personal text:
// never log it, and show it to no one but its author unless Shared.
type Checkin struct {
	ID      int64
	GuildID string
	UserID  string
	GroupID int64 // the group it was shared with or tagged for; 0: none
	Mood    int   // 1 Struggling … 5 Great
	Note    string
	Shared  bool
	// LocalDate is the member's calendar day when they checked in
	// ('YYYY-MM-DD'), worked out by the caller in the member's timezone.
	// Streaks and history count these days.
	LocalDate string
	At        time.Time
}

// Streak is a member's gentle streak in one server (see GentleStreak).
// It is only ever shown to its owner.
type Streak struct {
	Days  int  // local days with a check-in in the current run; 0 when none is current
	Today bool // the member has already checked in today
}

// DayMood is one local day of a member's check-ins.
type DayMood struct {
	Date  string // 'YYYY-MM-DD'
	Mean  float64
	Count int
}

// CheckinSummaryQuery names the check-ins a group summary covers: those
// dated in Weeks whole weeks of local dates from From, by the members the
// group had at the moment MembersAt, except one.
type CheckinSummaryQuery struct {
	GroupID int64
	GuildID string
	From    string // the window's first local date, 'YYYY-MM-DD'
	Weeks   int    // 1 to MaxSummaryWeeks
	// MembersAt is the moment whose members count: joins and leaves after
	// it change nothing.
	MembersAt time.Time
	// Except is never counted, in this group or in OtherGroups: the
	// facilitator who asks. "" for no one.
	Except string
}

// MaxSummaryWeeks is the longest window GroupCheckinSummary sums.
const MaxSummaryWeeks = 53

// MoodTally is how many check-ins had one mood, and from how many
// distinct members.
type MoodTally struct {
	Checkins, Members int
}

// CheckinSummary is the anonymous aggregate of a group's check-ins over a
// window of whole weeks (see CheckinSummaryQuery). It never says who
// checked in; what may be shown of it is the caller's rule.
type CheckinSummary struct {
	Checkins int
	Members  int          // distinct members with a check-in in the window
	ByMood   [5]MoodTally // ByMood[m-1] is mood m
	// Halves are the older and the newer half of the window, by mood (for
	// an odd number of days the newer half has the extra day).
	Halves [2][5]MoodTally
	// WeekMembers is how many distinct members checked in in each week of
	// the window, oldest first: Weeks entries.
	WeekMembers []int
	// OtherGroups is, for every other group of the server (archived ones
	// too), how many members who checked in during the window are counted
	// here or would be there, for the same window, but not both: 0 when
	// the two summaries would count the same check-ins.
	OtherGroups []int
}

// CheckinReminder is a member's daily check-in prompt in a server.
type CheckinReminder struct {
	GuildID   string
	UserID    string
	Minute    int    // minute of the local day, 0–1439
	Days      string // daily | weekdays
	Timezone  string // IANA name the minute is read in
	CreatedAt time.Time
}

// Reminder days.
const (
	ReminderDaily    = "daily"
	ReminderWeekdays = "weekdays"
)

const checkinColumns = `id, guild_id, user_id, group_id, mood, note, shared, local_date, created_at`

// RecordCheckin stores c and returns the member's streak in this server
// after it, counted from local dates in the same transaction (today is
// c.LocalDate). c.ID is ignored. A mood outside 1–5, a malformed local
// date, or a missing server, member or time is refused before anything is
// written; a GroupID that names no group fails on the foreign key.
func (db *DB) RecordCheckin(ctx context.Context, c Checkin) (Streak, error) {
	if err := validCheckin(c); err != nil {
		return Streak{}, err
	}
	var streak Streak
	err := db.writeTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO checkins (guild_id, user_id, group_id, mood, note, shared, local_date, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			c.GuildID, c.UserID, sql.NullInt64{Int64: c.GroupID, Valid: c.GroupID != 0}, c.Mood, c.Note, c.Shared, c.LocalDate, c.At.Unix()); err != nil {
			return err
		}
		var err error
		streak, err = extendRun(ctx, tx, db.dialect, c.GuildID, c.UserID, c.LocalDate)
		return err
	})
	if err != nil {
		// The error names no values: the note must not reach a log.
		return Streak{}, fmt.Errorf("record check-in: %w", err)
	}
	return streak, nil
}

// extendRun adds a check-in day to the member's stored run and returns the
// streak as of that day. Only a missing run, or a day before the run's
// last day (the member changed timezone), needs the walk over the
// member's check-ins.
func extendRun(ctx context.Context, tx *sql.Tx, d dialect, guildID, userID, date string) (Streak, error) {
	day, _ := dayNumber(date) // validated by RecordCheckin
	var last, days int
	err := tx.QueryRowContext(ctx, `SELECT last_day, days FROM checkin_runs WHERE user_id = ? AND guild_id = ?`, userID, guildID).Scan(&last, &days)
	switch {
	case err == nil && day == last:
		// Another check-in on the same day: the run is unchanged.
	case err == nil && day > last && day-last <= maxGap:
		last, days = day, days+1
	case err == nil && day > last:
		last, days = day, 1
	case err == nil || errors.Is(err, sql.ErrNoRows):
		s, err := checkinStreak(ctx, tx, d, guildID, userID, dateOf(max(day, last)))
		if err != nil {
			return Streak{}, err
		}
		last, days = max(day, last), s.Days
	default:
		return Streak{}, fmt.Errorf("check-in streak: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO checkin_runs (user_id, guild_id, last_day, days) VALUES (?, ?, ?, ?)
		ON CONFLICT (user_id, guild_id) DO UPDATE SET last_day = excluded.last_day, days = excluded.days`,
		userID, guildID, last, days); err != nil {
		return Streak{}, fmt.Errorf("check-in streak: %w", err)
	}
	return Streak{Days: days, Today: day == last}, nil
}

func validCheckin(c Checkin) error {
	switch _, dateOK := dayNumber(c.LocalDate); {
	case c.GuildID == "" || c.UserID == "":
		return errors.New("record check-in: server or member missing")
	case !mood.Valid(c.Mood):
		return fmt.Errorf("record check-in: mood %d is not 1 to 5", c.Mood)
	case !dateOK:
		return fmt.Errorf("record check-in: local date %q is not YYYY-MM-DD", c.LocalDate)
	case c.At.IsZero():
		return errors.New("record check-in: time missing")
	}
	return nil
}

// CheckinStreak returns the member's streak in the server as of today, the
// member's local date ('YYYY-MM-DD').
func (db *DB) CheckinStreak(ctx context.Context, guildID, userID, today string) (Streak, error) {
	if _, ok := dayNumber(today); !ok {
		return Streak{}, fmt.Errorf("check-in streak: today %q is not YYYY-MM-DD", today)
	}
	now, _ := dayNumber(today)
	var last, days int
	err := db.read.QueryRowContext(ctx, `SELECT last_day, days FROM checkin_runs WHERE user_id = ? AND guild_id = ?`, userID, guildID).Scan(&last, &days)
	switch {
	case err == nil && last <= now:
		if now-last > maxGap {
			return Streak{}, nil // the run has ended
		}
		return Streak{Days: days, Today: last == now}, nil
	case err == nil || errors.Is(err, sql.ErrNoRows):
		return checkinStreak(ctx, db.read, db.dialect, guildID, userID, today)
	default:
		return Streak{}, fmt.Errorf("check-in streak: %w", err)
	}
}

// The streak walk reads a member's check-in days newest first in chunks,
// each a single row of dates run together (local_date is always ten
// characters): one cgo round trip per date would cost more than the rest
// of a check-in. Most runs end within the first chunk; a run that fills
// it belongs to someone who checks in most days, so the next chunk is big
// enough for well over a year.
const (
	streakFirstChunk  = 32
	streakChunkGrowth = 16
	localDateLen      = len("2006-01-02")
)

// checkinStreak walks the member's check-in days from today backwards and
// stops at the first gap that breaks the run, so its cost follows the
// streak's length, not the member's history. The chunks come from the
// covering index checkins_by_member alone: no table rows are read.
func checkinStreak(ctx context.Context, q queryer, d dialect, guildID, userID, today string) (Streak, error) {
	now, _ := dayNumber(today) // validated by the callers
	walk := newStreakWalk(now)
	query, upTo, limit := d.streakFirst, today, streakFirstChunk
	var days []int
	for {
		var list sql.NullString
		var n int
		if err := q.QueryRowContext(ctx, query, userID, guildID, upTo, limit).Scan(&list, &n); err != nil {
			return Streak{}, fmt.Errorf("check-in streak: %w", err)
		}
		if len(list.String) != n*localDateLen {
			return Streak{}, fmt.Errorf("check-in streak: %d stored dates are not YYYY-MM-DD", n)
		}
		// group_concat's order is not promised: sort the chunk.
		days = days[:0]
		for i := 0; i < len(list.String); i += localDateLen {
			if day, ok := dayNumber(list.String[i : i+localDateLen]); ok {
				days = append(days, day)
			}
		}
		slices.Sort(days)
		for i := len(days) - 1; i >= 0; i-- {
			if !walk.add(days[i]) {
				return walk.streak(), nil
			}
		}
		if n < limit || len(days) == 0 {
			return walk.streak(), nil // no older days
		}
		query, upTo, limit = d.streakMore, dateOf(days[0]), limit*streakChunkGrowth
	}
}

// validRange checks a window of local dates given by a caller.
func validRange(what, fromDate, toDate string) error {
	if _, ok := dayNumber(fromDate); !ok {
		return fmt.Errorf("%s: from date %q is not YYYY-MM-DD", what, fromDate)
	}
	if _, ok := dayNumber(toDate); !ok {
		return fmt.Errorf("%s: to date %q is not YYYY-MM-DD", what, toDate)
	}
	return nil
}

// CheckinsBetween returns the member's check-ins in the server with
// fromDate <= local date <= toDate, oldest first. Only the member may see
// them: notes are personal.
func (db *DB) CheckinsBetween(ctx context.Context, guildID, userID, fromDate, toDate string) ([]Checkin, error) {
	if err := validRange("list check-ins", fromDate, toDate); err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, `SELECT `+checkinColumns+` FROM checkins
		WHERE user_id = ? AND guild_id = ? AND local_date BETWEEN ? AND ?
		ORDER BY local_date, created_at, id`, userID, guildID, fromDate, toDate)
	if err != nil {
		return nil, fmt.Errorf("list check-ins: %w", err)
	}
	defer rows.Close()
	var out []Checkin
	for rows.Next() {
		var c Checkin
		var group sql.NullInt64
		var at int64
		if err := rows.Scan(&c.ID, &c.GuildID, &c.UserID, &group, &c.Mood, &c.Note, &c.Shared, &c.LocalDate, &at); err != nil {
			return nil, fmt.Errorf("list check-ins: %w", err)
		}
		c.GroupID = group.Int64
		c.At = time.Unix(at, 0).UTC()
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list check-ins: %w", err)
	}
	return out, nil
}

// DailyMoods returns, for each local day in [fromDate, toDate] on which the
// member checked in, the mean mood and the number of check-ins, oldest
// first. Days without a check-in are left out, never counted as a mood.
// Aggregated in SQL from the index alone: no notes are read.
func (db *DB) DailyMoods(ctx context.Context, guildID, userID, fromDate, toDate string) ([]DayMood, error) {
	if err := validRange("daily moods", fromDate, toDate); err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, `SELECT local_date, AVG(mood), COUNT(*) FROM checkins
		WHERE user_id = ? AND guild_id = ? AND local_date BETWEEN ? AND ?
		GROUP BY local_date ORDER BY local_date`, userID, guildID, fromDate, toDate)
	if err != nil {
		return nil, fmt.Errorf("daily moods: %w", err)
	}
	defer rows.Close()
	var out []DayMood
	for rows.Next() {
		var d DayMood
		if err := rows.Scan(&d.Date, &d.Mean, &d.Count); err != nil {
			return nil, fmt.Errorf("daily moods: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("daily moods: %w", err)
	}
	return out, nil
}

// GroupCheckinSummary aggregates the check-ins dated in q's window (the
// members' local dates) of the members the group had at q.MembersAt, in
// the group's server, whichever group they tagged, if any. A member who
// left later is counted, one who joined later is not; q.Except never is.
// ErrNotFound when the group is not one of the server's. The members'
// check-ins are read from the index alone: no notes.
func (db *DB) GroupCheckinSummary(ctx context.Context, q CheckinSummaryQuery) (CheckinSummary, error) {
	from, ok := dayNumber(q.From)
	switch {
	case !ok:
		return CheckinSummary{}, fmt.Errorf("group check-in summary: from date %q is not YYYY-MM-DD", q.From)
	case q.Weeks < 1 || q.Weeks > MaxSummaryWeeks:
		return CheckinSummary{}, fmt.Errorf("group check-in summary: %d weeks is not 1 to %d", q.Weeks, MaxSummaryWeeks)
	case q.MembersAt.IsZero():
		return CheckinSummary{}, errors.New("group check-in summary: membership moment missing")
	}
	days := 7 * q.Weeks
	to := from + days // exclusive
	split := from + days/2
	// One read transaction: the group check, the memberships and the
	// check-ins see the same snapshot.
	tx, err := db.read.BeginTx(ctx, nil)
	if err != nil {
		return CheckinSummary{}, err
	}
	defer tx.Rollback()
	var one int
	err = tx.QueryRowContext(ctx, `SELECT 1 FROM groups WHERE id = ? AND guild_id = ?`, q.GroupID, q.GuildID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return CheckinSummary{}, fmt.Errorf("group check-in summary: group %d: %w", q.GroupID, ErrNotFound)
	}
	if err != nil {
		return CheckinSummary{}, fmt.Errorf("group check-in summary: %w", err)
	}

	// Every membership of the server's groups at the moment, so that the
	// other groups can be compared with this one.
	groups := map[int64]map[string]bool{}
	err = each(ctx, tx, membersAtSQL(`g.guild_id = ?2`), []any{q.MembersAt.Unix(), q.GuildID}, func(r *sql.Rows) error {
		var group int64
		var user string
		if err := r.Scan(&group, &user); err != nil {
			return err
		}
		if user == q.Except {
			return nil
		}
		if groups[group] == nil {
			groups[group] = map[string]bool{}
		}
		groups[group][user] = true
		return nil
	})
	if err != nil {
		return CheckinSummary{}, fmt.Errorf("group check-in summary: members: %w", err)
	}

	s := CheckinSummary{WeekMembers: make([]int, q.Weeks)}
	// Who was seen where, to count distinct members: week or half is -1
	// when the key is about the whole window.
	type seen struct {
		user             string
		week, half, mood int
	}
	counted := map[seen]bool{}
	once := func(k seen) bool {
		if counted[k] {
			return false
		}
		counted[k] = true
		return true
	}
	mine := groups[q.GroupID]
	err = each(ctx, tx, `WITH members AS (SELECT user_id FROM (`+membersAtSQL(`g.id = ?2`)+`) m)
		SELECT c.user_id, c.local_date, c.mood, COUNT(*) FROM members m
		JOIN checkins c ON c.user_id = m.user_id AND c.guild_id = ?3 AND c.local_date >= ?4 AND c.local_date < ?5
		GROUP BY c.user_id, c.local_date, c.mood`,
		[]any{q.MembersAt.Unix(), q.GroupID, q.GuildID, dateOf(from), dateOf(to)}, func(r *sql.Rows) error {
			var user, date string
			var m, n int
			if err := r.Scan(&user, &date, &m, &n); err != nil {
				return err
			}
			day, ok := dayNumber(date)
			if !ok || !mood.Valid(m) {
				return fmt.Errorf("stored check-in of %s with mood %d", date, m)
			}
			if !mine[user] {
				return nil // q.Except
			}
			week, half := (day-from)/7, 0
			if day >= split {
				half = 1
			}
			s.Checkins += n
			s.ByMood[m-1].Checkins += n
			s.Halves[half][m-1].Checkins += n
			if once(seen{user: user, week: week, half: -1}) {
				s.WeekMembers[week]++
			}
			if once(seen{user: user, week: -1, half: -1, mood: m}) {
				s.ByMood[m-1].Members++
			}
			if once(seen{user: user, week: -1, half: half, mood: m}) {
				s.Halves[half][m-1].Members++
			}
			return nil
		})
	if err != nil {
		return CheckinSummary{}, fmt.Errorf("group check-in summary: %w", err)
	}

	// Who, of everyone in any of the server's groups then, checked in
	// during the window: one seek in the member index each.
	checkedIn := map[string]bool{}
	err = each(ctx, tx, `SELECT DISTINCT user_id FROM (`+membersAtSQL(`g.guild_id = ?2`)+`) m
		WHERE EXISTS (SELECT 1 FROM checkins c WHERE c.user_id = m.user_id AND c.guild_id = ?2 AND c.local_date >= ?3 AND c.local_date < ?4)`,
		[]any{q.MembersAt.Unix(), q.GuildID, dateOf(from), dateOf(to)}, func(r *sql.Rows) error {
			var user string
			if err := r.Scan(&user); err != nil {
				return err
			}
			if user != q.Except {
				checkedIn[user] = true
			}
			return nil
		})
	if err != nil {
		return CheckinSummary{}, fmt.Errorf("group check-in summary: %w", err)
	}
	for user := range checkedIn {
		if mine[user] {
			s.Members++
		}
	}

	// Every other group of the server, with or without members then.
	err = each(ctx, tx, `SELECT id FROM groups WHERE guild_id = ? AND id <> ? ORDER BY id`, []any{q.GuildID, q.GroupID}, func(r *sql.Rows) error {
		var other int64
		if err := r.Scan(&other); err != nil {
			return err
		}
		differ := 0
		for user := range checkedIn {
			if mine[user] != groups[other][user] {
				differ++
			}
		}
		s.OtherGroups = append(s.OtherGroups, differ)
		return nil
	})
	if err != nil {
		return CheckinSummary{}, fmt.Errorf("group check-in summary: other groups: %w", err)
	}
	return s, nil
}

// SetCheckinReminder sets (or replaces) the member's daily check-in
// prompt and, in the same transaction, cancels the member's queued
// prompts and enqueues first, the next prompt, built by the caller. first
// must carry a dedupe key starting with CheckinPromptJobPrefix, or a later
// change could not cancel it.
func (db *DB) SetCheckinReminder(ctx context.Context, r CheckinReminder, first NewJob) error {
	prefix := CheckinPromptJobPrefix(r.GuildID, r.UserID)
	switch {
	case r.GuildID == "" || r.UserID == "":
		return errors.New("set check-in reminder: server or member missing")
	case r.Minute < 0 || r.Minute > 1439:
		return fmt.Errorf("set check-in reminder: minute %d is not 0 to 1439", r.Minute)
	case r.Days != ReminderDaily && r.Days != ReminderWeekdays:
		return fmt.Errorf("set check-in reminder: days %q is not daily or weekdays", r.Days)
	case r.Timezone == "":
		return errors.New("set check-in reminder: timezone missing")
	case r.CreatedAt.IsZero():
		return errors.New("set check-in reminder: time missing")
	case !strings.HasPrefix(first.DedupeKey, prefix):
		return fmt.Errorf("set check-in reminder: first prompt's dedupe key %q does not start with %q", first.DedupeKey, prefix)
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO checkin_reminders (guild_id, user_id, minute_of_day, days, timezone, created_at)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (user_id, guild_id) DO UPDATE SET
			minute_of_day = excluded.minute_of_day,
			days = excluded.days,
			timezone = excluded.timezone,
			created_at = excluded.created_at`,
		r.GuildID, r.UserID, r.Minute, r.Days, r.Timezone, r.CreatedAt.Unix()); err != nil {
		return fmt.Errorf("set check-in reminder: %w", err)
	}
	if _, err := CancelJobsTx(ctx, tx, prefix); err != nil {
		return fmt.Errorf("set check-in reminder: %w", err)
	}
	if _, err := EnqueueTx(ctx, tx, first); err != nil {
		return fmt.Errorf("set check-in reminder: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("set check-in reminder: %w", err)
	}
	db.JobsEnqueued()
	return nil
}

// CheckinReminder returns the member's check-in reminder in the server, or
// ErrNotFound when they have none.
func (db *DB) CheckinReminder(ctx context.Context, guildID, userID string) (CheckinReminder, error) {
	r := CheckinReminder{GuildID: guildID, UserID: userID}
	var created int64
	err := db.read.QueryRowContext(ctx, `SELECT minute_of_day, days, timezone, created_at FROM checkin_reminders
		WHERE user_id = ? AND guild_id = ?`, userID, guildID).Scan(&r.Minute, &r.Days, &r.Timezone, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return CheckinReminder{}, fmt.Errorf("check-in reminder: %w", ErrNotFound)
	}
	if err != nil {
		return CheckinReminder{}, fmt.Errorf("check-in reminder: %w", err)
	}
	r.CreatedAt = time.Unix(created, 0).UTC()
	return r, nil
}

// DeleteCheckinReminder turns the member's check-in reminder in the server
// off and cancels their queued prompts. ErrNotFound when there was no
// reminder; any stray prompts are cancelled all the same.
func (db *DB) DeleteCheckinReminder(ctx context.Context, guildID, userID string) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `DELETE FROM checkin_reminders WHERE user_id = ? AND guild_id = ?`, userID, guildID)
	if err != nil {
		return fmt.Errorf("delete check-in reminder: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("delete check-in reminder: %w", err)
	}
	if _, err := CancelJobsTx(ctx, tx, CheckinPromptJobPrefix(guildID, userID)); err != nil {
		return fmt.Errorf("delete check-in reminder: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("delete check-in reminder: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("delete check-in reminder: %w", ErrNotFound)
	}
	return nil
}

// PurgeCheckinsBefore deletes check-ins recorded before cutoff, in every
// server, for privacy.checkin_retention_days. Streak runs are kept: they
// hold no mood or note.
func (db *DB) PurgeCheckinsBefore(ctx context.Context, cutoff time.Time) (int, error) {
	res, err := db.write.ExecContext(ctx, `DELETE FROM checkins WHERE created_at < ?`, cutoff.Unix())
	if err != nil {
		return 0, fmt.Errorf("purge check-ins: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}
