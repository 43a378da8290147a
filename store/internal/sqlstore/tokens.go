package sqlstore

import (
	"context"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
	"github.com/certgate/certgate/store/internal/rowcodec"
)

const tokenColumns = "hash, access_key_id, account_id, created_at, expires_at"

func scanToken(s rowcodec.Scanner) (*certgate.Token, error) {
	var t certgate.Token
	var created, expires int64
	if err := s.Scan(&t.Hash, &t.AccessKeyID, &t.AccountID, &created, &expires); err != nil {
		return nil, err
	}
	t.CreatedAt, t.ExpiresAt = rowcodec.FromMicros(created), rowcodec.FromMicros(expires)
	return &t, nil
}

func tokenNotFound() error { return certgate.Errorf(certgate.ENotFound, "token not found") }

// CreateToken stores an issued token by its hash.
func (a *Accessor) CreateToken(ctx context.Context, t *certgate.Token) error {
	if t == nil || t.Hash == "" || t.AccessKeyID == "" || t.AccountID == "" {
		return certgate.Errorf(certgate.EInvalid, "token hash, access key and account are required")
	}
	if !store.IsText(t.Hash, t.AccessKeyID, t.AccountID) {
		return store.BadText("token")
	}
	return a.write(ctx, "create token", func(tx Tx) error {
		_, err := tx.Exec(ctx,
			"INSERT INTO tokens ("+tokenColumns+") VALUES (?, ?, ?, ?, ?)",
			t.Hash, t.AccessKeyID, t.AccountID, rowcodec.Micros(t.CreatedAt), rowcodec.Micros(t.ExpiresAt))
		if _, ok := a.d.UniqueViolation(err); ok {
			return a.conflict("duplicate_token", "a token with this hash already exists", err)
		}
		if a.d.ForeignKeyViolation(err) {
			return &certgate.Error{Code: certgate.ENotFound, Message: "access key not found", Err: a.d.Clean(err)}
		}
		return err
	})
}

// GetToken returns the token with this hash.
func (a *Accessor) GetToken(ctx context.Context, hash string) (*certgate.Token, error) {
	if !store.IsText(hash) {
		return nil, tokenNotFound()
	}
	var t *certgate.Token
	err := a.read(ctx, "get token", func(q Querier) error {
		var err error
		t, err = scanToken(q.QueryRow(ctx, "SELECT "+tokenColumns+" FROM tokens WHERE hash = ?", hash))
		if noRows(err) {
			return tokenNotFound()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// ListTokens returns an account's tokens, expired ones included.
func (a *Accessor) ListTokens(ctx context.Context, accountID string) ([]*certgate.Token, error) {
	var out []*certgate.Token
	err := a.read(ctx, "list tokens", func(q Querier) error {
		out = nil
		if err := accountExists(ctx, q, accountID); err != nil {
			return err
		}
		return each(ctx, q, func(s rowcodec.Scanner) error {
			t, err := scanToken(s)
			if err == nil {
				out = append(out, t)
			}
			return err
		}, ListTokensSQL, accountID)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteToken removes the one token whose hash starts with hashPrefix.
func (a *Accessor) DeleteToken(ctx context.Context, hashPrefix string) (*certgate.Token, error) {
	if hashPrefix == "" {
		return nil, certgate.Errorf(certgate.EInvalid, "a token hash prefix is required")
	}
	if !store.IsText(hashPrefix) {
		return nil, tokenNotFound()
	}
	var t *certgate.Token
	err := a.write(ctx, "delete token", func(tx Tx) error {
		t = nil
		var found []*certgate.Token
		// substr rather than LIKE, so that % and _ in the prefix are
		// plain characters.
		err := each(ctx, tx, func(s rowcodec.Scanner) error {
			x, err := scanToken(s)
			if err == nil {
				found = append(found, x)
			}
			return err
		}, `SELECT `+tokenColumns+` FROM tokens
			 WHERE substr(hash, 1, CAST(? AS INTEGER)) = ? ORDER BY hash LIMIT 2`+a.d.ForUpdate(),
			int64(len(hashPrefix)), hashPrefix)
		if err != nil {
			return err
		}
		switch len(found) {
		case 0:
			return tokenNotFound()
		case 1:
		default:
			return &certgate.Error{Code: certgate.EConflict, Reason: "ambiguous",
				Message: "more than one token hash starts with this prefix"}
		}
		if _, err := tx.Exec(ctx, "DELETE FROM tokens WHERE hash = ?", found[0].Hash); err != nil {
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
