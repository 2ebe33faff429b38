package storage

import (
	"errors"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mattn/go-sqlite3"
)

// dialect is what SQLite and PostgreSQL spell differently, each
// difference once. Everything else is written once, for both: ? placeholders
// (rebound for PostgreSQL, see postgres.go), RETURNING, ON CONFLICT,
// integer unix times, Discord ids as text.
type dialect struct {
	name string // "sqlite" or "postgres"

	// claimJobs leases due jobs. Arguments: lease end, now, limit.
	// RETURNING yields jobColumns in no particular order.
	claimJobs string
	// nextJobTime is when the next job can be claimed (no arguments).
	nextJobTime string
	// streakFirst and streakMore return one chunk of a member's check-in
	// dates run together, and how many (see checkinStreak).
	streakFirst, streakMore string
	// memberSent matches sent_log keys of work addressed to the member ?1:
	// the user id is one ':'-separated part of the key.
	memberSent string
	// byGroupName orders groups g by name ignoring case, as SQLite's
	// NOCASE does (ASCII letters folded, then bytes), then by id.
	byGroupName string
	// maxWriteGroup is how many writes may share a commit (see commit.go).
	maxWriteGroup int
	// claimsInParallel: claimJobs locks only the rows it takes and skips
	// locked ones, so it runs outside the write lock (see ClaimDueJobs).
	claimsInParallel bool
}

// max(run_at, locked_until) is "when can this job be claimed", spelled
// exactly as in the jobs_claimable index of each engine so that the
// claim and nextJobTime walk the index from its low end.
const (
	jobColumns = `id, kind, guild_id, user_id, payload, run_at, dedupe_key, attempts, last_error`

	streakChunk = `(SELECT local_date FROM checkins
		WHERE user_id = ? AND guild_id = ? AND local_date %s ? ORDER BY local_date DESC LIMIT ?) AS chunk`
)

var sqliteDialect = dialect{
	name: "sqlite",
	claimJobs: `UPDATE jobs SET locked_until = ?, attempts = attempts + 1
		WHERE id IN (
			SELECT id FROM jobs
			WHERE max(run_at, locked_until) <= ?
			ORDER BY max(run_at, locked_until)
			LIMIT ?
		)
		RETURNING ` + jobColumns,
	nextJobTime:   `SELECT max(run_at, locked_until) FROM jobs ORDER BY max(run_at, locked_until) LIMIT 1`,
	streakFirst:   `SELECT group_concat(local_date, ''), COUNT(*) FROM ` + strings.Replace(streakChunk, "%s", "<=", 1),
	streakMore:    `SELECT group_concat(local_date, ''), COUNT(*) FROM ` + strings.Replace(streakChunk, "%s", "<", 1),
	memberSent:    `instr(key || ':', ':' || ?1 || ':') > 0`,
	byGroupName:   `g.name, g.id`,
	maxWriteGroup: maxWriteGroup,
}

// On PostgreSQL the claim locks the rows it takes and skips rows another
// claim has locked, so claims never wait for each other.
var postgresDialect = dialect{
	name: "postgres",
	claimJobs: `WITH due AS (
			SELECT id FROM jobs
			WHERE GREATEST(run_at, locked_until) <= ?2
			ORDER BY GREATEST(run_at, locked_until)
			LIMIT ?3
			FOR UPDATE SKIP LOCKED
		)
		UPDATE jobs SET locked_until = ?1, attempts = jobs.attempts + 1
		FROM due WHERE jobs.id = due.id
		RETURNING jobs.id, jobs.kind, jobs.guild_id, jobs.user_id, jobs.payload, jobs.run_at,
			jobs.dedupe_key, jobs.attempts, jobs.last_error`,
	nextJobTime: `SELECT GREATEST(run_at, locked_until) FROM jobs ORDER BY GREATEST(run_at, locked_until) LIMIT 1`,
	streakFirst: `SELECT string_agg(local_date, ''), COUNT(*) FROM ` + strings.Replace(streakChunk, "%s", "<=", 1),
	streakMore:  `SELECT string_agg(local_date, ''), COUNT(*) FROM ` + strings.Replace(streakChunk, "%s", "<", 1),
	memberSent:  `strpos(key || ':', ':' || ?1 || ':') > 0`,
	// The name's own collation (kindred_nocase) sorts by language rules;
	// this keeps SQLite's order.
	byGroupName:      `lower(g.name) COLLATE "C", g.id`,
	maxWriteGroup:    64,
	claimsInParallel: true,
}

// isUniqueViolation reports whether err is the database refusing a
// duplicate under a UNIQUE or PRIMARY KEY constraint.
func isUniqueViolation(err error) bool {
	var se sqlite3.Error
	if errors.As(err, &se) {
		return se.ExtendedCode == sqlite3.ErrConstraintUnique || se.ExtendedCode == sqlite3.ErrConstraintPrimaryKey
	}
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505" // unique_violation
}

// isConstraint reports whether err is the database refusing a write for a
// constraint (a duplicate key, a failed CHECK, say).
func isConstraint(err error) bool {
	var se sqlite3.Error
	if errors.As(err, &se) {
		return se.Code == sqlite3.ErrConstraint
	}
	var pe *pgconn.PgError
	return errors.As(err, &pe) && strings.HasPrefix(pe.Code, "23") // integrity_constraint_violation class
}
