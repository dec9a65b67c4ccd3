// Package csvin reads the CSV files of the data import: it detects the
// encoding (UTF-8 with or without a byte-order mark, UTF-16 with one,
// Windows-1252 otherwise) and the delimiter, holds the file to its size and
// row limits, checks the header and keeps reading past bad rows so that a
// dry run can list every one of them by line and column. It is pure: bytes
// in, a Table out.
package csvin

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/onboardiq/onboardiq"
)

// The default limits. Fifty megabytes and 200,000 rows keep a whole file,
// decoded, in memory with room to spare and let the import check it in one
// pass and load it in one transaction in well under a minute; a bigger
// file is split.
const (
	DefaultMaxBytes int64 = 50 << 20
	DefaultMaxRows        = 200_000
)

// Limits bound what Read accepts. A zero (or negative) value means the
// default.
type Limits struct {
	MaxBytes int64 // the file's size in bytes, as sent (before decoding)
	MaxRows  int   // rows after the header
}

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxRows <= 0 {
		l.MaxRows = DefaultMaxRows
	}
	return l
}

// Table is a file read whole.
type Table struct {
	Encoding  string // "utf-8", "utf-8-bom", "utf-16le", "utf-16be" or "windows-1252"
	Delimiter rune   // ',', ';', '\t' or '|'
	Header    []string
	Rows      []Row
	// Problems are the rows that are not right, in file order: a row with
	// another number of fields than the header (it is still in Rows), or
	// a broken quote (the row is not in Rows: its fields cannot be told
	// apart).
	Problems []Problem
}

// Row is one record after the header.
type Row struct {
	Line   int // the 1-based line of the file where the row starts
	Fields []string
}

// Problem is something wrong with one row, or one field of it.
type Problem struct {
	Line    int    `json:"line"`
	Column  int    `json:"column"` // 1-based; 0 when about the whole row
	Field   string `json:"field"`  // the column's header name; "" for the whole row
	Message string `json:"message"`
}

// Error is a reason the whole file is refused. It unwraps to an
// onboardiq EINVALID error about the field "file", so front ends show it
// like any other invalid input.
type Error struct {
	Line    int // 0 when about the whole file
	Column  int // 1-based; 0 when about the whole line or file
	Message string
}

func (e *Error) Error() string { return e.text() }

func (e *Error) text() string {
	switch {
	case e.Line > 0 && e.Column > 0:
		return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Message)
	case e.Line > 0:
		return fmt.Sprintf("line %d: %s", e.Line, e.Message)
	}
	return e.Message
}

// Unwrap makes the error an EINVALID one about the field "file".
func (e *Error) Unwrap() error { return onboardiq.Invalid("file", "%s", e.text()) }

func fail(line, col int, format string, args ...any) *Error {
	return &Error{Line: line, Column: col, Message: fmt.Sprintf(format, args...)}
}

// Read reads a whole CSV file within lim. The first row is the header. It
// fails (with an *Error) on a file past a limit, a binary file, a bad
// header or a quote left open to the end of the file; any other bad row
// becomes a Problem and reading goes on.
func Read(r io.Reader, lim Limits) (*Table, error) {
	lim = lim.withDefaults()
	raw, err := io.ReadAll(io.LimitReader(r, lim.MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read the file: %w", err)
	}
	if int64(len(raw)) > lim.MaxBytes {
		return nil, fail(0, 0, "the file is larger than %s, the most one import takes: split it into files of at most %s, each starting with the header line", size(lim.MaxBytes), size(lim.MaxBytes))
	}
	return read(raw, lim, 0)
}

// read reads raw; comma 0 means sniff the delimiter.
func read(raw []byte, lim Limits, comma rune) (*Table, error) {
	text, enc := decode(raw)
	if i := bytes.IndexByte(text, 0); i >= 0 {
		return nil, fail(bytes.Count(text[:i], []byte{'\n'})+1, 0,
			"the file holds a NUL byte, so it is not a CSV text file (a spreadsheet or other binary file, or UTF-16 without a byte-order mark): save it as CSV, UTF-8")
	}
	if comma == 0 {
		comma = sniff(text)
	}
	t := &Table{Encoding: enc, Delimiter: comma}

	cr := csv.NewReader(bytes.NewReader(text))
	cr.Comma = comma
	cr.FieldsPerRecord = -1
	// Leading spaces before a field are dropped so that `a, "b"` reads
	// as two fields; spaces inside quotes and trailing spaces stay. Not
	// for tab-separated files: there a leading tab is an empty field.
	cr.TrimLeadingSpace = comma != '\t'
	var lines *lineIndex
	records := 0 // rows read, broken ones too

	header, err := cr.Read()
	switch {
	case errors.Is(err, io.EOF):
		return nil, fail(0, 0, "the file is empty: its first line must name the columns")
	case err != nil:
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, fail(pe.Line, len(header)+1, "the header line is not valid CSV: %s", quoteMessage(pe))
		}
		return nil, fmt.Errorf("read the header: %w", err)
	}
	// A stray byte-order mark is never part of the first column's name.
	header[0] = strings.TrimLeft(header[0], "\ufeff")
	crlf(header)
	if err := checkHeader(header); err != nil {
		return nil, err
	}
	t.Header = header

	for {
		fields, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var pe *csv.ParseError
		if err != nil && !errors.As(err, &pe) {
			return nil, fmt.Errorf("read the file: %w", err)
		}
		var line int
		if pe != nil {
			line = pe.StartLine
		} else {
			line, _ = cr.FieldPos(0)
		}
		if pe == nil && blank(fields) {
			continue
		}
		if records++; records > lim.MaxRows {
			return nil, fail(line, 0, "the file has more than %s rows after the header, the most one import takes: split it into files of at most %s rows, each starting with the header line", thousands(int64(lim.MaxRows)), thousands(int64(lim.MaxRows)))
		}
		if pe != nil {
			if lines == nil {
				lines = newLineIndex(text)
			}
			if pe.Err == csv.ErrQuote && !lines.isQuote(pe.Line, pe.Column) {
				return nil, fail(pe.StartLine, 0, "a quote opened in the row that starts on this line is never closed, so the rest of the file would be one field: close the quote, or double a quote (\"\") that is part of the text")
			}
			col := len(fields) + 1
			msg := quoteMessage(pe)
			if pe.StartLine != pe.Line {
				msg += fmt.Sprintf(" (the row starts on line %d)", pe.StartLine)
			}
			t.Problems = append(t.Problems, Problem{Line: pe.Line, Column: col, Field: headerName(header, col), Message: msg + "; the row is skipped"})
			continue
		}
		crlf(fields)
		t.Rows = append(t.Rows, Row{Line: line, Fields: fields})
		if len(fields) != len(header) {
			t.Problems = append(t.Problems, Problem{Line: line, Message: fmt.Sprintf("%s where the header has %d", plural(len(fields), "field"), len(header))})
		}
	}
	return t, nil
}

