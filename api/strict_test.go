package api

import "testing"

func TestCheckKeys(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    any
		body string
		ok   bool
	}{
		{"Exact", &loginReq{}, `{"phone":"+8613800000001","password":"x"}`, true},
		{"OtherCase", &loginReq{}, `{"PHONE":"+8613800000001","password":"x"}`, false},
		{"Duplicate", &loginReq{}, `{"phone":"a","password":"x","phone":"b"}`, false},
		{"DuplicateOtherCase", &loginReq{}, `{"phone":"a","Phone":"b"}`, false},
		{"Unknown", &loginReq{}, `{"phone":"a","admin":true}`, false},
		{"NULInText", &registerReq{}, `{"phone":"a","password":"x","name":"A\u0000B"}`, false},
		{"NULInKey", &loginReq{}, `{"pho\u0000ne":"a"}`, false},
		{"NULInAmountLeftToItsParser", &transferReq{}, `{"amount":"1\u0000","currency":"CNY"}`, true},
		{"NULInCurrencyLeftToItsParser", &transferReq{}, `{"amount":"1","currency":"C\u0000"}`, true},
		{"Nested", &transferReq{}, `{"to":{"phone":"+8613800000001"},"amount":"1.00","currency":"CNY","pin":"1357"}`, true},
		{"NestedOtherCase", &transferReq{}, `{"to":{"Phone":"+8613800000001"}}`, false},
		{"NestedDuplicate", &transferReq{}, `{"to":{"phone":"a","phone":"b"}}`, false},
		{"NestedNUL", &transferReq{}, `{"to":{"wallet_id":"w\u0000"}}`, false},
		{"MapKeysAreFree", &kycReq{}, `{"tier":3,"limits":{"daily":"1.00","anything":"2.00"}}`, true},
		{"MapDuplicate", &kycReq{}, `{"limits":{"daily":"1.00","daily":"2.00"}}`, false},
		{"AmountObjectLeftToDecoder", &transferReq{}, `{"amount":{"x":1}}`, true},
		{"WrongTypeLeftToDecoder", &cardReq{}, `{"exp_month":"12"}`, true},
		{"NotAnObjectLeftToDecoder", &loginReq{}, `[1,2]`, true},
		{"Truncated", &loginReq{}, `{"phone":"a"`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := checkKeys([]byte(tc.body), tc.v); got != tc.ok {
				t.Fatalf("checkKeys(%s) = %v, want %v", tc.body, got, tc.ok)
			}
		})
	}
}
