package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

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

func TestGatewayDomainSuffixValidate(t *testing.T) {
	for _, bad := range []string{"", "local", "Bad.Example", "a..b", "-a.b", "a_b.c", strings.Repeat("a", 64) + ".b", strings.Repeat("abcdefgh.", 25) + "x"} {
		cfg := testConfig(t.TempDir())
		cfg.MasterKeyFile = "x"
		cfg.GatewayDomainSuffix = bad
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "--gateway-domain-suffix") {
			t.Errorf("--gateway-domain-suffix %q: %v; want refused", bad, err)
		}
	}
	for _, good := range []string{"certgate.local", "apic.example.com", "x-1.y2"} {
		cfg := testConfig(t.TempDir())
		cfg.MasterKeyFile = "x"
		cfg.GatewayDomainSuffix = good
		if err := cfg.Validate(); err != nil {
			t.Errorf("--gateway-domain-suffix %q: %v", good, err)
		}
	}
}

func TestHuaweiAPIGroups(t *testing.T) {
	s := startServer(t, func(c *Config) { c.GatewayDomainSuffix = "gw.example.test" })
	owner := s.Bootstrap
	c := s.hwClient(owner, "")
	inst := owner.Instance.ID
	h := gatewayHelpers{t, s}
	rev, wantErr := h.rev, h.wantErr
	create := func(inst, name string, remark *string) (*model.CreateApiGroupV2Response, error) {
		return c.CreateApiGroupV2(&model.CreateApiGroupV2Request{InstanceId: inst, Body: &model.ApiGroupCreate{Name: name, Remark: remark}})
	}
	remark := "the demo group"

	r0 := rev()
	created, err := create(inst, "group_demo", &remark)
	if err != nil {
		t.Fatalf("CreateApiGroupV2: %v", err)
	}
	id := created.Id
	t.Logf("CreateApiGroupV2: %d id=%s name=%s sl_domain=%s status=%d", created.HttpStatusCode, id, created.Name, created.SlDomain, created.Status.Value())
	if created.HttpStatusCode != http.StatusCreated || !hexID.MatchString(id) || created.Name != "group_demo" ||
		created.SlDomain != id+".apic.gw.example.test" || created.Status.Value() != 1 || created.OnSellStatus != 2 ||
		created.Remark == nil || *created.Remark != remark || created.UrlDomains == nil || len(*created.UrlDomains) != 0 ||
		created.RegisterTime == nil || created.SlDomainAccessEnabled == nil || !*created.SlDomainAccessEnabled {
		t.Errorf("CreateApiGroupV2 answered %+v", created)
	}
	if got := rev(); got != r0+1 {
		t.Errorf("revision after CreateApiGroupV2: %d, want %d", got, r0+1)
	}
	han, err := create(inst, "分组、一（二）：3", nil)
	if err != nil {
		t.Fatalf("CreateApiGroupV2 with a Chinese name: %v", err)
	}

	// Constraints.
	_, err = create(inst, "group_demo", nil)
	wantErr("a taken name", err, 400, "APIG.3201")
	for _, bad := range []string{"ab", "_group", "group name", "group*", strings.Repeat("g", 256)} {
		_, err = create(inst, bad, nil)
		wantErr(fmt.Sprintf("name %.20q", bad), err, 400, "APIG.2012")
	}
	_, err = create(inst, "", nil)
	wantErr("no name", err, 400, "APIG.2001")
	long := strings.Repeat("r", 1001)
	_, err = create(inst, "group_long", &long)
	wantErr("a remark of 1001 characters", err, 400, "APIG.2012")
	if got := rev(); got != r0+2 {
		t.Errorf("revision after refused creates: %d, want %d", got, r0+2)
	}

	// Reads.
	list, err := c.ListApiGroupsV2(&model.ListApiGroupsV2Request{InstanceId: inst})
	if err != nil || list.Total != 2 || list.Size != 2 || (*list.Groups)[0].Id != id || (*list.Groups)[1].Id != han.Id {
		t.Fatalf("ListApiGroupsV2 = %+v, %v; want both groups in creation order", list, err)
	}
	demo, grp, precise := "demo", "group", "name"
	if l, err := c.ListApiGroupsV2(&model.ListApiGroupsV2Request{InstanceId: inst, Name: &demo}); err != nil || l.Total != 1 || (*l.Groups)[0].Id != id {
		t.Errorf("ListApiGroupsV2(name=demo) = %+v, %v; want group_demo", l, err)
	}
	if l, err := c.ListApiGroupsV2(&model.ListApiGroupsV2Request{InstanceId: inst, Name: &grp, PreciseSearch: &precise}); err != nil || l.Total != 0 {
		t.Errorf("ListApiGroupsV2(name=group, precise_search=name) = %+v, %v; want none", l, err)
	}
	shown, err := c.ShowDetailsOfApiGroupV2(&model.ShowDetailsOfApiGroupV2Request{InstanceId: inst, GroupId: id})
	if err != nil || shown.Id != id || shown.Name != "group_demo" || shown.SlDomain != created.SlDomain {
		t.Fatalf("ShowDetailsOfApiGroupV2 = %+v, %v", shown, err)
	}
	if !time.Time(*shown.RegisterTime).Equal(time.Time(*created.RegisterTime)) || !time.Time(*shown.UpdateTime).Equal(time.Time(*created.UpdateTime)) {
		t.Errorf("ShowDetailsOfApiGroupV2 times %v/%v differ from CreateApiGroupV2's %v/%v", time.Time(*shown.RegisterTime),
			time.Time(*shown.UpdateTime), time.Time(*created.RegisterTime), time.Time(*created.UpdateTime))
	}
	if got := rev(); got != r0+2 {
		t.Errorf("revision after reads: %d, want %d", got, r0+2)
	}

	// Update.
	newRemark := "renamed"
	updated, err := c.UpdateApiGroupV2(&model.UpdateApiGroupV2Request{InstanceId: inst, GroupId: id,
		Body: &model.ApiGroupBase{Name: "group_renamed", Remark: &newRemark}})
	if err != nil || updated.Name != "group_renamed" || *updated.Remark != "renamed" || updated.Id != id {
		t.Fatalf("UpdateApiGroupV2 = %+v, %v", updated, err)
	}
	_, err = c.UpdateApiGroupV2(&model.UpdateApiGroupV2Request{InstanceId: inst, GroupId: id, Body: &model.ApiGroupBase{Name: han.Name}})
	wantErr("renaming to a taken name", err, 400, "APIG.3201")
	if got := rev(); got != r0+3 {
		t.Errorf("revision after UpdateApiGroupV2: %d, want %d", got, r0+3)
	}

	// Another tenant's ids answer exactly like missing ones.
	other := s.newAccount() // with its instance: one move
	r0++
	oc := s.hwClient(other, "")
	missingID := "0123456789abcdef0123456789abcdef"
	_, errMissing := oc.ShowDetailsOfApiGroupV2(&model.ShowDetailsOfApiGroupV2Request{InstanceId: other.Instance.ID, GroupId: missingID})
	mMissing := wantErr("a missing group", errMissing, 404, "APIG.3001")
	_, err = oc.ShowDetailsOfApiGroupV2(&model.ShowDetailsOfApiGroupV2Request{InstanceId: other.Instance.ID, GroupId: id})
	if m := wantErr("another tenant's group in one's own instance", err, 404, "APIG.3001"); m != strings.ReplaceAll(mMissing, missingID, id) {
		t.Errorf("another tenant's group says %q, a missing one %q", m, mMissing)
	}
	for what, call := range map[string]func() error{
		"ShowDetailsOfApiGroupV2": func() error {
			_, err := oc.ShowDetailsOfApiGroupV2(&model.ShowDetailsOfApiGroupV2Request{InstanceId: inst, GroupId: id})
			return err
		},
		"ListApiGroupsV2": func() error {
			_, err := oc.ListApiGroupsV2(&model.ListApiGroupsV2Request{InstanceId: inst})
			return err
		},
		"CreateApiGroupV2": func() error {
			_, err := oc.CreateApiGroupV2(&model.CreateApiGroupV2Request{InstanceId: inst, Body: &model.ApiGroupCreate{Name: "intruder"}})
			return err
		},
		"UpdateApiGroupV2": func() error {
			_, err := oc.UpdateApiGroupV2(&model.UpdateApiGroupV2Request{InstanceId: inst, GroupId: id, Body: &model.ApiGroupBase{Name: "hijacked"}})
			return err
		},
		"DeleteApiGroupV2": func() error {
			_, err := oc.DeleteApiGroupV2(&model.DeleteApiGroupV2Request{InstanceId: inst, GroupId: id})
			return err
		},
	} {
		wantErr(what+" in another tenant's instance", call(), 404, "APIG.3030")
	}
	_, err = oc.ListApiGroupsV2(&model.ListApiGroupsV2Request{InstanceId: missingID})
	wantErr("ListApiGroupsV2 in a missing instance", err, 404, "APIG.3030")
	if got, err := c.ShowDetailsOfApiGroupV2(&model.ShowDetailsOfApiGroupV2Request{InstanceId: inst, GroupId: id}); err != nil || got.Name != "group_renamed" {
		t.Errorf("the group after another tenant's attempts: %+v, %v", got, err)
	}
	if got := rev(); got != r0+3 {
		t.Errorf("revision after refused writes: %d, want %d", got, r0+3)
	}

	// Golden files of each answer.
	subst := map[string]string{id: "<group-id>", han.Id: "<group-id-2>", inst: "<instance-id>", missingID: "<missing-id>"}
	for _, g := range []struct{ name, method, path, body string }{
		{"CreateApiGroupV2", "POST", "/api-groups", `{"name":"group_golden","remark":"golden"}`},
		{"ListApiGroupsV2", "GET", "/api-groups?limit=2", ""},
		{"ShowDetailsOfApiGroupV2", "GET", "/api-groups/" + id, ""},
		{"UpdateApiGroupV2", "PUT", "/api-groups/" + id, `{"name":"group_renamed","remark":"renamed"}`},
		{"CreateApiGroupV2.duplicate", "POST", "/api-groups", `{"name":"group_renamed"}`},
		{"ShowDetailsOfApiGroupV2.notfound", "GET", "/api-groups/" + missingID, ""},
		{"CreateApiGroupV2.badname", "POST", "/api-groups", `{"name":"_bad"}`},
	} {
		resp, body := s.hwDo(owner, g.method, "/apigw/instances/"+inst+g.path, []byte(g.body))
		if g.name == "CreateApiGroupV2" {
			var v struct{ ID string }
			if err := json.Unmarshal(body, &v); err != nil {
				t.Fatal(err)
			}
			subst[v.ID] = "<group-id-3>"
		}
		t.Logf("%s %s: %d", g.method, g.path, resp.StatusCode)
		checkGolden(t, g.name, body, subst)
	}

	// Delete: 204, then gone.
	r1 := rev()
	del, err := c.DeleteApiGroupV2(&model.DeleteApiGroupV2Request{InstanceId: inst, GroupId: id})
	if err != nil || del.HttpStatusCode != http.StatusNoContent {
		t.Fatalf("DeleteApiGroupV2 = %+v, %v; want 204", del, err)
	}
	if got := rev(); got != r1+1 {
		t.Errorf("revision after DeleteApiGroupV2: %d, want %d", got, r1+1)
	}
	_, err = c.ShowDetailsOfApiGroupV2(&model.ShowDetailsOfApiGroupV2Request{InstanceId: inst, GroupId: id})
	wantErr("a deleted group", err, 404, "APIG.3001")
	_, err = c.DeleteApiGroupV2(&model.DeleteApiGroupV2Request{InstanceId: inst, GroupId: id})
	wantErr("deleting twice", err, 404, "APIG.3001")
}

