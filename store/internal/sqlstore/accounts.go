package sqlstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
	"github.com/certgate/certgate/store/internal/rowcodec"
)

// Accounts and access keys. Where a write decides from a count or an
// existence check, it first locks the rows it decides from (ForUpdate: the
// account row for key counts, the key rows for their tokens), so that on
// PostgreSQL, under READ COMMITTED, concurrent writers queue behind the
// lock; SQLite's BEGIN IMMEDIATE already serializes every writer.

// CreateAccount inserts an account and its first access key in one
// transaction, so a conflict on either leaves neither behind.
func (a *Accessor) CreateAccount(ctx context.Context, acc *certgate.Account, k *certgate.AccessKey, inst *certgate.Instance) error {
	if acc == nil || k == nil || acc.ID == "" || k.ID == "" {
		return certgate.Errorf(certgate.EInvalid, "account and access key are required")
	}
	if inst != nil {
		if err := checkInstance(inst); err != nil {
			return err
		}
		if inst.AccountID != acc.ID {
			return certgate.Errorf(certgate.EInvalid, "instance belongs to another account")
		}
	}
	if k.AccountID != "" && k.AccountID != acc.ID {
		return certgate.Errorf(certgate.EInvalid, "access key belongs to another account")
	}
	if !store.IsText(acc.ID, acc.ProjectID, acc.Name, k.ID, k.SealKeyID) {
		return store.BadText("account")
	}
	return a.write(ctx, "create account", func(tx Tx) error {
		_, err := tx.Exec(ctx,
			"INSERT INTO accounts (id, project_id, name, created_at) VALUES (?, ?, ?, ?)",
			acc.ID, acc.ProjectID, acc.Name, rowcodec.Micros(acc.CreatedAt))
		if err := a.accountConflict(err); err != nil {
			return err
		}
		// After the insert: on PostgreSQL an insert racing with the deletion
		// of the same id waits for that transaction on the primary key, and
		// this read (a new snapshot under READ COMMITTED) then sees its
		// tombstone.
		var deleted int
		if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM meta WHERE key = ?", store.DeletedAccountKey(acc.ID)).Scan(&deleted); err != nil {
			return err
		}
		if deleted > 0 {
			return a.conflict(store.ReasonDeletedAccount, "this account id belonged to a deleted account; account ids are never reused", nil)
		}
		if err := a.insertKey(ctx, tx, k, acc.ID); err != nil {
			return err
		}
		if inst == nil {
			return nil
		}
		return a.insertInstance(ctx, tx, inst)
	})
}

// insertKey inserts k as a key of accountID.
func (a *Accessor) insertKey(ctx context.Context, tx Tx, k *certgate.AccessKey, accountID string) error {
	secret := k.SecretSealed
	if secret == nil {
		secret = []byte{} // NOT NULL column; drivers send a nil slice as NULL
	}
	_, err := tx.Exec(ctx,
		`INSERT INTO access_keys (id, account_id, secret_sealed, seal_key_id, created_at)
		 VALUES (?, ?, ?, ?, ?)`,
		k.ID, accountID, secret, k.SealKeyID, rowcodec.Micros(k.CreatedAt))
	return a.accountConflict(err)
}

// accountConflict maps a uniqueness violation on accounts or access keys to
// EConflict, with a Reason naming what was taken.
func (a *Accessor) accountConflict(err error) error {
	return a.uniqueConflict(err, []violation{
		{"accounts.project_id", "duplicate_project", "an account with this project id already exists"},
		{"accounts.id", "duplicate_account", "an account with this id already exists"},
		{"access_keys.id", "duplicate_access_key", "an access key with this id already exists"},
	})
}

const accountColumns = "id, project_id, name, created_at"

// GetAccount returns an account by its id.
func (a *Accessor) GetAccount(ctx context.Context, id string) (*certgate.Account, error) {
	return a.getAccount(ctx, "get account", "SELECT "+accountColumns+" FROM accounts WHERE id = ?", id)
}

// GetAccountByProject returns the account that owns a Huawei project id.
func (a *Accessor) GetAccountByProject(ctx context.Context, projectID string) (*certgate.Account, error) {
	return a.getAccount(ctx, "get account by project",
		"SELECT "+accountColumns+" FROM accounts WHERE project_id = ?", projectID)
}

