package storage

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"time"

	"github.com/mattn/go-sqlite3"
)

// Checkpoints. In WAL mode a commit appends pages to the -wal file, and a
// checkpoint copies them back into the database file (and syncs both).
// SQLite runs that checkpoint inside whichever COMMIT takes the WAL past
// 1,000 pages, so one writer in a few hundred paid for all of them and
// every write queued behind it waited: with check-ins it was two thirds
// of the committer's time. The write pool's connections turn the automatic
// checkpoint off, and a goroutine with a connection of its own checkpoints
// instead, while the committer goes on committing. Durability is
// unchanged: a write is durable once its COMMIT has returned, whether or
// not its pages have been copied yet.

// checkpointEvery is the least time between two checkpoints while writes
// go on; it bounds the WAL to the pages written meanwhile.
const checkpointEvery = 100 * time.Millisecond

// writerConnector opens the write pool's connections.
type writerConnector struct {
	dsn    string
	driver *sqlite3.SQLiteDriver
}

func (c writerConnector) Connect(context.Context) (driver.Conn, error) { return c.driver.Open(c.dsn) }
func (c writerConnector) Driver() driver.Driver                        { return c.driver }

// openWritePool opens the pool of the one write connection, with the
// automatic checkpoint off. onCommit, if not nil, is called as each
// transaction commits.
func openWritePool(path string, onCommit func()) *sql.DB {
	pool := sql.OpenDB(writerConnector{dsn: dsn(path, true), driver: &sqlite3.SQLiteDriver{
		ConnectHook: func(c *sqlite3.SQLiteConn) error {
			if onCommit != nil {
				c.RegisterCommitHook(func() int { onCommit(); return 0 })
			}
			_, err := c.Exec(`PRAGMA wal_autocheckpoint = 0`, nil)
			return err
		},
	}})
	pool.SetMaxOpenConns(1)
	pool.SetConnMaxIdleTime(0)
	return pool
}

// checkpointer copies the WAL into the database file after commits.
type checkpointer struct {
	conn   *sql.DB       // its own connection: it never waits for a pool
	wake   chan struct{} // buffered 1: a commit happened
	stop   chan struct{}
	exited chan struct{}
}

func newCheckpointer(path string) (*checkpointer, error) {
	conn, err := sql.Open("sqlite3", dsn(path, false))
	if err != nil {
		return nil, err
	}
	conn.SetMaxOpenConns(1)
	return &checkpointer{conn: conn, wake: make(chan struct{}, 1), stop: make(chan struct{}), exited: make(chan struct{})}, nil
}

// committed tells the checkpointer the WAL has grown. It is the write
// connection's commit hook, so every write counts, grouped or not; it
// runs just before the commit lands, so a checkpoint it wakes may miss
// that commit's pages, which the next one copies.
func (db *DB) committed() {
	select {
	case db.checkpoints.wake <- struct{}{}:
	default:
	}
}

func (db *DB) checkpointLoop() {
	c := db.checkpoints
	defer close(c.exited)
	for {
		select {
		case <-c.wake:
		case <-c.stop:
			return
		}
		// PASSIVE never waits for readers or the writer; what it can't
		// copy now, the next one copies. An error (a full disk) leaves
		// the pages in the WAL, where they are as durable: the next
		// commit tries again, and closing the database checkpoints too.
		c.conn.Exec(`PRAGMA wal_checkpoint(PASSIVE)`)
		select {
		case <-time.After(checkpointEvery):
		case <-c.stop:
			return
		}
	}
}

// closeCheckpointer stops the checkpointer and closes its connection.
func (db *DB) closeCheckpointer() error {
	c := db.checkpoints
	if c == nil {
		return nil
	}
	select {
	case <-c.stop:
	default:
		close(c.stop)
	}
	<-c.exited
	return c.conn.Close()
}
