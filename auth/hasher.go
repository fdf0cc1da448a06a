package auth

import (
	"context"
	"runtime"
)

// Hasher runs HashPassword and CheckPassword with bounded concurrency.
//
// Each argon2id call takes about 64 ms of CPU and 19 MiB of memory; a burst
// of logins run without a bound would exhaust memory long before the CPU
// could serve them, so callers wait for a slot instead (or give up when
// their context ends).
type Hasher struct {
	sem chan struct{}
}

// NewHasher returns a Hasher that runs at most maxConcurrent hashes at once;
// maxConcurrent < 1 means one per CPU.
func NewHasher(maxConcurrent int) *Hasher {
	if maxConcurrent < 1 {
		maxConcurrent = runtime.GOMAXPROCS(0)
	}
	return &Hasher{sem: make(chan struct{}, maxConcurrent)}
}

// Hash is HashPassword once a slot is free; it returns ctx.Err() if ctx
// ends first.
func (h *Hasher) Hash(ctx context.Context, pw string) (string, error) {
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	return HashPassword(pw)
}

// Check is CheckPassword once a slot is free; it returns ctx.Err() if ctx
// ends first.
func (h *Hasher) Check(ctx context.Context, hash, pw string) (bool, error) {
	if err := h.acquire(ctx); err != nil {
		return false, err
	}
	defer h.release()
	return CheckPassword(hash, pw)
}

func (h *Hasher) acquire(ctx context.Context) error {
	// A request whose client has gone must not take a slot: select picks at
	// random among ready cases, so test ctx first.
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case h.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *Hasher) release() { <-h.sem }
