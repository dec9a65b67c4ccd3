package ai_test

import (
	"context"
	"strings"
	"testing"

	"github.com/onboardiq/onboardiq/internal/ai"
)

func answer(t *testing.T, req ai.Request) string {
	t.Helper()
	var b strings.Builder
	if _, err := (ai.Extractive{}).Stream(context.Background(), req, func(s string) error { b.WriteString(s); return nil }); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

var ssoPassages = []ai.Passage{
	{Heading: "Set up SSO", Anchor: "sec-set-up-sso", Text: "# Set up SSO\n\nWe support SAML 2.0 for every plan. This guide walks through it."},
	{Heading: "Set up SSO › Step 1: Copy the details", Anchor: "sec-step-1", Text: "## Step 1: Copy the details\n\n1. Go to **Settings → Security**.\n2. Click **Add connection**.\n   - **Entity ID:** `https://x.example/saml`\n3. Keep this page open."},
	{Heading: "Set up SSO › Good to know", Anchor: "sec-good-to-know", Text: "## Good to know\n\nSSO applies to verified domains only. Owners keep a password."},
	{Heading: "Set up SSO › Step 2: Test", Anchor: "sec-step-2", Text: "## Step 2: Test\n\n1. Click **Test connection**.\n2. Switch it to **Enabled**."},
}

// TestExtractiveQuotesTheSteps: asked how to do something, the offline
// responder quotes the article's numbered steps, each list whole and under
// its heading, in the article's order, not its opening lines; asked
// something else, it quotes the passage that shares the most words with
// the question.
func TestExtractiveQuotesTheSteps(t *testing.T) {
	t.Parallel()
	src := ai.Source{Type: "article", ID: "a1", Title: "SSO", Cite: true, Passages: ssoPassages, Text: "unused when passages are given"}
	got := answer(t, ai.Request{Question: "How do I set up SSO?", Sources: []ai.Source{src}})
	for _, want := range []string{
		"**Step 1: Copy the details**\n\n> 1. Go to **Settings → Security**.\n> 2. Click **Add connection**.\n>    - **Entity ID:** `https://x.example/saml`\n> 3. Keep this page open.",
		"**Step 2: Test**\n\n> 1. Click **Test connection**.\n> 2. Switch it to **Enabled**.",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the how-to answer does not quote\n%s\nin:\n%s", want, got)
		}
	}
	if strings.Index(got, "Step 1") > strings.Index(got, "Step 2") || strings.Contains(got, "walks through") || strings.Contains(got, "verified domains") {
		t.Errorf("the how-to answer quotes other passages or out of order:\n%s", got)
	}

	got = answer(t, ai.Request{Question: "Does SSO apply to every domain?", Sources: []ai.Source{src}})
	if !strings.Contains(got, "**Good to know**\n\n> SSO applies to verified domains only.") || strings.Contains(got, "Add connection") {
		t.Errorf("the answer to a question that is no how-to:\n%s", got)
	}
}

// TestExtractiveKeepsListsWhole: in a long passage, a list is one unit:
// the quote holds all of its items or none.
func TestExtractiveKeepsListsWhole(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("Filler sentence about nothing in particular here. ", 30)
	text := "## Rotate keys\n\n" + long + "\n\nTo rotate a key:\n\n1. Create a new key.\n2. Deploy it.\n3. Revoke the old key.\n\n" + long
	src := ai.Source{Type: "article", ID: "a1", Title: "Keys", Cite: true, Passages: []ai.Passage{{Heading: "Rotate keys", Text: text}}}
	got := answer(t, ai.Request{Question: "Should I revoke the old key after I deploy the new key?", Sources: []ai.Source{src}})
	if !strings.Contains(got, "> 1. Create a new key.\n> 2. Deploy it.\n> 3. Revoke the old key.") {
		t.Errorf("the list is not quoted whole:\n%s", got)
	}
}
