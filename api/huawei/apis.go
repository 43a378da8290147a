package huawei

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/api"
	"github.com/certgate/certgate/gwconfig"
)

// apiCreate is ApiCreate, the body of CreateApiV2 and UpdateApiV2. Every
// field is a pointer or raw, so that "not sent" and "sent empty" (which
// Terraform does for every optional string) both read as unset.
type apiCreate struct {
	Name                *string           `json:"name"`
	Type                *int              `json:"type"`
	Version             *string           `json:"version"`
	ReqProtocol         *string           `json:"req_protocol"`
	ReqMethod           *string           `json:"req_method"`
	ReqURI              *string           `json:"req_uri"`
	AuthType            *string           `json:"auth_type"`
	AuthOpt             *authOpt          `json:"auth_opt"`
	Cors                *bool             `json:"cors"`
	TraceEnabled        *bool             `json:"trace_enabled"`
	MatchMode           *string           `json:"match_mode"`
	BackendType         *string           `json:"backend_type"`
	Remark              *string           `json:"remark"`
	GroupID             *string           `json:"group_id"`
	BodyRemark          *string           `json:"body_remark"`
	ResultNormalSample  *string           `json:"result_normal_sample"`
	ResultFailureSample *string           `json:"result_failure_sample"`
	AuthorizerID        *string           `json:"authorizer_id"`
	Tags                []string          `json:"tags"`
	Tag                 *string           `json:"tag"`
	ResponseID          *string           `json:"response_id"`
	RomaAppID           *string           `json:"roma_app_id"`
	DomainName          *string           `json:"domain_name"`
	ContentType         *string           `json:"content_type"`
	IsSendFgBodyBase64  *bool             `json:"is_send_fg_body_base64"`
	MockInfo            *mockCreate       `json:"mock_info"`
	ReqParams           []reqParamBase    `json:"req_params"`
	BackendParams       []backendParamIn  `json:"backend_params"`
	PolicyMocks         json.RawMessage   `json:"policy_mocks"`
	PolicyFunctions     json.RawMessage   `json:"policy_functions"`
	PolicyHTTPs         json.RawMessage   `json:"policy_https"`
	BackendAPI          *backendAPICreate `json:"backend_api"`
}

type authOpt struct {
	AppCodeAuthType *string `json:"app_code_auth_type"`
}

type mockCreate struct {
	Remark        *string `json:"remark"`
	ResultContent *string `json:"result_content"`
	Version       *string `json:"version"`
	AuthorizerID  *string `json:"authorizer_id"`
}

type reqParamBase struct {
	Name         *string         `json:"name"`
	Type         *string         `json:"type"`
	Location     *string         `json:"location"`
	DefaultValue *string         `json:"default_value"`
	SampleValue  *string         `json:"sample_value"`
	Required     *int            `json:"required"`
	ValidEnable  *int            `json:"valid_enable"`
	Remark       *string         `json:"remark"`
	Enumerations *string         `json:"enumerations"`
	MinNum       *int            `json:"min_num"`
	MaxNum       *int            `json:"max_num"`
	MinSize      *int            `json:"min_size"`
	MaxSize      *int            `json:"max_size"`
	Regular      *string         `json:"regular"`
	JSONSchema   *string         `json:"json_schema"`
	PassThrough  *int            `json:"pass_through"`
	Orchestrate  json.RawMessage `json:"orchestrations"`
}

type backendParamIn struct {
	Origin   *string `json:"origin"`
	Name     *string `json:"name"`
	Remark   *string `json:"remark"`
	Location *string `json:"location"`
	Value    *string `json:"value"`
}

