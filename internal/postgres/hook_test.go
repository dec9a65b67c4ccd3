package postgres_test

import (
	"testing"

	"github.com/onboardiq/onboardiq/internal/postgres"
	"github.com/onboardiq/onboardiq/internal/testdb"
)

func init() {
	postgres.SetTestAppURLHook(func(t testing.TB) string { return testdb.New(t).AppURL })
}
