package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
	"github.com/certgate/certgate/store/internal/rowcodec"
)

// CreateToken stores an issued token by its hash.
func (db *DB) CreateToken(ctx context.Context, t *certgate.Token) error {
	if t == nil || t.Hash == "" || t.AccessKeyID == "" || t.AccountID == "" {
		return certgate.Errorf(certgate.EInvalid, "token hash, access key and account are required")
	}
	if !store.IsText(t.Hash, t.AccessKeyID, t.AccountID) {
		return store.BadText("token")
	}
	return db.write(ctx, "create token", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx,
			"INSERT INTO tokens (hash, access_key_id, account_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
			t.Hash, t.AccessKeyID, t.AccountID, rowcodec.Micros(t.CreatedAt), rowcodec.Micros(t.ExpiresAt))
		if _, ok := uniqueViolation(err); ok {
			return conflict("duplicate_token", "a token with this hash already exists", err)
		}
		if foreignKeyViolation(err) {
			return &certgate.Error{Code: certgate.ENotFound, Message: "access key not found", Err: err}
		}
		return err
	})
}

// GetToken returns the token with this hash.
func (db *DB) GetToken(ctx context.Context, hash string) (*certgate.Token, error) {
	if !store.IsText(hash) {
		return nil, certgate.Errorf(certgate.ENotFound, "token not found")
	}
	var t certgate.Token
	err := db.read(ctx, "get token", func() error {
		var created, expires int64
		err := db.r.QueryRowContext(ctx,
			"SELECT hash, access_key_id, account_id, created_at, expires_at FROM tokens WHERE hash = ?", hash).
			Scan(&t.Hash, &t.AccessKeyID, &t.AccountID, &created, &expires)
		if errors.Is(err, sql.ErrNoRows) {
			return certgate.Errorf(certgate.ENotFound, "token not found")
		}
		t.CreatedAt, t.ExpiresAt = rowcodec.FromMicros(created), rowcodec.FromMicros(expires)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &t, nil
}
