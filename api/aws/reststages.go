package aws

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/api"
	"github.com/certgate/certgate/restapi"
)

// stagePathsMessage is AWS's recorded answer to a stage patch path outside
// its list (aws-stages-integrations.md), byte for byte, missing commas
// included.
const stagePathsMessage = ". Must be one of: [/deploymentId, /description, /cacheClusterEnabled, /cacheClusterSize, /clientCertificateId, /accessLogSettings, /accessLogSettings/destinationArn, /accessLogSettings/format, /{resourcePath}/{httpMethod}/metrics/enabled, /{resourcePath}/{httpMethod}/logging/dataTrace, /{resourcePath}/{httpMethod}/logging/loglevel, /{resourcePath}/{httpMethod}/throttling/burstLimit/{resourcePath}/{httpMethod}/throttling/rateLimit/{resourcePath}/{httpMethod}/caching/ttlInSeconds, /{resourcePath}/{httpMethod}/caching/enabled, /{resourcePath}/{httpMethod}/caching/dataEncrypted, /{resourcePath}/{httpMethod}/caching/requireAuthorizationForCacheControl, /{resourcePath}/{httpMethod}/caching/unauthorizedCacheControlHeaderStrategy, /*/*/metrics/enabled, /*/*/logging/dataTrace, /*/*/logging/loglevel, /*/*/throttling/burstLimit /*/*/throttling/rateLimit /*/*/caching/ttlInSeconds, /*/*/caching/enabled, /*/*/caching/dataEncrypted, /*/*/caching/requireAuthorizationForCacheControl, /*/*/caching/unauthorizedCacheControlHeaderStrategy, /variables/{variable_name}, /tracingEnabled]"

func badStagePath(o patchOp) error {
	return badRequest("Invalid method setting path: " + certgate.Clip(o.Raw) + stagePathsMessage)
}

// methodSettingKinds are the method settings a stage path may name, with
// the kind of value each takes.
var methodSettingKinds = map[string]string{
	"metrics/enabled": "bool", "logging/dataTrace": "bool", "logging/loglevel": "level",
	"throttling/burstLimit": "int", "throttling/rateLimit": "float", "caching/ttlInSeconds": "int",
	"caching/enabled": "bool", "caching/dataEncrypted": "bool", "caching/requireAuthorizationForCacheControl": "bool",
	"caching/unauthorizedCacheControlHeaderStrategy": "strategy",
}

func checkSettingValue(o patchOp, kind string) error {
	ok := true
	switch kind {
	case "bool":
		ok = o.Value == "true" || o.Value == "false"
	case "int":
		_, err := strconv.Atoi(o.Value)
		ok = err == nil
	case "float":
		f, err := strconv.ParseFloat(o.Value, 64)
		ok = err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) // JSON has no NaN or Infinity
	case "percent":
		f, err := strconv.ParseFloat(o.Value, 64)
		ok = err == nil && f >= 0 && f <= 100
	case "level":
		ok = o.Value == "OFF" || o.Value == "ERROR" || o.Value == "INFO"
	case "strategy":
		ok = o.Value == "FAIL_WITH_403" || o.Value == "SUCCEED_WITH_RESPONSE_HEADER" || o.Value == "SUCCEED_WITHOUT_RESPONSE_HEADER"
	}
	if !ok {
		return badRequest(fmt.Sprintf("Invalid value '%s' specified for '%s'", certgate.Clip(o.Value), certgate.Clip(o.Raw)))
	}
	return nil
}

// settingsKey is the method-settings key that path segments ending in an
// HTTP method name ("pets/GET", "a/b/GET", "*/*"), or "" when they name
// none. The resource path may arrive as one segment with its slashes
// escaped (~1) or as several.
func settingsKey(s []string) string {
	n := len(s)
	if n < 2 {
		return ""
	}
	method := s[n-1]
	resource := strings.TrimPrefix(strings.Join(s[:n-1], "/"), "/")
	if resource == "" || method == "" || (method != "*" && !restapi.ValidHTTPMethod(method)) || ((resource == "*") != (method == "*")) {
		return ""
	}
	return resource + "/" + method
}

