package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/apig/v2/model"

	"github.com/certgate/certgate/internal/nginxtest"
)

// backendCA is the CA that signs nginx's server certificate, and the
// file certgate is given with --gateway-upstream-ca-file: backends are
// verified, not skipped.
func backendCA(t *testing.T) (issued, string) {
	t.Helper()
	ca := issue(t, "p256", certOpts{cn: "Backend Server CA", ca: true}, nil)
	caFile := filepath.Join(t.TempDir(), "upstream-ca.pem")
	if err := os.WriteFile(caFile, []byte(ca.certPEM()), 0o600); err != nil {
		t.Fatal(err)
	}
	return ca, caFile
}

// nginxBackend starts a real nginx on loopback, its server certificate
// (for localhost) signed by ca, requiring client certificates that chain
// to clientCA.
func nginxBackend(t *testing.T, ca issued, clientCA string) *nginxtest.Server {
	t.Helper()
	leaf := issue(t, "p256", certOpts{cn: "localhost", dns: []string{"localhost"}}, &ca)
	return nginxtest.Start(t, nginxtest.Config{ServerCertPEM: leaf.certPEM(), ServerKeyPEM: leaf.keyPEM(t),
		ClientCAPEM: clientCA, VerifyClient: true})
}

// curlTo runs curl and returns its output, with "\nSTATUS" appended.
func curlTo(t *testing.T, curl string, args ...string) string {
	t.Helper()
	out, _ := exec.Command(curl, append([]string{"-sS", "-w", "\n%{http_code}"}, args...)...).CombinedOutput()
	return string(out)
}

// TestNginxWholeChainAWS is the issue's end-to-end run with real parts:
// aws-sdk-go-v2 generates a client certificate and builds a REST API
// proxied to a real nginx that requires client certificates chaining to
// exactly that certificate (ssl_verify_client on, ssl_client_certificate
// = GetClientCertificate's PEM), with the stage carrying it; the backend
// is verified against --gateway-upstream-ca-file, not skipped. curl
// through certgate gets 200; curl straight to nginx without a certificate
// gets nginx's 400; after the stage's certificate is replaced by one nginx
// does not trust, nginx's 400 "The SSL certificate error" is relayed
// unchanged; once nginx trusts the new one, requests succeed again.
func TestNginxWholeChainAWS(t *testing.T) {
	curl, ok := lookCurl(t)
	if !ok {
		return
	}
	ctx := context.Background()
	ca, caFile := backendCA(t)
	s := startServer(t, func(c *Config) {
		c.GatewayHTTPSAddr, c.GatewayHTTPAddr, c.GatewayUpstreamCAFile = "127.0.0.1:0", "127.0.0.1:0", caFile
	})
	ac := s.client(s.Bootstrap, "us-east-1")
	gen := func() (id, pem string) {
		t.Helper()
		cc, err := ac.GenerateClientCertificate(ctx, &apigateway.GenerateClientCertificateInput{Description: aws.String("nginx mTLS")})
		if err != nil {
			t.Fatal(err)
		}
		got, err := ac.GetClientCertificate(ctx, &apigateway.GetClientCertificateInput{ClientCertificateId: cc.ClientCertificateId})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(got.ClientCertificateId), aws.ToString(got.PemEncodedCertificate)
	}
	cc1, pem1 := gen()
	ngx := nginxBackend(t, ca, pem1)
	_, port := splitPort(t, ngx.Addr)

	id, rid := proxiedAPI(t, ac)
	if _, err := ac.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: &id, ResourceId: &rid, HttpMethod: aws.String("ANY"),
		Type: types.IntegrationTypeHttpProxy, IntegrationHttpMethod: aws.String("ANY"), Uri: aws.String("https://localhost:" + port + "/{proxy}"),
		RequestParameters: map[string]string{"integration.request.path.proxy": "method.request.path.proxy"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := ac.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: &id, StageName: aws.String("prod")}); err != nil {
		t.Fatal(err)
	}
	stageCert := func(cc string) {
		t.Helper()
		if _, err := ac.UpdateStage(ctx, &apigateway.UpdateStageInput{RestApiId: &id, StageName: aws.String("prod"),
			PatchOperations: []types.PatchOperation{replace("/clientCertificateId", cc)}}); err != nil {
			t.Fatal(err)
		}
	}
	stageCert(cc1)

	invoke := "http://" + s.gw.http.Addr().String() + "/_aws/execute-api/" + id + "/prod/orders/1"
	var out string
	until := func(what, suffix, contains string) {
		t.Helper()
		took := waitFor(t, what, func() string {
			if out = curlTo(t, curl, invoke); !strings.HasSuffix(out, suffix) || !strings.Contains(out, contains) {
				return out
			}
			return ""
		})
		t.Logf("%s, after %v: curl %s → %q", what, took, invoke, out)
	}
	until("through certgate with the stage's certificate", "\n200", "uri=/orders/1 dn=CN=ApiGateway,L=Seattle,C=US")

	direct := curlTo(t, curl, "--cacert", caFile, "https://localhost:"+port+"/orders/1")
	t.Logf("straight to nginx without a certificate: %q", direct)
	if !strings.HasSuffix(direct, "\n400") || !strings.Contains(direct, "No required SSL certificate was sent") {
		t.Errorf("straight to nginx without a certificate: %s", direct)
	}

	// Replaced by a certificate nginx does not trust: nginx's own answer,
	// relayed unchanged (it is the backend's answer, not a gateway error).
	cc2, pem2 := gen()
	stageCert(cc2)
	until("a certificate nginx does not trust", "\n400", "The SSL certificate error")
	resp, err := http.Get(invoke)
	if err != nil {
		t.Fatal(err)
	}
	body := readAll(resp)
	if resp.Header.Get("x-amzn-ErrorType") != "" || resp.Header.Get(nginxtest.GenerationHeader) == "" || !strings.Contains(body, "<center>nginx/") {
		t.Errorf("nginx's 400 was not relayed as it came: %v %q", resp.Header, body)
	}

	// nginx trusts both (AWS's rotation procedure): requests succeed again.
	ngx.SetClientCA(pem1 + pem2)
	until("after nginx trusts the new certificate", "\n200", "dn=CN=ApiGateway,L=Seattle,C=US")
}

