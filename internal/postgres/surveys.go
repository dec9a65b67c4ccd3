package postgres

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/mailtemplate"
)

// Satisfaction surveys (docs/surveys.md): CSAT (1–5) when a phase or the
// whole project is completed, NPS (0–10) to each contact on the
// workspace's schedule. A survey is a request to one contact, sent by
// email with the scale as signed one-click links and shown in the portal;
// its answer is a row of survey_responses, the table the health scores
// and the success metrics read.

// Survey kinds, and the occasions a survey is requested on.
const (
	SurveyCSAT = "csat"
	SurveyNPS  = "nps"

	SurveyProjectCompleted = "project_completed"
	SurveyMilestone        = "milestone"
	SurveySchedule         = "schedule"
)

const (
	// SurveyTTL is how long a survey may be answered after it is sent.
	SurveyTTL = 30 * 24 * time.Hour
	// NPSGrace is how long a new contact is left alone before their first
	// NPS survey: they have not formed an opinion yet.
	NPSGrace = 14 * 24 * time.Hour
	// MilestoneSurveyQuiet is the least time between two CSAT surveys at
	// milestones to one contact: a busy week of phases asks once.
	MilestoneSurveyQuiet = 7 * 24 * time.Hour
	// MaxSurveyComment bounds a comment, in characters.
	MaxSurveyComment = 2000
)

// KindSurveyDetractor tells a customer's CSM that one of their contacts
// answered a survey as a detractor (IsDetractor).
const KindSurveyDetractor = "survey_detractor"

// IsDetractor says whether a score is a detractor's: NPS 0–6, CSAT 1–2.
func IsDetractor(kind string, score int) bool {
	if kind == SurveyNPS {
		return score <= 6
	}
	return score <= 2
}

// SurveyScale is the lowest and highest score of kind.
func SurveyScale(kind string) (low, high int) {
	if kind == SurveyNPS {
		return 0, 10
	}
	return 1, 5
}

func checkScore(kind string, score int) error {
	low, high := SurveyScale(kind)
	if score < low || score > high {
		return onboardiq.Invalid("score", "must be between %d and %d", low, high)
	}
	return nil
}

func checkComment(comment string) (*string, error) {
	comment = strings.TrimSpace(comment)
	if comment == "" {
		return nil, nil
	}
	if utf8.RuneCountInString(comment) > MaxSurveyComment {
		return nil, onboardiq.Invalid("comment", "must be at most %d characters", MaxSurveyComment)
	}
	return &comment, nil
}

// SurveySettings are when a workspace asks its contacts.
type SurveySettings struct {
	CSATOnCompletion bool `json:"csat_on_completion" doc:"Send a CSAT survey to the customer's contacts when a project is completed."`
	CSATOnMilestones bool `json:"csat_on_milestones" doc:"Send a CSAT survey when a phase of a project is completed."`
	NPSIntervalDays  int  `json:"nps_interval_days" doc:"Days between two NPS surveys to one contact: 0 (off) or 30–365."`
}

// Check validates s, naming the field.
func (s SurveySettings) Check() error {
	if s.NPSIntervalDays != 0 && (s.NPSIntervalDays < 30 || s.NPSIntervalDays > 365) {
		return onboardiq.Invalid("nps_interval_days", "must be 0 (off) or between 30 and 365 days")
	}
	return nil
}

func surveySettings(ctx context.Context, tx *Tx) (*SurveySettings, error) {
	s := &SurveySettings{}
	if err := tx.QueryRow(ctx, `SELECT csat_on_completion, csat_on_milestones, nps_interval_days FROM tenants WHERE tenant_id = $1`,
		tx.TenantID()).Scan(&s.CSATOnCompletion, &s.CSATOnMilestones, &s.NPSIntervalDays); err != nil {
		return nil, fmt.Errorf("survey settings: %w", err)
	}
	return s, nil
}

// GetSurveySettings returns the workspace's survey settings, for staff.
func (db *DB) GetSurveySettings(ctx context.Context) (*SurveySettings, error) {
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) (*SurveySettings, error) {
		if err := p.Check(onboardiq.ReadSettings); err != nil {
			return nil, err
		}
		return surveySettings(ctx, tx)
	})
}