type backendAPICreate struct {
	AuthorizerID        *string         `json:"authorizer_id"`
	URLDomain           *string         `json:"url_domain"`
	ReqProtocol         *string         `json:"req_protocol"`
	Remark              *string         `json:"remark"`
	ReqMethod           *string         `json:"req_method"`
	Version             *string         `json:"version"`
	ReqURI              *string         `json:"req_uri"`
	Timeout             *int            `json:"timeout"`
	EnableClientSSL     *bool           `json:"enable_client_ssl"`
	RetryCount          *string         `json:"retry_count"`
	EnableSmChannel     *bool           `json:"enable_sm_channel"`
	MemberGroupURLInfos json.RawMessage `json:"member_group_url_infos"`
	VpcChannelInfo      *struct {
		VpcChannelID *string `json:"vpc_channel_id"`
	} `json:"vpc_channel_info"`
	VpcChannelStatus *int `json:"vpc_channel_status"`
}

func decodeAPICreate(body []byte) (*apiCreate, error) {
	var b apiCreate
	if err := api.DecodeJSON(body, &b); err != nil {
		return nil, err
	}
	return &b, nil
}

// rawSet reports whether a raw field carries something: not absent,
// null or an empty array or object.
func rawSet(r json.RawMessage) bool {
	t := bytes.TrimSpace(r)
	return len(t) > 0 && !bytes.Equal(t, []byte("null")) && !bytes.Equal(t, []byte("[]")) && !bytes.Equal(t, []byte("{}"))
}

