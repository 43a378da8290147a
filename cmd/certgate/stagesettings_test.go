package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
)

// TestStageSettingValuesKeepStagesReadable: values a stage setting cannot
// hold are refused, so a stage stays readable by the SDK (found by review:
// NaN made every later GetStage and GetStages a 500, and a canary
// useStageCache of "yes" made aws-sdk-go-v2 reject the stage).
func TestStageSettingValuesKeepStagesReadable(t *testing.T) {
	s := startServer(t, nil)
	ctx := context.Background()
	c := s.client(s.Bootstrap, "us-east-1")
	id, _ := proxiedAPI(t, c)
	d, err := c.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: &id})
	if err != nil {
		t.Fatal(err)
	}
	for i, op := range [][2]string{
		{"/*/*/throttling/rateLimit", "NaN"},
		{"/*/*/throttling/rateLimit", "Infinity"},
		{"/canarySettings/percentTraffic", "Infinity"},
		{"/canarySettings/percentTraffic", "101"},
		{"/canarySettings/percentTraffic", "true"},
		{"/canarySettings/useStageCache", "yes"},
	} {
		name := fmt.Sprintf("s%d", i)
		if _, err := c.CreateStage(ctx, &apigateway.CreateStageInput{RestApiId: &id, StageName: &name, DeploymentId: d.Id}); err != nil {
			t.Fatal(err)
		}
		_, err := c.UpdateStage(ctx, &apigateway.UpdateStageInput{RestApiId: &id, StageName: &name,
			PatchOperations: []types.PatchOperation{replace(op[0], op[1])}})
		var bad *types.BadRequestException
		if !errors.As(err, &bad) {
			t.Errorf("replace %s %q: %v; want BadRequestException", op[0], op[1], err)
		}
		if _, err := c.GetStage(ctx, &apigateway.GetStageInput{RestApiId: &id, StageName: &name}); err != nil {
			t.Errorf("after replace %s %q, GetStage fails: %v", op[0], op[1], err)
		}
	}
	if _, err := c.GetStages(ctx, &apigateway.GetStagesInput{RestApiId: &id}); err != nil {
		t.Errorf("GetStages: %v", err)
	}
	// Good values of each kind come back in their JSON types.
	st, err := c.UpdateStage(ctx, &apigateway.UpdateStageInput{RestApiId: &id, StageName: aws.String("s0"),
		PatchOperations: []types.PatchOperation{replace("/canarySettings/percentTraffic", "12.5"), replace("/canarySettings/useStageCache", "true"),
			replace("/*/*/throttling/burstLimit", "20"), replace("/*/*/throttling/rateLimit", "10.5")}})
	if err != nil {
		t.Fatal(err)
	}
	if st.CanarySettings == nil || st.CanarySettings.PercentTraffic != 12.5 || !st.CanarySettings.UseStageCache ||
		st.MethodSettings["*/*"].ThrottlingBurstLimit != 20 || st.MethodSettings["*/*"].ThrottlingRateLimit != 10.5 {
		t.Errorf("UpdateStage answered %+v / %+v", st.CanarySettings, st.MethodSettings)
	}
}

// TestStageMethodSettingsAsTerraformSendsThem: aws_api_gateway_method_settings
// creates with raw slashes in a nested method path and destroys with
// remove /{method_path} (found by review: both were refused).
func TestStageMethodSettingsAsTerraformSendsThem(t *testing.T) {
	s := startServer(t, nil)
	ctx := context.Background()
	c := s.client(s.Bootstrap, "us-east-1")
	id, _ := proxiedAPI(t, c)
	if _, err := c.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: &id, StageName: aws.String("s1")}); err != nil {
		t.Fatal(err)
	}
	stage := aws.String("s1")
	for _, mp := range []string{"*/*", "path1/GET", "a/b/GET"} {
		_, err := c.UpdateStage(ctx, &apigateway.UpdateStageInput{RestApiId: &id, StageName: stage,
			PatchOperations: []types.PatchOperation{replace("/"+mp+"/metrics/enabled", "true"), replace("/"+mp+"/throttling/rateLimit", "-1.000000")}})
		if err != nil {
			t.Errorf("create method_path %q: %v", mp, err)
			continue
		}
		st, err := c.GetStage(ctx, &apigateway.GetStageInput{RestApiId: &id, StageName: stage})
		if err != nil {
			t.Fatal(err)
		}
		if ms, ok := st.MethodSettings[mp]; !ok || !ms.MetricsEnabled {
			t.Errorf("method_path %q is not in methodSettings: %v", mp, st.MethodSettings)
		}
		remove := []types.PatchOperation{{Op: types.OpRemove, Path: aws.String("/" + mp)}}
		if _, err := c.UpdateStage(ctx, &apigateway.UpdateStageInput{RestApiId: &id, StageName: stage, PatchOperations: remove}); err != nil {
			t.Errorf("destroy method_path %q: %v", mp, err)
		}
		// Terraform tolerates exactly this answer for a second destroy.
		_, err = c.UpdateStage(ctx, &apigateway.UpdateStageInput{RestApiId: &id, StageName: stage, PatchOperations: remove})
		if err == nil || !strings.Contains(err.Error(), "because there is no method setting for this method") {
			t.Errorf("removing method_path %q again: %v", mp, err)
		}
	}
}
