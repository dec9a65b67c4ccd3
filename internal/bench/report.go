package bench

import (
	"fmt"
	"slices"
	"time"
)

// The goals of issue 18 that rows of `onboardiq bench` are checked against.
const (
	// GoalThroughputRatio is the share of the bare handler's requests per
	// second the app must serve on the point read at GoalThroughputClients.
	GoalThroughputRatio   = 0.70
	GoalThroughputClients = 16
	// GoalLatencyRatio is how many times the bare handler's p50 the app's
	// may be on the point read at one client.
	GoalLatencyRatio = 1.3
	// GoalIdleRSSMB is the most resident memory `onboardiq serve` may hold
	// idle, in MB (2^20 bytes).
	GoalIdleRSSMB = 60.0
)

// Goal statuses: met, missed, or not applicable (the row was measured
// other than the goal says, at another concurrency).
const (
	StatusMet    = "met"
	StatusMissed = "missed"
	StatusNA     = "n/a"
)

// Targets of an HTTP row: the bare handler (the practical limit) and the
// app.
const (
	TargetBare = "bare"
	TargetApp  = "app"
)

// Figures are what one target did in one measurement, or the medians of
// several: throughput (ReqPerSec is requests, rows or events per second,
// Unit says which) and latency percentiles.
type Figures struct {
	ReqPerSec float64 `json:"req_per_s"`
	P50Millis float64 `json:"p50_ms"`
	P95Millis float64 `json:"p95_ms,omitempty"`
	P99Millis float64 `json:"p99_ms,omitempty"`
	// Requests counts what was timed (over every round, for medians).
	Requests int `json:"requests"`
}

// Ratio is the app against the bare handler: Throughput is the app's
// requests per second over the bare handler's (higher is better, 1 is the
// limit), P50 the app's median latency over the bare handler's (lower is
// better, 1 is the limit). Each is the median of the rounds' ratios: a round
// measures the bare handler and then the app, back to back.
type Ratio struct {
	Throughput float64 `json:"throughput"`
	P50        float64 `json:"p50"`
}

// Round is one round of a row: the bare handler's figures and the app's.
type Round struct {
	Bare *Figures `json:"bare,omitempty"`
	App  Figures  `json:"app"`
}

// Row is one line of the report.
type Row struct {
	// Section is the part of the bench the row comes from: http, search,
	// import, fanout, serve, or an added section's name (Sections).
	Section string `json:"section"`
	Name    string `json:"name"`
	// What is measured: an HTTP request (GET /api/v1/projects/{id}) or a
	// description.
	What    string `json:"what"`
	Clients int    `json:"clients,omitempty"`
	// Unit of ReqPerSec: req/s, rows/s or events/s; for a row that is a
	// single value (Value), that value's unit: MB or ms.
	Unit string `json:"unit"`
	// App and Bare are the medians over the rounds; Bare and Ratio are
	// absent for a row without a bare counterpart.
	App    *Figures `json:"app,omitempty"`
	Bare   *Figures `json:"bare,omitempty"`
	Ratio  *Ratio   `json:"ratio,omitempty"`
	Rounds []Round  `json:"rounds,omitempty"`
	// Value is a row's single figure (idle RSS in MB, start-up in ms): the
	// median over the rounds.
	Value *float64 `json:"value,omitempty"`
	// RecallAt10 is a search row's recall@10 against the exact scan.
	RecallAt10 *float64 `json:"recall_at_10,omitempty"`
	// Details are a row's other figures (RSS split, rows imported, …).
	Details map[string]any `json:"details,omitempty"`
	Goal    *Goal          `json:"goal,omitempty"`
}

// Goal is a goal of issue 18 checked on a row.
type Goal struct {
	Text   string `json:"goal"`
	Status string `json:"status"` // met, missed or n/a
}

// GoalResult is a goal in the report's summary, with its row.
type GoalResult struct {
	Row      string `json:"row"`
	Goal     string `json:"goal"`
	Status   string `json:"status"`
	Measured string `json:"measured"`
}

