package storage

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// PostgreSQL. Kindred's SQL is written once, with SQLite's ? placeholders;
// the connections this file opens rebind them to $1, $2, … as a statement
// is sent, so the storage methods, their transactions and their tests are
// the same on both engines. What the engines spell differently lives in
// dialect.go.
//
// Writes are serialized, as on SQLite: every write transaction (and every
// write outside one) first takes a transaction-scoped advisory lock that
// names the database's schema. The storage methods decide inside one
// transaction on what they read ("is this request still open?", "how many
// warnings are active?"), and SQLite's single writer makes every such
// decision safe; under PostgreSQL's READ COMMITTED another process could
// change what was read before the decision commits. The lock keeps the
// SQLite guarantees across processes, at the cost of writes not running in
// parallel: Kindred's writes are short, and PostgreSQL is chosen for
// operations (managed backups, replicas, several processes), not for
// parallel writes. Reads run in parallel; a read transaction is one
// REPEATABLE READ snapshot, as a SQLite read transaction is.

// MinPostgresConnections is the smallest database.max_connections: one
// connection writes, one listens for notifications (jobs enqueued, settings
// changed), and at least one reads.
const MinPostgresConnections = 3

// pgConnector opens the connections of one pool, wrapping pgx's
// database/sql connections.
type pgConnector struct {
	base   driver.Connector
	rebind *rebinder
	// writeLock, when not zero, is the advisory lock key every write
	// transaction of this pool takes first (the write pool).
	writeLock int64
	// beginLockedSQL begins a transaction and takes writeLock: two statements
	// in one simple query: one round trip, not two.
	beginLockedSQL string
}

func (c *pgConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.base.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &pgConn{Conn: conn.(*stdlib.Conn), c: c}, nil
}

func (c *pgConnector) Driver() driver.Driver { return c.base.Driver() }

// pgConn is one connection: pgx's, with statements rebound and, in the
// write pool, writes serialized.
type pgConn struct {
	*stdlib.Conn
	c *pgConnector
}

func (p *pgConn) Prepare(query string) (driver.Stmt, error) {
	return p.Conn.PrepareContext(context.Background(), p.c.rebind.sql(query))
}

func (p *pgConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return p.Conn.PrepareContext(ctx, p.c.rebind.sql(query))
}

// QueryContext runs a query without the write lock: outside a transaction
// the storage methods query only to read (SentRef), and inside one
// BeginTx has taken the lock.
func (p *pgConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	return p.Conn.QueryContext(ctx, p.c.rebind.sql(query), args)
}

func (p *pgConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	query = p.c.rebind.sql(query)
	if p.c.writeLock == 0 || !p.idle() {
		return p.Conn.ExecContext(ctx, query, args)
	}
	// A write on its own: the lock and the statement go in one batch,
	// which PostgreSQL runs as one implicit transaction, in one round trip.
	b := &pgx.Batch{}
	b.Queue(`SELECT pg_advisory_xact_lock($1)`, p.c.writeLock)
	values := make([]any, len(args))
	for i, a := range args {
		values[i] = a.Value
	}
	b.Queue(query, values...)
	if p.Conn.Conn().IsClosed() {
		return nil, driver.ErrBadConn
	}
	res := p.Conn.Conn().SendBatch(ctx, b)
	_, err := res.Exec()
	var tag pgconn.CommandTag
	if err == nil {
		tag, err = res.Exec()
	}
	if cerr := res.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		if pgconn.SafeToRetry(err) {
			return nil, driver.ErrBadConn // nothing was sent: database/sql retries on another connection
		}
		return nil, err
	}
	return driver.RowsAffected(tag.RowsAffected()), nil
}

func (p *pgConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if p.c.writeLock == 0 {
		if sql.IsolationLevel(opts.Isolation) == sql.LevelDefault {
			// A read transaction is one snapshot, as it is on SQLite.
			opts.Isolation = driver.IsolationLevel(sql.LevelRepeatableRead)
		}
		return p.Conn.BeginTx(ctx, opts)
	}
	if sql.IsolationLevel(opts.Isolation) == sql.LevelDefault && !opts.ReadOnly {
		return p.beginLocked(ctx)
	}
	tx, err := p.Conn.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	if _, err := p.Conn.Conn().Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, p.c.writeLock); err != nil {
		tx.Rollback()
		return nil, fmt.Errorf("take the write lock: %w", err)
	}
	return tx, nil
}

