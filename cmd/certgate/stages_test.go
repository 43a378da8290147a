package main

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
)

// proxiedAPI makes the REST API of the spec's minimal flow: /{proxy+} ANY
// proxied to an HTTPS backend.
func proxiedAPI(t *testing.T, c *apigateway.Client) (apiID, resourceID string) {
	t.Helper()
	ctx := context.Background()
	a, err := c.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("proxy"),
		EndpointConfiguration: &types.EndpointConfiguration{Types: []types.EndpointType{types.EndpointTypeRegional}}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.CreateResource(ctx, &apigateway.CreateResourceInput{RestApiId: a.Id, ParentId: a.RootResourceId, PathPart: aws.String("{proxy+}")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: a.Id, ResourceId: r.Id, HttpMethod: aws.String("ANY"),
		AuthorizationType: aws.String("NONE"), RequestParameters: map[string]bool{"method.request.path.proxy": true}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: a.Id, ResourceId: r.Id, HttpMethod: aws.String("ANY"),
		Type: types.IntegrationTypeHttpProxy, IntegrationHttpMethod: aws.String("ANY"), Uri: aws.String("https://backend.example.com/{proxy}"),
		RequestParameters: map[string]string{"integration.request.path.proxy": "method.request.path.proxy"}}); err != nil {
		t.Fatal(err)
	}
	return aws.ToString(a.Id), aws.ToString(r.Id)
}

