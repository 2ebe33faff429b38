package storage

import "database/sql"

// OpenWritePool opens a pool like the write pool, so benchmarks can hold
// raw go-sqlite3 to the same DSN and connection settings.
func OpenWritePool(path string) *sql.DB { return openWritePool(path, nil) }

// RawWrite is the database's write pool, for tests that stand in for a
// domain method (a transaction EnqueueTx joins) or read the schema. On
// PostgreSQL its statements are rebound and its writes take the write
// lock, as the storage methods' are.
func RawWrite(db *DB) *sql.DB { return db.write }

// SettingsChannel is the channel db's settings notifications go by
// (PostgreSQL only), for tests that drop its listening connection.
func SettingsChannel(db *DB) string { return db.events.settingsChannel }
