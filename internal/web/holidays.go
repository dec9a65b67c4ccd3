package web

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/onboardiq/onboardiq"
)

// holidaysData is the holidays page: the list as saved, and the form's
// text (one day a line), kept as typed when it was refused.
type holidaysData struct {
	Holidays []onboardiq.Holiday
	Text     string
	Error    string
}

// holidaysText writes a list as the form shows it: "2026-12-25 Christmas".
func holidaysText(hs []onboardiq.Holiday) string {
	var b strings.Builder
	for _, h := range hs {
		b.WriteString(strings.TrimSpace(h.Day + " " + h.Name))
		b.WriteString("\n")
	}
	return b.String()
}

// parseHolidays reads the form's lines, a date and an optional name each,
// blank lines skipped; lines[i] is the line the i-th day came from.
func parseHolidays(text string) (hs []onboardiq.Holiday, lines []int) {
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		day, name, _ := strings.Cut(line, " ")
		hs = append(hs, onboardiq.Holiday{Day: day, Name: strings.TrimSpace(name)})
		lines = append(lines, i+1)
	}
	return hs, lines
}

// entryField matches the field of an error about one entry: holidays[2].day;
// entryNamed, an entry named in its message.
var (
	entryField = regexp.MustCompile(`^holidays\[(\d+)\]`)
	entryNamed = regexp.MustCompile(`holidays\[(\d+)\]`)
)

// holidaysError says what was wrong, by the line of the form.
func holidaysError(err error, lines []int) string {
	msg := onboardiq.ErrorMessage(err)
	if m := entryField.FindStringSubmatch(onboardiq.ErrorField(err)); m != nil {
		if i, _ := strconv.Atoi(m[1]); i < len(lines) {
			// Entries are named by index; a line says it better.
			msg = entryNamed.ReplaceAllStringFunc(msg, func(s string) string {
				j, _ := strconv.Atoi(entryNamed.FindStringSubmatch(s)[1])
				if j < len(lines) {
					return fmt.Sprintf("line %d", lines[j])
				}
				return s
			})
			return fmt.Sprintf("Line %d: %s", lines[i], msg)
		}
	}
	return msg
}

func (h *Handler) holidays(w http.ResponseWriter, r *http.Request) error {
	hs, err := h.DB.ListHolidays(r.Context())
	if err != nil {
		return err
	}
	return h.render(w, r, http.StatusOK, "holidays.html", view{Title: "Holidays", Data: &holidaysData{Holidays: hs, Text: holidaysText(hs)}})
}

// holidaysSave replaces the holidays with the form's list (admins). A
// refused list comes back as typed, the error naming its line.
func (h *Handler) holidaysSave(w http.ResponseWriter, r *http.Request) error {
	text := r.FormValue("holidays")
	in, lines := parseHolidays(text)
	saved, err := h.DB.SetHolidays(r.Context(), in)
	if err != nil && !aboutInput(err) {
		return err
	}
	if err != nil {
		hs, lerr := h.DB.ListHolidays(r.Context())
		if lerr != nil {
			return lerr
		}
		return h.render(w, r, http.StatusUnprocessableEntity, "holidays.html", view{Title: "Holidays",
			Data: &holidaysData{Holidays: hs, Text: text, Error: holidaysError(err, lines)}})
	}
	msg := fmt.Sprintf("Saved %d holidays.", len(saved))
	if len(saved) == 1 {
		msg = "Saved 1 holiday."
	}
	h.redirectFlash(w, r, "/app/settings/holidays", msg)
	return nil
}
