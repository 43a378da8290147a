package aws

import (
	"net/http"
	"strconv"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/api"
	"github.com/certgate/certgate/restapi"
)

// restRoutes adds the REST API operations (rest_api, resource, method,
// integration and their responses) to the mux.
func (h *Handler) restRoutes(handle func(string, api.HandlerFunc)) {
	const (
		apiPath = "/restapis/{restapi_id}"
		resPath = apiPath + "/resources/{resource_id}"
		mPath   = resPath + "/methods/{http_method}"
		intPath = mPath + "/integration"
		mrPath  = mPath + "/responses/{status_code}"
		irPath  = intPath + "/responses/{status_code}"
	)
	handle("POST /restapis", h.createRestAPI)
	handle("GET /restapis", h.getRestAPIs)
	handle("GET "+apiPath, h.getRestAPI)
	handle("PATCH "+apiPath, h.updateRestAPI)
	handle("DELETE "+apiPath, h.deleteRestAPI)
	handle("GET "+apiPath+"/resources", h.getResources)
	handle("GET "+resPath, h.getResource)
	handle("POST "+resPath, h.createResource)
	handle("PATCH "+resPath, h.updateResource)
	handle("DELETE "+resPath, h.deleteResource)
	handle("PUT "+mPath, h.putMethod)
	handle("GET "+mPath, h.getMethod)
	handle("PATCH "+mPath, h.updateMethod)
	handle("DELETE "+mPath, h.deleteMethod)
	handle("PUT "+intPath, h.putIntegration)
	handle("GET "+intPath, h.getIntegration)
	handle("PATCH "+intPath, h.updateIntegration)
	handle("DELETE "+intPath, h.deleteIntegration)
	handle("PUT "+mrPath, h.putMethodResponse)
	handle("GET "+mrPath, h.getMethodResponse)
	handle("PATCH "+mrPath, h.updateMethodResponse)
	handle("DELETE "+mrPath, h.deleteMethodResponse)
	handle("PUT "+irPath, h.putIntegrationResponse)
	handle("GET "+irPath, h.getIntegrationResponse)
	handle("PATCH "+irPath, h.updateIntegrationResponse)
	handle("DELETE "+irPath, h.deleteIntegrationResponse)
	h.stageRoutes(handle)
}