// SetSurveySettings replaces the survey settings (admins).
func (db *DB) SetSurveySettings(ctx context.Context, in SurveySettings) (*SurveySettings, error) {
	if err := in.Check(); err != nil {
		return nil, err
	}
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if err := p.Check(onboardiq.ManageSettings); err != nil {
			return err
		}
		before, err := surveySettings(ctx, tx)
		if err != nil {
			return err
		}
		changes := map[string]any{}
		if before.CSATOnCompletion != in.CSATOnCompletion {
			changes["csat_on_completion"] = map[string]any{"from": before.CSATOnCompletion, "to": in.CSATOnCompletion}
		}
		if before.CSATOnMilestones != in.CSATOnMilestones {
			changes["csat_on_milestones"] = map[string]any{"from": before.CSATOnMilestones, "to": in.CSATOnMilestones}
		}
		if before.NPSIntervalDays != in.NPSIntervalDays {
			changes["nps_interval_days"] = map[string]any{"from": before.NPSIntervalDays, "to": in.NPSIntervalDays}
		}
		if len(changes) == 0 {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE tenants SET csat_on_completion = $2, csat_on_milestones = $3, nps_interval_days = $4 WHERE tenant_id = $1`,
			tx.TenantID(), in.CSATOnCompletion, in.CSATOnMilestones, in.NPSIntervalDays); err != nil {
			return fmt.Errorf("survey settings: %w", err)
		}
		return tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventSurveySettingsChanged, Changes: changes})
	})
	if err != nil {
		return nil, err
	}
	out := in
	return &out, nil
}

// SurveyAsk is a survey to request of one contact.
type SurveyAsk struct {
	Kind      string // SurveyCSAT or SurveyNPS
	Reason    string // SurveyProjectCompleted, SurveyMilestone, SurveySchedule
	UserID    uuid.UUID
	ProjectID *uuid.UUID
	Subject   string // what it asks about; "": the workspace
	// Key makes the request once: a second ask with the same key
	// requests nothing. It names the kind, the occasion and the contact.
	Key string
}

// What RequestSurvey did, beside the MailXxx outcomes of the email.
const (
	SurveyOpen  = "open"  // skipped: the contact has an open NPS survey
	SurveyQuiet = "quiet" // skipped: the contact was asked lately
)

// RequestSurvey requests a survey of a contact, in tx, as of now: records
// the request and queues its email, whose scale links start with baseURL
// (the app's address). Nothing is requested of a contact who is no longer
// active, turned the survey's email off, or whose address bounced; nor a
// second time with the same key; nor an NPS survey while one is open. It
// returns the request (uuid.Nil when none was made) and what happened.
func (tx *Tx) RequestSurvey(ctx context.Context, a SurveyAsk, baseURL string, now time.Time) (uuid.UUID, string, error) {
	mailKind := "survey_" + a.Kind
	kind, ok := mailtemplate.Find(mailKind)
	if !ok || (a.Reason != SurveyProjectCompleted && a.Reason != SurveyMilestone && a.Reason != SurveySchedule) || a.Key == "" {
		return uuid.Nil, "", fmt.Errorf("request survey: bad ask %+v", a)
	}
	t, err := loadMailTarget(ctx, tx, a.UserID, mailKind, now)
	switch {
	case err != nil:
		return uuid.Nil, "", err
	case t == nil || !t.active:
		return uuid.Nil, MailNotContact, nil
	case t.off && kind.Optional:
		return uuid.Nil, MailOff, nil
	case t.undeliverable:
		return uuid.Nil, MailUndeliverable, nil
	}
	var customer uuid.UUID
	var open, recent bool
	if err := tx.QueryRow(ctx, `
SELECT u.customer_id,
       EXISTS (SELECT FROM survey_requests r WHERE r.tenant_id = u.tenant_id AND r.user_id = u.user_id AND r.kind = 'nps'
               AND r.answered_at IS NULL AND r.expires_at > $3),
       EXISTS (SELECT FROM survey_requests r WHERE r.tenant_id = u.tenant_id AND r.user_id = u.user_id AND r.kind = 'csat'
               AND r.reason = 'milestone' AND r.sent_at > $4)
FROM tenant_users u WHERE u.tenant_id = $1 AND u.user_id = $2`,
		tx.TenantID(), a.UserID, now, now.Add(-MilestoneSurveyQuiet)).Scan(&customer, &open, &recent); err != nil {
		return uuid.Nil, "", fmt.Errorf("request survey: %w", err)
	}
	switch {
	case a.Kind == SurveyNPS && open:
		return uuid.Nil, SurveyOpen, nil
	case a.Reason == SurveyMilestone && recent:
		return uuid.Nil, SurveyQuiet, nil
	}
	subject := a.Subject
	if subject == "" {
		subject = t.workspace
	}
	var id uuid.UUID
	err = tx.QueryRow(ctx, `
INSERT INTO survey_requests (tenant_id, kind, customer_id, user_id, project_id, reason, subject, dedupe_key, sent_at, expires_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (tenant_id, dedupe_key) DO NOTHING
RETURNING request_id`, tx.TenantID(), a.Kind, customer, a.UserID, a.ProjectID, a.Reason, subject, a.Key, now, now.Add(SurveyTTL)).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return uuid.Nil, MailDuplicate, nil
	}
	if err != nil {
		return uuid.Nil, "", fmt.Errorf("request survey: %w", err)
	}
	if err := tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventSurveyRequested, CustomerID: &customer, ProjectID: a.ProjectID,
		Data: map[string]any{"kind": a.Kind, "reason": a.Reason, "subject": subject, "user_id": a.UserID, "request_id": id}}); err != nil {
		return uuid.Nil, "", err
	}
	lowText, highText := "very unsatisfied", "very satisfied"
	if a.Kind == SurveyNPS {
		lowText, highText = "not at all likely", "extremely likely"
	}
	values := map[string]string{"survey_subject": subject, "scale": surveyScaleLinks(tx, id, a.Kind, strings.TrimRight(baseURL, "/")+"/portal/"+t.slug),
		"scale_low": lowText, "scale_high": highText}
	out, err := queueContactMail(ctx, tx, ContactMail{Kind: mailKind, UserID: a.UserID, Key: "survey:" + id.String(), Values: values, ProjectID: a.ProjectID}, now)
	return id, out, err
}

// surveyScaleLinks is the scale of an email as Markdown links, one per
// score, each signed for the request and its score; without the server's
// keyring (no ONBOARDIQ_SECRET_KEY) the email links to the portal instead.
func surveyScaleLinks(tx *Tx, request uuid.UUID, kind, portal string) string {
	if tx.secrets == nil {
		return "[Answer in the portal](" + linkPlaceholder + ")"
	}
	low, high := SurveyScale(kind)
	links := make([]string, 0, high-low+1)
	for s := low; s <= high; s++ {
		links = append(links, fmt.Sprintf("[%d](%s/s/%s)", s, portal, surveyToken(tx, request, s)))
	}
	return strings.Join(links, " · ")
}

// Survey link tokens: the tenant, the request and the score, signed with
// the server's keyring (128 bits of MAC), so one click records the score
// without signing in, and nobody can make a link for another request or
// score.
const surveyPurpose = "onboardiq survey v1"

var surveyEnc = base64.RawURLEncoding

const surveyTokenLen = 16 + 16 + 1 + 16

func surveyToken(tx *Tx, request uuid.UUID, score int) string {
	tenant := tx.TenantID()
	body := append(append(append([]byte{}, tenant[:]...), request[:]...), byte(score))
	return surveyEnc.EncodeToString(append(body, tx.secrets.MAC(surveyPurpose, body)[:16]...))
}

// SurveyToken is the token of request's link for score, in tx's tenant
// (for tests and the development mailbox); "" without the keyring.
func (tx *Tx) SurveyToken(request uuid.UUID, score int) string {
	if tx.secrets == nil {
		return ""
	}
	return surveyToken(tx, request, score)
}

func (db *DB) readSurveyToken(token string) (tenant, request uuid.UUID, score int, ok bool) {
	raw, err := surveyEnc.DecodeString(token)
	if err != nil || db.secrets == nil || len(raw) != surveyTokenLen {
		return uuid.Nil, uuid.Nil, 0, false
	}
	body, sum := raw[:len(raw)-16], raw[len(raw)-16:]
	if !db.secrets.VerifyMAC(surveyPurpose, body, sum) {
		return uuid.Nil, uuid.Nil, 0, false
	}
	copy(tenant[:], body[:16])
	copy(request[:], body[16:32])
	return tenant, request, int(body[32]), true
}

var (
	errSurveyLink    = onboardiq.Errorf(onboardiq.ENOTFOUND, "this survey link is not valid: it may have been changed or cut short; open it again from the email")
	errSurveyExpired = onboardiq.Errorf(onboardiq.ECONFLICT, "this survey has closed: it could be answered for 30 days")
	errSurveyNone    = onboardiq.Errorf(onboardiq.ENOTFOUND, "survey not found")
)

// SurveyAnswer is a survey as answered, for the thank-you page.
type SurveyAnswer struct {
	TenantID  uuid.UUID
	RequestID uuid.UUID
	Kind      string
	Subject   string
	Score     int
	Comment   string
	Slug      string
	Workspace string
	// Already: the survey had been answered before; nothing changed.
	Already bool
}

// AnswerSurveyLink records the score a survey link names (one click in the
// email): once. A second use of any of the request's links answers with the
// recorded answer and Already set, changing nothing; a link that was
// altered is refused, and so is one past its survey's 30 days. No session
// is needed: the link is signed.
func (db *DB) AnswerSurveyLink(ctx context.Context, token string, now time.Time) (*SurveyAnswer, error) {
	tenant, request, score, ok := db.readSurveyToken(token)
	if !ok {
		return nil, errSurveyLink
	}
	var a *SurveyAnswer
	err := db.InTenant(ctx, tenant, func(ctx context.Context, tx *Tx) error {
		var err error
		a, err = answerSurvey(ctx, tx, request, nil, score, nil, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// CommentSurveyLink adds a comment to the answer of a survey link's request
// (the thank-you page's form): once; a survey answered with a comment
// keeps it.
func (db *DB) CommentSurveyLink(ctx context.Context, token, comment string, now time.Time) (*SurveyAnswer, error) {
	tenant, request, _, ok := db.readSurveyToken(token)
	if !ok {
		return nil, errSurveyLink
	}
	c, err := checkComment(comment)
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, onboardiq.Invalid("comment", "is empty")
	}
	var a *SurveyAnswer
	err = db.InTenant(ctx, tenant, func(ctx context.Context, tx *Tx) error {
		var err error
		a, err = commentSurvey(ctx, tx, request, *c, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// CheckSurveyLink reads a survey link's request without answering it.
func (db *DB) CheckSurveyLink(ctx context.Context, token string) (*SurveyAnswer, error) {
	tenant, request, score, ok := db.readSurveyToken(token)
	if !ok {
		return nil, errSurveyLink
	}
	var a *SurveyAnswer
	err := db.InTenantReadOnly(ctx, tenant, func(ctx context.Context, tx *Tx) error {
		r, err := loadSurveyRequest(ctx, tx, request, false)
		if err != nil {
			return err
		}
		a = r.answer()
		a.Score = score
		return nil
	})
	return a, err
}

// AnswerSurvey records the signed-in contact's answer to one of their open
// surveys, in the portal, with an optional comment.
func (db *DB) AnswerSurvey(ctx context.Context, request uuid.UUID, score int, comment string, now time.Time) (*SurveyAnswer, error) {
	c, err := checkComment(comment)
	if err != nil {
		return nil, err
	}
	var a *SurveyAnswer
	err = db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if !p.IsCustomer() {
			return errSurveyNone
		}
		var err error
		a, err = answerSurvey(ctx, tx, request, &p.UserID, score, c, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

type surveyRequest struct {
	tenant, id, customer, user uuid.UUID
	project                    *uuid.UUID
	kind, subject              string
	answered                   *time.Time
	expires                    time.Time
	customerName               string
	contactName, email         string
	slug, workspace            string
	score                      *int
	comment                    *string
}

func (r *surveyRequest) answer() *SurveyAnswer {
	a := &SurveyAnswer{TenantID: r.tenant, RequestID: r.id, Kind: r.kind, Subject: r.subject, Slug: r.slug, Workspace: r.workspace, Already: r.answered != nil}
	if r.score != nil {
		a.Score = *r.score
	}
	if r.comment != nil {
		a.Comment = *r.comment
	}
	return a
}

// loadSurveyRequest reads a request, its answer if any, and whom it asks;
// with lock, locked for the answer.
func loadSurveyRequest(ctx context.Context, tx *Tx, id uuid.UUID, lock bool) (*surveyRequest, error) {
	r := &surveyRequest{tenant: tx.TenantID()}
	q := `
SELECT r.request_id, r.customer_id, r.user_id, r.project_id, r.kind, r.subject, r.answered_at, r.expires_at,
       c.name, u.name, u.email, tn.slug, coalesce(nullif(b.portal_name, ''), tn.name)
FROM survey_requests r
JOIN customers c ON c.tenant_id = r.tenant_id AND c.customer_id = r.customer_id
JOIN tenant_users u ON u.tenant_id = r.tenant_id AND u.user_id = r.user_id
JOIN tenants tn ON tn.tenant_id = r.tenant_id
LEFT JOIN tenant_branding b ON b.tenant_id = r.tenant_id
WHERE r.tenant_id = $1 AND r.request_id = $2`
	if lock {
		// The request alone is locked (not the workspace's rows it joins).
		var locked uuid.UUID
		err := tx.QueryRow(ctx, `SELECT request_id FROM survey_requests WHERE tenant_id = $1 AND request_id = $2 FOR UPDATE`, tx.TenantID(), id).Scan(&locked)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, errSurveyNone
		}
		if err != nil {
			return nil, fmt.Errorf("survey: %w", err)
		}
	}
	err := tx.QueryRow(ctx, q, tx.TenantID(), id).Scan(&r.id, &r.customer, &r.user, &r.project, &r.kind, &r.subject, &r.answered, &r.expires,
		&r.customerName, &r.contactName, &r.email, &r.slug, &r.workspace)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errSurveyNone
	}
	if err != nil {
		return nil, fmt.Errorf("survey: %w", err)
	}
	if r.answered != nil {
		err := tx.QueryRow(ctx, `SELECT score, comment FROM survey_responses WHERE tenant_id = $1 AND request_id = $2`,
			tx.TenantID(), id).Scan(&r.score, &r.comment)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return nil, fmt.Errorf("survey answer: %w", err)
		}
	}
	return r, nil
}

// answerSurvey records score (and comment) for request, once; contact,
// when set, must be whom it asks.
func answerSurvey(ctx context.Context, tx *Tx, request uuid.UUID, contact *uuid.UUID, score int, comment *string, now time.Time) (*SurveyAnswer, error) {
	r, err := loadSurveyRequest(ctx, tx, request, true)
	if err != nil {
		return nil, err
	}
	if contact != nil && *contact != r.user {
		return nil, errSurveyNone
	}
	if r.answered != nil {
		return r.answer(), nil
	}
	if !now.Before(r.expires) {
		return nil, errSurveyExpired
	}
	if err := checkScore(r.kind, score); err != nil {
		return nil, err
	}
	var response uuid.UUID
	err = tx.QueryRow(ctx, `
INSERT INTO survey_responses (tenant_id, request_id, kind, customer_id, user_id, project_id, score, comment, answered_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (tenant_id, request_id) WHERE request_id IS NOT NULL DO NOTHING
RETURNING response_id`, tx.TenantID(), r.id, r.kind, r.customer, r.user, r.project, score, comment, now).Scan(&response)
	if errors.Is(err, pgx.ErrNoRows) {
		a := r.answer()
		a.Already = true
		return a, nil
	}
	if err != nil {
		return nil, fmt.Errorf("survey answer: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE survey_requests SET answered_at = $3 WHERE tenant_id = $1 AND request_id = $2`, tx.TenantID(), r.id, now); err != nil {
		return nil, fmt.Errorf("survey answer: %w", err)
	}
	detractor := IsDetractor(r.kind, score)
	data := map[string]any{"kind": r.kind, "score": score, "detractor": detractor, "request_id": r.id, "response_id": response,
		"user_id": r.user, "subject": r.subject, "commented": comment != nil}
	if r.project != nil {
		data["project_id"] = *r.project
	}
	if err := tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventSurveyAnswered, ActorID: &r.user, CustomerID: &r.customer, ProjectID: r.project, Data: data}); err != nil {
		return nil, err
	}
	r.score, r.comment = &score, comment
	if detractor {
		if err := notifyDetractor(ctx, tx, r, "", now); err != nil {
			return nil, err
		}
	}
	a := r.answer()
	a.Already = false
	return a, nil
}

