package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/negotiation"

	"github.com/onboardiq/onboardiq/internal/csvout"
)

// CSV downloads of the lists. Any operation whose answer holds a list of
// records — an items array (every paged list), or the array that is
// its body's only field (custom fields, holidays), or the array
// named in csvListProperty — answers text/csv when asked by
// `Accept: text/csv` or `?format=csv`. The middleware runs the operation
// as a JSON request, page after page (each page the endpoint's largest,
// following next_cursor), and writes every record of the filtered list as
// one CSV row: nested objects become columns named by their path
// (csm.name, custom_fields.tier), arrays are joined with "; ", times stay
// RFC 3339. A list of more than csvout.MaxRows records is refused with a
// 422 asking for narrower filters. Errors stay problem+json, and an
// operation that is no list answers 406. List operations added later get
// CSV without code of their own.

// csvListProperty names the array to download for the operations whose
// body holds several arrays of records.
var csvListProperty = map[string]string{
	"get-customer-stages":  "transitions",
	"customer-usage":       "days",
	"get-journey-settings": "stages",
	"get-core-features":    "core_features",
}

const csvContentType = "text/csv; charset=utf-8"

// csvShape is what the CSV middleware knows of an operation.
type csvShape struct {
	list     string // the JSON property holding the records; "" when none
	limitMax int    // the largest limit the operation takes; 0 when unpaged
	name     string // the download's name, before its date
}

// wantsCSV reports whether the request asks for CSV: ?format=csv, or an
// Accept that prefers text/csv to JSON.
func wantsCSV(ctx huma.Context) bool {
	switch ctx.Query("format") {
	case "csv":
		return true
	case "json":
		return false
	}
	accept := ctx.Header("Accept")
	return accept != "" && negotiation.SelectQValueFast(accept, []string{"application/json", "text/csv"}) == "text/csv"
}

// csvLists is the middleware answering CSV; it runs after authentication,
// so that the pages of one download are one principal's.
func csvLists(api huma.API) func(huma.Context, func(huma.Context)) {
	schemas := api.OpenAPI().Components.Schemas
	var shapes sync.Map // *huma.Operation → *csvShape
	return func(ctx huma.Context, next func(huma.Context)) {
		if !wantsCSV(ctx) {
			next(ctx)
			return
		}
		op := ctx.Operation()
		v, ok := shapes.Load(op)
		if !ok {
			v, _ = shapes.LoadOrStore(op, newCSVShape(op, schemas))
		}
		shape := v.(*csvShape)
		if shape.list == "" {
			_ = huma.WriteErr(api, ctx, http.StatusNotAcceptable,
				"this answer is not a list: CSV is offered by the list endpoints only; ask for application/json")
			return
		}
		var records []json.RawMessage
		cursor := ctx.Query("cursor")
		for {
			page := &pageContext{humaContext: ctx, cursor: cursor, header: http.Header{}}
			if shape.limitMax > 0 {
				page.limit = strconv.Itoa(shape.limitMax)
			}
			next(page)
			if page.status >= 300 {
				page.replay(ctx)
				return
			}
			var body map[string]json.RawMessage
			if err := json.Unmarshal(page.body.Bytes(), &body); err != nil {
				panic(fmt.Errorf("%w: csv: %w", errEncode, err))
			}
			var items []json.RawMessage
			if raw := body[shape.list]; len(raw) > 0 && string(raw) != "null" {
				if err := json.Unmarshal(raw, &items); err != nil {
					panic(fmt.Errorf("%w: csv: %w", errEncode, err))
				}
			}
			records = append(records, items...)
			if len(records) > csvout.MaxRows {
				_ = huma.WriteErr(api, ctx, http.StatusUnprocessableEntity,
					fmt.Sprintf("the list has more than %d records, more than one CSV download holds: narrow it with its filters", csvout.MaxRows))
				return
			}
			var next string
			_ = json.Unmarshal(body["next_cursor"], &next)
			if next == "" || shape.limitMax == 0 {
				break
			}
			cursor = next
		}
		var out bytes.Buffer
		if err := writeRecordsCSV(&out, records); err != nil {
			panic(fmt.Errorf("%w: csv: %w", errEncode, err))
		}
		ctx.SetHeader("Content-Type", csvContentType)
		ctx.SetHeader("Content-Disposition", csvout.Disposition(csvout.Filename(shape.name, time.Now().UTC().Format(time.DateOnly))))
		ctx.SetStatus(http.StatusOK)
		_, _ = out.WriteTo(ctx.BodyWriter())
	}
}

