package gwconfig

import (
	"context"
	"fmt"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
)

// Reasons of the API errors.
const (
	// ReasonNoAPI: ENotFound for an API that does not exist or is
	// another instance's or account's; Value is the id.
	ReasonNoAPI = "no_api"
	// ReasonDuplicateAPIName: EConflict; Value is the name.
	ReasonDuplicateAPIName = "duplicate_api_name"
	// ReasonDuplicateAPIPath: EConflict; the group has an API of that
	// method, path and match mode.
	ReasonDuplicateAPIPath = "duplicate_api_path"
	// ReasonAPIPublished: EConflict on delete; Got is how many
	// environments.
	ReasonAPIPublished = "api_published"
	// ReasonBadURI: EInvalid for a req_uri that breaks the path rules.
	ReasonBadURI = "bad_uri"
	// ReasonUndeclaredPathVar: EInvalid; a frontend path variable has no
	// PATH request parameter. Value is its name.
	ReasonUndeclaredPathVar = "undeclared_path_var"
	// ReasonUndeclaredBackendVar: EInvalid; a backend path variable has
	// no PATH backend parameter. Value is its name.
	ReasonUndeclaredBackendVar = "undeclared_backend_var"
	// ReasonUnknownReqParam: EInvalid; a REQUEST backend parameter names
	// no request parameter. Value is the name.
	ReasonUnknownReqParam = "unknown_req_param"
	// ReasonClientSSLNeedsHTTPS: EInvalid; enable_client_ssl on a backend
	// that is not HTTPS.
	ReasonClientSSLNeedsHTTPS = "client_ssl_needs_https"
)

// MaxAPIRemarkLen is the longest remark of an API or environment.
const MaxAPIRemarkLen = 255

// Values certgate supports; the others Huawei has are refused by name.
var (
	apiMethods      = []string{"GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS", "ANY"}
	apiProtocols    = []string{"HTTP", "HTTPS", "BOTH"}
	authTypes       = []string{"NONE", "IAM"}
	backendTypes    = []string{"HTTP", "MOCK"}
	matchModes      = []string{"NORMAL", "SWA"}
	paramLocations  = []string{"PATH", "QUERY", "HEADER"}
	paramTypes      = []string{"STRING", "NUMBER"}
	paramOrigins    = []string{"REQUEST", "CONSTANT", "SYSTEM"}
	backendProtocol = []string{"HTTP", "HTTPS"}
	// The SYSTEM values a backend parameter may take.
	systemValues = []string{"$context.sourceIp", "$context.stage", "$context.apiId", "$context.appId",
		"$context.requestId", "$context.serverAddr", "$context.serverName", "$context.handleTime"}
)

// APIInput is an API definition as a client sends it, for create and for
// update (a full replace). Strings are as sent; "" is "not sent".
type APIInput struct {
	GroupID     string
	Name        string
	Type        int // 1 public, 2 private
	Protocol    string
	Method      string
	Path        string
	AuthType    string
	BackendType string
	MatchMode   string // "" is NORMAL
	CORS        bool
	Remark      string
	Tags        []string
	ContentType string
	BodyRemark  string
	// Samples, kept for documentation.
	ResultNormalSample  string
	ResultFailureSample string
	SendBodyBase64      bool

	ReqParams     []ParamInput
	BackendParams []BackendParamInput
	Backend       *BackendInput
	Mock          *MockInput
	// Unsupported names the fields the client set that certgate does not
	// implement (an authorizer, policies, a function backend, ...); each
	// is refused rather than ignored.
	Unsupported []string
}

// ParamInput is a request parameter.
type ParamInput struct {
	Name         string
	Type         string
	Location     string
	Required     int // 0: the default (1 for PATH, 2 otherwise)
	ValidEnable  int // 0: 2
	PassThrough  int // 0: 1
	DefaultValue string
	SampleValue  string
	Remark       string
	Enumerations string
	MinNum       *int
	MaxNum       *int
	MinSize      *int
	MaxSize      *int
}

// BackendParamInput maps a value into the backend request.
type BackendParamInput struct {
	Origin   string
	Name     string
	Location string
	Value    string
	Remark   string
}

// BackendInput is an HTTP backend.
type BackendInput struct {
	Address    string
	Protocol   string
	Method     string
	Path       string
	Timeout    int
	RetryCount string // "" is -1
	ClientTLS  bool
	Remark     string
	// VPCChannel: the client asked for a VPC channel (vpc_channel_status
	// 1 or a vpc_channel_id), which certgate does not have.
	VPCChannel bool
}

