-- Check-ins: a member's mood, kept per server. Member data (user_id):
-- exported and erased with /mydata. local_date is the member's own
-- calendar day when they checked in ('YYYY-MM-DD', worked out by the caller
-- in the member's timezone): streaks and history count those days, not UTC
-- ones. group_id is the group the check-in was shared with or tagged for,
-- NULL for none. The note is personal text: never logged, never shown to
-- anyone but its author unless shared is 1.
CREATE TABLE checkins (
    id         INTEGER PRIMARY KEY,
    guild_id   TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    group_id   INTEGER REFERENCES groups (id),
    mood       INTEGER NOT NULL CHECK (mood BETWEEN 1 AND 5),
    note       TEXT NOT NULL DEFAULT '',
    shared     INTEGER NOT NULL DEFAULT 0 CHECK (shared IN (0, 1)),
    local_date TEXT NOT NULL CHECK (local_date GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
    created_at INTEGER NOT NULL  -- unix seconds, UTC
);

-- A member's check-ins by day. It serves every read: history and the
-- streak walk (one member, a range of days, newest first for the streak),
-- daily moods (covering: mood is in the index, so no table rows are read),
-- and group summaries, which go member by member through group_members
-- and seek each member's range here. user_id leads so that /mydata finds a
-- member's check-ins in every server without a scan. A second index by
-- (guild_id, local_date) would only pay off for server-wide summaries,
-- which nothing asks for, and every index slows every check-in write.
CREATE INDEX checkins_by_member ON checkins (user_id, guild_id, local_date, mood);

-- privacy.checkin_retention_days deletes by age; without this the nightly
-- purge would scan the whole table while holding the write lock.
CREATE INDEX checkins_by_time ON checkins (created_at);

-- A member's daily check-in prompt in a server: minute_of_day in the
-- member's timezone (stored with it, so a prompt can be planned without
-- looking the member up), on every day or on weekdays only. The queued
-- prompt itself is a job (dedupe key "checkin:prompt:<guild>:<user>:…").
CREATE TABLE checkin_reminders (
    guild_id      TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    minute_of_day INTEGER NOT NULL CHECK (minute_of_day BETWEEN 0 AND 1439),
    days          TEXT NOT NULL CHECK (days IN ('daily', 'weekdays')),
    timezone      TEXT NOT NULL,
    created_at    INTEGER NOT NULL,  -- unix seconds, UTC: when the member last set it
    -- user_id first: /mydata finds a member's reminders in every server.
    PRIMARY KEY (user_id, guild_id)
) WITHOUT ROWID;

-- A member's current run of check-in days in a server, kept up to date by
-- each check-in so that recording one costs the same after a year of
-- daily check-ins as on day one. last_day and the count follow the gentle
-- rule of GentleStreak; the walk over checkins remains the truth whenever
-- this row is missing or a check-in lands before last_day. Member data:
-- erased with /mydata.
CREATE TABLE checkin_runs (
    user_id  TEXT NOT NULL,
    guild_id TEXT NOT NULL,
    last_day INTEGER NOT NULL,  -- days since 1970-01-01 of the latest check-in day
    days     INTEGER NOT NULL,  -- days with a check-in in the run ending at last_day
    PRIMARY KEY (user_id, guild_id)
) WITHOUT ROWID;
