package gwconfig

import (
	"crypto/rand"
	"strings"
	"testing"

	"github.com/certgate/certgate"
)

func goodAPIInput() APIInput {
	return APIInput{GroupID: "g", Name: "api_demo", Type: 1, Protocol: "BOTH", Method: "ANY", Path: "/a/{x}", AuthType: "NONE",
		BackendType: "HTTP", MatchMode: "SWA",
		ReqParams:     []ParamInput{{Name: "x", Type: "STRING", Location: "PATH"}, {Name: "q", Type: "NUMBER", Location: "QUERY"}},
		BackendParams: []BackendParamInput{{Origin: "REQUEST", Name: "x", Location: "PATH", Value: "x"}, {Origin: "SYSTEM", Name: "rid", Location: "HEADER", Value: "$context.requestId"}},
		Backend:       &BackendInput{Address: "backend.example.com:8443", Protocol: "HTTPS", Method: "ANY", Path: "/b/{x}", Timeout: 5000, RetryCount: "-1", ClientTLS: true}}
}

func TestBuildAPI(t *testing.T) {
	s := &Service{random: rand.Reader}
	a, err := s.buildAPI(goodAPIInput())
	if err != nil {
		t.Fatal(err)
	}
	if a.Route != "/a/{}" || a.MatchMode != "SWA" || a.Spec.Backend.RetryCount != -1 || !a.Spec.Backend.ClientTLS ||
		a.Spec.ReqParams[0].Required != 1 || a.Spec.ReqParams[1].Required != 2 || a.Spec.ReqParams[0].PassThrough != 1 ||
		a.Spec.ReqParams[0].ValidEnable != 2 || a.Spec.BackendParams[0].ReqParamID != a.Spec.ReqParams[0].ID || a.Spec.Backend.ID == "" {
		t.Errorf("buildAPI = %+v, spec %+v", a, a.Spec)
	}
	normal := goodAPIInput()
	normal.MatchMode = ""
	normal.Backend.RetryCount = ""
	normal.BackendType, normal.Backend, normal.BackendParams, normal.Mock = "MOCK", nil, nil, &MockInput{ResultContent: "ok"}
	if a, err := s.buildAPI(normal); err != nil || a.MatchMode != "NORMAL" || a.Spec.Mock == nil || a.Spec.Backend != nil {
		t.Errorf("a MOCK API with no match mode: %+v, %v", a, err)
	}
	for _, addr := range []string{"backend.example.com", "10.0.0.1:80", "[2001:db8::1]:443", "a-b.c:65535"} {
		if err := CheckBackendAddress(addr); err != nil {
			t.Errorf("address %q: %v", addr, err)
		}
	}

	for _, c := range []struct {
		what   string
		change func(*APIInput)
		reason string
		field  string
	}{
		{"no name", func(in *APIInput) { in.Name = "" }, ReasonMissing, "name"},
		{"a bad name", func(in *APIInput) { in.Name = "_x" }, ReasonBadName, "name"},
		{"type 3", func(in *APIInput) { in.Type = 3 }, ReasonBadValue, "type"},
		{"GRPCS", func(in *APIInput) { in.Protocol = "GRPCS" }, ReasonUnsupported, "req_protocol"},
		{"method FOO", func(in *APIInput) { in.Method = "FOO" }, ReasonBadValue, "req_method"},
		{"APP auth", func(in *APIInput) { in.AuthType = "APP" }, ReasonUnsupported, "auth_type"},
		{"AUTHORIZER auth", func(in *APIInput) { in.AuthType = "AUTHORIZER" }, ReasonUnsupported, "auth_type"},
		{"FUNCTION backend", func(in *APIInput) { in.BackendType = "FUNCTION" }, ReasonUnsupported, "backend_type"},
		{"match mode", func(in *APIInput) { in.MatchMode = "PREFIX" }, ReasonBadValue, "match_mode"},
		{"a bad uri", func(in *APIInput) { in.Path = "/p-{x}" }, ReasonBadURI, "req_uri"},
		{"an undeclared variable", func(in *APIInput) { in.ReqParams = in.ReqParams[1:] }, ReasonUndeclaredPathVar, "req_params"},
		{"an undeclared backend variable", func(in *APIInput) { in.BackendParams = in.BackendParams[1:] }, ReasonUndeclaredBackendVar, "backend_params"},
		{"an unknown request parameter", func(in *APIInput) { in.BackendParams[0].Value = "nope" }, ReasonUnknownReqParam, "backend_params[0].value"},
		{"a SYSTEM value", func(in *APIInput) { in.BackendParams[1].Value = "$context.secret" }, ReasonBadValue, "backend_params[1].value"},
		{"x-stage", func(in *APIInput) {
			in.ReqParams = append(in.ReqParams, ParamInput{Name: "X-Stage", Type: "STRING", Location: "HEADER"})
		}, ReasonBadValue, "req_params[2].name"},
		{"a twice-declared parameter", func(in *APIInput) { in.ReqParams = append(in.ReqParams, in.ReqParams[1]) }, ReasonBadValue, "req_params[2].name"},
		{"required 3", func(in *APIInput) { in.ReqParams[0].Required = 3 }, ReasonBadValue, "req_params[0].required"},
		{"no backend", func(in *APIInput) { in.Backend = nil }, ReasonMissing, "backend_api"},
		{"a VPC channel", func(in *APIInput) { in.Backend.VPCChannel = true }, ReasonUnsupported, "backend_api.vpc_channel_info"},
		{"timeout 0", func(in *APIInput) { in.Backend.Timeout = 0 }, ReasonBadValue, "backend_api.timeout"},
		{"timeout 60001", func(in *APIInput) { in.Backend.Timeout = 60001 }, ReasonBadValue, "backend_api.timeout"},
		{"retry 11", func(in *APIInput) { in.Backend.RetryCount = "11" }, ReasonBadValue, "backend_api.retry_count"},
		{"retry x", func(in *APIInput) { in.Backend.RetryCount = "x" }, ReasonBadValue, "backend_api.retry_count"},
		{"retry +5", func(in *APIInput) { in.Backend.RetryCount = "+5" }, ReasonBadValue, "backend_api.retry_count"},
		{"retry 010", func(in *APIInput) { in.Backend.RetryCount = "010" }, ReasonBadValue, "backend_api.retry_count"},
		{"retry -0", func(in *APIInput) { in.Backend.RetryCount = "-0" }, ReasonBadValue, "backend_api.retry_count"},
		{"an empty port", func(in *APIInput) { in.Backend.Address = "backend.example.com:" }, ReasonBadValue, "backend_api.url_domain"},
		{"a bracketed IPv4", func(in *APIInput) { in.Backend.Address = "[10.0.0.1]" }, ReasonBadValue, "backend_api.url_domain"},
		{"a dot segment", func(in *APIInput) { in.Path = "/a/../b" }, ReasonBadURI, "req_uri"},
		{"an encoded dot segment", func(in *APIInput) { in.Path = "/a/%2E" }, ReasonBadURI, "req_uri"},
		{"an encoded slash", func(in *APIInput) { in.Path = "/a%2Fb" }, ReasonBadURI, "req_uri"},
		{"an encoded NUL", func(in *APIInput) { in.Path = "/a%00" }, ReasonBadURI, "req_uri"},
		{"client ssl on HTTP", func(in *APIInput) { in.Backend.Protocol = "HTTP" }, ReasonClientSSLNeedsHTTPS, "backend_api.enable_client_ssl"},
		{"GRPC backend", func(in *APIInput) { in.Backend.Protocol = "GRPC" }, ReasonUnsupported, "backend_api.req_protocol"},
		{"no address", func(in *APIInput) { in.Backend.Address = "" }, ReasonMissing, "backend_api.url_domain"},
		{"a bad port", func(in *APIInput) { in.Backend.Address = "h:0" }, ReasonBadValue, "backend_api.url_domain"},
		{"a bad host", func(in *APIInput) { in.Backend.Address = "h_x:80" }, ReasonBadValue, "backend_api.url_domain"},
		{"an env variable", func(in *APIInput) { in.Backend.Address = "#host#" }, ReasonUnsupported, "backend_api.url_domain"},
		{"a greedy backend", func(in *APIInput) { in.Backend.Path = "/{x+}" }, ReasonBadURI, "backend_api.req_uri"},
		{"a long remark", func(in *APIInput) { in.Remark = strings.Repeat("r", 256) }, ReasonTooLong, "remark"},
		{"an authorizer", func(in *APIInput) { in.Unsupported = []string{"authorizer_id"} }, ReasonUnsupported, "authorizer_id"},
	} {
		in := goodAPIInput()
		c.change(&in)
		_, err := s.buildAPI(in)
		e := certgate.AsError(err)
		if e == nil || e.Code != certgate.EInvalid || e.Reason != c.reason || e.Field != c.field {
			t.Errorf("%s: %v (%+v); want EInvalid %s on %s", c.what, err, e, c.reason, c.field)
			continue
		}
		if c.reason == ReasonUnsupported && strings.HasSuffix(c.field, "type") && !strings.Contains(e.Message, " and ") {
			t.Errorf("%s: %q does not name the supported values", c.what, e.Message)
		}
	}
}