// MockInput is a MOCK backend's answer.
type MockInput struct {
	ResultContent string
	Remark        string
}

// APIView is an API with what its answers show: its group and where it is
// published.
type APIView struct {
	API   *certgate.API
	Group *certgate.APIGroup
	// Published lists the environments it is published in, in order of
	// publication.
	Published []Published
}

// Published is one environment an API is published in.
type Published struct {
	EnvID, EnvName string
	PublishID      string
	VersionID      string
	PublishedAt    time.Time
}

func oneOf(field, v string, set []string) error {
	if v == "" {
		return &certgate.Error{Code: certgate.EInvalid, Reason: ReasonMissing, Field: field, Message: field + " is required"}
	}
	if !slices.Contains(set, v) {
		return &certgate.Error{Code: certgate.EInvalid, Reason: ReasonBadValue, Field: field, Value: certgate.Clip(v),
			Message: field + " must be one of " + strings.Join(set, ", ")}
	}
	return nil
}

// supportedOnly refuses a value Huawei has but certgate does not, naming
// what is supported.
func supportedOnly(field, v string, set []string, known ...string) error {
	if slices.Contains(known, v) {
		return &certgate.Error{Code: certgate.EInvalid, Reason: ReasonUnsupported, Field: field, Value: v,
			Message: fmt.Sprintf("%s %s is not supported; the supported values are %s", field, v, strings.Join(set, " and "))}
	}
	return oneOf(field, v, set)
}

func checkLen(field, v string, max int) error {
	if n := utf8.RuneCountInString(v); n > max {
		return &certgate.Error{Code: certgate.EInvalid, Reason: ReasonTooLong, Field: field, Limit: max, Got: n,
			Message: fmt.Sprintf("%s must be at most %d characters", field, max)}
	}
	return nil
}

func badValue(field, value, msg string) error {
	return &certgate.Error{Code: certgate.EInvalid, Reason: ReasonBadValue, Field: field, Value: certgate.Clip(value), Message: msg}
}

// apiNameRe is the API name rule, the group name's: 3 to 255 letters
// (Chinese included), digits and -_./(): with the full-width forms,
// starting with a letter or digit.
var apiNameRe = groupNameRe