// commentSurvey adds a comment to request's answer, when it has none.
func commentSurvey(ctx context.Context, tx *Tx, request uuid.UUID, comment string, now time.Time) (*SurveyAnswer, error) {
	r, err := loadSurveyRequest(ctx, tx, request, true)
	if err != nil {
		return nil, err
	}
	if r.answered == nil || r.score == nil {
		return nil, onboardiq.Invalid("score", "choose a score first")
	}
	if r.comment != nil {
		a := r.answer()
		a.Already = true
		return a, nil
	}
	if _, err := tx.Exec(ctx, `UPDATE survey_responses SET comment = $3 WHERE tenant_id = $1 AND request_id = $2`, tx.TenantID(), r.id, comment); err != nil {
		return nil, fmt.Errorf("survey comment: %w", err)
	}
	r.comment = &comment
	detractor := IsDetractor(r.kind, *r.score)
	data := map[string]any{"kind": r.kind, "score": *r.score, "detractor": detractor, "request_id": r.id, "user_id": r.user,
		"subject": r.subject, "commented": true, "comment_added": true}
	if r.project != nil {
		data["project_id"] = *r.project
	}
	if err := tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventSurveyAnswered, ActorID: &r.user, CustomerID: &r.customer, ProjectID: r.project, Data: data}); err != nil {
		return nil, err
	}
	if detractor {
		if err := notifyDetractor(ctx, tx, r, ":comment", now); err != nil {
			return nil, err
		}
	}
	a := r.answer()
	a.Already = false
	return a, nil
}

