package postgres

import (
	"testing"
	"time"
)

func TestSpan(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{
		10 * time.Minute:                "10 minutes",
		time.Hour:                       "1 hour",
		3 * time.Hour:                   "3 hours",
		40 * time.Second:                "40 seconds",
		400 * time.Millisecond:          "1 second",
		59*time.Minute + 59*time.Second: "60 minutes",
		95 * time.Minute:                "2 hours",
		24 * time.Hour:                  "24 hours",
	} {
		if got := span(d); got != want {
			t.Errorf("span(%v) = %q, want %q", d, got, want)
		}
	}
	if count(1, "time") != "1 time" || count(20, "time") != "20 times" {
		t.Error("count")
	}
}
