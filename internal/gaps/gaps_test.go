package gaps_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/ai"
	"github.com/onboardiq/onboardiq/internal/gaps"
)

var t0 = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

// questions embeds texts with the offline embedder, asked an hour apart,
// each by another asker.
func questions(t *testing.T, texts ...string) []gaps.Question {
	t.Helper()
	vecs, err := ai.Local{}.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]gaps.Question, len(texts))
	for i, s := range texts {
		out[i] = gaps.Question{GapQuestion: onboardiq.GapQuestion{ID: uuid.NewSHA1(uuid.Nil, []byte(s)), Question: s,
			AskedAt: t0.Add(time.Duration(i) * time.Hour), AskerID: uuid.NewSHA1(uuid.Nil, []byte(fmt.Sprint("asker", i)))}, Vector: vecs[i]}
	}
	return out
}

func texts(g [][]gaps.Question) [][]string {
	var out [][]string
	for _, qs := range g {
		var s []string
		for _, q := range qs {
			s = append(s, q.Question)
		}
		slices.Sort(s)
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b []string) int { return len(b) - len(a) })
	return out
}

func TestGroupParaphrases(t *testing.T) {
	t.Parallel()
	qs := questions(t, "How do I set up SSO?", "Where is my invoice?", "SSO setup steps", "configure single sign-on")
	got := texts(gaps.Group(qs))
	want := [][]string{{"How do I set up SSO?", "SSO setup steps", "configure single sign-on"}, {"Where is my invoice?"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("groups (-want +got):\n%s", diff)
	}
}

// measured are paraphrase sets; questions of different sets are
// unrelated. docs/knowledge-gaps.md quotes the figures this test logs.
var measured = [][]string{
	{"How do I set up SSO?", "SSO setup steps", "configure single sign-on", "How can I configure SSO for my team?", "set up single sign on with Okta"},
	{"Where is my invoice?", "I can't find my invoice", "where can I download invoices", "how do I get a copy of my invoice"},
	{"How do I import users from a CSV?", "import users csv", "bulk upload users from a spreadsheet"},
	{"How do I reset my password?", "forgot password", "reset password link not working"},
	{"What ports does the agent need open?", "firewall ports for the agent", "which ports must be open for the agent"},
	{"Can we connect Salesforce?", "salesforce integration setup", "how do I link our Salesforce account"},
}

// TestThresholdsSeparateParaphrases: with ai.Local, every paraphrase set
// is one group but one (the spreadsheet upload shares no word with the CSV
// import), and no two unrelated questions reach the thresholds.
func TestThresholdsSeparateParaphrases(t *testing.T) {
	t.Parallel()
	var all []string
	set := map[string]int{}
	for i, s := range measured {
		for _, q := range s {
			all, set[q] = append(all, q), i
		}
	}
	qs := questions(t, all...)
	maxUnrelated, minSame := 0.0, 10.0
	for i := range qs {
		for j := i + 1; j < len(qs); j++ {
			s := gaps.Similarity(qs[i], qs[j])
			if set[qs[i].Question] != set[qs[j].Question] {
				maxUnrelated = max(maxUnrelated, s)
				if s >= 1 {
					t.Errorf("unrelated %q and %q reach the threshold: %.2f", qs[i].Question, qs[j].Question, s)
				}
			} else {
				minSame = min(minSame, s)
			}
		}
	}
	t.Logf("highest unrelated pair %.2f of the threshold, lowest paraphrase pair %.2f", maxUnrelated, minSame)
	got := texts(gaps.Group(qs))
	var want [][]string
	for _, s := range measured {
		s = slices.Clone(s)
		if s[0] == "How do I import users from a CSV?" {
			want = append(want, []string{"bulk upload users from a spreadsheet"})
			s = s[:2]
		}
		slices.Sort(s)
		want = append(want, s)
	}
	slices.SortStableFunc(want, func(a, b []string) int { return len(b) - len(a) })
	slices.SortStableFunc(got, func(a, b []string) int { return len(b) - len(a) })
	if diff := cmp.Diff(sortedSets(want), sortedSets(got)); diff != "" {
		t.Fatalf("groups (-want +got):\n%s", diff)
	}
}

func sortedSets(s [][]string) [][]string {
	s = slices.Clone(s)
	slices.SortFunc(s, func(a, b []string) int {
		if len(a) != len(b) {
			return len(b) - len(a)
		}
		return slices.Compare(a, b)
	})
	return s
}

func TestGroupIsDeterministic(t *testing.T) {
	t.Parallel()
	var all []string
	for _, s := range measured {
		all = append(all, s...)
	}
	qs := questions(t, all...)
	want := gaps.Group(qs)
	r := rand.New(rand.NewPCG(7, 8))
	for range 5 {
		shuffled := slices.Clone(qs)
		r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		if diff := cmp.Diff(want, gaps.Group(shuffled)); diff != "" {
			t.Fatalf("another order, other groups (-want +got):\n%s", diff)
		}
	}
}

func TestRepresentativeIsTheMostCentral(t *testing.T) {
	t.Parallel()
	qs := questions(t, "configure single sign-on", "How do I set up SSO?", "SSO setup steps", "How do I set up SSO with Okta?")
	g := gaps.Group(qs)
	if len(g) != 1 {
		t.Fatalf("%d groups, want 1", len(g))
	}
	if got := g[0][0].Question; got != "How do I set up SSO?" {
		t.Errorf("representative %q, want the question closest to all others", got)
	}
	// The others newest first.
	for i := 2; i < len(g[0]); i++ {
		if g[0][i].AskedAt.After(g[0][i-1].AskedAt) {
			t.Errorf("question %d asked after %d", i, i-1)
		}
	}
}

func TestBlockedDays(t *testing.T) {
	t.Parallel()
	a, b := uuid.New(), uuid.New()
	day := func(d float64) time.Time { return t0.Add(time.Duration(d * 24 * float64(time.Hour))) }
	tests := []struct {
		name     string
		ts       []gaps.Transition
		from     float64
		now      float64
		wantDays float64
	}{
		{"never blocked", nil, 0, 10, 0},
		{"blocked since before the question, still", []gaps.Transition{{Task: a, At: day(-5), Blocked: true}}, 0, 10, 10},
		{"blocked then unblocked", []gaps.Transition{{Task: a, At: day(2), Blocked: true}, {Task: a, At: day(5)}}, 0, 10, 3},
		{"overlapping tasks count once", []gaps.Transition{
			{Task: a, At: day(1), Blocked: true}, {Task: b, At: day(2), Blocked: true}, {Task: a, At: day(4)}, {Task: b, At: day(6)}}, 0, 10, 5},
		{"spell ended before the question", []gaps.Transition{{Task: a, At: day(-5), Blocked: true}, {Task: a, At: day(-1)}}, 0, 10, 0},
		{"out of order input", []gaps.Transition{{Task: a, At: day(5)}, {Task: a, At: day(2), Blocked: true}}, 0, 10, 3},
		{"a task blocked twice", []gaps.Transition{{Task: a, At: day(1), Blocked: true}, {Task: a, At: day(2), Blocked: true}, {Task: a, At: day(3)}}, 0, 10, 2},
	}
	for _, tt := range tests {
		if got := gaps.BlockedDays(tt.ts, day(tt.from), day(tt.now)); got != tt.wantDays {
			t.Errorf("%s: %v days, want %v", tt.name, got, tt.wantDays)
		}
	}
}

func TestReportRanksByAskersAndBlockedDays(t *testing.T) {
	t.Parallel()
	qs := questions(t, "How do I set up SSO?", "SSO setup steps", "Where is my invoice?", "What ports does the agent need open?")
	proj, cust := uuid.New(), uuid.New()
	// The invoice is asked once, by a contact whose project has been
	// blocked for 14 days since: 1 + 1 + 2 = 4 beats the SSO pair's 2 + 2.
	qs[2].ProjectID, qs[2].CustomerID = &proj, &cust
	now := qs[2].AskedAt.Add(14 * 24 * time.Hour)
	blocked := map[uuid.UUID][]gaps.Transition{proj: {{Task: uuid.New(), At: qs[2].AskedAt.Add(-time.Hour), Blocked: true}}}
	got := gaps.Report(qs, blocked, now)
	if len(got) != 3 {
		t.Fatalf("%d groups, want 3", len(got))
	}
	if r := got[0]; r.Representative.Question != "Where is my invoice?" || r.BlockedDays != 14 || r.Score != 4 || !r.Public || r.Projects != 1 {
		t.Errorf("first group %+v, want the invoice question, 14 blocked days, score 4, public", r)
	}
	if r := got[1]; r.Count != 2 || r.Askers != 2 || r.Score != 4 || r.Public {
		t.Errorf("second group %+v, want the two SSO questions by two askers, internal", r)
	}
	if !got[1].LastAskedAt.Equal(qs[1].AskedAt) {
		t.Errorf("last asked %v, want %v", got[1].LastAskedAt, qs[1].AskedAt)
	}
	if got[2].Representative.Question != "What ports does the agent need open?" {
		t.Errorf("last group %q", got[2].Representative.Question)
	}
}

// BenchmarkGroup500 groups the report's most questions: 500, with the
// offline embedder's vectors (docs/knowledge-gaps.md quotes the time).
func BenchmarkGroup500(b *testing.B) {
	var texts []string
	for i := range 500 {
		s := measured[i%len(measured)]
		texts = append(texts, fmt.Sprintf("%s (%d)", s[i%len(s)], i))
	}
	vecs, _ := ai.Local{}.Embed(context.Background(), texts)
	qs := make([]gaps.Question, len(texts))
	for i, s := range texts {
		qs[i] = gaps.Question{GapQuestion: onboardiq.GapQuestion{ID: uuid.NewSHA1(uuid.Nil, []byte(s)), Question: s, AskedAt: t0}, Vector: vecs[i]}
	}
	for b.Loop() {
		gaps.Group(qs)
	}
}
