// Package bench measures the product at a chosen scale: synthetic tenants
// loaded through the store's own code paths, then the product's own calls
// timed at a chosen concurrency. `onboardiq bench` (internal/cli) runs it.
package bench

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"strings"
)

// Corpus generates the articles and questions of synthetic help centres,
// deterministically: the same seed, tenant and index give the same text on
// every run and machine, so a kept data set can be queried again without
// storing what was generated.
//
// An article has a main topic (single sign-on, billing, imports, …) and
// sometimes a second one; its title and paragraphs draw on the topics' words,
// on two feature names of its own (made-up words, as products name their
// features) and on shared help-centre filler. Keyword search then has rare
// words to find, and semantic search neighbourhoods of articles on one topic.
type Corpus struct {
	Seed uint64
}

// Article is a generated article.
type Article struct {
	Title, Content string
}

// corpusVersion changes whenever the texts the generator makes change, so
// a data set kept from an older generator is not taken for a current one.
const corpusVersion = 1

type topic struct {
	name  string
	nouns []string
	verbs []string
}

var topics = []topic{
	{"single sign-on", []string{"SSO", "SAML", "identity provider", "Okta", "Azure AD", "assertion", "certificate", "metadata", "login", "redirect URL", "entity ID", "attribute mapping"}, []string{"configure", "enable", "upload", "map", "test", "enforce"}},
	{"billing", []string{"invoice", "subscription", "payment method", "credit card", "plan", "seat", "proration", "receipt", "tax ID", "billing contact", "renewal", "refund"}, []string{"update", "download", "change", "cancel", "upgrade", "pay"}},
	{"data import", []string{"CSV file", "spreadsheet", "column", "header row", "mapping", "duplicate", "import job", "template file", "encoding", "row error", "field type", "sample data"}, []string{"import", "upload", "map", "validate", "fix", "retry"}},
	{"API", []string{"API token", "endpoint", "rate limit", "request", "JSON body", "pagination", "cursor", "bearer header", "status code", "OpenAPI document", "scope", "sandbox"}, []string{"call", "create", "revoke", "paginate", "authenticate", "rotate"}},
	{"webhooks", []string{"webhook", "signature", "payload", "delivery", "retry", "secret", "event type", "endpoint URL", "timestamp", "replay", "failure", "log"}, []string{"verify", "subscribe", "resend", "sign", "inspect", "disable"}},
	{"CRM integration", []string{"Salesforce", "HubSpot", "opportunity", "deal stage", "sync", "field mapping", "account owner", "closed won", "connection", "OAuth", "record", "trigger"}, []string{"connect", "sync", "map", "start", "disconnect", "match"}},
	{"notifications", []string{"email notification", "digest", "reminder", "quiet hours", "preference", "unsubscribe link", "mention", "alert", "daily summary", "inbox", "sender address", "bounce"}, []string{"mute", "schedule", "receive", "turn off", "customise", "forward"}},
	{"projects", []string{"onboarding project", "template", "phase", "kickoff", "go-live date", "milestone", "project owner", "deadline", "status", "timeline", "plan", "progress"}, []string{"create", "launch", "archive", "duplicate", "reschedule", "track"}},
	{"tasks", []string{"task", "due date", "assignee", "checklist", "dependency", "blocked reason", "comment", "attachment", "subtask", "priority", "overdue task", "status change"}, []string{"assign", "complete", "reopen", "move", "block", "comment on"}},
	{"users and roles", []string{"user", "role", "admin", "viewer", "permission", "invitation", "team member", "seat limit", "deactivation", "owner", "access", "group"}, []string{"invite", "remove", "promote", "deactivate", "grant", "restrict"}},
	{"security", []string{"two-factor authentication", "password", "session", "audit log", "IP allowlist", "encryption", "recovery code", "device", "lockout", "security key", "timeout", "policy"}, []string{"reset", "enable", "review", "revoke", "rotate", "require"}},
	{"reporting", []string{"report", "dashboard", "chart", "export", "filter", "time to value", "metric", "cohort", "KPI", "saved view", "date range", "breakdown"}, []string{"build", "export", "filter", "share", "schedule", "compare"}},
	{"customer portal", []string{"portal", "branding", "logo", "custom domain", "contact", "welcome page", "colour", "portal link", "visibility", "sign-in link", "shared task", "announcement"}, []string{"brand", "publish", "invite", "preview", "hide", "share"}},
	{"surveys", []string{"NPS survey", "CSAT", "score", "response", "detractor", "promoter", "question", "follow-up", "survey link", "feedback", "rating", "comment box"}, []string{"send", "collect", "analyse", "schedule", "close", "answer"}},
	{"automation", []string{"playbook", "rule", "trigger", "condition", "action", "cooldown", "run history", "dry run", "schedule", "variable", "branch", "limit"}, []string{"automate", "trigger", "pause", "test", "chain", "enable"}},
	{"health scores", []string{"health score", "usage event", "login frequency", "churn risk", "component", "weight", "threshold", "trend", "segment", "renewal date", "adoption", "signal"}, []string{"calculate", "weight", "monitor", "explain", "adjust", "flag"}},
	{"calendar", []string{"meeting", "calendar invite", "time zone", "availability", "booking link", "reminder", "working hours", "holiday", "recurring event", "agenda", "video call", "reschedule link"}, []string{"book", "sync", "cancel", "reschedule", "block", "share"}},
	{"data export", []string{"backup", "export file", "archive", "retention", "data request", "deletion", "GDPR", "download link", "JSON export", "attachment", "history", "workspace data"}, []string{"export", "delete", "request", "restore", "retain", "download"}},
	{"custom fields", []string{"custom field", "picklist", "field label", "required field", "default value", "field type", "formula", "layout", "option", "validation rule", "section", "record type"}, []string{"add", "rename", "require", "reorder", "validate", "retire"}},
	{"knowledge base", []string{"article", "category", "search", "draft", "public article", "internal note", "link", "image", "version", "feedback button", "tag", "table of contents"}, []string{"write", "publish", "search", "tag", "link", "review"}},
	{"mobile app", []string{"mobile app", "push notification", "offline mode", "iOS", "Android", "app version", "device token", "camera upload", "biometric login", "tablet", "home screen", "sync status"}, []string{"install", "update", "sync", "sign in to", "allow", "reinstall"}},
	{"localisation", []string{"language", "translation", "locale", "date format", "currency", "right-to-left layout", "time format", "translated email", "glossary", "region", "number format", "default language"}, []string{"translate", "switch", "localise", "set", "detect", "override"}},
}

