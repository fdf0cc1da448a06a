package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ewallet/ewallet/api"
	"github.com/ewallet/ewallet/merchant"
	"github.com/ewallet/ewallet/money"
	"github.com/ewallet/ewallet/purse"
	"github.com/ewallet/ewallet/vault"
	"github.com/ewallet/ewallet/wallet"
)

// fileConfig is the optional JSON config file of `ewallet serve --config`.
// Every field is optional; what is left out keeps its default.
type fileConfig struct {
	TimeZone   string                 `json:"time_zone"`     // e.g. "Asia/Shanghai"
	SessionTTL string                 `json:"session_ttl"`   // e.g. "24h"
	Tiers      map[string]tierConfig  `json:"kyc_tiers"`     // "1", "2", "3"
	Rates      map[string]wallet.Rate `json:"rates"`         // {"USD": {"Num": 71, "Den": 10}}
	Keys       map[string]string      `json:"keys"`          // master, pin_pepper, code_secret: 64 hex chars
	IPLimit    *api.RateLimit         `json:"ip_rate_limit"` // {"per_minute": 60, "burst": 60}; per_minute 0: none
	Merchants  *merchantConfig        `json:"merchants"`
	Epurse     *epurseConfig          `json:"epurse"`
}

// epurseConfig is the stored-value card rules of the config file.
type epurseConfig struct {
	BalanceCap     string `json:"balance_cap"`     // CNY, "1000.00"
	PurchaseCap    string `json:"purchase_cap"`    // CNY, "200.00"
	ClearingWindow string `json:"clearing_window"` // a lost card's rest is refunded after, "72h"
}

// merchantConfig is the merchant rules of the config file.
type merchantConfig struct {
	FeeBP         *int64 `json:"fee_bp"`         // default discount rate in basis points: 60 = 0.60%
	PaymentTTL    string `json:"payment_ttl"`    // time to pay when a payment names none, "900s"
	CaptureWithin string `json:"capture_within"` // an authorization is released after, "168h"
	KeyOverlap    string `json:"key_overlap"`    // a rotated secret key works this long, "24h"
	Country       string `json:"country"`        // ISO 3166-1 alpha-2, in QR codes
	City          string `json:"city"`           // in QR codes
}

// serveConfig is what the config file decides for serve.
type serveConfig struct {
	wallet   wallet.Config
	merchant merchant.Config
	purse    purse.Config
	keys     map[string]string
	ipLimit  *api.RateLimit // nil: the default (relaxed under --dev)
}

// tierConfig gives a tier's limits as CNY decimal strings or "unlimited".
type tierConfig struct {
	PerTransaction string `json:"per_transaction"`
	Daily          string `json:"daily"`
	Yearly         string `json:"yearly"`
	Lifetime       string `json:"lifetime"`
	BalanceCap     string `json:"balance_cap"`
}

// loadConfig applies a config file (if path is set) to the defaults.
func loadConfig(path string) (serveConfig, error) {
	cfg, fc, err := readConfig(path)
	if err == nil && fc.IPLimit != nil && (fc.IPLimit.PerMinute < 0 || fc.IPLimit.Burst < 0) {
		err = fmt.Errorf("config ip_rate_limit: per_minute and burst must not be negative")
	}
	mc := merchant.DefaultConfig()
	if err == nil && fc.Merchants != nil {
		mc, err = fc.Merchants.apply(mc)
	}
	var pc purse.Config
	if err == nil && fc.Epurse != nil {
		pc, err = fc.Epurse.apply()
	}
	return serveConfig{wallet: cfg, merchant: mc, purse: pc, keys: fc.Keys, ipLimit: fc.IPLimit}, err
}

// apply reads the file's e-purse rules; what is left out keeps its default.
func (e *epurseConfig) apply() (purse.Config, error) {
	var c purse.Config
	for _, m := range []struct {
		name, s string
		dst     *int64
	}{{"balance_cap", e.BalanceCap, &c.BalanceCap}, {"purchase_cap", e.PurchaseCap, &c.PurchaseCap}} {
		if m.s == "" {
			continue
		}
		v, err := money.Parse(m.s, money.CNY)
		if err != nil || v <= 0 || v > math.MaxUint32 {
			return c, fmt.Errorf("config epurse %s %q is not a positive CNY amount a card can hold", m.name, m.s)
		}
		*m.dst = v
	}
	if e.ClearingWindow != "" {
		v, err := time.ParseDuration(e.ClearingWindow)
		if err != nil || v <= 0 {
			return c, fmt.Errorf("config epurse clearing_window %q is not a positive duration", e.ClearingWindow)
		}
		c.ClearingWindow = v
	}
	return c, nil
}

