package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
	"github.com/certgate/certgate/store/internal/rowcodec"
)

// Revocation: access keys beyond the first, and deleting keys, tokens and
// accounts. Under READ COMMITTED a count read in a transaction can be
// overtaken by another writer, so each write first locks the rows it
// decides from (the account row for key counts, the key rows for their
// tokens) and concurrent writers queue behind the lock.

// CreateAccessKey adds a key to an existing account, at most max of them.
func (db *DB) CreateAccessKey(ctx context.Context, k *certgate.AccessKey, max int) error {
	if k == nil || k.ID == "" || k.AccountID == "" {
		return certgate.Errorf(certgate.EInvalid, "access key id and account are required")
	}
	if !store.IsText(k.ID, k.AccountID, k.SealKeyID) {
		return store.BadText("access_key")
	}
	secret := k.SecretSealed
	if secret == nil {
		secret = []byte{} // NOT NULL column; pgx sends a nil slice as NULL
	}
	return db.write(ctx, "create access key", func(tx pgx.Tx) error {
		if err := lockAccount(ctx, tx, k.AccountID); err != nil {
			return err
		}
		var n int64
		if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM access_keys WHERE account_id = $1", k.AccountID).Scan(&n); err != nil {
			return err
		}
		if max > 0 && n >= int64(max) {
			return keyLimit(max)
		}
		_, err := tx.Exec(ctx,
			`INSERT INTO access_keys (id, account_id, secret_sealed, seal_key_id, created_at)
			 VALUES ($1, $2, $3, $4, $5)`,
			k.ID, k.AccountID, secret, k.SealKeyID, rowcodec.Micros(k.CreatedAt))
		return accountConflict(err)
	})
}

// lockAccount takes the account's row lock for the rest of tx, or returns
// ENotFound.
func lockAccount(ctx context.Context, tx pgx.Tx, id string) error {
	var one int
	err := tx.QueryRow(ctx, "SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE", id).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return accountNotFound()
	}
	return err
}

func keyLimit(max int) error {
	return &certgate.Error{Code: certgate.ELimitExceeded, Reason: "access_keys",
		Message: fmt.Sprintf("an account can have at most %d access keys", max)}
}

func accountNotFound() error { return certgate.Errorf(certgate.ENotFound, "account not found") }

