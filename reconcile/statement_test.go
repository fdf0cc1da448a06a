package reconcile_test

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ewallet/ewallet/money"
	"github.com/ewallet/ewallet/reconcile"
)

func sampleStatements() []reconcile.Statement {
	t0 := time.Date(2026, 3, 14, 9, 0, 0, 123000, time.UTC)
	return []reconcile.Statement{
		{ID: "STMT-2026-03-14-CNY", Account: "sim:operator:CNY", Currency: money.CNY, Date: "2026-03-14", Opening: -500, Closing: 1234 - 500 - 200,
			Lines: []reconcile.Line{
				{Ref: "cap:top_a", Request: "top_a", Kind: "charge", Amount: 1234, Booked: t0},
				{Ref: "pay:wdr_b", Request: "wdr_b", Kind: "payout", Amount: -200, Booked: t0.Add(time.Second)},
			}},
		{ID: "STMT-2026-03-14-JPY", Account: "sim:operator:JPY", Currency: money.JPY, Date: "2026-03-14", Opening: 0, Closing: 0},
	}
}

// formats are the statement formats, each written and parsed.
var formats = []struct {
	name  string
	write func(*bytes.Buffer, []reconcile.Statement) error
	parse func(*bytes.Buffer) ([]reconcile.Statement, error)
}{
	{"CAMT053", func(b *bytes.Buffer, s []reconcile.Statement) error {
		return reconcile.WriteCAMT053(b, "MSG-1", time.Date(2026, 3, 15, 1, 0, 0, 0, time.UTC), s)
	}, func(b *bytes.Buffer) ([]reconcile.Statement, error) { return reconcile.ParseCAMT053(b) }},
	{"CSV", func(b *bytes.Buffer, s []reconcile.Statement) error { return reconcile.WriteCSV(b, s) },
		func(b *bytes.Buffer) ([]reconcile.Statement, error) { return reconcile.ParseCSV(b) }},
}

func TestStatementRoundTrip(t *testing.T) {
	for _, f := range formats {
		t.Run(f.name, func(t *testing.T) {
			var buf bytes.Buffer
			want := sampleStatements()
			if err := f.write(&buf, want); err != nil {
				t.Fatal(err)
			}
			got, err := f.parse(&buf)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("got %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestStatementRefused(t *testing.T) {
	tests := []struct {
		name   string
		mangle func(string) string
	}{
		{"DoesNotAddUp", func(s string) string { return strings.Replace(s, "12.34", "12.35", 1) }},
		{"TooManyDecimals", func(s string) string { return strings.Replace(s, "12.34", "12.345", 1) }},
		{"UnknownCurrency", func(s string) string { return strings.ReplaceAll(s, "JPY", "XXX") }},
		{"Truncated", func(s string) string { return s[:len(s)*2/3] }},
	}
	for _, f := range formats {
		for _, tt := range tests {
			t.Run(f.name+"/"+tt.name, func(t *testing.T) {
				var buf bytes.Buffer
				if err := f.write(&buf, sampleStatements()); err != nil {
					t.Fatal(err)
				}
				_, err := f.parse(bytes.NewBufferString(tt.mangle(buf.String())))
				if !errors.Is(err, reconcile.ErrInvalid) {
					t.Fatalf("err = %v, want ErrInvalid", err)
				}
			})
		}
	}
}

// fuzzRoundTrip checks that what a parser accepts adds up and survives a
// write and a second parse unchanged.
func fuzzRoundTrip(t *testing.T, data []byte, parse func(*bytes.Buffer) ([]reconcile.Statement, error), write func(*bytes.Buffer, []reconcile.Statement) error) {
	stmts, err := parse(bytes.NewBuffer(data))
	if err != nil {
		if !errors.Is(err, reconcile.ErrInvalid) {
			t.Fatalf("error %v is not ErrInvalid", err)
		}
		return
	}
	for _, s := range stmts {
		if err := s.Check(); err != nil {
			t.Fatalf("accepted a statement that does not check: %v", err)
		}
	}
	var buf bytes.Buffer
	if err := write(&buf, stmts); err != nil {
		t.Fatal(err)
	}
	again, err := parse(&buf)
	if err != nil || !reflect.DeepEqual(again, stmts) {
		t.Fatalf("round trip: %+v, %v\nwant %+v", again, err, stmts)
	}
}

func FuzzParseCAMT053(f *testing.F) {
	var buf bytes.Buffer
	formats[0].write(&buf, sampleStatements())
	f.Add(buf.Bytes())
	f.Add([]byte(`<Document><BkToCstmrStmt></BkToCstmrStmt></Document>`))
	f.Add([]byte(`<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt><Stmt><Id>x</Id></Stmt></BkToCstmrStmt></Document>`))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzRoundTrip(t, data, formats[0].parse, formats[0].write) })
}

func FuzzParseCSV(f *testing.F) {
	var buf bytes.Buffer
	formats[1].write(&buf, sampleStatements())
	f.Add(buf.Bytes())
	f.Add([]byte("type,statement_id,account,currency,date,booked_at,ref,request_id,kind,direction,amount\n"))
	f.Add([]byte("type,statement_id,account,currency,date,booked_at,ref,request_id,kind,direction,amount\nopening,s,a,CNY,2026-01-01,,,,,credit,0.00\nclosing,s,a,CNY,2026-01-01,,,,,credit,0.00\n"))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzRoundTrip(t, data, formats[1].parse, formats[1].write) })
}
