package walletsql

import "testing"

func TestBind(t *testing.T) {
	for _, tc := range []struct {
		name, in, sqlite, postgres string
	}{
		{"None", `SELECT 1`, `SELECT 1`, `SELECT 1`},
		{"Several", `UPDATE t SET a = ?, b = ? WHERE c = ?`, `UPDATE t SET a = ?, b = ? WHERE c = ?`, `UPDATE t SET a = $1, b = $2 WHERE c = $3`},
		{"Ten", `VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, `VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, `VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`},
		{"InLiteral", `SELECT '?' WHERE a = ? AND b LIKE ? ESCAPE '\'`, `SELECT '?' WHERE a = ? AND b LIKE ? ESCAPE '\'`, `SELECT '?' WHERE a = $1 AND b LIKE $2 ESCAPE '\'`},
		{"QuotedQuote", `SELECT 'it''s ?', ?`, `SELECT 'it''s ?', ?`, `SELECT 'it''s ?', $1`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := SQLite.bind(tc.in); got != tc.sqlite {
				t.Errorf("SQLite: %s, want %s", got, tc.sqlite)
			}
			if got := PostgreSQL.bind(tc.in); got != tc.postgres {
				t.Errorf("PostgreSQL: %s, want %s", got, tc.postgres)
			}
		})
	}
}

func TestLikePrefix(t *testing.T) {
	for in, want := range map[string]string{"": "%", "+86": "+86%", "a%b_c": `a\%b\_c%`, `a\b`: `a\\b%`} {
		if got := likePrefix(in); got != want {
			t.Errorf("likePrefix(%q) = %q, want %q", in, got, want)
		}
	}
}
