-- The steps of opening a pairing's private thread, each recorded when it
-- is done (unix seconds; 0 when not yet): the thread itself (thread_id),
-- then its buddies added to it (invited_at), then the introduction posted
-- (intro_posted_at). A round run again after a crash or a Discord outage
-- resumes the missing steps of each pairing instead of skipping a thread
-- that nobody can see.
ALTER TABLE pairing_round_groups ADD COLUMN invited_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE pairing_round_groups ADD COLUMN intro_posted_at INTEGER NOT NULL DEFAULT 0;

-- Threads opened before the steps were recorded are taken as finished:
-- introducing their members again, weeks later, would be a surprise.
UPDATE pairing_round_groups
SET invited_at = (SELECT created_at FROM pairing_rounds r WHERE r.id = pairing_round_groups.round_id),
    intro_posted_at = (SELECT created_at FROM pairing_rounds r WHERE r.id = pairing_round_groups.round_id)
WHERE thread_id <> '';
