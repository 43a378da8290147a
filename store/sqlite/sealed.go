package sqlite

import (
	"context"
	"database/sql"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
)

// SwapMeta replaces a meta value if it still holds oldValue.
func (db *DB) SwapMeta(ctx context.Context, key, oldValue, newValue string) (bool, error) {
	var swapped bool
	err := db.write(ctx, "swap meta", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE meta SET value = ? WHERE key = ? AND value = ?", newValue, key, oldValue)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		swapped = n == 1
		return err
	})
	return swapped, err
}

// ListSealed returns sealed values not sealed under exceptKeyID. The two
// kinds are read from their own tables, access keys first ("access_key" <
// "certificate" in byte order).
func (db *DB) ListSealed(ctx context.Context, exceptKeyID string, after store.SealedCursor, limit int) ([]store.SealedItem, error) {
	if limit <= 0 {
		limit = 1000
	}
	var out []store.SealedItem
	err := db.read(ctx, "list sealed", func() error {
		out = out[:0]
		if after.Type <= store.SealedAccessKey {
			from := ""
			if after.Type == store.SealedAccessKey {
				from = after.ID
			}
			rows, err := db.r.QueryContext(ctx,
				`SELECT id, account_id, secret_sealed, seal_key_id FROM access_keys
				 WHERE seal_key_id <> ? AND id > ? ORDER BY id LIMIT ?`, exceptKeyID, from, limit)
			if err != nil {
				return err
			}
			for rows.Next() {
				it := store.SealedItem{Type: store.SealedAccessKey}
				if err := rows.Scan(&it.ID, &it.AccountID, &it.Envelope, &it.KeyID); err != nil {
					rows.Close()
					return err
				}
				out = append(out, it)
			}
			if err := rows.Close(); err != nil {
				return err
			}
			if err := rows.Err(); err != nil {
				return err
			}
		}
		if len(out) >= limit {
			return nil
		}
		from := ""
		if after.Type == store.SealedCertificateKey {
			from = after.ID
		}
		rows, err := db.r.QueryContext(ctx,
			`SELECT id, account_id, kind, key_sealed, seal_key_id FROM certificates
			 WHERE seal_key_id <> ? AND id > ? ORDER BY id LIMIT ?`, exceptKeyID, from, limit-len(out))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			it := store.SealedItem{Type: store.SealedCertificateKey}
			var kind string
			if err := rows.Scan(&it.ID, &it.AccountID, &kind, &it.Envelope, &it.KeyID); err != nil {
				return err
			}
			it.Kind = certgate.Kind(kind)
			out = append(out, it)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Reseal swaps one sealed value if it is still under item.KeyID.
func (db *DB) Reseal(ctx context.Context, item store.SealedItem, envelope []byte, keyID string) (bool, error) {
	var q string
	switch item.Type {
	case store.SealedAccessKey:
		q = "UPDATE access_keys SET secret_sealed = ?, seal_key_id = ? WHERE id = ? AND seal_key_id = ? AND secret_sealed = ?"
	case store.SealedCertificateKey:
		q = "UPDATE certificates SET key_sealed = ?, seal_key_id = ?, version = version + 1 WHERE id = ? AND seal_key_id = ? AND key_sealed = ?"
	default:
		return false, certgate.Errorf(certgate.EInvalid, "unknown sealed type %q", item.Type)
	}
	var swapped bool
	err := db.write(ctx, "reseal", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, q, envelope, keyID, item.ID, item.KeyID, item.Envelope)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		swapped = n == 1
		return err
	})
	return swapped, err
}

// SealKeyIDs returns the distinct master key ids in use.
func (db *DB) SealKeyIDs(ctx context.Context) ([]string, error) {
	var ids []string
	err := db.read(ctx, "seal key ids", func() error {
		ids = ids[:0]
		rows, err := db.r.QueryContext(ctx,
			`SELECT seal_key_id FROM access_keys UNION SELECT seal_key_id FROM certificates ORDER BY 1`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return rows.Err()
	})
	return ids, err
}
