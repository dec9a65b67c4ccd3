package postgres

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/csvin"
	"github.com/onboardiq/onboardiq/internal/importing"
)

// CSV imports (docs/import.md). A file is read whole (csvin), checked
// against the import's fields (importing) and then against the workspace
// (resolve, here): every row is matched to what exists and given what it
// will do, and every problem is listed. A dry run stops there, in a
// read-only transaction. A real one loads the rows in one transaction:
// customers and their contacts through COPY into staging tables and
// set-based INSERT … SELECT and UPDATE … FROM (they can be 200,000 rows);
// users, projects and tasks through the same store code as the console,
// a row at a time (staff are invited, a project instantiates its template,
// a task refreshes its project).

// ImportArgs is the job that loads one import.
type ImportArgs struct {
	TenantID uuid.UUID `json:"tenant_id"`
	ImportID uuid.UUID `json:"import_id"`
}

// Kind is River's name for the job.
func (ImportArgs) Kind() string { return "import" }

// InsertOpts: an import is loaded once; a failure is reported, not retried
// (the user fixes the file and starts again).
func (ImportArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 1} }

// importProgressEvery is how many rows load between two progress updates.
const importProgressEvery = 5000

// checkedImport is a file checked against the workspace.
type checkedImport struct {
	file  *importing.File
	plans []*rowPlan // one per record, in file order; nil entries skip
	res   *resolved
}

// rowPlan is what one record will do.
type rowPlan struct {
	rec    *importing.Record
	action string // create, update, same
	id     uuid.UUID
	// customers: the fields that change, and the contacts to add or rename
	changes  map[string]any
	contacts []contactPlan
	// projects and tasks: what the record names
	customerID, projectID, templateID, assigneeID *uuid.UUID
}

type contactPlan struct {
	id     uuid.UUID
	name   string
	email  string
	create bool
}

// CheckImport is a dry run: it reads the file and checks every row against
// the workspace, as the caller (an admin), changing nothing.
func (db *DB) CheckImport(ctx context.Context, raw []byte, o onboardiq.ImportOptions) (*onboardiq.Import, error) {
	o.DryRun = true
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) (*onboardiq.Import, error) {
		if err := p.Check(onboardiq.ImportData); err != nil {
			return nil, err
		}
		c, err := checkImport(ctx, tx, raw, o)
		if err != nil {
			return nil, err
		}
		return c.report(), nil
	})
}

// StartImport checks the file as CheckImport does and, when it may be
// loaded, keeps it and queues its job: the import answers with status
// queued. An import that may not be loaded (a required field without a
// column, or a problem in all-or-nothing mode) is refused with an
// ImportRefusal, storing nothing. With draft set, the import is kept as a
// draft whatever its problems, for the console to edit its mapping.
func (db *DB) StartImport(ctx context.Context, raw []byte, o onboardiq.ImportOptions, baseURL string, draft bool) (*onboardiq.Import, error) {
	o.DryRun = false
	var out *onboardiq.Import
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if err := p.Check(onboardiq.ImportData); err != nil {
			return err
		}
		c, err := checkImport(ctx, tx, raw, o)
		if err != nil {
			return err
		}
		out = c.report()
		status := onboardiq.ImportQueued
		if draft {
			status = onboardiq.ImportDraft
		} else if err := mayLoad(out); err != nil {
			return err
		}
		out.Status = status
		return storeImport(ctx, tx, p, out, raw, baseURL)
	})
	return out, err
}

// ImportRefusal is why an import may not be loaded: its report, with the
// problems that stop it.
type ImportRefusal struct {
	Report *onboardiq.Import
	Reason *onboardiq.Error
}

func (e *ImportRefusal) Error() string { return e.Reason.Error() }
func (e *ImportRefusal) Unwrap() error { return e.Reason }