// beginLocked begins a write transaction and takes the write lock in one
// round trip.
func (p *pgConn) beginLocked(ctx context.Context) (driver.Tx, error) {
	conn := p.Conn.Conn()
	if conn.IsClosed() {
		return nil, driver.ErrBadConn
	}
	// When BEGIN runs and the lock fails (a lock_timeout), the connection
	// is left in the failed transaction; the pool discards such a
	// connection before its next use (stdlib.Conn.ResetSession).
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{BeginQuery: p.c.beginLockedSQL})
	if err != nil {
		return nil, fmt.Errorf("begin and take the write lock: %w", err)
	}
	return pgTx{ctx: ctx, tx: tx}, nil
}

// pgTx is a write transaction begun by pgConn.BeginTx; it ends as
// pgx's database/sql transactions do.
type pgTx struct {
	ctx context.Context
	tx  pgx.Tx
}

func (t pgTx) Commit() error   { return t.tx.Commit(t.ctx) }
func (t pgTx) Rollback() error { return t.tx.Rollback(t.ctx) }

// CheckNamedValue stores a Go bool as 0 or 1: booleans are integer
// columns on both engines, as SQLite has them.
func (p *pgConn) CheckNamedValue(v *driver.NamedValue) error {
	if b, ok := v.Value.(bool); ok {
		v.Value = int64(0)
		if b {
			v.Value = int64(1)
		}
	}
	return nil
}

// idle reports whether the connection is outside a transaction.
func (p *pgConn) idle() bool { return p.Conn.Conn().PgConn().TxStatus() == 'I' }

// rebinder turns ? and ?N placeholders into PostgreSQL's $N, remembering
// each statement it has rewritten (Kindred's statements are a fixed set).
type rebinder struct {
	done sync.Map // string → string
}

func (r *rebinder) sql(query string) string {
	if v, ok := r.done.Load(query); ok {
		return v.(string)
	}
	out := rebind(query)
	r.done.Store(query, out)
	return out
}

// rebind rewrites the placeholders of one statement, leaving string
// literals, quoted identifiers and comments as they are.
func rebind(query string) string {
	var b strings.Builder
	b.Grow(len(query) + 8)
	next := 1
	for i := 0; i < len(query); i++ {
		ch := query[i]
		switch {
		case ch == '\'' || ch == '"':
			end := strings.IndexByte(query[i+1:], ch)
			if end < 0 {
				b.WriteString(query[i:])
				return b.String()
			}
			b.WriteString(query[i : i+end+2])
			i += end + 1
		case ch == '-' && strings.HasPrefix(query[i:], "--"):
			end := strings.IndexByte(query[i:], '\n')
			if end < 0 {
				b.WriteString(query[i:])
				return b.String()
			}
			b.WriteString(query[i : i+end+1])
			i += end
		case ch == '/' && strings.HasPrefix(query[i:], "/*"):
			end := strings.Index(query[i+2:], "*/")
			if end < 0 {
				b.WriteString(query[i:])
				return b.String()
			}
			b.WriteString(query[i : i+end+4])
			i += end + 3
		case ch == '?':
			j := i + 1
			for j < len(query) && query[j] >= '0' && query[j] <= '9' {
				j++
			}
			b.WriteByte('$')
			if j > i+1 {
				b.WriteString(query[i+1 : j]) // ?N names its argument
			} else {
				b.WriteString(strconv.Itoa(next))
				next++
			}
			i = j - 1
		default:
			b.WriteByte(ch)
		}
	}
	return b.String()
}

// lockKey turns a name into an advisory lock key.
func lockKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return int64(h.Sum64() &^ (1 << 63))
}

