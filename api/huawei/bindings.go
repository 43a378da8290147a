package huawei

import (
	"context"
	"net/http"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/api"
	"github.com/certgate/certgate/certs"
	"github.com/certgate/certgate/gwconfig"
)

// certsBody is AttachOrDetachCertsReqBody (BatchAssociateCertsV2 and
// BatchDisassociateCertsV2).
type certsBody struct {
	CertificateIDs []string `json:"certificate_ids"`
	VerifyClients  *bool    `json:"verified_client_certificate_enabled"`
}

// domainsBody is AttachOrDetachDomainsReqBody. Entries are pointers: a
// Terraform provider version sends null entries before the real ones,
// and they are skipped.
type domainsBody struct {
	Domains []*domainEntry `json:"domains"`
}

type domainEntry struct {
	Domain        *string  `json:"domain"`
	InstanceIDs   []string `json:"instance_ids"`
	VerifyClients *bool    `json:"verified_client_certificate_enabled"`
}

// inlineCertBody is AssociateCertificateV2's body: a certificate uploaded
// and bound in one call.
type inlineCertBody struct {
	CertContent *string `json:"cert_content"`
	Name        *string `json:"name"`
	PrivateKey  *string `json:"private_key"`
}

// inlineCertResp is AssociateCertificateV2's answer: DomainResp with the
// certificate and the group.
type inlineCertResp struct {
	domainResp
	SSLID        string `json:"ssl_id"`
	SSLName      string `json:"ssl_name"`
	InstanceID   string `json:"instance_id"`
	APIGroupID   string `json:"api_group_id"`
	APIGroupName string `json:"api_group_name"`
}

// urlDomainRef is UrlDomainRefInfo, an item of ListAttachedDomainsV2.
type urlDomainRef struct {
	domainResp
	SSLID        string `json:"ssl_id"`
	SSLName      string `json:"ssl_name"`
	APIGroupID   string `json:"api_group_id"`
	APIGroupName string `json:"api_group_name"`
	InstanceID   string `json:"instance_id"`
}

type attachedList struct {
	Size         int32          `json:"size"`
	Total        int64          `json:"total"`
	BoundDomains []urlDomainRef `json:"bound_domains"`
}

// domainCert is ShowDetailsOfDomainNameCertificateV2's answer: the
// certificate's facts, without PEM or key (nor the list item's
// is_has_trusted_root_ca and algorithm_type).
type domainCert struct {
	ID                 string   `json:"id"`
	Name               string   `json:"name"`
	Type               string   `json:"type"`
	InstanceID         string   `json:"instance_id"`
	ProjectID          string   `json:"project_id"`
	CreateTime         string   `json:"create_time"`
	UpdateTime         string   `json:"update_time"`
	CommonName         string   `json:"common_name"`
	SAN                []string `json:"san"`
	NotAfter           string   `json:"not_after"`
	SignatureAlgorithm string   `json:"signature_algorithm"`
	certDetail
}

func (h *Handler) bindingRoutes(handle func(string, api.HandlerFunc)) {
	const domain = "/v2/{project}/apigw/instances/{instance}/api-groups/{group}/domains/{domain}"
	handle("POST "+domain+"/certificates/attach", h.attachCerts)
	handle("POST "+domain+"/certificates/detach", h.detachCerts)
	handle("POST "+domain+"/certificate", h.associateCertificate)
	handle("GET "+domain+"/certificate/{cert}", h.showDomainCertificate)
	handle("DELETE "+domain+"/certificate/{cert}", h.disassociateCertificate)
	const cert = "/v2/{project}/apigw/certificates/{id}"
	handle("POST "+cert+"/domains/attach", h.attachDomains)
	handle("POST "+cert+"/domains/detach", h.detachDomains)
	handle("GET "+cert+"/attached-domains", h.listAttachedDomains)
}

func decodeCertsBody(body []byte) (*certsBody, error) {
	var b certsBody
	if err := api.DecodeJSON(body, &b); err != nil {
		return nil, err
	}
	return &b, nil
}

