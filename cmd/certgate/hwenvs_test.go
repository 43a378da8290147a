package main

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/gwconfig"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/apig/v2/model"
)

// TestHuaweiEnvironments checks environments through the SDK: the quota
// beside RELEASE, UpdateEnvironmentV2 answering exactly 200 (golangsdk's
// environments.Update demands it), the name filter and paging, and that
// a rename moves the revision.
func TestHuaweiEnvironments(t *testing.T) {
	s := startServer(t, nil)
	owner := s.Bootstrap
	c := s.hwClient(owner, "")
	inst := owner.Instance.ID
	h := gatewayHelpers{t, s}
	var ids []string
	for i := range gwconfig.MaxEnvironments {
		e, err := c.CreateEnvironmentV2(&model.CreateEnvironmentV2Request{InstanceId: inst, Body: &model.EnvCreate{Name: fmt.Sprintf("ENV_%02d", i)}})
		if err != nil {
			t.Fatalf("environment %d: %v", i, err)
		}
		ids = append(ids, *e.Id)
	}
	_, err := c.CreateEnvironmentV2(&model.CreateEnvironmentV2Request{InstanceId: inst, Body: &model.EnvCreate{Name: "ONE_TOO_MANY"}})
	h.wantErr("an environment over the quota", err, 403, "APIG.3104")

	l, err := c.ListEnvironmentsV2(&model.ListEnvironmentsV2Request{InstanceId: inst})
	if err != nil || l.Total != int64(gwconfig.MaxEnvironments)+1 || l.Size != int32(gwconfig.MaxEnvironments)+1 ||
		*(*l.Envs)[0].Id != certgate.ReleaseEnvironmentID || *(*l.Envs)[1].Id != ids[0] {
		t.Fatalf("ListEnvironmentsV2 = %+v, %v; want RELEASE and the ten, in order", l, err)
	}
	name, off, lim := "ENV_0", int64(2), int32(3)
	if l, err := c.ListEnvironmentsV2(&model.ListEnvironmentsV2Request{InstanceId: inst, Name: &name, Offset: &off, Limit: &lim}); err != nil ||
		l.Total != 10 || l.Size != 3 || *(*l.Envs)[0].Id != ids[2] {
		t.Errorf("ListEnvironmentsV2(name=ENV_0, offset 2, limit 3) = %+v, %v", l, err)
	}

	r0 := h.rev()
	remark := "生产环境"
	upd, err := c.UpdateEnvironmentV2(&model.UpdateEnvironmentV2Request{InstanceId: inst, EnvId: ids[0], Body: &model.EnvCreate{Name: "PROD", Remark: &remark}})
	if err != nil || upd.HttpStatusCode != http.StatusOK || *upd.Name != "PROD" || *upd.Remark != remark || *upd.Id != ids[0] {
		t.Fatalf("UpdateEnvironmentV2 = %+v, %v; want exactly 200", upd, err)
	}
	if got := h.rev(); got != r0+1 {
		t.Errorf("revision after a rename: %d, want %d", got, r0+1)
	}
	_, err = c.UpdateEnvironmentV2(&model.UpdateEnvironmentV2Request{InstanceId: inst, EnvId: ids[1], Body: &model.EnvCreate{Name: "PROD"}})
	h.wantErr("renaming to a taken name", err, 400, "APIG.3205")
	_, err = c.UpdateEnvironmentV2(&model.UpdateEnvironmentV2Request{InstanceId: inst, EnvId: "0123456789abcdef0123456789abcdef", Body: &model.EnvCreate{Name: "GHOST"}})
	h.wantErr("renaming a missing environment", err, 404, "APIG.3003")

	del, err := c.DeleteEnvironmentV2(&model.DeleteEnvironmentV2Request{InstanceId: inst, EnvId: ids[1]})
	if err != nil || del.HttpStatusCode != http.StatusNoContent {
		t.Fatalf("DeleteEnvironmentV2 = %+v, %v; want 204", del, err)
	}
	_, err = c.DeleteEnvironmentV2(&model.DeleteEnvironmentV2Request{InstanceId: inst, EnvId: ids[1]})
	h.wantErr("deleting twice", err, 404, "APIG.3003")
	if _, err := c.CreateEnvironmentV2(&model.CreateEnvironmentV2Request{InstanceId: inst, Body: &model.EnvCreate{Name: "ONE_MORE"}}); err != nil {
		t.Errorf("an environment in the freed slot: %v", err)
	}

	subst := map[string]string{inst: "<instance-id>", ids[0]: "<env-id>"}
	resp, body := s.hwDo(owner, "PUT", "/apigw/instances/"+inst+"/envs/"+ids[0], []byte(`{"name":"PROD","remark":"golden"}`))
	t.Logf("PUT envs: %d", resp.StatusCode)
	checkGolden(t, "UpdateEnvironmentV2", body, subst)
	_, body = s.hwDo(owner, "POST", "/apigw/instances/"+inst+"/envs", []byte(`{"name":"ONE_TOO_MANY"}`))
	checkGolden(t, "CreateEnvironmentV2.quota", body, subst)
}