// OpenPostgres connects to the PostgreSQL database at url (a postgres://
// URL or key=value string, as libpq takes them) and brings the schema that
// url's search_path selects up to date. maxConns bounds the connections
// this process keeps open (see MinPostgresConnections); a process-wide
// task opens one more while it runs (see RunExclusive).
func OpenPostgres(ctx context.Context, url string, maxConns int) (*DB, error) {
	if maxConns < MinPostgresConnections {
		return nil, fmt.Errorf("database.max_connections %d: want at least %d for PostgreSQL", maxConns, MinPostgresConnections)
	}
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("database url: %w", err)
	}
	// The listening connection comes first: it names the schema, which
	// scopes the locks and the notification channel, so that databases in
	// different schemas of one server never wait for each other.
	listen, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	var schema string
	if err := listen.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		listen.Close(ctx)
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	if schema == "" {
		listen.Close(ctx)
		return nil, errors.New("connect to PostgreSQL: no schema: the search_path names none that exists")
	}
	rb := &rebinder{}
	writeLock := lockKey("kindred write " + schema)
	write := sql.OpenDB(&pgConnector{base: stdlib.GetConnector(*cfg), rebind: rb,
		writeLock: writeLock, beginLockedSQL: fmt.Sprintf("BEGIN; SELECT pg_advisory_xact_lock(%d)", writeLock)})
	write.SetMaxOpenConns(1)
	read := sql.OpenDB(&pgConnector{base: stdlib.GetConnector(*cfg), rebind: rb})
	read.SetMaxOpenConns(maxConns - 2)
	read.SetMaxIdleConns(maxConns - 2)
	db := &DB{write: write, read: read, dialect: postgresDialect, jobsWake: make(chan struct{}, 1),
		pg: &pgShared{cfg: cfg, schema: schema}}
	db.startCommitter()
	if err := migratePostgres(ctx, read, lockKey("kindred migrate "+schema)); err != nil {
		listen.Close(ctx)
		db.Close()
		return nil, err
	}
	events, err := startEvents(ctx, listen, cfg, schema, pgEventHandlers{
		jobs:     db.wakeScheduler,
		settings: db.settings.invalidate,
		lost: func() {
			db.settings.invalidateAll()
			db.wakeScheduler()
		},
	}, read)
	if err != nil {
		listen.Close(ctx)
		db.Close()
		return nil, err
	}
	db.events = events
	return db, nil
}

// migratePostgres migrates under a session advisory lock, so that of
// several processes starting together one migrates and the others find
// the schema up to date.
func migratePostgres(ctx context.Context, pool *sql.DB, key int64) error {
	conn, err := pool.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(?)`, key); err != nil {
		return fmt.Errorf("migrate: take the migration lock: %w", err)
	}
	// A failed unlock leaves the lock to the session's end: close the
	// connection rather than return it to the pool holding it.
	defer func() {
		if _, err := conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock(?)`, key); err != nil {
			conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}()
	return migrate(ctx, conn, postgresDialect)
}

// pgEvents carries news between processes sharing a PostgreSQL database,
// on one listening connection and one goroutine:
//   - "a job was enqueued": NOTIFY after a commit that enqueued, so a job
//     enqueued by one process wakes the schedulers of all at once rather
//     than at their next poll;
//   - "a server's settings changed": NOTIFY in the transaction that
//     changed them (PostgreSQL delivers it at commit), so every process
//     drops its cached copy (see settingsCache).
//
// Each has a channel of its own, named after the schema; a payload starts
// with the sending DB's instance, so its own notifications are not news.
type pgEvents struct {
	jobsChannel     string
	settingsChannel string
	instance        string        // this DB's payload (prefix)
	send            chan struct{} // buffered 1: a job notification is due
	cancel          context.CancelFunc
	done            sync.WaitGroup
}

// pgEventHandlers is what the listener does with news.
type pgEventHandlers struct {
	jobs     func()             // another process enqueued jobs
	settings func(guild string) // another process changed a server's settings
	// lost is called after a reconnect: what was sent meanwhile is lost.
	lost func()
}

