package web

import (
	"embed"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// The languages the app speaks; the first is the default.
var languages = []string{"en", "zh-CN"}

//go:embed i18n/*.json
var catalogFiles embed.FS

// catalog is one language's messages by key. Placeholders are written
// {name} and filled by T's name/value pairs.
type catalog map[string]string

func loadCatalogs() (map[string]catalog, error) {
	out := map[string]catalog{}
	for _, lang := range languages {
		b, err := catalogFiles.ReadFile("i18n/" + lang + ".json")
		if err != nil {
			return nil, fmt.Errorf("web: catalog %s: %w", lang, err)
		}
		var c catalog
		if err := json.Unmarshal(b, &c); err != nil {
			return nil, fmt.Errorf("web: catalog %s: %w", lang, err)
		}
		out[lang] = c
	}
	return out, nil
}

// text is the message key in c with its placeholders filled. A missing key
// shows as itself so that a gap is visible, never a blank; a test keeps
// both catalogs complete.
func (c catalog) text(key string, args ...string) string {
	s, ok := c[key]
	if !ok {
		return key
	}
	if len(args) < 2 {
		return s
	}
	pairs := make([]string, 0, len(args))
	for i := 0; i+1 < len(args); i += 2 {
		pairs = append(pairs, "{"+args[i]+"}", args[i+1])
	}
	return strings.NewReplacer(pairs...).Replace(s)
}

// pickLanguage is ?lang= when it names a language, then the cookie, then
// the browser's Accept-Language (any Chinese gets zh-CN), then English.
// fromQuery reports that ?lang= chose it, so the caller remembers it.
func pickLanguage(r *http.Request) (lang string, fromQuery bool) {
	if l := knownLanguage(r.URL.Query().Get("lang")); l != "" {
		return l, true
	}
	if l := knownLanguage(cookieValue(r, cookieLang)); l != "" {
		return l, false
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		if strings.HasPrefix(tag, "zh") {
			return "zh-CN", false
		}
		if strings.HasPrefix(tag, "en") {
			return "en", false
		}
	}
	return languages[0], false
}

func knownLanguage(s string) string {
	for _, l := range languages {
		if strings.EqualFold(s, l) {
			return l
		}
	}
	return ""
}
