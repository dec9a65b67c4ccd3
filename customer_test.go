package onboardiq

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestCheckContactInfo: the contact details are normalised or refused
// naming their key; other keys pass as sent.
func TestCheckContactInfo(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in    map[string]any
		want  map[string]any
		field string
	}{
		{nil, map[string]any{}, ""},
		{map[string]any{"email": " Ops@Globex.Example ", "website": "globex.example/about", "phone": "+1 (555) 0100 x 12", "address": " 1 Main St ", "industry": "Logistics", "employees": 1200},
			map[string]any{"email": "ops@globex.example", "website": "https://globex.example/about", "phone": "+1 (555) 0100 x 12", "address": "1 Main St", "industry": "Logistics", "employees": 1200}, ""},
		{map[string]any{"email": "", "phone": "  ", "website": nil, "address": "x"}, map[string]any{"address": "x"}, ""},
		{map[string]any{"phone": "555-0100 ext. 7"}, map[string]any{"phone": "555-0100 ext. 7"}, ""},
		{map[string]any{"website": "http://localhost:8080"}, map[string]any{"website": "http://localhost:8080"}, ""},
		{map[string]any{"email": "ops@"}, nil, "contact_info.email"},
		{map[string]any{"email": []any{"a@b.c"}}, nil, "contact_info.email"},
		{map[string]any{"phone": "call us"}, nil, "contact_info.phone"},
		{map[string]any{"phone": "1 2"}, nil, "contact_info.phone"},
		{map[string]any{"phone": "555 0100 ext"}, nil, "contact_info.phone"},
		{map[string]any{"phone": "+1 555 0100 0100 0100 0100 0100 0100 0100 0100"}, nil, "contact_info.phone"},
		{map[string]any{"website": "javascript:alert(1)"}, nil, "contact_info.website"},
		{map[string]any{"website": "https://user:pw@globex.example"}, nil, "contact_info.website"},
		{map[string]any{"website": "https://globex example"}, nil, "contact_info.website"},
		{map[string]any{"address": 42}, nil, "contact_info.address"},
	} {
		got, err := CheckContactInfo(tc.in)
		if tc.field != "" {
			if ErrorCode(err) != EINVALID || ErrorField(err) != tc.field {
				t.Errorf("%v: %v, want invalid %s", tc.in, err, tc.field)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v: %v", tc.in, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%v (-want +got):\n%s", tc.in, diff)
		}
	}
	// The input is not changed.
	in := map[string]any{"email": "A@B.example"}
	if _, err := CheckContactInfo(in); err != nil || in["email"] != "A@B.example" {
		t.Errorf("the input changed: %v %v", in, err)
	}
}
