package mailtemplate

import (
	"strings"
	"testing"

	"github.com/onboardiq/onboardiq"
)

func TestEveryDefaultChecksAndUsesOnlyItsVariables(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, k := range Kinds {
		if seen[k.Name] {
			t.Errorf("%s: listed twice", k.Name)
		}
		seen[k.Name] = true
		if err := k.Check(k.Subject, k.Body); err != nil {
			t.Errorf("%s: default does not check: %v", k.Name, err)
		}
		if !strings.Contains(k.Body, "{{link}}") {
			t.Errorf("%s: the default body has no {{link}}", k.Name)
		}
		m := k.Render(k.Subject, k.Body, k.Examples())
		if strings.Contains(m.Markdown, "{{") || strings.Contains(m.Text, "{{") || strings.Contains(m.Subject, "{{") {
			t.Errorf("%s: a placeholder is left after rendering the examples: %q", k.Name, m.Subject+m.Text)
		}
	}
	if k, _ := Find(Invitation); k.Optional {
		t.Error("the invitation (a sign-in link) must not be optional")
	}
	if len(OptionalKinds()) != len(Kinds)-1 {
		t.Errorf("optional kinds: %v", OptionalKinds())
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	k, _ := Find(TaskAssigned)
	for _, tc := range []struct {
		subject, body, field, says string
	}{
		{"", "x", "subject", "required"},
		{"a\nb", "x", "subject", "one line"},
		{strings.Repeat("s", MaxSubject+1), "x", "subject", "at most"},
		{"s", " \n", "body", "required"},
		{"s", strings.Repeat("b", MaxBody+1), "body", "at most"},
		{"s", "Hi {{contact_nmae}}", "body", "{{contact_nmae}} is not a variable"},
		{"{{bogus}}", "x", "subject", "not a variable"},
		{"s", "{{open_tasks}}", "body", "not a variable"}, // a variable of other kinds
	} {
		err := k.Check(tc.subject, tc.body)
		e, ok := err.(*onboardiq.Error)
		if !ok || e.Field != tc.field || !strings.Contains(e.Message, tc.says) {
			t.Errorf("Check(%.20q, %.20q) = %v; want %s: …%s…", tc.subject, tc.body, err, tc.field, tc.says)
		}
	}
	d, _ := Find(WeeklyDigest)
	if err := d.Check("{{open_tasks}}", "x"); err == nil || !strings.Contains(err.Error(), "list") {
		t.Errorf("a list in the subject: %v", err)
	}
	if err := k.Check("{{ task_title }}", "Hello {{contact_name}}, {{ link }}"); err != nil {
		t.Errorf("spaces inside braces: %v", err)
	}
}

func TestRender(t *testing.T) {
	t.Parallel()
	k, _ := Find(Milestone)
	m := k.Render("{{project_name}}:\n {{milestone}}", "Hi **{{contact_name}}**\n\n{{next_steps}}\n\n[Open]({{link}}) {{unknown}}", map[string]string{
		"project_name": "Globex", "milestone": "Kick_off", "contact_name": "[Eve](http://evil.example)",
		"next_steps": List([]string{"Set up *SSO*", "Train"}, "nothing"), "link": "https://x.example/portal/a/magic?token=t",
	})
	if m.Subject != "Globex: Kick_off" {
		t.Errorf("subject %q: one line, values as they are", m.Subject)
	}
	if !strings.Contains(m.Markdown, `\[Eve\](http://evil.example)`) {
		t.Errorf("a value must be escaped in the Markdown: %q", m.Markdown)
	}
	if !strings.Contains(m.Markdown, `- Set up \*SSO\*`) || !strings.Contains(m.Markdown, "[Open](https://x.example/portal/a/magic?token=t)") {
		t.Errorf("a list goes in as Markdown, the link as written: %q", m.Markdown)
	}
	if !strings.Contains(m.Markdown, "{{unknown}}") {
		t.Errorf("an unknown placeholder stays as written: %q", m.Markdown)
	}
	for _, want := range []string{"Hi [Eve](http://evil.example)", "- Set up *SSO*", "Open: https://x.example/portal/a/magic?token=t"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("text %q lacks %q", m.Text, want)
		}
	}
	if got := List(nil, "nothing due"); got != "_nothing due_" {
		t.Errorf("empty list: %q", got)
	}
}
