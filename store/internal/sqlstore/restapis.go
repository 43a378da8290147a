package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
	"github.com/certgate/certgate/store/internal/rowcodec"
)

const restAPIColumns = "id, account_id, region, name, doc, created_at, version"

// restAPIKey pins a REST API to its scope in every statement.
const restAPIKey = "id = ? AND account_id = ? AND region = ?"

// resourceKey pins a resource to its API and scope.
const resourceKey = "id = ? AND api_id = ? AND account_id = ? AND region = ?"

const resourceColumns = "id, api_id, account_id, region, parent_id, path_part, created_at"

// methodKey pins a method to its resource, API and scope.
const methodKey = "resource_id = ? AND http_method = ? AND api_id = ? AND account_id = ? AND region = ?"

const methodColumns = "resource_id, http_method, api_id, account_id, region, doc, version"

// textOK reports whether every string reachable from v (fields, map keys and
// values, slice elements) is valid stored text. JSON encoding would
// otherwise replace invalid UTF-8 silently.
func textOK(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.String:
		return store.IsText(v.String())
	case reflect.Pointer, reflect.Interface:
		return v.IsNil() || textOK(v.Elem())
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() && !textOK(v.Field(i)) {
				return false
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if !textOK(v.Index(i)) {
				return false
			}
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			if !textOK(it.Key()) || !textOK(it.Value()) {
				return false
			}
		}
	}
	return true
}

