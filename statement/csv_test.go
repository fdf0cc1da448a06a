package statement_test

import (
	"bytes"
	"encoding/csv"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ewallet/ewallet/statement"
)

func TestWriteCSV(t *testing.T) {
	at := time.Date(2026, 2, 1, 4, 5, 6, 0, time.UTC)
	tests := []struct {
		name string
		s    statement.Statement
		want string
	}{
		{"NoSections", statement.Statement{Holder: "x"},
			"time,id,type,direction,counterparty,note,status,currency,amount,balance_after\n"},
		{"Golden", statement.Statement{
			Holder: "王芳", TimeZone: MustLoadShanghai(t), // CSV times stay UTC
			Sections: []statement.Section{
				{Currency: "CNY", Lines: []statement.Line{
					{Time: at, ID: "top_1", Type: "topup", Direction: "in", Counterparty: "bank", Status: "completed", Amount: "100.00", BalanceAfter: "100.00"},
					{Time: at.Add(time.Hour), ID: "txn_2", Type: "transfer", Direction: "out", Counterparty: "李雷 (+8613800000002)", Note: "午饭", Status: "pending_review", Amount: "12.34", BalanceAfter: "87.66"},
				}},
				{Currency: "USD", Lines: []statement.Line{
					{Time: at.In(MustLoadShanghai(t)), ID: "pay_3", Type: "payment", Direction: "out", Counterparty: "Coffee, Tea & \"More\"", Note: "line one\nline two", Status: "completed", Amount: "3.00", BalanceAfter: "-1.00"},
				}},
			},
		}, "" +
			"time,id,type,direction,counterparty,note,status,currency,amount,balance_after\n" +
			"2026-02-01T04:05:06Z,top_1,topup,in,bank,,completed,CNY,100.00,100.00\n" +
			"2026-02-01T05:05:06Z,txn_2,transfer,out,李雷 (+8613800000002),午饭,pending_review,CNY,12.34,87.66\n" +
			"2026-02-01T04:05:06Z,pay_3,payment,out,\"Coffee, Tea & \"\"More\"\"\",\"line one\nline two\",completed,USD,3.00,-1.00\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := statement.WriteCSV(&buf, tt.s); err != nil {
				t.Fatalf("WriteCSV: %v", err)
			}
			if got := buf.String(); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

// TestWriteCSVInjection checks that a cell a spreadsheet would run as a
// formula is defused, and that our numbers are left as numbers.
func TestWriteCSVInjection(t *testing.T) {
	tests := []struct {
		name       string
		line       statement.Line
		col        int // 0-based column in the CSV row
		want       string
		wantAmount string
	}{
		{"Hyperlink", statement.Line{Note: `=HYPERLINK("http://evil.example","click")`}, 5, `'=HYPERLINK("http://evil.example","click")`, "1.00"},
		{"Plus", statement.Line{Note: "+1"}, 5, "'+1", "1.00"},
		{"Minus", statement.Line{Note: "-1"}, 5, "'-1", "1.00"},
		{"At", statement.Line{Note: "@x"}, 5, "'@x", "1.00"},
		{"Tab", statement.Line{Note: "\t=1"}, 5, "'\t=1", "1.00"},
		{"CarriageReturn", statement.Line{Note: "\r=1"}, 5, "'\r=1", "1.00"},
		{"InsideIsFine", statement.Line{Note: "a=b+c"}, 5, "a=b+c", "1.00"},
		{"Empty", statement.Line{Note: ""}, 5, "", "1.00"},
		{"Counterparty", statement.Line{Counterparty: "=cmd|' /C calc'!A0"}, 4, "'=cmd|' /C calc'!A0", "1.00"},
		{"ID", statement.Line{ID: "@SUM(A1)"}, 1, "'@SUM(A1)", "1.00"},
		{"NegativeBalanceStaysANumber", statement.Line{BalanceAfter: "-1.00"}, 9, "-1.00", "1.00"},
		{"BadBalanceIsDefused", statement.Line{BalanceAfter: "-1+cmd"}, 9, "'-1+cmd", "1.00"},
		{"BadAmountIsDefused", statement.Line{Amount: "=1+1"}, 8, "'=1+1", "'=1+1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := tt.line
			if l.Amount == "" {
				l.Amount = "1.00"
			}
			if l.BalanceAfter == "" {
				l.BalanceAfter = "0.00"
			}
			s := statement.Statement{Sections: []statement.Section{{Currency: "CNY", Lines: []statement.Line{l}}}}
			var buf bytes.Buffer
			if err := statement.WriteCSV(&buf, s); err != nil {
				t.Fatalf("WriteCSV: %v", err)
			}
			rows, err := csv.NewReader(&buf).ReadAll()
			if err != nil {
				t.Fatalf("read back: %v", err)
			}
			if len(rows) != 2 || len(rows[1]) != 10 {
				t.Fatalf("got rows %q", rows)
			}
			// encoding/csv reads a quoted "\r" back as it was written.
			if got := rows[1][tt.col]; got != tt.want {
				t.Errorf("column %d = %q, want %q", tt.col, got, tt.want)
			}
			if got := rows[1][8]; got != tt.wantAmount {
				t.Errorf("amount = %q, want %q", got, tt.wantAmount)
			}
		})
	}
}

// TestWriteCSVRoundTrip checks that commas, quotes and newlines survive a
// reader, and that no byte-order mark is written.
func TestWriteCSVRoundTrip(t *testing.T) {
	notes := []string{`a,b`, `say "hi"`, "two\nlines", `"`, `,`, "  spaced  ", "李雷, \"午饭\"\n"}
	for _, note := range notes {
		t.Run(note, func(t *testing.T) {
			s := statement.Statement{Sections: []statement.Section{{Currency: "CNY",
				Lines: []statement.Line{{ID: "txn_1", Note: note, Amount: "1.00", BalanceAfter: "1.00"}}}}}
			var buf bytes.Buffer
			if err := statement.WriteCSV(&buf, s); err != nil {
				t.Fatalf("WriteCSV: %v", err)
			}
			if bytes.HasPrefix(buf.Bytes(), []byte("\xef\xbb\xbf")) {
				t.Fatal("output starts with a UTF-8 BOM")
			}
			rows, err := csv.NewReader(strings.NewReader(buf.String())).ReadAll()
			if err != nil {
				t.Fatalf("read back: %v", err)
			}
			if got := rows[1][5]; got != note {
				t.Errorf("note = %q, want %q", got, note)
			}
		})
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteErrors(t *testing.T) {
	s := NewStatement(t, 3)
	t.Run("CSV", func(t *testing.T) {
		if err := statement.WriteCSV(failingWriter{}, s); err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Errorf("WriteCSV error = %v, want disk full", err)
		}
	})
	t.Run("PDF", func(t *testing.T) {
		if err := statement.WritePDF(failingWriter{}, s); err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Errorf("WritePDF error = %v, want disk full", err)
		}
	})
}
