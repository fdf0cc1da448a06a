package statement_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/ewallet/ewallet/statement"
)

// MustLoadShanghai returns the Asia/Shanghai zone, which statements print in.
func MustLoadShanghai(tb testing.TB) *time.Location {
	tb.Helper()
	z, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		tb.Fatalf("load zone: %v", err)
	}
	return z
}

// NewStatement returns a one-currency statement with n lines whose ids are
// txn_0000, txn_0001, … and whose closing balance is "9876.54".
func NewStatement(tb testing.TB, n int) statement.Statement {
	tb.Helper()
	from := time.Date(2026, 1, 31, 16, 0, 0, 0, time.UTC) // 2026-02-01 00:00 in Shanghai
	sec := statement.Section{Currency: "CNY", Opening: "100.00", Closing: "9876.54", TotalIn: "10000.00", TotalOut: "223.46"}
	for i := range n {
		dir, cp := "in", "李雷 (+8613800000002)"
		if i%3 == 0 {
			dir, cp = "out", "Han Meimei (+8613800000003)"
		}
		sec.Lines = append(sec.Lines, statement.Line{
			Time: from.Add(time.Duration(i) * time.Minute), ID: fmt.Sprintf("txn_%04d", i),
			Type: "transfer", Direction: dir, Counterparty: cp, Note: "午饭 lunch", Status: "completed",
			Amount: "12.34", BalanceAfter: fmt.Sprintf("%d.00", 100+i),
		})
	}
	return statement.Statement{
		Holder: "Wang Fang 王芳", Phone: "+8613800000001", WalletID: "wal_01HXAMPLE",
		From: from, To: from.AddDate(0, 0, 28), Generated: from.AddDate(0, 1, 1),
		TimeZone: MustLoadShanghai(tb), Sections: []statement.Section{sec},
	}
}

// MustWritePDF renders s and fails the test on error.
func MustWritePDF(tb testing.TB, s statement.Statement) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := statement.WritePDF(&buf, s); err != nil {
		tb.Fatalf("WritePDF: %v", err)
	}
	return buf.Bytes()
}
