package reconcile

import "time"

// Results of matching one operation.
const (
	Matched        = "matched"         // the same amount on both sides that day
	Resolved       = "resolved"        // the bank booked it, our side had not settled; a status query settled it now
	Timing         = "timing"          // booked on both sides, on neighbouring days
	MissingOurs    = "missing_ours"    // on the statement, not in our ledger
	MissingBank    = "missing_bank"    // in our ledger, not on the statement
	AmountMismatch = "amount_mismatch" // on both sides with different amounts
)

// explained reports whether a result needs no person.
func explained(result string) bool {
	return result == Matched || result == Resolved || result == Timing
}

// Report is a day's reconciliation: the counts, and every operation that
// did not plainly match.
type Report struct {
	Date        string         `json:"date"`
	GeneratedAt time.Time      `json:"generated_at"`
	Counts      map[string]int `json:"counts"`
	Unexplained int            `json:"unexplained"`
	Items       []Item         `json:"items"`
	Statements  []StmtSummary  `json:"statements"`
}

// Item is one operation that is not a plain match.
type Item struct {
	Request    string `json:"request_id"`
	Currency   string `json:"currency"`
	Result     string `json:"result"`
	BankAmount string `json:"bank_amount"` // signed, the operator account's side; "0.00" when absent
	OurAmount  string `json:"our_amount"`
	Note       string `json:"note,omitempty"`
}

// StmtSummary is what one statement held.
type StmtSummary struct {
	ID       string `json:"id"`
	Currency string `json:"currency"`
	Opening  string `json:"opening"`
	Closing  string `json:"closing"`
	Lines    int    `json:"lines"`
}
