package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/go-cmp/cmp"

	"github.com/onboardiq/onboardiq/internal/api"
)

var update = flag.Bool("update", false, "rewrite the golden OpenAPI document")

func openAPIDoc(t *testing.T, path string) []byte {
	t.Helper()
	mux := http.NewServeMux()
	api.New(mux, api.Deps{Logger: slog.New(slog.DiscardHandler), Version: "test"})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	resp, err := http.Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("%s: %d %s", path, resp.StatusCode, b)
	}
	return b
}

// TestOpenAPIDocument validates the generated OpenAPI 3.1 document (and its
// 3.0 rendering) and compares it with the golden copy, so that every API
// change shows in review. Refresh with: go test ./internal/api -run OpenAPI -update
func TestOpenAPIDocument(t *testing.T) {
	t.Parallel()
	doc := openAPIDoc(t, "/api/v1/openapi.json")
	for path, raw := range map[string][]byte{"openapi.json": doc, "openapi-3.0.json": openAPIDoc(t, "/api/v1/openapi-3.0.json")} {
		loader := openapi3.NewLoader()
		spec, err := loader.LoadFromData(raw)
		if err != nil {
			t.Fatalf("%s: load: %v", path, err)
		}
		if err := spec.Validate(context.Background()); err != nil {
			t.Errorf("%s is not a valid OpenAPI document: %v", path, err)
		}
		if len(spec.Paths.Map()) < 15 {
			t.Errorf("%s has %d paths", path, len(spec.Paths.Map()))
		}
	}

	var pretty bytes.Buffer
	if err := json.Indent(&pretty, doc, "", "  "); err != nil {
		t.Fatal(err)
	}
	pretty.WriteByte('\n')
	const golden = "testdata/openapi.golden.json"
	if *update {
		if err := os.WriteFile(golden, pretty.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (create it with -update)", err)
	}
	if diff := cmp.Diff(string(want), pretty.String()); diff != "" {
		t.Errorf("the API changed; if that is intended, run go test ./internal/api -run OpenAPI -update (-golden +now):\n%s", diff)
	}
}
