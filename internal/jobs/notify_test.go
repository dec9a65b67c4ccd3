package jobs

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/ai"
	"github.com/onboardiq/onboardiq/internal/demo"
	"github.com/onboardiq/onboardiq/internal/netguard"
	"github.com/onboardiq/onboardiq/internal/notify"
	"github.com/onboardiq/onboardiq/internal/postgres"
	"github.com/onboardiq/onboardiq/internal/testdb"
)

// mailbox is an SMTP server on loopback that keeps what it accepts; reject
// answers the DATA command with an error while it returns one.
type mailbox struct {
	mu     sync.Mutex
	msgs   []mail
	reject func() *smtp.SMTPError
	addr   string
}

type mail struct {
	from string
	to   []string
	data string
}

type session struct {
	box *mailbox
	cur mail
}

func (s *session) Reset()        { s.cur = mail{} }
func (s *session) Logout() error { return nil }
func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	s.cur.from = from
	return nil
}
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.to = append(s.cur.to, to)
	return nil
}
func (s *session) Data(r io.Reader) error {
	b, _ := io.ReadAll(r)
	s.box.mu.Lock()
	defer s.box.mu.Unlock()
	if s.box.reject != nil {
		if err := s.box.reject(); err != nil {
			return err
		}
	}
	s.cur.data = string(b)
	s.box.msgs = append(s.box.msgs, s.cur)
	return nil
}

func newMailbox(t *testing.T) *mailbox {
	t.Helper()
	box := &mailbox{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{box: box}, nil }))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln) //nolint:errcheck
	t.Cleanup(func() { srv.Close() })
	box.addr = ln.Addr().String()
	return box
}

func (b *mailbox) all() []mail {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]mail(nil), b.msgs...)
}

// receiver is a webhook endpoint on loopback that records what arrives.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	requests []received
	status   func(n int) int
}

type received struct {
	header http.Header
	body   []byte
}

func newReceiver(t *testing.T, status func(n int) int) *receiver {
	t.Helper()
	r := &receiver{status: status}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.requests = append(r.requests, received{req.Header.Clone(), b})
		n := len(r.requests)
		r.mu.Unlock()
		code := http.StatusOK
		if r.status != nil {
			code = r.status(n)
		}
		if code == http.StatusFound {
			w.Header().Set("Location", "http://127.0.0.1:1/elsewhere")
		}
		w.WriteHeader(code)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) got() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.requests...)
}

