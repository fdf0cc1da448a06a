package auth_test

import (
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"testing"

	"golang.org/x/crypto/argon2"

	"github.com/ewallet/ewallet/auth"
)

var phcRE = regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)

func TestHashPassword(t *testing.T) {
	const pw = "correct horse battery staple"
	h1, err := auth.HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("Format", func(t *testing.T) {
		if !phcRE.MatchString(h1) {
			t.Fatalf("hash %q is not the expected PHC string", h1)
		}
	})
	t.Run("Right", func(t *testing.T) {
		if ok, err := auth.CheckPassword(h1, pw); !ok || err != nil {
			t.Fatalf("CheckPassword(right) = %v, %v", ok, err)
		}
	})
	t.Run("Wrong", func(t *testing.T) {
		for _, wrong := range []string{"", "correct horse battery stapl", "Correct horse battery staple", pw + " "} {
			if ok, err := auth.CheckPassword(h1, wrong); ok || err != nil {
				t.Fatalf("CheckPassword(wrong %q) = %v, %v", wrong, ok, err)
			}
		}
	})
	t.Run("FreshSalt", func(t *testing.T) {
		h2, err := auth.HashPassword(pw)
		if err != nil || h2 == h1 {
			t.Fatalf("second hash = %q, %v; want a different salt", h2, err)
		}
	})
	t.Run("OtherParameters", func(t *testing.T) {
		// Hashes made with older, cheaper parameters must keep working.
		salt := []byte("0123456789abcdef")
		key := argon2.IDKey([]byte(pw), salt, 1, 64, 2, 16)
		b := base64.RawStdEncoding
		h := fmt.Sprintf("$argon2id$v=19$m=64,t=1,p=2$%s$%s", b.EncodeToString(salt), b.EncodeToString(key))
		if ok, err := auth.CheckPassword(h, pw); !ok || err != nil {
			t.Fatalf("CheckPassword(m=64) = %v, %v", ok, err)
		}
		if ok, err := auth.CheckPassword(h, "nope"); ok || err != nil {
			t.Fatalf("CheckPassword(m=64, wrong) = %v, %v", ok, err)
		}
	})
}

const (
	salt22 = "MDEyMzQ1Njc4OWFiY2RlZg"
	key43  = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY"
)

func TestCheckPasswordMalformed(t *testing.T) {
	for _, tt := range []struct{ name, hash string }{
		{"Empty", ""},
		{"Bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"Argon2i", "$argon2i$v=19$m=19456,t=2,p=1$" + salt22 + "$" + key43},
		{"Version16", "$argon2id$v=16$m=19456,t=2,p=1$" + salt22 + "$" + key43},
		{"ParamsOrder", "$argon2id$v=19$t=2,m=19456,p=1$" + salt22 + "$" + key43},
		{"LeadingZero", "$argon2id$v=19$m=019456,t=2,p=1$" + salt22 + "$" + key43},
		{"PlusSign", "$argon2id$v=19$m=+19456,t=2,p=1$" + salt22 + "$" + key43},
		{"MemoryTooBig", "$argon2id$v=19$m=4194304,t=2,p=1$" + salt22 + "$" + key43},
		{"MemoryOverflow", "$argon2id$v=19$m=99999999999,t=2,p=1$" + salt22 + "$" + key43},
		{"TimeZero", "$argon2id$v=19$m=19456,t=0,p=1$" + salt22 + "$" + key43},
		{"TimeTooBig", "$argon2id$v=19$m=19456,t=1000,p=1$" + salt22 + "$" + key43},
		{"ThreadsZero", "$argon2id$v=19$m=19456,t=2,p=0$" + salt22 + "$" + key43},
		{"ThreadsTooBig", "$argon2id$v=19$m=19456,t=2,p=256$" + salt22 + "$" + key43},
		{"PaddedSalt", "$argon2id$v=19$m=19456,t=2,p=1$" + salt22 + "==$" + key43},
		{"NewlineInKey", "$argon2id$v=19$m=19456,t=2,p=1$" + salt22 + "$" + key43[:20] + "\r\n" + key43[20:]},
		{"BadBase64", "$argon2id$v=19$m=19456,t=2,p=1$" + salt22 + "$" + key43[:42] + "!"},
		{"ShortSalt", "$argon2id$v=19$m=19456,t=2,p=1$YWJj$" + key43},
		{"ShortKey", "$argon2id$v=19$m=19456,t=2,p=1$" + salt22 + "$YWJj"},
		{"ExtraField", "$argon2id$v=19$m=19456,t=2,p=1$" + salt22 + "$" + key43 + "$"},
		{"MissingKey", "$argon2id$v=19$m=19456,t=2,p=1$" + salt22},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := auth.CheckPassword(tt.hash, "whatever password")
			if ok || !errors.Is(err, auth.ErrMalformedHash) {
				t.Fatalf("CheckPassword = %v, %v; want ErrMalformedHash", ok, err)
			}
		})
	}
}

func TestDummyHash(t *testing.T) {
	h := auth.DummyHash()
	if !phcRE.MatchString(h) {
		t.Fatalf("DummyHash() = %q; want a PHC string", h)
	}
	if again := auth.DummyHash(); again != h {
		t.Fatal("DummyHash() changed between calls")
	}
	if ok, err := auth.CheckPassword(h, ""); ok || err != nil {
		t.Fatalf("CheckPassword(DummyHash, \"\") = %v, %v", ok, err)
	}
}

func FuzzParsePHC(f *testing.F) {
	f.Add("$argon2id$v=19$m=19456,t=2,p=1$" + salt22 + "$" + key43)
	f.Add("$argon2id$v=19$m=64,t=1,p=2$" + salt22 + "$" + key43)
	f.Add("$argon2id$v=19$m=0,t=0,p=0$$")
	f.Add("$argon2id$v=19$m=19456,t=2,p=1$" + salt22 + "=$" + key43)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := auth.ParsePHC(s)
		if err != nil {
			if !errors.Is(err, auth.ErrMalformedHash) {
				t.Fatalf("ParsePHC(%q) error %v; want ErrMalformedHash", s, err)
			}
			return
		}
		// One spelling per hash: whatever parses formats back the same.
		if got != s {
			t.Fatalf("ParsePHC(%q) formats back as %q", s, got)
		}
	})
}
