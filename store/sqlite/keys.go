package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
	"github.com/certgate/certgate/store/internal/rowcodec"
)

// Revocation: access keys beyond the first, and deleting keys, tokens and
// accounts. Every write runs in one BEGIN IMMEDIATE transaction, which
// SQLite serializes across connections and processes, so a count read
// inside it cannot be overtaken by another writer.

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
		secret = []byte{} // NOT NULL column; nil would bind as NULL
	}
	return db.write(ctx, "create access key", func(tx *sql.Tx) error {
		n, err := countKeys(ctx, tx, k.AccountID)
		if err != nil {
			return err
		}
		if max > 0 && n >= max {
			return keyLimit(max)
		}
		_, err = tx.ExecContext(ctx,
			`INSERT INTO access_keys (id, account_id, secret_sealed, seal_key_id, created_at)
			 VALUES (?, ?, ?, ?, ?)`,
			k.ID, k.AccountID, secret, k.SealKeyID, rowcodec.Micros(k.CreatedAt))
		return accountConflict(err)
	})
}

// countKeys returns how many keys the account has, or ENotFound when the
// account does not exist.
func countKeys(ctx context.Context, tx *sql.Tx, accountID string) (int, error) {
	var exists, n int
	err := tx.QueryRowContext(ctx,
		"SELECT (SELECT COUNT(*) FROM accounts WHERE id = ?), (SELECT COUNT(*) FROM access_keys WHERE account_id = ?)",
		accountID, accountID).Scan(&exists, &n)
	if err != nil {
		return 0, err
	}
	if exists == 0 {
		return 0, accountNotFound()
	}
	return n, nil
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
		rows, err := db.r.QueryContext(ctx,
			"SELECT id, account_id, created_at FROM access_keys WHERE account_id = ? ORDER BY created_at, id", accountID)
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
	err := db.r.QueryRowContext(ctx, "SELECT 1 FROM accounts WHERE id = ?", id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return accountNotFound()
	}
	return err
}

// DeleteAccessKey removes a key of accountID and its tokens.
func (db *DB) DeleteAccessKey(ctx context.Context, accountID, id string) error {
	if !store.IsText(accountID, id) {
		return certgate.Errorf(certgate.ENotFound, "access key not found")
	}
	return db.write(ctx, "delete access key", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx,
			"DELETE FROM tokens WHERE access_key_id = ? AND account_id = ?", id, accountID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, "DELETE FROM access_keys WHERE id = ? AND account_id = ?", id, accountID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			// Rolls back the token delete too, so a wrong account id
			// changes nothing.
			return certgate.Errorf(certgate.ENotFound, "access key not found")
		}
		return nil
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
		rows, err := db.r.QueryContext(ctx,
			"SELECT hash, access_key_id, account_id, created_at, expires_at FROM tokens WHERE account_id = ? ORDER BY created_at, hash",
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
	err := db.write(ctx, "delete token", func(tx *sql.Tx) error {
		t = nil
		// substr rather than LIKE, so that % and _ in the prefix are
		// plain characters.
		rows, err := tx.QueryContext(ctx,
			`SELECT hash, access_key_id, account_id, created_at, expires_at FROM tokens
			 WHERE substr(hash, 1, ?) = ? ORDER BY hash LIMIT 2`, len(hashPrefix), hashPrefix)
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
		if _, err := tx.ExecContext(ctx, "DELETE FROM tokens WHERE hash = ?", found[0].Hash); err != nil {
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
		rows, err := db.r.QueryContext(ctx, "SELECT "+accountColumns+" FROM accounts ORDER BY created_at, id")
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
	return db.write(ctx, "delete account", func(tx *sql.Tx) error {
		var exists, certs int64
		if err := tx.QueryRowContext(ctx,
			"SELECT (SELECT COUNT(*) FROM accounts WHERE id = ?), (SELECT COUNT(*) FROM certificates WHERE account_id = ?)",
			id, id).Scan(&exists, &certs); err != nil {
			return err
		}
		if exists == 0 {
			return accountNotFound()
		}
		if certs > 0 && !force {
			return notEmpty(certs)
		}
		for _, q := range []string{
			"DELETE FROM certificates WHERE account_id = ?",
			"DELETE FROM cert_counts WHERE account_id = ?",
			"DELETE FROM tokens WHERE account_id = ?",
			"DELETE FROM access_keys WHERE account_id = ?",
			"DELETE FROM accounts WHERE id = ?",
		} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return err
			}
		}
		// A tombstone: the id is never given to a new account, so that a
		// certificate a request still in flight created after this delete
		// can never be seen by another tenant.
		_, err := tx.ExecContext(ctx, "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT DO NOTHING",
			store.DeletedAccountKey(id), strconv.FormatInt(time.Now().UnixMicro(), 10))
		return err
	})
}

// foreignKeyViolation reports whether err is a FOREIGN KEY constraint
// failure: a token for a key that a concurrent delete removed.
func foreignKeyViolation(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

func notEmpty(certs int64) error {
	return &certgate.Error{Code: certgate.EConflict, Reason: "not_empty",
		Message: fmt.Sprintf("the account still holds %d certificate(s)", certs)}
}
