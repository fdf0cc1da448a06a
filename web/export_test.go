package web

// Internals the external tests check directly.
var (
	FormatMoney    = formatMoney
	SafeNext       = safeNext
	NormalizePhone = normalizePhone
	ParseExpiry    = parseExpiry
	Scale          = scale
	FieldOf        = fieldOf
	KnownCodes     = knownCodes
	Languages      = languages
)

// Catalogs returns the message catalogs by language.
func Catalogs() (map[string]map[string]string, error) {
	cs, err := loadCatalogs()
	out := map[string]map[string]string{}
	for l, c := range cs {
		out[l] = c
	}
	return out, err
}
