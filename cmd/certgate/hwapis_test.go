package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/certgate/certgate"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/apig/v2/model"
)

func sp(s string) *string { return &s }

// demoAPI is the body the spec captured from the SDK: an HTTPS backend,
// path variables on both sides, two-way TLS to the backend.
func demoAPI(groupID, name, uri string) *model.ApiCreate {
	m := model.GetApiCreateMatchModeEnum().SWA
	be := model.GetBackendApiCreateReqProtocolEnum().HTTPS
	bm := model.GetBackendApiCreateReqMethodEnum().ANY
	ssl := true
	return &model.ApiCreate{
		Name: name, Type: model.GetApiCreateTypeEnum().E_1, ReqProtocol: model.GetApiCreateReqProtocolEnum().BOTH,
		ReqMethod: model.GetApiCreateReqMethodEnum().ANY, ReqUri: uri, AuthType: model.GetApiCreateAuthTypeEnum().NONE,
		MatchMode: &m, BackendType: model.GetApiCreateBackendTypeEnum().HTTP, GroupId: groupID, Remark: sp("the demo API"),
		ReqParams: &[]model.ReqParamBase{
			{Name: "x", Type: model.GetReqParamBaseTypeEnum().STRING, Location: model.GetReqParamBaseLocationEnum().PATH},
		},
		BackendParams: &[]model.BackendParamBase{
			{Origin: model.GetBackendParamBaseOriginEnum().REQUEST, Name: "y", Location: model.GetBackendParamBaseLocationEnum().PATH, Value: "x"},
		},
		BackendApi: &model.BackendApiCreate{UrlDomain: sp("backend.example.com:8443"), ReqProtocol: &be, ReqMethod: &bm,
			ReqUri: sp("/b/{y}"), Timeout: 5000, EnableClientSsl: &ssl, RetryCount: sp("-1")},
	}
}

var anyHex = regexp.MustCompile(`^[0-9a-f]{32}$`)

// joinedTimes is ApiInfo's publish_time of two publications.
var joinedTimes = regexp.MustCompile(`"publish_time":"[^"|]+\|[^"|]+"`)

// nameIDs gives every 32-hex string of body that subst does not know a
// placeholder, numbered in the order of a walk over sorted keys, so that
// the golden files do not depend on random ids.
func nameIDs(t *testing.T, body []byte, subst map[string]string) {
	t.Helper()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("not JSON: %q", body)
	}
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				walk(x[k])
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		case string:
			for _, part := range strings.Split(x, "|") {
				if anyHex.MatchString(part) && subst[part] == "" {
					subst[part] = fmt.Sprintf("<id-%d>", len(subst))
				}
			}
		}
	}
	walk(v)
}

