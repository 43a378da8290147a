package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
)

// SwapMeta replaces a meta value if it still holds oldValue.
func (db *DB) SwapMeta(ctx context.Context, key, oldValue, newValue string) (bool, error) {
	var swapped bool
	err := db.write(ctx, "swap meta", func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, "UPDATE meta SET value = $1 WHERE key = $2 AND value = $3", newValue, key, oldValue)
		swapped = err == nil && tag.RowsAffected() == 1
		return err
	})
	return swapped, err
}

// ListSealed returns sealed values not sealed under exceptKeyID. The two
// kinds are read from their own tables, access keys first ("access_key" <
// "certificate" in byte order); ids compare in byte order because the id
// columns are COLLATE "C".
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
			rows, err := db.pool.Query(ctx,
				`SELECT id, account_id, secret_sealed, seal_key_id FROM access_keys
				 WHERE seal_key_id <> $1 AND id > $2 ORDER BY id LIMIT $3`, exceptKeyID, from, int64(limit))
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
			rows.Close()
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
		rows, err := db.pool.Query(ctx,
			`SELECT id, account_id, kind, key_sealed, seal_key_id FROM certificates
			 WHERE seal_key_id <> $1 AND id > $2 ORDER BY id LIMIT $3`, exceptKeyID, from, int64(limit-len(out)))
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
		q = "UPDATE access_keys SET secret_sealed = $1, seal_key_id = $2 WHERE id = $3 AND seal_key_id = $4 AND secret_sealed = $5"
	case store.SealedCertificateKey:
		q = "UPDATE certificates SET key_sealed = $1, seal_key_id = $2, version = version + 1 WHERE id = $3 AND seal_key_id = $4 AND key_sealed = $5"
	default:
		return false, certgate.Errorf(certgate.EInvalid, "unknown sealed type %q", item.Type)
	}
	var swapped bool
	err := db.write(ctx, "reseal", func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, q, envelope, keyID, item.ID, item.KeyID, item.Envelope)
		swapped = err == nil && tag.RowsAffected() == 1
		return err
	})
	return swapped, err
}

// SealKeyIDs returns the distinct master key ids in use, in byte order
// (seal_key_id is COLLATE "C").
func (db *DB) SealKeyIDs(ctx context.Context) ([]string, error) {
	var ids []string
	err := db.read(ctx, "seal key ids", func() error {
		ids = ids[:0]
		rows, err := db.pool.Query(ctx,
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
	if err != nil {
		return nil, err
	}
	return ids, nil
}
