package onboardiq

import (
	"strconv"

	"github.com/google/uuid"
)

// defaultTaskNS is the namespace of the default template's task ids.
var defaultTaskNS = uuid.MustParse("7b0e2c1a-5d3f-4e8a-9c61-0d2b4f6a8e10")

// dt is the id of the default template's n-th task (from 1): fixed, so that
// the plan below can name a task's predecessors. A tenant's copy of the
// plan gets ids of its own (CopyTemplateTasks).
func dt(n int) uuid.UUID { return uuid.NewSHA1(defaultTaskNS, []byte(strconv.Itoa(n))) }

func after(ns ...int) []uuid.UUID {
	ids := make([]uuid.UUID, len(ns))
	for i, n := range ns {
		ids[i] = dt(n)
	}
	return ids
}

// DefaultTemplate is the classic eight-week B2B onboarding plan, in working
// days (40 of them): kickoff (week 1), technical setup (weeks 1–2),
// training (weeks 2–3), go-live (weeks 3–4) and post-launch (weeks 5–8).
// Each task starts no earlier than the tasks it waits on are due
// (TestDefaultTemplateIsConsistent).
var DefaultTemplate = []TemplateTask{
	{ID: dt(1), Phase: "Kickoff", Description: "Internal: review the sales handoff notes",
		Details:    "Read the deal notes, success criteria and any promises made during the sale before the kickoff call.",
		OffsetDays: 0, DurationDays: 1, Side: SideVendor, Visibility: VisibilityInternal, DependsOn: after()},
	{ID: dt(2), Phase: "Kickoff", Description: "Kickoff call: goals, scope and success criteria",
		Details:    "Introduce both teams, agree the goals, the scope of the first phase, and how success will be measured.",
		OffsetDays: 0, DurationDays: 1, Side: SideVendor, Visibility: VisibilityCustomer, DependsOn: after()},
	{ID: dt(3), Phase: "Kickoff", Description: "Name a project owner and a technical contact",
		Details:    "Tell us who owns the project on your side and who will handle the technical setup (SSO, API, data).",
		OffsetDays: 1, DurationDays: 2, Side: SideCustomer, Visibility: VisibilityCustomer, DependsOn: after(2)},
	{ID: dt(4), Phase: "Kickoff", Description: "Share the project plan and communication channels",
		Details:    "Send the agreed plan, the weekly check-in slot and the shared channel for questions.",
		OffsetDays: 1, DurationDays: 2, Side: SideVendor, Visibility: VisibilityCustomer, DependsOn: after(2)},
	{ID: dt(5), Phase: "Technical setup", Description: "Create the production workspace",
		Details:    "Provision the customer's production workspace and the sandbox, and invite the technical contact.",
		OffsetDays: 2, DurationDays: 1, Side: SideVendor, Visibility: VisibilityCustomer, DependsOn: after(2)},
	{ID: dt(6), Phase: "Technical setup", Description: "Configure single sign-on (SSO)",
		Details:    "Connect your identity provider (Okta, Microsoft Entra ID or Google Workspace) with SAML 2.0 or OpenID Connect. See the SSO set-up article.",
		OffsetDays: 4, DurationDays: 4, Side: SideCustomer, Visibility: VisibilityCustomer, DependsOn: after(3, 5)},
	{ID: dt(7), Phase: "Technical setup", Description: "Create API keys and connect the first integration",
		Details:    "Create a production API key, store it in your secret manager, and make a first authenticated call.",
		OffsetDays: 5, DurationDays: 4, Side: SideCustomer, Visibility: VisibilityCustomer, DependsOn: after(5)},
	{ID: dt(8), Phase: "Technical setup", Description: "Import your historical data",
		Details:    "Export your data as CSV, run a dry-run import in the sandbox, fix the reported rows, then import into production.",
		OffsetDays: 6, DurationDays: 4, Side: SideCustomer, Visibility: VisibilityCustomer, DependsOn: after(5)},
	{ID: dt(9), Phase: "Technical setup", Description: "Register webhooks for downstream systems",
		Details:    "Register your endpoints, verify the signatures, and send a test event.",
		OffsetDays: 7, DurationDays: 2, Side: SideCustomer, Visibility: VisibilityCustomer, DependsOn: after(5)},
	{ID: dt(10), Phase: "Training", Description: "Admin training session",
		Details:    "A 60-minute session for workspace admins: users and roles, security settings, integrations.",
		OffsetDays: 7, DurationDays: 2, Side: SideVendor, Visibility: VisibilityCustomer, DependsOn: after(5)},
	{ID: dt(11), Phase: "Training", Description: "End-user training session",
		Details:    "A 45-minute session for everyday users, recorded for those who cannot attend.",
		OffsetDays: 10, DurationDays: 2, Side: SideVendor, Visibility: VisibilityCustomer, DependsOn: after(10)},
	{ID: dt(12), Phase: "Training", Description: "Invite all users and assign roles",
		Details:    "Invite your users (or provision them through SSO) and give each the right role.",
		OffsetDays: 11, DurationDays: 3, Side: SideCustomer, Visibility: VisibilityCustomer, DependsOn: after(6, 10)},
	{ID: dt(13), Phase: "Go-live", Description: "Complete the go-live checklist",
		Details:    "Work through the go-live checklist: SSO enforced, keys rotated, imports verified, webhooks live.",
		OffsetDays: 13, DurationDays: 3, Side: SideCustomer, Visibility: VisibilityCustomer, DependsOn: after(6, 7, 8, 9)},
	{ID: dt(14), Phase: "Go-live", Description: "Go-live readiness review",
		Details:    "Review the checklist together and agree the go-live date and the rollback plan.",
		OffsetDays: 15, DurationDays: 1, Side: SideVendor, Visibility: VisibilityCustomer, DependsOn: after(11, 12)},
	{ID: dt(15), Phase: "Go-live", Description: "Switch production traffic on",
		Details:    "Point your production systems at Acme Platform and confirm the first live transactions.",
		OffsetDays: 16, DurationDays: 1, Side: SideCustomer, Visibility: VisibilityCustomer, DependsOn: after(13, 14)},
	{ID: dt(16), Phase: "Go-live", Description: "Hypercare: daily check-ins for the first week",
		Details:    "Daily 15-minute check-ins during the first week live; watch error rates and adoption.",
		OffsetDays: 17, DurationDays: 4, Side: SideVendor, Visibility: VisibilityCustomer, DependsOn: after(15)},
	{ID: dt(17), Phase: "Post-launch", Description: "30-day adoption review",
		Details:    "Review usage, open issues and the success criteria agreed at kickoff.",
		OffsetDays: 21, DurationDays: 4, Side: SideVendor, Visibility: VisibilityCustomer, DependsOn: after(16)},
	{ID: dt(18), Phase: "Post-launch", Description: "Share feedback on the onboarding",
		Details:    "Tell us what went well and what did not; a short survey arrives by email.",
		OffsetDays: 29, DurationDays: 5, Side: SideCustomer, Visibility: VisibilityCustomer, DependsOn: after(17)},
	{ID: dt(19), Phase: "Post-launch", Description: "Internal: hand off to account management",
		Details:    "Write the handoff note: contacts, open risks, expansion opportunities.",
		OffsetDays: 34, DurationDays: 3, Side: SideVendor, Visibility: VisibilityInternal, DependsOn: after(17)},
	{ID: dt(20), Phase: "Post-launch", Description: "Onboarding close-out and success plan",
		Details:    "Close the onboarding and agree the success plan for the next quarter.",
		OffsetDays: 37, DurationDays: 3, Side: SideVendor, Visibility: VisibilityCustomer, DependsOn: after(18, 19)},
}
