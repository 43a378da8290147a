package restapi

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/certs"
	"github.com/certgate/certgate/store"
)

// CacheClusterSizes are the sizes AWS offers; the gateway keeps no cache,
// so a stage's cacheClusterStatus is always NOT_AVAILABLE.
var CacheClusterSizes = []string{"0.5", "1.6", "6.1", "13.5", "28.4", "58.2", "118", "237"}

// SnapshotResource is a resource with its path, as deployed.
type SnapshotResource struct {
	ID       string `json:"id"`
	ParentID string `json:"parentId,omitempty"`
	PathPart string `json:"pathPart,omitempty"`
	Path     string `json:"path"`
}

// methodOut is a method with its keys, which certgate.Method's json form
// leaves to the store's columns.
type methodOut struct {
	ResourceID string `json:"resourceId"`
	HTTPMethod string `json:"httpMethod"`
	*certgate.Method
}

// StageInput is what CreateDeployment may ask of the stage it makes.
type StageInput struct {
	Name                string
	Description         string
	Variables           map[string]string
	CacheClusterEnabled bool
	CacheClusterSize    string
	TracingEnabled      bool
}

func deploymentNotFound() error {
	return &certgate.Error{Code: certgate.ENotFound, Reason: ReasonNoDeployment, Message: "deployment not found"}
}

func stageNotFound() error {
	return &certgate.Error{Code: certgate.ENotFound, Reason: ReasonNoStage, Message: "stage not found"}
}

