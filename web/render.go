package web

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"
)

//go:embed templates
var templateFiles embed.FS

// page is one page's template: the layout, the shared parts and its own
// file, which defines "title" and "content".
type page struct{ t *template.Template }

// funcs are the template functions that need no request.
var funcs = template.FuncMap{
	"money": formatMoney,
	"pair":  func(a, b any) []any { return []any{a, b} },
}

// parsePages parses every templates/pages/*.html with the layout and parts.
func parsePages() (map[string]*page, error) {
	names, err := fs.Glob(templateFiles, "templates/pages/*.html")
	if err != nil {
		return nil, err
	}
	out := map[string]*page{}
	for _, name := range names {
		t, err := template.New(path.Base(name)).Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", "templates/parts/*.html", name)
		if err != nil {
			return nil, err
		}
		out[strings.TrimSuffix(path.Base(name), ".html")] = &page{t}
	}
	return out, nil
}

// form is a form's state on a page: what was typed, the errors by field
// and for the whole form, and the nonce its idempotency key derives from.
type form struct {
	Values url.Values
	Errors map[string]string
	Error  string
	Nonce  string
}

// newForm is a fresh form; values are what to prefill.
func newForm(values url.Values) *form {
	if values == nil {
		values = url.Values{}
	}
	return &form{Values: values, Nonce: randomHex(16)}
}

// failed reports whether the form has an error to show.
func (f *form) failed() bool { return f.Error != "" || len(f.Errors) > 0 }

// view is what a page's template sees.
type view struct {
	q      *req
	Title  string
	Nav    string // the menu entry to mark as current
	Flash  string // a one-line confirmation
	Data   any
	Forms  map[string]*form
	Status int
}

// T is a message in the page's language.
func (v *view) T(key string, args ...string) string { return v.q.T(key, args...) }

func (v *view) Lang() string { return v.q.lang }

// OtherLang is the language the switcher offers.
func (v *view) OtherLang() string {
	if v.q.lang == "en" {
		return "zh-CN"
	}
	return "en"
}

// LangURL is this page's address in the other language. A page that
// answers a POST links to the GET page of the same path when there is
// one, else to its area's first page.
func (v *view) LangURL() string {
	u := *v.q.r.URL
	if v.q.r.Method == http.MethodGet {
		qs := u.Query()
		qs.Set("lang", v.OtherLang())
		u.RawQuery = qs.Encode()
		return u.RequestURI()
	}
	path := v.q.r.URL.Path
	if get, err := http.NewRequest(http.MethodGet, path, nil); err != nil || !v.q.s.hasPage(get) {
		path = v.q.area.home()
	}
	return path + "?lang=" + v.OtherLang()
}

// CSRF is the token for the forms of the page's area.
func (v *view) CSRF() string { return v.q.s.csrfToken(v.q, v.q.area) }

// CSRFFor is the token for a form that posts to another area.
func (v *view) CSRFFor(a string) string {
	for _, ar := range []area{public, holder, merchant, operator} {
		if ar.String() == a {
			return v.q.s.csrfToken(v.q, ar)
		}
	}
	return ""
}

// Asset is a static file's address with the assets' content hash, so a
// browser never keeps an old stylesheet after an upgrade.
func (v *view) Asset(name string) string { return "/app/static/" + name + "?v=" + v.q.s.assetV }

// SignedIn says which credentials the browser holds, for the menu.
func (v *view) SignedIn(a string) bool {
	switch a {
	case "holder":
		return v.q.user != ""
	case "merchant":
		return v.q.merchant != ""
	case "operator":
		return v.q.admin != ""
	}
	return false
}

// Area is the part of the app the page belongs to.
func (v *view) Area() string { return v.q.area.String() }

func (v *view) Dev() bool { return v.q.s.Dev }

// Time shows a time in the operator's zone.
func (v *view) Time(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(v.q.s.Location).Format("2006-01-02 15:04")
}

// Form is the named form (an empty one if the page has none by that name).
func (v *view) Form(name string) *form {
	if f, ok := v.Forms[name]; ok {
		return f
	}
	return newForm(nil)
}

// render writes a page. Pages are private (balances, keys), so no cache
// keeps them.
func (q *req) render(name string, v *view) {
	p, ok := q.s.pages[name]
	if !ok {
		http.Error(q.w, "no page "+name, http.StatusInternalServerError)
		return
	}
	v.q = q
	if v.Title == "" {
		v.Title = q.T("title." + name)
	}
	var buf bytes.Buffer
	if err := p.t.ExecuteTemplate(&buf, "layout", v); err != nil {
		q.s.Log.Error("web: render", "page", name, "err", err)
		http.Error(q.w, "internal error", http.StatusInternalServerError)
		return
	}
	h := q.w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	status := v.Status
	if status == 0 {
		status = http.StatusOK
	}
	q.w.WriteHeader(status)
	q.w.Write(buf.Bytes())
}

// fail shows an API error that no form can hold: a lost session sends the
// visitor to sign in again, anything else gets the error page.
func (q *req) fail(e *apiError) {
	if e.unauthenticated() && q.area != public {
		q.forget(q.area)
		q.toSignIn()
		return
	}
	status := e.Status
	if status < 400 {
		status = http.StatusInternalServerError
	}
	q.render("error", &view{Title: q.T("title.error"), Data: q.errorText(e), Status: status})
}

// Hidden is a form's hidden fields: the CSRF token of the page's area and
// the nonce the idempotency key derives from.
func (v *view) Hidden(f *form) template.HTML {
	return template.HTML(`<input type="hidden" name="csrf" value="` + template.HTMLEscapeString(v.CSRF()) +
		`"><input type="hidden" name="nonce" value="` + template.HTMLEscapeString(f.Nonce) + `">`)
}

// Err is a field's error, next to the field, or nothing.
func (v *view) Err(f *form, field string) template.HTML {
	msg := f.Errors[field]
	if msg == "" {
		return ""
	}
	return template.HTML(`<p class="err" role="alert" id="` + template.HTMLEscapeString(field) + `-err">` + template.HTMLEscapeString(msg) + `</p>`)
}

// Invalid marks a field with an error for assistive technology and CSS.
func (v *view) Invalid(f *form, field string) template.HTMLAttr {
	if f.Errors[field] == "" {
		return ""
	}
	return template.HTMLAttr(`aria-invalid="true" aria-describedby="` + template.HTMLEscapeString(field) + `-err"`)
}

// Sub is the view with other data, for a shared part ("txns") that needs
// the page's language and tokens but shows something else.
func (v *view) Sub(data any) *view {
	c := *v
	c.Data = data
	return &c
}

// LimitText shows a limit of the contract: a CNY amount or "unlimited".
func (v *view) LimitText(s string) string {
	if s == "unlimited" {
		return v.T("limits.unlimited")
	}
	return formatMoney(s, "CNY")
}
