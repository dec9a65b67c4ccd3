package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/ai"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// HTTPOptions are the HTTP rows of a run: the app and the bare handler
// already listening, the workspace and the run's credentials.
type HTTPOptions struct {
	AppURL, BareURL string
	Workspace       *Workspace
	Creds           *Credentials
	// Rounds of Duration each per row and target, interleaved (Schedule).
	Rounds   int
	Duration time.Duration
	// Clients request at once on the point read and the lists (the point
	// read is measured at one client too: the latency row);
	// SearchClients on the search rows, PageClients on the pages and the
	// assistant.
	Clients, SearchClients, PageClients int
	// HTTP and Search choose the sections: the API reads, pages and
	// assistant; the knowledge-base search rows.
	HTTP, Search bool
	// For the search rows' recall@10: the embedder, the store and the
	// handle for exact scans (see Search), and how many questions each
	// row checks.
	Embedder      ai.Embedder
	DB, Exact     *postgres.DB
	RecallQueries int
	Logf          func(string, ...any)
}

// request is what a client sends: the i-th request of a row.
type request struct {
	method, path string
	body         []byte
	header       http.Header
}

// endpoint is an HTTP row.
type endpoint struct {
	section, name, what string
	clients             int
	request             func(i int) request
	goal                func(Row) *Goal
	details             map[string]any
	// The search rows': the recall check's result, and its questions.
	recall *SearchResult
	group  *group
}

// searchModes are the modes the search rows measure.
var searchModes = []onboardiq.SearchMode{onboardiq.SearchKeyword, onboardiq.SearchSemantic, onboardiq.SearchHybrid}

// askQuestions and searchQuestions are how many distinct questions the
// assistant and search rows cycle through.
const (
	askQuestions    = 200
	searchQuestions = 1000
)

// endpoints lists the rows of o's sections.
func (o *HTTPOptions) endpoints(ctx context.Context) ([]*endpoint, error) {
	w, c := o.Workspace, o.Creds
	bearer := func(token string) http.Header { return http.Header{"Authorization": {"Bearer " + token}} }
	cookie := func(session string) http.Header {
		return http.Header{"Cookie": {(&http.Cookie{Name: SessionCookie, Value: session}).String()}}
	}
	get := func(path string, h http.Header) request {
		return request{method: http.MethodGet, path: path, header: h}
	}
	project := func(ids []string) func(i int) string { return func(i int) string { return ids[i%len(ids)] } }
	var all, mine []string
	for _, id := range w.Projects {
		all = append(all, id.String())
	}
	for _, id := range w.ContactProjects {
		mine = append(mine, id.String())
	}
	anyProject, contactProject := project(all), project(mine)
	var eps []*endpoint
	if o.HTTP {
		pointRead := func(i int) request { return get("/api/v1/projects/"+anyProject(i), bearer(c.Token)) }
		asks := make([][]byte, askQuestions)
		for i := range asks {
			q, _ := w.Scale.Data.Corpus.Query(w.Main.Index, w.Main.Articles, i)
			asks[i], _ = json.Marshal(map[string]string{"question": q})
		}
		eps = append(eps,
			&endpoint{section: "http", name: "point read", what: "GET /api/v1/projects/{id}", clients: o.Clients, request: pointRead, goal: ThroughputGoal},
			&endpoint{section: "http", name: "point read, latency", what: "GET /api/v1/projects/{id}", clients: 1, request: pointRead, goal: LatencyGoal},
			&endpoint{section: "http", name: "project list", what: "GET /api/v1/projects", clients: o.Clients,
				request: func(int) request { return get("/api/v1/projects", bearer(c.Token)) }},
			&endpoint{section: "http", name: "task list", what: "GET /api/v1/projects/{id}/tasks", clients: o.Clients,
				request: func(i int) request { return get("/api/v1/projects/"+anyProject(i)+"/tasks", bearer(c.Token)) }},
			&endpoint{section: "http", name: "dashboard", what: "GET /app", clients: o.PageClients,
				request: func(int) request { return get("/app", cookie(c.StaffSession)) }},
			&endpoint{section: "http", name: "staff project page", what: "GET /app/projects/{id}", clients: o.PageClients,
				request: func(i int) request { return get("/app/projects/"+anyProject(i), cookie(c.StaffSession)) }},
			&endpoint{section: "http", name: "portal project page", what: "GET /portal/{slug}/projects/{id}", clients: o.PageClients,
				request: func(i int) request {
					return get("/portal/"+w.Main.Slug+"/projects/"+contactProject(i), cookie(c.PortalSession))
				}},
			&endpoint{section: "http", name: "assistant ask", what: "POST /api/v1/assistant/ask (the offline responder)",
				clients: o.PageClients, request: func(i int) request {
					return request{method: http.MethodPost, path: "/api/v1/assistant/ask", body: asks[i%len(asks)],
						header: http.Header{"Authorization": {"Bearer " + c.Token}, "Content-Type": {"application/json"}, "Accept": {"application/json"}}}
				}},
		)
	}
	if o.Search {
		for _, t := range []struct {
			label  string
			tenant Tenant
			token  string
		}{{"small", w.Small, c.SmallToken}, {"large", w.Main, c.Token}} {
			g, err := tenantGroup(ctx, o.Embedder, w.Scale.Data, t.label, t.tenant, max(searchQuestions, o.RecallQueries), o.RecallQueries)
			if err != nil {
				return nil, err
			}
			for _, m := range searchModes {
				paths := make([]string, searchQuestions)
				for i := range paths {
					paths[i] = "/api/v1/kb/search?" + url.Values{"q": {g.queries[i].text}, "mode": {string(m)}, "limit": {"10"}}.Encode()
				}
				eps = append(eps, &endpoint{section: "search", name: fmt.Sprintf("KB search %s, %s tenant", m, t.label),
					what: "GET /api/v1/kb/search", clients: o.SearchClients, goal: SearchGoal,
					request: func(i int) request { return get(paths[i%len(paths)], bearer(t.token)) },
					recall:  &SearchResult{Mode: string(m), Group: t.label, Tenants: 1, Articles: t.tenant.Articles},
					group:   g, details: map[string]any{"mode": m, "tenant": t.tenant.Slug, "articles": t.tenant.Articles}})
			}
		}
	}
	return eps, nil
}

