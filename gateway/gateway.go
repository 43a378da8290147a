// Package gateway is certgate's data plane: it terminates TLS for the
// custom domains that the control plane binds certificates to, and (in
// later steps) routes and proxies their requests.
//
// The gateway serves from an immutable snapshot of the configuration,
// built from the store's cross-tenant ServingView and swapped in whole, so
// that a handshake or a request never sees half an update. It rebuilds
// when the configuration revision moves; parsed certificates and unsealed
// keys are cached by certificate id and version, so a change to one domain
// re-parses only what changed.
//
// TLS termination, per handshake, in GetConfigForClient:
//   - the certificate is chosen by SNI, an exact name first, then a wildcard
//     one label above; a domain holding an ECC and an RSA certificate serves
//     ECC to clients that support it;
//   - an unknown name, or no SNI without a default domain, gets the TLS
//     alert unrecognized_name (an error from GetConfigForClient would send
//     internal_error instead);
//   - each domain has its own minimum version and, when it verifies
//     clients, requires a client certificate that chains to its trusted
//     root CAs;
//   - each domain has session ticket keys of its own, so a session made
//     under one domain's policy never resumes under another's; Go re-checks
//     a resumed session against the current CA pool of the config that
//     serves it.
//
// Requests whose Host names another site than the handshake did, where
// either site verifies clients, are refused with 421 Misdirected Request.
package gateway

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/gwconfig"
)

// Config wires a Gateway.
type Config struct {
	Source Source
	Opener Opener
	Logger *slog.Logger
	// DefaultDomain is the bound domain served to a ClientHello without
	// SNI; empty refuses such handshakes with unrecognized_name.
	DefaultDomain string
	// UpstreamRoots verifies backends' certificates (nil: the system
	// roots); see UpstreamRoots.
	UpstreamRoots *x509.CertPool
	// UpstreamDeny lists the addresses the gateway never connects to as a
	// backend (cloud metadata, link-local): checked at connect time.
	UpstreamDeny []netip.Prefix
	// AccessLog receives one line per routed request (Logger when nil).
	AccessLog *slog.Logger
	// DomainSuffix is the DNS suffix of the API groups' debugging domains,
	// {group_id}.apic.{suffix} (gwconfig.DefaultDomainSuffix when empty).
	DomainSuffix string
}

// Gateway serves the configuration's custom domains. Its methods are safe
// for concurrent use.
type Gateway struct {
	cfg    Config
	log    *slog.Logger
	access *slog.Logger
	snap   atomic.Pointer[snapshot]
	// proxy calls backends, through the transports pooled in upstreams.
	proxy     *Proxy
	upstreams *Upstreams
	// drain is drainTimeout, and reloadTimeout is reloadTimeout, both
	// shorter in tests.
	drain, reloadTimeout time.Duration

	mu    sync.Mutex // serializes rebuilds; guards the maps below
	cache map[string]*parsed
	// compiled holds the routes compiled from immutable records.
	compiled compiled
	tickets  map[string]*ticketKeys // per domain id, kept across snapshots
	// rotationCheck is when rebuild last looked for ticket keys due.
	rotationCheck time.Time
	now           func() time.Time
	// statusMu guards lastErr and checkedAt, apart from mu, so that Status
	// (which /healthz calls) never waits for a reload's reads.
	statusMu sync.Mutex
	// lastErr is the last rebuild's failure, nil after a success.
	lastErr error
	// checkedAt is when the snapshot was last known current: a reload
	// that found the revision unchanged, or rebuilt.
	checkedAt time.Time
}

// New returns a gateway with an empty snapshot; call Reload (or Run) to
// load the configuration.
func New(cfg Config) *Gateway {
	g := &Gateway{cfg: cfg, log: cfg.Logger, cache: map[string]*parsed{}, tickets: map[string]*ticketKeys{}, now: time.Now}
	if g.log == nil {
		g.log = slog.New(slog.DiscardHandler)
	}
	if g.access = cfg.AccessLog; g.access == nil {
		g.access = g.log
	}
	roots := cfg.UpstreamRoots
	if roots == nil {
		roots, _ = x509.SystemCertPool() // nil on failure: crypto/tls then uses the system's own
	}
	g.proxy, g.upstreams = NewProxy(g.log), NewUpstreams(roots, cfg.UpstreamDeny...)
	g.snap.Store(newSnapshot(-1))
	return g
}

// Revision is the configuration revision the gateway serves (-1 before
// the first load).
func (g *Gateway) Revision() int64 { return g.snap.Load().revision }

// Status says how current the served snapshot is: the revision, when it
// was last known current, and the last reload's error (nil when the last
// one worked).
func (g *Gateway) Status() (revision int64, checkedAt time.Time, err error) {
	g.statusMu.Lock()
	defer g.statusMu.Unlock()
	return g.snap.Load().revision, g.checkedAt, g.lastErr
}

