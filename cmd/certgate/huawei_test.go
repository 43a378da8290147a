package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/basic"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/sdkerr"
	apig "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/apig/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/apig/v2/model"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/accounts"
	"github.com/certgate/certgate/auth/hwsign"
	"github.com/certgate/certgate/internal/sign"
	"github.com/certgate/certgate/pki"
)

// hwClient returns the official Huawei SDK's APIG v2 client for an account.
func (s *testServer) hwClient(acct *accounts.Created, projectID string) *apig.ApigClient {
	s.t.Helper()
	if projectID == "" {
		projectID = acct.Account.ProjectID
	}
	cred, err := basic.NewCredentialsBuilder().WithAk(acct.AccessKeyID).WithSk(acct.SecretAccessKey).WithProjectId(projectID).SafeBuild()
	if err != nil {
		s.t.Fatal(err)
	}
	hc, err := apig.ApigClientBuilder().WithEndpoints([]string{s.URL()}).WithCredential(cred).SafeBuild()
	if err != nil {
		s.t.Fatal(err)
	}
	return apig.NewApigClient(hc)
}

// hwErr returns the status and APIG code of an SDK error.
func hwErr(err error) (int, string, string) {
	var se *sdkerr.ServiceResponseError
	if errors.As(err, &se) {
		return se.StatusCode, se.ErrorCode, se.ErrorMessage
	}
	return 0, "", fmt.Sprint(err)
}

func form(name, certPEM, keyPEM string) *model.CertificateForm {
	return &model.CertificateForm{Name: name, CertContent: certPEM, PrivateKey: keyPEM}
}

var hexID = regexp.MustCompile(`^[0-9a-f]{32}$`)

