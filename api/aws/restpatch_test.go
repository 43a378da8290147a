package aws

import (
	"strings"
	"testing"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/api"
	"github.com/certgate/certgate/restapi"
)

func escapeSegment(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

func TestSplitPatchPath(t *testing.T) {
	for path, want := range map[string]string{
		"/binaryMediaTypes/image~1png":                      "binaryMediaTypes|image/png",
		"/requestParameters/integration.request.path.proxy": "requestParameters|integration.request.path.proxy",
		"/a~0b": "a~b",
		"/":     "",
	} {
		segs, ok := splitPatchPath(path)
		if !ok || strings.Join(segs, "|") != want {
			t.Errorf("splitPatchPath(%q) = %q, %v; want %q", path, segs, ok, want)
		}
	}
	for _, bad := range []string{"", "name", "/a~", "/a~2"} {
		if _, ok := splitPatchPath(bad); ok {
			t.Errorf("splitPatchPath(%q) accepted", bad)
		}
	}
}

// FuzzPatchPath checks that a path the parser accepts is rebuilt exactly
// from its segments, so no two paths mean the same segments.
func FuzzPatchPath(f *testing.F) {
	for _, s := range []string{"/binaryMediaTypes/image~1png", "/a~0b/c", "/", "/~", "//", "/tlsConfig/insecureSkipVerification"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		segs, ok := splitPatchPath(p)
		if !ok {
			return
		}
		var b strings.Builder
		for _, s := range segs {
			b.WriteString("/" + escapeSegment(s))
		}
		if b.String() != p {
			t.Errorf("%q splits to %q, which rebuilds as %q", p, segs, b.String())
		}
	})
}

// FuzzRestPatches feeds any body to the patch decoder and every patch
// applier: each must answer with a typed error or a result, never panic.
func FuzzRestPatches(f *testing.F) {
	for _, s := range []string{
		`{"patchOperations":[{"op":"replace","path":"/timeoutInMillis","value":"60000"}]}`,
		`{"patchOperations":[{"op":"add","path":"/cacheKeyParameters/method.request.path.proxy","value":""}]}`,
		`{"patchOperations":[{"op":"replace","path":"/minimumCompressionSize"}]}`,
		`{"patchOperations":[{"op":"remove","path":"/binaryMediaTypes/image~1png"}]}`,
		`{"patchOperations":[{"op":"replace","path":"/requestParameters/method.request.path.proxy","value":"true"}]}`,
		`{"patchOperations":[{"op":"move","path":"/parentId","from":"/x"}]}`,
		`{"patchOperations":[{"op":"replace","path":"/endpointConfiguration/vpcEndpointIds","value":"a,b"}]}`,
		`{"patchOperations":[{"op":"replace","path":"/~1pets/GET/throttling/burstLimit","value":"5"}]}`,
		`{"patchOperations":[{"op":"copy","path":"/variables","from":"/canarySettings/stageVariableOverrides"}]}`,
		`{"patchOperations":[{"op":"remove","path":"/accessLogSettings/format"}]}`,
		`{"patchOperations":[{"op":"replace","path":"/canarySettings/stageVariableOverrides/x","value":"y"}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ops, err := decodePatchOps(body)
		if err != nil {
			if certgate.AsError(err) == nil {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		for _, o := range ops {
			if !strings.HasPrefix(o.Raw, "/") {
				t.Fatalf("path %q accepted", o.Raw)
			}
		}
		typed := func(err error) {
			if err != nil && certgate.AsError(err) == nil {
				t.Fatalf("untyped error %v", err)
			}
		}
		a := &certgate.RestAPI{Name: "x", EndpointTypes: []string{"EDGE"}, APIKeySource: "HEADER", IPAddressType: "ipv4"}
		typed(applyRestAPIPatch(a, ops))
		if err := restapi.ValidateRestAPI(a); err == nil && len(a.EndpointTypes) != 1 {
			t.Fatalf("valid API with endpoint types %q", a.EndpointTypes)
		}
		m := &certgate.Method{AuthorizationType: "NONE"}
		typed(applyMethodPatch(m, ops))
		in := &certgate.Integration{Type: "MOCK", ConnectionType: "INTERNET", PassthroughBehavior: "WHEN_NO_MATCH", TimeoutInMillis: 29000}
		typed(applyIntegrationPatch(in, ops))
		typed(restapi.ValidateIntegration(in, a))
		_, _, err = resourcePatch(ops)
		typed(err)
		typed(applyMethodResponsePatch(&certgate.MethodResponse{StatusCode: "200"}, ops))
		typed(applyIntegrationResponsePatch(&certgate.IntegrationResponse{StatusCode: "200"}, ops))
		st := &certgate.Stage{Name: "prod", DeploymentID: "d"}
		typed(applyStagePatch(st, ops))
		typed(restapi.ValidateStage(st))
		_ = stageToWire(st)
	})
}

// FuzzRestDecoders decodes any body as each Put*/Create* input and
// validates the record it makes.
func FuzzRestDecoders(f *testing.F) {
	for _, s := range []string{
		`{"type":"HTTP_PROXY","httpMethod":"ANY","uri":"https://b/{proxy}","timeoutInMillis":29000,"tlsConfig":{}}`,
		`{"requestTemplates":{"application/json":null},"type":"MOCK"}`,
		`{"name":"x","endpointConfiguration":{"types":["REGIONAL"]},"minimumCompressionSize":-1}`,
		`{"authorizationType":"NONE","requestParameters":{"method.request.path.proxy":true}}`,
		`{"timeoutInMillis":0,"type":"HTTP","uri":"http://[::1]:80/"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var pi putIntegrationRequest
		if api.DecodeJSON(body, &pi) == nil {
			in := pi.record()
			err := restapi.ValidateIntegration(in, &certgate.RestAPI{EndpointTypes: []string{"REGIONAL"}})
			if err == nil && (in.TimeoutInMillis < restapi.MinTimeout || in.TimeoutInMillis > restapi.MaxRegionalTimeout) {
				t.Fatalf("timeout %d accepted", in.TimeoutInMillis)
			}
			_ = integrationToWire(in)
		}
		var cr createRestAPIRequest
		if api.DecodeJSON(body, &cr) == nil {
			_ = restapi.ValidateRestAPI(cr.record())
		}
		var pm putMethodRequest
		if api.DecodeJSON(body, &pm) == nil {
			_ = restapi.ValidateMethod(pm.record())
		}
	})
}