func newCSVShape(op *huma.Operation, schemas huma.Registry) *csvShape {
	s := &csvShape{name: csvName(op.OperationID)}
	body := successSchema(op, schemas)
	if body == nil {
		return s
	}
	if name, ok := csvListProperty[op.OperationID]; ok {
		if isArray(deref(body.Properties[name], schemas)) {
			s.list = name
		}
	} else if isArray(deref(body.Properties["items"], schemas)) {
		s.list = "items"
	} else if len(body.Properties) == 1 {
		for name, p := range body.Properties {
			if isArray(deref(p, schemas)) {
				s.list = name
			}
		}
	}
	for _, p := range op.Parameters {
		if p != nil && p.In == "query" && p.Name == "limit" && p.Schema != nil && p.Schema.Maximum != nil {
			s.limitMax = int(*p.Schema.Maximum)
		}
	}
	return s
}

// successSchema is the JSON schema of the operation's success answer.
func successSchema(op *huma.Operation, schemas huma.Registry) *huma.Schema {
	if op.Method != http.MethodGet {
		return nil
	}
	for code, r := range op.Responses {
		if len(code) == 3 && code[0] == '2' && r != nil && r.Content["application/json"] != nil {
			return deref(r.Content["application/json"].Schema, schemas)
		}
	}
	return nil
}

func deref(s *huma.Schema, schemas huma.Registry) *huma.Schema {
	for s != nil && s.Ref != "" {
		s = schemas.SchemaFromRef(s.Ref)
	}
	return s
}

func isArray(s *huma.Schema) bool {
	if s == nil {
		return false
	}
	if s.Type == "array" {
		return true
	}
	for _, sub := range s.OneOf {
		if sub != nil && sub.Type == "array" {
			return true
		}
	}
	return s.Items != nil
}

// csvName is the download's name: the operation's id without its verb
// (list-customers → customers).
func csvName(operationID string) string {
	for _, verb := range []string{"list-", "get-"} {
		if n, ok := strings.CutPrefix(operationID, verb); ok {
			return n
		}
	}
	return operationID
}

// documentCSV shows in the OpenAPI document that the list operations
// answer text/csv too, and their format parameter.
func documentCSV(api huma.API) {
	schemas := api.OpenAPI().Components.Schemas
	for _, item := range api.OpenAPI().Paths {
		op := item.Get
		if op == nil {
			continue
		}
		shape := newCSVShape(op, schemas)
		if shape.list == "" {
			continue
		}
		for code, r := range op.Responses {
			if len(code) == 3 && code[0] == '2' && r != nil && r.Content["application/json"] != nil {
				r.Content["text/csv"] = &huma.MediaType{Schema: &huma.Schema{Type: "string",
					Description: "Every record of the filtered list (up to 10,000), one row each, under a header row of the JSON field names."}}
			}
		}
		op.Parameters = append(op.Parameters, &huma.Param{Name: "format", In: "query",
			Description: "csv: answer the whole filtered list as CSV (as Accept: text/csv does).",
			Schema:      &huma.Schema{Type: "string", Enum: []any{"json", "csv"}}})
	}
}

// pageContext runs one page of a download: it asks for JSON, sets the
// page's limit and cursor, and keeps the answer instead of sending it.
type pageContext struct {
	humaContext
	limit, cursor string
	status        int
	header        http.Header
	body          bytes.Buffer
}

func (c *pageContext) Query(name string) string {
	switch name {
	case "limit":
		if c.limit != "" {
			return c.limit
		}
	case "cursor":
		return c.cursor
	case "format":
		return ""
	}
	return c.humaContext.Query(name)
}

func (c *pageContext) URL() url.URL {
	u := c.humaContext.URL()
	q := u.Query()
	q.Del("format")
	if c.limit != "" {
		q.Set("limit", c.limit)
	}
	if c.cursor != "" {
		q.Set("cursor", c.cursor)
	} else {
		q.Del("cursor")
	}
	u.RawQuery = q.Encode()
	return u
}

func (c *pageContext) Header(name string) string {
	if http.CanonicalHeaderKey(name) == "Accept" {
		return "application/json"
	}
	return c.humaContext.Header(name)
}

func (c *pageContext) SetStatus(code int)              { c.status = code }
func (c *pageContext) Status() int                     { return c.status }
func (c *pageContext) SetHeader(name, value string)    { c.header.Set(name, value) }
func (c *pageContext) AppendHeader(name, value string) { c.header.Add(name, value) }
func (c *pageContext) BodyWriter() io.Writer           { return &c.body }

// replay sends the page's answer (an error) as it came.
func (c *pageContext) replay(to huma.Context) {
	for name, values := range c.header {
		for i, v := range values {
			if i == 0 {
				to.SetHeader(name, v)
			} else {
				to.AppendHeader(name, v)
			}
		}
	}
	to.SetStatus(c.status)
	_, _ = c.body.WriteTo(to.BodyWriter())
}

// writeRecordsCSV writes JSON records as CSV: one column per field path in
// the order first seen, one row per record.
func writeRecordsCSV(w io.Writer, records []json.RawMessage) error {
	var t csvTable
	rows := make([]map[string]string, 0, len(records))
	for _, raw := range records {
		row := map[string]string{}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := t.value(dec, "", row); err != nil {
			return err
		}
		rows = append(rows, row)
	}
	cw := csvout.NewWriter(w)
	if err := cw.Write(t.columns); err != nil {
		return err
	}
	record := make([]string, len(t.columns))
	for _, row := range rows {
		for i, c := range t.columns {
			record[i] = row[c]
		}
		if err := cw.Write(record); err != nil {
			return err
		}
	}
	return cw.Flush()
}

type csvTable struct {
	columns []string
	seen    map[string]bool
}

func (t *csvTable) set(row map[string]string, column, value string) {
	if column == "" {
		column = "value"
	}
	if !t.seen[column] {
		if t.seen == nil {
			t.seen = map[string]bool{}
		}
		t.seen[column] = true
		t.columns = append(t.columns, column)
	}
	row[column] = value
}

// value reads one JSON value and records its cells under the path prefix.
func (t *csvTable) value(dec *json.Decoder, prefix string, row map[string]string) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch v := tok.(type) {
	case json.Delim:
		if v == '{' {
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return err
				}
				name, _ := k.(string)
				if prefix != "" {
					name = prefix + "." + name
				}
				if err := t.value(dec, name, row); err != nil {
					return err
				}
			}
			_, err := dec.Token()
			return err
		}
		var parts []string
		for dec.More() {
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return err
			}
			parts = append(parts, cellText(raw))
		}
		if _, err := dec.Token(); err != nil {
			return err
		}
		t.set(row, prefix, strings.Join(parts, "; "))
	case string:
		t.set(row, prefix, v)
	case json.Number:
		t.set(row, prefix, v.String())
	case bool:
		t.set(row, prefix, strconv.FormatBool(v))
	case nil:
		t.set(row, prefix, "")
	}
	return nil
}

// cellText is one element of an array as text: a scalar as itself, an
// object by its name (or title, email, key, id), else as compact JSON.
func cellText(raw json.RawMessage) string {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return ""
	}
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	case nil:
		return ""
	case map[string]any:
		for _, k := range []string{"name", "title", "email", "key", "id"} {
			if s, ok := v[k].(string); ok && s != "" {
				return s
			}
		}
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return ""
	}
	return b.String()
}