// notifyDetractor tells the customer's CSM (or, without one, the admins)
// of a detractor's answer, naming the customer, the contact, the score and
// the comment; once per request (and once more for a comment added later).
func notifyDetractor(ctx context.Context, tx *Tx, r *surveyRequest, keySuffix string, now time.Time) error {
	rows, err := tx.Query(ctx, `
SELECT s.user_id FROM customers c JOIN tenant_users s ON s.tenant_id = c.tenant_id AND s.user_id = c.support_member_id AND s.disabled_at IS NULL
WHERE c.tenant_id = $1 AND c.customer_id = $2
UNION ALL
SELECT a.user_id FROM tenant_users a
WHERE a.tenant_id = $1 AND a.role = 'admin' AND a.disabled_at IS NULL
  AND NOT EXISTS (SELECT FROM customers c JOIN tenant_users s ON s.tenant_id = c.tenant_id AND s.user_id = c.support_member_id AND s.disabled_at IS NULL
                  WHERE c.tenant_id = $1 AND c.customer_id = $2)`, tx.TenantID(), r.customer)
	if err != nil {
		return fmt.Errorf("detractor: %w", err)
	}
	to, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return fmt.Errorf("detractor: %w", err)
	}
	_, high := SurveyScale(r.kind)
	label := strings.ToUpper(r.kind)
	title := fmt.Sprintf("%s of %s gave %s %d/%d", r.contactName, r.customerName, label, *r.score, high)
	body := fmt.Sprintf("%s (%s) of %s answered the %s survey about %s with %d of %d.", r.contactName, r.email, r.customerName, label, r.subject, *r.score, high)
	if r.comment != nil {
		body += " Their comment: “" + *r.comment + "”"
	} else {
		body += " No comment yet."
	}
	_, err = tx.NotifyUsers(ctx, StaffNotice{Kind: KindSurveyDetractor, Users: to, Key: "survey:" + r.id.String() + keySuffix,
		Title: title, Body: body, ProjectID: r.project,
		Data: map[string]any{"customer_id": r.customer, "user_id": r.user, "request_id": r.id, "score": *r.score, "kind": r.kind,
			"link": "/app/customers/" + r.customer.String()}}, now)
	return err
}

