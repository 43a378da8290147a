package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/testtool"
)

// TestE2ERestAPIBoto3 runs testdata/boto3_restapi.py (boto3's recorded
// request sequence for a proxied REST API) against a real certgate.
func TestE2ERestAPIBoto3(t *testing.T) {
	python := testtool.LookPath(t, "python3")
	home := t.TempDir()
	pyEnv := append(cliBaseEnv(home), "PYTHONDONTWRITEBYTECODE=1")
	probe := exec.Command(python, "-c", "import boto3")
	probe.Env, probe.Dir = pyEnv, home
	if out, err := probe.CombinedOutput(); err != nil {
		t.Logf("python3 -c 'import boto3': %v %s", err, out)
		testtool.Missing(t, "python3 with boto3")
	}
	script, err := filepath.Abs(filepath.Join("testdata", "boto3_restapi.py"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	srv := startCertgate(t, cgEnv(), "--addr", "127.0.0.1:0", "--database", "sqlite:"+filepath.Join(dir, "certgate.db"), "--key-pool-size", "1")
	ak, sk := readCredentialsFile(t, filepath.Join(dir, "credentials"))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, script, "--endpoint", srv.URL)
	cmd.Env = append(pyEnv, "AWS_ACCESS_KEY_ID="+ak, "AWS_SECRET_ACCESS_KEY="+sk)
	cmd.Dir = home
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	t.Logf("$ python3 testdata/boto3_restapi.py --endpoint %s\n%s%s", srv.URL, stdout.String(), stderr.String())
	if err != nil {
		t.Fatalf("boto3_restapi.py: %v", err)
	}
	var s struct {
		APIID          string `json:"api_id"`
		RootMatches    bool   `json:"root_matches"`
		ResourcePath   string `json:"resource_path"`
		PutStatus      int    `json:"put_status"`
		Integration    map[string]any
		CacheNamespace bool   `json:"cache_namespace_is_resource"`
		MethodAuth     string `json:"method_auth"`
		MethodHasInt   bool   `json:"method_has_integration"`
		Stage          struct {
			ClientCertificateMatches bool   `json:"client_certificate_matches"`
			DeploymentMatches        bool   `json:"deployment_matches"`
			CacheClusterStatus       string `json:"cacheClusterStatus"`
			Detached                 bool   `json:"detached"`
		}
		Errors map[string]struct {
			Code, Message string
			Status        int
		}
	}
	if err := json.Unmarshal(stdout.Bytes(), &s); err != nil {
		t.Fatalf("no JSON summary: %v", err)
	}
	want := map[string]any{"type": "HTTP_PROXY", "httpMethod": "ANY", "uri": "https://backend.example.com/{proxy}",
		"connectionType": "INTERNET", "timeoutInMillis": float64(29000), "passthroughBehavior": "WHEN_NO_MATCH",
		"tlsConfig":         map[string]any{"insecureSkipVerification": false},
		"requestParameters": map[string]any{"integration.request.path.proxy": "method.request.path.proxy"}}
	if fmt.Sprint(s.Integration) != fmt.Sprint(want) {
		t.Errorf("integration read back by boto3:\n  %v\nwant\n  %v", s.Integration, want)
	}
	if !s.RootMatches || s.ResourcePath != "/{proxy+}" || s.PutStatus != 201 || !s.CacheNamespace || s.MethodAuth != "NONE" || !s.MethodHasInt {
		t.Errorf("summary %+v", s)
	}
	if e := s.Errors["missing_api"]; e.Code != "NotFoundException" || e.Status != 404 || !strings.HasPrefix(e.Message, "Invalid API identifier specified ") {
		t.Errorf("missing API: %+v", e)
	}
	if st := s.Stage; !st.ClientCertificateMatches || !st.DeploymentMatches || st.CacheClusterStatus != "NOT_AVAILABLE" || !st.Detached {
		t.Errorf("stage through boto3: %+v", st)
	}
	if e := s.Errors["delete_in_use"]; e.Code != "ConflictException" || e.Status != 409 || !strings.Contains(e.Message, "'prod'") {
		t.Errorf("delete of an attached certificate: %+v", e)
	}
	if e := s.Errors["delete_deployment_in_use"]; e.Code != "BadRequestException" || e.Status != 400 || e.Message != "Active stages pointing to this deployment must be moved or deleted" {
		t.Errorf("delete of a deployment in use: %+v", e)
	}
	if e := s.Errors["duplicate"]; e.Code != "ConflictException" || e.Status != 409 || e.Message != "Another resource with the same parent already has this name: {proxy+}" {
		t.Errorf("duplicate resource: %+v", e)
	}
}

// TestE2ERestAPIAWSCLI drives create-rest-api, get-resources,
// create-resource, put-method, put-integration and get-integration with AWS
// CLI v1 and v2.
func TestE2ERestAPIAWSCLI(t *testing.T) {
	certgateBinary(t)
	clis := findAWSCLIs(t)
	for _, v := range []struct {
		name    string
		major   int
		missing string
		errorRC int
	}{
		{"v1", 1, "AWS CLI v1", 255},
		{"v2", 2, "AWS CLI v2 (Debian package awscli)", 254},
	} {
		t.Run(v.name, func(t *testing.T) {
			cli, ok := clis[v.major]
			if !ok {
				testtool.Missing(t, v.missing)
			}
			t.Parallel()
			dir := t.TempDir()
			srv := startCertgate(t, cgEnv(), "--addr", "127.0.0.1:0", "--database", "sqlite:"+filepath.Join(dir, "certgate.db"), "--key-pool-size", "1")
			home := t.TempDir()
			env := append(cliBaseEnv(home), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "credentials"), "AWS_PROFILE=certgate")
			run := func(out any, wantRC int, args ...string) string {
				t.Helper()
				full := append(append([]string{"apigateway"}, args...), "--endpoint-url", srv.URL, "--output", "json")
				ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
				defer cancel()
				cmd := exec.CommandContext(ctx, cli.path, full...)
				cmd.Env, cmd.Dir = env, home
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				err := cmd.Run()
				var ee *exec.ExitError
				if err != nil && !errors.As(err, &ee) {
					t.Fatalf("aws %s: %v", shellQuote(full), err)
				}
				t.Logf("$ aws %s\n  (exit %d)\n%s%s", shellQuote(full), cmd.ProcessState.ExitCode(), stdout.String(), stderr.String())
				if rc := cmd.ProcessState.ExitCode(); rc != wantRC {
					t.Fatalf("exit %d, want %d", rc, wantRC)
				}
				if out != nil {
					if err := json.Unmarshal(stdout.Bytes(), out); err != nil {
						t.Fatalf("output is not JSON: %v", err)
					}
				}
				return stderr.String()
			}
			var api struct{ ID, RootResourceID string }
			run(&struct {
				ID             *string `json:"id"`
				RootResourceID *string `json:"rootResourceId"`
			}{&api.ID, &api.RootResourceID}, 0, "create-rest-api", "--name", "proxy", "--endpoint-configuration", "types=REGIONAL")
			var resources struct {
				Items []struct{ ID, Path string } `json:"items"`
			}
			run(&resources, 0, "get-resources", "--rest-api-id", api.ID)
			// Debian's CLI v2 carries an API model older than
			// rootResourceId and drops the field from its output; the
			// root is then the resource with path "/", as Terraform finds
			// it.
			if len(resources.Items) != 1 || resources.Items[0].Path != "/" || (api.RootResourceID != "" && resources.Items[0].ID != api.RootResourceID) {
				t.Fatalf("get-resources = %+v, root %s", resources, api.RootResourceID)
			}
			api.RootResourceID = resources.Items[0].ID
			var res struct{ ID, Path string }
			run(&res, 0, "create-resource", "--rest-api-id", api.ID, "--parent-id", api.RootResourceID, "--path-part", "{proxy+}")
			run(nil, 0, "put-method", "--rest-api-id", api.ID, "--resource-id", res.ID, "--http-method", "ANY",
				"--authorization-type", "NONE", "--request-parameters", `{"method.request.path.proxy":true}`)
			run(nil, 0, "put-integration", "--rest-api-id", api.ID, "--resource-id", res.ID, "--http-method", "ANY",
				"--type", "HTTP_PROXY", "--integration-http-method", "ANY", "--uri", "https://backend.example.com/{proxy}",
				"--request-parameters", `{"integration.request.path.proxy":"method.request.path.proxy"}`,
				"--tls-config", "insecureSkipVerification=false")
			var ig map[string]any
			run(&ig, 0, "get-integration", "--rest-api-id", api.ID, "--resource-id", res.ID, "--http-method", "ANY")
			want := map[string]any{"type": "HTTP_PROXY", "httpMethod": "ANY", "uri": "https://backend.example.com/{proxy}",
				"connectionType": "INTERNET", "timeoutInMillis": float64(29000), "passthroughBehavior": "WHEN_NO_MATCH",
				"cacheNamespace": res.ID, "cacheKeyParameters": []any{},
				"tlsConfig":         map[string]any{"insecureSkipVerification": false},
				"requestParameters": map[string]any{"integration.request.path.proxy": "method.request.path.proxy"}}
			if fmt.Sprint(ig) != fmt.Sprint(want) {
				t.Errorf("get-integration:\n  %v\nwant\n  %v", ig, want)
			}
			// Deploy, attach a client certificate to the stage, and read
			// it back; the certificate cannot be deleted while attached.
			var dep, cert struct {
				ID       string `json:"id"`
				ClientID string `json:"clientCertificateId"`
			}
			run(&dep, 0, "create-deployment", "--rest-api-id", api.ID)
			run(nil, 0, "create-stage", "--rest-api-id", api.ID, "--stage-name", "prod", "--deployment-id", dep.ID)
			run(&cert, 0, "generate-client-certificate", "--description", "backend mTLS")
			var st map[string]any
			run(&st, 0, "update-stage", "--rest-api-id", api.ID, "--stage-name", "prod",
				"--patch-operations", "op=replace,path=/clientCertificateId,value="+cert.ClientID)
			run(&st, 0, "get-stage", "--rest-api-id", api.ID, "--stage-name", "prod")
			if st["clientCertificateId"] != cert.ClientID || st["deploymentId"] != dep.ID || st["cacheClusterStatus"] != "NOT_AVAILABLE" {
				t.Errorf("get-stage = %v, want clientCertificateId %s", st, cert.ClientID)
			}
			if e := run(nil, v.errorRC, "delete-client-certificate", "--client-certificate-id", cert.ClientID); !strings.Contains(e, "ConflictException") || !strings.Contains(e, "'prod'") {
				t.Errorf("delete-client-certificate of an attached certificate: %s", e)
			}
			run(nil, 0, "update-stage", "--rest-api-id", api.ID, "--stage-name", "prod",
				"--patch-operations", "op=replace,path=/clientCertificateId,value=")
			st = nil
			run(&st, 0, "get-stage", "--rest-api-id", api.ID, "--stage-name", "prod")
			if _, ok := st["clientCertificateId"]; ok {
				t.Errorf("get-stage after detaching still has clientCertificateId: %v", st)
			}
			stderr := run(nil, v.errorRC, "get-rest-api", "--rest-api-id", "nosuchapi0")
			if !strings.Contains(stderr, "NotFoundException") || !strings.Contains(stderr, "Invalid API identifier specified") {
				t.Errorf("get-rest-api of a missing id: %s", stderr)
			}
		})
	}
}
