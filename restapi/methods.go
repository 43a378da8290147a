package restapi

import (
	"context"
	"net/url"
	"slices"
	"strings"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/certs"
)

// HTTPMethods are the methods a resource may have, ANY included.
var HTTPMethods = []string{"GET", "PUT", "POST", "DELETE", "PATCH", "OPTIONS", "HEAD", "ANY"}

// AuthorizationTypes are the ones certgate accepts and stores.
var AuthorizationTypes = []string{"NONE", "AWS_IAM"}

// IntegrationTypes are the ones certgate accepts; AWS's AWS and AWS_PROXY
// (Lambda and other services) are not offered.
var IntegrationTypes = []string{"HTTP", "HTTP_PROXY", "MOCK"}

// Timeouts of an integration, in milliseconds. Regional and private APIs
// may raise theirs to MaxRegionalTimeout.
const (
	DefaultTimeout     = 29000
	MinTimeout         = 50
	MaxTimeout         = 29000
	MaxRegionalTimeout = 300000
)

func methodNotFound() error {
	return &certgate.Error{Code: certgate.ENotFound, Reason: ReasonNoMethod, Message: "method not found"}
}

func integrationNotFound() error {
	return &certgate.Error{Code: certgate.ENotFound, Reason: ReasonNoIntegration, Message: "integration not found"}
}

func responseNotFound() error {
	return &certgate.Error{Code: certgate.ENotFound, Reason: ReasonNoResponse, Message: "response not found"}
}

// ValidHTTPMethod reports whether m is one of HTTPMethods.
func ValidHTTPMethod(m string) bool { return slices.Contains(HTTPMethods, m) }

// ValidStatusCode reports whether c matches AWS's [1-5]\d\d.
func ValidStatusCode(c string) bool {
	return len(c) == 3 && c[0] >= '1' && c[0] <= '5' && c[1] >= '0' && c[1] <= '9' && c[2] >= '0' && c[2] <= '9'
}

func checkHTTPMethod(m string) error {
	if !ValidHTTPMethod(m) {
		return &certgate.Error{Code: certgate.EInvalid, Reason: ReasonHTTPMethod, Field: "httpMethod", Value: certgate.Clip(m), Message: "invalid HTTP method"}
	}
	return nil
}

func checkStatusCode(c string) error {
	if !ValidStatusCode(c) {
		return &certgate.Error{Code: certgate.EInvalid, Reason: ReasonStatusCode, Field: "statusCode", Value: certgate.Clip(c), Message: "invalid status code"}
	}
	return nil
}

// ValidateMethod checks a method's own fields.
func ValidateMethod(m *certgate.Method) error {
	if m.AuthorizationType == "" {
		return &certgate.Error{Code: certgate.EInvalid, Reason: certs.ReasonMissing, Field: "putMethodInput.authorizationType", Message: "authorizationType is required"}
	}
	if !slices.Contains(AuthorizationTypes, m.AuthorizationType) {
		return &certgate.Error{Code: certgate.EInvalid, Reason: ReasonAuthorizationType, Field: "authorizationType",
			Value: certgate.Clip(m.AuthorizationType), Message: "unsupported authorization type"}
	}
	return nil
}

// lookup reads a method, telling a missing API, resource and method apart
// (in that order), each answered like another tenant's.
func (s *Service) lookup(ctx context.Context, scope certgate.Scope, apiID, resourceID, httpMethod string) (*certgate.Method, error) {
	m, err := s.st.GetMethod(ctx, scope, apiID, resourceID, httpMethod)
	if err == nil {
		return m, nil
	}
	if certgate.ErrorCode(err) != certgate.ENotFound {
		return nil, err
	}
	if _, err := s.GetResource(ctx, scope, apiID, resourceID); err != nil {
		return nil, err
	}
	return nil, methodNotFound()
}

