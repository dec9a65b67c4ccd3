package bench

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestPercentileNearestRank(t *testing.T) {
	t.Parallel()
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = ms(i + 1)
	}
	// Shuffled: Summarise must sort before it ranks.
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(hundred), func(i, j int) { hundred[i], hundred[j] = hundred[j], hundred[i] })
	if got, want := Summarise(hundred), (Latency{P50: ms(50), P95: ms(95), P99: ms(99)}); got != want {
		t.Errorf("1..100 ms: %+v, want %+v", got, want)
	}
	for _, tc := range []struct {
		values []int
		p      float64
		want   int
	}{
		{[]int{7}, 50, 7},
		{[]int{7}, 99, 7},
		{[]int{1, 2}, 50, 1},
		{[]int{1, 2}, 51, 2},
		{[]int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 95, 10},
		{[]int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 90, 9},
		{[]int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 100, 10},
		// One slow search in twenty is the p95, not above it.
		{[]int{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 50}, 95, 1},
		{[]int{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 50, 50}, 95, 50},
	} {
		sorted := make([]time.Duration, len(tc.values))
		for i, v := range tc.values {
			sorted[i] = ms(v)
		}
		if got := Percentile(sorted, tc.p); got != ms(tc.want) {
			t.Errorf("p%v of %v = %v, want %v", tc.p, tc.values, got, ms(tc.want))
		}
	}
	if got := Percentile(nil, 95); got != 0 {
		t.Errorf("no values: %v", got)
	}
}

func TestRecall(t *testing.T) {
	t.Parallel()
	ids := make([]uuid.UUID, 12)
	for i := range ids {
		ids[i] = uuid.New()
	}
	s := func(i int, score float64) Scored { return Scored{ID: ids[i], Score: score} }
	want := []Scored{s(0, .9), s(1, .8), s(2, .7), s(3, .6)}
	for name, tc := range map[string]struct {
		got, want []Scored
		k         int
		recall    float64
	}{
		"same":                    {want, want, 10, 1},
		"same, other order":       {[]Scored{s(3, .6), s(1, .8), s(0, .9), s(2, .7)}, want, 10, 1},
		"one missed":              {[]Scored{s(0, .9), s(1, .8), s(2, .7), s(5, .5)}, want, 10, 0.75},
		"short":                   {[]Scored{s(0, .9), s(1, .8)}, want, 10, 0.5},
		"nothing":                 {nil, want, 10, 0},
		"only others":             {[]Scored{s(6, .1), s(7, .1), s(8, .1), s(9, .1)}, want, 10, 0},
		"a tie broken otherwise":  {[]Scored{s(0, .9), s(1, .8), s(2, .7), s(5, .6)}, want, 10, 1},
		"nothing to find":         {[]Scored{s(0, .9)}, nil, 10, 1},
		"at k only":               {[]Scored{s(0, .9), s(5, .5), s(1, .8)}, want, 2, 0.5},
		"beyond k does not count": {[]Scored{s(5, .5), s(6, .4), s(0, .9)}, want[:2], 2, 0},
		"a duplicate counts once": {[]Scored{s(0, .9), s(0, .9), s(0, .9), s(0, .9)}, want, 10, 0.25},
	} {
		if got := Recall(tc.got, tc.want, tc.k); math.Abs(got-tc.recall) > 1e-12 {
			t.Errorf("%s: recall %v, want %v", name, got, tc.recall)
		}
	}
}
