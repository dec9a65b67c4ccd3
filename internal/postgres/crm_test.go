package postgres_test

import (
	"context"
	"encoding/base64"
	"sync"
	"testing"
	"time"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/crm"
	"github.com/onboardiq/onboardiq/internal/postgres"
	"github.com/onboardiq/onboardiq/internal/secret"
	"github.com/onboardiq/onboardiq/internal/testdb"
)

// crmWorkspace creates a workspace with a generic CRM connection and
// returns its admin's context and the connection's secret.
func crmWorkspace(t *testing.T, db *postgres.DB, slug string) (context.Context, string) {
	t.Helper()
	ctx := context.Background()
	res, err := db.CreateTenant(ctx, onboardiq.NewTenant{Name: slug, Slug: slug, AdminEmail: "admin@" + slug + ".test"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := db.Authenticate(ctx, res.Token)
	if err != nil {
		t.Fatal(err)
	}
	admin := onboardiq.NewContextWithPrincipal(ctx, p)
	_, secret, err := db.SetCRMConnection(admin, onboardiq.CRMGeneric, onboardiq.CRMConnectionInput{Enabled: true})
	if err != nil || secret == "" {
		t.Fatalf("set up: %q %v", secret, err)
	}
	return admin, secret
}

func genericCall(slug, secret, body string) crm.Request {
	uri := "https://app.test/api/v1/crm/" + slug + "/generic"
	return crm.Request{Provider: onboardiq.CRMGeneric, Method: "POST", URI: uri, Body: []byte(body),
		Header: crm.Sign(onboardiq.CRMGeneric, secret, "POST", uri, []byte(body), "msg-1", time.Now())}
}

// TestCRMSameEventAtOnce: eight copies of one event arriving together
// start one project; the others answer its outcome as duplicates.
func TestCRMSameEventAtOnce(t *testing.T) {
	t.Parallel()
	d := testdb.New(t)
	admin, secret := crmWorkspace(t, d.App, "crm-race")
	req := genericCall("crm-race", secret, `{"event_id": "race-1", "customer": {"crm_id": "c-1", "name": "Racer"}, "deal": {"id": "d-1"}}`)
	var wg sync.WaitGroup
	results := make([][]postgres.CRMResult, 8)
	errs := make([]error, 8)
	for i := range results {
		wg.Go(func() {
			results[i], errs[i] = d.App.ReceiveCRMWebhook(context.Background(), "crm-race", req, time.Now())
		})
	}
	wg.Wait()
	started, duplicates := 0, 0
	for i, r := range results {
		if errs[i] != nil {
			t.Fatalf("call %d: %v", i, errs[i])
		}
		switch {
		case r[0].Outcome == onboardiq.CRMStarted && !r[0].Duplicate:
			started++
		case r[0].Outcome == onboardiq.CRMStarted && r[0].Duplicate:
			duplicates++
		}
		if r[0].ProjectID == nil || *r[0].ProjectID != *results[0][0].ProjectID {
			t.Errorf("call %d: project %v, want %v", i, r[0].ProjectID, results[0][0].ProjectID)
		}
	}
	if started != 1 || duplicates != 7 {
		t.Errorf("%d started, %d duplicates; want 1 and 7", started, duplicates)
	}
	projects, err := d.App.ListProjects(admin, postgres.ProjectFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(projects.Items) != 1 {
		t.Errorf("%d projects", len(projects.Items))
	}
	log, err := d.App.ListCRMInbound(admin, onboardiq.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(log.Items) != 8 {
		t.Errorf("%d log entries, want 8", len(log.Items))
	}
	// The connection counts for the setup checklist.
	c, err := d.App.LoadSetupChecklist(admin)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range c.Items {
		if it.Key == "integration" && !it.Done {
			t.Error("a CRM connection does not tick the integration step")
		}
	}
}

// TestCRMSecretsResealed: `secrets rotate` (ResealWebhookSecrets with
// rekey) seals the connections' secrets with the new first key, and calls
// signed with the secret still verify with the new key alone.
func TestCRMSecretsResealed(t *testing.T) {
	t.Parallel()
	d := testdb.New(t)
	_, secretText := crmWorkspace(t, d.App, "crm-reseal")
	oldKey, _ := base64.StdEncoding.DecodeString(testdb.SecretKey)
	newKey := make([]byte, secret.KeySize)
	copy(newKey, "a new key for crm reseal tests!!")
	both, err := secret.NewKeyring([][]byte{newKey, oldKey})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := d.Open(t, postgres.WithSecrets(both)).ResealWebhookSecrets(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Resealed != 1 || len(rep.Unreadable) != 0 {
		t.Errorf("report %+v, want the connection resealed", rep)
	}
	onlyNew, err := secret.NewKeyring([][]byte{newKey})
	if err != nil {
		t.Fatal(err)
	}
	req := genericCall("crm-reseal", secretText, `{"event_id": "e-1", "customer": {"crm_id": "c-1", "name": "Resealed"}}`)
	r, err := d.Open(t, postgres.WithSecrets(onlyNew)).ReceiveCRMWebhook(context.Background(), "crm-reseal", req, time.Now())
	if err != nil || r[0].Outcome != onboardiq.CRMStarted {
		t.Errorf("a call after the rotation: %v %+v", err, r)
	}
}
