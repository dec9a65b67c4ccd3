package jobs

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/mailtest"
	"github.com/onboardiq/onboardiq/internal/notify"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

var portalLink = regexp.MustCompile(`http://onboardiq\.test/portal/acme/magic\?next=([^&\s]+)&token=(oiql_[0-9a-f]{32}_[A-Za-z0-9_-]{43})`)

// TestCSMAnswerReachesTheContact: when the CSM answers a conversation a
// contact opened, the contact is emailed the answer once (however often
// the fan-out runs), with a link that signs them in on the conversation;
// the contact's own messages email nobody on their side.
func TestCSMAnswerReachesTheContact(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	f.fanOut(t) // the seed's own events
	db := f.db.App
	box := mailtest.New(t)
	w := &EmailWorker{DB: db, Mailer: &notify.Mailer{SMTPURL: box.URL(), From: "Acme <onboarding@acme.example>", BaseURL: "http://onboardiq.test"}}
	lena, marco := f.as(t, "lena.park@initech.example"), f.as(t, "marco.rossi@acme.example")
	c, err := db.OpenConversation(lena, onboardiq.NewConversation{Subject: "Importing patient records", Body: "Which CSV columns do you need?"})
	if err != nil {
		t.Fatal(err)
	}
	f.fanOut(t)
	before := len(f.pending(t, "email")) // Marco's alert
	if _, err := db.ReplyToConversation(marco, c.ID, "Name, **date of birth** and the record number."); err != nil {
		t.Fatal(err)
	}
	f.fanOut(t)
	f.fanOutAgain(t)
	queued := f.pending(t, "email")[before:]
	if len(queued) != 1 {
		t.Fatalf("%d emails queued after the answer, want 1 (to Lena)", len(queued))
	}
	if err := w.Work(ctx, job(postgres.EmailArgs{TenantID: f.tenant, DeliveryID: queued[0]}, 1)); err != nil {
		t.Fatal(err)
	}
	m := box.WaitFor(t, "lena.park@initech.example", 5e9)
	for _, want := range []string{"Re: Importing patient records", "Marco Rossi answered", "<strong>date of birth</strong>"} {
		if !strings.Contains(m.Data, want) {
			t.Errorf("the email lacks %q:\n%s", want, m.Data)
		}
	}
	link := portalLink.FindStringSubmatch(m.Data)
	if link == nil {
		t.Fatalf("no sign-in link in:\n%s", m.Data)
	}
	if next, _ := url.QueryUnescape(link[1]); next != "/conversations/"+c.ID.String() {
		t.Errorf("the link opens %q, want the conversation", next)
	}
	_, p, err := db.SignInWithLink(ctx, "acme", link[2])
	if err != nil || p.Email != "lena.park@initech.example" {
		t.Fatalf("the link signs in %+v (%v), want Lena", p, err)
	}
	// Sent once: the job run again sends nothing more.
	if err := w.Work(ctx, job(postgres.EmailArgs{TenantID: f.tenant, DeliveryID: queued[0]}, 2)); err != nil {
		t.Fatal(err)
	}
	if n := len(box.Messages()); n != 1 {
		t.Errorf("%d emails arrived, want 1", n)
	}
}
