package sqlstore

import (
	"context"
	"math"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
)

// ServingCertificates reads the certificates of one kind across every
// tenant, in id order (byte order), strictly after the id after, at most
// limit of them (all when limit <= 0). It is the store.ServingView of the
// data plane, and only reads.
func (a *Accessor) ServingCertificates(ctx context.Context, kind certgate.Kind, after string, limit int) ([]*certgate.Certificate, error) {
	if !store.IsText(string(kind), after) {
		return nil, nil
	}
	n := int64(limit)
	if limit <= 0 {
		n = math.MaxInt64
	}
	return a.listCerts(ctx, "serving certificates",
		"SELECT "+certColumns+" FROM certificates WHERE kind = ? AND id > ? ORDER BY id LIMIT ?",
		string(kind), after, n)
}
