package aws

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/restapi"
)

// Wire shapes of the REST API operations. Dates are epoch seconds, as for
// client certificates; fields AWS leaves out when unset are omitempty, and
// the ones Terraform reads back as defaults (timeoutInMillis,
// connectionType, apiKeyRequired, disableExecuteApiEndpoint) are always
// sent.

type endpointConfiguration struct {
	IPAddressType  string   `json:"ipAddressType,omitempty"`
	Types          []string `json:"types"`
	VPCEndpointIDs []string `json:"vpcEndpointIds,omitempty"`
}

type restAPIWire struct {
	ID                        string                `json:"id"`
	Name                      string                `json:"name"`
	Description               string                `json:"description,omitempty"`
	CreatedDate               int64                 `json:"createdDate"`
	APIKeySource              string                `json:"apiKeySource"`
	BinaryMediaTypes          []string              `json:"binaryMediaTypes,omitempty"`
	DisableExecuteAPIEndpoint bool                  `json:"disableExecuteApiEndpoint"`
	EndpointConfiguration     endpointConfiguration `json:"endpointConfiguration"`
	MinimumCompressionSize    *int                  `json:"minimumCompressionSize,omitempty"`
	Policy                    string                `json:"policy,omitempty"`
	RootResourceID            string                `json:"rootResourceId"`
	Tags                      map[string]string     `json:"tags,omitempty"`
}

func restAPIToWire(a *certgate.RestAPI) restAPIWire {
	return restAPIWire{ID: a.ID, Name: a.Name, Description: a.Description, CreatedDate: a.CreatedAt.Unix(),
		APIKeySource: a.APIKeySource, BinaryMediaTypes: a.BinaryMediaTypes, DisableExecuteAPIEndpoint: a.DisableExecuteAPIEndpoint,
		EndpointConfiguration:  endpointConfiguration{IPAddressType: a.IPAddressType, Types: a.EndpointTypes, VPCEndpointIDs: a.VPCEndpointIDs},
		MinimumCompressionSize: a.MinimumCompressionSize, Policy: a.Policy, RootResourceID: a.RootResourceID, Tags: a.Tags}
}

type createRestAPIRequest struct {
	Name                      *string                `json:"name"`
	Description               *string                `json:"description"`
	EndpointConfiguration     *endpointConfiguration `json:"endpointConfiguration"`
	Tags                      map[string]string      `json:"tags"`
	BinaryMediaTypes          []string               `json:"binaryMediaTypes"`
	APIKeySource              *string                `json:"apiKeySource"`
	Policy                    *string                `json:"policy"`
	DisableExecuteAPIEndpoint *bool                  `json:"disableExecuteApiEndpoint"`
	MinimumCompressionSize    *int                   `json:"minimumCompressionSize"`
	Version                   *string                `json:"version"`
	CloneFrom                 *string                `json:"cloneFrom"`
}

func (r *createRestAPIRequest) record() *certgate.RestAPI {
	a := &certgate.RestAPI{Tags: r.Tags, BinaryMediaTypes: r.BinaryMediaTypes, MinimumCompressionSize: r.MinimumCompressionSize}
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&a.Name, r.Name)
	set(&a.Description, r.Description)
	set(&a.APIKeySource, r.APIKeySource)
	set(&a.Policy, r.Policy)
	if r.DisableExecuteAPIEndpoint != nil {
		a.DisableExecuteAPIEndpoint = *r.DisableExecuteAPIEndpoint
	}
	if e := r.EndpointConfiguration; e != nil {
		a.EndpointTypes, a.VPCEndpointIDs, a.IPAddressType = e.Types, e.VPCEndpointIDs, e.IPAddressType
	}
	return a
}

type resourceWire struct {
	ID              string                `json:"id"`
	ParentID        string                `json:"parentId,omitempty"`
	Path            string                `json:"path"`
	PathPart        string                `json:"pathPart,omitempty"`
	ResourceMethods map[string]methodWire `json:"resourceMethods,omitempty"`
}

func resourceToWire(r restapi.Resource, methods []*certgate.Method) resourceWire {
	w := resourceWire{ID: r.ID, ParentID: r.ParentID, Path: r.Path, PathPart: r.PathPart}
	for _, m := range methods {
		if m.ResourceID == r.ID {
			if w.ResourceMethods == nil {
				w.ResourceMethods = map[string]methodWire{}
			}
			w.ResourceMethods[m.HTTPMethod] = methodToWire(m)
		}
	}
	return w
}

