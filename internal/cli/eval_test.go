package cli_test

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/onboardiq/onboardiq/internal/testdb"
)

// TestEvalRetrievalPrintsBM25: every run of eval retrieval shows the BM25
// reference beside the modes, with each mode's nDCG@10 as a ratio to it,
// in the table and in the JSON; the reference is the reference script's
// figure on the development set (0.8223).
func TestEvalRetrievalPrintsBM25(t *testing.T) {
	t.Parallel()
	d := testdb.New(t)
	ctx := context.Background()
	env := appEnv(d)
	args := []string{"eval", "retrieval", "--corpus", "../../eval/devset/corpus.jsonl", "--queries", "../../eval/devset/queries.jsonl",
		"--qrels", "../../eval/devset/qrels.tsv"}
	table := runCLI(t, ctx, env, nil, args...)
	if table.code != 0 || !strings.Contains(table.stdout, "NDCG VS BM25") || !strings.Contains(table.stdout, "bm25       30     0.950    0.822") {
		t.Fatalf("table: %d %s %s", table.code, table.stdout, table.stderr)
	}
	out := runCLI(t, ctx, env, nil, append(args, "--json")...)
	var r struct {
		Results []struct {
			Mode     string  `json:"mode"`
			NDCGAt10 float64 `json:"ndcg_at_10"`
		} `json:"results"`
		BM25 struct {
			Mode     string  `json:"mode"`
			NDCGAt10 float64 `json:"ndcg_at_10"`
		} `json:"bm25"`
		Ratios map[string]float64 `json:"ndcg_vs_bm25"`
	}
	if err := json.Unmarshal([]byte(out.stdout), &r); err != nil || out.code != 0 {
		t.Fatalf("json: %v %s %s", err, out.stdout, out.stderr)
	}
	if r.BM25.Mode != "bm25" || math.Abs(r.BM25.NDCGAt10-0.8223) > 0.005 || len(r.Results) != 3 {
		t.Fatalf("json: %+v", r)
	}
	for _, m := range r.Results {
		if math.Abs(r.Ratios[m.Mode]-m.NDCGAt10/r.BM25.NDCGAt10) > 1e-9 {
			t.Errorf("%s: ratio %v, want %v", m.Mode, r.Ratios[m.Mode], m.NDCGAt10/r.BM25.NDCGAt10)
		}
	}
}
