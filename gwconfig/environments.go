package gwconfig

import (
	"context"
	"regexp"
	"strings"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
)

// Reasons of the environment errors.
const (
	// ReasonNoEnvironment: ENotFound; Value is the id.
	ReasonNoEnvironment = "no_environment"
	// ReasonDuplicateEnvName: EConflict; Value is the name.
	ReasonDuplicateEnvName = "duplicate_env_name"
	// ReasonTooManyEnvironments: ELimitExceeded; Limit is the quota.
	ReasonTooManyEnvironments = "too_many_environments"
	// ReasonEnvironmentInUse: EConflict on delete; Got is how many APIs
	// are published in it.
	ReasonEnvironmentInUse = "environment_in_use"
	// ReasonReleaseEnvironment: EInvalid (Field env_id) for a change to
	// RELEASE, which every instance has as it is.
	ReasonReleaseEnvironment = "release_environment"
)

// MaxEnvironments is how many environments an instance has besides
// RELEASE (Huawei's default quota).
const MaxEnvironments = 10

// envNameRe is Huawei's environment name rule: 3 to 64 letters, digits
// and underscores, starting with a letter.
var envNameRe = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{2,63}$`)

// EnvInput is a new environment or, for an update, its new name and
// remark.
type EnvInput struct {
	Name   string
	Remark string
}

func checkEnv(in EnvInput) error {
	if in.Name == "" {
		return &certgate.Error{Code: certgate.EInvalid, Reason: ReasonMissing, Field: "name", Message: "name is required"}
	}
	if !envNameRe.MatchString(in.Name) {
		return &certgate.Error{Code: certgate.EInvalid, Reason: ReasonBadName, Field: "name", Value: certgate.Clip(in.Name),
			Message: "an environment name is 3 to 64 letters, digits and underscores, starting with a letter"}
	}
	if strings.EqualFold(in.Name, certgate.ReleaseEnvironmentName) {
		return &certgate.Error{Code: certgate.EConflict, Reason: ReasonDuplicateEnvName, Field: "name", Value: in.Name,
			Message: "RELEASE is the name of the instance's default environment"}
	}
	return checkLen("remark", in.Remark, MaxAPIRemarkLen)
}

func envError(err error, id, name string) error {
	e := certgate.AsError(err)
	switch {
	case e == nil:
		return err
	case e.Code == certgate.ENotFound && e.Reason == store.ReasonNoInstance:
		return noInstance(err)
	case e.Code == certgate.ENotFound:
		return &certgate.Error{Code: certgate.ENotFound, Reason: ReasonNoEnvironment, Value: certgate.Clip(id),
			Message: "environment not found", Err: err}
	case e.Code == certgate.EConflict && e.Reason == "duplicate_name":
		return &certgate.Error{Code: certgate.EConflict, Reason: ReasonDuplicateEnvName, Field: "name", Value: certgate.Clip(name),
			Message: "an environment of this name already exists in the instance", Err: err}
	case e.Code == certgate.EConflict && e.Reason == store.ReasonEnvironmentInUse:
		return &certgate.Error{Code: certgate.EConflict, Reason: ReasonEnvironmentInUse, Got: e.Got,
			Message: "APIs are published in the environment", Err: err}
	case e.Code == certgate.ELimitExceeded:
		return &certgate.Error{Code: certgate.ELimitExceeded, Reason: ReasonTooManyEnvironments, Limit: MaxEnvironments,
			Message: "the instance has as many environments as it may", Err: err}
	}
	return err
}

// release is RELEASE as an instance shows it: created with the instance.
func release(in *certgate.Instance) *certgate.Environment {
	return &certgate.Environment{ID: certgate.ReleaseEnvironmentID, AccountID: in.AccountID, InstanceID: in.ID,
		Name: certgate.ReleaseEnvironmentName, Remark: "Default environment", CreatedAt: in.CreatedAt, Version: 1}
}

func refuseRelease(id string) error {
	if id != certgate.ReleaseEnvironmentID {
		return nil
	}
	return &certgate.Error{Code: certgate.EInvalid, Reason: ReasonReleaseEnvironment, Field: "env_id", Value: id,
		Message: "the RELEASE environment cannot be modified or deleted"}
}

// CreateEnvironment adds an environment to the account's instance.
func (s *Service) CreateEnvironment(ctx context.Context, accountID, instanceID string, in EnvInput) (*certgate.Environment, error) {
	if _, err := s.Instance(ctx, accountID, instanceID); err != nil {
		return nil, err
	}
	if err := checkEnv(in); err != nil {
		return nil, err
	}
	id, err := newID(s.random)
	if err != nil {
		return nil, err
	}
	e := &certgate.Environment{ID: id, AccountID: accountID, InstanceID: instanceID, Name: in.Name, Remark: in.Remark, CreatedAt: s.clock()}
	if err := s.store.CreateEnvironment(ctx, e, MaxEnvironments); err != nil {
		return nil, envError(err, id, in.Name)
	}
	return e, nil
}

// Environment returns one environment, RELEASE included.
func (s *Service) Environment(ctx context.Context, accountID, instanceID, id string) (*certgate.Environment, error) {
	in, err := s.Instance(ctx, accountID, instanceID)
	if err != nil {
		return nil, err
	}
	if id == certgate.ReleaseEnvironmentID {
		return release(in), nil
	}
	e, err := s.store.GetEnvironment(ctx, accountID, instanceID, id)
	return e, envError(err, id, "")
}

// ListEnvironments returns one page of the instance's environments,
// RELEASE first, whose name contains name, with the number that match.
func (s *Service) ListEnvironments(ctx context.Context, accountID, instanceID, name string, offset, limit int) ([]*certgate.Environment, int64, error) {
	in, err := s.Instance(ctx, accountID, instanceID)
	if err != nil {
		return nil, 0, err
	}
	rest, err := s.store.ListEnvironments(ctx, accountID, instanceID)
	if err != nil {
		return nil, 0, err
	}
	var match []*certgate.Environment
	for _, e := range append([]*certgate.Environment{release(in)}, rest...) {
		if strings.Contains(e.Name, name) {
			match = append(match, e)
		}
	}
	return page(match, offset, limit), int64(len(match)), nil
}

// envNames maps the instance's environment ids to their names.
func (s *Service) envNames(ctx context.Context, accountID, instanceID string) (map[string]string, error) {
	es, err := s.store.ListEnvironments(ctx, accountID, instanceID)
	if err != nil {
		return nil, err
	}
	out := map[string]string{certgate.ReleaseEnvironmentID: certgate.ReleaseEnvironmentName}
	for _, e := range es {
		out[e.ID] = e.Name
	}
	return out, nil
}

// UpdateEnvironment renames an environment or changes its remark (both
// are sent, as Huawei's PUT requires).
func (s *Service) UpdateEnvironment(ctx context.Context, accountID, instanceID, id string, in EnvInput) (*certgate.Environment, error) {
	if _, err := s.Instance(ctx, accountID, instanceID); err != nil {
		return nil, err
	}
	if err := refuseRelease(id); err != nil {
		return nil, err
	}
	if err := checkEnv(in); err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		e, err := s.store.GetEnvironment(ctx, accountID, instanceID, id)
		if err != nil {
			return nil, envError(err, id, "")
		}
		e.Name, e.Remark = in.Name, in.Remark
		err = s.store.UpdateEnvironment(ctx, e)
		if ce := certgate.AsError(err); ce != nil && ce.Code == certgate.EConflict && ce.Reason == "version" && attempt < 3 {
			continue
		}
		if err != nil {
			return nil, envError(err, id, in.Name)
		}
		return e, nil
	}
}

// DeleteEnvironment removes an environment no API is published in.
func (s *Service) DeleteEnvironment(ctx context.Context, accountID, instanceID, id string) error {
	if _, err := s.Instance(ctx, accountID, instanceID); err != nil {
		return err
	}
	if err := refuseRelease(id); err != nil {
		return err
	}
	return envError(s.store.DeleteEnvironment(ctx, accountID, instanceID, id), id, "")
}
