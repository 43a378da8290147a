package huawei

import (
	"net/http"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/api"
	"github.com/certgate/certgate/gwconfig"
)

// envBody is EnvCreate, the body of CreateEnvironmentV2 and
// UpdateEnvironmentV2.
type envBody struct {
	Name   *string `json:"name"`
	Remark *string `json:"remark"`
}

// envInfo is EnvInfo.
type envInfo struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Remark     string `json:"remark"`
	CreateTime string `json:"create_time"`
}

type envList struct {
	Size  int32     `json:"size"`
	Total int64     `json:"total"`
	Envs  []envInfo `json:"envs"`
}

func toEnv(e *certgate.Environment) envInfo {
	return envInfo{ID: e.ID, Name: e.Name, Remark: e.Remark, CreateTime: groupTime(e.CreatedAt)}
}

func decodeEnvBody(body []byte) (*envBody, error) {
	var b envBody
	if err := api.DecodeJSON(body, &b); err != nil {
		return nil, err
	}
	return &b, nil
}

func (h *Handler) envRoutes(handle func(string, api.HandlerFunc)) {
	const base = "/v2/{project}/apigw/instances/{instance}/envs"
	handle("POST "+base, h.createEnv)
	handle("GET "+base, h.listEnvs)
	handle("PUT "+base+"/{env}", h.updateEnv)
	handle("DELETE "+base+"/{env}", h.deleteEnv)
}

func (h *Handler) createEnv(w http.ResponseWriter, r *http.Request) error {
	cl := callerOf(r)
	b, err := decodeEnvBody(cl.Body)
	if err != nil {
		return err
	}
	e, err := h.gw.CreateEnvironment(r.Context(), cl.Scope.AccountID, r.PathValue("instance"),
		gwconfig.EnvInput{Name: str(b.Name), Remark: str(b.Remark)})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toEnv(e))
	return nil
}

func (h *Handler) listEnvs(w http.ResponseWriter, r *http.Request) error {
	cl := callerOf(r)
	q := r.URL.Query()
	offset, limit, err := paging(q.Get("offset"), q.Get("limit"))
	if err != nil {
		return err
	}
	items, total, err := h.gw.ListEnvironments(r.Context(), cl.Scope.AccountID, r.PathValue("instance"), q.Get("name"), offset, limit)
	if err != nil {
		return err
	}
	out := envList{Size: int32(len(items)), Total: total, Envs: make([]envInfo, 0, len(items))}
	for _, e := range items {
		out.Envs = append(out.Envs, toEnv(e))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// updateEnv answers exactly 200, which golangsdk's environments.Update
// demands. Name and remark are replaced (an absent remark clears it).
func (h *Handler) updateEnv(w http.ResponseWriter, r *http.Request) error {
	cl := callerOf(r)
	b, err := decodeEnvBody(cl.Body)
	if err != nil {
		return err
	}
	e, err := h.gw.UpdateEnvironment(r.Context(), cl.Scope.AccountID, r.PathValue("instance"), r.PathValue("env"),
		gwconfig.EnvInput{Name: str(b.Name), Remark: str(b.Remark)})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toEnv(e))
	return nil
}

func (h *Handler) deleteEnv(w http.ResponseWriter, r *http.Request) error {
	cl := callerOf(r)
	if err := h.gw.DeleteEnvironment(r.Context(), cl.Scope.AccountID, r.PathValue("instance"), r.PathValue("env")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
