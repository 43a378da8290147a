package gateway

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
)

// HTTPS wraps next, the router of requests that arrived over TLS, with the
// checks made before routing. next nil answers every request as Huawei's
// gateway answers an unpublished API (404 APIG.0101).
//
// A request whose Host selects another site than the handshake's server
// name did is refused with 421 Misdirected Request when either of the two
// verifies client certificates: otherwise a client could complete a
// handshake on a name that verifies nobody and then send a Host of one
// that does. The connection is closed after the answer.
func (g *Gateway) HTTPS(next http.Handler) http.Handler {
	if next == nil {
		next = http.HandlerFunc(noRoute)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS != nil {
			s := g.snap.Load() // one snapshot for both lookups
			sni := r.TLS.ServerName
			if sni == "" {
				sni = g.cfg.DefaultDomain
			}
			hs, hh := s.lookup(sni), s.lookup(hostOnly(r.Host))
			if siteID(hs) != siteID(hh) && (hs != nil && hs.verify || hh != nil && hh.verify) {
				w.Header().Set("Connection", "close")
				writeError(w, http.StatusMisdirectedRequest, "APIG.0201",
					"Misdirected request: the Host header names another domain than the TLS server name")
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// HTTP wraps next, the router of plain-HTTP requests. A domain with
// is_http_redirect_to_https (and a certificate to serve) is redirected to
// HTTPS on httpsPort (443 is left out of the URL): 301 for GET and HEAD,
// 308 otherwise, so that a client repeats the method and body. A domain
// whose HTTP port is -1 is not served over HTTP.
func (g *Gateway) HTTP(next http.Handler, httpsPort int) http.Handler {
	if next == nil {
		next = http.HandlerFunc(noRoute)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := hostOnly(r.Host)
		st := g.snap.Load().lookup(host)
		switch {
		case st != nil && !st.http:
			noRoute(w, r)
			return
		case st != nil && st.domain.RedirectHTTP && st.config != nil && st.https:
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

// writeError answers in the default gateway response template of Huawei's
// gateway: {"error_code", "error_msg", "request_id"} with X-Request-Id.
func writeError(w http.ResponseWriter, status int, code, msg string) {
	var b [16]byte
	_, _ = rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	body, _ := json.Marshal(map[string]string{"error_code": code, "error_msg": msg, "request_id": id})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Request-Id", id)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