// PutMethod creates a method on a resource.
func (s *Service) PutMethod(ctx context.Context, scope certgate.Scope, apiID, resourceID, httpMethod string, in *certgate.Method) (*certgate.Method, error) {
	if err := checkHTTPMethod(httpMethod); err != nil {
		return nil, err
	}
	m := *in
	m.Scope, m.APIID, m.ResourceID, m.HTTPMethod = scope, apiID, resourceID, httpMethod
	m.Integration, m.Responses = nil, nil
	if err := ValidateMethod(&m); err != nil {
		return nil, err
	}
	if _, err := s.GetResource(ctx, scope, apiID, resourceID); err != nil {
		return nil, err
	}
	if err := s.st.CreateMethod(ctx, &m); err != nil {
		switch certgate.ErrorCode(err) {
		case certgate.ENotFound:
			return nil, resourceNotFound()
		case certgate.EConflict:
			return nil, &certgate.Error{Code: certgate.EConflict, Reason: ReasonMethodExists, Message: "the method already exists"}
		}
		return nil, err
	}
	return &m, nil
}

// GetMethod returns a method with its responses and integration.
func (s *Service) GetMethod(ctx context.Context, scope certgate.Scope, apiID, resourceID, httpMethod string) (*certgate.Method, error) {
	return s.lookup(ctx, scope, apiID, resourceID, httpMethod)
}

// ListMethods returns every method of the API, for embedding in resources.
func (s *Service) ListMethods(ctx context.Context, scope certgate.Scope, apiID string) ([]*certgate.Method, error) {
	return s.st.ListMethods(ctx, scope, apiID)
}

// UpdateMethod applies edit to the stored method and stores the result
// once valid; a lost race reads and edits again.
func (s *Service) UpdateMethod(ctx context.Context, scope certgate.Scope, apiID, resourceID, httpMethod string, edit func(*certgate.Method) error) (*certgate.Method, error) {
	var out *certgate.Method
	err := retry(func() error {
		m, err := s.lookup(ctx, scope, apiID, resourceID, httpMethod)
		if err != nil {
			return err
		}
		if err := edit(m); err != nil {
			return err
		}
		m.Scope, m.APIID, m.ResourceID, m.HTTPMethod = scope, apiID, resourceID, httpMethod
		if err := ValidateMethod(m); err != nil {
			return err
		}
		if m.Integration != nil {
			api, err := s.GetRestAPI(ctx, scope, apiID)
			if err != nil {
				return err
			}
			if err := ValidateIntegration(m.Integration, api); err != nil {
				return err
			}
		}
		if err := s.st.UpdateMethod(ctx, m); err != nil {
			if certgate.ErrorCode(err) == certgate.ENotFound {
				return methodNotFound()
			}
			return err
		}
		out = m
		return nil
	})
	return out, err
}

// DeleteMethod removes a method.
func (s *Service) DeleteMethod(ctx context.Context, scope certgate.Scope, apiID, resourceID, httpMethod string) error {
	if _, err := s.lookup(ctx, scope, apiID, resourceID, httpMethod); err != nil {
		return err
	}
	if err := s.st.DeleteMethod(ctx, scope, apiID, resourceID, httpMethod); err != nil {
		if certgate.ErrorCode(err) == certgate.ENotFound {
			return methodNotFound()
		}
		return err
	}
	return nil
}

