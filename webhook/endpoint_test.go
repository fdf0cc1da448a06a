package webhook_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ewallet/ewallet/wallet"
	"github.com/ewallet/ewallet/webhook"
)

func TestEndpointURL(t *testing.T) {
	resolver := fakeResolver{
		"hooks.example.com":    {"93.184.215.14"},
		"v6.example.com":       {"2606:4700::6810:84e5"},
		"rebind.example.com":   {"93.184.215.14", "10.0.0.5"}, // one private address is enough to refuse
		"metadata.example.com": {"100.100.100.200"},
		"intranet.example.com": {"fd12:3456::1"},
		"loop.example.com":     {"127.0.0.1"},
		"empty.example.com":    {},
	}
	f := newFixture(t)
	for i, c := range []struct {
		url string
		dev bool
		ok  bool
	}{
		{"https://hooks.example.com/webhooks", false, true},
		{"https://hooks.example.com:8443/ewallet?shop=1", false, true},
		{"https://HOOKS.example.com./webhooks", false, true},
		{"https://v6.example.com/", false, true},
		{"https://93.184.215.14/hook", false, true},
		{"https://[2606:4700::6810:84e5]/hook", false, true},

		{"http://hooks.example.com/webhooks", false, false}, // not https
		{"ftp://hooks.example.com/", false, false},
		{"hooks.example.com/webhooks", false, false},
		{"/webhooks", false, false},
		{"https:hooks.example.com", false, false},
		{"https://", false, false},
		{"https://user:pass@hooks.example.com/", false, false},
		{"https://hooks.example.com/#top", false, false},
		{"https://hooks.example.com:0/", false, false},
		{"https://hooks.example.com:99999/", false, false},
		{"https://hooks.example.com/" + strings.Repeat("a", 2048), false, false},
		{"https://unknown.example.com/", false, false}, // does not resolve
		{"https://empty.example.com/", false, false},
		{"https://rebind.example.com/", false, false},
		{"https://metadata.example.com/", false, false},
		{"https://intranet.example.com/", false, false},
		{"https://loop.example.com/", false, false},
		{"https://localhost/", false, false},
		{"https://api.localhost/", false, false},
		{"http://127.0.0.1:8080/hook", false, false}, // loopback needs --dev
		{"https://127.0.0.1/", false, false},
		{"https://[::1]/", false, false},
		{"https://10.1.2.3/", false, false},
		{"https://172.16.0.1/", false, false},
		{"https://192.168.1.1/", false, false},
		{"https://169.254.169.254/latest/meta-data", false, false}, // link-local: cloud metadata
		{"https://100.100.100.200/", false, false},                 // carrier-grade NAT: Alibaba Cloud metadata
		{"https://0.0.0.0/", false, false},
		{"https://224.0.0.1/", false, false},
		{"https://[fe80::1]/", false, false},
		{"https://[fe80::1%25eth0]/", false, false},
		{"https://[fd00::1]/", false, false},
		{"https://[::]/", false, false},
		{"https://[::ffff:10.0.0.1]/", false, false},                      // IPv4-mapped
		{"https://[64:ff9b::a00:1]/", false, false},                       // NAT64 of 10.0.0.1
		{"https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", false, false}, // Teredo
		{"https://[::a00:1]/", false, false},                              // IPv4-compatible 10.0.0.1
		{"https://[2002:a00:1::]/", false, false},                         // 6to4 of 10.0.0.1

		{"http://127.0.0.1:8080/hook", true, true},
		{"http://localhost:3000/webhooks", true, true},
		{"http://[::1]:9000/", true, true},
		{"https://127.0.0.1/", true, true},
		{"https://hooks.example.com/webhooks", true, true},
		{"http://hooks.example.com/webhooks", true, false}, // http only to loopback
		{"http://10.0.0.1/", true, false},
		{"https://10.0.0.1/", true, false}, // private stays refused
		{"https://rebind.example.com/", true, false},
	} {
		t.Run(fmt.Sprintf("Dev=%v/%.60s", c.dev, c.url), func(t *testing.T) {
			svc := webhook.New(webhook.Deps{Store: f.store, Resolver: resolver, Now: f.clock.Now, Dev: c.dev})
			e, err := svc.CreateEndpoint(context.Background(), fmt.Sprint("mch_", i), c.url, []string{webhook.PaymentSucceeded})
			switch {
			case c.ok && err != nil:
				t.Errorf("refused: %v", err)
			case c.ok && e.URL != c.url:
				t.Errorf("stored URL %q", e.URL)
			case !c.ok:
				wantCode(t, "create endpoint", err, wallet.CodeInvalidRequest)
			}
		})
	}
}

