package sqlstore

import (
	"context"
	"fmt"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
	"github.com/certgate/certgate/store/internal/rowcodec"
)

const groupColumns = "id, account_id, instance_id, name, remark, created_at, updated_at, version, sl_domain_access"

// groupKey pins a group to its account and instance in every statement.
const groupKey = "id = ? AND account_id = ? AND instance_id = ?"

// CreateGroup inserts g after checking, in the same transaction, that its
// instance is the account's.
func (a *Accessor) CreateGroup(ctx context.Context, g *certgate.APIGroup) error {
	if g == nil || g.ID == "" || g.AccountID == "" || g.InstanceID == "" {
		return certgate.Errorf(certgate.EInvalid, "group id, account and instance are required")
	}
	if !store.IsText(g.ID, g.AccountID, g.InstanceID, g.Name, g.Remark) {
		return store.BadText("api group")
	}
	err := a.write(ctx, "create api group", func(tx Tx) error {
		// The shared lock orders this insert against DeleteAccount, which
		// deletes the instance row: either the delete waits (and removes
		// this group), or this insert finds no instance.
		var one int
		err := tx.QueryRow(ctx, "SELECT 1 FROM instances WHERE id = ? AND account_id = ?"+a.d.ForShare(),
			g.InstanceID, g.AccountID).Scan(&one)
		if noRows(err) {
			return &certgate.Error{Code: certgate.ENotFound, Reason: store.ReasonNoInstance, Message: "instance not found"}
		}
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, "INSERT INTO api_groups ("+groupColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
			g.ID, g.AccountID, g.InstanceID, g.Name, g.Remark,
			rowcodec.Micros(g.CreatedAt), rowcodec.Micros(g.UpdatedAt), int64(1), b2i(g.SLDomainAccess))
		if err != nil {
			return a.groupConflict(err)
		}
		return bumpRevision(ctx, tx)
	})
	if err != nil {
		return err
	}
	g.Version = 1
	return nil
}

func (a *Accessor) groupConflict(err error) error {
	return a.uniqueConflict(err, []violation{
		{"api_groups.name", "duplicate_name", "an API group with this name already exists in the instance"},
		{"api_groups.id", "duplicate_id", "an API group with this id already exists"},
	})
}

