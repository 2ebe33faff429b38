-- The Kindred processes running on this database, each keeping its row
-- fresh while it runs (storage.Heartbeat) and deleting it when it stops
-- (storage.Leave). A row whose heartbeat is older than storage.ProcessTTL
-- belongs to a process that died and is deleted by the next heartbeat of
-- any process. The processes divide Discord's global rate limit by how
-- many are live. Not data: it holds no member's id, and a copy of the
-- database leaves it out.
CREATE TABLE processes (
    id           TEXT NOT NULL PRIMARY KEY, -- random, chosen by the process at start
    started_at   INTEGER NOT NULL,          -- unix milliseconds, UTC
    heartbeat_at INTEGER NOT NULL           -- unix milliseconds, UTC
);
