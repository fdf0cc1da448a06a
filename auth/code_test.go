package auth_test

import (
	"math"
	"testing"

	"github.com/ewallet/ewallet/auth"
)

func TestNewCode(t *testing.T) {
	// Each digit position should be uniform; a chi-square over 10 bins
	// with 9 degrees of freedom exceeds 33 with probability ~1e-4.
	const n = 20000
	var counts [6][10]int
	for range n {
		c := auth.NewCode()
		if len(c) != 6 {
			t.Fatalf("NewCode = %q; want 6 digits", c)
		}
		for i := range 6 {
			if c[i] < '0' || c[i] > '9' {
				t.Fatalf("NewCode = %q; want 6 digits", c)
			}
			counts[i][c[i]-'0']++
		}
	}
	for i, bins := range counts {
		chi := 0.0
		for _, got := range bins {
			d := float64(got) - n/10
			chi += d * d / (n / 10)
		}
		if chi > 33 || math.IsNaN(chi) {
			t.Errorf("digit %d: chi-square %.1f; counts %v", i, chi, bins)
		}
	}
}

func TestCheckCode(t *testing.T) {
	secret := []byte("code-secret-code-secret-code-sec")
	stored := auth.HashCode(secret, "+8613800000001", "verify", "042917")
	for _, tt := range []struct {
		name, phone, purpose, code string
		secret                     []byte
		want                       bool
	}{
		{"Right", "+8613800000001", "verify", "042917", secret, true},
		{"WrongCode", "+8613800000001", "verify", "042918", secret, false},
		{"NoLeadingZero", "+8613800000001", "verify", "42917", secret, false},
		{"OtherPhone", "+8613800000002", "verify", "042917", secret, false},
		{"OtherPurpose", "+8613800000001", "unfreeze", "042917", secret, false},
		{"OtherSecret", "+8613800000001", "verify", "042917", []byte("another-secret"), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := auth.CheckCode(tt.secret, tt.phone, tt.purpose, tt.code, stored); got != tt.want {
				t.Fatalf("CheckCode = %v; want %v", got, tt.want)
			}
		})
	}
	if auth.CheckCode(secret, "+8613800000001", "verify", "042917", nil) {
		t.Fatal("nil stored hash accepted")
	}
}
