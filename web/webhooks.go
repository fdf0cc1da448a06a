package web

import (
	"net/http"
	"net/url"
)

// The merchant console's webhooks: endpoints, adding and removing one,
// an endpoint's delivery log, and sending an event again.

// eventTypes are the event types an endpoint may subscribe to.
var eventTypes = []string{"payment.succeeded", "payment.authorized", "payment.canceled", "payment.expired",
	"refund.succeeded", "payout.paid", "payout.failed"}

func webhooksPage(q *req) { renderWebhooks(q, nil, http.StatusOK) }

func renderWebhooks(q *req, f *form, status int) {
	var eps list[endpoint]
	if e := q.call(merchant, "GET", "/v1/webhook_endpoints", "", nil, &eps); e != nil {
		q.fail(e)
		return
	}
	var evs list[event]
	if e := q.call(merchant, "GET", "/v1/events?limit=10", "", nil, &evs); e != nil {
		q.fail(e)
		return
	}
	if f == nil {
		f = newForm(url.Values{"events": {"*"}})
	}
	q.render("merchant_webhooks", &view{Nav: "webhooks", Flash: q.flash(), Status: status, Forms: map[string]*form{"endpoint": f},
		Data: map[string]any{"Endpoints": eps.Data, "Events": evs.Data, "Types": eventTypes}})
}

func addEndpoint(q *req) {
	events := q.r.PostForm["events"]
	if len(events) == 0 {
		events = []string{"*"}
	}
	body := map[string]any{"url": q.form("url"), "events": events}
	if e := q.call(merchant, "POST", "/v1/webhook_endpoints", "", body, nil); e != nil {
		if e.unauthenticated() {
			q.fail(e)
			return
		}
		f := retryForm(q)
		q.formErrors(f, e, map[string]string{"invalid_request": "url"})
		renderWebhooks(q, f, e.Status)
		return
	}
	q.redirect("/app/merchant/webhooks?ok=endpoint_added")
}

func deleteEndpoint(q *req) {
	if e := q.call(merchant, "DELETE", "/v1/webhook_endpoints/"+url.PathEscape(q.r.PathValue("id")), "", nil, nil); e != nil {
		q.fail(e)
		return
	}
	q.redirect("/app/merchant/webhooks?ok=endpoint_removed")
}

func endpointPage(q *req) {
	id := q.r.PathValue("id")
	var eps list[endpoint]
	if e := q.call(merchant, "GET", "/v1/webhook_endpoints", "", nil, &eps); e != nil {
		q.fail(e)
		return
	}
	var ep *endpoint
	for i := range eps.Data {
		if eps.Data[i].ID == id {
			ep = &eps.Data[i]
		}
	}
	var log list[attempt]
	if e := q.call(merchant, "GET", "/v1/webhook_endpoints/"+url.PathEscape(id)+"/attempts?limit=50", "", nil, &log); e != nil {
		q.fail(e)
		return
	}
	if ep == nil {
		ep = &endpoint{ID: id}
	}
	q.render("merchant_endpoint", &view{Nav: "webhooks", Flash: q.flash(), Data: map[string]any{"Endpoint": ep, "Attempts": log.Data}})
}

// redeliver sends an event again to every endpoint subscribed to it and
// returns to the page the button was on.
func redeliver(q *req) {
	if e := q.call(merchant, "POST", "/v1/events/"+url.PathEscape(q.r.PathValue("id"))+"/redeliver", "", nil, nil); e != nil {
		q.fail(e)
		return
	}
	q.redirect(safeNext(q.form("back"), "/app/merchant/webhooks") + "?ok=redelivered")
}
