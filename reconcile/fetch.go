package reconcile

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"time"
)

// Fetcher gets a statement file: date YYYY-MM-DD, ext "xml" or "csv"
// (httpbank.Client.Statement).
type Fetcher func(ctx context.Context, date, ext string) ([]byte, error)

// Files is a Bank that fetches a day's statements in both formats and
// requires them to agree: the same books told twice.
type Files struct{ Fetch Fetcher }

// Statements implements Bank.
func (f Files) Statements(ctx context.Context, day time.Time) ([]Statement, error) {
	date := day.Format(time.DateOnly)
	xml, err := f.Fetch(ctx, date, "xml")
	if err != nil {
		return nil, err
	}
	fromXML, err := ParseCAMT053(bytes.NewReader(xml))
	if err != nil {
		return nil, err
	}
	csv, err := f.Fetch(ctx, date, "csv")
	if err != nil {
		return nil, err
	}
	fromCSV, err := ParseCSV(bytes.NewReader(csv))
	if err != nil {
		return nil, err
	}
	if !reflect.DeepEqual(fromXML, fromCSV) {
		return nil, fmt.Errorf("reconcile: the bank's camt.053 and CSV statements of %s differ", date)
	}
	return fromXML, nil
}
