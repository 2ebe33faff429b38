package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Copying a SQLite database into PostgreSQL, for `kindred migrate-data`.
// The tables are read from SQLite's own schema rather than from a list
// kept here, so a table a later migration adds is copied without anyone
// remembering to add it; a table PostgreSQL lacks, or has with other
// columns, stops the copy before anything is written.

// ErrTargetNotEmpty is returned by CopyToPostgres when the PostgreSQL
// database already holds Kindred data: a copy goes into an empty database
// only, so it never mixes two communities' data or overwrites one.
var ErrTargetNotEmpty = errors.New("the PostgreSQL database already holds Kindred data")

// TableCount is one table's rows in the SQLite database and in its copy.
type TableCount struct {
	Table  string
	Source int64
	Target int64
}

// CopyReport is what CopyToPostgres copied: every table, parents before
// the tables that refer to them.
type CopyReport struct {
	Tables []TableCount
}

// Rows is how many rows were copied in all.
func (r CopyReport) Rows() int64 {
	var n int64
	for _, t := range r.Tables {
		n += t.Target
	}
	return n
}

// copyTable is one table to copy: its name and its columns, in SQLite's
// order.
type copyTable struct {
	name    string
	columns []string
}

// CopyToPostgres copies every row of the SQLite database src into the
// empty PostgreSQL database dst, and verifies the copy by counting each
// table's rows on both sides.
//
// Both databases must be at this binary's schema version (Open and
// OpenPostgres migrate them). src is read in one read transaction, so the
// copy is one consistent snapshot of it; writes made to src meanwhile are
// not copied, so Kindred should not be running on it. dst is written in
// one transaction holding the write lock: a copy that fails, is cancelled,
// or counts differently leaves dst as empty as it found it. The identity
// sequences of dst continue after the highest ids copied, so new rows get
// ids the SQLite database never gave out.
//
// progress, when not nil, is called after each table is copied with the
// number of rows copied. A dst holding any row in a Kindred table is
// refused with ErrTargetNotEmpty, naming the tables.
func CopyToPostgres(ctx context.Context, src, dst *DB, progress func(table string, rows int64)) (CopyReport, error) {
	if src.Engine() != "sqlite" || dst.Engine() != "postgres" {
		return CopyReport{}, fmt.Errorf("copy: from %s to %s: want from SQLite to PostgreSQL", src.Engine(), dst.Engine())
	}
	rtx, err := src.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return CopyReport{}, fmt.Errorf("copy: read the SQLite database: %w", err)
	}
	defer rtx.Rollback()
	if v, err := schemaVersionTx(ctx, rtx); err != nil {
		return CopyReport{}, fmt.Errorf("copy: read the SQLite schema version: %w", err)
	} else if v != SchemaVersion() {
		return CopyReport{}, fmt.Errorf("copy: the SQLite database is at schema version %d, this Kindred's is %d", v, SchemaVersion())
	}
	tables, err := sqliteTables(ctx, rtx)
	if err != nil {
		return CopyReport{}, fmt.Errorf("copy: read the SQLite schema: %w", err)
	}
	sequences, err := sqliteSequences(ctx, rtx)
	if err != nil {
		return CopyReport{}, fmt.Errorf("copy: read the SQLite schema: %w", err)
	}

	conn, err := dst.write.Conn(ctx)
	if err != nil {
		return CopyReport{}, fmt.Errorf("copy: connect to PostgreSQL: %w", err)
	}
	defer conn.Close()
	var report CopyReport
	err = conn.Raw(func(dc any) error {
		pc, ok := dc.(*pgConn)
		if !ok {
			return fmt.Errorf("copy: unexpected PostgreSQL connection %T", dc)
		}
		var cerr error
		report, cerr = copyInto(ctx, pc, rtx, tables, sequences, progress)
		return cerr
	})
	if err != nil {
		return CopyReport{}, err
	}
	return report, nil
}

