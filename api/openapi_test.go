package api

import (
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// contractEndpoints are the endpoints shared/API.md defines in its
// preamble (the OpenAPI document) and its sections "Conventions",
// "Server start", "Users, sessions, security", "Cards and balances",
// "Money movement", "Merchants and payments" and "Operator", copied from
// it by hand: the file lives outside this repository.
var contractEndpoints = []string{
	"GET /v1/openapi.json",

	"POST /v1/users",
	"POST /v1/users/verify",
	"POST /v1/users/verify/resend",
	"POST /v1/sessions",
	"DELETE /v1/sessions/current",
	"PUT /v1/me/pin",
	"GET /v1/me",
	"POST /v1/me/freeze",
	"POST /v1/me/unfreeze/code",
	"POST /v1/me/unfreeze",
	"GET /v1/dev/sms",

	"POST /v1/me/cards",
	"GET /v1/me/cards",
	"DELETE /v1/me/cards/{id}",
	"GET /v1/me/balances",

	"POST /v1/topups",
	"GET /v1/topups/{id}",
	"POST /v1/withdrawals",
	"GET /v1/withdrawals/{id}",
	"POST /v1/transfers",
	"GET /v1/me/transactions",
	"GET /v1/me/transactions/export",

	"POST /v1/merchants",
	"POST /v1/payments",
	"POST /v1/payments/{id}/pay",
	"POST /v1/payments/{id}/capture",
	"POST /v1/payments/{id}/cancel",
	"GET /v1/payments/{id}",
	"POST /v1/refunds",
	"GET /v1/merchant/balances",
	"POST /v1/webhook_endpoints",

	"GET /v1/admin/ledger/verify",
	"POST /v1/admin/users/{id}/kyc",
	"GET /healthz",
	"GET /readyz",
	"GET /metrics",
}

// beyondContract are the endpoints served that shared/API.md does not
// list ("Everything not listed is yours to design").
var beyondContract = []string{
	"GET /v1/admin/users",
	"GET /v1/admin/reconciliations/{date}",
	"POST /v1/bank/callbacks",
	"GET /v1/payments/{id}/qr.png",
	"GET /v1/payments",
	"GET /v1/webhook_endpoints",
	"DELETE /v1/webhook_endpoints/{id}",
	"GET /v1/webhook_endpoints/{id}/attempts",
	"GET /v1/events",
	"GET /v1/events/{id}",
	"POST /v1/events/{id}/redeliver",
	"GET /v1/merchant",
	"GET /v1/merchant/qr",
	"GET /v1/merchant/qr.png",
	"POST /v1/qr/pay",
	"GET /v1/payments/{id}/receipt",
	"GET /v1/payments/{id}/receipt.pdf",
	"GET /v1/refunds/{id}/receipt",
	"GET /v1/refunds/{id}/receipt.pdf",
	"POST /v1/receipts/verify",
	"GET /v1/receipt-keys",
	"PUT /v1/merchant/payout_card",
	"POST /v1/merchant/keys",
	"POST /v1/merchant/payouts",
	"GET /v1/merchant/payouts",
	"GET /v1/merchant/settlements/{day}",
	"POST /v1/epurse/cards",
	"GET /v1/epurse/cards",
	"GET /v1/epurse/cards/{id}",
	"POST /v1/epurse/cards/{id}/loads",
	"GET /v1/epurse/cards/{id}/loads/{load_id}",
	"POST /v1/epurse/cards/{id}/loads/{load_id}/complete",
	"POST /v1/epurse/cards/{id}/lost",
	"POST /v1/epurse/terminals",
	"GET /v1/epurse/terminals",
	"POST /v1/epurse/terminals/{id}/batches",
	"GET /v1/epurse/denylist",
	"PUT /v1/me/password",
	"GET /v1/me/sessions",
	"DELETE /v1/me/sessions",
	"POST /v1/admin/users/{id}/freeze",
	"GET /v1/admin/transfers",
}

// The contract's money movement, which must require an Idempotency-Key.
var keyRequired = []string{"POST /v1/topups", "POST /v1/withdrawals", "POST /v1/transfers",
	"POST /v1/payments/{id}/pay", "POST /v1/payments/{id}/capture", "POST /v1/refunds"}

// openAPIDoc is the part of the document the tests read.
type openAPIDoc struct {
	OpenAPI    string                          `json:"openapi"`
	Paths      map[string]map[string]openAPIOp `json:"paths"`
	Components struct {
		Schemas map[string]jsonSchema `json:"schemas"`
	} `json:"components"`
}

type openAPIOp struct {
	Parameters []struct {
		Name     string `json:"name"`
		In       string `json:"in"`
		Required bool   `json:"required"`
	} `json:"parameters"`
	RequestBody *struct {
		Content map[string]struct {
			Schema jsonSchema `json:"schema"`
		} `json:"content"`
	} `json:"requestBody"`
	Responses map[string]struct {
		Content map[string]struct {
			Schema jsonSchema `json:"schema"`
		} `json:"content"`
	} `json:"responses"`
	Security []map[string][]string `json:"security"`
}

type jsonSchema struct {
	Type                 string                `json:"type"`
	Properties           map[string]jsonSchema `json:"properties"`
	Items                *jsonSchema           `json:"items"`
	AdditionalProperties json.RawMessage       `json:"additionalProperties"`
	Ref                  string                `json:"$ref"`
}

// TestOpenAPI checks GET /v1/openapi.json against the route table, the Go
// types the routes decode and encode, the mux and the contract.
func TestOpenAPI(t *testing.T) {
	s := newTestServer(t)
	r := s.do("GET", "/v1/openapi.json", "", "", nil)
	if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Fatalf("GET /v1/openapi.json: %d %s", r.status, r.header.Get("Content-Type"))
	}
	var doc openAPIDoc
	if err := json.Unmarshal(r.body, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi %q, want 3.1.0", doc.OpenAPI)
	}

	t.Run("Routes", func(t *testing.T) {
		for _, rt := range routes {
			t.Run(rt.method+" "+rt.path, func(t *testing.T) {
				op, ok := doc.Paths[rt.path][strings.ToLower(rt.method)]
				if !ok {
					t.Fatal("missing from the document")
				}
				checkOperation(t, rt, op)
			})
		}
	})

	t.Run("OnlyRoutes", func(t *testing.T) {
		served := map[string]bool{}
		for _, rt := range routes {
			served[rt.method+" "+rt.path] = true
		}
		for _, ep := range documented(doc) {
			if !served[ep] {
				t.Errorf("%s is in the document but not in routes", ep)
			}
		}
	})

	t.Run("Served", func(t *testing.T) {
		// The control: what a path nobody serves gets.
		if r := s.do("GET", "/v1/no-such-path", "", "", nil); r.status != http.StatusNotFound || r.errorCode() != "not_found" {
			t.Fatalf("unknown path: %d %q, want 404 not_found", r.status, r.errorCode())
		}
		for _, ep := range documented(doc) {
			method, path, _ := strings.Cut(ep, " ")
			target := pathParam.ReplaceAllString(path, "x")
			r := s.do(method, target, "", "", nil)
			if r.status == http.StatusNotFound && r.errorCode() == "not_found" {
				t.Errorf("%s (as %s %s): 404 not_found, as for an unknown path: %s", ep, method, target, r.body)
			}
		}
	})

	t.Run("Contract", func(t *testing.T) {
		want := append(slices.Clone(contractEndpoints), beyondContract...)
		sort.Strings(want)
		got := documented(doc)
		for _, ep := range want {
			if !slices.Contains(got, ep) {
				t.Errorf("%s is in shared/API.md but not served", ep)
			}
		}
		for _, ep := range got {
			if !slices.Contains(want, ep) {
				t.Errorf("%s is served but neither in shared/API.md nor in beyondContract", ep)
			}
		}
	})

	t.Run("ErrorSchema", func(t *testing.T) {
		e := doc.Components.Schemas["Error"].Properties["error"]
		if got := keys(e.Properties); !slices.Equal(got, []string{"code", "message", "request_id"}) {
			t.Errorf("Error schema's error has %v, want code, message, request_id", got)
		}
	})
}