type methodResponseWire struct {
	StatusCode         string            `json:"statusCode"`
	ResponseParameters map[string]bool   `json:"responseParameters,omitempty"`
	ResponseModels     map[string]string `json:"responseModels,omitempty"`
}

type methodWire struct {
	HTTPMethod          string                        `json:"httpMethod"`
	AuthorizationType   string                        `json:"authorizationType"`
	APIKeyRequired      bool                          `json:"apiKeyRequired"`
	AuthorizerID        string                        `json:"authorizerId,omitempty"`
	OperationName       string                        `json:"operationName,omitempty"`
	RequestParameters   map[string]bool               `json:"requestParameters,omitempty"`
	RequestModels       map[string]string             `json:"requestModels,omitempty"`
	RequestValidatorID  string                        `json:"requestValidatorId,omitempty"`
	AuthorizationScopes []string                      `json:"authorizationScopes,omitempty"`
	MethodResponses     map[string]methodResponseWire `json:"methodResponses,omitempty"`
	MethodIntegration   *integrationWire              `json:"methodIntegration,omitempty"`
}

func methodToWire(m *certgate.Method) methodWire {
	w := methodWire{HTTPMethod: m.HTTPMethod, AuthorizationType: m.AuthorizationType, APIKeyRequired: m.APIKeyRequired,
		AuthorizerID: m.AuthorizerID, OperationName: m.OperationName, RequestParameters: m.RequestParameters,
		RequestModels: m.RequestModels, RequestValidatorID: m.RequestValidatorID, AuthorizationScopes: m.AuthorizationScopes}
	for code, r := range m.Responses {
		if w.MethodResponses == nil {
			w.MethodResponses = map[string]methodResponseWire{}
		}
		w.MethodResponses[code] = methodResponseToWire(r)
	}
	if m.Integration != nil {
		iw := integrationToWire(m.Integration)
		w.MethodIntegration = &iw
	}
	return w
}

func methodResponseToWire(r *certgate.MethodResponse) methodResponseWire {
	return methodResponseWire{StatusCode: r.StatusCode, ResponseParameters: r.ResponseParameters, ResponseModels: r.ResponseModels}
}

type putMethodRequest struct {
	AuthorizationType   *string           `json:"authorizationType"`
	AuthorizerID        *string           `json:"authorizerId"`
	APIKeyRequired      *bool             `json:"apiKeyRequired"`
	OperationName       *string           `json:"operationName"`
	RequestParameters   map[string]bool   `json:"requestParameters"`
	RequestModels       map[string]string `json:"requestModels"`
	RequestValidatorID  *string           `json:"requestValidatorId"`
	AuthorizationScopes []string          `json:"authorizationScopes"`
}

func (r *putMethodRequest) record() *certgate.Method {
	m := &certgate.Method{RequestParameters: r.RequestParameters, RequestModels: r.RequestModels, AuthorizationScopes: r.AuthorizationScopes}
	for dst, src := range map[*string]*string{&m.AuthorizationType: r.AuthorizationType, &m.AuthorizerID: r.AuthorizerID,
		&m.OperationName: r.OperationName, &m.RequestValidatorID: r.RequestValidatorID} {
		if src != nil {
			*dst = *src
		}
	}
	if r.APIKeyRequired != nil {
		m.APIKeyRequired = *r.APIKeyRequired
	}
	return m
}

type tlsConfigWire struct {
	InsecureSkipVerification bool `json:"insecureSkipVerification"`
}

type integrationResponseWire struct {
	StatusCode         string            `json:"statusCode"`
	SelectionPattern   string            `json:"selectionPattern,omitempty"`
	ResponseParameters map[string]string `json:"responseParameters,omitempty"`
	ResponseTemplates  map[string]string `json:"responseTemplates,omitempty"`
	ContentHandling    string            `json:"contentHandling,omitempty"`
}

