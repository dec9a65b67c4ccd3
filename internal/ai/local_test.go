package ai_test

import (
	"context"
	"math"
	"testing"

	"github.com/onboardiq/onboardiq/internal/ai"

	"github.com/onboardiq/onboardiq"
)

func embed(t *testing.T, texts ...string) [][]float32 {
	t.Helper()
	v, err := ai.Local{}.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestLocalEmbedderIsDeterministicUnitLength(t *testing.T) {
	t.Parallel()
	a := embed(t, "How do I set up single sign-on with Okta?")[0]
	b := embed(t, "How do I set up single sign-on with Okta?")[0]
	if len(a) != onboardiq.EmbeddingDimensions {
		t.Fatalf("%d dimensions, want %d", len(a), onboardiq.EmbeddingDimensions)
	}
	var norm float64
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("dimension %d differs between runs: %v, %v", i, a[i], b[i])
		}
		norm += float64(a[i]) * float64(a[i])
	}
	if math.Abs(norm-1) > 1e-5 {
		t.Errorf("norm² = %v, want 1", norm)
	}
	if (ai.Local{}).Model() != ai.LocalModel {
		t.Error("model name")
	}
}

func TestLocalEmbedderPutsParaphrasesCloser(t *testing.T) {
	t.Parallel()
	cases := []struct{ text, paraphrase, unrelated string }{
		{"How do I set up SSO with Okta?", "Configuring single sign-on (SSO) through Okta", "Importing customer records from a CSV file"},
		{"Webhook signature verification fails", "Why do my webhook signatures not verify?", "Inviting colleagues and assigning roles"},
		{"The CSV import rejects my dates", "Importing data: date formats rejected in the CSV file", "Rotating API keys every 90 days"},
	}
	for _, c := range cases {
		v := embed(t, c.text, c.paraphrase, c.unrelated)
		para, other := ai.Cosine(v[0], v[1]), ai.Cosine(v[0], v[2])
		if para <= other {
			t.Errorf("%q: paraphrase %.3f, unrelated %.3f; want the paraphrase closer", c.text, para, other)
		}
	}
}

func TestStemAndTokenize(t *testing.T) {
	t.Parallel()
	if got := ai.Tokenize("Set-up SSO (SAML 2.0)!"); len(got) != 6 || got[0] != "set" || got[5] != "0" {
		t.Errorf("Tokenize: %q", got)
	}
	for in, want := range map[string]string{"importing": "import", "imported": "import", "imports": "import", "policies": "policy", "sso": "sso"} {
		if got := ai.Stem(in); got != want {
			t.Errorf("Stem(%q) = %q, want %q", in, got, want)
		}
	}
}
