package main

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/apig/v2/model"
)

// The gateway scenarios against certgate's own gateway: a custom domain
// with an uploaded certificate, reached through --connect-to before any DNS
// names it, verified against the uploaded chain's root. Full handshakes and
// proxied GETs both finish without an error; the same runs against the
// wrong root fail every request, as a TLS error, so the zero above is the
// verification passing, not the tool skipping it.
func TestBenchGatewayScenarios(t *testing.T) {
	var pongs atomic.Int64
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/pong" {
			pongs.Add(1)
		}
		_, _ = io.WriteString(w, "pong")
	}))
	t.Cleanup(be.Close)
	s := startGateway(t)
	c := s.hwClient(s.Bootstrap, "")
	inst := s.Bootstrap.Instance.ID
	bd := bindDomain(t, c, inst, "bench", "bench.example.com", "bench_cert")
	normal := model.GetApiCreateMatchModeEnum().NORMAL
	proto := model.GetBackendApiCreateReqProtocolEnum().HTTP
	get := model.GetBackendApiCreateReqMethodEnum().GET
	api, err := c.CreateApiV2(&model.CreateApiV2Request{InstanceId: inst, Body: &model.ApiCreate{
		Name: "bench_get", Type: model.GetApiCreateTypeEnum().E_1, ReqProtocol: model.GetApiCreateReqProtocolEnum().HTTPS,
		ReqMethod: model.GetApiCreateReqMethodEnum().GET, ReqUri: "/ping", AuthType: model.GetApiCreateAuthTypeEnum().NONE,
		MatchMode: &normal, BackendType: model.GetApiCreateBackendTypeEnum().HTTP, GroupId: bd.group.Id,
		BackendApi: &model.BackendApiCreate{UrlDomain: sp(strings.TrimPrefix(be.URL, "http://")), ReqProtocol: &proto, ReqMethod: &get,
			ReqUri: sp("/pong"), Timeout: 5000},
	}})
	if err != nil {
		t.Fatalf("CreateApiV2: %v", err)
	}
	publishAPI(t, c, inst, *api.Id)
	dir := t.TempDir()
	goodCA, wrongCA := dir+"/root.pem", dir+"/other.pem"
	if err := os.WriteFile(goodCA, []byte(bd.root.certPEM()), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, other := leafFor(t, "p256", "bench.example.com")
	if err := os.WriteFile(wrongCA, []byte(other.certPEM()), 0o600); err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(s.gw.https.Addr().String())
	url := "https://bench.example.com:" + port + "/ping"
	args := func(sc, ca string) []string {
		return []string{sc, "--gateway-url", url, "--connect-to", s.gw.https.Addr().String(), "--ca-file", ca,
			"--requests", "200", "--concurrency", "4"}
	}
	// The publication reaches the gateway within a poll: wait for it.
	waitFor(t, "the API published", func() string {
		res, code, stderr := benchRun(t, "gw-proxy", "--gateway-url", url, "--connect-to", s.gw.https.Addr().String(),
			"--ca-file", goodCA, "--requests", "1", "--concurrency", "1")
		if code != 0 || res.Errors != 0 {
			return stderr + strings.Join(keys(res.ErrorsBy), ",")
		}
		return ""
	})
	for _, sc := range []string{"gw-handshake", "gw-proxy"} {
		before := pongs.Load()
		res, code, stderr := benchRun(t, args(sc, goodCA)...)
		t.Logf("%s: %d requests, %.0f/s, p99 %.2f ms, errors %v", sc, res.Requests, res.Throughput, res.Latency.P99, res.ErrorsBy)
		if code != 0 || res.Requests != 200 || res.Errors != 0 {
			t.Errorf("%s against the gateway: exit %d, %d requests, errors %v: %s", sc, code, res.Requests, res.ErrorsBy, stderr)
		}
		if want := map[string]int64{"gw-handshake": 0, "gw-proxy": 200}[sc]; pongs.Load()-before != want {
			t.Errorf("%s: the backend was called %d times, want %d", sc, pongs.Load()-before, want)
		}
		before = pongs.Load()
		res, _, _ = benchRun(t, args(sc, wrongCA)...)
		if res.Errors != 200 || len(res.ErrorsBy) != 1 || !strings.Contains(strings.Join(keys(res.ErrorsBy), ""), "certificate") {
			t.Errorf("%s with the wrong root: %d errors %v, want 200 certificate errors", sc, res.Errors, res.ErrorsBy)
		}
		if pongs.Load() != before {
			t.Errorf("%s with the wrong root reached the backend", sc)
		}
	}
}

func keys(m map[string]uint64) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
