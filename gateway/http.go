package gateway

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// HTTPS wraps next, the router of requests that arrived over TLS, with the
// checks made before routing. next nil answers every request as Huawei's
// gateway answers an unpublished API (404 APIG.0101).
//
// Every request is held to the policy its domain has now, not the one the
// connection was made under, since a keep-alive connection (HTTP/1.1 or
// HTTP/2) outlives reloads:
//   - a Host that selects another site than the handshake's server name,
//     where either verifies client certificates, is refused: otherwise a
//     client could complete a handshake on a name that verifies nobody and
//     then send a Host of one that does;
//   - on a domain that verifies clients, the connection's client
//     certificate must chain to the domain's current CAs (verification
//     turned on, or the CA replaced, after the handshake);
//   - the connection's TLS version must meet the domain's current minimum.
//
// Each refusal is 421 Misdirected Request, which tells a client to retry on
// a new connection, where the handshake applies the current policy; an
// HTTP/1.1 connection is closed after it.
func (g *Gateway) HTTPS(next http.Handler) http.Handler {
	if next == nil {
		next = http.HandlerFunc(g.route)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer g.limitDrain(w)
		if r.TLS != nil {
			if why := g.misdirected(r); why != "" {
				w.Header().Set("Connection", "close")
				if awsRequest(r) {
					writeAWSError(w, http.StatusMisdirectedRequest, "MisdirectedRequestException", "Misdirected Request: "+why)
				} else {
					writeError(w, http.StatusMisdirectedRequest, "APIG.0201", "Misdirected request: "+why)
				}
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// awsRequest reports whether r is an AWS invocation (path-style, or an
// execute-api host), which the gateway answers in AWS's format.
func awsRequest(r *http.Request) bool {
	if strings.HasPrefix(r.URL.Path, awsPathPrefix) {
		return true
	}
	_, ok := executeAPIHost(normalHost(hostOnly(r.Host)))
	return ok
}

// drainTimeout bounds how long the server may read what is left of a
// request body after the answer: net/http discards up to 256 KiB of an
// unread body to keep the connection, and a client trickling it would
// hold the connection without end. The next request's header deadline
// replaces it.
const drainTimeout = 10 * time.Second

func (g *Gateway) limitDrain(w http.ResponseWriter) {
	d := g.drain
	if d == 0 {
		d = drainTimeout
	}
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(d))
}

// misdirected says why r may not be served on its connection, or "".
func (g *Gateway) misdirected(r *http.Request) string {
	s := g.snap.Load() // one snapshot for every lookup
	sni := r.TLS.ServerName
	if sni == "" {
		sni = g.cfg.DefaultDomain
	}
	hs, hh := s.tls.lookup(sni), s.tls.lookup(hostOnly(r.Host))
	if siteID(hs) != siteID(hh) && (hs != nil && hs.verify || hh != nil && hh.verify) {
		return "the Host header names another domain than the TLS server name"
	}
	st := hh
	if st == nil {
		st = hs // the Host names no domain: the connection's own policy holds
	}
	if st == nil {
		return ""
	}
	if st.config != nil && r.TLS.Version < st.config.MinVersion {
		return "the connection's TLS version is below the domain's minimum; reconnect"
	}
	if st.verify && !verifiedBy(r.TLS, st.pool) {
		return "the domain's client verification changed since this connection was made; reconnect"
	}
	return ""
}

// verifiedBy reports whether the connection's client certificate chains to
// pool, checked now.
func verifiedBy(cs *tls.ConnectionState, pool *x509.CertPool) bool {
	if len(cs.PeerCertificates) == 0 || pool == nil {
		return false
	}
	inter := x509.NewCertPool()
	for _, c := range cs.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	return err == nil
}

// HTTP wraps next, the router of plain-HTTP requests. A domain with
// is_http_redirect_to_https (and a certificate it serves over HTTPS) is
// redirected there, on httpsPort (443 is left out of the URL): 301 for GET
// and HEAD, 308 otherwise, so that a client repeats the method and body.
// A domain that verifies client certificates is never served over plain
// HTTP, which would bypass the verification: 400 APIG.0205. A domain whose
// HTTP port is -1 is not on this listener at all.
func (g *Gateway) HTTP(next http.Handler, httpsPort int) http.Handler {
	if next == nil {
		next = http.HandlerFunc(g.route)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer g.limitDrain(w)
		if awsRequest(r) {
			// AWS invocations are served on this listener under any name:
			// a custom domain's policy is Huawei's, for its own APIs.
			next.ServeHTTP(w, r)
			return
		}
		host := hostOnly(r.Host)
		s := g.snap.Load()
		st := s.plain.lookup(host)
		if st == nil && s.tls.lookup(host) != nil {
			noRoute(w, r) // a custom domain served over HTTPS only
			return
		}
		if st != nil {
			secure := s.tls.lookup(host)
			canRedirect := secure != nil && secure.domain.ID == st.domain.ID && secure.config != nil
			switch {
			case st.domain.RedirectHTTP && canRedirect:
				target := "https://" + host
				if httpsPort != 443 {
					target = "https://" + net.JoinHostPort(host, strconv.Itoa(httpsPort))
				}
				code := http.StatusPermanentRedirect
				if r.Method == http.MethodGet || r.Method == http.MethodHead {
					code = http.StatusMovedPermanently
				}
				http.Redirect(w, r, target+r.URL.RequestURI(), code)
				return
			case st.verify:
				writeError(w, http.StatusBadRequest, "APIG.0205", "Verify client certificate failed: this domain is served over HTTPS only")
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func siteID(s *site) string {
	if s == nil {
		return ""
	}
	return s.domain.ID
}

// hostOnly is the host of a Host header, without its port.
func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}

func noRoute(w http.ResponseWriter, r *http.Request) {
	writeError(w, http.StatusNotFound, "APIG.0101", "The API does not exist or has not been published in the environment")
}

// writeError answers in Huawei's format with a new request id.
func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeHuaweiError(w, newRequestID(), status, code, msg)
}