// buildAPI checks in and builds the definition it describes; every API
// rule is here.
func (s *Service) buildAPI(in APIInput) (*certgate.API, error) {
	if len(in.Unsupported) > 0 {
		return nil, unsupported(in.Unsupported[0], in.Unsupported[0]+" is not supported by certgate")
	}
	if in.GroupID == "" {
		return nil, &certgate.Error{Code: certgate.EInvalid, Reason: ReasonMissing, Field: "group_id", Message: "group_id is required"}
	}
	if in.Name == "" {
		return nil, &certgate.Error{Code: certgate.EInvalid, Reason: ReasonMissing, Field: "name", Message: "name is required"}
	}
	if !apiNameRe.MatchString(in.Name) {
		return nil, &certgate.Error{Code: certgate.EInvalid, Reason: ReasonBadName, Field: "name", Value: certgate.Clip(in.Name),
			Message: "an API name is 3 to 255 letters, digits and -_./():, starting with a letter or digit"}
	}
	if in.Type != 1 && in.Type != 2 {
		return nil, badValue("type", strconv.Itoa(in.Type), "type must be 1 (public) or 2 (private)")
	}
	if err := supportedOnly("req_protocol", in.Protocol, apiProtocols, "GRPCS"); err != nil {
		return nil, err
	}
	if err := oneOf("req_method", in.Method, apiMethods); err != nil {
		return nil, err
	}
	if err := supportedOnly("auth_type", in.AuthType, authTypes, "APP", "AUTHORIZER"); err != nil {
		return nil, err
	}
	if err := supportedOnly("backend_type", in.BackendType, backendTypes, "FUNCTION", "GRPC"); err != nil {
		return nil, err
	}
	mode := in.MatchMode
	if mode == "" {
		mode = "NORMAL"
	}
	if err := oneOf("match_mode", mode, matchModes); err != nil {
		return nil, err
	}
	tmpl, err := ParseFrontendURI(in.Path)
	if err != nil {
		return nil, err
	}
	for _, f := range []struct{ name, v string }{{"remark", in.Remark}, {"body_remark", in.BodyRemark}} {
		if err := checkLen(f.name, f.v, MaxAPIRemarkLen); err != nil {
			return nil, err
		}
	}
	for _, f := range []struct{ name, v string }{{"result_normal_sample", in.ResultNormalSample}, {"result_failure_sample", in.ResultFailureSample}} {
		if err := checkLen(f.name, f.v, 20480); err != nil {
			return nil, err
		}
	}
	if len(in.Tags) > 10 {
		return nil, badValue("tags", "", "an API has at most 10 tags")
	}
	for _, tag := range in.Tags {
		if tag == "" || utf8.RuneCountInString(tag) > 128 {
			return nil, badValue("tags", tag, "a tag is 1 to 128 characters")
		}
	}
	switch in.ContentType {
	case "", "application/json", "application/xml", "text/plain", "multipart/form-data":
	default:
		return nil, badValue("content_type", in.ContentType, "content_type must be application/json, application/xml, text/plain or multipart/form-data")
	}

	spec := certgate.APISpec{Type: in.Type, Protocol: in.Protocol, AuthType: in.AuthType, BackendType: in.BackendType,
		CORS: in.CORS, Remark: in.Remark, Tags: in.Tags, ContentType: in.ContentType, BodyRemark: in.BodyRemark,
		ResultNormalSample: in.ResultNormalSample, ResultFailureSample: in.ResultFailureSample, SendBodyBase64: in.SendBodyBase64}
	if spec.ReqParams, err = s.buildParams(in.ReqParams); err != nil {
		return nil, err
	}
	for _, v := range tmpl.Vars() {
		if !slices.ContainsFunc(spec.ReqParams, func(p certgate.APIParam) bool { return p.Location == "PATH" && p.Name == v }) {
			return nil, &certgate.Error{Code: certgate.EInvalid, Reason: ReasonUndeclaredPathVar, Field: "req_params", Value: v,
				Message: "the path variable {" + v + "} is not declared in req_params with location PATH"}
		}
	}
	if spec.BackendParams, err = s.buildBackendParams(in.BackendParams, spec.ReqParams); err != nil {
		return nil, err
	}
	switch in.BackendType {
	case "HTTP":
		if spec.Backend, err = s.buildBackend(in.Backend, spec.BackendParams); err != nil {
			return nil, err
		}
	case "MOCK":
		m := in.Mock
		if m == nil {
			m = &MockInput{}
		}
		if err := checkLen("mock_info.remark", m.Remark, MaxAPIRemarkLen); err != nil {
			return nil, err
		}
		if err := checkLen("mock_info.result_content", m.ResultContent, 2048); err != nil {
			return nil, err
		}
		id, err := newID(s.random)
		if err != nil {
			return nil, err
		}
		spec.Mock = &certgate.MockBackend{ID: id, ResultContent: m.ResultContent, Remark: m.Remark}
	}
	return &certgate.API{GroupID: in.GroupID, Name: in.Name, Method: in.Method, Path: in.Path, Route: tmpl.Route(),
		MatchMode: mode, Spec: spec}, nil
}

