package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// /mydata: everything Kindred stores about one member, in every server, as
// an export and as one erasing transaction. MemberDataColumns lists every
// column that holds a member's user id and what /mydata does with it; a
// test (TestMemberDataCoverage) fails when a table or column appears that
// nobody classified.

// MyDataFormatVersion is the export's format_version. Raise it when a field
// is renamed, removed or changes meaning; adding a field keeps it.
const MyDataFormatVersion = 1

// MemberData is the /mydata export (kindred-data.json). Field names are
// the documented format: snake_case, stable across releases within one
// format_version. Every timestamp is RFC 3339 in UTC; every Discord id and
// every Kindred row id is a string. Lists are never null: an empty list
// means Kindred stores nothing of that kind about the member.
type MemberData struct {
	FormatVersion int       `json:"format_version"` // MyDataFormatVersion
	ExportedAt    time.Time `json:"exported_at"`
	UserID        string    `json:"user_id"`

	// Preferences are the member's own settings (they apply in every
	// server); null when the member never set any.
	Preferences *PreferencesData `json:"preferences"`

	GroupMemberships []GroupMembershipData `json:"group_memberships"`
	// PastGroupMemberships are the groups the member belonged to and left,
	// kept so that group check-in summaries count the members a group had
	// when their window began.
	PastGroupMemberships []PastGroupMembershipData `json:"past_group_memberships"`
	// GroupsCreated and MeetingsCreated are the server's records the member
	// created as a facilitator: kept on delete, they belong to the server.
	GroupsCreated   []CreatedGroupData   `json:"groups_created"`
	MeetingsCreated []CreatedMeetingData `json:"meetings_created"`
	// OccurrencesCancelled are single meeting occurrences the member
	// cancelled as a facilitator: kept on delete.
	OccurrencesCancelled []CancelledOccurrenceData `json:"occurrences_cancelled"`
	MeetingRSVPs         []RSVPData                `json:"meeting_rsvps"`
	MeetingAttendance    []AttendanceData          `json:"meeting_attendance"`

	Checkins         []CheckinData         `json:"checkins"`
	CheckinReminders []CheckinReminderData `json:"checkin_reminders"`
	CheckinRuns      []CheckinRunData      `json:"checkin_runs"`

	BuddySettings []BuddySettingData `json:"buddy_settings"`
	// BuddyAvoids are the members this member asked never to be paired
	// with. Who asked never to be paired with this member is someone
	// else's private choice and is not part of the export.
	BuddyAvoids []BuddyAvoidData `json:"buddy_avoids"`
	Pairings    []PairingData    `json:"pairings"`
	// PairingSchedulesSet and PairingRoundsRun are facilitator actions
	// (/pairing configure, /pairing run): kept on delete.
	PairingSchedulesSet []PairingScheduleData `json:"pairing_schedules_set"`
	PairingRoundsRun    []PairingRoundRunData `json:"pairing_rounds_run"`

	// SupportRequests are the member's own /support requests, with their
	// topics. Who took one is the supporter's, and is left out.
	SupportRequests []SupportRequestData `json:"support_requests"`
	// SupportRequestsTaken are other members' requests this member took as
	// a supporter: when, never the topic or who asked. Kept on delete:
	// they are part of the asking member's record.
	SupportRequestsTaken []SupportTakenData `json:"support_requests_taken"`
	// SupporterShifts are the member's current times on duty as a supporter.
	SupporterShifts []SupporterShiftData `json:"supporter_shifts"`

	// PendingMessages are queued timed work addressed to the member (DMs,
	// check-in prompts): what and when, never the content.
	PendingMessages []PendingMessageData `json:"pending_messages"`
	// FailedMessages are such work that could not be done and is kept for
	// an operator for a while.
	FailedMessages []FailedMessageData `json:"failed_messages"`

	// Warnings are the member's own active warnings, as /warnings shows
	// them to the member: reason and dates, no moderator. Warnings and
	// reports are moderation records, kept on delete.
	Warnings []WarningData `json:"warnings"`

	// Shares are the member's anonymous shares (/share), text included,
	// except those they deleted. Blocks from sharing are moderation records.
	Shares []ShareData `json:"shares"`
}

// ShareData is one of the member's anonymous shares.
type ShareData struct {
	GuildID        string     `json:"guild_id"`
	ShareID        string     `json:"share_id"`
	GroupID        string     `json:"group_id"`
	Text           string     `json:"text"`
	ContentWarning string     `json:"content_warning"`
	State          string     `json:"state"` // pending | posted | rejected
	CreatedAt      time.Time  `json:"created_at"`
	PostedAt       *time.Time `json:"posted_at"`
	ChannelID      string     `json:"channel_id"` // the post; "" until posted
	MessageID      string     `json:"message_id"`
	RejectReason   string     `json:"reject_reason"`
}