// filler is the shared vocabulary of help-centre prose: every topic uses it.
var filler = []string{
	"the", "the", "the", "a", "a", "to", "to", "to", "and", "and", "of", "of", "in", "your", "your", "you", "you", "can",
	"for", "on", "with", "is", "when", "this", "that", "from", "then", "it", "or", "each", "if", "be", "by", "any",
	"workspace", "account", "settings", "page", "button", "menu", "open", "select", "click", "save", "team", "customer",
	"choose", "new", "list", "first", "next", "only", "also", "see", "after", "before", "every", "once", "option",
	"screen", "sidebar", "tab", "changes", "information", "details", "help", "note", "make", "sure", "right", "top",
}

var headings = []string{"Overview", "Before you start", "Details", "Troubleshooting", "Good to know", "Limits"}

// syllables make feature names: words no dictionary has, as many products
// name their features (Flowgrid, Tessaro, …).
var syllables = []string{"flo", "gri", "tes", "sa", "ro", "ka", "vin", "dor", "mek", "lu", "zan", "pri", "qua", "tel", "bo", "nix", "ar", "vel", "sto", "ri", "ne", "ox", "pel", "du"}

// featureName is the n-th made-up word of a corpus (n < 24³).
func featureName(n int) string {
	s := len(syllables)
	return syllables[n%s] + syllables[(n/s)%s] + syllables[(n/s/s)%s]
}

// features is how many feature names a corpus draws from.
const features = 24 * 24 * 24

func (c Corpus) rng(kind string, a, b int) *rand.Rand {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d/%d/%s/%d/%d", corpusVersion, c.Seed, kind, a, b)
	s := h.Sum64()
	return rand.New(rand.NewPCG(s, s^0x9e3779b97f4a7c15))
}

// Article returns the i-th article of tenant t.
func (c Corpus) Article(t, i int) Article {
	r := c.rng("article", t, i)
	main := &topics[r.IntN(len(topics))]
	var second *topic
	if r.Float64() < 0.35 {
		second = &topics[r.IntN(len(topics))]
	}
	feats := []string{featureName(r.IntN(features)), featureName(r.IntN(features))}
	// Each tenant's product has a name of its own that its articles use.
	product := capitalise(featureName(c.rng("product", t, 0).IntN(features)))

	title := c.title(r, main, feats)
	var b strings.Builder
	for p := range 2 + r.IntN(4) {
		if p > 0 {
			fmt.Fprintf(&b, "## %s\n\n", headings[r.IntN(len(headings))])
		}
		for s := range 2 + r.IntN(4) {
			if s > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(sentence(r, main, second, feats, product))
		}
		b.WriteString("\n\n")
	}
	if r.Float64() < 0.5 {
		b.WriteString("## Steps\n\n")
		for s := range 3 + r.IntN(4) {
			verb := pick(r, main.verbs)
			fmt.Fprintf(&b, "%d. %s %s %s %s.\n", s+1, capitalise(verb), pick(r, []string{"the", "your", "a"}), pick(r, main.nouns), pick(r, []string{"in " + product, "under Settings", "from the sidebar", "on the " + feats[0] + " page", "and save"}))
		}
	}
	return Article{Title: title, Content: strings.TrimSpace(b.String())}
}

