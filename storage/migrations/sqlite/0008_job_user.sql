-- The member a job is about (a DM's addressee, a check-in prompt's
-- member), as a column: /mydata export and delete find a member's queued
-- and failed work through an index instead of reading every payload.
-- '' for work about no one member (meeting reminders, pairing rounds).
ALTER TABLE jobs ADD COLUMN user_id TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs_failed ADD COLUMN user_id TEXT NOT NULL DEFAULT '';

-- Existing work names its member in the payload's user_id (DMs and
-- check-in prompts carry it). A payload that is not valid JSON is skipped,
-- not an error: CASE keeps json_type from reading it.
UPDATE jobs SET user_id = json_extract(payload, '$.user_id')
WHERE CASE WHEN json_valid(payload) THEN json_type(payload, '$.user_id') END = 'text';
UPDATE jobs_failed SET user_id = json_extract(payload, '$.user_id')
WHERE CASE WHEN json_valid(payload) THEN json_type(payload, '$.user_id') END = 'text';

-- A check-in prompt whose payload does not name its member still does in
-- its dedupe key, checkin:prompt:<guild>:<user>:<unix> (the prompt's DM
-- appends :dm).
WITH prompt AS (
    SELECT id, substr(dedupe_key, 16) AS rest FROM jobs
    WHERE user_id = '' AND substr(dedupe_key, 1, 15) = 'checkin:prompt:'
), after_guild AS (
    SELECT id, substr(rest, instr(rest, ':') + 1) AS rest FROM prompt WHERE instr(rest, ':') > 0
), member AS (
    SELECT id, substr(rest, 1, instr(rest, ':') - 1) AS user_id FROM after_guild WHERE instr(rest, ':') > 1
)
UPDATE jobs SET user_id = member.user_id FROM member WHERE jobs.id = member.id;

WITH prompt AS (
    SELECT id, substr(dedupe_key, 16) AS rest FROM jobs_failed
    WHERE user_id = '' AND substr(dedupe_key, 1, 15) = 'checkin:prompt:'
), after_guild AS (
    SELECT id, substr(rest, instr(rest, ':') + 1) AS rest FROM prompt WHERE instr(rest, ':') > 0
), member AS (
    SELECT id, substr(rest, 1, instr(rest, ':') - 1) AS user_id FROM after_guild WHERE instr(rest, ':') > 1
)
UPDATE jobs_failed SET user_id = member.user_id FROM member WHERE jobs_failed.id = member.id;

-- Most jobs are about no one member; only the rows that are get an index
-- entry. A query must say user_id <> '' for SQLite to use these.
CREATE INDEX jobs_by_user ON jobs (user_id) WHERE user_id <> '';
CREATE INDEX jobs_failed_by_user ON jobs_failed (user_id) WHERE user_id <> '';