// decodeDomainsBody decodes the body and drops its null entries.
func decodeDomainsBody(body []byte) ([]gwconfig.DomainRef, error) {
	var b domainsBody
	if err := api.DecodeJSON(body, &b); err != nil {
		return nil, err
	}
	refs := make([]gwconfig.DomainRef, 0, len(b.Domains))
	for _, e := range b.Domains {
		if e == nil {
			continue
		}
		if e.Domain == nil || *e.Domain == "" {
			return nil, &certgate.Error{Code: certgate.EInvalid, Reason: gwconfig.ReasonMissing, Field: "domain",
				Message: "every entry of domains needs its domain"}
		}
		refs = append(refs, gwconfig.DomainRef{Name: *e.Domain, InstanceIDs: e.InstanceIDs, Verify: e.VerifyClients})
	}
	return refs, nil
}

func decodeInlineCertBody(body []byte) (*inlineCertBody, error) {
	var b inlineCertBody
	if err := api.DecodeJSON(body, &b); err != nil {
		return nil, err
	}
	return &b, nil
}

// noContent answers exactly 204: Huawei's Terraform provider accepts no
// other status for attach and detach.
func noContent(w http.ResponseWriter) error {
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) attachCerts(w http.ResponseWriter, r *http.Request) error {
	cl := callerOf(r)
	b, err := decodeCertsBody(cl.Body)
	if err != nil {
		return err
	}
	if err := h.gw.AttachCertificates(r.Context(), cl.Scope.AccountID, r.PathValue("instance"), r.PathValue("group"),
		r.PathValue("domain"), b.CertificateIDs, b.VerifyClients); err != nil {
		return err
	}
	return noContent(w)
}

func (h *Handler) detachCerts(w http.ResponseWriter, r *http.Request) error {
	cl := callerOf(r)
	b, err := decodeCertsBody(cl.Body)
	if err != nil {
		return err
	}
	if err := h.gw.DetachCertificates(r.Context(), cl.Scope.AccountID, r.PathValue("instance"), r.PathValue("group"),
		r.PathValue("domain"), b.CertificateIDs); err != nil {
		return err
	}
	return noContent(w)
}

func (h *Handler) attachDomains(w http.ResponseWriter, r *http.Request) error {
	cl := callerOf(r)
	refs, err := decodeDomainsBody(cl.Body)
	if err != nil {
		return err
	}
	if err := h.gw.AttachDomains(r.Context(), cl.Scope.AccountID, r.PathValue("id"), refs); err != nil {
		return err
	}
	return noContent(w)
}

func (h *Handler) detachDomains(w http.ResponseWriter, r *http.Request) error {
	cl := callerOf(r)
	refs, err := decodeDomainsBody(cl.Body)
	if err != nil {
		return err
	}
	if err := h.gw.DetachDomains(r.Context(), cl.Scope.AccountID, r.PathValue("id"), refs); err != nil {
		return err
	}
	return noContent(w)
}

