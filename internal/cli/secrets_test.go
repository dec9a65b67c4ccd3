package cli_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/netguard"
	"github.com/onboardiq/onboardiq/internal/postgres"
	"github.com/onboardiq/onboardiq/internal/testdb"
)

// serve starts `onboardiq serve` with env on a free loopback port and
// returns its base URL; it is stopped when the test ends.
func serve(t *testing.T, env map[string]string) string {
	t.Helper()
	env["ONBOARDIQ_ADDR"] = "127.0.0.1:0"
	ctx, stop := context.WithCancel(context.Background())
	addr := make(chan net.Addr, 1)
	done := make(chan run, 1)
	go func() { done <- runCLI(t, ctx, env, func(a net.Addr) { addr <- a }, "serve") }()
	t.Cleanup(func() {
		stop()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("serve did not stop")
		}
	})
	select {
	case a := <-addr:
		return "http://" + a.String()
	case r := <-done:
		t.Fatalf("serve exited: %d %s", r.code, r.stderr)
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not start")
	}
	return ""
}

// hookReceiver records the requests that reach it by path.
type hookReceiver struct {
	*httptest.Server
	mu  sync.Mutex
	got map[string]*http.Request
	bod map[string][]byte
}

func newHookReceiver(t *testing.T) *hookReceiver {
	h := &hookReceiver{got: map[string]*http.Request{}, bod: map[string][]byte{}}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.got[r.URL.Path], h.bod[r.URL.Path] = r, b
		h.mu.Unlock()
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hookReceiver) request(path string) (http.Header, []byte, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	r, ok := h.got[path]
	if !ok {
		return nil, nil, false
	}
	return r.Header, h.bod[path], true
}

type rotateOutput struct {
	Tenants, Sealed, Resealed, Current int
	Unreadable                         []uuid.UUID
}

