// Package ai holds OnboardIQ's language tools: embedders (texts → 768-dim
// vectors) and chat models (messages → streamed text), the offline local
// versions of both, and the OpenAI-compatible and Anthropic providers.
package ai

import (
	"context"
	"math"
)

// Embedder turns texts into unit-length vectors of onboardiq.EmbeddingDimensions numbers. A
// text with nothing to embed (only stop words or punctuation, for the
// local embedder) gives the zero vector, which the store never compares:
// its cosine similarity to anything is undefined.
type Embedder interface {
	// Model names the model, as stored beside each vector: a vector made
	// by another model is stale.
	Model() string
	Embed(ctx context.Context, texts []string) ([][]float32, error)
}

// normalise scales v to unit length (a zero vector stays zero).
func normalise(v []float32) []float32 {
	var sum float64
	for _, x := range v {
		sum += float64(x) * float64(x)
	}
	if sum == 0 {
		return v
	}
	inv := float32(1 / math.Sqrt(sum))
	for i := range v {
		v[i] *= inv
	}
	return v
}

// Cosine returns the cosine similarity of two vectors of equal length.
func Cosine(a, b []float32) float64 {
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return dot / math.Sqrt(na*nb)
}
