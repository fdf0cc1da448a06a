package walletsql

import "testing"

// SetDeleteBatch makes DeleteAnswersBefore delete n answers per statement
// until the test ends.
func SetDeleteBatch(tb testing.TB, n int) {
	old := deleteBatch
	deleteBatch = n
	tb.Cleanup(func() { deleteBatch = old })
}