// GetGroup returns one group of the account's instance.
func (a *Accessor) GetGroup(ctx context.Context, accountID, instanceID, id string) (*certgate.APIGroup, error) {
	if !store.IsText(accountID, instanceID, id) {
		return nil, groupNotFound()
	}
	var g *certgate.APIGroup
	err := a.read(ctx, "get api group", func(q Querier) error {
		var err error
		g, err = scanGroup(q.QueryRow(ctx, "SELECT "+groupColumns+" FROM api_groups WHERE "+groupKey,
			id, accountID, instanceID))
		if noRows(err) {
			return groupNotFound()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

// ListGroups returns the groups of the account's instance.
func (a *Accessor) ListGroups(ctx context.Context, accountID, instanceID string) ([]*certgate.APIGroup, error) {
	if !store.IsText(accountID, instanceID) {
		return nil, nil
	}
	var out []*certgate.APIGroup
	err := a.read(ctx, "list api groups", func(q Querier) error {
		out = out[:0]
		return each(ctx, q, func(s rowcodec.Scanner) error {
			g, err := scanGroup(s)
			if err == nil {
				out = append(out, g)
			}
			return err
		}, ListGroupsSQL,
			accountID, instanceID)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// UpdateGroup replaces a group's name, remark and debugging-domain switch if its version still
// matches.
func (a *Accessor) UpdateGroup(ctx context.Context, g *certgate.APIGroup) error {
	if g == nil || !store.IsText(g.ID, g.AccountID, g.InstanceID) {
		return groupNotFound()
	}
	if !store.IsText(g.Name, g.Remark) {
		return store.BadText("api group")
	}
	err := a.write(ctx, "update api group", func(tx Tx) error {
		n, err := tx.Exec(ctx, "UPDATE api_groups SET name = ?, remark = ?, sl_domain_access = ?, updated_at = ?, version = version + 1 WHERE "+
			groupKey+" AND version = ?",
			g.Name, g.Remark, b2i(g.SLDomainAccess), rowcodec.Micros(g.UpdatedAt), g.ID, g.AccountID, g.InstanceID, g.Version)
		if err != nil {
			return a.groupConflict(err)
		}
		if n == 1 {
			return bumpRevision(ctx, tx)
		}
		var v int64
		err = tx.QueryRow(ctx, "SELECT version FROM api_groups WHERE "+groupKey, g.ID, g.AccountID, g.InstanceID).Scan(&v)
		if noRows(err) {
			return groupNotFound()
		}
		if err != nil {
			return err
		}
		return &certgate.Error{Code: certgate.EConflict, Reason: "version", Message: "API group was modified concurrently"}
	})
	if err != nil {
		return err
	}
	g.Version++
	return nil
}

// DeleteGroup removes one group.
func (a *Accessor) DeleteGroup(ctx context.Context, accountID, instanceID, id string) error {
	if !store.IsText(accountID, instanceID, id) {
		return groupNotFound()
	}
	return a.write(ctx, "delete api group", func(tx Tx) error {
		// The account's binding lock first, as ChangeBindings takes it:
		// one lock order (account, group, domains, certificates) for every
		// writer of domains, so that a binding change locking the group's
		// domains in another order cannot deadlock with this delete.
		if err := a.bindingLock(ctx, tx, accountID); err != nil {
			return err
		}
		// Then the group's: a domain create in flight holds it, and its
		// domain must be deleted below, not left behind.
		var one int
		err := tx.QueryRow(ctx, "SELECT 1 FROM api_groups WHERE "+groupKey+a.d.ForUpdate(), id, accountID, instanceID).Scan(&one)
		if noRows(err) {
			return groupNotFound()
		}
		if err != nil {
			return err
		}
		// CreateAPI holds the group FOR SHARE: its API is counted here.
		if n, err := countGroupAPIs(ctx, tx, id); err != nil {
			return err
		} else if n > 0 {
			return &certgate.Error{Code: certgate.EConflict, Reason: store.ReasonGroupHasAPIs, Got: int(n),
				Message: fmt.Sprintf("the API group still holds %d API(s)", n)}
		}
		// An API moved out while published is still served from here.
		var served int64
		if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM api_publications p JOIN api_versions v ON v.id = p.version_id WHERE v.group_id = ?", id).Scan(&served); err != nil {
			return err
		} else if served > 0 {
			return &certgate.Error{Code: certgate.EConflict, Reason: store.ReasonGroupHasAPIs, Got: int(served),
				Message: fmt.Sprintf("the API group still serves %d published API version(s)", served)}
		}
		// And its domains' locks, which binders hold.
		if lock := a.d.ForUpdate(); lock != "" {
			if err := each(ctx, tx, func(rowcodec.Scanner) error { return nil }, "SELECT id FROM domains WHERE group_id = ?"+lock, id); err != nil {
				return err
			}
		}
		for _, q := range []string{
			"DELETE FROM domain_certificates WHERE group_id = ?",
			"DELETE FROM domains WHERE group_id = ?",
		} {
			if _, err := tx.Exec(ctx, q, id); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, "DELETE FROM api_groups WHERE "+groupKey, id, accountID, instanceID); err != nil {
			return err
		}
		return bumpRevision(ctx, tx)
	})
}

func scanGroup(s rowcodec.Scanner) (*certgate.APIGroup, error) {
	var g certgate.APIGroup
	var created, updated, access int64
	if err := s.Scan(&g.ID, &g.AccountID, &g.InstanceID, &g.Name, &g.Remark, &created, &updated, &g.Version, &access); err != nil {
		return nil, err
	}
	g.SLDomainAccess = access != 0
	g.CreatedAt, g.UpdatedAt = rowcodec.FromMicros(created), rowcodec.FromMicros(updated)
	return &g, nil
}

func groupNotFound() error { return certgate.Errorf(certgate.ENotFound, "API group not found") }
