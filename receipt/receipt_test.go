package receipt_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ewallet/ewallet/money"
	"github.com/ewallet/ewallet/receipt"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*receipt.Receipt)
		ok   bool
	}{
		{"Payment", func(*receipt.Receipt) {}, true},
		{"Refund", func(r *receipt.Receipt) { *r = NewRefund() }, true},
		{"FullRefund", func(r *receipt.Receipt) { *r = NewRefund(); r.RefundAmount = r.Amount }, true},
		{"NoItems", func(r *receipt.Receipt) { r.Items = nil }, true},
		{"NoDescription", func(r *receipt.Receipt) { r.Description = "" }, true},
		{"JPY", func(r *receipt.Receipt) { r.Currency, r.Items = money.JPY, nil }, true},
		{"FreeItem", func(r *receipt.Receipt) { r.Items = append(r.Items, receipt.Item{Name: "Napkin", Quantity: 1}) }, true},
		{"ControlCharsInText", func(r *receipt.Receipt) { r.Description = "a\nb\tc\x00" }, true},
		{"MaxAmount", func(r *receipt.Receipt) { r.Amount, r.Items = money.MaxAmount, nil }, true},
		{"UpperCaseID", func(r *receipt.Receipt) { r.ID = "rcp_ABC-def_1" }, true},

		{"NoID", func(r *receipt.Receipt) { r.ID = "" }, false},
		{"IDWrongPrefix", func(r *receipt.Receipt) { r.ID = "pay_abc" }, false},
		{"IDPrefixOnly", func(r *receipt.Receipt) { r.ID = "rcp_" }, false},
		{"IDWithSpace", func(r *receipt.Receipt) { r.ID = "rcp_a b" }, false},
		{"IDTooLong", func(r *receipt.Receipt) { r.ID = "rcp_" + strings.Repeat("a", 61) }, false},
		{"PaymentIDWrongPrefix", func(r *receipt.Receipt) { r.PaymentID = "ref_abc" }, false},
		{"MerchantIDMissing", func(r *receipt.Receipt) { r.MerchantID = "" }, false},
		{"PayerIDWrongPrefix", func(r *receipt.Receipt) { r.PayerID = "mch_abc" }, false},
		{"UnknownKind", func(r *receipt.Receipt) { r.Kind = "chargeback" }, false},
		{"PaymentWithRefundID", func(r *receipt.Receipt) { r.RefundID = "ref_abc" }, false},
		{"PaymentWithRefundAmount", func(r *receipt.Receipt) { r.RefundAmount = 1 }, false},
		{"RefundWithoutRefundID", func(r *receipt.Receipt) { *r = NewRefund(); r.RefundID = "" }, false},
		{"RefundWithoutAmount", func(r *receipt.Receipt) { *r = NewRefund(); r.RefundAmount = 0 }, false},
		{"RefundOverPayment", func(r *receipt.Receipt) { *r = NewRefund(); r.RefundAmount = r.Amount + 1 }, false},
		{"NoMerchantName", func(r *receipt.Receipt) { r.MerchantName = " \t" }, false},
		{"MerchantNameTooLong", func(r *receipt.Receipt) { r.MerchantName = strings.Repeat("店", 201) }, false},
		{"MerchantNameInvalidUTF8", func(r *receipt.Receipt) { r.MerchantName = "a\xffb" }, false},
		{"DescriptionInvalidUTF8", func(r *receipt.Receipt) { r.Description = "\xc3" }, false},
		{"DescriptionTooLong", func(r *receipt.Receipt) { r.Description = strings.Repeat("x", 1001) }, false},
		{"MCCThreeDigits", func(r *receipt.Receipt) { r.MerchantCategory = "581" }, false},
		{"MCCLetters", func(r *receipt.Receipt) { r.MerchantCategory = "58a2" }, false},
		{"MCCFullWidthDigits", func(r *receipt.Receipt) { r.MerchantCategory = "５８１２" }, false},
		{"UnknownCurrency", func(r *receipt.Receipt) { r.Currency = "XYZ" }, false},
		{"ZeroAmount", func(r *receipt.Receipt) { r.Amount, r.Items = 0, nil }, false},
		{"NegativeAmount", func(r *receipt.Receipt) { r.Amount, r.Items = -1, nil }, false},
		{"AmountOverMax", func(r *receipt.Receipt) { r.Amount, r.Items = money.MaxAmount+1, nil }, false},
		{"ItemsDoNotAddUp", func(r *receipt.Receipt) { r.Items[0].Amount++ }, false},
		{"ItemsOverflow", func(r *receipt.Receipt) {
			// 19 × MaxAmount wraps round int64 to a valid amount.
			r.Items = nil
			var wrapped int64
			for range 19 {
				r.Items = append(r.Items, receipt.Item{Name: "x", Quantity: 1, Amount: money.MaxAmount})
				wrapped += money.MaxAmount
			}
			if wrapped < 1 || wrapped > money.MaxAmount {
				panic("fixture does not wrap to a valid amount")
			}
			r.Amount = wrapped
		}, false},
		{"ItemNegative", func(r *receipt.Receipt) { r.Items[0].Amount, r.Items[1].Amount = 1300, -70 }, false},
		{"ItemZeroQuantity", func(r *receipt.Receipt) { r.Items[0].Quantity = 0 }, false},
		{"ItemHugeQuantity", func(r *receipt.Receipt) { r.Items[0].Quantity = 1_000_001 }, false},
		{"ItemNoName", func(r *receipt.Receipt) { r.Items[0].Name = "" }, false},
		{"ItemNameInvalidUTF8", func(r *receipt.Receipt) { r.Items[0].Name = "\xfe" }, false},
		{"TooManyItems", func(r *receipt.Receipt) {
			r.Items = make([]receipt.Item, receipt.MaxItems+1)
			for i := range r.Items {
				r.Items[i] = receipt.Item{Name: "x", Quantity: 1, Amount: 1}
			}
			r.Amount = int64(len(r.Items))
		}, false},
		{"ZeroTime", func(r *receipt.Receipt) { r.IssuedAt = time.Time{} }, false},
		{"TimeNotUTC", func(r *receipt.Receipt) { r.IssuedAt = r.IssuedAt.In(time.FixedZone("CST", 8*3600)) }, false},
		{"TimeFiveDigitYear", func(r *receipt.Receipt) { r.IssuedAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewPayment()
			tt.edit(&r)
			err := r.Validate()
			if tt.ok != (err == nil) {
				t.Fatalf("Validate() = %v; want ok=%v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, receipt.ErrInvalidReceipt) {
				t.Fatalf("Validate() = %v; want ErrInvalidReceipt", err)
			}
		})
	}
}

func TestNewID(t *testing.T) {
	re := regexp.MustCompile(`^rcp_[a-z2-7]{24}$`)
	seen := map[string]bool{}
	for range 100 {
		id := receipt.NewID()
		if !re.MatchString(id) || seen[id] {
			t.Fatalf("NewID() = %q (seen before: %v)", id, seen[id])
		}
		seen[id] = true
		r := NewPayment()
		r.ID = id
		if err := r.Validate(); err != nil {
			t.Fatalf("receipt with NewID(): %v", err)
		}
	}
}
