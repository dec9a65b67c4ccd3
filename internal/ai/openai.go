package ai

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/onboardiq/onboardiq"
)

// Options configure the providers.
type Options struct {
	Embedder       string // local or openai
	EmbeddingModel string
	LLM            string // local, openai or anthropic
	LLMModel       string
	OpenAIBaseURL  string // any OpenAI-compatible server: OpenAI, Azure, Ollama, vLLM, llama.cpp, LM Studio
	OpenAIAPIKey   string
	AnthropicKey   string
	AnthropicURL   string // for tests
	Timeout        time.Duration
	MaxRetries     int // on 429 and 5xx, with backoff
	HTTPClient     *http.Client
}

func (o Options) openAIClient() openai.Client {
	opts := []option.RequestOption{option.WithMaxRetries(o.MaxRetries)}
	if o.OpenAIBaseURL != "" {
		opts = append(opts, option.WithBaseURL(o.OpenAIBaseURL))
	}
	// Local servers (Ollama, llama.cpp) want no key; the client needs one.
	key := o.OpenAIAPIKey
	if key == "" {
		key = "none"
	}
	opts = append(opts, option.WithAPIKey(key))
	if o.Timeout > 0 {
		opts = append(opts, option.WithRequestTimeout(o.Timeout))
	}
	if o.HTTPClient != nil {
		opts = append(opts, option.WithHTTPClient(o.HTTPClient))
	}
	return openai.NewClient(opts...)
}

// NewEmbedder returns the configured embedder.
func NewEmbedder(o Options) (Embedder, error) {
	switch o.Embedder {
	case "", "local":
		return Local{}, nil
	case "openai":
		model := o.EmbeddingModel
		if model == "" {
			model = "text-embedding-3-small"
		}
		return &openAIEmbedder{client: o.openAIClient(), model: model}, nil
	}
	return nil, fmt.Errorf("ai: unknown embedder %q", o.Embedder)
}

// openAIEmbedder calls an OpenAI-compatible /embeddings endpoint. OpenAI's
// text-embedding-3 models are asked for 768 dimensions; other models must
// produce 768 of their own (nomic-embed-text does).
type openAIEmbedder struct {
	client openai.Client
	model  string
}

// Model names the provider and model.
func (e *openAIEmbedder) Model() string { return "openai/" + e.model }

// Embed embeds texts in one request.
func (e *openAIEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	params := openai.EmbeddingNewParams{
		Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: texts},
		Model: e.model,
	}
	if strings.HasPrefix(e.model, "text-embedding-3") {
		params.Dimensions = openai.Int(onboardiq.EmbeddingDimensions)
	}
	resp, err := e.client.Embeddings.New(ctx, params)
	if err != nil {
		return nil, openAIError("openai embeddings", e.model, err)
	}
	if len(resp.Data) != len(texts) {
		return nil, fmt.Errorf("openai embeddings (%s): %d vectors for %d texts", e.model, len(resp.Data), len(texts))
	}
	out := make([][]float32, len(texts))
	for _, d := range resp.Data {
		if d.Index < 0 || int(d.Index) >= len(texts) {
			return nil, fmt.Errorf("openai embeddings (%s): index %d out of range", e.model, d.Index)
		}
		if len(d.Embedding) != onboardiq.EmbeddingDimensions {
			return nil, fmt.Errorf("openai embeddings: model %s returns %d dimensions; OnboardIQ stores %d (choose a %d-dimension model, or a text-embedding-3 model)",
				e.model, len(d.Embedding), onboardiq.EmbeddingDimensions, onboardiq.EmbeddingDimensions)
		}
		v := make([]float32, onboardiq.EmbeddingDimensions)
		for i, x := range d.Embedding {
			v[i] = float32(x)
		}
		out[d.Index] = normalise(v)
	}
	return out, nil
}
