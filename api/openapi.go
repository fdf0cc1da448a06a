package api

import (
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The OpenAPI description is generated from the route table and the Go
// types each route decodes and encodes, so it cannot drift from them.

var (
	specOnce sync.Once
	specJSON []byte
)

func (a *API) openapi(c *call) {
	specOnce.Do(func() {
		specJSON = mustJSON(OpenAPI())
	})
	writeRaw(c.w, http.StatusOK, specJSON)
}

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

// OpenAPI returns the API's OpenAPI 3.1 description.
func OpenAPI() map[string]any {
	paths := map[string]any{}
	for _, rt := range routes {
		p, _ := paths[rt.path].(map[string]any)
		if p == nil {
			p = map[string]any{}
			paths[rt.path] = p
		}
		p[strings.ToLower(rt.method)] = operation(rt)
	}
	errSchema := schemaOf(reflect.TypeOf(errorBody{}))
	return map[string]any{
		"openapi": "3.1.0",
		"info":    map[string]any{"title": "ewallet API", "version": "1"},
		"paths":   paths,
		"components": map[string]any{
			"schemas": map[string]any{"Error": errSchema},
			"securitySchemes": map[string]any{
				"bearer": map[string]any{"type": "http", "scheme": "bearer"},
			},
		},
	}
}

func operation(rt route) map[string]any {
	op := map[string]any{"summary": rt.summary, "operationId": operationID(rt)}
	var params []any
	for _, m := range pathParam.FindAllStringSubmatch(rt.path, -1) {
		params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
	}
	for _, q := range rt.query {
		params = append(params, map[string]any{"name": q, "in": "query", "schema": map[string]any{"type": "string"}})
	}
	if strings.Contains(rt.summary, "Idempotency-Key") || rt.method == "POST" && (rt.auth == userOnly || rt.auth == merchantOnly) {
		params = append(params, map[string]any{"name": "Idempotency-Key", "in": "header", "required": strings.Contains(rt.summary, "required"),
			"schema": map[string]any{"type": "string", "minLength": 1, "maxLength": 255}})
	}
	if params != nil {
		op["parameters"] = params
	}
	if rt.req != nil {
		op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
			"application/json": map[string]any{"schema": schemaOf(reflect.TypeOf(rt.req))}}}
	}
	ok := map[string]any{"description": http.StatusText(rt.status)}
	if rt.resp != nil {
		ok["content"] = map[string]any{"application/json": map[string]any{"schema": schemaOf(reflect.TypeOf(rt.resp))}}
	}
	op["responses"] = map[string]any{
		strconv.Itoa(rt.status): ok,
		"default": map[string]any{"description": "An error", "content": map[string]any{
			"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}},
	}
	if rt.secured() {
		op["security"] = []any{map[string]any{"bearer": []any{}}}
	}
	return op
}

func operationID(rt route) string {
	s := strings.ToLower(rt.method) + strings.NewReplacer("/", "_", "{", "", "}", "", ".", "_").Replace(rt.path)
	return strings.Trim(s, "_")
}

var timeType = reflect.TypeOf(time.Time{})
var amountType = reflect.TypeOf(Amount{})
var rawJSONType = reflect.TypeOf(json.RawMessage{})

// schemaOf derives a JSON Schema from a Go type and its json tags.
func schemaOf(t reflect.Type) map[string]any {
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t == rawJSONType:
		return map[string]any{"type": "object", "description": "the object the event is about"}
	case t == amountType:
		return map[string]any{"type": "string", "pattern": `^[0-9]+(\.[0-9]+)?$`, "description": "decimal amount in major units"}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return schemaOf(t.Elem())
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int64, reflect.Int32:
		return map[string]any{"type": "integer"}
	case reflect.Slice:
		return map[string]any{"type": "array", "items": schemaOf(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": schemaOf(t.Elem())}
	case reflect.Struct:
		props := map[string]any{}
		var required []string
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" || !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			props[name] = schemaOf(f.Type)
			if !strings.Contains(opts, "omitempty") {
				required = append(required, name)
			}
		}
		s := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
		if required != nil {
			s["required"] = required
		}
		return s
	}
	return map[string]any{}
}
