package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ewallet/ewallet/merchant"
	"github.com/ewallet/ewallet/purse"
)

func TestMerchantConfig(t *testing.T) {
	for _, tc := range []struct {
		name, json string
		want       func(c *merchant.Config)
		err        string
	}{
		{"Defaults", `{}`, func(*merchant.Config) {}, ""},
		{"All", `{"merchants":{"fee_bp":38,"payment_ttl":"120s","capture_within":"72h","key_overlap":"1h","country":"HK","city":"Hong Kong"}}`,
			func(c *merchant.Config) {
				c.FeeBP, c.PaymentTTL, c.CaptureWithin, c.KeyOverlap, c.Country, c.City = 38, 2*time.Minute, 72*time.Hour, time.Hour, "HK", "Hong Kong"
			}, ""},
		{"ZeroFee", `{"merchants":{"fee_bp":0}}`, func(c *merchant.Config) { c.FeeBP = 0 }, ""},
		{"NegativeFee", `{"merchants":{"fee_bp":-1}}`, nil, "fee_bp"},
		{"FeeOver100Percent", `{"merchants":{"fee_bp":10001}}`, nil, "fee_bp"},
		{"BadDuration", `{"merchants":{"capture_within":"a week"}}`, nil, "capture_within"},
		{"ZeroDuration", `{"merchants":{"payment_ttl":"0s"}}`, nil, "payment_ttl"},
		{"BadCountry", `{"merchants":{"country":"cn"}}`, nil, "country"},
		{"UnknownField", `{"merchants":{"fee":"0.6%"}}`, nil, "unknown field"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "config.json")
			if err := os.WriteFile(path, []byte(tc.json), 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := loadConfig(path)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one naming %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := merchant.DefaultConfig()
			tc.want(&want)
			if got.merchant != want {
				t.Fatalf("merchant config %+v, want %+v", got.merchant, want)
			}
		})
	}
}

func TestEpurseConfig(t *testing.T) {
	for _, tc := range []struct {
		name, json string
		want       purse.Config // zero fields: the service's defaults
		err        string
	}{
		{"Defaults", `{}`, purse.Config{}, ""},
		{"All", `{"epurse":{"balance_cap":"500.00","purchase_cap":"50","clearing_window":"24h"}}`,
			purse.Config{BalanceCap: 50000, PurchaseCap: 5000, ClearingWindow: 24 * time.Hour}, ""},
		{"ThreeDecimals", `{"epurse":{"balance_cap":"1.001"}}`, purse.Config{}, "balance_cap"},
		{"Zero", `{"epurse":{"purchase_cap":"0"}}`, purse.Config{}, "purchase_cap"},
		{"MoreThanAChipHolds", `{"epurse":{"balance_cap":"50000000.00"}}`, purse.Config{}, "balance_cap"},
		{"BadWindow", `{"epurse":{"clearing_window":"3 days"}}`, purse.Config{}, "clearing_window"},
		{"UnknownField", `{"epurse":{"cap":"1.00"}}`, purse.Config{}, "unknown field"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "config.json")
			if err := os.WriteFile(path, []byte(tc.json), 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := loadConfig(path)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one naming %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.purse != tc.want {
				t.Fatalf("e-purse config %+v, want %+v", got.purse, tc.want)
			}
		})
	}
}
