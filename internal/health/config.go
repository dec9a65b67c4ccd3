package health

import (
	"math"

	"github.com/onboardiq/onboardiq"
)

// The components, by the name the API and the docs use.
const (
	Usage        = "usage"
	Engagement   = "engagement"
	Support      = "support_sentiment"
	Adoption     = "adoption"
	Onboarding   = "onboarding"
	Satisfaction = "satisfaction"
)

// Components lists every component in the order a score shows them.
var Components = []string{Usage, Engagement, Support, Adoption, Onboarding, Satisfaction}

// Weights are the tenant's component weights. Only their ratios matter:
// the score divides by the sum of the weights of the components present.
type Weights struct {
	Usage        float64 `json:"usage" required:"false" minimum:"0" maximum:"100" doc:"0 when absent."`
	Engagement   float64 `json:"engagement" required:"false" minimum:"0" maximum:"100" doc:"0 when absent."`
	Support      float64 `json:"support_sentiment" required:"false" minimum:"0" maximum:"100" doc:"0 when absent."`
	Adoption     float64 `json:"adoption" required:"false" minimum:"0" maximum:"100" doc:"0 when absent."`
	Onboarding   float64 `json:"onboarding" required:"false" minimum:"0" maximum:"100" doc:"0 when absent."`
	Satisfaction float64 `json:"satisfaction" required:"false" minimum:"0" maximum:"100" doc:"0 when absent."`
}

// Of returns the weight of a component by name.
func (w Weights) Of(component string) float64 {
	switch component {
	case Usage:
		return w.Usage
	case Engagement:
		return w.Engagement
	case Support:
		return w.Support
	case Adoption:
		return w.Adoption
	case Onboarding:
		return w.Onboarding
	case Satisfaction:
		return w.Satisfaction
	}
	return 0
}

// Level is a risk level: a score of at least Min (and below the previous
// level's Min) has it.
type Level struct {
	Key  string `json:"key"`
	Name string `json:"name"`
	Min  int    `json:"min"`
}

// The default levels' keys.
const (
	Healthy  = "healthy"
	Moderate = "moderate"
	AtRisk   = "at_risk"
	Critical = "critical"
)

// Config is a tenant's health configuration.
type Config struct {
	Weights Weights `json:"weights"`
	// Levels run from the best to the worst: Min strictly decreasing, the
	// last one 0, so every score has a level.
	Levels []Level `json:"levels"`
	// DropPoints is how many points a score must lose, at once, to count as
	// a drop (Change).
	DropPoints int `json:"drop_points" required:"false" minimum:"0" maximum:"100"`
}

// DefaultConfig is the configuration of a tenant that has not set one:
// usage 35, engagement 25, support sentiment 20, adoption 20, onboarding
// and satisfaction 0; Healthy 80–100, Moderate 60–79, At risk 40–59,
// Critical 0–39; a drop of more than 10 points.
func DefaultConfig() Config {
	return Config{
		Weights: Weights{Usage: 35, Engagement: 25, Support: 20, Adoption: 20},
		Levels: []Level{
			{Key: Healthy, Name: "Healthy", Min: 80},
			{Key: Moderate, Name: "Moderate", Min: 60},
			{Key: AtRisk, Name: "At risk", Min: 40},
			{Key: Critical, Name: "Critical", Min: 0},
		},
		DropPoints: 10,
	}
}

// Validate reports the first thing wrong with c, naming its field.
func (c Config) Validate() error {
	sum := 0.0
	for _, name := range Components {
		w := c.Weights.Of(name)
		if w < 0 || math.IsNaN(w) || math.IsInf(w, 0) {
			return onboardiq.Invalid("weights."+name, "must be a number of at least 0")
		}
		sum += w
	}
	if sum <= 0 {
		return onboardiq.Invalid("weights", "at least one weight must be more than 0")
	}
	if len(c.Levels) == 0 || len(c.Levels) > 10 {
		return onboardiq.Invalid("levels", "between 1 and 10 levels are required")
	}
	seen := map[string]bool{}
	for i, l := range c.Levels {
		switch {
		case l.Key == "":
			return onboardiq.Invalid("levels.key", "level %d has no key", i+1)
		case !validKey(l.Key):
			return onboardiq.Invalid("levels.key", "%q: a key is 1 to 40 lower-case letters, digits and underscores", l.Key)
		case len(l.Name) > 60:
			return onboardiq.Invalid("levels.name", "level %q: the name is longer than 60 characters", l.Key)
		case seen[l.Key]:
			return onboardiq.Invalid("levels.key", "%q is used twice", l.Key)
		case l.Name == "":
			return onboardiq.Invalid("levels.name", "level %q has no name", l.Key)
		case l.Min < 0 || l.Min > 100:
			return onboardiq.Invalid("levels.min", "level %q: the lowest score must be between 0 and 100", l.Key)
		case i > 0 && l.Min >= c.Levels[i-1].Min:
			return onboardiq.Invalid("levels.min", "level %q must start below level %q (%d)", l.Key, c.Levels[i-1].Key, c.Levels[i-1].Min)
		}
		seen[l.Key] = true
	}
	if last := c.Levels[len(c.Levels)-1]; last.Min != 0 {
		return onboardiq.Invalid("levels.min", "the last level (%q) must start at 0 so every score has a level", last.Key)
	}
	if c.DropPoints < 0 || c.DropPoints > 100 {
		return onboardiq.Invalid("drop_points", "must be between 0 and 100")
	}
	return nil
}

// LevelOf returns the key of the level a score falls in: the first level
// whose Min it reaches (the last level when none does).
func (c Config) LevelOf(score int) string {
	for _, l := range c.Levels {
		if score >= l.Min {
			return l.Key
		}
	}
	if len(c.Levels) == 0 {
		return ""
	}
	return c.Levels[len(c.Levels)-1].Key
}

// LevelName returns the name of the level with the key, or the key itself
// when the configuration has no such level (a score saved under levels
// since renamed).
func (c Config) LevelName(key string) string {
	for _, l := range c.Levels {
		if l.Key == key {
			return l.Name
		}
	}
	return key
}

func validKey(k string) bool {
	if len(k) == 0 || len(k) > 40 {
		return false
	}
	for _, r := range k {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '_' {
			return false
		}
	}
	return true
}
