package playbook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/onboardiq/onboardiq"
)

// codeDoc is a playbooks-as-code file: the definition fields only, so
// that IDs, signing secrets and timestamps never leave the workspace.
type codeDoc struct {
	Version   int                            `json:"version" yaml:"version"`
	Playbooks []onboardiq.PlaybookDefinition `json:"playbooks" yaml:"playbooks"`
}

// clone copies p's definition deeply enough that normalising the copy
// leaves p as it was.
func clone(p onboardiq.Playbook) onboardiq.Playbook {
	p.Conditions.Rules = append([]onboardiq.PlaybookCondition(nil), p.Conditions.Rules...)
	p.Actions = append([]onboardiq.PlaybookAction(nil), p.Actions...)
	for i := range p.Actions {
		p.Actions[i].To = append([]string(nil), p.Actions[i].To...)
		p.Actions[i].Ladder = append([]onboardiq.EscalationStep(nil), p.Actions[i].Ladder...)
	}
	return p
}

func marshal(ps []onboardiq.Playbook, format string) ([]byte, error) {
	doc := codeDoc{Version: 1, Playbooks: make([]onboardiq.PlaybookDefinition, 0, len(ps))}
	for _, p := range ps {
		p = clone(p)
		normalise(&p)
		doc.Playbooks = append(doc.Playbooks, p.Definition())
	}
	switch format {
	case JSON:
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(doc); err != nil {
			return nil, fmt.Errorf("playbooks as JSON: %w", err)
		}
		return b.Bytes(), nil
	case YAML:
		var b bytes.Buffer
		enc := yaml.NewEncoder(&b)
		enc.SetIndent(2)
		if err := enc.Encode(doc); err != nil {
			return nil, fmt.Errorf("playbooks as YAML: %w", err)
		}
		if err := enc.Close(); err != nil {
			return nil, fmt.Errorf("playbooks as YAML: %w", err)
		}
		return b.Bytes(), nil
	}
	return nil, onboardiq.Invalid("format", "must be yaml or json")
}

func unmarshal(data []byte, format string) ([]onboardiq.Playbook, error) {
	if format == "" {
		format = YAML
		if t := bytes.TrimLeft(data, " \t\r\n\ufeff"); len(t) > 0 && (t[0] == '{' || t[0] == '[') {
			format = JSON
		}
	}
	var raw any
	var doc codeDoc
	switch format {
	case JSON:
		if err := json.Unmarshal(data, &raw); err != nil {
			return nil, onboardiq.Invalid("file", "not valid JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
		}
		if err := unknownKeys(raw, reflect.TypeOf(doc), ""); err != nil {
			return nil, err
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&doc); err != nil {
			return nil, decodeError(err)
		}
	case YAML:
		if err := yaml.Unmarshal(data, &raw); err != nil {
			return nil, onboardiq.Invalid("file", "not valid YAML: %s", strings.TrimPrefix(err.Error(), "yaml: "))
		}
		if err := unknownKeys(raw, reflect.TypeOf(doc), ""); err != nil {
			return nil, err
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&doc); err != nil {
			return nil, decodeError(err)
		}
	default:
		return nil, onboardiq.Invalid("format", "must be yaml or json")
	}
	switch doc.Version {
	case 1:
	case 0:
		return nil, onboardiq.Invalid("version", "the file needs version: 1")
	default:
		return nil, onboardiq.Invalid("version", "must be 1 (this file says %d)", doc.Version)
	}
	ps := make([]onboardiq.Playbook, 0, len(doc.Playbooks))
	names := map[string]int{}
	for i, c := range doc.Playbooks {
		p := onboardiq.Playbook{
			Name: c.Name, Description: c.Description, Enabled: c.Enabled, Subject: c.Subject,
			Trigger: c.Trigger, Conditions: c.Conditions, Actions: c.Actions,
			CooldownMinutes: c.CooldownMinutes, MaxRunsPerDay: c.MaxRunsPerDay,
		}
		normalise(&p)
		at := fmt.Sprintf("playbooks[%d]", i)
		if err := validate(&p, Known{}); err != nil {
			var e *onboardiq.Error
			if errors.As(err, &e) {
				return nil, onboardiq.Invalid(at+"."+e.Field, "%s", e.Message)
			}
			return nil, err
		}
		if j, ok := names[p.Name]; ok {
			return nil, onboardiq.Invalid(at+".name", "playbooks[%d] has the same name, %q", j, p.Name)
		}
		names[p.Name] = i
		ps = append(ps, p)
	}
	return ps, nil
}

func decodeError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field == "" {
			return onboardiq.Invalid("file", "the file must be an object with version and playbooks")
		}
		want := map[reflect.Kind]string{
			reflect.Int: "number", reflect.Float64: "number", reflect.String: "string", reflect.Bool: "boolean",
			reflect.Slice: "list", reflect.Struct: "object", reflect.Map: "object",
		}[te.Type.Kind()]
		if want == "" {
			want = te.Type.String()
		}
		return onboardiq.Invalid("file", "%s must be a %s, not a %s", te.Field, want, te.Value)
	}
	if errors.Is(err, io.EOF) {
		return onboardiq.Invalid("file", "the file is empty")
	}
	msg := strings.TrimPrefix(strings.TrimPrefix(err.Error(), "json: "), "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:")
	return onboardiq.Invalid("file", "%s", strings.Join(strings.Fields(msg), " "))
}

// unknownKeys finds the first key of raw that t (a struct, or a list of
// them) does not have, and names it by its path.
func unknownKeys(raw any, t reflect.Type, path string) error {
	for t.Kind() == reflect.Slice || t.Kind() == reflect.Pointer {
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
			continue
		}
		list, ok := raw.([]any)
		if !ok {
			return nil // the decoder reports the type
		}
		for i, e := range list {
			if err := unknownKeys(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		return nil
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	m, ok := raw.(map[string]any)
	if !ok {
		return nil
	}
	fields := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "" && name != "-" && f.Tag.Get("yaml") != "-" {
			fields[name] = f.Type
		}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		at := k
		if path != "" {
			at = path + "." + k
		}
		ft, ok := fields[k]
		if !ok {
			return onboardiq.Invalid(at, "unknown key %q", k)
		}
		if err := unknownKeys(m[k], ft, at); err != nil {
			return err
		}
	}
	return nil
}
