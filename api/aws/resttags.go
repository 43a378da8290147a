package aws

import (
	"net/http"
	"strings"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/api"
)

// restTagTarget parses the ARN forms of REST APIs and stages,
// arn:PARTITION:apigateway:REGION::/restapis/ID and
// arn:PARTITION:apigateway:REGION::/restapis/ID/stages/NAME. ok is false
// for any other ARN, which the client certificate path then judges.
func restTagTarget(arn string) (region, apiID, stage string, ok bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(arn) > 1024 || len(parts) != 6 || parts[0] != "arn" || parts[2] != "apigateway" || parts[4] != "" || parts[3] == "" {
		return "", "", "", false
	}
	rest, found := strings.CutPrefix(parts[5], "/restapis/")
	if !found {
		return "", "", "", false
	}
	segs := strings.Split(rest, "/")
	switch {
	case len(segs) == 1 && segs[0] != "":
		return parts[3], segs[0], "", true
	case len(segs) == 3 && segs[0] != "" && segs[1] == "stages" && segs[2] != "":
		return parts[3], segs[0], segs[2], true
	}
	return "", "", "", false
}

// restTags serves TagResource, UntagResource and GetTags for REST APIs and
// stages; handled is false when the ARN names neither.
func (h *Handler) restTags(w http.ResponseWriter, r *http.Request) (handled bool, err error) {
	if h.rest == nil {
		return false, nil
	}
	region, apiID, stage, ok := restTagTarget(r.PathValue("arn"))
	if !ok {
		return false, nil
	}
	cl := callerOf(r)
	if region != cl.Scope.Region {
		// An ARN of another region names nothing here, as on AWS.
		return true, &certgate.Error{Code: certgate.ENotFound, Reason: "no_rest_api", Value: certgate.Clip(cl.Scope.AccountID + ":" + apiID), Message: "REST API not found"}
	}
	var tags, remove = map[string]string(nil), []string(nil)
	switch r.Method {
	case http.MethodPut:
		var req tagRequest
		if err := api.DecodeJSON(cl.Body, &req); err != nil {
			return true, err
		}
		if req.Tags == nil {
			return true, &certgate.Error{Code: certgate.EInvalid, Field: "tags",
				Message: "1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null"}
		}
		tags = req.Tags
	case http.MethodDelete:
		remove = api.Query(r)["tagKeys"]
		if len(remove) == 0 {
			// Keep TagRestAPI's "tagKeys is required" answer.
			remove = nil
		}
	case http.MethodGet:
		var cur map[string]string
		if stage == "" {
			a, err := h.rest.GetRestAPI(r.Context(), cl.Scope, apiID)
			if err != nil {
				return true, err
			}
			cur = a.Tags
		} else {
			st, err := h.rest.GetStage(r.Context(), cl.Scope, apiID, stage)
			if err != nil {
				return true, err
			}
			cur = st.Tags
		}
		if cur == nil {
			cur = map[string]string{}
		}
		writeJSON(w, http.StatusOK, "application/json", map[string]any{"tags": cur})
		return true, nil
	}
	if stage == "" {
		_, err = h.rest.TagRestAPI(r.Context(), cl.Scope, apiID, tags, remove)
	} else {
		_, err = h.rest.TagStage(r.Context(), cl.Scope, apiID, stage, tags, remove)
	}
	if err != nil {
		return true, err
	}
	w.WriteHeader(http.StatusNoContent)
	return true, nil
}
