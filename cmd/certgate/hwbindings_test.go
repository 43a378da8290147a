package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/apig/v2/model"
)

// leafFor is a chain (leaf and intermediate) whose leaf has these DNS
// names, with its key; the root is the one a trusted_root_ca would hold.
func leafFor(t *testing.T, alg string, dns ...string) (chainPEM, keyPEM string, root issued) {
	t.Helper()
	root = issue(t, "p256", certOpts{cn: "Binding Root", ca: true, notAfter: time.Now().Add(10 * 365 * 24 * time.Hour)}, nil)
	inter := issue(t, "p256", certOpts{cn: "Binding Intermediate", ca: true}, &root)
	cn := "no-san"
	if len(dns) > 0 {
		cn = dns[0]
	}
	leaf := issue(t, alg, certOpts{cn: cn, dns: dns, org: []string{"Example GmbH"}}, &inter)
	return leaf.certPEM() + inter.certPEM(), leaf.keyPEM(t), root
}

// TestHuaweiCertificateBindings drives the binding chapter through the
// Huawei Go SDK as a user would: a group with an exact and a wildcard
// domain, an RSA certificate with a trusted root CA and an ECC one bound
// to one domain, the RSA one to both, the verification flag changed by
// attaching again, the listing of attached domains, every refusal the
// rules give, and the unbinding that finally lets the certificates go.
func TestHuaweiCertificateBindings(t *testing.T) {
	s := startServer(t, nil)
	owner := s.Bootstrap
	c := s.hwClient(owner, "")
	inst := owner.Instance.ID
	h := gatewayHelpers{t, s}
	rev, wantErr := h.rev, h.wantErr

	group, err := c.CreateApiGroupV2(&model.CreateApiGroupV2Request{InstanceId: inst, Body: &model.ApiGroupCreate{Name: "bind_group"}})
	if err != nil {
		t.Fatal(err)
	}
	gid := group.Id
	domainID := map[string]string{}
	for _, name := range []string{"api.example.com", "*.example.com", "noca.example.com"} {
		d, err := c.AssociateDomainV2(&model.AssociateDomainV2Request{InstanceId: inst, GroupId: gid, Body: &model.UrlDomainCreate{UrlDomain: &name}})
		if err != nil {
			t.Fatalf("AssociateDomainV2 %s: %v", name, err)
		}
		domainID[name] = *d.Id
	}
	api, wild, noca := domainID["api.example.com"], domainID["*.example.com"], domainID["noca.example.com"]

	upload := func(name, alg string, ca bool, dns ...string) string {
		t.Helper()
		chain, key, root := leafFor(t, alg, dns...)
		f := form(name, chain, key)
		if ca {
			pem := root.certPEM()
			f.TrustedRootCa = &pem
		}
		out, err := c.CreateCertificateV2(&model.CreateCertificateV2Request{Body: f})
		if err != nil {
			t.Fatalf("CreateCertificateV2 %s: %v", name, err)
		}
		return *out.Id
	}
	rsa := upload("bind_rsa", "rsa", true, "api.example.com", "*.example.com")
	ecc := upload("bind_ecc", "p256", false, "api.example.com", "noca.example.com")
	rsa2 := upload("bind_rsa_two", "rsa", false, "api.example.com")
	other := upload("bind_other", "p256", false, "other.test")
	nosan := upload("bind_nosan", "p256", false)
	deep := upload("bind_deep", "p256", false, "*.api.example.com") // covers a.api.example.com, not api.example.com

	attach := func(domain string, verify *bool, ids ...string) (*model.BatchAssociateCertsV2Response, error) {
		return c.BatchAssociateCertsV2(&model.BatchAssociateCertsV2Request{InstanceId: inst, GroupId: gid, DomainId: domain,
			Body: &model.AttachOrDetachCertsReqBody{CertificateIds: ids, VerifiedClientCertificateEnabled: verify}})
	}
	detach := func(domain string, ids ...string) (*model.BatchDisassociateCertsV2Response, error) {
		return c.BatchDisassociateCertsV2(&model.BatchDisassociateCertsV2Request{InstanceId: inst, GroupId: gid, DomainId: domain,
			Body: &model.AttachOrDetachCertsReqBody{CertificateIds: ids}})
	}
	showDomain := func(id string) model.UrlDomain {
		t.Helper()
		g, err := c.ShowDetailsOfApiGroupV2(&model.ShowDetailsOfApiGroupV2Request{InstanceId: inst, GroupId: gid})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range *g.UrlDomains {
			if *d.Id == id {
				return d
			}
		}
		t.Fatalf("domain %s is not in the group's url_domains", id)
		return model.UrlDomain{}
	}
	sslIDs := func(d model.UrlDomain) (ids []string) {
		for _, i := range *d.SslInfos {
			ids = append(ids, *i.SslId+"/"+i.AlgorithmType.Value())
		}
		return ids
	}
	on, off := true, false

	// RSA with a CA on api: 204, verification on by default, one revision.
	r0 := rev()
	res, err := attach(api, nil, rsa)
	if err != nil || res.HttpStatusCode != http.StatusNoContent {
		t.Fatalf("BatchAssociateCertsV2 = %+v, %v; want 204", res, err)
	}
	t.Logf("BatchAssociateCertsV2 rsa -> api.example.com: %d", res.HttpStatusCode)
	if got := rev(); got != r0+1 {
		t.Errorf("revision after the attach: %d, want %d (one transaction)", got, r0+1)
	}
	d := showDomain(api)
	if !*d.VerifiedClientCertificateEnabled || !*d.IsHasTrustedRootCa || *d.SslId != rsa || *d.SslName != "bind_rsa" ||
		strings.Join(sslIDs(d), ",") != rsa+"/RSA" {
		t.Errorf("api.example.com after the RSA attach: verify=%v ca=%v ssl_id=%v infos=%v", *d.VerifiedClientCertificateEnabled,
			*d.IsHasTrustedRootCa, *d.SslId, sslIDs(d))
	}
	// ECC without a CA beside it: verification stays on, not all have a CA.
	if _, err := attach(api, nil, ecc); err != nil {
		t.Fatal(err)
	}
	d = showDomain(api)
	if !*d.VerifiedClientCertificateEnabled || *d.IsHasTrustedRootCa || *d.SslId != rsa ||
		strings.Join(sslIDs(d), ",") != rsa+"/RSA,"+ecc+"/ECC" {
		t.Errorf("api.example.com with RSA and ECC: verify=%v ca=%v ssl_id=%v infos=%v", *d.VerifiedClientCertificateEnabled,
			*d.IsHasTrustedRootCa, *d.SslId, sslIDs(d))
	}
	// The flag alone, by attaching the same id again, as Terraform does.
	r1 := rev()
	if _, err := attach(api, &off, rsa); err != nil {
		t.Fatal(err)
	}
	if d = showDomain(api); *d.VerifiedClientCertificateEnabled || len(*d.SslInfos) != 2 {
		t.Errorf("re-attach with verification off: verify=%v, %d certificates", *d.VerifiedClientCertificateEnabled, len(*d.SslInfos))
	}
	if _, err := attach(api, &off, rsa); err != nil {
		t.Fatal(err)
	}
	if got := rev(); got != r1+1 {
		t.Errorf("revision after a flag change and a no-op re-attach: %d, want %d", got, r1+1)
	}

	// The wildcard through the certificate's side, with the null entries a
	// Terraform provider version sends before the real one.
	resp, body := s.hwDo(owner, "POST", "/apigw/certificates/"+rsa+"/domains/attach",
		[]byte(`{"domains":[null,null,{"domain":"*.EXAMPLE.com","verified_client_certificate_enabled":true}]}`))
	if resp.StatusCode != http.StatusNoContent || len(body) != 0 {
		t.Fatalf("BatchAssociateDomainsV2 with null entries: %d %s; want 204 and no body", resp.StatusCode, body)
	}
	if d = showDomain(wild); !*d.VerifiedClientCertificateEnabled || strings.Join(sslIDs(d), ",") != rsa+"/RSA" {
		t.Errorf("*.example.com after BatchAssociateDomainsV2: verify=%v infos=%v", *d.VerifiedClientCertificateEnabled, sslIDs(d))
	}

	// Listing the domains a certificate is bound to.
	list, err := c.ListAttachedDomainsV2(&model.ListAttachedDomainsV2Request{CertificateId: rsa})
	if err != nil || list.Total != 2 || list.Size != 2 {
		t.Fatalf("ListAttachedDomainsV2 = %+v, %v; want 2", list, err)
	}
	for i, want := range []string{"api.example.com", "*.example.com"} {
		b := (*list.BoundDomains)[i]
		if b.UrlDomain != want || b.ApiGroupId != gid || b.ApiGroupName != "bind_group" || b.InstanceId != inst || *b.SslId != rsa || *b.SslName != "bind_rsa" {
			t.Errorf("bound_domains[%d] = %+v; want %s of bind_group with ssl_id %s", i, b, want, rsa)
		}
	}
	filter, lim := "api.", int32(1)
	if l, err := c.ListAttachedDomainsV2(&model.ListAttachedDomainsV2Request{CertificateId: rsa, UrlDomain: &filter}); err != nil || l.Total != 1 {
		t.Errorf("ListAttachedDomainsV2(url_domain=api.) = %+v, %v; want 1", l, err)
	}
	off1 := int64(1)
	if l, err := c.ListAttachedDomainsV2(&model.ListAttachedDomainsV2Request{CertificateId: rsa, Offset: &off1, Limit: &lim}); err != nil ||
		l.Total != 2 || l.Size != 1 || (*l.BoundDomains)[0].UrlDomain != "*.example.com" {
		t.Errorf("ListAttachedDomainsV2(offset=1,limit=1) = %+v, %v; want the wildcard of 2", l, err)
	}
	_, body = s.hwDo(owner, "GET", "/apigw/certificates/"+rsa+"/attached-domains", nil)
	subst := map[string]string{gid: "<group>", inst: "<instance>", rsa: "<rsa>", ecc: "<ecc>", api: "<api>", wild: "<wild>", noca: "<noca>",
		owner.Account.ProjectID: "<project>"}
	checkGolden(t, "ListAttachedDomainsV2", body, subst)
	_, body = s.hwDo(owner, "GET", "/apigw/instances/"+inst+"/api-groups/"+gid, nil)
	checkGolden(t, "ShowDetailsOfApiGroupV2.bound", body, subst)

	// The certificate as a domain shows it.
	dc, err := c.ShowDetailsOfDomainNameCertificateV2(&model.ShowDetailsOfDomainNameCertificateV2Request{InstanceId: inst, GroupId: gid, DomainId: api, CertificateId: ecc})
	if err != nil || *dc.Id != ecc || *dc.Name != "bind_ecc" || *dc.CommonName != "api.example.com" {
		t.Errorf("ShowDetailsOfDomainNameCertificateV2 = %+v, %v", dc, err)
	}
	_, body = s.hwDo(owner, "GET", "/apigw/instances/"+inst+"/api-groups/"+gid+"/domains/"+api+"/certificate/"+ecc, nil)
	if strings.Contains(string(body), "PRIVATE KEY") || strings.Contains(string(body), "BEGIN CERTIFICATE") {
		t.Errorf("ShowDetailsOfDomainNameCertificateV2 carries PEM: %s", body)
	}
	var shown map[string]any
	_ = json.Unmarshal(body, &shown)
	for _, k := range []string{"serial_number", "not_before", "not_after", "san", "issuer"} {
		delete(shown, k) // differ per run
	}
	normalized, _ := json.Marshal(shown)
	checkGolden(t, "ShowDetailsOfDomainNameCertificateV2", normalized, subst)
	_, err = c.ShowDetailsOfDomainNameCertificateV2(&model.ShowDetailsOfDomainNameCertificateV2Request{InstanceId: inst, GroupId: gid, DomainId: wild, CertificateId: ecc})
	wantErr("ShowDetailsOfDomainNameCertificateV2 of a certificate not bound there", err, 404, "APIG.3097")

	// Refusals, none of which may move the revision.
	r2 := rev()
	_, err = attach(api, nil, other)
	if msg := wantErr("a certificate for other.test on api.example.com", err, 400, "APIG.2103"); !strings.Contains(msg, "api.example.com") {
		t.Errorf("the mismatch does not name the domain: %q", msg)
	}
	_, body = s.hwDo(owner, "POST", "/apigw/instances/"+inst+"/api-groups/"+gid+"/domains/"+api+"/certificates/attach",
		[]byte(`{"certificate_ids":["`+other+`"]}`))
	checkGolden(t, "BatchAssociateCertsV2.mismatch", body, map[string]string{other: "<other>"})
	_, err = attach(wild, nil, ecc)
	wantErr("a certificate for api.example.com on *.example.com (a wildcard needs the same wildcard)", err, 400, "APIG.2103")
	_, err = attach(api, nil, deep)
	wantErr("*.api.example.com on api.example.com (a wildcard covers one label below only)", err, 400, "APIG.2103")
	_, err = attach(api, nil, nosan)
	wantErr("a certificate without SAN", err, 400, "APIG.2109")
	_, err = attach(api, nil, rsa2)
	wantErr("a second RSA certificate on api.example.com", err, 400, "APIG.2051")
	_, err = attach(noca, &on, ecc)
	wantErr("verification on a domain whose only certificate has no CA", err, 400, "APIG.2012")
	_, err = attach(api, nil, rsa, ecc)
	wantErr("two certificate ids at once", err, 400, "APIG.2012")
	_, err = attach(api, nil)
	wantErr("no certificate id", err, 400, "APIG.2001")
	_, err = attach(api, nil, "0123456789abcdef0123456789abcdef")
	wantErr("an unknown certificate", err, 404, "APIG.3021")
	_, err = attach("0123456789abcdef0123456789abcdef", nil, rsa)
	wantErr("an unknown domain", err, 404, "APIG.3020")
	_, err = detach(wild, ecc)
	wantErr("detaching a certificate not bound there", err, 404, "APIG.3097")
	_, err = c.DeleteCertificateV2(&model.DeleteCertificateV2Request{CertificateId: rsa})
	if msg := wantErr("deleting a bound certificate", err, 409, "APIG.3416"); !strings.Contains(msg, "2 domain") {
		t.Errorf("the delete refusal does not say how many domains: %q", msg)
	}
	one := []model.AttachOrDetachDomainInfo{{Domain: "missing.example.com"}}
	_, err = c.BatchAssociateDomainsV2(&model.BatchAssociateDomainsV2Request{CertificateId: ecc, Body: &model.AttachOrDetachDomainsReqBody{Domains: one}})
	wantErr("BatchAssociateDomainsV2 of a name the tenant does not have", err, 404, "APIG.3020")
	one[0] = model.AttachOrDetachDomainInfo{Domain: "bad domain"}
	_, err = c.BatchAssociateDomainsV2(&model.BatchAssociateDomainsV2Request{CertificateId: ecc, Body: &model.AttachOrDetachDomainsReqBody{Domains: one}})
	wantErr("BatchAssociateDomainsV2 of a bad name", err, 400, "APIG.2024")
	resp, _ = s.hwDo(owner, "POST", "/apigw/certificates/"+ecc+"/domains/attach", []byte(`{"domains":[null]}`))
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("BatchAssociateDomainsV2 with only null entries: %d; want 400", resp.StatusCode)
	}
	// UpdateSlDomain-free paths: UpdateDomainV2 enabling verification with no CA.
	if _, err := attach(noca, nil, ecc); err != nil {
		t.Fatal(err)
	}
	r2++
	_, err = c.UpdateDomainV2(&model.UpdateDomainV2Request{InstanceId: inst, GroupId: gid, DomainId: noca,
		Body: &model.UrlDomainModify{VerifiedClientCertificateEnabled: &on}})
	wantErr("UpdateDomainV2 enabling verification with no CA among the certificates", err, 400, "APIG.2012")
	// Replacing the RSA certificate with one that drops *.example.com.
	chain, key, _ := leafFor(t, "rsa", "api.example.com")
	name := "bind_rsa"
	_, err = c.UpdateCertificateV2(&model.UpdateCertificateV2Request{CertificateId: rsa, Body: &model.CertificateForm{Name: name, CertContent: chain, PrivateKey: key}})
	if msg := wantErr("UpdateCertificateV2 that no longer covers a bound domain", err, 400, "APIG.2103"); !strings.Contains(msg, "*.example.com") {
		t.Errorf("the refusal does not name the domain: %q", msg)
	}
	// And one that drops the CA of the only CA certificate of a verifying
	// domain (*.example.com verifies).
	chain, key, _ = leafFor(t, "rsa", "api.example.com", "*.example.com")
	empty := ""
	_, err = c.UpdateCertificateV2(&model.UpdateCertificateV2Request{CertificateId: rsa, Body: &model.CertificateForm{Name: name, CertContent: chain, PrivateKey: key, TrustedRootCa: &empty}})
	wantErr("UpdateCertificateV2 that drops the CA a verifying domain needs", err, 400, "APIG.2012")
	if got := rev(); got != r2 {
		t.Errorf("revision after refusals: %d, want %d", got, r2)
	}
	// A replacement that still covers both keeps both bindings.
	_, err = c.UpdateCertificateV2(&model.UpdateCertificateV2Request{CertificateId: rsa, Body: &model.CertificateForm{Name: name, CertContent: chain, PrivateKey: key}})
	if err != nil {
		t.Fatalf("UpdateCertificateV2 that still covers every bound domain: %v", err)
	}
	if l, err := c.ListAttachedDomainsV2(&model.ListAttachedDomainsV2Request{CertificateId: rsa}); err != nil || l.Total != 2 {
		t.Errorf("bindings after the update: %+v, %v; want both kept", l, err)
	}

	// Another tenant: its ids answer like missing ones, both ways.
	intruder := s.newAccount()
	ic := s.hwClient(intruder, "")
	theirs, err := ic.CreateCertificateV2(&model.CreateCertificateV2Request{Body: func() *model.CertificateForm {
		chain, key, _ := leafFor(t, "p256", "api.example.com", "*.example.com")
		return form("their_cert", chain, key)
	}()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = attach(api, nil, *theirs.Id)
	wantErr("binding another tenant's certificate", err, 404, "APIG.3021")
	_, err = ic.BatchAssociateCertsV2(&model.BatchAssociateCertsV2Request{InstanceId: inst, GroupId: gid, DomainId: api,
		Body: &model.AttachOrDetachCertsReqBody{CertificateIds: []string{*theirs.Id}}})
	wantErr("another tenant binding to this tenant's domain", err, 404, "APIG.3030")
	ids := []string{inst}
	_, err = ic.BatchAssociateDomainsV2(&model.BatchAssociateDomainsV2Request{CertificateId: *theirs.Id,
		Body: &model.AttachOrDetachDomainsReqBody{Domains: []model.AttachOrDetachDomainInfo{{Domain: "api.example.com", InstanceIds: &ids}}}})
	wantErr("another tenant naming this tenant's instance", err, 404, "APIG.3020")
	_, err = ic.BatchAssociateDomainsV2(&model.BatchAssociateDomainsV2Request{CertificateId: *theirs.Id,
		Body: &model.AttachOrDetachDomainsReqBody{Domains: []model.AttachOrDetachDomainInfo{{Domain: "api.example.com"}}}})
	wantErr("another tenant naming this tenant's domain globally", err, 404, "APIG.3020")
	_, err = ic.ListAttachedDomainsV2(&model.ListAttachedDomainsV2Request{CertificateId: rsa})
	wantErr("another tenant listing this tenant's bindings", err, 404, "APIG.3021")
	_, err = ic.ShowDetailsOfDomainNameCertificateV2(&model.ShowDetailsOfDomainNameCertificateV2Request{InstanceId: inst, GroupId: gid, DomainId: api, CertificateId: rsa})
	wantErr("another tenant reading this tenant's domain certificate", err, 404, "APIG.3030")

	// The older inline binding: upload and bind in one call, 201.
	inline, err := c.AssociateDomainV2(&model.AssociateDomainV2Request{InstanceId: inst, GroupId: gid, Body: &model.UrlDomainCreate{UrlDomain: strPtr("inline.example.com")}})
	if err != nil {
		t.Fatal(err)
	}
	chain, key, _ = leafFor(t, "rsa", "inline.example.com")
	ac, err := c.AssociateCertificateV2(&model.AssociateCertificateV2Request{InstanceId: inst, GroupId: gid, DomainId: *inline.Id,
		Body: &model.CertForm{Name: "inline_cert", CertContent: chain, PrivateKey: key}})
	if err != nil || ac.HttpStatusCode != http.StatusCreated || ac.SslName != "inline_cert" || !hexID.MatchString(ac.SslId) ||
		*ac.ApiGroupName != "bind_group" || ac.UrlDomain != "inline.example.com" {
		t.Fatalf("AssociateCertificateV2 = %+v, %v; want 201 with the new certificate", ac, err)
	}
	chain, key, _ = leafFor(t, "rsa", "elsewhere.test")
	_, err = c.AssociateCertificateV2(&model.AssociateCertificateV2Request{InstanceId: inst, GroupId: gid, DomainId: *inline.Id,
		Body: &model.CertForm{Name: "inline_bad", CertContent: chain, PrivateKey: key}})
	wantErr("AssociateCertificateV2 of a certificate for another name", err, 400, "APIG.2103")
	bad := "inline_bad"
	if l, err := c.ListCertificatesV2(&model.ListCertificatesV2Request{Name: &bad}); err != nil || l.Total != 0 {
		t.Errorf("the refused inline certificate was left behind: %+v, %v", l, err)
	}
	dis, err := c.DisassociateCertificateV2(&model.DisassociateCertificateV2Request{InstanceId: inst, GroupId: gid, DomainId: *inline.Id, CertificateId: ac.SslId})
	if err != nil || dis.HttpStatusCode != http.StatusNoContent {
		t.Errorf("DisassociateCertificateV2 = %+v, %v; want 204", dis, err)
	}

	// Unbinding. Detaching the RSA certificate from api leaves ECC, which
	// has no CA: allowed, since api no longer verifies.
	dr, err := detach(api, rsa)
	if err != nil || dr.HttpStatusCode != http.StatusNoContent {
		t.Fatalf("BatchDisassociateCertsV2 = %+v, %v; want 204", dr, err)
	}
	// The wildcard verifies with the RSA CA: it is its only certificate,
	// so detaching it turns verification off with it.
	bd, err := c.BatchDisassociateDomainsV2(&model.BatchDisassociateDomainsV2Request{CertificateId: rsa,
		Body: &model.AttachOrDetachDomainsReqBody{Domains: []model.AttachOrDetachDomainInfo{{Domain: "*.example.com"}}}})
	if err != nil || bd.HttpStatusCode != http.StatusNoContent {
		t.Fatalf("BatchDisassociateDomainsV2 = %+v, %v; want 204", bd, err)
	}
	if d = showDomain(wild); *d.VerifiedClientCertificateEnabled || len(*d.SslInfos) != 0 {
		t.Errorf("*.example.com with no certificate left: verify=%v infos=%v", *d.VerifiedClientCertificateEnabled, sslIDs(d))
	}
	if del, err := c.DeleteCertificateV2(&model.DeleteCertificateV2Request{CertificateId: rsa}); err != nil || del.HttpStatusCode != http.StatusNoContent {
		t.Errorf("DeleteCertificateV2 once unbound: %+v, %v", del, err)
	}
	// Deleting the group takes the ECC bindings with it.
	if _, err := c.DeleteApiGroupV2(&model.DeleteApiGroupV2Request{InstanceId: inst, GroupId: gid}); err != nil {
		t.Fatal(err)
	}
	if l, err := c.ListAttachedDomainsV2(&model.ListAttachedDomainsV2Request{CertificateId: ecc}); err != nil || l.Total != 0 {
		t.Errorf("ECC bindings after the group's delete: %+v, %v", l, err)
	}
	if _, err := c.DeleteCertificateV2(&model.DeleteCertificateV2Request{CertificateId: ecc}); err != nil {
		t.Errorf("DeleteCertificateV2 of ECC after its group went: %v", err)
	}
}

func strPtr(s string) *string { return &s }

// TestHuaweiBindingEdges covers what a review found: naming a bound
// certificate again without the flag must not undo a flag the user turned
// off; a name listed twice in a detach is not a miss; an inline binding to
// a missing domain stores nothing; and a bad certificate id in a path is a
// 400, not an echo.
func TestHuaweiBindingEdges(t *testing.T) {
	s := startServer(t, nil)
	owner := s.Bootstrap
	c := s.hwClient(owner, "")
	inst := owner.Instance.ID
	h := gatewayHelpers{t, s}
	group, err := c.CreateApiGroupV2(&model.CreateApiGroupV2Request{InstanceId: inst, Body: &model.ApiGroupCreate{Name: "edge_group"}})
	if err != nil {
		t.Fatal(err)
	}
	gid := group.Id
	ids := map[string]string{}
	for _, name := range []string{"a.example.com", "b.example.com"} {
		d, err := c.AssociateDomainV2(&model.AssociateDomainV2Request{InstanceId: inst, GroupId: gid, Body: &model.UrlDomainCreate{UrlDomain: strPtr(name)}})
		if err != nil {
			t.Fatal(err)
		}
		ids[name] = *d.Id
	}
	chain, key, root := leafFor(t, "rsa", "a.example.com", "b.example.com")
	ca := root.certPEM()
	f := form("edge_rsa", chain, key)
	f.TrustedRootCa = &ca
	cert, err := c.CreateCertificateV2(&model.CreateCertificateV2Request{Body: f})
	if err != nil {
		t.Fatal(err)
	}
	entries := func(names ...string) *model.AttachOrDetachDomainsReqBody {
		var out []model.AttachOrDetachDomainInfo
		for _, n := range names {
			out = append(out, model.AttachOrDetachDomainInfo{Domain: n})
		}
		return &model.AttachOrDetachDomainsReqBody{Domains: out}
	}
	if _, err := c.BatchAssociateDomainsV2(&model.BatchAssociateDomainsV2Request{CertificateId: *cert.Id, Body: entries("a.example.com")}); err != nil {
		t.Fatal(err)
	}
	off := false
	if _, err := c.UpdateDomainV2(&model.UpdateDomainV2Request{InstanceId: inst, GroupId: gid, DomainId: ids["a.example.com"],
		Body: &model.UrlDomainModify{VerifiedClientCertificateEnabled: &off}}); err != nil {
		t.Fatal(err)
	}
	// Terraform adds b to the resource: the batch names a again, no flag.
	if _, err := c.BatchAssociateDomainsV2(&model.BatchAssociateDomainsV2Request{CertificateId: *cert.Id, Body: entries("a.example.com", "b.example.com")}); err != nil {
		t.Fatal(err)
	}
	l, err := c.ListAttachedDomainsV2(&model.ListAttachedDomainsV2Request{CertificateId: *cert.Id})
	if err != nil || l.Total != 2 {
		t.Fatalf("ListAttachedDomainsV2 = %+v, %v", l, err)
	}
	for _, b := range *l.BoundDomains {
		want := b.UrlDomain == "b.example.com" // newly attached: the CA default; a: the user's off
		if *b.VerifiedClientCertificateEnabled != want {
			t.Errorf("%s: verification %v, want %v", b.UrlDomain, *b.VerifiedClientCertificateEnabled, want)
		}
	}
	// A detach naming a twice.
	if _, err := c.BatchDisassociateDomainsV2(&model.BatchDisassociateDomainsV2Request{CertificateId: *cert.Id, Body: entries("a.example.com", "a.example.com")}); err != nil {
		t.Errorf("BatchDisassociateDomainsV2 naming a domain twice: %v", err)
	}
	// An inline binding to a missing domain: nothing stored, nothing moved.
	r0 := h.rev()
	chain, key, _ = leafFor(t, "rsa", "c.example.com")
	_, err = c.AssociateCertificateV2(&model.AssociateCertificateV2Request{InstanceId: inst, GroupId: gid, DomainId: "0123456789abcdef0123456789abcdef",
		Body: &model.CertForm{Name: "edge_inline", CertContent: chain, PrivateKey: key}})
	h.wantErr("AssociateCertificateV2 to a missing domain", err, 404, "APIG.3020")
	if got := h.rev(); got != r0 {
		t.Errorf("revision moved by %d for an inline binding to a missing domain", got-r0)
	}
	// A NUL certificate id in the path.
	resp, body := s.hwDo(owner, "GET", "/apigw/instances/"+inst+"/api-groups/"+gid+"/domains/"+ids["a.example.com"]+"/certificate/%00", nil)
	if resp.StatusCode != http.StatusBadRequest || strings.Contains(string(body), "\\u0000") {
		t.Errorf("ShowDetailsOfDomainNameCertificateV2 of a NUL id: %d %s; want 400 without the id", resp.StatusCode, body)
	}
}