func (s *Service) buildParams(in []ParamInput) ([]certgate.APIParam, error) {
	var out []certgate.APIParam
	seen := map[string]bool{}
	for i, p := range in {
		field := fmt.Sprintf("req_params[%d]", i)
		if !varNameRe.MatchString(p.Name) {
			return nil, badValue(field+".name", p.Name, "a parameter name is 1 to 32 letters, digits, hyphens, underscores and dots, starting with a letter")
		}
		if err := oneOf(field+".type", p.Type, paramTypes); err != nil {
			return nil, err
		}
		if err := oneOf(field+".location", p.Location, paramLocations); err != nil {
			return nil, err
		}
		key := p.Location + " " + strings.ToLower(p.Name)
		if p.Location != "HEADER" {
			key = p.Location + " " + p.Name
		}
		if seen[key] {
			return nil, badValue(field+".name", p.Name, "the parameter "+p.Name+" is declared twice in "+p.Location)
		}
		seen[key] = true
		if p.Location == "HEADER" && strings.EqualFold(p.Name, "x-stage") {
			return nil, badValue(field+".name", p.Name, "x-stage selects the environment and cannot be a parameter")
		}
		def := func(v, d int, name string) (int, error) {
			if v == 0 {
				return d, nil
			}
			if v != 1 && v != 2 {
				return 0, badValue(field+"."+name, strconv.Itoa(v), name+" must be 1 (yes) or 2 (no)")
			}
			return v, nil
		}
		required := 2
		if p.Location == "PATH" {
			required = 1
		}
		var err error
		ap := certgate.APIParam{Name: p.Name, Type: p.Type, Location: p.Location, DefaultValue: p.DefaultValue,
			SampleValue: p.SampleValue, Remark: p.Remark, Enumerations: p.Enumerations,
			MinNum: p.MinNum, MaxNum: p.MaxNum, MinSize: p.MinSize, MaxSize: p.MaxSize}
		if ap.Required, err = def(p.Required, required, "required"); err != nil {
			return nil, err
		}
		if ap.ValidEnable, err = def(p.ValidEnable, 2, "valid_enable"); err != nil {
			return nil, err
		}
		if ap.PassThrough, err = def(p.PassThrough, 1, "pass_through"); err != nil {
			return nil, err
		}
		if err := checkLen(field+".remark", p.Remark, MaxAPIRemarkLen); err != nil {
			return nil, err
		}
		for _, v := range []struct{ name, v string }{{"default_value", p.DefaultValue}, {"sample_value", p.SampleValue}, {"enumerations", p.Enumerations}} {
			if err := checkLen(field+"."+v.name, v.v, 1024); err != nil {
				return nil, err
			}
		}
		if ap.ID, err = newID(s.random); err != nil {
			return nil, err
		}
		out = append(out, ap)
	}
	return out, nil
}

func (s *Service) buildBackendParams(in []BackendParamInput, req []certgate.APIParam) ([]certgate.BackendParam, error) {
	var out []certgate.BackendParam
	for i, p := range in {
		field := fmt.Sprintf("backend_params[%d]", i)
		if err := oneOf(field+".origin", p.Origin, paramOrigins); err != nil {
			return nil, err
		}
		if !varNameRe.MatchString(p.Name) {
			return nil, badValue(field+".name", p.Name, "a parameter name is 1 to 32 letters, digits, hyphens, underscores and dots, starting with a letter")
		}
		if err := oneOf(field+".location", p.Location, paramLocations); err != nil {
			return nil, err
		}
		if err := checkLen(field+".value", p.Value, 255); err != nil {
			return nil, err
		}
		if err := checkLen(field+".remark", p.Remark, MaxAPIRemarkLen); err != nil {
			return nil, err
		}
		bp := certgate.BackendParam{Origin: p.Origin, Name: p.Name, Location: p.Location, Value: p.Value, Remark: p.Remark}
		switch p.Origin {
		case "REQUEST":
			k := slices.IndexFunc(req, func(r certgate.APIParam) bool { return r.Name == p.Value })
			if k < 0 {
				return nil, &certgate.Error{Code: certgate.EInvalid, Reason: ReasonUnknownReqParam, Field: field + ".value", Value: certgate.Clip(p.Value),
					Message: "the backend parameter " + p.Name + " maps the request parameter " + certgate.Clip(p.Value) + ", which is not declared"}
			}
			bp.ReqParamID = req[k].ID
		case "SYSTEM":
			if !slices.Contains(systemValues, p.Value) {
				return nil, badValue(field+".value", p.Value, "a SYSTEM parameter's value is one of "+strings.Join(systemValues, ", "))
			}
		case "CONSTANT":
			if p.Value == "" {
				return nil, &certgate.Error{Code: certgate.EInvalid, Reason: ReasonMissing, Field: field + ".value", Message: "a CONSTANT parameter needs a value"}
			}
		}
		id, err := newID(s.random)
		if err != nil {
			return nil, err
		}
		bp.ID = id
		out = append(out, bp)
	}
	return out, nil
}

// hostRe is a DNS name (labels of letters, digits and inner hyphens).
var hostRe = regexp.MustCompile(`^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$`)

// CheckBackendAddress checks a url_domain: host or host:port, the host a
// DNS name or an IP address (IPv6 in brackets), the port 1 to 65535.
// retryCountRe is the one spelling of each retry count: no sign but -1's,
// no leading zero.
var retryCountRe = regexp.MustCompile(`^(-1|[0-9]|10)$`)

