package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/certgate/certgate/auth/hwsign"
	"github.com/certgate/certgate/auth/sigv4"
	"github.com/certgate/certgate/internal/loadgen"
	"github.com/certgate/certgate/internal/sign"
)

// bencher holds what every scenario shares: the flags, one keep-alive HTTP
// client with a connection per worker, and the TLS settings for the
// gateway.
type bencher struct {
	f        *benchFlags
	client   *http.Client
	gwTLS    *tls.Config
	endpoint *url.URL
	seq      atomic.Uint64
	runID    string
}

func newBencher(f *benchFlags) (*bencher, error) {
	u, err := url.Parse(f.endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--endpoint %q is not an http:// or https:// URL", f.endpoint)
	}
	gwTLS := &tls.Config{InsecureSkipVerify: f.insecure, ServerName: f.sni}
	if f.caFile != "" {
		pemBytes, err := os.ReadFile(f.caFile)
		if err != nil {
			return nil, fmt.Errorf("--ca-file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pemBytes) {
			return nil, fmt.Errorf("--ca-file %s holds no PEM certificate", f.caFile)
		}
		gwTLS.RootCAs = pool
	}
	dial := (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	if f.connectTo != "" {
		if _, _, err := net.SplitHostPort(f.connectTo); err != nil {
			return nil, fmt.Errorf("--connect-to %q is not HOST:PORT", f.connectTo)
		}
		direct := dial
		dial = func(ctx context.Context, network, _ string) (net.Conn, error) {
			return direct(ctx, network, f.connectTo)
		}
	}
	tr := &http.Transport{
		Proxy:               nil, // measure the target, not a proxy from the environment
		MaxIdleConns:        f.opts.Concurrency * 2,
		MaxIdleConnsPerHost: f.opts.Concurrency * 2,
		IdleConnTimeout:     90 * time.Second,
		TLSClientConfig:     gwTLS,
		DialContext:         dial,
	}
	id := make([]byte, 4)
	_, _ = rand.Read(id)
	return &bencher{f: f, client: &http.Client{Transport: tr, Timeout: 60 * time.Second}, gwTLS: gwTLS, endpoint: u, runID: hex.EncodeToString(id)}, nil
}

func (b *bencher) close() { b.client.CloseIdleConnections() }

// scenarioNames are the scenarios mixed may weigh.
var scenarioNames = []string{"aws-get", "aws-list", "aws-generate", "hw-upload", "hw-list", "hw-show", "gw-handshake", "gw-proxy"}

// scenario prepares a scenario (untimed) and returns its operation.
func (b *bencher) scenario(ctx context.Context, name string) (loadgen.Op, error) {
	needAWS := strings.HasPrefix(name, "aws-") || strings.HasPrefix(name, "hw-")
	if needAWS && (b.f.accessKeyID == "" || b.f.secret == "") {
		return nil, errors.New("needs credentials: --credentials-file, or --access-key-id and --secret-access-key")
	}
	switch name {
	case "aws-get":
		id, err := b.generateOne(ctx)
		if err != nil {
			return nil, fmt.Errorf("generate the certificate to get: %w", err)
		}
		return b.awsOp(http.MethodGet, "/clientcertificates/"+url.PathEscape(id), nil), nil
	case "aws-list":
		path := "/clientcertificates"
		if b.f.limit > 0 {
			path += "?limit=" + strconv.Itoa(b.f.limit)
		}
		return b.awsOp(http.MethodGet, path, nil), nil
	case "aws-generate":
		return func(ctx context.Context) string {
			return b.awsCall(ctx, http.MethodPost, "/clientcertificates", []byte(`{"description":"certgate bench"}`), nil)
		}, nil
	case "hw-list":
		if err := b.needProject(); err != nil {
			return nil, err
		}
		q := url.Values{}
		if b.f.limit > 0 {
			q.Set("limit", strconv.Itoa(b.f.limit))
		}
		if b.f.offset > 0 {
			q.Set("offset", strconv.Itoa(b.f.offset))
		}
		path := "/apigw/certificates"
		if len(q) > 0 {
			path += "?" + q.Encode()
		}
		return func(ctx context.Context) string { return b.hwCall(ctx, http.MethodGet, path, nil) }, nil
	case "hw-show":
		if err := b.needProject(); err != nil {
			return nil, err
		}
		id, err := b.uploadOne(ctx)
		if err != nil {
			return nil, fmt.Errorf("upload the certificate to show: %w", err)
		}
		path := "/apigw/certificates/" + url.PathEscape(id)
		return func(ctx context.Context) string { return b.hwCall(ctx, http.MethodGet, path, nil) }, nil
	case "hw-upload":
		if err := b.needProject(); err != nil {
			return nil, err
		}
		return b.hwUpload()
	case "gw-handshake":
		return b.gwHandshake()
	case "gw-proxy":
		if b.f.gatewayURL == "" {
			return nil, errors.New("needs --gateway-url")
		}
		return func(ctx context.Context) string {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.f.gatewayURL, nil)
			if err != nil {
				return "request: " + err.Error()
			}
			return b.send(req, "")
		}, nil
	case "mixed":
		return b.mixed(ctx)
	}
	return nil, fmt.Errorf("unknown scenario %q (one of %s, mixed)", name, strings.Join(scenarioNames, ", "))
}

// mixed picks a scenario per request, by weight; failures are prefixed by
// the scenario's name.
func (b *bencher) mixed(ctx context.Context) (loadgen.Op, error) {
	if b.f.weights == "" {
		return nil, errors.New("needs --weights, for example aws-get=8,aws-list=1,hw-list=1")
	}
	var ops []loadgen.Op
	var names []string
	var cum []int
	total := 0
	for part := range strings.SplitSeq(b.f.weights, ",") {
		name, w, ok := strings.Cut(strings.TrimSpace(part), "=")
		n, err := strconv.Atoi(w)
		if !ok || err != nil || n < 1 || n > 1_000_000 || name == "mixed" {
			return nil, fmt.Errorf("--weights: %q is not SCENARIO=WEIGHT with a weight from 1 to 1000000", part)
		}
		op, err := b.scenario(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		total += n
		ops, names, cum = append(ops, op), append(names, name), append(cum, total)
	}
	return func(ctx context.Context) string {
		r := mrand.IntN(total)
		i := 0
		for cum[i] <= r {
			i++
		}
		if class := ops[i](ctx); class != "" {
			return names[i] + ": " + class
		}
		return ""
	}, nil
}

func (b *bencher) needProject() error {
	if b.f.projectID == "" {
		return errors.New("needs --project-id (or a --credentials-file whose comment names it)")
	}
	return nil
}

func (b *bencher) apiURL(path string) string {
	return strings.TrimSuffix(b.f.endpoint, "/") + path
}

func (b *bencher) awsOp(method, path string, body []byte) loadgen.Op {
	return func(ctx context.Context) string { return b.awsCall(ctx, method, path, body, nil) }
}

// awsCall sends one SigV4-signed request; out, if not nil, receives the
// decoded JSON body of a success.
func (b *bencher) awsCall(ctx context.Context, method, path string, body []byte, out any) string {
	req, err := http.NewRequestWithContext(ctx, method, b.apiURL(path), bytes.NewReader(body))
	if err != nil {
		return "request: " + err.Error()
	}
	if len(body) == 0 {
		req.Body, req.ContentLength = http.NoBody, 0
	} else {
		req.Header.Set("Content-Type", "application/json")
	}
	if err := sign.SigV4(sigv4.CanonicalRequest, req, body, b.f.accessKeyID, b.f.secret, b.f.region, "apigateway", time.Now()); err != nil {
		return "sign: " + err.Error()
	}
	return b.sendDecode(req, "aws", out)
}

// hwCall sends one SDK-HMAC-SHA256-signed request to /v2/{project}+path.
func (b *bencher) hwCall(ctx context.Context, method, path string, body []byte) string {
	return b.hwCallDecode(ctx, method, path, body, nil)
}

// hwCallDecode is hwCall whose out, if not nil, receives the decoded JSON
// body of a success.
func (b *bencher) hwCallDecode(ctx context.Context, method, path string, body []byte, out any) string {
	req, err := http.NewRequestWithContext(ctx, method, b.apiURL("/v2/"+b.f.projectID+path), bytes.NewReader(body))
	if err != nil {
		return "request: " + err.Error()
	}
	if len(body) == 0 {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	req.Header.Set("Content-Type", "application/json;charset=UTF-8")
	req.Header.Set("X-Project-Id", b.f.projectID)
	if err := sign.Huawei(hwsign.CanonicalRequest, req, body, b.f.accessKeyID, b.f.secret, nil, time.Now()); err != nil {
		return "sign: " + err.Error()
	}
	return b.sendDecode(req, "huawei", out)
}

func (b *bencher) send(req *http.Request, dialect string) string {
	return b.sendDecode(req, dialect, nil)
}

// sendDecode sends req, reads the whole body (so the connection is
// reused) and returns "" for a 2xx, else the failure's class: the HTTP
// status with the dialect's error code, or the transport error's kind.
func (b *bencher) sendDecode(req *http.Request, dialect string, out any) string {
	client := b.client
	bc := benchCtxOf(req.Context())
	if bc != nil && bc.client != nil {
		client = bc.client // --reference: the bare handler
	}
	resp, err := client.Do(req)
	if err != nil {
		return transportClass(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return transportClass(err)
	}
	if bc != nil && bc.capture != nil {
		bc.capture(resp.StatusCode, resp.Header, body)
	}
	if resp.StatusCode/100 == 2 {
		if out != nil {
			if err := json.Unmarshal(body, out); err != nil {
				return "bad response: not JSON"
			}
		}
		return ""
	}
	return statusClass(resp, body, dialect)
}

// statusClass names a failed response: "HTTP 403 AccessDeniedException"
// (AWS's X-Amzn-Errortype), "HTTP 401 APIG.1002" (Huawei's error_code), or
// the bare status.
func statusClass(resp *http.Response, body []byte, dialect string) string {
	class := "HTTP " + strconv.Itoa(resp.StatusCode)
	var code string
	switch dialect {
	case "aws":
		code, _, _ = strings.Cut(resp.Header.Get("X-Amzn-Errortype"), ":")
	case "huawei":
		var e struct {
			Code string `json:"error_code"`
		}
		if json.Unmarshal(body, &e) == nil {
			code = e.Code
		}
	}
	if code = strings.TrimSpace(code); code != "" && len(code) <= 64 {
		class += " " + code
	}
	return class
}

// transportClass names a transport failure by kind, never by its full
// text (which holds addresses and varies per connection).
func transportClass(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.Canceled):
		return "transport: cancelled"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "transport: timeout"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "transport: connection refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "transport: connection reset"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "transport: connection closed"
	}
	var recErr tls.RecordHeaderError
	var certErr *tls.CertificateVerificationError
	var alert tls.AlertError
	switch {
	case errors.As(err, &certErr):
		return "tls: certificate not verified"
	case errors.As(err, &alert):
		return "tls: alert " + alert.Error()
	case errors.As(err, &recErr):
		return "tls: not a TLS server"
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return "transport: DNS"
	}
	return "transport: other"
}

// generateOne makes the certificate aws-get reads.
func (b *bencher) generateOne(ctx context.Context) (string, error) {
	var out struct {
		ID string `json:"clientCertificateId"`
	}
	if class := b.awsCall(ctx, http.MethodPost, "/clientcertificates", []byte(`{"description":"certgate bench aws-get"}`), &out); class != "" {
		return "", errors.New(class)
	}
	if out.ID == "" {
		return "", errors.New("the response has no clientCertificateId")
	}
	return out.ID, nil
}

// uploadOne uploads the certificate hw-show reads.
func (b *bencher) uploadOne(ctx context.Context) (string, error) {
	certPEM, keyPEM, err := benchLeaf("bench-show.example.com")
	if err != nil {
		return "", err
	}
	body, _ := json.Marshal(map[string]string{"cert_content": string(certPEM), "private_key": string(keyPEM),
		"name": "bench_show_" + b.runID})
	var out struct {
		ID string `json:"id"`
	}
	if class := b.hwCallDecode(ctx, http.MethodPost, "/apigw/certificates", body, &out); class != "" {
		return "", errors.New(class)
	}
	if out.ID == "" {
		return "", errors.New("the response has no id")
	}
	return out.ID, nil
}

// hwUpload makes the leaves beforehand (RSA-2048, self-signed, 50 ms of
// CPU each) and uploads them in turn, each under a new name.
func (b *bencher) hwUpload() (loadgen.Op, error) {
	n := max(b.f.leaves, 1)
	bodies := make([][]byte, n)
	for i := range bodies {
		certPEM, keyPEM, err := benchLeaf(fmt.Sprintf("bench%d.example.com", i))
		if err != nil {
			return nil, err
		}
		bodies[i], _ = json.Marshal(map[string]string{"cert_content": string(certPEM), "private_key": string(keyPEM), "name": "%s"})
	}
	return func(ctx context.Context) string {
		i := b.seq.Add(1)
		name := "bench_" + b.runID + "_" + strconv.FormatUint(i, 10)
		body := bytes.Replace(bodies[i%uint64(n)], []byte(`"%s"`), []byte(strconv.Quote(name)), 1)
		return b.hwCall(ctx, http.MethodPost, "/apigw/certificates", body)
	}, nil
}

// benchLeaf makes a self-signed RSA-2048 server certificate for name.
func benchLeaf(name string) (certPEM, keyPEM []byte, err error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, nil, err
	}
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: name}, DNSNames: []string{name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(365 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), nil
}

// gwHandshake dials the gateway and completes a full TLS handshake per
// request: no session cache, so neither TLS 1.2 resumption nor TLS 1.3
// tickets shorten it.
func (b *bencher) gwHandshake() (loadgen.Op, error) {
	if b.f.gatewayURL == "" {
		return nil, errors.New("needs --gateway-url (https://HOST:PORT)")
	}
	u, err := url.Parse(b.f.gatewayURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("--gateway-url %q is not a URL", b.f.gatewayURL)
	}
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), "443")
	}
	if b.f.connectTo != "" {
		addr = b.f.connectTo
	}
	cfg := b.gwTLS.Clone()
	cfg.ClientSessionCache = nil
	if cfg.ServerName == "" {
		cfg.ServerName = u.Hostname()
	}
	dialer := &tls.Dialer{NetDialer: &net.Dialer{Timeout: 10 * time.Second}, Config: cfg}
	return func(ctx context.Context) string {
		c, err := dialer.DialContext(ctx, "tcp", addr)
		if err != nil {
			return transportClass(err)
		}
		c.Close()
		return ""
	}, nil
}
