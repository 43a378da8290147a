package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/apig/v2/model"

	"github.com/certgate/certgate/accounts"
	"github.com/certgate/certgate/internal/pgtest"
)

// rootProxyAPI creates through the SDK a REST API whose root GET is an
// HTTP_PROXY integration to uri, deployed to the stage prod.
func rootProxyAPI(t *testing.T, c *apigateway.Client, uri string) string {
	t.Helper()
	ctx := context.Background()
	a, err := c.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("graceful")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: a.Id, ResourceId: a.RootResourceId, HttpMethod: aws.String("GET"),
		AuthorizationType: aws.String("NONE")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: a.Id, ResourceId: a.RootResourceId, HttpMethod: aws.String("GET"),
		Type: types.IntegrationTypeHttpProxy, IntegrationHttpMethod: aws.String("GET"), Uri: aws.String(uri)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: a.Id, StageName: aws.String("prod")}); err != nil {
		t.Fatal(err)
	}
	return aws.ToString(a.Id)
}

// waitInvocable polls url until the gateway answers 200 (it serves the
// stage once it reloaded), and returns the body.
func waitInvocable(t *testing.T, url string) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return string(b)
			}
			err = fmt.Errorf("%d %s", resp.StatusCode, b)
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s never answered 200: %v", url, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestGatewayGracefulStop: shutting down a server whose gateway runs (by
// default: the test sets only the listeners' free ports) lets a proxied
// request in flight finish with 200, while both listeners stop accepting,
// an idle keep-alive connection is closed at once, and so is a connection
// that never sent a request (net/http alone would keep it 5 s).
func TestGatewayGracefulStop(t *testing.T) {
	release, arrived := make(chan struct{}), make(chan struct{}, 1)
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Slow") != "" {
			arrived <- struct{}{}
			select { // held until the test has seen the shutdown
			case <-release:
			case <-time.After(30 * time.Second):
			}
		}
		_, _ = io.WriteString(w, "backend done")
	}))
	defer backend.Close()
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()

	cfg := testConfig(t.TempDir())
	cfg.GatewayHTTPSAddr, cfg.GatewayHTTPAddr = "127.0.0.1:0", "127.0.0.1:0"
	m := &Main{Config: cfg, Logger: slog.New(slog.NewTextHandler(&syncBuffer{}, nil))}
	stop := serveMain(t, m)
	s := &testServer{Main: m, t: t}
	if m.gw == nil {
		t.Fatal("the gateway does not run by default")
	}
	id := rootProxyAPI(t, s.client(s.Bootstrap, "us-east-1"), backend.URL+"/")
	gwHTTP, gwHTTPS := m.gw.http.Addr().String(), m.gw.https.Addr().String()
	path := "/_aws/execute-api/" + id + "/prod/"
	if body := waitInvocable(t, "http://"+gwHTTP+path); body != "backend done" {
		t.Fatalf("through the gateway: %q", body)
	}

	// A connection that sends nothing (dialled first, so the server has
	// taken it by the time the next one is answered)...
	fresh, err := net.Dial("tcp", gwHTTP)
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	// ...and one that made a request and now idles, kept alive.
	idle, err := net.Dial("tcp", gwHTTP)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	fmt.Fprintf(idle, "GET %s HTTP/1.1\r\nHost: gw.test\r\n\r\n", path)
	br := bufio.NewReader(idle)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Close {
		t.Fatalf("the keep-alive request: %d, close %v", resp.StatusCode, resp.Close)
	}

	// The slow request, in flight when the shutdown starts.
	type result struct {
		status int
		body   string
		err    error
	}
	done := make(chan result, 1)
	go func() {
		req, _ := http.NewRequest("GET", "http://"+gwHTTP+path, nil)
		req.Header.Set("X-Slow", "1")
		tr := &http.Transport{}
		defer tr.CloseIdleConnections()
		resp, err := (&http.Client{Transport: tr}).Do(req)
		if err != nil {
			done <- result{err: err}
			return
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		done <- result{resp.StatusCode, string(b), err}
	}()
	select {
	case <-arrived:
	case r := <-done:
		t.Fatalf("the slow request ended before reaching the backend: %+v", r)
	case <-time.After(15 * time.Second):
		t.Fatal("the slow request never reached the backend")
	}
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()

	// While that request is held: the idle connection is closed...
	_ = idle.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := br.Read(make([]byte, 1)); n != 0 || err == nil || isTimeout(err) {
		t.Errorf("the idle keep-alive connection during shutdown: read %d, %v; want it closed", n, err)
	}
	// ...so is the fresh one, well before net/http's own 5 s...
	_ = fresh.SetReadDeadline(time.Now().Add(4 * time.Second))
	if n, err := fresh.Read(make([]byte, 1)); n != 0 || err == nil || isTimeout(err) {
		t.Errorf("the connection that sent nothing, during shutdown: read %d, %v; want it closed at once", n, err)
	}
	// ...and neither listener takes a new connection (soon: the closes
	// above may come first).
	for _, addr := range []string{gwHTTP, gwHTTPS} {
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			c, err := net.DialTimeout("tcp", addr, 2*time.Second)
			if err != nil {
				break
			}
			c.Close()
			if time.Now().After(deadline) {
				t.Errorf("the gateway's listener %s still accepts connections during shutdown", addr)
				break
			}
		}
	}
	select {
	case err := <-stopped:
		t.Fatalf("Serve returned (%v) while a request was in flight", err)
	default:
	}

	close(release)
	select {
	case r := <-done:
		if r.err != nil || r.status != http.StatusOK || r.body != "backend done" {
			t.Errorf("the request in flight at shutdown: %d %q %v; want 200 from the backend", r.status, r.body, r.err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the request in flight never completed")
	}
	select {
	case err := <-stopped:
		if err != nil {
			t.Errorf("Serve after a graceful stop: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Serve did not return after the last request finished")
	}
}

// TestGatewayShutdownTimeout: a proxied request still running at
// --shutdown-timeout is cut off, and Serve says so.
func TestGatewayShutdownTimeout(t *testing.T) {
	release, arrived := make(chan struct{}), make(chan struct{}, 1)
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Slow") != "" {
			arrived <- struct{}{}
			<-release
		}
		_, _ = io.WriteString(w, "ok")
	}))
	defer backend.Close()
	defer close(release)
	cfg := testConfig(t.TempDir())
	cfg.GatewayHTTPSAddr, cfg.GatewayHTTPAddr, cfg.ShutdownTimeout = "off", "127.0.0.1:0", 300*time.Millisecond
	m := &Main{Config: cfg, Logger: slog.New(slog.NewTextHandler(&syncBuffer{}, nil))}
	stop := serveMain(t, m)
	s := &testServer{Main: m, t: t}
	id := rootProxyAPI(t, s.client(s.Bootstrap, "us-east-1"), backend.URL+"/")
	url := "http://" + m.gw.http.Addr().String() + "/_aws/execute-api/" + id + "/prod/"
	waitInvocable(t, url)
	failed := make(chan error, 1)
	go func() {
		req, _ := http.NewRequest("GET", url, nil)
		req.Header.Set("X-Slow", "1")
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			_, err = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		failed <- err
	}()
	<-arrived
	err := stop()
	if err == nil || !strings.Contains(err.Error(), "gateway: graceful shutdown: requests still running after 300ms were cut off") {
		t.Errorf("Serve with a request running past the timeout: %v", err)
	}
	select {
	case err := <-failed:
		if err == nil {
			t.Error("the request cut off at the deadline succeeded")
		}
	case <-time.After(15 * time.Second):
		t.Error("the request running past the shutdown timeout was not cut off")
	}
}

