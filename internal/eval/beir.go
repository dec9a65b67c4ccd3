// Package eval measures retrieval quality on BEIR-format data sets: a
// corpus (JSON lines {"_id","title","text"}), queries (JSON lines
// {"_id","text"}) and relevance judgements (a TSV with the header
// "query-id corpus-id score").
package eval

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Doc is one corpus document.
type Doc struct {
	ID    string `json:"_id"`
	Title string `json:"title"`
	Text  string `json:"text"`
}

// Query is one query.
type Query struct {
	ID   string `json:"_id"`
	Text string `json:"text"`
}

// Qrels maps a query id to its relevant documents and their grades.
type Qrels map[string]map[string]int

// ReadCorpus reads JSON lines of documents.
func ReadCorpus(r io.Reader) ([]Doc, error) { return readJSONL[Doc](r, "corpus") }

// ReadQueries reads JSON lines of queries.
func ReadQueries(r io.Reader) ([]Query, error) { return readJSONL[Query](r, "queries") }

func readJSONL[T any](r io.Reader, what string) ([]T, error) {
	var out []T
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var v T
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			return nil, fmt.Errorf("%s line %d: %w", what, n, err)
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: empty", what)
	}
	return out, nil
}

// ReadQrels reads a qrels TSV (header line first).
func ReadQrels(r io.Reader) (Qrels, error) {
	q := Qrels{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || n == 1 && strings.HasPrefix(line, "query-id") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 3 {
			return nil, fmt.Errorf("qrels line %d: want 3 tab-separated fields", n)
		}
		score, err := strconv.Atoi(f[2])
		if err != nil {
			return nil, fmt.Errorf("qrels line %d: score: %w", n, err)
		}
		if score <= 0 {
			continue
		}
		if q[f[0]] == nil {
			q[f[0]] = map[string]int{}
		}
		q[f[0]][f[1]] = score
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(q) == 0 {
		return nil, fmt.Errorf("qrels: no relevant pairs")
	}
	return q, nil
}

// Recall returns the share of the relevant documents in the first k ranked.
func Recall(ranked []string, rel map[string]int, k int) float64 {
	if len(rel) == 0 {
		return 0
	}
	hit := 0
	for i, id := range ranked {
		if i == k {
			break
		}
		if rel[id] > 0 {
			hit++
		}
	}
	return float64(hit) / float64(len(rel))
}

// NDCG returns the normalised discounted cumulative gain at k, with the
// graded relevance as gain.
func NDCG(ranked []string, rel map[string]int, k int) float64 {
	dcg := 0.0
	for i, id := range ranked {
		if i == k {
			break
		}
		dcg += float64(rel[id]) / math.Log2(float64(i+2))
	}
	var grades []int
	for _, g := range rel {
		grades = append(grades, g)
	}
	sort.Sort(sort.Reverse(sort.IntSlice(grades)))
	ideal := 0.0
	for i, g := range grades {
		if i == k {
			break
		}
		ideal += float64(g) / math.Log2(float64(i+2))
	}
	if ideal == 0 {
		return 0
	}
	return dcg / ideal
}

// MRR returns the reciprocal rank of the first relevant document in the
// first k, or 0.
func MRR(ranked []string, rel map[string]int, k int) float64 {
	for i, id := range ranked {
		if i == k {
			break
		}
		if rel[id] > 0 {
			return 1 / float64(i+1)
		}
	}
	return 0
}

// Result is one mode's scores, averaged over the queries.
type Result struct {
	Mode          string  `json:"mode"`
	Queries       int     `json:"queries"`
	RecallAt5     float64 `json:"recall_at_5"`
	NDCGAt10      float64 `json:"ndcg_at_10"`
	MRRAt10       float64 `json:"mrr_at_10"`
	MedianLatency float64 `json:"median_latency_ms"`
}

// Scorer accumulates a mode's per-query scores.
type Scorer struct {
	recall, ndcg, mrr float64
	n                 int
	latencies         []time.Duration
}

// Add scores one query's ranking.
func (s *Scorer) Add(ranked []string, rel map[string]int, latency time.Duration) {
	s.recall += Recall(ranked, rel, 5)
	s.ndcg += NDCG(ranked, rel, 10)
	s.mrr += MRR(ranked, rel, 10)
	s.n++
	s.latencies = append(s.latencies, latency)
}

// Result averages the scores.
func (s *Scorer) Result(mode string) Result {
	r := Result{Mode: mode, Queries: s.n}
	if s.n == 0 {
		return r
	}
	n := float64(s.n)
	r.RecallAt5, r.NDCGAt10, r.MRRAt10 = s.recall/n, s.ndcg/n, s.mrr/n
	sort.Slice(s.latencies, func(i, j int) bool { return s.latencies[i] < s.latencies[j] })
	mid := s.latencies[len(s.latencies)/2]
	if len(s.latencies)%2 == 0 {
		mid = (s.latencies[len(s.latencies)/2-1] + mid) / 2
	}
	r.MedianLatency = float64(mid.Microseconds()) / 1000
	return r
}