// applyStagePatch applies UpdateStage's operations: the paths of AWS's list
// and the ones Terraform sends besides (/documentationVersion,
// /canarySettings/...).
func applyStagePatch(st *certgate.Stage, ops []patchOp) error {
	for _, o := range ops {
		s := o.Segments
		switch o.Op {
		case "copy":
			if err := stageCopy(st, o); err != nil {
				return err
			}
			continue
		case "add", "remove", "replace":
		default:
			return badRequest("Invalid patch operation specified. Must be 'add'|'remove'|'replace'|'copy'")
		}
		var err error
		switch {
		case len(s) == 1 && (s[0] == "deploymentId" || s[0] == "description" || s[0] == "clientCertificateId" ||
			s[0] == "documentationVersion" || s[0] == "cacheClusterSize"):
			if o.Op != "replace" {
				return badOp(o)
			}
			switch s[0] {
			case "deploymentId":
				st.DeploymentID = o.Value
			case "description":
				st.Description = o.Value
			case "clientCertificateId":
				st.ClientCertificateID = o.Value // "" detaches
			case "documentationVersion":
				st.DocumentationVersion = o.Value
			case "cacheClusterSize":
				st.CacheClusterSize = o.Value
			}
		case len(s) == 1 && (s[0] == "cacheClusterEnabled" || s[0] == "tracingEnabled"):
			if o.Op != "replace" {
				return badOp(o)
			}
			var v bool
			if v, err = patchBool(o); err == nil {
				if s[0] == "cacheClusterEnabled" {
					st.CacheClusterEnabled = v
				} else {
					st.TracingEnabled = v
				}
			}
		case len(s) >= 2 && s[0] == "variables":
			err = patchMap(&st.Variables, o, strings.Join(s[1:], "/"))
		case s[0] == "accessLogSettings":
			err = patchAccessLog(st, o)
		case s[0] == "canarySettings":
			if len(s) == 1 {
				if o.Op != "remove" {
					return badOp(o)
				}
				st.CanarySettings = nil
				break
			}
			key := strings.Join(s[1:], "/")
			if key != "deploymentId" && key != "percentTraffic" && key != "useStageCache" && !strings.HasPrefix(key, "stageVariableOverrides/") {
				return badStagePath(o)
			}
			if o.Op != "remove" {
				switch key {
				case "percentTraffic":
					err = checkSettingValue(o, "percent")
				case "useStageCache":
					err = checkSettingValue(o, "bool")
				}
			}
			if err == nil {
				err = patchMap(&st.CanarySettings, o, key)
			}
		case o.Op == "remove" && len(s) >= 2 && settingsKey(s) != "":
			// Terraform's aws_api_gateway_method_settings destroys with
			// remove /{resourcePath}/{httpMethod}: the whole key.
			key := settingsKey(s)
			if _, ok := st.MethodSettings[key]; !ok {
				return badRequest("Cannot remove method setting " + certgate.Clip(key) + " because there is no method setting for this method ")
			}
			delete(st.MethodSettings, key)
		case len(s) >= 4:
			// Read from the end: the last two segments name the setting,
			// the one before the method, and the rest, however many
			// segments (Terraform sends a nested resource path with raw
			// slashes), the resource path.
			n := len(s)
			kind, ok := methodSettingKinds[s[n-2]+"/"+s[n-1]]
			key := settingsKey(s[:n-2])
			if !ok || key == "" {
				return badStagePath(o)
			}
			setting := s[n-2] + "/" + s[n-1]
			switch o.Op {
			case "remove":
				delete(st.MethodSettings[key], setting)
				if len(st.MethodSettings[key]) == 0 {
					delete(st.MethodSettings, key)
				}
			default:
				if err = checkSettingValue(o, kind); err == nil {
					if st.MethodSettings == nil {
						st.MethodSettings = map[string]map[string]string{}
					}
					if st.MethodSettings[key] == nil {
						st.MethodSettings[key] = map[string]string{}
					}
					st.MethodSettings[key][setting] = o.Value
				}
			}
		default:
			return badStagePath(o)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func patchAccessLog(st *certgate.Stage, o patchOp) error {
	s := o.Segments
	if len(s) == 1 {
		if o.Op != "remove" {
			return badOp(o)
		}
		st.AccessLogSettings = nil
		return nil
	}
	if len(s) != 2 || (s[1] != "destinationArn" && s[1] != "format") {
		return badRequest("Invalid accessLogSettings path. Must be one of : [/accessLogSettings/destinationArn, /accessLogSettings/format]")
	}
	if o.Op == "remove" {
		if _, ok := st.AccessLogSettings[s[1]]; !ok {
			return badRequest("Cannot remove method setting accessLogSettings/" + s[1] + " because there is no method setting for this method ")
		}
		delete(st.AccessLogSettings, s[1])
		return nil
	}
	if o.Value == "" {
		return badRequest("Access Log value must not be empty")
	}
	return patchMap(&st.AccessLogSettings, o, s[1])
}

func stageCopy(st *certgate.Stage, o patchOp) error {
	invalid := badRequest("Invalid copy operation with path: " + certgate.Clip(o.Raw) +
		". Valid copy:path are [/deploymentId, /variables] and valid copy:from are [/canarySettings/deploymentId, /canarySettings/stageVariableOverrides]")
	switch {
	case o.Raw == "/deploymentId" && o.From == "/canarySettings/deploymentId":
		if d := st.CanarySettings["deploymentId"]; d != "" {
			st.DeploymentID = d
		}
	case o.Raw == "/variables" && o.From == "/canarySettings/stageVariableOverrides":
		for k, v := range st.CanarySettings {
			if name, ok := strings.CutPrefix(k, "stageVariableOverrides/"); ok {
				if st.Variables == nil {
					st.Variables = map[string]string{}
				}
				st.Variables[name] = v
			}
		}
	default:
		return invalid
	}
	return nil
}

// stageWire is the Stage shape. clientCertificateId is left out, not
// empty, when none is attached; cacheClusterStatus is NOT_AVAILABLE since
// the gateway keeps no cache.
type stageWire struct {
	DeploymentID         string                    `json:"deploymentId"`
	ClientCertificateID  string                    `json:"clientCertificateId,omitempty"`
	StageName            string                    `json:"stageName"`
	Description          string                    `json:"description,omitempty"`
	DocumentationVersion string                    `json:"documentationVersion,omitempty"`
	CacheClusterEnabled  bool                      `json:"cacheClusterEnabled"`
	CacheClusterSize     string                    `json:"cacheClusterSize,omitempty"`
	CacheClusterStatus   string                    `json:"cacheClusterStatus"`
	MethodSettings       map[string]map[string]any `json:"methodSettings"`
	Variables            map[string]string         `json:"variables,omitempty"`
	AccessLogSettings    map[string]string         `json:"accessLogSettings,omitempty"`
	CanarySettings       map[string]any            `json:"canarySettings,omitempty"`
	TracingEnabled       bool                      `json:"tracingEnabled"`
	WebACLARN            string                    `json:"webAclArn,omitempty"`
	Tags                 map[string]string         `json:"tags,omitempty"`
	CreatedDate          int64                     `json:"createdDate"`
	LastUpdatedDate      int64                     `json:"lastUpdatedDate"`
}

// methodSettingNames maps a stored setting to its MethodSetting member.
var methodSettingNames = map[string]string{
	"metrics/enabled": "metricsEnabled", "logging/dataTrace": "dataTraceEnabled", "logging/loglevel": "loggingLevel",
	"throttling/burstLimit": "throttlingBurstLimit", "throttling/rateLimit": "throttlingRateLimit",
	"caching/ttlInSeconds": "cacheTtlInSeconds", "caching/enabled": "cachingEnabled", "caching/dataEncrypted": "cacheDataEncrypted",
	"caching/requireAuthorizationForCacheControl":    "requireAuthorizationForCacheControl",
	"caching/unauthorizedCacheControlHeaderStrategy": "unauthorizedCacheControlHeaderStrategy",
}

// typed turns a stored string back into the JSON type of its member's
// kind (checkSettingValue's kinds). A stored value that does not parse as
// its kind (written before the kind was checked) is left out rather than
// sent in a type the SDKs reject.
func typed(kind, v string) (any, bool) {
	switch kind {
	case "bool":
		return v == "true", v == "true" || v == "false"
	case "int":
		n, err := strconv.ParseInt(v, 10, 64)
		return n, err == nil
	case "float", "percent":
		f, err := strconv.ParseFloat(v, 64)
		return f, err == nil && !math.IsNaN(f) && !math.IsInf(f, 0)
	}
	return v, true
}

func stageToWire(st *certgate.Stage) stageWire {
	w := stageWire{DeploymentID: st.DeploymentID, ClientCertificateID: st.ClientCertificateID, StageName: st.Name,
		Description: st.Description, DocumentationVersion: st.DocumentationVersion, CacheClusterEnabled: st.CacheClusterEnabled,
		CacheClusterSize: st.CacheClusterSize, CacheClusterStatus: "NOT_AVAILABLE", MethodSettings: map[string]map[string]any{},
		Variables: st.Variables, AccessLogSettings: st.AccessLogSettings, TracingEnabled: st.TracingEnabled, WebACLARN: st.WebACLARN,
		Tags: st.Tags, CreatedDate: st.CreatedAt.Unix(), LastUpdatedDate: st.UpdatedAt.Unix()}
	for key, settings := range st.MethodSettings {
		m := map[string]any{}
		for k, v := range settings {
			if tv, ok := typed(methodSettingKinds[k], v); ok {
				m[methodSettingNames[k]] = tv
			}
		}
		w.MethodSettings[key] = m
	}
	if len(st.CanarySettings) > 0 {
		c := map[string]any{}
		for k, v := range st.CanarySettings {
			if name, ok := strings.CutPrefix(k, "stageVariableOverrides/"); ok {
				o, _ := c["stageVariableOverrides"].(map[string]string)
				if o == nil {
					o = map[string]string{}
				}
				o[name] = v
				c["stageVariableOverrides"] = o
				continue
			}
			kind := map[string]string{"percentTraffic": "percent", "useStageCache": "bool"}[k]
			if tv, ok := typed(kind, v); ok {
				c[k] = tv
			}
		}
		w.CanarySettings = c
	}
	return w
}

type canarySettingsWire struct {
	PercentTraffic         *float64          `json:"percentTraffic"`
	DeploymentID           *string           `json:"deploymentId"`
	StageVariableOverrides map[string]string `json:"stageVariableOverrides"`
	UseStageCache          *bool             `json:"useStageCache"`
}

func (c *canarySettingsWire) record() map[string]string {
	if c == nil {
		return nil
	}
	m := map[string]string{}
	if c.PercentTraffic != nil {
		m["percentTraffic"] = strconv.FormatFloat(*c.PercentTraffic, 'f', -1, 64)
	}
	if c.DeploymentID != nil {
		m["deploymentId"] = *c.DeploymentID
	}
	if c.UseStageCache != nil {
		m["useStageCache"] = strconv.FormatBool(*c.UseStageCache)
	}
	for k, v := range c.StageVariableOverrides {
		m["stageVariableOverrides/"+k] = v
	}
	return m
}

type createStageRequest struct {
	StageName            *string             `json:"stageName"`
	DeploymentID         *string             `json:"deploymentId"`
	Description          *string             `json:"description"`
	CacheClusterEnabled  *bool               `json:"cacheClusterEnabled"`
	CacheClusterSize     *string             `json:"cacheClusterSize"`
	Variables            map[string]string   `json:"variables"`
	DocumentationVersion *string             `json:"documentationVersion"`
	CanarySettings       *canarySettingsWire `json:"canarySettings"`
	TracingEnabled       *bool               `json:"tracingEnabled"`
	Tags                 map[string]string   `json:"tags"`
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func boolOf(p *bool) bool { return p != nil && *p }

type createDeploymentRequest struct {
	StageName           *string             `json:"stageName"`
	StageDescription    *string             `json:"stageDescription"`
	Description         *string             `json:"description"`
	Variables           map[string]string   `json:"variables"`
	CacheClusterEnabled *bool               `json:"cacheClusterEnabled"`
	CacheClusterSize    *string             `json:"cacheClusterSize"`
	CanarySettings      *canarySettingsWire `json:"canarySettings"`
	TracingEnabled      *bool               `json:"tracingEnabled"`
}

type deploymentWire struct {
	ID          string `json:"id"`
	Description string `json:"description,omitempty"`
	CreatedDate int64  `json:"createdDate"`
}

func deploymentToWire(d *certgate.Deployment) deploymentWire {
	return deploymentWire{ID: d.ID, Description: d.Description, CreatedDate: d.CreatedAt.Unix()}
}

func (h *Handler) stageRoutes(handle func(string, api.HandlerFunc)) {
	const apiPath = "/restapis/{restapi_id}"
	handle("POST "+apiPath+"/deployments", h.createDeployment)
	handle("GET "+apiPath+"/deployments", h.getDeployments)
	handle("GET "+apiPath+"/deployments/{deployment_id}", h.getDeployment)
	handle("PATCH "+apiPath+"/deployments/{deployment_id}", h.updateDeployment)
	handle("DELETE "+apiPath+"/deployments/{deployment_id}", h.deleteDeployment)
	handle("POST "+apiPath+"/stages", h.createStage)
	handle("GET "+apiPath+"/stages", h.getStages)
	handle("GET "+apiPath+"/stages/{stage_name}", h.getStage)
	handle("PATCH "+apiPath+"/stages/{stage_name}", h.updateStage)
	handle("DELETE "+apiPath+"/stages/{stage_name}", h.deleteStage)
}

func (h *Handler) createDeployment(w http.ResponseWriter, r *http.Request) error {
	cl := callerOf(r)
	var req createDeploymentRequest
	if err := api.DecodeJSON(cl.Body, &req); err != nil {
		return err
	}
	// Terraform sends stageName "" for "no stage", as AWS allows.
	in := restapi.StageInput{Name: str(req.StageName), Description: str(req.StageDescription), Variables: req.Variables,
		CacheClusterEnabled: boolOf(req.CacheClusterEnabled), CacheClusterSize: str(req.CacheClusterSize), TracingEnabled: boolOf(req.TracingEnabled)}
	if len(in.Variables) == 0 {
		in.Variables = nil
	}
	d, err := h.rest.CreateDeployment(r.Context(), cl.Scope, r.PathValue("restapi_id"), str(req.Description), in)
	if err != nil {
		return err
	}
	writeShape(w, r, http.StatusCreated, "/restapis/"+d.APIID+"/deployments/"+d.ID, deploymentToWire(d))
	return nil
}

func (h *Handler) getDeployment(w http.ResponseWriter, r *http.Request) error {
	d, err := h.rest.GetDeployment(r.Context(), callerOf(r).Scope, r.PathValue("restapi_id"), r.PathValue("deployment_id"))
	if err != nil {
		return err
	}
	writeShape(w, r, http.StatusOK, "/restapis/"+d.APIID+"/deployments/"+d.ID, deploymentToWire(d))
	return nil
}

func (h *Handler) getDeployments(w http.ResponseWriter, r *http.Request) error {
	limit, err := pageLimit(r)
	if err != nil {
		return err
	}
	id := r.PathValue("restapi_id")
	page, err := h.rest.ListDeployments(r.Context(), callerOf(r).Scope, id, api.Query(r).Get("position"), limit)
	if err != nil {
		return err
	}
	out := itemList[deploymentWire]{Position: page.Position, Item: make([]deploymentWire, 0, len(page.Items))}
	for _, d := range page.Items {
		out.Item = append(out.Item, deploymentToWire(d))
	}
	writeShape(w, r, http.StatusOK, "/restapis/"+id+"/deployments", out)
	return nil
}

func (h *Handler) updateDeployment(w http.ResponseWriter, r *http.Request) error {
	cl := callerOf(r)
	ops, err := decodePatchOps(cl.Body)
	if err != nil {
		return err
	}
	apiID, id := r.PathValue("restapi_id"), r.PathValue("deployment_id")
	d, err := h.rest.GetDeployment(r.Context(), cl.Scope, apiID, id)
	if err != nil {
		return err
	}
	desc := d.Description
	for _, o := range ops {
		if o.Raw != "/description" {
			return badPath(o, "/description")
		}
		if o.Op != "replace" {
			return badOp(o)
		}
		desc = o.Value
	}
	if d, err = h.rest.UpdateDeployment(r.Context(), cl.Scope, apiID, id, desc); err != nil {
		return err
	}
	writeShape(w, r, http.StatusOK, "/restapis/"+apiID+"/deployments/"+id, deploymentToWire(d))
	return nil
}

func (h *Handler) deleteDeployment(w http.ResponseWriter, r *http.Request) error {
	if err := h.rest.DeleteDeployment(r.Context(), callerOf(r).Scope, r.PathValue("restapi_id"), r.PathValue("deployment_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusAccepted)
	return nil
}

func (h *Handler) createStage(w http.ResponseWriter, r *http.Request) error {
	cl := callerOf(r)
	var req createStageRequest
	if err := api.DecodeJSON(cl.Body, &req); err != nil {
		return err
	}
	if req.StageName == nil {
		return &certgate.Error{Code: certgate.EInvalid, Reason: "missing", Field: "createStageInput.stageName", Message: "stageName is required"}
	}
	in := &certgate.Stage{Name: *req.StageName, DeploymentID: str(req.DeploymentID), Description: str(req.Description),
		CacheClusterEnabled: boolOf(req.CacheClusterEnabled), CacheClusterSize: str(req.CacheClusterSize), Variables: req.Variables,
		DocumentationVersion: str(req.DocumentationVersion), CanarySettings: req.CanarySettings.record(),
		TracingEnabled: boolOf(req.TracingEnabled), Tags: req.Tags}
	st, err := h.rest.CreateStage(r.Context(), cl.Scope, r.PathValue("restapi_id"), in)
	if err != nil {
		return err
	}
	writeShape(w, r, http.StatusCreated, "/restapis/"+st.APIID+"/stages/"+st.Name, stageToWire(st))
	return nil
}

func (h *Handler) getStage(w http.ResponseWriter, r *http.Request) error {
	st, err := h.rest.GetStage(r.Context(), callerOf(r).Scope, r.PathValue("restapi_id"), r.PathValue("stage_name"))
	if err != nil {
		return err
	}
	writeShape(w, r, http.StatusOK, "/restapis/"+st.APIID+"/stages/"+st.Name, stageToWire(st))
	return nil
}

func (h *Handler) getStages(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("restapi_id")
	list, err := h.rest.ListStages(r.Context(), callerOf(r).Scope, id, api.Query(r).Get("deploymentId"))
	if err != nil {
		return err
	}
	out := struct {
		Item []stageWire `json:"item"`
	}{Item: make([]stageWire, 0, len(list))}
	for _, st := range list {
		out.Item = append(out.Item, stageToWire(st))
	}
	writeShape(w, r, http.StatusOK, "/restapis/"+id+"/stages", out)
	return nil
}

func (h *Handler) updateStage(w http.ResponseWriter, r *http.Request) error {
	cl := callerOf(r)
	ops, err := decodePatchOps(cl.Body)
	if err != nil {
		return err
	}
	st, err := h.rest.UpdateStage(r.Context(), cl.Scope, r.PathValue("restapi_id"), r.PathValue("stage_name"),
		func(st *certgate.Stage) error { return applyStagePatch(st, ops) })
	if err != nil {
		return err
	}
	writeShape(w, r, http.StatusOK, "/restapis/"+st.APIID+"/stages/"+st.Name, stageToWire(st))
	return nil
}

func (h *Handler) deleteStage(w http.ResponseWriter, r *http.Request) error {
	if err := h.rest.DeleteStage(r.Context(), callerOf(r).Scope, r.PathValue("restapi_id"), r.PathValue("stage_name")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusAccepted)
	return nil
}