// Reload rebuilds the snapshot if the revision moved. A failure leaves the
// last snapshot serving and is returned (and kept for Status).
func (g *Gateway) Reload(ctx context.Context) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	rev, err := g.cfg.Source.Revision(ctx)
	// A rebuild at an unchanged revision once an hour rotates the ticket
	// keys that are due.
	if err == nil && (rev != g.snap.Load().revision || g.now().Sub(g.rotationCheck) >= time.Hour) {
		err = g.rebuild(ctx, rev)
	}
	g.statusMu.Lock()
	defer g.statusMu.Unlock()
	g.lastErr = err
	if err == nil {
		g.checkedAt = time.Now()
	}
	return err
}

// reloadTimeout bounds one reload's reads.
const reloadTimeout = 10 * time.Second

// Run reloads every interval, and at once on every value from watch (nil:
// polling only; PostgreSQL's notifications make changes arrive without
// waiting for the poll), until ctx ends, logging failures (the last
// snapshot keeps serving while the database is unreachable).
func (g *Gateway) Run(ctx context.Context, interval time.Duration, watch <-chan struct{}) {
	t := time.NewTicker(interval)
	defer t.Stop()
	failing := false
	for {
		// A read that hangs (a database that stopped answering without
		// closing the connection) must not stop the loop: the last
		// snapshot keeps serving and the next tick tries again.
		timeout := g.reloadTimeout
		if timeout == 0 {
			timeout = reloadTimeout
		}
		rctx, cancel := context.WithTimeout(ctx, timeout)
		err := g.Reload(rctx)
		cancel()
		switch {
		case err != nil && ctx.Err() == nil && !failing:
			_, checked, _ := g.Status()
			g.log.Warn("gateway: cannot reload its configuration; serving the last snapshot",
				"revision", g.Revision(), "current_at", checked, "error", err)
			failing = true
		case err == nil && failing:
			g.log.Info("gateway: configuration reloads again", "revision", g.Revision())
			failing = false
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case _, ok := <-watch:
			if !ok {
				watch = nil // closed: poll only
			}
		}
	}
}

// rebuild reads everything and swaps in a new snapshot. The revision is
// read before the domains, so a change committed in between is read now
// and again at the next revision: never missed.
func (g *Gateway) rebuild(ctx context.Context, rev int64) error {
	served, err := g.cfg.Source.ServingDomains(ctx)
	if err != nil {
		return err
	}
	rt, err := g.cfg.Source.ServingRoutes(ctx)
	if err != nil {
		return err
	}
	next := newSnapshot(rev)
	keep := map[string]*parsed{}
	// certOf parses a certificate once per version, unsealing its key.
	certOf := func(c *certgate.Certificate) *parsed {
		if p := keep[c.ID]; p != nil && p.version == c.Version {
			return p
		}
		p := g.cache[c.ID]
		if p == nil || p.version != c.Version {
			var err error
			if p, err = parseCertificate(c, g.cfg.Opener); err != nil {
				// One bad record must not take everything down: it is
				// left out, and logged.
				g.log.Error("gateway: a certificate cannot be served", "certificate", c.ID, "kind", c.Kind, "error", err)
				return nil
			}
		}
		keep[c.ID] = p
		return p
	}
	ids := make(map[string]bool, len(served))
	for _, sv := range served {
		d := sv.Domain
		ids[d.ID] = true
		st := &site{domain: *d, verify: d.VerifyClients, https: d.HTTPSPort != -1, http: d.HTTPPort != -1}
		var ecc, rsa []tls.Certificate
		pool := x509.NewCertPool()
		for _, c := range sv.Certificates {
			p := certOf(c)
			if p == nil {
				continue
			}
			if c.KeyAlgorithm == "ECC" {
				ecc = append(ecc, p.cert)
			} else {
				rsa = append(rsa, p.cert)
			}
			// The domain trusts the CAs of all its certificates.
			pool.AppendCertsFromPEM([]byte(c.TrustedRootCA))
		}
		certs := append(ecc, rsa...)
		st.pool = pool
		if len(certs) > 0 {
			st.config = g.siteConfig(d, certs, pool)
		}
		if st.https {
			next.tls.add(st)
		}
		if st.http {
			next.plain.add(st)
		}
	}
	next.routes = g.buildRoutes(rt, certOf)
	g.cache = keep
	for id := range g.tickets {
		if !ids[id] { // the domain is gone: its ticket key goes with it
			delete(g.tickets, id)
		}
	}
	g.snap.Store(next)
	g.rotationCheck = g.now()
	// The transports of client certificate versions no longer presented
	// close their idle connections; requests in flight on them finish.
	type version struct {
		id string
		v  int64
	}
	live := map[version]bool{}
	for _, p := range keep {
		live[version{p.identity.ID, p.version}] = true
	}
	g.upstreams.Retire(func(id string, v int64, _ bool) bool { return live[version{id, v}] })
	return nil
}

