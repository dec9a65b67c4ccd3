// Package health scores a customer's health from the signals the store
// gathers for it (usage, engagement, support sentiment, adoption,
// onboarding, satisfaction) and explains the score: each component is a
// number from 0 to 100 with the signals, values and event ids behind it.
// It is pure: the store gathers the signals and saves the result.
//
// A component whose signals are all missing is left out and the weights of
// the others are renormalised to sum to 1, so a customer that sends no
// usage is scored on what is known instead of being marked down for it.
// With no signal at all there is no score (Compute's ok is false), which is
// not the same as a score of 0. See docs/customer-success.md for the
// formulas and docs/decisions/0015-health-scores.md for why.
package health

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Signal is one measured input and the events it was measured from.
type Signal struct {
	Value float64
	// EventIDs are the ids of the events behind the value: usage events'
	// ids as their sender gave them, or the event stream's ids in decimal.
	EventIDs []string
}

// Signals are what is known of one customer as of a time. A nil field is
// a signal that is missing (not measured, or not applicable), which is not
// the same as 0.
type Signals struct {
	// DAU is the average number of daily active users over the last 30
	// days; DAUPrevious over the 30 days before.
	DAU, DAUPrevious *Signal
	// Seats is how many users the customer has: licensed seats, or the
	// contacts invited when there is no seat count.
	Seats *Signal
	// ActiveDays counts the days of the last 30 with any usage.
	ActiveDays *Signal
	// CoreFeaturesUsed counts the distinct core features used in the last
	// 30 days, of CoreFeatures the tenant marks as core.
	CoreFeaturesUsed, CoreFeatures *Signal
	// Support sentiment over the last 90 days: tasks blocked on the
	// customer's side, escalations, and CSAT answers of 2 or less.
	BlockedTasks, Escalations, NegativeCSAT *Signal
	// OnboardingProgress is the percentage of onboarding tasks done;
	// DaysLate how many days the onboarding runs behind its plan (0 when on
	// time).
	OnboardingProgress, DaysLate *Signal
	// CSAT is the latest CSAT answer (1–5), NPS the latest NPS answer (0–10).
	CSAT, NPS *Signal
}

// Evidence is one signal behind a component.
type Evidence struct {
	Signal   string   `json:"signal"`
	Value    float64  `json:"value"`
	EventIDs []string `json:"event_ids"`
}

// Component is one part of a score.
type Component struct {
	Name  string `json:"name"`
	Score int    `json:"score"`
	// Weight is the effective weight: the configured weight divided by the
	// sum of the weights of the components present, so they sum to 1.
	Weight   float64    `json:"weight"`
	Evidence []Evidence `json:"evidence"`
}

// Score is a customer's health and its explanation. It serialises as the
// body of GET /api/v1/customers/{id}/health less computed_at, which the
// caller adds.
type Score struct {
	Score      int         `json:"score"`
	Level      string      `json:"level"`
	Components []Component `json:"components"`
	// Missing names the weighted components left out for lack of signals;
	// Explain says so in words.
	Missing []string `json:"-"`
}

// Compute scores one customer. ok is false when no weighted component has
// any signal: there is no score, which is not a score of 0. cfg is assumed
// valid (Config.Validate).
func Compute(cfg Config, s Signals) (sc Score, ok bool) {
	var parts []Component
	total := 0.0
	for _, name := range Components {
		w := cfg.Weights.Of(name)
		if w <= 0 {
			continue
		}
		score, evidence, present := component(name, s)
		if !present {
			sc.Missing = append(sc.Missing, name)
			continue
		}
		parts = append(parts, Component{Name: name, Score: score, Weight: w, Evidence: evidence})
		total += w
	}
	if len(parts) == 0 {
		return Score{Missing: sc.Missing}, false
	}
	sum := 0.0
	for i := range parts {
		parts[i].Weight /= total
		sum += parts[i].Weight * float64(parts[i].Score)
	}
	for i := range parts {
		parts[i].Weight = math.Round(parts[i].Weight*10000) / 10000
	}
	sc.Score = clampInt(int(math.Round(sum)))
	sc.Level = cfg.LevelOf(sc.Score)
	sc.Components = parts
	return sc, true
}

// Change compares two scores of the same customer: whether the level
// changed, and whether the score dropped by more than dropPoints.
func Change(prev, next Score, dropPoints int) (levelChanged, dropped bool) {
	return prev.Level != next.Level, prev.Score-next.Score > dropPoints
}

// Explain says in words which components count and which were left out.
func (s Score) Explain() string {
	var b strings.Builder
	for i, c := range s.Components {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %d (weight %.0f%%)", c.Name, c.Score, c.Weight*100)
	}
	if len(s.Missing) > 0 {
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "left out for lack of signals: %s", strings.Join(s.Missing, ", "))
		if len(s.Components) > 0 {
			b.WriteString(" (the other weights are renormalised to sum to 100%)")
		}
	}
	return b.String()
}

func clampInt(v int) int {
	return min(100, max(0, v))
}

func clamp(v float64) float64 {
	if math.IsNaN(v) {
		return 0
	}
	return min(100, max(0, v))
}

// Weakest returns the component that pulls the score down the most: the
// one whose shortfall from 100, times its weight, is the largest (ok false
// without components).
func (s Score) Weakest() (c Component, ok bool) {
	best := -1.0
	for _, x := range s.Components {
		if pull := float64(100-x.Score) * x.Weight; pull > best {
			c, ok, best = x, true, pull
		}
	}
	return c, ok
}

// Reason says in a few words why a score is what it is: its weakest
// component and the signals behind it ("engagement 15/100: active days 3").
func (s Score) Reason() string {
	c, ok := s.Weakest()
	if !ok {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %d/100", strings.ReplaceAll(c.Name, "_", " "), c.Score)
	for i, e := range c.Evidence {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %s", strings.ReplaceAll(e.Signal, "_", " "), strconv.FormatFloat(e.Value, 'f', -1, 64))
	}
	return b.String()
}