func num(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

func flag(p *bool) bool { return p != nil && *p }

// input translates the wire body to the core's input. What certgate does
// not implement is listed in Unsupported, named by its wire field.
func (b *apiCreate) input() gwconfig.APIInput {
	in := gwconfig.APIInput{
		GroupID: str(b.GroupID), Name: str(b.Name), Type: num(b.Type), Protocol: str(b.ReqProtocol), Method: str(b.ReqMethod),
		Path: str(b.ReqURI), AuthType: str(b.AuthType), BackendType: str(b.BackendType), MatchMode: str(b.MatchMode),
		CORS: flag(b.Cors), Remark: str(b.Remark), Tags: b.Tags, ContentType: str(b.ContentType), BodyRemark: str(b.BodyRemark),
		ResultNormalSample: str(b.ResultNormalSample), ResultFailureSample: str(b.ResultFailureSample),
		SendBodyBase64: flag(b.IsSendFgBodyBase64),
	}
	if t := str(b.Tag); t != "" {
		in.Tags = append(in.Tags, t)
	}
	unsupported := func(field string, set bool) {
		if set {
			in.Unsupported = append(in.Unsupported, field)
		}
	}
	unsupported("version", str(b.Version) != "")
	unsupported("authorizer_id", str(b.AuthorizerID) != "")
	unsupported("auth_opt.app_code_auth_type", b.AuthOpt != nil && str(b.AuthOpt.AppCodeAuthType) != "" && str(b.AuthOpt.AppCodeAuthType) != "DISABLE")
	unsupported("trace_enabled", flag(b.TraceEnabled))
	unsupported("response_id", str(b.ResponseID) != "")
	unsupported("roma_app_id", str(b.RomaAppID) != "")
	unsupported("domain_name", str(b.DomainName) != "")
	unsupported("policy_mocks", rawSet(b.PolicyMocks))
	unsupported("policy_functions", rawSet(b.PolicyFunctions))
	unsupported("policy_https", rawSet(b.PolicyHTTPs))
	for i, p := range b.ReqParams {
		unsupported("req_params["+strconv.Itoa(i)+"].regular", str(p.Regular) != "")
		unsupported("req_params["+strconv.Itoa(i)+"].json_schema", str(p.JSONSchema) != "")
		unsupported("req_params["+strconv.Itoa(i)+"].orchestrations", rawSet(p.Orchestrate))
		in.ReqParams = append(in.ReqParams, gwconfig.ParamInput{
			Name: str(p.Name), Type: str(p.Type), Location: str(p.Location), Required: num(p.Required),
			ValidEnable: num(p.ValidEnable), PassThrough: num(p.PassThrough), DefaultValue: str(p.DefaultValue),
			SampleValue: str(p.SampleValue), Remark: str(p.Remark), Enumerations: str(p.Enumerations),
			MinNum: p.MinNum, MaxNum: p.MaxNum, MinSize: p.MinSize, MaxSize: p.MaxSize,
		})
	}
	for _, p := range b.BackendParams {
		in.BackendParams = append(in.BackendParams, gwconfig.BackendParamInput{
			Origin: str(p.Origin), Name: str(p.Name), Location: str(p.Location), Value: str(p.Value), Remark: str(p.Remark)})
	}
	if be := b.BackendAPI; be != nil && str(b.BackendType) != "MOCK" {
		unsupported("backend_api.authorizer_id", str(be.AuthorizerID) != "")
		unsupported("backend_api.version", str(be.Version) != "")
		unsupported("backend_api.enable_sm_channel", flag(be.EnableSmChannel))
		unsupported("backend_api.member_group_url_infos", rawSet(be.MemberGroupURLInfos))
		in.Backend = &gwconfig.BackendInput{
			Address: str(be.URLDomain), Protocol: str(be.ReqProtocol), Method: str(be.ReqMethod), Path: str(be.ReqURI),
			Timeout: num(be.Timeout), RetryCount: str(be.RetryCount), ClientTLS: flag(be.EnableClientSSL), Remark: str(be.Remark),
			VPCChannel: num(be.VpcChannelStatus) == 1 || (be.VpcChannelInfo != nil && str(be.VpcChannelInfo.VpcChannelID) != ""),
		}
	}
	if m := b.MockInfo; m != nil && str(b.BackendType) == "MOCK" {
		unsupported("mock_info.authorizer_id", str(m.AuthorizerID) != "")
		in.Mock = &gwconfig.MockInput{ResultContent: str(m.ResultContent), Remark: str(m.Remark)}
	}
	return in
}

// apiInfo is ApiInfo (create, show and update) and ApiInfoPerPage (list
// items). Numbers are numbers and times strings: the SDK rejects the whole
// answer otherwise.
type apiInfo struct {
	ID                  string          `json:"id"`
	Name                string          `json:"name"`
	Type                int32           `json:"type"`
	Version             string          `json:"version"`
	ReqProtocol         string          `json:"req_protocol"`
	ReqMethod           string          `json:"req_method"`
	ReqURI              string          `json:"req_uri"`
	AuthType            string          `json:"auth_type"`
	AuthOpt             authOptOut      `json:"auth_opt"`
	Cors                bool            `json:"cors"`
	MatchMode           string          `json:"match_mode"`
	BackendType         string          `json:"backend_type"`
	Remark              string          `json:"remark"`
	GroupID             string          `json:"group_id"`
	GroupName           string          `json:"group_name"`
	GroupVersion        string          `json:"group_version"`
	BodyRemark          string          `json:"body_remark"`
	ResultNormalSample  string          `json:"result_normal_sample"`
	ResultFailureSample string          `json:"result_failure_sample"`
	AuthorizerID        string          `json:"authorizer_id"`
	Tags                []string        `json:"tags"`
	ResponseID          string          `json:"response_id"`
	ContentType         string          `json:"content_type,omitempty"`
	IsSendFgBodyBase64  bool            `json:"is_send_fg_body_base64"`
	Status              int32           `json:"status"`
	ArrangeNecessary    int32           `json:"arrange_necessary"`
	RegisterTime        string          `json:"register_time"`
	UpdateTime          string          `json:"update_time"`
	RunEnvID            string          `json:"run_env_id,omitempty"`
	RunEnvName          string          `json:"run_env_name,omitempty"`
	PublishID           string          `json:"publish_id,omitempty"`
	PublishTime         string          `json:"publish_time,omitempty"`
	BackendAPI          *backendAPIOut  `json:"backend_api,omitempty"`
	MockInfo            *mockOut        `json:"mock_info,omitempty"`
	APIGroupInfo        *apiGroupCommon `json:"api_group_info,omitempty"`
	ReqParams           *[]reqParamOut  `json:"req_params,omitempty"`
	BackendParams       *[]backendParam `json:"backend_params,omitempty"`
}

type authOptOut struct {
	AppCodeAuthType string `json:"app_code_auth_type"`
}

// backendAPIOut is BackendApi. retry_count is a JSON string;
// vpc_channel_info is always an object, because Terraform dereferences it.
type backendAPIOut struct {
	ID               string   `json:"id"`
	AuthorizerID     string   `json:"authorizer_id"`
	URLDomain        string   `json:"url_domain"`
	ReqProtocol      string   `json:"req_protocol"`
	ReqMethod        string   `json:"req_method"`
	ReqURI           string   `json:"req_uri"`
	Remark           string   `json:"remark"`
	Timeout          int32    `json:"timeout"`
	EnableClientSSL  bool     `json:"enable_client_ssl"`
	RetryCount       string   `json:"retry_count"`
	Status           int32    `json:"status"`
	RegisterTime     string   `json:"register_time"`
	UpdateTime       string   `json:"update_time"`
	VpcChannelInfo   struct{} `json:"vpc_channel_info"`
	VpcChannelStatus int32    `json:"vpc_channel_status"`
}

type mockOut struct {
	ID            string `json:"id"`
	Remark        string `json:"remark"`
	ResultContent string `json:"result_content"`
	RegisterTime  string `json:"register_time"`
	UpdateTime    string `json:"update_time"`
}

type reqParamOut struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	Type         string `json:"type"`
	Location     string `json:"location"`
	DefaultValue string `json:"default_value"`
	SampleValue  string `json:"sample_value"`
	Required     int32  `json:"required"`
	ValidEnable  int32  `json:"valid_enable"`
	Remark       string `json:"remark"`
	Enumerations string `json:"enumerations"`
	MinNum       *int   `json:"min_num,omitempty"`
	MaxNum       *int   `json:"max_num,omitempty"`
	MinSize      *int   `json:"min_size,omitempty"`
	MaxSize      *int   `json:"max_size,omitempty"`
	PassThrough  int32  `json:"pass_through"`
}

