package reconcile

import (
	"encoding/xml"
	"io"
	"strings"
	"time"

	"github.com/ewallet/ewallet/money"
)

// camtNamespace is the camt.053 version written and read.
const camtNamespace = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"

// The subset of camt.053.001.08 the bank writes and we read.
type camtDocument struct {
	XMLName xml.Name      `xml:"Document"`
	Xmlns   string        `xml:"xmlns,attr,omitempty"`
	Stmt    camtBkToCstmr `xml:"BkToCstmrStmt"`
}

type camtBkToCstmr struct {
	GrpHdr struct {
		MsgID   string `xml:"MsgId"`
		CreDtTm string `xml:"CreDtTm"`
	} `xml:"GrpHdr"`
	Stmts []camtStmt `xml:"Stmt"`
}

type camtStmt struct {
	ID      string `xml:"Id"`
	CreDtTm string `xml:"CreDtTm"`
	FrToDt  struct {
		From string `xml:"FrDtTm"`
		To   string `xml:"ToDtTm"`
	} `xml:"FrToDt"`
	Acct struct {
		ID  string `xml:"Id>Othr>Id"`
		Ccy string `xml:"Ccy"`
	} `xml:"Acct"`
	Bals    []camtBal   `xml:"Bal"`
	Entries []camtEntry `xml:"Ntry"`
}

type camtAmt struct {
	Ccy   string `xml:"Ccy,attr"`
	Value string `xml:",chardata"`
}

type camtBal struct {
	Code string  `xml:"Tp>CdOrPrtry>Cd"`
	Amt  camtAmt `xml:"Amt"`
	Ind  string  `xml:"CdtDbtInd"`
	Date string  `xml:"Dt>Dt"`
}

type camtEntry struct {
	Ref       string  `xml:"NtryRef"`
	Amt       camtAmt `xml:"Amt"`
	Ind       string  `xml:"CdtDbtInd"`
	Status    string  `xml:"Sts>Cd"`
	Booked    string  `xml:"BookgDt>DtTm"`
	ValueDate string  `xml:"ValDt>Dt"`
	SvcrRef   string  `xml:"AcctSvcrRef"`
	Kind      string  `xml:"BkTxCd>Prtry>Cd"`
	EndToEnd  string  `xml:"NtryDtls>TxDtls>Refs>EndToEndId"`
}