// TestHuaweiAPIs runs the flow through the Huawei Go SDK: a group
// and an API with an HTTPS backend and path variables, published to
// RELEASE and to a second environment, its versions, an update published
// again, offline, delete; with every error path and another tenant.
func TestHuaweiAPIs(t *testing.T) {
	s := startServer(t, nil)
	owner := s.Bootstrap
	c := s.hwClient(owner, "")
	inst := owner.Instance.ID
	h := gatewayHelpers{t, s}
	rev, wantErr := h.rev, h.wantErr

	grp, err := c.CreateApiGroupV2(&model.CreateApiGroupV2Request{InstanceId: inst, Body: &model.ApiGroupCreate{Name: "group_apis"}})
	if err != nil {
		t.Fatal(err)
	}
	gid := grp.Id

	// Create: 201, and the response rules clients depend on.
	r0 := rev()
	created, err := c.CreateApiV2(&model.CreateApiV2Request{InstanceId: inst, Body: demoAPI(gid, "api_demo", "/a/{x}")})
	if err != nil {
		t.Fatalf("CreateApiV2: %v", err)
	}
	id := *created.Id
	be := created.BackendApi
	t.Logf("CreateApiV2: %d id=%s req_uri=%s match_mode=%s backend=%s %s timeout=%d retry_count=%q vpc_channel_status=%d",
		created.HttpStatusCode, id, created.ReqUri, created.MatchMode.Value(), *be.UrlDomain, *be.ReqUri, be.Timeout, *be.RetryCount, *be.VpcChannelStatus)
	if created.HttpStatusCode != http.StatusCreated || !hexID.MatchString(id) || created.Name != "api_demo" || created.GroupId != gid ||
		*created.GroupName != "group_apis" || created.ReqUri != "/a/{x}" || created.MatchMode.Value() != "SWA" ||
		created.Type.Value() != 1 || be == nil || *be.RetryCount != "-1" || be.Timeout != 5000 || *be.VpcChannelStatus != 2 ||
		be.VpcChannelInfo == nil || !*be.EnableClientSsl || created.ReqParams == nil || len(*created.ReqParams) != 1 ||
		(*created.ReqParams)[0].Required.Value() != 1 || created.BackendParams == nil ||
		*(*created.BackendParams)[0].ReqParamId != *(*created.ReqParams)[0].Id || created.RunEnvId != nil {
		t.Errorf("CreateApiV2 answered %+v", created)
	}
	if got := rev(); got != r0 {
		t.Errorf("revision after CreateApiV2: %d, want %d (a definition serves nothing)", got, r0)
	}
	// The raw types, which decide whether the SDK and Terraform can read
	// the answer at all.
	_, raw := s.hwDo(owner, "GET", "/apigw/instances/"+inst+"/apis/"+id, nil)
	var shape struct {
		Type       any `json:"type"`
		BackendAPI struct {
			RetryCount       any `json:"retry_count"`
			Timeout          any `json:"timeout"`
			VpcChannelStatus any `json:"vpc_channel_status"`
			VpcChannelInfo   any `json:"vpc_channel_info"`
		} `json:"backend_api"`
	}
	if err := json.Unmarshal(raw, &shape); err != nil {
		t.Fatal(err)
	}
	if _, ok := shape.BackendAPI.RetryCount.(string); !ok {
		t.Errorf("backend_api.retry_count is %T, want a JSON string", shape.BackendAPI.RetryCount)
	}
	if _, ok := shape.BackendAPI.Timeout.(float64); !ok {
		t.Errorf("backend_api.timeout is %T, want a number", shape.BackendAPI.Timeout)
	}
	if _, ok := shape.BackendAPI.VpcChannelStatus.(float64); !ok {
		t.Errorf("backend_api.vpc_channel_status is %T, want a number", shape.BackendAPI.VpcChannelStatus)
	}
	if _, ok := shape.BackendAPI.VpcChannelInfo.(map[string]any); !ok {
		t.Errorf("backend_api.vpc_channel_info is %T, want an object", shape.BackendAPI.VpcChannelInfo)
	}
	if _, ok := shape.Type.(float64); !ok {
		t.Errorf("type is %T, want a number", shape.Type)
	}

	// A MOCK API, IAM-authenticated, in the same group.
	mockAPI := &model.ApiCreate{Name: "api_mock", Type: model.GetApiCreateTypeEnum().E_2, ReqProtocol: model.GetApiCreateReqProtocolEnum().HTTPS,
		ReqMethod: model.GetApiCreateReqMethodEnum().GET, ReqUri: "/mock", AuthType: model.GetApiCreateAuthTypeEnum().IAM,
		BackendType: model.GetApiCreateBackendTypeEnum().MOCK, GroupId: gid, MockInfo: &model.ApiMockCreate{ResultContent: sp(`{"ok":true}`)}}
	mock, err := c.CreateApiV2(&model.CreateApiV2Request{InstanceId: inst, Body: mockAPI})
	if err != nil || mock.MockInfo == nil || *mock.MockInfo.ResultContent != `{"ok":true}` || mock.BackendApi != nil || mock.AuthType.Value() != "IAM" {
		t.Fatalf("CreateApiV2 (MOCK) = %+v, %v", mock, err)
	}

	// Environments: RELEASE is there; a second one.
	envs, err := c.ListEnvironmentsV2(&model.ListEnvironmentsV2Request{InstanceId: inst})
	if err != nil || envs.Total != 1 || *(*envs.Envs)[0].Id != certgate.ReleaseEnvironmentID || *(*envs.Envs)[0].Name != "RELEASE" {
		t.Fatalf("ListEnvironmentsV2 = %+v, %v; want RELEASE alone", envs, err)
	}
	dev, err := c.CreateEnvironmentV2(&model.CreateEnvironmentV2Request{InstanceId: inst, Body: &model.EnvCreate{Name: "DEV", Remark: sp("Development environment")}})
	if err != nil || dev.HttpStatusCode != http.StatusCreated || !hexID.MatchString(*dev.Id) || *dev.Name != "DEV" {
		t.Fatalf("CreateEnvironmentV2 = %+v, %v", dev, err)
	}
	devID := *dev.Id
	t.Logf("CreateEnvironmentV2: %d id=%s name=%s", dev.HttpStatusCode, devID, *dev.Name)

	// Publish to RELEASE and to DEV: 201, one revision move each.
	publish := func(apiID, env string) (*model.CreateOrDeletePublishRecordForApiV2Response, error) {
		return c.CreateOrDeletePublishRecordForApiV2(&model.CreateOrDeletePublishRecordForApiV2Request{InstanceId: inst,
			Body: &model.ApiActionInfo{Action: model.GetApiActionInfoActionEnum().ONLINE, EnvId: env, ApiId: apiID, Remark: sp("first")}})
	}
	offline := func(apiID, env string) (*model.CreateOrDeletePublishRecordForApiV2Response, error) {
		return c.CreateOrDeletePublishRecordForApiV2(&model.CreateOrDeletePublishRecordForApiV2Request{InstanceId: inst,
			Body: &model.ApiActionInfo{Action: model.GetApiActionInfoActionEnum().OFFLINE, EnvId: env, ApiId: apiID}})
	}
	r0 = rev()
	pubRel, err := publish(id, certgate.ReleaseEnvironmentID)
	if err != nil || pubRel.HttpStatusCode != http.StatusCreated || !hexID.MatchString(*pubRel.PublishId) || !hexID.MatchString(*pubRel.VersionId) ||
		*pubRel.ApiId != id || *pubRel.EnvId != certgate.ReleaseEnvironmentID || *pubRel.ApiName != "api_demo" || pubRel.PublishTime == nil {
		t.Fatalf("publish to RELEASE = %+v, %v", pubRel, err)
	}
	t.Logf("CreateOrDeletePublishRecordForApiV2(online, RELEASE): %d publish_id=%s version_id=%s", pubRel.HttpStatusCode, *pubRel.PublishId, *pubRel.VersionId)
	pubDev, err := publish(id, devID)
	if err != nil {
		t.Fatal(err)
	}
	if got := rev(); got != r0+2 {
		t.Errorf("revision after two publishes: %d, want %d", got, r0+2)
	}

	// ShowDetailsOfApiV2: the |-lists line up (Terraform picks publish_id
	// by the index of env_id in run_env_id).
	shown, err := c.ShowDetailsOfApiV2(&model.ShowDetailsOfApiV2Request{InstanceId: inst, ApiId: id})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("ShowDetailsOfApiV2: run_env_id=%s run_env_name=%s publish_id=%s", *shown.RunEnvId, *shown.RunEnvName, *shown.PublishId)
	runEnvs, pubIDs := strings.Split(*shown.RunEnvId, "|"), strings.Split(*shown.PublishId, "|")
	if len(runEnvs) != 2 || len(pubIDs) != 2 || *shown.RunEnvName != "RELEASE|DEV" || len(strings.Split(*shown.PublishTime, "|")) != 2 {
		t.Fatalf("ShowDetailsOfApiV2 publication summary: %s / %s / %s", *shown.RunEnvId, *shown.RunEnvName, *shown.PublishId)
	}
	for i, e := range runEnvs {
		want := *pubRel.PublishId
		if e == devID {
			want = *pubDev.PublishId
		}
		if pubIDs[i] != want {
			t.Errorf("publish_id at the index of %s is %s, want %s", e, pubIDs[i], want)
		}
	}

	// Versions.
	versions := func(env *string) *model.ListApiVersionsV2Response {
		t.Helper()
		l, err := c.ListApiVersionsV2(&model.ListApiVersionsV2Request{InstanceId: inst, ApiId: id, EnvId: env})
		if err != nil {
			t.Fatalf("ListApiVersionsV2: %v", err)
		}
		return l
	}
	vl := versions(nil)
	for _, v := range *vl.ApiVersions {
		// version_no is the publish time as yyyyMMddHHmmss in UTC+8.
		if want := time.Time(*v.PublishTime).In(time.FixedZone("", 8*3600)).Format("20060102150405"); *v.VersionNo != want {
			t.Errorf("version_no %s for publish_time %v, want %s", *v.VersionNo, time.Time(*v.PublishTime), want)
		}
	}
	if vl.Total != 2 || (*vl.ApiVersions)[0].Status.Value() != 1 || (*vl.ApiVersions)[1].Status.Value() != 1 {
		t.Fatalf("ListApiVersionsV2 = %+v; want two effective versions", vl)
	}

	// UpdateApiV2: a full replace, exactly 200; the published versions do
	// not change until published again.
	upd := demoAPI(gid, "api_demo", "/a/{x}")
	upd.BackendApi.ReqUri = sp("/c/{y}")
	upd.BackendApi.Timeout = 60000
	upd.BackendApi.RetryCount = sp("3")
	r0 = rev()
	updated, err := c.UpdateApiV2(&model.UpdateApiV2Request{InstanceId: inst, ApiId: id, Body: upd})
	if err != nil || updated.HttpStatusCode != http.StatusOK || *updated.BackendApi.ReqUri != "/c/{y}" || *updated.BackendApi.RetryCount != "3" ||
		updated.BackendApi.Timeout != 60000 || *updated.Id != id || *updated.RunEnvId != *shown.RunEnvId {
		t.Fatalf("UpdateApiV2 = %+v, %v; want 200 and the new backend", updated, err)
	}
	if got := rev(); got != r0 {
		t.Errorf("revision after UpdateApiV2: %d, want %d", got, r0)
	}
	stored, err := s.Store.ListAPIVersions(t.Context(), owner.Account.ID, inst, id)
	if err != nil || len(stored) != 2 || stored[0].API.Spec.Backend.Path != "/b/{y}" || stored[1].API.Spec.Backend.Path != "/b/{y}" {
		t.Fatalf("the published versions after UpdateApiV2: %+v, %v; want the old backend path", stored, err)
	}
	pubRel2, err := publish(id, certgate.ReleaseEnvironmentID)
	if err != nil {
		t.Fatal(err)
	}
	relVersions := versions(sp(certgate.ReleaseEnvironmentID))
	if relVersions.Total != 2 || *(*relVersions.ApiVersions)[0].VersionId != *pubRel2.VersionId ||
		(*relVersions.ApiVersions)[0].Status.Value() != 1 || (*relVersions.ApiVersions)[1].Status.Value() != 2 {
		t.Errorf("RELEASE versions after republishing: %+v", relVersions)
	}
	if stored, _ := s.Store.ListAPIVersions(t.Context(), owner.Account.ID, inst, id); stored[0].API.Spec.Backend.Path != "/c/{y}" {
		t.Errorf("the republished version has backend path %q", stored[0].API.Spec.Backend.Path)
	}

	// ListApisV2 and its filters.
	list := func(req model.ListApisV2Request) *model.ListApisV2Response {
		t.Helper()
		req.InstanceId = inst
		l, err := c.ListApisV2(&req)
		if err != nil {
			t.Fatalf("ListApisV2(%+v): %v", req, err)
		}
		return l
	}
	all := list(model.ListApisV2Request{})
	if all.Total != 2 || (*all.Apis)[0].Id == nil || *(*all.Apis)[0].Id != id || (*all.Apis)[0].BackendApi != nil || (*all.Apis)[0].ApiGroupInfo != nil {
		t.Errorf("ListApisV2 = %+v; want both APIs, brief", all)
	}
	mode := "include_group_backend"
	withBackend := list(model.ListApisV2Request{GroupId: &gid, ReqUri: sp("/a/{x}"), PreciseSearch: sp("req_uri"), ReturnDataMode: &mode})
	if withBackend.Total != 1 || (*withBackend.Apis)[0].BackendApi == nil || (*withBackend.Apis)[0].ApiGroupInfo == nil ||
		*(*withBackend.Apis)[0].BackendApi.RetryCount != "3" {
		t.Errorf("ListApisV2(group, req_uri, include_group_backend) = %+v", withBackend)
	}
	if l := list(model.ListApisV2Request{EnvId: &devID}); l.Total != 1 || *(*l.Apis)[0].Id != id {
		t.Errorf("ListApisV2(env_id=DEV) = %+v; want the published API", l)
	}
	if l := list(model.ListApisV2Request{Name: sp("mock")}); l.Total != 1 || *(*l.Apis)[0].Id != *mock.Id {
		t.Errorf("ListApisV2(name=mock) = %+v; want the MOCK API (fuzzy)", l)
	}
	if l := list(model.ListApisV2Request{VpcChannelName: sp("vpc")}); l.Total != 0 || len(*l.Apis) != 0 {
		t.Errorf("ListApisV2(vpc_channel_name) = %d APIs; want none (no API has a VPC channel)", l.Total)
	}
	if l := list(model.ListApisV2Request{Type: func() *model.ListApisV2RequestType { v := model.GetListApisV2RequestTypeEnum().E_2; return &v }()}); l.Total != 1 || *(*l.Apis)[0].Id != *mock.Id {
		t.Errorf("ListApisV2(type=2) = %+v; want the private MOCK API", l)
	}
	if l := list(model.ListApisV2Request{Name: sp("api"), PreciseSearch: sp("name")}); l.Total != 0 {
		t.Errorf("ListApisV2(name=api, precise) = %d APIs; want none", l.Total)
	}

	// Error paths.
	create := func(body *model.ApiCreate) error {
		_, err := c.CreateApiV2(&model.CreateApiV2Request{InstanceId: inst, Body: body})
		return err
	}
	wantErr("a taken name", create(demoAPI(gid, "api_demo", "/other/{x}")), 400, "APIG.3202")
	wantErr("a taken path", create(demoAPI(gid, "api_other", "/a/{x}")), 400, "APIG.3301")
	wantErr("a taken path with another variable name", create(func() *model.ApiCreate {
		b := demoAPI(gid, "api_other", "/a/{z}")
		(*b.ReqParams)[0].Name = "z"
		(*b.BackendParams)[0].Value = "z"
		return b
	}()), 400, "APIG.3301")
	for what, change := range map[string]func(*model.ApiCreate){
		"timeout 0":      func(b *model.ApiCreate) { b.BackendApi.Timeout = 0 },
		"timeout 60001":  func(b *model.ApiCreate) { b.BackendApi.Timeout = 60001 },
		"retry_count 11": func(b *model.ApiCreate) { b.BackendApi.RetryCount = sp("11") },
		"a bad req_uri":  func(b *model.ApiCreate) { b.ReqUri = "/p-{x}" },
		"a bad address":  func(b *model.ApiCreate) { b.BackendApi.UrlDomain = sp("bad host:99999") },
		"APP auth":       func(b *model.ApiCreate) { b.AuthType = model.GetApiCreateAuthTypeEnum().APP },
		"FUNCTION":       func(b *model.ApiCreate) { b.BackendType = model.GetApiCreateBackendTypeEnum().FUNCTION },
		"an authorizer":  func(b *model.ApiCreate) { b.AuthorizerId = sp("a1") },
		"a VPC channel": func(b *model.ApiCreate) {
			v := model.GetBackendApiCreateVpcChannelStatusEnum().E_1
			b.BackendApi.VpcChannelStatus = &v
		},
		"a bad name":      func(b *model.ApiCreate) { b.Name = "_x" },
		"a bad type":      func(b *model.ApiCreate) { b.Type = model.ApiCreateType{} },
		"a bad parameter": func(b *model.ApiCreate) { (*b.ReqParams)[0].Name = "1x" },
	} {
		b := demoAPI(gid, "api_bad", "/bad/{x}")
		change(b)
		msg := wantErr(what, create(b), 400, "APIG.2012")
		if what == "APP auth" && !strings.Contains(msg, "NONE and IAM") {
			t.Errorf("APP auth: %q does not name the supported types", msg)
		}
		if what == "FUNCTION" && !strings.Contains(msg, "HTTP and MOCK") {
			t.Errorf("FUNCTION: %q does not name the supported types", msg)
		}
	}
	noSSL := demoAPI(gid, "api_http", "/http/{x}")
	http1 := model.GetBackendApiCreateReqProtocolEnum().HTTP
	noSSL.BackendApi.ReqProtocol = &http1
	wantErr("enable_client_ssl on an HTTP backend", create(noSSL), 400, "APIG.3717")
	undeclared := demoAPI(gid, "api_undeclared", "/u/{x}/{w}")
	wantErr("an undeclared path variable", create(undeclared), 400, "APIG.2026")
	undeclaredBackend := demoAPI(gid, "api_undeclared", "/u/{x}")
	undeclaredBackend.BackendApi.ReqUri = sp("/b/{q}")
	wantErr("an undeclared backend variable", create(undeclaredBackend), 400, "APIG.2027")
	badMap := demoAPI(gid, "api_undeclared", "/u/{x}")
	(*badMap.BackendParams)[0].Value = "nope"
	wantErr("a mapping to an undefined parameter", create(badMap), 400, "APIG.2028")
	wantErr("no name", create(&model.ApiCreate{GroupId: gid}), 400, "APIG.2001")
	missingID := "0123456789abcdef0123456789abcdef"
	wantErr("a missing group", create(demoAPI(missingID, "api_nogroup", "/n/{x}")), 404, "APIG.3001")
	_, err = c.ShowDetailsOfApiV2(&model.ShowDetailsOfApiV2Request{InstanceId: inst, ApiId: missingID})
	mMissing := wantErr("a missing API", err, 404, "APIG.3002")
	_, err = c.DeleteApiV2(&model.DeleteApiV2Request{InstanceId: inst, ApiId: id})
	wantErr("deleting a published API", err, 409, "APIG.3416")
	_, err = c.DeleteApiGroupV2(&model.DeleteApiGroupV2Request{InstanceId: inst, GroupId: gid})
	wantErr("deleting a group with APIs", err, 412, "APIG.3415")
	_, err = c.DeleteEnvironmentV2(&model.DeleteEnvironmentV2Request{InstanceId: inst, EnvId: devID})
	wantErr("deleting an environment with published APIs", err, 403, "APIG.3418")
	_, err = c.DeleteEnvironmentV2(&model.DeleteEnvironmentV2Request{InstanceId: inst, EnvId: certgate.ReleaseEnvironmentID})
	wantErr("deleting RELEASE", err, 400, "APIG.2012")
	_, err = c.UpdateEnvironmentV2(&model.UpdateEnvironmentV2Request{InstanceId: inst, EnvId: certgate.ReleaseEnvironmentID, Body: &model.EnvCreate{Name: "PROD"}})
	wantErr("renaming RELEASE", err, 400, "APIG.2012")
	for _, name := range []string{"DEV", "RELEASE", "release"} {
		_, err = c.CreateEnvironmentV2(&model.CreateEnvironmentV2Request{InstanceId: inst, Body: &model.EnvCreate{Name: name}})
		wantErr("an environment named "+name, err, 400, "APIG.3205")
	}
	for _, name := range []string{"ab", "1abc", "a-b-c", strings.Repeat("e", 65)} {
		_, err = c.CreateEnvironmentV2(&model.CreateEnvironmentV2Request{InstanceId: inst, Body: &model.EnvCreate{Name: name}})
		wantErr(fmt.Sprintf("an environment named %.10q", name), err, 400, "APIG.2012")
	}
	_, err = publish(id, missingID)
	wantErr("publishing to a missing environment", err, 404, "APIG.3003")
	_, err = publish(missingID, certgate.ReleaseEnvironmentID)
	wantErr("publishing a missing API", err, 404, "APIG.3002")
	_, err = offline(*mock.Id, certgate.ReleaseEnvironmentID)
	wantErr("taking offline an unpublished API", err, 404, "APIG.3015")
	resp, body := s.hwDo(owner, "POST", "/apigw/instances/"+inst+"/apis/action", []byte(`{"action":"sideways","env_id":"x","api_id":"y"}`))
	if resp.StatusCode != 400 || !strings.Contains(string(body), `"APIG.2011"`) {
		t.Errorf("action sideways: %d %s; want 400 APIG.2011", resp.StatusCode, body)
	}
	resp, body = s.hwDo(owner, "POST", "/apigw/instances/"+inst+"/apis/publish?action", []byte(`{"env_id":"x"}`))
	if resp.StatusCode != 400 || !strings.Contains(string(body), `"APIG.2011"`) {
		t.Errorf("batch with an empty action: %d %s; want 400 APIG.2011", resp.StatusCode, body)
	}

	// Batch: one success, one failure with the error table's code.
	r0 = rev()
	batch, err := c.BatchPublishOrOfflineApiV2(&model.BatchPublishOrOfflineApiV2Request{InstanceId: inst, Action: "online",
		Body: &model.ApiBatchPublish{Apis: &[]string{*mock.Id, missingID}, EnvId: devID}})
	if err != nil || batch.Success == nil || len(*batch.Success) != 1 || *(*batch.Success)[0].ApiId != *mock.Id ||
		batch.Failure == nil || len(*batch.Failure) != 1 || *(*batch.Failure)[0].ErrorCode != "APIG.3002" || *(*batch.Failure)[0].ApiId != missingID {
		t.Fatalf("BatchPublishOrOfflineApiV2(online) = %+v, %v", batch, err)
	}
	if got := rev(); got != r0+1 {
		t.Errorf("revision after a batch with one success: %d, want %d", got, r0+1)
	}

	// Another tenant: its ids at every level answer like missing ones.
	other := s.newAccount()
	oc := s.hwClient(other, "")
	oinst := other.Instance.ID
	for what, call := range map[string]func() error{
		"CreateApiV2": func() error {
			_, err := oc.CreateApiV2(&model.CreateApiV2Request{InstanceId: inst, Body: demoAPI(gid, "intruder", "/i/{x}")})
			return err
		},
		"ListApisV2": func() error { _, err := oc.ListApisV2(&model.ListApisV2Request{InstanceId: inst}); return err },
		"ShowDetailsOfApiV2": func() error {
			_, err := oc.ShowDetailsOfApiV2(&model.ShowDetailsOfApiV2Request{InstanceId: inst, ApiId: id})
			return err
		},
		"UpdateApiV2": func() error {
			_, err := oc.UpdateApiV2(&model.UpdateApiV2Request{InstanceId: inst, ApiId: id, Body: demoAPI(gid, "hijacked", "/a/{x}")})
			return err
		},
		"DeleteApiV2": func() error {
			_, err := oc.DeleteApiV2(&model.DeleteApiV2Request{InstanceId: inst, ApiId: id})
			return err
		},
		"ListApiVersionsV2": func() error {
			_, err := oc.ListApiVersionsV2(&model.ListApiVersionsV2Request{InstanceId: inst, ApiId: id})
			return err
		},
		"ListEnvironmentsV2": func() error {
			_, err := oc.ListEnvironmentsV2(&model.ListEnvironmentsV2Request{InstanceId: inst})
			return err
		},
		"DeleteEnvironmentV2": func() error {
			_, err := oc.DeleteEnvironmentV2(&model.DeleteEnvironmentV2Request{InstanceId: inst, EnvId: devID})
			return err
		},
		"CreateOrDeletePublishRecordForApiV2": func() error {
			_, err := oc.CreateOrDeletePublishRecordForApiV2(&model.CreateOrDeletePublishRecordForApiV2Request{InstanceId: inst,
				Body: &model.ApiActionInfo{Action: model.GetApiActionInfoActionEnum().OFFLINE, EnvId: certgate.ReleaseEnvironmentID, ApiId: id}})
			return err
		},
		"BatchPublishOrOfflineApiV2": func() error {
			_, err := oc.BatchPublishOrOfflineApiV2(&model.BatchPublishOrOfflineApiV2Request{InstanceId: inst, Action: "offline",
				Body: &model.ApiBatchPublish{GroupId: &gid, EnvId: certgate.ReleaseEnvironmentID}})
			return err
		},
	} {
		wantErr(what+" in another tenant's instance", call(), 404, "APIG.3030")
	}
	// In its own instance, the owner's ids are missing ones.
	_, err = oc.ShowDetailsOfApiV2(&model.ShowDetailsOfApiV2Request{InstanceId: oinst, ApiId: id})
	if m := wantErr("another tenant's API in one's own instance", err, 404, "APIG.3002"); m != strings.ReplaceAll(mMissing, missingID, id) {
		t.Errorf("another tenant's API says %q, a missing one %q", m, mMissing)
	}
	_, err = oc.CreateOrDeletePublishRecordForApiV2(&model.CreateOrDeletePublishRecordForApiV2Request{InstanceId: oinst,
		Body: &model.ApiActionInfo{Action: model.GetApiActionInfoActionEnum().ONLINE, EnvId: certgate.ReleaseEnvironmentID, ApiId: id}})
	wantErr("publishing another tenant's API", err, 404, "APIG.3002")
	_, err = oc.CreateApiV2(&model.CreateApiV2Request{InstanceId: oinst, Body: demoAPI(gid, "intruder", "/i/{x}")})
	wantErr("an API in another tenant's group", err, 404, "APIG.3001")
	ogrp, err := oc.CreateApiGroupV2(&model.CreateApiGroupV2Request{InstanceId: oinst, Body: &model.ApiGroupCreate{Name: "group_other"}})
	if err != nil {
		t.Fatal(err)
	}
	oapi, err := oc.CreateApiV2(&model.CreateApiV2Request{InstanceId: oinst, Body: demoAPI(ogrp.Id, "api_demo", "/a/{x}")})
	if err != nil {
		t.Fatalf("the same API in another tenant's group: %v", err)
	}
	_, err = oc.CreateOrDeletePublishRecordForApiV2(&model.CreateOrDeletePublishRecordForApiV2Request{InstanceId: oinst,
		Body: &model.ApiActionInfo{Action: model.GetApiActionInfoActionEnum().ONLINE, EnvId: devID, ApiId: *oapi.Id}})
	wantErr("publishing to another tenant's environment", err, 404, "APIG.3003")
	_, err = oc.UpdateEnvironmentV2(&model.UpdateEnvironmentV2Request{InstanceId: oinst, EnvId: devID, Body: &model.EnvCreate{Name: "HIJACK"}})
	wantErr("renaming another tenant's environment", err, 404, "APIG.3003")
	_, err = oc.ListApiVersionsV2(&model.ListApiVersionsV2Request{InstanceId: oinst, ApiId: id})
	wantErr("another tenant's versions", err, 404, "APIG.3002")
	if l, err := oc.ListEnvironmentsV2(&model.ListEnvironmentsV2Request{InstanceId: oinst}); err != nil || l.Total != 1 {
		t.Errorf("the other tenant's environments: %+v, %v; want RELEASE alone", l, err)
	}

	// Golden files of each answer shape.
	subst := map[string]string{id: "<api-id>", *mock.Id: "<mock-api-id>", gid: "<group-id>", inst: "<instance-id>", devID: "<env-id>",
		missingID: "<missing-id>", owner.Account.ProjectID: "<project-id>", *pubRel.PublishId: "<publish-id-release>",
		*pubDev.PublishId: "<publish-id-dev>", *pubRel.VersionId: "<version-id-release-1>", *pubDev.VersionId: "<version-id-dev>",
		*pubRel2.PublishId: "<publish-id-release-2>", *pubRel2.VersionId: "<version-id-release-2>"}
	// sdkShape is the SDK's response type of each golden answer: the
	// answer must decode into it with no field the SDK does not know, and
	// every field's JSON type as the SDK reads it.
	sdkShape := map[string]any{
		"ShowDetailsOfApiV2": &model.ShowDetailsOfApiV2Response{}, "ShowDetailsOfApiV2.mock": &model.ShowDetailsOfApiV2Response{},
		"ListApisV2": &model.ListApisV2Response{}, "ListApisV2.include_group_backend": &model.ListApisV2Response{},
		"ListApiVersionsV2": &model.ListApiVersionsV2Response{}, "ListEnvironmentsV2": &model.ListEnvironmentsV2Response{},
		"CreateApiV2": &model.CreateApiV2Response{}, "UpdateApiV2": &model.UpdateApiV2Response{},
		"CreateEnvironmentV2":                         &model.CreateEnvironmentV2Response{},
		"CreateOrDeletePublishRecordForApiV2.online":  &model.CreateOrDeletePublishRecordForApiV2Response{},
		"CreateOrDeletePublishRecordForApiV2.offline": &model.CreateOrDeletePublishRecordForApiV2Response{},
		"BatchPublishOrOfflineApiV2":                  &model.BatchPublishOrOfflineApiV2Response{},
	}
	golden := func(name, method, path, body string) []byte {
		t.Helper()
		resp, out := s.hwDo(owner, method, "/apigw/instances/"+inst+path, []byte(body))
		t.Logf("%s %s: %d", method, path, resp.StatusCode)
		if shape, ok := sdkShape[name]; ok {
			dec := json.NewDecoder(bytes.NewReader(out))
			dec.DisallowUnknownFields()
			if err := dec.Decode(shape); err != nil {
				t.Errorf("%s: the answer does not decode strictly into the SDK's %T: %v", name, shape, err)
			}
		}
		var v map[string]any
		if json.Unmarshal(out, &v) == nil {
			// The |-joined publish times and version numbers are times.
			// (normalize leaves a *_time value it cannot parse as it is).
			out = joinedTimes.ReplaceAll(out, []byte(`"publish_time":"<rfc3339>|<rfc3339>"`))
			// Replaced in the bytes, not through subst: two publishes in
			// one second share a version_no, and an entry fewer in subst
			// would renumber every <id-N> after it.
			if vs, ok := v["api_versions"].([]any); ok {
				for _, e := range vs {
					if no, ok := e.(map[string]any)["version_no"].(string); ok {
						out = bytes.ReplaceAll(out, []byte(`"`+no+`"`), []byte(`"<yyyymmddhhmmss>"`))
					}
				}
			}
		}
		nameIDs(t, out, subst)
		checkGolden(t, name, out, subst)
		return out
	}
	golden("ShowDetailsOfApiV2", "GET", "/apis/"+id, "")
	golden("ShowDetailsOfApiV2.mock", "GET", "/apis/"+*mock.Id, "")
	golden("ListApisV2", "GET", "/apis?limit=1", "")
	golden("ListApisV2.include_group_backend", "GET", "/apis?limit=1&return_data_mode=include_group_backend", "")
	golden("ListApiVersionsV2", "GET", "/apis/publish/"+id, "")
	golden("ListEnvironmentsV2", "GET", "/envs", "")
	capture := `{"name":"api_golden","type":1,"req_protocol":"BOTH","req_method":"ANY","req_uri":"/g/{x}","auth_type":"NONE","match_mode":"SWA","backend_type":"HTTP","group_id":"` + gid +
		`","req_params":[{"name":"x","type":"STRING","location":"PATH"}],"backend_params":[{"origin":"REQUEST","name":"x","location":"PATH","value":"x"}],` +
		`"backend_api":{"url_domain":"backend.example.com:8443","req_protocol":"HTTPS","req_method":"ANY","req_uri":"/b/{x}","timeout":5000,"enable_client_ssl":true,"retry_count":"-1"}}`
	goldenAPI := golden("CreateApiV2", "POST", "/apis", capture)
	var g struct{ ID string }
	_ = json.Unmarshal(goldenAPI, &g)
	golden("UpdateApiV2", "PUT", "/apis/"+g.ID, strings.Replace(capture, `"timeout":5000`, `"timeout":100`, 1))
	golden("CreateApiV2.duplicate_name", "POST", "/apis", capture)
	golden("CreateApiV2.client_ssl_http", "POST", "/apis", strings.Replace(strings.Replace(capture, `"req_protocol":"HTTPS"`, `"req_protocol":"HTTP"`, 1), "api_golden", "api_golden2", 1))
	golden("ShowDetailsOfApiV2.notfound", "GET", "/apis/"+missingID, "")
	golden("CreateEnvironmentV2", "POST", "/envs", `{"name":"GOLDEN","remark":"golden"}`)
	golden("CreateOrDeletePublishRecordForApiV2.online", "POST", "/apis/action", `{"action":"online","env_id":"DEFAULT_ENVIRONMENT_RELEASE_ID","api_id":"`+g.ID+`","remark":"golden"}`)
	golden("CreateOrDeletePublishRecordForApiV2.offline", "POST", "/apis/action", `{"action":"offline","env_id":"DEFAULT_ENVIRONMENT_RELEASE_ID","api_id":"`+g.ID+`"}`)
	golden("BatchPublishOrOfflineApiV2", "POST", "/apis/publish?action=online", `{"apis":["`+g.ID+`","`+missingID+`"],"env_id":"DEFAULT_ENVIRONMENT_RELEASE_ID"}`)
	golden("DeleteApiV2.published", "DELETE", "/apis/"+g.ID, "")

	// Offline: a JSON body with a 2xx other than 204, a revision move.
	r0 = rev()
	for _, env := range []string{certgate.ReleaseEnvironmentID, devID} {
		off, err := offline(id, env)
		if err != nil || off.HttpStatusCode != http.StatusOK || off.PublishId == nil || *off.EnvId != env || *off.ApiId != id {
			t.Fatalf("offline %s = %+v, %v; want 200 with the publication", env, off, err)
		}
		t.Logf("CreateOrDeletePublishRecordForApiV2(offline, %s): %d publish_id=%s", env, off.HttpStatusCode, *off.PublishId)
	}
	if got := rev(); got != r0+2 {
		t.Errorf("revision after two offlines: %d, want %d", got, r0+2)
	}
	if l := versions(nil); l.Total != 3 {
		t.Errorf("versions after offline: %d, want 3 (kept, not effective)", l.Total)
	} else {
		for _, v := range *l.ApiVersions {
			if v.Status.Value() != 2 {
				t.Errorf("version %s after offline has status %d, want 2", *v.VersionId, v.Status.Value())
			}
		}
	}
	if after, err := c.ShowDetailsOfApiV2(&model.ShowDetailsOfApiV2Request{InstanceId: inst, ApiId: id}); err != nil || after.RunEnvId != nil {
		t.Errorf("ShowDetailsOfApiV2 after offline: run_env_id %v, %v; want none", after.RunEnvId, err)
	}

	// Delete: 204, then gone; batch offline by group, then the group goes.
	del, err := c.DeleteApiV2(&model.DeleteApiV2Request{InstanceId: inst, ApiId: id})
	if err != nil || del.HttpStatusCode != http.StatusNoContent {
		t.Fatalf("DeleteApiV2 = %+v, %v; want 204", del, err)
	}
	_, err = c.ShowDetailsOfApiV2(&model.ShowDetailsOfApiV2Request{InstanceId: inst, ApiId: id})
	wantErr("a deleted API", err, 404, "APIG.3002")
	for _, env := range []string{devID, certgate.ReleaseEnvironmentID} {
		if _, err := c.BatchPublishOrOfflineApiV2(&model.BatchPublishOrOfflineApiV2Request{InstanceId: inst, Action: "offline",
			Body: &model.ApiBatchPublish{GroupId: &gid, EnvId: env}}); err != nil {
			t.Fatalf("batch offline by group: %v", err)
		}
	}
	for _, a := range []string{*mock.Id, g.ID} {
		if _, err := c.DeleteApiV2(&model.DeleteApiV2Request{InstanceId: inst, ApiId: a}); err != nil {
			t.Fatalf("DeleteApiV2(%s): %v", a, err)
		}
	}
	if _, err := c.DeleteEnvironmentV2(&model.DeleteEnvironmentV2Request{InstanceId: inst, EnvId: devID}); err != nil {
		t.Errorf("DeleteEnvironmentV2 once nothing is published: %v", err)
	}
	if d, err := c.DeleteApiGroupV2(&model.DeleteApiGroupV2Request{InstanceId: inst, GroupId: gid}); err != nil || d.HttpStatusCode != http.StatusNoContent {
		t.Errorf("DeleteApiGroupV2 once its APIs are gone: %+v, %v", d, err)
	}
}
