package web

import "testing"

// TestSetupWords: what a playbook needs set reads in words on its pages.
func TestSetupWords(t *testing.T) {
	t.Parallel()
	for path, want := range map[string]string{
		"actions[0].url":          "action 1: the webhook URL",
		"actions[2].to":           "action 3: recipients",
		"actions[1].to[0]":        "action 2: recipient 1 (a user's email)",
		"actions[0].ladder[1].to": "action 1: who escalation step 2 goes to",
		"trigger.event":           "trigger.event",
	} {
		if got := setupWords(path); got != want {
			t.Errorf("%s: %q, want %q", path, got, want)
		}
	}
}