func (a *Accessor) getAccount(ctx context.Context, op, query string, arg string) (*certgate.Account, error) {
	if !store.IsText(arg) {
		return nil, accountNotFound()
	}
	var acc *certgate.Account
	err := a.read(ctx, op, func(q Querier) error {
		var err error
		acc, err = scanAccount(q.QueryRow(ctx, query, arg))
		if noRows(err) {
			return accountNotFound()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return acc, nil
}

func scanAccount(s rowcodec.Scanner) (*certgate.Account, error) {
	var acc certgate.Account
	var created int64
	if err := s.Scan(&acc.ID, &acc.ProjectID, &acc.Name, &created); err != nil {
		return nil, err
	}
	acc.CreatedAt = rowcodec.FromMicros(created)
	return &acc, nil
}

// CountAccounts returns the number of accounts.
func (a *Accessor) CountAccounts(ctx context.Context) (int64, error) {
	var n int64
	err := a.read(ctx, "count accounts", func(q Querier) error {
		return q.QueryRow(ctx, "SELECT COUNT(*) FROM accounts").Scan(&n)
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// ListAccounts returns every account.
func (a *Accessor) ListAccounts(ctx context.Context) ([]*certgate.Account, error) {
	var out []*certgate.Account
	err := a.read(ctx, "list accounts", func(q Querier) error {
		out = nil
		return each(ctx, q, func(s rowcodec.Scanner) error {
			acc, err := scanAccount(s)
			if err == nil {
				out = append(out, acc)
			}
			return err
		}, "SELECT "+accountColumns+" FROM accounts ORDER BY created_at, id")
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteAccount removes an account, its keys, tokens and instances, and with
// force its certificates.
func (a *Accessor) DeleteAccount(ctx context.Context, id string, force bool) error {
	if !store.IsText(id) {
		return accountNotFound()
	}
	return a.write(ctx, "delete account", func(tx Tx) error {
		// The account lock queues CreateAccessKey; the key locks queue
		// token inserts; the quota-counter locks wait for certificate
		// creates in flight, so the count below sees them.
		if err := a.lockAccount(ctx, tx, id); err != nil {
			return err
		}
		if lock := a.d.ForUpdate(); lock != "" {
			for _, q := range []string{
				"SELECT id FROM access_keys WHERE account_id = ?" + lock,
				"SELECT n FROM cert_counts WHERE account_id = ?" + lock,
				// Instance locks wait for group creates in flight (which
				// hold the instance FOR SHARE), so their groups are
				// deleted below rather than left behind.
				"SELECT id FROM instances WHERE account_id = ?" + lock,
				// Likewise group locks wait for domain creates.
				"SELECT id FROM api_groups WHERE account_id = ?" + lock,
				// With the groups held no API can be created: lock them all,
				// so that a publish in flight commits before the deletes.
				"SELECT id FROM apis WHERE account_id = ?" + lock,
				"SELECT id FROM environments WHERE account_id = ?" + lock,
				// And domain locks wait for binders.
				"SELECT id FROM domains WHERE account_id = ?" + lock,
				// REST APIs the same way: the quota counters wait for
				// creates in flight, the APIs for resource, deployment and
				// stage writes (which hold them), the resources for
				// method writes; each commits first and is deleted below.
				"SELECT n FROM rest_api_counts WHERE account_id = ?" + lock,
				"SELECT id FROM rest_apis WHERE account_id = ?" + lock,
				"SELECT id FROM api_resources WHERE account_id = ?" + lock,
			} {
				if err := each(ctx, tx, func(rowcodec.Scanner) error { return nil }, q, id); err != nil {
					return err
				}
			}
		}
		// API groups and REST APIs are configuration a user made, with
		// everything under them: they make an account not empty too.
		var held []string
		for _, c := range []struct{ table, what string }{
			{"certificates", "certificate(s)"}, {"api_groups", "API group(s)"}, {"rest_apis", "REST API(s)"},
		} {
			var n int64
			if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM "+c.table+" WHERE account_id = ?", id).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				held = append(held, fmt.Sprintf("%d %s", n, c.what))
			}
		}
		if len(held) > 0 && !force {
			return &certgate.Error{Code: certgate.EConflict, Reason: "not_empty",
				Message: "the account still holds " + strings.Join(held, " and ")}
		}
		for _, q := range []string{
			"DELETE FROM certificates WHERE account_id = ?",
			"DELETE FROM cert_counts WHERE account_id = ?",
			"DELETE FROM tokens WHERE account_id = ?",
			"DELETE FROM access_keys WHERE account_id = ?",
			"DELETE FROM api_publications WHERE account_id = ?",
			"DELETE FROM api_versions WHERE account_id = ?",
			"DELETE FROM apis WHERE account_id = ?",
			"DELETE FROM environments WHERE account_id = ?",
			"DELETE FROM domain_certificates WHERE account_id = ?",
			"DELETE FROM domains WHERE account_id = ?",
			"DELETE FROM api_groups WHERE account_id = ?",
			"DELETE FROM instances WHERE account_id = ?",
			"DELETE FROM api_stages WHERE account_id = ?",
			"DELETE FROM api_deployments WHERE account_id = ?",
			"DELETE FROM api_methods WHERE account_id = ?",
			"DELETE FROM api_resources WHERE account_id = ?",
			"DELETE FROM rest_apis WHERE account_id = ?",
			"DELETE FROM rest_api_counts WHERE account_id = ?",
			"DELETE FROM accounts WHERE id = ?",
		} {
			if _, err := tx.Exec(ctx, q, id); err != nil {
				return err
			}
		}
		// A tombstone: the id is never given to a new account, so that a
		// certificate a request still in flight created after this delete
		// can never be seen by another tenant.
		if _, err := tx.Exec(ctx, "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT DO NOTHING",
			store.DeletedAccountKey(id), strconv.FormatInt(time.Now().UnixMicro(), 10)); err != nil {
			return err
		}
		return bumpRevision(ctx, tx)
	})
}

// lockAccount takes the account's row lock for the rest of tx (where the
// dialect locks rows), or returns ENotFound.
func (a *Accessor) lockAccount(ctx context.Context, tx Tx, id string) error {
	var one int
	err := tx.QueryRow(ctx, "SELECT 1 FROM accounts WHERE id = ?"+a.d.ForUpdate(), id).Scan(&one)
	if noRows(err) {
		return accountNotFound()
	}
	return err
}

// accountExists returns ENotFound unless the account exists.
func accountExists(ctx context.Context, q Querier, id string) error {
	if !store.IsText(id) {
		return accountNotFound()
	}
	var one int
	err := q.QueryRow(ctx, "SELECT 1 FROM accounts WHERE id = ?", id).Scan(&one)
	if noRows(err) {
		return accountNotFound()
	}
	return err
}

func accountNotFound() error { return certgate.Errorf(certgate.ENotFound, "account not found") }

func keyNotFound() error { return certgate.Errorf(certgate.ENotFound, "access key not found") }

// GetAccessKey returns an access key by its id.
func (a *Accessor) GetAccessKey(ctx context.Context, id string) (*certgate.AccessKey, error) {
	if !store.IsText(id) {
		return nil, keyNotFound()
	}
	var k certgate.AccessKey
	err := a.read(ctx, "get access key", func(q Querier) error {
		var created int64
		err := q.QueryRow(ctx,
			"SELECT id, account_id, secret_sealed, seal_key_id, created_at FROM access_keys WHERE id = ?", id).
			Scan(&k.ID, &k.AccountID, &k.SecretSealed, &k.SealKeyID, &created)
		if noRows(err) {
			return keyNotFound()
		}
		k.CreatedAt = rowcodec.FromMicros(created)
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(k.SecretSealed) == 0 {
		k.SecretSealed = nil
	}
	return &k, nil
}

// GetAccessKeyAccount returns an access key with its account, in one query.
func (a *Accessor) GetAccessKeyAccount(ctx context.Context, id string) (*certgate.AccessKey, *certgate.Account, error) {
	if !store.IsText(id) {
		return nil, nil, keyNotFound()
	}
	var k certgate.AccessKey
	var acc certgate.Account
	err := a.read(ctx, "get access key and account", func(q Querier) error {
		var kCreated, aCreated int64
		err := q.QueryRow(ctx,
			"SELECT k.id, k.account_id, k.secret_sealed, k.seal_key_id, k.created_at, a.id, a.project_id, a.name, a.created_at "+
				"FROM access_keys k JOIN accounts a ON a.id = k.account_id WHERE k.id = ?", id).
			Scan(&k.ID, &k.AccountID, &k.SecretSealed, &k.SealKeyID, &kCreated, &acc.ID, &acc.ProjectID, &acc.Name, &aCreated)
		if noRows(err) {
			return keyNotFound()
		}
		k.CreatedAt, acc.CreatedAt = rowcodec.FromMicros(kCreated), rowcodec.FromMicros(aCreated)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	if len(k.SecretSealed) == 0 {
		k.SecretSealed = nil
	}
	return &k, &acc, nil
}

// CreateAccessKey adds a key to an existing account, at most max of them.
func (a *Accessor) CreateAccessKey(ctx context.Context, k *certgate.AccessKey, max int) error {
	if k == nil || k.ID == "" || k.AccountID == "" {
		return certgate.Errorf(certgate.EInvalid, "access key id and account are required")
	}
	if !store.IsText(k.ID, k.AccountID, k.SealKeyID) {
		return store.BadText("access_key")
	}
	return a.write(ctx, "create access key", func(tx Tx) error {
		if err := a.lockAccount(ctx, tx, k.AccountID); err != nil {
			return err
		}
		var n int64
		if err := tx.QueryRow(ctx, CountAccessKeysSQL, k.AccountID).Scan(&n); err != nil {
			return err
		}
		if max > 0 && n >= int64(max) {
			return &certgate.Error{Code: certgate.ELimitExceeded, Reason: "access_keys",
				Message: fmt.Sprintf("an account can have at most %d access keys", max)}
		}
		return a.insertKey(ctx, tx, k, k.AccountID)
	})
}

// ListAccessKeys returns an account's keys without their secrets.
func (a *Accessor) ListAccessKeys(ctx context.Context, accountID string) ([]*certgate.AccessKey, error) {
	var out []*certgate.AccessKey
	err := a.read(ctx, "list access keys", func(q Querier) error {
		out = nil
		if err := accountExists(ctx, q, accountID); err != nil {
			return err
		}
		return each(ctx, q, func(s rowcodec.Scanner) error {
			var k certgate.AccessKey
			var created int64
			if err := s.Scan(&k.ID, &k.AccountID, &created); err != nil {
				return err
			}
			k.CreatedAt = rowcodec.FromMicros(created)
			out = append(out, &k)
			return nil
		}, ListAccessKeysSQL, accountID)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteAccessKey removes a key of accountID and its tokens.
func (a *Accessor) DeleteAccessKey(ctx context.Context, accountID, id string) error {
	if !store.IsText(accountID, id) {
		return keyNotFound()
	}
	return a.write(ctx, "delete access key", func(tx Tx) error {
		// Lock the key first: a token insert racing with this delete then
		// waits for it and fails its foreign key check, instead of adding a
		// token between the two DELETEs.
		var one int
		err := tx.QueryRow(ctx, "SELECT 1 FROM access_keys WHERE id = ? AND account_id = ?"+a.d.ForUpdate(), id, accountID).Scan(&one)
		if noRows(err) {
			return keyNotFound()
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM tokens WHERE access_key_id = ?", id); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, "DELETE FROM access_keys WHERE id = ?", id)
		return err
	})
}

// PutMetaIfAbsent stores value under key unless the key exists, and returns
// whichever value is stored afterwards. On SQLite the insert and the read
// share one serialized write transaction; under READ COMMITTED the INSERT
// of a racing caller waits for the first one's commit and then does
// nothing, and the SELECT, a new statement, sees the committed winner.
func (a *Accessor) PutMetaIfAbsent(ctx context.Context, key, value string) (string, error) {
	var got string
	err := a.write(ctx, "put meta", func(tx Tx) error {
		if _, err := tx.Exec(ctx,
			"INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT DO NOTHING", key, value); err != nil {
			return err
		}
		return tx.QueryRow(ctx, "SELECT value FROM meta WHERE key = ?", key).Scan(&got)
	})
	if err != nil {
		return "", err
	}
	return got, nil
}

// GetMeta returns the value stored under key, or ENotFound.
func (a *Accessor) GetMeta(ctx context.Context, key string) (string, error) {
	var v string
	err := a.read(ctx, "get meta", func(q Querier) error {
		err := q.QueryRow(ctx, "SELECT value FROM meta WHERE key = ?", key).Scan(&v)
		if noRows(err) {
			return certgate.Errorf(certgate.ENotFound, "meta key not found")
		}
		return err
	})
	if err != nil {
		return "", err
	}
	return v, nil
}

// SwapMeta replaces a meta value if it still holds oldValue.
func (a *Accessor) SwapMeta(ctx context.Context, key, oldValue, newValue string) (bool, error) {
	var swapped bool
	err := a.write(ctx, "swap meta", func(tx Tx) error {
		n, err := tx.Exec(ctx, "UPDATE meta SET value = ? WHERE key = ? AND value = ?", newValue, key, oldValue)
		swapped = err == nil && n == 1
		return err
	})
	return swapped, err
}

// each runs query and calls fn on every row.
func each(ctx context.Context, q Querier, fn func(rowcodec.Scanner) error, query string, args ...any) error {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
