package sqlstore

import (
	"context"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
	"github.com/certgate/certgate/store/internal/rowcodec"
)

const instanceColumns = "id, account_id, name, created_at"

// CreateInstance inserts in, refusing a deleted account as certificates do.
func (a *Accessor) CreateInstance(ctx context.Context, in *certgate.Instance) error {
	if err := checkInstance(in); err != nil {
		return err
	}
	return a.write(ctx, "create instance", func(tx Tx) error {
		if err := a.refuseDeletedAccount(ctx, tx, in.AccountID); err != nil {
			return err
		}
		return a.insertInstance(ctx, tx, in)
	})
}

func checkInstance(in *certgate.Instance) error {
	if in == nil || in.ID == "" || in.AccountID == "" {
		return certgate.Errorf(certgate.EInvalid, "instance id and account are required")
	}
	if !store.IsText(in.ID, in.AccountID, in.Name) {
		return store.BadText("instance")
	}
	return nil
}

// insertInstance inserts in and moves the configuration revision: the
// instance is a new place the data plane serves from.
func (a *Accessor) insertInstance(ctx context.Context, tx Tx, in *certgate.Instance) error {
	_, err := tx.Exec(ctx, "INSERT INTO instances ("+instanceColumns+") VALUES (?, ?, ?, ?)",
		in.ID, in.AccountID, in.Name, rowcodec.Micros(in.CreatedAt))
	if err != nil {
		return a.uniqueConflict(err, []violation{
			{"instances.id", "duplicate_id", "an instance with this id already exists"},
		})
	}
	return bumpRevision(ctx, tx)
}

// GetInstance returns the instance id of accountID.
func (a *Accessor) GetInstance(ctx context.Context, accountID, id string) (*certgate.Instance, error) {
	if !store.IsText(accountID, id) {
		return nil, instanceNotFound()
	}
	var in *certgate.Instance
	err := a.read(ctx, "get instance", func(q Querier) error {
		var err error
		in, err = scanInstance(q.QueryRow(ctx,
			"SELECT "+instanceColumns+" FROM instances WHERE id = ? AND account_id = ?", id, accountID))
		if noRows(err) {
			return instanceNotFound()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return in, nil
}

// ListInstances returns the instances of accountID in (CreatedAt, ID) order.
func (a *Accessor) ListInstances(ctx context.Context, accountID string) ([]*certgate.Instance, error) {
	if !store.IsText(accountID) {
		return nil, nil
	}
	var out []*certgate.Instance
	err := a.read(ctx, "list instances", func(q Querier) error {
		out = out[:0]
		return each(ctx, q, func(s rowcodec.Scanner) error {
			in, err := scanInstance(s)
			if err == nil {
				out = append(out, in)
			}
			return err
		}, ListInstancesSQL, accountID)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func scanInstance(s rowcodec.Scanner) (*certgate.Instance, error) {
	var in certgate.Instance
	var created int64
	if err := s.Scan(&in.ID, &in.AccountID, &in.Name, &created); err != nil {
		return nil, err
	}
	in.CreatedAt = rowcodec.FromMicros(created)
	return &in, nil
}

// instanceNotFound is the answer for an instance that is absent or
// another account's alike.
func instanceNotFound() error {
	return certgate.Errorf(certgate.ENotFound, "instance not found")
}
