package restapi

import (
	"context"
	"maps"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/certs"
)

// tagsEdit returns the edit TagResource (keys nil) or UntagResource makes
// of a tag map, with the tag rules of client certificates.
func tagsEdit(add map[string]string, remove []string) (func(map[string]string) map[string]string, error) {
	if add == nil && len(remove) == 0 {
		return nil, &certgate.Error{Code: certgate.EInvalid, Field: "tagKeys", Reason: certs.ReasonMissing, Message: "tagKeys is required"}
	}
	return func(tags map[string]string) map[string]string {
		out := maps.Clone(tags)
		if out == nil {
			out = map[string]string{}
		}
		maps.Copy(out, add)
		for _, k := range remove {
			delete(out, k)
		}
		return out
	}, nil
}

// TagRestAPI merges tags into the API's (remove nil), or removes the keys
// remove (tags nil). The result follows the client certificates' tag rules.
func (s *Service) TagRestAPI(ctx context.Context, scope certgate.Scope, id string, tags map[string]string, remove []string) (map[string]string, error) {
	edit, err := tagsEdit(tags, remove)
	if err != nil {
		return nil, err
	}
	a, err := s.UpdateRestAPI(ctx, scope, id, func(a *certgate.RestAPI) error { a.Tags = edit(a.Tags); return nil })
	if err != nil {
		return nil, err
	}
	return a.Tags, nil
}

// TagStage is TagRestAPI for a stage.
func (s *Service) TagStage(ctx context.Context, scope certgate.Scope, apiID, name string, tags map[string]string, remove []string) (map[string]string, error) {
	edit, err := tagsEdit(tags, remove)
	if err != nil {
		return nil, err
	}
	st, err := s.UpdateStage(ctx, scope, apiID, name, func(st *certgate.Stage) error {
		st.Tags = edit(st.Tags)
		return certs.ValidateTags(st.Tags)
	})
	if err != nil {
		return nil, err
	}
	return st.Tags, nil
}
