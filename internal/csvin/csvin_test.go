package csvin

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

	"github.com/onboardiq/onboardiq"
)

func encode(t testing.TB, e encoding.Encoding, s string) string {
	t.Helper()
	b, err := e.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func rows(t *Table) [][]string {
	var out [][]string
	for _, r := range t.Rows {
		out = append(out, r.Fields)
	}
	return out
}

func lines(t *Table) []int {
	var out []int
	for _, r := range t.Rows {
		out = append(out, r.Line)
	}
	return out
}

func TestReadEncodings(t *testing.T) {
	t.Parallel()
	const text = "name,city\r\nZoë Œuvre,Köln €\r\n"
	want := [][]string{{"Zoë Œuvre", "Köln €"}}
	for _, c := range []struct {
		name, in, enc string
	}{
		{"utf-8", text, "utf-8"},
		{"utf-8 with mark", "\xEF\xBB\xBF" + text, "utf-8-bom"},
		{"utf-16le", encode(t, unicode.UTF16(unicode.LittleEndian, unicode.UseBOM), text), "utf-16le"},
		{"utf-16be", encode(t, unicode.UTF16(unicode.BigEndian, unicode.UseBOM), text), "utf-16be"},
		{"windows-1252", encode(t, charmap.Windows1252, text), "windows-1252"},
		{"utf-8 mark then 1252", "\xEF\xBB\xBF" + encode(t, charmap.Windows1252, text), "windows-1252"},
		{"two marks", "\xEF\xBB\xBF\xEF\xBB\xBF" + text, "utf-8-bom"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			tb, err := Read(strings.NewReader(c.in), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if tb.Encoding != c.enc {
				t.Errorf("encoding %q, want %q", tb.Encoding, c.enc)
			}
			if d := cmp.Diff([]string{"name", "city"}, tb.Header); d != "" {
				t.Errorf("header (-want +got):\n%s", d)
			}
			if d := cmp.Diff(want, rows(tb)); d != "" {
				t.Errorf("rows (-want +got):\n%s", d)
			}
			if d := cmp.Diff([]int{2}, lines(tb)); d != "" {
				t.Errorf("lines (-want +got):\n%s", d)
			}
		})
	}
}

func TestReadDelimiters(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, in string
		delim    rune
		want     [][]string
	}{
		{"comma", "a,b,c\n1,2,3\n", ',', [][]string{{"1", "2", "3"}}},
		{"semicolon with decimal commas", "name;amount\nAcme;1,5\nBeta;2,5\n", ';', [][]string{{"Acme", "1,5"}, {"Beta", "2,5"}}},
		{"tab", "a\tb\n1\t\n\t2\n", '\t', [][]string{{"1", ""}, {"", "2"}}},
		{"pipe", "a|b\n\"x|y\"|z\n", '|', [][]string{{"x|y", "z"}}},
		{"comma inside quotes is not counted", "a;b\n\"1,2,3\";x\n\"4,5,6\";y\n", ';', [][]string{{"1,2,3", "x"}, {"4,5,6", "y"}}},
		{"one column", "email\na@example.com\nb@example.com\n", ',', [][]string{{"a@example.com"}, {"b@example.com"}}},
		{"tie goes to the comma", "a,b;c\n1,2;3\n", ',', [][]string{{"1", "2;3"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			tb, err := Read(strings.NewReader(c.in), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if tb.Delimiter != c.delim {
				t.Errorf("delimiter %q, want %q", tb.Delimiter, c.delim)
			}
			if d := cmp.Diff(c.want, rows(tb)); d != "" {
				t.Errorf("rows (-want +got):\n%s", d)
			}
			if len(tb.Problems) != 0 {
				t.Errorf("problems: %v", tb.Problems)
			}
		})
	}
}

func TestReadQuotes(t *testing.T) {
	t.Parallel()
	in := "name,notes,n\r\n" +
		"\"Acme, Inc.\",\"line one\r\nline two\",1\r\n" + // a quoted CRLF reads as \n
		"\"Say \"\"hi\"\"\",  \"  padded  \"  ,2\r\n" + // spaces before a quote go, inside stay
		"\r\n" + // an empty line is skipped
		",,\r\n" + // so is a row of empty fields
		"Beta,\"\",3 \r\n" // a trailing space stays
	tb, err := Read(strings.NewReader(in), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"Acme, Inc.", "line one\nline two", "1"},
		{"Say \"hi\"", "  padded  ", "2"},
		{"Beta", "", "3 "},
	}
	if len(tb.Problems) == 0 {
		// `"  padded  "  ,` has text after the closing quote: a problem.
		t.Fatalf("want a problem for the spaces after a closing quote")
	}
	if d := cmp.Diff([][]string{want[0], want[2]}, rows(tb)); d != "" {
		t.Errorf("rows (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]int{2, 7}, lines(tb)); d != "" {
		t.Errorf("lines (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]Problem{{Line: 4, Column: 2, Field: "notes", Message: tb.Problems[0].Message}}, tb.Problems); d != "" {
		t.Errorf("problems (-want +got):\n%s", d)
	}

	tb, err = Read(strings.NewReader("a,b\n\"Say \"\"hi\"\"\",  \"  padded  \"\n"), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([][]string{{"Say \"hi\"", "  padded  "}}, rows(tb)); d != "" {
		t.Errorf("rows (-want +got):\n%s", d)
	}
}

func TestReadProblems(t *testing.T) {
	t.Parallel()
	in := "name,email,plan\n" + // 1
		"Acme,a@acme.test,pro\n" + // 2
		"Beta,b@beta.test\n" + // 3: short
		"\"Gamma\nGroup\",g@gamma.test,pro\n" + // 4-5: a quoted newline
		"Delta,d@delta.test,pro,extra\n" + // 6: long
		"Eps\"ilon,e@eps.test,pro\n" + // 7: bare quote in column 1
		"Zeta,\"z@zeta.test\"x,pro\n" + // 8: text after a closing quote in column 2
		"Eta,\"h@eta\n.test\"x,pro\n" + // 9-10: broken quote after a newline
		"Theta,t@theta.test,pro\n" // 11
	tb, err := Read(strings.NewReader(in), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]int{2, 3, 4, 6, 11}, lines(tb)); d != "" {
		t.Errorf("row lines (-want +got):\n%s", d)
	}
	type at struct {
		Line, Column int
		Field        string
	}
	var got []at
	for _, p := range tb.Problems {
		got = append(got, at{p.Line, p.Column, p.Field})
		if p.Message == "" {
			t.Errorf("problem without a message: %+v", p)
		}
	}
	want := []at{{3, 0, ""}, {6, 0, ""}, {7, 1, "name"}, {8, 2, "email"}, {10, 2, "email"}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("problems (-want +got):\n%s", d)
	}
	if m := tb.Problems[0].Message; m != "2 fields where the header has 3" {
		t.Errorf("short row message %q", m)
	}
	if m := tb.Problems[4].Message; !strings.Contains(m, "row starts on line 9") {
		t.Errorf("multi-line problem message %q", m)
	}
}

func TestReadTextAfterQuoteOnTheLastLine(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"a,b\n\"x\"y,1", "a,b\r\n\"x\"y,1\r\n", "a,b\n1,  \"x\"  y\n"} {
		tb, err := Read(strings.NewReader(in), Limits{})
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if len(tb.Rows) != 0 || len(tb.Problems) != 1 || tb.Problems[0].Line != 2 {
			t.Errorf("%q: rows %v problems %+v, want one problem on line 2", in, tb.Rows, tb.Problems)
		}
	}
}

func TestReadFails(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, in   string
		line, col  int
		msgContain string
	}{
		{"empty", "", 0, 0, "empty"},
		{"only blank lines", "\n\n", 0, 0, "empty"},
		{"empty header name", "name,,plan\n", 1, 2, "no name for column 2"},
		{"blank header name", "name,  ,plan\n", 1, 2, "no name for column 2"},
		{"duplicate header", "Email,name, email \n", 1, 3, `"email ", has the same name as column 1`},
		{"broken header", "a,\"b\"c\n", 1, 2, "header line is not valid CSV"},
		{"NUL", "a,b\n1,2\nx\x00y,3\n", 3, 0, "NUL byte"},
		{"UTF-16 without a mark", "a\x00,\x00b\x00\n\x00", 1, 0, "UTF-16 without a byte-order mark"},
		{"quote never closed", "a,b\n1,2\n3,\"four\n5,6\n7,8\n", 3, 0, "never closed"},
		{"quote never closed at the very end", "a,b\n1,\"x\"\"", 2, 0, "never closed"},
		{"quote never closed before a CR at the end", "a,b\n1,\"open\r", 2, 0, "never closed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := Read(strings.NewReader(c.in), Limits{})
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want an *Error", err)
			}
			if e.Line != c.line || e.Column != c.col || !strings.Contains(e.Message, c.msgContain) {
				t.Errorf("got line %d column %d %q, want line %d column %d containing %q", e.Line, e.Column, e.Message, c.line, c.col, c.msgContain)
			}
			if onboardiq.ErrorCode(err) != onboardiq.EINVALID || onboardiq.ErrorField(err) != "file" {
				t.Errorf("code %q field %q, want invalid file", onboardiq.ErrorCode(err), onboardiq.ErrorField(err))
			}
		})
	}
}

