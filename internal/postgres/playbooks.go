package postgres

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/journey"
	"github.com/onboardiq/onboardiq/internal/playbook"
)

// Playbooks (automation rules; docs/playbooks.md): managers read them and
// their executions, run them by hand and dry-run them; admins create,
// change, enable, delete, export and import them.

var errPlaybooksTODO = errors.New("playbooks: not implemented yet")

// RunInput names the subject of a run by hand: a customer, and for a
// project playbook one of its projects (default: its active project).
type RunInput struct {
	CustomerID uuid.UUID  `json:"customer_id"`
	ProjectID  *uuid.UUID `json:"project_id,omitempty" required:"false"`
}

// ImportResult is what an import did.
type ImportResult struct {
	Created   int                   `json:"created"`
	Updated   int                   `json:"updated"`
	Playbooks []*onboardiq.Playbook `json:"playbooks"`
}

// ListPlaybooks lists the workspace's playbooks in their order (managers).
func (db *DB) ListPlaybooks(ctx context.Context) ([]*onboardiq.Playbook, error) {
	return nil, errPlaybooksTODO
}

// GetPlaybook reads one playbook (managers; the signing secret for admins).
func (db *DB) GetPlaybook(ctx context.Context, id uuid.UUID) (*onboardiq.Playbook, error) {
	return nil, errPlaybooksTODO
}

// CreatePlaybook adds a playbook (admins). It is validated (the error names
// the field) and may be enabled only when it needs no setup.
func (db *DB) CreatePlaybook(ctx context.Context, in onboardiq.Playbook) (*onboardiq.Playbook, error) {
	return nil, errPlaybooksTODO
}

// UpdatePlaybook replaces a playbook's definition (admins).
func (db *DB) UpdatePlaybook(ctx context.Context, id uuid.UUID, in onboardiq.Playbook) (*onboardiq.Playbook, error) {
	return nil, errPlaybooksTODO
}

// SetPlaybookEnabled enables or disables a playbook (admins); enabling
// one that needs setup is refused, naming the field.
func (db *DB) SetPlaybookEnabled(ctx context.Context, id uuid.UUID, enabled bool) (*onboardiq.Playbook, error) {
	return nil, errPlaybooksTODO
}

// DeletePlaybook deletes a playbook and its executions (admins).
func (db *DB) DeletePlaybook(ctx context.Context, id uuid.UUID) error {
	return errPlaybooksTODO
}

// ListPlaybookRuns lists a playbook's executions, newest first (managers).
func (db *DB) ListPlaybookRuns(ctx context.Context, id uuid.UUID, o onboardiq.ListOptions) (onboardiq.Page[*onboardiq.PlaybookRun], error) {
	return onboardiq.Page[*onboardiq.PlaybookRun]{}, errPlaybooksTODO
}

// RunPlaybook runs a playbook by hand on a customer (managers), enabled or
// not, without its trigger and past its cooldown and cap: its conditions
// are recorded, and its actions run only when they hold.
func (db *DB) RunPlaybook(ctx context.Context, id uuid.UUID, in RunInput) (*onboardiq.PlaybookRun, error) {
	return nil, errPlaybooksTODO
}

// DryRunPlaybook lists the subjects the playbook would run on now and
// what it would do, changing nothing (managers).
func (db *DB) DryRunPlaybook(ctx context.Context, id uuid.UUID) (*onboardiq.DryRun, error) {
	return nil, errPlaybooksTODO
}

// ExportPlaybooks writes every playbook as code (admins): playbook.YAML or
// playbook.JSON.
func (db *DB) ExportPlaybooks(ctx context.Context, format string) ([]byte, error) {
	return nil, errPlaybooksTODO
}

// ImportPlaybooks reads playbooks as code (admins; format "" detects):
// a playbook with the name of an existing one replaces its definition,
// others are added; all or nothing.
func (db *DB) ImportPlaybooks(ctx context.Context, data []byte, format string) (*ImportResult, error) {
	return nil, errPlaybooksTODO
}

// AcknowledgeEscalation stops an escalation ladder (staff who may read
// playbooks): no later step is told.
func (db *DB) AcknowledgeEscalation(ctx context.Context, id uuid.UUID) (*onboardiq.Escalation, error) {
	return nil, errPlaybooksTODO
}

// PlaybookSummary is a playbook on the list page.
type PlaybookSummary struct {
	*onboardiq.Playbook
	Runs24h    int    // runs that acted in the last 24 hours
	LastStatus string // the latest run's status; "" when none
}

// PlaybooksPage is the console's list of playbooks.
type PlaybooksPage struct {
	Playbooks []*PlaybookSummary
	CanManage bool // admins: create, edit, enable, delete, import
	CanRun    bool // managers: run by hand, dry-run
	Unread    int
}

// PlaybookPage is one playbook's page: its form, its executions, and the
// choices the form offers. Playbook is nil for a new one.
type PlaybookPage struct {
	Playbook   *onboardiq.Playbook
	Runs       []*onboardiq.PlaybookRun // the latest 50
	Customers  []SupportMember          // ID and Name of every active customer, for a run by hand
	Staff      []SupportMember          // staff users, for recipients and assignees
	Stages     []journey.Stage
	Templates  []string // template names
	EmailKinds []string
	Fields     []playbook.Field
	EventKinds []onboardiq.EventKind
	CanManage  bool
	CanRun     bool
	Unread     int
}

// LoadPlaybooksPage reads the list page (managers).
func (db *DB) LoadPlaybooksPage(ctx context.Context) (*PlaybooksPage, error) {
	return nil, errPlaybooksTODO
}

// LoadPlaybookPage reads one playbook's page, or the new-playbook page when
// id is nil (managers).
func (db *DB) LoadPlaybookPage(ctx context.Context, id *uuid.UUID) (*PlaybookPage, error) {
	return nil, errPlaybooksTODO
}