// suffix is the debugging domains' DNS suffix.
func (g *Gateway) suffix() string {
	if g.cfg.DomainSuffix != "" {
		return g.cfg.DomainSuffix
	}
	return gwconfig.DefaultDomainSuffix
}

// siteConfig is the tls.Config of one domain.
func (g *Gateway) siteConfig(d *certgate.Domain, certs []tls.Certificate, pool *x509.CertPool) *tls.Config {
	cfg := &tls.Config{
		Certificates: certs,
		MinVersion:   tls.VersionTLS12,
		NextProtos:   []string{"h2", "http/1.1"},
	}
	if d.MinTLSVersion == gwconfig.TLS11 {
		cfg.MinVersion = tls.VersionTLS11
	}
	if d.VerifyClients {
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
		cfg.ClientCAs = pool
	}
	if keys := g.ticketKeys(d.ID); len(keys) > 0 {
		cfg.SetSessionTicketKeys(keys)
	} else {
		cfg.SessionTicketsDisabled = true // no ticket rather than a shared one
	}
	return cfg
}

// ticketKeyLifetime is how long a domain's session ticket key issues new
// tickets. The key before it is kept for as long again, to resume the
// sessions it issued; older tickets get a full handshake. Rotating bounds
// what one leaked key decrypts (TLS 1.2 resumption has no forward secrecy
// beyond the key's life).
const ticketKeyLifetime = 24 * time.Hour

// ticketKeys are a domain's session ticket keys, newest first.
type ticketKeys struct {
	keys  [][32]byte
	since time.Time // when keys[0] was made
}

// ticketKeys returns domain id's keys, rotating them when the newest is
// due; none when no random key can be made.
func (g *Gateway) ticketKeys(id string) [][32]byte {
	tk := g.tickets[id]
	if tk != nil && g.now().Sub(tk.since) < ticketKeyLifetime {
		return tk.keys
	}
	var key [32]byte
	if _, err := rand.Read(key[:]); err != nil {
		return nil
	}
	next := &ticketKeys{keys: [][32]byte{key}, since: g.now()}
	if tk != nil {
		next.keys = append(next.keys, tk.keys[0])
	}
	g.tickets[id] = next
	return next.keys
}

// noSite is the config of a handshake for no known domain: it holds no
// certificate, which makes crypto/tls send unrecognized_name (an error
// returned from GetConfigForClient would send internal_error). Its minimum
// version is the lowest, so that a TLS 1.1 client hears unrecognized_name
// too, not protocol_version.
var noSite = &tls.Config{MinVersion: tls.VersionTLS10}

// TLSConfig returns the listener's tls.Config: every handshake takes its
// domain's config from the current snapshot.
func (g *Gateway) TLSConfig() *tls.Config {
	return &tls.Config{
		GetConfigForClient: g.configForClient,
		// The site configs offer h2 by ALPN; http.Server installs its
		// HTTP/2 handler only when the listener's own config offers it too.
		NextProtos: []string{"h2", "http/1.1"},
	}
}

func (g *Gateway) configForClient(hello *tls.ClientHelloInfo) (*tls.Config, error) {
	st := g.site(hello.ServerName)
	if st == nil || st.config == nil {
		return noSite, nil
	}
	if st.config.MinVersion < tls.VersionTLS12 && !offersTLS12(hello.SupportedVersions) {
		// HTTP/2 requires TLS 1.2 (RFC 9113, 9.2): http.Server drops an
		// h2 connection below it, so a TLS 1.1 client that offers h2
		// (curl does by default) must be answered over HTTP/1.1. The
		// clone keeps the domain's ticket keys; such handshakes are rare.
		cfg := st.config.Clone()
		cfg.NextProtos = []string{"http/1.1"}
		return cfg, nil
	}
	return st.config, nil
}

// offersTLS12 reports whether a client supports TLS 1.2 or later, so that
// the handshake will negotiate one of them.
func offersTLS12(versions []uint16) bool {
	for _, v := range versions {
		if v >= tls.VersionTLS12 {
			return true
		}
	}
	return false
}

// site returns the site a handshake's server name selects: the default
// domain when the client sent none.
func (g *Gateway) site(serverName string) *site {
	if serverName == "" {
		serverName = g.cfg.DefaultDomain
	}
	return g.snap.Load().tls.lookup(serverName)
}