func TestReadLimits(t *testing.T) {
	t.Parallel()
	file := func(n int) string {
		var b strings.Builder
		b.WriteString("id,name\n")
		for i := range n {
			fmt.Fprintf(&b, "%d,row %d\n", i, i)
		}
		return b.String()
	}
	t.Run("rows", func(t *testing.T) {
		t.Parallel()
		tb, err := Read(strings.NewReader(file(10)+"\n,\n"), Limits{MaxRows: 10})
		if err != nil || len(tb.Rows) != 10 {
			t.Fatalf("10 rows at a limit of 10: %v", err)
		}
		_, err = Read(strings.NewReader(file(11)), Limits{MaxRows: 10})
		var e *Error
		if !errors.As(err, &e) || e.Line != 12 || !strings.Contains(e.Message, "more than 10 rows") || !strings.Contains(e.Message, "split it") {
			t.Fatalf("11 rows at a limit of 10: %v", err)
		}
		// A broken row counts too.
		_, err = Read(strings.NewReader(file(10)+"a\"b,c\n"), Limits{MaxRows: 10})
		if !errors.As(err, &e) || e.Line != 12 {
			t.Fatalf("10 rows and a broken one at a limit of 10: %v", err)
		}
	})
	t.Run("bytes", func(t *testing.T) {
		t.Parallel()
		in := file(100)
		if _, err := Read(strings.NewReader(in), Limits{MaxBytes: int64(len(in))}); err != nil {
			t.Fatalf("%d bytes at a limit of %[1]d: %v", len(in), err)
		}
		_, err := Read(strings.NewReader(in), Limits{MaxBytes: int64(len(in) - 1)})
		var e *Error
		if !errors.As(err, &e) || !strings.Contains(e.Message, fmt.Sprintf("larger than %s bytes", thousands(int64(len(in)-1)))) || !strings.Contains(e.Message, "split it") {
			t.Fatalf("%d bytes at a limit of %d: %v", len(in), len(in)-1, err)
		}
	})
	t.Run("defaults", func(t *testing.T) {
		t.Parallel()
		l := Limits{}.withDefaults()
		if l.MaxBytes != 50<<20 || l.MaxRows != 200000 {
			t.Fatalf("defaults %+v", l)
		}
		e := fail(0, 0, "the file is larger than %s", size(l.MaxBytes))
		if e.Error() != "the file is larger than 50 MB" {
			t.Fatal(e.Error())
		}
	})
}

