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

const apiColumns = "id, account_id, instance_id, group_id, name, method, path, route, match_mode, spec, created_at, updated_at, version"

// apiKey pins an API to its account and instance in every statement.
const apiKey = "id = ? AND account_id = ? AND instance_id = ?"

// apiText checks the text of an API the store keeps for NUL bytes and
// invalid UTF-8. The definition's strings are checked one by one: JSON
// would carry a NUL as \u0000 and silently replace invalid UTF-8.
func apiText(a *certgate.API) bool {
	return store.IsText(a.ID, a.AccountID, a.InstanceID, a.GroupID, a.Name, a.Method, a.Path, a.Route, a.MatchMode) &&
		textIn(reflect.ValueOf(a.Spec))
}

// textIn reports whether every string reachable from v is store text.
func textIn(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.String:
		return store.IsText(v.String())
	case reflect.Pointer:
		return v.IsNil() || textIn(v.Elem())
	case reflect.Slice:
		for i := range v.Len() {
			if !textIn(v.Index(i)) {
				return false
			}
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if !textIn(v.Field(i)) {
				return false
			}
		}
	}
	return true
}

func encodeSpec(s certgate.APISpec) (string, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// CreateAPI inserts a after checking, in the same transaction, that its
// group is the account's instance's.
func (a *Accessor) CreateAPI(ctx context.Context, api *certgate.API) error {
	if api == nil || api.ID == "" || api.AccountID == "" || api.InstanceID == "" || api.GroupID == "" {
		return certgate.Errorf(certgate.EInvalid, "API id, account, instance and group are required")
	}
	spec, err := encodeSpec(api.Spec)
	if err != nil {
		return err
	}
	if !apiText(api) {
		return store.BadText("api")
	}
	err = a.write(ctx, "create api", func(tx Tx) error {
		if err := a.lockGroupShared(ctx, tx, api.AccountID, api.InstanceID, api.GroupID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "INSERT INTO apis ("+apiColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			api.ID, api.AccountID, api.InstanceID, api.GroupID, api.Name, api.Method, api.Path, api.Route, api.MatchMode,
			spec, rowcodec.Micros(api.CreatedAt), rowcodec.Micros(api.UpdatedAt), int64(1))
		return a.apiConflict(err)
	})
	if err != nil {
		return err
	}
	api.Version = 1
	return nil
}

// lockGroupShared checks that the group is the account's instance's and
// holds its row against DeleteGroup until tx ends.
func (a *Accessor) lockGroupShared(ctx context.Context, tx Tx, accountID, instanceID, groupID string) error {
	var one int
	err := tx.QueryRow(ctx, "SELECT 1 FROM api_groups WHERE "+groupKey+a.d.ForShare(), groupID, accountID, instanceID).Scan(&one)
	if noRows(err) {
		return &certgate.Error{Code: certgate.ENotFound, Reason: store.ReasonNoGroup, Message: "API group not found"}
	}
	return err
}

func (a *Accessor) apiConflict(err error) error {
	if err == nil {
		return nil
	}
	return a.uniqueConflict(err, []violation{
		{"apis.name", "duplicate_name", "an API with this name already exists in the group"},
		{"apis.route", "duplicate_route", "an API with this method and path already exists in the group"},
		{"apis.id", "duplicate_id", "an API with this id already exists"},
	})
}

// GetAPI returns one API of the account's instance.
func (a *Accessor) GetAPI(ctx context.Context, accountID, instanceID, id string) (*certgate.API, error) {
	if !store.IsText(accountID, instanceID, id) {
		return nil, apiNotFound()
	}
	var out *certgate.API
	err := a.read(ctx, "get api", func(q Querier) error {
		var err error
		out, err = scanAPI(q.QueryRow(ctx, "SELECT "+apiColumns+" FROM apis WHERE "+apiKey, id, accountID, instanceID))
		if noRows(err) {
			return apiNotFound()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ListAPIs returns the APIs of the account's instance.
func (a *Accessor) ListAPIs(ctx context.Context, accountID, instanceID string) ([]*certgate.API, error) {
	if !store.IsText(accountID, instanceID) {
		return nil, nil
	}
	var out []*certgate.API
	err := a.read(ctx, "list apis", func(q Querier) error {
		out = out[:0]
		return each(ctx, q, func(s rowcodec.Scanner) error {
			v, err := scanAPI(s)
			if err == nil {
				out = append(out, v)
			}
			return err
		}, ListAPIsSQL,
			accountID, instanceID)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// UpdateAPI replaces an API's definition if its version still matches.
func (a *Accessor) UpdateAPI(ctx context.Context, api *certgate.API) error {
	if api == nil || !store.IsText(api.ID, api.AccountID, api.InstanceID) {
		return apiNotFound()
	}
	spec, err := encodeSpec(api.Spec)
	if err != nil {
		return err
	}
	if !apiText(api) {
		return store.BadText("api")
	}
	err = a.write(ctx, "update api", func(tx Tx) error {
		// The target group first, as CreateAPI and DeleteAccount take
		// groups before APIs (a missing API is still reported first).
		var one int
		if err := tx.QueryRow(ctx, "SELECT 1 FROM apis WHERE "+apiKey, api.ID, api.AccountID, api.InstanceID).Scan(&one); noRows(err) {
			return apiNotFound()
		} else if err != nil {
			return err
		}
		if err := a.lockGroupShared(ctx, tx, api.AccountID, api.InstanceID, api.GroupID); err != nil {
			return err
		}
		var v int64
		err := tx.QueryRow(ctx, "SELECT version FROM apis WHERE "+apiKey+a.d.ForUpdate(), api.ID, api.AccountID, api.InstanceID).Scan(&v)
		if noRows(err) {
			return apiNotFound()
		}
		if err != nil {
			return err
		}
		if v != api.Version {
			return &certgate.Error{Code: certgate.EConflict, Reason: "version", Message: "API was modified concurrently"}
		}
		_, err = tx.Exec(ctx, "UPDATE apis SET group_id = ?, name = ?, method = ?, path = ?, route = ?, match_mode = ?, spec = ?, "+
			"updated_at = ?, version = version + 1 WHERE "+apiKey,
			api.GroupID, api.Name, api.Method, api.Path, api.Route, api.MatchMode, spec, rowcodec.Micros(api.UpdatedAt),
			api.ID, api.AccountID, api.InstanceID)
		return a.apiConflict(err)
	})
	if err != nil {
		return err
	}
	api.Version++
	return nil
}

// DeleteAPI removes an unpublished API and its versions.
func (a *Accessor) DeleteAPI(ctx context.Context, accountID, instanceID, id string) error {
	if !store.IsText(accountID, instanceID, id) {
		return apiNotFound()
	}
	return a.write(ctx, "delete api", func(tx Tx) error {
		if err := a.lockAPI(ctx, tx, accountID, instanceID, id); err != nil {
			return err
		}
		var n int64
		if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM api_publications WHERE api_id = ?", id).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return &certgate.Error{Code: certgate.EConflict, Reason: store.ReasonAPIPublished, Got: int(n),
				Message: fmt.Sprintf("the API is published in %d environment(s)", n)}
		}
		for _, q := range []string{"DELETE FROM api_versions WHERE api_id = ?", "DELETE FROM apis WHERE id = ?"} {
			if _, err := tx.Exec(ctx, q, id); err != nil {
				return err
			}
		}
		return nil
	})
}

// lockAPI takes the API's row lock for the rest of tx: every write on an
// API (update, delete, publish, unpublish) holds it, so they run one at a
// time.
func (a *Accessor) lockAPI(ctx context.Context, tx Tx, accountID, instanceID, id string) error {
	var one int
	err := tx.QueryRow(ctx, "SELECT 1 FROM apis WHERE "+apiKey+a.d.ForUpdate(), id, accountID, instanceID).Scan(&one)
	if noRows(err) {
		return apiNotFound()
	}
	return err
}

// countGroupAPIs counts the APIs of a group, in q.
func countGroupAPIs(ctx context.Context, q Querier, groupID string) (int64, error) {
	var n int64
	err := q.QueryRow(ctx, CountGroupAPIsSQL, groupID).Scan(&n)
	return n, err
}

// CountGroupAPIs returns how many APIs the group holds.
func (a *Accessor) CountGroupAPIs(ctx context.Context, accountID, instanceID, id string) (int64, error) {
	if _, err := a.GetGroup(ctx, accountID, instanceID, id); err != nil {
		return 0, err
	}
	var n int64
	err := a.read(ctx, "count group apis", func(q Querier) error {
		var err error
		n, err = countGroupAPIs(ctx, q, id)
		return err
	})
	return n, err
}

func scanAPI(s rowcodec.Scanner) (*certgate.API, error) {
	var v certgate.API
	var spec string
	var created, updated int64
	if err := s.Scan(&v.ID, &v.AccountID, &v.InstanceID, &v.GroupID, &v.Name, &v.Method, &v.Path, &v.Route, &v.MatchMode,
		&spec, &created, &updated, &v.Version); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(spec), &v.Spec); err != nil {
		return nil, fmt.Errorf("api %s: stored definition: %w", v.ID, err)
	}
	v.CreatedAt, v.UpdatedAt = rowcodec.FromMicros(created), rowcodec.FromMicros(updated)
	return &v, nil
}

func apiNotFound() error {
	return &certgate.Error{Code: certgate.ENotFound, Reason: store.ReasonNoAPI, Message: "API not found"}
}
