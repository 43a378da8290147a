package main

import (
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/apig/v2/model"
)

// TestVerifyingDomainNotReachedThroughEmptyLabels drives the Host-dot
// bypass through the real server, as an attacker with curl would: a
// private group's domain verifies client certificates; a handshake on a
// public domain (no client certificate) with Host "private.example.com.."
// reached the private API, and so did plain HTTP.
func TestVerifyingDomainNotReachedThroughEmptyLabels(t *testing.T) {
	curl, ok := lookCurl(t)
	if !ok {
		return
	}
	s := startGateway(t)
	owner := s.Bootstrap
	c := s.hwClient(owner, "")
	inst := owner.Instance.ID
	groupOf := func(name string) string {
		g, err := c.CreateApiGroupV2(&model.CreateApiGroupV2Request{InstanceId: inst, Body: &model.ApiGroupCreate{Name: name}})
		if err != nil {
			t.Fatal(err)
		}
		return g.Id
	}
	public, private := groupOf("public"), groupOf("private")
	bind := func(gid, name string, verify bool) (rootPEM string) {
		d, err := c.AssociateDomainV2(&model.AssociateDomainV2Request{InstanceId: inst, GroupId: gid, Body: &model.UrlDomainCreate{UrlDomain: strPtr(name)}})
		if err != nil {
			t.Fatal(err)
		}
		chain, key, root := leafFor(t, "p256", name)
		f := form(strings.ReplaceAll(name, ".", "_"), chain, key)
		pem := root.certPEM()
		f.TrustedRootCa = &pem
		cert, err := c.CreateCertificateV2(&model.CreateCertificateV2Request{Body: f})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.BatchAssociateCertsV2(&model.BatchAssociateCertsV2Request{InstanceId: inst, GroupId: gid, DomainId: *d.Id,
			Body: &model.AttachOrDetachCertsReqBody{CertificateIds: []string{*cert.Id}, VerifiedClientCertificateEnabled: &verify}}); err != nil {
			t.Fatal(err)
		}
		return pem
	}
	publicRoot := bind(public, "public.example.com", false)
	bind(private, "private.example.com", true)
	normal := model.GetApiCreateMatchModeEnum().NORMAL
	api, err := c.CreateApiV2(&model.CreateApiV2Request{InstanceId: inst, Body: &model.ApiCreate{
		Name: "secret", Type: model.GetApiCreateTypeEnum().E_1, ReqProtocol: model.GetApiCreateReqProtocolEnum().BOTH,
		ReqMethod: model.GetApiCreateReqMethodEnum().GET, ReqUri: "/secret", AuthType: model.GetApiCreateAuthTypeEnum().NONE,
		MatchMode: &normal, BackendType: model.GetApiCreateBackendTypeEnum().MOCK, GroupId: private,
		MockInfo: &model.ApiMockCreate{ResultContent: sp("private data")},
	}})
	if err != nil {
		t.Fatalf("CreateApiV2: %v", err)
	}
	publishAPI(t, c, inst, *api.Id)
	ca := t.TempDir() + "/public-root.pem"
	if err := os.WriteFile(ca, []byte(publicRoot), 0o600); err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(s.gw.https.Addr().String())
	run := func(args ...string) string {
		out, _ := exec.Command(curl, append([]string{"-sS", "-w", "\n%{http_code}"}, args...)...).CombinedOutput()
		return string(out)
	}
	// The published API is served, to its verified clients only: without
	// a certificate the handshake on private.example.com fails, and a
	// Host of it on the public name's connection is 421.
	waitFor(t, "the private API published", func() string {
		out := run("--cacert", ca, "--resolve", "public.example.com:"+port+":127.0.0.1", "-H", "Host: private.example.com",
			"https://public.example.com:"+port+"/secret")
		if !strings.HasSuffix(out, "\n421") {
			return out
		}
		return ""
	})
	for _, host := range []string{"private.example.com..", "PRIVATE.example.com..:" + port} {
		out := run("--cacert", ca, "--resolve", "public.example.com:"+port+":127.0.0.1", "-H", "Host: "+host,
			"https://public.example.com:"+port+"/secret")
		t.Logf("curl -H 'Host: %s' https://public.example.com:%s/secret → %q", host, port, out)
		if strings.Contains(out, "private data") {
			t.Errorf("HTTPS without a client certificate, Host %q: the verifying domain's API answered: %q", host, out)
		}
		out = run("-H", "Host: "+host, "http://"+s.gw.http.Addr().String()+"/secret")
		t.Logf("curl -H 'Host: %s' http://%s/secret → %q", host, s.gw.http.Addr(), out)
		if strings.Contains(out, "private data") {
			t.Errorf("plain HTTP, Host %q: the verifying domain's API answered: %q", host, out)
		}
	}
}