// ValidateIntegration checks an integration of a method of api.
func ValidateIntegration(in *certgate.Integration, api *certgate.RestAPI) error {
	if in.Type == "" {
		return &certgate.Error{Code: certgate.EInvalid, Reason: certs.ReasonMissing, Field: "putIntegrationInput.type", Message: "type is required"}
	}
	if !slices.Contains(IntegrationTypes, in.Type) {
		return &certgate.Error{Code: certgate.EInvalid, Reason: ReasonIntegrationType, Field: "type", Value: certgate.Clip(in.Type), Message: "unsupported integration type"}
	}
	if in.Type != "MOCK" {
		if in.HTTPMethod == "" {
			return &certgate.Error{Code: certgate.EInvalid, Reason: ReasonHTTPMethod, Field: "integrationHttpMethod", Message: "an HTTP integration needs an HTTP method"}
		}
		if err := checkHTTPMethod(in.HTTPMethod); err != nil {
			return err
		}
		u, err := url.Parse(in.URI)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
			return &certgate.Error{Code: certgate.EInvalid, Reason: ReasonBadURI, Field: "uri", Message: "invalid HTTP endpoint"}
		}
	} else if in.HTTPMethod != "" {
		if err := checkHTTPMethod(in.HTTPMethod); err != nil {
			return err
		}
	}
	limit := MaxTimeout
	if t := api.EndpointTypes; len(t) == 1 && (t[0] == "REGIONAL" || t[0] == "PRIVATE") {
		limit = MaxRegionalTimeout
	}
	if in.TimeoutInMillis < MinTimeout || in.TimeoutInMillis > limit {
		return &certgate.Error{Code: certgate.EInvalid, Reason: ReasonTimeout, Field: "timeoutInMillis", Limit: limit, Got: in.TimeoutInMillis, Message: "timeout out of range"}
	}
	for field, ok := range map[string]bool{
		"connectionType":      in.ConnectionType == "INTERNET" || in.ConnectionType == "VPC_LINK",
		"passthroughBehavior": slices.Contains([]string{"WHEN_NO_MATCH", "WHEN_NO_TEMPLATES", "NEVER"}, in.PassthroughBehavior),
		"contentHandling":     slices.Contains([]string{"", "CONVERT_TO_BINARY", "CONVERT_TO_TEXT"}, in.ContentHandling),
	} {
		if !ok {
			return &certgate.Error{Code: certgate.EInvalid, Reason: ReasonBadValue, Field: field, Message: "invalid " + field}
		}
	}
	for k, v := range in.RequestParameters {
		if !mappingTarget(k) {
			return &certgate.Error{Code: certgate.EInvalid, Reason: ReasonMapping, Field: "requestParameters", Value: certgate.Clip(k), Message: "invalid mapping expression"}
		}
		if !mappingSource(v) {
			return &certgate.Error{Code: certgate.EInvalid, Reason: ReasonMapping, Field: "requestParameters", Value: certgate.Clip(v), Message: "invalid mapping expression"}
		}
	}
	for code, r := range in.Responses {
		if err := checkStatusCode(code); err != nil {
			return err
		}
		if r.StatusCode != code {
			return &certgate.Error{Code: certgate.EInvalid, Reason: ReasonStatusCode, Field: "statusCode", Value: certgate.Clip(r.StatusCode), Message: "status code mismatch"}
		}
	}
	return nil
}

// mappingTarget reports whether k names an integration request parameter.
func mappingTarget(k string) bool {
	for _, p := range []string{"integration.request.path.", "integration.request.querystring.", "integration.request.header.",
		"integration.request.multivaluequerystring.", "integration.request.multivalueheader."} {
		if name, ok := strings.CutPrefix(k, p); ok && name != "" {
			return true
		}
	}
	return false
}

// mappingSource reports whether v is a value AWS maps from: a method
// request parameter, a context or stage variable, or a quoted literal.
func mappingSource(v string) bool {
	if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
		return true
	}
	for _, p := range []string{"method.request.path.", "method.request.querystring.", "method.request.header.",
		"method.request.multivaluequerystring.", "method.request.multivalueheader.", "context.", "stageVariables."} {
		if name, ok := strings.CutPrefix(v, p); ok && name != "" {
			return true
		}
	}
	return false
}

// applyIntegrationDefaults fills what AWS fills on PutIntegration.
func applyIntegrationDefaults(in *certgate.Integration, resourceID string) {
	if in.ConnectionType == "" {
		in.ConnectionType = "INTERNET"
	}
	if in.PassthroughBehavior == "" {
		in.PassthroughBehavior = "WHEN_NO_MATCH"
	}
	if in.CacheNamespace == "" {
		in.CacheNamespace = resourceID
	}
	if in.TimeoutInMillis == 0 {
		in.TimeoutInMillis = DefaultTimeout
	}
}

