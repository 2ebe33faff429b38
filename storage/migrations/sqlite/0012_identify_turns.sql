-- When each gateway rate limit key (shard_id % max_concurrency) last
-- identified (storage.IdentifyTurn). Only PostgreSQL, which several
-- processes may share, keeps it up to date: a process alone with its
-- SQLite file takes its turns in memory. The table is here so that a
-- schema version means the same tables on either engine. Not data, and a
-- copy of the database leaves it out.
CREATE TABLE identify_turns (
    rate_key      INTEGER NOT NULL PRIMARY KEY, -- shard_id % max_concurrency
    identified_at INTEGER NOT NULL              -- unix milliseconds, UTC
);
