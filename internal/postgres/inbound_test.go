package postgres

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/mail"
	"net/smtp"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/inbound"
)

const replyDomain = "in.acme.test"

// startInbound starts the inbound SMTP listener on a loopback port, applying
// replies with db, and returns its address.
func startInbound(t *testing.T, db *DB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := inbound.NewServer(replyDomain, db.ApplyReply, slog.New(slog.NewTextHandler(io.Discard, nil)))
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	return l.Addr().String()
}

// sendReply sends a reply with net/smtp, as a mail client's server would.
func sendReply(t *testing.T, addr, from, to, body string) {
	t.Helper()
	msg := "From: " + from + "\r\nTo: " + to + "\r\nSubject: Re: Your task\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
		strings.ReplaceAll(body, "\n", "\r\n")
	envelope := from
	if a, err := mail.ParseAddress(from); err == nil {
		envelope = a.Address
	}
	if err := smtp.SendMail(addr, nil, envelope, []string{to}, []byte(msg)); err != nil {
		t.Fatalf("send to %s: %v", to, err)
	}
}

func comments(t *testing.T, f *pageFixture, task uuid.UUID) []string {
	t.Helper()
	page, err := f.db.ListComments(f.as, task, onboardiq.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range page.Items {
		out = append(out, c.Body)
	}
	return out
}

// TestReplyByEmailThroughTheSMTPListener sends replies to the loopback
// listener: a reply becomes a comment without its quoted part, "done"
// completes the task, "stuck …" blocks it with the reason; a reply from
// another address, with a tampered or an expired token, changes nothing
// and is logged (a tampered one only in the server log); a contact's
// "done" on a vendor-side task is only a comment.
func TestReplyByEmailThroughTheSMTPListener(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	addr := startInbound(t, f.db)
	pr := f.project(t, f.customer, "Rollout", 6) // each assigned to the contact, each with one comment
	tasks, err := f.db.ListTasks(f.as, pr.ID, TaskFilter{})
	if err != nil {
		t.Fatal(err)
	}
	vendor, err := f.db.CreateTask(f.as, pr.ID, onboardiq.TaskPatch{Description: onboardiq.Set("Configure SSO")})
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]uuid.UUID, 0, 7)
	for _, tk := range tasks.Items {
		ids = append(ids, tk.ID)
	}
	ids = append(ids, vendor.ID)
	to := func(task uuid.UUID) string {
		t.Helper()
		addr, err := f.db.ReplyAddressFor(context.Background(), f.tenant, task, f.contact.ID, replyDomain)
		if err != nil || len(strings.TrimSuffix(addr, "@"+replyDomain)) > 64 {
			t.Fatalf("reply address %q (its local part must fit RFC 5321's 64 characters): %v", addr, err)
		}
		return addr
	}
	if a, b := to(ids[0]), to(ids[0]); a != b {
		t.Errorf("the same task and recipient got two reply addresses: %s, %s", a, b)
	}
	expired := to(ids[5])
	if err := f.db.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *Tx) error {
		_, err := tx.Exec(ctx, `UPDATE reply_keys SET expires_at = now() - interval '1 minute' WHERE task_id = $1`, ids[5])
		return err
	}); err != nil {
		t.Fatal(err)
	}
	tampered := []byte(to(ids[4]))
	i := len("reply+") + 3
	if tampered[i] == 'a' {
		tampered[i] = 'b'
	} else {
		tampered[i] = 'a'
	}
	contact := "Contact <C@Globex.test>" // the address in another case: still the recipient's

	sendReply(t, addr, contact, to(ids[0]), "The logo is uploaded.\n\nOn Tue, Nov 24, 2026 at 10:00 AM Acme <reply@in.acme.test> wrote:\n> Please upload your logo.\n")
	sendReply(t, addr, contact, strings.ToUpper(to(ids[1])), "Done\n\nSent from my iPhone")
	sendReply(t, addr, contact, to(ids[2]), "stuck waiting on IT\n-- \nC. Contact")
	sendReply(t, addr, "Mallory <mallory@evil.test>", to(ids[3]), "done")
	sendReply(t, addr, contact, string(tampered), "done")
	sendReply(t, addr, contact, expired, "done")
	sendReply(t, addr, contact, to(ids[6]), "done")

	for _, c := range []struct {
		name     string
		task     uuid.UUID
		status   onboardiq.Status
		reason   string
		comments []string
	}{
		{"a reply", ids[0], onboardiq.StatusNotStarted, "", []string{"Noted.", "The logo is uploaded."}},
		{"done", ids[1], onboardiq.StatusCompleted, "", []string{"Noted."}},
		{"stuck", ids[2], onboardiq.StatusBlocked, "waiting on IT", []string{"Noted."}},
		{"another sender", ids[3], onboardiq.StatusNotStarted, "", []string{"Noted."}},
		{"a tampered token", ids[4], onboardiq.StatusNotStarted, "", []string{"Noted."}},
		{"an expired token", ids[5], onboardiq.StatusNotStarted, "", []string{"Noted."}},
		{"done on a vendor task", ids[6], onboardiq.StatusNotStarted, "", []string{"done"}},
	} {
		got, err := f.db.GetTask(f.as, c.task)
		if err != nil {
			t.Fatal(err)
		}
		reason := ""
		if got.BlockedReason != nil {
			reason = *got.BlockedReason
		}
		if got.Status != c.status || reason != c.reason {
			t.Errorf("%s: task is %s (%q), want %s (%q)", c.name, got.Status, reason, c.status, c.reason)
		}
		if cs := comments(t, f, c.task); fmt.Sprint(cs) != fmt.Sprint(c.comments) {
			t.Errorf("%s: comments %q, want %q", c.name, cs, c.comments)
		}
		if c.status == onboardiq.StatusCompleted && (got.CompletedBy == nil || *got.CompletedBy != f.contact.ID) {
			t.Errorf("%s: completed by %v, want the contact", c.name, got.CompletedBy)
		}
	}

	log, err := f.db.ListInboundMessages(f.as, onboardiq.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	outcomes := map[uuid.UUID]string{}
	for _, m := range log.Items {
		outcomes[m.TaskID] = m.Outcome
		if m.Transport != "smtp" || m.UserID != f.contact.ID {
			t.Errorf("logged %+v", m)
		}
	}
	want := map[uuid.UUID]string{ids[0]: ReplyCommented, ids[1]: ReplyCompleted, ids[2]: ReplyBlocked, ids[3]: ReplyWrongSender, ids[5]: ReplyExpired, ids[6]: ReplyCommented}
	if fmt.Sprint(outcomes) != fmt.Sprint(want) {
		t.Errorf("inbound log %v, want %v (the tampered reply names no tenant: not logged)", outcomes, want)
	}
	if _, err := f.db.ListInboundMessages(f.asContact, onboardiq.ListOptions{}); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
		t.Errorf("a contact reading the inbound log: %v, want forbidden", err)
	}

	// Mail for any other address is refused at RCPT.
	err = smtp.SendMail(addr, nil, "c@globex.test", []string{"support@" + replyDomain}, []byte("Subject: x\r\n\r\nhi"))
	if err == nil || !strings.Contains(err.Error(), "550") {
		t.Errorf("mail to another mailbox: %v, want 550", err)
	}
}