// checkOperation checks one route's operation: success status, request
// and response bodies, parameters and security.
func checkOperation(t *testing.T, rt route, op openAPIOp) {
	t.Helper()
	ok, found := op.Responses[strconv.Itoa(rt.status)]
	if !found {
		t.Errorf("no %d response (has %v)", rt.status, keys(op.Responses))
	}
	if def, found := op.Responses["default"]; !found || def.Content["application/json"].Schema.Ref != "#/components/schemas/Error" {
		t.Error("no default response with the Error schema")
	}
	switch {
	case rt.req == nil && op.RequestBody != nil:
		t.Error("a requestBody, but the route decodes none")
	case rt.req != nil && op.RequestBody == nil:
		t.Errorf("no requestBody for %T", rt.req)
	case rt.req != nil:
		schema := op.RequestBody.Content["application/json"].Schema
		checkSchema(t, "requestBody", schema, reflect.TypeOf(rt.req))
		if string(schema.AdditionalProperties) != "false" {
			t.Errorf("requestBody allows additional properties (%s), but unknown fields are refused", schema.AdditionalProperties)
		}
	}
	if rt.resp != nil {
		checkSchema(t, "response", ok.Content["application/json"].Schema, reflect.TypeOf(rt.resp))
	}

	params := map[string]bool{}
	for _, p := range op.Parameters {
		params[p.In+" "+p.Name] = true
		if p.In == "path" && !p.Required {
			t.Errorf("path parameter %s is not required", p.Name)
		}
		if p.In == "header" && p.Name == "Idempotency-Key" && slices.Contains(keyRequired, rt.method+" "+rt.path) && !p.Required {
			t.Error("Idempotency-Key is not required")
		}
	}
	for _, m := range pathParam.FindAllStringSubmatch(rt.path, -1) {
		if !params["path "+m[1]] {
			t.Errorf("no path parameter %s", m[1])
		}
	}
	for _, q := range rt.query {
		if !params["query "+q] {
			t.Errorf("no query parameter %s", q)
		}
	}
	if slices.Contains(keyRequired, rt.method+" "+rt.path) && !params["header Idempotency-Key"] {
		t.Error("no Idempotency-Key header parameter")
	}

	if secured := len(op.Security) > 0; secured != (rt.auth != public && rt.auth != devOnly) {
		t.Errorf("security %v for a route with auth %d", op.Security, rt.auth)
	}
}