// apply puts the file's merchant rules over the defaults.
func (m *merchantConfig) apply(c merchant.Config) (merchant.Config, error) {
	if m.FeeBP != nil {
		if *m.FeeBP < 0 || *m.FeeBP > 10_000 {
			return c, fmt.Errorf("config merchants fee_bp %d is not 0-10000", *m.FeeBP)
		}
		c.FeeBP = *m.FeeBP
	}
	for _, d := range []struct {
		name, s string
		dst     *time.Duration
	}{{"payment_ttl", m.PaymentTTL, &c.PaymentTTL}, {"capture_within", m.CaptureWithin, &c.CaptureWithin}, {"key_overlap", m.KeyOverlap, &c.KeyOverlap}} {
		if d.s == "" {
			continue
		}
		v, err := time.ParseDuration(d.s)
		if err != nil || v <= 0 {
			return c, fmt.Errorf("config merchants %s %q is not a positive duration", d.name, d.s)
		}
		*d.dst = v
	}
	if m.Country != "" {
		if len(m.Country) != 2 || strings.ToUpper(m.Country) != m.Country {
			return c, fmt.Errorf("config merchants country %q is not an ISO 3166-1 alpha-2 code", m.Country)
		}
		c.Country = m.Country
	}
	if m.City != "" {
		c.City = m.City
	}
	return c, nil
}

// ipLimitFor is the per-IP limit: the file's, else the default, relaxed
// under --dev.
func (c serveConfig) ipLimitFor(dev bool) api.RateLimit {
	switch {
	case c.ipLimit != nil:
		return *c.ipLimit
	case dev:
		return api.DevRateLimit
	}
	return api.DefaultRateLimit
}

// readConfig reads the file's wallet rules over the defaults.
func readConfig(path string) (wallet.Config, fileConfig, error) {
	cfg := wallet.DefaultConfig()
	var fc fileConfig
	if path == "" {
		return cfg, fc, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return cfg, fc, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&fc); err != nil {
		return cfg, fc, fmt.Errorf("config %s: %w", path, err)
	}
	if fc.TimeZone != "" {
		if cfg.Zone, err = time.LoadLocation(fc.TimeZone); err != nil {
			return cfg, fc, fmt.Errorf("config time_zone: %w", err)
		}
	}
	if fc.SessionTTL != "" {
		if cfg.SessionTTL, err = time.ParseDuration(fc.SessionTTL); err != nil || cfg.SessionTTL <= 0 {
			return cfg, fc, fmt.Errorf("config session_ttl %q is not a positive duration", fc.SessionTTL)
		}
	}
	for name, t := range fc.Tiers {
		var tier int
		if _, err := fmt.Sscanf(name, "%d", &tier); err != nil {
			return cfg, fc, fmt.Errorf("config kyc_tiers: bad tier %q", name)
		}
		lim := cfg.Tiers[tier]
		for _, f := range []struct {
			s   string
			dst *int64
		}{{t.PerTransaction, &lim.PerTransaction}, {t.Daily, &lim.Daily}, {t.Yearly, &lim.Yearly}, {t.Lifetime, &lim.Lifetime}, {t.BalanceCap, &lim.BalanceCap}} {
			switch f.s {
			case "":
			case "unlimited":
				*f.dst = wallet.Unlimited
			default:
				n, err := money.Parse(f.s, money.CNY)
				if err != nil {
					return cfg, fc, fmt.Errorf("config kyc_tiers %s: %q is not a CNY amount", name, f.s)
				}
				*f.dst = n
			}
		}
		cfg.Tiers[tier] = lim
	}
	for cur, r := range fc.Rates {
		c, err := money.ParseCurrency(cur)
		if err != nil {
			return cfg, fc, fmt.Errorf("config rates: %q: %w", cur, err)
		}
		cfg.Rates[c] = r
	}
	return cfg, fc, cfg.Validate()
}

// secrets are the server's keys: the card vault's master key, the PIN
// pepper and the key of SMS-code hashes.
type secrets struct {
	master, pinPepper, codeSecret []byte
	receiptSeed                   []byte // Ed25519 seed receipts are signed with
	epurseSeed                    []byte // the e-purse issuer's master keys derive from it
}

// loadSecrets takes each key from the config file, else the environment
// (EWALLET_MASTER_KEY, EWALLET_PIN_PEPPER, EWALLET_CODE_SECRET,
// EWALLET_RECEIPT_KEY), else a
// key file in dir created with mode 0600 on first start. Servers sharing a
// PostgreSQL database must share these keys.
func loadSecrets(dir string, fromConfig map[string]string, getenv func(string) string) (secrets, error) {
	var s secrets
	for _, k := range []struct {
		name, env, file string
		dst             *[]byte
	}{
		{"master", "EWALLET_MASTER_KEY", "master.key", &s.master},
		{"pin_pepper", "EWALLET_PIN_PEPPER", "pin-pepper.key", &s.pinPepper},
		{"code_secret", "EWALLET_CODE_SECRET", "code-secret.key", &s.codeSecret},
		{"receipt_signing", "EWALLET_RECEIPT_KEY", "receipt-signing.key", &s.receiptSeed},
		{"epurse_issuer", "EWALLET_EPURSE_KEY", "epurse-issuer.key", &s.epurseSeed},
	} {
		v := fromConfig[k.name]
		if v == "" {
			v = getenv(k.env)
		}
		var err error
		if v != "" {
			*k.dst, err = vault.ParseMasterKey(v)
		} else {
			*k.dst, err = vault.LoadOrCreateKeyFile(filepath.Join(dir, k.file))
		}
		if err != nil {
			return s, fmt.Errorf("key %s: %w", k.name, err)
		}
	}
	return s, nil
}
