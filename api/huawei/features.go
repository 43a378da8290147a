package huawei

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/api"
	"github.com/certgate/certgate/certs"
	"github.com/certgate/certgate/gwconfig"
)

// featureBackendCert is the one instance feature certgate has.
const featureBackendCert = "backend_client_certificate"

// featureToggle is FeatureToggle, the body of CreateFeatureV2. config is a
// JSON document inside a JSON string.
type featureToggle struct {
	Name   *string `json:"name"`
	Enable *bool   `json:"enable"`
	Config *string `json:"config"`
}

// backendCertConfig is the config of backend_client_certificate.
type backendCertConfig struct {
	Enable  string `json:"enable"` // on or off
	CA      string `json:"ca"`
	Content string `json:"content"`
	Key     string `json:"key,omitempty"` // in only: never answered
}

// featureInfo is FeatureInfo.
type featureInfo struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Enable     bool   `json:"enable"`
	Config     string `json:"config"`
	InstanceID string `json:"instance_id"`
	UpdateTime string `json:"update_time"`
}

type featureList struct {
	Size     int32         `json:"size"`
	Total    int64         `json:"total"`
	Features []featureInfo `json:"features"`
}

func decodeFeature(body []byte) (*featureToggle, *backendCertConfig, error) {
	var b featureToggle
	if err := api.DecodeJSON(body, &b); err != nil {
		return nil, nil, err
	}
	var cfg backendCertConfig
	// An unknown feature is answered as one before its config is read:
	// only this feature's config has a shape to check.
	if b.Config != nil && *b.Config != "" && str(b.Name) == featureBackendCert {
		if err := api.DecodeJSON([]byte(*b.Config), &cfg); err != nil {
			return nil, nil, &certgate.Error{Code: certgate.EInvalid, Reason: gwconfig.ReasonBadValue, Field: "config",
				Message: "config must be a JSON object in a string", Err: err}
		}
	}
	return &b, &cfg, nil
}

// toFeature answers the feature from its certificate: the config shows
// the chain and the CA, never the key.
func toFeature(c *certgate.Certificate) featureInfo {
	cfg, _ := json.Marshal(backendCertConfig{Enable: "on", CA: c.TrustedRootCA, Content: c.CertificatePEM})
	return featureInfo{ID: c.ID, Name: featureBackendCert, Enable: true, Config: string(cfg), InstanceID: c.InstanceID,
		UpdateTime: groupTime(c.UpdatedAt)}
}

func (h *Handler) featureRoutes(handle func(string, api.HandlerFunc)) {
	const base = "/v2/{project}/apigw/instances/{instance}/features"
	handle("POST "+base, h.createFeature)
	handle("GET "+base, h.listFeatures)
}

func (h *Handler) createFeature(w http.ResponseWriter, r *http.Request) error {
	cl := callerOf(r)
	ctx, acct, inst := r.Context(), cl.Scope.AccountID, r.PathValue("instance")
	if _, err := h.gw.Instance(ctx, acct, inst); err != nil {
		return err
	}
	b, cfg, err := decodeFeature(cl.Body)
	if err != nil {
		return err
	}
	if name := str(b.Name); name != featureBackendCert {
		return asClientError(http.StatusBadRequest, "APIG.2000",
			"unrecognized feature "+certgate.Clip(name)+"; the supported feature is "+featureBackendCert)
	}
	if b.Enable == nil || !*b.Enable || cfg.Enable == "off" {
		// Off: the gateway presents no client certificate any more.
		gone, err := h.certs.DeleteBackendCertificate(ctx, acct, inst)
		if err != nil {
			return err
		}
		out, _ := json.Marshal(backendCertConfig{Enable: "off"})
		info := featureInfo{Name: featureBackendCert, Enable: false, Config: string(out), InstanceID: inst, UpdateTime: groupTime(time.Now())}
		if gone != nil {
			info.ID = gone.ID
		}
		writeJSON(w, http.StatusCreated, info)
		return nil
	}
	if cfg.Enable != "on" {
		return &certgate.Error{Code: certgate.EInvalid, Reason: gwconfig.ReasonBadValue, Field: "config.enable",
			Message: `config.enable must be "on" or "off"`}
	}
	c, err := h.certs.SetBackendCertificate(ctx, acct, inst, certs.BackendInput{CertPEM: cfg.Content, KeyPEM: cfg.Key, CAPEM: cfg.CA})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toFeature(c))
	return nil
}

func (h *Handler) listFeatures(w http.ResponseWriter, r *http.Request) error {
	cl := callerOf(r)
	ctx, acct, inst := r.Context(), cl.Scope.AccountID, r.PathValue("instance")
	q := r.URL.Query()
	offset, limit, err := paging(q.Get("offset"), q.Get("limit"))
	if err != nil {
		return err
	}
	if _, err := h.gw.Instance(ctx, acct, inst); err != nil {
		return err
	}
	out := featureList{Features: []featureInfo{}}
	c, err := h.certs.BackendCertificate(ctx, acct, inst)
	switch {
	case certgate.ErrorCode(err) == certgate.ENotFound:
	case err != nil:
		return err
	default:
		out.Total = 1
		if offset == 0 && limit > 0 {
			out.Features = append(out.Features, toFeature(c))
		}
	}
	out.Size = int32(len(out.Features))
	writeJSON(w, http.StatusOK, out)
	return nil
}
