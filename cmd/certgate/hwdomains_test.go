package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/apig/v2/model"
)

func i32(v int32) *int32 { return &v }

func TestHuaweiCustomDomains(t *testing.T) {
	// An API-only node: the addresses give the ingress ports only.
	s := startServer(t, func(c *Config) {
		c.Gateway, c.GatewayHTTPAddr, c.GatewayHTTPSAddr = "off", "127.0.0.1:8081", "0.0.0.0:9443"
	})
	owner := s.Bootstrap
	c := s.hwClient(owner, "")
	inst := owner.Instance.ID
	h := gatewayHelpers{t, s}
	rev, wantErr := h.rev, h.wantErr
	group, err := c.CreateApiGroupV2(&model.CreateApiGroupV2Request{InstanceId: inst, Body: &model.ApiGroupCreate{Name: "domains_demo"}})
	if err != nil {
		t.Fatal(err)
	}
	gid := group.Id
	associate := func(gid, name string, httpPort, httpsPort *int32) (*model.AssociateDomainV2Response, error) {
		return c.AssociateDomainV2(&model.AssociateDomainV2Request{InstanceId: inst, GroupId: gid,
			Body: &model.UrlDomainCreate{UrlDomain: &name, IngressHttpPort: httpPort, IngressHttpsPort: httpsPort}})
	}

	r0 := rev()
	exact, err := associate(gid, "API.Example.com", nil, nil)
	if err != nil {
		t.Fatalf("AssociateDomainV2: %v", err)
	}
	t.Logf("AssociateDomainV2: %d id=%s url_domain=%s min_ssl_version=%s ports=%d/%d", exact.HttpStatusCode, *exact.Id,
		*exact.UrlDomain, *exact.MinSslVersion, *exact.IngressHttpPort, *exact.IngressHttpsPort)
	if exact.HttpStatusCode != http.StatusCreated || !hexID.MatchString(*exact.Id) || *exact.UrlDomain != "api.example.com" ||
		*exact.MinSslVersion != "TLSv1.1" || *exact.IngressHttpPort != 8081 || *exact.IngressHttpsPort != 9443 ||
		*exact.IsHttpRedirectToHttps || *exact.VerifiedClientCertificateEnabled {
		t.Errorf("AssociateDomainV2 answered %+v", exact)
	}
	tls12 := model.GetUrlDomainCreateMinSslVersionEnum().TL_SV1_2
	redirect := true
	wildName := "*.example.com"
	wild, err := c.AssociateDomainV2(&model.AssociateDomainV2Request{InstanceId: inst, GroupId: gid, Body: &model.UrlDomainCreate{
		UrlDomain: &wildName, MinSslVersion: &tls12, IsHttpRedirectToHttps: &redirect, IngressHttpPort: i32(-1), IngressHttpsPort: i32(9443)}})
	if err != nil {
		t.Fatalf("AssociateDomainV2(wildcard): %v", err)
	}
	if *wild.MinSslVersion != "TLSv1.2" || !*wild.IsHttpRedirectToHttps || *wild.IngressHttpPort != -1 || *wild.IngressHttpsPort != 9443 {
		t.Errorf("AssociateDomainV2(wildcard) answered %+v", wild)
	}
	if got := rev(); got != r0+2 {
		t.Errorf("revision after two AssociateDomainV2: %d, want %d", got, r0+2)
	}

	// The group lists them, as Terraform reads them back.
	shown, err := c.ShowDetailsOfApiGroupV2(&model.ShowDetailsOfApiGroupV2Request{InstanceId: inst, GroupId: gid})
	if err != nil || shown.UrlDomains == nil || len(*shown.UrlDomains) != 2 {
		t.Fatalf("ShowDetailsOfApiGroupV2: %+v, %v; want 2 url_domains", shown, err)
	}
	if d := (*shown.UrlDomains)[1]; *d.Id != *wild.Id || *d.Domain != "*.example.com" || d.MinSslVersion == nil ||
		d.MinSslVersion.Value() != "TLSv1.2" || *d.IngressHttpPort != -1 || d.SslInfos == nil || len(*d.SslInfos) != 0 {
		t.Errorf("url_domains[1] = %+v", d)
	}

	// The rules.
	for _, bad := range []string{"nodot", "-a.example.com", "a..example.com", "*.com", "a.*.example.com", "**.example.com",
		"x." + strings.Repeat("a", 64) + ".com", "a.b.c.d.e.f.g.h.example.com", "a b.example.com", "a.example.c0m", "x.apic.certgate.local"} {
		_, err := associate(gid, bad, nil, nil)
		wantErr(fmt.Sprintf("url_domain %q", bad), err, 400, "APIG.2024")
	}
	_, err = associate(gid, "api.example.com", nil, nil)
	wantErr("the same name again", err, 400, "APIG.3305")
	_, err = associate(gid, "ports.example.com", i32(8081), nil)
	wantErr("one port without the other", err, 400, "APIG.2025")
	_, err = associate(gid, "ports.example.com", i32(8081), i32(70000))
	wantErr("a port above 49151", err, 400, "APIG.2025")
	_, err = associate(gid, "ports.example.com", i32(80), i32(9443))
	wantErr("port 80, where the gateway does not listen", err, 400, "APIG.2049")
	_, err = associate(gid, "ports.example.com", i32(8081), i32(8443))
	wantErr("port 8443, where the gateway does not listen", err, 400, "APIG.2049")
	_, err = associate(gid, "ports.example.com", i32(-1), i32(-1))
	wantErr("both ports off", err, 400, "APIG.2025")
	subst := map[string]string{gid: "<group-id>", *exact.Id: "<domain-id>", *wild.Id: "<domain-id-2>", inst: "<instance-id>"}
	for i := 3; i <= 5; i++ {
		d, err := associate(gid, fmt.Sprintf("d%d.example.com", i), i32(8081), i32(9443))
		if err != nil {
			t.Fatalf("domain %d: %v", i, err)
		}
		subst[*d.Id] = fmt.Sprintf("<domain-id-%d>", i)
	}
	_, err = associate(gid, "d6.example.com", nil, nil)
	wantErr("a sixth domain", err, 403, "APIG.3108")

	// Another tenant: its ids answer like missing ones; a name this tenant
	// holds is taken for it too.
	other := s.newAccount()
	oc := s.hwClient(other, "")
	og, err := oc.CreateApiGroupV2(&model.CreateApiGroupV2Request{InstanceId: other.Instance.ID, Body: &model.ApiGroupCreate{Name: "theirs"}})
	if err != nil {
		t.Fatal(err)
	}
	taken := "api.example.com"
	_, err = oc.AssociateDomainV2(&model.AssociateDomainV2Request{InstanceId: other.Instance.ID, GroupId: og.Id, Body: &model.UrlDomainCreate{UrlDomain: &taken}})
	wantErr("another tenant claiming a held name", err, 400, "APIG.3305")
	_, err = oc.AssociateDomainV2(&model.AssociateDomainV2Request{InstanceId: inst, GroupId: gid, Body: &model.UrlDomainCreate{UrlDomain: &taken}})
	wantErr("AssociateDomainV2 in another tenant's instance", err, 404, "APIG.3030")
	_, err = oc.AssociateDomainV2(&model.AssociateDomainV2Request{InstanceId: other.Instance.ID, GroupId: gid, Body: &model.UrlDomainCreate{UrlDomain: &taken}})
	wantErr("AssociateDomainV2 to another tenant's group", err, 404, "APIG.3001")
	_, err = oc.DisassociateDomainV2(&model.DisassociateDomainV2Request{InstanceId: other.Instance.ID, GroupId: og.Id, DomainId: *exact.Id})
	wantErr("DisassociateDomainV2 of another tenant's domain", err, 404, "APIG.3020")
	_, err = c.DisassociateDomainV2(&model.DisassociateDomainV2Request{InstanceId: inst, GroupId: gid, DomainId: "0123456789abcdef0123456789abcdef"})
	wantErr("DisassociateDomainV2 of a missing domain", err, 404, "APIG.3020")

	// UpdateDomainV2: "" for min_ssl_version (what the SDK sends when unset)
	// keeps it; the response is 201.
	r1 := rev()
	on := true
	upd, err := c.UpdateDomainV2(&model.UpdateDomainV2Request{InstanceId: inst, GroupId: gid, DomainId: *wild.Id,
		Body: &model.UrlDomainModify{IsHttpRedirectToHttps: new(bool), IngressHttpPort: i32(8081)}})
	if err != nil {
		t.Fatalf("UpdateDomainV2: %v", err)
	}
	t.Logf("UpdateDomainV2: %d min_ssl_version=%s redirect=%v ports=%d/%d", upd.HttpStatusCode, *upd.MinSslVersion,
		*upd.IsHttpRedirectToHttps, *upd.IngressHttpPort, *upd.IngressHttpsPort)
	if upd.HttpStatusCode != http.StatusCreated || *upd.MinSslVersion != "TLSv1.2" || *upd.IsHttpRedirectToHttps ||
		*upd.IngressHttpPort != 8081 || *upd.IngressHttpsPort != 9443 {
		t.Errorf("UpdateDomainV2 answered %+v", upd)
	}
	if got := rev(); got != r1+1 {
		t.Errorf("revision after UpdateDomainV2: %d, want %d", got, r1+1)
	}
	_, err = c.UpdateDomainV2(&model.UpdateDomainV2Request{InstanceId: inst, GroupId: gid, DomainId: *wild.Id,
		Body: &model.UrlDomainModify{VerifiedClientCertificateEnabled: &on}})
	wantErr("enabling client verification with no certificate bound", err, 400, "APIG.2012")
	_, err = c.UpdateDomainV2(&model.UpdateDomainV2Request{InstanceId: inst, GroupId: gid, DomainId: *wild.Id,
		Body: &model.UrlDomainModify{IngressHttpsPort: i32(443)}})
	wantErr("UpdateDomainV2 to port 443, where the gateway does not listen", err, 400, "APIG.2049")
	if got := rev(); got != r1+1 {
		t.Errorf("revision after refused updates: %d, want %d", got, r1+1)
	}

	for _, g := range []struct{ name, method, path, body string }{
		{"AssociateDomainV2", "POST", "/api-groups/" + og.Id + "/domains", `{"url_domain":"golden.example.org"}`},
		{"UpdateDomainV2", "PUT", "/api-groups/" + gid + "/domains/" + *wild.Id, `{"min_ssl_version":"","is_http_redirect_to_https":true}`},
		{"AssociateDomainV2.taken", "POST", "/api-groups/" + og.Id + "/domains", `{"url_domain":"api.example.com"}`},
		{"AssociateDomainV2.badport", "POST", "/api-groups/" + og.Id + "/domains", `{"url_domain":"p.example.com","ingress_http_port":80,"ingress_https_port":9443}`},
		{"AssociateDomainV2.sixth", "POST", "/api-groups/" + gid + "/domains", `{"url_domain":"six.example.com"}`},
		{"ShowDetailsOfApiGroupV2.domains", "GET", "/api-groups/" + gid, ""},
	} {
		acct, inst := owner, inst
		if strings.HasPrefix(g.path, "/api-groups/"+og.Id) {
			acct, inst = other, other.Instance.ID
			subst[og.Id], subst[other.Instance.ID] = "<group-id-2>", "<instance-id-2>"
		}
		resp, body := s.hwDo(acct, g.method, "/apigw/instances/"+inst+g.path, []byte(g.body))
		if g.name == "AssociateDomainV2" {
			var v struct{ ID string }
			_ = json.Unmarshal(body, &v)
			subst[v.ID] = "<domain-id-3>"
		}
		t.Logf("%s %s: %d", g.method, g.name, resp.StatusCode)
		checkGolden(t, g.name, body, subst)
	}

	// Disassociate, then the group's deletion takes the rest.
	del, err := c.DisassociateDomainV2(&model.DisassociateDomainV2Request{InstanceId: inst, GroupId: gid, DomainId: *exact.Id})
	if err != nil || del.HttpStatusCode != http.StatusNoContent {
		t.Fatalf("DisassociateDomainV2 = %+v, %v; want 204", del, err)
	}
	// Still under this tenant's *.example.com: the exact name would take
	// that name's traffic from the wildcard.
	_, err = oc.AssociateDomainV2(&model.AssociateDomainV2Request{InstanceId: other.Instance.ID, GroupId: og.Id,
		Body: &model.UrlDomainCreate{UrlDomain: &taken}})
	wantErr("another tenant claiming a name under a held wildcard", err, 400, "APIG.3305")
	if _, err := c.DisassociateDomainV2(&model.DisassociateDomainV2Request{InstanceId: inst, GroupId: gid, DomainId: *wild.Id}); err != nil {
		t.Fatal(err)
	}
	if _, err := oc.AssociateDomainV2(&model.AssociateDomainV2Request{InstanceId: other.Instance.ID, GroupId: og.Id,
		Body: &model.UrlDomainCreate{UrlDomain: &taken}}); err != nil {
		t.Errorf("a name freed by DisassociateDomainV2, claimed by another tenant: %v", err)
	}
	if _, err := c.DeleteApiGroupV2(&model.DeleteApiGroupV2Request{InstanceId: inst, GroupId: gid}); err != nil {
		t.Fatal(err)
	}
	if _, err := oc.AssociateDomainV2(&model.AssociateDomainV2Request{InstanceId: other.Instance.ID, GroupId: og.Id,
		Body: &model.UrlDomainCreate{UrlDomain: &wildName}}); err != nil {
		t.Errorf("a name freed by DeleteApiGroupV2: %v", err)
	}
}

