package webhook_test

import (
	"testing"
	"time"

	"github.com/ewallet/ewallet/webhook"
)

func TestBackoff(t *testing.T) {
	for _, c := range []struct {
		failures int
		want     time.Duration
	}{
		{0, 0},
		{1, 5 * time.Second},
		{2, 30 * time.Second},
		{3, 2 * time.Minute},
		{4, 10 * time.Minute},
		{5, 30 * time.Minute},
		{6, time.Hour},
		{7, 2 * time.Hour},
		{8, 4 * time.Hour},
		{9, 8 * time.Hour},
		{10, 8 * time.Hour},
		{1000, 8 * time.Hour},
	} {
		if got := webhook.Backoff(c.failures); got != c.want {
			t.Errorf("Backoff(%d) = %v, want %v", c.failures, got, c.want)
		}
	}
}

func TestNextAttempt(t *testing.T) {
	t0 := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	deadline := t0.Add(webhook.MaxAge)
	for _, c := range []struct {
		name     string
		failures int
		now      time.Time
		jitter   float64
		want     time.Time // zero: no next attempt
	}{
		{"FirstFailureNoSpread", 1, t0, 0.5, t0.Add(5 * time.Second)},
		{"FirstFailureEarliest", 1, t0, 0, t0.Add(4500 * time.Millisecond)},
		{"FirstFailureLate", 1, t0, 0.75, t0.Add(5250 * time.Millisecond)},
		{"ThirdFailure", 3, t0, 0.5, t0.Add(2 * time.Minute)},
		{"SixthFailureEarliest", 6, t0, 0, t0.Add(54 * time.Minute)},
		{"Capped", 15, t0.Add(time.Hour), 0.5, t0.Add(9 * time.Hour)},
		{"ClampedToDeadline", 9, deadline.Add(-time.Hour), 0.5, deadline},
		{"JustBeforeDeadline", 1, deadline.Add(-time.Nanosecond), 0.5, deadline},
		{"AtDeadline", 1, deadline, 0.5, time.Time{}},
		{"PastDeadline", 12, deadline.Add(time.Minute), 0.5, time.Time{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, ok := webhook.NextAttempt(c.failures, c.now, deadline, c.jitter)
			if ok != !c.want.IsZero() || !got.Equal(c.want) {
				t.Errorf("NextAttempt(%d, %v, %v): %v, %v; want %v", c.failures, c.now, c.jitter, got, ok, c.want)
			}
		})
	}
}

// TestSchedule follows a receiver that never answers: every attempt falls
// within MaxAge, an hour-long outage is retried through and past, and
// the last attempt is at the deadline.
func TestSchedule(t *testing.T) {
	for _, jitter := range []float64{0, 0.5, 0.999} {
		t0 := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
		deadline := t0.Add(webhook.MaxAge)
		now, attempts, inFirstHour := t0, 1, 1
		for failures := 1; ; failures++ {
			next, ok := webhook.NextAttempt(failures, now, deadline, jitter)
			if !ok {
				break
			}
			if !next.After(now) || next.After(deadline) {
				t.Fatalf("jitter %v: attempt %d at %v after %v, deadline %v", jitter, attempts+1, next, now, deadline)
			}
			now = next
			attempts++
			if now.Sub(t0) < time.Hour {
				inFirstHour++
			}
		}
		if !now.Equal(deadline) || attempts < 15 || attempts > 20 || inFirstHour != 6 {
			t.Errorf("jitter %v: %d attempts (%d in the first hour), the last at %v; want 15-20 (6), the last at the deadline",
				jitter, attempts, inFirstHour, now.Sub(t0))
		}
	}
}
