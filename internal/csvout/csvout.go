// Package csvout writes the CSV downloads of the API and the console: one
// header row, then the records, every text cell guarded against formula
// injection.
package csvout

import (
	"encoding/csv"
	"io"
	"regexp"
)

// MaxRows is how many records a download holds at most. A list longer than
// that is refused (narrow it with its filters) rather than cut short
// without a word.
const MaxRows = 10000

// number is a plain decimal number: a spreadsheet reads it as a number and
// never as a formula, so a leading minus sign stays.
var number = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$`)

// Guard returns s made safe to open in a spreadsheet: a cell starting with
// = + - @, a tab or a carriage return gets a leading ' so that it is read
// as text and never run as a formula (OWASP, CSV injection). A plain
// number is left as it is.
func Guard(s string) string {
	if s == "" || number.MatchString(s) {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// Writer writes guarded records.
type Writer struct{ w *csv.Writer }

// NewWriter returns a Writer on w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: csv.NewWriter(w)} }

// Write writes one record, each cell guarded.
func (w *Writer) Write(record []string) error {
	out := make([]string, len(record))
	for i, c := range record {
		out[i] = Guard(c)
	}
	return w.w.Write(out)
}

// Flush writes what is buffered and reports the first error of any write.
func (w *Writer) Flush() error {
	w.w.Flush()
	return w.w.Error()
}

// Filename is the download's name: the list's name and the day, as in
// customers-2026-11-27.csv.
func Filename(list, day string) string { return list + "-" + day + ".csv" }

// Disposition is the Content-Disposition of a download named name.
func Disposition(name string) string { return `attachment; filename="` + name + `"` }
