-- Memberships that have ended: when a member leaves a group, their
-- group_members row moves here with the time they left. Together the two
-- tables answer who belonged to a group at any moment, which group
-- check-in summaries need: a summary counts the members a group had when
-- its window began, so a leave or a join afterwards changes nothing.
-- A member's data (user_id): exported, and erased with /mydata delete.
-- Memberships ended before this table existed are not known.
CREATE TABLE past_group_memberships (
    group_id  BIGINT NOT NULL REFERENCES groups (id),
    user_id   TEXT COLLATE "C" NOT NULL,
    joined_at BIGINT NOT NULL,  -- unix seconds, UTC
    left_at   BIGINT NOT NULL,  -- unix seconds, UTC; after joined_at
    CHECK (left_at > joined_at),
    PRIMARY KEY (group_id, user_id, joined_at)
);

-- A member's past memberships, for /mydata.
CREATE INDEX past_group_memberships_user ON past_group_memberships (user_id);