// mayLoad refuses an import with a required field without a column, or
// with problems in all-or-nothing mode, or with no row to load.
func mayLoad(r *onboardiq.Import) error {
	switch {
	case len(r.Missing) > 0:
		return &ImportRefusal{r, onboardiq.Invalid("mapping", "no column for the required field %s: choose one", strings.Join(r.Missing, ", "))}
	case len(r.Problems) > 0 && r.Mode == onboardiq.ImportAllOrNothing:
		rows := fmt.Sprintf("%d rows have", r.Counts.Skip)
		if r.Counts.Skip == 1 {
			rows = "1 row has"
		}
		return &ImportRefusal{r, onboardiq.Invalid("file", "%s a problem: nothing was imported; fix them, or import the other rows with mode rows", rows)}
	case r.Counts.Create+r.Counts.Update == 0 && r.Counts.Same == 0:
		return &ImportRefusal{r, onboardiq.Invalid("file", "no row to import")}
	}
	return nil
}

func storeImport(ctx context.Context, tx *Tx, p *onboardiq.Principal, r *onboardiq.Import, raw []byte, baseURL string) error {
	report, err := json.Marshal(storedReport(r))
	if err != nil {
		return err
	}
	var id uuid.UUID
	var created time.Time
	err = tx.QueryRow(ctx, `
INSERT INTO imports (tenant_id, kind, status, mode, filename, mapping, rows, report, file, base_url, created_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING import_id, created_at`,
		tx.TenantID(), r.Kind, r.Status, r.Mode, r.Filename, r.Mapping, r.Rows, report, raw, baseURL, p.Actor()).Scan(&id, &created)
	if err != nil {
		return fmt.Errorf("insert import: %w", err)
	}
	r.ID, r.CreatedAt, r.CreatedBy = &id, &created, p.Actor()
	if r.Status == onboardiq.ImportQueued {
		return tx.Enqueue(ctx, ImportArgs{TenantID: tx.TenantID(), ImportID: id})
	}
	return nil
}

// storedReport is the part of a report kept in imports.report: the
// columns hold the rest.
func storedReport(r *onboardiq.Import) map[string]any {
	return map[string]any{"encoding": r.Encoding, "delimiter": r.Delimiter, "header": r.Header, "missing": r.Missing,
		"counts": r.Counts, "problems": r.Problems, "preview": r.Preview, "error": r.Error}
}

// EditImport re-checks a draft with another mapping and mode (the
// console's mapping form); with queue set it then queues it, refusing it
// as StartImport does.
func (db *DB) EditImport(ctx context.Context, id uuid.UUID, mapping map[string]string, mode onboardiq.ImportMode, queue bool) (*onboardiq.Import, error) {
	var out *onboardiq.Import
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if err := p.Check(onboardiq.ImportData); err != nil {
			return err
		}
		var (
			kind     onboardiq.ImportKind
			status   onboardiq.ImportStatus
			filename string
			raw      []byte
		)
		err := tx.QueryRow(ctx, `SELECT kind, status, filename, file FROM imports WHERE tenant_id = $1 AND import_id = $2 FOR UPDATE`,
			tx.TenantID(), id).Scan(&kind, &status, &filename, &raw)
		if errors.Is(err, pgx.ErrNoRows) {
			return onboardiq.Errorf(onboardiq.ENOTFOUND, "no such import")
		}
		if err != nil {
			return err
		}
		if status != onboardiq.ImportDraft {
			return onboardiq.Errorf(onboardiq.ECONFLICT, "the import is %s already: only a draft can be changed", status)
		}
		c, err := checkImport(ctx, tx, raw, onboardiq.ImportOptions{Kind: kind, Mode: mode, Filename: filename, Mapping: mapping})
		if err != nil {
			return err
		}
		out = c.report()
		out.Status = onboardiq.ImportDraft
		if queue {
			if err := mayLoad(out); err != nil {
				return err
			}
			out.Status = onboardiq.ImportQueued
		}
		report, err := json.Marshal(storedReport(out))
		if err != nil {
			return err
		}
		var created time.Time
		var by *uuid.UUID
		if err := tx.QueryRow(ctx, `
UPDATE imports SET status = $3, mode = $4, mapping = $5, report = $6 WHERE tenant_id = $1 AND import_id = $2
RETURNING created_at, created_by`, tx.TenantID(), id, out.Status, out.Mode, out.Mapping, report).Scan(&created, &by); err != nil {
			return err
		}
		out.ID, out.CreatedAt, out.CreatedBy = &id, &created, by
		if queue {
			return tx.Enqueue(ctx, ImportArgs{TenantID: tx.TenantID(), ImportID: id})
		}
		return nil
	})
	return out, err
}

