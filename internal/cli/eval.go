package cli

import (
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/onboardiq/onboardiq/internal/ai"
	"github.com/onboardiq/onboardiq/internal/eval"
)

func (a *app) evalCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "eval", Short: "Measure the product's quality"}
	var (
		corpus, queries, qrels string
		asJSON                 bool
	)
	retrieval := &cobra.Command{
		Use:   "retrieval",
		Short: "Score knowledge-base search on a BEIR-format data set",
		Long: `eval retrieval loads a BEIR-format corpus into a scratch tenant through the
normal embedding path, runs every judged query in keyword, semantic and hybrid
mode, prints recall@5, nDCG@10, MRR@10 and the median latency per mode beside
a plain BM25 (k1 1.2, b 0.75) computed in the process on the same documents and
queries, with each mode's nDCG@10 as a ratio to it, and removes the scratch
tenant. eval/devset holds a small set built on the demo
knowledge base.`,
		Example: `  onboardiq eval retrieval --corpus eval/devset/corpus.jsonl --queries eval/devset/queries.jsonl --qrels eval/devset/qrels.tsv`,
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			docs, err := readWith(corpus, "corpus", eval.ReadCorpus)
			if err != nil {
				return err
			}
			qs, err := readWith(queries, "queries", eval.ReadQueries)
			if err != nil {
				return err
			}
			rels, err := readWith(qrels, "qrels", eval.ReadQrels)
			if err != nil {
				return err
			}
			ctx := c.Context()
			db, cfg, err := a.openApp(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			e, err := ai.NewEmbedder(cfg.AIOptions())
			if err != nil {
				return err
			}
			results, err := eval.Run(ctx, db, e, docs, qs, rels, func(f string, args ...any) { fmt.Fprintf(a.env.Stderr, f+"\n", args...) })
			if err != nil {
				return err
			}
			// The BM25 reference on the same documents and queries, in the
			// process: every run shows how each mode compares with it.
			ref := eval.BM25Reference(docs, qs, rels)
			vs := func(r eval.Result) float64 {
				if ref.NDCGAt10 == 0 {
					return 0
				}
				return r.NDCGAt10 / ref.NDCGAt10
			}
			if asJSON {
				ratios := map[string]float64{}
				for _, r := range results {
					ratios[r.Mode] = vs(r)
				}
				return a.printJSON(map[string]any{"embedder": e.Model(), "documents": len(docs), "results": results,
					"bm25": ref, "ndcg_vs_bm25": ratios})
			}
			w := tabwriter.NewWriter(a.env.Stdout, 2, 4, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintln(w, "MODE\tQUERIES\tRECALL@5\tNDCG@10\tMRR@10\tMEDIAN MS\tNDCG VS BM25\t")
			for _, r := range append(results, ref) {
				fmt.Fprintf(w, "%s\t%d\t%.3f\t%.3f\t%.3f\t%.1f\t%.2f×\t\n", r.Mode, r.Queries, r.RecallAt5, r.NDCGAt10, r.MRRAt10, r.MedianLatency, vs(r))
			}
			return w.Flush()
		},
	}
	f := retrieval.Flags()
	f.StringVar(&corpus, "corpus", "", "corpus.jsonl: one {\"_id\",\"title\",\"text\"} per line (required)")
	f.StringVar(&queries, "queries", "", "queries.jsonl: one {\"_id\",\"text\"} per line (required)")
	f.StringVar(&qrels, "qrels", "", "qrels.tsv: query-id, corpus-id, score, with a header line (required)")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	cmd.AddCommand(retrieval)
	return cmd
}

func readWith[T any](path, field string, read func(io.Reader) (T, error)) (T, error) {
	var zero T
	if path == "" {
		return zero, fmt.Errorf("--%s is required", field)
	}
	f, err := os.Open(path)
	if err != nil {
		return zero, fmt.Errorf("--%s: %w", field, err)
	}
	defer f.Close()
	v, err := read(f)
	if err != nil {
		return zero, fmt.Errorf("--%s: %w", field, err)
	}
	return v, nil
}
