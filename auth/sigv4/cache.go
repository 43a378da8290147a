package sigv4

import "sync"

// cacheKey identifies a derived signing key. The secret appears only as its
// SHA-256, so the cache never holds a secret in plain text.
type cacheKey struct {
	secret                [32]byte
	date, region, service string
}

// keyCache is a bounded map of signing keys. A key changes once a day per
// credential, so a tiny cache saves four HMACs on almost every request.
type keyCache struct {
	mu  sync.Mutex
	max int
	m   map[cacheKey][]byte
}

func newKeyCache(max int) *keyCache {
	if max < 0 {
		max = 0
	}
	return &keyCache{max: max, m: make(map[cacheKey][]byte)}
}

func (c *keyCache) get(k cacheKey) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[k]
	return v, ok
}

func (c *keyCache) put(k cacheKey, v []byte) {
	if c.max == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[k]; !ok && len(c.m) >= c.max {
		// Evict an arbitrary entry (map order is randomised): good enough
		// when the working set is one key per credential and day.
		for old := range c.m {
			delete(c.m, old)
			break
		}
	}
	c.m[k] = v
}

func (c *keyCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}
