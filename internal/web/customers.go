package web

import (
	"net/http"
	"time"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

func (h *Handler) customers(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query().Get("q")
	p, err := h.DB.ListCustomers(r.Context(), postgres.CustomerFilter{ListOptions: onboardiq.ListOptions{Limit: 200}, Q: q})
	if err != nil {
		return err
	}
	return h.render(w, r, http.StatusOK, "customers.html", view{Title: "Customers", Data: map[string]any{"Q": q, "Customers": p.Items}})
}

type customerData struct {
	Customer *onboardiq.Customer
	CSM      string
	Contacts []*onboardiq.User
	Projects []*onboardiq.Project
	Activity []*onboardiq.Event
	Summary  *aiReport
}

type aiReport struct {
	Text      string
	Facts     any
	Citations any
}

func (h *Handler) loadCustomer(r *http.Request) (*customerData, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	c, err := h.DB.GetCustomer(ctx, id)
	if err != nil {
		return nil, err
	}
	d := &customerData{Customer: c}
	if c.SupportMemberID != nil {
		u, err := h.DB.GetUser(ctx, *c.SupportMemberID)
		if err != nil {
			return nil, err
		}
		d.CSM = u.Name
	}
	users, err := h.DB.ListUsers(ctx, postgres.UserFilter{ListOptions: onboardiq.ListOptions{Limit: 200}, CustomerID: &id})
	if err != nil {
		return nil, err
	}
	projects, err := h.DB.ListProjects(ctx, postgres.ProjectFilter{ListOptions: onboardiq.ListOptions{Limit: 200}, CustomerID: &id})
	if err != nil {
		return nil, err
	}
	activity, err := h.DB.ListActivity(ctx, postgres.ActivityFilter{ListOptions: onboardiq.ListOptions{Limit: 30}, CustomerID: &id})
	if err != nil {
		return nil, err
	}
	d.Contacts, d.Projects, d.Activity = users.Items, projects.Items, activity.Items
	return d, nil
}

func (h *Handler) customer(w http.ResponseWriter, r *http.Request) error {
	d, err := h.loadCustomer(r)
	if err != nil {
		return err
	}
	return h.render(w, r, http.StatusOK, "customer.html", view{Title: d.Customer.Name, Data: d})
}

func (h *Handler) summary(w http.ResponseWriter, r *http.Request) error {
	d, err := h.loadCustomer(r)
	if err != nil {
		return err
	}
	rep, err := h.Assistant.Summary(r.Context(), d.Customer.ID, time.Now().AddDate(0, 0, -30), time.Now())
	if err != nil {
		return err
	}
	d.Summary = &aiReport{Text: rep.Text, Facts: rep.Facts}
	return h.render(w, r, http.StatusOK, "customer.html", view{Title: d.Customer.Name, Data: d})
}