// ListAccessKeys returns an account's keys without their secrets.
func (db *DB) ListAccessKeys(ctx context.Context, accountID string) ([]*certgate.AccessKey, error) {
	var out []*certgate.AccessKey
	err := db.read(ctx, "list access keys", func() error {
		out = nil
		if err := db.accountExists(ctx, accountID); err != nil {
			return err
		}
		rows, err := db.pool.Query(ctx,
			"SELECT id, account_id, created_at FROM access_keys WHERE account_id = $1 ORDER BY created_at, id", accountID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k certgate.AccessKey
			var created int64
			if err := rows.Scan(&k.ID, &k.AccountID, &created); err != nil {
				return err
			}
			k.CreatedAt = rowcodec.FromMicros(created)
			out = append(out, &k)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (db *DB) accountExists(ctx context.Context, id string) error {
	if !store.IsText(id) {
		return accountNotFound()
	}
	var one int
	err := db.pool.QueryRow(ctx, "SELECT 1 FROM accounts WHERE id = $1", id).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return accountNotFound()
	}
	return err
}

// DeleteAccessKey removes a key of accountID and its tokens.
func (db *DB) DeleteAccessKey(ctx context.Context, accountID, id string) error {
	if !store.IsText(accountID, id) {
		return certgate.Errorf(certgate.ENotFound, "access key not found")
	}
	return db.write(ctx, "delete access key", func(tx pgx.Tx) error {
		// Lock the key first: a token insert racing with this delete then
		// waits for it and fails its foreign key check, instead of adding a
		// token between the two DELETEs.
		var one int
		err := tx.QueryRow(ctx, "SELECT 1 FROM access_keys WHERE id = $1 AND account_id = $2 FOR UPDATE", id, accountID).Scan(&one)
		if errors.Is(err, pgx.ErrNoRows) {
			return certgate.Errorf(certgate.ENotFound, "access key not found")
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM tokens WHERE access_key_id = $1", id); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, "DELETE FROM access_keys WHERE id = $1", id)
		return err
	})
}

// ListTokens returns an account's tokens, expired ones included.
func (db *DB) ListTokens(ctx context.Context, accountID string) ([]*certgate.Token, error) {
	var out []*certgate.Token
	err := db.read(ctx, "list tokens", func() error {
		out = nil
		if err := db.accountExists(ctx, accountID); err != nil {
			return err
		}
		rows, err := db.pool.Query(ctx,
			"SELECT hash, access_key_id, account_id, created_at, expires_at FROM tokens WHERE account_id = $1 ORDER BY created_at, hash",
			accountID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var t certgate.Token
			var created, expires int64
			if err := rows.Scan(&t.Hash, &t.AccessKeyID, &t.AccountID, &created, &expires); err != nil {
				return err
			}
			t.CreatedAt, t.ExpiresAt = rowcodec.FromMicros(created), rowcodec.FromMicros(expires)
			out = append(out, &t)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteToken removes the one token whose hash starts with hashPrefix.
func (db *DB) DeleteToken(ctx context.Context, hashPrefix string) (*certgate.Token, error) {
	if hashPrefix == "" {
		return nil, certgate.Errorf(certgate.EInvalid, "a token hash prefix is required")
	}
	if !store.IsText(hashPrefix) {
		return nil, certgate.Errorf(certgate.ENotFound, "token not found")
	}
	var t *certgate.Token
	err := db.write(ctx, "delete token", func(tx pgx.Tx) error {
		t = nil
		// substr rather than LIKE, so that % and _ in the prefix are
		// plain characters.
		rows, err := tx.Query(ctx,
			`SELECT hash, access_key_id, account_id, created_at, expires_at FROM tokens
			 WHERE substr(hash, 1, CAST($1 AS INTEGER)) = $2 ORDER BY hash LIMIT 2 FOR UPDATE`,
			int64(len(hashPrefix)), hashPrefix)
		if err != nil {
			return err
		}
		var found []*certgate.Token
		for rows.Next() {
			var x certgate.Token
			var created, expires int64
			if err := rows.Scan(&x.Hash, &x.AccessKeyID, &x.AccountID, &created, &expires); err != nil {
				rows.Close()
				return err
			}
			x.CreatedAt, x.ExpiresAt = rowcodec.FromMicros(created), rowcodec.FromMicros(expires)
			found = append(found, &x)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		switch len(found) {
		case 0:
			return certgate.Errorf(certgate.ENotFound, "token not found")
		case 1:
		default:
			return &certgate.Error{Code: certgate.EConflict, Reason: "ambiguous",
				Message: "more than one token hash starts with this prefix"}
		}
		if _, err := tx.Exec(ctx, "DELETE FROM tokens WHERE hash = $1", found[0].Hash); err != nil {
			return err
		}
		t = found[0]
		return nil
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// ListAccounts returns every account.
func (db *DB) ListAccounts(ctx context.Context) ([]*certgate.Account, error) {
	var out []*certgate.Account
	err := db.read(ctx, "list accounts", func() error {
		out = nil
		rows, err := db.pool.Query(ctx, "SELECT "+accountColumns+" FROM accounts ORDER BY created_at, id")
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var a certgate.Account
			var created int64
			if err := rows.Scan(&a.ID, &a.ProjectID, &a.Name, &created); err != nil {
				return err
			}
			a.CreatedAt = rowcodec.FromMicros(created)
			out = append(out, &a)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteAccount removes an account, its keys and tokens, and with force its
// certificates.
func (db *DB) DeleteAccount(ctx context.Context, id string, force bool) error {
	if !store.IsText(id) {
		return accountNotFound()
	}
	return db.write(ctx, "delete account", func(tx pgx.Tx) error {
		// The account lock queues CreateAccessKey; the key locks queue
		// token inserts; the quota-counter locks wait for certificate
		// creates in flight, so the count below sees them.
		if err := lockAccount(ctx, tx, id); err != nil {
			return err
		}
		for _, q := range []string{
			"SELECT id FROM access_keys WHERE account_id = $1 FOR UPDATE",
			"SELECT n FROM cert_counts WHERE account_id = $1 FOR UPDATE",
		} {
			rows, err := tx.Query(ctx, q, id)
			if err != nil {
				return err
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		var certs int64
		if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM certificates WHERE account_id = $1", id).Scan(&certs); err != nil {
			return err
		}
		if certs > 0 && !force {
			return notEmpty(certs)
		}
		for _, q := range []string{
			"DELETE FROM certificates WHERE account_id = $1",
			"DELETE FROM cert_counts WHERE account_id = $1",
			"DELETE FROM tokens WHERE account_id = $1",
			"DELETE FROM access_keys WHERE account_id = $1",
			"DELETE FROM accounts WHERE id = $1",
		} {
			if _, err := tx.Exec(ctx, q, id); err != nil {
				return err
			}
		}
		// A tombstone: the id is never given to a new account, so that a
		// certificate a request still in flight created after this delete
		// can never be seen by another tenant.
		_, err := tx.Exec(ctx, "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT DO NOTHING",
			store.DeletedAccountKey(id), strconv.FormatInt(time.Now().UnixMicro(), 10))
		return err
	})
}

// foreignKeyViolation reports whether err is a foreign key violation: a
// token for a key that a concurrent delete removed.
func foreignKeyViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23503"
}

func notEmpty(certs int64) error {
	return &certgate.Error{Code: certgate.EConflict, Reason: "not_empty",
		Message: fmt.Sprintf("the account still holds %d certificate(s)", certs)}
}