func CheckBackendAddress(addr string) error {
	const field = "backend_api.url_domain"
	if addr == "" {
		return &certgate.Error{Code: certgate.EInvalid, Reason: ReasonMissing, Field: field,
			Message: field + " is required for a backend without a VPC channel"}
	}
	if len(addr) > 255 {
		return &certgate.Error{Code: certgate.EInvalid, Reason: ReasonTooLong, Field: field, Limit: 255, Got: len(addr),
			Message: field + " must be at most 255 characters"}
	}
	if strings.Contains(addr, "#") {
		return unsupported(field, "environment variables (#name#) in the backend address are not supported")
	}
	host, port := addr, ""
	if h, p, err := net.SplitHostPort(addr); err == nil {
		host, port = h, p
		if port == "" { // "host:" names no port
			return badValue(field, addr, "the backend port must be 1 to 65535")
		}
	} else if strings.HasPrefix(addr, "[") && strings.HasSuffix(addr, "]") {
		host = addr[1 : len(addr)-1] // a bracketed IPv6 address without a port
		if ip := net.ParseIP(host); ip == nil || ip.To4() != nil {
			return badValue(field, addr, "the backend address must be host or host:port")
		}
	} else if strings.HasPrefix(addr, "[") || strings.Count(addr, ":") > 0 {
		return badValue(field, addr, "the backend address must be host or host:port")
	}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 || port[0] == '0' {
			return badValue(field, addr, "the backend port must be 1 to 65535")
		}
	}
	if net.ParseIP(host) == nil && (!hostRe.MatchString(host) || len(host) > 253) {
		return badValue(field, addr, "the backend host must be a DNS name or an IP address")
	}
	return nil
}

func (s *Service) buildBackend(in *BackendInput, params []certgate.BackendParam) (*certgate.HTTPBackend, error) {
	if in == nil {
		return nil, &certgate.Error{Code: certgate.EInvalid, Reason: ReasonMissing, Field: "backend_api",
			Message: "backend_api is required when backend_type is HTTP"}
	}
	if in.VPCChannel {
		return nil, unsupported("backend_api.vpc_channel_info", "VPC channels are not supported; set url_domain (vpc_channel_status 2)")
	}
	if err := CheckBackendAddress(in.Address); err != nil {
		return nil, err
	}
	if err := supportedOnly("backend_api.req_protocol", in.Protocol, backendProtocol, "GRPC", "GRPCS"); err != nil {
		return nil, err
	}
	if err := oneOf("backend_api.req_method", in.Method, apiMethods); err != nil {
		return nil, err
	}
	tmpl, err := ParseBackendURI(in.Path)
	if err != nil {
		return nil, err
	}
	for _, v := range tmpl.Vars() {
		if !slices.ContainsFunc(params, func(p certgate.BackendParam) bool { return p.Location == "PATH" && p.Name == v }) {
			return nil, &certgate.Error{Code: certgate.EInvalid, Reason: ReasonUndeclaredBackendVar, Field: "backend_params", Value: v,
				Message: "the backend path variable {" + v + "} is not declared in backend_params with location PATH"}
		}
	}
	if in.Timeout < 1 || in.Timeout > 60000 {
		return nil, badValue("backend_api.timeout", strconv.Itoa(in.Timeout), "backend_api.timeout must be 1 to 60000 milliseconds")
	}
	retry := -1
	if in.RetryCount != "" {
		n, err := strconv.Atoi(in.RetryCount)
		if err != nil || n < -1 || n > 10 || !retryCountRe.MatchString(in.RetryCount) {
			return nil, badValue("backend_api.retry_count", in.RetryCount, "backend_api.retry_count must be -1 to 10")
		}
		retry = n
	}
	if in.ClientTLS && in.Protocol != "HTTPS" {
		return nil, &certgate.Error{Code: certgate.EInvalid, Reason: ReasonClientSSLNeedsHTTPS, Field: "backend_api.enable_client_ssl",
			Message: "two-way TLS (enable_client_ssl) needs an HTTPS backend"}
	}
	if err := checkLen("backend_api.remark", in.Remark, MaxAPIRemarkLen); err != nil {
		return nil, err
	}
	id, err := newID(s.random)
	if err != nil {
		return nil, err
	}
	return &certgate.HTTPBackend{ID: id, Address: in.Address, Protocol: in.Protocol, Method: in.Method, Path: in.Path,
		Timeout: in.Timeout, RetryCount: retry, ClientTLS: in.ClientTLS, Remark: in.Remark}, nil
}