// OpenSurvey is a survey a contact may still answer, for the portal.
type OpenSurvey struct {
	ID        uuid.UUID
	Kind      string
	Subject   string
	SentAt    time.Time
	ExpiresAt time.Time
}

// Scores are the survey's scale, lowest first.
func (s *OpenSurvey) Scores() []int {
	low, high := SurveyScale(s.Kind)
	out := make([]int, 0, high-low+1)
	for i := low; i <= high; i++ {
		out = append(out, i)
	}
	return out
}

// ListOpenSurveys lists the signed-in contact's open surveys (none for
// staff), newest first.
func (db *DB) ListOpenSurveys(ctx context.Context, now time.Time) ([]*OpenSurvey, error) {
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) ([]*OpenSurvey, error) {
		if !p.IsCustomer() {
			return nil, nil
		}
		var out []*OpenSurvey
		b := &pgx.Batch{}
		queueOpenSurveys(b, tx.TenantID(), p.UserID, now, &out)
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return nil, err
		}
		return out, nil
	})
}

// surveysOnPortalHome bounds the open surveys the portal's home shows.
const surveysOnPortalHome = 5

// queueOpenSurveys queues the read of user's open surveys at now into dst,
// in a batch (the portal home's).
func queueOpenSurveys(b *pgx.Batch, tenant, user uuid.UUID, now time.Time, dst *[]*OpenSurvey) {
	b.Queue(`
SELECT request_id, kind, subject, sent_at, expires_at FROM survey_requests
WHERE tenant_id = $1 AND user_id = $2 AND answered_at IS NULL AND expires_at > $3
ORDER BY sent_at DESC, request_id LIMIT $4`, tenant, user, now, surveysOnPortalHome).Query(func(rows pgx.Rows) (err error) {
		*dst, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (*OpenSurvey, error) {
			s := &OpenSurvey{}
			return s, r.Scan(&s.ID, &s.Kind, &s.Subject, &s.SentAt, &s.ExpiresAt)
		})
		if err != nil {
			return fmt.Errorf("open surveys: %w", err)
		}
		return nil
	})
}

