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