type backendParam struct {
	ID         string `json:"id"`
	Origin     string `json:"origin"`
	Name       string `json:"name"`
	Remark     string `json:"remark"`
	Location   string `json:"location"`
	Value      string `json:"value"`
	ReqParamID string `json:"req_param_id"`
}

// apiGroupCommon is ApiGroupCommonInfo.
type apiGroupCommon struct {
	ID                    string `json:"id"`
	Name                  string `json:"name"`
	Status                int32  `json:"status"`
	SLDomain              string `json:"sl_domain"`
	RegisterTime          string `json:"register_time"`
	UpdateTime            string `json:"update_time"`
	OnSellStatus          int32  `json:"on_sell_status"`
	SLDomainAccessEnabled bool   `json:"sl_domain_access_enabled"`
}

type apiList struct {
	Size  int32     `json:"size"`
	Total int64     `json:"total"`
	APIs  []apiInfo `json:"apis"`
}

// Which optional parts an answer carries (ListApisV2's return_data_mode).
type apiParts struct{ group, backend, params bool }

var fullAPI = apiParts{group: true, backend: true, params: true}

func (h *Handler) toAPI(v *gwconfig.APIView, parts apiParts) apiInfo {
	a, sp := v.API, v.API.Spec
	tags := sp.Tags
	if tags == nil {
		tags = []string{}
	}
	out := apiInfo{
		ID: a.ID, Name: a.Name, Type: int32(sp.Type), ReqProtocol: sp.Protocol, ReqMethod: a.Method, ReqURI: a.Path,
		AuthType: sp.AuthType, AuthOpt: authOptOut{AppCodeAuthType: "DISABLE"}, Cors: sp.CORS, MatchMode: a.MatchMode,
		BackendType: sp.BackendType, Remark: sp.Remark, GroupID: a.GroupID, GroupName: v.Group.Name, GroupVersion: "V1",
		BodyRemark: sp.BodyRemark, ResultNormalSample: sp.ResultNormalSample, ResultFailureSample: sp.ResultFailureSample,
		Tags: tags, ContentType: sp.ContentType, IsSendFgBodyBase64: sp.SendBodyBase64, Status: 1, ArrangeNecessary: 2,
		RegisterTime: groupTime(a.CreatedAt), UpdateTime: groupTime(a.UpdatedAt),
	}
	// One |-joined list per field, in the same order, so that Terraform
	// finds an environment's publish_id at its index in run_env_id.
	var envs, names, pubs, times []string
	for _, p := range v.Published {
		envs, names, pubs, times = append(envs, p.EnvID), append(names, p.EnvName), append(pubs, p.PublishID), append(times, groupTime(p.PublishedAt))
	}
	out.RunEnvID, out.RunEnvName = strings.Join(envs, "|"), strings.Join(names, "|")
	out.PublishID, out.PublishTime = strings.Join(pubs, "|"), strings.Join(times, "|")
	if parts.group {
		g := v.Group
		out.APIGroupInfo = &apiGroupCommon{ID: g.ID, Name: g.Name, Status: 1, SLDomain: h.gw.SLDomain(g),
			RegisterTime: groupTime(g.CreatedAt), UpdateTime: groupTime(g.UpdatedAt), OnSellStatus: 2, SLDomainAccessEnabled: g.SLDomainAccess}
	}
	if b := sp.Backend; b != nil && parts.backend {
		out.BackendAPI = &backendAPIOut{ID: b.ID, URLDomain: b.Address, ReqProtocol: b.Protocol, ReqMethod: b.Method,
			ReqURI: b.Path, Remark: b.Remark, Timeout: int32(b.Timeout), EnableClientSSL: b.ClientTLS,
			RetryCount: strconv.Itoa(b.RetryCount), Status: 1, RegisterTime: out.RegisterTime, UpdateTime: out.UpdateTime,
			VpcChannelStatus: 2}
	}
	if m := sp.Mock; m != nil && parts.backend {
		out.MockInfo = &mockOut{ID: m.ID, Remark: m.Remark, ResultContent: m.ResultContent,
			RegisterTime: out.RegisterTime, UpdateTime: out.UpdateTime}
	}
	if parts.params {
		rp := make([]reqParamOut, 0, len(sp.ReqParams))
		for _, p := range sp.ReqParams {
			rp = append(rp, reqParamOut{ID: p.ID, Name: p.Name, Type: p.Type, Location: p.Location, DefaultValue: p.DefaultValue,
				SampleValue: p.SampleValue, Required: int32(p.Required), ValidEnable: int32(p.ValidEnable), Remark: p.Remark,
				Enumerations: p.Enumerations, MinNum: p.MinNum, MaxNum: p.MaxNum, MinSize: p.MinSize, MaxSize: p.MaxSize,
				PassThrough: int32(p.PassThrough)})
		}
		bp := make([]backendParam, 0, len(sp.BackendParams))
		for _, p := range sp.BackendParams {
			bp = append(bp, backendParam{ID: p.ID, Origin: p.Origin, Name: p.Name, Remark: p.Remark, Location: p.Location,
				Value: p.Value, ReqParamID: p.ReqParamID})
		}
		out.ReqParams, out.BackendParams = &rp, &bp
	}
	return out
}

