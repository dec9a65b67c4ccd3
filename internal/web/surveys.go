package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// Satisfaction surveys (docs/surveys.md): the page a score link of a
// survey email opens (one click records the score, then thanks and offers
// a comment), the portal home's card of open surveys, and the settings'
// Surveys section.

// surveyPageData is the page of a survey link (portal_survey.html).
type surveyPageData struct {
	Slug, Token string
	A           *postgres.SurveyAnswer
	High        int    // the scale's top: 5 or 10
	Refused     string // why the link was refused; "" when it worked
	Commented   bool   // a comment was just added
	// The comment form as it was sent and refused.
	Comment, Field, Error string
}

// surveyLinkPage records the score of a survey link (no sign-in: the link
// is signed) and thanks; a second use shows the answer recorded, changing
// nothing. A link altered, cut short or for another workspace is refused
// with a page saying so (404), and so is one past its 30 days (410).
func (h *Handler) surveyLinkPage(w http.ResponseWriter, r *http.Request) error {
	return h.surveyLink(w, r, http.StatusOK, nil)
}

func (h *Handler) surveyLink(w http.ResponseWriter, r *http.Request, status int, typed *surveyPageData) error {
	ctx := r.Context()
	b, err := h.DB.GetPublicBranding(ctx, r.PathValue("slug"))
	if err != nil {
		return err
	}
	w.Header().Set("Referrer-Policy", "no-referrer")
	d := &surveyPageData{Slug: b.Slug, Token: r.PathValue("token"), Commented: r.FormValue("commented") == "1"}
	if typed != nil {
		d.Comment, d.Field, d.Error = typed.Comment, typed.Field, typed.Error
	}
	v := view{Title: "Survey", Slug: b.Slug, Brand: b, Data: d}
	refuse := func(err error) error {
		code := http.StatusNotFound
		switch onboardiq.ErrorCode(err) {
		case onboardiq.ENOTFOUND:
		case onboardiq.ECONFLICT:
			code = http.StatusGone
		case onboardiq.EINVALID:
			code = http.StatusBadRequest
		default:
			return err
		}
		d.Refused = onboardiq.ErrorMessage(err)
		return h.render(w, r, code, "portal_survey.html", v)
	}
	check, err := h.DB.CheckSurveyLink(ctx, d.Token)
	if err != nil {
		return refuse(err)
	}
	if check.Slug != b.Slug {
		return refuse(onboardiq.Errorf(onboardiq.ENOTFOUND, "this survey link is not valid"))
	}
	a, err := h.DB.AnswerSurveyLink(ctx, d.Token, time.Now())
	if err != nil {
		return refuse(err)
	}
	d.A = a
	_, d.High = postgres.SurveyScale(a.Kind)
	return h.render(w, r, status, "portal_survey.html", v)
}

// surveyComment adds the thank-you page's comment to the link's answer.
func (h *Handler) surveyComment(w http.ResponseWriter, r *http.Request) error {
	slug, token := r.PathValue("slug"), r.PathValue("token")
	check, err := h.DB.CheckSurveyLink(r.Context(), token)
	if err == nil && check.Slug != slug {
		err = onboardiq.Errorf(onboardiq.ENOTFOUND, "this survey link is not valid")
	}
	if err == nil {
		_, err = h.DB.CommentSurveyLink(r.Context(), token, r.FormValue("comment"), time.Now())
	}
	if err != nil {
		if onboardiq.ErrorCode(err) != onboardiq.EINVALID {
			return h.surveyLink(w, r, http.StatusOK, nil) // the page says why the link is refused
		}
		return h.surveyLink(w, r, http.StatusUnprocessableEntity, &surveyPageData{Comment: r.FormValue("comment"),
			Field: onboardiq.ErrorField(err), Error: onboardiq.ErrorMessage(err)})
	}
	http.Redirect(w, r, "/portal/"+slug+"/s/"+token+"?commented=1", http.StatusSeeOther)
	return nil
}

