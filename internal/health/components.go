package health

import "math"

// The formulas. Each maps its signals to 0–100, rises (or for support
// sentiment falls) monotonically with each signal, and clamps inputs that
// are out of range. A component made of parts scores the weighted mean of
// the parts whose signals are present. docs/customer-success.md states the
// same formulas for tenants.
const (
	// UsageTargetShare is the share of seats active on an average day that
	// scores full marks for penetration.
	UsageTargetShare = 0.5
	// EngagementTargetDays is the number of active days out of 30 that
	// scores full marks (about every working day).
	EngagementTargetDays = 20
	// Support sentiment starts at 100 and loses these many points for each
	// blocked task, escalation and negative CSAT answer.
	BlockedTaskPenalty  = 15
	EscalationPenalty   = 25
	NegativeCSATPenalty = 20
	// LatePenaltyPerDay is what each day behind plan costs onboarding
	// punctuality.
	LatePenaltyPerDay = 5
)

type part struct {
	weight, score float64
}

// mean is the weighted mean of the parts, rounded; ok is false without
// parts.
func mean(parts []part) (int, bool) {
	var sum, total float64
	for _, p := range parts {
		sum += p.weight * clamp(p.score)
		total += p.weight
	}
	if total == 0 {
		return 0, false
	}
	return clampInt(int(math.Round(sum / total))), true
}

func evidence(pairs ...any) []Evidence {
	var out []Evidence
	for i := 0; i+1 < len(pairs); i += 2 {
		s, _ := pairs[i+1].(*Signal)
		if s == nil {
			continue
		}
		ids := s.EventIDs
		if ids == nil {
			ids = []string{}
		}
		out = append(out, Evidence{Signal: pairs[i].(string), Value: s.Value, EventIDs: ids})
	}
	return out
}

func component(name string, s Signals) (score int, ev []Evidence, ok bool) {
	var parts []part
	switch name {
	case Usage:
		if s.DAU == nil {
			return 0, nil, false
		}
		dau := math.Max(0, s.DAU.Value)
		if s.Seats != nil && s.Seats.Value > 0 {
			parts = append(parts, part{0.7, 100 * dau / (UsageTargetShare * s.Seats.Value)})
		}
		if s.DAUPrevious != nil {
			trend := 0.0
			switch prev := s.DAUPrevious.Value; {
			case prev > 0:
				trend = 100 * dau / prev
			case dau > 0:
				trend = 100
			}
			parts = append(parts, part{0.3, trend})
		}
		ev = evidence("daily_active_users", s.DAU, "daily_active_users_previous", s.DAUPrevious, "seats", s.Seats)
	case Engagement:
		if s.ActiveDays != nil {
			parts = append(parts, part{1, 100 * math.Min(30, s.ActiveDays.Value) / EngagementTargetDays})
		}
		ev = evidence("active_days", s.ActiveDays)
	case Adoption:
		if s.CoreFeaturesUsed != nil && s.CoreFeatures != nil && s.CoreFeatures.Value > 0 {
			parts = append(parts, part{1, 100 * s.CoreFeaturesUsed.Value / s.CoreFeatures.Value})
		}
		ev = evidence("core_features_used", s.CoreFeaturesUsed, "core_features", s.CoreFeatures)
	case Support:
		if s.BlockedTasks != nil || s.Escalations != nil || s.NegativeCSAT != nil {
			parts = append(parts, part{1, 100 -
				BlockedTaskPenalty*count(s.BlockedTasks) -
				EscalationPenalty*count(s.Escalations) -
				NegativeCSATPenalty*count(s.NegativeCSAT)})
		}
		ev = evidence("blocked_tasks", s.BlockedTasks, "escalations", s.Escalations, "negative_csat", s.NegativeCSAT)
	case Onboarding:
		if s.OnboardingProgress != nil {
			parts = append(parts, part{1, s.OnboardingProgress.Value})
		}
		if s.DaysLate != nil {
			parts = append(parts, part{1, 100 - LatePenaltyPerDay*math.Max(0, s.DaysLate.Value)})
		}
		ev = evidence("onboarding_progress", s.OnboardingProgress, "days_late", s.DaysLate)
	case Satisfaction:
		if s.CSAT != nil {
			parts = append(parts, part{1, 25 * (math.Min(5, math.Max(1, s.CSAT.Value)) - 1)})
		}
		if s.NPS != nil {
			parts = append(parts, part{1, 10 * s.NPS.Value})
		}
		ev = evidence("csat", s.CSAT, "nps", s.NPS)
	}
	score, ok = mean(parts)
	if !ok {
		return 0, nil, false
	}
	return score, ev, true
}

// count reads a signal that counts things: missing and negative are 0.
func count(s *Signal) float64 {
	if s == nil || s.Value < 0 || math.IsNaN(s.Value) {
		return 0
	}
	return s.Value
}