func (c Corpus) title(r *rand.Rand, t *topic, feats []string) string {
	n1, n2 := pick(r, t.nouns), pick(r, t.nouns)
	var s string
	switch r.IntN(6) {
	case 0:
		s = fmt.Sprintf("How to %s %s %s", pick(r, t.verbs), n1, n2)
	case 1:
		s = fmt.Sprintf("%s and %s in %s", capitalise(n1), n2, capitalise(feats[0]))
	case 2:
		s = fmt.Sprintf("Troubleshooting %s %s", n1, n2)
	case 3:
		s = fmt.Sprintf("%s %s with %s", capitalise(pick(r, t.verbs)), n1, capitalise(feats[0]))
	case 4:
		s = fmt.Sprintf("%s: %s FAQ", capitalise(feats[0]), n1)
	default:
		s = fmt.Sprintf("Why %s %s %s", pick(r, []string{"does my", "can't I", "should I"}), pick(r, t.verbs), n1)
	}
	if len(s) > 100 {
		s = s[:100]
	}
	return s
}

func sentence(r *rand.Rand, main, second *topic, feats []string, product string) string {
	n := 8 + r.IntN(9)
	words := make([]string, 0, n)
	for range n {
		x := r.Float64()
		switch {
		case x < 0.22:
			words = append(words, pick(r, main.nouns))
		case x < 0.30:
			words = append(words, pick(r, main.verbs))
		case x < 0.36 && second != nil:
			words = append(words, pick(r, second.nouns))
		case x < 0.40:
			words = append(words, feats[r.IntN(len(feats))])
		case x < 0.42:
			words = append(words, product)
		default:
			words = append(words, pick(r, filler))
		}
	}
	words[0] = capitalise(words[0])
	return strings.Join(words, " ") + "."
}

// Query returns the q-th question asked of tenant t, whose size is n
// articles, and the article it was made from: the title's words shuffled
// with one left out, or a fragment of one of its sentences, so that every
// question has answers in its tenant.
func (c Corpus) Query(t, n, q int) (text string, from int) {
	r := c.rng("query", t, q)
	from = r.IntN(n)
	a := c.Article(t, from)
	if r.IntN(2) == 0 {
		words := strings.Fields(strings.NewReplacer(":", "", "?", "").Replace(a.Title))
		r.Shuffle(len(words), func(i, j int) { words[i], words[j] = words[j], words[i] })
		if len(words) > 3 {
			words = words[:len(words)-1]
		}
		return strings.ToLower(strings.Join(words, " ")), from
	}
	var sentences []string
	for _, line := range strings.Split(a.Content, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		for _, s := range strings.Split(line, ". ") {
			if len(strings.Fields(s)) >= 6 {
				sentences = append(sentences, s)
			}
		}
	}
	if len(sentences) == 0 {
		return strings.ToLower(a.Title), from
	}
	// A fragment with at least two words of substance: one of filler
	// alone ("and the menu of your") asks nothing a reader would.
	for range 20 {
		words := strings.Fields(strings.Trim(sentences[r.IntN(len(sentences))], "."))
		size := min(len(words), 4+r.IntN(4))
		start := r.IntN(len(words) - size + 1)
		if frag := words[start : start+size]; substantive(frag) >= 2 {
			return strings.ToLower(strings.Join(frag, " ")), from
		}
	}
	return strings.ToLower(a.Title), from
}

var fillerWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range filler {
		m[w] = true
	}
	return m
}()

// substantive counts the words of a fragment that are not filler.
func substantive(words []string) int {
	n := 0
	for _, w := range words {
		if !fillerWords[strings.ToLower(w)] {
			n++
		}
	}
	return n
}

// Sizes splits articles over tenants: evenly, or skewed as real
// deployments are (a few large tenants, many small ones: tenant i gets a
// share in proportion to 1/(i+1)^0.8, so with 200 tenants the largest holds
// about a tenth). Every tenant gets at least one article when there are
// enough; the sizes sum to articles and come largest first.
func Sizes(articles, tenants int, skewed bool) []int {
	sizes := make([]int, tenants)
	if tenants == 0 {
		return sizes
	}
	weights := make([]float64, tenants)
	var sum float64
	for i := range weights {
		weights[i] = 1
		if skewed {
			weights[i] = 1 / math.Pow(float64(i+1), 0.8)
		}
		sum += weights[i]
	}
	left := articles
	floor := 0
	if articles >= tenants {
		floor = 1
	}
	for i, w := range weights {
		sizes[i] = max(floor, int(float64(articles)*w/sum))
		left -= sizes[i]
	}
	// What rounding left over (or took too much) goes to the largest first.
	for i := 0; left != 0; i = (i + 1) % tenants {
		if left > 0 {
			sizes[i]++
			left--
		} else if sizes[i] > floor {
			sizes[i]--
			left++
		}
	}
	return sizes
}

func pick(r *rand.Rand, s []string) string { return s[r.IntN(len(s))] }

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
