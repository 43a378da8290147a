package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
	"github.com/certgate/certgate/store/internal/rowcodec"
)

const versionColumns = "v.id, v.publish_id, v.account_id, v.instance_id, v.api_id, v.env_id, v.remark, " +
	"v.group_id, v.name, v.method, v.path, v.route, v.match_mode, v.spec, v.api_created, v.api_updated, v.api_version, " +
	"v.published_at, p.version_id"

// versionFrom joins each version to its API's publication in the
// version's environment, which says whether it is current.
const versionFrom = " FROM api_versions v LEFT JOIN api_publications p ON p.api_id = v.api_id AND p.env_id = v.env_id"

// Publish records a new version of an API in an environment and makes it
// current there.
func (a *Accessor) Publish(ctx context.Context, v *certgate.APIVersion, keep int) error {
	if v == nil || v.ID == "" || v.PublishID == "" || v.AccountID == "" || v.InstanceID == "" || v.APIID == "" || v.EnvID == "" {
		return certgate.Errorf(certgate.EInvalid, "version, publish, account, instance, API and environment ids are required")
	}
	if !store.IsText(v.AccountID, v.InstanceID, v.APIID, v.EnvID) {
		return apiNotFound()
	}
	if !store.IsText(v.ID, v.PublishID, v.Remark) {
		return store.BadText("api version")
	}
	var snap *certgate.API
	err := a.write(ctx, "publish api", func(tx Tx) error {
		// The API's lock first, as every write on an API takes it: two
		// publishes of one API run one after the other.
		if err := a.lockAPI(ctx, tx, v.AccountID, v.InstanceID, v.APIID); err != nil {
			return err
		}
		if err := a.lockEnvShared(ctx, tx, v.AccountID, v.InstanceID, v.EnvID); err != nil {
			return err
		}
		var err error
		snap, err = scanAPI(tx.QueryRow(ctx, "SELECT "+apiColumns+" FROM apis WHERE id = ?", v.APIID))
		if err != nil {
			return err
		}
		// The copy is made by the database from the row it holds locked,
		// so the version is exactly what was stored when it was published.
		_, err = tx.Exec(ctx, "INSERT INTO api_versions (id, publish_id, account_id, instance_id, api_id, env_id, remark, "+
			"group_id, name, method, path, route, match_mode, spec, api_created, api_updated, api_version, published_at) "+
			"SELECT ?, ?, account_id, instance_id, id, ?, ?, group_id, name, method, path, route, match_mode, spec, "+
			"created_at, updated_at, version, ? FROM apis WHERE id = ?",
			v.ID, v.PublishID, v.EnvID, v.Remark, rowcodec.Micros(v.PublishedAt), v.APIID)
		if err != nil {
			return a.uniqueConflict(err, []violation{{"api_versions.id", "duplicate_id", "an API version with this id already exists"}})
		}
		_, err = tx.Exec(ctx, "INSERT INTO api_publications (api_id, env_id, account_id, instance_id, version_id) VALUES (?, ?, ?, ?, ?) "+
			"ON CONFLICT (api_id, env_id) DO UPDATE SET version_id = excluded.version_id",
			v.APIID, v.EnvID, v.AccountID, v.InstanceID, v.ID)
		if err != nil {
			return err
		}
		if keep > 0 {
			_, err = tx.Exec(ctx, "DELETE FROM api_versions WHERE api_id = ? AND env_id = ? AND id <> ? AND id NOT IN "+
				"(SELECT id FROM api_versions WHERE api_id = ? AND env_id = ? ORDER BY published_at DESC, id DESC LIMIT ?)",
				v.APIID, v.EnvID, v.ID, v.APIID, v.EnvID, keep)
			if err != nil {
				return err
			}
		}
		return bumpRevision(ctx, tx)
	})
	if err != nil {
		return err
	}
	v.API = *snap
	v.Current = true
	return nil
}

// lockEnvShared checks that envID is RELEASE or an environment of the
// account's instance, holding its row against DeleteEnvironment.
func (a *Accessor) lockEnvShared(ctx context.Context, tx Tx, accountID, instanceID, envID string) error {
	if envID == certgate.ReleaseEnvironmentID {
		return nil
	}
	var one int
	err := tx.QueryRow(ctx, "SELECT 1 FROM environments WHERE "+envKey+a.d.ForShare(), envID, accountID, instanceID).Scan(&one)
	if noRows(err) {
		return envNotFound()
	}
	return err
}

