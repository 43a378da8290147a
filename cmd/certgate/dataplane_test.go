package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	apig "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/apig/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/apig/v2/model"

	"github.com/certgate/certgate"
)

// backendSaw is what the test backend reports it received.
type backendSaw struct {
	Method, Path, Query, Host string
	Header                    http.Header
}

// recordingBackend answers 200 with what it received, as JSON.
func recordingBackend(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(backendSaw{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Host: r.Host, Header: r.Header})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// waitFor polls fn until it returns "", failing with its last answer after
// 10 s.
func waitFor(t *testing.T, what string, fn func() string) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		why := fn()
		if why == "" {
			return time.Since(start)
		}
		if time.Since(start) > 10*time.Second {
			t.Fatalf("%s: after 10 s: %s", what, why)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// boundDomain is an API group with a custom domain and an uploaded
// certificate (a fresh chain for the name) bound to it.
type boundDomain struct {
	group            *model.CreateApiGroupV2Response
	domainID, certID string
	chain            string
	root             issued
}

// bindDomain makes a boundDomain through the Huawei SDK: CreateApiGroupV2,
// AssociateDomainV2, CreateCertificateV2 and BatchAssociateCertsV2.
func bindDomain(t *testing.T, c *apig.ApigClient, inst, groupName, name, certName string) boundDomain {
	t.Helper()
	group, err := c.CreateApiGroupV2(&model.CreateApiGroupV2Request{InstanceId: inst, Body: &model.ApiGroupCreate{Name: groupName}})
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.AssociateDomainV2(&model.AssociateDomainV2Request{InstanceId: inst, GroupId: group.Id, Body: &model.UrlDomainCreate{UrlDomain: strPtr(name)}})
	if err != nil {
		t.Fatal(err)
	}
	chain, key, root := leafFor(t, "p256", name)
	cert, err := c.CreateCertificateV2(&model.CreateCertificateV2Request{Body: form(certName, chain, key)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.BatchAssociateCertsV2(&model.BatchAssociateCertsV2Request{InstanceId: inst, GroupId: group.Id, DomainId: *d.Id,
		Body: &model.AttachOrDetachCertsReqBody{CertificateIds: []string{*cert.Id}}}); err != nil {
		t.Fatal(err)
	}
	return boundDomain{group: group, domainID: *d.Id, certID: *cert.Id, chain: chain, root: root}
}

// TestHuaweiWholeChain drives the Huawei path as a user would: the Huawei
// Go SDK creates a group, binds a domain and an uploaded certificate,
// creates an API with a path variable mapped to the backend, and publishes
// it; then HTTPS requests to the domain (verified against the uploaded
// chain's root, by Go and by curl) reach the backend, and the group's
// debugging domain serves the same API over HTTP.
func TestHuaweiWholeChain(t *testing.T) {
	be := recordingBackend(t)
	s := startGateway(t)
	owner := s.Bootstrap
	c := s.hwClient(owner, "")
	inst := owner.Instance.ID

	bd := bindDomain(t, c, inst, "shop", "shop.example.com", "shop_cert")
	group, root := bd.group, bd.root
	normal := model.GetApiCreateMatchModeEnum().NORMAL
	proto := model.GetBackendApiCreateReqProtocolEnum().HTTP
	get := model.GetBackendApiCreateReqMethodEnum().GET
	api, err := c.CreateApiV2(&model.CreateApiV2Request{InstanceId: inst, Body: &model.ApiCreate{
		Name: "get_order", Type: model.GetApiCreateTypeEnum().E_1, ReqProtocol: model.GetApiCreateReqProtocolEnum().BOTH,
		ReqMethod: model.GetApiCreateReqMethodEnum().GET, ReqUri: "/orders/{id}", AuthType: model.GetApiCreateAuthTypeEnum().NONE,
		MatchMode: &normal, BackendType: model.GetApiCreateBackendTypeEnum().HTTP, GroupId: group.Id,
		ReqParams: &[]model.ReqParamBase{{Name: "id", Type: model.GetReqParamBaseTypeEnum().STRING, Location: model.GetReqParamBaseLocationEnum().PATH}},
		BackendParams: &[]model.BackendParamBase{
			{Origin: model.GetBackendParamBaseOriginEnum().REQUEST, Name: "order", Location: model.GetBackendParamBaseLocationEnum().PATH, Value: "id"},
			{Origin: model.GetBackendParamBaseOriginEnum().SYSTEM, Name: "X-Client-Ip", Location: model.GetBackendParamBaseLocationEnum().HEADER, Value: "$context.sourceIp"},
		},
		BackendApi: &model.BackendApiCreate{UrlDomain: sp(strings.TrimPrefix(be.URL, "http://")), ReqProtocol: &proto, ReqMethod: &get,
			ReqUri: sp("/v1/orders/{order}"), Timeout: 5000},
	}})
	if err != nil {
		t.Fatalf("CreateApiV2: %v", err)
	}
	publishAPI(t, c, inst, *api.Id)

	roots := x509.NewCertPool()
	roots.AddCert(root.cert)
	addr := s.gw.https.Addr().String()
	_, port, _ := net.SplitHostPort(addr)
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: roots},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		}}}
	defer client.CloseIdleConnections()
	var saw backendSaw
	took := waitFor(t, "GET https://shop.example.com/orders/42", func() string {
		resp, err := client.Get("https://shop.example.com:" + port + "/orders/42?x=1")
		if err != nil {
			return err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			return resp.Status + " " + string(b)
		}
		if err := json.Unmarshal(b, &saw); err != nil {
			return err.Error()
		}
		return ""
	})
	t.Logf("published API served over HTTPS %v after the publish", took)
	if saw.Path != "/v1/orders/42" || saw.Query != "x=1" || saw.Header.Get("X-Client-Ip") != "127.0.0.1" ||
		saw.Header.Get("X-Forwarded-Proto") != "https" || saw.Header.Get("X-Forwarded-Host") != "shop.example.com:"+port {
		t.Errorf("the backend saw %+v", saw)
	}

	// curl, verifying the chain against the root.
	if curl, ok := lookCurl(t); ok {
		ca := t.TempDir() + "/root.pem"
		if err := os.WriteFile(ca, []byte(root.certPEM()), 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(curl, "-sS", "--cacert", ca, "--resolve", "shop.example.com:"+port+":127.0.0.1",
			"-w", "\n%{http_code}", "https://shop.example.com:"+port+"/orders/7").CombinedOutput()
		t.Logf("curl https://shop.example.com:%s/orders/7 → %s", port, out)
		if err != nil || !strings.HasSuffix(string(out), "\n200") || !strings.Contains(string(out), `"Path":"/v1/orders/7"`) {
			t.Errorf("curl through the gateway: %v %s", err, out)
		}
	}

	// The debugging domain, over plain HTTP.
	req, _ := http.NewRequest("GET", "http://"+s.gw.http.Addr().String()+"/orders/9", nil)
	req.Host = group.SlDomain
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"Path":"/v1/orders/9"`) || resp.Header.Get("Server") != "api-gateway" {
		t.Errorf("GET http://%s/orders/9: %d %s", group.SlDomain, resp.StatusCode, b)
	}

	// Taken offline: Huawei's answer for an unpublished API, soon.
	if _, err := c.CreateOrDeletePublishRecordForApiV2(&model.CreateOrDeletePublishRecordForApiV2Request{InstanceId: inst,
		Body: &model.ApiActionInfo{Action: model.GetApiActionInfoActionEnum().OFFLINE, EnvId: certgate.ReleaseEnvironmentID, ApiId: *api.Id}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the API taken offline", func() string {
		resp, err := client.Get("https://shop.example.com:" + port + "/orders/42")
		if err != nil {
			return err.Error()
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 404 || !strings.Contains(string(b), `"error_code":"APIG.0101"`) {
			return resp.Status + " " + string(b)
		}
		return ""
	})
}

// publishAPI publishes an API to the RELEASE environment.
func publishAPI(t *testing.T, c *apig.ApigClient, inst, apiID string) {
	t.Helper()
	if _, err := c.CreateOrDeletePublishRecordForApiV2(&model.CreateOrDeletePublishRecordForApiV2Request{InstanceId: inst,
		Body: &model.ApiActionInfo{Action: model.GetApiActionInfoActionEnum().ONLINE, EnvId: certgate.ReleaseEnvironmentID, ApiId: apiID}}); err != nil {
		t.Fatal(err)
	}
}

// mtlsBackend is an HTTPS backend that requires a client certificate
// chaining to caPEM, and reports the subject it verified.
func mtlsBackend(t *testing.T, caPEM string) *httptest.Server {
	t.Helper()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM([]byte(caPEM)) {
		t.Fatal("no certificate in the client CA PEM")
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Client-Subject", r.TLS.PeerCertificates[0].Subject.String())
		w.Header().Set("X-Client-Serial", r.TLS.PeerCertificates[0].SerialNumber.String())
		_ = json.NewEncoder(w).Encode(backendSaw{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Host: r.Host, Header: r.Header})
	}))
	srv.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes are the test's
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// TestAWSWholeChain drives the AWS path through aws-sdk-go-v2: a client
// certificate, a REST API with /{proxy+} proxied to an HTTPS backend that
// trusts only that certificate, a deployment and a stage carrying it; an
// invocation through the gateway reaches the backend, which verified the
// certificate. Without the stage's certificate the backend refuses the
// handshake, and the gateway answers 502 in AWS's format.
func TestAWSWholeChain(t *testing.T) {
	s := startGateway(t)
	ctx := context.Background()
	c := s.client(s.Bootstrap, "us-east-1")
	cert, err := c.GenerateClientCertificate(ctx, &apigateway.GenerateClientCertificateInput{Description: aws.String("to the backend")})
	if err != nil {
		t.Fatal(err)
	}
	be := mtlsBackend(t, aws.ToString(cert.PemEncodedCertificate))
	id, rid := proxiedAPI(t, c)
	if _, err := c.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: &id, ResourceId: &rid, HttpMethod: aws.String("ANY"),
		Type: types.IntegrationTypeHttpProxy, IntegrationHttpMethod: aws.String("ANY"), Uri: aws.String(be.URL + "/app/{proxy}"),
		RequestParameters: map[string]string{"integration.request.path.proxy": "method.request.path.proxy"},
		TlsConfig:         &types.TlsConfig{InsecureSkipVerification: true}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: &id, StageName: aws.String("prod")}); err != nil {
		t.Fatal(err)
	}
	invoke := "http://" + s.gw.http.Addr().String() + "/_aws/execute-api/" + id + "/prod/hello/world?q=1"
	get := func() (int, http.Header, string) {
		resp, err := http.Get(invoke)
		if err != nil {
			return 0, nil, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(b)
	}
	// No certificate on the stage yet: the backend refuses the handshake.
	waitFor(t, "the stage without a certificate", func() string {
		if code, h, body := get(); code != 502 || body != `{"message":"Internal server error"}` || h.Get("x-amzn-ErrorType") == "" {
			return fmt.Sprint(code, " ", body)
		}
		return ""
	})
	if _, err := c.UpdateStage(ctx, &apigateway.UpdateStageInput{RestApiId: &id, StageName: aws.String("prod"),
		PatchOperations: []types.PatchOperation{replace("/clientCertificateId", aws.ToString(cert.ClientCertificateId))}}); err != nil {
		t.Fatal(err)
	}
	var saw backendSaw
	var subject string
	took := waitFor(t, "the stage with its certificate", func() string {
		code, h, body := get()
		if code != 200 {
			return fmt.Sprint(code, " ", body)
		}
		subject = h.Get("X-Client-Subject")
		return fmt.Sprint(json.Unmarshal([]byte(body), &saw))[:0]
	})
	t.Logf("the stage's client certificate presented %v after UpdateStage; the backend verified %q", took, subject)
	if subject != "CN=ApiGateway,L=Seattle,C=US" || saw.Path != "/app/hello/world" || saw.Query != "q=1" {
		t.Errorf("the backend saw %q %+v", subject, saw)
	}
}

// mtlsStage makes n client certificates, an HTTPS backend that trusts
// every one, and a REST API whose /{proxy+} is proxied to it (its test
// certificate not verified), deployed as stage prod without a
// certificate. It returns the API's id and the certificates' ids.
func mtlsStage(t *testing.T, ac *apigateway.Client, n int) (apiID string, certIDs []string) {
	t.Helper()
	ctx := context.Background()
	var trusted strings.Builder
	for range n {
		cc, err := ac.GenerateClientCertificate(ctx, &apigateway.GenerateClientCertificateInput{})
		if err != nil {
			t.Fatal(err)
		}
		certIDs = append(certIDs, aws.ToString(cc.ClientCertificateId))
		trusted.WriteString(aws.ToString(cc.PemEncodedCertificate))
	}
	be := mtlsBackend(t, trusted.String())
	id, rid := proxiedAPI(t, ac)
	if _, err := ac.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: &id, ResourceId: &rid, HttpMethod: aws.String("ANY"),
		Type: types.IntegrationTypeHttpProxy, IntegrationHttpMethod: aws.String("ANY"), Uri: aws.String(be.URL + "/{proxy}"),
		TlsConfig: &types.TlsConfig{InsecureSkipVerification: true}}); err != nil {
		t.Fatal(err)
	}
	if _, err := ac.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: &id, StageName: aws.String("prod")}); err != nil {
		t.Fatal(err)
	}
	return id, certIDs
}

// setStageCert attaches certificate cc to stage prod of apiID.
func setStageCert(t *testing.T, ac *apigateway.Client, apiID, cc string) {
	t.Helper()
	if _, err := ac.UpdateStage(context.Background(), &apigateway.UpdateStageInput{RestApiId: &apiID, StageName: aws.String("prod"),
		PatchOperations: []types.PatchOperation{replace("/clientCertificateId", cc)}}); err != nil {
		t.Fatal(err)
	}
}

// TestZeroFailedRequestsDuringSwaps keeps requests running over HTTPS, on
// new connections and on keep-alive ones, while the bound certificate is
// replaced 20 times (UpdateCertificateV2) and the stage's client
// certificate 20 times (UpdateStage, the backend trusting every one, as
// AWS's rotation procedure has it). Every request must succeed, and every
// handshake must show one of the uploaded certificates.
func TestZeroFailedRequestsDuringSwaps(t *testing.T) {
	s := startGateway(t)
	owner := s.Bootstrap
	hc := s.hwClient(owner, "")
	inst := owner.Instance.ID
	ac := s.client(owner, "us-east-1")

	// 21 client certificates, all trusted by the backend.
	id, clientIDs := mtlsStage(t, ac, 21)
	replaceStageCert := func(cc string) { t.Helper(); setStageCert(t, ac, id, cc) }
	replaceStageCert(clientIDs[0])

	group, err := hc.CreateApiGroupV2(&model.CreateApiGroupV2Request{InstanceId: inst, Body: &model.ApiGroupCreate{Name: "swap"}})
	if err != nil {
		t.Fatal(err)
	}
	d, err := hc.AssociateDomainV2(&model.AssociateDomainV2Request{InstanceId: inst, GroupId: group.Id, Body: &model.UrlDomainCreate{UrlDomain: strPtr("swap.example.com")}})
	if err != nil {
		t.Fatal(err)
	}
	served := map[string]bool{}    // serial numbers of the uploaded leaves
	seen := map[string]bool{}      // … and of those handshakes showed
	presented := map[string]bool{} // serials of the client certificates the backend saw
	var mu sync.Mutex
	upload := func() (string, string) {
		chain, key, _ := leafFor(t, "p256", "swap.example.com")
		mu.Lock()
		served[pemLeaf(t, chain).SerialNumber.String()] = true
		mu.Unlock()
		return chain, key
	}
	chain, key := upload()
	cert, err := hc.CreateCertificateV2(&model.CreateCertificateV2Request{Body: form("swap_cert", chain, key)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hc.BatchAssociateCertsV2(&model.BatchAssociateCertsV2Request{InstanceId: inst, GroupId: group.Id, DomainId: *d.Id,
		Body: &model.AttachOrDetachCertsReqBody{CertificateIds: []string{*cert.Id}}}); err != nil {
		t.Fatal(err)
	}

	addr := s.gw.https.Addr().String()
	url := "https://swap.example.com/_aws/execute-api/" + id + "/prod/ping"
	newClient := func(keepAlive bool) *http.Client {
		return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: !keepAlive,
			TLSClientConfig: &tls.Config{InsecureSkipVerify: true, VerifyConnection: func(cs tls.ConnectionState) error {
				mu.Lock()
				defer mu.Unlock()
				seen[cs.PeerCertificates[0].SerialNumber.String()] = true
				if !served[cs.PeerCertificates[0].SerialNumber.String()] {
					return fmt.Errorf("the handshake showed a certificate never uploaded: %s", cs.PeerCertificates[0].Subject)
				}
				return nil
			}},
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, network, addr)
			}}}
	}
	waitFor(t, "the stage served on the bound domain", func() string {
		resp, err := newClient(false).Get(url)
		if err != nil {
			return err.Error()
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return resp.Status
		}
		return ""
	})

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var total, failed atomic.Int64
	var firstErr atomic.Value
	for _, keepAlive := range []bool{false, false, true, true} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl := newClient(keepAlive)
			defer cl.CloseIdleConnections()
			for {
				select {
				case <-stop:
					return
				default:
				}
				total.Add(1)
				resp, err := cl.Get(url)
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					mu.Lock()
					presented[resp.Header.Get("X-Client-Serial")] = true
					mu.Unlock()
					if resp.StatusCode != 200 {
						err = fmt.Errorf("status %s", resp.Status)
					}
				}
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
				}
			}
		}()
	}
	for i := 1; i <= 20; i++ {
		chain, key := upload()
		if _, err := hc.UpdateCertificateV2(&model.UpdateCertificateV2Request{CertificateId: *cert.Id,
			Body: &model.CertificateForm{Name: "swap_cert", CertContent: chain, PrivateKey: key}}); err != nil {
			t.Fatal(err)
		}
		replaceStageCert(clientIDs[i])
		time.Sleep(150 * time.Millisecond) // let each pair be served under load
	}
	close(stop)
	wg.Wait()
	t.Logf("%d requests during 20 certificate and 20 stage certificate replacements: %d failed", total.Load(), failed.Load())
	if failed.Load() != 0 {
		t.Errorf("%d of %d requests failed during the swaps; the first: %v", failed.Load(), total.Load(), firstErr.Load())
	}
	t.Logf("handshakes showed %d of the 21 server certificates; the backend saw %d of the 21 client certificates", len(seen), len(presented))
	if len(seen) < 3 || len(presented) < 3 { // swaps closer than the reload poll coalesce
		t.Errorf("the swaps were not served under load: %d server and %d client certificates seen", len(seen), len(presented))
	}
	if total.Load() < 40 {
		t.Errorf("only %d requests ran: the loop did not overlap the swaps", total.Load())
	}
}

// TestGatewayUpstreamDeny: --gateway-upstream-deny keeps backends off the
// listed networks (the default: link-local, where cloud metadata answers);
// a stage whose integration points there gets AWS's 502, and a bad list
// is refused at start.
func TestGatewayUpstreamDeny(t *testing.T) {
	cfg := DefaultConfig()
	if cfg.GatewayUpstreamDeny != DefaultUpstreamDeny || !strings.Contains(cfg.GatewayUpstreamDeny, "169.254.0.0/16") {
		t.Errorf("default --gateway-upstream-deny %q", cfg.GatewayUpstreamDeny)
	}
	bad := testConfig(t.TempDir())
	bad.GatewayUpstreamDeny = "10.0.0.0/8,nonsense"
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), `--gateway-upstream-deny: "nonsense" is neither a CIDR prefix nor an IP address`) {
		t.Errorf("a bad list: %v", err)
	}
	be := recordingBackend(t)
	s := startServer(t, func(c *Config) {
		c.GatewayHTTPSAddr, c.GatewayHTTPAddr, c.GatewayUpstreamDeny = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.0/8, ::1"
	})
	ctx := context.Background()
	ac := s.client(s.Bootstrap, "us-east-1")
	id, rid := proxiedAPI(t, ac)
	if _, err := ac.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: &id, ResourceId: &rid, HttpMethod: aws.String("ANY"),
		Type: types.IntegrationTypeHttpProxy, IntegrationHttpMethod: aws.String("ANY"), Uri: aws.String(be.URL + "/{proxy}")}); err != nil {
		t.Fatal(err)
	}
	if _, err := ac.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: &id, StageName: aws.String("prod")}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a denied backend", func() string {
		resp, err := http.Get("http://" + s.gw.http.Addr().String() + "/_aws/execute-api/" + id + "/prod/x")
		if err != nil {
			return err.Error()
		}
		if body := readAll(resp); resp.StatusCode != 502 || body != `{"message":"Internal server error"}` {
			return fmt.Sprint(resp.StatusCode, " ", body)
		}
		return ""
	})
	if logs := s.logs.String(); !strings.Contains(logs, "--gateway-upstream-deny") {
		t.Errorf("the cause is not logged:\n%s", logs)
	}
}
