-- Server settings chosen with /kindred setup. Empty strings mean "not set".
CREATE TABLE guild_settings (
    guild_id            TEXT PRIMARY KEY,
    modlog_channel_id   TEXT NOT NULL DEFAULT '',
    moderator_role_id   TEXT NOT NULL DEFAULT '',
    facilitator_role_id TEXT NOT NULL DEFAULT '',
    timezone            TEXT NOT NULL DEFAULT '',
    resources_text      TEXT NOT NULL DEFAULT '',
    updated_at          INTEGER NOT NULL
);

-- A member's own preferences. They belong to the member, not to a server.
-- Quiet hours are minutes after local midnight; both NULL when off.
CREATE TABLE member_preferences (
    user_id     TEXT PRIMARY KEY,
    timezone    TEXT NOT NULL DEFAULT '',
    quiet_start INTEGER,
    quiet_end   INTEGER,
    dms_enabled INTEGER NOT NULL DEFAULT 1,
    updated_at  INTEGER NOT NULL,
    CHECK ((quiet_start IS NULL) = (quiet_end IS NULL))
);
