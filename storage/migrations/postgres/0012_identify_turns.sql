-- When each gateway rate limit key (shard_id % max_concurrency) last
-- identified, as the database's clock saw it (storage.IdentifyTurn).
-- Discord lets a key start one session per 5 seconds across every process
-- of the bot; the processes sharing this database take turns under an
-- advisory lock per key and wait out the time since this row. Not data:
-- it holds no member's id, and a copy of the database leaves it out.
CREATE TABLE identify_turns (
    rate_key      INTEGER NOT NULL PRIMARY KEY, -- shard_id % max_concurrency
    identified_at BIGINT NOT NULL               -- unix milliseconds, UTC
);