// FuzzBuildAPI feeds the API rules arbitrary paths, addresses, retry
// counts and enumerations: they never panic, refuse only with EInvalid
// on a named field, and what they accept has a frontend path that parses
// and a timeout and retry count in range.
func FuzzBuildAPI(f *testing.F) {
	f.Add("/a/{x}", "backend.example.com:8443", "-1", "ANY", "HTTPS", "/b/{x}", 5000)
	f.Add("/p-{x}", "[::1]:0", "11", "FOO", "GRPC", "/{x+}", 0)
	f.Add("/", "h", "", "GET", "HTTP", "/", 60000)
	s := &Service{random: rand.Reader}
	f.Fuzz(func(t *testing.T, uri, addr, retry, method, proto, backendURI string, timeout int) {
		in := goodAPIInput()
		in.Path, in.Method = uri, method
		in.ReqParams = []ParamInput{{Name: "x", Type: "STRING", Location: "PATH"}}
		in.BackendParams = []BackendParamInput{{Origin: "REQUEST", Name: "x", Location: "PATH", Value: "x"}}
		in.Backend = &BackendInput{Address: addr, Protocol: proto, Method: "GET", Path: backendURI, Timeout: timeout, RetryCount: retry}
		a, err := s.buildAPI(in)
		if err != nil {
			if e := certgate.AsError(err); e == nil || e.Code != certgate.EInvalid || e.Field == "" {
				t.Fatalf("%v", err)
			}
			return
		}
		if _, err := ParseFrontendURI(a.Path); err != nil || a.Spec.Backend.Timeout < 1 || a.Spec.Backend.Timeout > 60000 ||
			a.Spec.Backend.RetryCount < -1 || a.Spec.Backend.RetryCount > 10 {
			t.Fatalf("accepted %+v", a.Spec.Backend)
		}
	})
}

// TestRouteDecodesUnreservedEscapes: paths that the data plane sees as one
// have one route key, so the duplicate check (APIG.3301) catches them.
func TestRouteDecodesUnreservedEscapes(t *testing.T) {
	want, err := ParseFrontendURI("/a/b")
	if err != nil {
		t.Fatal(err)
	}
	for _, uri := range []string{"/a/%62", "/%61/b", "/a/%62"} {
		got, err := ParseFrontendURI(uri)
		if err != nil || got.Route() != want.Route() {
			t.Errorf("%s: route %q, %v; want %q", uri, got.Route(), err, want.Route())
		}
	}
	sp, err := ParseFrontendURI("/a%20b")
	if err != nil || sp.Route() != "/a%20b" {
		t.Errorf("/a%%20b: route %q, %v; a space stays encoded", sp.Route(), err)
	}
	if ipv6 := CheckBackendAddress("[2001:db8::1]"); ipv6 != nil {
		t.Errorf("a bracketed IPv6 address without a port: %v", ipv6)
	}
}
