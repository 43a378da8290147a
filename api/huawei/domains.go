package huawei

import (
	"net/http"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/api"
	"github.com/certgate/certgate/gwconfig"
)

// domainCreate is UrlDomainCreate (AssociateDomainV2).
type domainCreate struct {
	URLDomain        *string `json:"url_domain"`
	MinSSLVersion    *string `json:"min_ssl_version"`
	RedirectToHTTPS  *bool   `json:"is_http_redirect_to_https"`
	IngressHTTPPort  *int32  `json:"ingress_http_port"`
	IngressHTTPSPort *int32  `json:"ingress_https_port"`
}

// domainModify is UrlDomainModify (UpdateDomainV2).
type domainModify struct {
	MinSSLVersion    *string `json:"min_ssl_version"`
	RedirectToHTTPS  *bool   `json:"is_http_redirect_to_https"`
	VerifyClients    *bool   `json:"verified_client_certificate_enabled"`
	IngressHTTPPort  *int32  `json:"ingress_http_port"`
	IngressHTTPSPort *int32  `json:"ingress_https_port"`
}

// domainResp is DomainResp, the answer of AssociateDomainV2 and
// UpdateDomainV2.
type domainResp struct {
	URLDomain        string `json:"url_domain"`
	ID               string `json:"id"`
	Status           int32  `json:"status"` // 3: resolved
	MinSSLVersion    string `json:"min_ssl_version"`
	RedirectToHTTPS  bool   `json:"is_http_redirect_to_https"`
	VerifyClients    bool   `json:"verified_client_certificate_enabled"`
	IngressHTTPPort  int32  `json:"ingress_http_port"`
	IngressHTTPSPort int32  `json:"ingress_https_port"`
}

// cnameResolved is the CNAME status certgate reports: it resolves nothing,
// and the operator points DNS at the gateway.
const cnameResolved = 3

func (h *Handler) toDomainResp(d *certgate.Domain) domainResp {
	return domainResp{
		URLDomain: d.Name, ID: d.ID, Status: cnameResolved, MinSSLVersion: d.MinTLSVersion,
		RedirectToHTTPS: d.RedirectHTTP, VerifyClients: d.VerifyClients,
		IngressHTTPPort: int32(h.gw.Port(d.HTTPPort, false)), IngressHTTPSPort: int32(h.gw.Port(d.HTTPSPort, true)),
	}
}

func (h *Handler) toURLDomain(d *certgate.Domain, served []*certgate.Certificate) urlDomain {
	infos, sslID, sslName, allCA := sslInfos(served)
	return urlDomain{
		ID: d.ID, Domain: d.Name, CnameStatus: cnameResolved, SSLID: sslID, SSLName: sslName, MinSSLVersion: d.MinTLSVersion,
		VerifiedClientCertificateEnabled: d.VerifyClients, IsHasTrustedRootCA: allCA,
		IngressHTTPPort: int32(h.gw.Port(d.HTTPPort, false)), IngressHTTPSPort: int32(h.gw.Port(d.HTTPSPort, true)),
		SSLInfos: infos,
	}
}

func (h *Handler) domainRoutes(handle func(string, api.HandlerFunc)) {
	const base = "/v2/{project}/apigw/instances/{instance}/api-groups/{group}/domains"
	handle("POST "+base, h.createDomain)
	handle("PUT "+base+"/{domain}", h.updateDomain)
	handle("DELETE "+base+"/{domain}", h.deleteDomain)
	h.bindingRoutes(handle)
}

func intPtr(p *int32) *int {
	if p == nil {
		return nil
	}
	v := int(*p)
	return &v
}

func decodeDomainCreate(body []byte) (*domainCreate, error) {
	var b domainCreate
	if err := api.DecodeJSON(body, &b); err != nil {
		return nil, err
	}
	return &b, nil
}

func decodeDomainModify(body []byte) (*domainModify, error) {
	var b domainModify
	if err := api.DecodeJSON(body, &b); err != nil {
		return nil, err
	}
	return &b, nil
}

func (h *Handler) createDomain(w http.ResponseWriter, r *http.Request) error {
	cl := callerOf(r)
	b, err := decodeDomainCreate(cl.Body)
	if err != nil {
		return err
	}
	in := gwconfig.DomainInput{Name: str(b.URLDomain), MinTLSVersion: str(b.MinSSLVersion),
		HTTPPort: intPtr(b.IngressHTTPPort), HTTPSPort: intPtr(b.IngressHTTPSPort)}
	if b.RedirectToHTTPS != nil {
		in.RedirectHTTP = *b.RedirectToHTTPS
	}
	d, err := h.gw.CreateDomain(r.Context(), cl.Scope.AccountID, r.PathValue("instance"), r.PathValue("group"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, h.toDomainResp(d))
	return nil
}

func (h *Handler) updateDomain(w http.ResponseWriter, r *http.Request) error {
	cl := callerOf(r)
	b, err := decodeDomainModify(cl.Body)
	if err != nil {
		return err
	}
	// The SDK always sends min_ssl_version, "" when the caller left it
	// unset: "" means unchanged.
	d, err := h.gw.UpdateDomain(r.Context(), cl.Scope.AccountID, r.PathValue("instance"), r.PathValue("group"),
		r.PathValue("domain"), gwconfig.DomainUpdate{
			MinTLSVersion: str(b.MinSSLVersion), RedirectHTTP: b.RedirectToHTTPS, VerifyClients: b.VerifyClients,
			HTTPPort: intPtr(b.IngressHTTPPort), HTTPSPort: intPtr(b.IngressHTTPSPort),
		})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, h.toDomainResp(d)) // 201, as [OTC] documents
	return nil
}

func (h *Handler) deleteDomain(w http.ResponseWriter, r *http.Request) error {
	cl := callerOf(r)
	if err := h.gw.DeleteDomain(r.Context(), cl.Scope.AccountID, r.PathValue("instance"), r.PathValue("group"), r.PathValue("domain")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