func (h *Handler) listAttachedDomains(w http.ResponseWriter, r *http.Request) error {
	cl := callerOf(r)
	q := r.URL.Query()
	offset, limit, err := paging(q.Get("offset"), q.Get("limit"))
	if err != nil {
		return err
	}
	c, err := h.certs.Get(r.Context(), cl.Scope, certgate.KindServer, r.PathValue("id"))
	if err != nil {
		return err
	}
	items, total, err := h.gw.AttachedDomains(r.Context(), cl.Scope.AccountID, c.ID, q.Get("url_domain"), offset, limit)
	if err != nil {
		return err
	}
	out := attachedList{Size: int32(len(items)), Total: total, BoundDomains: make([]urlDomainRef, 0, len(items))}
	for _, a := range items {
		out.BoundDomains = append(out.BoundDomains, urlDomainRef{domainResp: h.toDomainResp(a.Domain),
			SSLID: c.ID, SSLName: c.Name, APIGroupID: a.Group.ID, APIGroupName: a.Group.Name, InstanceID: a.Domain.InstanceID})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// associateCertificate is the older inline binding: the body's
// certificate is uploaded as a global certificate, then bound to the
// domain. Everything about the certificate is checked before anything is
// stored; if the binding is then refused, the certificate just made is
// deleted again.
func (h *Handler) associateCertificate(w http.ResponseWriter, r *http.Request) error {
	cl := callerOf(r)
	b, err := decodeInlineCertBody(cl.Body)
	if err != nil {
		return err
	}
	ctx := r.Context()
	inst, group, domain := r.PathValue("instance"), r.PathValue("group"), r.PathValue("domain")
	g, err := h.gw.Group(ctx, cl.Scope.AccountID, inst, group)
	if err != nil {
		return err
	}
	// The domain first, so that a missing one stores nothing at all.
	if _, err := h.gw.Domain(ctx, cl.Scope.AccountID, inst, group, domain); err != nil {
		return err
	}
	c, err := h.certs.CreateServerCertificate(ctx, cl.Scope, certs.ServerInput{
		Name: str(b.Name), CertPEM: str(b.CertContent), KeyPEM: str(b.PrivateKey),
	})
	if err != nil {
		return err
	}
	if err := h.gw.AttachCertificates(ctx, cl.Scope.AccountID, inst, group, domain, []string{c.ID}, nil); err != nil {
		if derr := h.certs.Delete(context.WithoutCancel(ctx), cl.Scope, certgate.KindServer, c.ID); derr != nil {
			h.log.ErrorContext(ctx, "removing the certificate of a refused inline binding", "id", c.ID, "error", derr)
		}
		return err
	}
	d, err := h.gw.Domain(ctx, cl.Scope.AccountID, inst, group, domain)
	if err != nil {
		// Deleted since the bind (which then took the binding with it):
		// the certificate stays, unbound, as an ordinary upload.
		return err
	}
	writeJSON(w, http.StatusCreated, inlineCertResp{domainResp: h.toDomainResp(d), SSLID: c.ID, SSLName: c.Name,
		InstanceID: inst, APIGroupID: g.ID, APIGroupName: g.Name})
	return nil
}

func (h *Handler) disassociateCertificate(w http.ResponseWriter, r *http.Request) error {
	cl := callerOf(r)
	if err := h.gw.DetachCertificates(r.Context(), cl.Scope.AccountID, r.PathValue("instance"), r.PathValue("group"),
		r.PathValue("domain"), []string{r.PathValue("cert")}); err != nil {
		return err
	}
	return noContent(w)
}

func (h *Handler) showDomainCertificate(w http.ResponseWriter, r *http.Request) error {
	cl := callerOf(r)
	c, err := h.gw.DomainCertificate(r.Context(), cl.Scope.AccountID, r.PathValue("instance"), r.PathValue("group"),
		r.PathValue("domain"), r.PathValue("cert"))
	if err != nil {
		return err
	}
	full := toCert(c, cl.Account.ProjectID, h.facts)
	writeJSON(w, http.StatusOK, domainCert{
		ID: full.ID, Name: full.Name, Type: full.Type, InstanceID: full.InstanceID, ProjectID: full.ProjectID,
		CreateTime: full.CreateTime, UpdateTime: full.UpdateTime, CommonName: full.CommonName, SAN: full.SAN,
		NotAfter: full.NotAfter, SignatureAlgorithm: full.SignatureAlgorithm, certDetail: full.certDetail,
	})
	return nil
}

// sslInfos describes a domain's certificates for url_domains: every one in
// ssl_infos; ssl_id and ssl_name are the RSA one's, as Huawei fills them;
// is_has_trusted_root_ca is true only when every bound certificate has a
// CA.
func sslInfos(served []*certgate.Certificate) (infos []sslInfo, rsaID, rsaName string, allCA bool) {
	infos = make([]sslInfo, 0, len(served))
	allCA = len(served) > 0
	for _, c := range served {
		typ := int32(2) // global
		if c.InstanceID != "" {
			typ = 1
		}
		infos = append(infos, sslInfo{SSLID: c.ID, SSLName: c.Name, AlgorithmType: c.KeyAlgorithm, Type: typ,
			IsHasTrustedRootCA: c.TrustedRootCA != ""})
		if c.KeyAlgorithm == "RSA" && rsaID == "" {
			rsaID, rsaName = c.ID, c.Name
		}
		allCA = allCA && c.TrustedRootCA != ""
	}
	return infos, rsaID, rsaName, allCA
}
