package storage

import "database/sql"

// OpenWritePool opens a pool like the write pool, so benchmarks can hold
// raw go-sqlite3 to the same DSN and connection settings.
func OpenWritePool(path string) *sql.DB { return openWritePool(path, nil) }
