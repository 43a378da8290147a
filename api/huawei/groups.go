package huawei

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/api"
	"github.com/certgate/certgate/gwconfig"
)

// groupBody is ApiGroupCreate (POST) and ApiGroupBase (PUT: name and
// remark only).
type groupBody struct {
	Name      *string `json:"name"`
	Remark    *string `json:"remark"`
	RomaAppID *string `json:"roma_app_id"`
	Version   *string `json:"version"`
}

// apiGroupInfo is ApiGroupInfo, the answer of create, show and update and
// the list's items.
type apiGroupInfo struct {
	ID                    string      `json:"id"`
	Name                  string      `json:"name"`
	Status                int32       `json:"status"` // 1: valid
	SLDomain              string      `json:"sl_domain"`
	RegisterTime          string      `json:"register_time"`
	UpdateTime            string      `json:"update_time"`
	OnSellStatus          int32       `json:"on_sell_status"` // 2: not on sale
	URLDomains            []urlDomain `json:"url_domains"`
	SLDomainAccessEnabled bool        `json:"sl_domain_access_enabled"`
	SLDomains             []string    `json:"sl_domains"`
	Remark                string      `json:"remark"`
	IsDefault             int32       `json:"is_default"` // 2: no
	Version               string      `json:"version"`
	RomaAppID             string      `json:"roma_app_id"`
	RomaAppName           string      `json:"roma_app_name"`
}

// urlDomain is UrlDomain, a custom domain of a group. There is no
// is_http_redirect_to_https here, as in Huawei's. ssl_infos lists the
// bound certificates (Terraform reads its bindings back from it).
type urlDomain struct {
	ID                               string    `json:"id"`
	Domain                           string    `json:"domain"`
	CnameStatus                      int32     `json:"cname_status"`
	SSLID                            string    `json:"ssl_id"`
	SSLName                          string    `json:"ssl_name"`
	MinSSLVersion                    string    `json:"min_ssl_version"`
	VerifiedClientCertificateEnabled bool      `json:"verified_client_certificate_enabled"`
	IsHasTrustedRootCA               bool      `json:"is_has_trusted_root_ca"`
	IngressHTTPPort                  int32     `json:"ingress_http_port"`
	IngressHTTPSPort                 int32     `json:"ingress_https_port"`
	SSLInfos                         []sslInfo `json:"ssl_infos"`
}

type sslInfo struct {
	SSLID              string `json:"ssl_id"`
	SSLName            string `json:"ssl_name"`
	AlgorithmType      string `json:"algorithm_type"`
	Type               int32  `json:"type"` // 1 instance, 2 global
	IsHasTrustedRootCA bool   `json:"is_has_trusted_root_ca"`
}

type groupList struct {
	Size   int32          `json:"size"`
	Total  int64          `json:"total"`
	Groups []apiGroupInfo `json:"groups"`
}

// groupTime is RFC 3339 with the fraction, as APIG writes group times.
func groupTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// toGroup answers a group with its custom domains.
func (h *Handler) toGroup(ctx context.Context, g *certgate.APIGroup) (apiGroupInfo, error) {
	ds, err := h.gw.Domains(ctx, g)
	if err != nil {
		return apiGroupInfo{}, err
	}
	sl := h.gw.SLDomain(g)
	out := apiGroupInfo{
		ID: g.ID, Name: g.Name, Status: 1, SLDomain: sl,
		RegisterTime: groupTime(g.CreatedAt), UpdateTime: groupTime(g.UpdatedAt),
		OnSellStatus: 2, URLDomains: make([]urlDomain, 0, len(ds)), SLDomainAccessEnabled: g.SLDomainAccess, SLDomains: []string{sl},
		Remark: g.Remark, IsDefault: 2, Version: "V1",
	}
	for _, d := range ds {
		served, err := h.gw.Served(ctx, d)
		if err != nil {
			return apiGroupInfo{}, err
		}
		out.URLDomains = append(out.URLDomains, h.toURLDomain(d, served))
	}
	return out, nil
}

// writeGroup answers one group.
func (h *Handler) writeGroup(w http.ResponseWriter, r *http.Request, status int, g *certgate.APIGroup) error {
	out, err := h.toGroup(r.Context(), g)
	if err != nil {
		return err
	}
	writeJSON(w, status, out)
	return nil
}

