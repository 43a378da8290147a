package main

import (
	"net/http"
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/apig/v2/model"
)

func TestHuaweiInstances(t *testing.T) {
	s := startServer(t, nil)
	owner := s.Bootstrap
	c := s.hwClient(owner, "")
	if owner.Instance == nil || !hexID.MatchString(owner.Instance.ID) {
		t.Fatalf("the bootstrap account's instance is %+v, want one with a 32-hex id", owner.Instance)
	}
	first := owner.Instance.ID

	// A second instance, added with the CLI while the server runs.
	cli := inProcessCLI(s)
	var added struct{ InstanceID, AccountID, Name string }
	out := cli.mustJSON(t, &added, "instance", "create", "--account-id", owner.Account.ID, "--name", "gw_two")
	t.Logf("$ certgate instance create --account-id %s --name gw_two --json\n%s", owner.Account.ID, out)
	if !hexID.MatchString(added.InstanceID) || added.AccountID != owner.Account.ID || added.Name != "gw_two" {
		t.Fatalf("instance create printed %+v", added)
	}
	cli.mustFail(t, "instance name", "instance", "create", "--account-id", owner.Account.ID, "--name", "2bad")
	cli.mustFail(t, "account not found", "instance", "create", "--account-id", "000000000000")

	// account create prints the instance made with the account.
	var made struct{ AccountID, InstanceID string }
	out = cli.mustJSON(t, &made, "account", "create")
	if !hexID.MatchString(made.InstanceID) {
		t.Fatalf("account create --json printed no instanceId: %s", out)
	}
	if in, err := s.Store.GetInstance(t.Context(), made.AccountID, made.InstanceID); err != nil || in.Name != "apig-default" {
		t.Errorf("the instance account create printed: %+v, %v", in, err)
	}

	list, err := c.ListInstancesV2(&model.ListInstancesV2Request{})
	if err != nil {
		t.Fatalf("ListInstancesV2: %v", err)
	}
	if list.Total != 2 || list.Size != 2 || list.Instances == nil || len(*list.Instances) != 2 {
		t.Fatalf("ListInstancesV2: total %d size %d, want 2 and 2", list.Total, list.Size)
	}
	got := (*list.Instances)[0]
	if *got.Id != first || *got.InstanceName != "apig-default" || got.Status.Value() != "Running" ||
		got.InstanceStatus.Value() != 6 || *got.ProjectId != owner.Account.ProjectID || *got.CreateTime <= 0 {
		t.Errorf("ListInstancesV2 first item: id %s name %s status %s/%d project %s created %d",
			*got.Id, *got.InstanceName, got.Status.Value(), got.InstanceStatus.Value(), *got.ProjectId, *got.CreateTime)
	}
	if second := (*list.Instances)[1]; *second.Id != added.InstanceID {
		t.Errorf("ListInstancesV2 second item %s, want %s", *second.Id, added.InstanceID)
	}
	name := "gw_"
	filtered, err := c.ListInstancesV2(&model.ListInstancesV2Request{InstanceName: &name})
	if err != nil || filtered.Total != 1 || *(*filtered.Instances)[0].Id != added.InstanceID {
		t.Errorf("ListInstancesV2(instance_name=gw_) = %+v, %v; want the second instance alone", filtered, err)
	}

	shown, err := c.ShowDetailsOfInstanceV2(&model.ShowDetailsOfInstanceV2Request{InstanceId: first})
	if err != nil {
		t.Fatalf("ShowDetailsOfInstanceV2: %v", err)
	}
	if *shown.Id != first || shown.Status.Value() != "Running" {
		t.Errorf("ShowDetailsOfInstanceV2: id %s status %s", *shown.Id, shown.Status.Value())
	}

	// Another tenant's instance is answered exactly like a missing one.
	other := s.newAccount()
	_, errOther := c.ShowDetailsOfInstanceV2(&model.ShowDetailsOfInstanceV2Request{InstanceId: other.Instance.ID})
	_, errMissing := c.ShowDetailsOfInstanceV2(&model.ShowDetailsOfInstanceV2Request{InstanceId: "0123456789abcdef0123456789abcdef"})
	so, co, mo := hwErr(errOther)
	sm, cm, mm := hwErr(errMissing)
	t.Logf("ShowDetailsOfInstanceV2(another tenant's id): %d %s %q", so, co, mo)
	if so != http.StatusNotFound || co != "APIG.3030" || so != sm || co != cm || mo != mm {
		t.Errorf("another tenant's instance: %d %s %q; a missing one: %d %s %q; want both 404 APIG.3030", so, co, mo, sm, cm, mm)
	}
	otherList, err := s.hwClient(other, "").ListInstancesV2(&model.ListInstancesV2Request{})
	if err != nil || otherList.Total != 1 || *(*otherList.Instances)[0].Id != other.Instance.ID {
		t.Errorf("the other tenant lists %+v, %v; want its own instance alone", otherList, err)
	}

	subst := map[string]string{first: "<instance-id>", added.InstanceID: "<instance-id-2>", owner.Account.ProjectID: "<project-id>"}
	_, body := s.hwDo(owner, "GET", "/apigw/instances", nil)
	checkGolden(t, "ListInstancesV2", body, subst)
	_, body = s.hwDo(owner, "GET", "/apigw/instances/"+first, nil)
	checkGolden(t, "ShowDetailsOfInstanceV2", body, subst)
	_, body = s.hwDo(owner, "GET", "/apigw/instances/"+other.Instance.ID, nil)
	checkGolden(t, "ShowDetailsOfInstanceV2.notfound", body, map[string]string{})
}
