package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/onboardiq/onboardiq/internal/server"
)

// downEmbedder is an embedding model that cannot be reached.
type downEmbedder struct{}

func (downEmbedder) Model() string { return "down-v1" }
func (downEmbedder) Embed(context.Context, []string) ([][]float32, error) {
	return nil, errors.New("connection refused")
}

// TestSearchWithoutEmbedder: while the embedding model is down, hybrid
// search falls back to keyword search, and semantic search, which has
// nothing to fall back to, answers 503 with Retry-After, saying what to do.
func TestSearchWithoutEmbedder(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	srv := httptest.NewServer(server.New(server.Options{DB: e.db.App, Embedder: downEmbedder{}, Logger: slog.New(slog.DiscardHandler), BaseURL: "http://test", Version: "test"}))
	defer srv.Close()
	get := func(query string) (*http.Response, []byte) {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/v1/kb/search?"+query, nil)
		req.Header.Set("Authorization", "Bearer "+e.tokens["admin"])
		resp, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, body
	}
	resp, body := get("q=public+article&mode=hybrid")
	var out struct {
		Mode string `json:"mode"`
		Hits []struct {
			Title string `json:"title"`
		} `json:"hits"`
	}
	if resp.StatusCode != 200 || json.Unmarshal(body, &out) != nil || out.Mode != "keyword" || len(out.Hits) == 0 {
		t.Errorf("hybrid without an embedder: %d %s; want keyword hits", resp.StatusCode, body)
	}
	resp, body = get("q=public+article&mode=semantic")
	var problem struct {
		Status int    `json:"status"`
		Detail string `json:"detail"`
	}
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" || json.Unmarshal(body, &problem) != nil ||
		problem.Detail != "the embedding model is unavailable; try mode=keyword" {
		t.Errorf("semantic without an embedder: %d %q %s; want 503 with Retry-After saying to try keyword", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
}
