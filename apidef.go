package certgate

import "time"

// ReleaseEnvironmentID is the id of RELEASE, the environment every
// instance has without creating it (Huawei's DEFAULT_ENVIRONMENT_RELEASE_ID).
// It has no row of its own: it exists in every instance, cannot be renamed
// or deleted, and is where a request without X-Stage goes.
const (
	ReleaseEnvironmentID   = "DEFAULT_ENVIRONMENT_RELEASE_ID"
	ReleaseEnvironmentName = "RELEASE"
)

// API is an API definition of a group: what the gateway would serve once
// it is published. Editing it changes nothing that is served; publishing
// records an immutable APIVersion of it.
type API struct {
	ID         string // 32 lowercase hex characters
	AccountID  string
	InstanceID string
	GroupID    string
	Name       string // unique within its group
	// Method, Path and MatchMode say which requests the API serves; with
	// the group they are unique (Route is Path with its variables' names
	// dropped, so /a/{x} and /a/{y} are one route).
	Method    string // GET POST PUT DELETE HEAD PATCH OPTIONS or ANY
	Path      string // req_uri as given, e.g. /a/{x}/{rest+}
	Route     string // Path with each {name} as {} and each {name+} as {+}
	MatchMode string // NORMAL (whole path) or SWA (prefix)
	// Spec is the rest of the definition, which nothing filters on.
	Spec      APISpec
	CreatedAt time.Time
	UpdatedAt time.Time
	Version   int64
}

// APISpec is the part of an API definition the store keeps as one
// document. Field names are the JSON keys the store writes, so renaming a
// Go field does not lose stored data.
type APISpec struct {
	Type        int      `json:"type"`         // 1 public, 2 private
	Protocol    string   `json:"req_protocol"` // HTTP, HTTPS or BOTH
	AuthType    string   `json:"auth_type"`    // NONE or IAM
	BackendType string   `json:"backend_type"` // HTTP or MOCK
	CORS        bool     `json:"cors,omitempty"`
	Remark      string   `json:"remark,omitempty"`
	Tags        []string `json:"tags,omitempty"`
	ContentType string   `json:"content_type,omitempty"`
	BodyRemark  string   `json:"body_remark,omitempty"`
	// Samples of the answers, for documentation only.
	ResultNormalSample  string `json:"result_normal_sample,omitempty"`
	ResultFailureSample string `json:"result_failure_sample,omitempty"`
	SendBodyBase64      bool   `json:"is_send_fg_body_base64,omitempty"`

	ReqParams     []APIParam     `json:"req_params,omitempty"`
	BackendParams []BackendParam `json:"backend_params,omitempty"`
	// Backend is set when BackendType is HTTP, Mock when it is MOCK.
	Backend *HTTPBackend `json:"backend,omitempty"`
	Mock    *MockBackend `json:"mock,omitempty"`
}

// APIParam is a request parameter of an API (a path variable must be one).
type APIParam struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	Type         string `json:"type"`     // STRING or NUMBER
	Location     string `json:"location"` // PATH, QUERY or HEADER
	Required     int    `json:"required"` // 1 yes, 2 no
	ValidEnable  int    `json:"valid_enable"`
	PassThrough  int    `json:"pass_through"`
	DefaultValue string `json:"default_value,omitempty"`
	SampleValue  string `json:"sample_value,omitempty"`
	Remark       string `json:"remark,omitempty"`
	Enumerations string `json:"enumerations,omitempty"`
	MinNum       *int   `json:"min_num,omitempty"`
	MaxNum       *int   `json:"max_num,omitempty"`
	MinSize      *int   `json:"min_size,omitempty"`
	MaxSize      *int   `json:"max_size,omitempty"`
}

// BackendParam maps a value into the backend request.
type BackendParam struct {
	ID         string `json:"id"`
	Origin     string `json:"origin"`   // REQUEST, CONSTANT or SYSTEM
	Name       string `json:"name"`     // in the backend request
	Location   string `json:"location"` // PATH, QUERY or HEADER
	Value      string `json:"value"`    // REQUEST: a request parameter's name
	ReqParamID string `json:"req_param_id,omitempty"`
	Remark     string `json:"remark,omitempty"`
}

// HTTPBackend is where an HTTP API forwards to.
type HTTPBackend struct {
	ID       string `json:"id"`
	Address  string `json:"url_domain"`   // host:port as given (no port: the protocol's)
	Protocol string `json:"req_protocol"` // HTTP or HTTPS
	Method   string `json:"req_method"`
	Path     string `json:"req_uri"`
	Timeout  int    `json:"timeout"` // milliseconds, 1 to 60000
	// RetryCount is -1 (the default: idempotent methods retry once) to 10.
	RetryCount int `json:"retry_count"`
	// ClientTLS presents the instance's backend client certificate.
	ClientTLS bool   `json:"enable_client_ssl,omitempty"`
	Remark    string `json:"remark,omitempty"`
}

// MockBackend answers without a backend.
type MockBackend struct {
	ID            string `json:"id"`
	ResultContent string `json:"result_content,omitempty"`
	Remark        string `json:"remark,omitempty"`
}

// Environment is a named stage of an instance that APIs are published to,
// selected by a request's X-Stage header. RELEASE is not one of these
// records (see ReleaseEnvironmentID).
type Environment struct {
	ID         string // 32 lowercase hex characters
	AccountID  string
	InstanceID string
	Name       string // unique within its instance
	Remark     string
	CreatedAt  time.Time
	Version    int64
}

// APIVersion is one publication of an API to an environment: an immutable
// copy of the definition as it was stored when it was published. The data
// plane serves an environment's current versions.
type APIVersion struct {
	ID         string // version_id, 32 lowercase hex
	PublishID  string // publish_id of the publication that made it
	AccountID  string
	InstanceID string
	APIID      string
	EnvID      string
	Remark     string
	// API is the definition published (its Version is the record's then).
	API         API
	PublishedAt time.Time
	// Current says whether it is the environment's published version of
	// the API now (Huawei's status 1).
	Current bool
}

// Publication is an API's current version in one environment.
type Publication struct {
	AccountID   string
	InstanceID  string
	APIID       string
	EnvID       string
	VersionID   string
	PublishID   string
	Remark      string
	PublishedAt time.Time
}

// KindBackend is an instance's backend client certificate (Huawei's
// backend_client_certificate feature), uploaded with its key: the
// certificate the gateway presents to the HTTPS backends of APIs with
// enable_client_ssl. An instance has at most one; its record has Scope
// {AccountID, ""}, the instance in InstanceID, and is never listed with
// the SSL certificates.
const KindBackend Kind = "backend"