type fixture struct {
	db     *testdb.DB
	tenant uuid.UUID
	admin  context.Context // as the tenant's admin
	mailer *notify.Mailer
	box    *mailbox
	guard  *netguard.Guard
	hooks  *notify.Webhooks
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	d := testdb.New(t)
	guard := &netguard.Guard{AllowPrivate: true} // the receivers are on loopback
	d.App = d.Open(t, postgres.WithWebhookGuard(guard))
	res, err := demo.Seed(ctx, d.App, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	p, err := d.App.Authenticate(ctx, res.Logins[0].Token)
	if err != nil {
		t.Fatal(err)
	}
	box := newMailbox(t)
	return &fixture{db: d, tenant: res.TenantID, admin: onboardiq.NewContextWithPrincipal(ctx, p), box: box,
		mailer: &notify.Mailer{SMTPURL: "smtp://" + box.addr, From: "OnboardIQ <onboardiq@acme.example>", BaseURL: "http://onboardiq.test"},
		guard:  guard, hooks: notify.NewWebhooks(guard)}
}

func (f *fixture) register(t *testing.T, url string, events ...string) (uuid.UUID, string) {
	t.Helper()
	w, secret, err := f.db.App.CreateWebhook(f.admin, onboardiq.WebhookInput{URL: url, Events: events, AllowHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	return w.ID, secret
}

// fanOut works the tenant's queued event jobs now, as the running workers
// would, and marks them done: the deliveries they make are queued, not sent.
func (f *fixture) fanOut(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	w := &FanOutWorker{DB: f.db.App, Consumers: consumers(Deps{})}
	rows, err := f.db.App.Pool.Query(ctx, `
SELECT id, args FROM river_job WHERE kind = 'event' AND args->>'tenant_id' = $1 AND state IN ('available', 'scheduled') ORDER BY id`,
		f.tenant.String())
	if err != nil {
		t.Fatal(err)
	}
	type pendingJob struct {
		Job  int64
		Args postgres.EventArgs
	}
	jobs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[pendingJob])
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range jobs {
		if err := w.Work(ctx, job(j.Args, 1)); err != nil {
			t.Fatalf("fan-out of events %v: %v", j.Args.IDs(), err)
		}
		if _, err := f.db.App.Pool.Exec(ctx, `UPDATE river_job SET state = 'completed', finalized_at = now() WHERE id = $1`, j.Job); err != nil {
			t.Fatal(err)
		}
	}
}

// pending lists the deliveries of the queued jobs of a kind for the
// tenant, a batch's in its order.
func (f *fixture) pending(t *testing.T, kind string) []uuid.UUID {
	t.Helper()
	rows, err := f.db.App.Pool.Query(context.Background(), `
SELECT d::uuid FROM river_job,
    jsonb_array_elements_text(CASE WHEN args ? 'delivery_ids' THEN args->'delivery_ids' ELSE jsonb_build_array(args->'delivery_id') END)
        WITH ORDINALITY AS b (d, n)
WHERE kind = $1 AND args->>'tenant_id' = $2 AND state IN ('available', 'scheduled') ORDER BY id, n`,
		kind, f.tenant.String())
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []uuid.UUID
	for rows.Next() {
		var id uuid.UUID
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

func (f *fixture) delivery(t *testing.T, id uuid.UUID) *postgres.Outbound {
	t.Helper()
	var o *postgres.Outbound
	err := f.db.App.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *postgres.Tx) error {
		var err error
		o, err = tx.LoadOutbound(ctx, id)
		return err
	})
	if err != nil || o == nil {
		t.Fatalf("delivery %s: %v", id, err)
	}
	return o
}

func job[T river.JobArgs](args T, attempt int) *river.Job[T] {
	return &river.Job[T]{JobRow: &rivertype.JobRow{Attempt: attempt}, Args: args}
}

func (f *fixture) scan(t *testing.T) *postgres.ScanResult {
	t.Helper()
	r, err := f.db.App.ScanOne(context.Background(), f.tenant, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	f.fanOut(t)
	return r
}

func (f *fixture) count(t *testing.T, q string, args ...any) int {
	t.Helper()
	var n int
	err := f.db.App.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *postgres.Tx) error {
		return tx.QueryRow(ctx, q, args...).Scan(&n)
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// notificationsPerRecipient counts the tenant's notifications by kind,
// recipient's email and project: "kind email" for Initech's project, with
// " (project name)" added for any other.
func (f *fixture) notificationsPerRecipient(t *testing.T) map[string]int {
	t.Helper()
	out := map[string]int{}
	err := f.db.App.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *postgres.Tx) error {
		rows, err := tx.Query(ctx, `
SELECT n.kind, u.email, p.name, count(*)
FROM notifications n
JOIN tenant_users u ON u.tenant_id = n.tenant_id AND u.user_id = n.user_id
JOIN projects p ON p.tenant_id = n.tenant_id AND p.project_id = n.project_id
GROUP BY n.kind, u.email, p.name`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var kind, email, project string
			var n int
			if err := rows.Scan(&kind, &email, &project, &n); err != nil {
				return err
			}
			key := kind + " " + email
			if project != "Initech Health onboarding" {
				key += " (" + project + ")"
			}
			out[key] = n
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestConcurrentScans: three scans at once create one notification per
// recipient; a moved deadline re-arms the alert (outside the cooldown).
// TestProjectsSharingADeadline: two projects overdue since the same moment
// are two alerts, each told to everyone it concerns.
func TestProjectsSharingADeadline(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.count(t, `WITH m AS (UPDATE projects SET deadline = (SELECT deadline FROM projects WHERE name = 'Initech Health onboarding'), status = 'in_progress'
WHERE name = 'Globex platform rollout' RETURNING 1) SELECT count(*) FROM m`)
	f.scan(t)
	got := f.notificationsPerRecipient(t)
	for _, k := range []string{
		"project_overdue dana.whitfield@acme.example",
		"project_overdue dana.whitfield@acme.example (Globex platform rollout)",
		"project_overdue_escalated alex.morgan@acme.example (Globex platform rollout)",
	} {
		if got[k] != 1 {
			t.Errorf("%s: %d notifications, want 1 (all: %v)", k, got[k], got)
		}
	}
}

func TestConcurrentScans(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			if _, err := f.db.App.Scan(context.Background(), time.Now()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	const overdue = `SELECT count(*) FROM notifications n JOIN projects p ON p.tenant_id = n.tenant_id AND p.project_id = n.project_id WHERE p.name = 'Initech Health onboarding' AND n.kind = $1`
	// One notification per recipient, project and kind, however many scans
	// ran: the sales leader and Initech's CSM are told it is overdue; the
	// admin, by escalation (7 days late).
	want := map[string]int{
		"project_overdue dana.whitfield@acme.example":        1,
		"project_overdue marco.rossi@acme.example":           1,
		"project_overdue_escalated alex.morgan@acme.example": 1,
	}
	if got := f.notificationsPerRecipient(t); !maps.Equal(got, want) {
		t.Errorf("notifications per kind and recipient after three concurrent scans: %v, want %v", got, want)
	}
	if r := f.scan(t); len(r.Notifications) != 0 {
		t.Errorf("a fourth scan notified again: %+v", r.Notifications)
	}
	// Moving the deadline re-arms it, but the default cooldown (24 h) keeps
	// the same people from hearing of the same project twice in a day.
	// The new deadline is computed here: Citus refuses a STABLE function
	// (timestamptz - interval) over a column in an UPDATE.
	move := func() {
		t.Helper()
		var deadline time.Time
		err := f.db.App.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *postgres.Tx) error {
			if err := tx.QueryRow(ctx, `SELECT deadline FROM projects WHERE name = 'Initech Health onboarding'`).Scan(&deadline); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `UPDATE projects SET deadline = $1 WHERE name = 'Initech Health onboarding'`, deadline.Add(-24*time.Hour))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	move()
	if r := f.scan(t); len(r.Notifications) != 0 {
		t.Errorf("within the cooldown: %d notifications", len(r.Notifications))
	}
	f.count(t, `WITH s AS (UPDATE tenants SET notification_cooldown_hours = 0 RETURNING 1) SELECT count(*) FROM s`)
	move()
	if n := f.count(t, overdue, "project_overdue"); n != 2 {
		t.Fatalf("before the re-armed scan: %d", n)
	}
	f.scan(t)
	if n := f.count(t, overdue, "project_overdue"); n != 4 {
		t.Errorf("after moving the deadline: %d overdue notifications, want 4", n)
	}
	// Each recipient once more for the new deadline, no one twice for it.
	for k := range want {
		want[k] = 2
	}
	if got := f.notificationsPerRecipient(t); !maps.Equal(got, want) {
		t.Errorf("notifications per kind and recipient after the re-armed scan: %v, want %v", got, want)
	}
}

func TestEmailDelivery(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.scan(t)
	ids := f.pending(t, "email")
	if len(ids) < 3 {
		t.Fatalf("%d emails queued, want at least the overdue and escalation ones", len(ids))
	}
	w := &EmailWorker{DB: f.db.App, Mailer: f.mailer}
	// A temporary refusal: retried (the worker returns an error for River).
	f.box.reject = func() *smtp.SMTPError { return &smtp.SMTPError{Code: 451, Message: "try again later"} }
	if err := w.Work(context.Background(), job(postgres.EmailArgs{TenantID: f.tenant, DeliveryID: ids[0]}, 1)); err == nil {
		t.Error("a 451 was not retried")
	}
	if d := f.delivery(t, ids[0]); d.Status != "retrying" || len(d.Attempts) != 1 || !strings.Contains(d.Attempts[0].Result, "451") {
		t.Errorf("after a 451: %+v", d.Delivery)
	}
	f.box.reject = nil
	if err := w.Work(context.Background(), job(postgres.EmailArgs{TenantID: f.tenant, DeliveryID: ids[0]}, 2)); err != nil {
		t.Fatal(err)
	}
	d := f.delivery(t, ids[0])
	if d.Status != "delivered" || len(d.Attempts) != 2 {
		t.Errorf("after the retry: %+v", d.Delivery)
	}
	msgs := f.box.all()
	for i := range msgs { // undo quoted-printable's soft line breaks
		msgs[i].data = strings.NewReplacer("=\r\n", "", "=\n", "").Replace(msgs[i].data)
	}
	if len(msgs) != 1 || msgs[0].to[0] != d.Recipient || !strings.Contains(msgs[0].data, "Subject: "+d.Subject) ||
		!strings.Contains(msgs[0].data, "text/plain") || !strings.Contains(msgs[0].data, "text/html") ||
		!strings.Contains(msgs[0].data, "http://onboardiq.test/app/projects/"+d.ProjectID.String()) {
		t.Errorf("the email: %+v", msgs)
	}
	// A permanent refusal: recorded as failed, not retried.
	f.box.reject = func() *smtp.SMTPError { return &smtp.SMTPError{Code: 554, Message: "no such mailbox"} }
	if err := w.Work(context.Background(), job(postgres.EmailArgs{TenantID: f.tenant, DeliveryID: ids[1]}, 1)); err != nil {
		t.Errorf("a 554 should not be retried: %v", err)
	}
	if d := f.delivery(t, ids[1]); d.Status != "failed" || !strings.Contains(*d.LastError, "554") {
		t.Errorf("after a 554: %+v", d.Delivery)
	}
}

// TestEmailBatch: a scan's alert emails go in one job, which makes each
// delivery's first attempt: a temporary refusal goes on in a job of its
// own that counts on from the batch's attempt, a permanent one fails, the
// rest are sent. Run again (as River runs a job again after a failure of
// the store), the batch sends nothing twice and queues nothing twice.
func TestEmailBatch(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	f.scan(t)
	jobs := func(where string) []postgres.EmailArgs {
		t.Helper()
		rows, err := f.db.App.Pool.Query(ctx, `SELECT args FROM river_job WHERE kind = 'email' AND args->>'tenant_id' = $1 AND `+where+` ORDER BY id`, f.tenant.String())
		if err != nil {
			t.Fatal(err)
		}
		out, err := pgx.CollectRows(rows, pgx.RowTo[postgres.EmailArgs])
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	batches := jobs(`args ? 'delivery_ids'`)
	if len(batches) != 1 || len(batches[0].DeliveryIDs) < 3 || len(jobs(`args ? 'delivery_id'`)) != 0 {
		t.Fatalf("the scan queued %d email batches (%v) and %d single jobs; want one batch of its emails, at least 3",
			len(batches), batches, len(jobs(`args ? 'delivery_id'`)))
	}
	ids := batches[0].DeliveryIDs
	w := &EmailWorker{DB: f.db.App, Mailer: f.mailer}
	// Too near its end to send one more: the rest goes to a job of its own.
	short, cancel := context.WithTimeout(ctx, emailTimeout/2)
	defer cancel()
	if err := w.Work(short, job(batches[0], 1)); err != nil {
		t.Fatal(err)
	}
	if again := jobs(`args ? 'delivery_ids'`); len(f.box.all()) != 0 || len(again) != 2 || !slices.Equal(again[1].DeliveryIDs, ids) {
		t.Fatalf("near its end, the batch sent %d emails and left %+v; want none sent and its deliveries in a new batch", len(f.box.all()), again)
	}
	var refused atomic.Int32
	f.box.reject = func() *smtp.SMTPError {
		switch refused.Add(1) {
		case 1:
			return &smtp.SMTPError{Code: 451, Message: "try again later"}
		case 2:
			return &smtp.SMTPError{Code: 554, Message: "no such mailbox"}
		}
		return nil
	}
	for run := 1; run <= 2; run++ {
		if err := w.Work(ctx, job(batches[0], run)); err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		if sent := len(f.box.all()); sent != len(ids)-2 {
			t.Errorf("run %d: %d emails accepted; want %d, every one but the refused two, once", run, sent, len(ids)-2)
		}
		if own := jobs(`args ? 'delivery_id'`); len(own) != 1 || own[0].DeliveryID != ids[0] || own[0].Attempted != 1 {
			t.Errorf("run %d: jobs of their own %+v; want one for %s, after 1 attempt", run, own, ids[0])
		}
	}
	if d := f.delivery(t, ids[0]); d.Status != "retrying" || len(d.Attempts) != 1 || !strings.Contains(d.Attempts[0].Result, "451") {
		t.Errorf("refused for now: %+v", d.Delivery)
	}
	if d := f.delivery(t, ids[1]); d.Status != "failed" || len(d.Attempts) != 1 {
		t.Errorf("refused for good: %+v", d.Delivery)
	}
	for _, id := range ids[2:] {
		if d := f.delivery(t, id); d.Status != "delivered" || len(d.Attempts) != 1 {
			t.Errorf("accepted: %+v", d.Delivery)
		}
	}
	// Its own job counts on from the batch: its first run is attempt 2,
	// its ninth the last of EmailMaxAttempts.
	f.box.reject = func() *smtp.SMTPError { return &smtp.SMTPError{Code: 451, Message: "try again later"} }
	own := jobs(`args ? 'delivery_id'`)[0]
	if err := w.Work(ctx, job(own, 1)); err == nil {
		t.Error("a 451 on the job of its own was not retried")
	}
	if err := w.Work(ctx, job(own, postgres.EmailMaxAttempts-1)); err != nil {
		t.Errorf("the last attempt: %v; want it recorded as final", err)
	}
	d := f.delivery(t, ids[0])
	if got := len(d.Attempts); d.Status != "failed" || got != 3 || d.Attempts[1].Attempt != 2 || d.Attempts[2].Attempt != postgres.EmailMaxAttempts {
		t.Errorf("after its own job's runs: status %s, attempts %+v; want failed after attempts 1, 2 and %d", d.Status, d.Attempts, postgres.EmailMaxAttempts)
	}
}

func TestWebhookDelivery(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	rcv := newReceiver(t, func(n int) int {
		if n == 1 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	_, secret := f.register(t, rcv.URL, string(onboardiq.EventProjectOverdue))
	f.scan(t)
	ids := f.pending(t, "webhook")
	if len(ids) != 1 {
		t.Fatalf("%d webhooks queued, want 1 (the endpoint takes project.overdue only)", len(ids))
	}
	w := &WebhookWorker{DB: f.db.App, Webhooks: f.hooks}
	args := postgres.WebhookArgs{TenantID: f.tenant, DeliveryID: ids[0]}
	if err := w.Work(context.Background(), job(args, 1)); err == nil {
		t.Error("a 500 was not retried")
	}
	if err := w.Work(context.Background(), job(args, 2)); err != nil {
		t.Fatal(err)
	}
	got := rcv.got()
	if len(got) != 2 || got[0].header.Get("webhook-id") == "" || got[0].header.Get("webhook-id") != got[1].header.Get("webhook-id") {
		t.Fatalf("the retry should carry the same webhook-id: %d requests", len(got))
	}
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := wh.Verify(got[1].body, got[1].header); err != nil {
		t.Errorf("the signature does not verify: %v", err)
	}
	if !strings.Contains(string(got[1].body), `"type":"project.overdue"`) || !strings.Contains(string(got[1].body), "Initech Health onboarding") {
		t.Errorf("body: %s", got[1].body)
	}
	if d := f.delivery(t, ids[0]); d.Status != "delivered" || len(d.Attempts) != 2 || d.Attempts[0].OK || !strings.Contains(d.Attempts[0].Result, "500") {
		t.Errorf("delivery log: %+v", d.Delivery)
	}
	// Running the job again after success sends nothing.
	if err := w.Work(context.Background(), job(args, 3)); err != nil || len(rcv.got()) != 2 {
		t.Errorf("a delivered webhook was sent again")
	}
}

func TestWebhookGoneRedirectAndSlack(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	gone := newReceiver(t, func(int) int { return http.StatusGone })
	moved := newReceiver(t, func(int) int { return http.StatusFound })
	slack := newReceiver(t, nil)
	goneID, _ := f.register(t, gone.URL)
	f.register(t, moved.URL)
	sw, _, err := f.db.App.CreateWebhook(f.admin, onboardiq.WebhookInput{URL: slack.URL, Format: "slack", AllowHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	f.scan(t)
	w := &WebhookWorker{DB: f.db.App, Webhooks: f.hooks}
	for _, id := range f.pending(t, "webhook") {
		_ = w.Work(context.Background(), job(postgres.WebhookArgs{TenantID: f.tenant, DeliveryID: id}, 1))
	}
	ep, err := f.db.App.GetWebhook(f.admin, goneID)
	if err != nil || !ep.Disabled || ep.DisabledReason == nil || !strings.Contains(*ep.DisabledReason, "410") {
		t.Errorf("after a 410: %+v %v", ep, err)
	}
	page, err := f.db.App.ListDeliveries(f.admin, postgres.DeliveryFilter{EndpointID: &goneID})
	if err != nil || len(page.Items) == 0 || page.Items[0].Status != "failed" {
		t.Errorf("the 410 delivery: %+v %v", page.Items, err)
	}
	if len(moved.got()) == 0 {
		t.Fatal("the redirecting endpoint got nothing")
	}
	// Followed, the redirect would have failed to connect; not followed,
	// the attempt records the 302.
	pg, _ := f.db.App.ListDeliveries(f.admin, postgres.DeliveryFilter{})
	found := false
	for _, d := range pg.Items {
		if d.Recipient == moved.URL && len(d.Attempts) > 0 && strings.Contains(d.Attempts[0].Result, "302") && d.Status == "retrying" {
			found = true
		}
	}
	if !found {
		t.Errorf("no retrying delivery recording the 302: %+v", pg.Items)
	}
	if got := slack.got(); len(got) == 0 || !strings.HasPrefix(string(got[0].body), `{"text":`) || got[0].header.Get("webhook-signature") == "" {
		t.Errorf("slack endpoint %s got %v", sw.ID, got)
	}
}

// TestPrivateTargetsRefused: a name that resolves to loopback is refused
// at registration and, if it changes its address later, at dial time.
func TestPrivateTargetsRefused(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t, nil)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(rcv.URL, "http://"))
	resolver := func(context.Context, string) ([]netip.Addr, error) {
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
	}
	strict := &netguard.Guard{Lookup: resolver}
	for _, u := range []string{"https://evil.test/hook", "https://127.0.0.1/hook", "https://169.254.169.254/latest", "https://[::1]/x",
		"https://10.0.0.8/x", "https://100.64.1.1/x", "http://hooks.example.com/x"} {
		if err := strict.CheckURL(context.Background(), u, false); err == nil {
			t.Errorf("%s was accepted", u)
		}
	}
	open := &netguard.Guard{Lookup: func(context.Context, string) ([]netip.Addr, error) {
		return []netip.Addr{netip.MustParseAddr("93.184.215.14")}, nil
	}}
	if err := open.CheckURL(context.Background(), "https://hooks.example.com/x", false); err != nil {
		t.Errorf("a public https URL was refused: %v", err)
	}
	// At dial time.
	o := &postgres.Outbound{URL: "http://evil.test:" + port + "/hook", Secret: "whsec_" + strings.Repeat("A", 44), Payload: map[string]any{"type": "webhook.test"}}
	o.MessageID = "msg_1"
	out := notify.NewWebhooks(strict).Send(context.Background(), o)
	if out.OK || !strings.Contains(out.Result, "refused to connect") || len(rcv.got()) != 0 {
		t.Errorf("dial to a private address: %+v, %d requests", out, len(rcv.got()))
	}
}

func TestRollbackSendsNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	rcv := newReceiver(t, nil)
	f.register(t, rcv.URL)
	f.fanOut(t)
	events := f.count(t, `SELECT count(*) FROM events`)
	// The fan-out's own changes (a journey stage) may have queued events
	// of their own: the rollback adds none.
	jobs := len(f.pending(t, "event")) + len(f.pending(t, "webhook"))
	deliveries := f.count(t, `SELECT count(*) FROM deliveries`)
	err := f.db.App.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *postgres.Tx) error {
		if err := tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventTaskCompleted}); err != nil {
			return err
		}
		return fmt.Errorf("roll back")
	})
	if err == nil {
		t.Fatal("no error")
	}
	if n := len(f.pending(t, "event")) + len(f.pending(t, "webhook")); n != jobs {
		t.Errorf("%d event or webhook jobs after a rollback, want %d as before", n, jobs)
	}
	if n := f.count(t, `SELECT count(*) FROM events`); n != events {
		t.Errorf("%d events after a rollback, want %d as before", n, events)
	}
	if n := f.count(t, `SELECT count(*) FROM deliveries`); n != deliveries {
		t.Errorf("%d deliveries after a rollback, want %d as before", n, deliveries)
	}
}

// TestWorkersDeliverAfterRestart: an event committed while no worker runs
// is delivered once one starts; another tenant's endpoint gets nothing.
func TestWorkersDeliverAfterRestart(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	mine := newReceiver(t, nil)
	theirs := newReceiver(t, nil)
	f.register(t, mine.URL)
	other, err := f.db.App.CreateTenant(context.Background(), onboardiq.NewTenant{Name: "Other", Slug: "other", AdminEmail: "a@other.test"})
	if err != nil {
		t.Fatal(err)
	}
	op, err := f.db.App.Authenticate(context.Background(), other.Token)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.db.App.CreateWebhook(onboardiq.NewContextWithPrincipal(context.Background(), op), onboardiq.WebhookInput{URL: theirs.URL, AllowHTTP: true}); err != nil {
		t.Fatal(err)
	}
	f.scan(t) // commits deliveries while no worker runs
	runner, err := Start(context.Background(), Deps{DB: f.db.App, Embedder: ai.Local{}, Logger: slog.New(slog.DiscardHandler),
		Mailer: f.mailer, Webhooks: f.hooks, ScanInterval: time.Hour}, 4)
	if err != nil {
		t.Fatal(err)
	}
	defer runner.Stop(5 * time.Second)
	queued := f.count(t, `SELECT count(*) FROM deliveries WHERE channel = 'webhook'`)
	if queued == 0 {
		t.Fatal("the scan queued no webhook")
	}
	deadline := time.Now().Add(90 * time.Second) // a guard, not a measure: the demo seed also queues its passages' embeddings
	for len(mine.got()) < queued && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if len(mine.got()) != queued {
		t.Fatalf("the restarted workers delivered %d of %d webhooks", len(mine.got()), queued)
	}
	// The other tenant has no projects: its periodic scan (run on start)
	// finds nothing to report, and nothing of ours may reach its endpoint,
	// so it receives no request at all. Wait for that scan to finish and
	// for every webhook job to be done, then a little longer.
	var settled bool
	for !settled && time.Now().Before(deadline) {
		err := f.db.App.Pool.QueryRow(context.Background(), `
SELECT EXISTS (SELECT FROM river_job WHERE kind = 'delay_scan_tenant' AND args->>'tenant_id' = $1 AND state = 'completed')
   AND NOT EXISTS (SELECT FROM river_job WHERE kind IN ('delay_scan', 'delay_scan_tenant', 'webhook') AND state IN ('available', 'running', 'pending'))`, other.Tenant.ID.String()).Scan(&settled)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !settled {
		t.Fatal("the periodic scan or a webhook job did not finish")
	}
	time.Sleep(200 * time.Millisecond)
	if got := theirs.got(); len(got) != 0 {
		t.Errorf("another tenant's endpoint received %d requests, want none; first: %s", len(got), got[0].body)
	}
	emails := f.count(t, `SELECT count(*) FROM deliveries WHERE channel = 'email'`)
	for len(f.box.all()) < emails && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if len(f.box.all()) != emails {
		t.Fatalf("%d of %d emails delivered", len(f.box.all()), emails)
	}
	// The whole loop, as the product promises it: the sales leader has the
	// notice in the app, got the email, the webhook arrived signed, the log
	// says delivered, and a second scan adds nothing.
	var dana uuid.UUID
	_ = f.db.App.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *postgres.Tx) error {
		return tx.QueryRow(ctx, `SELECT user_id FROM tenant_users WHERE email = 'dana.whitfield@acme.example'`).Scan(&dana)
	})
	asDana := onboardiq.NewContextWithPrincipal(context.Background(), &onboardiq.Principal{TenantID: f.tenant, UserID: dana, Role: onboardiq.RoleSalesLeader})
	inbox, err := f.db.App.ListNotifications(asDana, true, onboardiq.ListOptions{})
	if err != nil || len(inbox.Items) == 0 || !strings.Contains(inbox.Items[len(inbox.Items)-1].Title, "Initech Health onboarding") {
		t.Errorf("the sales leader's inbox: %+v %v", inbox.Items, err)
	}
	toDana := false
	for _, m := range f.box.all() {
		toDana = toDana || (m.to[0] == "dana.whitfield@acme.example" && strings.Contains(m.data, "Initech Health onboarding"))
	}
	if !toDana {
		t.Error("no email reached the sales leader")
	}
	// Workers record an attempt after the receiver has answered: wait for
	// the last records.
	for f.count(t, `SELECT count(*) FROM deliveries WHERE status <> 'delivered'`) > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	log, err := f.db.App.ListDeliveries(f.admin, postgres.DeliveryFilter{ListOptions: onboardiq.ListOptions{Limit: 200}})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range log.Items {
		if d.Status != "delivered" || len(d.Attempts) == 0 {
			t.Errorf("delivery log: %s to %s is %s", d.Channel, d.Recipient, d.Status)
		}
	}
	if r := f.scan(t); len(r.Notifications) != 0 {
		t.Errorf("a second scan added %d notifications", len(r.Notifications))
	}
}

// TestNoiseControl: preferences, quiet hours and the daily digest.
func TestNoiseControl(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	user := func(email string) context.Context {
		var id uuid.UUID
		err := f.db.App.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *postgres.Tx) error {
			return tx.QueryRow(ctx, `SELECT user_id FROM tenant_users WHERE email = $1`, email).Scan(&id)
		})
		if err != nil {
			t.Fatal(err)
		}
		return onboardiq.NewContextWithPrincipal(context.Background(), &onboardiq.Principal{TenantID: f.tenant, UserID: id, Role: onboardiq.RoleCSM})
	}
	// Marco (Initech's CSM) wants overdue notices in the digest only; Dana
	// (sales leader) none in the app at all.
	if _, err := f.db.App.SetPreferences(user("marco.rossi@acme.example"), []onboardiq.Preference{{Kind: "project_overdue", InApp: true, Email: "digest"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.App.SetPreferences(user("dana.whitfield@acme.example"), []onboardiq.Preference{{Kind: "project_overdue", InApp: false, Email: "immediate"}}); err != nil {
		t.Fatal(err)
	}
	// Quiet from an hour ago until two hours from now: immediate emails wait.
	start, end := (time.Now().UTC().Hour()+23)%24, (time.Now().UTC().Hour()+2)%24
	if _, err := f.db.App.SetNotificationSettings(f.admin, onboardiq.NotificationSettings{TimeZone: "UTC", QuietHoursStart: &start, QuietHoursEnd: &end,
		DigestHour: 0, CooldownHours: 24, EscalateAfterDays: 3}); err != nil {
		t.Fatal(err)
	}
	r := f.scan(t)
	byEmail := map[string]string{}
	for _, n := range r.Notifications {
		if n.Kind == "project_overdue" {
			byEmail[n.Email] = n.EmailDelivery
		}
	}
	if _, ok := byEmail["dana.whitfield@acme.example"]; ok {
		t.Errorf("Dana turned overdue notices off in the app but got one")
	}
	if byEmail["marco.rossi@acme.example"] != "digest" {
		t.Errorf("Marco's overdue notice: %q, want digest", byEmail["marco.rossi@acme.example"])
	}
	// The escalation email to the admin waits for the quiet hours to end.
	var at time.Time
	err := f.db.App.Pool.QueryRow(context.Background(), `SELECT scheduled_at FROM river_job WHERE kind = 'email' AND args->>'tenant_id' = $1 ORDER BY id LIMIT 1`, f.tenant.String()).Scan(&at)
	if err != nil {
		t.Fatal(err)
	}
	if wait := time.Until(at); wait < 30*time.Minute || wait > 3*time.Hour {
		t.Errorf("an email in quiet hours is scheduled %v from now, want when they end", wait)
	}
	// The digest: one email for Marco, once a day.
	var queued, again int
	err = f.db.App.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *postgres.Tx) error {
		var err error
		if queued, err = tx.QueueDigests(ctx, time.Now()); err != nil {
			return err
		}
		again, err = tx.QueueDigests(ctx, time.Now())
		return err
	})
	if err != nil || queued != 1 || again != 0 {
		t.Fatalf("digests: %d, then %d (%v); want 1, then 0", queued, again, err)
	}
	var digest uuid.UUID
	if err := f.db.App.Pool.QueryRow(context.Background(), `SELECT (args->>'delivery_id')::uuid FROM river_job WHERE kind = 'email' ORDER BY id DESC LIMIT 1`).Scan(&digest); err != nil {
		t.Fatal(err)
	}
	w := &EmailWorker{DB: f.db.App, Mailer: f.mailer}
	if err := w.Work(context.Background(), job(postgres.EmailArgs{TenantID: f.tenant, DeliveryID: digest}, 1)); err != nil {
		t.Fatal(err)
	}
	msgs := f.box.all()
	if len(msgs) != 1 || msgs[0].to[0] != "marco.rossi@acme.example" || !strings.Contains(msgs[0].data, "notification") || !strings.Contains(msgs[0].data, "Initech Health onboarding") {
		t.Errorf("digest email: %+v", msgs)
	}
}

// TestRiskForecast: a project whose open tasks run late is forecast past
// its deadline, says why, and alerts once.
func TestRiskForecast(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	// Globex's rollout: pull the deadline in to next week, with work left.
	f.count(t, `WITH m AS (UPDATE projects SET deadline = now() + interval '7 days' WHERE name = 'Globex platform rollout' RETURNING 1) SELECT count(*) FROM m`)
	r := f.scan(t)
	if r.AtRisk == 0 {
		t.Fatal("no project at risk")
	}
	p, err := f.db.App.ListProjects(f.admin, postgres.ProjectFilter{Q: "platform rollout"})
	if err != nil || len(p.Items) != 1 {
		t.Fatal(err)
	}
	pr := p.Items[0]
	if !pr.AtRisk || pr.RiskReason == nil || !strings.Contains(*pr.RiskReason, "forecast finish") || !strings.Contains(*pr.RiskReason, "overdue") ||
		pr.ForecastFinish == nil || !pr.ForecastFinish.After(*pr.Deadline) {
		t.Errorf("forecast: at risk %v, reason %v, finish %v, deadline %v", pr.AtRisk, pr.RiskReason, pr.ForecastFinish, pr.Deadline)
	}
	n := 0
	for _, x := range r.Notifications {
		if x.Kind == "project_at_risk" && x.ProjectID == pr.ID {
			n++
		}
	}
	if n != 2 { // Globex's CSM and the sales leader
		t.Errorf("%d at-risk notifications, want 2", n)
	}
	if again := f.scan(t); len(again.Notifications) != 0 {
		t.Errorf("a second scan notified again")
	}
}