// SurveyResponse is one answer, as staff read it.
type SurveyResponse struct {
	ID           uuid.UUID  `json:"id"`
	RequestID    *uuid.UUID `json:"request_id,omitempty"`
	Kind         string     `json:"kind" enum:"csat,nps"`
	Score        int        `json:"score"`
	Detractor    bool       `json:"detractor" doc:"NPS 0–6, or CSAT 1–2."`
	Comment      string     `json:"comment"`
	CustomerID   uuid.UUID  `json:"customer_id"`
	CustomerName string     `json:"customer_name"`
	UserID       uuid.UUID  `json:"user_id"`
	ContactName  string     `json:"contact_name"`
	ProjectID    *uuid.UUID `json:"project_id,omitempty"`
	Reason       string     `json:"reason,omitempty" doc:"What the survey was sent on: project_completed, milestone or schedule."`
	Subject      string     `json:"subject,omitempty"`
	AnsweredAt   time.Time  `json:"answered_at"`
}

// SurveyFilter narrows the responses listed.
type SurveyFilter struct {
	onboardiq.ListOptions
	Kind       string
	CustomerID *uuid.UUID
	From, To   *time.Time // answered at or after From, before To
}

// ListSurveyResponses lists answers, newest first, for staff.
func (db *DB) ListSurveyResponses(ctx context.Context, f SurveyFilter) (onboardiq.Page[*SurveyResponse], error) {
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) (onboardiq.Page[*SurveyResponse], error) {
		var out onboardiq.Page[*SurveyResponse]
		if err := p.Check(onboardiq.ReadDashboard); err != nil {
			return out, err
		}
		if err := f.Normalise(); err != nil {
			return out, err
		}
		if f.Kind != "" && f.Kind != SurveyCSAT && f.Kind != SurveyNPS {
			return out, onboardiq.Invalid("kind", "must be csat or nps")
		}
		if f.From != nil && f.To != nil && !f.From.Before(*f.To) {
			return out, onboardiq.Invalid("to", "must be after from")
		}
		before, beforeID, err := newestFirst(f.Cursor)
		if err != nil {
			return out, err
		}
		rows, err := tx.Query(ctx, `
SELECT s.response_id, s.request_id, s.kind, s.score, coalesce(s.comment, ''), s.customer_id, c.name, s.user_id, coalesce(u.name, ''),
       s.project_id, coalesce(r.reason, ''), coalesce(r.subject, ''), s.answered_at
FROM survey_responses s
JOIN customers c ON c.tenant_id = s.tenant_id AND c.customer_id = s.customer_id
LEFT JOIN tenant_users u ON u.tenant_id = s.tenant_id AND u.user_id = s.user_id
LEFT JOIN survey_requests r ON r.tenant_id = s.tenant_id AND r.request_id = s.request_id
WHERE s.tenant_id = $1
  AND ($2::text = '' OR s.kind = $2)
  AND ($3::uuid IS NULL OR s.customer_id = $3)
  AND ($4::timestamptz IS NULL OR s.answered_at >= $4)
  AND ($5::timestamptz IS NULL OR s.answered_at < $5)
  AND (s.answered_at, s.response_id) < ($6, $7)
ORDER BY s.answered_at DESC, s.response_id DESC LIMIT $8`,
			tx.TenantID(), f.Kind, f.CustomerID, f.From, f.To, before, beforeID, f.Limit+1)
		if err != nil {
			return out, fmt.Errorf("survey responses: %w", err)
		}
		items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*SurveyResponse, error) {
			s := &SurveyResponse{}
			err := r.Scan(&s.ID, &s.RequestID, &s.Kind, &s.Score, &s.Comment, &s.CustomerID, &s.CustomerName, &s.UserID, &s.ContactName,
				&s.ProjectID, &s.Reason, &s.Subject, &s.AnsweredAt)
			s.Detractor = IsDetractor(s.Kind, s.Score)
			return s, err
		})
		if err != nil {
			return out, fmt.Errorf("survey responses: %w", err)
		}
		return page(items, f.Limit, func(s *SurveyResponse) []any { return []any{s.AnsweredAt, s.ID} }), nil
	})
}

