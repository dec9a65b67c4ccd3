package web

import (
	"maps"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func TestLimiterWindow(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_700_000_000, 0)
	l := newLimiter(3, 10*time.Minute, 100)
	l.now = func() time.Time { return now }
	for i := range 3 {
		if !l.allow("k") {
			t.Fatalf("attempt %d refused", i+1)
		}
	}
	if l.allow("k") {
		t.Error("the 4th attempt in the window is allowed")
	}
	if !l.allow("other") {
		t.Error("another key is refused")
	}
	// Refused attempts count: still refused half a window on.
	now = now.Add(5 * time.Minute)
	if l.allow("k") {
		t.Error("allowed again after half a window")
	}
	// Two windows on, everything is forgotten.
	now = now.Add(20 * time.Minute)
	if !l.allow("k") {
		t.Error("refused two windows later")
	}
}

// TestLimiterBounded: a flood of distinct keys never grows the limiter past
// its cap, the gauge says how many keys it holds, and a key in steady use
// is not the one forgotten.
func TestLimiterBounded(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	h := &Handler{Metrics: reg}
	h.Register(http.NewServeMux())
	l := h.perUser
	for range 10 {
		l.allow("victim")
	}
	for i := range 2 * limiterKeys {
		l.allow("signin:acme/" + strconv.Itoa(i) + strings.Repeat("x", 100) + "@junk.example")
		if i%1000 == 0 {
			l.allow("victim") // the victim's key stays in use, and refused
			if n := l.size(); n > limiterKeys {
				t.Fatalf("after %d keys the limiter holds %d, cap %d", i+1, n, limiterKeys)
			}
		}
	}
	if l.allow("victim") {
		t.Error("the flood made the limiter forget a key in use")
	}
	for i := range 5 {
		h.perIP.allow("192.0.2." + strconv.Itoa(i))
	}
	got := gauges(t, reg, "onboardiq_web_limiter_keys", "limiter")
	if want := map[string]float64{"account": limiterKeys, "address": 5}; !maps.Equal(got, want) {
		t.Errorf("the gauges read %v, want %v", got, want)
	}
}

// gauges reads a gauge family from reg, by the value of one label.
func gauges(t *testing.T, reg *prometheus.Registry, name, label string) map[string]float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == label {
					out[lp.GetValue()] = m.GetGauge().GetValue()
				}
			}
		}
	}
	return out
}
