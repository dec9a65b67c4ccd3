package onboardiq

import "time"

// SetupChecklist is what a new workspace's admin has left to set up: six
// steps, each done once the workspace shows it (see
// postgres.LoadSetupChecklist for the rule of each). The dashboard shows
// it to admins until every step is done or an admin hides it.
type SetupChecklist struct {
	Items     []SetupItem `json:"items"`
	Done      int         `json:"done" doc:"How many of the items are done."`
	Total     int         `json:"total" doc:"How many items there are (6)."`
	Dismissed *time.Time  `json:"dismissed_at,omitempty" doc:"When an admin hid the checklist from the dashboard; absent while it shows."`
}

// SetupItem is one step of the setup checklist.
type SetupItem struct {
	Key   string `json:"key" enum:"branding,team,template,emails,integration,customer"`
	Title string `json:"title"`
	Why   string `json:"why" doc:"Why the step matters, in one line."`
	Link  string `json:"link" doc:"The console page that does it."`
	Done  bool   `json:"done"`
}

// Complete reports whether every step is done.
func (c *SetupChecklist) Complete() bool { return c.Done == c.Total }

// Show reports whether the dashboard shows the checklist: some step is
// left and nobody hid it.
func (c *SetupChecklist) Show() bool { return c != nil && !c.Complete() && c.Dismissed == nil }

// NewSetupChecklist builds the checklist from what is done, in its order:
// branding, team, template, emails, integration, customer.
func NewSetupChecklist(done map[string]bool, dismissed *time.Time) *SetupChecklist {
	items := []SetupItem{
		{Key: "branding", Title: "Brand the customer portal", Why: "Customers trust a portal that carries your name, colour and logo.", Link: "/app/settings#branding"},
		{Key: "team", Title: "Invite the team", Why: "CSMs own customers and their tasks; bring them in to share the work.", Link: "/app/settings#users"},
		{Key: "template", Title: "Choose or edit an onboarding template", Why: "Every project starts from a template: make its tasks yours.", Link: "/app/templates"},
		{Key: "emails", Title: "Customise the emails to contacts", Why: "Contacts read these emails first: say it in your words.", Link: "/app/settings/emails"},
		{Key: "integration", Title: "Connect a webhook or your CRM", Why: "Send onboarding events to the tools your team already uses.", Link: "/app/settings#webhooks"},
		{Key: "customer", Title: "Add your first customer", Why: "An onboarding project needs a customer to onboard.", Link: "/app/customers"},
	}
	c := &SetupChecklist{Items: items, Total: len(items), Dismissed: dismissed}
	for i := range c.Items {
		if done[c.Items[i].Key] {
			c.Items[i].Done = true
			c.Done++
		}
	}
	return c
}
