package sqlstore

import (
	"context"
	"fmt"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
	"github.com/certgate/certgate/store/internal/rowcodec"
)

const envColumns = "id, account_id, instance_id, name, remark, created_at, version"

const envKey = "id = ? AND account_id = ? AND instance_id = ?"

// CreateEnvironment inserts e, at most max per instance.
func (a *Accessor) CreateEnvironment(ctx context.Context, e *certgate.Environment, max int) error {
	if e == nil || e.ID == "" || e.AccountID == "" || e.InstanceID == "" {
		return certgate.Errorf(certgate.EInvalid, "environment id, account and instance are required")
	}
	if !store.IsText(e.ID, e.AccountID, e.InstanceID, e.Name, e.Remark) {
		return store.BadText("environment")
	}
	err := a.write(ctx, "create environment", func(tx Tx) error {
		// FOR UPDATE on the instance serializes the creates of one
		// instance, so that the count below cannot be passed by two.
		var one int
		err := tx.QueryRow(ctx, "SELECT 1 FROM instances WHERE id = ? AND account_id = ?"+a.d.ForUpdate(),
			e.InstanceID, e.AccountID).Scan(&one)
		if noRows(err) {
			return &certgate.Error{Code: certgate.ENotFound, Reason: store.ReasonNoInstance, Message: "instance not found"}
		}
		if err != nil {
			return err
		}
		if max > 0 {
			var n int64
			if err := tx.QueryRow(ctx, CountEnvironmentsSQL, e.InstanceID).Scan(&n); err != nil {
				return err
			}
			if n >= int64(max) {
				return &certgate.Error{Code: certgate.ELimitExceeded, Reason: "environments", Limit: max,
					Message: fmt.Sprintf("an instance can have at most %d environments", max)}
			}
		}
		_, err = tx.Exec(ctx, "INSERT INTO environments ("+envColumns+") VALUES (?, ?, ?, ?, ?, ?, ?)",
			e.ID, e.AccountID, e.InstanceID, e.Name, e.Remark, rowcodec.Micros(e.CreatedAt), int64(1))
		return a.envConflict(err)
	})
	if err != nil {
		return err
	}
	e.Version = 1
	return nil
}

func (a *Accessor) envConflict(err error) error {
	if err == nil {
		return nil
	}
	return a.uniqueConflict(err, []violation{
		{"environments.name", "duplicate_name", "an environment with this name already exists in the instance"},
		{"environments.id", "duplicate_id", "an environment with this id already exists"},
	})
}

// GetEnvironment returns one environment of the account's instance.
func (a *Accessor) GetEnvironment(ctx context.Context, accountID, instanceID, id string) (*certgate.Environment, error) {
	if !store.IsText(accountID, instanceID, id) {
		return nil, envNotFound()
	}
	var out *certgate.Environment
	err := a.read(ctx, "get environment", func(q Querier) error {
		var err error
		out, err = scanEnv(q.QueryRow(ctx, "SELECT "+envColumns+" FROM environments WHERE "+envKey, id, accountID, instanceID))
		if noRows(err) {
			return envNotFound()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ListEnvironments returns the environments of the account's instance.
func (a *Accessor) ListEnvironments(ctx context.Context, accountID, instanceID string) ([]*certgate.Environment, error) {
	if !store.IsText(accountID, instanceID) {
		return nil, nil
	}
	var out []*certgate.Environment
	err := a.read(ctx, "list environments", func(q Querier) error {
		out = out[:0]
		return each(ctx, q, func(s rowcodec.Scanner) error {
			e, err := scanEnv(s)
			if err == nil {
				out = append(out, e)
			}
			return err
		}, ListEnvironmentsSQL,
			accountID, instanceID)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// UpdateEnvironment renames an environment or changes its remark.
func (a *Accessor) UpdateEnvironment(ctx context.Context, e *certgate.Environment) error {
	if e == nil || !store.IsText(e.ID, e.AccountID, e.InstanceID) {
		return envNotFound()
	}
	if !store.IsText(e.Name, e.Remark) {
		return store.BadText("environment")
	}
	err := a.write(ctx, "update environment", func(tx Tx) error {
		n, err := tx.Exec(ctx, "UPDATE environments SET name = ?, remark = ?, version = version + 1 WHERE "+envKey+" AND version = ?",
			e.Name, e.Remark, e.ID, e.AccountID, e.InstanceID, e.Version)
		if err != nil {
			return a.envConflict(err)
		}
		if n == 1 {
			return bumpRevision(ctx, tx)
		}
		var v int64
		err = tx.QueryRow(ctx, "SELECT version FROM environments WHERE "+envKey, e.ID, e.AccountID, e.InstanceID).Scan(&v)
		if noRows(err) {
			return envNotFound()
		}
		if err != nil {
			return err
		}
		return &certgate.Error{Code: certgate.EConflict, Reason: "version", Message: "environment was modified concurrently"}
	})
	if err != nil {
		return err
	}
	e.Version++
	return nil
}

// DeleteEnvironment removes an environment no API is published in.
func (a *Accessor) DeleteEnvironment(ctx context.Context, accountID, instanceID, id string) error {
	if !store.IsText(accountID, instanceID, id) {
		return envNotFound()
	}
	return a.write(ctx, "delete environment", func(tx Tx) error {
		// FOR UPDATE waits for a Publish holding the row FOR SHARE, whose
		// publication the count then sees.
		var one int
		err := tx.QueryRow(ctx, "SELECT 1 FROM environments WHERE "+envKey+a.d.ForUpdate(), id, accountID, instanceID).Scan(&one)
		if noRows(err) {
			return envNotFound()
		}
		if err != nil {
			return err
		}
		var n int64
		if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM api_publications WHERE env_id = ?", id).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return &certgate.Error{Code: certgate.EConflict, Reason: store.ReasonEnvironmentInUse, Got: int(n),
				Message: fmt.Sprintf("%d API(s) are published in the environment", n)}
		}
		for _, q := range []string{"DELETE FROM api_versions WHERE env_id = ?", "DELETE FROM environments WHERE id = ?"} {
			if _, err := tx.Exec(ctx, q, id); err != nil {
				return err
			}
		}
		return nil
	})
}

func scanEnv(s rowcodec.Scanner) (*certgate.Environment, error) {
	var e certgate.Environment
	var created int64
	if err := s.Scan(&e.ID, &e.AccountID, &e.InstanceID, &e.Name, &e.Remark, &created, &e.Version); err != nil {
		return nil, err
	}
	e.CreatedAt = rowcodec.FromMicros(created)
	return &e, nil
}

func envNotFound() error {
	return &certgate.Error{Code: certgate.ENotFound, Reason: store.ReasonNoEnvironment, Message: "environment not found"}
}
