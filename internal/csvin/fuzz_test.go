package csvin

import (
	"bytes"
	"encoding/csv"
	"errors"
	"slices"
	"testing"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// FuzzRead checks what must hold for any input: Read never panics, a file
// it refuses is refused with an *Error, and a table it returns has rows in
// file order, each as wide as the header or named by a problem, and
// survives being written out with encoding/csv and read again.
func FuzzRead(f *testing.F) {
	utf16le := func(s string) []byte {
		b, _ := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes([]byte(s))
		return b
	}
	utf16be := func(s string) []byte {
		b, _ := unicode.UTF16(unicode.BigEndian, unicode.UseBOM).NewEncoder().Bytes([]byte(s))
		return b
	}
	cp1252 := func(s string) []byte {
		b, _ := charmap.Windows1252.NewEncoder().Bytes([]byte(s))
		return b
	}
	for _, seed := range [][]byte{
		nil,
		[]byte("name,email\n"),
		[]byte("name,email\nAcme,a@acme.test\nBeta,b@beta.test\n"),
		[]byte("\xEF\xBB\xBFname;email\r\nAcme;a@acme.test\r\n"),
		utf16le("name\temail\r\nZoë\tz@x.test\r\n"),
		utf16be("name|email\nŒuvre|o@x.test\n"),
		cp1252("name,city\nZoë,Köln €\n"),
		[]byte("name,notes\n\"Acme\",\"two\r\nlines\"\nBeta,\"say \"\"hi\"\"\"\n"),
		[]byte("a,b\n1,2\n3,\"open\n5,6\n"),
		[]byte("a,b\n1,x\"y\n3,\"z\"w\n7,8\n"),
		[]byte("a,b,c\n1,2\n1,2,3,4\n\n,,\n5,6,7"),
		[]byte("a,b\n1,\x002\n"),
		[]byte("a\x00,\x00b\x00\n\x00"),
		[]byte("a,,b\n"),
		[]byte("Email,email\n"),
		[]byte("\"\xEF\xBB\xBFa\",b\n1,2\n"),
		[]byte("a, \"b\"\n1,  \"x, y\"\n"),
		[]byte("a,b\n\"x\r\r\ny\",1\r"),
	} {
		f.Add(seed)
	}
	lim := Limits{MaxBytes: 1 << 20, MaxRows: 1000}
	f.Fuzz(func(t *testing.T, in []byte) {
		tb, err := Read(bytes.NewReader(in), lim)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err %v is not an *Error", err)
			}
			return
		}
		if !slices.Contains([]string{"utf-8", "utf-8-bom", "utf-16le", "utf-16be", "windows-1252"}, tb.Encoding) {
			t.Fatalf("encoding %q", tb.Encoding)
		}
		if !slices.Contains(delimiters, tb.Delimiter) {
			t.Fatalf("delimiter %q", tb.Delimiter)
		}
		if len(tb.Header) == 0 {
			t.Fatal("no header")
		}
		named := map[int]bool{}
		prev := 1
		for _, p := range tb.Problems {
			if p.Line < prev || p.Message == "" {
				t.Fatalf("problem out of order or unexplained: %+v", p)
			}
			prev = p.Line
			named[p.Line] = true
		}
		prev = 1
		for _, r := range tb.Rows {
			if r.Line <= prev {
				t.Fatalf("row at line %d after line %d", r.Line, prev)
			}
			prev = r.Line
			if len(r.Fields) != len(tb.Header) && !named[r.Line] {
				t.Fatalf("row at line %d has %d fields, the header %d, and no problem names it", r.Line, len(r.Fields), len(tb.Header))
			}
		}

		// Written out and read again (with the delimiter it had: the
		// sniffer guesses, and a one-column file may guess otherwise),
		// the table is the same.
		var out bytes.Buffer
		w := csv.NewWriter(&out)
		w.Comma = tb.Delimiter
		_ = w.Write(tb.Header)
		for _, r := range tb.Rows {
			_ = w.Write(r.Fields)
		}
		w.Flush()
		if err := w.Error(); err != nil {
			t.Fatal(err)
		}
		again, err := read(out.Bytes(), Limits{MaxBytes: 1 << 30, MaxRows: 1 << 30}, tb.Delimiter)
		if err != nil {
			t.Fatalf("written out, the table is refused: %v\n%q", err, out.Bytes())
		}
		if !slices.Equal(tb.Header, again.Header) {
			t.Fatalf("header %q, read again %q", tb.Header, again.Header)
		}
		if len(tb.Rows) != len(again.Rows) {
			t.Fatalf("%d rows, read again %d\n%q", len(tb.Rows), len(again.Rows), out.Bytes())
		}
		for i := range tb.Rows {
			if !slices.Equal(tb.Rows[i].Fields, again.Rows[i].Fields) {
				t.Fatalf("row %d: %q, read again %q", i, tb.Rows[i].Fields, again.Rows[i].Fields)
			}
		}
	})
}