func TestHuaweiCertificateLifecycle(t *testing.T) {
	s := startServer(t, nil)
	c := s.hwClient(s.Bootstrap, "")
	project := s.Bootstrap.Account.ProjectID
	chain := newChain(t, "rsa")

	f := form("cert_demo", chain.chainPEM(), chain.leaf.keyPEM(t))
	ca := chain.root.certPEM()
	f.TrustedRootCa = &ca
	created, err := c.CreateCertificateV2(&model.CreateCertificateV2Request{Body: f})
	if err != nil {
		t.Fatalf("CreateCertificateV2: %v", err)
	}
	id := *created.Id
	if !hexID.MatchString(id) {
		t.Errorf("id %q is not 32 hex characters", id)
	}
	leaf := chain.leaf.cert
	checks := map[string][2]string{
		"name":                {*created.Name, "cert_demo"},
		"type":                {created.Type.Value(), "global"},
		"instance_id":         {*created.InstanceId, "common"},
		"project_id":          {*created.ProjectId, project},
		"common_name":         {*created.CommonName, "www.example.com"},
		"san":                 {strings.Join(*created.San, ","), "www.example.com,example.com"},
		"signature_algorithm": {*created.SignatureAlgorithm, "ECDSA-SHA256"}, // signed by the P-256 intermediate
		"algorithm_type":      {created.AlgorithmType.Value(), "RSA"},
		"serial_number":       {*created.SerialNumber, leaf.SerialNumber.String()},
		"organization":        {strings.Join(*created.Organization, ","), "Example GmbH"},
		"country":             {strings.Join(*created.Country, ","), "DE"},
		"locality":            {strings.Join(*created.Locality, ","), "Berlin"},
		"issuer":              {strings.Join(*created.Issuer, ","), "certgate tests"},
		"not_after":           {time.Time(*created.NotAfter).UTC().Format(time.RFC3339), leaf.NotAfter.UTC().Format(time.RFC3339)},
		"not_before":          {time.Time(*created.NotBefore).UTC().Format(time.RFC3339), leaf.NotBefore.UTC().Format(time.RFC3339)},
	}
	for field, gw := range checks {
		if gw[0] != gw[1] {
			t.Errorf("%s = %q, want %q", field, gw[0], gw[1])
		}
	}
	if created.IsHasTrustedRootCa == nil || !*created.IsHasTrustedRootCa || *created.Version != 3 {
		t.Errorf("is_has_trusted_root_ca %v version %v", created.IsHasTrustedRootCa, created.Version)
	}

	shown, err := c.ShowDetailsOfCertificateV2(&model.ShowDetailsOfCertificateV2Request{CertificateId: id})
	if err != nil {
		t.Fatalf("ShowDetailsOfCertificateV2: %v", err)
	}
	if *shown.Name != "cert_demo" || *shown.SerialNumber != *created.SerialNumber || !time.Time(*shown.CreateTime).Equal(time.Time(*created.CreateTime)) {
		t.Errorf("show differs from create: %v", shown)
	}

	// Update: a new ECDSA certificate, key and name; create_time stays.
	time.Sleep(1100 * time.Millisecond) // times have one-second resolution on the wire
	next := newChain(t, "p384")
	upd, err := c.UpdateCertificateV2(&model.UpdateCertificateV2Request{CertificateId: id, Body: form("cert_renamed", next.chainPEM(), next.leaf.keyPEM(t))})
	if err != nil {
		t.Fatalf("UpdateCertificateV2: %v", err)
	}
	if *upd.Name != "cert_renamed" || upd.AlgorithmType.Value() != "ECC" || *upd.SerialNumber != next.leaf.cert.SerialNumber.String() {
		t.Errorf("update: name %s alg %s serial %s", *upd.Name, upd.AlgorithmType.Value(), *upd.SerialNumber)
	}
	if !time.Time(*upd.CreateTime).Equal(time.Time(*created.CreateTime)) || !time.Time(*upd.UpdateTime).After(time.Time(*created.UpdateTime)) {
		t.Errorf("update times: create %v -> %v, update %v -> %v", created.CreateTime, upd.CreateTime, created.UpdateTime, upd.UpdateTime)
	}
	if !*upd.IsHasTrustedRootCa {
		t.Error("update without trusted_root_ca dropped the CA")
	}
	// The stored key is the new one.
	key, err := s.Certs.PrivateKey(context.Background(), certgate.Scope{AccountID: s.Bootstrap.Account.ID}, certgate.KindServer, id)
	if err != nil || !pki.PublicKeysEqual(key.Public(), next.leaf.key.Public()) {
		t.Errorf("stored key after update: %v", err)
	}

	del, err := c.DeleteCertificateV2(&model.DeleteCertificateV2Request{CertificateId: id})
	if err != nil || del.HttpStatusCode != 204 {
		t.Fatalf("DeleteCertificateV2: %v %v", del, err)
	}
	_, err = c.ShowDetailsOfCertificateV2(&model.ShowDetailsOfCertificateV2Request{CertificateId: id})
	if st, code, _ := hwErr(err); st != 404 || code != "APIG.3021" {
		t.Errorf("show after delete: %d %s (%v)", st, code, err)
	}
	_, err = c.DeleteCertificateV2(&model.DeleteCertificateV2Request{CertificateId: id})
	if st, code, _ := hwErr(err); st != 404 || code != "APIG.3021" {
		t.Errorf("second delete: %d %s", st, code)
	}
	assertNoSecrets(t, "server log", s.logs.String(), s.Bootstrap.SecretAccessKey)
}

