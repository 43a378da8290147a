package restapi_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/restapi"
	"github.com/certgate/certgate/store/sqlite"
)

var (
	scope = certgate.Scope{AccountID: "111111111111", Region: "eu-west-1"}
	other = certgate.Scope{AccountID: "222222222222", Region: "eu-west-1"}
)

func newService(t *testing.T, cfg restapi.Config) *restapi.Service {
	t.Helper()
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "db.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return restapi.New(db, cfg)
}

func wantReason(t *testing.T, err error, code, reason, what string) {
	t.Helper()
	e := certgate.AsError(err)
	if e == nil || e.Code != code || e.Reason != reason {
		t.Fatalf("%s: %v, want %s/%s", what, err, code, reason)
	}
}

func TestIDs(t *testing.T) {
	s := newService(t, restapi.Config{})
	a, err := s.CreateRestAPI(t.Context(), scope, &certgate.RestAPI{Name: "x"})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{a.ID, a.RootResourceID} {
		if len(id) != 10 || strings.Trim(id, "abcdefghijklmnopqrstuvwxyz0123456789") != "" {
			t.Errorf("id %q is not 10 lowercase alphanumerics", id)
		}
	}
	if a.EndpointTypes[0] != "EDGE" || a.APIKeySource != "HEADER" || a.IPAddressType != "ipv4" {
		t.Errorf("defaults: %v %q %q", a.EndpointTypes, a.APIKeySource, a.IPAddressType)
	}
}

func TestPathRules(t *testing.T) {
	ctx := t.Context()
	s := newService(t, restapi.Config{ResourceQuota: 5})
	a, err := s.CreateRestAPI(ctx, scope, &certgate.RestAPI{Name: "x", EndpointTypes: []string{"REGIONAL"}})
	if err != nil {
		t.Fatal(err)
	}
	root := a.RootResourceID
	pets, err := s.CreateResource(ctx, scope, a.ID, root, "pets")
	if err != nil {
		t.Fatal(err)
	}
	if pets.Path != "/pets" {
		t.Errorf("path %q", pets.Path)
	}
	proxy, err := s.CreateResource(ctx, scope, a.ID, pets.ID, "{proxy+}")
	if err != nil {
		t.Fatal(err)
	}
	if proxy.Path != "/pets/{proxy+}" {
		t.Errorf("path %q", proxy.Path)
	}
	_, err = s.CreateResource(ctx, scope, a.ID, root, "pets")
	wantReason(t, err, certgate.EConflict, restapi.ReasonDuplicatePathPart, "a duplicate name")
	_, err = s.CreateResource(ctx, scope, a.ID, pets.ID, "{id}")
	wantReason(t, err, certgate.EInvalid, restapi.ReasonVariableSibling, "a second variable sibling")
	if e := certgate.AsError(err); e.Value != "{proxy+}" {
		t.Errorf("the sibling named is %q", e.Value)
	}
	_, err = s.CreateResource(ctx, scope, a.ID, proxy.ID, "x")
	wantReason(t, err, certgate.EInvalid, restapi.ReasonGreedyParent, "a child of a greedy variable")
	greedy := "{all+}"
	_, err = s.UpdateResource(ctx, scope, a.ID, pets.ID, nil, &greedy)
	wantReason(t, err, certgate.EInvalid, restapi.ReasonGreedyParent, "renaming a resource with children to a greedy variable")
	for _, bad := range []string{"", "a b", "{x", "x}", "{x+", "{+}", "a/b", "ü", "{a}b"} {
		_, err = s.CreateResource(ctx, scope, a.ID, root, bad)
		wantReason(t, err, certgate.EInvalid, restapi.ReasonPathPartChars, "path part "+bad)
	}
	_, err = s.CreateResource(ctx, other, a.ID, root, "y")
	wantReason(t, err, certgate.ENotFound, restapi.ReasonNoAPI, "another tenant's API")
	_, err = s.CreateResource(ctx, scope, a.ID, "nosuchres0", "y")
	wantReason(t, err, certgate.ENotFound, restapi.ReasonNoResource, "a missing parent")
	// Moving /pets under itself, or the root, is refused.
	_, err = s.UpdateResource(ctx, scope, a.ID, pets.ID, &proxy.ID, nil)
	wantReason(t, err, certgate.EInvalid, restapi.ReasonOwnSubtree, "moving under its own child")
	rename := "animals"
	moved, err := s.UpdateResource(ctx, scope, a.ID, pets.ID, nil, &rename)
	if err != nil || moved.Path != "/animals" {
		t.Fatalf("rename: %+v, %v", moved, err)
	}
	got, err := s.GetResource(ctx, scope, a.ID, proxy.ID)
	if err != nil || got.Path != "/animals/{proxy+}" {
		t.Fatalf("the child after a rename: %+v, %v", got, err)
	}
	err = s.DeleteResource(ctx, scope, a.ID, root)
	wantReason(t, err, certgate.EInvalid, restapi.ReasonRootResource, "deleting the root")
	// Quota of 5, the root included.
	for _, p := range []string{"a", "b"} {
		if _, err := s.CreateResource(ctx, scope, a.ID, root, p); err != nil {
			t.Fatal(err)
		}
	}
	_, err = s.CreateResource(ctx, scope, a.ID, root, "c")
	wantReason(t, err, certgate.ELimitExceeded, restapi.ReasonResourceQuota, "over the resource quota")
	if err := s.DeleteResource(ctx, scope, a.ID, pets.ID); err != nil {
		t.Fatal(err)
	}
	page, err := s.ListResources(ctx, scope, a.ID, "", 0)
	if err != nil || len(page.Items) != 3 {
		t.Fatalf("after deleting a subtree: %d resources, %v", len(page.Items), err)
	}
}