// ValidStageName reports whether n is 1 to 128 of a-zA-Z0-9_-.
func ValidStageName(n string) bool {
	if n == "" || len(n) > 128 {
		return false
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// ValidateStage checks a stage's own fields.
func ValidateStage(st *certgate.Stage) error {
	if !ValidStageName(st.Name) {
		return &certgate.Error{Code: certgate.EInvalid, Reason: ReasonStageName, Field: "stageName", Value: certgate.Clip(st.Name), Message: "invalid stage name"}
	}
	if st.CacheClusterSize != "" && !slices.Contains(CacheClusterSizes, st.CacheClusterSize) {
		return &certgate.Error{Code: certgate.EInvalid, Reason: ReasonBadValue, Field: "cacheClusterSize", Value: certgate.Clip(st.CacheClusterSize), Message: "invalid cache cluster size"}
	}
	if err := certs.ValidateTags(st.Tags); err != nil {
		return err
	}
	for k := range st.Variables {
		if !ValidStageName(k) || slices.Contains([]string{"-"}, k) {
			return &certgate.Error{Code: certgate.EInvalid, Reason: ReasonBadValue, Field: "variables", Value: certgate.Clip(k), Message: "invalid stage variable name"}
		}
	}
	return nil
}

func (s *Service) snapshot(ctx context.Context, scope certgate.Scope, apiID string) (string, error) {
	t, ms, err := s.consistentRead(ctx, scope, apiID)
	if err != nil {
		return "", err
	}
	if len(ms) == 0 {
		return "", &certgate.Error{Code: certgate.EInvalid, Reason: ReasonNoMethods, Message: "the REST API has no methods"}
	}
	var snap struct {
		Resources []SnapshotResource `json:"resources"`
		Methods   []methodOut        `json:"methods"`
	}
	for _, r := range t.list {
		snap.Resources = append(snap.Resources, SnapshotResource{ID: r.ID, ParentID: r.ParentID, PathPart: r.PathPart, Path: t.path(r)})
	}
	for _, m := range ms {
		snap.Methods = append(snap.Methods, methodOut{ResourceID: m.ResourceID, HTTPMethod: m.HTTPMethod, Method: m})
	}
	b, err := json.Marshal(snap)
	return string(b), err
}

// consistentRead reads the resource tree and the methods as one state of
// the API: the tree, then the methods, then both again, until neither
// changed in between (the tree by its version, the methods by content).
// The tree unchanged around the second method read means that read and the
// tree held together at that moment.
func (s *Service) consistentRead(ctx context.Context, scope certgate.Scope, apiID string) (*tree, []*certgate.Method, error) {
	ms, err := s.st.ListMethods(ctx, scope, apiID)
	if err != nil {
		return nil, nil, err
	}
	for attempt := 0; ; attempt++ {
		t, err := s.readTree(ctx, scope, apiID)
		if err != nil {
			return nil, nil, err
		}
		again, err := s.st.ListMethods(ctx, scope, apiID)
		if err != nil {
			return nil, nil, err
		}
		t2, err := s.readTree(ctx, scope, apiID)
		if err != nil {
			return nil, nil, err
		}
		a, _ := json.Marshal(ms)
		b, _ := json.Marshal(again)
		if t.version == t2.version && string(a) == string(b) {
			return t, again, nil
		}
		if attempt == retries {
			return nil, nil, &certgate.Error{Code: certgate.EConflict, Reason: "version",
				Message: "the REST API kept changing while it was being deployed; try again"}
		}
		ms = again
	}
}

// stageError maps the store's errors of stage writes to the package's.
func (s *Service) stageError(err error, scope certgate.Scope, apiID string) error {
	e := certgate.AsError(err)
	switch {
	case e == nil:
		return err
	case e.Code == certgate.ENotFound && e.Reason == store.ReasonNoRestAPI:
		return apiNotFound(scope, apiID)
	case e.Code == certgate.ENotFound && e.Reason == store.ReasonNoDeployment:
		return &certgate.Error{Code: certgate.EInvalid, Reason: ReasonBadDeployment, Field: "deploymentId", Message: "deployment id does not exist"}
	case e.Code == certgate.ENotFound && e.Reason == store.ReasonNoCertificate:
		return &certgate.Error{Code: certgate.ENotFound, Reason: ReasonNoCertificate, Field: "clientCertificateId", Message: "client certificate not found"}
	case e.Code == certgate.ENotFound:
		return stageNotFound()
	case e.Code == certgate.EConflict && e.Reason == "duplicate_stage":
		return &certgate.Error{Code: certgate.EConflict, Reason: ReasonStageExists, Message: "the stage already exists"}
	case e.Code == certgate.ELimitExceeded:
		return &certgate.Error{Code: certgate.ELimitExceeded, Reason: ReasonStageQuota, Limit: s.cfg.StageQuota, Message: e.Message}
	}
	return err
}

// CreateDeployment snapshots the API and, when in.Name is not "", points
// that stage at the new deployment (creating it, or moving it if it
// exists).
func (s *Service) CreateDeployment(ctx context.Context, scope certgate.Scope, apiID, description string, in StageInput) (*certgate.Deployment, error) {
	snap, err := s.snapshot(ctx, scope, apiID)
	if err != nil {
		return nil, err
	}
	id, err := s.newID()
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	d := &certgate.Deployment{ID: id, Scope: scope, APIID: apiID, Description: description, Snapshot: snap, CreatedAt: now}
	if in.Name == "" {
		if err := s.st.CreateDeployment(ctx, d, nil, 0); err != nil {
			return nil, s.stageError(err, scope, apiID)
		}
		return d, nil
	}
	st := &certgate.Stage{Scope: scope, APIID: apiID, Name: in.Name, Description: in.Description, Variables: in.Variables,
		CacheClusterEnabled: in.CacheClusterEnabled, CacheClusterSize: in.CacheClusterSize, TracingEnabled: in.TracingEnabled,
		CreatedAt: now, UpdatedAt: now}
	if err := ValidateStage(st); err != nil {
		return nil, err
	}
	if _, err := s.st.GetStage(ctx, scope, apiID, in.Name); err == nil {
		// The stage exists: AWS moves it to the new deployment.
		if err := s.st.CreateDeployment(ctx, d, nil, 0); err != nil {
			return nil, s.stageError(err, scope, apiID)
		}
		_, err := s.UpdateStage(ctx, scope, apiID, in.Name, func(st *certgate.Stage) error { st.DeploymentID = d.ID; return nil })
		return d, err
	}
	if err := s.st.CreateDeployment(ctx, d, st, s.cfg.StageQuota); err != nil {
		return nil, s.stageError(err, scope, apiID)
	}
	return d, nil
}

// GetDeployment returns one deployment.
func (s *Service) GetDeployment(ctx context.Context, scope certgate.Scope, apiID, id string) (*certgate.Deployment, error) {
	d, err := s.st.GetDeployment(ctx, scope, apiID, id)
	if err == nil {
		return d, nil
	}
	if certgate.ErrorCode(err) != certgate.ENotFound {
		return nil, err
	}
	if _, err := s.GetRestAPI(ctx, scope, apiID); err != nil {
		return nil, err
	}
	return nil, deploymentNotFound()
}

// ListDeployments returns a page of the API's deployments.
func (s *Service) ListDeployments(ctx context.Context, scope certgate.Scope, apiID, position string, limit int) (Page[*certgate.Deployment], error) {
	if _, err := s.GetRestAPI(ctx, scope, apiID); err != nil {
		return Page[*certgate.Deployment]{}, err
	}
	all, err := s.st.ListDeployments(ctx, scope, apiID)
	if err != nil {
		return Page[*certgate.Deployment]{}, err
	}
	return paginate(all, func(d *certgate.Deployment) string { return d.ID }, position, limit)
}

// UpdateDeployment replaces a deployment's description.
func (s *Service) UpdateDeployment(ctx context.Context, scope certgate.Scope, apiID, id, description string) (*certgate.Deployment, error) {
	if _, err := s.GetDeployment(ctx, scope, apiID, id); err != nil {
		return nil, err
	}
	if err := s.st.UpdateDeployment(ctx, scope, apiID, id, description); err != nil {
		if certgate.ErrorCode(err) == certgate.ENotFound {
			return nil, deploymentNotFound()
		}
		return nil, err
	}
	return s.GetDeployment(ctx, scope, apiID, id)
}

// DeleteDeployment removes a deployment no stage points at.
func (s *Service) DeleteDeployment(ctx context.Context, scope certgate.Scope, apiID, id string) error {
	if _, err := s.GetDeployment(ctx, scope, apiID, id); err != nil {
		return err
	}
	err := s.st.DeleteDeployment(ctx, scope, apiID, id)
	switch e := certgate.AsError(err); {
	case e == nil:
		return err
	case e.Code == certgate.EConflict && e.Reason == store.ReasonDeploymentInUse:
		return &certgate.Error{Code: certgate.EInvalid, Reason: ReasonDeploymentInUse, Got: e.Got, Message: e.Message}
	case e.Code == certgate.ENotFound:
		return deploymentNotFound()
	}
	return err
}

// CreateStage creates a stage pointing at a deployment of its API. A new
// stage carries no client certificate: AWS attaches one only through
// UpdateStage.
func (s *Service) CreateStage(ctx context.Context, scope certgate.Scope, apiID string, in *certgate.Stage) (*certgate.Stage, error) {
	st := *in
	st.Scope, st.APIID, st.ClientCertificateID = scope, apiID, ""
	st.CreatedAt = s.now().UTC()
	st.UpdatedAt = st.CreatedAt
	if err := ValidateStage(&st); err != nil {
		return nil, err
	}
	if st.DeploymentID == "" {
		return nil, &certgate.Error{Code: certgate.EInvalid, Reason: "missing", Field: "createStageInput.deploymentId", Message: "deploymentId is required"}
	}
	if _, err := s.GetRestAPI(ctx, scope, apiID); err != nil {
		return nil, err
	}
	if err := s.st.CreateStage(ctx, &st, s.cfg.StageQuota); err != nil {
		return nil, s.stageError(err, scope, apiID)
	}
	return &st, nil
}

// GetStage returns one stage.
func (s *Service) GetStage(ctx context.Context, scope certgate.Scope, apiID, name string) (*certgate.Stage, error) {
	st, err := s.st.GetStage(ctx, scope, apiID, name)
	if err == nil {
		return st, nil
	}
	if certgate.ErrorCode(err) != certgate.ENotFound {
		return nil, err
	}
	if _, err := s.GetRestAPI(ctx, scope, apiID); err != nil {
		return nil, err
	}
	return nil, stageNotFound()
}

// ListStages returns the API's stages, those of deploymentID only when it
// is not "".
func (s *Service) ListStages(ctx context.Context, scope certgate.Scope, apiID, deploymentID string) ([]*certgate.Stage, error) {
	if _, err := s.GetRestAPI(ctx, scope, apiID); err != nil {
		return nil, err
	}
	all, err := s.st.ListStages(ctx, scope, apiID)
	if err != nil || deploymentID == "" {
		return all, err
	}
	out := all[:0]
	for _, st := range all {
		if st.DeploymentID == deploymentID {
			out = append(out, st)
		}
	}
	return out, nil
}

// UpdateStage applies edit to the stored stage and stores it once valid;
// the store checks the deployment and client certificate it names.
func (s *Service) UpdateStage(ctx context.Context, scope certgate.Scope, apiID, name string, edit func(*certgate.Stage) error) (*certgate.Stage, error) {
	var out *certgate.Stage
	err := retry(func() error {
		st, err := s.GetStage(ctx, scope, apiID, name)
		if err != nil {
			return err
		}
		if err := edit(st); err != nil {
			return err
		}
		st.Scope, st.APIID, st.Name = scope, apiID, name
		st.UpdatedAt = s.now().UTC()
		if err := ValidateStage(st); err != nil {
			return err
		}
		if err := s.st.UpdateStage(ctx, st); err != nil {
			return s.stageError(err, scope, apiID)
		}
		out = st
		return nil
	})
	return out, err
}

// DeleteStage removes a stage.
func (s *Service) DeleteStage(ctx context.Context, scope certgate.Scope, apiID, name string) error {
	if _, err := s.GetStage(ctx, scope, apiID, name); err != nil {
		return err
	}
	if err := s.st.DeleteStage(ctx, scope, apiID, name); err != nil {
		return s.stageError(err, scope, apiID)
	}
	return nil
}
