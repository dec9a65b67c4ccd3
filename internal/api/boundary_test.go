package api_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
)

// bodyField is a property of an operation's JSON body, from the document.
type bodyField struct {
	name, format string
	isString     bool
}

// bodyFields reads the top-level properties of each operation's request
// body from the OpenAPI document, keyed "METHOD /path".
func bodyFields(t *testing.T) map[string][]bodyField {
	t.Helper()
	type schema struct {
		Ref        string             `json:"$ref"`
		Type       any                `json:"type"`
		Format     string             `json:"format"`
		Properties map[string]*schema `json:"properties"`
	}
	var doc struct {
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Schemas map[string]*schema `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(openAPIDoc(t, "/api/v1/openapi.json"), &doc); err != nil {
		t.Fatal(err)
	}
	resolve := func(s *schema) *schema {
		for s != nil && s.Ref != "" {
			s = doc.Components.Schemas[strings.TrimPrefix(s.Ref, "#/components/schemas/")]
		}
		return s
	}
	out := map[string][]bodyField{}
	for path, item := range doc.Paths {
		for method, raw := range item {
			var op struct {
				RequestBody struct {
					Content map[string]struct {
						Schema *schema `json:"schema"`
					} `json:"content"`
				} `json:"requestBody"`
			}
			if err := json.Unmarshal(raw, &op); err != nil {
				continue // not an operation
			}
			s := resolve(op.RequestBody.Content["application/json"].Schema)
			if s == nil {
				continue
			}
			for name, p := range s.Properties {
				p = resolve(p)
				str := p.Type == "string"
				if types, ok := p.Type.([]any); ok {
					str = slices.Contains(types, any("string"))
				}
				out[strings.ToUpper(method)+" "+path] = append(out[strings.ToUpper(method)+" "+path], bodyField{name, p.Format, str})
			}
		}
	}
	return out
}

// TestBadTextAndTimesAtTheBoundary: for every operation of the document
// that takes a body, each string property sent with a NUL character or with
// bytes that are not UTF-8, and each date-time property sent with a time in
// the year 10000 (after its zone is applied) or 1969, answers 422 naming the
// property and changes nothing. New operations are covered as they are
// added.
func TestBadTextAndTimesAtTheBoundary(t *testing.T) {
	t.Parallel()
	e, _ := operatorEnv(t) // the operators' routes need an operator token
	seedMatrix(t, e)
	ops := specOperations(t)
	fields := bodyFields(t)
	before := e.snapshot(t)
	strs, times := 0, 0
	for _, op := range ops {
		if _, open := unauthenticated[op.method+" "+op.path]; !op.hasBody || open {
			// The signed inbound webhook refuses before reading the body
			// (inbound_test.go, TestInboundEmailWebhook).
			continue
		}
		var path string
		for _, r := range routes {
			if m, ok := matchOperation(ops, r.method, r.path(e)); ok && m == op {
				path = r.path(e)
				break
			}
		}
		for _, f := range fields[op.method+" "+op.path] {
			if !f.isString {
				continue
			}
			bodies := map[string][]byte{
				"NUL":           []byte(`{"` + f.name + `":"a\u0000b"}`),
				"invalid UTF-8": []byte("{\"" + f.name + "\":\"a\xff\xfeb\"}"),
			}
			if f.format == "date-time" {
				times++
				bodies["year 10000"] = []byte(`{"` + f.name + `":"9999-12-31T23:30:00-01:00"}`)
				bodies["year 1969"] = []byte(`{"` + f.name + `":"1969-12-31T23:00:00Z"}`)
			} else {
				strs++
			}
			for what, body := range bodies {
				status, out := e.do(t, callerOf(path), op.method, path, body)
				if status != 422 || !strings.Contains(string(out), `"location":"body.`+f.name+`"`) {
					t.Errorf("%s %s with %s in %s: %d %.300s; want 422 naming body.%s", op.method, path, what, f.name, status, out, f.name)
				}
			}
		}
	}
	if strs < 30 || times < 4 {
		t.Errorf("only %d string and %d time properties were tried", strs, times)
	}
	// Inside arrays and objects too, named by their path.
	status, out := e.do(t, "admin", "POST", "/templates", []byte(`{"name":"T","tasks":[{"phase":"P","description":"ok"},{"phase":"P","description":"x\u0000"}]}`))
	if status != 422 || !strings.Contains(string(out), `"location":"body.tasks[1].description"`) {
		t.Errorf("NUL in the second task: %d %s", status, out)
	}
	status, out = e.do(t, "admin", "POST", "/customers", []byte(`{"name":"C","contact_info":{"phone":"1\u0000"}}`))
	if status != 422 || !strings.Contains(string(out), `"location":"body.contact_info.phone"`) {
		t.Errorf("NUL in contact_info: %d %s", status, out)
	}
	if diff := cmp.Diff(before, e.snapshot(t)); diff != "" {
		t.Errorf("refused input changed data (-before +after):\n%s", diff)
	}

	// Query parameters: the same check, named by the parameter.
	for _, q := range []string{"q=a%00b", "q=%ff%fe", "cursor=%00", "limit%00=1"} {
		status, out := e.do(t, "admin", "GET", "/kb/search?"+q, nil)
		if status != 422 || !strings.Contains(string(out), `"location":"query`) {
			t.Errorf("GET /kb/search?%s: %d %s; want 422 naming the parameter", q, status, out)
		}
	}
	// A good time near the edges is kept.
	status, out = e.do(t, "admin", "POST", "/projects", map[string]any{"customer_id": e.c1, "name": "Edge", "start_date": "2026-01-01T00:00:00Z", "deadline": "9999-12-31T00:00:00Z"})
	if status != 201 {
		t.Errorf("a deadline in 9999: %d %s", status, out)
	}
	status, out = e.do(t, "admin", "GET", "/projects", nil)
	if status != 200 || !json.Valid(out) {
		t.Errorf("GET /projects: %d %.300s", status, out)
	}
}

// TestUnencodableValueIsA500: a value that cannot be written as JSON (a
// year past 9999, stored by some other path) makes the API answer a 500
// problem, never a 200 with a broken body.
func TestUnencodableValueIsA500(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, e.db.SuperURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `UPDATE projects SET deadline = '10000-01-01T00:00:00Z' WHERE project_id = $1`, e.p1); err != nil {
		t.Fatal(err)
	}
	status, out := e.do(t, "admin", "GET", "/projects", nil)
	var problem struct {
		Status int `json:"status"`
	}
	if status != 500 || json.Unmarshal(out, &problem) != nil || problem.Status != 500 {
		t.Errorf("GET /projects with a year-10000 deadline: %d %.300s; want a 500 problem", status, out)
	}
}
