-- A meeting is a one-off or a series of a group. Its occurrences are not
-- stored: they follow from first_start and recurrence (see
-- scheduler.Recurrence); only exceptions (cancellations), answers and
-- attendance are rows.
CREATE TABLE meetings (
    id                  INTEGER PRIMARY KEY,
    guild_id            TEXT NOT NULL,
    group_id            INTEGER NOT NULL REFERENCES groups (id),
    title               TEXT NOT NULL,
    first_start         INTEGER NOT NULL,  -- unix seconds, UTC
    duration_minutes    INTEGER NOT NULL,
    format              TEXT NOT NULL,     -- online | in-person | hybrid
    location            TEXT NOT NULL DEFAULT '',
    recurrence          TEXT NOT NULL,     -- scheduler.Recurrence.Encode()
    timezone            TEXT NOT NULL,
    reminders           TEXT NOT NULL,     -- offsets in seconds, comma-separated, longest first
    announce_channel_id TEXT NOT NULL DEFAULT '',
    announce_message_id TEXT NOT NULL DEFAULT '',
    created_by          TEXT NOT NULL,
    created_at          INTEGER NOT NULL,
    cancelled_at        INTEGER            -- the whole series
);
CREATE INDEX meetings_by_guild ON meetings (guild_id, cancelled_at);
CREATE INDEX meetings_by_group ON meetings (group_id);

-- Occurrences cancelled one at a time, by their original start.
CREATE TABLE meeting_cancellations (
    meeting_id INTEGER NOT NULL REFERENCES meetings (id),
    starts_at  INTEGER NOT NULL,
    cancelled_by TEXT NOT NULL,
    cancelled_at INTEGER NOT NULL,
    PRIMARY KEY (meeting_id, starts_at)
);

-- A member's answer for one occurrence: going | maybe | no.
CREATE TABLE meeting_rsvps (
    meeting_id INTEGER NOT NULL REFERENCES meetings (id),
    starts_at  INTEGER NOT NULL,
    user_id    TEXT NOT NULL,
    answer     TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (meeting_id, starts_at, user_id)
);
CREATE INDEX meeting_rsvps_by_user ON meeting_rsvps (user_id);

-- "I'm here" during an occurrence.
CREATE TABLE meeting_attendance (
    meeting_id INTEGER NOT NULL REFERENCES meetings (id),
    starts_at  INTEGER NOT NULL,
    user_id    TEXT NOT NULL,
    marked_at  INTEGER NOT NULL,
    PRIMARY KEY (meeting_id, starts_at, user_id)
);
CREATE INDEX meeting_attendance_by_user ON meeting_attendance (user_id);

-- What timed work has already done outside the database (a message
-- posted), keyed by the job's dedupe key and the step, so that a job run
-- again after a crash does not post twice.
CREATE TABLE sent_log (
    key     TEXT PRIMARY KEY,
    ref     TEXT NOT NULL DEFAULT '',  -- e.g. the message id
    sent_at INTEGER NOT NULL
);
