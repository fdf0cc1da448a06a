package main

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/ewallet/ewallet/epurse"
	"github.com/ewallet/ewallet/money"
	"github.com/ewallet/ewallet/purse"
)

// The software card and the software terminal keep their state in JSON
// files. A card file stands in for the chip's EEPROM, a terminal file for
// the terminal's flash and its SAM: both hold keys, so they are written
// with mode 0600, and always whole (writeFileAtomic), since a chip commits
// a debit entirely or not at all and a torn file would be a card that
// lost or made money.

// fileVersion is the layout of both files; a reader refuses another.
const fileVersion = 1

// cardFile is a software card: the chip's state (epurse.CardState, as the
// chip would keep it) with the API's card ID and the currency of its
// amounts, which the chip itself does not store.
type cardFile struct {
	Version  int              `json:"version"`
	CardID   string           `json:"card_id"`
	Currency money.Currency   `json:"currency"`
	Chip     epurse.CardState `json:"chip"`
}

// terminalFile is a software terminal: its identity, its SAM (key and
// next sequence number), the purchases it has not uploaded yet, the
// purchase whose DEBIT answer it may not have recorded, and the deny list
// it last downloaded.
type terminalFile struct {
	Version    int            `json:"version"`
	ID         string         `json:"id"`          // trm_…, the API's ID
	TerminalID string         `json:"terminal_id"` // 12 hex digits, in every record
	Name       string         `json:"name"`
	Currency   money.Currency `json:"currency"`
	SAMKey     string         `json:"sam_key"` // hex; the issuer's purchase master key
	NextSeq    uint32         `json:"next_seq"`
	// InFlight are purchases whose DEBIT was (or was about to be) sent to a
	// card, saved before sending it: if the terminal dies before it records
	// the card's answer, the card's next tap here recovers the record with
	// GET LAST TRANSACTION PROOF. At most one per card.
	InFlight []inFlight `json:"in_flight"`
	// Records are the purchases not yet given a final answer by clearing,
	// each the hex of its 37-byte record.
	Records    []string     `json:"records"`
	DenyList   []deniedCard `json:"deny_list"`
	DenyListAt *time.Time   `json:"deny_list_at,omitempty"`
}

// inFlight is an epurse.PurchaseSession in the terminal file.
type inFlight struct {
	Card           string `json:"card"` // card number, 16 hex digits
	OfflineCounter uint16 `json:"offline_counter"`
	Random         string `json:"random"` // 8 hex digits
	Amount         int64  `json:"amount"` // minor units
	BalanceBefore  int64  `json:"balance_before"`
	TerminalSeq    uint32 `json:"terminal_seq"`
	Time           uint32 `json:"time"` // Unix seconds
}

// deniedCard is one entry of a downloaded deny list.
type deniedCard struct {
	CardID string    `json:"card_id"`
	Since  time.Time `json:"since"`
}

func toInFlight(s epurse.PurchaseSession) inFlight {
	return inFlight{Card: s.Card.String(), OfflineCounter: s.OfflineCounter, Random: hex.EncodeToString(s.Random[:]),
		Amount: s.Amount, BalanceBefore: s.BalanceBefore, TerminalSeq: s.TerminalSeq, Time: s.Time}
}

func (f inFlight) session() (epurse.PurchaseSession, error) {
	n, err := epurse.ParseCardNumber(f.Card)
	if err != nil {
		return epurse.PurchaseSession{}, err
	}
	s := epurse.PurchaseSession{Card: n, OfflineCounter: f.OfflineCounter, Amount: f.Amount,
		BalanceBefore: f.BalanceBefore, TerminalSeq: f.TerminalSeq, Time: f.Time}
	b, err := hex.DecodeString(f.Random)
	if err != nil || len(b) != len(s.Random) {
		return s, fmt.Errorf("in-flight purchase of card %s: random %q is not 8 hex digits", f.Card, f.Random)
	}
	copy(s.Random[:], b)
	return s, nil
}

// sam is the terminal's security module at its saved sequence number.
func (t *terminalFile) sam() (*epurse.SAM, error) {
	tid, err := epurse.ParseTerminalID(t.TerminalID)
	if err != nil {
		return nil, err
	}
	k, err := parseKey(t.SAMKey)
	if err != nil {
		return nil, errors.New("sam_key is not 32 hex digits")
	}
	return epurse.NewSAM(k, tid, t.NextSeq), nil
}

// inFlightOf is the index of the card's in-flight purchase, -1 for none.
func (t *terminalFile) inFlightOf(n epurse.CardNumber) int {
	return slices.IndexFunc(t.InFlight, func(f inFlight) bool { return f.Card == n.String() })
}

// denied is when the card went on the downloaded deny list.
func (t *terminalFile) denied(cardID string) (time.Time, bool) {
	for _, d := range t.DenyList {
		if d.CardID == cardID {
			return d.Since, true
		}
	}
	return time.Time{}, false
}

func (t *terminalFile) addRecord(r epurse.Record) error {
	b, err := r.Encode()
	if err != nil {
		return err
	}
	t.Records = append(t.Records, hex.EncodeToString(b))
	return nil
}

func parseKey(s string) (epurse.Key, error) {
	var k epurse.Key
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(k) {
		return k, errors.New("not 32 hex digits")
	}
	copy(k[:], b)
	return k, nil
}

// readCard reads and checks a card file.
func readCard(path string) (*cardFile, error) {
	var c cardFile
	if err := readJSONFile(path, &c); err != nil {
		return nil, err
	}
	if c.Version != fileVersion || c.CardID != purse.CardID(c.Chip.Number) || !c.Currency.Valid() {
		return nil, fmt.Errorf("%s is not a card file of this version", path)
	}
	return &c, nil
}

// readTerminal reads and checks a terminal file.
func readTerminal(path string) (*terminalFile, error) {
	var t terminalFile
	if err := readJSONFile(path, &t); err != nil {
		return nil, err
	}
	tid, err := epurse.ParseTerminalID(t.TerminalID)
	if err != nil || t.Version != fileVersion || t.ID != purse.TerminalID(tid) || !t.Currency.Valid() {
		return nil, fmt.Errorf("%s is not a terminal file of this version", path)
	}
	return &t, nil
}

func readJSONFile(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// saveCard writes the card file whole.
func saveCard(path string, c *cardFile) error { return writeJSONFile(path, c) }

// saveTerminal writes the terminal file whole.
func saveTerminal(path string, t *terminalFile) error { return writeJSONFile(path, t) }

func writeJSONFile(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(path, append(b, '\n'), 0o600)
}

// mustNotExist refuses to replace a file: a card or terminal file holds
// keys and value that exist nowhere else.
func mustNotExist(path string) error {
	_, err := os.Lstat(path)
	switch {
	case err == nil:
		return fmt.Errorf("%s exists; refusing to overwrite it", path)
	case errors.Is(err, fs.ErrNotExist):
		return nil
	}
	return err
}

// writeFileAtomic replaces path with data so that a crash leaves the old
// file or the new one, never a mix: a temporary file in the same directory
// (rename is atomic only within one file system), fsync, rename over path,
// then fsync the directory so that the rename itself survives a power cut.
func writeFileAtomic(path string, data []byte, perm os.FileMode) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			os.Remove(tmp)
		}
	}()
	if err = f.Chmod(perm); err == nil {
		if _, err = f.Write(data); err == nil {
			err = f.Sync()
		}
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
