package restapi

import (
	"context"
	"fmt"
	"slices"
	"unicode/utf8"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/certs"
	"github.com/certgate/certgate/store"
)

// EndpointTypes AWS accepts, and the default for an API created without
// one (AWS records EDGE).
var EndpointTypes = []string{"REGIONAL", "EDGE", "PRIVATE"}

// DefaultEndpointType is the endpoint type of an API created without one.
const DefaultEndpointType = "EDGE"

// MaxNameLen bounds names and the other free texts of an API.
const MaxNameLen = 1024

func apiNotFound(scope certgate.Scope, id string) error {
	return &certgate.Error{Code: certgate.ENotFound, Reason: ReasonNoAPI, Value: certgate.Clip(scope.AccountID + ":" + id),
		Message: "REST API not found"}
}

// notFound maps the store's not-found errors to the kind the caller asked
// for, so another tenant's record reads like a missing one.
func notFound(err error, scope certgate.Scope, apiID string, reason string) error {
	e := certgate.AsError(err)
	if e == nil || e.Code != certgate.ENotFound {
		return err
	}
	switch {
	case reason == ReasonNoAPI || e.Reason == store.ReasonNoRestAPI:
		return apiNotFound(scope, apiID)
	}
	return &certgate.Error{Code: certgate.ENotFound, Reason: reason, Message: "not found"}
}

// ValidateRestAPI checks the fields of an API as it would be stored.
func ValidateRestAPI(a *certgate.RestAPI) error {
	if a.Name == "" {
		return &certgate.Error{Code: certgate.EInvalid, Reason: certs.ReasonMissing, Field: "createRestApiInput.name", Message: "name is required"}
	}
	for field, v := range map[string]string{"name": a.Name, "description": a.Description, "policy": a.Policy} {
		if !utf8.ValidString(v) || utf8.RuneCountInString(v) > MaxNameLen*10 || (field == "name" && utf8.RuneCountInString(v) > MaxNameLen) {
			return &certgate.Error{Code: certgate.EInvalid, Reason: ReasonBadValue, Field: field, Message: "invalid " + field}
		}
	}
	if err := certs.ValidateTags(a.Tags); err != nil {
		return err
	}
	if len(a.EndpointTypes) != 1 {
		return &certgate.Error{Code: certgate.EInvalid, Reason: ReasonEndpointTypes, Field: "endpointConfiguration.types", Message: "exactly one endpoint type"}
	}
	if !slices.Contains(EndpointTypes, a.EndpointTypes[0]) {
		return &certgate.Error{Code: certgate.EInvalid, Reason: ReasonEndpointType, Field: "endpointConfiguration.types",
			Value: certgate.Clip(a.EndpointTypes[0]), Message: "invalid endpoint type"}
	}
	switch a.APIKeySource {
	case "HEADER", "AUTHORIZER":
	default:
		return &certgate.Error{Code: certgate.EInvalid, Reason: ReasonBadValue, Field: "apiKeySource", Value: certgate.Clip(a.APIKeySource),
			Message: "apiKeySource must be HEADER or AUTHORIZER"}
	}
	switch a.IPAddressType {
	case "ipv4", "dualstack":
	default:
		return &certgate.Error{Code: certgate.EInvalid, Reason: ReasonBadValue, Field: "ipAddressType", Value: certgate.Clip(a.IPAddressType),
			Message: "ipAddressType must be ipv4 or dualstack"}
	}
	if m := a.MinimumCompressionSize; m != nil && (*m < 0 || *m > 10485760) {
		return &certgate.Error{Code: certgate.EInvalid, Reason: ReasonBadValue, Field: "minimumCompressionSize", Value: fmt.Sprint(*m),
			Message: "minimumCompressionSize must be between 0 and 10485760"}
	}
	return nil
}

// CreateRestAPI creates an API with its root resource. Empty defaults are
// filled as AWS records them.
func (s *Service) CreateRestAPI(ctx context.Context, scope certgate.Scope, in *certgate.RestAPI) (*certgate.RestAPI, error) {
	if err := validateScope(scope); err != nil {
		return nil, err
	}
	a := *in
	a.Scope = scope
	if len(a.EndpointTypes) == 0 {
		a.EndpointTypes = []string{DefaultEndpointType}
	}
	if a.APIKeySource == "" {
		a.APIKeySource = "HEADER"
	}
	if a.IPAddressType == "" {
		a.IPAddressType = "ipv4"
	}
	if err := ValidateRestAPI(&a); err != nil {
		return nil, err
	}
	var err error
	if a.ID, err = s.newID(); err != nil {
		return nil, err
	}
	rootID, err := s.newID()
	if err != nil {
		return nil, err
	}
	a.CreatedAt = s.now().UTC()
	root := &certgate.Resource{ID: rootID, Scope: scope, APIID: a.ID, CreatedAt: a.CreatedAt}
	if err := s.st.CreateRestAPI(ctx, &a, root, s.cfg.RestAPIQuota); err != nil {
		if e := certgate.AsError(err); e != nil && e.Code == certgate.ELimitExceeded {
			return nil, &certgate.Error{Code: certgate.ELimitExceeded, Reason: ReasonRestAPIQuota, Limit: s.cfg.RestAPIQuota, Message: e.Message}
		}
		return nil, err
	}
	return &a, nil
}

// GetRestAPI returns one API.
func (s *Service) GetRestAPI(ctx context.Context, scope certgate.Scope, id string) (*certgate.RestAPI, error) {
	a, err := s.st.GetRestAPI(ctx, scope, id)
	if err != nil {
		return nil, notFound(err, scope, id, ReasonNoAPI)
	}
	return a, nil
}

// ListRestAPIs returns a page of the scope's APIs.
func (s *Service) ListRestAPIs(ctx context.Context, scope certgate.Scope, position string, limit int) (Page[*certgate.RestAPI], error) {
	all, err := s.st.ListRestAPIs(ctx, scope)
	if err != nil {
		return Page[*certgate.RestAPI]{}, err
	}
	return paginate(all, func(a *certgate.RestAPI) string { return a.ID }, position, limit)
}

// UpdateRestAPI applies edit to the stored API, validates the result and
// stores it; a lost race reads and edits again.
func (s *Service) UpdateRestAPI(ctx context.Context, scope certgate.Scope, id string, edit func(*certgate.RestAPI) error) (*certgate.RestAPI, error) {
	var out *certgate.RestAPI
	err := retry(func() error {
		a, err := s.GetRestAPI(ctx, scope, id)
		if err != nil {
			return err
		}
		if err := edit(a); err != nil {
			return err
		}
		a.ID, a.Scope = id, scope
		if err := ValidateRestAPI(a); err != nil {
			return err
		}
		if err := s.st.UpdateRestAPI(ctx, a); err != nil {
			return notFound(err, scope, id, ReasonNoAPI)
		}
		out = a
		return nil
	})
	return out, err
}

// DeleteRestAPI removes an API with everything in it.
func (s *Service) DeleteRestAPI(ctx context.Context, scope certgate.Scope, id string) error {
	return notFound(s.st.DeleteRestAPI(ctx, scope, id), scope, id, ReasonNoAPI)
}
