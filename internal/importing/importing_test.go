package importing_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/csvin"
	"github.com/onboardiq/onboardiq/internal/importing"
)

func TestNumber(t *testing.T) {
	for in, want := range map[string]float64{
		"12000": 12000, "12,000.50": 12000.5, "12.000,50": 12000.5, "12000,5": 12000.5, "1,500": 1500, "1,5": 1.5,
		"$ 12 000": 12000, "€1.234.567,89": 1234567.89, "1,234,567": 1234567, "0": 0, "-3.5": -3.5,
	} {
		if got, err := importing.Number(in); err != nil || got != want {
			t.Errorf("Number(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"lots", "1e9", "NaN", "Inf", "0x10", "", "1.2.3,4,5"} {
		if got, err := importing.Number(in); err == nil {
			t.Errorf("Number(%q) = %v, want an error", in, got)
		}
	}
}

func parse(t *testing.T, kind onboardiq.ImportKind, file string, mapping map[string]string) *importing.File {
	t.Helper()
	tb, err := csvin.Read(strings.NewReader(file), csvin.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	f, err := importing.Parse(tb, onboardiq.ImportOptions{Kind: kind, Mapping: mapping})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func problems(f *importing.File) []string {
	var out []string
	for _, p := range f.Report.Problems {
		out = append(out, p.String())
	}
	return out
}

// TestParseCustomers: rows of one customer merge their contacts; a row
// that contradicts the first is a problem on its line; bad values name
// their column.
func TestParseCustomers(t *testing.T) {
	f := parse(t, onboardiq.ImportCustomers, "Company,ID,ARR,Contact,Email\n"+
		"Acme,A-1,100,Ann,ann@acme.test\n"+
		"Acme,A-1,,Bob,BOB@acme.test\n"+
		"Acme,A-1,200,,\n"+
		"Globex,,x,,\n"+
		"Initech,,,Ivan,\n", nil)
	want := []string{
		"line 4, column 3 (ARR): the customer of line 2 has another arr there",
		`line 5, column 3 (ARR): must be a number such as 12000 or 12,000.50, not "x"`,
		"line 6, column 5 (Email): is needed with contact_name",
	}
	if diff := cmp.Diff(want, problems(f)); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	if len(f.Records) != 1 || len(f.Records[0].Also) != 1 || f.Records[0].Also[0].Contact.Email != "bob@acme.test" || *f.Records[0].Customer.ARR != 100 {
		t.Fatalf("records: %+v", f.Records)
	}
}

// TestParseMapping: a mapping names a column by header or number, takes it
// from the field the guess gave it, and leaves a field without one.
func TestParseMapping(t *testing.T) {
	f := parse(t, onboardiq.ImportUsers, "Email,Name,Kind,Other\nann@x.test,Ann,csm,viewer\n",
		map[string]string{"role": "#4", "name": ""})
	if diff := cmp.Diff(map[string]string{"email": "Email", "role": "Other"}, f.Report.Mapping); diff != "" {
		t.Errorf("mapping (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"name"}, f.Report.Missing); diff != "" || len(f.Records) != 0 {
		t.Errorf("missing (-want +got):\n%s", diff)
	}
	f = parse(t, onboardiq.ImportUsers, "Email,Name,Role\nann@x.test,Ann,Customer Success\nann@x.test,Ann,csm\n", nil)
	// With the first row refused, the second is the first of its email.
	if diff := cmp.Diff([]string{"line 2, column 3 (Role): must be one of admin, csm, sales_leader, viewer, customer"}, problems(f)); diff != "" || len(f.Records) != 1 {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	f = parse(t, onboardiq.ImportUsers, "Email,Name,Role\nann@x.test,Ann,csm\nANN@x.test,Ann,viewer\n", nil)
	if diff := cmp.Diff([]string{"line 3: the same email as line 2"}, problems(f)); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	tb, _ := csvin.Read(strings.NewReader("a\n1\n"), csvin.Limits{})
	if _, err := importing.Parse(tb, onboardiq.ImportOptions{Kind: onboardiq.ImportUsers, Mapping: map[string]string{"email": "nope"}}); onboardiq.ErrorField(err) != "mapping" {
		t.Errorf("a mapping to no column: %v", err)
	}
}
