package api

import (
	"strconv"
	"sync"
	"time"

	"github.com/ewallet/ewallet/wallet"
)

// RateLimit bounds how often one client IP may call the routes a guesser
// would hammer (register, verify, resend, log in, unfreeze): PerMinute on
// average, Burst at once. Zero PerMinute: no limit. It comes on top of
// the per-phone and per-account lockouts, which do not depend on the IP.
type RateLimit struct {
	PerMinute int `json:"per_minute"`
	Burst     int `json:"burst"`
}

// DefaultRateLimit suits phones behind carrier NAT sharing an address.
var DefaultRateLimit = RateLimit{PerMinute: 60, Burst: 60}

// DevRateLimit is --dev's relaxed limit: a test suite on loopback
// registers many users from one address.
var DevRateLimit = RateLimit{PerMinute: 60_000, Burst: 10_000}

// ipLimitedRoutes are the routes under the per-IP limit.
var ipLimitedRoutes = map[string]bool{
	"POST /v1/users":               true,
	"POST /v1/users/verify":        true,
	"POST /v1/users/verify/resend": true,
	"POST /v1/sessions":            true,
	"POST /v1/me/unfreeze":         true,
}

// ipLimiter is the generic cell rate algorithm per IP: each IP has a
// theoretical arrival time (tat) that every allowed request pushes one
// interval further; a request is allowed while tat is at most burst
// intervals ahead of now. One time per IP, no timers.
type ipLimiter struct {
	interval, tolerance time.Duration

	mu        sync.Mutex
	tat       map[string]time.Time
	lastSweep time.Time
}

func newIPLimiter(r RateLimit) *ipLimiter {
	if r.PerMinute <= 0 {
		return nil
	}
	burst := max(r.Burst, 1)
	interval := time.Minute / time.Duration(r.PerMinute)
	return &ipLimiter{interval: interval, tolerance: interval * time.Duration(burst-1), tat: map[string]time.Time{}}
}

// allow takes one request for ip at now; when refused it says how long
// until the next would pass.
func (l *ipLimiter) allow(ip string, now time.Time) (bool, time.Duration) {
	if l == nil {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	tat := l.tat[ip]
	if tat.Before(now) {
		tat = now
	}
	if wait := tat.Sub(now) - l.tolerance; wait > 0 {
		return false, wait
	}
	l.tat[ip] = tat.Add(l.interval)
	return true, 0
}

// sweep forgets IPs whose bucket is full again, once a minute, so the
// map holds only recent callers.
func (l *ipLimiter) sweep(now time.Time) {
	if now.Sub(l.lastSweep) < time.Minute {
		return
	}
	l.lastSweep = now
	for ip, tat := range l.tat {
		if tat.Before(now) {
			delete(l.tat, ip)
		}
	}
}

// adminFailLimit is how many wrong admin tokens one address may send: 10
// a minute, in a burst of 10. Right tokens are not counted.
var adminFailLimit = RateLimit{PerMinute: 10, Burst: 10}

// admitAdmin checks an operator route's token. An address over its budget
// of wrong tokens gets 429 before its token is even looked at, so that a
// right guess cannot be told from a wrong one while it is locked out.
func (a *API) admitAdmin(c *call) bool {
	ip, now := c.client().IP, time.Now()
	if wait := a.adminFails.blocked(ip, now); wait > 0 {
		a.retryAfter(c, wait)
		return false
	}
	if a.isAdmin(c.r) {
		return true
	}
	a.adminFails.allow(ip, now)
	a.fail(c, wallet.Errorf(wallet.CodeUnauthenticated, "missing or invalid admin token"))
	return false
}

// blocked says how long until ip may send again, 0 when it may now,
// without taking a request.
func (l *ipLimiter) blocked(ip string, now time.Time) time.Duration {
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	tat := l.tat[ip]
	if tat.Before(now) {
		return 0
	}
	return max(tat.Sub(now)-l.tolerance, 0)
}

// retryAfter answers 429 with Retry-After in whole seconds.
func (a *API) retryAfter(c *call, wait time.Duration) {
	secs := int((wait + time.Second - 1) / time.Second)
	c.w.Header().Set("Retry-After", strconv.Itoa(secs))
	a.fail(c, wallet.Errorf(wallet.CodeTooManyAttempts, "too many requests from this address; retry in %d s", secs))
}

// limitIP answers 429 when the caller's IP is over the limit of a limited
// route; it reports whether the request may go on.
func (a *API) limitIP(c *call, route string) bool {
	if !ipLimitedRoutes[route] {
		return true
	}
	ok, wait := a.ipLimit.allow(c.client().IP, time.Now())
	if !ok {
		a.retryAfter(c, wait)
	}
	return ok
}
