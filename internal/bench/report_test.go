package bench

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestScheduleInterleaves: each round measures every row in turn, its bare
// handler just before its app, and rows without a bare counterpart app
// alone; rounds follow one another.
func TestScheduleInterleaves(t *testing.T) {
	t.Parallel()
	var got []string
	for _, s := range Schedule([]bool{true, false, true}, 2) {
		got = append(got, fmt.Sprintf("%d/%d/%s", s.Round, s.Row, s.Target))
	}
	want := []string{"0/0/bare", "0/0/app", "0/1/app", "0/2/bare", "0/2/app", "1/0/bare", "1/0/app", "1/1/app", "1/2/bare", "1/2/app"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("schedule (-want +got):\n%s", diff)
	}
	if n := len(Schedule([]bool{true}, 0)); n != 0 {
		t.Fatalf("no rounds made %d steps", n)
	}
}

func TestMedian(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5}, {[]float64{7, 7, 1, 100}, 7}} {
		in := slices.Clone(tc.in)
		if got := Median(tc.in); got != tc.want {
			t.Errorf("Median(%v) = %v, want %v", tc.in, got, tc.want)
		}
		if !slices.Equal(in, tc.in) {
			t.Errorf("Median sorted its argument: %v", tc.in)
		}
	}
}

// TestSummariseRounds: each target's figures are the medians over the
// rounds, each on its own; the ratios are the medians of the rounds' own
// ratios (a round pairs bare and app back to back), which the ratio of the
// medians is not.
func TestSummariseRounds(t *testing.T) {
	t.Parallel()
	f := func(rps, p50 float64) Figures {
		return Figures{ReqPerSec: rps, P50Millis: p50, P95Millis: 2 * p50, P99Millis: 3 * p50, Requests: 10}
	}
	rounds := []Round{
		{Bare: ptr(f(1000, 1)), App: f(800, 1.5)}, // 0.8, 1.5
		{Bare: ptr(f(100, 10)), App: f(90, 11)},   // 0.9, 1.1
		{Bare: ptr(f(500, 2)), App: f(100, 8)},    // 0.2, 4
	}
	app, bare, ratio := SummariseRounds(rounds)
	if want := (Figures{ReqPerSec: 100, P50Millis: 8, P95Millis: 16, P99Millis: 24, Requests: 30}); app != want {
		t.Errorf("app %+v, want %+v", app, want)
	}
	if want := (Figures{ReqPerSec: 500, P50Millis: 2, P95Millis: 4, P99Millis: 6, Requests: 30}); bare == nil || *bare != want {
		t.Errorf("bare %+v, want %+v", bare, want)
	}
	// The ratio of the medians would be 100/500 = 0.2 and 8/2 = 4.
	if ratio == nil || math.Abs(ratio.Throughput-0.8) > 1e-12 || math.Abs(ratio.P50-1.5) > 1e-12 {
		t.Errorf("ratio %+v, want throughput 0.8 and p50 1.5", ratio)
	}

	app, bare, ratio = SummariseRounds([]Round{{App: f(40, 5)}, {App: f(60, 7)}})
	if app.ReqPerSec != 50 || app.P50Millis != 6 || bare != nil || ratio != nil {
		t.Errorf("without bare: %+v %+v %+v", app, bare, ratio)
	}
	// A bare handler that served nothing gives no NaN (JSON has none).
	_, _, ratio = SummariseRounds([]Round{{Bare: &Figures{}, App: f(10, 1)}})
	if _, err := json.Marshal(ratio); err != nil || ratio.Throughput != 0 {
		t.Errorf("zero bare: %+v %v", ratio, err)
	}
}

// TestFigures: requests per second of wall time, nearest-rank
// percentiles.
func TestFigures(t *testing.T) {
	t.Parallel()
	var lat []time.Duration
	for i := 100; i >= 1; i-- {
		lat = append(lat, time.Duration(i)*time.Millisecond)
	}
	got := figures(lat, 2*time.Second)
	if want := (Figures{ReqPerSec: 50, P50Millis: 50, P95Millis: 95, P99Millis: 99, Requests: 100}); got != want {
		t.Fatalf("figures %+v, want %+v", got, want)
	}
}