func TestGuess(t *testing.T) {
	t.Parallel()
	fields := []Field{
		{Name: "name", Aliases: []string{"Company", "Account Name"}, Required: true},
		{Name: "email", Aliases: []string{"E-mail", "Email Address"}, Required: true},
		{Name: "external_id", Aliases: []string{"ID", "CRM ID"}},
		{Name: "plan"},
	}
	for _, c := range []struct {
		name    string
		header  []string
		want    map[string]int
		missing []string
	}{
		{"names", []string{"Plan", "NAME", "E_Mail", "External-ID"},
			map[string]int{"name": 1, "email": 2, "external_id": 3, "plan": 0}, nil},
		{"aliases", []string{"Account Name", "Email Address", "crm.id"},
			map[string]int{"name": 0, "email": 1, "external_id": 2, "plan": -1}, nil},
		{"a name beats an alias", []string{"Company", "Email Address", "name", "E-mail"},
			map[string]int{"name": 2, "email": 3, "external_id": -1, "plan": -1}, nil},
		{"a column goes to one field", []string{"Company", "Company "},
			map[string]int{"name": 0, "email": -1, "external_id": -1, "plan": -1}, []string{"email"}},
		{"the leftmost column wins", []string{"x", "email", "Email Address"},
			map[string]int{"name": -1, "email": 1, "external_id": -1, "plan": -1}, []string{"name"}},
		{"none", []string{"foo", "bar"},
			map[string]int{"name": -1, "email": -1, "external_id": -1, "plan": -1}, []string{"name", "email"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			m := Guess(c.header, fields)
			if d := cmp.Diff(c.want, m.Columns); d != "" {
				t.Errorf("columns (-want +got):\n%s", d)
			}
			if d := cmp.Diff(c.missing, m.Missing()); d != "" {
				t.Errorf("missing (-want +got):\n%s", d)
			}
			if err := m.Check(c.header); err != nil {
				t.Errorf("a guess fails its own check: %v", err)
			}
		})
	}
	t.Run("collision between two fields' aliases", func(t *testing.T) {
		t.Parallel()
		fs := []Field{{Name: "owner", Aliases: []string{"Contact"}}, {Name: "contact_email", Aliases: []string{"contact"}}}
		m := Guess([]string{"Contact"}, fs)
		if m.Columns["owner"] != 0 || m.Columns["contact_email"] != -1 {
			t.Fatalf("the first field in order takes the column: %v", m.Columns)
		}
	})
	t.Run("check and value", func(t *testing.T) {
		t.Parallel()
		header := []string{"name", "email"}
		m := Guess(header, fields)
		r := Row{Line: 2, Fields: []string{"Acme"}}
		if m.Value(r, "name") != "Acme" || m.Value(r, "email") != "" || m.Value(r, "plan") != "" {
			t.Fatal("Value")
		}
		m.Columns["plan"] = 0
		if err := m.Check(header); err == nil || !strings.Contains(err.Error(), "already name") {
			t.Fatalf("one column for two fields: %v", err)
		}
		m.Columns["plan"] = 2
		if err := m.Check(header); err == nil || !strings.Contains(err.Error(), "no column 3") {
			t.Fatalf("a column past the header: %v", err)
		}
		m.Columns["plan"] = -1
		m.Columns["nope"] = 1
		if err := m.Check(header); err == nil || !strings.Contains(err.Error(), "no such field") {
			t.Fatalf("an unknown field: %v", err)
		}
	})
}