// checkSchema checks that an object schema's properties are exactly the
// JSON field names of typ, recursing into struct-typed fields.
func checkSchema(t *testing.T, where string, schema jsonSchema, typ reflect.Type) {
	t.Helper()
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	switch {
	case typ == reflect.TypeFor[json.RawMessage]():
		if schema.Type != "object" {
			t.Errorf("%s: an event's data is described as %q, want object", where, schema.Type)
		}
		return
	case typ == reflect.TypeFor[time.Time](), reflect.PointerTo(typ).Implements(unmarshalerType):
		if schema.Type != "string" {
			t.Errorf("%s: %s is described as %q, want string", where, typ, schema.Type)
		}
		return
	case typ.Kind() == reflect.Slice:
		if schema.Items == nil {
			t.Errorf("%s: %s has no items", where, typ)
			return
		}
		checkSchema(t, where+"[]", *schema.Items, typ.Elem())
		return
	case typ.Kind() != reflect.Struct:
		return
	}
	fields := jsonFields(typ)
	if got, want := keys(schema.Properties), keys(fields); !slices.Equal(got, want) {
		t.Errorf("%s: properties %v, but %s has JSON fields %v", where, got, typ, want)
		return
	}
	for name, ft := range fields {
		checkSchema(t, where+"."+name, schema.Properties[name], ft)
	}
}

// documented lists the document's operations as "METHOD /path", sorted.
func documented(doc openAPIDoc) []string {
	var out []string
	for path, ops := range doc.Paths {
		for method := range ops {
			out = append(out, strings.ToUpper(method)+" "+path)
		}
	}
	sort.Strings(out)
	return out
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
