-- Anonymous sharing (/share, /shares, "Warn anonymous author").
--
-- A share's author is in shares.user_id and nowhere else: Discord sees only
-- Kindred posting, and moderators see the share by its id. Component ids
-- and mod-log entries carry the share's id, never the author's, and the
-- author is looked up here, server-side. Anyone with database access can
-- see who wrote what; the README says so.

-- Settings: whether shares wait for a moderator's approval (1, the
-- default) or are posted at once (0).
ALTER TABLE guild_settings ADD COLUMN share_vetting INTEGER NOT NULL DEFAULT 1 CHECK (share_vetting IN (0, 1));

-- A share. state: pending (waiting on the vetting card), posted, rejected,
-- or deleted (the author deleted it: text and content warning are
-- emptied, the row stays so the day's limit still counts it). crisis is 1
-- when the text mentions self-harm or suicide, to mark the vetting card.
-- The vetting card (card_*) and the post (channel_id, message_id,
-- thread_id) are '' until they exist. decided_by is the moderator who
-- approved or rejected it. Times are unix seconds.
CREATE TABLE shares (
    id              INTEGER PRIMARY KEY,
    guild_id        TEXT NOT NULL,
    group_id        INTEGER NOT NULL REFERENCES groups (id),
    user_id         TEXT NOT NULL,
    text            TEXT NOT NULL,
    content_warning TEXT NOT NULL DEFAULT '',
    crisis          INTEGER NOT NULL DEFAULT 0 CHECK (crisis IN (0, 1)),
    state           TEXT NOT NULL CHECK (state IN ('pending', 'posted', 'rejected', 'deleted')),
    created_at      INTEGER NOT NULL,
    card_channel_id TEXT NOT NULL DEFAULT '',
    card_message_id TEXT NOT NULL DEFAULT '',
    channel_id      TEXT NOT NULL DEFAULT '',
    message_id      TEXT NOT NULL DEFAULT '',
    thread_id       TEXT NOT NULL DEFAULT '',
    posted_at       INTEGER,
    decided_by      TEXT NOT NULL DEFAULT '',
    decided_at      INTEGER,
    reject_reason   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX shares_by_member ON shares (guild_id, user_id, created_at);
CREATE INDEX shares_by_user ON shares (user_id);
CREATE INDEX shares_by_message ON shares (message_id) WHERE message_id <> '';
CREATE INDEX shares_by_card ON shares (card_message_id) WHERE card_message_id <> '';

-- Warnings given through a share ("Warn anonymous author"): which case
-- came from which share. The warning itself is an ordinary row of
-- warnings, linked to the member; this marks it so moderators' views of a
-- member's record leave it out. No user id: share_id is not a foreign key,
-- so erasing the author's shares keeps the mark (and the moderation record).
CREATE TABLE share_warnings (
    guild_id    TEXT NOT NULL,
    case_number INTEGER NOT NULL,
    share_id    INTEGER NOT NULL,
    PRIMARY KEY (guild_id, case_number)
) WITHOUT ROWID;

-- Members a moderator blocked from sharing in a server, after a warning
-- through a share. A moderation record: kept by /mydata delete.
CREATE TABLE share_blocks (
    guild_id   TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    share_id   INTEGER NOT NULL, -- the share the block was made from
    blocked_by TEXT NOT NULL,
    blocked_at INTEGER NOT NULL,
    PRIMARY KEY (guild_id, user_id)
) WITHOUT ROWID;
CREATE INDEX share_blocks_by_user ON share_blocks (user_id);
