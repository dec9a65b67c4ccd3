package web

import (
	"net/http"
	"net/url"
	"time"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// myTasksPageSize is how many tasks "My tasks" shows at once.
const myTasksPageSize = 50

type myTasksData struct {
	Tasks *postgres.MyTasks
	Next  string
	First string
}

// myTasks lists the signed-in user's open tasks across the open projects,
// the overdue ones first, then by due date.
func (h *Handler) myTasks(w http.ResponseWriter, r *http.Request) error {
	if wantsCSV(r) {
		return h.myTasksCSV(w, r)
	}
	cursor := r.URL.Query().Get("cursor")
	tasks, err := h.DB.ListMyTasks(r.Context(), onboardiq.ListOptions{Limit: myTasksPageSize, Cursor: cursor}, time.Now())
	if err != nil {
		return err
	}
	d := &myTasksData{Tasks: tasks}
	if cursor != "" {
		d.First = "/app/my-tasks"
	}
	if tasks.NextCursor != "" {
		d.Next = "/app/my-tasks?" + url.Values{"cursor": {tasks.NextCursor}}.Encode()
	}
	return h.render(w, r, http.StatusOK, "my_tasks.html", view{Title: "My tasks", Data: d, Unread: tasks.Unread, counted: true})
}
