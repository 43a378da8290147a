package gwconfig

import (
	"context"
	"slices"

	"github.com/certgate/certgate"
)

// ReasonNoPublication: ENotFound for taking offline an API that is not
// published in the environment.
const ReasonNoPublication = "no_publication"

// KeptVersions is how many versions of an API are kept per environment
// (Huawei keeps 10); the current one is always kept.
const KeptVersions = 10

// VersionView is a published version with its environment's name.
type VersionView struct {
	Version *certgate.APIVersion
	EnvName string
}

// Publish publishes the API's stored definition to the environment, as a
// new immutable version that the environment then serves.
func (s *Service) Publish(ctx context.Context, accountID, instanceID, apiID, envID, remark string) (*VersionView, error) {
	if _, err := s.Instance(ctx, accountID, instanceID); err != nil {
		return nil, err
	}
	if err := checkLen("remark", remark, MaxAPIRemarkLen); err != nil {
		return nil, err
	}
	if envID == "" {
		return nil, &certgate.Error{Code: certgate.EInvalid, Reason: ReasonMissing, Field: "env_id", Message: "env_id is required"}
	}
	if apiID == "" {
		return nil, &certgate.Error{Code: certgate.EInvalid, Reason: ReasonMissing, Field: "api_id", Message: "api_id is required"}
	}
	vid, err := newID(s.random)
	if err != nil {
		return nil, err
	}
	pid, err := newID(s.random)
	if err != nil {
		return nil, err
	}
	v := &certgate.APIVersion{ID: vid, PublishID: pid, AccountID: accountID, InstanceID: instanceID, APIID: apiID, EnvID: envID,
		Remark: remark, PublishedAt: s.clock()}
	if err := s.store.Publish(ctx, v, KeptVersions); err != nil {
		return nil, s.publishError(err, apiID, envID)
	}
	return s.versionView(ctx, v)
}

// publishError reports a missing API before a missing environment.
func (s *Service) publishError(err error, apiID, envID string) error {
	err = apiError(err, apiID, "")
	if e := certgate.AsError(err); e != nil && e.Reason == ReasonNoEnvironment {
		e.Value = certgate.Clip(envID)
	}
	return err
}

func (s *Service) versionView(ctx context.Context, v *certgate.APIVersion) (*VersionView, error) {
	names, err := s.envNames(ctx, v.AccountID, v.InstanceID)
	if err != nil {
		return nil, err
	}
	return &VersionView{Version: v, EnvName: names[v.EnvID]}, nil
}

// Unpublish takes the API offline in the environment and returns the
// version that was served there.
func (s *Service) Unpublish(ctx context.Context, accountID, instanceID, apiID, envID string) (*VersionView, error) {
	if _, err := s.Instance(ctx, accountID, instanceID); err != nil {
		return nil, err
	}
	if envID == "" {
		return nil, &certgate.Error{Code: certgate.EInvalid, Reason: ReasonMissing, Field: "env_id", Message: "env_id is required"}
	}
	v, err := s.store.Unpublish(ctx, accountID, instanceID, apiID, envID)
	if err != nil {
		return nil, s.publishError(err, apiID, envID)
	}
	return s.versionView(ctx, v)
}

// BatchResult is one API of a batch: a version, or the error it got.
type BatchResult struct {
	APIID   string
	APIName string
	Version *VersionView
	Err     error
}

// BatchPublish publishes (online) or takes offline the APIs named, or
// every API of groupID when apiIDs is empty, one at a time; each gets
// its own result.
func (s *Service) BatchPublish(ctx context.Context, accountID, instanceID string, online bool, apiIDs []string, groupID, envID, remark string) ([]BatchResult, error) {
	if _, err := s.Instance(ctx, accountID, instanceID); err != nil {
		return nil, err
	}
	if envID == "" {
		return nil, &certgate.Error{Code: certgate.EInvalid, Reason: ReasonMissing, Field: "env_id", Message: "env_id is required"}
	}
	if err := checkLen("remark", remark, MaxAPIRemarkLen); err != nil {
		return nil, err
	}
	all, err := s.store.ListAPIs(ctx, accountID, instanceID)
	if err != nil {
		return nil, err
	}
	if len(apiIDs) == 0 {
		if groupID == "" {
			return nil, &certgate.Error{Code: certgate.EInvalid, Reason: ReasonMissing, Field: "apis", Message: "apis or group_id is required"}
		}
		if _, err := s.Group(ctx, accountID, instanceID, groupID); err != nil {
			return nil, err
		}
		for _, a := range all {
			if a.GroupID == groupID {
				apiIDs = append(apiIDs, a.ID)
			}
		}
	}
	var out []BatchResult
	for _, id := range apiIDs {
		r := BatchResult{APIID: id}
		if k := slices.IndexFunc(all, func(a *certgate.API) bool { return a.ID == id }); k >= 0 {
			r.APIName = all[k].Name
		}
		if online {
			r.Version, r.Err = s.Publish(ctx, accountID, instanceID, id, envID, remark)
		} else {
			r.Version, r.Err = s.Unpublish(ctx, accountID, instanceID, id, envID)
		}
		if r.Err != nil && certgate.AsError(r.Err) == nil {
			return nil, r.Err // not the API's fault: the store is down
		}
		out = append(out, r)
	}
	return out, nil
}

// VersionFilter selects versions; empty fields match anything.
type VersionFilter struct {
	EnvID   string
	EnvName string
}

// ListAPIVersions returns one page of the API's versions, newest first,
// with the number that match.
func (s *Service) ListAPIVersions(ctx context.Context, accountID, instanceID, apiID string, f VersionFilter, offset, limit int) ([]*VersionView, int64, error) {
	if _, err := s.Instance(ctx, accountID, instanceID); err != nil {
		return nil, 0, err
	}
	vs, err := s.store.ListAPIVersions(ctx, accountID, instanceID, apiID)
	if err != nil {
		return nil, 0, apiError(err, apiID, "")
	}
	names, err := s.envNames(ctx, accountID, instanceID)
	if err != nil {
		return nil, 0, err
	}
	var match []*VersionView
	for _, v := range vs {
		n := names[v.EnvID]
		if (f.EnvID == "" || v.EnvID == f.EnvID) && (f.EnvName == "" || n == f.EnvName) {
			match = append(match, &VersionView{Version: v, EnvName: n})
		}
	}
	return page(match, offset, limit), int64(len(match)), nil
}