// Machine is where a report was measured: the figures move with the load
// of a shared machine.
type Machine struct {
	Cores      int    `json:"cores"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	CPU        string `json:"cpu,omitempty"`
	OS         string `json:"os"`
	GoVersion  string `json:"go_version"`
	PostgreSQL string `json:"postgresql"`
	// LoadBefore and LoadAfter are the 1, 5 and 15-minute load averages
	// when the run started and ended.
	LoadBefore []float64 `json:"load_average_before"`
	LoadAfter  []float64 `json:"load_average_after"`
	// PoolSize is the app's connection pool (the bare handler's is the
	// same).
	PoolSize int `json:"pool_size"`
}

// Report is a whole run of `onboardiq bench`.
type Report struct {
	Command  string         `json:"command"`
	Scale    string         `json:"scale"`
	Started  time.Time      `json:"started"`
	Seconds  float64        `json:"seconds"`
	Machine  Machine        `json:"machine"`
	Settings Settings       `json:"settings"`
	Data     map[string]any `json:"data"`
	Rows     []Row          `json:"rows"`
	Goals    []GoalResult   `json:"goals"`
}

// Settings are how a run measured.
type Settings struct {
	Rounds        int     `json:"rounds"`
	Seconds       float64 `json:"seconds_per_measurement"`
	Clients       int     `json:"clients"`
	SearchClients int     `json:"search_clients"`
	PageClients   int     `json:"page_clients"`
	Embedder      string  `json:"embedder"`
}

// goals fills the report's summary from its rows' goals.
func goals(rows []Row) []GoalResult {
	var out []GoalResult
	for _, r := range rows {
		if r.Goal == nil {
			continue
		}
		out = append(out, GoalResult{Row: r.Name, Goal: r.Goal.Text, Status: r.Goal.Status, Measured: measured(r)})
	}
	return out
}

// Finish completes a report: its goals' summary and duration.
func (r *Report) Finish(end time.Time) {
	r.Goals = goals(r.Rows)
	r.Seconds = end.Sub(r.Started).Seconds()
}

// measured says in a few words what a row measured against its goal.
func measured(r Row) string {
	switch {
	case r.Section == "import" && r.Ratio != nil:
		return fmt.Sprintf("%.2f× COPY's time (%.2f s against %.2f s)", r.Ratio.P50, r.App.P50Millis/1000, r.Bare.P50Millis/1000)
	case r.RecallAt10 != nil && r.App != nil:
		return fmt.Sprintf("p95 %.1f ms at %d clients, recall@10 %.3f", r.App.P95Millis, r.Clients, *r.RecallAt10)
	case r.Value != nil:
		return fmt.Sprintf("%.1f %s", *r.Value, r.Unit)
	case r.Ratio != nil && r.Clients == 1:
		return fmt.Sprintf("p50 %.2f× bare (%.3f against %.3f ms)", r.Ratio.P50, r.App.P50Millis, r.Bare.P50Millis)
	case r.Ratio != nil:
		return fmt.Sprintf("%.2f of bare at %d clients (%.0f against %.0f %s)", r.Ratio.Throughput, r.Clients, r.App.ReqPerSec, r.Bare.ReqPerSec, r.Unit)
	}
	return ""
}

// status combines a goal's criteria: missed when one that applies fails,
// met when all apply and hold, n/a otherwise.
func status(criteria ...[2]bool) string {
	s := StatusMet
	for _, c := range criteria {
		applies, holds := c[0], c[1]
		switch {
		case applies && !holds:
			return StatusMissed
		case !applies:
			s = StatusNA
		}
	}
	return s
}

// ThroughputGoal checks the point read at GoalThroughputClients.
func ThroughputGoal(r Row) *Goal {
	text := fmt.Sprintf("≥ %.2f of bare at %d clients", GoalThroughputRatio, GoalThroughputClients)
	if r.Ratio == nil {
		return &Goal{Text: text, Status: StatusNA}
	}
	return &Goal{Text: text, Status: status([2]bool{r.Clients == GoalThroughputClients, r.Ratio.Throughput >= GoalThroughputRatio})}
}

// LatencyGoal checks the point read at one client.
func LatencyGoal(r Row) *Goal {
	text := fmt.Sprintf("p50 ≤ %.1f× bare at 1 client", GoalLatencyRatio)
	if r.Ratio == nil {
		return &Goal{Text: text, Status: StatusNA}
	}
	return &Goal{Text: text, Status: status([2]bool{r.Clients == 1, r.Ratio.P50 <= GoalLatencyRatio})}
}

// SearchGoal checks a search row: p95 at GoalClients (the app's), recall@10.
func SearchGoal(r Row) *Goal {
	text := fmt.Sprintf("p95 ≤ %.0f ms at %d clients, recall@10 ≥ %.2f", GoalP95Millis, GoalClients, GoalRecall)
	if r.App == nil || r.RecallAt10 == nil {
		return &Goal{Text: text, Status: StatusNA}
	}
	return &Goal{Text: text, Status: status(
		[2]bool{r.Clients == GoalClients, r.App.P95Millis <= GoalP95Millis},
		[2]bool{true, *r.RecallAt10 >= GoalRecall})}
}

// RSSGoal checks the idle RSS of serve.
func RSSGoal(r Row) *Goal {
	text := fmt.Sprintf("≤ %.0f MB", GoalIdleRSSMB)
	if r.Value == nil {
		return &Goal{Text: text, Status: StatusNA}
	}
	return &Goal{Text: text, Status: status([2]bool{true, *r.Value <= GoalIdleRSSMB})}
}

// ImportGoal checks the import row against issue 16's goal.
func ImportGoal(r Row) *Goal {
	text := fmt.Sprintf("import ≤ %.0f× COPY's time (issue 16)", GoalImportRatio)
	if r.Ratio == nil {
		return &Goal{Text: text, Status: StatusNA}
	}
	return &Goal{Text: text, Status: status([2]bool{true, r.Ratio.P50 <= GoalImportRatio})}
}

// Median is the middle of xs (the mean of the two middle values for an
// even count), 0 for none.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// SummariseRounds summarises rounds: the medians of each target's figures over the rounds,
// and the median of the rounds' ratios (app over bare). bare is nil when no
// round has a bare measurement.
func SummariseRounds(rounds []Round) (app Figures, bare *Figures, ratio *Ratio) {
	var (
		a, b               [4][]float64
		thr, p50           []float64
		appN, bareN, bareR int
	)
	for _, r := range rounds {
		for i, v := range []float64{r.App.ReqPerSec, r.App.P50Millis, r.App.P95Millis, r.App.P99Millis} {
			a[i] = append(a[i], v)
		}
		appN += r.App.Requests
		if r.Bare == nil {
			continue
		}
		bareR++
		bareN += r.Bare.Requests
		for i, v := range []float64{r.Bare.ReqPerSec, r.Bare.P50Millis, r.Bare.P95Millis, r.Bare.P99Millis} {
			b[i] = append(b[i], v)
		}
		thr = append(thr, safeDiv(r.App.ReqPerSec, r.Bare.ReqPerSec))
		p50 = append(p50, safeDiv(r.App.P50Millis, r.Bare.P50Millis))
	}
	app = Figures{ReqPerSec: Median(a[0]), P50Millis: Median(a[1]), P95Millis: Median(a[2]), P99Millis: Median(a[3]), Requests: appN}
	if bareR == 0 {
		return app, nil, nil
	}
	bare = &Figures{ReqPerSec: Median(b[0]), P50Millis: Median(b[1]), P95Millis: Median(b[2]), P99Millis: Median(b[3]), Requests: bareN}
	return app, bare, &Ratio{Throughput: Median(thr), P50: Median(p50)}
}

// safeDiv is a/b, or 0 when b is 0 (JSON has no NaN).
func safeDiv(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// figures summarises one measurement: n requests in elapsed, with their
// latencies (sorted in place).
func figures(lat []time.Duration, elapsed time.Duration) Figures {
	l := Summarise(lat)
	f := Figures{P50Millis: millis(l.P50), P95Millis: millis(l.P95), P99Millis: millis(l.P99), Requests: len(lat)}
	if elapsed > 0 {
		f.ReqPerSec = float64(len(lat)) / elapsed.Seconds()
	}
	return f
}

// Step is one measurement of an interleaved run: a row's target in a round.
type Step struct {
	Round, Row int
	Target     string
}

// Schedule interleaves rounds of rows: each round measures every row in
// turn, each row's bare handler then its app (bare, app, bare, app, …),
// so that a burst of other work on a shared machine falls on both and on
// every row rather than on one. hasBare tells which rows have a bare
// counterpart.
func Schedule(hasBare []bool, rounds int) []Step {
	var out []Step
	for r := range rounds {
		for i, b := range hasBare {
			if b {
				out = append(out, Step{Round: r, Row: i, Target: TargetBare})
			}
			out = append(out, Step{Round: r, Row: i, Target: TargetApp})
		}
	}
	return out
}