const importColumns = `import_id, kind, status, mode, filename, mapping, rows, processed, report, created_by, created_at, finished_at`

func scanImport(row pgx.Row) (*onboardiq.Import, error) {
	var (
		r      onboardiq.Import
		id     uuid.UUID
		report []byte
	)
	if err := row.Scan(&id, &r.Kind, &r.Status, &r.Mode, &r.Filename, &r.Mapping, &r.Rows, &r.Processed, &report,
		&r.CreatedBy, &r.CreatedAt, &r.FinishedAt); err != nil {
		return nil, err
	}
	r.ID = &id
	var s struct {
		Encoding, Delimiter, Error string
		Header, Missing            []string
		Counts                     onboardiq.ImportCounts
		Problems                   []onboardiq.ImportProblem
		Preview                    []onboardiq.ImportRow
	}
	if err := json.Unmarshal(report, &s); err != nil {
		return nil, fmt.Errorf("import report: %w", err)
	}
	r.Encoding, r.Delimiter, r.Error, r.Header, r.Missing = s.Encoding, s.Delimiter, s.Error, s.Header, s.Missing
	r.Counts, r.Problems, r.Preview = s.Counts, s.Problems, s.Preview
	r.Fields = onboardiq.ImportFields(r.Kind)
	for _, l := range []*[]string{&r.Header, &r.Missing} {
		if *l == nil {
			*l = []string{}
		}
	}
	if r.Problems == nil {
		r.Problems = []onboardiq.ImportProblem{}
	}
	if r.Preview == nil {
		r.Preview = []onboardiq.ImportRow{}
	}
	return &r, nil
}

// GetImport reads one import (admins).
func (db *DB) GetImport(ctx context.Context, id uuid.UUID) (*onboardiq.Import, error) {
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) (*onboardiq.Import, error) {
		if err := p.Check(onboardiq.ImportData); err != nil {
			return nil, err
		}
		r, err := scanImport(tx.QueryRow(ctx, `SELECT `+importColumns+` FROM imports WHERE tenant_id = $1 AND import_id = $2`, tx.TenantID(), id))
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, onboardiq.Errorf(onboardiq.ENOTFOUND, "no such import")
		}
		return r, err
	})
}

// ListImports lists the workspace's last 100 imports, newest first (admins).
func (db *DB) ListImports(ctx context.Context) ([]*onboardiq.Import, error) {
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) ([]*onboardiq.Import, error) {
		if err := p.Check(onboardiq.ImportData); err != nil {
			return nil, err
		}
		rows, err := tx.Query(ctx, `SELECT `+importColumns+` FROM imports WHERE tenant_id = $1 ORDER BY created_at DESC, import_id LIMIT 100`, tx.TenantID())
		if err != nil {
			return nil, err
		}
		out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*onboardiq.Import, error) { return scanImport(row) })
		if out == nil {
			out = []*onboardiq.Import{}
		}
		return out, err
	})
}

