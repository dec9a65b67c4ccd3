package eval_test

import (
	"context"
	"os"
	"testing"

	"github.com/onboardiq/onboardiq/internal/ai"
	"github.com/onboardiq/onboardiq/internal/eval"
	"github.com/onboardiq/onboardiq/internal/testdb"
)

// TestDevSet runs the checked-in dev set end to end and guards the quality
// the docs report: hybrid search must stay at least as good as either half.
func TestDevSet(t *testing.T) {
	t.Parallel()
	open := func(name string) *os.File {
		f, err := os.Open("../../eval/devset/" + name)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	docs, err := eval.ReadCorpus(open("corpus.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	queries, err := eval.ReadQueries(open("queries.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	qrels, err := eval.ReadQrels(open("qrels.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	d := testdb.New(t)
	ctx := context.Background()
	results, err := eval.Run(ctx, d.App, ai.Local{}, docs, queries, qrels, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]eval.Result{}
	for _, r := range results {
		by[r.Mode] = r
		t.Logf("%-8s recall@5 %.3f nDCG@10 %.3f MRR@10 %.3f", r.Mode, r.RecallAt5, r.NDCGAt10, r.MRRAt10)
	}
	h := by["hybrid"]
	if h.Queries != 30 || h.NDCGAt10 < 0.85 || h.RecallAt5 < 0.9 {
		t.Errorf("hybrid fell below the documented quality: %+v", h)
	}
	if h.NDCGAt10+0.02 < by["keyword"].NDCGAt10 || h.NDCGAt10+0.02 < by["semantic"].NDCGAt10 {
		t.Errorf("hybrid (%.3f) is worse than one of its halves: %+v", h.NDCGAt10, by)
	}
	ids, err := d.App.AllTenantIDs(ctx)
	if err != nil || len(ids) != 0 {
		t.Errorf("the scratch tenant was not removed: %v %v", ids, err)
	}
}