// TestReplyTokenNeverCrossesTenants: a genuine token of tenant A that names
// tenant B's task, or B's user, touches nothing in B.
func TestReplyTokenNeverCrossesTenants(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	ctx := context.Background()
	prA := f.project(t, f.customer, "A", 1)
	tasksA, err := f.db.ListTasks(f.as, prA.ID, TaskFilter{})
	if err != nil {
		t.Fatal(err)
	}
	taskA := tasksA.Items[0]

	tb, err := f.db.CreateTenant(ctx, onboardiq.NewTenant{Name: "Beta", Slug: "beta", AdminEmail: "a@beta.test"})
	if err != nil {
		t.Fatal(err)
	}
	adminB, err := f.db.Authenticate(ctx, tb.Token)
	if err != nil {
		t.Fatal(err)
	}
	asB := onboardiq.NewContextWithPrincipal(ctx, adminB)
	custB, err := f.db.CreateCustomer(asB, onboardiq.NewCustomer{Name: "Initech"})
	if err != nil {
		t.Fatal(err)
	}
	contactB, err := f.db.CreateUser(asB, onboardiq.NewUser{Email: "c@globex.test", Name: "Same address", Role: onboardiq.RoleCustomer, CustomerID: &custB.ID})
	if err != nil {
		t.Fatal(err)
	}
	prB, err := f.db.CreateProject(asB, onboardiq.NewProject{CustomerID: custB.ID, Name: "B"})
	if err != nil {
		t.Fatal(err)
	}
	taskB, err := f.db.CreateTask(asB, prB.ID, onboardiq.TaskPatch{Description: onboardiq.Set("B's task"), AssignedTo: onboardiq.Set(contactB.ID)})
	if err != nil {
		t.Fatal(err)
	}

	// A reply key names a task and a user of its own tenant: the keys
	// cannot be made across tenants.
	for _, c := range []struct {
		name               string
		tenant, task, user uuid.UUID
	}{
		{"A's tenant and user, B's task", f.tenant, taskB.ID, f.contact.ID},
		{"A's tenant, B's task and user", f.tenant, taskB.ID, contactB.ID},
		{"B's tenant and user, A's task", tb.Tenant.ID, taskA.ID, contactB.ID},
	} {
		if addr, err := f.db.ReplyAddressFor(ctx, c.tenant, c.task, c.user, replyDomain); err == nil {
			t.Errorf("%s: reply address %s", c.name, addr)
		}
	}
	// B's genuine key signed as A's tenant names nothing in A; B's address
	// answered from A's contact's address (the same) reaches B's task only
	// as B's contact.
	addrB, err := f.db.ReplyAddressFor(ctx, tb.Tenant.ID, taskB.ID, contactB.ID, replyDomain)
	if err != nil {
		t.Fatal(err)
	}
	tokB, _ := inbound.TokenOf(addrB, replyDomain)
	rB, err := inbound.Verify(f.db.secrets, tokB)
	if err != nil {
		t.Fatal(err)
	}
	spliced := inbound.Encode(f.db.secrets, inbound.Reply{Tenant: f.tenant, Key: rB.Key})
	if out, err := f.db.ApplyReply(ctx, inbound.Message{Transport: "smtp", Token: spliced, From: "c@globex.test", Text: "done"}); err != nil || out != ReplyBadToken {
		t.Errorf("B's key under A's tenant: %q, %v; want bad_token", out, err)
	}
	for _, c := range []struct {
		as   context.Context
		task uuid.UUID
		n    int
	}{{asB, taskB.ID, 0}, {f.as, taskA.ID, 1}} {
		got, err := f.db.GetTask(c.as, c.task)
		if err != nil {
			t.Fatal(err)
		}
		page, err := f.db.ListComments(c.as, c.task, onboardiq.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != onboardiq.StatusNotStarted || len(page.Items) != c.n {
			t.Errorf("task %s: %s with %d comments, want untouched", got.Description, got.Status, len(page.Items))
		}
	}
}
