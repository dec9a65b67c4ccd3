package web

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"time"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/csvin"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// maxCSVForm bounds the import's upload form: a CSV file of up to 50 MB
// and the form's few fields.
const maxCSVForm = csvin.DefaultMaxBytes + 64<<10

// importsData is the imports page: the upload form and the past imports.
type importsData struct {
	Imports []*onboardiq.Import
	Kinds   []onboardiq.ImportKind
	Kind    string // the form's kind, kept when it is refused
	Mode    string
	Field   string // the field a refusal is about
	Error   string
}

// importData is one import's page: its report, and for a draft the
// mapping form.
type importData struct {
	Import *onboardiq.Import
	Field  string
	Error  string
	// Refresh: the page reloads itself while the import runs.
	Refresh bool
}

// imports lists the imports, with the upload form (admins).
func (h *Handler) imports(w http.ResponseWriter, r *http.Request) error {
	return h.renderImports(w, r, http.StatusOK, &importsData{Mode: string(onboardiq.ImportAllOrNothing)})
}

func (h *Handler) renderImports(w http.ResponseWriter, r *http.Request, status int, d *importsData) error {
	list, err := h.DB.ListImports(r.Context())
	if err != nil {
		return err
	}
	d.Imports, d.Kinds = list, onboardiq.ImportKinds
	return h.render(w, r, status, "imports.html", view{Title: "Imports", Data: d})
}

// importUpload reads the uploaded file and keeps it as a draft import,
// then shows it: the mapping guessed, the problems and the preview.
func (h *Handler) importUpload(w http.ResponseWriter, r *http.Request) error {
	d := &importsData{Kind: r.FormValue("kind"), Mode: r.FormValue("mode")}
	o := onboardiq.ImportOptions{Kind: onboardiq.ImportKind(d.Kind), Mode: onboardiq.ImportMode(d.Mode)}
	var raw []byte
	err := o.Validate()
	if err == nil {
		file, hdr, ferr := r.FormFile("file")
		if ferr != nil {
			err = onboardiq.Invalid("file", "choose a CSV file")
		} else {
			defer file.Close()
			var buf bytes.Buffer
			if _, err = io.Copy(&buf, file); err != nil {
				return err
			}
			raw, o.Filename = buf.Bytes(), filepath.Base(hdr.Filename)
			if len(bytes.TrimSpace(raw)) == 0 {
				err = onboardiq.Invalid("file", "the file is empty")
			}
		}
	}
	var imp *onboardiq.Import
	if err == nil {
		imp, err = h.DB.StartImport(r.Context(), raw, o, h.BaseURL, true)
	}
	var fe *csvin.Error
	if errors.As(err, &fe) {
		err = onboardiq.Invalid("file", "%s", fe.Error())
	}
	if err != nil && !aboutInput(err) {
		return err
	}
	if err != nil {
		d.Field, d.Error = onboardiq.ErrorField(err), errText(err)
		return h.renderImports(w, r, http.StatusUnprocessableEntity, d)
	}
	http.Redirect(w, r, "/app/imports/"+imp.ID.String(), http.StatusSeeOther)
	return nil
}

// importPage shows one import.
func (h *Handler) importPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	imp, err := h.DB.GetImport(r.Context(), id)
	if err != nil {
		return err
	}
	return h.renderImport(w, r, http.StatusOK, &importData{Import: imp})
}

func (h *Handler) renderImport(w http.ResponseWriter, r *http.Request, status int, d *importData) error {
	d.Refresh = d.Import.Status == onboardiq.ImportQueued || d.Import.Status == onboardiq.ImportRunning
	title := fmt.Sprintf("Import of %s", d.Import.Kind)
	if d.Import.Filename != "" {
		title = fmt.Sprintf("Import of %s: %s", d.Import.Kind, d.Import.Filename)
	}
	v := view{Title: title, Data: d}
	if d.Refresh {
		v.Refresh = 2
	}
	return h.render(w, r, status, "import.html", v)
}

// importSave checks a draft again with the form's mapping and mode
// ("check"), or starts it ("import").
func (h *Handler) importSave(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	imp, err := h.DB.GetImport(r.Context(), id)
	if err != nil {
		return err
	}
	mapping := map[string]string{}
	for _, f := range onboardiq.ImportFields(imp.Kind) {
		mapping[f.Name] = r.FormValue("map." + f.Name)
	}
	queue := r.FormValue("action") == "import"
	next, err := h.DB.EditImport(r.Context(), id, mapping, onboardiq.ImportMode(r.FormValue("mode")), queue)
	var refusal *postgres.ImportRefusal
	switch {
	case errors.As(err, &refusal):
		// The report as checked with the form's choices, and why it may
		// not start.
		return h.renderImport(w, r, http.StatusUnprocessableEntity, &importData{Import: withDraft(refusal.Report, imp),
			Field: onboardiq.ErrorField(refusal), Error: refusal.Reason.Message})
	case err != nil && aboutInput(err):
		imp.Mapping = mapping
		return h.renderImport(w, r, http.StatusUnprocessableEntity, &importData{Import: imp, Field: onboardiq.ErrorField(err), Error: errText(err)})
	case err != nil:
		return err
	}
	if queue {
		h.redirectFlash(w, r, "/app/imports/"+id.String(), fmt.Sprintf("The import of %d rows has started.", next.Rows))
		return nil
	}
	h.redirectFlash(w, r, "/app/imports/"+id.String(), "Checked again with your columns.")
	return nil
}

// withDraft is a refused report shown as the draft it still is.
func withDraft(r, draft *onboardiq.Import) *onboardiq.Import {
	out := *r
	out.ID, out.Status, out.CreatedAt, out.CreatedBy = draft.ID, onboardiq.ImportDraft, draft.CreatedAt, draft.CreatedBy
	return &out
}

// workspaceExport streams the workspace's JSON archive (admins), as
// GET /api/v1/export does.
func (h *Handler) workspaceExport(w http.ResponseWriter, r *http.Request) error {
	started := false
	err := h.DB.ExportWorkspace(r.Context(), func() io.Writer {
		started = true
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="workspace-%s.json"`, time.Now().UTC().Format("2006-01-02")))
		return w
	})
	if err != nil && started {
		// Past the headers a failure can only cut the file short.
		h.Logger.ErrorContext(r.Context(), "workspace export cut short", "error", err)
		return nil
	}
	return err
}
