package ai

import (
	"context"
	"errors"
	"testing"
)

// countingEmbedder embeds a text as its length, counting the texts asked.
type countingEmbedder struct {
	asked int
	fail  bool
}

func (e *countingEmbedder) Model() string { return "counting" }

func (e *countingEmbedder) Embed(_ context.Context, texts []string) ([][]float32, error) {
	e.asked += len(texts)
	if e.fail {
		return nil, errors.New("unavailable")
	}
	out := make([][]float32, len(texts))
	for i, t := range texts {
		out[i] = []float32{float32(len(t))}
	}
	return out, nil
}

// TestQueryCache: a query asked again is not embedded again; the least
// recently used leaves when the cache is full; batches and failures are
// never kept; what a caller changes in its vector does not change the
// cache's.
func TestQueryCache(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	inner := &countingEmbedder{}
	c := NewQueryCache(inner, 2)
	if c.Model() != "counting" {
		t.Fatalf("model %q", c.Model())
	}
	embed := func(text string) float32 {
		t.Helper()
		v, err := c.Embed(ctx, []string{text})
		if err != nil || len(v) != 1 {
			t.Fatalf("embed %q: %v, %v", text, v, err)
		}
		return v[0][0]
	}
	first, again := embed("sso"), embed("sso")
	if first != 3 || again != 3 || inner.asked != 1 {
		t.Fatalf("the same query was embedded %d times, want once", inner.asked)
	}
	v, _ := c.Embed(ctx, []string{"sso"})
	v[0][0] = 99 // the caller's copy
	if embed("sso") != 3 {
		t.Fatal("a caller's change reached the cache")
	}
	embed("saml") // the cache: saml, sso
	embed("sso")  // sso, saml
	embed("okta") // okta, sso: saml leaves
	asked := inner.asked
	embed("sso")
	if inner.asked != asked {
		t.Error("a recently used query left the cache")
	}
	embed("saml")
	if inner.asked != asked+1 {
		t.Error("the least recently used query stayed in a full cache")
	}

	if _, err := c.Embed(ctx, []string{"a", "b"}); err != nil {
		t.Fatal(err)
	}
	asked = inner.asked
	if _, err := c.Embed(ctx, []string{"a", "b"}); err != nil || inner.asked != asked+2 {
		t.Error("a batch was kept")
	}

	inner.fail = true
	if _, err := c.Embed(ctx, []string{"down"}); err == nil {
		t.Fatal("a failure was hidden")
	}
	inner.fail = false
	asked = inner.asked
	embed("down")
	if inner.asked != asked+1 {
		t.Error("a failure was kept")
	}
}
