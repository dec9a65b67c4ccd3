package web

import "testing"

// TestSafeNext: after signing in, next may only lead to a page of the
// console (or of the contact's portal), never to another origin, however
// it is spelled.
func TestSafeNext(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		next, base, want string // want "" means refused
	}{
		{"/app", "/app", "/app"},
		{"/app/customers", "/app", "/app/customers"},
		{"/app/customers/1?tab=tasks", "/app", "/app/customers/1?tab=tasks"},
		{"/app/kb/../customers", "/app", "/app/customers"},
		{"/app/", "/app", "/app"},
		{"/portal/acme/projects/1", "/portal/acme", "/portal/acme/projects/1"},

		{"", "/app", ""},
		{"app", "/app", ""},
		{"//evil.example", "/app", ""},
		{"//evil.example/app", "/app", ""},
		{`/\evil.example`, "/app", ""},
		{`/app/../\evil.example`, "/app", ""},
		{`/app\..\..\evil.example`, "/app", ""},
		{"/app/..%2f..%2f/evil.example", "/app", ""},
		{"/app/%2e%2e/%2e%2e/evil", "/app", ""},
		{"/app/%5Cevil.example", "/app", ""},
		{"/app/%5cevil.example", "/app", ""},
		{"/app/%2F%2Fevil.example", "/app", ""},
		{"/app//evil.example", "/app", ""},
		{"https://evil.example", "/app", ""},
		{"https://evil.example/app", "/app", ""},
		{"http:/app", "/app", ""},
		{"javascript:alert(1)", "/app", ""},
		{"/app@evil.example", "/app", ""},
		{"/application", "/app", ""},
		{"/app/../portal/other", "/app", ""},
		{"/\t/evil.example", "/app", ""},
		{"/app\t/x", "/app", ""},
		{"/\n/evil.example", "/app", ""},
		{"/app/%09/x", "/app", ""},
		{"/app/%0d%0aLocation:%20//evil", "/app", ""},
		{"/app/\u0085x", "/app", ""},
		{"/portal/other/projects/1", "/portal/acme", ""},
		{"/portal/acme/../other", "/portal/acme", ""},
		{"/portal/acmecorp", "/portal/acme", ""},
	} {
		got, ok := safeNext(tc.next, tc.base)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("safeNext(%q, %q) = %q, %v; want %q", tc.next, tc.base, got, ok, tc.want)
		}
	}
}