// apiError gives a store error on an API the core's reason.
func apiError(err error, id, name string) error {
	e := certgate.AsError(err)
	switch {
	case e == nil:
		return err
	case e.Code == certgate.ENotFound && e.Reason == store.ReasonNoGroup:
		return &certgate.Error{Code: certgate.ENotFound, Reason: ReasonNoGroup, Message: "API group not found", Err: err}
	case e.Code == certgate.ENotFound && e.Reason == store.ReasonNoInstance:
		return noInstance(err)
	case e.Code == certgate.ENotFound && e.Reason == store.ReasonNoEnvironment:
		return &certgate.Error{Code: certgate.ENotFound, Reason: ReasonNoEnvironment, Message: "environment not found", Err: err}
	case e.Code == certgate.ENotFound && e.Reason == store.ReasonNoPublication:
		return &certgate.Error{Code: certgate.ENotFound, Reason: ReasonNoPublication, Message: "the API is not published in the environment", Err: err}
	case e.Code == certgate.ENotFound:
		return &certgate.Error{Code: certgate.ENotFound, Reason: ReasonNoAPI, Value: certgate.Clip(id), Message: "API not found", Err: err}
	case e.Code == certgate.EConflict && e.Reason == "duplicate_name":
		return &certgate.Error{Code: certgate.EConflict, Reason: ReasonDuplicateAPIName, Field: "name", Value: certgate.Clip(name),
			Message: "an API of this name already exists in the group", Err: err}
	case e.Code == certgate.EConflict && e.Reason == "duplicate_route":
		return &certgate.Error{Code: certgate.EConflict, Reason: ReasonDuplicateAPIPath, Field: "req_uri",
			Message: "an API with this method, path and match mode already exists in the group", Err: err}
	case e.Code == certgate.EConflict && e.Reason == store.ReasonAPIPublished:
		return &certgate.Error{Code: certgate.EConflict, Reason: ReasonAPIPublished, Got: e.Got,
			Message: fmt.Sprintf("the API is published in %d environment(s)", e.Got), Err: err}
	}
	return err
}

// CreateAPI adds an API to a group of the account's instance.
func (s *Service) CreateAPI(ctx context.Context, accountID, instanceID string, in APIInput) (*APIView, error) {
	if _, err := s.Instance(ctx, accountID, instanceID); err != nil {
		return nil, err
	}
	a, err := s.buildAPI(in)
	if err != nil {
		return nil, err
	}
	if a.ID, err = newID(s.random); err != nil {
		return nil, err
	}
	now := s.clock()
	a.AccountID, a.InstanceID, a.CreatedAt, a.UpdatedAt = accountID, instanceID, now, now
	if err := s.store.CreateAPI(ctx, a); err != nil {
		return nil, apiError(err, a.ID, a.Name)
	}
	return s.view(ctx, a, nil)
}

// instanceView is what the answers about an instance's APIs join them
// to, read once per request.
type instanceView struct {
	pubs   []*certgate.Publication
	names  map[string]string // environment names by id
	groups map[string]*certgate.APIGroup
}

func (s *Service) readInstanceView(ctx context.Context, accountID, instanceID string) (*instanceView, error) {
	pubs, err := s.store.ListPublications(ctx, accountID, instanceID)
	if err != nil {
		return nil, err
	}
	names, err := s.envNames(ctx, accountID, instanceID)
	if err != nil {
		return nil, err
	}
	return &instanceView{pubs: pubs, names: names, groups: map[string]*certgate.APIGroup{}}, nil
}

// view joins an API to its group and publications (iv: nil to read them).
func (s *Service) view(ctx context.Context, a *certgate.API, iv *instanceView) (*APIView, error) {
	var err error
	if iv == nil {
		if iv, err = s.readInstanceView(ctx, a.AccountID, a.InstanceID); err != nil {
			return nil, err
		}
	}
	g := iv.groups[a.GroupID]
	if g == nil {
		if g, err = s.store.GetGroup(ctx, a.AccountID, a.InstanceID, a.GroupID); err != nil {
			return nil, err
		}
		iv.groups[a.GroupID] = g
	}
	pubs, names := iv.pubs, iv.names
	v := &APIView{API: a, Group: g}
	for _, p := range pubs {
		if p.APIID == a.ID {
			v.Published = append(v.Published, Published{EnvID: p.EnvID, EnvName: names[p.EnvID], PublishID: p.PublishID,
				VersionID: p.VersionID, PublishedAt: p.PublishedAt})
		}
	}
	return v, nil
}

