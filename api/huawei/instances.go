package huawei

import (
	"net/http"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/api"
	"github.com/certgate/certgate/gwconfig"
)

// instance is RespInstanceBase (list items) and the part of
// ShowDetailsOfInstanceV2's answer that certgate has facts for. Every
// instance is the one shared data plane, always running.
type instance struct {
	ID                   string `json:"id"`
	ProjectID            string `json:"project_id"`
	InstanceName         string `json:"instance_name"`
	Status               string `json:"status"`
	InstanceStatus       int32  `json:"instance_status"`
	Type                 string `json:"type"`
	Spec                 string `json:"spec"`
	CreateTime           int64  `json:"create_time"` // unix seconds, unlike every other time here
	EnterpriseProjectID  string `json:"enterprise_project_id"`
	ChargingMode         int32  `json:"charging_mode"`
	LoadbalancerProvider string `json:"loadbalancer_provider"`
}

type instanceDetail struct {
	instance
	Description string `json:"description"`
}

type instanceList struct {
	Size      int32      `json:"size"`
	Total     int64      `json:"total"`
	Instances []instance `json:"instances"`
}

const (
	statusRunning         = "Running"
	instanceStatusRunning = 6
)

func toInstance(in *certgate.Instance, projectID string) instance {
	return instance{
		ID: in.ID, ProjectID: projectID, InstanceName: in.Name,
		Status: statusRunning, InstanceStatus: instanceStatusRunning,
		Type: "apig", Spec: "BASIC", CreateTime: in.CreatedAt.Unix(),
		EnterpriseProjectID: "0", ChargingMode: 0, LoadbalancerProvider: "elb",
	}
}

// gatewayRoutes adds the instance and API group operations.
func (h *Handler) gatewayRoutes(handle func(string, api.HandlerFunc)) {
	const base = "/v2/{project}/apigw/instances"
	handle("GET "+base, h.listInstances)
	handle("GET "+base+"/{instance}", h.showInstance)
	h.groupRoutes(handle)
	h.apiRoutes(handle)
}

func (h *Handler) listInstances(w http.ResponseWriter, r *http.Request) error {
	cl := callerOf(r)
	q := r.URL.Query()
	offset, limit, err := paging(q.Get("offset"), q.Get("limit"))
	if err != nil {
		return err
	}
	out := instanceList{Instances: []instance{}}
	// Every instance is running: a filter on another status matches none.
	if st := q.Get("status"); st == "" || st == statusRunning {
		items, total, err := h.gw.ListInstances(r.Context(), cl.Scope.AccountID,
			gwconfig.InstanceFilter{ID: q.Get("instance_id"), Name: q.Get("instance_name")}, offset, limit)
		if err != nil {
			return err
		}
		out.Total = total
		for _, in := range items {
			out.Instances = append(out.Instances, toInstance(in, cl.Account.ProjectID))
		}
	}
	out.Size = int32(len(out.Instances))
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (h *Handler) showInstance(w http.ResponseWriter, r *http.Request) error {
	cl := callerOf(r)
	in, err := h.gw.Instance(r.Context(), cl.Scope.AccountID, r.PathValue("instance"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, instanceDetail{instance: toInstance(in, cl.Account.ProjectID)})
	return nil
}

// paging reads offset and limit as APIG clamps them.
func paging(offsetParam, limitParam string) (offset, limit int, err error) {
	if offset, err = intParam(offsetParam, "offset", 0); err != nil {
		return 0, 0, err
	}
	if limit, err = intParam(limitParam, "limit", defaultLimit); err != nil {
		return 0, 0, err
	}
	if limit <= 0 {
		limit = defaultLimit
	}
	return max(offset, 0), min(limit, maxLimit), nil
}
