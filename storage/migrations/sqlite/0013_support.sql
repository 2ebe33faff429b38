-- Support on request: the server's peer supporters go on duty for a few
-- hours; a member asks with /support and gets a private thread in the
-- support channel, which one supporter takes.

-- Which role marks peer supporters, and where support threads open.
ALTER TABLE guild_settings ADD COLUMN supporter_role_id TEXT NOT NULL DEFAULT '';
ALTER TABLE guild_settings ADD COLUMN support_channel_id TEXT NOT NULL DEFAULT '';

-- A supporter on duty until ends_at (unix seconds). The row is deleted
-- when the shift ends, by /supporter off, by its end job, or when Kindred
-- finds the member no longer holds the supporter role.
CREATE TABLE supporter_shifts (
    guild_id   TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    ends_at    INTEGER NOT NULL,
    PRIMARY KEY (guild_id, user_id)
) WITHOUT ROWID;

-- A member's request for someone to talk to. user_id asked; taken_by is
-- the supporter who took it ('' while waiting). closed_at is NULL while
-- open; close_reason says who ended it: member, supporter, moderator or
-- inactive. last_activity_at is the last recorded event (opened, taken).
-- helped is NULL until the member answers "did it help?" (1 or 0).
CREATE TABLE support_requests (
    id               INTEGER PRIMARY KEY,
    guild_id         TEXT NOT NULL,
    user_id          TEXT NOT NULL,
    topic            TEXT NOT NULL DEFAULT '',
    urgent           INTEGER NOT NULL DEFAULT 0,
    channel_id       TEXT NOT NULL DEFAULT '',
    thread_id        TEXT NOT NULL DEFAULT '',
    card_message_id  TEXT NOT NULL DEFAULT '',
    created_at       INTEGER NOT NULL,
    taken_by         TEXT NOT NULL DEFAULT '',
    taken_at         INTEGER,
    last_activity_at INTEGER NOT NULL,
    closed_at        INTEGER,
    close_reason     TEXT NOT NULL DEFAULT '' CHECK (close_reason IN ('', 'member', 'supporter', 'moderator', 'inactive')),
    helped           INTEGER
);
-- One open request per member per server.
CREATE UNIQUE INDEX support_requests_one_open ON support_requests (guild_id, user_id) WHERE closed_at IS NULL;
CREATE INDEX support_requests_by_guild ON support_requests (guild_id, created_at);
CREATE INDEX support_requests_by_user ON support_requests (user_id);
CREATE INDEX support_requests_by_taker ON support_requests (taken_by) WHERE taken_by <> '';
