package onboardiq

import "testing"

// TestEveryEventKindHasALabel: the activity log names every kind in words.
func TestEveryEventKindHasALabel(t *testing.T) {
	t.Parallel()
	seen := map[string]EventKind{}
	for _, k := range EventKinds {
		l := k.Label()
		if l == string(k) || l == "" {
			t.Errorf("%s has no label", k)
		}
		if other, dup := seen[l]; dup {
			t.Errorf("%s and %s share the label %q", k, other, l)
		}
		seen[l] = k
	}
	if got := EventKind("x.unknown").Label(); got != "x.unknown" {
		t.Errorf("an unknown kind's label: %q", got)
	}
}