type integrationWire struct {
	Type                 string                             `json:"type"`
	HTTPMethod           string                             `json:"httpMethod,omitempty"`
	URI                  string                             `json:"uri,omitempty"`
	ConnectionType       string                             `json:"connectionType"`
	ConnectionID         string                             `json:"connectionId,omitempty"`
	Credentials          string                             `json:"credentials,omitempty"`
	RequestParameters    map[string]string                  `json:"requestParameters,omitempty"`
	RequestTemplates     map[string]string                  `json:"requestTemplates,omitempty"`
	PassthroughBehavior  string                             `json:"passthroughBehavior"`
	CacheNamespace       string                             `json:"cacheNamespace"`
	CacheKeyParameters   []string                           `json:"cacheKeyParameters"`
	ContentHandling      string                             `json:"contentHandling,omitempty"`
	TimeoutInMillis      int                                `json:"timeoutInMillis"`
	TLSConfig            *tlsConfigWire                     `json:"tlsConfig,omitempty"`
	IntegrationResponses map[string]integrationResponseWire `json:"integrationResponses,omitempty"`
}

func integrationToWire(in *certgate.Integration) integrationWire {
	w := integrationWire{Type: in.Type, HTTPMethod: in.HTTPMethod, URI: in.URI, ConnectionType: in.ConnectionType,
		ConnectionID: in.ConnectionID, Credentials: in.Credentials, RequestParameters: in.RequestParameters,
		RequestTemplates: in.RequestTemplates, PassthroughBehavior: in.PassthroughBehavior, CacheNamespace: in.CacheNamespace,
		CacheKeyParameters: in.CacheKeyParameters, ContentHandling: in.ContentHandling, TimeoutInMillis: in.TimeoutInMillis}
	if w.CacheKeyParameters == nil {
		w.CacheKeyParameters = []string{}
	}
	if in.TLSConfig != nil {
		w.TLSConfig = &tlsConfigWire{InsecureSkipVerification: in.TLSConfig.InsecureSkipVerification}
	}
	for _, code := range slices.Sorted(maps.Keys(in.Responses)) {
		if w.IntegrationResponses == nil {
			w.IntegrationResponses = map[string]integrationResponseWire{}
		}
		w.IntegrationResponses[code] = integrationResponseToWire(in.Responses[code])
	}
	return w
}

func integrationResponseToWire(r *certgate.IntegrationResponse) integrationResponseWire {
	return integrationResponseWire{StatusCode: r.StatusCode, SelectionPattern: r.SelectionPattern,
		ResponseParameters: r.ResponseParameters, ResponseTemplates: r.ResponseTemplates, ContentHandling: r.ContentHandling}
}

type putIntegrationRequest struct {
	Type                *string            `json:"type"`
	HTTPMethod          *string            `json:"httpMethod"`
	URI                 *string            `json:"uri"`
	ConnectionType      *string            `json:"connectionType"`
	ConnectionID        *string            `json:"connectionId"`
	Credentials         *string            `json:"credentials"`
	RequestParameters   map[string]string  `json:"requestParameters"`
	RequestTemplates    map[string]*string `json:"requestTemplates"`
	PassthroughBehavior *string            `json:"passthroughBehavior"`
	CacheNamespace      *string            `json:"cacheNamespace"`
	CacheKeyParameters  []string           `json:"cacheKeyParameters"`
	ContentHandling     *string            `json:"contentHandling"`
	TimeoutInMillis     *int               `json:"timeoutInMillis"`
	TLSConfig           *tlsConfigWire     `json:"tlsConfig"`
	// Accepted and ignored: AWS-service integrations are not offered.
	ResponseTransferMode *string `json:"responseTransferMode"`
	IntegrationTarget    *string `json:"integrationTarget"`
}

func (r *putIntegrationRequest) record() *certgate.Integration {
	in := &certgate.Integration{RequestParameters: r.RequestParameters, CacheKeyParameters: r.CacheKeyParameters}
	for dst, src := range map[*string]*string{&in.Type: r.Type, &in.HTTPMethod: r.HTTPMethod, &in.URI: r.URI,
		&in.ConnectionType: r.ConnectionType, &in.ConnectionID: r.ConnectionID, &in.Credentials: r.Credentials,
		&in.PassthroughBehavior: r.PassthroughBehavior, &in.CacheNamespace: r.CacheNamespace, &in.ContentHandling: r.ContentHandling} {
		if src != nil {
			*dst = *src
		}
	}
	// A null template reads back as "", as Terraform expects.
	for k, v := range r.RequestTemplates {
		if in.RequestTemplates == nil {
			in.RequestTemplates = map[string]string{}
		}
		if v != nil {
			in.RequestTemplates[k] = *v
		} else {
			in.RequestTemplates[k] = ""
		}
	}
	if r.TimeoutInMillis != nil {
		in.TimeoutInMillis = *r.TimeoutInMillis
		if in.TimeoutInMillis == 0 {
			// 0 is below the range, not "default".
			in.TimeoutInMillis = -1
		}
	}
	if r.TLSConfig != nil {
		in.TLSConfig = &certgate.TLSConfig{InsecureSkipVerification: r.TLSConfig.InsecureSkipVerification}
	}
	return in
}