// RequestProjectCSAT asks every active contact of a completed project's
// customer for a CSAT survey about the project, when the workspace asks
// at completion: once per project and contact, however often the
// completion is handed over. It returns how many were requested.
func (tx *Tx) RequestProjectCSAT(ctx context.Context, projectID uuid.UUID, baseURL string, now time.Time) (int, error) {
	s, err := surveySettings(ctx, tx)
	if err != nil || !s.CSATOnCompletion {
		return 0, err
	}
	var customer uuid.UUID
	var name, status string
	var completed *time.Time
	err = tx.QueryRow(ctx, `SELECT customer_id, name, status, completed_at FROM projects WHERE tenant_id = $1 AND project_id = $2`,
		tx.TenantID(), projectID).Scan(&customer, &name, &status, &completed)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("project survey: %w", err)
	}
	if status != "completed" || completed == nil || now.Sub(*completed) > MilestoneRecent {
		return 0, nil
	}
	return requestOfContacts(ctx, tx, customer, SurveyAsk{Kind: SurveyCSAT, Reason: SurveyProjectCompleted, ProjectID: &projectID, Subject: name,
		Key: "csat:project:" + projectID.String()}, baseURL, now)
}

// RequestPhaseCSAT asks the customer's contacts for a CSAT survey about a
// completed phase of a project (the milestone the contact emails
// announce), when the workspace asks at milestones and the phase is still
// complete; not when the project is complete too (RequestProjectCSAT asks
// then), and not of a contact asked at a milestone within
// MilestoneSurveyQuiet. Once per phase and contact.
func (tx *Tx) RequestPhaseCSAT(ctx context.Context, projectID uuid.UUID, phase, baseURL string, now time.Time) (int, error) {
	s, err := surveySettings(ctx, tx)
	if err != nil || !s.CSATOnMilestones || phase == "" {
		return 0, err
	}
	var customer uuid.UUID
	var status string
	var phaseOpen, projectOpen int
	err = tx.QueryRow(ctx, `
SELECT p.customer_id, p.status,
       (SELECT count(*) FROM tasks t WHERE t.tenant_id = p.tenant_id AND t.project_id = p.project_id AND t.phase = $3 AND t.status NOT IN ('completed', 'cancelled')),
       (SELECT count(*) FROM tasks t WHERE t.tenant_id = p.tenant_id AND t.project_id = p.project_id AND t.status NOT IN ('completed', 'cancelled'))
FROM projects p WHERE p.tenant_id = $1 AND p.project_id = $2`, tx.TenantID(), projectID, phase).Scan(&customer, &status, &phaseOpen, &projectOpen)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("phase survey: %w", err)
	}
	if status == "cancelled" || phaseOpen > 0 || projectOpen == 0 {
		return 0, nil
	}
	return requestOfContacts(ctx, tx, customer, SurveyAsk{Kind: SurveyCSAT, Reason: SurveyMilestone, ProjectID: &projectID,
		Subject: MilestoneName(phase), Key: "csat:milestone:" + projectID.String() + ":" + phase}, baseURL, now)
}

// phaseCSATDue is the completed task when it completes its phase (but not
// the project) lately and the workspace asks at milestones; else nil.
func phaseCSATDue(ctx context.Context, tx *Tx, taskID uuid.UUID, now time.Time) (*taskFacts, error) {
	s, err := surveySettings(ctx, tx)
	if err != nil || !s.CSATOnMilestones {
		return nil, err
	}
	f, err := loadTaskFacts(ctx, tx, taskID)
	if err != nil || f == nil || f.phase == "" || f.status != string(onboardiq.StatusCompleted) ||
		f.completedAt == nil || now.Sub(*f.completedAt) > MilestoneRecent || f.projectStatus == "cancelled" {
		return nil, err
	}
	var phaseOpen, projectOpen int
	if err := tx.QueryRow(ctx, `
SELECT count(*) FILTER (WHERE phase = $3), count(*)
FROM tasks WHERE tenant_id = $1 AND project_id = $2 AND status NOT IN ('completed', 'cancelled')`,
		tx.TenantID(), f.project, f.phase).Scan(&phaseOpen, &projectOpen); err != nil {
		return nil, fmt.Errorf("phase survey: %w", err)
	}
	if phaseOpen > 0 || projectOpen == 0 {
		return nil, nil
	}
	return f, nil
}