// TestGatewayOnByDefault: serve's default runs the gateway on 8443 and
// 8081, and says so in --help.
func TestGatewayOnByDefault(t *testing.T) {
	c := DefaultConfig()
	if c.Gateway != "on" || c.GatewayHTTPSAddr != "127.0.0.1:8443" || c.GatewayHTTPAddr != "127.0.0.1:8081" || c.Addr != "127.0.0.1:8080" {
		t.Errorf("defaults: --gateway %q, --gateway-https-addr %q, --gateway-http-addr %q, --addr %q", c.Gateway, c.GatewayHTTPSAddr, c.GatewayHTTPAddr, c.Addr)
	}
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"serve", "--help"}, &out, &errb, func(string) string { return "" }); code != 0 {
		t.Fatalf("serve --help: %d %s", code, errb.String())
	}
	e := helpEntries(out.String())
	if !strings.Contains(e["gateway"], `(default "on")`) || !strings.Contains(e["gateway-https-addr"], "off:PORT") ||
		!strings.Contains(e["addr"], "off: a gateway-only node") || !strings.Contains(e["addr"], "no /healthz") ||
		!strings.Contains(e["gateway-upstream-ca-file"], "(env CERTGATE_GATEWAY_UPSTREAM_CA_FILE)") {
		t.Errorf("serve --help:\n--gateway %s\n--gateway-https-addr %s\n--addr %s\n--gateway-upstream-ca-file %s",
			e["gateway"], e["gateway-https-addr"], e["addr"], e["gateway-upstream-ca-file"])
	}
}

