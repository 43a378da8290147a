package gateway

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"sync"
	"syscall"
	"time"
)

// Upstream transport limits. A gateway talks to few backends, hard, so the
// idle pool per host is large; the rest are the stock transport's values
// made explicit.
const (
	upstreamDialTimeout         = 10 * time.Second
	upstreamTLSHandshakeTimeout = 10 * time.Second
	upstreamIdleConnTimeout     = 90 * time.Second
	upstreamMaxIdleConns        = 1024
	upstreamMaxIdleConnsPerHost = 256
	upstreamMaxResponseHeader   = 1 << 20
	upstreamExpectContinue      = time.Second
)

// UpstreamRoots returns the pool that backend certificates are verified
// against: the system roots plus every certificate in the PEM bundle
// caFile ("" means the system roots only). The bundle must hold CA
// certificates only, at least one. Errors name the file once and never
// quote its content (nor a block's type: "PRIVATE KEY" in a log line sets
// off the scanners that look for leaked keys).
func UpstreamRoots(caFile string) (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool() // no system roots here: the bundle alone
	}
	if caFile == "" {
		return pool, nil
	}
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%s: %s", caFile, fmt.Sprintf(format, args...))
	}
	data, err := os.ReadFile(caFile)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is named once, in fail
		}
		return nil, fail("cannot read it: %v", err)
	}
	n := 0
	for block, rest := pem.Decode(data); block != nil; block, rest = pem.Decode(rest) {
		n++
		if block.Type != "CERTIFICATE" {
			return nil, fail("PEM block %d is not a CERTIFICATE; the file must hold CA certificates only", n)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fail("certificate %d does not parse: %v", n, err)
		}
		pool.AddCert(c)
	}
	if n == 0 {
		return nil, fail("it holds no PEM certificate")
	}
	return pool, nil
}

// Identity is a client certificate made ready once per certificate
// version: its key is parsed and held only in memory.
type Identity struct {
	ID      string
	Version int64
	Cert    tls.Certificate
}

// String names the identity without its key, so that a log line or %v
// cannot print the key.
func (id *Identity) String() string {
	if id == nil {
		return "none"
	}
	return fmt.Sprintf("%s@%d", id.ID, id.Version)
}

type transportKey struct {
	id       string
	version  int64
	insecure bool
}

// Upstreams pools backend transports, one per (client certificate
// version, trust setting), so that connections made with one certificate
// are never reused for a request that should present another. It is safe
// for concurrent use.
type Upstreams struct {
	roots *x509.CertPool
	deny  []netip.Prefix

	mu sync.RWMutex
	m  map[transportKey]*http.Transport
}

// NewUpstreams returns a pool whose transports verify backends against
// roots (see UpstreamRoots) and never connect to an address in deny.
func NewUpstreams(roots *x509.CertPool, deny ...netip.Prefix) *Upstreams {
	return &Upstreams{roots: roots, deny: deny, m: map[transportKey]*http.Transport{}}
}

// ErrUpstreamDenied is the dial error for a backend address in the deny
// list (--gateway-upstream-deny).
var ErrUpstreamDenied = errors.New("the backend's address is in --gateway-upstream-deny")

// control refuses, at connect time (after DNS, so a name that resolves
// to a denied address is refused too, and a rebinding name cannot get
// around it), an address in the deny list.
func (u *Upstreams) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return ErrUpstreamDenied // not an IP address: never expected here
	}
	a := ap.Addr().Unmap()
	for _, p := range u.deny {
		if p.Contains(a) {
			return ErrUpstreamDenied
		}
	}
	return nil
}

// Transport returns the pooled transport for id (nil: no client
// certificate) and insecure (skip verification of the backend's
// certificate). The hot path is one map read under a read lock.
func (u *Upstreams) Transport(id *Identity, insecure bool) http.RoundTripper {
	k := transportKey{insecure: insecure}
	if id != nil {
		k.id, k.version = id.ID, id.Version
	}
	u.mu.RLock()
	t := u.m[k]
	u.mu.RUnlock()
	if t != nil {
		return t
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if t = u.m[k]; t == nil {
		t = u.newTransport(id, insecure)
		u.m[k] = t
	}
	return t
}

func (u *Upstreams) newTransport(id *Identity, insecure bool) *http.Transport {
	tc := &tls.Config{
		RootCAs:            u.roots,
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: insecure, // the integration's own choice (tlsConfig.insecureSkipVerification)
	}
	if id != nil {
		cert := id.Cert // a copy: the pool keeps its own, whatever the caller does later
		// Always offered, even when the backend's list of acceptable CAs
		// does not name its issuer: the backend then says why it refuses
		// (nginx's "The SSL certificate error"), where tls.Config's
		// Certificates would silently send none.
		tc.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert, nil }
	}
	d := &net.Dialer{Timeout: upstreamDialTimeout, KeepAlive: 30 * time.Second}
	if len(u.deny) > 0 {
		d.Control = u.control
	}
	return &http.Transport{
		// No Proxy: the gateway calls backends directly, whatever
		// HTTP_PROXY the process inherited.
		DialContext:            d.DialContext,
		TLSClientConfig:        tc,
		TLSHandshakeTimeout:    upstreamTLSHandshakeTimeout,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           upstreamMaxIdleConns,
		MaxIdleConnsPerHost:    upstreamMaxIdleConnsPerHost,
		IdleConnTimeout:        upstreamIdleConnTimeout,
		ExpectContinueTimeout:  upstreamExpectContinue,
		MaxResponseHeaderBytes: upstreamMaxResponseHeader,
		ReadBufferSize:         32 << 10,
		WriteBufferSize:        32 << 10,
	}
}

// Retire forgets the transports whose key live no longer reports, and
// closes their idle connections, so that an old certificate version's
// connections are not reused after a replacement. Requests in flight on
// them finish: only idle connections close, and a connection freed later
// closes after the idle timeout, since nothing takes it from the pool.
// Call it after each snapshot rebuild.
func (u *Upstreams) Retire(live func(id string, version int64, insecure bool) bool) {
	var dead []*http.Transport
	u.mu.Lock()
	for k, t := range u.m {
		if !live(k.id, k.version, k.insecure) {
			delete(u.m, k)
			dead = append(dead, t)
		}
	}
	u.mu.Unlock()
	for _, t := range dead {
		t.CloseIdleConnections()
	}
}

// len reports how many transports are pooled (for tests).
func (u *Upstreams) len() int {
	u.mu.RLock()
	defer u.mu.RUnlock()
	return len(u.m)
}