// RunImport loads a queued import: the job. It reads the file kept with
// it, checks it again against the workspace as it is now, and loads it in
// one transaction, reporting its progress on the import as it goes. An
// import that may not be loaded any more ends as failed with its report.
func (db *DB) RunImport(ctx context.Context, tenantID, id uuid.UUID) error {
	var (
		o       onboardiq.ImportOptions
		raw     []byte
		baseURL string
		by      *uuid.UUID
	)
	err := db.InTenant(ctx, tenantID, func(ctx context.Context, tx *Tx) error {
		var status onboardiq.ImportStatus
		err := tx.QueryRow(ctx, `
UPDATE imports SET status = 'running' WHERE tenant_id = $1 AND import_id = $2 AND status = 'queued'
RETURNING kind, mode, filename, mapping, file, base_url, created_by, status`, tenantID, id).
			Scan(&o.Kind, &o.Mode, &o.Filename, &o.Mapping, &raw, &baseURL, &by, &status)
		if errors.Is(err, pgx.ErrNoRows) {
			raw = nil // run already, or not queued
			return nil
		}
		return err
	})
	if err != nil || raw == nil {
		return err
	}
	p := onboardiq.SystemPrincipal(tenantID)
	if by != nil {
		p = &onboardiq.Principal{TenantID: tenantID, UserID: *by, Role: onboardiq.RoleAdmin, Name: "import"}
	}
	ctx = onboardiq.NewContextWithPrincipal(ctx, p)
	r, err := db.loadImport(ctx, tenantID, id, raw, o, baseURL, nil)
	if err == nil {
		return nil
	}
	// Nothing was loaded: say why on the import.
	msg := onboardiq.ErrorMessage(err)
	if f := onboardiq.ErrorField(err); f != "" {
		msg = f + ": " + msg
	}
	if r == nil {
		r = &onboardiq.Import{Problems: []onboardiq.ImportProblem{}, Preview: []onboardiq.ImportRow{}}
	}
	r.Error = msg
	report, _ := json.Marshal(storedReport(r))
	return db.InTenant(context.WithoutCancel(ctx), tenantID, func(ctx context.Context, tx *Tx) error {
		_, err := tx.Exec(ctx, `UPDATE imports SET status = 'failed', report = $3, file = NULL, finished_at = now() WHERE tenant_id = $1 AND import_id = $2`,
			tenantID, id, report)
		return err
	})
}

// ImportNow checks and loads a file at once, as the caller, recording it
// as an import: the command line's import, which shows progress itself.
// It answers the report; a refused import is an *ImportRefusal.
func (db *DB) ImportNow(ctx context.Context, raw []byte, o onboardiq.ImportOptions, baseURL string, progress func(done, total int)) (*onboardiq.Import, error) {
	r, err := db.StartImport(ctx, raw, o, baseURL, true)
	if err != nil {
		return r, err
	}
	p, _ := caller(ctx)
	err = db.InTenant(ctx, p.TenantID, func(ctx context.Context, tx *Tx) error {
		_, err := tx.Exec(ctx, `UPDATE imports SET status = 'running', mode = $3 WHERE tenant_id = $1 AND import_id = $2`, p.TenantID, *r.ID, r.Mode)
		return err
	})
	if err != nil {
		return r, err
	}
	if err := mayLoad(r); err != nil {
		_ = db.InTenant(context.WithoutCancel(ctx), p.TenantID, func(ctx context.Context, tx *Tx) error {
			_, err := tx.Exec(ctx, `UPDATE imports SET status = 'failed', file = NULL, finished_at = now() WHERE tenant_id = $1 AND import_id = $2`, p.TenantID, *r.ID)
			return err
		})
		return r, err
	}
	return db.loadImport(ctx, p.TenantID, *r.ID, raw, o, baseURL, progress)
}