// WriteCAMT053 writes statements as one camt.053 document.
func WriteCAMT053(w io.Writer, msgID string, created time.Time, stmts []Statement) error {
	doc := camtDocument{Xmlns: camtNamespace}
	doc.Stmt.GrpHdr.MsgID = msgID
	doc.Stmt.GrpHdr.CreDtTm = created.UTC().Format(time.RFC3339)
	for _, s := range stmts {
		doc.Stmt.Stmts = append(doc.Stmt.Stmts, toCamt(s, created))
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", " ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func toCamt(s Statement, created time.Time) camtStmt {
	var c camtStmt
	c.ID, c.CreDtTm = s.ID, created.UTC().Format(time.RFC3339)
	c.FrToDt.From, c.FrToDt.To = s.Date+"T00:00:00Z", s.Date+"T23:59:59Z"
	c.Acct.ID, c.Acct.Ccy = s.Account, string(s.Currency)
	c.Bals = []camtBal{balance("OPBD", s.Opening, s), balance("CLBD", s.Closing, s)}
	for _, l := range s.Lines {
		amt, ind := camtAmount(l.Amount, s.Currency)
		c.Entries = append(c.Entries, camtEntry{Ref: l.Ref, Amt: amt, Ind: ind, Status: "BOOK",
			Booked: l.Booked.UTC().Format(time.RFC3339Nano), ValueDate: s.Date, SvcrRef: l.Ref, Kind: l.Kind, EndToEnd: l.Request})
	}
	return c
}

func balance(code string, v int64, s Statement) camtBal {
	amt, ind := camtAmount(v, s.Currency)
	return camtBal{Code: code, Amt: amt, Ind: ind, Date: s.Date}
}

// camtAmount splits a signed amount into camt's unsigned amount and
// credit/debit indicator (zero is a credit).
func camtAmount(v int64, c money.Currency) (camtAmt, string) {
	if v < 0 {
		return camtAmt{Ccy: string(c), Value: money.Format(-v, c)}, "DBIT"
	}
	return camtAmt{Ccy: string(c), Value: money.Format(v, c)}, "CRDT"
}

// ParseCAMT053 reads the statements of a camt.053 document (at most 64 MiB)
// and checks each one adds up.
func ParseCAMT053(r io.Reader) ([]Statement, error) {
	var doc camtDocument
	dec := xml.NewDecoder(io.LimitReader(r, 64<<20))
	if err := dec.Decode(&doc); err != nil {
		return nil, invalid("camt.053: %v", err)
	}
	if doc.XMLName.Space != "" && doc.XMLName.Space != camtNamespace {
		return nil, invalid("camt.053: namespace %q", doc.XMLName.Space)
	}
	var out []Statement
	for _, c := range doc.Stmt.Stmts {
		s, err := fromCamt(c)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func fromCamt(c camtStmt) (Statement, error) {
	cur, err := money.ParseCurrency(c.Acct.Ccy)
	if err != nil {
		return Statement{}, invalid("account currency %q", c.Acct.Ccy)
	}
	date, ok := strings.CutSuffix(c.FrToDt.From, "T00:00:00Z")
	if !ok {
		return Statement{}, invalid("period start %q", c.FrToDt.From)
	}
	s := Statement{ID: c.ID, Account: c.Acct.ID, Currency: cur, Date: date}
	seen := map[string]bool{}
	for _, b := range c.Bals {
		v, err := signed(b.Amt, b.Ind, cur, true)
		if err != nil {
			return Statement{}, err
		}
		switch {
		case b.Code == "OPBD" && !seen[b.Code]:
			s.Opening = v
		case b.Code == "CLBD" && !seen[b.Code]:
			s.Closing = v
		default:
			return Statement{}, invalid("balance type %q", b.Code)
		}
		seen[b.Code] = true
	}
	if !seen["OPBD"] || !seen["CLBD"] {
		return Statement{}, invalid("statement %q lacks its opening or closing balance", c.ID)
	}
	for i, e := range c.Entries {
		l, err := fromCamtEntry(e, cur)
		if err != nil {
			return Statement{}, invalid("entry %d: %v", i+1, err)
		}
		s.Lines = append(s.Lines, l)
	}
	return s, s.Check()
}

func fromCamtEntry(e camtEntry, cur money.Currency) (Line, error) {
	if e.Status != "BOOK" {
		return Line{}, invalid("status %q", e.Status)
	}
	v, err := signed(e.Amt, e.Ind, cur, false)
	if err != nil {
		return Line{}, err
	}
	booked, err := time.Parse(time.RFC3339Nano, e.Booked)
	if err != nil {
		return Line{}, invalid("booking time %q", e.Booked)
	}
	return Line{Ref: e.SvcrRef, Request: e.EndToEnd, Kind: e.Kind, Amount: v, Booked: booked.UTC()}, nil
}

// signed reads an unsigned amount with its indicator; zeroOK for balances.
func signed(a camtAmt, ind string, cur money.Currency, zeroOK bool) (int64, error) {
	if a.Ccy != string(cur) {
		return 0, invalid("amount in %q on a %s account", a.Ccy, cur)
	}
	parse := money.ParsePositive
	if zeroOK {
		parse = money.Parse
	}
	v, err := parse(a.Value, cur)
	if err != nil {
		return 0, invalid("amount %q", a.Value)
	}
	switch ind {
	case "CRDT":
		return v, nil
	case "DBIT":
		if v == 0 {
			return 0, invalid("a debit of zero")
		}
		return -v, nil
	}
	return 0, invalid("credit/debit indicator %q", ind)
}
