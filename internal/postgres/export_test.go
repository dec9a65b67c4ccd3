package postgres

import (
	"testing"
)

// testAppURL is set by the external test package's TestMain-free helper:
// internal tests cannot import testdb (it imports this package), so the
// database comes through a hook that postgres_test fills in.
var testAppURLHook func(testing.TB) string

func testAppURL(t testing.TB) string {
	t.Helper()
	return testAppURLHook(t)
}

// SetTestAppURLHook lets the external tests hand the internal ones a database.
func SetTestAppURLHook(f func(testing.TB) string) { testAppURLHook = f }

// KeptCredentials is how many verified credentials db keeps in memory, and
// whether it listens for their changes.
func KeptCredentials(db *DB) (kept int, live bool) {
	db.creds.mu.Lock()
	defer db.creds.mu.Unlock()
	return len(db.creds.entries), db.creds.live
}