// PutIntegration sets (or replaces, with its responses) the integration of
// a method.
func (s *Service) PutIntegration(ctx context.Context, scope certgate.Scope, apiID, resourceID, httpMethod string, in *certgate.Integration) (*certgate.Integration, error) {
	ig := *in
	ig.Responses = nil
	applyIntegrationDefaults(&ig, resourceID)
	api, err := s.GetRestAPI(ctx, scope, apiID)
	if err != nil {
		return nil, err
	}
	if err := ValidateIntegration(&ig, api); err != nil {
		return nil, err
	}
	m, err := s.UpdateMethod(ctx, scope, apiID, resourceID, httpMethod, func(m *certgate.Method) error {
		c := ig
		m.Integration = &c
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m.Integration, nil
}

// GetIntegration returns a method's integration.
func (s *Service) GetIntegration(ctx context.Context, scope certgate.Scope, apiID, resourceID, httpMethod string) (*certgate.Integration, error) {
	m, err := s.lookup(ctx, scope, apiID, resourceID, httpMethod)
	if err != nil {
		return nil, err
	}
	if m.Integration == nil {
		return nil, integrationNotFound()
	}
	return m.Integration, nil
}

// UpdateIntegration applies edit to a method's integration.
func (s *Service) UpdateIntegration(ctx context.Context, scope certgate.Scope, apiID, resourceID, httpMethod string, edit func(*certgate.Integration) error) (*certgate.Integration, error) {
	m, err := s.UpdateMethod(ctx, scope, apiID, resourceID, httpMethod, func(m *certgate.Method) error {
		if m.Integration == nil {
			return integrationNotFound()
		}
		return edit(m.Integration)
	})
	if err != nil {
		return nil, err
	}
	return m.Integration, nil
}

// DeleteIntegration removes a method's integration.
func (s *Service) DeleteIntegration(ctx context.Context, scope certgate.Scope, apiID, resourceID, httpMethod string) error {
	_, err := s.UpdateMethod(ctx, scope, apiID, resourceID, httpMethod, func(m *certgate.Method) error {
		if m.Integration == nil {
			return integrationNotFound()
		}
		m.Integration = nil
		return nil
	})
	return err
}

// PutMethodResponse sets a method's response for r.StatusCode.
func (s *Service) PutMethodResponse(ctx context.Context, scope certgate.Scope, apiID, resourceID, httpMethod string, r *certgate.MethodResponse) (*certgate.MethodResponse, error) {
	if err := checkStatusCode(r.StatusCode); err != nil {
		return nil, err
	}
	c := *r
	_, err := s.UpdateMethod(ctx, scope, apiID, resourceID, httpMethod, func(m *certgate.Method) error {
		setResponse(&m.Responses, c.StatusCode, &c)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// GetMethodResponse returns a method's response for code.
func (s *Service) GetMethodResponse(ctx context.Context, scope certgate.Scope, apiID, resourceID, httpMethod, code string) (*certgate.MethodResponse, error) {
	if err := checkStatusCode(code); err != nil {
		return nil, err
	}
	m, err := s.lookup(ctx, scope, apiID, resourceID, httpMethod)
	if err != nil {
		return nil, err
	}
	return responseIn(m.Responses, code)
}

// DeleteMethodResponse removes a method's response for code.
func (s *Service) DeleteMethodResponse(ctx context.Context, scope certgate.Scope, apiID, resourceID, httpMethod, code string) error {
	if err := checkStatusCode(code); err != nil {
		return err
	}
	_, err := s.UpdateMethod(ctx, scope, apiID, resourceID, httpMethod, func(m *certgate.Method) error {
		return removeResponse(m.Responses, code)
	})
	return err
}

// PutIntegrationResponse sets an integration's response for r.StatusCode.
func (s *Service) PutIntegrationResponse(ctx context.Context, scope certgate.Scope, apiID, resourceID, httpMethod string, r *certgate.IntegrationResponse) (*certgate.IntegrationResponse, error) {
	if err := checkStatusCode(r.StatusCode); err != nil {
		return nil, err
	}
	c := *r
	_, err := s.UpdateIntegration(ctx, scope, apiID, resourceID, httpMethod, func(in *certgate.Integration) error {
		setResponse(&in.Responses, c.StatusCode, &c)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// GetIntegrationResponse returns an integration's response for code.
func (s *Service) GetIntegrationResponse(ctx context.Context, scope certgate.Scope, apiID, resourceID, httpMethod, code string) (*certgate.IntegrationResponse, error) {
	if err := checkStatusCode(code); err != nil {
		return nil, err
	}
	in, err := s.GetIntegration(ctx, scope, apiID, resourceID, httpMethod)
	if err != nil {
		return nil, err
	}
	return responseIn(in.Responses, code)
}

// DeleteIntegrationResponse removes an integration's response for code.
func (s *Service) DeleteIntegrationResponse(ctx context.Context, scope certgate.Scope, apiID, resourceID, httpMethod, code string) error {
	if err := checkStatusCode(code); err != nil {
		return err
	}
	_, err := s.UpdateIntegration(ctx, scope, apiID, resourceID, httpMethod, func(in *certgate.Integration) error {
		return removeResponse(in.Responses, code)
	})
	return err
}

// UpdateMethodResponse applies edit to a method's response for code.
func (s *Service) UpdateMethodResponse(ctx context.Context, scope certgate.Scope, apiID, resourceID, httpMethod, code string, edit func(*certgate.MethodResponse) error) (*certgate.MethodResponse, error) {
	if err := checkStatusCode(code); err != nil {
		return nil, err
	}
	var out *certgate.MethodResponse
	_, err := s.UpdateMethod(ctx, scope, apiID, resourceID, httpMethod, func(m *certgate.Method) error {
		r, err := responseIn(m.Responses, code)
		if err != nil {
			return err
		}
		if err := edit(r); err != nil {
			return err
		}
		r.StatusCode, out = code, r
		return nil
	})
	return out, err
}

// UpdateIntegrationResponse applies edit to an integration's response for
// code.
func (s *Service) UpdateIntegrationResponse(ctx context.Context, scope certgate.Scope, apiID, resourceID, httpMethod, code string, edit func(*certgate.IntegrationResponse) error) (*certgate.IntegrationResponse, error) {
	if err := checkStatusCode(code); err != nil {
		return nil, err
	}
	var out *certgate.IntegrationResponse
	_, err := s.UpdateIntegration(ctx, scope, apiID, resourceID, httpMethod, func(in *certgate.Integration) error {
		r, err := responseIn(in.Responses, code)
		if err != nil {
			return err
		}
		if err := edit(r); err != nil {
			return err
		}
		r.StatusCode, out = code, r
		return nil
	})
	return out, err
}

// The responses of a method and of its integration are maps by status
// code; these are the operations both share.

// setResponse stores v under code in *m, making the map when needed.
func setResponse[T any](m *map[string]*T, code string, v *T) {
	if *m == nil {
		*m = map[string]*T{}
	}
	(*m)[code] = v
}

// responseIn returns m's response for code, or responseNotFound.
func responseIn[T any](m map[string]*T, code string) (*T, error) {
	if r := m[code]; r != nil {
		return r, nil
	}
	return nil, responseNotFound()
}

// removeResponse deletes m's response for code, or returns
// responseNotFound.
func removeResponse[T any](m map[string]*T, code string) error {
	if m[code] == nil {
		return responseNotFound()
	}
	delete(m, code)
	return nil
}