// pageLimit reads the limit query parameter (0 when absent).
func pageLimit(r *http.Request) (int, error) {
	q := api.Query(r)
	v := q.Get("limit")
	if v == "" && !q.Has("limit") {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > restapi.MaxPageLimit {
		return 0, &certgate.Error{Code: certgate.EInvalid, Field: "limit",
			Message: "Invalid value for parameter 'limit': '" + certgate.Clip(v) + "'. It must be an integer between 1 and 500"}
	}
	return n, nil
}

type itemList[T any] struct {
	Position string `json:"position,omitempty"`
	Item     []T    `json:"item"`
}

func (h *Handler) createRestAPI(w http.ResponseWriter, r *http.Request) error {
	cl := callerOf(r)
	var req createRestAPIRequest
	if err := api.DecodeJSON(cl.Body, &req); err != nil {
		return err
	}
	a, err := h.rest.CreateRestAPI(r.Context(), cl.Scope, req.record())
	if err != nil {
		return err
	}
	writeShape(w, r, http.StatusCreated, "/restapis/"+a.ID, restAPIToWire(a))
	return nil
}

func (h *Handler) getRestAPI(w http.ResponseWriter, r *http.Request) error {
	a, err := h.rest.GetRestAPI(r.Context(), callerOf(r).Scope, r.PathValue("restapi_id"))
	if err != nil {
		return err
	}
	writeShape(w, r, http.StatusOK, "/restapis/"+a.ID, restAPIToWire(a))
	return nil
}

func (h *Handler) getRestAPIs(w http.ResponseWriter, r *http.Request) error {
	limit, err := pageLimit(r)
	if err != nil {
		return err
	}
	page, err := h.rest.ListRestAPIs(r.Context(), callerOf(r).Scope, api.Query(r).Get("position"), limit)
	if err != nil {
		return err
	}
	out := itemList[restAPIWire]{Position: page.Position, Item: make([]restAPIWire, 0, len(page.Items))}
	for _, a := range page.Items {
		out.Item = append(out.Item, restAPIToWire(a))
	}
	writeShape(w, r, http.StatusOK, "/restapis", out)
	return nil
}

func (h *Handler) updateRestAPI(w http.ResponseWriter, r *http.Request) error {
	cl := callerOf(r)
	ops, err := decodePatchOps(cl.Body)
	if err != nil {
		return err
	}
	a, err := h.rest.UpdateRestAPI(r.Context(), cl.Scope, r.PathValue("restapi_id"), func(a *certgate.RestAPI) error {
		return applyRestAPIPatch(a, ops)
	})
	if err != nil {
		return err
	}
	writeShape(w, r, http.StatusOK, "/restapis/"+a.ID, restAPIToWire(a))
	return nil
}

func (h *Handler) deleteRestAPI(w http.ResponseWriter, r *http.Request) error {
	if err := h.rest.DeleteRestAPI(r.Context(), callerOf(r).Scope, r.PathValue("restapi_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusAccepted)
	return nil
}

func (h *Handler) getResources(w http.ResponseWriter, r *http.Request) error {
	cl := callerOf(r)
	limit, err := pageLimit(r)
	if err != nil {
		return err
	}
	id := r.PathValue("restapi_id")
	q := api.Query(r)
	page, err := h.rest.ListResources(r.Context(), cl.Scope, id, q.Get("position"), limit)
	if err != nil {
		return err
	}
	var methods []*certgate.Method
	for _, e := range q["embed"] {
		if e == "methods" {
			if methods, err = h.rest.ListMethods(r.Context(), cl.Scope, id); err != nil {
				return err
			}
		}
	}
	out := itemList[resourceWire]{Position: page.Position, Item: make([]resourceWire, 0, len(page.Items))}
	for _, res := range page.Items {
		out.Item = append(out.Item, resourceToWire(res, methods))
	}
	writeShape(w, r, http.StatusOK, "/restapis/"+id+"/resources", out)
	return nil
}

func resourceHref(r *http.Request) string {
	return "/restapis/" + r.PathValue("restapi_id") + "/resources/" + r.PathValue("resource_id")
}

func (h *Handler) writeResource(w http.ResponseWriter, r *http.Request, status int, res restapi.Resource) error {
	methods, err := h.rest.ListMethods(r.Context(), callerOf(r).Scope, res.APIID)
	if err != nil {
		return err
	}
	writeShape(w, r, status, "/restapis/"+res.APIID+"/resources/"+res.ID, resourceToWire(res, methods))
	return nil
}

func (h *Handler) getResource(w http.ResponseWriter, r *http.Request) error {
	res, err := h.rest.GetResource(r.Context(), callerOf(r).Scope, r.PathValue("restapi_id"), r.PathValue("resource_id"))
	if err != nil {
		return err
	}
	return h.writeResource(w, r, http.StatusOK, res)
}

type createResourceRequest struct {
	PathPart *string `json:"pathPart"`
}

func (h *Handler) createResource(w http.ResponseWriter, r *http.Request) error {
	cl := callerOf(r)
	var req createResourceRequest
	if err := api.DecodeJSON(cl.Body, &req); err != nil {
		return err
	}
	if req.PathPart == nil {
		return &certgate.Error{Code: certgate.EInvalid, Reason: "missing", Field: "createResourceInput.pathPart", Message: "pathPart is required"}
	}
	res, err := h.rest.CreateResource(r.Context(), cl.Scope, r.PathValue("restapi_id"), r.PathValue("resource_id"), *req.PathPart)
	if err != nil {
		return err
	}
	writeShape(w, r, http.StatusCreated, "/restapis/"+res.APIID+"/resources/"+res.ID, resourceToWire(res, nil))
	return nil
}

func (h *Handler) updateResource(w http.ResponseWriter, r *http.Request) error {
	cl := callerOf(r)
	ops, err := decodePatchOps(cl.Body)
	if err != nil {
		return err
	}
	parentID, pathPart, err := resourcePatch(ops)
	if err != nil {
		return err
	}
	res, err := h.rest.UpdateResource(r.Context(), cl.Scope, r.PathValue("restapi_id"), r.PathValue("resource_id"), parentID, pathPart)
	if err != nil {
		return err
	}
	return h.writeResource(w, r, http.StatusOK, res)
}

func (h *Handler) deleteResource(w http.ResponseWriter, r *http.Request) error {
	if err := h.rest.DeleteResource(r.Context(), callerOf(r).Scope, r.PathValue("restapi_id"), r.PathValue("resource_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusAccepted)
	return nil
}

// methodKey is the API, resource and HTTP method a method route names.
func methodKey(r *http.Request) (apiID, resourceID, httpMethod string) {
	return r.PathValue("restapi_id"), r.PathValue("resource_id"), r.PathValue("http_method")
}

func methodHref(r *http.Request) string {
	return resourceHref(r) + "/methods/" + r.PathValue("http_method")
}

func (h *Handler) putMethod(w http.ResponseWriter, r *http.Request) error {
	cl := callerOf(r)
	var req putMethodRequest
	if err := api.DecodeJSON(cl.Body, &req); err != nil {
		return err
	}
	a, res, hm := methodKey(r)
	m, err := h.rest.PutMethod(r.Context(), cl.Scope, a, res, hm, req.record())
	if err != nil {
		return err
	}
	writeShape(w, r, http.StatusCreated, methodHref(r), methodToWire(m))
	return nil
}

func (h *Handler) getMethod(w http.ResponseWriter, r *http.Request) error {
	a, res, hm := methodKey(r)
	m, err := h.rest.GetMethod(r.Context(), callerOf(r).Scope, a, res, hm)
	if err != nil {
		return err
	}
	writeShape(w, r, http.StatusOK, methodHref(r), methodToWire(m))
	return nil
}

func (h *Handler) updateMethod(w http.ResponseWriter, r *http.Request) error {
	cl := callerOf(r)
	ops, err := decodePatchOps(cl.Body)
	if err != nil {
		return err
	}
	a, res, hm := methodKey(r)
	m, err := h.rest.UpdateMethod(r.Context(), cl.Scope, a, res, hm, func(m *certgate.Method) error { return applyMethodPatch(m, ops) })
	if err != nil {
		return err
	}
	writeShape(w, r, http.StatusOK, methodHref(r), methodToWire(m))
	return nil
}

func (h *Handler) deleteMethod(w http.ResponseWriter, r *http.Request) error {
	a, res, hm := methodKey(r)
	if err := h.rest.DeleteMethod(r.Context(), callerOf(r).Scope, a, res, hm); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) putIntegration(w http.ResponseWriter, r *http.Request) error {
	cl := callerOf(r)
	var req putIntegrationRequest
	if err := api.DecodeJSON(cl.Body, &req); err != nil {
		return err
	}
	a, res, hm := methodKey(r)
	in, err := h.rest.PutIntegration(r.Context(), cl.Scope, a, res, hm, req.record())
	if err != nil {
		return err
	}
	writeShape(w, r, http.StatusCreated, methodHref(r)+"/integration", integrationToWire(in))
	return nil
}

func (h *Handler) getIntegration(w http.ResponseWriter, r *http.Request) error {
	a, res, hm := methodKey(r)
	in, err := h.rest.GetIntegration(r.Context(), callerOf(r).Scope, a, res, hm)
	if err != nil {
		return err
	}
	writeShape(w, r, http.StatusOK, methodHref(r)+"/integration", integrationToWire(in))
	return nil
}

func (h *Handler) updateIntegration(w http.ResponseWriter, r *http.Request) error {
	cl := callerOf(r)
	ops, err := decodePatchOps(cl.Body)
	if err != nil {
		return err
	}
	a, res, hm := methodKey(r)
	in, err := h.rest.UpdateIntegration(r.Context(), cl.Scope, a, res, hm, func(in *certgate.Integration) error {
		return applyIntegrationPatch(in, ops)
	})
	if err != nil {
		return err
	}
	writeShape(w, r, http.StatusOK, methodHref(r)+"/integration", integrationToWire(in))
	return nil
}

func (h *Handler) deleteIntegration(w http.ResponseWriter, r *http.Request) error {
	a, res, hm := methodKey(r)
	if err := h.rest.DeleteIntegration(r.Context(), callerOf(r).Scope, a, res, hm); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) putMethodResponse(w http.ResponseWriter, r *http.Request) error {
	cl := callerOf(r)
	var req putMethodResponseRequest
	if err := api.DecodeJSON(cl.Body, &req); err != nil {
		return err
	}
	a, res, hm := methodKey(r)
	code := r.PathValue("status_code")
	mr, err := h.rest.PutMethodResponse(r.Context(), cl.Scope, a, res, hm,
		&certgate.MethodResponse{StatusCode: code, ResponseParameters: req.ResponseParameters, ResponseModels: req.ResponseModels})
	if err != nil {
		return err
	}
	writeShape(w, r, http.StatusCreated, methodHref(r)+"/responses/"+code, methodResponseToWire(mr))
	return nil
}

func (h *Handler) getMethodResponse(w http.ResponseWriter, r *http.Request) error {
	a, res, hm := methodKey(r)
	code := r.PathValue("status_code")
	mr, err := h.rest.GetMethodResponse(r.Context(), callerOf(r).Scope, a, res, hm, code)
	if err != nil {
		return err
	}
	writeShape(w, r, http.StatusOK, methodHref(r)+"/responses/"+code, methodResponseToWire(mr))
	return nil
}

func (h *Handler) deleteMethodResponse(w http.ResponseWriter, r *http.Request) error {
	a, res, hm := methodKey(r)
	if err := h.rest.DeleteMethodResponse(r.Context(), callerOf(r).Scope, a, res, hm, r.PathValue("status_code")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) putIntegrationResponse(w http.ResponseWriter, r *http.Request) error {
	cl := callerOf(r)
	var req putIntegrationResponseRequest
	if err := api.DecodeJSON(cl.Body, &req); err != nil {
		return err
	}
	a, res, hm := methodKey(r)
	code := r.PathValue("status_code")
	ir := &certgate.IntegrationResponse{StatusCode: code, ResponseParameters: req.ResponseParameters, ResponseTemplates: req.ResponseTemplates}
	if req.SelectionPattern != nil {
		ir.SelectionPattern = *req.SelectionPattern
	}
	if req.ContentHandling != nil {
		ir.ContentHandling = *req.ContentHandling
	}
	out, err := h.rest.PutIntegrationResponse(r.Context(), cl.Scope, a, res, hm, ir)
	if err != nil {
		return err
	}
	writeShape(w, r, http.StatusCreated, methodHref(r)+"/integration/responses/"+code, integrationResponseToWire(out))
	return nil
}

func (h *Handler) getIntegrationResponse(w http.ResponseWriter, r *http.Request) error {
	a, res, hm := methodKey(r)
	code := r.PathValue("status_code")
	out, err := h.rest.GetIntegrationResponse(r.Context(), callerOf(r).Scope, a, res, hm, code)
	if err != nil {
		return err
	}
	writeShape(w, r, http.StatusOK, methodHref(r)+"/integration/responses/"+code, integrationResponseToWire(out))
	return nil
}

func (h *Handler) deleteIntegrationResponse(w http.ResponseWriter, r *http.Request) error {
	a, res, hm := methodKey(r)
	if err := h.rest.DeleteIntegrationResponse(r.Context(), callerOf(r).Scope, a, res, hm, r.PathValue("status_code")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) updateMethodResponse(w http.ResponseWriter, r *http.Request) error {
	cl := callerOf(r)
	ops, err := decodePatchOps(cl.Body)
	if err != nil {
		return err
	}
	a, res, hm := methodKey(r)
	code := r.PathValue("status_code")
	mr, err := h.rest.UpdateMethodResponse(r.Context(), cl.Scope, a, res, hm, code,
		func(mr *certgate.MethodResponse) error { return applyMethodResponsePatch(mr, ops) })
	if err != nil {
		return err
	}
	writeShape(w, r, http.StatusOK, methodHref(r)+"/responses/"+code, methodResponseToWire(mr))
	return nil
}

func (h *Handler) updateIntegrationResponse(w http.ResponseWriter, r *http.Request) error {
	cl := callerOf(r)
	ops, err := decodePatchOps(cl.Body)
	if err != nil {
		return err
	}
	a, res, hm := methodKey(r)
	code := r.PathValue("status_code")
	ir, err := h.rest.UpdateIntegrationResponse(r.Context(), cl.Scope, a, res, hm, code,
		func(ir *certgate.IntegrationResponse) error { return applyIntegrationResponsePatch(ir, ops) })
	if err != nil {
		return err
	}
	writeShape(w, r, http.StatusOK, methodHref(r)+"/integration/responses/"+code, integrationResponseToWire(ir))
	return nil
}