// WarningData is one of the member's active warnings.
type WarningData struct {
	GuildID   string    `json:"guild_id"`
	Case      string    `json:"case"`
	Reason    string    `json:"reason"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// SupportRequestData is one of the member's /support requests.
type SupportRequestData struct {
	GuildID     string     `json:"guild_id"`
	RequestID   string     `json:"request_id"`
	Topic       string     `json:"topic"`
	Urgent      bool       `json:"urgent"`
	ThreadID    string     `json:"thread_id"`
	CreatedAt   time.Time  `json:"created_at"`
	TakenAt     *time.Time `json:"taken_at"`
	ClosedAt    *time.Time `json:"closed_at"`
	CloseReason string     `json:"close_reason"` // member, supporter, moderator, inactive; "" while open
	Helped      *bool      `json:"helped"`       // the member's answer to "did it help?"; null if none
}

// SupportTakenData is a request the member took as a supporter.
type SupportTakenData struct {
	GuildID   string     `json:"guild_id"`
	RequestID string     `json:"request_id"`
	TakenAt   time.Time  `json:"taken_at"`
	ClosedAt  *time.Time `json:"closed_at"`
}

// SupporterShiftData is a time on duty as a supporter.
type SupporterShiftData struct {
	GuildID   string    `json:"guild_id"`
	StartedAt time.Time `json:"started_at"`
	EndsAt    time.Time `json:"ends_at"`
}

// PreferencesData is the member's /preferences.
type PreferencesData struct {
	Timezone string `json:"timezone"` // IANA name; "" when not set
	// QuietHoursStart and QuietHoursEnd are "HH:MM" in the member's
	// timezone; both null when quiet hours are off.
	QuietHoursStart *string   `json:"quiet_hours_start"`
	QuietHoursEnd   *string   `json:"quiet_hours_end"`
	DMsEnabled      bool      `json:"dms_enabled"`
	UpdatedAt       time.Time `json:"updated_at"`
}

// GroupMembershipData is a group the member joined.
type GroupMembershipData struct {
	GuildID   string    `json:"guild_id"`
	GroupID   string    `json:"group_id"`
	GroupName string    `json:"group_name"`
	JoinedAt  time.Time `json:"joined_at"`
}

// PastGroupMembershipData is a membership the member ended.
type PastGroupMembershipData struct {
	GuildID   string    `json:"guild_id"`
	GroupID   string    `json:"group_id"`
	GroupName string    `json:"group_name"`
	JoinedAt  time.Time `json:"joined_at"`
	LeftAt    time.Time `json:"left_at"`
}

// CreatedGroupData is a group the member created.
type CreatedGroupData struct {
	GuildID   string    `json:"guild_id"`
	GroupID   string    `json:"group_id"`
	GroupName string    `json:"group_name"`
	CreatedAt time.Time `json:"created_at"`
}

// CreatedMeetingData is a meeting the member scheduled.
type CreatedMeetingData struct {
	GuildID   string    `json:"guild_id"`
	GroupID   string    `json:"group_id"`
	MeetingID string    `json:"meeting_id"`
	Title     string    `json:"title"`
	CreatedAt time.Time `json:"created_at"`
}

// CancelledOccurrenceData is one occurrence of a meeting the member cancelled.
type CancelledOccurrenceData struct {
	GuildID         string    `json:"guild_id"`
	MeetingID       string    `json:"meeting_id"`
	OccurrenceStart time.Time `json:"occurrence_start"`
	CancelledAt     time.Time `json:"cancelled_at"`
}

// RSVPData is the member's answer for one occurrence of a meeting.
type RSVPData struct {
	GuildID         string    `json:"guild_id"`
	MeetingID       string    `json:"meeting_id"`
	MeetingTitle    string    `json:"meeting_title"`
	OccurrenceStart time.Time `json:"occurrence_start"`
	Answer          string    `json:"answer"` // going | maybe | no
	UpdatedAt       time.Time `json:"updated_at"`
}

// AttendanceData is an occurrence the member marked I'm here at.
type AttendanceData struct {
	GuildID         string    `json:"guild_id"`
	MeetingID       string    `json:"meeting_id"`
	MeetingTitle    string    `json:"meeting_title"`
	OccurrenceStart time.Time `json:"occurrence_start"`
	MarkedAt        time.Time `json:"marked_at"`
}

// CheckinData is one check-in, note included.
type CheckinData struct {
	GuildID   string    `json:"guild_id"`
	CheckinID string    `json:"checkin_id"`
	GroupID   *string   `json:"group_id"` // null when not shared with or tagged for a group
	Mood      int       `json:"mood"`     // 1 Struggling … 5 Great
	Note      string    `json:"note"`
	Shared    bool      `json:"shared"`
	LocalDate string    `json:"local_date"` // YYYY-MM-DD, the member's own calendar day
	CreatedAt time.Time `json:"created_at"`
}

// CheckinReminderData is the member's daily check-in prompt in a server.
type CheckinReminderData struct {
	GuildID  string    `json:"guild_id"`
	Time     string    `json:"time"` // "HH:MM" in timezone
	Days     string    `json:"days"` // daily | weekdays
	Timezone string    `json:"timezone"`
	SetAt    time.Time `json:"set_at"`
}

// CheckinRunData is the member's current run of check-in days (the
// streak state) in a server.
type CheckinRunData struct {
	GuildID   string `json:"guild_id"`
	LastDay   string `json:"last_day"` // YYYY-MM-DD of the latest check-in day
	DaysInRun int    `json:"days_in_run"`
}

// BuddySettingData is the member's opt-in to pairing in a group.
type BuddySettingData struct {
	GuildID     string     `json:"guild_id"`
	GroupID     string     `json:"group_id"`
	GroupName   string     `json:"group_name"`
	ActiveSince time.Time  `json:"active_since"`
	PausedUntil *time.Time `json:"paused_until"` // null when not paused for a while
	PausedOpen  bool       `json:"paused_open"`  // paused until the member joins again
}

// BuddyAvoidData is one entry of the member's own avoid list.
type BuddyAvoidData struct {
	GuildID   string    `json:"guild_id"`
	AvoidID   string    `json:"avoid_user_id"`
	CreatedAt time.Time `json:"created_at"`
}

// PairingData is a pair or trio the member was part of.
type PairingData struct {
	GuildID     string     `json:"guild_id"`
	GroupID     string     `json:"group_id"`
	RoundID     string     `json:"round_id"`
	RoundNumber int        `json:"round_number"`
	PairingID   string     `json:"pairing_id"`
	FormedAt    time.Time  `json:"formed_at"`
	MemberIDs   []string   `json:"member_ids"` // everyone in the pair or trio, the member included
	ThreadID    string     `json:"thread_id"`  // "" when no thread was opened
	Answer      string     `json:"answer"`     // "" (none), talked, notyet
	AnsweredAt  *time.Time `json:"answered_at"`
}

// PairingScheduleData is a group's pairing schedule the member last set.
type PairingScheduleData struct {
	GuildID   string    `json:"guild_id"`
	GroupID   string    `json:"group_id"`
	UpdatedAt time.Time `json:"updated_at"`
}

// PairingRoundRunData is a round the member started with /pairing run.
type PairingRoundRunData struct {
	GuildID     string    `json:"guild_id"`
	GroupID     string    `json:"group_id"`
	RoundID     string    `json:"round_id"`
	RoundNumber int       `json:"round_number"`
	CreatedAt   time.Time `json:"created_at"`
}

// PendingMessageData is queued work addressed to the member.
type PendingMessageData struct {
	Kind    string    `json:"kind"`     // dm | checkin.prompt | …
	GuildID string    `json:"guild_id"` // "" for work that belongs to no server
	RunAt   time.Time `json:"run_at"`
}

// FailedMessageData is work addressed to the member that failed.
type FailedMessageData struct {
	Kind     string    `json:"kind"`
	GuildID  string    `json:"guild_id"`
	RunAt    time.Time `json:"run_at"`
	FailedAt time.Time `json:"failed_at"`
}

// ErasedMemberData counts what EraseMemberData deleted, in every server.
type ErasedMemberData struct {
	Checkins         int
	CheckinReminders int
	CheckinRuns      int
	Preferences      int
	GroupMemberships int // current and past ones
	BuddySettings    int
	BuddyAvoids      int
	Pairings         int
	RSVPs            int
	Attendance       int
	SupportRequests  int
	SupporterShifts  int
	PendingMessages  int // queued jobs addressed to the member, cancelled
	FailedMessages   int // failed jobs addressed to the member
	SentMessageMarks int // sent_log entries of work addressed to the member
	Shares           int // anonymous shares, deleted ones included
	// SharePosts are the Discord messages of the erased shares (posts and
	// vetting cards), for the caller to delete after the commit.
	SharePosts []MessageRef
	// SupportCards are the cards of the erased support requests (they show
	// the topic), and SupportThreads the threads of those still open, for
	// the caller to delete and close after the commit.
	SupportCards   []MessageRef
	SupportThreads []string
}

// MessageRef names one Discord message.
type MessageRef struct {
	ChannelID, MessageID string
}

// Total is everything deleted.
func (e ErasedMemberData) Total() int {
	return e.Checkins + e.CheckinReminders + e.CheckinRuns + e.Preferences + e.GroupMemberships +
		e.BuddySettings + e.BuddyAvoids + e.Pairings + e.RSVPs + e.Attendance +
		e.SupportRequests + e.SupporterShifts + e.PendingMessages + e.FailedMessages + e.SentMessageMarks + e.Shares
}

// What /mydata does with a column that holds a member's user id.
const (
	// MemberErased columns are the member's data: exported, and their rows
	// deleted by EraseMemberData.
	MemberErased = "erased"
	// MemberKept columns record what the member did to the server's shared
	// records (created a group, cancelled an occurrence): exported, kept.
	MemberKept = "kept"
	// ModerationRecord tables are kept on delete; the member's own active
	// warnings are exported as /warnings shows them.
	ModerationRecord = "moderation"
	// NotExported columns hold a user id that is not this member's data to
	// take: kept and never exported, for the reason given.
	NotExported = "not exported"
	// JobPayload columns may name the member inside JSON or a key. They
	// are not searched: a job's member is its user_id column, and the
	// member's jobs are exported (kind and times only) and deleted by it.
	// sent_log keys, which have no such column, are matched by their parts.
	JobPayload = "job payload"
)

// MemberColumn is one column that holds (or may hold) a member's user id
// and what /mydata does with it. Column "*" classifies a whole table.
type MemberColumn struct {
	Table, Column string
	Use           string // MemberErased, MemberKept, ModerationRecord, NotExported, JobPayload
	Reason        string // why, for every Use but MemberErased
}

// MemberDataColumns lists every column of the schema that holds a member's
// user id (or may carry one), and what /mydata export and delete do with
// it. TestMemberDataCoverage compares it with the migrated database.
func MemberDataColumns() []MemberColumn {
	return []MemberColumn{
		{Table: "member_preferences", Column: "user_id", Use: MemberErased},
		{Table: "group_members", Column: "user_id", Use: MemberErased},
		{Table: "past_group_memberships", Column: "user_id", Use: MemberErased},
		{Table: "checkins", Column: "user_id", Use: MemberErased},
		{Table: "checkin_reminders", Column: "user_id", Use: MemberErased},
		{Table: "checkin_runs", Column: "user_id", Use: MemberErased},
		{Table: "buddy_members", Column: "user_id", Use: MemberErased},
		{Table: "buddy_avoids", Column: "user_id", Use: MemberErased},
		{Table: "pairing_round_members", Column: "user_id", Use: MemberErased},
		{Table: "meeting_rsvps", Column: "user_id", Use: MemberErased},
		{Table: "meeting_attendance", Column: "user_id", Use: MemberErased},
		{Table: "support_requests", Column: "user_id", Use: MemberErased},
		{Table: "supporter_shifts", Column: "user_id", Use: MemberErased},
		{Table: "shares", Column: "user_id", Use: MemberErased},

		{Table: "groups", Column: "created_by", Use: MemberKept, Reason: "the group belongs to the server and its other members"},
		{Table: "meetings", Column: "created_by", Use: MemberKept, Reason: "the meeting belongs to the group and its other members"},
		{Table: "meeting_cancellations", Column: "cancelled_by", Use: MemberKept, Reason: "the cancellation is the group's record of its meetings"},
		{Table: "pairing_settings", Column: "updated_by", Use: MemberKept, Reason: "the schedule is the group's setting"},
		{Table: "pairing_rounds", Column: "run_by", Use: MemberKept, Reason: "the round is the group's record; its members' rows are erased separately"},
		{Table: "support_requests", Column: "taken_by", Use: MemberKept, Reason: "who took a request is part of the asking member's record, erased with theirs"},

		{Table: "shares", Column: "decided_by", Use: NotExported, Reason: "the moderator's decision on another member's share: the share is its author's data, and a moderator's export must not carry other members' shares"},
		{Table: "buddy_avoids", Column: "avoid_id", Use: NotExported, Reason: "an entry naming this member is another member's private avoid list: never shown, and kept so that member is still never paired with them"},

		{Table: "jobs", Column: "user_id", Use: MemberErased},
		{Table: "jobs_failed", Column: "user_id", Use: MemberErased},

		{Table: "jobs", Column: "payload", Use: JobPayload, Reason: "work addressed to the member carries their user_id in the payload too; the rows are found by jobs.user_id"},
		{Table: "jobs", Column: "dedupe_key", Use: JobPayload, Reason: "check-in prompts are keyed checkin:prompt:<guild>:<user>:; the rows are found by jobs.user_id"},
		{Table: "jobs_failed", Column: "payload", Use: JobPayload, Reason: "as jobs.payload; found by jobs_failed.user_id"},
		{Table: "jobs_failed", Column: "dedupe_key", Use: JobPayload, Reason: "as jobs.dedupe_key; found by jobs_failed.user_id"},
		{Table: "sent_log", Column: "key", Use: JobPayload, Reason: "keys of work addressed to the member hold their user id; deleted, not exported: they only record that a message went out"},

		{Table: "warnings", Column: "*", Use: ModerationRecord, Reason: "moderation record"},
		{Table: "reports", Column: "*", Use: ModerationRecord, Reason: "moderation record"},
		{Table: "share_blocks", Column: "*", Use: ModerationRecord, Reason: "a moderator's block from sharing, kept like the warning it follows"},
		{Table: "escalation_rules", Column: "*", Use: ModerationRecord, Reason: "moderation configuration, kept with the records it applies to"},
	}
}

// memberJobsWhere matches the jobs (and failed jobs) about the member ?1.
// Its second term repeats the condition of the partial indexes
// jobs_by_user and jobs_failed_by_user: without it SQLite cannot tell
// that they hold every matching row, and scans the table instead.
const memberJobsWhere = `user_id = ?1 AND user_id <> ''`

func validMemberID(userID string) error {
	if userID == "" || strings.ContainsAny(userID, ": \t\n") {
		return fmt.Errorf("member data: invalid user id %q", userID)
	}
	return nil
}

// ExportMemberData reads everything Kindred stores about the member, in
// every server, from one consistent snapshot.
func (db *DB) ExportMemberData(ctx context.Context, userID string, now time.Time) (MemberData, error) {
	if err := validMemberID(userID); err != nil {
		return MemberData{}, err
	}
	tx, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return MemberData{}, err
	}
	defer tx.Rollback()
	d := MemberData{FormatVersion: MyDataFormatVersion, ExportedAt: now.UTC().Truncate(time.Second), UserID: userID}
	steps := []struct {
		what string
		read func(context.Context, *sql.Tx, string, *MemberData) error
	}{
		{"preferences", exportPreferences},
		{"group memberships", exportGroups},
		{"meetings", exportMeetings},
		{"check-ins", exportCheckins},
		{"buddies", exportBuddies},
		{"pairings", exportPairings},
		{"support", exportSupport},
		{"jobs", exportJobs},
		{"shares", exportShares},
	}
	for _, s := range steps {
		if err := s.read(ctx, tx, userID, &d); err != nil {
			return MemberData{}, fmt.Errorf("export member data: %s: %w", s.what, err)
		}
	}
	// Warnings are read in the same snapshot, as /warnings shows them to
	// their subject: active ones only, in every server.
	d.Warnings = []WarningData{}
	if err := each(ctx, tx, `SELECT `+warningColumns+` FROM warnings WHERE user_id = ? ORDER BY guild_id, case_number`, []any{userID}, func(r *sql.Rows) error {
		w, err := scanWarning(r)
		if err != nil || !w.Active(now) {
			return err
		}
		d.Warnings = append(d.Warnings, WarningData{GuildID: w.GuildID, Case: strconv.FormatInt(w.Case, 10), Reason: w.Reason,
			CreatedAt: w.CreatedAt.UTC(), ExpiresAt: w.ExpiresAt.UTC()})
		return nil
	}); err != nil {
		return MemberData{}, fmt.Errorf("export member data: warnings: %w", err)
	}
	return d, nil
}

func exportShares(ctx context.Context, tx *sql.Tx, userID string, d *MemberData) error {
	d.Shares = []ShareData{}
	return each(ctx, tx, `SELECT guild_id, id, group_id, text, content_warning, state, created_at, posted_at, channel_id, message_id, reject_reason
		FROM shares WHERE user_id = ? AND state <> 'deleted' ORDER BY created_at, id`, []any{userID}, func(r *sql.Rows) error {
		var s ShareData
		var id, gid, at int64
		var posted sql.NullInt64
		if err := r.Scan(&s.GuildID, &id, &gid, &s.Text, &s.ContentWarning, &s.State, &at, &posted, &s.ChannelID, &s.MessageID, &s.RejectReason); err != nil {
			return err
		}
		s.ShareID, s.GroupID, s.CreatedAt = idString(id), idString(gid), unixUTC(at)
		if posted.Valid {
			t := unixUTC(posted.Int64)
			s.PostedAt = &t
		}
		d.Shares = append(d.Shares, s)
		return nil
	})
}

func unixUTC(s int64) time.Time { return time.Unix(s, 0).UTC() }

func idString(n int64) string { return strconv.FormatInt(n, 10) }

func clock(minute int64) string { return fmt.Sprintf("%02d:%02d", minute/60, minute%60) }

// each runs query and calls scan for every row.
func each(ctx context.Context, tx *sql.Tx, query string, args []any, scan func(*sql.Rows) error) error {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

func exportPreferences(ctx context.Context, tx *sql.Tx, userID string, d *MemberData) error {
	var p PreferencesData
	var start, end sql.NullInt64
	var updated int64
	err := tx.QueryRowContext(ctx, `SELECT timezone, quiet_start, quiet_end, dms_enabled, updated_at FROM member_preferences WHERE user_id = ?`, userID).
		Scan(&p.Timezone, &start, &end, &p.DMsEnabled, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	if start.Valid && end.Valid {
		s, e := clock(start.Int64), clock(end.Int64)
		p.QuietHoursStart, p.QuietHoursEnd = &s, &e
	}
	p.UpdatedAt = unixUTC(updated)
	d.Preferences = &p
	return nil
}

func exportGroups(ctx context.Context, tx *sql.Tx, userID string, d *MemberData) error {
	d.GroupMemberships, d.PastGroupMemberships, d.GroupsCreated = []GroupMembershipData{}, []PastGroupMembershipData{}, []CreatedGroupData{}
	err := each(ctx, tx, `SELECT g.guild_id, g.id, g.name, m.joined_at FROM group_members m JOIN groups g ON g.id = m.group_id
		WHERE m.user_id = ? ORDER BY m.joined_at, g.id`, []any{userID}, func(r *sql.Rows) error {
		var m GroupMembershipData
		var gid, at int64
		if err := r.Scan(&m.GuildID, &gid, &m.GroupName, &at); err != nil {
			return err
		}
		m.GroupID, m.JoinedAt = idString(gid), unixUTC(at)
		d.GroupMemberships = append(d.GroupMemberships, m)
		return nil
	})
	if err != nil {
		return err
	}
	err = each(ctx, tx, `SELECT g.guild_id, g.id, g.name, p.joined_at, p.left_at FROM past_group_memberships p JOIN groups g ON g.id = p.group_id
		WHERE p.user_id = ? ORDER BY p.joined_at, g.id`, []any{userID}, func(r *sql.Rows) error {
		var m PastGroupMembershipData
		var gid, joined, left int64
		if err := r.Scan(&m.GuildID, &gid, &m.GroupName, &joined, &left); err != nil {
			return err
		}
		m.GroupID, m.JoinedAt, m.LeftAt = idString(gid), unixUTC(joined), unixUTC(left)
		d.PastGroupMemberships = append(d.PastGroupMemberships, m)
		return nil
	})
	if err != nil {
		return err
	}
	return each(ctx, tx, `SELECT guild_id, id, name, created_at FROM groups WHERE created_by = ? ORDER BY id`, []any{userID}, func(r *sql.Rows) error {
		var g CreatedGroupData
		var gid, at int64
		if err := r.Scan(&g.GuildID, &gid, &g.GroupName, &at); err != nil {
			return err
		}
		g.GroupID, g.CreatedAt = idString(gid), unixUTC(at)
		d.GroupsCreated = append(d.GroupsCreated, g)
		return nil
	})
}

func exportMeetings(ctx context.Context, tx *sql.Tx, userID string, d *MemberData) error {
	d.MeetingsCreated, d.OccurrencesCancelled = []CreatedMeetingData{}, []CancelledOccurrenceData{}
	d.MeetingRSVPs, d.MeetingAttendance = []RSVPData{}, []AttendanceData{}
	args := []any{userID}
	if err := each(ctx, tx, `SELECT guild_id, group_id, id, title, created_at FROM meetings WHERE created_by = ? ORDER BY id`, args, func(r *sql.Rows) error {
		var m CreatedMeetingData
		var gid, mid, at int64
		if err := r.Scan(&m.GuildID, &gid, &mid, &m.Title, &at); err != nil {
			return err
		}
		m.GroupID, m.MeetingID, m.CreatedAt = idString(gid), idString(mid), unixUTC(at)
		d.MeetingsCreated = append(d.MeetingsCreated, m)
		return nil
	}); err != nil {
		return err
	}
	if err := each(ctx, tx, `SELECT m.guild_id, c.meeting_id, c.starts_at, c.cancelled_at FROM meeting_cancellations c
		JOIN meetings m ON m.id = c.meeting_id WHERE c.cancelled_by = ? ORDER BY c.meeting_id, c.starts_at`, args, func(r *sql.Rows) error {
		var c CancelledOccurrenceData
		var mid, start, at int64
		if err := r.Scan(&c.GuildID, &mid, &start, &at); err != nil {
			return err
		}
		c.MeetingID, c.OccurrenceStart, c.CancelledAt = idString(mid), unixUTC(start), unixUTC(at)
		d.OccurrencesCancelled = append(d.OccurrencesCancelled, c)
		return nil
	}); err != nil {
		return err
	}
	if err := each(ctx, tx, `SELECT m.guild_id, r.meeting_id, m.title, r.starts_at, r.answer, r.updated_at FROM meeting_rsvps r
		JOIN meetings m ON m.id = r.meeting_id WHERE r.user_id = ? ORDER BY r.starts_at, r.meeting_id`, args, func(r *sql.Rows) error {
		var v RSVPData
		var mid, start, at int64
		if err := r.Scan(&v.GuildID, &mid, &v.MeetingTitle, &start, &v.Answer, &at); err != nil {
			return err
		}
		v.MeetingID, v.OccurrenceStart, v.UpdatedAt = idString(mid), unixUTC(start), unixUTC(at)
		d.MeetingRSVPs = append(d.MeetingRSVPs, v)
		return nil
	}); err != nil {
		return err
	}
	return each(ctx, tx, `SELECT m.guild_id, a.meeting_id, m.title, a.starts_at, a.marked_at FROM meeting_attendance a
		JOIN meetings m ON m.id = a.meeting_id WHERE a.user_id = ? ORDER BY a.starts_at, a.meeting_id`, args, func(r *sql.Rows) error {
		var v AttendanceData
		var mid, start, at int64
		if err := r.Scan(&v.GuildID, &mid, &v.MeetingTitle, &start, &at); err != nil {
			return err
		}
		v.MeetingID, v.OccurrenceStart, v.MarkedAt = idString(mid), unixUTC(start), unixUTC(at)
		d.MeetingAttendance = append(d.MeetingAttendance, v)
		return nil
	})
}

func exportCheckins(ctx context.Context, tx *sql.Tx, userID string, d *MemberData) error {
	d.Checkins, d.CheckinReminders, d.CheckinRuns = []CheckinData{}, []CheckinReminderData{}, []CheckinRunData{}
	args := []any{userID}
	if err := each(ctx, tx, `SELECT guild_id, id, group_id, mood, note, shared, local_date, created_at FROM checkins
		WHERE user_id = ? ORDER BY created_at, id`, args, func(r *sql.Rows) error {
		var c CheckinData
		var cid, at int64
		var gid sql.NullInt64
		if err := r.Scan(&c.GuildID, &cid, &gid, &c.Mood, &c.Note, &c.Shared, &c.LocalDate, &at); err != nil {
			return err
		}
		if gid.Valid {
			s := idString(gid.Int64)
			c.GroupID = &s
		}
		c.CheckinID, c.CreatedAt = idString(cid), unixUTC(at)
		d.Checkins = append(d.Checkins, c)
		return nil
	}); err != nil {
		return err
	}
	if err := each(ctx, tx, `SELECT guild_id, minute_of_day, days, timezone, created_at FROM checkin_reminders
		WHERE user_id = ? ORDER BY guild_id`, args, func(r *sql.Rows) error {
		var c CheckinReminderData
		var minute, at int64
		if err := r.Scan(&c.GuildID, &minute, &c.Days, &c.Timezone, &at); err != nil {
			return err
		}
		c.Time, c.SetAt = clock(minute), unixUTC(at)
		d.CheckinReminders = append(d.CheckinReminders, c)
		return nil
	}); err != nil {
		return err
	}
	return each(ctx, tx, `SELECT guild_id, last_day, days FROM checkin_runs WHERE user_id = ? ORDER BY guild_id`, args, func(r *sql.Rows) error {
		var c CheckinRunData
		var last int
		if err := r.Scan(&c.GuildID, &last, &c.DaysInRun); err != nil {
			return err
		}
		c.LastDay = dateOf(last)
		d.CheckinRuns = append(d.CheckinRuns, c)
		return nil
	})
}

func exportBuddies(ctx context.Context, tx *sql.Tx, userID string, d *MemberData) error {
	d.BuddySettings, d.BuddyAvoids = []BuddySettingData{}, []BuddyAvoidData{}
	d.PairingSchedulesSet, d.PairingRoundsRun = []PairingScheduleData{}, []PairingRoundRunData{}
	args := []any{userID}
	if err := each(ctx, tx, `SELECT g.guild_id, g.id, g.name, b.active_since, b.paused_until, b.paused_open FROM buddy_members b
		JOIN groups g ON g.id = b.group_id WHERE b.user_id = ? ORDER BY g.guild_id, g.id`, args, func(r *sql.Rows) error {
		var b BuddySettingData
		var gid, since, until int64
		if err := r.Scan(&b.GuildID, &gid, &b.GroupName, &since, &until, &b.PausedOpen); err != nil {
			return err
		}
		b.GroupID, b.ActiveSince = idString(gid), unixUTC(since)
		if until != 0 {
			t := unixUTC(until)
			b.PausedUntil = &t
		}
		d.BuddySettings = append(d.BuddySettings, b)
		return nil
	}); err != nil {
		return err
	}
	if err := each(ctx, tx, `SELECT guild_id, avoid_id, created_at FROM buddy_avoids WHERE user_id = ? ORDER BY guild_id, created_at, avoid_id`, args, func(r *sql.Rows) error {
		var a BuddyAvoidData
		var at int64
		if err := r.Scan(&a.GuildID, &a.AvoidID, &at); err != nil {
			return err
		}
		a.CreatedAt = unixUTC(at)
		d.BuddyAvoids = append(d.BuddyAvoids, a)
		return nil
	}); err != nil {
		return err
	}
	if err := each(ctx, tx, `SELECT g.guild_id, s.group_id, s.updated_at FROM pairing_settings s JOIN groups g ON g.id = s.group_id
		WHERE s.updated_by = ? ORDER BY s.group_id`, args, func(r *sql.Rows) error {
		var s PairingScheduleData
		var gid, at int64
		if err := r.Scan(&s.GuildID, &gid, &at); err != nil {
			return err
		}
		s.GroupID, s.UpdatedAt = idString(gid), unixUTC(at)
		d.PairingSchedulesSet = append(d.PairingSchedulesSet, s)
		return nil
	}); err != nil {
		return err
	}
	return each(ctx, tx, `SELECT g.guild_id, r.group_id, r.id, r.number, r.created_at FROM pairing_rounds r JOIN groups g ON g.id = r.group_id
		WHERE r.run_by = ? ORDER BY r.id`, args, func(r *sql.Rows) error {
		var v PairingRoundRunData
		var gid, rid, at int64
		if err := r.Scan(&v.GuildID, &gid, &rid, &v.RoundNumber, &at); err != nil {
			return err
		}
		v.GroupID, v.RoundID, v.CreatedAt = idString(gid), idString(rid), unixUTC(at)
		d.PairingRoundsRun = append(d.PairingRoundsRun, v)
		return nil
	})
}

func exportPairings(ctx context.Context, tx *sql.Tx, userID string, d *MemberData) error {
	d.Pairings = []PairingData{}
	if err := each(ctx, tx, `SELECT g.guild_id, r.group_id, r.id, r.number, r.created_at, pg.id, pg.thread_id, m.answer, m.answered_at
		FROM pairing_round_members m
		JOIN pairing_round_groups pg ON pg.id = m.round_group_id
		JOIN pairing_rounds r ON r.id = pg.round_id
		JOIN groups g ON g.id = r.group_id
		WHERE m.user_id = ? ORDER BY r.id, pg.id`, []any{userID}, func(r *sql.Rows) error {
		var p PairingData
		var gid, rid, formed, pid int64
		var answered sql.NullInt64
		if err := r.Scan(&p.GuildID, &gid, &rid, &p.RoundNumber, &formed, &pid, &p.ThreadID, &p.Answer, &answered); err != nil {
			return err
		}
		p.GroupID, p.RoundID, p.PairingID, p.FormedAt = idString(gid), idString(rid), idString(pid), unixUTC(formed)
		p.MemberIDs = []string{}
		if answered.Valid {
			t := unixUTC(answered.Int64)
			p.AnsweredAt = &t
		}
		d.Pairings = append(d.Pairings, p)
		return nil
	}); err != nil {
		return err
	}
	// Each pairing's members, the member included, in id order.
	at := make(map[string]int, len(d.Pairings))
	for i, p := range d.Pairings {
		at[p.PairingID] = i
	}
	return each(ctx, tx, `SELECT o.round_group_id, o.user_id FROM pairing_round_members m
		JOIN pairing_round_members o ON o.round_group_id = m.round_group_id
		WHERE m.user_id = ? ORDER BY o.round_group_id, o.user_id`, []any{userID}, func(r *sql.Rows) error {
		var pid int64
		var member string
		if err := r.Scan(&pid, &member); err != nil {
			return err
		}
		if i, ok := at[idString(pid)]; ok {
			d.Pairings[i].MemberIDs = append(d.Pairings[i].MemberIDs, member)
		}
		return nil
	})
}

func exportSupport(ctx context.Context, tx *sql.Tx, userID string, d *MemberData) error {
	d.SupportRequests, d.SupportRequestsTaken, d.SupporterShifts = []SupportRequestData{}, []SupportTakenData{}, []SupporterShiftData{}
	args := []any{userID}
	optional := func(v sql.NullInt64) *time.Time {
		if !v.Valid {
			return nil
		}
		t := unixUTC(v.Int64)
		return &t
	}
	if err := each(ctx, tx, `SELECT guild_id, id, topic, urgent, thread_id, created_at, taken_at, closed_at, close_reason, helped
		FROM support_requests WHERE user_id = ? ORDER BY created_at, id`, args, func(r *sql.Rows) error {
		var s SupportRequestData
		var id, urgent, created int64
		var taken, closed, helped sql.NullInt64
		if err := r.Scan(&s.GuildID, &id, &s.Topic, &urgent, &s.ThreadID, &created, &taken, &closed, &s.CloseReason, &helped); err != nil {
			return err
		}
		s.RequestID, s.Urgent, s.CreatedAt = idString(id), urgent == 1, unixUTC(created)
		s.TakenAt, s.ClosedAt = optional(taken), optional(closed)
		if helped.Valid {
			h := helped.Int64 == 1
			s.Helped = &h
		}
		d.SupportRequests = append(d.SupportRequests, s)
		return nil
	}); err != nil {
		return err
	}
	if err := each(ctx, tx, `SELECT guild_id, id, taken_at, closed_at FROM support_requests
		WHERE taken_by = ? ORDER BY taken_at, id`, args, func(r *sql.Rows) error {
		var s SupportTakenData
		var id int64
		var taken, closed sql.NullInt64
		if err := r.Scan(&s.GuildID, &id, &taken, &closed); err != nil {
			return err
		}
		s.RequestID, s.ClosedAt = idString(id), optional(closed)
		if taken.Valid {
			s.TakenAt = unixUTC(taken.Int64)
		}
		d.SupportRequestsTaken = append(d.SupportRequestsTaken, s)
		return nil
	}); err != nil {
		return err
	}
	return each(ctx, tx, `SELECT guild_id, started_at, ends_at FROM supporter_shifts WHERE user_id = ? ORDER BY guild_id`, args, func(r *sql.Rows) error {
		var s SupporterShiftData
		var started, ends int64
		if err := r.Scan(&s.GuildID, &started, &ends); err != nil {
			return err
		}
		s.StartedAt, s.EndsAt = unixUTC(started), unixUTC(ends)
		d.SupporterShifts = append(d.SupporterShifts, s)
		return nil
	})
}

func exportJobs(ctx context.Context, tx *sql.Tx, userID string, d *MemberData) error {
	d.PendingMessages, d.FailedMessages = []PendingMessageData{}, []FailedMessageData{}
	args := []any{userID}
	if err := each(ctx, tx, `SELECT kind, guild_id, run_at FROM jobs WHERE `+memberJobsWhere+` ORDER BY run_at, id`, args, func(r *sql.Rows) error {
		var j PendingMessageData
		var at int64
		if err := r.Scan(&j.Kind, &j.GuildID, &at); err != nil {
			return err
		}
		j.RunAt = time.UnixMilli(at).UTC()
		d.PendingMessages = append(d.PendingMessages, j)
		return nil
	}); err != nil {
		return err
	}
	return each(ctx, tx, `SELECT kind, guild_id, run_at, failed_at FROM jobs_failed WHERE `+memberJobsWhere+` ORDER BY failed_at, id`, args, func(r *sql.Rows) error {
		var j FailedMessageData
		var at, failed int64
		if err := r.Scan(&j.Kind, &j.GuildID, &at, &failed); err != nil {
			return err
		}
		j.RunAt, j.FailedAt = time.UnixMilli(at).UTC(), time.UnixMilli(failed).UTC()
		d.FailedMessages = append(d.FailedMessages, j)
		return nil
	})
}

// EraseMemberData deletes the member's data in every server in one
// transaction and returns what it deleted: check-ins, check-in reminders
// and runs, preferences, group memberships (past ones too), buddy
// settings, their own avoid list, their rows of pairing history, RSVPs and
// attendance, and the queued and failed work addressed to them (with its
// sent_log marks).
// Kept: moderation records, the server's records the member created
// (groups, meetings, cancellations, pairing schedules and rounds), and
// other members' avoid entries naming them. Erasing twice is harmless:
// the second time deletes nothing.
func (db *DB) EraseMemberData(ctx context.Context, userID string) (ErasedMemberData, error) {
	if err := validMemberID(userID); err != nil {
		return ErasedMemberData{}, err
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return ErasedMemberData{}, err
	}
	defer tx.Rollback()
	var e ErasedMemberData
	steps := []countedStatement{
		{&e.Checkins, `DELETE FROM checkins WHERE user_id = ?1`, nil},
		{&e.CheckinReminders, `DELETE FROM checkin_reminders WHERE user_id = ?1`, nil},
		{&e.CheckinRuns, `DELETE FROM checkin_runs WHERE user_id = ?1`, nil},
		{&e.Preferences, `DELETE FROM member_preferences WHERE user_id = ?1`, nil},
		{&e.GroupMemberships, `DELETE FROM group_members WHERE user_id = ?1`, nil},
		{&e.GroupMemberships, `DELETE FROM past_group_memberships WHERE user_id = ?1`, nil},
		{&e.BuddySettings, `DELETE FROM buddy_members WHERE user_id = ?1`, nil},
		{&e.BuddyAvoids, `DELETE FROM buddy_avoids WHERE user_id = ?1`, nil},
		{&e.Pairings, `DELETE FROM pairing_round_members WHERE user_id = ?1`, nil},
		{&e.RSVPs, `DELETE FROM meeting_rsvps WHERE user_id = ?1`, nil},
		{&e.Attendance, `DELETE FROM meeting_attendance WHERE user_id = ?1`, nil},
		{&e.SupportRequests, `DELETE FROM support_requests WHERE user_id = ?1`, nil},
		{&e.SupporterShifts, `DELETE FROM supporter_shifts WHERE user_id = ?1`, nil},
		{&e.PendingMessages, `DELETE FROM jobs WHERE ` + memberJobsWhere, nil},
		{&e.FailedMessages, `DELETE FROM jobs_failed WHERE ` + memberJobsWhere, nil},
		{&e.SentMessageMarks, `DELETE FROM sent_log WHERE ` + db.dialect.memberSent, nil},
		{&e.Shares, `DELETE FROM shares WHERE user_id = ?1`, nil},
	}
	// The shares' posts and cards are read before their rows go.
	if err := each(ctx, tx, `SELECT channel_id, message_id, card_channel_id, card_message_id FROM shares WHERE user_id = ?1
		ORDER BY id`, []any{userID}, func(r *sql.Rows) error {
		var post, card MessageRef
		if err := r.Scan(&post.ChannelID, &post.MessageID, &card.ChannelID, &card.MessageID); err != nil {
			return err
		}
		for _, m := range []MessageRef{post, card} {
			if m.ChannelID != "" && m.MessageID != "" {
				e.SharePosts = append(e.SharePosts, m)
			}
		}
		return nil
	}); err != nil {
		return ErasedMemberData{}, fmt.Errorf("erase member data: shares: %w", err)
	}
	if err := each(ctx, tx, `SELECT channel_id, card_message_id, thread_id, closed_at IS NULL FROM support_requests
		WHERE user_id = ?1 ORDER BY id`, []any{userID}, func(r *sql.Rows) error {
		var card MessageRef
		var thread string
		var open bool
		if err := r.Scan(&card.ChannelID, &card.MessageID, &thread, &open); err != nil {
			return err
		}
		if card.ChannelID != "" && card.MessageID != "" {
			e.SupportCards = append(e.SupportCards, card)
		}
		if open && thread != "" {
			e.SupportThreads = append(e.SupportThreads, thread)
		}
		return nil
	}); err != nil {
		return ErasedMemberData{}, fmt.Errorf("erase member data: support requests: %w", err)
	}
	if err := execCounted(ctx, tx, steps, userID); err != nil {
		return ErasedMemberData{}, fmt.Errorf("erase member data: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return ErasedMemberData{}, fmt.Errorf("erase member data: %w", err)
	}
	return e, nil
}

// countedStatement is one statement of a change spanning several tables,
// and the counter that adds up the rows it touched.
type countedStatement struct {
	n     *int
	query string
	args  []any // after the arguments every statement shares
}

// execCounted runs each statement in tx with the shared args, then its
// own, adding the rows it touched to its counter.
func execCounted(ctx context.Context, tx *sql.Tx, steps []countedStatement, shared ...any) error {
	for _, s := range steps {
		res, err := tx.ExecContext(ctx, s.query, append(slices.Clone(shared), s.args...)...)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		*s.n += int(n)
	}
	return nil
}
