// Package wording writes what notifications say, from facts: pure, so the
// words are tested without a database and change in one place.
package wording

import (
	"fmt"
	"strings"
	"time"
)

// Project is what an alert about a project says of it.
type Project struct {
	Name, Customer string
	Deadline       time.Time
	Progress       float64 // percent done
}

// Message is a notification's title and body.
type Message struct{ Title, Body string }

// Overdue tells the support member and the sales leaders that a project
// has passed its deadline.
func Overdue(p Project) Message {
	return Message{
		Title: fmt.Sprintf("%s is past its deadline", p.Name),
		Body:  fmt.Sprintf("%s (%s) was due %s and is %.0f%% done.", p.Name, p.Customer, p.Deadline.Format("2 Jan 2006"), p.Progress),
	}
}

// OverdueEscalated tells the admins that a project is still overdue at
// now, after the others were told.
func OverdueEscalated(p Project, now time.Time) Message {
	return Message{
		Title: fmt.Sprintf("%s is still overdue after %d days", p.Name, int(now.Sub(p.Deadline).Hours()/24)),
		Body: fmt.Sprintf("%s (%s) was due %s and is %.0f%% done. Its support member and the sales leaders were told when it ran late.",
			p.Name, p.Customer, p.Deadline.Format("2 Jan 2006"), p.Progress),
	}
}

// AtRisk tells the support member and the sales leaders that a project is
// forecast to miss its deadline, and why (the forecast's reason).
func AtRisk(p Project, reason string) Message {
	return Message{Title: fmt.Sprintf("%s is at risk of missing its deadline", p.Name), Body: reason}
}

// Action is a customer contact's change to a task that their CSM and the
// task's owner hear of.
type Action struct {
	Kind     string // customer_completed_task, customer_blocked_task, customer_reopened_task or customer_commented
	Actor    string // the contact's name
	Customer string // their company's name
	Task     string // the task's description
	Project  string // the project's name
	Detail   string // the blocked reason, or the comment
}

// CustomerAction words what a contact did to a task.
func CustomerAction(a Action) Message {
	who := a.Actor
	if a.Customer != "" {
		who = fmt.Sprintf("%s (%s)", a.Actor, a.Customer)
	}
	var verb string
	switch a.Kind {
	case "customer_completed_task":
		verb = "completed"
	case "customer_blocked_task":
		verb = "marked blocked"
	case "customer_reopened_task":
		verb = "reopened"
	default:
		verb = "commented on"
	}
	body := fmt.Sprintf("%s %s “%s” in %s.", who, verb, a.Task, a.Project)
	switch {
	case a.Detail == "":
	case a.Kind == "customer_blocked_task":
		body += "\n\nReason: " + a.Detail
	default:
		body += "\n\n" + a.Detail
	}
	return Message{Title: clip(fmt.Sprintf("%s %s “%s”", a.Actor, verb, a.Task), 300), Body: clip(body, 10000)}
}

// Mentioned tells someone that actor mentioned them in a comment on task.
func Mentioned(actor, task, project, comment string) Message {
	return Message{
		Title: clip(fmt.Sprintf("%s mentioned you on “%s”", actor, task), 300),
		Body:  clip(fmt.Sprintf("%s mentioned you in a comment on “%s” in %s:\n\n%s", actor, task, project, comment), 10000),
	}
}

// Help is what a contact asked their CSM: a conversation opened (with
// the assistant's answer they passed on, if any) or a reply in it.
type Help struct {
	Actor, Customer, Subject string
	Opened                   bool   // the question that opened it; else a reply
	Body                     string // what they wrote
	Answer                   string // the assistant's answer they passed on, when it opened
}

// AskedForHelp tells the CSM (or the admins) that a contact asked them
// something, or wrote again in a conversation.
func AskedForHelp(h Help) Message {
	who := h.Actor
	if h.Customer != "" {
		who += " (" + h.Customer + ")"
	}
	if !h.Opened {
		return Message{
			Title: clip(fmt.Sprintf("%s replied to “%s”", h.Actor, h.Subject), 300),
			Body:  clip(fmt.Sprintf("%s replied to “%s”:\n\n%s", who, h.Subject, h.Body), 10000),
		}
	}
	body := fmt.Sprintf("%s asks for help: “%s”\n\n%s", who, h.Subject, h.Body)
	if h.Answer != "" {
		body += "\n\nThe assistant had answered:\n\n" + clip(h.Answer, 2000)
	}
	return Message{Title: clip(fmt.Sprintf("%s asks: %s", h.Actor, h.Subject), 300), Body: clip(body, 10000)}
}

// clip cuts s to at most n characters, ending with "…" when it was longer.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// kinds name the kinds of notification in words, for the pages
// (postgres.NotificationKinds).
var kinds = map[string]string{
	"project_overdue":           "Project overdue",
	"project_overdue_escalated": "Project still overdue (escalated)",
	"project_at_risk":           "Project at risk",
	"customer_completed_task":   "A customer completed a task",
	"customer_blocked_task":     "A customer blocked a task",
	"customer_reopened_task":    "A customer reopened a task",
	"customer_commented":        "A customer commented on a task",
	"mentioned":                 "Someone mentioned you",
	"customer_asked_for_help":   "A customer asked for help",
	"playbook":                  "A playbook tells you",
	"playbook_escalation":       "A playbook escalates to you",
	"quota_warning":             "A quota is nearly used up",
}

// Kind is a notification kind in words: "Project overdue" for
// project_overdue. A kind without a name of its own reads from its key, so
// one added later never shows raw: "task.blocked" is "Task blocked".
func Kind(kind string) string {
	if k, ok := kinds[kind]; ok {
		return k
	}
	s := strings.TrimSpace(strings.NewReplacer(".", " ", "_", " ").Replace(kind))
	if s == "" {
		return "Notification"
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
