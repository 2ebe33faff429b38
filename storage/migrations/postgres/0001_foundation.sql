-- PostgreSQL's schema is SQLite's, column for column. Integers are BIGINT
-- (unix times, ids, 0/1 flags); text columns compare byte by byte
-- (COLLATE "C", as SQLite's BINARY does) whatever the database's default
-- collation, so that ranges over keys and the order of ids do not depend
-- on the server's locale.

-- Server settings chosen with /kindred setup. Empty strings mean "not set".
CREATE TABLE guild_settings (
    guild_id            TEXT COLLATE "C" PRIMARY KEY,
    modlog_channel_id   TEXT COLLATE "C" NOT NULL DEFAULT '',
    moderator_role_id   TEXT COLLATE "C" NOT NULL DEFAULT '',
    facilitator_role_id TEXT COLLATE "C" NOT NULL DEFAULT '',
    timezone            TEXT COLLATE "C" NOT NULL DEFAULT '',
    resources_text      TEXT COLLATE "C" NOT NULL DEFAULT '',
    updated_at          BIGINT NOT NULL
);

-- A member's own preferences. They belong to the member, not to a server.
-- Quiet hours are minutes after local midnight; both NULL when off.
CREATE TABLE member_preferences (
    user_id     TEXT COLLATE "C" PRIMARY KEY,
    timezone    TEXT COLLATE "C" NOT NULL DEFAULT '',
    quiet_start BIGINT,
    quiet_end   BIGINT,
    dms_enabled BIGINT NOT NULL DEFAULT 1,
    updated_at  BIGINT NOT NULL,
    CHECK ((quiet_start IS NULL) = (quiet_end IS NULL))
);
