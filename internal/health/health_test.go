package health_test

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/health"
)

func sig(v float64, ids ...string) *health.Signal { return &health.Signal{Value: v, EventIDs: ids} }

// full is a customer with every default-weighted signal at full marks.
func full() health.Signals {
	return health.Signals{
		DAU: sig(50), DAUPrevious: sig(50), Seats: sig(100),
		ActiveDays:       sig(20),
		CoreFeaturesUsed: sig(4), CoreFeatures: sig(4),
		BlockedTasks: sig(0), Escalations: sig(0), NegativeCSAT: sig(0),
	}
}

func componentScores(s health.Score) map[string]int {
	m := map[string]int{}
	for _, c := range s.Components {
		m[c.Name] = c.Score
	}
	return m
}

func TestComponentFormulas(t *testing.T) {
	t.Parallel()
	cfg := health.DefaultConfig()
	cfg.Weights.Onboarding, cfg.Weights.Satisfaction = 10, 10
	cases := []struct {
		name string
		s    health.Signals
		want map[string]int
	}{
		{"usage: half the seats active and flat is full", health.Signals{DAU: sig(50), DAUPrevious: sig(50), Seats: sig(100)}, map[string]int{"usage": 100}},
		{"usage: a quarter of the seats, halved since last month", health.Signals{DAU: sig(25), DAUPrevious: sig(50), Seats: sig(100)}, map[string]int{"usage": 50}}, // 0.7*50 + 0.3*50
		{"usage: penetration alone", health.Signals{DAU: sig(10), Seats: sig(100)}, map[string]int{"usage": 20}},
		{"usage: trend alone", health.Signals{DAU: sig(30), DAUPrevious: sig(40)}, map[string]int{"usage": 75}},
		{"usage: from nothing to something is full trend", health.Signals{DAU: sig(3), DAUPrevious: sig(0)}, map[string]int{"usage": 100}},
		{"usage: nothing and nothing before is 0", health.Signals{DAU: sig(0), DAUPrevious: sig(0)}, map[string]int{"usage": 0}},
		{"usage: DAU without seats or history is left out", health.Signals{DAU: sig(10), ActiveDays: sig(10)}, map[string]int{"engagement": 50}},
		{"engagement: 20 of 30 days is full", health.Signals{ActiveDays: sig(20)}, map[string]int{"engagement": 100}},
		{"engagement: 5 days", health.Signals{ActiveDays: sig(5)}, map[string]int{"engagement": 25}},
		{"adoption: 3 of 4 core features", health.Signals{CoreFeaturesUsed: sig(3), CoreFeatures: sig(4)}, map[string]int{"adoption": 75}},
		{"adoption: no core features defined is left out", health.Signals{CoreFeaturesUsed: sig(3), CoreFeatures: sig(0), ActiveDays: sig(20)}, map[string]int{"engagement": 100}},
		{"support: penalties add up", health.Signals{BlockedTasks: sig(1), Escalations: sig(1), NegativeCSAT: sig(1)}, map[string]int{"support_sentiment": 40}},
		{"support: one signal is enough", health.Signals{Escalations: sig(2)}, map[string]int{"support_sentiment": 50}},
		{"onboarding: progress and lateness", health.Signals{OnboardingProgress: sig(60), DaysLate: sig(4)}, map[string]int{"onboarding": 70}}, // (60 + 80) / 2
		{"onboarding: early is on time", health.Signals{DaysLate: sig(-3)}, map[string]int{"onboarding": 100}},
		{"satisfaction: CSAT 4 and NPS 7", health.Signals{CSAT: sig(4), NPS: sig(7)}, map[string]int{"satisfaction": 73}}, // (75 + 70) / 2 = 72.5
		{"satisfaction: CSAT 1 is 0", health.Signals{CSAT: sig(1)}, map[string]int{"satisfaction": 0}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ok := health.Compute(cfg, tc.s)
			if !ok {
				t.Fatal("no score")
			}
			if diff := cmp.Diff(tc.want, componentScores(got)); diff != "" {
				t.Errorf("components (-want +got):\n%s", diff)
			}
		})
	}
}

