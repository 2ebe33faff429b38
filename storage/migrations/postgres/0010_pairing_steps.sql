-- The steps of opening a pairing's private thread, each recorded when it
-- is done (unix seconds; 0 when not yet): the thread itself (thread_id),
-- then its buddies added to it (invited_at), then the introduction posted
-- (intro_posted_at). A round run again after a crash or a Discord outage
-- resumes the missing steps of each pairing instead of skipping a thread
-- that nobody can see.
ALTER TABLE pairing_round_groups ADD COLUMN invited_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE pairing_round_groups ADD COLUMN intro_posted_at BIGINT NOT NULL DEFAULT 0;

-- No backfill of threads opened before the steps were recorded: no PostgreSQL database predates this step.