// tenantGroup is a group of one tenant with n questions made from its own
// articles, the first embedded of them embedded (for the recall check).
func tenantGroup(ctx context.Context, e ai.Embedder, d DataSet, name string, t Tenant, n, embedded int) (*group, error) {
	g := &group{name: name, tenants: []Tenant{t}}
	texts := make([]string, n)
	for i := range n {
		texts[i], _ = d.Corpus.Query(t.Index, t.Articles, i)
		g.queries = append(g.queries, query{tenant: t, text: texts[i]})
	}
	vecs, err := embedAll(ctx, e, texts[:min(embedded, n)])
	if err != nil {
		return nil, err
	}
	for i, v := range vecs {
		g.queries[i].vector = v
	}
	return g, nil
}

// client is a keep-alive HTTP client of one target; it follows no
// redirect (a page that sends to the sign-in page has failed).
func client(clients int) *http.Client {
	return &http.Client{
		Timeout: time.Minute,
		Transport: &http.Transport{MaxIdleConns: 2 * clients, MaxIdleConnsPerHost: 2 * clients, IdleConnTimeout: 90 * time.Second,
			DisableCompression: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// do sends one request and reads the whole answer; anything but 200 is an
// error naming the status and the start of the body.
func do(ctx context.Context, c *http.Client, base string, rq request) error {
	var body io.Reader
	if rq.body != nil {
		body = bytes.NewReader(rq.body)
	}
	req, err := http.NewRequestWithContext(ctx, rq.method, base+rq.path, body)
	if err != nil {
		return err
	}
	for k, v := range rq.header {
		req.Header[k] = v
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
		return fmt.Errorf("%s %s answered %d: %s", rq.method, rq.path, resp.StatusCode, bytes.TrimSpace(b))
	}
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}

// measureHTTP drives one target with ep's requests from ep.clients clients for
// d, after a warm-up of two requests per client, starting at request
// offset.
func measureHTTP(ctx context.Context, c *http.Client, base string, ep *endpoint, d time.Duration, offset int) (Figures, error) {
	warm := 2 * ep.clients
	if _, _, err := drive(ctx, ep.clients, func(i int) bool { return i < warm }, func(i int) error {
		return do(ctx, c, base, ep.request(offset+i))
	}); err != nil {
		return Figures{}, err
	}
	offset += warm
	deadline := time.Now().Add(d)
	lat, elapsed, err := drive(ctx, ep.clients, func(int) bool { return time.Now().Before(deadline) }, func(i int) error {
		return do(ctx, c, base, ep.request(offset+i))
	})
	if err != nil {
		return Figures{}, err
	}
	return figures(lat, elapsed), nil
}

// drive runs fn(0), fn(1), … from clients goroutines while more(i) holds,
// and returns every call's time and the wall time; the first error stops
// it.
func drive(ctx context.Context, clients int, more func(i int) bool, fn func(i int) error) ([]time.Duration, time.Duration, error) {
	var (
		next     atomic.Int64
		mu       sync.Mutex
		all      []time.Duration
		firstErr error
		failed   atomic.Bool
		wg       sync.WaitGroup
	)
	start := time.Now()
	for range clients {
		wg.Go(func() {
			var mine []time.Duration
			for !failed.Load() && ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if !more(i) {
					break
				}
				t0 := time.Now()
				if err := fn(i); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					failed.Store(true)
					break
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			all = append(all, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	return all, elapsed, firstErr
}

// RunHTTP measures the rows of o's sections in interleaved rounds
// (Schedule) and checks the search rows' recall@10 against the exact scan.
func RunHTTP(ctx context.Context, o HTTPOptions) ([]Row, error) {
	if o.Rounds < 1 || o.Duration <= 0 {
		return nil, errors.New("bench: at least one round of a positive duration")
	}
	eps, err := o.endpoints(ctx)
	if err != nil {
		return nil, err
	}
	maxClients := max(o.Clients, o.SearchClients, o.PageClients, 1)
	targets := map[string]struct {
		c    *http.Client
		base string
	}{TargetBare: {client(maxClients), o.BareURL}, TargetApp: {client(maxClients), o.AppURL}}
	rounds := make([][]Round, len(eps))
	for i := range rounds {
		rounds[i] = make([]Round, o.Rounds)
	}
	hasBare := make([]bool, len(eps))
	for i := range hasBare {
		hasBare[i] = true
	}
	for _, s := range Schedule(hasBare, o.Rounds) {
		ep, t := eps[s.Row], targets[s.Target]
		f, err := measureHTTP(ctx, t.c, t.base, ep, o.Duration, s.Round*7919)
		if err != nil {
			return nil, fmt.Errorf("%s, %s: %w", ep.name, s.Target, err)
		}
		if s.Target == TargetBare {
			rounds[s.Row][s.Round].Bare = &f
		} else {
			rounds[s.Row][s.Round].App = f
		}
		if o.Logf != nil && s.Row == len(eps)-1 && s.Target == TargetApp {
			o.Logf("http: round %d/%d measured", s.Round+1, o.Rounds)
		}
	}
	rows := make([]Row, len(eps))
	for i, ep := range eps {
		app, bare, ratio := SummariseRounds(rounds[i])
		r := Row{Section: ep.section, Name: ep.name, What: ep.what, Clients: ep.clients, Unit: "req/s",
			App: &app, Bare: bare, Ratio: ratio, Rounds: rounds[i]}
		if ep.recall != nil {
			opts := SearchOptions{Data: o.Workspace.Scale.Data, K: 10, RecallQueries: o.RecallQueries}
			if err := checkRecall(ctx, o.DB, o.Exact, o.Embedder, onboardiq.SearchMode(ep.recall.Mode), ep.group, opts, ep.recall); err != nil {
				return nil, fmt.Errorf("%s: recall: %w", ep.name, err)
			}
			r.RecallAt10 = &ep.recall.RecallAt10
			ep.details["recall_queries"], ep.details["min_results"], ep.details["short"] = ep.recall.RecallQueries, ep.recall.MinResults, ep.recall.Short
		}
		r.Details = ep.details
		if ep.goal != nil {
			r.Goal = ep.goal(r)
		}
		rows[i] = r
	}
	return rows, nil
}
