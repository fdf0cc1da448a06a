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

// sessionCache keeps recently used sessions and users so that an
// authenticated request costs no query.
type sessionCache struct {
	mu       sync.Mutex
	sessions map[[32]byte]cachedSession
	users    map[string]cachedUser
}

type cachedSession struct {
	s  Session
	at time.Time
}

type cachedUser struct {
	u  User
	at time.Time
}

func (c *sessionCache) session(h [32]byte, now time.Time) (Session, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.sessions[h]
	return e.s, ok && now.Sub(e.at) < cacheTTL
}

func (c *sessionCache) putSession(s Session, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sessions == nil || len(c.sessions) > 1<<17 {
		c.sessions = map[[32]byte]cachedSession{}
	}
	c.sessions[s.TokenHash] = cachedSession{s, now}
}

func (c *sessionCache) dropSession(h [32]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.sessions, h)
}

func (c *sessionCache) user(id string, now time.Time) (User, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.users[id]
	return e.u, ok && now.Sub(e.at) < cacheTTL
}

func (c *sessionCache) putUser(u User, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.users == nil || len(c.users) > 1<<17 {
		c.users = map[string]cachedUser{}
	}
	c.users[u.ID] = cachedUser{u, now}
}

func (c *sessionCache) dropUser(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.users, id)
}

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
