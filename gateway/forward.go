package gateway

import (
	"net/http"
	"net/url"
	"time"
)

// backendCall is one backend request, as routing built it.
type backendCall struct {
	url       *url.URL
	method    string
	setHeader http.Header
	delHeader []string // request headers that moved elsewhere (Huawei's mapped parameters)
	timeout   time.Duration
	cert      *parsed // the client certificate to present, or nil
	insecure  bool
	// modify maps the backend's response (AWS HTTP integrations).
	modify func(*http.Response)
}

// forward proxies r to c through the pooled transport of c's client
// certificate version and trust setting, and fills the access entry. A
// failure is answered by fail, in the dialect's format.
func (g *Gateway) forward(w http.ResponseWriter, r *http.Request, c *backendCall, e *accessEntry, fail func(http.ResponseWriter, Failure)) {
	for _, k := range c.delHeader {
		r.Header.Del(k)
	}
	// Like X-Forwarded-For, never the client's own: a backend that trusts
	// it would take the client's word for its address.
	r.Header.Del("X-Real-Ip")
	var id *Identity
	if c.cert != nil {
		id = c.cert.identity
	}
	up := &Upstream{URL: c.url, Method: c.method, Header: c.setHeader, Timeout: c.timeout, Modify: c.modify,
		Transport: g.upstreams.Transport(id, c.insecure), RequestID: e.requestID}
	res := g.proxy.Serve(w, r, up, func(w http.ResponseWriter, _ *http.Request, f Failure) { fail(w, f) })
	e.upstream, e.upstreamDur = res.UpstreamStatus, res.Upstream
	if res.Failure != FailNone {
		e.failure = res.Failure.String()
	} else if res.Status == StatusClientClosed {
		e.failure = "client_gone"
	}
}
