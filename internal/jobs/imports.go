package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/onboardiq/onboardiq/internal/postgres"
)

// ImportWorker loads one CSV import (docs/import.md): it checks the file
// kept with the import again and loads it in one transaction, writing its
// progress to the import as it goes. It runs once: an import that fails
// says why on the import, for the user to fix the file and start again.
type ImportWorker struct {
	river.WorkerDefaults[postgres.ImportArgs]
	DB     *postgres.DB
	Logger *slog.Logger
}

// Timeout: 200,000 rows load in well under a minute; ten leaves room for
// a busy database.
func (w *ImportWorker) Timeout(*river.Job[postgres.ImportArgs]) time.Duration {
	return 10 * time.Minute
}

// Work runs the import.
func (w *ImportWorker) Work(ctx context.Context, job *river.Job[postgres.ImportArgs]) error {
	start := time.Now()
	if err := w.DB.RunImport(ctx, job.Args.TenantID, job.Args.ImportID); err != nil {
		w.Logger.ErrorContext(ctx, "import", "tenant_id", job.Args.TenantID, "import_id", job.Args.ImportID, "err", err)
		return err
	}
	w.Logger.InfoContext(ctx, "import", "tenant_id", job.Args.TenantID, "import_id", job.Args.ImportID, "took", time.Since(start))
	return nil
}