// TestProcessConfigErrors: a node with nothing to serve is refused, naming
// the flags; so is a malformed off:PORT.
func TestProcessConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		addr, gateway, https, http string
		want                       string // "" for a valid combination
	}{
		{"off", "off", "127.0.0.1:8443", "127.0.0.1:8081", "--addr off with --gateway off, or with both --gateway-https-addr and --gateway-http-addr off, leaves this node nothing to serve"},
		{"off", "on", "off", "off", "leaves this node nothing to serve"},
		{"off", "on", "off:443", "off:80", "leaves this node nothing to serve"},
		{"off", "on", "off", "127.0.0.1:0", ""},
		{"off", "on", "127.0.0.1:0", "off", ""},
		{"127.0.0.1:0", "on", "off", "off", ""},
		{"127.0.0.1:0", "off", "off", "off:80", ""},
		{"127.0.0.1:0", "on", "off:", "off", "--gateway-https-addr: want off or off:PORT (1 to 65535), got \"off:\""},
		{"127.0.0.1:0", "on", "off", "off:0", "--gateway-http-addr: want off or off:PORT (1 to 65535), got \"off:0\""},
		{"127.0.0.1:0", "on", "off:https", "off", "--gateway-https-addr: want off or off:PORT"},
		{"127.0.0.1:0", "on", "offline:8443", "off", ""}, // a host named offline, not off
		{"127.0.0.1:0", "maybe", "off", "off", "--gateway must be on or off"},
	} {
		cfg := testConfig(t.TempDir())
		cfg.MasterKeyFile = "x"
		cfg.Addr, cfg.Gateway, cfg.GatewayHTTPSAddr, cfg.GatewayHTTPAddr = tc.addr, tc.gateway, tc.https, tc.http
		err := cfg.Validate()
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("--addr %s --gateway %s --gateway-https-addr %s --gateway-http-addr %s: %v; want %q",
				tc.addr, tc.gateway, tc.https, tc.http, err, tc.want)
		}
	}
	// As a user sees it.
	code, stderr := runServe(t, nil, "--addr", "off", "--gateway", "off", "--database", "sqlite:"+filepath.Join(t.TempDir(), "c.db"),
		"--gateway-https-addr", "127.0.0.1:8443", "--gateway-http-addr", "127.0.0.1:8081") // runServe's :0 is for listeners
	if strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
		t.Errorf("more than the one error: %s", stderr)
	}
	t.Logf("certgate serve --addr off --gateway off: exit %d, %s", code, strings.TrimSpace(stderr))
	if code != 1 || !strings.Contains(stderr, "leaves this node nothing to serve") {
		t.Errorf("serve --addr off --gateway off: exit %d, %s", code, stderr)
	}
}

// freePort returns a loopback port nothing listens on (as far as a test
// can tell: it was free a moment ago).
func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestGatewayListenerOff: a listener that is off is not bound, the log
// says so, and domains are checked against the port off:PORT names (the
// other listener serves as usual).
func TestGatewayListenerOff(t *testing.T) {
	port := freePort(t)
	s := startServer(t, func(c *Config) {
		c.GatewayHTTPSAddr, c.GatewayHTTPAddr = "127.0.0.1:0", "off:"+strconv.Itoa(port)
	})
	if s.gw == nil || s.gw.http != nil || s.gw.https == nil {
		t.Fatalf("gateway %+v: want its HTTPS listener only", s.gw)
	}
	if c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), 2*time.Second); err == nil {
		c.Close()
		t.Errorf("something listens on port %d, which --gateway-http-addr off:%d names", port, port)
	}
	if !strings.Contains(s.logs.String(), `msg="gateway listening" https=`+s.gw.https.Addr().String()+" http=off") {
		t.Errorf("the log does not say the HTTP listener is off:\n%s", s.logs)
	}
	c := s.hwClient(s.Bootstrap, "")
	inst := s.Bootstrap.Instance.ID
	group, err := c.CreateApiGroupV2(&model.CreateApiGroupV2Request{InstanceId: inst, Body: &model.ApiGroupCreate{Name: "off_group"}})
	if err != nil {
		t.Fatal(err)
	}
	_, httpsPort := s.gw.ports()
	d, err := c.AssociateDomainV2(&model.AssociateDomainV2Request{InstanceId: inst, GroupId: group.Id, Body: &model.UrlDomainCreate{
		UrlDomain: strPtr("off.example.com"), IngressHttpPort: i32(int32(port)), IngressHttpsPort: i32(int32(httpsPort))}})
	if err != nil {
		t.Fatalf("AssociateDomainV2 on the ports off:%d and the HTTPS listener's: %v", port, err)
	}
	t.Logf("AssociateDomainV2 ingress ports %d/%d", *d.IngressHttpPort, *d.IngressHttpsPort)
	_, err = c.AssociateDomainV2(&model.AssociateDomainV2Request{InstanceId: inst, GroupId: group.Id, Body: &model.UrlDomainCreate{
		UrlDomain: strPtr("off2.example.com"), IngressHttpPort: i32(defaultGatewayHTTPPort), IngressHttpsPort: i32(int32(httpsPort))}})
	if st, code, msg := hwErr(err); st != http.StatusBadRequest || !strings.Contains(msg, strconv.Itoa(port)) {
		t.Errorf("ingress_http_port 8081 with --gateway-http-addr off:%d: %d %s %q; want refused, naming %d", port, st, code, msg, port)
	}

	// Plain off: the protocol's default port.
	s2 := startServer(t, func(c *Config) { c.GatewayHTTPSAddr, c.GatewayHTTPAddr = "127.0.0.1:0", "off" })
	c2 := s2.hwClient(s2.Bootstrap, "")
	g2, err := c2.CreateApiGroupV2(&model.CreateApiGroupV2Request{InstanceId: s2.Bootstrap.Instance.ID, Body: &model.ApiGroupCreate{Name: "off_group"}})
	if err != nil {
		t.Fatal(err)
	}
	_, httpsPort2 := s2.gw.ports()
	if _, err := c2.AssociateDomainV2(&model.AssociateDomainV2Request{InstanceId: s2.Bootstrap.Instance.ID, GroupId: g2.Id, Body: &model.UrlDomainCreate{
		UrlDomain: strPtr("off.example.com"), IngressHttpPort: i32(defaultGatewayHTTPPort), IngressHttpsPort: i32(int32(httpsPort2))}}); err != nil {
		t.Errorf("ingress_http_port 8081 with --gateway-http-addr off: %v", err)
	}
}