func TestHuaweiListFilters(t *testing.T) {
	s := startServer(t, nil)
	c := s.hwClient(s.Bootstrap, "")
	type up struct{ name, alg, inst string }
	uploads := []up{{"rsa_one", "rsa", ""}, {"ecc_one", "p256", ""}, {"ecc_two", "p256", "f0fa1789-3b76-433b-a787-9892951c620e"}, {"rsa_two", "rsa", "f0fa1789-3b76-433b-a787-9892951c620e"}, {"ecc_three", "p384", ""}}
	for _, u := range uploads {
		ch := newChain(t, u.alg)
		f := form(u.name, ch.chainPEM(), ch.leaf.keyPEM(t))
		if u.inst != "" {
			typ := model.GetCertificateFormTypeEnum().INSTANCE
			f.Type, f.InstanceId = &typ, &u.inst
		}
		if _, err := c.CreateCertificateV2(&model.CreateCertificateV2Request{Body: f}); err != nil {
			t.Fatalf("create %s: %v", u.name, err)
		}
	}
	names := func(r *model.ListCertificatesV2Response) string {
		var out []string
		for _, c := range *r.Certs {
			out = append(out, *c.Name)
		}
		return strings.Join(out, ",")
	}
	str := func(s string) *string { return &s }
	i32 := func(n int32) *int32 { return &n }
	i64 := func(n int64) *int64 { return &n }
	ecc := model.GetListCertificatesV2RequestAlgorithmTypeEnum().ECC
	instance := model.GetListCertificatesV2RequestTypeEnum().INSTANCE
	global := model.GetListCertificatesV2RequestTypeEnum().GLOBAL
	cases := []struct {
		name  string
		req   model.ListCertificatesV2Request
		want  string
		total int64
	}{
		{"all", model.ListCertificatesV2Request{}, "rsa_one,ecc_one,ecc_two,rsa_two,ecc_three", 5},
		{"page", model.ListCertificatesV2Request{Offset: i64(1), Limit: i32(2)}, "ecc_one,ecc_two", 5},
		{"offset past end", model.ListCertificatesV2Request{Offset: i64(10)}, "", 5},
		{"negative offset clamps", model.ListCertificatesV2Request{Offset: i64(-3), Limit: i32(1)}, "rsa_one", 5},
		{"limit 0 means 20", model.ListCertificatesV2Request{Limit: i32(0)}, "rsa_one,ecc_one,ecc_two,rsa_two,ecc_three", 5},
		{"name", model.ListCertificatesV2Request{Name: str("ecc_two")}, "ecc_two", 1},
		{"common_name", model.ListCertificatesV2Request{CommonName: str("www.example.com")}, "rsa_one,ecc_one,ecc_two,rsa_two,ecc_three", 5},
		{"algorithm ECC", model.ListCertificatesV2Request{AlgorithmType: &ecc}, "ecc_one,ecc_two,ecc_three", 3},
		{"type instance", model.ListCertificatesV2Request{Type: &instance}, "ecc_two,rsa_two", 2},
		{"type global", model.ListCertificatesV2Request{Type: &global}, "rsa_one,ecc_one,ecc_three", 3},
		{"instance_id", model.ListCertificatesV2Request{InstanceId: "f0fa1789-3b76-433b-a787-9892951c620e"}, "ecc_two,rsa_two", 2},
		{"instance_id common", model.ListCertificatesV2Request{InstanceId: "common"}, "rsa_one,ecc_one,ecc_three", 3},
		{"signature_algorithm", model.ListCertificatesV2Request{SignatureAlgorithm: str("ECDSA-SHA256")}, "rsa_one,ecc_one,ecc_two,rsa_two,ecc_three", 5},
		{"no match", model.ListCertificatesV2Request{Name: str("nope")}, "", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := tc.req
			r, err := c.ListCertificatesV2(&req)
			if err != nil {
				t.Fatal(err)
			}
			if got := names(r); got != tc.want || r.Total != tc.total || int(r.Size) != len(*r.Certs) {
				t.Errorf("got %q (size %d, total %d), want %q total %d", got, r.Size, r.Total, tc.want, tc.total)
			}
		})
	}
	// Limit over 500 clamps rather than failing.
	resp, body := s.hwDo(s.Bootstrap, "GET", "/apigw/certificates?limit=9999&offset=abc", nil)
	if resp.StatusCode != 400 || !strings.Contains(string(body), "APIG.2012") {
		t.Errorf("bad offset: %d %s", resp.StatusCode, body)
	}
	resp, body = s.hwDo(s.Bootstrap, "GET", "/apigw/certificates?limit=9999", nil)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"size":5`) {
		t.Errorf("limit 9999: %d %s", resp.StatusCode, body)
	}
}

// hwDo sends a request signed with SDK-HMAC-SHA256 to /v2/{project}+path.
func (s *testServer) hwDo(acct *accounts.Created, method, path string, body []byte) (*http.Response, []byte) {
	s.t.Helper()
	req, err := http.NewRequest(method, s.URL()+"/v2/"+acct.Account.ProjectID+path, bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json;charset=UTF-8")
	req.Header.Set("X-Project-Id", acct.Account.ProjectID)
	if err := sign.Huawei(hwsign.CanonicalRequest, req, body, acct.AccessKeyID, acct.SecretAccessKey, nil, time.Now()); err != nil {
		s.t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func TestHuaweiUploadValidation(t *testing.T) {
	s := startServer(t, nil)
	c := s.hwClient(s.Bootstrap, "")
	good := newChain(t, "p256")
	other := newChain(t, "p256")
	expired := issue(t, "p256", certOpts{cn: "old.example.com", dns: []string{"old.example.com"}, notBefore: time.Now().Add(-48 * time.Hour), notAfter: time.Now().Add(-24 * time.Hour)}, &good.inter)
	weak := issue(t, "p256", certOpts{cn: "x"}, nil)
	_ = weak
	str := func(s string) *string { return &s }

	typeInstance := model.GetCertificateFormTypeEnum().INSTANCE
	cases := []struct {
		name   string
		f      *model.CertificateForm
		status int
		code   string
	}{
		{"wrong order", form("wrong_order", good.inter.certPEM()+good.leaf.certPEM(), good.leaf.keyPEM(t)), 400, "APIG.2104"},
		{"unrelated intermediate", form("unrelated", good.leaf.certPEM()+other.inter.certPEM(), good.leaf.keyPEM(t)), 400, "APIG.2104"},
		{"garbage certificate", form("garbage", "not a certificate", good.leaf.keyPEM(t)), 400, "APIG.2106"},
		{"garbage key", form("garbage_key", good.chainPEM(), "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), 400, "APIG.2106"},
		{"mismatched key", form("mismatch", good.chainPEM(), other.leaf.keyPEM(t)), 400, "APIG.2101"},
		{"expired", form("expired", expired.certPEM()+good.inter.certPEM(), expired.keyPEM(t)), 400, "APIG.2102"},
		{"encrypted key", form("encrypted", good.chainPEM(), "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIBvTBXBgkqhkiG9w0BBQ0wSjApBgkqhkiG9w0BBQwwHAQI\n-----END ENCRYPTED PRIVATE KEY-----\n"), 400, "APIG.2105"},
		{"bad name: digit first", form("1cert", good.chainPEM(), good.leaf.keyPEM(t)), 400, "APIG.2012"},
		{"bad name: too short", form("abc", good.chainPEM(), good.leaf.keyPEM(t)), 400, "APIG.2012"},
		{"bad name: hyphen", form("cert-demo", good.chainPEM(), good.leaf.keyPEM(t)), 400, "APIG.2012"},
		{"bad name: too long", form("c"+strings.Repeat("x", 50), good.chainPEM(), good.leaf.keyPEM(t)), 400, "APIG.2012"},
		{"missing name", form("", good.chainPEM(), good.leaf.keyPEM(t)), 400, "APIG.2001"},
		{"missing certificate", form("no_cert", "", good.leaf.keyPEM(t)), 400, "APIG.2001"},
		{"instance without id", &model.CertificateForm{Name: "inst_cert", CertContent: good.chainPEM(), PrivateKey: good.leaf.keyPEM(t), Type: &typeInstance}, 400, "APIG.2001"},
		{"CA bundle with a leaf", &model.CertificateForm{Name: "bad_ca", CertContent: good.chainPEM(), PrivateKey: good.leaf.keyPEM(t), TrustedRootCa: str(other.leaf.certPEM())}, 400, "APIG.2012"},
		{"oversized certificate", form("huge", good.chainPEM()+strings.Repeat("A", 70000), good.leaf.keyPEM(t)), 400, "APIG.2003"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.CreateCertificateV2(&model.CreateCertificateV2Request{Body: tc.f})
			st, code, msg := hwErr(err)
			if st != tc.status || code != tc.code {
				t.Fatalf("got %d %s %q, want %d %s", st, code, msg, tc.status, tc.code)
			}
			keyBody := strings.Split(good.leaf.keyPEM(t), "\n")[1]
			if strings.Contains(msg, "PRIVATE KEY-----") || strings.Contains(msg, keyBody[:40]) || strings.Contains(msg, "MII") {
				t.Errorf("message echoes key or certificate material: %q", msg)
			}
		})
	}
	// Names are unique in a project: 409 APIG.3405.
	if _, err := c.CreateCertificateV2(&model.CreateCertificateV2Request{Body: form("unique_name", good.chainPEM(), good.leaf.keyPEM(t))}); err != nil {
		t.Fatal(err)
	}
	_, err := c.CreateCertificateV2(&model.CreateCertificateV2Request{Body: form("unique_name", other.chainPEM(), other.leaf.keyPEM(t))})
	if st, code, _ := hwErr(err); st != 409 || code != "APIG.3405" {
		t.Errorf("duplicate name: %d %s (%v)", st, code, err)
	}
	// A certificate with two intermediates is fine.
	inter2 := issue(t, "p256", certOpts{cn: "Second Intermediate", ca: true}, &good.inter)
	leaf2 := issue(t, "rsa", certOpts{cn: "deep.example.com", dns: []string{"deep.example.com"}}, &inter2)
	if _, err := c.CreateCertificateV2(&model.CreateCertificateV2Request{Body: form("two_inters", leaf2.certPEM()+inter2.certPEM()+good.inter.certPEM(), leaf2.keyPEM(t))}); err != nil {
		t.Errorf("two intermediates: %v", err)
	}
	// Nothing failed wrote anything.
	r, err := c.ListCertificatesV2(&model.ListCertificatesV2Request{})
	if err != nil || r.Total != 2 {
		t.Errorf("after rejections: total %v, %v", r, err)
	}
}

func TestHuaweiTenantIsolation(t *testing.T) {
	s := startServer(t, nil)
	alice := s.hwClient(s.Bootstrap, "")
	bobAcct := s.newAccount()
	bob := s.hwClient(bobAcct, "")
	ch := newChain(t, "p256")
	created, err := alice.CreateCertificateV2(&model.CreateCertificateV2Request{Body: form("alice_cert", ch.chainPEM(), ch.leaf.keyPEM(t))})
	if err != nil {
		t.Fatal(err)
	}
	id := *created.Id
	// Bob, in his own project, cannot see alice's certificate: 404.
	_, err = bob.ShowDetailsOfCertificateV2(&model.ShowDetailsOfCertificateV2Request{CertificateId: id})
	if st, code, _ := hwErr(err); st != 404 || code != "APIG.3021" {
		t.Errorf("bob show: %d %s", st, code)
	}
	_, err = bob.DeleteCertificateV2(&model.DeleteCertificateV2Request{CertificateId: id})
	if st, code, _ := hwErr(err); st != 404 || code != "APIG.3021" {
		t.Errorf("bob delete: %d %s", st, code)
	}
	_, err = bob.UpdateCertificateV2(&model.UpdateCertificateV2Request{CertificateId: id, Body: form("stolen_cert", ch.chainPEM(), ch.leaf.keyPEM(t))})
	if st, code, _ := hwErr(err); st != 404 || code != "APIG.3021" {
		t.Errorf("bob update: %d %s", st, code)
	}
	list, err := bob.ListCertificatesV2(&model.ListCertificatesV2Request{})
	if err != nil || list.Total != 0 {
		t.Errorf("bob list: %v %v", list, err)
	}
	// Bob naming alice's project: 403 APIG.1005.
	bobInAlice := s.hwClient(bobAcct, s.Bootstrap.Account.ProjectID)
	_, err = bobInAlice.ListCertificatesV2(&model.ListCertificatesV2Request{})
	if st, code, _ := hwErr(err); st != 403 || code != "APIG.1005" {
		t.Errorf("bob in alice's project: %d %s", st, code)
	}
	// The same name in another project is fine.
	if _, err := bob.CreateCertificateV2(&model.CreateCertificateV2Request{Body: form("alice_cert", ch.chainPEM(), ch.leaf.keyPEM(t))}); err != nil {
		t.Errorf("same name in bob's project: %v", err)
	}
	if _, err := alice.ShowDetailsOfCertificateV2(&model.ShowDetailsOfCertificateV2Request{CertificateId: id}); err != nil {
		t.Errorf("alice's certificate after bob's attempts: %v", err)
	}
}

func TestHuaweiAuthentication(t *testing.T) {
	s := startServer(t, nil)
	acct := s.Bootstrap
	wrong := *acct
	wrong.SecretAccessKey = "not-the-secret"
	_, err := s.hwClient(&wrong, acct.Account.ProjectID).ListCertificatesV2(&model.ListCertificatesV2Request{})
	if st, code, msg := hwErr(err); st != 401 || code != "APIGW.0301" || !strings.Contains(msg, "verify aksk signature fail") {
		t.Errorf("wrong secret: %d %s %q", st, code, msg)
	}
	unknown := *acct
	unknown.AccessKeyID = "CGAKAAAAAAAAAAAAAAAA"
	_, err = s.hwClient(&unknown, acct.Account.ProjectID).ListCertificatesV2(&model.ListCertificatesV2Request{})
	if st, code, msg := hwErr(err); st != 401 || code != "APIGW.0301" || !strings.Contains(msg, "not exist") {
		t.Errorf("unknown key: %d %s %q", st, code, msg)
	}

	base := s.URL() + "/v2/" + acct.Account.ProjectID + "/apigw/certificates"
	tokenReq := func(method, url, token string, body []byte) (*http.Response, map[string]string) {
		t.Helper()
		req, _ := http.NewRequest(method, url, bytes.NewReader(body))
		if token != "" {
			req.Header.Set("X-Auth-Token", token)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]string
		b, _ := io.ReadAll(resp.Body)
		_ = json.Unmarshal(b, &out)
		if resp.StatusCode >= 400 && (out["error_code"] == "" || out["request_id"] == "" || resp.Header.Get("X-Request-Id") != out["request_id"]) {
			t.Errorf("%s %s: error body %s lacks error_code or request_id", method, url, b)
		}
		return resp, out
	}
	resp, out := tokenReq("GET", base, "", nil)
	if resp.StatusCode != 401 || out["error_code"] != "APIG.1000" {
		t.Errorf("no token: %d %v", resp.StatusCode, out)
	}
	resp, out = tokenReq("GET", base, "cgt_garbage", nil)
	if resp.StatusCode != 401 || out["error_code"] != "APIG.1002" {
		t.Errorf("bad token: %d %v", resp.StatusCode, out)
	}

	// A real token, issued the way `certgate token create` does.
	token, expires, err := s.Accounts.CreateToken(context.Background(), acct.AccessKeyID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Until(expires); d < 59*time.Minute || d > time.Hour {
		t.Errorf("expiresAt %v", expires)
	}
	ch := newChain(t, "p256")
	body, _ := json.Marshal(map[string]string{"name": "token_cert", "cert_content": ch.chainPEM(), "private_key": ch.leaf.keyPEM(t)})
	resp, out = tokenReq("POST", base, token, body)
	if resp.StatusCode != 200 || !hexID.MatchString(out["id"]) {
		t.Fatalf("create with token: %d %v", resp.StatusCode, out)
	}
	resp, _ = tokenReq("GET", base+"/"+out["id"], token, nil)
	if resp.StatusCode != 200 {
		t.Errorf("show with token: %d", resp.StatusCode)
	}
	// Another tenant's project with a valid token: 403.
	other := s.newAccount()
	resp, out = tokenReq("GET", s.URL()+"/v2/"+other.Account.ProjectID+"/apigw/certificates", token, nil)
	if resp.StatusCode != 403 || out["error_code"] != "APIG.1005" {
		t.Errorf("other project: %d %v", resp.StatusCode, out)
	}
	// An expired token: APIG.1001.
	expiredTok, hash, err := accounts.NewToken(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := s.Store.CreateToken(context.Background(), &certgate.Token{Hash: hash, AccessKeyID: acct.AccessKeyID, AccountID: acct.Account.ID, CreatedAt: now.Add(-2 * time.Hour), ExpiresAt: now.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	resp, out = tokenReq("GET", base, expiredTok, nil)
	if resp.StatusCode != 401 || out["error_code"] != "APIG.1001" {
		t.Errorf("expired token: %d %v", resp.StatusCode, out)
	}
	// Routes and methods the dialect does not serve.
	// (This used to be /apigw/instances, which issue 9 serves.)
	resp, out = tokenReq("GET", s.URL()+"/v2/"+acct.Account.ProjectID+"/apigw/no-such-resources", token, nil)
	if resp.StatusCode != 404 || out["error_code"] != "APIG.0101" {
		t.Errorf("unknown route: %d %v", resp.StatusCode, out)
	}
	resp, out = tokenReq("PATCH", base, token, nil)
	if resp.StatusCode != 405 || out["error_code"] != "APIG.0101" {
		t.Errorf("wrong method: %d %v", resp.StatusCode, out)
	}
	// The raw token is not in the database.
	raw := s.rawDatabase()
	if bytes.Contains(raw, []byte(token)) || !bytes.Contains(raw, []byte(accounts.HashToken(token))) {
		t.Error("the database holds the raw token, or not its hash")
	}
	assertNoSecrets(t, "server log", s.logs.String(), acct.SecretAccessKey, token)
}

func TestHuaweiBadInput(t *testing.T) {
	s := startServer(t, func(c *Config) { c.MaxBodyBytes = 200_000 })
	cases := []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"malformed json", "POST", "/apigw/certificates", `{"name":`, 400, "APIG.2000"},
		{"wrong type", "POST", "/apigw/certificates", `{"name": 5}`, 400, "APIG.2000"},
		{"invalid utf-8", "POST", "/apigw/certificates", "{\"name\": \"\xff\"}", 400, "APIG.2000"},
		{"too large", "POST", "/apigw/certificates", `{"name": "` + strings.Repeat("a", 210_000) + `"}`, 413, "APIG.2000"},
		{"bad type", "POST", "/apigw/certificates", `{"name":"abcd","type":"weird","cert_content":"x","private_key":"y"}`, 400, "APIG.2012"},
		{"bad list type", "GET", "/apigw/certificates?type=weird", "", 400, "APIG.2012"},
		{"bad algorithm filter", "GET", "/apigw/certificates?algorithm_type=DSA", "", 400, "APIG.2012"},
		{"over-long id", "GET", "/apigw/certificates/" + strings.Repeat("a", 200), "", 400, "APIG.2012"},
		{"unknown id", "GET", "/apigw/certificates/0123456789abcdef0123456789abcdef", "", 404, "APIG.3021"},
		{"update unknown id", "PUT", "/apigw/certificates/0123456789abcdef0123456789abcdef", `{"name":"abcd","cert_content":"x","private_key":"y"}`, 404, "APIG.3021"},
		{"update without name", "PUT", "/apigw/certificates/0123456789abcdef0123456789abcdef", `{"cert_content":"x"}`, 400, "APIG.2001"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := s.hwDo(s.Bootstrap, tc.method, tc.path, []byte(tc.body))
			var out map[string]string
			if err := json.Unmarshal(body, &out); err != nil || resp.StatusCode != tc.status || out["error_code"] != tc.code {
				t.Errorf("%d %s, want %d %s", resp.StatusCode, body, tc.status, tc.code)
			}
		})
	}
	if strings.Contains(s.logs.String(), "level=ERROR") {
		t.Errorf("bad input logged errors:\n%s", s.logs.String())
	}
}
