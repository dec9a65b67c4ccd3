package eval

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"time"
)

// The BM25 reference: a plain BM25 (k1 1.2, b 0.75) over the same corpus
// and queries, computed in the process, printed beside every mode so that
// each run shows how search compares with it. It is the textbook ranking
// that the published figures of BEIR data sets use, and it reproduces the
// reference script shipped with such sets: lower-cased runs of ASCII
// letters and digits as terms, no stemming and no stop words, the title
// and the text as one field, IDF ln(1 + (N − n + 0.5)/(n + 0.5)), and ties
// broken by document id, descending.
const (
	bm25K1 = 1.2
	bm25B  = 0.75
)

// BM25Mode is the reference's name among the modes.
const BM25Mode = "bm25"

// bm25Terms splits s into lower-case runs of ASCII letters and digits.
func bm25Terms(s string) []string {
	s = strings.ToLower(s)
	var out []string
	start := -1
	for i := 0; i <= len(s); i++ {
		alnum := i < len(s) && (s[i] >= 'a' && s[i] <= 'z' || s[i] >= '0' && s[i] <= '9')
		switch {
		case alnum && start < 0:
			start = i
		case !alnum && start >= 0:
			out = append(out, s[start:i])
			start = -1
		}
	}
	return out
}

// BM25Index ranks a corpus by BM25.
type BM25Index struct {
	ids   []string
	tfs   []map[string]int
	lens  []int
	avgdl float64
	idf   map[string]float64
}

// NewBM25Index indexes docs (title and text as one field).
func NewBM25Index(docs []Doc) *BM25Index {
	x := &BM25Index{idf: map[string]float64{}}
	df := map[string]int{}
	total := 0
	for _, d := range docs {
		terms := bm25Terms(d.Title + " " + d.Text)
		tf := map[string]int{}
		for _, t := range terms {
			if tf[t] == 0 {
				df[t]++
			}
			tf[t]++
		}
		x.ids, x.tfs, x.lens = append(x.ids, d.ID), append(x.tfs, tf), append(x.lens, len(terms))
		total += len(terms)
	}
	n := float64(len(docs))
	if len(docs) > 0 {
		x.avgdl = float64(total) / n
	}
	for t, c := range df {
		x.idf[t] = math.Log(1 + (n-float64(c)+0.5)/(float64(c)+0.5))
	}
	return x
}

// Rank returns every document's id, best first.
func (x *BM25Index) Rank(q string) []string {
	terms := bm25Terms(q)
	type scored struct {
		id    string
		score float64
	}
	all := make([]scored, len(x.ids))
	for i, tf := range x.tfs {
		s := 0.0
		norm := bm25K1 * (1 - bm25B + bm25B*float64(x.lens[i])/x.avgdl)
		for _, t := range terms { // a repeated query term counts again, as in the reference
			if f := float64(tf[t]); f > 0 {
				s += x.idf[t] * f * (bm25K1 + 1) / (f + norm)
			}
		}
		all[i] = scored{x.ids[i], s}
	}
	slices.SortFunc(all, func(a, b scored) int {
		return cmp.Or(cmp.Compare(b.score, a.score), cmp.Compare(b.id, a.id))
	})
	out := make([]string, len(all))
	for i, s := range all {
		out[i] = s.id
	}
	return out
}

// BM25Reference scores the BM25 ranking of docs on the judged queries.
func BM25Reference(docs []Doc, queries []Query, qrels Qrels) Result {
	x := NewBM25Index(docs)
	var s Scorer
	for _, q := range queries {
		rel := qrels[q.ID]
		if len(rel) == 0 {
			continue
		}
		t0 := time.Now()
		ranked := x.Rank(q.Text)
		s.Add(ranked, rel, time.Since(t0))
	}
	return s.Result(BM25Mode)
}