func TestMethodsAndIntegrations(t *testing.T) {
	ctx := t.Context()
	s := newService(t, restapi.Config{})
	edge, err := s.CreateRestAPI(ctx, scope, &certgate.RestAPI{Name: "edge"})
	if err != nil {
		t.Fatal(err)
	}
	res := edge.RootResourceID
	_, err = s.PutMethod(ctx, scope, edge.ID, res, "FETCH", &certgate.Method{AuthorizationType: "NONE"})
	wantReason(t, err, certgate.EInvalid, restapi.ReasonHTTPMethod, "an unknown HTTP method")
	_, err = s.PutMethod(ctx, scope, edge.ID, res, "GET", &certgate.Method{AuthorizationType: "CUSTOM"})
	wantReason(t, err, certgate.EInvalid, restapi.ReasonAuthorizationType, "CUSTOM authorization")
	if _, err := s.PutMethod(ctx, scope, edge.ID, res, "GET", &certgate.Method{AuthorizationType: "AWS_IAM"}); err != nil {
		t.Fatal(err)
	}
	_, err = s.PutMethod(ctx, scope, edge.ID, res, "GET", &certgate.Method{AuthorizationType: "NONE"})
	wantReason(t, err, certgate.EConflict, restapi.ReasonMethodExists, "PutMethod twice")
	_, err = s.GetIntegration(ctx, scope, edge.ID, res, "GET")
	wantReason(t, err, certgate.ENotFound, restapi.ReasonNoIntegration, "no integration yet")
	_, err = s.GetMethod(ctx, scope, edge.ID, res, "POST")
	wantReason(t, err, certgate.ENotFound, restapi.ReasonNoMethod, "a missing method")
	_, err = s.GetMethod(ctx, other, edge.ID, res, "GET")
	wantReason(t, err, certgate.ENotFound, restapi.ReasonNoAPI, "another tenant's method")

	good := certgate.Integration{Type: "HTTP_PROXY", HTTPMethod: "ANY", URI: "https://backend.example.com/{proxy}"}
	ig, err := s.PutIntegration(ctx, scope, edge.ID, res, "GET", &good)
	if err != nil {
		t.Fatal(err)
	}
	if ig.TimeoutInMillis != 29000 || ig.ConnectionType != "INTERNET" || ig.PassthroughBehavior != "WHEN_NO_MATCH" || ig.CacheNamespace != res || ig.TLSConfig != nil {
		t.Errorf("defaults: %+v", ig)
	}
	for what, c := range map[string]struct {
		edit   func(*certgate.Integration)
		reason string
	}{
		"type AWS":              {func(i *certgate.Integration) { i.Type = "AWS" }, restapi.ReasonIntegrationType},
		"type HTTPS_PROXY":      {func(i *certgate.Integration) { i.Type = "HTTPS_PROXY" }, restapi.ReasonIntegrationType},
		"a relative uri":        {func(i *certgate.Integration) { i.URI = "/x" }, restapi.ReasonBadURI},
		"an ftp uri":            {func(i *certgate.Integration) { i.URI = "ftp://h/x" }, restapi.ReasonBadURI},
		"no http method":        {func(i *certgate.Integration) { i.HTTPMethod = "" }, restapi.ReasonHTTPMethod},
		"timeout 49":            {func(i *certgate.Integration) { i.TimeoutInMillis = 49 }, restapi.ReasonTimeout},
		"timeout 29001 on EDGE": {func(i *certgate.Integration) { i.TimeoutInMillis = 29001 }, restapi.ReasonTimeout},
		"a bad mapping key": {func(i *certgate.Integration) {
			i.RequestParameters = map[string]string{"method.request.path.proxy": "method.request.path.proxy"}
		}, restapi.ReasonMapping},
		"a bad mapping value": {func(i *certgate.Integration) {
			i.RequestParameters = map[string]string{"integration.request.path.proxy": "true"}
		}, restapi.ReasonMapping},
	} {
		in := good
		c.edit(&in)
		_, err := s.PutIntegration(ctx, scope, edge.ID, res, "GET", &in)
		wantReason(t, err, certgate.EInvalid, c.reason, what)
	}
	// REGIONAL APIs may wait up to 300000 ms.
	reg, err := s.CreateRestAPI(ctx, scope, &certgate.RestAPI{Name: "regional", EndpointTypes: []string{"REGIONAL"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutMethod(ctx, scope, reg.ID, reg.RootResourceID, "ANY", &certgate.Method{AuthorizationType: "NONE"}); err != nil {
		t.Fatal(err)
	}
	long := good
	long.TimeoutInMillis = 300000
	if _, err := s.PutIntegration(ctx, scope, reg.ID, reg.RootResourceID, "ANY", &long); err != nil {
		t.Fatalf("300000 ms on a REGIONAL API: %v", err)
	}
	long.TimeoutInMillis = 300001
	_, err = s.PutIntegration(ctx, scope, reg.ID, reg.RootResourceID, "ANY", &long)
	wantReason(t, err, certgate.EInvalid, restapi.ReasonTimeout, "300001 ms")

	// Responses.
	_, err = s.PutMethodResponse(ctx, scope, edge.ID, res, "GET", &certgate.MethodResponse{StatusCode: "wrong"})
	wantReason(t, err, certgate.EInvalid, restapi.ReasonStatusCode, "status code wrong")
	if _, err := s.PutMethodResponse(ctx, scope, edge.ID, res, "GET", &certgate.MethodResponse{StatusCode: "200"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutIntegrationResponse(ctx, scope, edge.ID, res, "GET", &certgate.IntegrationResponse{StatusCode: "200", SelectionPattern: ""}); err != nil {
		t.Fatal(err)
	}
	m, err := s.GetMethod(ctx, scope, edge.ID, res, "GET")
	if err != nil || m.Responses["200"] == nil || m.Integration.Responses["200"] == nil {
		t.Fatalf("GetMethod: %+v, %v", m, err)
	}
	_, err = s.GetMethodResponse(ctx, scope, edge.ID, res, "GET", "404")
	wantReason(t, err, certgate.ENotFound, restapi.ReasonNoResponse, "a missing response")
	if err := s.DeleteIntegration(ctx, scope, edge.ID, res, "GET"); err != nil {
		t.Fatal(err)
	}
	_, err = s.GetIntegrationResponse(ctx, scope, edge.ID, res, "GET", "200")
	wantReason(t, err, certgate.ENotFound, restapi.ReasonNoIntegration, "a response of a deleted integration")
}

func TestRestAPIQuota(t *testing.T) {
	s := newService(t, restapi.Config{RestAPIQuota: 1})
	if _, err := s.CreateRestAPI(t.Context(), scope, &certgate.RestAPI{Name: "x"}); err != nil {
		t.Fatal(err)
	}
	_, err := s.CreateRestAPI(t.Context(), scope, &certgate.RestAPI{Name: "y"})
	wantReason(t, err, certgate.ELimitExceeded, restapi.ReasonRestAPIQuota, "over the quota")
	if _, err := s.CreateRestAPI(t.Context(), other, &certgate.RestAPI{Name: "y"}); err != nil {
		t.Fatalf("another account has its own quota: %v", err)
	}
	_, err = s.CreateRestAPI(t.Context(), scope, &certgate.RestAPI{Name: "z", EndpointTypes: []string{"EDGE", "REGIONAL"}})
	wantReason(t, err, certgate.EInvalid, restapi.ReasonEndpointTypes, "two endpoint types")
	_, err = s.CreateRestAPI(t.Context(), scope, &certgate.RestAPI{Name: "z", EndpointTypes: []string{"CLOUD"}})
	wantReason(t, err, certgate.EInvalid, restapi.ReasonEndpointType, "an unknown endpoint type")
}

func FuzzValidPathPart(f *testing.F) {
	for _, s := range []string{"pets", "{proxy+}", "{id}", "{+}", "", "a}", "{a", "ü"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		ok := restapi.ValidPathPart(p)
		if ok && (strings.ContainsAny(p, "/ ") || p == "") {
			t.Errorf("%q accepted", p)
		}
		if ok && strings.Contains(p, "+") && !strings.HasSuffix(p, "+}") {
			t.Errorf("%q accepted with a misplaced plus", p)
		}
	})
}

// TestDeploymentIsASnapshot checks that a deployment keeps the API as it was
// when deployed: later edits reach a stage only through a new deployment.
func TestDeploymentIsASnapshot(t *testing.T) {
	ctx := t.Context()
	s := newService(t, restapi.Config{StageQuota: 1})
	a, err := s.CreateRestAPI(ctx, scope, &certgate.RestAPI{Name: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateDeployment(ctx, scope, a.ID, "", restapi.StageInput{}); certgate.AsError(err) == nil || certgate.AsError(err).Reason != restapi.ReasonNoMethods {
		t.Fatalf("deploying an API without methods: %v", err)
	}
	if _, err := s.PutMethod(ctx, scope, a.ID, a.RootResourceID, "GET", &certgate.Method{AuthorizationType: "NONE"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutIntegration(ctx, scope, a.ID, a.RootResourceID, "GET", &certgate.Integration{Type: "HTTP", HTTPMethod: "GET", URI: "https://old.example/"}); err != nil {
		t.Fatal(err)
	}
	d, err := s.CreateDeployment(ctx, scope, a.ID, "first", restapi.StageInput{Name: "prod"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutIntegration(ctx, scope, a.ID, a.RootResourceID, "GET", &certgate.Integration{Type: "HTTP", HTTPMethod: "GET", URI: "https://new.example/"}); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetDeployment(ctx, scope, a.ID, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got.Snapshot, "https://old.example/") || strings.Contains(got.Snapshot, "https://new.example/") {
		t.Errorf("the deployment changed with the API: %s", got.Snapshot)
	}
	d2, err := s.CreateDeployment(ctx, scope, a.ID, "second", restapi.StageInput{Name: "prod"})
	if err != nil {
		t.Fatalf("redeploying to an existing stage: %v", err)
	}
	st, err := s.GetStage(ctx, scope, a.ID, "prod")
	if err != nil || st.DeploymentID != d2.ID {
		t.Fatalf("the stage after a redeploy points at %q (%v), want %q", st.DeploymentID, err, d2.ID)
	}
	err = s.DeleteDeployment(ctx, scope, a.ID, d2.ID)
	wantReason(t, err, certgate.EInvalid, restapi.ReasonDeploymentInUse, "deleting the deployment a stage uses")
	if err := s.DeleteDeployment(ctx, scope, a.ID, d.ID); err != nil {
		t.Fatalf("deleting the free deployment: %v", err)
	}
	_, err = s.CreateStage(ctx, scope, a.ID, &certgate.Stage{Name: "dev", DeploymentID: d2.ID})
	wantReason(t, err, certgate.ELimitExceeded, restapi.ReasonStageQuota, "over the stage quota")
	_, err = s.CreateStage(ctx, scope, a.ID, &certgate.Stage{Name: "bad name", DeploymentID: d2.ID})
	wantReason(t, err, certgate.EInvalid, restapi.ReasonStageName, "a bad stage name")
	_, err = s.UpdateStage(ctx, scope, a.ID, "prod", func(st *certgate.Stage) error { st.ClientCertificateID = "nosuchcert"; return nil })
	wantReason(t, err, certgate.ENotFound, restapi.ReasonNoCertificate, "attaching a missing certificate")
	_, err = s.UpdateStage(ctx, scope, a.ID, "prod", func(st *certgate.Stage) error { st.DeploymentID = d.ID; return nil })
	wantReason(t, err, certgate.EInvalid, restapi.ReasonBadDeployment, "moving to a deleted deployment")
	_, err = s.GetStage(ctx, other, a.ID, "prod")
	wantReason(t, err, certgate.ENotFound, restapi.ReasonNoAPI, "another tenant's stage")
}
