package playbook

// Placeholders until the implementations land; each is replaced by its file.

import (
	"errors"

	"github.com/onboardiq/onboardiq"
)

var errTODO = errors.New("playbook: not implemented")

func matchEvent(p *onboardiq.Playbook, e *onboardiq.Event) bool {
	return p.Enabled && string(e.Kind) == p.Trigger.Event
}
func evaluate(c onboardiq.PlaybookConditions, f *Facts) (bool, []onboardiq.Condition) {
	return len(c.Rules) == 0, []onboardiq.Condition{}
}
func due(t onboardiq.PlaybookTrigger, f *Facts) (bool, []string)         { return false, nil }
func lookup(f *Facts, field string) (any, bool)                          { return nil, false }
func fields() []Field                                                    { return nil }
func normalise(p *onboardiq.Playbook)                                    {}
func validate(p *onboardiq.Playbook, k Known) error                      { return nil }
func needsSetup(p *onboardiq.Playbook) []string                          { return nil }
func defaults() []onboardiq.Playbook                                     { return nil }
func body(format string, r Run) ([]byte, error)                          { return nil, errTODO }
func vars(r Run) map[string]string                                       { return nil }
func fill(text string, vars map[string]string) string                    { return text }
func describe(a onboardiq.PlaybookAction, f *Facts) string               { return a.Type }
func marshal(ps []onboardiq.Playbook, format string) ([]byte, error)     { return nil, errTODO }
func unmarshal(data []byte, format string) ([]onboardiq.Playbook, error) { return nil, errTODO }