// Unpublish takes an API off an environment.
func (a *Accessor) Unpublish(ctx context.Context, accountID, instanceID, apiID, envID string) (*certgate.APIVersion, error) {
	if !store.IsText(accountID, instanceID, apiID) {
		return nil, apiNotFound()
	}
	if !store.IsText(envID) {
		return nil, noPublication()
	}
	var out *certgate.APIVersion
	err := a.write(ctx, "unpublish api", func(tx Tx) error {
		if err := a.lockAPI(ctx, tx, accountID, instanceID, apiID); err != nil {
			return err
		}
		var err error
		out, err = scanVersion(tx.QueryRow(ctx, "SELECT "+versionColumns+" FROM api_publications p "+
			"JOIN api_versions v ON v.id = p.version_id WHERE p.api_id = ? AND p.env_id = ?", apiID, envID))
		if noRows(err) {
			return noPublication()
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM api_publications WHERE api_id = ? AND env_id = ?", apiID, envID); err != nil {
			return err
		}
		return bumpRevision(ctx, tx)
	})
	if err != nil {
		return nil, err
	}
	out.Current = false
	return out, nil
}

// ListPublications returns the current publications of an instance.
func (a *Accessor) ListPublications(ctx context.Context, accountID, instanceID string) ([]*certgate.Publication, error) {
	if !store.IsText(accountID, instanceID) {
		return nil, nil
	}
	var out []*certgate.Publication
	err := a.read(ctx, "list publications", func(q Querier) error {
		out = out[:0]
		return each(ctx, q, func(s rowcodec.Scanner) error {
			var p certgate.Publication
			var at int64
			if err := s.Scan(&p.AccountID, &p.InstanceID, &p.APIID, &p.EnvID, &p.VersionID, &p.PublishID, &p.Remark, &at); err != nil {
				return err
			}
			p.PublishedAt = rowcodec.FromMicros(at)
			out = append(out, &p)
			return nil
		}, ListPublicationsSQL,
			accountID, instanceID)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ListAPIVersions returns an API's versions, newest first.
func (a *Accessor) ListAPIVersions(ctx context.Context, accountID, instanceID, apiID string) ([]*certgate.APIVersion, error) {
	if !store.IsText(accountID, instanceID, apiID) {
		return nil, apiNotFound()
	}
	var out []*certgate.APIVersion
	err := a.read(ctx, "list api versions", func(q Querier) error {
		out = out[:0]
		var one int
		err := q.QueryRow(ctx, "SELECT 1 FROM apis WHERE "+apiKey, apiID, accountID, instanceID).Scan(&one)
		if noRows(err) {
			return apiNotFound()
		}
		if err != nil {
			return err
		}
		return each(ctx, q, func(s rowcodec.Scanner) error {
			v, err := scanVersion(s)
			if err == nil {
				out = append(out, v)
			}
			return err
		}, ListVersionsSQL,
			apiID, accountID)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func scanVersion(s rowcodec.Scanner) (*certgate.APIVersion, error) {
	var v certgate.APIVersion
	var spec string
	var current *string
	var created, updated, at int64
	if err := s.Scan(&v.ID, &v.PublishID, &v.AccountID, &v.InstanceID, &v.APIID, &v.EnvID, &v.Remark,
		&v.API.GroupID, &v.API.Name, &v.API.Method, &v.API.Path, &v.API.Route, &v.API.MatchMode, &spec,
		&created, &updated, &v.API.Version, &at, &current); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(spec), &v.API.Spec); err != nil {
		return nil, fmt.Errorf("api version %s: stored definition: %w", v.ID, err)
	}
	v.API.ID, v.API.AccountID, v.API.InstanceID = v.APIID, v.AccountID, v.InstanceID
	v.API.CreatedAt, v.API.UpdatedAt = rowcodec.FromMicros(created), rowcodec.FromMicros(updated)
	v.PublishedAt = rowcodec.FromMicros(at)
	v.Current = current != nil && *current == v.ID
	return &v, nil
}

func noPublication() error {
	return &certgate.Error{Code: certgate.ENotFound, Reason: store.ReasonNoPublication, Message: "the API is not published in the environment"}
}
