package postgres

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// credentialWrite matches a statement that can change what a kept
// credential stands for (credentials.go): a change to a token, a session,
// a user, a workspace or its branding, or a customer's deletion (its
// contacts go with it).
var credentialWrite = regexp.MustCompile(`(?is)\b(UPDATE\s+(api_tokens|web_sessions|tenant_users|tenants|tenant_branding)\b` +
	`|DELETE\s+FROM\s+(api_tokens|web_sessions|tenant_users|tenants|tenant_branding|customers)\b` +
	`|INSERT\s+INTO\s+tenant_branding\b)`)

// announcers are the calls that announce a credential change: the
// announcement itself, and the helpers that always make it.
var announcers = []string{"credentialsChanged", "endCredentials", "changeTenant", "RevokeTokensNamed"}

// notCredentials are the functions whose writes to those tables touch
// nothing a kept credential holds, and why.
var notCredentials = map[string]string{
	"SetBudget":               "the AI budget",
	"SetHealthSettings":       "health settings",
	"RecomputeHealth":         "when health was last computed",
	"QueueDigests":            "the day's digest",
	"SetJourneySettings":      "journey settings",
	"HideSetupChecklist":      "the setup checklist",
	"provision":               "a workspace just created: nothing of it is kept yet",
	"CreateToken":             "the expiry of a token just created: it is not kept yet",
	"ScheduleTenantDeletion":  "the deletion date: a workspace is refused only once deleted",
	"SetNotificationSettings": "notification settings",
	"SetUsageSettings":        "usage retention",
	"SetSurveySettings":       "survey settings",
	"IndexUnindexedArticles":  "the search index's mark",
	"createDefaultPlaybooks":  "the playbooks' seeding mark",
	"markUndeliverable":       "a contact's undeliverable address",
	"setTimeZone":             "a contact's time zone",
	"flushTouches":            "when a credential was last used",
}

// TestEveryCredentialWriteNotifies: every function of the store that writes
// what a credential stands for announces it (or is listed above with the
// reason it need not), so no server keeps serving a credential that a
// change ended. It reads the source: a statement added without the
// announcement fails here.
func TestEveryCredentialWriteNotifies(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	listed := map[string]bool{}
	found := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			if g, ok := decl.(*ast.GenDecl); ok {
				ast.Inspect(g, func(n ast.Node) bool {
					if s := stringLit(n); s != "" && credentialWrite.MatchString(s) {
						t.Errorf("%s: a package-level statement writes credentials (%q): write it inside the function that announces it", fset.Position(n.Pos()), statementHead(s))
					}
					return true
				})
				continue
			}
			fn := decl.(*ast.FuncDecl)
			if fn.Body == nil {
				continue
			}
			var writes []string
			announces := false
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				if s := stringLit(n); s != "" && credentialWrite.MatchString(s) {
					writes = append(writes, statementHead(credentialWrite.FindString(s)))
				}
				if id, ok := n.(*ast.Ident); ok && slices.Contains(announcers, id.Name) {
					announces = true
				}
				return true
			})
			if len(writes) == 0 {
				continue
			}
			found++
			if _, ok := notCredentials[fn.Name.Name]; ok {
				listed[fn.Name.Name] = true
				continue
			}
			if !announces {
				t.Errorf("%s: %s writes %q but does not call tx.credentialsChanged", fset.Position(fn.Pos()), fn.Name.Name, writes)
			}
		}
	}
	if found < 10 {
		t.Fatalf("found only %d functions writing credentials: is the pattern still right?", found)
	}
	for name := range notCredentials {
		if !listed[name] {
			t.Errorf("notCredentials lists %s, which writes no credential table (any more): remove it", name)
		}
	}
}

func stringLit(n ast.Node) string {
	lit, ok := n.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return ""
	}
	s, err := strconv.Unquote(lit.Value)
	if err != nil {
		return ""
	}
	return s
}

func statementHead(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
