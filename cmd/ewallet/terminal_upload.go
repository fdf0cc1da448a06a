package main

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"text/tabwriter"

	"github.com/ewallet/ewallet/epurse"
)

// uploadChunk is how many records one batch carries: a long day of a busy
// gate goes up in a few requests, each well under the server's body limit,
// and each saved as answered before the next is sent.
const uploadChunk = 2000

// batchAnswer is the server's answer to one batch.
type batchAnswer struct {
	Accepted int    `json:"accepted"`
	Rejected int    `json:"rejected"`
	Total    string `json:"total"`
	Currency string `json:"currency"`
	Results  []struct {
		Index   int    `json:"index"`
		CardID  string `json:"card_id"`
		Counter uint16 `json:"counter"`
		Amount  string `json:"amount"`
		Reason  string `json:"reason"`
		Late    bool   `json:"late"`
		Detail  string `json:"detail"`
	} `json:"results"`
	Gaps []struct {
		CardID string `json:"card_id"`
		From   uint16 `json:"from"`
		To     uint16 `json:"to"`
	} `json:"gaps"`
}

func runTerminalUpload(ctx context.Context, e *env, args []string) error {
	sf, path, parse := merchantFlags(e, "upload", "--server URL --key sk_... --file gate.json")
	if err := parse(args); err != nil {
		return err
	}
	t, err := readTerminal(*path)
	if err != nil {
		return err
	}
	c, err := sf.client()
	if err != nil {
		return err
	}
	return uploadRecords(ctx, e, c, *path, t)
}

// uploadRecords sends the records in batches and drops from the file each
// record the server gave a final answer: accepted, or refused with a
// reason (duplicate, forged, denied, …) that another upload would only
// repeat. A batch whose answer never came leaves its records in the file;
// uploading them again is safe, since clearing moves a record's money once.
func uploadRecords(ctx context.Context, e *env, c *apiClient, path string, t *terminalFile) error {
	if len(t.Records) == 0 {
		fmt.Fprintln(e.stdout, "nothing to upload")
		return nil
	}
	pending := t.Records
	var left []string
	var accepted, rejected int
	for len(pending) > 0 {
		chunk := pending[:min(len(pending), uploadChunk)]
		pending = pending[len(chunk):]
		ans, err := uploadChunkOnce(ctx, c, t.ID, chunk)
		if err != nil {
			t.Records = append(append(left, chunk...), pending...)
			if serr := saveTerminal(path, t); serr != nil {
				return fmt.Errorf("%w; and %v", err, serr)
			}
			return fmt.Errorf("upload: %w\n%d records stay in %s; upload again (a record's money moves once however often it is uploaded)", err, len(t.Records), path)
		}
		printBatch(e, ans, chunk)
		accepted, rejected = accepted+ans.Accepted, rejected+ans.Rejected
		left = append(left, unanswered(chunk, ans)...)
		t.Records = append(append([]string{}, left...), pending...)
		if err := saveTerminal(path, t); err != nil {
			return err
		}
	}
	fmt.Fprintf(e.stdout, "accepted %d, rejected %d; %d records left in %s\n", accepted, rejected, len(t.Records), path)
	return nil
}

func uploadChunkOnce(ctx context.Context, c *apiClient, terminalID string, chunk []string) (batchAnswer, error) {
	raw := make([]byte, 0, len(chunk)*epurse.RecordSize)
	for _, h := range chunk {
		b, err := hex.DecodeString(h)
		if err != nil {
			return batchAnswer{}, fmt.Errorf("record %q in the terminal file is not hex", h)
		}
		raw = append(raw, b...)
	}
	var ans batchAnswer
	// The same batch again answers "duplicate" for what the lost answer
	// accepted, so retrying is safe.
	err := c.callRetrying(ctx, "POST", "/v1/epurse/terminals/"+terminalID+"/batches", "",
		map[string]string{"records": base64.StdEncoding.EncodeToString(raw)}, &ans)
	return ans, err
}

// unanswered are the records of chunk the answer has no result for.
func unanswered(chunk []string, ans batchAnswer) []string {
	got := make([]bool, len(chunk))
	for _, r := range ans.Results {
		if r.Index >= 0 && r.Index < len(chunk) {
			got[r.Index] = true
		}
	}
	var out []string
	for i, h := range chunk {
		if !got[i] {
			out = append(out, h)
		}
	}
	return out
}

func printBatch(e *env, ans batchAnswer, chunk []string) {
	w := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	for _, r := range ans.Results {
		what := r.Reason
		if r.Late {
			what += " (late: fills a gap)"
		}
		if r.Reason != string(epurse.ReasonAccepted) && r.Detail != "" {
			what += ": " + r.Detail
		}
		fmt.Fprintf(w, "  #%d\t%s\tcounter %d\t%s\t%s\n", r.Index, r.CardID, r.Counter, r.Amount, what)
	}
	w.Flush()
	fmt.Fprintf(e.stdout, "batch of %d: %s %s cleared to the merchant\n", len(chunk), ans.Total, ans.Currency)
	for _, g := range ans.Gaps {
		which := fmt.Sprintf("counters %d-%d", g.From, g.To)
		if g.From == g.To {
			which = fmt.Sprintf("counter %d", g.From)
		}
		fmt.Fprintf(e.stdout, "  %s: %s not uploaded yet (another terminal, or a torn purchase)\n", g.CardID, which)
	}
}