func TestClamping(t *testing.T) {
	t.Parallel()
	cfg := health.DefaultConfig()
	cfg.Weights.Onboarding, cfg.Weights.Satisfaction = 10, 10
	cases := []struct {
		name string
		s    health.Signals
		want map[string]int
	}{
		{"usage above the target stays 100", health.Signals{DAU: sig(500), DAUPrevious: sig(10), Seats: sig(100)}, map[string]int{"usage": 100}},
		{"negative DAU is 0", health.Signals{DAU: sig(-5), Seats: sig(10)}, map[string]int{"usage": 0}},
		{"more than 30 active days is 100", health.Signals{ActiveDays: sig(45)}, map[string]int{"engagement": 100}},
		{"negative active days is 0", health.Signals{ActiveDays: sig(-2)}, map[string]int{"engagement": 0}},
		{"more features used than defined is 100", health.Signals{CoreFeaturesUsed: sig(9), CoreFeatures: sig(4)}, map[string]int{"adoption": 100}},
		{"support never goes below 0", health.Signals{Escalations: sig(10)}, map[string]int{"support_sentiment": 0}},
		{"negative counts count as none", health.Signals{BlockedTasks: sig(-4)}, map[string]int{"support_sentiment": 100}},
		{"progress above 100 and very late", health.Signals{OnboardingProgress: sig(130), DaysLate: sig(90)}, map[string]int{"onboarding": 50}},
		{"CSAT and NPS out of range", health.Signals{CSAT: sig(9), NPS: sig(-1)}, map[string]int{"satisfaction": 50}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ok := health.Compute(cfg, tc.s)
			if !ok {
				t.Fatal("no score")
			}
			if diff := cmp.Diff(tc.want, componentScores(got)); diff != "" {
				t.Errorf("components (-want +got):\n%s", diff)
			}
			if got.Score < 0 || got.Score > 100 {
				t.Errorf("score %d out of 0–100", got.Score)
			}
		})
	}
}

