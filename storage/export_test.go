package storage

// WriterDSN is the DSN of the write pool, so benchmarks can hold raw
// go-sqlite3 to the same pragmas.
func WriterDSN(path string) string { return dsn(path, true) }