// copyInto is the PostgreSQL side of CopyToPostgres: one transaction on
// the write pool's connection, which takes the write lock first as every
// write transaction there does.
func copyInto(ctx context.Context, pc *pgConn, src *sql.Tx, tables []copyTable, sequences map[string]int64,
	progress func(string, int64)) (CopyReport, error) {
	conn := pc.Conn.Conn()
	tx, err := conn.Begin(ctx)
	if err != nil {
		return CopyReport{}, fmt.Errorf("copy: begin: %w", err)
	}
	// Rolled back on any return before Commit; a cancelled ctx must not
	// keep the rollback from being sent.
	defer tx.Rollback(context.WithoutCancel(ctx))
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, pc.c.writeLock); err != nil {
		return CopyReport{}, fmt.Errorf("copy: take the write lock: %w", err)
	}
	var version int
	if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&version); err != nil {
		return CopyReport{}, fmt.Errorf("copy: read the PostgreSQL schema version: %w", err)
	}
	if version != SchemaVersion() {
		return CopyReport{}, fmt.Errorf("copy: the PostgreSQL database is at schema version %d, this Kindred's is %d", version, SchemaVersion())
	}
	pg, err := readPGSchema(ctx, tx)
	if err != nil {
		return CopyReport{}, err
	}
	if err := matchSchemas(pg, tables); err != nil {
		return CopyReport{}, err
	}
	if err := refuseNonEmpty(ctx, tx, tables); err != nil {
		return CopyReport{}, err
	}

	report := CopyReport{Tables: make([]TableCount, len(tables))}
	for i, t := range tables {
		if err := src.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+sqliteIdent(t.name)).Scan(&report.Tables[i].Source); err != nil {
			return CopyReport{}, fmt.Errorf("copy %s: count the SQLite rows: %w", t.name, err)
		}
		n, err := copyRows(ctx, src, tx, t)
		if err != nil {
			return CopyReport{}, fmt.Errorf("copy %s: %w", t.name, err)
		}
		report.Tables[i].Table = t.name
		if progress != nil {
			progress(t.name, n)
		}
	}
	if err := continueIdentities(ctx, tx, pg.identities, sequences); err != nil {
		return CopyReport{}, err
	}
	var mismatched []string
	for i := range report.Tables {
		c := &report.Tables[i]
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM `+pgx.Identifier{c.Table}.Sanitize()).Scan(&c.Target); err != nil {
			return CopyReport{}, fmt.Errorf("copy %s: count the PostgreSQL rows: %w", c.Table, err)
		}
		if c.Target != c.Source {
			mismatched = append(mismatched, fmt.Sprintf("%s (%d in SQLite, %d in PostgreSQL)", c.Table, c.Source, c.Target))
		}
	}
	if len(mismatched) > 0 {
		return CopyReport{}, fmt.Errorf("copy: the counts differ, nothing was kept: %s", strings.Join(mismatched, ", "))
	}
	if err := tx.Commit(ctx); err != nil {
		return CopyReport{}, fmt.Errorf("copy: commit: %w", err)
	}
	return report, nil
}

func schemaVersionTx(ctx context.Context, tx *sql.Tx) (int, error) {
	var v int
	err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}

// sqliteTables lists Kindred's tables in the SQLite database with their
// columns, every table after the tables its foreign keys refer to.
// schema_migrations, processes and identify_turns are not data (each side
// has its own migrations, its own live processes and its own gateway
// identify turns) and sqlite_* tables are SQLite's.
func sqliteTables(ctx context.Context, tx *sql.Tx) ([]copyTable, error) {
	names, err := queryStrings(ctx, tx, `SELECT name FROM sqlite_master
		WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\' AND name NOT IN ('schema_migrations', 'processes', 'identify_turns')
		ORDER BY name`)
	if err != nil {
		return nil, err
	}
	byName := make(map[string]copyTable, len(names))
	parents := make(map[string][]string, len(names))
	for _, name := range names {
		cols, err := queryStrings(ctx, tx, `SELECT name FROM pragma_table_info(?) ORDER BY cid`, name)
		if err != nil {
			return nil, fmt.Errorf("columns of %s: %w", name, err)
		}
		refs, err := queryStrings(ctx, tx, `SELECT DISTINCT "table" FROM pragma_foreign_key_list(?)`, name)
		if err != nil {
			return nil, fmt.Errorf("foreign keys of %s: %w", name, err)
		}
		byName[name] = copyTable{name: name, columns: cols}
		parents[name] = refs
	}
	order, err := parentsFirst(names, parents)
	if err != nil {
		return nil, err
	}
	tables := make([]copyTable, len(order))
	for i, name := range order {
		tables[i] = byName[name]
	}
	return tables, nil
}

// parentsFirst orders tables so that each comes after the tables it
// refers to (parents maps a table to them), keeping names' order where
// it is free to. A table referring to itself is its own parent and
// needs nothing before it; a cycle between tables cannot be copied one
// table at a time and is an error.
func parentsFirst(names []string, parents map[string][]string) ([]string, error) {
	const (
		visiting = 1
		done     = 2
	)
	state := make(map[string]int, len(names))
	order := make([]string, 0, len(names))
	var visit func(name string, path []string) error
	visit = func(name string, path []string) error {
		switch state[name] {
		case done:
			return nil
		case visiting:
			return fmt.Errorf("the foreign keys of %s form a cycle: the tables cannot be copied one by one", strings.Join(append(path, name), " → "))
		}
		state[name] = visiting
		for _, p := range parents[name] {
			if p == name {
				continue
			}
			if _, known := parents[p]; !known {
				return fmt.Errorf("table %s refers to %s, which does not exist", name, p)
			}
			if err := visit(p, append(path, name)); err != nil {
				return err
			}
		}
		state[name] = done
		order = append(order, name)
		return nil
	}
	for _, name := range names {
		if err := visit(name, nil); err != nil {
			return nil, err
		}
	}
	return order, nil
}

// sqliteSequences is the highest id each AUTOINCREMENT table has ever
// given out, deleted rows included (sqlite_sequence, absent when no table
// uses AUTOINCREMENT).
func sqliteSequences(ctx context.Context, tx *sql.Tx) (map[string]int64, error) {
	seqs := map[string]int64{}
	var exists int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'`).Scan(&exists); err != nil || exists == 0 {
		return seqs, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT name, seq FROM sqlite_sequence`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var seq int64
		if err := rows.Scan(&name, &seq); err != nil {
			return nil, err
		}
		seqs[name] = seq
	}
	return seqs, rows.Err()
}

// pgSchema is the tables of the PostgreSQL schema, with their columns,
// and the identity columns among them. It reads the catalog directly:
// information_schema's views take a tenth of a second for each question.
type pgSchema struct {
	columns    map[string][]string
	identities [][2]string // table, column
}

func readPGSchema(ctx context.Context, tx pgx.Tx) (pgSchema, error) {
	rows, err := tx.Query(ctx, `SELECT c.relname, a.attname, a.attidentity <> ''
		FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
		WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
			AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
			AND c.relname NOT IN ('schema_migrations', 'processes', 'identify_turns')
		ORDER BY c.relname, a.attnum`)
	if err != nil {
		return pgSchema{}, fmt.Errorf("copy: read the PostgreSQL schema: %w", err)
	}
	defer rows.Close()
	s := pgSchema{columns: map[string][]string{}}
	for rows.Next() {
		var table, column string
		var identity bool
		if err := rows.Scan(&table, &column, &identity); err != nil {
			return pgSchema{}, fmt.Errorf("copy: read the PostgreSQL schema: %w", err)
		}
		s.columns[table] = append(s.columns[table], column)
		if identity {
			s.identities = append(s.identities, [2]string{table, column})
		}
	}
	if err := rows.Err(); err != nil {
		return pgSchema{}, fmt.Errorf("copy: read the PostgreSQL schema: %w", err)
	}
	return s, nil
}

// matchSchemas checks that PostgreSQL has exactly SQLite's tables, each
// with the same columns, so that every row has a place to go and no
// PostgreSQL table is left out of the copy and its verification.
func matchSchemas(pg pgSchema, tables []copyTable) error {
	var problems []string
	seen := map[string]bool{}
	for _, t := range tables {
		seen[t.name] = true
		cols, ok := pg.columns[t.name]
		if !ok {
			problems = append(problems, fmt.Sprintf("table %s is missing", t.name))
			continue
		}
		want, got := slices.Sorted(slices.Values(t.columns)), slices.Sorted(slices.Values(cols))
		if !slices.Equal(want, got) {
			problems = append(problems, fmt.Sprintf("table %s has columns %s, SQLite's has %s", t.name, strings.Join(got, ", "), strings.Join(want, ", ")))
		}
	}
	var extra []string
	for table := range pg.columns {
		if !seen[table] {
			extra = append(extra, table)
		}
	}
	sort.Strings(extra)
	for _, table := range extra {
		problems = append(problems, fmt.Sprintf("table %s is not in the SQLite database", table))
	}
	if len(problems) > 0 {
		return fmt.Errorf("copy: the PostgreSQL schema does not match SQLite's: %s", strings.Join(problems, "; "))
	}
	return nil
}

// refuseNonEmpty returns ErrTargetNotEmpty, naming the tables that hold
// rows, unless every table is empty.
func refuseNonEmpty(ctx context.Context, tx pgx.Tx, tables []copyTable) error {
	var full []string
	for _, t := range tables {
		var has bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+pgx.Identifier{t.name}.Sanitize()+`)`).Scan(&has); err != nil {
			return fmt.Errorf("copy: look into %s: %w", t.name, err)
		}
		if has {
			full = append(full, t.name)
		}
	}
	if len(full) > 0 {
		return fmt.Errorf("%w (rows in %s): copy into an empty database", ErrTargetNotEmpty, strings.Join(full, ", "))
	}
	return nil
}

// copyRows streams one table's rows from SQLite into PostgreSQL with
// COPY, returning how many were copied. Values go as SQLite has them:
// integers as int64, text as string, NULL as NULL.
func copyRows(ctx context.Context, src *sql.Tx, dst pgx.Tx, t copyTable) (int64, error) {
	quoted := make([]string, len(t.columns))
	for i, c := range t.columns {
		quoted[i] = sqliteIdent(c)
	}
	rows, err := src.QueryContext(ctx, `SELECT `+strings.Join(quoted, ", ")+` FROM `+sqliteIdent(t.name))
	if err != nil {
		return 0, fmt.Errorf("read SQLite rows: %w", err)
	}
	defer rows.Close()
	n, err := dst.CopyFrom(ctx, pgx.Identifier{t.name}, t.columns, &sqlRowSource{rows: rows, values: make([]any, len(t.columns))})
	if err != nil {
		return n, fmt.Errorf("write PostgreSQL rows: %w", err)
	}
	return n, nil
}

// sqlRowSource feeds database/sql rows to pgx's CopyFrom.
type sqlRowSource struct {
	rows   *sql.Rows
	values []any
	err    error
}

func (s *sqlRowSource) Next() bool { return s.err == nil && s.rows.Next() }

func (s *sqlRowSource) Values() ([]any, error) {
	ptrs := make([]any, len(s.values))
	for i := range s.values {
		ptrs[i] = &s.values[i]
	}
	if err := s.rows.Scan(ptrs...); err != nil {
		s.err = err
		return nil, err
	}
	return s.values, nil
}

func (s *sqlRowSource) Err() error {
	if s.err != nil {
		return s.err
	}
	return s.rows.Err()
}

// continueIdentities sets each identity column's sequence past the highest
// id copied, and past the highest SQLite ever gave out for AUTOINCREMENT
// tables (a job's id names that job for good, even once it is deleted).
// A table with no rows and no history starts again at 1.
func continueIdentities(ctx context.Context, tx pgx.Tx, identities [][2]string, sqliteSeqs map[string]int64) error {
	for _, id := range identities {
		table, column := id[0], id[1]
		var high int64
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(`+pgx.Identifier{column}.Sanitize()+`), 0) FROM `+pgx.Identifier{table}.Sanitize()).Scan(&high); err != nil {
			return fmt.Errorf("copy %s: highest %s: %w", table, column, err)
		}
		high = max(high, sqliteSeqs[table])
		// setval(seq, n, true): the next id is n+1; (seq, 1, false): it is 1.
		if _, err := tx.Exec(ctx, `SELECT setval(pg_get_serial_sequence($1, $2), GREATEST($3::bigint, 1), $3::bigint > 0)`,
			pgx.Identifier{table}.Sanitize(), column, high); err != nil {
			return fmt.Errorf("copy %s: continue the ids after %d: %w", table, high, err)
		}
	}
	return nil
}

func queryStrings(ctx context.Context, tx *sql.Tx, query string, args ...any) ([]string, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// sqliteIdent quotes a name for SQLite.
func sqliteIdent(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }
