package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/danielgtaylor/huma/v2"

	"github.com/onboardiq/onboardiq"
)

// checkInput is the API's one boundary check on text and time, before any
// handler runs: a query parameter or a string anywhere in a JSON body that
// holds a NUL byte or invalid UTF-8, and a date-time outside the years
// onboardiq.CheckTime allows, answer 422 naming the field. PostgreSQL
// refuses the first two (SQLSTATE 22021, 22P05), and JSON cannot encode the
// third, so letting them through would fail later, or worse, store a value
// that breaks every list it appears in.
func checkInput(api huma.API) func(huma.Context, func(huma.Context)) {
	schemas := api.OpenAPI().Components.Schemas
	var shapes sync.Map // *huma.Operation → *opShape, worked out once
	return func(ctx huma.Context, next func(huma.Context)) {
		op := ctx.Operation()
		v, ok := shapes.Load(op)
		if !ok {
			v, _ = shapes.LoadOrStore(op, newOpShape(op, schemas))
		}
		shape := v.(*opShape)
		formats := shape.queryFormats
		u := ctx.URL()
		for name, values := range u.Query() {
			for _, v := range values {
				if msg := checkString(name, formats[name]); msg != "" {
					writeInputErr(api, ctx, "query", name, msg)
					return
				}
				if msg := checkString(v, formats[name]); msg != "" {
					writeInputErr(api, ctx, "query."+name, v, msg)
					return
				}
			}
		}
		if op.RequestBody == nil || op.RequestBody.Content["application/json"] == nil {
			next(ctx)
			return
		}
		// Read what huma would read, and hand it on untouched; a body over
		// the limit goes on whole, for huma to refuse with 413. The read is
		// bounded as huma bounds its own, by a read deadline on the
		// connection; net/http lifts it when the body has been read to its
		// end (and then watches the connection for the client going away).
		if op.BodyReadTimeout > 0 {
			_ = ctx.SetReadDeadline(time.Now().Add(op.BodyReadTimeout))
		}
		body := ctx.BodyReader()
		buf, err := io.ReadAll(io.LimitReader(body, op.MaxBodyBytes+1))
		if err != nil || int64(len(buf)) > op.MaxBodyBytes {
			next(&bodyContext{humaContext: ctx, body: io.MultiReader(bytes.NewReader(buf), body)})
			return
		}
		if !shape.bodyTimes && utf8.Valid(buf) && !bytes.Contains(buf, []byte(`\u0000`)) {
			// Nothing the walk could refuse: no time to bound, no bad text.
			next(&bodyContext{humaContext: ctx, body: bytes.NewReader(buf), read: true})
			return
		}
		w := jsonWalker{dec: json.NewDecoder(bytes.NewReader(buf)), raw: buf, schemas: schemas}
		w.dec.UseNumber()
		if at, value, msg := w.value("body", op.RequestBody.Content["application/json"].Schema); msg != "" {
			writeInputErr(api, ctx, at, value, msg)
			return
		}
		next(&bodyContext{humaContext: ctx, body: bytes.NewReader(buf), read: true})
	}
}

// opShape is what checkInput needs to know of an operation.
type opShape struct {
	queryFormats map[string]string // query parameter → its schema's format
	bodyTimes    bool              // the body has a date-time somewhere
}

func newOpShape(op *huma.Operation, schemas huma.Registry) *opShape {
	s := &opShape{queryFormats: map[string]string{}}
	for _, p := range op.Parameters {
		if p != nil && p.In == "query" && p.Schema != nil {
			s.queryFormats[p.Name] = p.Schema.Format
		}
	}
	if op.RequestBody != nil && op.RequestBody.Content["application/json"] != nil {
		s.bodyTimes = hasDateTime(op.RequestBody.Content["application/json"].Schema, schemas, map[*huma.Schema]bool{})
	}
	return s
}

// hasDateTime reports whether a date-time appears anywhere in s.
func hasDateTime(s *huma.Schema, schemas huma.Registry, seen map[*huma.Schema]bool) bool {
	for s != nil && s.Ref != "" {
		s = schemas.SchemaFromRef(s.Ref)
	}
	if s == nil || seen[s] {
		return false
	}
	seen[s] = true
	if s.Format == "date-time" || hasDateTime(s.Items, schemas, seen) {
		return true
	}
	if ap, ok := s.AdditionalProperties.(*huma.Schema); ok && hasDateTime(ap, schemas, seen) {
		return true
	}
	for _, p := range s.Properties {
		if hasDateTime(p, schemas, seen) {
			return true
		}
	}
	for _, sub := range append(append([]*huma.Schema{}, s.OneOf...), s.AnyOf...) {
		if hasDateTime(sub, schemas, seen) {
			return true
		}
	}
	return false
}

func writeInputErr(api huma.API, ctx huma.Context, location, value, msg string) {
	if !utf8.ValidString(value) || strings.ContainsRune(value, 0) || len(value) > 100 {
		value = "" // echo nothing that could not be shown, or much
	}
	_ = huma.WriteErr(api, ctx, http.StatusUnprocessableEntity, "validation failed",
		&huma.ErrorDetail{Location: location, Message: msg, Value: value})
}

// checkString returns what is wrong with s, or "". format is its schema's.
func checkString(s, format string) string {
	switch {
	case !utf8.ValidString(s):
		return "must be valid UTF-8 text"
	case strings.ContainsRune(s, 0):
		return "must not contain NUL characters"
	case format == "date-time":
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return "" // huma's own validation names the format
		}
		if err := onboardiq.CheckTime("", t); err != nil {
			return onboardiq.ErrorMessage(err)
		}
	}
	return ""
}

// bodyContext hands a handler the body checkInput has already read.
type bodyContext struct {
	humaContext
	body io.Reader
	read bool // all of it: the connection holds nothing more of it
}

type humaContext = huma.Context

func (c *bodyContext) BodyReader() io.Reader { return c.body }

// SetReadDeadline is huma's bound on reading the body, set before it reads
// it. Once checkInput has read the whole body, the only read left on the
// connection is net/http's own, watching for the client going away: a
// deadline would end it when it passes, and net/http would take that for
// the client gone and cancel the request's context — every request with a
// body still running BodyReadTimeout (5 s) after it came would end in
// "request cancelled" (TestSlowRequestWithABodyIsNotCancelled).
func (c *bodyContext) SetReadDeadline(t time.Time) error {
	if c.read {
		return nil
	}
	return c.humaContext.SetReadDeadline(t)
}

// Unwrap lets humago.Unwrap reach the request (streamed answers need it).
func (c *bodyContext) Unwrap() huma.Context { return c.humaContext }

// jsonWalker walks a JSON document token by token beside its schema.
type jsonWalker struct {
	dec     *json.Decoder
	raw     []byte
	schemas huma.Registry
}

// value checks the next value, found at path, against s (nil: any). It
// returns the location, the value and the message of the first problem.
// Malformed JSON is left for huma to report.
func (w *jsonWalker) value(path string, s *huma.Schema) (string, string, string) {
	s = w.resolve(s)
	start := w.dec.InputOffset()
	tok, err := w.dec.Token()
	if err != nil {
		return "", "", ""
	}
	switch t := tok.(type) {
	case string:
		format := ""
		if s != nil {
			format = s.Format
		}
		// The decoder replaces invalid UTF-8 in strings; the raw bytes tell.
		if !utf8.Valid(w.raw[start:w.dec.InputOffset()]) {
			return path, "", "must be valid UTF-8 text"
		}
		if msg := checkString(t, format); msg != "" {
			return path, t, msg
		}
	case json.Delim:
		switch t {
		case '{':
			for w.dec.More() {
				kstart := w.dec.InputOffset()
				k, err := w.dec.Token()
				key, ok := k.(string)
				if err != nil || !ok {
					return "", "", ""
				}
				if !utf8.Valid(w.raw[kstart:w.dec.InputOffset()]) || strings.ContainsRune(key, 0) {
					return path, "", "a property name must be valid UTF-8 text without NUL characters"
				}
				if at, v, msg := w.value(path+"."+key, w.property(s, key)); at != "" {
					return at, v, msg
				}
			}
			_, _ = w.dec.Token()
		case '[':
			var items *huma.Schema
			if s != nil {
				items = s.Items
			}
			for i := 0; w.dec.More(); i++ {
				if at, v, msg := w.value(fmt.Sprintf("%s[%d]", path, i), items); at != "" {
					return at, v, msg
				}
			}
			_, _ = w.dec.Token()
		}
	}
	return "", "", ""
}

func (w *jsonWalker) resolve(s *huma.Schema) *huma.Schema {
	for s != nil && s.Ref != "" {
		s = w.schemas.SchemaFromRef(s.Ref)
	}
	return s
}

func (w *jsonWalker) property(s *huma.Schema, key string) *huma.Schema {
	if s == nil {
		return nil
	}
	if p, ok := s.Properties[key]; ok {
		return p
	}
	if ap, ok := s.AdditionalProperties.(*huma.Schema); ok {
		return ap
	}
	return nil
}

// jsonFormat is huma's JSON format, but a response is encoded whole before
// any byte is written. huma has already set the status when it encodes, so
// a value that cannot be encoded (a NaN, a year past 9999) would otherwise
// go out as a 200 with a broken body; instead the handler panics before
// writing, and the server's recovery answers a logged 500 problem (the
// status is not sent until the first byte of the body).
var jsonFormat = huma.Format{
	Marshal: func(w io.Writer, v any) error {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			panic(fmt.Errorf("%w: %w", errEncode, err))
		}
		_, err := buf.WriteTo(w)
		return err
	},
	Unmarshal: json.Unmarshal,
}

// errEncode marks a response that could not be encoded.
var errEncode = errors.New("encode response")
