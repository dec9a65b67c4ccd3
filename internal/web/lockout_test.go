package web_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/onboardiq/onboardiq/internal/demo"
	"github.com/onboardiq/onboardiq/internal/postgres"
	"github.com/onboardiq/onboardiq/internal/server"
	"github.com/onboardiq/onboardiq/internal/web"
)

// lockAccount sends ten wrong passwords for email.
func lockAccount(t *testing.T, base, email string) {
	t.Helper()
	for range postgres.LockoutFailures {
		if p := post(t, client(t), base+"/signin", url.Values{"workspace": {"acme"}, "email": {email}, "password": {"wrong password"}}, base); p.status != http.StatusUnauthorized {
			t.Fatalf("a wrong password for %s: %d", email, p.status)
		}
	}
}

func signInStatus(t *testing.T, base, email, pw string) page {
	t.Helper()
	return post(t, client(t), base+"/signin", url.Values{"workspace": {"acme"}, "email": {email}, "password": {pw}}, base)
}

// TestLockoutSurvivesFlood: the limiters forget keys under a flood of
// distinct ones (they once forgot everyone past 100,000 keys), but an
// account's failed passwords are counted in the database: a locked account
// stays locked, whatever else arrives.
func TestLockoutSurvivesFlood(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	h := &web.Handler{DB: a.db.App, Logger: slog.New(slog.DiscardHandler), BaseURL: a.url, Version: "test"}
	mux := http.NewServeMux()
	h.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	lockAccount(t, srv.URL, "dana.whitfield@acme.example")
	h.FloodLimiters(200_000)
	p := signInStatus(t, srv.URL, "dana.whitfield@acme.example", demo.Password)
	if p.status != http.StatusUnauthorized || !strings.Contains(p.text(".error"), "workspace, email or password is wrong") {
		t.Errorf("the right password on a locked account after a flood: %d %q", p.status, p.text(".error"))
	}
	// Others sign in as usual.
	if p := signInStatus(t, srv.URL, "sam.lee@acme.example", demo.Password); p.status != http.StatusSeeOther {
		t.Errorf("another account: %d", p.status)
	}
}

// TestLockedAccountGetsItsLinks: guessing wrong on purpose cannot keep a
// user out: a locked account still gets its reset link (and a contact
// their sign-in link), and the reset unlocks it.
func TestLockedAccountGetsItsLinks(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	lockAccount(t, a.url, "sam.lee@acme.example")
	if p := signInStatus(t, a.url, "sam.lee@acme.example", demo.Password); p.status != http.StatusUnauthorized {
		t.Fatalf("the right password on a locked account: %d", p.status)
	}
	c := client(t)
	if p := post(t, c, a.url+"/forgot", url.Values{"workspace": {"acme"}, "email": {"sam.lee@acme.example"}}, a.url); p.status != http.StatusOK {
		t.Fatalf("ask for a reset: %d", p.status)
	}
	links := get(t, c, a.url+"/dev/mailbox?workspace=acme").all("tr.mail a.link")
	if len(links) != 1 {
		t.Fatalf("%d reset links for a locked account", len(links))
	}
	u, _ := url.Parse(attr(links[0], "href"))
	if p := post(t, c, a.url+"/reset", url.Values{"token": {u.Query().Get("token")}, "password": {"a new password 456"}, "confirm": {"a new password 456"}}, a.url); p.status != http.StatusSeeOther {
		t.Fatalf("reset: %d %s", p.status, p.text(".error"))
	}
	if p := signInStatus(t, a.url, "sam.lee@acme.example", "a new password 456"); p.status != http.StatusSeeOther {
		t.Errorf("the new password after the reset: %d %s", p.status, p.text(".error"))
	}

	// A locked contact signs in with an emailed link.
	lockAccount(t, a.url, "hannah.becker@globex.example")
	actPortalClient(t, a, "hannah.becker@globex.example")
}

