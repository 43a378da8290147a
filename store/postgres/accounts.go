package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
	"github.com/certgate/certgate/store/internal/rowcodec"
)

// CreateAccount inserts an account and its first access key in one
// transaction, so a conflict on either leaves neither behind.
func (db *DB) CreateAccount(ctx context.Context, a *certgate.Account, k *certgate.AccessKey) error {
	if a == nil || k == nil || a.ID == "" || k.ID == "" {
		return certgate.Errorf(certgate.EInvalid, "account and access key are required")
	}
	if k.AccountID != "" && k.AccountID != a.ID {
		return certgate.Errorf(certgate.EInvalid, "access key belongs to another account")
	}
	if !store.IsText(a.ID, a.ProjectID, a.Name, k.ID, k.SealKeyID) {
		return store.BadText("account")
	}
	secret := k.SecretSealed
	if secret == nil {
		secret = []byte{} // NOT NULL column; pgx sends a nil slice as NULL
	}
	return db.write(ctx, "create account", func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx,
			"INSERT INTO accounts (id, project_id, name, created_at) VALUES ($1, $2, $3, $4)",
			a.ID, a.ProjectID, a.Name, rowcodec.Micros(a.CreatedAt))
		if err := accountConflict(err); err != nil {
			return err
		}
		// After the insert: an insert racing with the deletion of the same id
		// waits for that transaction on the primary key, and this read (a new
		// snapshot under READ COMMITTED) then sees its tombstone.
		var deleted int
		if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM meta WHERE key = $1", store.DeletedAccountKey(a.ID)).Scan(&deleted); err != nil {
			return err
		}
		if deleted > 0 {
			return deletedAccount()
		}
		_, err = tx.Exec(ctx,
			`INSERT INTO access_keys (id, account_id, secret_sealed, seal_key_id, created_at)
			 VALUES ($1, $2, $3, $4, $5)`,
			k.ID, a.ID, secret, k.SealKeyID, rowcodec.Micros(k.CreatedAt))
		return accountConflict(err)
	})
}

// accountConflict maps a uniqueness violation on accounts or access keys to
// EConflict, with a Reason naming what was taken.
func accountConflict(err error) error {
	name, ok := uniqueViolation(err)
	if !ok {
		return err
	}
	switch name {
	case "accounts_project_id_key":
		return conflict("duplicate_project", "an account with this project id already exists", err)
	case "accounts_pkey":
		return conflict("duplicate_account", "an account with this id already exists", err)
	case "access_keys_pkey":
		return conflict("duplicate_access_key", "an access key with this id already exists", err)
	}
	return err
}

const accountColumns = "id, project_id, name, created_at"

// GetAccount returns an account by its id.
func (db *DB) GetAccount(ctx context.Context, id string) (*certgate.Account, error) {
	return db.getAccount(ctx, "get account", "SELECT "+accountColumns+" FROM accounts WHERE id = $1", id)
}

// GetAccountByProject returns the account that owns a Huawei project id.
func (db *DB) GetAccountByProject(ctx context.Context, projectID string) (*certgate.Account, error) {
	return db.getAccount(ctx, "get account by project",
		"SELECT "+accountColumns+" FROM accounts WHERE project_id = $1", projectID)
}

func (db *DB) getAccount(ctx context.Context, op, query string, arg string) (*certgate.Account, error) {
	if !store.IsText(arg) {
		return nil, certgate.Errorf(certgate.ENotFound, "account not found")
	}
	var a certgate.Account
	err := db.read(ctx, op, func() error {
		var created int64
		err := db.pool.QueryRow(ctx, query, arg).Scan(&a.ID, &a.ProjectID, &a.Name, &created)
		if errors.Is(err, pgx.ErrNoRows) {
			return certgate.Errorf(certgate.ENotFound, "account not found")
		}
		a.CreatedAt = rowcodec.FromMicros(created)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// CountAccounts returns the number of accounts.
func (db *DB) CountAccounts(ctx context.Context) (int64, error) {
	var n int64
	err := db.read(ctx, "count accounts", func() error {
		return db.pool.QueryRow(ctx, "SELECT COUNT(*) FROM accounts").Scan(&n)
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// GetAccessKey returns an access key by its id.
func (db *DB) GetAccessKey(ctx context.Context, id string) (*certgate.AccessKey, error) {
	if !store.IsText(id) {
		return nil, certgate.Errorf(certgate.ENotFound, "access key not found")
	}
	var k certgate.AccessKey
	err := db.read(ctx, "get access key", func() error {
		var created int64
		err := db.pool.QueryRow(ctx,
			"SELECT id, account_id, secret_sealed, seal_key_id, created_at FROM access_keys WHERE id = $1", id).
			Scan(&k.ID, &k.AccountID, &k.SecretSealed, &k.SealKeyID, &created)
		if errors.Is(err, pgx.ErrNoRows) {
			return certgate.Errorf(certgate.ENotFound, "access key not found")
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

// PutMetaIfAbsent stores value under key unless the key exists, and returns
// whichever value is stored afterwards. Under READ COMMITTED the INSERT of
// a racing caller waits for the first one's commit and then does nothing,
// and the SELECT, a new statement, sees the committed winner.
func (db *DB) PutMetaIfAbsent(ctx context.Context, key, value string) (string, error) {
	var got string
	err := db.write(ctx, "put meta", func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx,
			"INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT DO NOTHING", key, value); err != nil {
			return err
		}
		return tx.QueryRow(ctx, "SELECT value FROM meta WHERE key = $1", key).Scan(&got)
	})
	if err != nil {
		return "", err
	}
	return got, nil
}

// GetMeta returns the value stored under key, or ENotFound.
func (db *DB) GetMeta(ctx context.Context, key string) (string, error) {
	var v string
	err := db.read(ctx, "get meta", func() error {
		err := db.pool.QueryRow(ctx, "SELECT value FROM meta WHERE key = $1", key).Scan(&v)
		if errors.Is(err, pgx.ErrNoRows) {
			return certgate.Errorf(certgate.ENotFound, "meta key not found")
		}
		return err
	})
	if err != nil {
		return "", err
	}
	return v, nil
}

func deletedAccount() error {
	return conflict(store.ReasonDeletedAccount, "this account id belonged to a deleted account; account ids are never reused", nil)
}
