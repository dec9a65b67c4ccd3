package bench

import (
	"context"
	"time"

	"github.com/onboardiq/onboardiq/internal/postgres"
)

// Section is a part of `onboardiq bench all` beyond the built-in ones.
type Section struct {
	Name string
	Run  func(ctx context.Context, env SectionEnv) ([]Row, error)
}

// SectionEnv is what a section is given: the store as the application
// role, the schema owner's connection string (DATABASE_URL), the scale, how
// to measure, and where to log.
type SectionEnv struct {
	DB       *postgres.DB
	OwnerURL string
	Scale    Scale
	Rounds   int
	Duration time.Duration
	// Keep: the section's data stays for the next run (--keep).
	Keep bool
	Logf func(string, ...any)
}

// Sections are the sections `onboardiq bench all` (and `onboardiq bench`
// without a subcommand) runs after the built-in ones (http, search,
// import, fanout, serve), in order; --sections names them by Name. A new
// section adds itself here, as the delay scan's did. A row that has a goal carries it (Row.Goal, with
// the status from the package's status rules): the report's summary lists
// it with the others.
var Sections = []Section{{Name: "scan", Run: ScanSection}}
