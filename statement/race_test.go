package statement_test

import (
	"bytes"
	"sync"
	"testing"

	"github.com/ewallet/ewallet/internal/pdffont/pdftest"
	"github.com/ewallet/ewallet/statement"
)

// TestWritePDFConcurrent renders statements at once, as concurrent exports
// do; run with -race. Each must come out whole.
func TestWritePDFConcurrent(t *testing.T) {
	s := NewStatement(t, 20)
	out := make([]bytes.Buffer, 4)
	var wg sync.WaitGroup
	for i := range out {
		wg.Go(func() {
			if err := statement.WritePDF(&out[i], s); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for i := range out {
		p := pdftest.MustParse(t, out[i].Bytes())
		if !bytes.Contains([]byte(p.Text), []byte("txn_0019")) {
			t.Errorf("rendering %d lacks the last line", i)
		}
	}
}
