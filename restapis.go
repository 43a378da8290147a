package certgate

import "time"

// RestAPI is an Amazon API Gateway REST API, scoped per account and region
// like client certificates. Its resources, methods and integrations are
// records of their own (Resource, Method). The json tags name the stored
// form of the fields the store keeps as one document; they are not wire
// names.
type RestAPI struct {
	ID             string `json:"-"`
	Scope          Scope  `json:"-"`
	Name           string `json:"-"`
	Description    string `json:"description,omitempty"`
	RootResourceID string `json:"rootResourceId"`
	// APIKeySource is HEADER or AUTHORIZER.
	APIKeySource string `json:"apiKeySource"`
	// EndpointTypes holds exactly one of EDGE, REGIONAL, PRIVATE.
	EndpointTypes             []string `json:"endpointTypes"`
	VPCEndpointIDs            []string `json:"vpcEndpointIds,omitempty"`
	IPAddressType             string   `json:"ipAddressType"`
	BinaryMediaTypes          []string `json:"binaryMediaTypes,omitempty"`
	Policy                    string   `json:"policy,omitempty"`
	DisableExecuteAPIEndpoint bool     `json:"disableExecuteApiEndpoint,omitempty"`
	// MinimumCompressionSize is nil when compression is off.
	MinimumCompressionSize *int              `json:"minimumCompressionSize,omitempty"`
	Tags                   map[string]string `json:"tags,omitempty"`
	CreatedAt              time.Time         `json:"-"`
	// Version increases by one with every update of the API's own fields,
	// for optimistic concurrency control.
	Version int64 `json:"-"`
}

// Resource is one node of a REST API's path tree. The root has an empty
// ParentID and PathPart; a resource's path is built from its ancestors'
// path parts by the core, so moving a resource moves its subtree.
type Resource struct {
	ID        string
	Scope     Scope
	APIID     string
	ParentID  string
	PathPart  string
	CreatedAt time.Time
}

// Method is one HTTP method of a resource, with its method responses and its
// integration (nil until one is put). The json tags name the stored form.
type Method struct {
	Scope      Scope  `json:"-"`
	APIID      string `json:"-"`
	ResourceID string `json:"-"`
	HTTPMethod string `json:"-"`

	AuthorizationType   string                     `json:"authorizationType"`
	AuthorizerID        string                     `json:"authorizerId,omitempty"`
	APIKeyRequired      bool                       `json:"apiKeyRequired,omitempty"`
	OperationName       string                     `json:"operationName,omitempty"`
	RequestParameters   map[string]bool            `json:"requestParameters,omitempty"`
	RequestModels       map[string]string          `json:"requestModels,omitempty"`
	RequestValidatorID  string                     `json:"requestValidatorId,omitempty"`
	AuthorizationScopes []string                   `json:"authorizationScopes,omitempty"`
	Responses           map[string]*MethodResponse `json:"responses,omitempty"`
	Integration         *Integration               `json:"integration,omitempty"`

	// Version increases by one with every update, for optimistic
	// concurrency control.
	Version int64 `json:"-"`
}

// MethodResponse is a method's response for one status code.
type MethodResponse struct {
	StatusCode         string            `json:"statusCode"`
	ResponseParameters map[string]bool   `json:"responseParameters,omitempty"`
	ResponseModels     map[string]string `json:"responseModels,omitempty"`
}

// Integration is the backend a method calls: HTTP, HTTP_PROXY or MOCK.
type Integration struct {
	Type                string            `json:"type"`
	HTTPMethod          string            `json:"httpMethod,omitempty"`
	URI                 string            `json:"uri,omitempty"`
	ConnectionType      string            `json:"connectionType"`
	ConnectionID        string            `json:"connectionId,omitempty"`
	Credentials         string            `json:"credentials,omitempty"`
	RequestParameters   map[string]string `json:"requestParameters,omitempty"`
	RequestTemplates    map[string]string `json:"requestTemplates,omitempty"`
	PassthroughBehavior string            `json:"passthroughBehavior"`
	CacheNamespace      string            `json:"cacheNamespace"`
	CacheKeyParameters  []string          `json:"cacheKeyParameters,omitempty"`
	ContentHandling     string            `json:"contentHandling,omitempty"`
	TimeoutInMillis     int               `json:"timeoutInMillis"`
	// TLSConfig is nil when none was sent, so that it is echoed only then.
	TLSConfig *TLSConfig                      `json:"tlsConfig,omitempty"`
	Responses map[string]*IntegrationResponse `json:"responses,omitempty"`
}

// TLSConfig is an integration's TLS settings.
type TLSConfig struct {
	InsecureSkipVerification bool `json:"insecureSkipVerification"`
}

// IntegrationResponse maps a backend answer to a method response.
type IntegrationResponse struct {
	StatusCode         string            `json:"statusCode"`
	SelectionPattern   string            `json:"selectionPattern,omitempty"`
	ResponseParameters map[string]string `json:"responseParameters,omitempty"`
	ResponseTemplates  map[string]string `json:"responseTemplates,omitempty"`
	ContentHandling    string            `json:"contentHandling,omitempty"`
}