// encodeDoc checks v's text and returns its stored JSON document.
func encodeDoc(field string, v any) (string, error) {
	if !textOK(reflect.ValueOf(v)) {
		return "", store.BadText(field)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

func restAPINotFound() error  { return certgate.Errorf(certgate.ENotFound, "REST API not found") }
func resourceNotFound() error { return certgate.Errorf(certgate.ENotFound, "resource not found") }
func methodNotFound() error   { return certgate.Errorf(certgate.ENotFound, "method not found") }

// CreateRestAPI inserts api with its root resource, enforcing the quota of
// its scope through the rest_api_counts row in the same transaction.
func (a *Accessor) CreateRestAPI(ctx context.Context, api *certgate.RestAPI, root *certgate.Resource, quota int) error {
	if api == nil || root == nil || api.ID == "" || root.ID == "" || api.Scope.AccountID == "" {
		return certgate.Errorf(certgate.EInvalid, "REST API id, root resource and account are required")
	}
	if !store.IsText(api.ID, api.Scope.AccountID, api.Scope.Region, api.Name, root.ID) {
		return store.BadText("rest api")
	}
	api.RootResourceID = root.ID
	doc, err := encodeDoc("rest api", api)
	if err != nil {
		return err
	}
	err = a.write(ctx, "create rest api", func(tx Tx) error {
		if err := a.refuseDeletedAccount(ctx, tx, api.Scope.AccountID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO rest_api_counts (account_id, region, n) VALUES (?, ?, 0) ON CONFLICT DO NOTHING`,
			api.Scope.AccountID, api.Scope.Region); err != nil {
			return err
		}
		// Compare-and-add on one row, as for certificates.
		n, err := tx.Exec(ctx, `UPDATE rest_api_counts SET n = n + 1
			WHERE account_id = ? AND region = ? AND (CAST(? AS BIGINT) <= 0 OR n < ?)`,
			api.Scope.AccountID, api.Scope.Region, int64(quota), int64(quota))
		if err != nil {
			return err
		}
		if n == 0 {
			return &certgate.Error{Code: certgate.ELimitExceeded, Reason: "rest_apis", Limit: quota,
				Message: fmt.Sprintf("REST API quota of %d reached", quota)}
		}
		_, err = tx.Exec(ctx, "INSERT INTO rest_apis ("+restAPIColumns+", tree_version, resources) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
			api.ID, api.Scope.AccountID, api.Scope.Region, api.Name, doc, rowcodec.Micros(api.CreatedAt), int64(1), int64(1), int64(1))
		if err != nil {
			return a.uniqueConflict(err, []violation{{"rest_apis.id", "duplicate_id", "a REST API with this id already exists"}})
		}
		_, err = tx.Exec(ctx, "INSERT INTO api_resources ("+resourceColumns+") VALUES (?, ?, ?, ?, '', '', ?)",
			root.ID, api.ID, api.Scope.AccountID, api.Scope.Region, rowcodec.Micros(api.CreatedAt))
		if err != nil {
			return a.uniqueConflict(err, []violation{{"api_resources.id", "duplicate_id", "a resource with this id already exists"}})
		}
		return nil
	})
	if err != nil {
		return err
	}
	api.Version = 1
	return nil
}

func scanRestAPI(s rowcodec.Scanner) (*certgate.RestAPI, error) {
	var api certgate.RestAPI
	var doc string
	var created int64
	if err := s.Scan(&api.ID, &api.Scope.AccountID, &api.Scope.Region, &api.Name, &doc, &created, &api.Version); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(doc), &api); err != nil {
		return nil, fmt.Errorf("rest api %s: stored document: %w", api.ID, err)
	}
	api.CreatedAt = rowcodec.FromMicros(created)
	return &api, nil
}

// GetRestAPI returns the REST API id of scope.
func (a *Accessor) GetRestAPI(ctx context.Context, scope certgate.Scope, id string) (*certgate.RestAPI, error) {
	if !store.IsText(scope.AccountID, scope.Region, id) {
		return nil, restAPINotFound()
	}
	var api *certgate.RestAPI
	err := a.read(ctx, "get rest api", func(q Querier) error {
		var err error
		api, err = scanRestAPI(q.QueryRow(ctx, "SELECT "+restAPIColumns+" FROM rest_apis WHERE "+restAPIKey, id, scope.AccountID, scope.Region))
		if noRows(err) {
			return restAPINotFound()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return api, nil
}

// ListRestAPIs returns the REST APIs of scope ordered by (CreatedAt, ID).
func (a *Accessor) ListRestAPIs(ctx context.Context, scope certgate.Scope) ([]*certgate.RestAPI, error) {
	if !store.IsText(scope.AccountID, scope.Region) {
		return nil, nil
	}
	var out []*certgate.RestAPI
	err := a.read(ctx, "list rest apis", func(q Querier) error {
		out = out[:0]
		return each(ctx, q, func(s rowcodec.Scanner) error {
			api, err := scanRestAPI(s)
			if err == nil {
				out = append(out, api)
			}
			return err
		}, ListRestAPIsSQL, scope.AccountID, scope.Region)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// UpdateRestAPI replaces the API's name and document if its version still
// matches.
func (a *Accessor) UpdateRestAPI(ctx context.Context, api *certgate.RestAPI) error {
	if api == nil || !store.IsText(api.ID, api.Scope.AccountID, api.Scope.Region) {
		return restAPINotFound()
	}
	if !store.IsText(api.Name) {
		return store.BadText("rest api")
	}
	doc, err := encodeDoc("rest api", api)
	if err != nil {
		return err
	}
	err = a.write(ctx, "update rest api", func(tx Tx) error {
		n, err := tx.Exec(ctx, "UPDATE rest_apis SET name = ?, doc = ?, version = version + 1 WHERE "+restAPIKey+" AND version = ?",
			api.Name, doc, api.ID, api.Scope.AccountID, api.Scope.Region, api.Version)
		if err != nil || n == 1 {
			return err
		}
		return a.staleOrMissing(ctx, tx, "SELECT version FROM rest_apis WHERE "+restAPIKey, restAPINotFound,
			api.ID, api.Scope.AccountID, api.Scope.Region)
	})
	if err != nil {
		return err
	}
	api.Version++
	return nil
}

// staleOrMissing tells a failed conditional update of a missing record
// (notFound) from one that lost a race (EConflict "version").
func (a *Accessor) staleOrMissing(ctx context.Context, tx Tx, query string, notFound func() error, args ...any) error {
	var v int64
	err := tx.QueryRow(ctx, query, args...).Scan(&v)
	if noRows(err) {
		return notFound()
	}
	if err != nil {
		return err
	}
	return &certgate.Error{Code: certgate.EConflict, Reason: "version", Message: "the record was modified concurrently"}
}

// DeleteRestAPI removes the API with its resources and methods and frees its
// quota slot.
func (a *Accessor) DeleteRestAPI(ctx context.Context, scope certgate.Scope, id string) error {
	if !store.IsText(scope.AccountID, scope.Region, id) {
		return restAPINotFound()
	}
	return a.write(ctx, "delete rest api", func(tx Tx) error {
		n, err := tx.Exec(ctx, "DELETE FROM rest_apis WHERE "+restAPIKey, id, scope.AccountID, scope.Region)
		if err != nil {
			return err
		}
		if n == 0 {
			return restAPINotFound()
		}
		var stages int64
		for i, q := range []string{
			"DELETE FROM api_stages WHERE api_id = ? AND account_id = ? AND region = ?",
			"DELETE FROM api_deployments WHERE api_id = ? AND account_id = ? AND region = ?",
			"DELETE FROM api_resources WHERE api_id = ? AND account_id = ? AND region = ?",
			"DELETE FROM api_methods WHERE api_id = ? AND account_id = ? AND region = ?",
		} {
			n, err := tx.Exec(ctx, q, id, scope.AccountID, scope.Region)
			if err != nil {
				return err
			}
			if i == 0 {
				stages = n
			}
		}
		_, err = tx.Exec(ctx, "UPDATE rest_api_counts SET n = n - 1 WHERE account_id = ? AND region = ? AND n > 0", scope.AccountID, scope.Region)
		if err != nil || stages == 0 {
			return err
		}
		// Its stages were served: the data plane must drop them.
		return bumpRevision(ctx, tx)
	})
}

func scanResource(s rowcodec.Scanner) (*certgate.Resource, error) {
	var r certgate.Resource
	var created int64
	if err := s.Scan(&r.ID, &r.APIID, &r.Scope.AccountID, &r.Scope.Region, &r.ParentID, &r.PathPart, &created); err != nil {
		return nil, err
	}
	r.CreatedAt = rowcodec.FromMicros(created)
	return &r, nil
}

func listResources(ctx context.Context, q Querier, scope certgate.Scope, apiID string) ([]*certgate.Resource, error) {
	var out []*certgate.Resource
	err := each(ctx, q, func(s rowcodec.Scanner) error {
		r, err := scanResource(s)
		if err == nil {
			out = append(out, r)
		}
		return err
	}, ListResourcesSQL,
		apiID, scope.AccountID, scope.Region)
	return out, err
}

// ListResources returns the API's whole tree and its tree version.
func (a *Accessor) ListResources(ctx context.Context, scope certgate.Scope, apiID string) ([]*certgate.Resource, int64, error) {
	if !store.IsText(scope.AccountID, scope.Region, apiID) {
		return nil, 0, restAPINotFound()
	}
	var out []*certgate.Resource
	var tree int64
	err := a.read(ctx, "list resources", func(q Querier) error {
		// One statement pins the version to the rows: the resources are
		// read in the same snapshot (SQLite reads run in one
		// transaction per statement, so read the version, the rows, and
		// the version again).
		for {
			var before, after int64
			err := q.QueryRow(ctx, "SELECT tree_version FROM rest_apis WHERE "+restAPIKey, apiID, scope.AccountID, scope.Region).Scan(&before)
			if noRows(err) {
				return restAPINotFound()
			}
			if err != nil {
				return err
			}
			rs, err := listResources(ctx, q, scope, apiID)
			if err != nil {
				return err
			}
			err = q.QueryRow(ctx, "SELECT tree_version FROM rest_apis WHERE "+restAPIKey, apiID, scope.AccountID, scope.Region).Scan(&after)
			if noRows(err) {
				return restAPINotFound()
			}
			if err != nil {
				return err
			}
			if before == after {
				out, tree = rs, before
				return nil
			}
			if err := ctx.Err(); err != nil {
				return err
			}
		}
	})
	if err != nil {
		return nil, 0, err
	}
	return out, tree, nil
}

// moveTree takes the next tree version of the API if it is still tree,
// changing the resource count by delta within quota.
func (a *Accessor) moveTree(ctx context.Context, tx Tx, scope certgate.Scope, apiID string, tree int64, delta, quota int) error {
	n, err := tx.Exec(ctx, "UPDATE rest_apis SET tree_version = tree_version + 1, resources = resources + ? WHERE "+restAPIKey+
		" AND tree_version = ? AND (CAST(? AS BIGINT) <= 0 OR resources + ? <= ?)",
		int64(delta), apiID, scope.AccountID, scope.Region, tree, int64(quota), int64(delta), int64(quota))
	if err != nil || n == 1 {
		return err
	}
	var v, count int64
	err = tx.QueryRow(ctx, "SELECT tree_version, resources FROM rest_apis WHERE "+restAPIKey, apiID, scope.AccountID, scope.Region).Scan(&v, &count)
	if noRows(err) {
		return &certgate.Error{Code: certgate.ENotFound, Reason: store.ReasonNoRestAPI, Message: "REST API not found"}
	}
	if err != nil {
		return err
	}
	if v != tree {
		return &certgate.Error{Code: certgate.EConflict, Reason: "version", Message: "the resource tree was modified concurrently"}
	}
	return &certgate.Error{Code: certgate.ELimitExceeded, Reason: "resources", Limit: quota,
		Message: fmt.Sprintf("resource quota of %d reached", quota)}
}

// checkParent reports ENotFound (ReasonNoParent) unless parentID is a
// resource of the API.
func checkParent(ctx context.Context, tx Tx, scope certgate.Scope, apiID, parentID string) error {
	var one int
	err := tx.QueryRow(ctx, "SELECT 1 FROM api_resources WHERE "+resourceKey, parentID, apiID, scope.AccountID, scope.Region).Scan(&one)
	if noRows(err) {
		return &certgate.Error{Code: certgate.ENotFound, Reason: store.ReasonNoParent, Message: "parent resource not found"}
	}
	return err
}

// CreateResource inserts r if the API's tree is still at version tree.
func (a *Accessor) CreateResource(ctx context.Context, r *certgate.Resource, tree int64, quota int) error {
	if r == nil || r.ID == "" || r.ParentID == "" {
		return certgate.Errorf(certgate.EInvalid, "resource id and parent are required")
	}
	if !store.IsText(r.ID, r.APIID, r.Scope.AccountID, r.Scope.Region, r.ParentID) {
		return &certgate.Error{Code: certgate.ENotFound, Reason: store.ReasonNoRestAPI, Message: "REST API not found"}
	}
	if !store.IsText(r.PathPart) {
		return store.BadText("path part")
	}
	return a.write(ctx, "create resource", func(tx Tx) error {
		if err := a.moveTree(ctx, tx, r.Scope, r.APIID, tree, 1, quota); err != nil {
			return err
		}
		if err := checkParent(ctx, tx, r.Scope, r.APIID, r.ParentID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "INSERT INTO api_resources ("+resourceColumns+") VALUES (?, ?, ?, ?, ?, ?, ?)",
			r.ID, r.APIID, r.Scope.AccountID, r.Scope.Region, r.ParentID, r.PathPart, rowcodec.Micros(r.CreatedAt))
		if err != nil {
			return a.uniqueConflict(err, []violation{{"api_resources.id", "duplicate_id", "a resource with this id already exists"}})
		}
		return nil
	})
}

// UpdateResource replaces ParentID and PathPart of r if the tree is still at
// version tree.
func (a *Accessor) UpdateResource(ctx context.Context, r *certgate.Resource, tree int64) error {
	if r == nil || !store.IsText(r.ID, r.APIID, r.Scope.AccountID, r.Scope.Region, r.ParentID) {
		return resourceNotFound()
	}
	if !store.IsText(r.PathPart) {
		return store.BadText("path part")
	}
	return a.write(ctx, "update resource", func(tx Tx) error {
		if err := a.moveTree(ctx, tx, r.Scope, r.APIID, tree, 0, 0); err != nil {
			return err
		}
		if err := checkParent(ctx, tx, r.Scope, r.APIID, r.ParentID); err != nil {
			return err
		}
		n, err := tx.Exec(ctx, "UPDATE api_resources SET parent_id = ?, path_part = ? WHERE "+resourceKey,
			r.ParentID, r.PathPart, r.ID, r.APIID, r.Scope.AccountID, r.Scope.Region)
		if err == nil && n == 0 {
			return resourceNotFound()
		}
		return err
	})
}

// DeleteResource removes the resource, its subtree and their methods if the
// tree is still at version tree.
func (a *Accessor) DeleteResource(ctx context.Context, scope certgate.Scope, apiID, id string, tree int64) error {
	if !store.IsText(scope.AccountID, scope.Region, apiID, id) {
		return resourceNotFound()
	}
	return a.write(ctx, "delete resource", func(tx Tx) error {
		rs, err := listResources(ctx, tx, scope, apiID)
		if err != nil {
			return err
		}
		gone := map[string]bool{}
		for _, r := range rs {
			if r.ID == id {
				gone[id] = true
			}
		}
		if !gone[id] {
			return resourceNotFound()
		}
		// The closure under "child of": repeat until nothing is added.
		for grew := true; grew; {
			grew = false
			for _, r := range rs {
				if !gone[r.ID] && gone[r.ParentID] {
					gone[r.ID], grew = true, true
				}
			}
		}
		if err := a.moveTree(ctx, tx, scope, apiID, tree, -len(gone), 0); err != nil {
			return err
		}
		// Resources first: a method create in flight holds its resource's
		// row, and its method must be deleted below, not left behind.
		for rid := range gone {
			if _, err := tx.Exec(ctx, "DELETE FROM api_resources WHERE "+resourceKey, rid, apiID, scope.AccountID, scope.Region); err != nil {
				return err
			}
		}
		for rid := range gone {
			if _, err := tx.Exec(ctx, "DELETE FROM api_methods WHERE resource_id = ? AND api_id = ? AND account_id = ? AND region = ?",
				rid, apiID, scope.AccountID, scope.Region); err != nil {
				return err
			}
		}
		return nil
	})
}

func scanMethod(s rowcodec.Scanner) (*certgate.Method, error) {
	var m certgate.Method
	var doc string
	if err := s.Scan(&m.ResourceID, &m.HTTPMethod, &m.APIID, &m.Scope.AccountID, &m.Scope.Region, &doc, &m.Version); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(doc), &m); err != nil {
		return nil, fmt.Errorf("method %s %s: stored document: %w", m.ResourceID, m.HTTPMethod, err)
	}
	return &m, nil
}

// CreateMethod inserts m on its resource.
func (a *Accessor) CreateMethod(ctx context.Context, m *certgate.Method) error {
	if m == nil || !store.IsText(m.ResourceID, m.APIID, m.Scope.AccountID, m.Scope.Region, m.HTTPMethod) {
		return &certgate.Error{Code: certgate.ENotFound, Reason: store.ReasonNoResource, Message: "resource not found"}
	}
	doc, err := encodeDoc("method", m)
	if err != nil {
		return err
	}
	err = a.write(ctx, "create method", func(tx Tx) error {
		// The shared lock orders this insert against DeleteResource.
		var one int
		err := tx.QueryRow(ctx, "SELECT 1 FROM api_resources WHERE "+resourceKey+a.d.ForShare(),
			m.ResourceID, m.APIID, m.Scope.AccountID, m.Scope.Region).Scan(&one)
		if noRows(err) {
			return &certgate.Error{Code: certgate.ENotFound, Reason: store.ReasonNoResource, Message: "resource not found"}
		}
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, "INSERT INTO api_methods ("+methodColumns+") VALUES (?, ?, ?, ?, ?, ?, ?)",
			m.ResourceID, m.HTTPMethod, m.APIID, m.Scope.AccountID, m.Scope.Region, doc, int64(1))
		if err != nil {
			return a.uniqueConflict(err, []violation{{"api_methods.", "duplicate_method", "the method already exists for this resource"}})
		}
		return nil
	})
	if err != nil {
		return err
	}
	m.Version = 1
	return nil
}

// GetMethod returns one method of a resource.
func (a *Accessor) GetMethod(ctx context.Context, scope certgate.Scope, apiID, resourceID, httpMethod string) (*certgate.Method, error) {
	if !store.IsText(scope.AccountID, scope.Region, apiID, resourceID, httpMethod) {
		return nil, methodNotFound()
	}
	var m *certgate.Method
	err := a.read(ctx, "get method", func(q Querier) error {
		var err error
		m, err = scanMethod(q.QueryRow(ctx, "SELECT "+methodColumns+" FROM api_methods WHERE "+methodKey,
			resourceID, httpMethod, apiID, scope.AccountID, scope.Region))
		if noRows(err) {
			return methodNotFound()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// ListMethods returns the API's methods ordered by (ResourceID, HTTPMethod).
func (a *Accessor) ListMethods(ctx context.Context, scope certgate.Scope, apiID string) ([]*certgate.Method, error) {
	if !store.IsText(scope.AccountID, scope.Region, apiID) {
		return nil, nil
	}
	var out []*certgate.Method
	err := a.read(ctx, "list methods", func(q Querier) error {
		out = out[:0]
		return each(ctx, q, func(s rowcodec.Scanner) error {
			m, err := scanMethod(s)
			if err == nil {
				out = append(out, m)
			}
			return err
		}, ListMethodsSQL,
			apiID, scope.AccountID, scope.Region)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// UpdateMethod replaces the method's document if its version still matches.
func (a *Accessor) UpdateMethod(ctx context.Context, m *certgate.Method) error {
	if m == nil || !store.IsText(m.ResourceID, m.APIID, m.Scope.AccountID, m.Scope.Region, m.HTTPMethod) {
		return methodNotFound()
	}
	doc, err := encodeDoc("method", m)
	if err != nil {
		return err
	}
	args := []any{m.ResourceID, m.HTTPMethod, m.APIID, m.Scope.AccountID, m.Scope.Region}
	err = a.write(ctx, "update method", func(tx Tx) error {
		n, err := tx.Exec(ctx, "UPDATE api_methods SET doc = ?, version = version + 1 WHERE "+methodKey+" AND version = ?",
			append(append([]any{doc}, args...), m.Version)...)
		if err != nil || n == 1 {
			return err
		}
		return a.staleOrMissing(ctx, tx, "SELECT version FROM api_methods WHERE "+methodKey, methodNotFound, args...)
	})
	if err != nil {
		return err
	}
	m.Version++
	return nil
}

// DeleteMethod removes one method.
func (a *Accessor) DeleteMethod(ctx context.Context, scope certgate.Scope, apiID, resourceID, httpMethod string) error {
	if !store.IsText(scope.AccountID, scope.Region, apiID, resourceID, httpMethod) {
		return methodNotFound()
	}
	return a.write(ctx, "delete method", func(tx Tx) error {
		n, err := tx.Exec(ctx, "DELETE FROM api_methods WHERE "+methodKey, resourceID, httpMethod, apiID, scope.AccountID, scope.Region)
		if err == nil && n == 0 {
			return methodNotFound()
		}
		return err
	})
}
