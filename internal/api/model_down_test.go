package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/onboardiq/onboardiq/internal/ai"
	"github.com/onboardiq/onboardiq/internal/server"
)

// downModel is a language model that cannot be reached.
type downModel struct{}

func (downModel) Provider() string { return "test" }
func (downModel) Model() string    { return "down" }
func (downModel) Stream(context.Context, ai.Request, func(string) error) (ai.Usage, error) {
	return ai.Usage{}, errors.New("dial tcp 10.0.0.9:443: connection refused")
}

// TestModelDown: a language model that fails is its own error (not told
// apart by its text): the API answers 502 saying so, without the
// provider's words, for an ask and for the staff tools, and the stream
// ends with an error event.
func TestModelDown(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	srv := httptest.NewServer(server.New(server.Options{DB: e.db.App, Chat: downModel{}, Logger: slog.New(slog.DiscardHandler), BaseURL: "http://test", Version: "test"}))
	defer srv.Close()
	call := func(path, body, accept string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1"+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+e.tokens["admin"])
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		resp, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	// A task in context makes the assistant call the model.
	for _, tc := range []struct{ path, body string }{
		{"/assistant/ask", `{"question":"What should happen next?","task_id":"` + e.t1.String() + `"}`},
		{"/tasks/" + e.t1.String() + "/troubleshoot", `{}`},
		{"/customers/" + e.c1.String() + "/summary", `{}`},
	} {
		status, body := call(tc.path, tc.body, "")
		var problem struct {
			Detail string `json:"detail"`
		}
		if status != 502 || json.Unmarshal([]byte(body), &problem) != nil || problem.Detail != "the language model failed to answer; try again" || strings.Contains(body, "10.0.0.9") {
			t.Errorf("POST %s with the model down: %d %s; want a 502 problem without the provider's words", tc.path, status, body)
		}
	}
	status, body := call("/assistant/ask", `{"question":"What should happen next?","task_id":"`+e.t1.String()+`"}`, "text/event-stream")
	if status != 200 || !strings.Contains(body, "event: error") || strings.Contains(body, "10.0.0.9") {
		t.Errorf("streamed ask with the model down: %d %s", status, body)
	}
}