func TestGoals(t *testing.T) {
	t.Parallel()
	f64 := func(v float64) *float64 { return &v }
	for name, tc := range map[string]struct {
		goal func(Row) *Goal
		row  Row
		want string
	}{
		"throughput met":          {ThroughputGoal, Row{Clients: 16, Ratio: &Ratio{Throughput: 0.70}}, StatusMet},
		"throughput missed":       {ThroughputGoal, Row{Clients: 16, Ratio: &Ratio{Throughput: 0.69}}, StatusMissed},
		"throughput at 8 clients": {ThroughputGoal, Row{Clients: 8, Ratio: &Ratio{Throughput: 0.1}}, StatusNA},
		"throughput without bare": {ThroughputGoal, Row{Clients: 16}, StatusNA},
		"latency met":             {LatencyGoal, Row{Clients: 1, Ratio: &Ratio{P50: 1.3}}, StatusMet},
		"latency missed":          {LatencyGoal, Row{Clients: 1, Ratio: &Ratio{P50: 1.31}}, StatusMissed},
		"latency at 2 clients":    {LatencyGoal, Row{Clients: 2, Ratio: &Ratio{P50: 9}}, StatusNA},
		"search met":              {SearchGoal, Row{Clients: 8, App: &Figures{P95Millis: 20}, RecallAt10: f64(0.95)}, StatusMet},
		"search slow":             {SearchGoal, Row{Clients: 8, App: &Figures{P95Millis: 20.1}, RecallAt10: f64(1)}, StatusMissed},
		"search misses":           {SearchGoal, Row{Clients: 8, App: &Figures{P95Millis: 1}, RecallAt10: f64(0.94)}, StatusMissed},
		// At 2 clients the p95 is not the goal's; recall still counts.
		"search at 2 clients":        {SearchGoal, Row{Clients: 2, App: &Figures{P95Millis: 90}, RecallAt10: f64(1)}, StatusNA},
		"search at 2 clients missed": {SearchGoal, Row{Clients: 2, App: &Figures{P95Millis: 1}, RecallAt10: f64(0.5)}, StatusMissed},
		"rss met":                    {RSSGoal, Row{Value: f64(60)}, StatusMet},
		"rss missed":                 {RSSGoal, Row{Value: f64(60.5)}, StatusMissed},
		"import met":                 {ImportGoal, Row{Ratio: &Ratio{P50: 2}}, StatusMet},
		"import missed":              {ImportGoal, Row{Ratio: &Ratio{P50: 2.1}}, StatusMissed},
	} {
		if got := tc.goal(tc.row); got.Status != tc.want || got.Text == "" {
			t.Errorf("%s: %+v, want %s", name, got, tc.want)
		}
	}
}