func (h *Handler) groupRoutes(handle func(string, api.HandlerFunc)) {
	const base = "/v2/{project}/apigw/instances/{instance}/api-groups"
	handle("POST "+base, h.createGroup)
	handle("GET "+base, h.listGroups)
	handle("GET "+base+"/{group}", h.showGroup)
	handle("PUT "+base+"/{group}", h.updateGroup)
	handle("DELETE "+base+"/{group}", h.deleteGroup)
	handle("PUT "+base+"/{group}/sl-domain-access-settings", h.setSLDomainAccess)
	h.domainRoutes(handle)
}

func decodeGroupBody(body []byte) (*groupBody, error) {
	var b groupBody
	if err := api.DecodeJSON(body, &b); err != nil {
		return nil, err
	}
	return &b, nil
}

func (h *Handler) createGroup(w http.ResponseWriter, r *http.Request) error {
	cl := callerOf(r)
	b, err := decodeGroupBody(cl.Body)
	if err != nil {
		return err
	}
	g, err := h.gw.CreateGroup(r.Context(), cl.Scope.AccountID, r.PathValue("instance"), gwconfig.GroupInput{
		Name: str(b.Name), Remark: str(b.Remark), RomaAppID: str(b.RomaAppID), Version: str(b.Version),
	})
	if err != nil {
		return err
	}
	return h.writeGroup(w, r, http.StatusCreated, g)
}

func (h *Handler) showGroup(w http.ResponseWriter, r *http.Request) error {
	cl := callerOf(r)
	g, err := h.gw.Group(r.Context(), cl.Scope.AccountID, r.PathValue("instance"), r.PathValue("group"))
	if err != nil {
		return err
	}
	return h.writeGroup(w, r, http.StatusOK, g)
}

func (h *Handler) listGroups(w http.ResponseWriter, r *http.Request) error {
	cl := callerOf(r)
	q := r.URL.Query()
	offset, limit, err := paging(q.Get("offset"), q.Get("limit"))
	if err != nil {
		return err
	}
	f := gwconfig.GroupFilter{ID: q.Get("id"), Name: q.Get("name"), Precise: q.Get("precise_search") == "name"}
	items, total, err := h.gw.ListGroups(r.Context(), cl.Scope.AccountID, r.PathValue("instance"), f, offset, limit)
	if err != nil {
		return err
	}
	out := groupList{Size: int32(len(items)), Total: total, Groups: make([]apiGroupInfo, 0, len(items))}
	for _, g := range items {
		info, err := h.toGroup(r.Context(), g)
		if err != nil {
			return err
		}
		out.Groups = append(out.Groups, info)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (h *Handler) updateGroup(w http.ResponseWriter, r *http.Request) error {
	cl := callerOf(r)
	b, err := decodeGroupBody(cl.Body)
	if err != nil {
		return err
	}
	// "Only the name and remark attributes of an API group can be
	// modified."
	if b.RomaAppID != nil || b.Version != nil {
		return &certgate.Error{Code: certgate.EInvalid, Reason: gwconfig.ReasonUnsupported, Field: "version",
			Message: "only the name and remark of an API group can be modified"}
	}
	g, err := h.gw.UpdateGroup(r.Context(), cl.Scope.AccountID, r.PathValue("instance"), r.PathValue("group"),
		gwconfig.GroupUpdate{Name: str(b.Name), Remark: b.Remark})
	if err != nil {
		return err
	}
	return h.writeGroup(w, r, http.StatusOK, g)
}

func (h *Handler) deleteGroup(w http.ResponseWriter, r *http.Request) error {
	cl := callerOf(r)
	if err := h.gw.DeleteGroup(r.Context(), cl.Scope.AccountID, r.PathValue("instance"), r.PathValue("group")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// slDomainSetting is UpdateSlDomainSettingV2's body.
type slDomainSetting struct {
	Enabled *bool `json:"sl_domain_access_enabled"`
}

func decodeSLDomainSetting(body []byte) (bool, error) {
	var b slDomainSetting
	err := api.DecodeJSON(body, &b)
	if err == nil && b.Enabled == nil {
		err = errors.New("sl_domain_access_enabled is required")
	}
	if err != nil {
		// The code and text Huawei documents for this operation.
		return false, asClientError(http.StatusBadRequest, "APIG.2011", "Invalid parameter value,parameterName:sl_domain_access_enabled")
	}
	return *b.Enabled, nil
}

// setSLDomainAccess is UpdateSlDomainSettingV2: 204, as documented.
func (h *Handler) setSLDomainAccess(w http.ResponseWriter, r *http.Request) error {
	cl := callerOf(r)
	enabled, err := decodeSLDomainSetting(cl.Body)
	if err != nil {
		return err
	}
	if _, err := h.gw.SetSLDomainAccess(r.Context(), cl.Scope.AccountID, r.PathValue("instance"), r.PathValue("group"), enabled); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
