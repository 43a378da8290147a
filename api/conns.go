package api

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// DefaultMaxConnsPerClient is how many connections one client address may
// hold open at once. An SDK opens one per request in flight, and a busy
// client (the tests fire 200 concurrent calls) needs a few hundred; one
// address cannot hold the thousands that would exhaust the server's files.
const DefaultMaxConnsPerClient = 256

// ConnLimiter is a net.Listener through which one client holds at most a
// fixed number of connections at once. A client is its IP address, or its
// /64 for IPv6, where one host commonly holds a whole /64. When a client is
// at its limit, a new connection replaces the one of its idle keep-alive
// connections that has been idle longest (a client that makes a new SDK
// client per call leaves them behind by the hundred); when none is idle, the
// new connection is closed as soon as it is accepted, before anything is
// read from it. The longest idle goes first because the server reports a
// connection active again only once its next request's headers are in: one
// that turned idle a moment ago may be carrying a request, which eviction
// would cut. Behind a proxy
// every client shares the proxy's address, so the limit must then be raised
// or disabled.
//
// The server must report connection states with ConnState (wire it into
// http.Server.ConnState), or no connection counts as idle.
type ConnLimiter struct {
	net.Listener
	max int
	now func() time.Time

	mu      sync.Mutex
	clients map[string]map[*countedConn]struct{}
}

// LimitConnsPerClient wraps ln; max <= 0 returns ln unchanged.
func LimitConnsPerClient(ln net.Listener, max int) net.Listener {
	if max <= 0 {
		return ln
	}
	return &ConnLimiter{Listener: ln, max: max, now: time.Now, clients: map[string]map[*countedConn]struct{}{}}
}

// Accept returns the next connection within its client's limit.
func (l *ConnLimiter) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		cc := &countedConn{Conn: c, l: l, key: clientKey(c.RemoteAddr())}
		l.mu.Lock()
		set := l.clients[cc.key]
		if set == nil {
			set = map[*countedConn]struct{}{}
			l.clients[cc.key] = set
		}
		var evict *countedConn
		if len(set) >= l.max {
			for o := range set {
				if o.idle && (evict == nil || o.since.Before(evict.since)) {
					evict = o
				}
			}
			if evict == nil {
				l.mu.Unlock()
				_ = c.Close()
				continue
			}
			delete(set, evict)
		}
		set[cc] = struct{}{}
		l.mu.Unlock()
		if evict != nil {
			// As Server.Shutdown closes idle connections: the server's
			// goroutine for it sees the error and ends.
			_ = evict.Conn.Close()
		}
		return cc, nil
	}
}

// ConnState records whether a connection is idle; pass it the states the
// http.Server reports.
func (l *ConnLimiter) ConnState(c net.Conn, state http.ConnState) {
	cc, ok := c.(*countedConn)
	if !ok || cc.l != l {
		return
	}
	l.mu.Lock()
	cc.idle = state == http.StateIdle
	cc.since = l.now()
	l.mu.Unlock()
}

func (l *ConnLimiter) release(cc *countedConn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	set := l.clients[cc.key]
	delete(set, cc)
	if len(set) == 0 {
		delete(l.clients, cc.key)
	}
}

func clientKey(a net.Addr) string {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return a.String()
	}
	return ipKey(ta.IP)
}

func ipKey(ip net.IP) string {
	if ip4 := ip.To4(); ip4 != nil {
		return ip4.String()
	}
	return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

type countedConn struct {
	net.Conn
	l     *ConnLimiter
	key   string
	idle  bool      // guarded by l.mu
	since time.Time // of the last state change; guarded by l.mu
	once  sync.Once
}

func (c *countedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.release(c) })
	return err
}