// TestClientAddressBehindProxies: forwarding headers count only from a
// trusted proxy. Behind one, each client has its own limit, and junk from
// one client locks out nobody else; from anyone else, the headers are
// ignored and cannot buy a fresh limit.
func TestClientAddressBehindProxies(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	serve := func(trusted ...netip.Prefix) string {
		srv := httptest.NewServer(server.New(server.Options{DB: a.db.App, Logger: slog.New(slog.DiscardHandler), BaseURL: a.url, Version: "test",
			TrustedProxies: trusted}))
		t.Cleanup(srv.Close)
		return srv.URL
	}
	n := 0
	junk := func(base, xff string) int {
		n++
		email := "nobody" + strconv.Itoa(n) + "@junk.example"
		req, _ := http.NewRequest(http.MethodPost, base+"/forgot", strings.NewReader(url.Values{"workspace": {"acme"}, "email": {email}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-For", xff)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	const perAddress = 100

	// Behind a trusted proxy (this test's loopback peer): one client's
	// junk spends that client's limit only; what a client writes left of
	// the proxy's entry is ignored.
	proxied := serve(netip.MustParsePrefix("127.0.0.0/8"))
	for i := range perAddress {
		if s := junk(proxied, "10.9.9."+strconv.Itoa(i%250)+", 203.0.113.7"); s != http.StatusOK {
			t.Fatalf("junk %d: %d", i, s)
		}
	}
	if s := junk(proxied, "198.51.100.1, 203.0.113.7"); s != http.StatusTooManyRequests {
		t.Errorf("past the limit, with a forged left entry: %d, want 429", s)
	}
	if s := junk(proxied, "203.0.113.8"); s != http.StatusOK {
		t.Errorf("another client behind the proxy: %d, want 200", s)
	}

	// Not trusted: the header is ignored, so changing it does not help.
	direct := serve()
	for i := range perAddress {
		if s := junk(direct, "203.0.113."+strconv.Itoa(i%250)); s != http.StatusOK {
			t.Fatalf("direct junk %d: %d", i, s)
		}
	}
	if s := junk(direct, "192.0.2.200"); s != http.StatusTooManyRequests {
		t.Errorf("a forged X-Forwarded-For from an untrusted peer: %d, want 429", s)
	}
}

// TestLinksSurviveScanners: mail scanners fetch every link in a message.
// Opening a sign-in or reset link consumes nothing; only the page's POST
// does, and a link posted to another workspace is refused unused.
func TestLinksSurviveScanners(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	actOtherTenant(t, a) // workspace hooli
	unused := func(purpose string) int {
		var n int
		actScan(t, a, `SELECT count(*) FROM login_tokens WHERE purpose = $1 AND used_at IS NULL`, []any{purpose}, &n)
		return n
	}
	c := client(t)
	post(t, c, a.url+"/portal/acme/signin", url.Values{"email": {"hannah.becker@globex.example"}}, a.url)
	links := get(t, c, a.url+"/dev/mailbox?workspace=acme").all("tr.mail a.link")
	if len(links) != 1 {
		t.Fatalf("%d links", len(links))
	}
	link := attr(links[0], "href")
	u, _ := url.Parse(link)
	token := u.Query().Get("token")

	// A scanner fetches it, twice, without cookies.
	for range 2 {
		p := get(t, client(t), link)
		if p.status != http.StatusOK || len(p.all(`form#continue[method="post"][action="/portal/acme/magic"] button`)) != 1 {
			t.Fatalf("the link's page: %d", p.status)
		}
		if rp := p.header.Get("Referrer-Policy"); rp != "no-referrer" {
			t.Errorf("Referrer-Policy %q", rp)
		}
		if ck := p.header.Get("Set-Cookie"); strings.Contains(ck, "oiq_session") {
			t.Errorf("opening the link set a session: %q", ck)
		}
	}
	if n := unused(postgres.LinkSignIn); n != 1 {
		t.Fatalf("after two fetches %d sign-in links are unused, want 1", n)
	}
	// Posted to another workspace: refused, and still unused.
	if p := post(t, client(t), a.url+"/portal/hooli/magic", url.Values{"token": {token}}, a.url); p.status != http.StatusUnauthorized {
		t.Errorf("the link on another workspace: %d, want 401", p.status)
	}
	if n := unused(postgres.LinkSignIn); n != 1 {
		t.Fatalf("a post to another workspace used the link")
	}
	// The Continue button signs in, once.
	p := post(t, c, a.url+"/portal/acme/magic", url.Values{"token": {token}}, a.url)
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/portal/acme" {
		t.Fatalf("continue: %d %q", p.status, p.header.Get("Location"))
	}
	if h := get(t, c, a.url+"/portal/acme"); h.status != http.StatusOK {
		t.Errorf("the portal after continuing: %d", h.status)
	}
	if p := post(t, client(t), a.url+"/portal/acme/magic", url.Values{"token": {token}}, a.url); p.status != http.StatusUnauthorized {
		t.Errorf("the link a second time: %d, want 401", p.status)
	}

	// A reset link's page consumes nothing either.
	post(t, c, a.url+"/forgot", url.Values{"workspace": {"acme"}, "email": {"sam.lee@acme.example"}}, a.url)
	var reset string
	for _, row := range get(t, c, a.url+"/dev/mailbox?workspace=acme").all("tr.mail") {
		if r := (page{doc: row}); strings.Contains(r.text("td"), "sam.lee@acme.example") {
			reset = attr(r.all("a.link")[0], "href")
		}
	}
	for range 2 {
		if p := get(t, client(t), reset); p.status != http.StatusOK || p.header.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("the reset link's page: %d %q", p.status, p.header.Get("Referrer-Policy"))
		}
	}
	if n := unused(postgres.LinkReset); n != 1 {
		t.Errorf("after two fetches %d reset links are unused, want 1", n)
	}
	// The mailbox showed the links; the database holds none.
	var stored int
	actScan(t, a, `SELECT count(*) FROM deliveries d WHERE strpos(d::text, 'oiql_') > 0`, nil, &stored)
	if stored != 0 {
		t.Errorf("%d deliveries hold a link token", stored)
	}
}