// startEvents listens on listen before it returns, so that news another
// process sends once Open has returned is never missed.
func startEvents(ctx context.Context, listen *pgx.Conn, cfg *pgx.ConnConfig, schema string, h pgEventHandlers, pool *sql.DB) (*pgEvents, error) {
	e := &pgEvents{
		jobsChannel:     fmt.Sprintf("kindred_jobs_%x", lockKey(schema)),
		settingsChannel: fmt.Sprintf("kindred_settings_%x", lockKey(schema)),
		instance:        strconv.FormatInt(time.Now().UnixNano(), 36),
		send:            make(chan struct{}, 1),
	}
	if err := e.subscribe(ctx, listen); err != nil {
		return nil, fmt.Errorf("listen for notifications: %w", err)
	}
	ctx, e.cancel = context.WithCancel(context.Background())
	e.done.Add(2)
	go func() {
		defer e.done.Done()
		e.listen(ctx, listen, cfg, h)
	}()
	go func() {
		defer e.done.Done()
		e.notify(ctx, pool)
	}()
	return e, nil
}

// subscribe starts listening on conn, to both channels in one round trip.
func (e *pgEvents) subscribe(ctx context.Context, conn *pgx.Conn) error {
	_, err := conn.Exec(ctx, `LISTEN `+pgx.Identifier{e.jobsChannel}.Sanitize()+`; LISTEN `+pgx.Identifier{e.settingsChannel}.Sanitize())
	return err
}

// listen waits for notifications on conn, which listens already,
// reconnecting after a lost connection.
func (e *pgEvents) listen(ctx context.Context, conn *pgx.Conn, cfg *pgx.ConnConfig, h pgEventHandlers) {
	defer func() {
		if conn != nil {
			conn.Close(context.Background())
		}
	}()
	for backoff := time.Second; ctx.Err() == nil; {
		if conn == nil {
			c, err := pgx.ConnectConfig(ctx, cfg)
			if err == nil {
				if err = e.subscribe(ctx, c); err != nil {
					c.Close(context.Background())
				}
			}
			if err != nil {
				if ctx.Err() == nil {
					slog.Warn("notifications: reconnect to PostgreSQL", "err", err, "retry_in", backoff)
				}
				sleep(ctx, backoff)
				backoff = min(2*backoff, time.Minute)
				continue
			}
			conn, backoff = c, time.Second
			h.lost()
		}
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			if ctx.Err() == nil {
				slog.Warn("notifications: connection lost", "err", err)
			}
			conn.Close(context.Background())
			conn = nil
			continue
		}
		switch n.Channel {
		case e.jobsChannel:
			if n.Payload != e.instance {
				h.jobs()
			}
		case e.settingsChannel:
			if from, guild, ok := strings.Cut(n.Payload, " "); ok && from != e.instance {
				h.settings(guild)
			}
		}
	}
}

// notify sends one NOTIFY per burst of enqueues.
func (e *pgEvents) notify(ctx context.Context, pool *sql.DB) {
	for {
		select {
		case <-e.send:
		case <-ctx.Done():
			return
		}
		if _, err := pool.ExecContext(ctx, `SELECT pg_notify(?, ?)`, e.jobsChannel, e.instance); err != nil && ctx.Err() == nil {
			// The others find the job at their next poll.
			slog.Warn("job notifications: notify", "err", err)
		}
	}
}

// enqueued asks for a NOTIFY; it never blocks.
func (e *pgEvents) enqueued() {
	select {
	case e.send <- struct{}{}:
	default:
	}
}

// settingsChanged queues, in tx, the news that guild's settings changed:
// the other processes hear it when tx commits, and never if it does not.
func (e *pgEvents) settingsChanged(ctx context.Context, tx *sql.Tx, guild string) error {
	if _, err := tx.ExecContext(ctx, `SELECT pg_notify(?, ?)`, e.settingsChannel, e.instance+" "+guild); err != nil {
		return fmt.Errorf("notify settings change: %w", err)
	}
	return nil
}

func (db *DB) closeEvents() error {
	if db.events == nil {
		return nil
	}
	db.events.cancel()
	db.events.done.Wait()
	return nil
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
