// Package mailtemplate holds the emails OnboardIQ sends customer contacts:
// each kind's default subject and Markdown body, the named variables it
// may use ({{contact_name}}, {{link}}, …), and the rendering of a tenant's
// own version. It is pure: the store saves templates and fills variables,
// the mailer turns the Markdown into HTML.
//
// A template is plain text with {{name}} placeholders (spaces inside the
// braces allowed). Checking a template refuses names the kind does not
// know, so a typo is caught when it is saved, not when a customer reads
// it. A variable marked Block holds Markdown of its own (a list of tasks)
// and goes in as it is; every other value is escaped for Markdown in the
// HTML part, so a customer's name cannot turn into a link.
package mailtemplate

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/onboardiq/onboardiq"
)

// Kinds of email to contacts.
const (
	Invitation   = "invitation"
	Welcome      = "welcome"
	TaskAssigned = "task_assigned"
	TaskDueSoon  = "task_due_soon"
	TaskOverdue  = "task_overdue"
	WeeklyDigest = "weekly_digest"
	Milestone    = "milestone"
	Reengagement = "reengagement"
	CSMReplied   = "csm_replied"
	Mentioned    = "contact_mentioned"
	SurveyCSAT   = "survey_csat"
	SurveyNPS    = "survey_nps"
)

// Var is a named value a template may use.
type Var struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Example     string `json:"example"`
	Block       bool   `json:"block" doc:"Markdown of its own (a list): put it on a line by itself."`
}

// Kind is one kind of email to contacts.
type Kind struct {
	Name        string
	Label       string
	Description string // when it is sent
	// Optional: the contact may turn it off (preferences, the
	// unsubscribe link). Sign-in mail (the invitation) cannot be.
	Optional bool
	Vars     []Var
	Subject  string // the default subject
	Body     string // the default Markdown body
}

// Common are the variables of every kind.
var Common = []Var{
	{Name: "contact_name", Description: "The contact's full name.", Example: "Dana Reyes"},
	{Name: "contact_first_name", Description: "The contact's first name.", Example: "Dana"},
	{Name: "customer_name", Description: "The contact's company.", Example: "Globex"},
	{Name: "workspace_name", Description: "Your portal's name (branding), else the workspace's.", Example: "Acme Onboarding"},
	{Name: "csm_name", Description: "The customer's success manager; empty when none.", Example: "Sam Carter"},
	{Name: "csm_email", Description: "The success manager's email; empty when none.", Example: "sam@acme.example"},
	{Name: "link", Description: "A link that signs the contact in on the page the email is about.", Example: "https://onboarding.acme.example/portal/acme/magic?token=…"},
}

var (
	projectVars = []Var{
		{Name: "project_name", Description: "The project.", Example: "Globex onboarding"},
		{Name: "project_progress", Description: "Percent of the project's tasks done.", Example: "40%"},
	}
	taskVars = []Var{
		{Name: "task_title", Description: "The task.", Example: "Send the SSO metadata"},
		{Name: "task_due", Description: "The task's due date; empty when none.", Example: "Tue 8 Dec 2026"},
		{Name: "task_phase", Description: "The task's phase.", Example: "Kickoff"},
	}
	openTasks = Var{Name: "open_tasks", Description: "A list of the contact's open tasks, with due dates.", Block: true,
		Example: "- Send the SSO metadata (due Tue 8 Dec 2026)\n- Invite your admins"}
	nextSteps = Var{Name: "next_steps", Description: "A list of the next tasks on the customer's side.", Block: true,
		Example: "- Configure the SAML connection\n- Book the training session"}
)

