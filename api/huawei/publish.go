package huawei

import (
	"net/http"
	"time"

	"github.com/certgate/certgate/api"
	"github.com/certgate/certgate/gwconfig"
)

// apiAction is ApiActionInfo, the body of
// CreateOrDeletePublishRecordForApiV2.
type apiAction struct {
	Action *string `json:"action"`
	EnvID  *string `json:"env_id"`
	APIID  *string `json:"api_id"`
	Remark *string `json:"remark"`
}

// apiBatchPublish is ApiBatchPublish.
type apiBatchPublish struct {
	APIs    []string `json:"apis"`
	EnvID   *string  `json:"env_id"`
	GroupID *string  `json:"group_id"`
	Remark  *string  `json:"remark"`
}

// publishResp is PublishResp.
type publishResp struct {
	PublishID   string `json:"publish_id"`
	APIID       string `json:"api_id"`
	APIName     string `json:"api_name"`
	EnvID       string `json:"env_id"`
	Remark      string `json:"remark"`
	PublishTime string `json:"publish_time"`
	VersionID   string `json:"version_id"`
}

type batchFailure struct {
	APIID     string `json:"api_id"`
	APIName   string `json:"api_name"`
	ErrorCode string `json:"error_code"`
	ErrorMsg  string `json:"error_msg"`
}

type batchResult struct {
	Success []publishResp  `json:"success"`
	Failure []batchFailure `json:"failure"`
}

// apiVersionResp is ApiVersionResp.
type apiVersionResp struct {
	VersionID   string `json:"version_id"`
	VersionNo   string `json:"version_no"`
	APIID       string `json:"api_id"`
	EnvID       string `json:"env_id"`
	EnvName     string `json:"env_name"`
	Remark      string `json:"remark"`
	PublishTime string `json:"publish_time"`
	Status      int32  `json:"status"` // 1 effective, 2 not
}

type versionList struct {
	Size        int32            `json:"size"`
	Total       int64            `json:"total"`
	APIVersions []apiVersionResp `json:"api_versions"`
}

// versionZone is the zone of version_no, which Huawei's one example
// writes as the publish time in UTC+8.
var versionZone = time.FixedZone("UTC+8", 8*3600)

func toPublish(v *gwconfig.VersionView) publishResp {
	ver := v.Version
	return publishResp{PublishID: ver.PublishID, APIID: ver.APIID, APIName: ver.API.Name, EnvID: ver.EnvID,
		Remark: ver.Remark, PublishTime: groupTime(ver.PublishedAt), VersionID: ver.ID}
}

func decodeAction(body []byte) (*apiAction, error) {
	var b apiAction
	if err := api.DecodeJSON(body, &b); err != nil {
		return nil, err
	}
	return &b, nil
}

func decodeBatch(body []byte) (*apiBatchPublish, error) {
	var b apiBatchPublish
	if err := api.DecodeJSON(body, &b); err != nil {
		return nil, err
	}
	return &b, nil
}

func (h *Handler) publishRoutes(handle func(string, api.HandlerFunc)) {
	const base = "/v2/{project}/apigw/instances/{instance}/apis"
	handle("POST "+base+"/action", h.publishAction)
	handle("POST "+base+"/publish", h.batchPublish)
	handle("GET "+base+"/publish/{api}", h.listVersions)
}

// publishAction is online (201 and the new version) or offline (200 and
// the version that was served: a JSON body, because golangsdk decodes
// the answer of this POST and fails on an empty one).
func (h *Handler) publishAction(w http.ResponseWriter, r *http.Request) error {
	cl := callerOf(r)
	b, err := decodeAction(cl.Body)
	if err != nil {
		return err
	}
	ctx, acct, inst := r.Context(), cl.Scope.AccountID, r.PathValue("instance")
	switch str(b.Action) {
	case "online":
		v, err := h.gw.Publish(ctx, acct, inst, str(b.APIID), str(b.EnvID), str(b.Remark))
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, toPublish(v))
	case "offline":
		v, err := h.gw.Unpublish(ctx, acct, inst, str(b.APIID), str(b.EnvID))
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, toPublish(v))
	default:
		return asClientError(http.StatusBadRequest, "APIG.2011", invalidParam("action")+`. action must be "online" or "offline"`)
	}
	return nil
}

func (h *Handler) batchPublish(w http.ResponseWriter, r *http.Request) error {
	cl := callerOf(r)
	action := r.URL.Query().Get("action")
	if action != "online" && action != "offline" {
		return asClientError(http.StatusBadRequest, "APIG.2011", `Invalid parameter value: parameter action should be "online" or "offline"`)
	}
	b, err := decodeBatch(cl.Body)
	if err != nil {
		return err
	}
	results, err := h.gw.BatchPublish(r.Context(), cl.Scope.AccountID, r.PathValue("instance"), action == "online",
		b.APIs, str(b.GroupID), str(b.EnvID), str(b.Remark))
	if err != nil {
		return err
	}
	out := batchResult{Success: []publishResp{}, Failure: []batchFailure{}}
	for _, res := range results {
		if res.Err != nil {
			_, code, msg := statusOf(discardHeaders{}, res.Err)
			out.Failure = append(out.Failure, batchFailure{APIID: res.APIID, APIName: res.APIName, ErrorCode: code, ErrorMsg: msg})
			continue
		}
		out.Success = append(out.Success, toPublish(res.Version))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (h *Handler) listVersions(w http.ResponseWriter, r *http.Request) error {
	cl := callerOf(r)
	q := r.URL.Query()
	offset, limit, err := paging(q.Get("offset"), q.Get("limit"))
	if err != nil {
		return err
	}
	items, total, err := h.gw.ListAPIVersions(r.Context(), cl.Scope.AccountID, r.PathValue("instance"), r.PathValue("api"),
		gwconfig.VersionFilter{EnvID: q.Get("env_id"), EnvName: q.Get("env_name")}, offset, limit)
	if err != nil {
		return err
	}
	out := versionList{Size: int32(len(items)), Total: total, APIVersions: make([]apiVersionResp, 0, len(items))}
	for _, v := range items {
		ver := v.Version
		status := int32(2)
		if ver.Current {
			status = 1
		}
		out.APIVersions = append(out.APIVersions, apiVersionResp{VersionID: ver.ID,
			VersionNo: ver.PublishedAt.In(versionZone).Format("20060102150405"), APIID: ver.APIID, EnvID: ver.EnvID,
			EnvName: v.EnvName, Remark: ver.Remark, PublishTime: groupTime(ver.PublishedAt), Status: status})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
