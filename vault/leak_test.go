package vault_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ewallet/ewallet/vault"
)

// TestErrorsHideNumber formats every error path that sees a card number and
// checks that no run of 6 or more of its digits shows, so no log line can
// leak a number through an error.
func TestErrorsHideNumber(t *testing.T) {
	v := MustNewVault(t, 1)
	sealed := MustSeal(t, v, "4000056655665556")
	corrupt := sealed
	corrupt.Fingerprint = nil
	foreign := sealed
	foreign.KeyID = "deadbeef"
	truncated := sealed
	truncated.Ciphertext = truncated.Ciphertext[:8]

	for _, tt := range []struct {
		name, number string
		call         func() error
	}{
		{"NormalizeBadLuhn", "4000056655665557", func() error { _, err := vault.NormalizeNumber("4000056655665557"); return err }},
		{"NormalizeTooLong", "40000566556655560000", func() error { _, err := vault.NormalizeNumber("40000566556655560000"); return err }},
		{"NormalizeLetter", "400005665566555x", func() error { _, err := vault.NormalizeNumber("400005665566555x"); return err }},
		{"NormalizeSpaced", "4000 0566 5566 5557", func() error { _, err := vault.NormalizeNumber("4000 0566 5566 5557"); return err }},
		{"SealBadLuhn", "4000056655665557", func() error { _, err := v.Seal("4000056655665557"); return err }},
		{"SealShort", "40000566556", func() error { _, err := v.Seal("40000566556"); return err }},
		{"OpenCorrupt", "4000056655665556", func() error { _, err := v.Open(corrupt); return err }},
		{"OpenForeign", "4000056655665556", func() error { _, err := v.Open(foreign); return err }},
		{"OpenTruncated", "4000056655665556", func() error { _, err := v.Open(truncated); return err }},
		{"OpenOtherVault", "4000056655665556", func() error { _, err := MustNewVault(t, 2).Open(sealed); return err }},
		{"Expiry", "4000056655665556", func() error { return vault.CheckExpiry(1, 2020, time.Now()) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if err == nil {
				t.Fatal("no error")
			}
			digits := strings.NewReplacer(" ", "", "-", "").Replace(tt.number)
			for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
				msg := fmt.Sprintf(verb, err)
				for i := 0; i+6 <= len(digits); i++ {
					if strings.Contains(msg, digits[i:i+6]) {
						t.Fatalf("%s of the error shows digits of the number: %s", verb, msg)
					}
				}
			}
		})
	}
}
