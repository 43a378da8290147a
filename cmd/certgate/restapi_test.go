package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/aws/smithy-go"
)

// apiErr returns the code and message of an SDK error.
func apiErr(err error) (string, string) {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode(), ae.ErrorMessage()
	}
	return "", ""
}

func wantAPIErr(t *testing.T, err error, code, msg, what string) {
	t.Helper()
	gc, gm := apiErr(err)
	if gc != code || gm != msg {
		t.Errorf("%s: %s %q (%v)\n  want %s %q", what, gc, gm, err, code, msg)
	}
}

func replace(path, value string) types.PatchOperation {
	return types.PatchOperation{Op: types.OpReplace, Path: aws.String(path), Value: aws.String(value)}
}

// TestAWSRestAPITerraformFlow replays the requests Terraform's AWS provider
// sends for aws_api_gateway_rest_api, _resource, _method and _integration
// (aws-stages-integrations.md), then reads back with the same Get calls and
// checks every field Terraform compares.
func TestAWSRestAPITerraformFlow(t *testing.T) {
	s := startServer(t, nil)
	ctx := context.Background()
	c := s.client(s.Bootstrap, "us-east-1")

	// aws_api_gateway_rest_api: CreateRestApi, then GetRestApi and paged
	// GetResources looking for path "/".
	created, err := c.CreateRestApi(ctx, &apigateway.CreateRestApiInput{
		Name: aws.String("proxy"), Description: aws.String("proxied to a backend"),
		EndpointConfiguration: &types.EndpointConfiguration{Types: []types.EndpointType{types.EndpointTypeRegional}},
		Tags:                  map[string]string{"env": "test"},
	})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(created.Id)
	if len(id) != 10 || aws.ToString(created.RootResourceId) == "" || string(created.ApiKeySource) != "HEADER" {
		t.Errorf("CreateRestApi = id %q root %q apiKeySource %q", id, aws.ToString(created.RootResourceId), string(created.ApiKeySource))
	}
	got, err := c.GetRestApi(ctx, &apigateway.GetRestApiInput{RestApiId: &id})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.Name) != "proxy" || aws.ToString(got.Description) != "proxied to a backend" ||
		!reflect.DeepEqual(got.EndpointConfiguration.Types, []types.EndpointType{types.EndpointTypeRegional}) ||
		got.Tags["env"] != "test" || got.MinimumCompressionSize != nil || aws.ToString(got.Policy) != "" || got.DisableExecuteApiEndpoint ||
		got.CreatedDate == nil || !got.CreatedDate.Equal(*created.CreatedDate) {
		t.Errorf("GetRestApi = %+v", got)
	}
	root := ""
	pager := apigateway.NewGetResourcesPaginator(c, &apigateway.GetResourcesInput{RestApiId: &id, Limit: aws.Int32(1)})
	for pager.HasMorePages() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page.Items {
			if aws.ToString(r.Path) == "/" {
				root = aws.ToString(r.Id)
			}
		}
	}
	if root != aws.ToString(created.RootResourceId) {
		t.Fatalf("the resource with path / is %q, rootResourceId %q", root, aws.ToString(created.RootResourceId))
	}

	// aws_api_gateway_resource.
	res, err := c.CreateResource(ctx, &apigateway.CreateResourceInput{RestApiId: &id, ParentId: &root, PathPart: aws.String("{proxy+}")})
	if err != nil {
		t.Fatal(err)
	}
	rid := aws.ToString(res.Id)
	gr, err := c.GetResource(ctx, &apigateway.GetResourceInput{RestApiId: &id, ResourceId: &rid})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(gr.ParentId) != root || aws.ToString(gr.Path) != "/{proxy+}" || aws.ToString(gr.PathPart) != "{proxy+}" {
		t.Errorf("GetResource = parent %q path %q pathPart %q", aws.ToString(gr.ParentId), aws.ToString(gr.Path), aws.ToString(gr.PathPart))
	}

	// aws_api_gateway_method.
	if _, err := c.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: &id, ResourceId: &rid, HttpMethod: aws.String("ANY"),
		AuthorizationType: aws.String("NONE"), RequestParameters: map[string]bool{"method.request.path.proxy": true}}); err != nil {
		t.Fatal(err)
	}
	gm, err := c.GetMethod(ctx, &apigateway.GetMethodInput{RestApiId: &id, ResourceId: &rid, HttpMethod: aws.String("ANY")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(gm.AuthorizationType) != "NONE" || aws.ToBool(gm.ApiKeyRequired) || gm.ApiKeyRequired == nil ||
		!reflect.DeepEqual(gm.RequestParameters, map[string]bool{"method.request.path.proxy": true}) ||
		aws.ToString(gm.AuthorizerId) != "" || aws.ToString(gm.OperationName) != "" || len(gm.AuthorizationScopes) != 0 {
		t.Errorf("GetMethod = %+v", gm)
	}

	// aws_api_gateway_integration: PutIntegration, then GetIntegration.
	params := map[string]string{"integration.request.path.proxy": "method.request.path.proxy"}
	if _, err := c.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: &id, ResourceId: &rid, HttpMethod: aws.String("ANY"),
		Type: types.IntegrationTypeHttpProxy, IntegrationHttpMethod: aws.String("ANY"), Uri: aws.String("https://backend.example.com/{proxy}"),
		ConnectionType: types.ConnectionTypeInternet, RequestParameters: params, TimeoutInMillis: aws.Int32(29000),
		TlsConfig: &types.TlsConfig{InsecureSkipVerification: false}}); err != nil {
		t.Fatal(err)
	}
	checkIntegration := func(what string, timeout int32, insecure bool, keys []string) {
		t.Helper()
		gi, err := c.GetIntegration(ctx, &apigateway.GetIntegrationInput{RestApiId: &id, ResourceId: &rid, HttpMethod: aws.String("ANY")})
		if err != nil {
			t.Fatal(err)
		}
		if gi.Type != types.IntegrationTypeHttpProxy || aws.ToString(gi.HttpMethod) != "ANY" || aws.ToString(gi.Uri) != "https://backend.example.com/{proxy}" ||
			gi.ConnectionType != types.ConnectionTypeInternet || gi.TimeoutInMillis != timeout ||
			gi.TlsConfig == nil || gi.TlsConfig.InsecureSkipVerification != insecure ||
			aws.ToString(gi.PassthroughBehavior) != "WHEN_NO_MATCH" || aws.ToString(gi.CacheNamespace) != rid ||
			!reflect.DeepEqual(gi.RequestParameters, params) || len(gi.CacheKeyParameters) != len(keys) {
			t.Errorf("%s: GetIntegration = %+v (tls %+v)", what, gi, gi.TlsConfig)
		}
	}
	checkIntegration("after PutIntegration", 29000, false, nil)
	// Terraform's two update passes: everything else, then cacheKeyParameters.
	if _, err := c.UpdateIntegration(ctx, &apigateway.UpdateIntegrationInput{RestApiId: &id, ResourceId: &rid, HttpMethod: aws.String("ANY"),
		PatchOperations: []types.PatchOperation{replace("/timeoutInMillis", "60000"), replace("/tlsConfig/insecureSkipVerification", "true")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateIntegration(ctx, &apigateway.UpdateIntegrationInput{RestApiId: &id, ResourceId: &rid, HttpMethod: aws.String("ANY"),
		PatchOperations: []types.PatchOperation{{Op: types.OpAdd, Path: aws.String("/cacheKeyParameters/method.request.path.proxy"), Value: aws.String("")}}}); err != nil {
		t.Fatal(err)
	}
	checkIntegration("after UpdateIntegration", 60000, true, []string{"method.request.path.proxy"})

	// Method and integration responses.
	if _, err := c.PutMethodResponse(ctx, &apigateway.PutMethodResponseInput{RestApiId: &id, ResourceId: &rid, HttpMethod: aws.String("ANY"),
		StatusCode: aws.String("200"), ResponseModels: map[string]string{"application/json": "Empty"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutIntegrationResponse(ctx, &apigateway.PutIntegrationResponseInput{RestApiId: &id, ResourceId: &rid, HttpMethod: aws.String("ANY"),
		StatusCode: aws.String("200"), SelectionPattern: aws.String("2\\d{2}")}); err != nil {
		t.Fatal(err)
	}
	// Terraform's updates of both responses.
	if _, err := c.UpdateMethodResponse(ctx, &apigateway.UpdateMethodResponseInput{RestApiId: &id, ResourceId: &rid, HttpMethod: aws.String("ANY"),
		StatusCode: aws.String("200"), PatchOperations: []types.PatchOperation{{Op: types.OpAdd, Path: aws.String("/responseParameters/method.response.header.X-Id"), Value: aws.String("true")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateIntegrationResponse(ctx, &apigateway.UpdateIntegrationResponseInput{RestApiId: &id, ResourceId: &rid, HttpMethod: aws.String("ANY"),
		StatusCode: aws.String("200"), PatchOperations: []types.PatchOperation{replace("/selectionPattern", "2\\d{2}")}}); err != nil {
		t.Fatal(err)
	}
	gm, err = c.GetMethod(ctx, &apigateway.GetMethodInput{RestApiId: &id, ResourceId: &rid, HttpMethod: aws.String("ANY")})
	if err != nil {
		t.Fatal(err)
	}
	if !gm.MethodResponses["200"].ResponseParameters["method.response.header.X-Id"] {
		t.Errorf("UpdateMethodResponse did not take: %+v", gm.MethodResponses["200"])
	}
	if gm.MethodResponses["200"].ResponseModels["application/json"] != "Empty" || gm.MethodIntegration == nil ||
		aws.ToString(gm.MethodIntegration.IntegrationResponses["200"].SelectionPattern) != "2\\d{2}" {
		t.Errorf("GetMethod with responses = %+v", gm)
	}
	embedded, err := c.GetResources(ctx, &apigateway.GetResourcesInput{RestApiId: &id, Embed: []string{"methods"}})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range embedded.Items {
		if aws.ToString(r.Id) == rid {
			_, found = r.ResourceMethods["ANY"]
		}
	}
	if !found {
		t.Errorf("GetResources embed=methods has no ANY method on %s", rid)
	}

	// UpdateRestApi with Terraform's paths.
	upd, err := c.UpdateRestApi(ctx, &apigateway.UpdateRestApiInput{RestApiId: &id, PatchOperations: []types.PatchOperation{
		replace("/description", "changed"), replace("/minimumCompressionSize", "1024"),
		{Op: types.OpAdd, Path: aws.String("/binaryMediaTypes/image~1png")}, replace("/endpointConfiguration/types/0", "EDGE"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(upd.Description) != "changed" || aws.ToInt32(upd.MinimumCompressionSize) != 1024 ||
		!reflect.DeepEqual(upd.BinaryMediaTypes, []string{"image/png"}) || upd.EndpointConfiguration.Types[0] != types.EndpointTypeEdge {
		t.Errorf("UpdateRestApi = %+v", upd)
	}
	// -1 in Terraform: a null value turns compression off.
	upd, err = c.UpdateRestApi(ctx, &apigateway.UpdateRestApiInput{RestApiId: &id, PatchOperations: []types.PatchOperation{
		{Op: types.OpReplace, Path: aws.String("/minimumCompressionSize")}}})
	if err != nil || upd.MinimumCompressionSize != nil {
		t.Errorf("UpdateRestApi /minimumCompressionSize null = %v, %v", upd, err)
	}

	// Deletes, with their status codes checked by the SDK.
	if _, err := c.DeleteIntegration(ctx, &apigateway.DeleteIntegrationInput{RestApiId: &id, ResourceId: &rid, HttpMethod: aws.String("ANY")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteMethod(ctx, &apigateway.DeleteMethodInput{RestApiId: &id, ResourceId: &rid, HttpMethod: aws.String("ANY")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteResource(ctx, &apigateway.DeleteResourceInput{RestApiId: &id, ResourceId: &rid}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteRestApi(ctx, &apigateway.DeleteRestApiInput{RestApiId: &id}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetRestApi(ctx, &apigateway.GetRestApiInput{RestApiId: &id})
	wantAPIErr(t, err, "NotFoundException", "Invalid API identifier specified "+s.Bootstrap.Account.ID+":"+id, "GetRestApi after delete")
}

// TestAWSRestAPIErrors checks every validation rule's answer and another
// tenant's ids at every level.
func TestAWSRestAPIErrors(t *testing.T) {
	s := startServer(t, func(c *Config) { c.ResourceQuota = 4 })
	ctx := context.Background()
	c := s.client(s.Bootstrap, "us-east-1")
	a, err := c.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("x")})
	if err != nil {
		t.Fatal(err)
	}
	if a.EndpointConfiguration == nil || !reflect.DeepEqual(a.EndpointConfiguration.Types, []types.EndpointType{types.EndpointTypeEdge}) ||
		string(a.EndpointConfiguration.IpAddressType) != "ipv4" {
		t.Errorf("default endpointConfiguration = %+v", a.EndpointConfiguration)
	}
	id, root := aws.ToString(a.Id), aws.ToString(a.RootResourceId)
	mk := func(parent, part string) (string, error) {
		r, err := c.CreateResource(ctx, &apigateway.CreateResourceInput{RestApiId: &id, ParentId: &parent, PathPart: &part})
		if err != nil {
			return "", err
		}
		return aws.ToString(r.Id), nil
	}
	pets, err := mk(root, "pets")
	if err != nil {
		t.Fatal(err)
	}
	proxy, err := mk(pets, "{proxy+}")
	if err != nil {
		t.Fatal(err)
	}
	_, err = mk(root, "pets")
	wantAPIErr(t, err, "ConflictException", "Another resource with the same parent already has this name: pets", "duplicate name")
	_, err = mk(pets, "{id}")
	wantAPIErr(t, err, "BadRequestException", "A sibling ({proxy+}) of this resource already has a variable path part -- only one is allowed", "variable sibling")
	_, err = mk(proxy, "x")
	wantAPIErr(t, err, "BadRequestException", "Cannot create a child of a resource with a greedy path variable: {proxy+}", "greedy parent")
	_, err = mk(root, "a b")
	wantAPIErr(t, err, "BadRequestException", "Resource's path part only allow a-zA-Z0-9._- and curly braces at the beginning and the end and an optional plus sign before the closing brace.", "bad characters")
	if _, err := mk(root, "last"); err != nil {
		t.Fatal(err)
	}
	_, err = mk(root, "over")
	wantAPIErr(t, err, "LimitExceededException", "The maximum number of resources (4) for this REST API has been reached.", "resource quota")
	_, err = c.UpdateResource(ctx, &apigateway.UpdateResourceInput{RestApiId: &id, ResourceId: &pets,
		PatchOperations: []types.PatchOperation{replace("/invalid", "x")}})
	wantAPIErr(t, err, "BadRequestException", "Invalid patch path  '/invalid' specified for op 'replace'. Must be one of: [/parentId, /pathPart]", "bad resource patch path")
	_, err = c.UpdateResource(ctx, &apigateway.UpdateResourceInput{RestApiId: &id, ResourceId: &pets,
		PatchOperations: []types.PatchOperation{{Op: types.OpAdd, Path: aws.String("/pathPart"), Value: aws.String("x")}}})
	wantAPIErr(t, err, "BadRequestException", "Invalid patch path  '/pathPart' specified for op 'add'. Please choose supported operations", "bad resource patch op")
	_, err = c.UpdateRestApi(ctx, &apigateway.UpdateRestApiInput{RestApiId: &id,
		PatchOperations: []types.PatchOperation{{Op: types.OpMove, Path: aws.String("/name"), From: aws.String("/description")}}})
	wantAPIErr(t, err, "BadRequestException", "Invalid patch operation specified. Must be 'add'|'remove'|'replace'", "move on a REST API")
	_, err = c.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("y"),
		EndpointConfiguration: &types.EndpointConfiguration{Types: []types.EndpointType{"EDGE", "REGIONAL"}}})
	wantAPIErr(t, err, "BadRequestException", "Cannot create an api with multiple Endpoint Types.", "two endpoint types")
	_, err = c.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("y"),
		EndpointConfiguration: &types.EndpointConfiguration{Types: []types.EndpointType{"CLOUD"}}})
	wantAPIErr(t, err, "BadRequestException", "Invalid EndpointTypes specified. Valid options are REGIONAL,EDGE,PRIVATE", "bad endpoint type")

	put := func(hm, auth string) error {
		_, err := c.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: &id, ResourceId: &proxy, HttpMethod: &hm, AuthorizationType: &auth})
		return err
	}
	wantAPIErr(t, put("FETCH", "NONE"), "BadRequestException", "Invalid HttpMethod specified. Valid options are GET,PUT,POST,DELETE,PATCH,OPTIONS,HEAD,ANY", "bad HTTP method")
	wantAPIErr(t, put("GET", "CUSTOM"), "BadRequestException", "Invalid authorization type specified. Valid options are NONE,AWS_IAM", "CUSTOM authorization")
	if err := put("GET", "AWS_IAM"); err != nil {
		t.Fatal(err)
	}
	wantAPIErr(t, put("GET", "NONE"), "ConflictException", "Method already exists for this resource", "PutMethod twice")
	integ := func(typ types.IntegrationType, uri string, timeout int32) error {
		in := &apigateway.PutIntegrationInput{RestApiId: &id, ResourceId: &proxy, HttpMethod: aws.String("GET"), Type: typ,
			IntegrationHttpMethod: aws.String("GET"), Uri: &uri}
		if timeout != 0 {
			in.TimeoutInMillis = &timeout
		}
		_, err := c.PutIntegration(ctx, in)
		return err
	}
	wantAPIErr(t, integ("AWS", "arn:aws:apigateway:us-east-1:lambda:path/x", 0), "BadRequestException", "Unsupported integration type 'AWS'. Valid options are HTTP,HTTP_PROXY,MOCK", "AWS integration")
	wantAPIErr(t, integ("HTTPS_PROXY", "https://b/", 0), "ValidationException", "1 validation error detected: Value 'HTTPS_PROXY' at 'putIntegrationInput.type' failed to satisfy constraint: Member must satisfy enum value set: [HTTP, MOCK, AWS, HTTP_PROXY, AWS_PROXY]", "unknown integration type")
	wantAPIErr(t, integ("HTTP", "not a url", 0), "BadRequestException", "Invalid HTTP endpoint specified for URI", "bad uri")
	wantAPIErr(t, integ("HTTP", "https://b/", 29001), "BadRequestException", "Timeout should be between 50 ms and 29000 ms", "EDGE timeout")
	wantAPIErr(t, integ("HTTP", "https://b/", 49), "BadRequestException", "Timeout should be between 50 ms and 29000 ms", "short timeout")
	_, err = c.PutMethodResponse(ctx, &apigateway.PutMethodResponseInput{RestApiId: &id, ResourceId: &proxy, HttpMethod: aws.String("GET"), StatusCode: aws.String("wrong")})
	wantAPIErr(t, err, "BadRequestException", `1 validation error detected: Value 'wrong' at 'statusCode' failed to satisfy constraint: Member must satisfy regular expression pattern: [1-5]\d\d`, "bad status code")
	_, err = c.GetIntegration(ctx, &apigateway.GetIntegrationInput{RestApiId: &id, ResourceId: &proxy, HttpMethod: aws.String("GET")})
	wantAPIErr(t, err, "NotFoundException", "Invalid Integration identifier specified", "no integration")
	_, err = c.GetMethod(ctx, &apigateway.GetMethodInput{RestApiId: &id, ResourceId: &proxy, HttpMethod: aws.String("POST")})
	wantAPIErr(t, err, "NotFoundException", "Invalid Method identifier specified", "no method")
	_, err = c.GetResource(ctx, &apigateway.GetResourceInput{RestApiId: &id, ResourceId: aws.String("nosuchres0")})
	wantAPIErr(t, err, "NotFoundException", "Invalid Resource identifier specified", "no resource")
	_, err = c.GetMethodResponse(ctx, &apigateway.GetMethodResponseInput{RestApiId: &id, ResourceId: &proxy, HttpMethod: aws.String("GET"), StatusCode: aws.String("404")})
	wantAPIErr(t, err, "NotFoundException", "Invalid Response status code specified", "no method response")

	// Another tenant (account, or region of the same account) sees a
	// missing API at every level, named with its own account.
	other := s.newAccount()
	for _, tc := range []struct {
		name    string
		c       *apigateway.Client
		account string
	}{
		{"another account", s.client(other, "us-east-1"), other.Account.ID},
		{"another region", s.client(s.Bootstrap, "eu-west-1"), s.Bootstrap.Account.ID},
	} {
		want := "Invalid API identifier specified " + tc.account + ":" + id
		_, err := tc.c.GetRestApi(ctx, &apigateway.GetRestApiInput{RestApiId: &id})
		wantAPIErr(t, err, "NotFoundException", want, tc.name+": GetRestApi")
		_, err = tc.c.GetResources(ctx, &apigateway.GetResourcesInput{RestApiId: &id})
		wantAPIErr(t, err, "NotFoundException", want, tc.name+": GetResources")
		_, err = tc.c.GetResource(ctx, &apigateway.GetResourceInput{RestApiId: &id, ResourceId: &proxy})
		wantAPIErr(t, err, "NotFoundException", want, tc.name+": GetResource")
		_, err = tc.c.CreateResource(ctx, &apigateway.CreateResourceInput{RestApiId: &id, ParentId: &root, PathPart: aws.String("z")})
		wantAPIErr(t, err, "NotFoundException", want, tc.name+": CreateResource")
		_, err = tc.c.GetMethod(ctx, &apigateway.GetMethodInput{RestApiId: &id, ResourceId: &proxy, HttpMethod: aws.String("GET")})
		wantAPIErr(t, err, "NotFoundException", want, tc.name+": GetMethod")
		_, err = tc.c.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: &id, ResourceId: &proxy, HttpMethod: aws.String("GET"),
			Type: types.IntegrationTypeMock})
		wantAPIErr(t, err, "NotFoundException", want, tc.name+": PutIntegration")
		_, err = tc.c.UpdateRestApi(ctx, &apigateway.UpdateRestApiInput{RestApiId: &id, PatchOperations: []types.PatchOperation{replace("/name", "stolen")}})
		wantAPIErr(t, err, "NotFoundException", want, tc.name+": UpdateRestApi")
		_, err = tc.c.DeleteRestApi(ctx, &apigateway.DeleteRestApiInput{RestApiId: &id})
		wantAPIErr(t, err, "NotFoundException", want, tc.name+": DeleteRestApi")
		list, err := tc.c.GetRestApis(ctx, &apigateway.GetRestApisInput{})
		if err != nil || len(list.Items) != 0 {
			t.Errorf("%s: GetRestApis = %d items, %v", tc.name, len(list.Items), err)
		}
	}
	if g, err := c.GetRestApi(ctx, &apigateway.GetRestApiInput{RestApiId: &id}); err != nil || aws.ToString(g.Name) != "x" {
		t.Errorf("the owner's API after the other tenants' attempts: %v, %v", g, err)
	}
}

// TestAWSRestAPIHAL checks the HAL form and the plain status codes on the
// wire.
func TestAWSRestAPIHAL(t *testing.T) {
	s := startServer(t, nil)
	resp, body := s.do(s.Bootstrap, "POST", "/restapis", []byte(`{"name":"x"}`), map[string]string{"Content-Type": "application/json"})
	if resp.StatusCode != http.StatusCreated || !strings.Contains(string(body), `"rootResourceId"`) ||
		!strings.Contains(string(body), `"endpointConfiguration":{"ipAddressType":"ipv4","types":["EDGE"]}`) {
		t.Fatalf("CreateRestApi: %d %s", resp.StatusCode, body)
	}
	var created struct{ ID string }
	_ = json.Unmarshal(body, &created)
	hal := map[string]string{"Accept": "application/hal+json"}
	resp, body = s.do(s.Bootstrap, "GET", "/restapis", nil, hal)
	var list struct {
		Links struct {
			Curies struct{ Name, Href string } `json:"curies"`
			Self   struct{ Href string }       `json:"self"`
			Item   []struct{ Href string }     `json:"item"`
		} `json:"_links"`
		Embedded struct {
			Item []map[string]any `json:"item"`
		} `json:"_embedded"`
	}
	if err := json.Unmarshal(body, &list); err != nil || resp.Header.Get("Content-Type") != "application/hal+json" ||
		list.Links.Curies.Name != "restapi" || !strings.Contains(list.Links.Curies.Href, "restapi-restapi-{rel}") ||
		list.Links.Self.Href != "/restapis" || len(list.Links.Item) != 1 || list.Links.Item[0].Href != "/restapis/"+created.ID ||
		len(list.Embedded.Item) != 1 || list.Embedded.Item[0]["id"] != created.ID {
		t.Errorf("GetRestApis as HAL: %d %s", resp.StatusCode, body)
	}
	if d, _ := list.Embedded.Item[0]["createdDate"].(string); !strings.HasSuffix(d, "Z") {
		t.Errorf("an embedded REST API's createdDate is not ISO 8601: %v", list.Embedded.Item[0]["createdDate"])
	}
	resp, body = s.do(s.Bootstrap, "GET", "/restapis/"+created.ID, nil, hal)
	var one map[string]any
	_ = json.Unmarshal(body, &one)
	links, _ := one["_links"].(map[string]any)
	if resp.StatusCode != http.StatusOK || links["restapi:update"] == nil || links["restapi:delete"] == nil || one["id"] != created.ID {
		t.Errorf("GetRestApi as HAL: %d %s", resp.StatusCode, body)
	}
	// Plain JSON keeps epoch seconds.
	_, body = s.do(s.Bootstrap, "GET", "/restapis/"+created.ID, nil, nil)
	var plain map[string]any
	_ = json.Unmarshal(body, &plain)
	if _, ok := plain["createdDate"].(float64); !ok || plain["_links"] != nil {
		t.Errorf("GetRestApi as plain JSON: %s", body)
	}
}