// TestNginxWholeChainHuawei: the Huawei Go SDK sets the instance's
// backend_client_certificate and publishes an API with enable_client_ssl
// whose HTTPS backend is a real nginx requiring that certificate; an HTTPS
// request to the bound domain reaches nginx with it.
func TestNginxWholeChainHuawei(t *testing.T) {
	curl, ok := lookCurl(t)
	if !ok {
		return
	}
	clientCA := issue(t, "p256", certOpts{cn: "Gateway Client CA", ca: true}, nil)
	client := issue(t, "p256", certOpts{cn: "gateway-client", client: true}, &clientCA)
	ca, caFile := backendCA(t)
	ngx := nginxBackend(t, ca, clientCA.certPEM())
	s := startServer(t, func(c *Config) {
		c.GatewayHTTPSAddr, c.GatewayHTTPAddr, c.GatewayUpstreamCAFile = "127.0.0.1:0", "127.0.0.1:0", caFile
	})
	owner := s.Bootstrap
	c := s.hwClient(owner, "")
	inst := owner.Instance.ID
	cfg := backendConfig(t, "on", client, client.keyPEM(t), clientCA)
	if _, err := c.CreateFeatureV2(&model.CreateFeatureV2Request{InstanceId: inst,
		Body: &model.FeatureToggle{Name: "backend_client_certificate", Enable: true, Config: &cfg}}); err != nil {
		t.Fatal(err)
	}
	bd := bindDomain(t, c, inst, "ngx", "api.shop.test", "ngx_cert")
	group, root := bd.group, bd.root
	swa := model.GetApiCreateMatchModeEnum().SWA
	https := model.GetBackendApiCreateReqProtocolEnum().HTTPS
	anyM := model.GetBackendApiCreateReqMethodEnum().ANY
	ssl := true
	_, port := splitPort(t, ngx.Addr)
	api, err := c.CreateApiV2(&model.CreateApiV2Request{InstanceId: inst, Body: &model.ApiCreate{
		Name: "to_nginx", Type: model.GetApiCreateTypeEnum().E_1, ReqProtocol: model.GetApiCreateReqProtocolEnum().HTTPS,
		ReqMethod: model.GetApiCreateReqMethodEnum().ANY, ReqUri: "/shop/", AuthType: model.GetApiCreateAuthTypeEnum().NONE,
		MatchMode: &swa, BackendType: model.GetApiCreateBackendTypeEnum().HTTP, GroupId: group.Id,
		BackendApi: &model.BackendApiCreate{UrlDomain: sp("localhost:" + port), ReqProtocol: &https, ReqMethod: &anyM,
			ReqUri: sp("/backend/"), Timeout: 5000, EnableClientSsl: &ssl},
	}})
	if err != nil {
		t.Fatalf("CreateApiV2: %v", err)
	}
	publishAPI(t, c, inst, *api.Id)
	rootFile := filepath.Join(t.TempDir(), "root.pem")
	if err := os.WriteFile(rootFile, []byte(root.certPEM()), 0o600); err != nil {
		t.Fatal(err)
	}
	_, gwPort := splitPort(t, s.gw.https.Addr().String())
	var out string
	waitFor(t, "curl through the gateway to nginx", func() string {
		out = curlTo(t, curl, "--cacert", rootFile, "--resolve", "api.shop.test:"+gwPort+":127.0.0.1", "https://api.shop.test:"+gwPort+"/shop/orders/1")
		if !strings.HasSuffix(out, "\n200") {
			return out
		}
		return ""
	})
	t.Logf("curl https://api.shop.test:%s/shop/orders/1 → %s", gwPort, out)
	if !strings.Contains(out, "uri=/backend/orders/1 dn=CN=gateway-client,L=Berlin,C=DE") {
		t.Errorf("nginx did not see the instance's backend certificate: %s", out)
	}
	if direct := curlTo(t, curl, "-k", ngx.URL+"/backend/x"); !strings.HasSuffix(direct, "\n400") ||
		!strings.Contains(direct, "No required SSL certificate was sent") {
		t.Errorf("straight to nginx without a certificate: %s", direct)
	}
}

func splitPort(t *testing.T, addr string) (string, string) {
	t.Helper()
	i := strings.LastIndex(addr, ":")
	if i < 0 {
		t.Fatalf("no port in %q", addr)
	}
	return addr[:i], addr[i+1:]
}

// readAll is the body of resp, closed.
func readAll(resp *http.Response) string {
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
