package merchant

import (
	"math/rand/v2"
	"testing"
)

func TestFeeOn(t *testing.T) {
	for _, tc := range []struct{ amount, bp, want int64 }{
		{10000, 60, 60}, // 100.00 at 0.6% = 0.60
		{83, 60, 0},     // 0.498 fen
		{84, 60, 1},     // 0.504 fen
		{250, 60, 2},    // 1.5 fen rounds half up
		{1, 10000, 1},   // 100%
		{0, 60, 0},
		{1 << 62, 60, (1<<62)/10000*60 + (1<<62)%10000*60/10000 + 0}, // exact on huge amounts
	} {
		if got := feeOn(tc.amount, tc.bp); got != tc.want {
			t.Errorf("feeOn(%d, %d) = %d, want %d", tc.amount, tc.bp, got, tc.want)
		}
	}
}

// TestRefundFeesNeverDrift refunds random captures in random partial
// amounts: the fees returned always add up to the whole fee, each share
// is within a fen of the exact pro-rata value, and the merchant never
// keeps more than the fee of what it kept.
func TestRefundFeesNeverDrift(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 10_000 {
		captured := 1 + rng.Int64N(1_000_000)
		fee := feeOn(captured, 60)
		var refunded, returned int64
		for refunded < captured {
			r := 1 + rng.Int64N(captured-refunded)
			got := refundFee(fee, captured, refunded, r)
			if got < 0 || got > fee-returned {
				t.Fatalf("capture %d fee %d: refund %d after %d returns %d of %d left", captured, fee, r, refunded, got, fee-returned)
			}
			refunded += r
			returned += got
			if kept := fee - returned; kept != mulDivRound(fee, captured-refunded, captured) && kept != mulDivRound(fee, captured-refunded, captured)+1 && kept != mulDivRound(fee, captured-refunded, captured)-1 {
				t.Fatalf("capture %d fee %d: after refunding %d the merchant keeps fee %d", captured, fee, refunded, kept)
			}
		}
		if returned != fee {
			t.Fatalf("capture %d: refunds returned %d of fee %d", captured, returned, fee)
		}
	}
}

// TestFeesOverManySmallPayments: the fees account gets exactly the sum of
// the per-payment fees, and per-payment rounding keeps the total within
// half a fen per payment of the exact rate.
func TestFeesOverManySmallPayments(t *testing.T) {
	var sum, exactTimes10000 int64
	const n = 100_000
	for i := range int64(n) {
		amount := 1 + i%500
		sum += feeOn(amount, 60)
		exactTimes10000 += amount * 60
	}
	diff := sum*10_000 - exactTimes10000
	if diff < 0 {
		diff = -diff
	}
	if diff > n*5_000 {
		t.Fatalf("fees %d vs exact %d/10000: off by more than half a fen per payment", sum, exactTimes10000)
	}
}
