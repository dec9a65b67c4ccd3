package ai

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/onboardiq/onboardiq"
)

// Options configure the providers.
type Options struct {
	Embedder       string // local or openai
	EmbeddingModel string
	LLM            string // local, openai or anthropic
	LLMModel       string
	OpenAIBaseURL  string // any OpenAI-compatible server: OpenAI, Azure, Ollama, vLLM, llama.cpp, LM Studio
	OpenAIAPIKey   string // empty for local servers: then no Authorization header is sent
	AnthropicKey   string
	AnthropicURL   string // for tests
	Timeout        time.Duration
	MaxRetries     int // on connection errors, 429 and 5xx, with backoff
	HTTPClient     *http.Client
}

// openAIClient calls an OpenAI-compatible server.
type openAIClient struct {
	caller
	baseURL string
}

func (o Options) openAIClient() openAIClient {
	base := strings.TrimRight(o.OpenAIBaseURL, "/")
	if base == "" {
		base = "https://api.openai.com/v1"
	}
	header := http.Header{}
	// Local servers (Ollama, llama.cpp) want no key and get no header.
	if o.OpenAIAPIKey != "" {
		header.Set("Authorization", "Bearer "+o.OpenAIAPIKey)
	}
	return openAIClient{caller: o.caller(header), baseURL: base}
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
	client openAIClient
	model  string
}

// Model names the provider and model.
func (e *openAIEmbedder) Model() string { return "openai/" + e.model }

type embeddingRequest struct {
	Model      string   `json:"model"`
	Input      []string `json:"input"`
	Dimensions int      `json:"dimensions,omitempty"`
}

type embeddingResponse struct {
	Data []struct {
		Index     int       `json:"index"`
		Embedding []float32 `json:"embedding"`
	} `json:"data"`
}

// Embed embeds texts in one request.
func (e *openAIEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	req := embeddingRequest{Model: e.model, Input: texts}
	if strings.HasPrefix(e.model, "text-embedding-3") {
		req.Dimensions = onboardiq.EmbeddingDimensions
	}
	res, err := e.client.post(ctx, e.client.baseURL+"/embeddings", req)
	if err != nil {
		return nil, fmt.Errorf("openai embeddings (%s): %w", e.model, err)
	}
	defer res.Body.Close()
	var resp embeddingResponse
	if err := json.NewDecoder(res.Body).Decode(&resp); err != nil {
		return nil, fmt.Errorf("openai embeddings (%s): read the answer: %w", e.model, err)
	}
	if len(resp.Data) != len(texts) {
		return nil, fmt.Errorf("openai embeddings (%s): %d vectors for %d texts", e.model, len(resp.Data), len(texts))
	}
	out := make([][]float32, len(texts))
	for _, d := range resp.Data {
		if d.Index < 0 || d.Index >= len(texts) || out[d.Index] != nil {
			return nil, fmt.Errorf("openai embeddings (%s): index %d out of range or repeated", e.model, d.Index)
		}
		if len(d.Embedding) != onboardiq.EmbeddingDimensions {
			return nil, fmt.Errorf("openai embeddings: model %s returns %d dimensions; OnboardIQ stores %d (choose a %d-dimension model, or a text-embedding-3 model)",
				e.model, len(d.Embedding), onboardiq.EmbeddingDimensions, onboardiq.EmbeddingDimensions)
		}
		out[d.Index] = normalise(d.Embedding)
	}
	return out, nil
}
