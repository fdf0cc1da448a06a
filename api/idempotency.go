package api

import (
	"crypto/sha256"
	"encoding/json"
	"net/http"

	"github.com/ewallet/ewallet/wallet"
)

// answer is what a money-moving handler produced: a body to send with its
// status, whether it was a replay, and whether to keep it for the key
// (a ledger-backed success needs no copy: the transfer is its record).
type answer struct {
	status   int
	body     any
	replayed bool
	keep     bool
}

// fingerprint digests what a request asks for: the route and the decoded
// body with the PIN replaced by its keyed hash, so that no PIN is kept in
// clear for the comparison.
func fingerprint(c *call, body any) [32]byte {
	b, _ := json.Marshal(body)
	return sha256.Sum256([]byte(c.r.Method + " " + c.r.URL.Path + "\n" + string(b)))
}

// idempotent runs a money-moving request under its Idempotency-Key: it
// answers a replay from the stored answer, refuses a key in flight or
// reused, runs fn, and keeps the money rules' refusals (and, when asked,
// the success) as the key's answer.
func (a *API) idempotent(c *call, key string, fp [32]byte, fn func(wallet.Idem) (answer, error)) {
	idem := wallet.Idem{Key: key, Fingerprint: fp}
	release, err := a.Wallet.Claim(c.principal(), key)
	if err != nil {
		a.fail(c, err)
		return
	}
	defer release()
	stored, ok, err := a.Wallet.StoredAnswer(c.ctx(), c.principal(), idem)
	if err != nil {
		a.fail(c, err)
		return
	}
	if ok {
		c.w.Header().Set("Idempotent-Replayed", "true")
		writeRaw(c.w, stored.Status, stored.Body)
		return
	}
	ans, err := fn(idem)
	if err != nil {
		status, body := renderError(err, requestID(c.r))
		if storable(err) {
			if serr := a.Wallet.SaveAnswer(c.ctx(), c.principal(), idem, status, body); serr != nil {
				a.fail(c, serr)
				return
			}
		}
		if status == http.StatusInternalServerError {
			a.fail(c, err)
			return
		}
		writeRaw(c.w, status, body)
		return
	}
	b, err := json.Marshal(ans.body)
	if err != nil {
		a.fail(c, err)
		return
	}
	b = append(b, '\n')
	if ans.keep && !ans.replayed {
		if err := a.Wallet.SaveAnswer(c.ctx(), c.principal(), idem, ans.status, b); err != nil {
			a.fail(c, err)
			return
		}
	}
	if ans.replayed {
		c.w.Header().Set("Idempotent-Replayed", "true")
	}
	writeRaw(c.w, ans.status, b)
}

// requireKey returns the Idempotency-Key that money movement must carry.
func requireKey(c *call) (string, error) {
	key, err := idempotencyKey(c.r)
	if err == nil && key == "" {
		err = wallet.Errorf(wallet.CodeKeyRequired, "money movement needs an Idempotency-Key header")
	}
	return key, err
}
