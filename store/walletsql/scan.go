package walletsql

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// nanos is t as stored: Unix nanoseconds, 0 for the zero time. (An instant
// exactly at the Unix epoch would read back as the zero time; the wallet
// never stores one.)
func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// blob is b for a NOT NULL byte column: nil would be bound as NULL.
func blob(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// likePrefix is a LIKE pattern (with ESCAPE '\') matching strings that
// start with p.
func likePrefix(p string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(p) + "%"
}

// at scans a nanosecond column into a time.Time.
type at struct{ t *time.Time }

func (c at) Scan(src any) error {
	n, ok := src.(int64)
	if !ok {
		return fmt.Errorf("time column: got %T, want int64", src)
	}
	*c.t = fromNanos(n)
	return nil
}

// hash32 scans a 32-byte column (token hashes, fingerprints).
type hash32 struct{ h *[32]byte }

func (c hash32) Scan(src any) error {
	b, ok := src.([]byte)
	if !ok || len(b) != len(c.h) {
		return fmt.Errorf("32-byte column: got %T of length %d", src, len(b))
	}
	copy(c.h[:], b)
	return nil
}

// optBytes scans a nullable byte column: NULL is nil, anything else
// non-nil (even empty), so that "no PIN" and a PIN hash stay apart.
type optBytes struct{ b *[]byte }

func (c optBytes) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*c.b = nil
	case []byte:
		*c.b = append([]byte{}, v...)
	default:
		return fmt.Errorf("bytes column: got %T", src)
	}
	return nil
}

// limits scans User.Limits from its JSON text; "null" is a nil map.
type limits struct{ m *map[string]int64 }

func (c limits) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		return fmt.Errorf("limits column: got %T", src)
	}
	*c.m = nil
	return json.Unmarshal(b, c.m)
}