func TestGatewayAddrsValidate(t *testing.T) {
	for _, bad := range []string{"", "8443", "127.0.0.1", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:https", "[::1]:-1"} {
		for _, field := range []string{"--gateway-http-addr", "--gateway-https-addr"} {
			cfg := testConfig(t.TempDir())
			cfg.MasterKeyFile, cfg.Gateway = "x", "off" // :0 is refused where nothing listens
			if field == "--gateway-http-addr" {
				cfg.GatewayHTTPAddr = bad
			} else {
				cfg.GatewayHTTPSAddr = bad
			}
			if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), field) {
				t.Errorf("%s %q: %v; want refused", field, bad, err)
			}
		}
	}
	cfg := testConfig(t.TempDir())
	cfg.MasterKeyFile = "x"
	cfg.GatewayHTTPAddr, cfg.GatewayHTTPSAddr = ":80", "[::]:443"
	if err := cfg.Validate(); err != nil {
		t.Errorf(":80 and [::]:443: %v", err)
	}
}

// TestHuaweiDeleteBoundCertificate binds a certificate to two domains and
// checks that
// DeleteCertificateV2 refuses it, naming how many domains hold it, until
// the domain is gone.
func TestHuaweiDeleteBoundCertificate(t *testing.T) {
	s := startServer(t, nil)
	owner := s.Bootstrap
	c := s.hwClient(owner, "")
	inst := owner.Instance.ID
	chain := newChain(t, "rsa")
	cert, err := c.CreateCertificateV2(&model.CreateCertificateV2Request{Body: form("bound_cert", chain.chainPEM(), chain.leaf.keyPEM(t))})
	if err != nil {
		t.Fatal(err)
	}
	group, err := c.CreateApiGroupV2(&model.CreateApiGroupV2Request{InstanceId: inst, Body: &model.ApiGroupCreate{Name: "bound_group"}})
	if err != nil {
		t.Fatal(err)
	}
	var domains []string
	for _, name := range []string{"www.example.com", "example.com"} {
		d, err := c.AssociateDomainV2(&model.AssociateDomainV2Request{InstanceId: inst, GroupId: group.Id, Body: &model.UrlDomainCreate{UrlDomain: &name}})
		if err != nil {
			t.Fatal(err)
		}
		domains = append(domains, *d.Id)
		if _, err := c.BatchAssociateCertsV2(&model.BatchAssociateCertsV2Request{InstanceId: inst, GroupId: group.Id, DomainId: *d.Id,
			Body: &model.AttachOrDetachCertsReqBody{CertificateIds: []string{*cert.Id}}}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = c.DeleteCertificateV2(&model.DeleteCertificateV2Request{CertificateId: *cert.Id})
	st, code, msg := hwErr(err)
	t.Logf("DeleteCertificateV2 of a certificate bound to 2 domains: %d %s %q", st, code, msg)
	if st != http.StatusConflict || code != "APIG.3416" || !strings.Contains(msg, "bound to 2 domain") {
		t.Errorf("DeleteCertificateV2 of a bound certificate: %d %s %q; want 409 APIG.3416 naming 2 domains", st, code, msg)
	}
	if _, err := c.ShowDetailsOfCertificateV2(&model.ShowDetailsOfCertificateV2Request{CertificateId: *cert.Id}); err != nil {
		t.Errorf("the refused delete removed the certificate: %v", err)
	}
	resp, body := s.hwDo(owner, "DELETE", "/apigw/certificates/"+*cert.Id, nil)
	if resp.StatusCode != http.StatusConflict {
		t.Errorf("DELETE of a bound certificate: %d", resp.StatusCode)
	}
	checkGolden(t, "DeleteCertificateV2.bound", body, map[string]string{})
	// Unbinding goes with the domain; then the certificate can go.
	for _, id := range domains {
		if _, err := c.DisassociateDomainV2(&model.DisassociateDomainV2Request{InstanceId: inst, GroupId: group.Id, DomainId: id}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.DeleteCertificateV2(&model.DeleteCertificateV2Request{CertificateId: *cert.Id}); err != nil {
		t.Errorf("DeleteCertificateV2 once no domain holds it: %v", err)
	}
}
