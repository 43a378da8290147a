package restapi

import (
	"context"
	"strings"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
)

// Resource is a resource with its full path, as the API answers it.
type Resource struct {
	*certgate.Resource
	Path string
}

// ValidPathPart reports whether p is a literal part (a-zA-Z0-9._-) or a
// variable ({name} or the greedy {name+}) of such characters, as AWS
// allows.
func ValidPathPart(p string) bool {
	if inner, ok := strings.CutPrefix(p, "{"); ok {
		inner, ok = strings.CutSuffix(inner, "}")
		if !ok {
			return false
		}
		inner = strings.TrimSuffix(inner, "+")
		return literal(inner)
	}
	return literal(p)
}

func literal(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func isVariable(p string) bool { return strings.HasPrefix(p, "{") }
func isGreedy(p string) bool   { return strings.HasSuffix(p, "+}") }

// tree is an API's resources by id, with the version they were read at.
type tree struct {
	list    []*certgate.Resource
	byID    map[string]*certgate.Resource
	version int64
}

func (s *Service) readTree(ctx context.Context, scope certgate.Scope, apiID string) (*tree, error) {
	rs, v, err := s.st.ListResources(ctx, scope, apiID)
	if err != nil {
		return nil, notFound(err, scope, apiID, ReasonNoAPI)
	}
	t := &tree{list: rs, byID: make(map[string]*certgate.Resource, len(rs)), version: v}
	for _, r := range rs {
		t.byID[r.ID] = r
	}
	return t, nil
}

// path builds a resource's path from its ancestors. A cycle cannot be
// stored (UpdateResource refuses it), but the walk is bounded anyway.
func (t *tree) path(r *certgate.Resource) string {
	var parts []string
	for n := 0; r != nil && r.ParentID != "" && n <= len(t.list); n++ {
		parts = append(parts, r.PathPart)
		r = t.byID[r.ParentID]
	}
	var b strings.Builder
	for i := len(parts) - 1; i >= 0; i-- {
		b.WriteString("/")
		b.WriteString(parts[i])
	}
	if b.Len() == 0 {
		return "/"
	}
	return b.String()
}

func (t *tree) view(r *certgate.Resource) Resource { return Resource{Resource: r, Path: t.path(r)} }

func resourceNotFound() error {
	return &certgate.Error{Code: certgate.ENotFound, Reason: ReasonNoResource, Message: "resource not found"}
}

func pathPartError(reason, value string) error {
	code := certgate.EInvalid
	if reason == ReasonDuplicatePathPart {
		code = certgate.EConflict
	}
	return &certgate.Error{Code: code, Reason: reason, Field: "pathPart", Value: certgate.Clip(value), Message: "invalid path part"}
}

// checkPlace applies the path-part rules to part placed under parent,
// ignoring self (the resource being moved or renamed).
func (t *tree) checkPlace(parent *certgate.Resource, part, self string) error {
	if !ValidPathPart(part) {
		return pathPartError(ReasonPathPartChars, part)
	}
	if isGreedy(parent.PathPart) {
		return pathPartError(ReasonGreedyParent, parent.PathPart)
	}
	for _, r := range t.list {
		if r.ParentID != parent.ID || r.ID == self {
			continue
		}
		if r.PathPart == part {
			return pathPartError(ReasonDuplicatePathPart, part)
		}
		if isVariable(part) && isVariable(r.PathPart) {
			return pathPartError(ReasonVariableSibling, r.PathPart)
		}
	}
	return nil
}

// ListResources returns a page of the API's resources with their paths.
func (s *Service) ListResources(ctx context.Context, scope certgate.Scope, apiID, position string, limit int) (Page[Resource], error) {
	t, err := s.readTree(ctx, scope, apiID)
	if err != nil {
		return Page[Resource]{}, err
	}
	views := make([]Resource, len(t.list))
	for i, r := range t.list {
		views[i] = t.view(r)
	}
	return paginate(views, func(r Resource) string { return r.ID }, position, limit)
}

// GetResource returns one resource with its path.
func (s *Service) GetResource(ctx context.Context, scope certgate.Scope, apiID, id string) (Resource, error) {
	t, err := s.readTree(ctx, scope, apiID)
	if err != nil {
		return Resource{}, err
	}
	r := t.byID[id]
	if r == nil {
		return Resource{}, resourceNotFound()
	}
	return t.view(r), nil
}

// CreateResource adds a resource under parentID.
func (s *Service) CreateResource(ctx context.Context, scope certgate.Scope, apiID, parentID, pathPart string) (Resource, error) {
	var out Resource
	id, err := s.newID()
	if err != nil {
		return out, err
	}
	err = retry(func() error {
		t, err := s.readTree(ctx, scope, apiID)
		if err != nil {
			return err
		}
		parent := t.byID[parentID]
		if parent == nil {
			return resourceNotFound()
		}
		if err := t.checkPlace(parent, pathPart, ""); err != nil {
			return err
		}
		r := &certgate.Resource{ID: id, Scope: scope, APIID: apiID, ParentID: parentID, PathPart: pathPart, CreatedAt: s.now().UTC()}
		if err := s.st.CreateResource(ctx, r, t.version, s.cfg.ResourceQuota); err != nil {
			return s.resourceWriteError(err, scope, apiID)
		}
		t.list = append(t.list, r)
		t.byID[r.ID] = r
		out = t.view(r)
		return nil
	})
	return out, err
}

func (s *Service) resourceWriteError(err error, scope certgate.Scope, apiID string) error {
	e := certgate.AsError(err)
	switch {
	case e == nil:
		return err
	case e.Code == certgate.ELimitExceeded:
		return &certgate.Error{Code: certgate.ELimitExceeded, Reason: ReasonResourceQuota, Limit: s.cfg.ResourceQuota, Message: e.Message}
	case e.Code == certgate.ENotFound && e.Reason == store.ReasonNoRestAPI:
		return apiNotFound(scope, apiID)
	case e.Code == certgate.ENotFound:
		return resourceNotFound()
	}
	return err
}

// UpdateResource moves (parentID) or renames (pathPart) a resource; nil
// leaves a field as it is.
func (s *Service) UpdateResource(ctx context.Context, scope certgate.Scope, apiID, id string, parentID, pathPart *string) (Resource, error) {
	var out Resource
	err := retry(func() error {
		t, err := s.readTree(ctx, scope, apiID)
		if err != nil {
			return err
		}
		cur := t.byID[id]
		if cur == nil {
			return resourceNotFound()
		}
		next := *cur
		if parentID != nil {
			next.ParentID = *parentID
		}
		if pathPart != nil {
			next.PathPart = *pathPart
		}
		if cur.ParentID == "" {
			if next == *cur {
				out = t.view(cur)
				return nil
			}
			return &certgate.Error{Code: certgate.EInvalid, Reason: ReasonRootResource, Message: "the root resource cannot be changed"}
		}
		parent := t.byID[next.ParentID]
		if parent == nil {
			return resourceNotFound()
		}
		for p := parent; p != nil && p.ParentID != ""; p = t.byID[p.ParentID] {
			if p.ID == id {
				return &certgate.Error{Code: certgate.EInvalid, Reason: ReasonOwnSubtree, Message: "a resource cannot move under itself"}
			}
		}
		if err := t.checkPlace(parent, next.PathPart, id); err != nil {
			return err
		}
		// A greedy variable has no children: renaming a resource with
		// children to one is refused as creating a child under it is.
		if isGreedy(next.PathPart) && !isGreedy(cur.PathPart) {
			for _, r := range t.list {
				if r.ParentID == id {
					return pathPartError(ReasonGreedyParent, next.PathPart)
				}
			}
		}
		if err := s.st.UpdateResource(ctx, &next, t.version); err != nil {
			return s.resourceWriteError(err, scope, apiID)
		}
		*cur = next
		out = t.view(cur)
		return nil
	})
	return out, err
}

// DeleteResource removes a resource with its subtree and their methods.
func (s *Service) DeleteResource(ctx context.Context, scope certgate.Scope, apiID, id string) error {
	return retry(func() error {
		t, err := s.readTree(ctx, scope, apiID)
		if err != nil {
			return err
		}
		r := t.byID[id]
		if r == nil {
			return resourceNotFound()
		}
		if r.ParentID == "" {
			return &certgate.Error{Code: certgate.EInvalid, Reason: ReasonRootResource, Message: "the root resource cannot be deleted"}
		}
		if err := s.st.DeleteResource(ctx, scope, apiID, id, t.version); err != nil {
			return s.resourceWriteError(err, scope, apiID)
		}
		return nil
	})
}
