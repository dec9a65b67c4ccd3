package csvin

import (
	"fmt"
	"strings"
)

// Field is something an import wants from a column.
type Field struct {
	Name     string
	Aliases  []string // other headers that mean it: "E-mail", "Email Address"
	Required bool
}

// Mapping says which column holds each field. The console shows the
// guessed mapping for the user to edit; Columns is theirs to change.
type Mapping struct {
	Fields  []Field        // the fields, in the caller's order
	Columns map[string]int // field name → 0-based column index, -1 when no column
}

// Missing lists the required fields without a column, in the fields' order.
func (m Mapping) Missing() []string {
	var out []string
	for _, f := range m.Fields {
		if c, ok := m.Columns[f.Name]; f.Required && (!ok || c < 0) {
			out = append(out, f.Name)
		}
	}
	return out
}

// Check refuses an edited mapping that names a field it does not have, a
// column the header does not have, or one column for two fields.
func (m Mapping) Check(header []string) error {
	known := make(map[string]bool, len(m.Fields))
	for _, f := range m.Fields {
		known[f.Name] = true
	}
	used := map[int]string{}
	for _, f := range m.Fields {
		c, ok := m.Columns[f.Name]
		if !ok || c < 0 {
			continue
		}
		if c >= len(header) {
			return fmt.Errorf("%s: the file has no column %d", f.Name, c+1)
		}
		if other, ok := used[c]; ok {
			return fmt.Errorf("%s: column %d (%q) is already %s", f.Name, c+1, header[c], other)
		}
		used[c] = f.Name
	}
	for name := range m.Columns {
		if !known[name] {
			return fmt.Errorf("%s: no such field", name)
		}
	}
	return nil
}

// Value returns the row's field for name, "" when the field has no column
// or the row is short.
func (m Mapping) Value(r Row, name string) string {
	c, ok := m.Columns[name]
	if !ok || c < 0 || c >= len(r.Fields) {
		return ""
	}
	return r.Fields[c]
}

// Guess maps header columns to fields by name: a header matches a field
// whose name, or one of whose aliases, is the same once both are
// normalised (lower case; spaces, underscores, hyphens and dots dropped),
// so "E-mail", "e_mail" and "EMail" are one. A column goes to one field at
// most. Names are matched before aliases, so a column named exactly for a
// field is never taken by another field's alias; then fields go in the
// caller's order, each taking the leftmost free column.
func Guess(header []string, fields []Field) Mapping {
	m := Mapping{Fields: fields, Columns: make(map[string]int, len(fields))}
	norm := make([]string, len(header))
	for i, h := range header {
		norm[i] = normalise(h)
	}
	taken := make([]bool, len(header))
	take := func(want string) int {
		if want == "" {
			return -1
		}
		for i, n := range norm {
			if !taken[i] && n == want {
				taken[i] = true
				return i
			}
		}
		return -1
	}
	for _, f := range fields {
		m.Columns[f.Name] = take(normalise(f.Name))
	}
	for _, f := range fields {
		if m.Columns[f.Name] >= 0 {
			continue
		}
		for _, a := range f.Aliases {
			if c := take(normalise(a)); c >= 0 {
				m.Columns[f.Name] = c
				break
			}
		}
	}
	return m
}

func normalise(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '_', '-', '.', '\t', '\ufeff':
			return -1
		}
		return r
	}, strings.ToLower(strings.TrimSpace(s)))
}