// TestAWSStageTerraformFlow replays aws_api_gateway_deployment and
// aws_api_gateway_stage as Terraform sends them (CreateDeployment with
// empty strings, CreateStage, the follow-up UpdateStage that attaches the
// client certificate), reads back, and checks the refusals that keep a
// stage's links valid.
func TestAWSStageTerraformFlow(t *testing.T) {
	s := startServer(t, nil)
	ctx := context.Background()
	c := s.client(s.Bootstrap, "us-east-1")

	empty, err := c.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("empty")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: empty.Id})
	wantAPIErr(t, err, "BadRequestException", "The REST API doesn't contain any methods", "CreateDeployment of an empty API")

	id, _ := proxiedAPI(t, c)
	rev0, err := s.Store.Revision(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Terraform's body: pointers to empty strings and an empty map.
	dep, err := c.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: &id, Description: aws.String(""),
		StageDescription: aws.String(""), StageName: aws.String(""), Variables: map[string]string{}})
	if err != nil {
		t.Fatal(err)
	}
	depID := aws.ToString(dep.Id)
	gd, err := c.GetDeployment(ctx, &apigateway.GetDeploymentInput{RestApiId: &id, DeploymentId: &depID})
	if err != nil || aws.ToString(gd.Description) != "" || gd.CreatedDate == nil || !gd.CreatedDate.Equal(*dep.CreatedDate) {
		t.Fatalf("GetDeployment = %+v, %v", gd, err)
	}
	if stages, err := c.GetStages(ctx, &apigateway.GetStagesInput{RestApiId: &id}); err != nil || len(stages.Item) != 0 {
		t.Fatalf("stageName \"\" made a stage: %+v, %v", stages, err)
	}

	cert, err := c.GenerateClientCertificate(ctx, &apigateway.GenerateClientCertificateInput{})
	if err != nil {
		t.Fatal(err)
	}
	cc := aws.ToString(cert.ClientCertificateId)

	st, err := c.CreateStage(ctx, &apigateway.CreateStageInput{RestApiId: &id, StageName: aws.String("prod"), DeploymentId: &depID,
		Description: aws.String("production")})
	if err != nil {
		t.Fatal(err)
	}
	if st.ClientCertificateId != nil || st.CacheClusterStatus != types.CacheClusterStatusNotAvailable || st.CreatedDate == nil {
		t.Errorf("CreateStage = clientCertificateId %v, cacheClusterStatus %q", st.ClientCertificateId, st.CacheClusterStatus)
	}
	// Terraform's follow-up UpdateStage, with every path it sends.
	_, err = c.UpdateStage(ctx, &apigateway.UpdateStageInput{RestApiId: &id, StageName: aws.String("prod"), PatchOperations: []types.PatchOperation{
		replace("/deploymentId", depID), replace("/clientCertificateId", cc), replace("/description", "production"),
		replace("/variables/backend", "b.example.com"), replace("/tracingEnabled", "true"), replace("/documentationVersion", "v1"),
		replace("/*/*/metrics/enabled", "true"), replace("/~1{proxy+}/ANY/throttling/burstLimit", "100"),
		replace("/canarySettings/percentTraffic", "10"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	gs, err := c.GetStage(ctx, &apigateway.GetStageInput{RestApiId: &id, StageName: aws.String("prod")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(gs.ClientCertificateId) != cc || aws.ToString(gs.DeploymentId) != depID || aws.ToString(gs.Description) != "production" ||
		gs.Variables["backend"] != "b.example.com" || !gs.TracingEnabled || aws.ToString(gs.DocumentationVersion) != "v1" ||
		!gs.MethodSettings["*/*"].MetricsEnabled || gs.MethodSettings["{proxy+}/ANY"].ThrottlingBurstLimit != 100 ||
		gs.CanarySettings == nil || gs.CanarySettings.PercentTraffic != 10 || gs.CacheClusterEnabled ||
		gs.CacheClusterStatus != types.CacheClusterStatusNotAvailable {
		t.Errorf("GetStage = %+v", gs)
	}
	// GenerateClientCertificate moves it too.
	if rev, err := s.Store.Revision(ctx); err != nil || rev != rev0+4 {
		t.Errorf("revision %d after CreateDeployment, GenerateClientCertificate, CreateStage and UpdateStage, want %d (%v)", rev, rev0+4, err)
	}

	// The certificate is in use: refused, naming the stage.
	_, err = c.DeleteClientCertificate(ctx, &apigateway.DeleteClientCertificateInput{ClientCertificateId: &cc})
	wantAPIErr(t, err, "ConflictException", `Client certificate is in use by stage 'prod' and cannot be deleted. Detach it first (update-stage replace /clientCertificateId "").`, "DeleteClientCertificate in use")
	_, err = c.DeleteDeployment(ctx, &apigateway.DeleteDeploymentInput{RestApiId: &id, DeploymentId: &depID})
	wantAPIErr(t, err, "BadRequestException", "Active stages pointing to this deployment must be moved or deleted", "DeleteDeployment in use")
	update := func(ops ...types.PatchOperation) error {
		_, err := c.UpdateStage(ctx, &apigateway.UpdateStageInput{RestApiId: &id, StageName: aws.String("prod"), PatchOperations: ops})
		return err
	}
	wantAPIErr(t, update(replace("/deploymentId", "nosuchdepl")), "BadRequestException", "Deployment id does not exist", "a missing deployment")
	other := s.newAccount()
	foreign, err := s.client(other, "us-east-1").GenerateClientCertificate(ctx, &apigateway.GenerateClientCertificateInput{})
	if err != nil {
		t.Fatal(err)
	}
	wantAPIErr(t, update(replace("/clientCertificateId", aws.ToString(foreign.ClientCertificateId))), "NotFoundException",
		"Invalid Client Certificate identifier specified", "another tenant's certificate")
	wantAPIErr(t, update(replace("/clientCertificateId", "nosuchcert")), "NotFoundException", "Invalid Client Certificate identifier specified", "a missing certificate")
	wantAPIErr(t, update(replace("/documentation_version", "v1")), "BadRequestException",
		"Invalid method setting path: /documentation_version. Must be one of: [/deploymentId, /description, /cacheClusterEnabled, /cacheClusterSize, /clientCertificateId, /accessLogSettings, /accessLogSettings/destinationArn, /accessLogSettings/format, /{resourcePath}/{httpMethod}/metrics/enabled, /{resourcePath}/{httpMethod}/logging/dataTrace, /{resourcePath}/{httpMethod}/logging/loglevel, /{resourcePath}/{httpMethod}/throttling/burstLimit/{resourcePath}/{httpMethod}/throttling/rateLimit/{resourcePath}/{httpMethod}/caching/ttlInSeconds, /{resourcePath}/{httpMethod}/caching/enabled, /{resourcePath}/{httpMethod}/caching/dataEncrypted, /{resourcePath}/{httpMethod}/caching/requireAuthorizationForCacheControl, /{resourcePath}/{httpMethod}/caching/unauthorizedCacheControlHeaderStrategy, /*/*/metrics/enabled, /*/*/logging/dataTrace, /*/*/logging/loglevel, /*/*/throttling/burstLimit /*/*/throttling/rateLimit /*/*/caching/ttlInSeconds, /*/*/caching/enabled, /*/*/caching/dataEncrypted, /*/*/caching/requireAuthorizationForCacheControl, /*/*/caching/unauthorizedCacheControlHeaderStrategy, /variables/{variable_name}, /tracingEnabled]",
		"a path outside AWS's list")
	wantAPIErr(t, update(replace("/accessLogSettings/format", "")), "BadRequestException", "Access Log value must not be empty", "an empty access log format")
	wantAPIErr(t, update(types.PatchOperation{Op: types.OpCopy, Path: aws.String("/description"), From: aws.String("/deploymentId")}), "BadRequestException",
		"Invalid copy operation with path: /description. Valid copy:path are [/deploymentId, /variables] and valid copy:from are [/canarySettings/deploymentId, /canarySettings/stageVariableOverrides]", "a bad copy")
	_, err = s.client(other, "us-east-1").GetStage(ctx, &apigateway.GetStageInput{RestApiId: &id, StageName: aws.String("prod")})
	wantAPIErr(t, err, "NotFoundException", "Invalid API identifier specified "+other.Account.ID+":"+id, "another tenant's stage")

	// Detaching: "" removes the field, and the certificate can go.
	if err := update(replace("/clientCertificateId", "")); err != nil {
		t.Fatal(err)
	}
	gs, err = c.GetStage(ctx, &apigateway.GetStageInput{RestApiId: &id, StageName: aws.String("prod")})
	if err != nil || gs.ClientCertificateId != nil {
		t.Fatalf("after detaching: clientCertificateId %v, %v", gs.ClientCertificateId, err)
	}
	if _, err := c.DeleteClientCertificate(ctx, &apigateway.DeleteClientCertificateInput{ClientCertificateId: &cc}); err != nil {
		t.Fatalf("DeleteClientCertificate after detaching: %v", err)
	}
	if _, err := c.DeleteStage(ctx, &apigateway.DeleteStageInput{RestApiId: &id, StageName: aws.String("prod")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetStage(ctx, &apigateway.GetStageInput{RestApiId: &id, StageName: aws.String("prod")})
	wantAPIErr(t, err, "NotFoundException", "Invalid Stage identifier specified", "GetStage after DeleteStage")
	if _, err := c.DeleteDeployment(ctx, &apigateway.DeleteDeploymentInput{RestApiId: &id, DeploymentId: &depID}); err != nil {
		t.Fatalf("DeleteDeployment once free: %v", err)
	}
	_, err = c.GetDeployment(ctx, &apigateway.GetDeploymentInput{RestApiId: &id, DeploymentId: &depID})
	wantAPIErr(t, err, "NotFoundException", "Invalid Deployment identifier specified", "GetDeployment after delete")

	// A deployment with a stage name makes the stage at once.
	d2, err := c.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: &id, StageName: aws.String("dev"), StageDescription: aws.String("d")})
	if err != nil {
		t.Fatal(err)
	}
	if g, err := c.GetStage(ctx, &apigateway.GetStageInput{RestApiId: &id, StageName: aws.String("dev")}); err != nil ||
		aws.ToString(g.DeploymentId) != aws.ToString(d2.Id) || aws.ToString(g.Description) != "d" {
		t.Errorf("the stage of CreateDeployment: %+v, %v", g, err)
	}

	// Tags on the REST API and the stage, by their ARNs.
	for _, arn := range []string{"arn:aws:apigateway:us-east-1::/restapis/" + id, "arn:aws:apigateway:us-east-1::/restapis/" + id + "/stages/dev"} {
		if _, err := c.TagResource(ctx, &apigateway.TagResourceInput{ResourceArn: aws.String(arn), Tags: map[string]string{"env": "dev", "team": "edge"}}); err != nil {
			t.Fatalf("TagResource %s: %v", arn, err)
		}
		if _, err := c.UntagResource(ctx, &apigateway.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"team"}}); err != nil {
			t.Fatalf("UntagResource %s: %v", arn, err)
		}
		got, err := c.GetTags(ctx, &apigateway.GetTagsInput{ResourceArn: aws.String(arn)})
		if err != nil || len(got.Tags) != 1 || got.Tags["env"] != "dev" {
			t.Errorf("GetTags %s = %v, %v", arn, got, err)
		}
		_, err = s.client(other, "us-east-1").GetTags(ctx, &apigateway.GetTagsInput{ResourceArn: aws.String(arn)})
		wantAPIErr(t, err, "NotFoundException", "Invalid API identifier specified "+other.Account.ID+":"+id, "another tenant's GetTags "+arn)
	}
	if g, err := c.GetStage(ctx, &apigateway.GetStageInput{RestApiId: &id, StageName: aws.String("dev")}); err != nil || g.Tags["env"] != "dev" {
		t.Errorf("GetStage tags = %v, %v", g, err)
	}
	if g, err := c.GetRestApi(ctx, &apigateway.GetRestApiInput{RestApiId: &id}); err != nil || g.Tags["env"] != "dev" {
		t.Errorf("GetRestApi tags = %v, %v", g, err)
	}
}