// API returns one API; a missing instance is reported before a missing
// API.
func (s *Service) API(ctx context.Context, accountID, instanceID, id string) (*APIView, error) {
	if _, err := s.Instance(ctx, accountID, instanceID); err != nil {
		return nil, err
	}
	a, err := s.store.GetAPI(ctx, accountID, instanceID, id)
	if err != nil {
		return nil, apiError(err, id, "")
	}
	return s.view(ctx, a, nil)
}

// APIFilter selects APIs; empty fields match anything.
type APIFilter struct {
	ID          string // exact
	Name        string // substring, or exact when PreciseName
	PreciseName bool
	GroupID     string
	Protocol    string
	Method      string
	Path        string // substring, or exact when PrecisePath
	PrecisePath bool
	AuthType    string
	Type        int    // 0: any
	EnvID       string // published there
}

// ListAPIs returns one page of the instance's APIs that match f, in
// creation order, with the number that match.
func (s *Service) ListAPIs(ctx context.Context, accountID, instanceID string, f APIFilter, offset, limit int) ([]*APIView, int64, error) {
	if _, err := s.Instance(ctx, accountID, instanceID); err != nil {
		return nil, 0, err
	}
	all, err := s.store.ListAPIs(ctx, accountID, instanceID)
	if err != nil {
		return nil, 0, err
	}
	iv, err := s.readInstanceView(ctx, accountID, instanceID)
	if err != nil {
		return nil, 0, err
	}
	pubs := iv.pubs
	in := func(a *certgate.API, env string) bool {
		return slices.ContainsFunc(pubs, func(p *certgate.Publication) bool { return p.APIID == a.ID && p.EnvID == env })
	}
	match := func(v, want string, precise bool) bool {
		if precise && want != "" {
			return v == want
		}
		return strings.Contains(v, want)
	}
	var hits []*certgate.API
	for _, a := range all {
		if (f.ID == "" || a.ID == f.ID) && match(a.Name, f.Name, f.PreciseName) && (f.GroupID == "" || a.GroupID == f.GroupID) &&
			(f.Protocol == "" || a.Spec.Protocol == f.Protocol) && (f.Method == "" || a.Method == f.Method) &&
			match(a.Path, f.Path, f.PrecisePath) && (f.AuthType == "" || a.Spec.AuthType == f.AuthType) &&
			(f.Type == 0 || a.Spec.Type == f.Type) && (f.EnvID == "" || in(a, f.EnvID)) {
			hits = append(hits, a)
		}
	}
	var out []*APIView
	for _, a := range page(hits, offset, limit) {
		v, err := s.view(ctx, a, iv)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, v)
	}
	return out, int64(len(hits)), nil
}

// UpdateAPI replaces an API's definition (Huawei's PUT is a full
// replace). What is published does not change until it is published
// again.
func (s *Service) UpdateAPI(ctx context.Context, accountID, instanceID, id string, in APIInput) (*APIView, error) {
	if _, err := s.Instance(ctx, accountID, instanceID); err != nil {
		return nil, err
	}
	next, err := s.buildAPI(in)
	if err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		cur, err := s.store.GetAPI(ctx, accountID, instanceID, id)
		if err != nil {
			return nil, apiError(err, id, "")
		}
		upd := *next
		upd.ID, upd.AccountID, upd.InstanceID, upd.CreatedAt, upd.Version = cur.ID, cur.AccountID, cur.InstanceID, cur.CreatedAt, cur.Version
		upd.UpdatedAt = s.clock()
		err = s.store.UpdateAPI(ctx, &upd)
		if e := certgate.AsError(err); e != nil && e.Code == certgate.EConflict && e.Reason == "version" && attempt < 3 {
			continue
		}
		if err != nil {
			return nil, apiError(err, id, upd.Name)
		}
		return s.view(ctx, &upd, nil)
	}
}

// DeleteAPI removes an API that is published nowhere.
func (s *Service) DeleteAPI(ctx context.Context, accountID, instanceID, id string) error {
	if _, err := s.Instance(ctx, accountID, instanceID); err != nil {
		return err
	}
	return apiError(s.store.DeleteAPI(ctx, accountID, instanceID, id), id, "")
}
