package gateway

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"

	"github.com/certgate/certgate/gwconfig"
)

type gwSegment = gwconfig.Segment

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

// call is one backend request, as routing built it.
type call struct {
	url       *url.URL
	method    string
	setHeader http.Header
	delHeader []string
	timeout   time.Duration
	cert      *parsed
	insecure  bool
	// modify maps the backend's response (AWS HTTP integrations).
	modify func(*http.Response)
}

// failure is why a backend call failed.
type failure int

const (
	failUnreachable failure = iota
	failTLS
	failTimeout
	failTooLarge // the request body passed the dialect's limit
)

// forward proxies r to c. (A first version: one transport per call.)
func (g *Gateway) forward(w http.ResponseWriter, r *http.Request, c *call, e *accessEntry, fail func(http.ResponseWriter, failure)) {
	reqID := e.requestID
	tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: c.insecure}}
	if c.cert != nil {
		tr.TLSClientConfig.Certificates = []tls.Certificate{c.cert.cert}
	}
	defer tr.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(r.Context(), c.timeout)
	defer cancel()
	start := time.Now()
	rp := &httputil.ReverseProxy{
		Transport: tr,
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL = c.url
			pr.Out.Method = c.method
			pr.Out.Host = ""
			for _, k := range c.delHeader {
				pr.Out.Header.Del(k)
			}
			for k, v := range c.setHeader {
				pr.Out.Header[k] = v
			}
			pr.SetXForwarded()
		},
		ModifyResponse: func(resp *http.Response) error {
			e.upstream, e.upstreamDur = resp.StatusCode, time.Since(start)
			if c.modify != nil {
				c.modify(resp)
			}
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			g.log.Warn("gateway: backend call failed", "request_id", reqID, "error", err)
			e.upstreamDur = time.Since(start)
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				e.failure = "too_large"
				fail(w, failTooLarge)
				return
			}
			if errors.Is(err, context.DeadlineExceeded) {
				e.failure = "timeout"
				fail(w, failTimeout)
				return
			}
			e.failure = "unreachable"
			fail(w, failUnreachable)
		},
	}
	rp.ServeHTTP(w, r.WithContext(ctx))
}
