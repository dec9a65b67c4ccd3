package eval_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/onboardiq/onboardiq/internal/eval"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestMetrics(t *testing.T) {
	t.Parallel()
	rel := map[string]int{"a": 2, "b": 1}
	ranked := []string{"x", "a", "y", "b"}
	if got := eval.Recall(ranked, rel, 5); !near(got, 1) {
		t.Errorf("recall@5 = %v", got)
	}
	if got := eval.Recall(ranked, rel, 2); !near(got, 0.5) {
		t.Errorf("recall@2 = %v", got)
	}
	if got := eval.MRR(ranked, rel, 10); !near(got, 0.5) {
		t.Errorf("MRR = %v", got)
	}
	// DCG = 2/log2(3) + 1/log2(5); ideal = 2/log2(2) + 1/log2(3).
	want := (2/math.Log2(3) + 1/math.Log2(5)) / (2 + 1/math.Log2(3))
	if got := eval.NDCG(ranked, rel, 10); !near(got, want) {
		t.Errorf("nDCG = %v, want %v", got, want)
	}
	if got := eval.NDCG([]string{"a", "b"}, rel, 10); !near(got, 1) {
		t.Errorf("perfect nDCG = %v", got)
	}
	var s eval.Scorer
	s.Add([]string{"a"}, rel, 3*time.Millisecond)
	s.Add([]string{"z"}, rel, 1*time.Millisecond)
	s.Add([]string{"b"}, rel, 2*time.Millisecond)
	r := s.Result("hybrid")
	if r.Queries != 3 || !near(r.MRRAt10, 2.0/3) || r.MedianLatency != 2 {
		t.Errorf("result %+v", r)
	}
}

func TestReaders(t *testing.T) {
	t.Parallel()
	docs, err := eval.ReadCorpus(strings.NewReader(`{"_id":"d1","title":"T","text":"x"}` + "\n\n" + `{"_id":"d2","title":"U","text":"y"}`))
	if err != nil || len(docs) != 2 || docs[1].ID != "d2" {
		t.Errorf("corpus: %v %v", docs, err)
	}
	if _, err := eval.ReadCorpus(strings.NewReader(`{"_id":`)); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("a bad corpus line: %v", err)
	}
	q, err := eval.ReadQrels(strings.NewReader("query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\td2\t0\nq2\td2\t2\n"))
	if err != nil || len(q) != 2 || q["q1"]["d1"] != 1 || len(q["q1"]) != 1 {
		t.Errorf("qrels: %v %v", q, err)
	}
	if _, err := eval.ReadQrels(strings.NewReader("query-id\tcorpus-id\tscore\nq1 d1 1\n")); err == nil {
		t.Error("qrels separated by spaces: no error")
	}
}

func FuzzReadQrels(f *testing.F) {
	f.Add("query-id\tcorpus-id\tscore\nq1\td1\t1\n")
	f.Add("q\td\tx\n")
	f.Fuzz(func(t *testing.T, s string) {
		q, err := eval.ReadQrels(strings.NewReader(s))
		if err == nil {
			for _, rel := range q {
				for _, g := range rel {
					if g <= 0 {
						t.Errorf("kept a non-positive grade")
					}
				}
			}
		}
	})
}
