package csvout

import (
	"bytes"
	"testing"
)

func TestGuard(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"":                  "",
		"Acme":              "Acme",
		"=1+1":              "'=1+1",
		"+33 1 23":          "'+33 1 23",
		"-2+3":              "'-2+3",
		"@SUM(A1)":          "'@SUM(A1)",
		"\tx":               "'\tx",
		"\rx":               "'\rx",
		"-12.5":             "-12.5",
		"42":                "42",
		"1e10":              "1e10",
		"a=b":               "a=b",
		"=HYPERLINK(\"x\")": "'=HYPERLINK(\"x\")",
	} {
		if got := Guard(in); got != want {
			t.Errorf("Guard(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWriter(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	w := NewWriter(&b)
	_ = w.Write([]string{"name", "arr"})
	_ = w.Write([]string{"=cmd|' /C calc'!A0", "-5"})
	_ = w.Write([]string{"a, \"b\"", "1"})
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	want := "name,arr\n'=cmd|' /C calc'!A0,-5\n\"a, \"\"b\"\"\",1\n"
	if b.String() != want {
		t.Fatalf("got %q, want %q", b.String(), want)
	}
	if Disposition(Filename("customers", "2026-11-27")) != `attachment; filename="customers-2026-11-27.csv"` {
		t.Fatal(Disposition(Filename("customers", "2026-11-27")))
	}
}