func TestEndpointEvents(t *testing.T) {
	f := newFixture(t)
	for _, c := range []struct {
		name   string
		events []string
		ok     bool
	}{
		{"One", []string{webhook.PaymentSucceeded}, true},
		{"Several", []string{webhook.RefundSucceeded, webhook.PayoutPaid, webhook.PayoutFailed}, true},
		{"All", []string{"*"}, true},
		{"Every", webhook.Types(), true},
		{"None", nil, false},
		{"Empty", []string{}, false},
		{"Unknown", []string{"payment.refunded"}, false},
		{"WrongCase", []string{"Payment.Succeeded"}, false},
		{"Blank", []string{""}, false},
		{"Twice", []string{webhook.PaymentSucceeded, webhook.PaymentExpired, webhook.PaymentSucceeded}, false},
		{"AllBesideOthers", []string{"*", webhook.PaymentSucceeded}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			e, err := f.svc.CreateEndpoint(f.ctx, "mch_1", "https://hooks.example.com/"+c.name, c.events)
			if c.ok {
				if err != nil || strings.Join(e.Events, ",") != strings.Join(c.events, ",") || !strings.HasPrefix(e.ID, "we_") {
					t.Errorf("create: %+v, %v", e, err)
				}
				if err := f.svc.DeleteEndpoint(f.ctx, "mch_1", e.ID); err != nil {
					t.Fatal(err)
				}
				return
			}
			wantCode(t, "create", err, wallet.CodeInvalidRequest)
		})
	}
}

func TestEndpoints(t *testing.T) {
	f := newFixture(t)
	var made []webhook.Endpoint
	for i := range webhook.MaxEndpoints {
		f.clock.Set(t0.Add(time.Duration(i) * time.Second)) // listed oldest first
		made = append(made, f.endpoint("mch_1", fmt.Sprintf("https://hooks.example.com/%d", i), webhook.PaymentSucceeded))
	}
	_, err := f.svc.CreateEndpoint(f.ctx, "mch_1", "https://hooks.example.com/one-too-many", []string{webhook.PaymentSucceeded})
	wantCode(t, "one endpoint too many", err, wallet.CodeInvalidRequest)
	other := f.endpoint("mch_2", "https://hooks.example.com/other", "*")

	wantCode(t, "delete another merchant's endpoint", f.svc.DeleteEndpoint(f.ctx, "mch_2", made[0].ID), wallet.CodeNotFound)
	if err := f.svc.DeleteEndpoint(f.ctx, "mch_1", made[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.DeleteEndpoint(f.ctx, "mch_1", made[0].ID); err != nil {
		t.Errorf("delete again: %v", err)
	}
	list, err := f.svc.ListEndpoints(f.ctx, "mch_1")
	if err != nil || len(list) != webhook.MaxEndpoints-1 || list[0].ID != made[1].ID {
		t.Fatalf("list after deleting the first: %d endpoints, first %+v, %v", len(list), list[0], err)
	}
	f.endpoint("mch_1", "https://hooks.example.com/room-again", webhook.PaymentSucceeded)

	e, err := f.svc.Endpoint(f.ctx, "mch_1", made[0].ID)
	if err != nil || !e.Disabled || e.URL != made[0].URL {
		t.Errorf("deleted endpoint: %+v, %v; want it, disabled", e, err)
	}
	_, err = f.svc.Endpoint(f.ctx, "mch_1", other.ID)
	wantCode(t, "another merchant's endpoint", err, wallet.CodeNotFound)
	_, err = f.svc.Deliveries(f.ctx, "mch_1", webhook.Filter{EndpointID: other.ID})
	wantCode(t, "another merchant's deliveries", err, wallet.CodeNotFound)
	_, err = f.svc.Attempts(f.ctx, "mch_1", webhook.Filter{})
	wantCode(t, "attempts of nothing", err, wallet.CodeInvalidRequest)
}
