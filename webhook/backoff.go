package webhook

import "time"

// MaxAge is how long a delivery is retried: three days after its event (or
// after a Redeliver), as long as a merchant's weekend outage can last.
const MaxAge = 72 * time.Hour

// retryDelays are the delays after the 1st, 2nd, … failed attempt; after
// the last one the last delay repeats. They start short, for a receiver
// that dropped one request, and grow so that a receiver down for long is
// not hammered: about 18 attempts in MaxAge.
var retryDelays = []time.Duration{
	5 * time.Second,
	30 * time.Second,
	2 * time.Minute,
	10 * time.Minute,
	30 * time.Minute,
	time.Hour,
	2 * time.Hour,
	4 * time.Hour,
	8 * time.Hour,
}

// Backoff is the delay, before jitter, after failures failed attempts
// (failures >= 1): 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, 4 h, then
// 8 h for every later one.
func Backoff(failures int) time.Duration {
	switch {
	case failures < 1:
		return 0
	case failures > len(retryDelays):
		return retryDelays[len(retryDelays)-1]
	}
	return retryDelays[failures-1]
}

// NextAttempt is the retry schedule: when to try again after the attempt
// that ended at now was the failures-th to fail. The delay is Backoff
// spread by ±10% with jitter (a random number in [0, 1); 0.5 is no
// spread), so that the deliveries of one outage do not all come back in
// the same second. A time past deadline becomes deadline, so the last try
// is made at the deadline itself; at or after the deadline there is none
// (false), and the delivery fails.
func NextAttempt(failures int, now, deadline time.Time, jitter float64) (time.Time, bool) {
	if !now.Before(deadline) {
		return time.Time{}, false
	}
	d := Backoff(failures)
	d = d - d/10 + time.Duration(float64(d/5)*jitter)
	next := now.Add(d)
	if next.After(deadline) {
		next = deadline
	}
	return next, true
}