// gatewayHelpers are the checks the gateway-object tests share: the
// configuration revision, and an SDK error's status and APIG code.
type gatewayHelpers struct {
	t *testing.T
	s *testServer
}

func (h gatewayHelpers) rev() int64 {
	h.t.Helper()
	n, err := h.s.Store.Revision(h.t.Context())
	if err != nil {
		h.t.Fatal(err)
	}
	return n
}

// wantErr logs what the SDK got and fails unless it is status and code; it
// returns the message.
func (h gatewayHelpers) wantErr(what string, err error, status int, code string) string {
	h.t.Helper()
	st, cd, msg := hwErr(err)
	h.t.Logf("%s: %d %s %q", what, st, cd, msg)
	if st != status || cd != code {
		h.t.Errorf("%s: %d %s %q; want %d %s", what, st, cd, msg, status, code)
	}
	return msg
}

// TestHuaweiSLDomainSetting turns a group's debugging domain off and on
// with UpdateSlDomainSettingV2 (204), which the group answers show.
func TestHuaweiSLDomainSetting(t *testing.T) {
	s := startServer(t, nil)
	owner := s.Bootstrap
	c := s.hwClient(owner, "")
	inst := owner.Instance.ID
	h := gatewayHelpers{t, s}
	g, err := c.CreateApiGroupV2(&model.CreateApiGroupV2Request{InstanceId: inst, Body: &model.ApiGroupCreate{Name: "sl_group"}})
	if err != nil {
		t.Fatal(err)
	}
	if !*g.SlDomainAccessEnabled {
		t.Errorf("a new group's debugging domain is off")
	}
	r0 := h.rev()
	res, err := c.UpdateSlDomainSettingV2(&model.UpdateSlDomainSettingV2Request{InstanceId: inst, GroupId: g.Id, Body: &model.SlDomainAccessSetting{SlDomainAccessEnabled: false}})
	if err != nil || res.HttpStatusCode != http.StatusNoContent {
		t.Fatalf("UpdateSlDomainSettingV2 = %+v, %v; want 204", res, err)
	}
	if got := h.rev(); got != r0+1 {
		t.Errorf("revision after UpdateSlDomainSettingV2: %d, want %d", got, r0+1)
	}
	shown, err := c.ShowDetailsOfApiGroupV2(&model.ShowDetailsOfApiGroupV2Request{InstanceId: inst, GroupId: g.Id})
	if err != nil || *shown.SlDomainAccessEnabled {
		t.Errorf("ShowDetailsOfApiGroupV2 after turning the debugging domain off: %v, %v", shown.SlDomainAccessEnabled, err)
	}
	for _, body := range []string{`{}`, `{"sl_domain_access_enabled":"no"}`, `{"sl_domain_access_enabled":null}`, ``} {
		resp, b := s.hwDo(owner, "PUT", "/apigw/instances/"+inst+"/api-groups/"+g.Id+"/sl-domain-access-settings", []byte(body))
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "APIG.2011") {
			t.Errorf("UpdateSlDomainSettingV2 %q: %d %s; want 400 APIG.2011", body, resp.StatusCode, b)
		}
	}
	intruder := s.hwClient(s.newAccount(), "")
	_, err = intruder.UpdateSlDomainSettingV2(&model.UpdateSlDomainSettingV2Request{InstanceId: inst, GroupId: g.Id, Body: &model.SlDomainAccessSetting{SlDomainAccessEnabled: true}})
	h.wantErr("UpdateSlDomainSettingV2 by another tenant", err, 404, "APIG.3030")
	// A rename keeps the setting.
	if _, err := c.UpdateApiGroupV2(&model.UpdateApiGroupV2Request{InstanceId: inst, GroupId: g.Id, Body: &model.ApiGroupBase{Name: "sl_group_2"}}); err != nil {
		t.Fatal(err)
	}
	if shown, _ := c.ShowDetailsOfApiGroupV2(&model.ShowDetailsOfApiGroupV2Request{InstanceId: inst, GroupId: g.Id}); *shown.SlDomainAccessEnabled {
		t.Errorf("a rename turned the debugging domain back on")
	}
}