// TestSecretKeyRotation: a key made by secret-key is rotated in with
// secrets rotate, which also seals what was stored in plaintext before
// secrets were encrypted; serve seals such leftovers at start; deliveries
// are signed with each endpoint's own secret under the new key alone.
func TestSecretKeyRotation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := testdb.New(t)
	env := appEnv(d) // the first key: testdb.SecretKey
	r := runCLI(t, ctx, env, nil, "tenant", "create", "--name", "Acme", "--slug", "acme", "--admin-email", "a@acme.test", "--json")
	var created struct {
		TenantID uuid.UUID `json:"tenant_id"`
		Token    string    `json:"token"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &created); r.code != 0 || err != nil {
		t.Fatalf("tenant create: %d %s %v", r.code, r.stderr, err)
	}
	rcv := newHookReceiver(t)

	// An endpoint registered with the first key, and one stored in
	// plaintext before secrets were encrypted.
	p, err := d.App.Authenticate(ctx, created.Token)
	if err != nil {
		t.Fatal(err)
	}
	admin := onboardiq.NewContextWithPrincipal(ctx, p)
	guard := &netguard.Guard{AllowPrivate: true} // the receiver is on loopback
	w, wSecret, err := d.Open(t, postgres.WithWebhookGuard(guard)).CreateWebhook(admin, onboardiq.WebhookInput{URL: rcv.URL + "/registered", AllowHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	// A playbook whose webhook action has a URL: its signing secret is
	// sealed like an endpoint's, and rotated with them.
	if _, err := d.Open(t, postgres.WithWebhookGuard(guard)).CreatePlaybook(admin, onboardiq.Playbook{Name: "Blocked", Subject: "customer",
		Trigger: onboardiq.PlaybookTrigger{Event: string(onboardiq.EventTaskBlocked)},
		Actions: []onboardiq.PlaybookAction{{Type: "webhook", URL: rcv.URL + "/playbook", Format: "n8n"}}}); err != nil {
		t.Fatal(err)
	}
	legacy := func(path string) (uuid.UUID, string) {
		t.Helper()
		secret := "whsec_" + base64.StdEncoding.EncodeToString([]byte(uuid.NewString()[:32]))
		var id uuid.UUID
		err := d.App.InTenant(ctx, created.TenantID, func(ctx context.Context, tx *postgres.Tx) error {
			return tx.QueryRow(ctx, `INSERT INTO webhook_endpoints (tenant_id, url, secret, allow_http) VALUES ($1, $2, $3, true) RETURNING endpoint_id`,
				created.TenantID, rcv.URL+path, secret).Scan(&id)
		})
		if err != nil {
			t.Fatal(err)
		}
		return id, secret
	}
	old1, old1Secret := legacy("/legacy-before-rotate")

	// A new key, rotated in first.
	r = runCLI(t, ctx, nil, nil, "secret-key")
	newKey := strings.TrimSpace(r.stdout)
	if k, err := base64.StdEncoding.DecodeString(newKey); r.code != 0 || err != nil || len(k) != 32 {
		t.Fatalf("secret-key: %d %q %s", r.code, r.stdout, r.stderr)
	}
	rotate := func(keys string) (rotateOutput, run) {
		t.Helper()
		env := appEnv(d)
		env["ONBOARDIQ_SECRET_KEY"] = keys
		r := runCLI(t, ctx, env, nil, "secrets", "rotate", "--json")
		var out rotateOutput
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
			t.Fatalf("secrets rotate: %d %q %s", r.code, r.stdout, r.stderr)
		}
		return out, r
	}
	if out, r := rotate(newKey + "," + testdb.SecretKey); r.code != 0 || out.Tenants != 1 || out.Resealed != 2 || out.Sealed != 1 || out.Current != 0 {
		t.Fatalf("secrets rotate: exit %d %+v %s; want 2 resealed (an endpoint, a playbook) and 1 sealed", r.code, out, r.stderr)
	}
	if out, r := rotate(newKey + "," + testdb.SecretKey); r.code != 0 || out.Resealed+out.Sealed != 0 || out.Current != 3 {
		t.Errorf("secrets rotate again: exit %d %+v; want all three current", r.code, out)
	}
	// Without the key that sealed them, it says which endpoints it cannot read.
	r = runCLI(t, ctx, nil, nil, "secret-key")
	if out, r := rotate(strings.TrimSpace(r.stdout)); r.code != 1 || len(out.Unreadable) != 3 || !strings.Contains(r.stderr, w.ID.String()) {
		t.Errorf("secrets rotate with an unrelated key: exit %d %+v %s; want a failure naming both endpoints and the playbook", r.code, out, r.stderr)
	}

	// serve refuses to start without a key, saying how to make one.
	noKey := appEnv(d)
	delete(noKey, "ONBOARDIQ_SECRET_KEY")
	noKey["ONBOARDIQ_ADDR"] = "127.0.0.1:0"
	listened := false
	if r := runCLI(t, ctx, noKey, func(net.Addr) { listened = true }, "serve"); r.code != 1 || listened ||
		!strings.Contains(r.stderr, "ONBOARDIQ_SECRET_KEY is not set") || !strings.Contains(r.stderr, "onboardiq secret-key") {
		t.Errorf("serve without a key: exit %d, listened %v: %s", r.code, listened, r.stderr)
	}

	// Another plaintext leftover: serve, with the new key alone, seals it
	// at start and signs every endpoint's deliveries with its own secret.
	old2, old2Secret := legacy("/legacy-before-serve")
	env = appEnv(d)
	env["ONBOARDIQ_SECRET_KEY"] = newKey
	env["ONBOARDIQ_WEBHOOK_ALLOW_PRIVATE"] = "true"
	base := serve(t, env)
	plaintext, secrets := storedSecrets(t, d)
	if plaintext != 0 || secrets != 3 {
		t.Errorf("after serve started: %d secrets in plaintext, %d sealed; want 0 and 3", plaintext, secrets)
	}
	for _, id := range []uuid.UUID{w.ID, old1, old2} {
		req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/webhooks/"+id.String()+"/test", nil)
		req.Header.Set("Authorization", "Bearer "+created.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("test webhook %s: %d", id, resp.StatusCode)
		}
	}
	for path, secret := range map[string]string{"/registered": wSecret, "/legacy-before-rotate": old1Secret, "/legacy-before-serve": old2Secret} {
		deadline := time.Now().Add(30 * time.Second)
		header, body, ok := rcv.request(path)
		for ; !ok && time.Now().Before(deadline); header, body, ok = rcv.request(path) {
			time.Sleep(50 * time.Millisecond)
		}
		if !ok {
			t.Errorf("%s: no delivery", path)
			continue
		}
		wh, err := standardwebhooks.NewWebhook(secret)
		if err != nil {
			t.Fatal(err)
		}
		if err := wh.Verify(body, header); err != nil {
			t.Errorf("%s: the delivery does not verify with the endpoint's secret: %v", path, err)
		}
	}
}

// storedSecrets counts the webhook secrets in plaintext and sealed, as the
// database superuser.
func storedSecrets(t *testing.T, d *testdb.DB) (plaintext, sealed int) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, d.SuperURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if err := conn.QueryRow(ctx, `SELECT count(secret), count(secret_sealed) FROM webhook_endpoints`).Scan(&plaintext, &sealed); err != nil {
		t.Fatal(err)
	}
	return plaintext, sealed
}
