-- Moderation: warnings with per-server case numbers, escalation rules, and
-- reports made with the "Report to moderators" message menu. Warnings and
-- reports are moderation records: /mydata delete keeps them. Every user id
-- is in a column named for its role (user_id, moderator_id, revoked_by,
-- reporter_id, reported_id) so an export can find them.

-- A warning. case_number counts up from 1 in each server with no gaps; it
-- is allocated in the same write transaction that inserts the row.
-- Times are unix seconds; revoked_at is NULL while the warning stands.
CREATE TABLE warnings (
    id            INTEGER PRIMARY KEY,
    guild_id      TEXT NOT NULL,
    case_number   INTEGER NOT NULL CHECK (case_number >= 1),
    user_id       TEXT NOT NULL,
    moderator_id  TEXT NOT NULL,
    reason        TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    revoked_at    INTEGER,
    revoked_by    TEXT NOT NULL DEFAULT '',
    revoke_reason TEXT NOT NULL DEFAULT '',
    UNIQUE (guild_id, case_number)
);
CREATE INDEX warnings_by_member ON warnings (guild_id, user_id);
CREATE INDEX warnings_by_user ON warnings (user_id);
CREATE INDEX warnings_by_moderator ON warnings (moderator_id);

-- What happens when a member reaches exactly `warnings` active warnings.
-- duration_seconds is the timeout's length; 0 for kick and ban.
CREATE TABLE escalation_rules (
    guild_id         TEXT NOT NULL,
    warnings         INTEGER NOT NULL CHECK (warnings BETWEEN 1 AND 50),
    action           TEXT NOT NULL CHECK (action IN ('timeout', 'kick', 'ban')),
    duration_seconds INTEGER NOT NULL DEFAULT 0 CHECK (duration_seconds >= 0),
    updated_by       TEXT NOT NULL,
    updated_at       INTEGER NOT NULL,
    PRIMARY KEY (guild_id, warnings)
) WITHOUT ROWID;

-- A report of a message. delivered_at is NULL until it has been posted to
-- the server's mod-log channel; pending reports are posted once one is set.
CREATE TABLE reports (
    id           INTEGER PRIMARY KEY,
    guild_id     TEXT NOT NULL,
    reporter_id  TEXT NOT NULL,
    reported_id  TEXT NOT NULL,
    channel_id   TEXT NOT NULL,
    message_id   TEXT NOT NULL,
    reason       TEXT NOT NULL,
    excerpt      TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    delivered_at INTEGER
);
CREATE INDEX reports_pending ON reports (guild_id, id) WHERE delivered_at IS NULL;
CREATE INDEX reports_by_reporter ON reports (reporter_id);
CREATE INDEX reports_by_reported ON reports (reported_id);