// loadImport checks raw again and loads it in one transaction, then marks
// the import done with its report.
func (db *DB) loadImport(ctx context.Context, tenantID, id uuid.UUID, raw []byte, o onboardiq.ImportOptions, baseURL string,
	show func(done, total int)) (*onboardiq.Import, error) {
	var out *onboardiq.Import
	err := db.InTenant(ctx, tenantID, func(ctx context.Context, tx *Tx) error {
		p, err := caller(ctx)
		if err != nil {
			return err
		}
		c, err := checkImport(ctx, tx, raw, o)
		if err != nil {
			return err
		}
		out = c.report()
		if err := mayLoad(out); err != nil {
			return err
		}
		tx.cause = map[string]any{"import_id": id}
		defer func() { tx.cause = nil }()
		progress := func(done, total int) {
			if show != nil {
				show(done, total)
			}
			// Its own transaction, seen at once; the import's row is not
			// locked by tx until the end.
			_ = db.InTenant(ctx, tenantID, func(ctx context.Context, ptx *Tx) error {
				_, err := ptx.Exec(ctx, `UPDATE imports SET processed = $3 WHERE tenant_id = $1 AND import_id = $2`, tenantID, id, done)
				return err
			})
		}
		if err := c.load(ctx, tx, p, baseURL, progress); err != nil {
			return err
		}
		out.Status, out.Processed = onboardiq.ImportDone, out.Rows
		report, err := json.Marshal(storedReport(out))
		if err != nil {
			return err
		}
		var created, finished time.Time
		if err := tx.QueryRow(ctx, `
UPDATE imports SET status = 'done', processed = rows, report = $3, file = NULL, finished_at = now()
WHERE tenant_id = $1 AND import_id = $2 RETURNING created_at, created_by, finished_at`, tenantID, id, report).Scan(&created, &out.CreatedBy, &finished); err != nil {
			return err
		}
		out.ID, out.CreatedAt, out.FinishedAt = &id, &created, &finished
		return nil
	})
	return out, err
}

// checkImport reads raw and checks every row against the workspace.
func checkImport(ctx context.Context, tx *Tx, raw []byte, o onboardiq.ImportOptions) (*checkedImport, error) {
	t, err := csvin.Read(bytes.NewReader(raw), csvin.Limits{})
	if err != nil {
		return nil, err
	}
	f, err := importing.Parse(t, o)
	if err != nil {
		return nil, err
	}
	c := &checkedImport{file: f}
	if len(f.Report.Missing) > 0 {
		return c, nil
	}
	if c.res, err = resolve(ctx, tx, o.Kind, f); err != nil {
		return nil, err
	}
	for _, rec := range f.Records {
		var plan *rowPlan
		switch o.Kind {
		case onboardiq.ImportCustomers:
			plan = c.res.planCustomer(f, rec)
		case onboardiq.ImportUsers:
			plan = c.res.planUser(f, rec)
		case onboardiq.ImportProjects:
			plan = c.res.planProject(f, rec)
		case onboardiq.ImportTasks:
			plan = c.res.planTask(f, rec)
		}
		c.plans = append(c.plans, plan)
	}
	return c, nil
}

// report is the import's report: counts, problems (at most
// MaxImportProblems, in line order) and the preview.
func (c *checkedImport) report() *onboardiq.Import {
	r := c.file.Report
	bad := map[int]bool{}
	for _, p := range r.Problems {
		bad[p.Line] = true
	}
	r.Counts.Skip = len(bad)
	for _, pl := range c.plans {
		if pl == nil {
			continue
		}
		switch pl.action {
		case "create":
			r.Counts.Create++
		case "update":
			r.Counts.Update++
		default:
			r.Counts.Same++
		}
	}
	sortProblems(r.Problems)
	if n := len(r.Problems); n > onboardiq.MaxImportProblems {
		r.Problems = append(r.Problems[:onboardiq.MaxImportProblems-1:onboardiq.MaxImportProblems-1],
			onboardiq.ImportProblem{Message: fmt.Sprintf("and %d more problems", n-onboardiq.MaxImportProblems+1)})
	}
	plans := map[int]*rowPlan{}
	for _, pl := range c.plans {
		if pl != nil {
			plans[pl.rec.Line] = pl
		}
	}
	r.Preview = []onboardiq.ImportRow{}
	for _, rec := range c.file.Records {
		if len(r.Preview) == onboardiq.ImportPreviewRows {
			break
		}
		row := onboardiq.ImportRow{Line: rec.Line, Values: rec.Values, Action: "skip"}
		if pl := plans[rec.Line]; pl != nil {
			row.Action = pl.action
		}
		r.Preview = append(r.Preview, row)
	}
	return &r
}

// sortProblems puts problems in the file's order: by line, then column.
func sortProblems(ps []onboardiq.ImportProblem) {
	slices.SortStableFunc(ps, func(a, b onboardiq.ImportProblem) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
}
