package epurse

import "errors"

// The kinds of refusal. Every error this package returns is an *Error whose
// Kind is one of these, so callers branch with errors.Is(err, ErrBadMAC) and
// map a kind to an API code (and the card side to a status word) in one place.
var (
	// ErrMalformed: a message has the wrong length, class, instruction,
	// parameters, Lc/Le, status word or tag; or a field cannot be encoded
	// (an amount outside 0..2^32-1).
	ErrMalformed = errors.New("epurse: malformed message")
	// ErrBadMAC: a MAC1 or MAC2 does not verify; the other side holds a
	// different key or the message was altered.
	ErrBadMAC = errors.New("epurse: MAC does not verify")
	// ErrBadTAC: a TAC does not verify: the record or load proof was
	// forged or altered.
	ErrBadTAC = errors.New("epurse: TAC does not verify")
	// ErrInsufficientBalance: a purchase above the card's balance.
	ErrInsufficientBalance = errors.New("epurse: insufficient balance")
	// ErrOverLimit: a purchase above the per-purchase cap, or a load that
	// would take the balance above the balance cap.
	ErrOverLimit = errors.New("epurse: over limit")
	// ErrInvalidAmount: an amount that is zero or negative where value moves.
	ErrInvalidAmount = errors.New("epurse: invalid amount")
	// ErrUnsupportedKey: a key index, key version or algorithm the card or
	// issuer does not hold.
	ErrUnsupportedKey = errors.New("epurse: unsupported key")
	// ErrNoSession: CREDIT or DEBIT without the matching INITIALIZE just
	// before it, or a response that does not match the session.
	ErrNoSession = errors.New("epurse: conditions of use not satisfied")
	// ErrCounterExhausted: the online or offline counter reached 0xFFFF; the
	// card must be replaced.
	ErrCounterExhausted = errors.New("epurse: counter exhausted")
	// ErrNotFound: GET LAST TRANSACTION PROOF for a transaction the card's
	// log does not hold.
	ErrNotFound = errors.New("epurse: transaction not found")
)

// Error is why a message or an operation was refused.
type Error struct {
	Kind error  // one of the Err… values above
	Msg  string // for a person; carries no key material
}

func (e *Error) Error() string { return e.Kind.Error() + ": " + e.Msg }

// Unwrap lets errors.Is match the Kind.
func (e *Error) Unwrap() error { return e.Kind }

func fail(kind error, msg string) *Error { return &Error{Kind: kind, Msg: msg} }

// Status words (ISO 7816-4, with the PBOC e-purse values) a card applet
// answers for each kind of refusal; a successful response ends in SWOK.
const (
	SWOK                  uint16 = 0x9000
	SWWrongLength         uint16 = 0x6700
	SWConditionsNotMet    uint16 = 0x6985
	SWWrongData           uint16 = 0x6A80
	SWRecordNotFound      uint16 = 0x6A83
	SWMACInvalid          uint16 = 0x9302
	SWInsufficientBalance uint16 = 0x9401
	SWKeyNotSupported     uint16 = 0x9403
	SWOverLimit           uint16 = 0x6A84 // not in PBOC: "not enough memory" reused for caps
	SWUnknown             uint16 = 0x6F00
)

// StatusWord is the status word a card answers for err: SWOK for nil.
func StatusWord(err error) uint16 {
	switch {
	case err == nil:
		return SWOK
	case errors.Is(err, ErrMalformed):
		return SWWrongLength
	case errors.Is(err, ErrBadMAC):
		return SWMACInvalid
	case errors.Is(err, ErrInsufficientBalance):
		return SWInsufficientBalance
	case errors.Is(err, ErrOverLimit):
		return SWOverLimit
	case errors.Is(err, ErrInvalidAmount):
		return SWWrongData
	case errors.Is(err, ErrUnsupportedKey):
		return SWKeyNotSupported
	case errors.Is(err, ErrNoSession), errors.Is(err, ErrCounterExhausted):
		return SWConditionsNotMet
	case errors.Is(err, ErrNotFound):
		return SWRecordNotFound
	}
	return SWUnknown
}
