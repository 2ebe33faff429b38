-- The member a job is about (a DM's addressee, a check-in prompt's
-- member), as a column: /mydata export and delete find a member's queued
-- and failed work through an index instead of reading every payload.
-- '' for work about no one member (meeting reminders, pairing rounds).
ALTER TABLE jobs ADD COLUMN user_id TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE jobs_failed ADD COLUMN user_id TEXT COLLATE "C" NOT NULL DEFAULT '';

-- No backfill from payloads or dedupe keys: no PostgreSQL database predates this step.

-- Most jobs are about no one member; only the rows that are get an index
-- entry. A query must say user_id <> '' to use these.
CREATE INDEX jobs_by_user ON jobs (user_id) WHERE user_id <> '';
CREATE INDEX jobs_failed_by_user ON jobs_failed (user_id) WHERE user_id <> '';
