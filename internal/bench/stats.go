package bench

import (
	"math"
	"slices"
	"time"

	"github.com/google/uuid"
)

// Latency is a set of timings summarised by nearest-rank percentiles.
type Latency struct {
	P50, P95, P99 time.Duration
}

// Percentile is the nearest-rank p-th percentile (0 < p ≤ 100) of sorted:
// the smallest value with at least p% of the values at or below it. It is
// zero for no values.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// Summarise sorts the timings (in place) and returns their percentiles.
func Summarise(d []time.Duration) Latency {
	slices.Sort(d)
	return Latency{P50: Percentile(d, 50), P95: Percentile(d, 95), P99: Percentile(d, 99)}
}

// Scored is a search result: an article and its score, higher is better.
type Scored struct {
	ID    uuid.UUID
	Score float64
}

// scoreTie is how close two scores must be to be the same score: the exact
// scan and the index compute the same distance in different orders.
const scoreTie = 1e-6

// Recall is recall@k of got against want, the exact answer (both best
// first): the share of want's first k that got's first k holds. An article
// of got that is not in want but scores as well as want's last (a tie the
// exact scan broke the other way) counts as found. Nothing to find is a
// recall of 1.
func Recall(got, want []Scored, k int) float64 {
	want = want[:min(k, len(want))]
	got = got[:min(k, len(got))]
	if len(want) == 0 {
		return 1
	}
	in := make(map[uuid.UUID]bool, len(want))
	for _, w := range want {
		in[w.ID] = true
	}
	last := want[len(want)-1].Score
	found := 0
	seen := map[uuid.UUID]bool{}
	for _, g := range got {
		if seen[g.ID] {
			continue // a duplicate finds nothing more
		}
		seen[g.ID] = true
		if in[g.ID] || g.Score >= last-scoreTie {
			found++
		}
	}
	return float64(min(found, len(want))) / float64(len(want))
}