func vars(groups ...[]Var) []Var {
	var out []Var
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

var surveyVars = []Var{
	{Name: "survey_subject", Description: "What the survey asks about: a phase, the project, or the workspace.", Example: "Kickoff"},
	{Name: "scale", Description: "The scores as links: one click records the answer (1–5 for CSAT, 0–10 for NPS).", Block: true,
		Example: "[1](https://onboarding.acme.example/portal/acme/s/…) · [2](…) · [3](…) · [4](…) · [5](…)"},
	{Name: "scale_low", Description: "What the lowest score means.", Example: "Very unsatisfied"},
	{Name: "scale_high", Description: "What the highest score means.", Example: "Very satisfied"},
}

// Kinds lists every kind, in the order the settings show them.
var Kinds = []Kind{
	{
		Name: Invitation, Label: "Invitation", Description: "When a contact is added to a customer (a sign-in link; cannot be turned off).",
		Vars: vars([]Var{
			{Name: "inviter", Description: "Who invited them, with the workspace (\"Sam Carter of Acme\"), or the workspace.", Example: "Sam Carter of Acme"},
			{Name: "days", Description: "How many days the link works.", Example: "7"},
			{Name: "signin_url", Description: "The portal's sign-in page, for when the link has expired.", Example: "https://onboarding.acme.example/portal/acme/signin"},
		}),
		Subject: "{{workspace_name}} invites you to the onboarding of {{customer_name}}",
		Body: "Hello {{contact_name}},\n\n{{inviter}} has invited you to the {{workspace_name}} onboarding portal, where you and the team share the onboarding plan of {{customer_name}}: " +
			"the tasks on your side, what they wait on, and help articles.\n\n[Sign in to the portal]({{link}}) (the link works once, within {{days}} days).\n\n" +
			"When it has expired, ask for a new sign-in link at {{signin_url}}.",
	},
	{
		Name: Welcome, Label: "Welcome", Optional: true, Description: "When a contact signs in for the first time: their first tasks.",
		Vars:    vars(projectVars, []Var{openTasks}),
		Subject: "Welcome to {{project_name}}",
		Body: "Hello {{contact_first_name}},\n\nwelcome aboard. These are your first tasks in {{project_name}}:\n\n{{open_tasks}}\n\n" +
			"[Open your onboarding plan]({{link}})\n\nQuestions? Reply to this email or ask {{csm_name}} in the portal.",
	},
	{
		Name: TaskAssigned, Label: "Task assigned", Optional: true, Description: "When a task is assigned to the contact.",
		Vars:    vars(projectVars, taskVars),
		Subject: "New task for you: {{task_title}}",
		Body: "Hello {{contact_first_name}},\n\n**{{task_title}}** in {{project_name}} is now yours. Due: {{task_due}}.\n\n[Open the task]({{link}})\n\n" +
			"Reply `done` to this email when it is done, or `stuck` and what is in the way.",
	},
	{
		Name: TaskDueSoon, Label: "Task due soon", Optional: true, Description: "A set number of days before one of the contact's tasks is due (settings: due-soon days).",
		Vars:    vars(projectVars, taskVars),
		Subject: "Due {{task_due}}: {{task_title}}",
		Body: "Hello {{contact_first_name}},\n\n**{{task_title}}** in {{project_name}} is due {{task_due}}.\n\n[Open the task]({{link}})\n\n" +
			"Reply `done` to this email when it is done, or `stuck` and what is in the way.",
	},
	{
		Name: TaskOverdue, Label: "Task overdue", Optional: true, Description: "When one of the contact's tasks is overdue, repeated every few days up to a cap (settings).",
		Vars: vars(projectVars, taskVars, []Var{
			{Name: "days_overdue", Description: "Days since the task was due.", Example: "3"},
		}),
		Subject: "Overdue: {{task_title}}",
		Body: "Hello {{contact_first_name}},\n\n**{{task_title}}** in {{project_name}} was due {{task_due}} ({{days_overdue}} days ago), and the next steps wait on it.\n\n" +
			"[Open the task]({{link}})\n\nReply `done` to this email when it is done, or `stuck` and what is in the way.",
	},
	{
		Name: WeeklyDigest, Label: "Weekly progress", Optional: true, Description: "Once a week on the workspace's day and hour, in the contact's time zone, while a project is open.",
		Vars: vars(projectVars, []Var{openTasks, nextSteps,
			{Name: "vendor_done", Description: "A list of what the team finished this week.", Block: true, Example: "- Provision the sandbox\n- Import the user list"},
		}),
		Subject: "{{project_name}}: your week",
		Body: "Hello {{contact_first_name}},\n\n{{project_name}} is {{project_progress}} done.\n\n**Your open tasks**\n\n{{open_tasks}}\n\n" +
			"**What we finished this week**\n\n{{vendor_done}}\n\n**What comes next**\n\n{{next_steps}}\n\n[Open your onboarding plan]({{link}})",
	},
	{
		Name: Milestone, Label: "Milestone reached", Optional: true, Description: "When a phase, go-live or the whole project is completed.",
		Vars: vars(projectVars, []Var{
			{Name: "milestone", Description: "What was reached: a phase's name, or the project.", Example: "Kickoff"},
			nextSteps,
		}),
		Subject: "{{project_name}}: {{milestone}} done",
		Body:    "Hello {{contact_first_name}},\n\n**{{milestone}}** is complete. {{project_name}} is {{project_progress}} done.\n\n**Next steps**\n\n{{next_steps}}\n\n[Open your onboarding plan]({{link}})",
	},
	{
		Name: Reengagement, Label: "Re-engagement", Optional: true, Description: "When nobody on the customer's side has acted on an open project for a set number of days (settings); the CSM is told too.",
		Vars: vars(projectVars, []Var{openTasks,
			{Name: "days_inactive", Description: "Days since the customer's last action.", Example: "7"},
		}),
		Subject: "{{project_name}} is waiting for you",
		Body: "Hello {{contact_first_name}},\n\nnothing has moved on your side of {{project_name}} for {{days_inactive}} days. These tasks are waiting:\n\n{{open_tasks}}\n\n" +
			"[Pick up where you left off]({{link}})\n\nStuck? Reply to this email and {{csm_name}} will help.",
	},
	{
		Name: CSMReplied, Label: "Answer from your CSM", Optional: true, Description: "When the success manager answers a question the contact asked in the portal.",
		Vars: []Var{
			{Name: "subject", Description: "The conversation's subject.", Example: "About: Send the SSO metadata"},
			{Name: "author_name", Description: "Who answered.", Example: "Sam Carter"},
			{Name: "message", Description: "The answer.", Block: true, Example: "The metadata file is under Settings → SSO."},
		},
		Subject: "Re: {{subject}}",
		Body:    "Hello {{contact_first_name}},\n\n{{author_name}} answered:\n\n{{message}}\n\n[Open the conversation]({{link}})",
	},
	{
		Name: Mentioned, Label: "Mentioned", Optional: true, Description: "When someone mentions the contact in a comment on a task.",
		Vars: vars(projectVars, taskVars, []Var{
			{Name: "author_name", Description: "Who mentioned them.", Example: "Sam Carter"},
			{Name: "comment", Description: "The comment.", Block: true, Example: "@Dana Reyes can you confirm the domain?"},
		}),
		Subject: "{{author_name}} mentioned you on {{task_title}}",
		Body:    "Hello {{contact_first_name}},\n\n{{author_name}} wrote on **{{task_title}}**:\n\n{{comment}}\n\n[Open the task]({{link}})\n\nReply to this email to answer.",
	},
	{
		Name: SurveyCSAT, Label: "Satisfaction survey (CSAT)", Optional: true,
		Description: "When a phase or the whole project is completed (settings: surveys): how satisfied the contact is, 1 to 5, in one click.",
		Vars:        surveyVars,
		Subject:     "How did {{survey_subject}} go?",
		Body: "Hello {{contact_first_name}},\n\nhow satisfied are you with **{{survey_subject}}**? Click a score (1 = {{scale_low}}, 5 = {{scale_high}}):\n\n{{scale}}\n\n" +
			"One click records your answer; you can add a comment after. Or [answer in the portal]({{link}}).",
	},
	{
		Name: SurveyNPS, Label: "Recommendation survey (NPS)", Optional: true,
		Description: "Every few months (settings: surveys): how likely the contact is to recommend you, 0 to 10, in one click.",
		Vars:        surveyVars,
		Subject:     "How likely are you to recommend {{survey_subject}}?",
		Body: "Hello {{contact_first_name}},\n\nhow likely are you to recommend **{{survey_subject}}** to a friend or colleague? Click a score (0 = {{scale_low}}, 10 = {{scale_high}}):\n\n{{scale}}\n\n" +
			"One click records your answer; you can add a comment after. Or [answer in the portal]({{link}}).",
	},
}

// Find returns the kind named name.
func Find(name string) (Kind, bool) {
	i := slices.IndexFunc(Kinds, func(k Kind) bool { return k.Name == name })
	if i < 0 {
		return Kind{}, false
	}
	return Kinds[i], true
}

// OptionalKinds are the names of the kinds a contact may turn off.
func OptionalKinds() []string {
	var out []string
	for _, k := range Kinds {
		if k.Optional {
			out = append(out, k.Name)
		}
	}
	return out
}

// AllVars are k's variables: the common ones, then its own.
func (k Kind) AllVars() []Var { return vars(Common, k.Vars) }

// Examples are the example values of k's variables, for a preview.
func (k Kind) Examples() map[string]string {
	out := map[string]string{}
	for _, v := range k.AllVars() {
		out[v.Name] = v.Example
	}
	return out
}

func (k Kind) find(name string) (Var, bool) {
	for _, v := range k.AllVars() {
		if v.Name == name {
			return v, true
		}
	}
	return Var{}, false
}

// Limits of a template.
const (
	MaxSubject = 200
	MaxBody    = 20000
)

var placeholder = regexp.MustCompile(`\{\{\s*([a-zA-Z0-9_.-]*)\s*\}\}`)

// Check reports what is wrong with a tenant's subject and body for k,
// naming the field: empty, too long, a line break in the subject, or a
// variable k does not have.
func (k Kind) Check(subject, body string) error {
	switch {
	case strings.TrimSpace(subject) == "":
		return onboardiq.Invalid("subject", "is required")
	case len([]rune(subject)) > MaxSubject:
		return onboardiq.Invalid("subject", "must be at most %d characters", MaxSubject)
	case strings.ContainsAny(subject, "\r\n"):
		return onboardiq.Invalid("subject", "must be one line")
	case strings.TrimSpace(body) == "":
		return onboardiq.Invalid("body", "is required")
	case len([]rune(body)) > MaxBody:
		return onboardiq.Invalid("body", "must be at most %d characters", MaxBody)
	}
	for field, text := range map[string]string{"subject": subject, "body": body} {
		for _, m := range placeholder.FindAllStringSubmatch(text, -1) {
			v, ok := k.find(m[1])
			if !ok {
				return onboardiq.Invalid(field, "{{%s}} is not a variable of this email; it has %s", m[1], k.names())
			}
			if v.Block && field == "subject" {
				return onboardiq.Invalid(field, "{{%s}} is a list and cannot be in the subject", m[1])
			}
		}
	}
	return nil
}

func (k Kind) names() string {
	var out []string
	for _, v := range k.AllVars() {
		out = append(out, "{{"+v.Name+"}}")
	}
	return strings.Join(out, ", ")
}

// Message is a rendered email: its subject, its body as Markdown (for the
// HTML part: values escaped) and as plain text (values as they are).
type Message struct {
	Subject  string `json:"subject"`
	Markdown string `json:"markdown"`
	Text     string `json:"text"`
}

// Render fills subject and body with values. A variable without a value is
// left empty; an unknown placeholder (a template saved before its kind
// lost the variable) is left as written.
func (k Kind) Render(subject, body string, values map[string]string) Message {
	fill := func(text string, escape bool) string {
		return placeholder.ReplaceAllStringFunc(text, func(m string) string {
			name := placeholder.FindStringSubmatch(m)[1]
			v, ok := k.find(name)
			if !ok {
				return m
			}
			val := values[name]
			switch {
			case escape && !v.Block:
				val = EscapeMarkdown(val)
			case !escape && v.Block:
				val = unescape.ReplaceAllString(val, "$1")
			}
			return val
		})
	}
	subj := strings.Join(strings.Fields(fill(subject, false)), " ")
	return Message{Subject: subj, Markdown: fill(body, true), Text: fill(plainText(body), false)}
}

var (
	unescape = regexp.MustCompile(`\\([\\` + "`" + `*_\[\]<>#|!~])`)
	mdLink   = regexp.MustCompile(`\[([^\]\n]+)\]\(([^)\s]+)\)`)
	mdStrong = regexp.MustCompile(`\*\*([^*\n]+)\*\*`)
)

// plainText is Markdown made to read well as plain text: a link is its
// words and then its address, bold loses its stars.
func plainText(s string) string {
	s = mdLink.ReplaceAllString(s, "$1: $2")
	return mdStrong.ReplaceAllString(s, "$1")
}

var mdSpecial = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`, "<", `\<`, ">", `\>`,
	"#", `\#`, "|", `\|`, "!", `\!`, "~", `\~`,
)

// EscapeMarkdown makes s read as itself in Markdown.
func EscapeMarkdown(s string) string { return mdSpecial.Replace(s) }

// List is a Markdown bullet list of items, each escaped, or "- none" in
// words when there are none.
func List(items []string, none string) string {
	if len(items) == 0 {
		return "_" + EscapeMarkdown(none) + "_"
	}
	var b strings.Builder
	for i, it := range items {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "- %s", EscapeMarkdown(it))
	}
	return b.String()
}
