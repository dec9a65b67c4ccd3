package api_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// jsonOfSize is a JSON object {"name": "aaa…"} of exactly n bytes.
func jsonOfSize(n int) json.RawMessage {
	const frame = `{"name":""}`
	return json.RawMessage(`{"name":"` + strings.Repeat("a", n-len(frame)) + `"}`)
}

// TestOversizedBody: a body over 1 MiB (docs/api.md) answers 413, for every
// operation that takes one, and changes nothing; one just under the limit is
// read (and here refused for what it says, not for its size).
func TestOversizedBody(t *testing.T) {
	t.Parallel()
	e, _ := operatorEnv(t) // the operators' routes need an operator token
	seedMatrix(t, e)
	ops := specOperations(t)
	withBody := 0
	for _, op := range ops {
		if _, open := unauthenticated[op.method+" "+op.path]; !op.hasBody || open {
			// The signed inbound webhook refuses before reading the body
			// (inbound_test.go, TestInboundEmailWebhook).
			continue
		}
		if op.method+" "+op.path == "POST /imports" {
			// A CSV file of up to 50 MB: TestImportsAPI sends one past it.
			continue
		}
		withBody++
		// The operation's row in the matrix tells a path to send it to.
		var path string
		for _, r := range routes {
			if m, ok := matchOperation(ops, r.method, r.path(e)); ok && m == op {
				path = r.path(e)
				break
			}
		}
		if path == "" {
			t.Errorf("%s %s: no matrix row to take a path from", op.method, op.path)
			continue
		}
		before := e.snapshot(t)
		status, out := e.do(t, callerOf(path), op.method, path, jsonOfSize(1<<20+1))
		if status != 413 || !strings.Contains(string(out), `"status":413`) {
			t.Errorf("%s %s with a body of 1 MiB + 1 byte: %d %.300s; want a 413 problem", op.method, path, status, out)
		}
		if diff := cmp.Diff(before, e.snapshot(t)); diff != "" {
			t.Errorf("%s %s with an oversized body changed data (-before +after):\n%s", op.method, path, diff)
		}
	}
	if withBody < 20 {
		t.Errorf("only %d operations take a body", withBody)
	}

	// Under the limit the body is read: the name is refused as too long.
	before := e.snapshot(t)
	status, out := e.do(t, "admin", "POST", "/customers", jsonOfSize(1<<20-1024))
	if status != 422 || !strings.Contains(string(out), `"location":"body.name"`) {
		t.Errorf("POST /customers with a body just under 1 MiB: %d %.300s; want 422 naming body.name", status, out)
	}
	if diff := cmp.Diff(before, e.snapshot(t)); diff != "" {
		t.Errorf("a refused customer changed data:\n%s", diff)
	}
}
