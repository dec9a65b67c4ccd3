package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/onboardiq/onboardiq/internal/health"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// healthData is the health overview as its template reads it.
type healthData struct {
	*postgres.HealthPage
	// LevelClass is each level's colour class: good, fair, warn or bad by
	// its place among the workspace's levels.
	LevelClass map[string]string
	CSV        string
}

// LevelName names a level's key.
func (d healthData) LevelName(key string) string {
	return health.Config{Levels: d.Levels}.LevelName(key)
}

// levelClasses gives each level a colour by its place: the best good, the
// worst bad, the one above the worst warn, the others fair.
func levelClasses(levels []health.Level) map[string]string {
	out := map[string]string{}
	for i, l := range levels {
		switch {
		case i == len(levels)-1:
			out[l.Key] = "level-bad"
		case i == 0:
			out[l.Key] = "level-good"
		case i == len(levels)-2:
			out[l.Key] = "level-warn"
		default:
			out[l.Key] = "level-fair"
		}
	}
	return out
}

// healthPage is the health overview: every customer's score, level,
// trend, ARR, renewal, stage and CSM, sortable and filterable, and whom to
// call today.
func (h *Handler) healthPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := postgres.HealthFilter{Level: q.Get("level"), CSM: q.Get("csm"), Stage: q.Get("stage"), Sort: q.Get("sort")}
	pg, err := h.DB.LoadHealthPage(r.Context(), f)
	if err != nil {
		return err
	}
	if wantsCSV(r) {
		return healthCSV(w, pg.Rows)
	}
	d := healthData{HealthPage: pg, LevelClass: levelClasses(pg.Levels), CSV: csvLink("/app/health", q)}
	return h.render(w, r, http.StatusOK, "health.html", view{Title: "Health", Data: d, Unread: pg.Unread, counted: true})
}

func healthCSV(w http.ResponseWriter, rows []postgres.HealthRow) error {
	header := []string{"customer_id", "customer", "score", "level", "trend", "arr", "renewal_date", "stage", "csm", "computed_at"}
	out := make([][]string, len(rows))
	for i, r := range rows {
		out[i] = []string{r.CustomerID.String(), r.CustomerName, intCell(r.Score), r.LevelName, intCell(r.Trend), csvNumber(r.ARR),
			csvString(r.RenewalDate), r.StageName, r.CSMName, csvTime(r.ComputedAt)}
	}
	return writeCSV(w, "health", header, out)
}

func intCell(v *int) string {
	if v == nil {
		return ""
	}
	return strconv.Itoa(*v)
}

// scoreChart is a line chart of daily scores drawn as inline SVG: a 0–100
// scale with the levels as bands, one point a day.
type scoreChart struct {
	Width, Height float64
	Left, Top     float64 // the plot's corner
	PlotW, PlotH  float64
	Line          string // the polyline's points
	Dots          []scoreDot
	Bands         []scoreBand
	XTicks        []scoreTick
	YTicks        []scoreTick
	Summary       string
}

type scoreDot struct {
	X, Y  float64
	Title string
}

type scoreBand struct {
	Y, H  float64
	Class string
	Name  string
}

type scoreTick struct {
	X, Y float64
	Text string
}

// healthChart draws the history from its first day to today (at least two
// weeks wide), in bands of the workspace's levels; nil without history.
func healthChart(points []postgres.HealthPoint, levels []health.Level, names func(string) string, today time.Time) *scoreChart {
	if len(points) == 0 {
		return nil
	}
	c := &scoreChart{Width: 640, Height: 220, Left: 36, Top: 10}
	c.PlotW, c.PlotH = c.Width-c.Left-10, c.Height-c.Top-30
	first, err := time.Parse(time.DateOnly, points[0].Day)
	if err != nil {
		return nil
	}
	end := today.UTC().Truncate(24 * time.Hour)
	span := max(14, int(end.Sub(first).Hours()/24))
	start := end.AddDate(0, 0, -span)
	x := func(day time.Time) float64 { return c.Left + c.PlotW*day.Sub(start).Hours()/24/float64(span) }
	y := func(score int) float64 { return c.Top + c.PlotH*float64(100-score)/100 }
	classes := levelClasses(levels)
	top := 100
	for _, l := range levels {
		c.Bands = append(c.Bands, scoreBand{Y: y(top), H: y(l.Min) - y(top), Class: classes[l.Key], Name: l.Name})
		top = l.Min
	}
	var line []string
	for _, p := range points {
		day, err := time.Parse(time.DateOnly, p.Day)
		if err != nil {
			continue
		}
		px, py := x(day), y(p.Score)
		line = append(line, fmt.Sprintf("%.1f,%.1f", px, py))
		c.Dots = append(c.Dots, scoreDot{X: px, Y: py, Title: fmt.Sprintf("%s: %d (%s)", day.Format("2 Jan 2006"), p.Score, names(p.Level))})
	}
	c.Line = strings.Join(line, " ")
	for _, v := range []int{0, 25, 50, 75, 100} {
		c.YTicks = append(c.YTicks, scoreTick{X: c.Left - 6, Y: y(v) + 4, Text: strconv.Itoa(v)})
	}
	step := max(1, span/4)
	for d := 0; d <= span; d += step {
		day := start.AddDate(0, 0, d)
		c.XTicks = append(c.XTicks, scoreTick{X: x(day), Y: c.Top + c.PlotH + 18, Text: day.Format("2 Jan")})
	}
	last := points[len(points)-1]
	c.Summary = fmt.Sprintf("Health from %s to %s: %d scores, now %d (%s).", first.Format("2 Jan 2006"), last.Day, len(points), last.Score, names(last.Level))
	return c
}
