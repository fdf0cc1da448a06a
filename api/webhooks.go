package api

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/ewallet/ewallet/merchant"
	"github.com/ewallet/ewallet/webhook"
)

type endpointReq struct {
	URL    string   `json:"url"`
	Events []string `json:"events"`
}

type endpointBody struct {
	ID        string    `json:"id"`
	URL       string    `json:"url"`
	Events    []string  `json:"events"`
	Disabled  bool      `json:"disabled"`
	CreatedAt time.Time `json:"created_at"`
}

type endpointList struct {
	Data    []endpointBody `json:"data"`
	HasMore bool           `json:"has_more"`
}

type eventBody struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	CreatedAt time.Time       `json:"created_at"`
	Data      json.RawMessage `json:"data"`
}

type eventList struct {
	Data    []eventBody `json:"data"`
	HasMore bool        `json:"has_more"`
}

type attemptBody struct {
	EventID    string     `json:"event_id"`
	EndpointID string     `json:"endpoint_id"`
	Attempt    int        `json:"attempt"`
	At         time.Time  `json:"at"`
	Status     int        `json:"status"`
	Error      string     `json:"error,omitempty"`
	DurationMS int64      `json:"duration_ms"`
	NextAt     *time.Time `json:"next_at,omitempty"`
	State      string     `json:"state"`
}

type attemptList struct {
	Data    []attemptBody `json:"data"`
	HasMore bool          `json:"has_more"`
}

type redeliverBody struct {
	Queued int `json:"queued"`
}

type paymentList struct {
	Data    []merchant.PaymentView `json:"data"`
	HasMore bool                   `json:"has_more"`
}

func toEndpoint(e webhook.Endpoint) endpointBody {
	return endpointBody{ID: e.ID, URL: e.URL, Events: e.Events, Disabled: e.Disabled, CreatedAt: e.CreatedAt}
}

func (a *API) createEndpoint(c *call) {
	var req endpointReq
	if err := decode(c.r, &req, false); err != nil {
		a.fail(c, err)
		return
	}
	e, err := a.Webhooks.CreateEndpoint(c.ctx(), c.merchant.ID, req.URL, req.Events)
	if err != nil {
		a.fail(c, err)
		return
	}
	writeJSON(c.w, http.StatusCreated, toEndpoint(e))
}

func (a *API) listEndpoints(c *call) {
	es, err := a.Webhooks.ListEndpoints(c.ctx(), c.merchant.ID)
	if err != nil {
		a.fail(c, err)
		return
	}
	out := endpointList{Data: []endpointBody{}}
	for _, e := range es {
		out.Data = append(out.Data, toEndpoint(e))
	}
	writeJSON(c.w, http.StatusOK, out)
}

func (a *API) deleteEndpoint(c *call) {
	if err := a.Webhooks.DeleteEndpoint(c.ctx(), c.merchant.ID, c.r.PathValue("id")); err != nil {
		a.fail(c, err)
		return
	}
	c.w.WriteHeader(http.StatusNoContent)
}

func (a *API) listEvents(c *call) {
	q := c.r.URL.Query()
	limit, err := webhookLimit(q.Get("limit"))
	if err != nil {
		a.fail(c, err)
		return
	}
	evs, more, err := a.Webhooks.ListEvents(c.ctx(), c.merchant.ID, webhook.Page{StartingAfter: q.Get("starting_after"), Limit: limit})
	if err != nil {
		a.fail(c, err)
		return
	}
	out := eventList{Data: []eventBody{}, HasMore: more}
	for _, e := range evs {
		out.Data = append(out.Data, eventBody{ID: e.ID, Type: e.Type, CreatedAt: e.CreatedAt, Data: e.Data})
	}
	writeJSON(c.w, http.StatusOK, out)
}

func (a *API) getEvent(c *call) {
	e, err := a.Webhooks.Event(c.ctx(), c.merchant.ID, c.r.PathValue("id"))
	if err != nil {
		a.fail(c, err)
		return
	}
	writeJSON(c.w, http.StatusOK, eventBody{ID: e.ID, Type: e.Type, CreatedAt: e.CreatedAt, Data: e.Data})
}

func (a *API) redeliverEvent(c *call) {
	if err := decode(c.r, &struct{}{}, true); err != nil {
		a.fail(c, err)
		return
	}
	n, err := a.Webhooks.Redeliver(c.ctx(), c.merchant.ID, c.r.PathValue("id"))
	if err != nil {
		a.fail(c, err)
		return
	}
	writeJSON(c.w, http.StatusOK, redeliverBody{Queued: n})
}

// endpointAttempts is an endpoint's delivery log, newest first.
func (a *API) endpointAttempts(c *call) {
	limit, err := webhookLimit(c.r.URL.Query().Get("limit"))
	if err != nil {
		a.fail(c, err)
		return
	}
	as, err := a.Webhooks.Attempts(c.ctx(), c.merchant.ID, webhook.Filter{EndpointID: c.r.PathValue("id"), Limit: limit})
	if err != nil {
		a.fail(c, err)
		return
	}
	out := attemptList{Data: []attemptBody{}}
	for _, x := range as {
		b := attemptBody{EventID: x.EventID, EndpointID: x.EndpointID, Attempt: x.Attempt, At: x.At, Status: x.Status, Error: x.Error,
			DurationMS: x.Duration.Milliseconds(), State: string(x.State)}
		if !x.NextAt.IsZero() {
			b.NextAt = &x.NextAt
		}
		out.Data = append(out.Data, b)
	}
	writeJSON(c.w, http.StatusOK, out)
}

func (a *API) listPayments(c *call) {
	q := c.r.URL.Query()
	limit, err := pageLimit(q.Get("limit"))
	if err != nil {
		a.fail(c, err)
		return
	}
	ps, more, err := a.Merchants.Payments(c.ctx(), c.merchant, q.Get("starting_after"), limit)
	if err != nil {
		a.fail(c, err)
		return
	}
	out := paymentList{Data: []merchant.PaymentView{}, HasMore: more}
	for _, p := range ps {
		out.Data = append(out.Data, a.Merchants.View(c.merchant, p))
	}
	writeJSON(c.w, http.StatusOK, out)
}

// webhookLimit is the contract's ?limit= (1-200, default 50), within the
// webhook store's page of at most 100.
func webhookLimit(s string) (int, error) {
	n, err := pageLimit(s)
	return min(n, 100), err
}
