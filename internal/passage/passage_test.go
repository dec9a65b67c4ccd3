package passage_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/onboardiq/onboardiq/internal/passage"
)

func words(n int, w string) string { return strings.TrimSpace(strings.Repeat(w+" ", n)) }

type got struct {
	Path   string
	Anchor string
	Words  int
	Starts string
}

func summary(ps []passage.Passage) []got {
	var out []got
	for i, p := range ps {
		if p.Ordinal != i || p.Title != "Single sign-on" {
			panic("ordinal or title")
		}
		first, _, _ := strings.Cut(p.Text, "\n")
		out = append(out, got{strings.Join(p.Path, " › "), p.Anchor, p.Words, first[:min(len(first), 12)]})
	}
	return out
}

func TestSplit(t *testing.T) {
	steps := "1. Open **Settings → Security**.\n2. Choose *SAML*.\n\n   Paste the metadata URL.\n3. Save, then sign in again."
	code := "```\n# not a heading\nkubectl apply -f sso.yaml\n```"
	long := func(n int) string {
		var ps []string
		for i := range n {
			ps = append(ps, words(100, "word"+string(rune('a'+i))))
		}
		return strings.Join(ps, "\n\n")
	}
	for _, c := range []struct {
		name string
		md   string
		want []got
	}{
		{"empty", "", nil},
		{"before the first heading, then nested headings",
			"Intro text.\n\n# Single sign-on\n\nWhat it is.\n\n## Set up SAML\n\n" + steps + "\n\n## Set up OIDC\n\nUse the client id.\n\n# Other\n\nMore.",
			[]got{{"", "", 2, "Intro text."}, {"Single sign-on", "sec-single-sign-on", 6, "# Single sig"},
				{"Single sign-on › Set up SAML", "sec-set-up-saml", 20, "## Set up SA"}, {"Single sign-on › Set up OIDC", "sec-set-up-oidc", 7, "## Set up OI"},
				{"Other", "sec-other", 2, "# Other"}}},
		{"a code block's # lines are no headings", "## Deploy\n\n" + code + "\n\nDone.",
			[]got{{"Deploy", "sec-deploy", 10, "## Deploy"}}},
		{"a long section is cut between paragraphs; a short tail joins the part before",
			"## Long\n\n" + long(5) + "\n\nShort tail.",
			[]got{{"Long", "sec-long", 201, "## Long"}, {"Long", "sec-long", 302, "wordc wordc "}}},
		{"a list longer than the limit stays whole, with its heading",
			"## Steps\n\n" + strings.Repeat("- "+words(40, "step")+"\n", 10),
			[]got{{"Steps", "sec-steps", 401, "## Steps"}}},
		{"the same heading twice gets its own anchor", "## FAQ\n\nA.\n\n## FAQ\n\nB.\r\n",
			[]got{{"FAQ", "sec-faq", 2, "## FAQ"}, {"FAQ", "sec-faq-1", 2, "## FAQ"}}},
	} {
		if diff := cmp.Diff(c.want, summary(passage.Split("Single sign-on", c.md))); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.name, diff)
		}
	}
	// The steps come out whole, their continuation line included.
	ps := passage.Split("Single sign-on", "## Set up SAML\n\n"+steps+"\n\nAfter the list.")
	if len(ps) != 1 || !strings.Contains(ps[0].Text, steps) || ps[0].Heading() != "Set up SAML" {
		t.Errorf("steps: %+v", ps)
	}
}

func TestAnchor(t *testing.T) {
	seen := map[string]int{}
	for in, want := range map[string]string{"Set up SAML (Okta)": "sec-set-up-saml-okta", "Étape 2 — vérifier": "sec-étape-2-vérifier", "!!!": "sec-section"} {
		if got := passage.Anchor(in, seen); got != want {
			t.Errorf("Anchor(%q) = %q, want %q", in, got, want)
		}
	}
}
