package playbook

import "github.com/onboardiq/onboardiq"

func defaults() []onboardiq.Playbook {
	ps := []onboardiq.Playbook{
		{
			Name: "Health below 40",
			Description: "When a customer's health level changes and the score is below 40, POST the account, its ARR and renewal date, " +
				"the health score with its components and previous score, and the CSM to n8n. Set the webhook URL, then enable it.",
			Subject:    "customer",
			Trigger:    onboardiq.PlaybookTrigger{Event: string(onboardiq.EventCustomerHealthLevelChanged)},
			Conditions: onboardiq.PlaybookConditions{Rules: []onboardiq.PlaybookCondition{{Field: "customer.health.score", Op: "lt", Value: 40}}},
			Actions:    []onboardiq.PlaybookAction{{Type: "webhook", Format: "n8n"}},

			CooldownMinutes: 60,
		},
		{
			Name:        "Moved to At risk",
			Description: "When a customer moves to the At risk journey stage, POST it to n8n. Set the webhook URL, then enable it.",
			Subject:     "customer",
			Trigger:     onboardiq.PlaybookTrigger{Event: string(onboardiq.EventCustomerStageChanged)},
			Conditions:  onboardiq.PlaybookConditions{Rules: []onboardiq.PlaybookCondition{{Field: "customer.stage", Op: "eq", Value: "at_risk"}}},
			Actions:     []onboardiq.PlaybookAction{{Type: "webhook", Format: "n8n"}},

			CooldownMinutes: 60,
		},
		{
			Name: "Project overdue: escalate",
			Description: "When a project passes its deadline, tell the CSM at once, the engineering lead 4 hours later and the VP 4 hours after that, " +
				"unless someone acknowledges. Set the engineering lead's and the VP's emails (user:EMAIL), then enable it.",
			Subject: "project",
			Trigger: onboardiq.PlaybookTrigger{Event: string(onboardiq.EventProjectOverdue)},
			Actions: []onboardiq.PlaybookAction{{
				Type:    "escalate",
				Subject: "{{project_name}} is overdue",
				Body: "{{project_name}} for {{customer_name}} has passed its deadline.\n" +
					"Health {{health_score}}, ARR {{customer_arr}}, renewal {{renewal_date}}. CSM: {{csm_name}}.\n" +
					"{{project_url}}",
				Ladder: []onboardiq.EscalationStep{{To: "csm"}, {To: "user:", AfterMinutes: 240}, {To: "user:", AfterMinutes: 240}},
			}},
		},
		{
			Name:        "Task blocked for 3 days",
			Description: "Every hour, tell the CSM in the app about a project with a task blocked for 3 days or more.",
			Subject:     "project",
			Trigger:     onboardiq.PlaybookTrigger{Schedule: onboardiq.ScheduleTaskBlocked, Days: 3},
			Actions: []onboardiq.PlaybookAction{{
				Type:    "notify",
				To:      []string{"csm"},
				Subject: "A task of {{project_name}} is blocked",
				Body:    "{{evidence}}",
			}},
		},
		{
			Name:        "Go-live reached: CSAT survey",
			Description: "When a customer reaches the go_live milestone, ask its contacts for a CSAT answer.",
			Subject:     "customer",
			Trigger:     onboardiq.PlaybookTrigger{Event: string(onboardiq.EventMilestoneReached)},
			Conditions:  onboardiq.PlaybookConditions{Rules: []onboardiq.PlaybookCondition{{Field: "event.key", Op: "eq", Value: "go_live"}}},
			Actions:     []onboardiq.PlaybookAction{{Type: "survey", Survey: "csat"}},
		},
		{
			Name: "No activity for 7 days: nudge",
			Description: "Every hour, email the contacts of a customer with no usage or portal activity for 7 days the reengagement template, " +
				"at most once a week. Check the template's wording in the settings, then enable it.",
			Subject: "customer",
			Trigger: onboardiq.PlaybookTrigger{Schedule: onboardiq.ScheduleNoActivity, Days: 7},
			Actions: []onboardiq.PlaybookAction{{Type: "email", To: []string{"contacts"}, EmailTemplate: "reengagement"}},

			CooldownMinutes: 10080,
		},
	}
	for i := range ps {
		normalise(&ps[i])
	}
	return ps
}