// TestReportJSONShape: the document machines read names every row with its
// figures, the goals with their status and what was measured, and the
// machine with its load.
func TestReportJSONShape(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	point := Row{Section: "http", Name: "point read", What: "GET /api/v1/projects/{id}", Clients: 16, Unit: "req/s",
		Rounds: []Round{{Bare: &Figures{ReqPerSec: 6000, P50Millis: 2, Requests: 6000}, App: Figures{ReqPerSec: 4500, P50Millis: 3, Requests: 4500}}}}
	app, bare, ratio := SummariseRounds(point.Rounds)
	point.App, point.Bare, point.Ratio = &app, bare, ratio
	point.Goal = ThroughputGoal(point)
	rss := Row{Section: "serve", Name: "idle RSS", Unit: "MB", Value: ptr(58.5), Details: map[string]any{"anon_mb": 20.0}}
	rss.Goal = RSSGoal(rss)
	imp := Row{Section: "import", Name: "CSV import vs COPY", Unit: "rows/s", Clients: 1,
		Rounds: []Round{{Bare: &Figures{ReqPerSec: 50000, P50Millis: 2000, Requests: 100000}, App: Figures{ReqPerSec: 20000, P50Millis: 5000, Requests: 100000}}}}
	impApp, impBare, impRatio := SummariseRounds(imp.Rounds)
	imp.App, imp.Bare, imp.Ratio = &impApp, impBare, impRatio
	imp.Goal = ImportGoal(imp)
	r := &Report{Command: "onboardiq bench http --scale small", Scale: "small", Started: start,
		Machine: Machine{Cores: 2, GoVersion: "go1.26", PostgreSQL: "PostgreSQL 15", LoadBefore: []float64{1, 2, 3}, LoadAfter: []float64{1, 1, 1}, PoolSize: 8},
		Rows:    []Row{point, rss, imp, {Section: "fanout", Name: "event fan-out", Unit: "events/s", App: &Figures{ReqPerSec: 40}}}}
	r.Finish(start.Add(90 * time.Second))
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Scale   string  `json:"scale"`
		Seconds float64 `json:"seconds"`
		Machine map[string]any
		Rows    []map[string]any
		Goals   []map[string]string
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Scale != "small" || doc.Seconds != 90 || doc.Machine["cores"] != 2.0 || doc.Machine["postgresql"] != "PostgreSQL 15" ||
		doc.Machine["go_version"] != "go1.26" || len(doc.Machine["load_average_before"].([]any)) != 3 || doc.Machine["pool_size"] != 8.0 {
		t.Fatalf("report: %s", b)
	}
	row := doc.Rows[0]
	if row["name"] != "point read" || row["clients"] != 16.0 || row["app"].(map[string]any)["req_per_s"] != 4500.0 ||
		row["bare"].(map[string]any)["p50_ms"] != 2.0 || row["ratio"].(map[string]any)["throughput"] != 0.75 ||
		row["goal"].(map[string]any)["status"] != StatusMet || len(row["rounds"].([]any)) != 1 {
		t.Errorf("point read: %v", row)
	}
	if doc.Rows[1]["value"] != 58.5 || doc.Rows[1]["bare"] != nil || doc.Rows[1]["details"].(map[string]any)["anon_mb"] != 20.0 {
		t.Errorf("idle RSS: %v", doc.Rows[1])
	}
	if _, ok := doc.Rows[3]["goal"]; ok {
		t.Errorf("a row without a goal has one: %v", doc.Rows[3])
	}
	want := []map[string]string{
		{"row": "point read", "goal": "≥ 0.70 of bare at 16 clients", "status": "met", "measured": "0.75 of bare at 16 clients (4500 against 6000 req/s)"},
		{"row": "idle RSS", "goal": "≤ 60 MB", "status": "met", "measured": "58.5 MB"},
		{"row": "CSV import vs COPY", "goal": "import ≤ 2× COPY's time (issue 16)", "status": "missed", "measured": "2.50× COPY's time (5.00 s against 2.00 s)"},
	}
	if diff := cmp.Diff(want, doc.Goals); diff != "" {
		t.Errorf("goals (-want +got):\n%s", diff)
	}
}

func TestParseStatus(t *testing.T) {
	t.Parallel()
	status := strings.Join([]string{"Name:\tonboardiq", "VmPeak:\t 1300000 kB", "VmRSS:\t   73728 kB", "RssAnon:\t   27648 kB",
		"RssFile:\t   45056 kB", "RssShmem:\t    1024 kB", "Threads:\t9"}, "\n")
	m, err := ParseStatus(status)
	if err != nil || m != (Memory{RSS: 72, Anon: 27, File: 44, Shmem: 1}) {
		t.Fatalf("%+v %v", m, err)
	}
	if _, err := ParseStatus("Name:\tx\nRssAnon:\t1 kB\n"); err == nil {
		t.Fatal("a status without VmRSS was read")
	}
}

// TestListening: the main server's address is read from serve's log, not
// the metrics listener's.
func TestListening(t *testing.T) {
	t.Parallel()
	for line, want := range map[string]string{
		`{"time":"t","level":"INFO","msg":"listening","addr":"127.0.0.1:4321"}`:                    "127.0.0.1:4321",
		`{"time":"t","level":"INFO","msg":"listening","server":"metrics","addr":"127.0.0.1:9464"}`: "",
		`{"time":"t","level":"INFO","msg":"starting","addr":":8080"}`:                              "",
		`listening on 127.0.0.1:1`: "",
	} {
		if got := listening([]byte(line)); got != want {
			t.Errorf("%s: %q, want %q", line, got, want)
		}
	}
}
