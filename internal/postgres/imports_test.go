package postgres_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// workspaceArchive is the whole workspace as its JSON archive, without the
// time it was taken: what a change to any table shows in.
func workspaceArchive(t *testing.T, db *postgres.DB, ctx context.Context) string {
	t.Helper()
	var buf bytes.Buffer
	if err := db.ExportWorkspace(ctx, func() io.Writer { return &buf }); err != nil {
		t.Fatal(err)
	}
	return regexp.MustCompile(`"exported_at":"[^"]*"`).ReplaceAllString(buf.String(), "")
}

// importEnv is a workspace with a CSM and a customer that has an external
// id and a contact.
type importEnv struct {
	db           *postgres.DB
	tenant       uuid.UUID
	admin, other context.Context
	csm          *onboardiq.User
	acme         *onboardiq.Customer
}

func newImportEnv(t *testing.T, slug string) *importEnv {
	t.Helper()
	db, tenant, admin, other := newWorkspace(t, slug)
	e := &importEnv{db: db, tenant: tenant, admin: admin, other: other}
	var err error
	if e.csm, _, err = db.InviteStaff(admin, onboardiq.NewUser{Email: "csm@" + slug + ".test", Name: "Casey CSM", Role: onboardiq.RoleCSM}, "https://app.test"); err != nil {
		t.Fatal(err)
	}
	ext := "A-1"
	if e.acme, err = db.CreateCustomer(admin, onboardiq.NewCustomer{Name: "Acme", ExternalID: &ext, Segment: "smb"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err = db.AddContact(admin, e.acme.ID, onboardiq.NewContact{Name: "Ann Acme", Email: "ann@acme.test"}, "https://app.test"); err != nil {
		t.Fatal(err)
	}
	return e
}

// customersFile has a new customer with two contacts over two rows, an
// update of Acme, a row that changes nothing, and four bad rows.
func customersFile(slug string) string {
	return "\ufeffCompany,Account ID,ARR,Renewal,CSM,Contact,E-mail\r\n" +
		"Globex,G-1,\"12,000.50\",2027-03-01,csm@" + slug + ".test,Gil Globex,gil@globex.test\r\n" + // 2: create
		"Globex,G-1,,,,Gina Globex,gina@globex.test\r\n" + // 3: a second contact of Globex
		"Acme,A-1,5000,,,,\r\n" + // 4: update Acme's ARR
		"Acme,A-1,5000,,,Ann Acme,ann@acme.test\r\n" + // 5: same customer as line 4, contact unchanged
		"Initech,I-1,lots,,,,\r\n" + // 6: bad ARR
		"Hooli,H-1,,2027-13-01,,,\r\n" + // 7: bad date
		"Umbrella,U-1,,,nobody@" + slug + ".test,,\r\n" + // 8: no such CSM
		"Stark,S-1,,,,Tony,ann@acme.test\r\n" // 9: Acme's contact
}

// TestImportDryRunChangesNothing: a dry run reports every bad row by line
// and column, and what each good row would do, and the workspace is the
// same byte for byte.
func TestImportDryRunChangesNothing(t *testing.T) {
	t.Parallel()
	e := newImportEnv(t, "dryrun")
	before := workspaceArchive(t, e.db, e.admin)
	r, err := e.db.CheckImport(e.admin, []byte(customersFile("dryrun")), onboardiq.ImportOptions{Kind: onboardiq.ImportCustomers, Filename: "c.csv"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before, workspaceArchive(t, e.db, e.admin)); diff != "" {
		t.Fatalf("a dry run changed the workspace:\n%s", diff)
	}
	if r.ID != nil || !r.DryRun || r.Encoding != "utf-8-bom" || r.Rows != 8 {
		t.Errorf("report = id %v, dry run %v, encoding %s, rows %d", r.ID, r.DryRun, r.Encoding, r.Rows)
	}
	want := map[string]string{"name": "Company", "external_id": "Account ID", "arr": "ARR", "renewal_date": "Renewal",
		"csm_email": "CSM", "contact_name": "Contact", "contact_email": "E-mail"}
	if diff := cmp.Diff(want, r.Mapping); diff != "" {
		t.Errorf("mapping (-want +got):\n%s", diff)
	}
	var got []string
	for _, p := range r.Problems {
		got = append(got, fmt.Sprintf("%d:%d:%s", p.Line, p.Column, p.Field))
	}
	if diff := cmp.Diff([]string{"6:3:ARR", "7:4:Renewal", "8:5:CSM", "9:7:E-mail"}, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s\n%+v", diff, r.Problems)
	}
	if want := (onboardiq.ImportCounts{Create: 1, Update: 1, Skip: 4}); r.Counts != want {
		t.Errorf("counts = %+v, want %+v", r.Counts, want)
	}
	// The preview: the rows the file could read, with what each does
	// (lines 6 and 7 failed before the workspace was asked).
	var actions []string
	for _, row := range r.Preview {
		actions = append(actions, fmt.Sprintf("%d:%s", row.Line, row.Action))
	}
	if diff := cmp.Diff([]string{"2:create", "4:update", "8:skip", "9:skip"}, actions); diff != "" || r.Preview[1].Values["arr"] != "5000" {
		t.Errorf("preview = %+v", r.Preview)
	}
}

// TestImportCustomers: all-or-nothing refuses a file with a bad row and
// stores nothing; row by row loads the good rows through the job, with
// their contacts and events, and reports the bad ones; the same file again
// creates nothing more.
func TestImportCustomers(t *testing.T) {
	t.Parallel()
	e := newImportEnv(t, "loadcust")
	ctx := context.Background()
	file := []byte(customersFile("loadcust"))
	before := workspaceArchive(t, e.db, e.admin)
	_, err := e.db.StartImport(e.admin, file, onboardiq.ImportOptions{Kind: onboardiq.ImportCustomers}, "https://app.test", false)
	var refusal *postgres.ImportRefusal
	if !errors.As(err, &refusal) || onboardiq.ErrorField(err) != "file" || len(refusal.Report.Problems) != 4 {
		t.Fatalf("all-or-nothing with bad rows: %v", err)
	}
	if diff := cmp.Diff(before, workspaceArchive(t, e.db, e.admin)); diff != "" {
		t.Fatalf("a refused import changed the workspace:\n%s", diff)
	}

	r, err := e.db.StartImport(e.admin, file, onboardiq.ImportOptions{Kind: onboardiq.ImportCustomers, Mode: onboardiq.ImportRowByRow}, "https://app.test", false)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != onboardiq.ImportQueued || r.ID == nil {
		t.Fatalf("started import = %+v", r)
	}
	if err := e.db.RunImport(ctx, e.tenant, *r.ID); err != nil {
		t.Fatal(err)
	}
	got, err := e.db.GetImport(e.admin, *r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != onboardiq.ImportDone || got.Processed != 8 || got.Counts != (onboardiq.ImportCounts{Create: 1, Update: 1, Skip: 4}) || len(got.Problems) != 4 {
		t.Fatalf("finished import = %+v", got)
	}
	var (
		arr                       float64
		member                    *uuid.UUID
		contacts, events, created int
		file2                     *[]byte
	)
	err = e.db.InTenant(ctx, e.tenant, func(ctx context.Context, tx *postgres.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT arr::float8 FROM customers WHERE tenant_id = $1 AND external_id = 'A-1'`, e.tenant).Scan(&arr); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `
SELECT c.support_member_id, (SELECT count(*) FROM tenant_users u WHERE u.tenant_id = $1 AND u.customer_id = c.customer_id)
FROM customers c WHERE c.tenant_id = $1 AND c.external_id = 'G-1' AND c.arr = 12000.50 AND c.renewal_date = '2027-03-01'`, e.tenant).Scan(&member, &contacts); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE kind = 'customer.created') FROM events WHERE tenant_id = $1 AND data->>'import_id' = $2`,
			e.tenant, r.ID.String()).Scan(&events, &created); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT file FROM imports WHERE tenant_id = $1 AND import_id = $2`, e.tenant, *r.ID).Scan(&file2)
	})
	if err != nil {
		t.Fatal(err)
	}
	if arr != 5000 || member == nil || *member != e.csm.ID || contacts != 2 {
		t.Errorf("Acme ARR %v; Globex CSM %v (want %v), contacts %d", arr, member, e.csm.ID, contacts)
	}
	// Globex created, Acme updated, Gil and Gina added.
	if events != 4 || created != 1 {
		t.Errorf("events of the import: %d (%d customer.created), want 4 (1)", events, created)
	}
	if file2 != nil {
		t.Error("the file is kept after the import ran")
	}

	// Again: nothing to create or change.
	again, err := e.db.CheckImport(e.admin, file, onboardiq.ImportOptions{Kind: onboardiq.ImportCustomers})
	if err != nil {
		t.Fatal(err)
	}
	if again.Counts != (onboardiq.ImportCounts{Same: 2, Skip: 4}) {
		t.Errorf("the same file again: %+v", again.Counts)
	}
	// Running it a second time does nothing.
	if err := e.db.RunImport(ctx, e.tenant, *r.ID); err != nil {
		t.Fatal(err)
	}

	// Another workspace sees none of it; a CSM may not import.
	if _, err := e.db.GetImport(e.other, *r.ID); onboardiq.ErrorCode(err) != onboardiq.ENOTFOUND {
		t.Errorf("another workspace's admin reads the import: %v", err)
	}
	csm := onboardiq.NewContextWithPrincipal(ctx, &onboardiq.Principal{TenantID: e.tenant, UserID: e.csm.ID, Role: onboardiq.RoleCSM})
	if _, err := e.db.CheckImport(csm, file, onboardiq.ImportOptions{Kind: onboardiq.ImportCustomers}); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
		t.Errorf("a CSM's dry run: %v", err)
	}
	if list, err := e.db.ListImports(e.other); err != nil || len(list) != 0 {
		t.Errorf("another workspace's imports: %v, %v", list, err)
	}
}

// TestImportUsersProjectsTasks: staff are invited and contacts added;
// projects start from the template named (or the default); tasks land in
// the project named, assigned; an existing row is left alone.
func TestImportUsersProjectsTasks(t *testing.T) {
	t.Parallel()
	e := newImportEnv(t, "loadmore")
	ctx := context.Background()
	load := func(kind onboardiq.ImportKind, file string) *onboardiq.Import {
		t.Helper()
		r, err := e.db.ImportNow(e.admin, []byte(file), onboardiq.ImportOptions{Kind: kind}, "https://app.test", nil)
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		return r
	}
	users := load(onboardiq.ImportUsers, "email;name;role;customer\n"+
		"sam@loadmore.test;Sam Staff;CSM;\n"+
		"bob@acme.test;Bob Acme;contact;A-1\n"+
		"ann@acme.test;Ann Acme;customer;Acme\n")
	if users.Counts != (onboardiq.ImportCounts{Create: 2, Same: 1}) || users.Delimiter != ";" {
		t.Fatalf("users: %+v", users)
	}
	tpl, err := e.db.CreateTemplate(e.admin, onboardiq.Template{Name: "Enterprise", Tasks: []onboardiq.TemplateTask{{Phase: "Start", Description: "Kickoff call", DurationDays: 3, Side: "vendor"}}})
	if err != nil {
		t.Fatal(err)
	}
	projects := load(onboardiq.ImportProjects, "name,customer,template,start_date\n"+
		"Acme rollout,A-1,enterprise,2027-01-04\n")
	if projects.Counts.Create != 1 {
		t.Fatalf("projects: %+v", projects)
	}
	tasks := load(onboardiq.ImportTasks, "title,project,due_date,assignee_email,visibility\n"+
		"Kickoff call,Acme rollout,,,\n"+
		"Send the SSO metadata,Acme rollout,2027-01-20,bob@acme.test,customer\n"+
		"Check the invoices,Acme rollout,,sam@loadmore.test,internal\n")
	if tasks.Counts != (onboardiq.ImportCounts{Create: 2, Same: 1}) {
		t.Fatalf("tasks: %+v", tasks)
	}
	err = e.db.InTenant(ctx, e.tenant, func(ctx context.Context, tx *postgres.Tx) error {
		var invited, tplTasks, assigned int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM deliveries d JOIN tenant_users u ON u.tenant_id = d.tenant_id AND u.user_id = d.user_id
WHERE d.tenant_id = $1 AND u.email = 'sam@loadmore.test' AND d.event_type = 'staff_invitation'`, e.tenant).Scan(&invited); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT count(*) FILTER (WHERE t.template_task_id IS NOT NULL), count(*) FILTER (WHERE u.email IN ('bob@acme.test', 'sam@loadmore.test'))
FROM tasks t JOIN projects p ON p.tenant_id = t.tenant_id AND p.project_id = t.project_id LEFT JOIN tenant_users u ON u.tenant_id = t.tenant_id AND u.user_id = t.assigned_to
WHERE t.tenant_id = $1 AND p.name = 'Acme rollout' AND p.template_id = $2`, e.tenant, tpl.ID).Scan(&tplTasks, &assigned); err != nil {
			return err
		}
		if invited != 1 || tplTasks != 1 || assigned != 2 {
			t.Errorf("invitations %d (want 1), template tasks %d (want 1), assigned imported tasks %d (want 2)", invited, tplTasks, assigned)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// A task of a project nobody has, and a contact of no customer.
	r, err := e.db.CheckImport(e.admin, []byte("title,project\nX,Nowhere\n"), onboardiq.ImportOptions{Kind: onboardiq.ImportTasks})
	if err != nil || len(r.Problems) != 1 || r.Problems[0].Field != "project" || !strings.Contains(r.Problems[0].Message, "Nowhere") {
		t.Errorf("unknown project: %+v, %v", r, err)
	}
	r, err = e.db.CheckImport(e.admin, []byte("email,name,role\nzed@x.test,Zed,customer\n"), onboardiq.ImportOptions{Kind: onboardiq.ImportUsers})
	if err != nil || len(r.Problems) != 1 || !strings.Contains(r.Problems[0].Message, "customer") {
		t.Errorf("a contact without a customer: %+v, %v", r, err)
	}
	// A mapping can name the column; a required field left without one
	// stops the import.
	r, err = e.db.CheckImport(e.admin, []byte("Who,Mail\nZed,zed@x.test\n"), onboardiq.ImportOptions{Kind: onboardiq.ImportUsers,
		Mapping: map[string]string{"name": "Who", "email": "Mail"}})
	if err != nil || len(r.Missing) != 1 || r.Missing[0] != "role" {
		t.Errorf("missing role: %+v, %v", r, err)
	}
	if _, err := e.db.CheckImport(e.admin, []byte("a\n1\n"), onboardiq.ImportOptions{Kind: onboardiq.ImportUsers, Mapping: map[string]string{"email": "Nope"}}); onboardiq.ErrorField(err) != "mapping" {
		t.Errorf("a mapping to no column: %v", err)
	}
}