func TestWeightsAndRenormalisation(t *testing.T) {
	t.Parallel()
	// usage 20, engagement 100, support 40, adoption 50.
	s := health.Signals{
		DAU: sig(10), Seats: sig(100),
		ActiveDays:       sig(25),
		BlockedTasks:     sig(4),
		CoreFeaturesUsed: sig(2), CoreFeatures: sig(4),
	}
	equal := health.DefaultConfig()
	equal.Weights = health.Weights{Usage: 1, Engagement: 1, Support: 1, Adoption: 1}
	onlyUsage := health.DefaultConfig()
	onlyUsage.Weights = health.Weights{Usage: 5}
	noUsage := s
	noUsage.DAU = nil
	cases := []struct {
		name    string
		cfg     health.Config
		s       health.Signals
		score   int
		weights map[string]float64
		missing []string
	}{
		// 0.35*20 + 0.25*100 + 0.2*40 + 0.2*50 = 50
		{"default weights", health.DefaultConfig(), s, 50, map[string]float64{"usage": 0.35, "engagement": 0.25, "support_sentiment": 0.2, "adoption": 0.2}, nil},
		{"equal weights", equal, s, 53, map[string]float64{"usage": 0.25, "engagement": 0.25, "support_sentiment": 0.25, "adoption": 0.25}, nil}, // 52.5
		{"a single weighted component", onlyUsage, s, 20, map[string]float64{"usage": 1}, nil},
		// usage missing: 25:20:20 of 65 → (25*100 + 20*40 + 20*50)/65 = 66.15
		{"usage missing: the others renormalise", health.DefaultConfig(), noUsage, 66,
			map[string]float64{"engagement": 0.3846, "support_sentiment": 0.3077, "adoption": 0.3077}, []string{"usage"}},
		{"components weighted 0 neither count nor are missing: no score", onlyUsage, noUsage, 0, nil, []string{"usage"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ok := health.Compute(tc.cfg, tc.s)
			if tc.weights == nil {
				if ok {
					t.Fatalf("scored %d, want no score", got.Score)
				}
				if diff := cmp.Diff(tc.missing, got.Missing); diff != "" {
					t.Errorf("missing (-want +got):\n%s", diff)
				}
				return
			}
			if !ok {
				t.Fatal("no score")
			}
			if got.Score != tc.score {
				t.Errorf("score = %d, want %d", got.Score, tc.score)
			}
			w := map[string]float64{}
			for _, c := range got.Components {
				w[c.Name] = c.Weight
			}
			if diff := cmp.Diff(tc.weights, w); diff != "" {
				t.Errorf("weights (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.missing, got.Missing); diff != "" {
				t.Errorf("missing (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNoSignalsIsNoScore(t *testing.T) {
	t.Parallel()
	got, ok := health.Compute(health.DefaultConfig(), health.Signals{})
	if ok {
		t.Fatalf("scored %+v from no signals", got)
	}
	if diff := cmp.Diff([]string{"usage", "engagement", "support_sentiment", "adoption"}, got.Missing); diff != "" {
		t.Errorf("missing (-want +got):\n%s", diff)
	}
	// Signals only for components weighted 0 are no score either.
	if got, ok := health.Compute(health.DefaultConfig(), health.Signals{CSAT: sig(5)}); ok {
		t.Errorf("scored %d from an unweighted component", got.Score)
	}
	// A real zero is a score.
	zero, ok := health.Compute(health.DefaultConfig(), health.Signals{ActiveDays: sig(0)})
	if !ok || zero.Score != 0 || zero.Level != health.Critical {
		t.Errorf("zero activity = %+v, %v; want a Critical 0", zero, ok)
	}
}

func TestLevelBoundaries(t *testing.T) {
	t.Parallel()
	cfg := health.DefaultConfig()
	cfg.Weights = health.Weights{Engagement: 1}
	cases := []struct {
		score int
		level string
	}{
		{0, health.Critical}, {39, health.Critical}, {40, health.AtRisk}, {59, health.AtRisk},
		{60, health.Moderate}, {79, health.Moderate}, {80, health.Healthy}, {100, health.Healthy},
	}
	for _, tc := range cases {
		if got := cfg.LevelOf(tc.score); got != tc.level {
			t.Errorf("LevelOf(%d) = %q, want %q", tc.score, got, tc.level)
		}
		// Through Compute too: active days d score 5*d.
		if tc.score%5 == 0 {
			got, _ := health.Compute(cfg, health.Signals{ActiveDays: sig(float64(tc.score) / 5)})
			if got.Score != tc.score || got.Level != tc.level {
				t.Errorf("Compute → %d %q, want %d %q", got.Score, got.Level, tc.score, tc.level)
			}
		}
	}
	// Rounding decides the level at the edge: 79.5 rounds to 80, Healthy.
	got, _ := health.Compute(cfg, health.Signals{ActiveDays: sig(15.9)})
	if got.Score != 80 || got.Level != health.Healthy {
		t.Errorf("79.5 → %d %q, want 80 healthy", got.Score, got.Level)
	}
	custom := health.Config{Weights: health.Weights{Usage: 1}, Levels: []health.Level{{Key: "good", Name: "Good", Min: 50}, {Key: "bad", Name: "Bad", Min: 0}}}
	if custom.LevelOf(49) != "bad" || custom.LevelOf(50) != "good" {
		t.Error("custom levels not applied")
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	mod := func(f func(*health.Config)) health.Config {
		c := health.DefaultConfig()
		f(&c)
		return c
	}
	cases := []struct {
		name  string
		cfg   health.Config
		field string
	}{
		{"default", health.DefaultConfig(), ""},
		{"a negative weight", mod(func(c *health.Config) { c.Weights.Adoption = -1 }), "weights.adoption"},
		{"all weights zero", mod(func(c *health.Config) { c.Weights = health.Weights{} }), "weights"},
		{"only satisfaction weighted", mod(func(c *health.Config) { c.Weights = health.Weights{Satisfaction: 1} }), ""},
		{"no levels", mod(func(c *health.Config) { c.Levels = nil }), "levels"},
		{"thresholds out of order", mod(func(c *health.Config) { c.Levels[1].Min = 85 }), "levels.min"},
		{"equal thresholds", mod(func(c *health.Config) { c.Levels[2].Min = 60 }), "levels.min"},
		{"last level above 0", mod(func(c *health.Config) { c.Levels[3].Min = 10 }), "levels.min"},
		{"threshold above 100", mod(func(c *health.Config) { c.Levels[0].Min = 101 }), "levels.min"},
		{"duplicate key", mod(func(c *health.Config) { c.Levels[1].Key = health.Healthy }), "levels.key"},
		{"empty name", mod(func(c *health.Config) { c.Levels[1].Name = "" }), "levels.name"},
		{"negative drop", mod(func(c *health.Config) { c.DropPoints = -1 }), "drop_points"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.cfg.Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			var e *onboardiq.Error
			if !errors.As(err, &e) || e.Code != onboardiq.EINVALID || e.Field != tc.field {
				t.Fatalf("Validate = %v, want invalid %s", err, tc.field)
			}
		})
	}
}

func TestEvidenceAndJSON(t *testing.T) {
	t.Parallel()
	s := health.Signals{
		DAU: sig(4, "101", "102"), DAUPrevious: sig(8), Seats: sig(20, "7"),
		Escalations: sig(2, "301"),
	}
	got, ok := health.Compute(health.DefaultConfig(), s)
	if !ok {
		t.Fatal("no score")
	}
	b, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	// usage: 0.7*40 + 0.3*50 = 43; support: 100-50 = 50; 35:20 → 45.5 → 46.
	want := `{"score":46,"level":"at_risk","components":[` +
		`{"name":"usage","score":43,"weight":0.6364,"evidence":[` +
		`{"signal":"daily_active_users","value":4,"event_ids":["101","102"]},` +
		`{"signal":"daily_active_users_previous","value":8,"event_ids":[]},` +
		`{"signal":"seats","value":20,"event_ids":["7"]}]},` +
		`{"name":"support_sentiment","score":50,"weight":0.3636,"evidence":[` +
		`{"signal":"escalations","value":2,"event_ids":["301"]}]}]}`
	if string(b) != want {
		t.Errorf("JSON:\n got %s\nwant %s", b, want)
	}
	if e := got.Explain(); e != "usage 43 (weight 64%), support_sentiment 50 (weight 36%); left out for lack of signals: engagement, adoption (the other weights are renormalised to sum to 100%)" {
		t.Errorf("Explain = %q", e)
	}
}

func TestMonotone(t *testing.T) {
	t.Parallel()
	cfg := health.DefaultConfig()
	cfg.Weights.Onboarding, cfg.Weights.Satisfaction = 10, 10
	base := health.Signals{
		DAU: sig(10), DAUPrevious: sig(20), Seats: sig(100), ActiveDays: sig(10),
		CoreFeaturesUsed: sig(2), CoreFeatures: sig(5), BlockedTasks: sig(1), Escalations: sig(1), NegativeCSAT: sig(1),
		OnboardingProgress: sig(50), DaysLate: sig(3), CSAT: sig(3), NPS: sig(5),
	}
	score := func(s health.Signals) int { sc, _ := health.Compute(cfg, s); return sc.Score }
	// More of a good signal never lowers the score; more of a bad one never raises it.
	moves := []struct {
		name string
		f    func(*health.Signals, float64)
		up   bool
	}{
		{"dau", func(s *health.Signals, v float64) { s.DAU = sig(v) }, true},
		{"dau previous", func(s *health.Signals, v float64) { s.DAUPrevious = sig(v) }, false},
		{"active days", func(s *health.Signals, v float64) { s.ActiveDays = sig(v) }, true},
		{"features used", func(s *health.Signals, v float64) { s.CoreFeaturesUsed = sig(v) }, true},
		{"blocked", func(s *health.Signals, v float64) { s.BlockedTasks = sig(v) }, false},
		{"escalations", func(s *health.Signals, v float64) { s.Escalations = sig(v) }, false},
		{"negative csat", func(s *health.Signals, v float64) { s.NegativeCSAT = sig(v) }, false},
		{"progress", func(s *health.Signals, v float64) { s.OnboardingProgress = sig(v * 10) }, true},
		{"days late", func(s *health.Signals, v float64) { s.DaysLate = sig(v) }, false},
		{"csat", func(s *health.Signals, v float64) { s.CSAT = sig(v / 2) }, true},
		{"nps", func(s *health.Signals, v float64) { s.NPS = sig(v / 3) }, true},
	}
	for _, m := range moves {
		prev := -1
		for v := 0.0; v <= 30; v++ {
			s := base
			m.f(&s, v)
			got := score(s)
			if prev >= 0 && ((m.up && got < prev) || (!m.up && got > prev)) {
				t.Errorf("%s = %v: score %d after %d", m.name, v, got, prev)
			}
			prev = got
		}
	}
}

func TestDeterministic(t *testing.T) {
	t.Parallel()
	s := full()
	s.DAU = sig(17, "3", "1", "2")
	first, _ := health.Compute(health.DefaultConfig(), s)
	want, _ := json.Marshal(first)
	for range 100 {
		got, _ := health.Compute(health.DefaultConfig(), s)
		b, _ := json.Marshal(got)
		if string(b) != string(want) {
			t.Fatalf("differs:\n%s\n%s", b, want)
		}
	}
	if first.Components[0].Evidence[0].EventIDs[0] != "3" {
		t.Error("event ids reordered")
	}
}

func TestChange(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name                  string
		prev, next            health.Score
		drop                  int
		levelChanged, dropped bool
	}{
		{"same", health.Score{Score: 85, Level: "healthy"}, health.Score{Score: 85, Level: "healthy"}, 10, false, false},
		{"drop of exactly the threshold is not a drop", health.Score{Score: 90, Level: "healthy"}, health.Score{Score: 80, Level: "healthy"}, 10, false, false},
		{"one more is", health.Score{Score: 91, Level: "healthy"}, health.Score{Score: 80, Level: "healthy"}, 10, false, true},
		{"level change by one point", health.Score{Score: 80, Level: "healthy"}, health.Score{Score: 79, Level: "moderate"}, 10, true, false},
		{"both", health.Score{Score: 85, Level: "healthy"}, health.Score{Score: 30, Level: "critical"}, 10, true, true},
		{"a rise changes the level but is no drop", health.Score{Score: 30, Level: "critical"}, health.Score{Score: 85, Level: "healthy"}, 10, true, false},
	}
	for _, tc := range cases {
		lc, d := health.Change(tc.prev, tc.next, tc.drop)
		if lc != tc.levelChanged || d != tc.dropped {
			t.Errorf("%s: Change = %v, %v; want %v, %v", tc.name, lc, d, tc.levelChanged, tc.dropped)
		}
	}
}

// BenchmarkCompute scores 10,000 customers per iteration.
func BenchmarkCompute(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	customers := make([]health.Signals, 10000)
	for i := range customers {
		s := full()
		s.DAU = sig(r.Float64()*60, strconv.Itoa(i))
		s.ActiveDays = sig(float64(r.IntN(31)))
		s.Escalations = sig(float64(r.IntN(3)))
		if i%7 == 0 {
			s.CoreFeatures = nil
		}
		customers[i] = s
	}
	cfg := health.DefaultConfig()
	b.ReportAllocs()
	for b.Loop() {
		for _, s := range customers {
			health.Compute(cfg, s)
		}
	}
}

func TestConfigJSONAndLevelName(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(health.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	var back health.Config
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(health.DefaultConfig(), back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	var custom health.Config
	if err := json.Unmarshal([]byte(`{"weights":{"usage":1,"support_sentiment":3},"levels":[{"key":"ok","name":"Fine","min":0}]}`), &custom); err != nil {
		t.Fatal(err)
	}
	if err := custom.Validate(); err != nil || custom.Weights.Support != 3 {
		t.Errorf("custom = %+v, %v", custom, err)
	}
	cfg := health.DefaultConfig()
	if cfg.LevelName(health.AtRisk) != "At risk" || cfg.LevelName("gone") != "gone" {
		t.Error("LevelName")
	}
}

// TestReason: the reason names the component that costs the score the most
// points (shortfall × weight), with its signals.
func TestReason(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		score health.Score
		want  string
	}{
		{"no components", health.Score{}, ""},
		{"the lowest of equal weights", health.Score{Components: []health.Component{
			{Name: health.Usage, Score: 80, Weight: 0.5},
			{Name: health.Engagement, Score: 15, Weight: 0.5, Evidence: []health.Evidence{{Signal: "active_days", Value: 3}}},
		}}, "engagement 15/100: active days 3"},
		{"weight decides: 40 short at 0.8 beats 60 short at 0.2", health.Score{Components: []health.Component{
			{Name: health.Support, Score: 40, Weight: 0.2},
			{Name: health.Usage, Score: 60, Weight: 0.8, Evidence: []health.Evidence{{Signal: "daily_active_users", Value: 1.25}, {Signal: "seats", Value: 10}}},
		}}, "usage 60/100: daily active users 1.25, seats 10"},
		{"support sentiment spelled out", health.Score{Components: []health.Component{
			{Name: health.Support, Score: 10, Weight: 1, Evidence: []health.Evidence{{Signal: "blocked_tasks", Value: 6}}},
		}}, "support sentiment 10/100: blocked tasks 6"},
	}
	for _, tc := range cases {
		if got := tc.score.Reason(); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