type putMethodResponseRequest struct {
	ResponseParameters map[string]bool   `json:"responseParameters"`
	ResponseModels     map[string]string `json:"responseModels"`
}

type putIntegrationResponseRequest struct {
	SelectionPattern   *string           `json:"selectionPattern"`
	ResponseParameters map[string]string `json:"responseParameters"`
	ResponseTemplates  map[string]string `json:"responseTemplates"`
	ContentHandling    *string           `json:"contentHandling"`
}

// writeShape writes v as plain JSON, or, when the client asks for HAL, in
// the HAL form of API Gateway's REST reference (see halWrap).
func writeShape(w http.ResponseWriter, r *http.Request, status int, href string, v any) {
	if wantsHAL(r) {
		writeJSON(w, status, halType, halWrap(href, v))
		return
	}
	writeJSON(w, status, "application/json", v)
}

// halKind names the HAL relation family of the resource at href, as the
// reference's curies do (restapi-restapi-{rel}, restapi-stage-{rel}, ...),
// and whether href is a collection.
func halKind(href string) (kind string, list bool) {
	segs := strings.Split(strings.Trim(href, "/"), "/")
	n := len(segs)
	last := segs[n-1]
	collections := map[string]string{"restapis": "restapi", "resources": "resource", "deployments": "deployment", "stages": "stage"}
	switch {
	case collections[last] != "":
		return collections[last], true
	case last == "integration":
		return "integration", false
	case n >= 2 && segs[n-2] == "responses" && n >= 3 && segs[n-3] == "integration":
		return "integrationresponse", false
	case n >= 2 && segs[n-2] == "responses":
		return "methodresponse", false
	case n >= 2 && segs[n-2] == "methods":
		return "method", false
	case n >= 2 && collections[segs[n-2]] != "":
		return collections[segs[n-2]], false
	}
	return "restapi", false
}

// halWrap turns v's JSON object into its HAL form: _links with the kind's
// curie, self, and its update and delete relations (a collection: its
// create relation, an item link per element and next for a further page),
// list elements under _embedded.item, and dates in ISO 8601.
func halWrap(href string, v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return v
	}
	kind, list := halKind(href)
	links := map[string]any{
		"curies": halLink{Href: "https://docs.aws.amazon.com/apigateway/latest/developerguide/restapi-" + kind + "-{rel}.html",
			Name: kind, Templated: true},
		"self": halLink{Href: href},
	}
	if list {
		links[kind+":create"] = halLink{Href: href}
		items, _ := m["item"].([]any)
		itemLinks := make([]halLink, 0, len(items))
		for _, it := range items {
			obj, _ := it.(map[string]any)
			id, _ := obj["id"].(string)
			if id == "" {
				id, _ = obj["stageName"].(string)
			}
			itemHref := href + "/" + id
			itemLinks = append(itemLinks, halLink{Href: itemHref})
			isoDates(obj)
			obj["_links"] = map[string]any{"self": halLink{Href: itemHref}}
		}
		delete(m, "item")
		links["item"] = itemLinks
		m["_embedded"] = map[string]any{"item": items}
		if pos, _ := m["position"].(string); pos != "" {
			links["next"] = halLink{Href: href + "?position=" + pos}
		}
	} else {
		links[kind+":update"] = halLink{Href: href}
		links[kind+":delete"] = halLink{Href: href}
		isoDates(m)
	}
	m["_links"] = links
	return m
}

// isoDates writes the epoch-second dates of obj as ISO 8601, as HAL
// answers carry them.
func isoDates(obj map[string]any) {
	for _, k := range []string{"createdDate", "lastUpdatedDate"} {
		if f, ok := obj[k].(float64); ok {
			obj[k] = time.Unix(int64(f), 0).UTC().Format(time.RFC3339)
		}
	}
}
