-- Buddies: members opt in to pairing per group; on the group's schedule
-- they are paired (or put in trios) and each pair gets a private thread.

-- A group's pairing schedule, set with /pairing configure.
CREATE TABLE pairing_settings (
    group_id      INTEGER PRIMARY KEY REFERENCES groups (id),
    recurrence    TEXT NOT NULL,  -- scheduler.Recurrence.Encode(), in the group's timezone
    size          INTEGER NOT NULL CHECK (size IN (2, 3)),
    followup_days INTEGER NOT NULL CHECK (followup_days BETWEEN 1 AND 14),
    updated_by    TEXT NOT NULL,
    updated_at    INTEGER NOT NULL
);

-- Who takes part in pairing in which group: member data (user_id).
-- paused_until (unix seconds) skips rounds before it; paused_open is an
-- open-ended pause (three pairings in a row unanswered) that lasts until
-- the member runs /buddy join again. active_since is when the member last
-- joined, so pairings before a rejoin don't count against them.
CREATE TABLE buddy_members (
    group_id     INTEGER NOT NULL REFERENCES groups (id),
    user_id      TEXT NOT NULL,
    active_since INTEGER NOT NULL,
    paused_until INTEGER NOT NULL DEFAULT 0,
    paused_open  INTEGER NOT NULL DEFAULT 0 CHECK (paused_open IN (0, 1)),
    PRIMARY KEY (group_id, user_id)
) WITHOUT ROWID;
CREATE INDEX buddy_members_by_user ON buddy_members (user_id);

-- "Never pair me with this person": private to user_id, never shown.
CREATE TABLE buddy_avoids (
    guild_id   TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    avoid_id   TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (guild_id, user_id, avoid_id)
) WITHOUT ROWID;
CREATE INDEX buddy_avoids_by_avoided ON buddy_avoids (avoid_id);

-- A round of pairing in a group. job_key is the dedupe key of the
-- scheduled job that formed it (NULL for /pairing run), so a job run again
-- after a crash finds its round instead of forming another.
CREATE TABLE pairing_rounds (
    id         INTEGER PRIMARY KEY,
    group_id   INTEGER NOT NULL REFERENCES groups (id),
    number     INTEGER NOT NULL,
    job_key    TEXT UNIQUE,
    run_by     TEXT NOT NULL DEFAULT '',  -- the facilitator, for /pairing run
    created_at INTEGER NOT NULL
);
CREATE INDEX pairing_rounds_by_group ON pairing_rounds (group_id, id);

-- One pair or trio of a round, and its private thread once opened.
CREATE TABLE pairing_round_groups (
    id        INTEGER PRIMARY KEY,
    round_id  INTEGER NOT NULL REFERENCES pairing_rounds (id),
    prompt    INTEGER NOT NULL,
    thread_id TEXT NOT NULL DEFAULT ''
);
CREATE INDEX pairing_round_groups_by_round ON pairing_round_groups (round_id);

-- The members of a pair or trio and their follow-up answer:
-- '' (none), 'talked' or 'notyet'.
CREATE TABLE pairing_round_members (
    round_group_id INTEGER NOT NULL REFERENCES pairing_round_groups (id),
    user_id        TEXT NOT NULL,
    answer         TEXT NOT NULL DEFAULT '' CHECK (answer IN ('', 'talked', 'notyet')),
    answered_at    INTEGER,
    PRIMARY KEY (round_group_id, user_id)
) WITHOUT ROWID;
CREATE INDEX pairing_round_members_by_user ON pairing_round_members (user_id);