// TestGatewayOnlyNode: a node with --addr off serves the gateway from the
// database another node writes (PostgreSQL, and one SQLite file shared by
// two servers in one process), answers no API call, and creates no
// bootstrap account.
func TestGatewayOnlyNode(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "from the backend")
	}))
	defer backend.Close()
	for _, b := range []struct {
		name string
		url  func(t *testing.T) string
	}{
		{"sqlite", func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "certgate.db") }},
		{"postgres", func(t *testing.T) string { return pgtest.URL(t) }},
	} {
		t.Run(b.name, func(t *testing.T) {
			_, mk := masterKeyEnv(t)
			db := b.url(t)
			apiCfg := testConfig(t.TempDir())
			apiCfg.Database, apiCfg.MasterKey, apiCfg.BootstrapCredentialsFile, apiCfg.Gateway = db, mk.Encode(), "none", "off"
			apiNode := &Main{Config: apiCfg, Logger: slog.New(slog.NewTextHandler(&syncBuffer{}, nil))}
			serveMain(t, apiNode)

			gwCfg := testConfig(t.TempDir())
			gwCfg.Database, gwCfg.MasterKey, gwCfg.Addr = db, mk.Encode(), "off"
			gwCfg.BootstrapCredentialsFile = filepath.Join(t.TempDir(), "credentials") // must stay unwritten
			gwCfg.GatewayHTTPSAddr, gwCfg.GatewayHTTPAddr = "off", "127.0.0.1:0"
			logs := &syncBuffer{}
			gwNode := &Main{Config: gwCfg, Logger: slog.New(slog.NewTextHandler(logs, nil))}
			serveMain(t, gwNode)
			if gwNode.api != nil || gwNode.Addr() != "off" || gwNode.Bootstrap != nil {
				t.Errorf("gateway-only node: api %v, Addr %q, bootstrap %v", gwNode.api, gwNode.Addr(), gwNode.Bootstrap)
			}
			if _, err := os.Stat(gwCfg.BootstrapCredentialsFile); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("the gateway-only node wrote bootstrap credentials (%v)", err)
			}
			if !strings.Contains(logs.String(), `msg="certgate listening" addr=off`) {
				t.Errorf("the gateway-only node's log:\n%s", logs)
			}

			owner, err := apiNode.Accounts.Create(context.Background(), accounts.CreateInput{Name: "gateway-only"})
			if err != nil {
				t.Fatal(err)
			}
			api := &testServer{Main: apiNode, t: t}
			id := rootProxyAPI(t, api.client(owner, "us-east-1"), backend.URL+"/")
			url := "http://" + gwNode.gw.http.Addr().String() + "/_aws/execute-api/" + id + "/prod/"
			if body := waitInvocable(t, url); body != "from the backend" {
				t.Errorf("GET %s on the gateway-only node: %q", url, body)
			}
		})
	}
}
