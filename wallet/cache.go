package wallet

import (
	"context"
	"sync"
	"time"
)

// cacheTTL bounds how stale a cached session or user may be. Changes made
// by this process evict at once; the TTL only matters when several
// processes share a PostgreSQL database.
const cacheTTL = 2 * time.Second

// ttlCache keeps values for cacheTTL; maxCached bounds it (it is emptied
// when full, which only costs re-reads).
type ttlCache[K comparable, V any] struct {
	mu sync.Mutex
	m  map[K]ttlEntry[V]
}

type ttlEntry[V any] struct {
	v  V
	at time.Time
}

const maxCached = 1 << 17

func (c *ttlCache[K, V]) get(k K, now time.Time) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	return e.v, ok && now.Sub(e.at) < cacheTTL
}

func (c *ttlCache[K, V]) put(k K, v V, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) > maxCached {
		c.m = map[K]ttlEntry[V]{}
	}
	c.m[k] = ttlEntry[V]{v, now}
}

func (c *ttlCache[K, V]) drop(k K) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, k)
}

// sessionCache keeps recently used sessions and users so that an
// authenticated request costs no query.
type sessionCache struct {
	sessions ttlCache[[32]byte, Session]
	users    ttlCache[string, User]
}

func (c *sessionCache) session(h [32]byte, now time.Time) (Session, bool) {
	return c.sessions.get(h, now)
}
func (c *sessionCache) putSession(s Session, now time.Time)        { c.sessions.put(s.TokenHash, s, now) }
func (c *sessionCache) dropSession(h [32]byte)                     { c.sessions.drop(h) }
func (c *sessionCache) user(id string, now time.Time) (User, bool) { return c.users.get(id, now) }
func (c *sessionCache) putUser(u User, now time.Time)              { c.users.put(u.ID, u, now) }
func (c *sessionCache) dropUser(id string)                         { c.users.drop(id) }

// User returns a user by ID, from the cache when fresh.
func (s *Service) User(ctx context.Context, id string) (User, error) {
	now := s.now()
	if u, ok := s.sessions.user(id, now); ok {
		return u, nil
	}
	u, err := s.Store.User(ctx, id)
	if err != nil {
		return User{}, err
	}
	s.sessions.putUser(u, now)
	return u, nil
}

// updateUser stores u and drops the cached copy.
func (s *Service) updateUser(ctx context.Context, u User) error {
	defer s.sessions.dropUser(u.ID)
	return s.Store.UpdateUser(ctx, u)
}

// userBy finds a user by an immutable handle (phone or wallet ID): the
// handle's user ID is cached for good, the user itself for cacheTTL.
func (s *Service) userBy(ctx context.Context, handle string, load func() (User, error)) (User, error) {
	if id, ok := s.handles.Load(handle); ok {
		return s.User(ctx, id.(string))
	}
	u, err := load()
	if err != nil {
		return User{}, err
	}
	s.handles.Store(handle, u.ID)
	s.sessions.putUser(u, s.now())
	return u, nil
}
