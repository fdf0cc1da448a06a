package auth_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ewallet/ewallet/auth"
)

func TestHasher(t *testing.T) {
	h := auth.NewHasher(2)
	ctx := context.Background()
	hash, err := h.Hash(ctx, "tulip-Orbit-92-canoe")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("Check", func(t *testing.T) {
		if ok, err := h.Check(ctx, hash, "tulip-Orbit-92-canoe"); !ok || err != nil {
			t.Fatalf("Check(right) = %v, %v", ok, err)
		}
		if ok, err := h.Check(ctx, hash, "tulip-Orbit-92-canoo"); ok || err != nil {
			t.Fatalf("Check(wrong) = %v, %v", ok, err)
		}
	})
	t.Run("Concurrent", func(t *testing.T) {
		var wg sync.WaitGroup
		for range 6 {
			wg.Go(func() {
				if ok, err := h.Check(ctx, hash, "tulip-Orbit-92-canoe"); !ok || err != nil {
					t.Errorf("Check = %v, %v", ok, err)
				}
			})
		}
		wg.Wait()
	})
	t.Run("WaitHonoursContext", func(t *testing.T) {
		h := auth.NewHasher(1)
		release := h.Hold()
		ctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		defer cancel()
		if _, err := h.Hash(ctx, "x"); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Hash while full = %v; want DeadlineExceeded", err)
		}
		if _, err := h.Check(ctx, hash, "x"); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Check while full = %v; want DeadlineExceeded", err)
		}
		release()
		if ok, err := h.Check(context.Background(), hash, "tulip-Orbit-92-canoe"); !ok || err != nil {
			t.Fatalf("Check after release = %v, %v", ok, err)
		}
	})
	t.Run("CanceledTakesNoSlot", func(t *testing.T) {
		ctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := auth.NewHasher(1).Hash(ctx, "x"); !errors.Is(err, context.Canceled) {
			t.Fatalf("Hash(canceled) = %v; want Canceled", err)
		}
	})
}
