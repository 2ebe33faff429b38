-- Timed work: every future action is a row here, written in the same
-- transaction as the thing it belongs to. Times are unix milliseconds, UTC.
-- A job is claimable when run_at and locked_until (its lease; 0 when not
-- claimed) have both passed; a crash while it runs leaves the lease to
-- expire, and the job runs again.
-- AUTOINCREMENT: an id names one job for good (in logs, in jobs_failed),
-- never a later one that reused the rowid of a deleted row.
CREATE TABLE jobs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    kind         TEXT NOT NULL,
    guild_id     TEXT NOT NULL DEFAULT '',
    payload      TEXT NOT NULL DEFAULT 'null',  -- JSON
    run_at       INTEGER NOT NULL,
    dedupe_key   TEXT NOT NULL UNIQUE,
    locked_until INTEGER NOT NULL DEFAULT 0,
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL
);

-- "When can this job be claimed": both the claim and the scheduler's
-- "when is the next one" walk this index from its low end, so they touch
-- only due rows however many lie in the future. Queries must spell the
-- expression exactly like this to use it.
CREATE INDEX jobs_claimable ON jobs (max(run_at, locked_until));

-- Jobs that used up their attempts (or have no handler), kept with their
-- last error for an operator to inspect. id is the id the job had in jobs.
CREATE TABLE jobs_failed (
    id         INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL,
    guild_id   TEXT NOT NULL,
    payload    TEXT NOT NULL,
    run_at     INTEGER NOT NULL,
    dedupe_key TEXT NOT NULL,
    attempts   INTEGER NOT NULL,
    last_error TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    failed_at  INTEGER NOT NULL
);
CREATE INDEX jobs_failed_by_time ON jobs_failed (failed_at);
