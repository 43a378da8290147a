package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/pki"
	"github.com/certgate/certgate/store"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/apig/v2/model"
)

// backendConfig is the feature's config string, as Terraform sends it.
func backendConfig(t *testing.T, enable string, leaf issued, keyPEM string, ca issued) string {
	t.Helper()
	b, err := json.Marshal(map[string]string{"enable": enable, "ca": ca.certPEM(), "content": leaf.certPEM(), "key": keyPEM})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestHuaweiBackendClientCertificate sets the instance feature
// backend_client_certificate through the SDK: the key is validated like an
// upload's, sealed at rest and never answered, the write moves the
// revision, and an API with enable_client_ssl sits beside it.
func TestHuaweiBackendClientCertificate(t *testing.T) {
	s := startServer(t, nil)
	owner := s.Bootstrap
	c := s.hwClient(owner, "")
	inst := owner.Instance.ID
	h := gatewayHelpers{t, s}
	rev, wantErr := h.rev, h.wantErr
	root := issue(t, "p256", certOpts{cn: "Backend CA", ca: true, notAfter: time.Now().Add(365 * 24 * time.Hour)}, nil)
	leaf := issue(t, "p256", certOpts{cn: "gateway-client"}, &root)
	set := func(inst, name string, enable bool, cfg string) (*model.CreateFeatureV2Response, error) {
		return c.CreateFeatureV2(&model.CreateFeatureV2Request{InstanceId: inst, Body: &model.FeatureToggle{Name: name, Enable: enable, Config: &cfg}})
	}

	r0 := rev()
	keyPEM := leaf.keyPEM(t)
	got, err := set(inst, "backend_client_certificate", true, backendConfig(t, "on", leaf, keyPEM, root))
	if err != nil {
		t.Fatalf("CreateFeatureV2: %v", err)
	}
	t.Logf("CreateFeatureV2: %d id=%s name=%s enable=%v instance=%s config=%.60s...", got.HttpStatusCode, *got.Id, *got.Name, *got.Enable, *got.InstanceId, *got.Config)
	var cfg map[string]string
	if err := json.Unmarshal([]byte(*got.Config), &cfg); err != nil {
		t.Fatalf("config is not a JSON string of an object: %v", err)
	}
	if got.HttpStatusCode != http.StatusCreated || !hexID.MatchString(*got.Id) || !*got.Enable || *got.InstanceId != inst ||
		cfg["enable"] != "on" || cfg["content"] != leaf.certPEM() || cfg["ca"] != root.certPEM() {
		t.Errorf("CreateFeatureV2 answered %+v, config %v", got, cfg)
	}
	if _, ok := cfg["key"]; ok || strings.Contains(*got.Config, "PRIVATE KEY") {
		t.Errorf("CreateFeatureV2 answered the key: %s", *got.Config)
	}
	if r := rev(); r != r0+1 {
		t.Errorf("revision after CreateFeatureV2: %d, want %d", r, r0+1)
	}

	// Sealed at rest: the stored key is not the PEM, and opens to the key
	// that was sent.
	recs, err := s.Store.ListCertificates(t.Context(), store.ListQuery{Scope: certgate.Scope{AccountID: owner.Account.ID}, Kind: certgate.KindBackend})
	if err != nil || len(recs) != 1 || recs[0].ID != *got.Id || recs[0].InstanceID != inst || len(recs[0].KeySealed) == 0 {
		t.Fatalf("the stored backend certificate: %+v, %v", recs, err)
	}
	if bytes.Contains(recs[0].KeySealed, []byte("PRIVATE KEY")) || bytes.Contains(recs[0].KeySealed, []byte(keyPEM[40:80])) {
		t.Error("the stored key is not sealed")
	}
	key, err := s.Certs.PrivateKey(t.Context(), certgate.Scope{AccountID: owner.Account.ID}, certgate.KindBackend, recs[0].ID)
	if err != nil || !pki.PublicKeysEqual(key.Public(), leaf.key.Public()) {
		t.Errorf("the sealed key opens to %v, %v; want the uploaded key", key, err)
	}

	// Listed without the key; not an SSL certificate.
	list, err := c.ListFeaturesV2(&model.ListFeaturesV2Request{InstanceId: inst})
	if err != nil || list.Total != 1 || len(*list.Features) != 1 || *(*list.Features)[0].Id != *got.Id || strings.Contains(*(*list.Features)[0].Config, "PRIVATE KEY") {
		t.Fatalf("ListFeaturesV2 = %+v, %v", list, err)
	}
	if certsList, err := c.ListCertificatesV2(&model.ListCertificatesV2Request{}); err != nil || certsList.Total != 0 {
		t.Errorf("ListCertificatesV2 shows %d certificates, %v; want none (the feature's is not one)", certsList.Total, err)
	}

	// An API with enable_client_ssl, presented the certificate by the data
	// plane.
	grp, err := c.CreateApiGroupV2(&model.CreateApiGroupV2Request{InstanceId: inst, Body: &model.ApiGroupCreate{Name: "group_mtls"}})
	if err != nil {
		t.Fatal(err)
	}
	api, err := c.CreateApiV2(&model.CreateApiV2Request{InstanceId: inst, Body: demoAPI(grp.Id, "api_mtls", "/m/{x}")})
	if err != nil || !*api.BackendApi.EnableClientSsl {
		t.Fatalf("an API with enable_client_ssl: %+v, %v", api, err)
	}

	// Replacing it keeps the id and moves the revision.
	leaf2 := issue(t, "rsa", certOpts{cn: "gateway-client-2"}, &root)
	r0 = rev()
	again, err := set(inst, "backend_client_certificate", true, backendConfig(t, "on", leaf2, leaf2.keyPEM(t), root))
	if err != nil || *again.Id != *got.Id || !strings.Contains(*again.Config, strings.ReplaceAll(strings.TrimSpace(leaf2.certPEM()[28:60]), "\n", `\n`)) {
		t.Fatalf("replacing the feature: %+v, %v", again, err)
	}
	if r := rev(); r != r0+1 {
		t.Errorf("revision after replacing: %d, want %d", r, r0+1)
	}

	// Errors.
	expired := issue(t, "p256", certOpts{cn: "old", notBefore: time.Now().Add(-48 * time.Hour), notAfter: time.Now().Add(-24 * time.Hour)}, &root)
	other := issue(t, "p256", certOpts{cn: "other"}, &root)
	_, err = set(inst, "backend_client_certificate", true, backendConfig(t, "on", leaf, other.keyPEM(t), root))
	wantErr("a key of another certificate", err, 400, "APIG.2101")
	_, err = set(inst, "backend_client_certificate", true, backendConfig(t, "on", expired, expired.keyPEM(t), root))
	wantErr("an expired certificate", err, 400, "APIG.2102")
	_, err = set(inst, "backend_client_certificate", true, `{"enable":"on","ca":"","content":""}`)
	wantErr("no certificate", err, 400, "APIG.2001")
	_, err = set(inst, "backend_client_certificate", true, `not json`)
	wantErr("a config that is not JSON", err, 400, "APIG.2012")
	_, err = set(inst, "backend_client_certificate", true, `{"enable":"maybe"}`)
	wantErr("config.enable maybe", err, 400, "APIG.2012")
	_, err = set(inst, "ssl_ciphers", true, `{"ssl_ciphers":[]}`)
	wantErr("an unsupported feature", err, 400, "APIG.2000")
	if r := rev(); r != r0+1 {
		t.Errorf("revision after refused writes: %d, want %d", r, r0+1)
	}
	if l, _ := c.ListFeaturesV2(&model.ListFeaturesV2Request{InstanceId: inst}); l == nil || *(*l.Features)[0].Config != *again.Config {
		t.Error("a refused write changed the feature")
	}

	// Another tenant: 404 APIG.3030 for the owner's instance.
	oc := s.hwClient(s.newAccount(), "")
	_, err = oc.CreateFeatureV2(&model.CreateFeatureV2Request{InstanceId: inst, Body: &model.FeatureToggle{Name: "backend_client_certificate", Enable: false}})
	wantErr("CreateFeatureV2 in another tenant's instance", err, 404, "APIG.3030")
	_, err = oc.ListFeaturesV2(&model.ListFeaturesV2Request{InstanceId: inst})
	wantErr("ListFeaturesV2 in another tenant's instance", err, 404, "APIG.3030")

	// Golden files, decoded strictly into the SDK's types.
	subst := map[string]string{*got.Id: "<feature-id>", inst: "<instance-id>"}
	for _, g := range []struct {
		name, method, body string
		shape              any
	}{
		{"ListFeaturesV2", "GET", "", &model.ListFeaturesV2Response{}},
		{"CreateFeatureV2", "POST", `{"name":"backend_client_certificate","enable":true,"config":` + mustJSON(t, backendConfig(t, "on", leaf, keyPEM, root)) + `}`, &model.CreateFeatureV2Response{}},
		{"CreateFeatureV2.off", "POST", `{"name":"backend_client_certificate","enable":false}`, &model.CreateFeatureV2Response{}},
		{"CreateFeatureV2.unsupported", "POST", `{"name":"ratelimit","enable":true,"config":"{}"}`, nil},
	} {
		resp, body := s.hwDo(owner, g.method, "/apigw/instances/"+inst+"/features", []byte(g.body))
		t.Logf("%s features: %d", g.method, resp.StatusCode)
		if bytes.Contains(body, []byte("PRIVATE KEY")) {
			t.Errorf("%s answered the key", g.name)
		}
		if g.shape != nil {
			dec := json.NewDecoder(bytes.NewReader(body))
			dec.DisallowUnknownFields()
			if err := dec.Decode(g.shape); err != nil {
				t.Errorf("%s: does not decode strictly into %T: %v", g.name, g.shape, err)
			}
		}
		// The PEM inside config differs per run: keep its shape only.
		var v map[string]any
		if json.Unmarshal(body, &v) == nil {
			for _, f := range append([]any{v}, anyList(v["features"])...) {
				if m, ok := f.(map[string]any); ok {
					if cfgStr, ok := m["config"].(string); ok && strings.Contains(cfgStr, "BEGIN CERTIFICATE") {
						subst[cfgStr] = `{"enable":"on","ca":"<pem>","content":"<pem>"}`
					}
				}
			}
		}
		checkGolden(t, g.name, body, subst)
	}
	if l, _ := c.ListFeaturesV2(&model.ListFeaturesV2Request{InstanceId: inst}); l == nil || l.Total != 0 {
		t.Errorf("ListFeaturesV2 after switching it off: %+v; want none", l)
	}
}

func anyList(v any) []any {
	l, _ := v.([]any)
	return l
}

func mustJSON(t *testing.T, s string) string {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