// SurveyDelay is how long after its occasion a CSAT survey is requested:
// it does not land in the same minute as the milestone email, and a phase
// reopened meanwhile (a task completed by mistake) asks nothing.
const SurveyDelay = time.Hour

// SurveyAskArgs requests the CSAT surveys of one occasion: a completed
// project, or (Phase set) a completed phase of it.
type SurveyAskArgs struct {
	TenantID  uuid.UUID `json:"tenant_id"`
	ProjectID uuid.UUID `json:"project_id"`
	Phase     string    `json:"phase,omitempty"`
}

// Kind is River's name for the job.
func (SurveyAskArgs) Kind() string { return "survey_ask" }

// InsertOpts: one job per occasion, however often the fan-out runs.
func (SurveyAskArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 5, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// ScheduleCSAT schedules, SurveyDelay after now, the CSAT surveys an
// event is the occasion of (the fan-out's consumer "surveys"): a project
// completed, or a task completed that completes its phase, when the
// workspace asks then. It says whether it scheduled any.
func (tx *Tx) ScheduleCSAT(ctx context.Context, e *onboardiq.Event, now time.Time) (bool, error) {
	args := SurveyAskArgs{TenantID: tx.TenantID()}
	switch {
	case e.Kind == onboardiq.EventProjectCompleted && e.ProjectID != nil:
		s, err := surveySettings(ctx, tx)
		if err != nil || !s.CSATOnCompletion {
			return false, err
		}
		args.ProjectID = *e.ProjectID
	case e.Kind == onboardiq.EventTaskCompleted && e.TaskID != nil:
		f, err := phaseCSATDue(ctx, tx, *e.TaskID, now)
		if err != nil || f == nil {
			return false, err
		}
		args.ProjectID, args.Phase = f.project, f.phase
	default:
		return false, nil
	}
	return true, tx.EnqueueAt(ctx, args, now.Add(SurveyDelay))
}

// requestOfContacts requests a (keyed key:<contact>) of every active
// contact of customer.
func requestOfContacts(ctx context.Context, tx *Tx, customer uuid.UUID, a SurveyAsk, baseURL string, now time.Time) (int, error) {
	settings, err := loadSettings(ctx, tx)
	if err != nil {
		return 0, err
	}
	contacts, err := customerContacts(ctx, tx, customer, settings)
	if err != nil {
		return 0, err
	}
	key, n := a.Key, 0
	for _, c := range contacts {
		a.UserID, a.Key = c.id, key+":"+c.id.String()
		id, _, err := tx.RequestSurvey(ctx, a, baseURL, now)
		if err != nil {
			return n, err
		}
		if id != uuid.Nil {
			n++
		}
	}
	return n, nil
}

// QueueNPSSurveys asks for an NPS survey each active contact (of a
// customer not archived) whose last NPS survey was sent more than the
// workspace's interval ago, or who never had one and was added more than
// NPSGrace ago; none while the schedule is off. It returns how many were
// requested. The hourly survey scan runs it per tenant.
func (tx *Tx) QueueNPSSurveys(ctx context.Context, baseURL string, now time.Time) (int, error) {
	s, err := surveySettings(ctx, tx)
	if err != nil || s.NPSIntervalDays == 0 {
		return 0, err
	}
	rows, err := tx.Query(ctx, `
SELECT u.user_id FROM tenant_users u
JOIN customers c ON c.tenant_id = u.tenant_id AND c.customer_id = u.customer_id
WHERE u.tenant_id = $1 AND u.role = 'customer' AND u.disabled_at IS NULL AND u.undeliverable_at IS NULL AND c.archived_at IS NULL
  AND u.created_at <= $2
  AND NOT EXISTS (SELECT FROM survey_requests r WHERE r.tenant_id = u.tenant_id AND r.user_id = u.user_id AND r.kind = 'nps'
                  AND (r.sent_at > $3 OR (r.answered_at IS NULL AND r.expires_at > $4)))
ORDER BY u.created_at, u.user_id LIMIT 500`, tx.TenantID(), now.Add(-NPSGrace), now.AddDate(0, 0, -s.NPSIntervalDays), now)
	if err != nil {
		return 0, fmt.Errorf("nps scan: %w", err)
	}
	users, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return 0, fmt.Errorf("nps scan: %w", err)
	}
	n := 0
	for _, u := range users {
		id, _, err := tx.RequestSurvey(ctx, SurveyAsk{Kind: SurveyNPS, Reason: SurveySchedule, UserID: u,
			Key: "nps:" + u.String() + ":" + now.UTC().Format(time.DateOnly)}, baseURL, now)
		if err != nil {
			return n, err
		}
		if id != uuid.Nil {
			n++
		}
	}
	return n, nil
}

// SurveyScanArgs enqueues the NPS scan of every tenant (hourly).
type SurveyScanArgs struct{}

// Kind is River's name for the job.
func (SurveyScanArgs) Kind() string { return "survey_scan" }

// SurveyTenantArgs runs one tenant's NPS scan.
type SurveyTenantArgs struct {
	TenantID uuid.UUID `json:"tenant_id"`
}

// Kind is River's name for the job.
func (SurveyTenantArgs) Kind() string { return "survey_scan_tenant" }