// portalSurveys is the portal home's card: the contact's open surveys,
// and the one whose answer was refused, as it was sent.
type portalSurveys struct {
	Open     []*postgres.OpenSurvey
	Answered bool // an answer was just recorded
	// The refused form: its survey, the comment typed, the error.
	ID             uuid.UUID
	Comment        string
	Field, Error   string
	MaxCommentSize int
}

// newPortalSurveys is the card of the open surveys the portal home read.
func newPortalSurveys(r *http.Request, open []*postgres.OpenSurvey, typed *portalSurveys) *portalSurveys {
	s := &portalSurveys{Open: open, Answered: r.FormValue("survey") == "answered", MaxCommentSize: postgres.MaxSurveyComment}
	if typed != nil {
		s.ID, s.Comment, s.Field, s.Error = typed.ID, typed.Comment, typed.Field, typed.Error
	}
	return s
}

// portalSurveyAnswer records the contact's answer from the portal home's
// card: the score is the button pressed, the comment optional.
func (h *Handler) portalSurveyAnswer(w http.ResponseWriter, r *http.Request) error {
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		return errNotFound
	}
	comment := r.FormValue("comment")
	score, err := strconv.Atoi(strings.TrimSpace(r.FormValue("score")))
	if err != nil {
		err = onboardiq.Invalid("score", "choose a score")
	} else {
		_, err = h.DB.AnswerSurvey(r.Context(), id, score, comment, time.Now())
	}
	if err != nil {
		if onboardiq.ErrorCode(err) != onboardiq.EINVALID {
			return err
		}
		return h.portalHomePage(w, r, http.StatusUnprocessableEntity, &portalSurveys{ID: id, Comment: comment,
			Field: onboardiq.ErrorField(err), Error: onboardiq.ErrorMessage(err)})
	}
	http.Redirect(w, r, "/portal/"+r.PathValue("slug")+"?survey=answered#surveys", http.StatusSeeOther)
	return nil
}

// surveySettingsForm is the settings page's Surveys section (admins).
type surveySettingsForm struct {
	Show                               bool
	CSATOnCompletion, CSATOnMilestones bool
	NPSIntervalDays                    string
	Field, Error                       string
}

// newSurveySettingsForm is the Surveys section of the settings the page
// read (nil: the caller may not manage them, and the section is not
// shown).
func newSurveySettingsForm(s *postgres.SurveySettings) surveySettingsForm {
	if s == nil {
		return surveySettingsForm{}
	}
	return surveySettingsForm{Show: true, CSATOnCompletion: s.CSATOnCompletion, CSATOnMilestones: s.CSATOnMilestones,
		NPSIntervalDays: strconv.Itoa(s.NPSIntervalDays)}
}

// surveySettingsSave saves the Surveys section; a refused value re-renders
// the settings page with the error beside its field and the form as sent.
func (h *Handler) surveySettingsSave(w http.ResponseWriter, r *http.Request) error {
	in := postgres.SurveySettings{CSATOnCompletion: r.FormValue("csat_on_completion") == "on", CSATOnMilestones: r.FormValue("csat_on_milestones") == "on"}
	days := strings.TrimSpace(r.FormValue("nps_interval_days"))
	n, err := strconv.Atoi(days)
	if err != nil {
		err = onboardiq.Invalid("nps_interval_days", "must be a whole number of days (0: off)")
	} else {
		in.NPSIntervalDays = n
		_, err = h.DB.SetSurveySettings(r.Context(), in)
	}
	if err != nil {
		if !aboutInput(err) {
			return err
		}
		return h.settingsPage(w, r, http.StatusUnprocessableEntity, func(d *settingsData) {
			d.Surveys = surveySettingsForm{Show: true, CSATOnCompletion: in.CSATOnCompletion, CSATOnMilestones: in.CSATOnMilestones,
				NPSIntervalDays: days, Field: onboardiq.ErrorField(err), Error: onboardiq.ErrorMessage(err)}
		})
	}
	h.redirectFlash(w, r, "/app/settings#surveys", "Saved the survey settings.")
	return nil
}
