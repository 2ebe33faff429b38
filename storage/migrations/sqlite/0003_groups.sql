-- Peer support groups. A name is unique in its server, ignoring case, and
-- stays taken while the group is archived: an archived group keeps its
-- history under its name. Empty strings mean "not set": no role, no
-- commitment note, the default guidelines, the server's timezone.
-- archived_at is NULL while the group is active.
CREATE TABLE groups (
    id           INTEGER PRIMARY KEY,
    guild_id     TEXT NOT NULL,
    name         TEXT NOT NULL COLLATE NOCASE,
    description  TEXT NOT NULL,
    type         TEXT NOT NULL CHECK (type IN ('mental-health', 'recovery', 'personal-development', 'other')),
    channel_id   TEXT NOT NULL,
    role_id      TEXT NOT NULL DEFAULT '',
    facilitation TEXT NOT NULL DEFAULT 'peer-led' CHECK (facilitation IN ('peer-led', 'facilitated', 'structured')),
    commitment   TEXT NOT NULL DEFAULT '',
    guidelines   TEXT NOT NULL DEFAULT '',
    timezone     TEXT NOT NULL DEFAULT '',
    archived_at  INTEGER,
    created_by   TEXT NOT NULL, -- the facilitator's user id
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    UNIQUE (guild_id, name)
);

-- Who belongs to which group: a member's data (user_id), erased with
-- /mydata delete. Membership starts when the member agrees to the group's
-- guidelines.
CREATE TABLE group_members (
    group_id  INTEGER NOT NULL REFERENCES groups (id),
    user_id   TEXT NOT NULL,
    joined_at INTEGER NOT NULL,
    PRIMARY KEY (group_id, user_id)
) WITHOUT ROWID;

-- A member's groups, for /mydata and for "which groups am I in".
CREATE INDEX group_members_user ON group_members (user_id);