func (h *Handler) apiRoutes(handle func(string, api.HandlerFunc)) {
	const base = "/v2/{project}/apigw/instances/{instance}/apis"
	handle("POST "+base, h.createAPI)
	handle("GET "+base, h.listAPIs)
	handle("GET "+base+"/{api}", h.showAPI)
	handle("PUT "+base+"/{api}", h.updateAPI)
	handle("DELETE "+base+"/{api}", h.deleteAPI)
	h.envRoutes(handle)
	h.publishRoutes(handle)
	h.featureRoutes(handle)
}

func (h *Handler) createAPI(w http.ResponseWriter, r *http.Request) error {
	cl := callerOf(r)
	b, err := decodeAPICreate(cl.Body)
	if err != nil {
		return err
	}
	v, err := h.gw.CreateAPI(r.Context(), cl.Scope.AccountID, r.PathValue("instance"), b.input())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, h.toAPI(v, fullAPI))
	return nil
}

func (h *Handler) showAPI(w http.ResponseWriter, r *http.Request) error {
	cl := callerOf(r)
	v, err := h.gw.API(r.Context(), cl.Scope.AccountID, r.PathValue("instance"), r.PathValue("api"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, h.toAPI(v, fullAPI))
	return nil
}

// updateAPI is a full replace, answering exactly 200 (golangsdk's
// apis.Update accepts nothing else).
func (h *Handler) updateAPI(w http.ResponseWriter, r *http.Request) error {
	cl := callerOf(r)
	b, err := decodeAPICreate(cl.Body)
	if err != nil {
		return err
	}
	v, err := h.gw.UpdateAPI(r.Context(), cl.Scope.AccountID, r.PathValue("instance"), r.PathValue("api"), b.input())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, h.toAPI(v, fullAPI))
	return nil
}

