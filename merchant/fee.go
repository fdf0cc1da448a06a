package merchant

import "math/big"

// Fees. The fee on a captured amount is amount × rate rounded half up to
// the currency's minor unit (0.6% of 0.83 is 0.4980 fen → 0 fen; of 0.84,
// 0.504 → 1 fen). A refund returns the fee pro rata, computed on the
// running total so that rounding never drifts: after refunds totalling R
// of a capture C with fee F, the merchant has been given back exactly
// round(F × R / C), so a full refund returns the whole fee and several
// partial ones add up to the same.

// feeOn is the fee on amount at bp basis points, rounded half up.
func feeOn(amount, bp int64) int64 { return mulDivRound(amount, bp, 10_000) }

// refundFee is the fee to return with a refund of r, when refunded of
// captured (fee) has been refunded before.
func refundFee(fee, captured, refunded, r int64) int64 {
	return mulDivRound(fee, refunded+r, captured) - mulDivRound(fee, refunded, captured)
}

// mulDivRound is a×b/c rounded half up, exact for any int64 inputs with a,
// b ≥ 0 and c > 0 whose result fits (it always does here: result ≤ a).
func mulDivRound(a, b, c int64) int64 {
	var n, q, r big.Int
	n.Mul(big.NewInt(a), big.NewInt(b))
	q.QuoRem(&n, big.NewInt(c), &r)
	if r.Lsh(&r, 1).Cmp(big.NewInt(c)) >= 0 {
		q.Add(&q, big.NewInt(1))
	}
	return q.Int64()
}