// crlf turns CRLF inside quoted fields into LF, as encoding/csv does with
// a CRLF that ends a line inside quotes but not with "\r\r\n", so that
// every line break in a field reads the same whatever wrote the file.
func crlf(fields []string) {
	for i, f := range fields {
		if strings.IndexByte(f, '\r') >= 0 {
			fields[i] = strings.ReplaceAll(f, "\r\n", "\n")
		}
	}
}

// blank reports a row whose every field is empty: spreadsheets export
// empty rows as ",,,", and a line of spaces reads as one empty field.
// Such rows are skipped like empty lines.
func blank(fields []string) bool {
	for _, f := range fields {
		if f != "" {
			return false
		}
	}
	return true
}

func quoteMessage(pe *csv.ParseError) string {
	switch pe.Err {
	case csv.ErrBareQuote:
		return fmt.Sprintf("a quote character at character %d inside a field that does not start with one: quote the whole field and double the quote (\"\")", pe.Column)
	case csv.ErrQuote:
		return fmt.Sprintf("a quote at character %d ends a quoted field but more text follows it before the delimiter: double a quote (\"\") that is part of the text", pe.Column)
	}
	return pe.Err.Error()
}

func headerName(header []string, col int) string {
	if col >= 1 && col <= len(header) {
		return header[col-1]
	}
	return ""
}

// checkHeader refuses empty names and names given twice (compared trimmed
// and case-insensitively): either would leave a column that cannot be
// mapped for sure.
func checkHeader(header []string) error {
	seen := make(map[string]int, len(header))
	for i, h := range header {
		k := strings.ToLower(strings.TrimSpace(h))
		if k == "" {
			return fail(1, i+1, "the header has no name for column %d: name every column on the first line", i+1)
		}
		if j, ok := seen[k]; ok {
			return fail(1, i+1, "column %d of the header, %q, has the same name as column %d: name every column once", i+1, h, j+1)
		}
		seen[k] = i
	}
	return nil
}

// lineIndex finds where lines start, to check what a ParseError points at.
type lineIndex struct {
	text   []byte
	starts []int
}

func newLineIndex(text []byte) *lineIndex {
	l := &lineIndex{text: text, starts: []int{0}}
	for i, c := range text {
		if c == '\n' {
			l.starts = append(l.starts, i+1)
		}
	}
	return l
}

// isQuote reports whether line and col (1-based, in bytes) point at a
// quote character. encoding/csv reports a quote closed too early at the
// quote, and a quote never closed at the end of the file.
func (l *lineIndex) isQuote(line, col int) bool {
	if line < 1 || line > len(l.starts) {
		return false
	}
	at := l.starts[line-1] + col - 1
	return at >= 0 && at < len(l.text) && l.text[at] == '"'
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// size writes a byte count the way people say it: 50 MB, 1,000 bytes.
func size(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return thousands(n>>20) + " MB"
	}
	return thousands(n) + " bytes"
}

func thousands(n int64) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