func (h *Handler) deleteAPI(w http.ResponseWriter, r *http.Request) error {
	cl := callerOf(r)
	if err := h.gw.DeleteAPI(r.Context(), cl.Scope.AccountID, r.PathValue("instance"), r.PathValue("api")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) listAPIs(w http.ResponseWriter, r *http.Request) error {
	cl := callerOf(r)
	q := r.URL.Query()
	offset, limit, err := paging(q.Get("offset"), q.Get("limit"))
	if err != nil {
		return err
	}
	f := gwconfig.APIFilter{ID: q.Get("id"), Name: q.Get("name"), GroupID: q.Get("group_id"), Protocol: q.Get("req_protocol"),
		Method: q.Get("req_method"), Path: q.Get("req_uri"), AuthType: q.Get("auth_type"), EnvID: q.Get("env_id")}
	for _, p := range strings.Split(q.Get("precise_search"), ",") {
		switch strings.TrimSpace(p) {
		case "name":
			f.PreciseName = true
		case "req_uri":
			f.PrecisePath = true
		}
	}
	if t := q.Get("type"); t != "" {
		if t != "1" && t != "2" {
			return &certgate.Error{Code: certgate.EInvalid, Reason: gwconfig.ReasonBadValue, Field: "type", Message: "type must be 1 or 2"}
		}
		f.Type, _ = strconv.Atoi(t)
	}
	var parts apiParts
	switch m := q.Get("return_data_mode"); m {
	case "", "brief":
	case "include_group":
		parts.group = true
	case "include_group_backend":
		parts.group, parts.backend = true, true
	default:
		return &certgate.Error{Code: certgate.EInvalid, Reason: gwconfig.ReasonBadValue, Field: "return_data_mode",
			Message: "return_data_mode must be brief, include_group or include_group_backend"}
	}
	items, total, err := h.gw.ListAPIs(r.Context(), cl.Scope.AccountID, r.PathValue("instance"), f, offset, limit)
	if err != nil {
		return err
	}
	if q.Get("vpc_channel_name") != "" {
		// No API has a VPC channel: the filter matches none (after the
		// instance check, which ListAPIs made).
		items, total = nil, 0
	}
	out := apiList{Size: int32(len(items)), Total: total, APIs: make([]apiInfo, 0, len(items))}
	for _, v := range items {
		out.APIs = append(out.APIs, h.toAPI(v, parts))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
