package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
	"github.com/certgate/certgate/store/internal/rowcodec"
)

const domainColumns = "id, account_id, instance_id, group_id, name, min_tls_version, redirect_http, verify_clients, " +
	"http_port, https_port, created_at, updated_at, version"

// domainKey pins a domain to its account, instance and group.
const domainKey = "id = ? AND account_id = ? AND instance_id = ? AND group_id = ?"

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// CreateDomain inserts d, counting the group's domains under the group's
// row lock so that concurrent creators cannot exceed max together.
func (a *Accessor) CreateDomain(ctx context.Context, d *certgate.Domain, max int) error {
	if d == nil || d.ID == "" || d.AccountID == "" || d.InstanceID == "" || d.GroupID == "" {
		return certgate.Errorf(certgate.EInvalid, "domain id, account, instance and group are required")
	}
	if !store.IsText(d.ID, d.AccountID, d.InstanceID, d.GroupID, d.Name, d.MinTLSVersion) {
		return store.BadText("domain")
	}
	err := a.write(ctx, "create domain", func(tx Tx) error {
		// FOR UPDATE: creators of one group queue here, so the count
		// below sees every domain committed before this insert; and
		// DeleteGroup, which takes the same lock first, cannot miss it.
		var one int
		err := tx.QueryRow(ctx, "SELECT 1 FROM api_groups WHERE "+groupKey+a.d.ForUpdate(),
			d.GroupID, d.AccountID, d.InstanceID).Scan(&one)
		if noRows(err) {
			return &certgate.Error{Code: certgate.ENotFound, Reason: store.ReasonNoGroup, Message: "API group not found"}
		}
		if err != nil {
			return err
		}
		if max > 0 {
			var n int64
			if err := tx.QueryRow(ctx, CountGroupDomainsSQL, d.GroupID).Scan(&n); err != nil {
				return err
			}
			if n >= int64(max) {
				return &certgate.Error{Code: certgate.ELimitExceeded, Reason: "domains", Limit: max, Got: int(n),
					Message: fmt.Sprintf("the API group already has %d domains", n)}
			}
		}
		// The revision's row lock first: every domain writer queues on
		// it, so the check below sees every name committed before this
		// insert (PostgreSQL's READ COMMITTED reads afresh per statement).
		if err := bumpRevision(ctx, tx); err != nil {
			return err
		}
		// A name another account holds, on any listener, is refused:
		// every listener answers the same DNS name, so holding it on
		// another one would take that account's traffic there. So is a
		// name under another account's wildcard (an exact name wins over
		// it) and a wildcard over another account's name.
		if clash, err := a.nameClash(ctx, tx, d.AccountID, d.Name); err != nil {
			return err
		} else if clash {
			return &certgate.Error{Code: certgate.EConflict, Reason: "duplicate_name", Message: "this domain name is already bound"}
		}
		_, err = tx.Exec(ctx, "INSERT INTO domains ("+domainColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			d.ID, d.AccountID, d.InstanceID, d.GroupID, d.Name, d.MinTLSVersion, b2i(d.RedirectHTTP), b2i(d.VerifyClients),
			int64(d.HTTPPort), int64(d.HTTPSPort), rowcodec.Micros(d.CreatedAt), rowcodec.Micros(d.UpdatedAt), int64(1))
		if err != nil {
			return a.domainConflict(err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	d.Version = 1
	return nil
}

func (a *Accessor) domainConflict(err error) error {
	return a.uniqueConflict(err, []violation{
		{"domains.name", "duplicate_name", "this domain name is already bound on this port"},
		{"domains.id", "duplicate_id", "a domain with this id already exists"},
	})
}

// GetDomain returns one domain of the group.
func (a *Accessor) GetDomain(ctx context.Context, accountID, instanceID, groupID, id string) (*certgate.Domain, error) {
	if !store.IsText(accountID, instanceID, groupID, id) {
		return nil, domainNotFound()
	}
	var d *certgate.Domain
	err := a.read(ctx, "get domain", func(q Querier) error {
		var err error
		d, err = scanDomain(q.QueryRow(ctx, "SELECT "+domainColumns+" FROM domains WHERE "+domainKey,
			id, accountID, instanceID, groupID))
		if noRows(err) {
			return domainNotFound()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// ListDomains returns the domains of the group.
func (a *Accessor) ListDomains(ctx context.Context, accountID, instanceID, groupID string) ([]*certgate.Domain, error) {
	if !store.IsText(accountID, instanceID, groupID) {
		return nil, nil
	}
	var out []*certgate.Domain
	err := a.read(ctx, "list domains", func(q Querier) error {
		out = out[:0]
		return each(ctx, q, func(s rowcodec.Scanner) error {
			d, err := scanDomain(s)
			if err == nil {
				out = append(out, d)
			}
			return err
		}, ListDomainsSQL,
			accountID, instanceID, groupID)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// updateDomain replaces a domain's settings in tx if its version still
// matches (ChangeBindings is the only writer: the verification rule needs
// the domain's bindings in the same transaction).
func (a *Accessor) updateDomain(ctx context.Context, tx Tx, d *certgate.Domain) error {
	if !store.IsText(d.ID, d.AccountID, d.InstanceID, d.GroupID) {
		return domainNotFound()
	}
	if !store.IsText(d.MinTLSVersion) {
		return store.BadText("domain")
	}
	key := []any{d.ID, d.AccountID, d.InstanceID, d.GroupID}
	args := append([]any{d.MinTLSVersion, b2i(d.RedirectHTTP), b2i(d.VerifyClients), int64(d.HTTPPort),
		int64(d.HTTPSPort), rowcodec.Micros(d.UpdatedAt)}, key...)
	n, err := tx.Exec(ctx, `UPDATE domains SET min_tls_version = ?, redirect_http = ?, verify_clients = ?,
		http_port = ?, https_port = ?, updated_at = ?, version = version + 1 WHERE `+domainKey+` AND version = ?`,
		append(args, d.Version)...)
	if err != nil {
		return a.domainConflict(err)
	}
	if n == 1 {
		return nil
	}
	var v int64
	err = tx.QueryRow(ctx, "SELECT version FROM domains WHERE "+domainKey, key...).Scan(&v)
	if noRows(err) {
		return domainNotFound()
	}
	if err != nil {
		return err
	}
	return &certgate.Error{Code: certgate.EConflict, Reason: "version", Message: "domain was modified concurrently"}
}

// DeleteDomain removes one domain.
func (a *Accessor) DeleteDomain(ctx context.Context, accountID, instanceID, groupID, id string) error {
	if !store.IsText(accountID, instanceID, groupID, id) {
		return domainNotFound()
	}
	return a.write(ctx, "delete domain", func(tx Tx) error {
		// The account's binding lock first (see DeleteGroup), then the
		// domain's: a binding change in flight holds both, and its binding
		// must go below, not stay behind.
		if err := a.bindingLock(ctx, tx, accountID); err != nil {
			return err
		}
		var one int
		err := tx.QueryRow(ctx, "SELECT 1 FROM domains WHERE "+domainKey+a.d.ForUpdate(), id, accountID, instanceID, groupID).Scan(&one)
		if noRows(err) {
			return domainNotFound()
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM domain_certificates WHERE domain_id = ?", id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM domains WHERE "+domainKey, id, accountID, instanceID, groupID); err != nil {
			return err
		}
		return bumpRevision(ctx, tx)
	})
}

func scanDomain(s rowcodec.Scanner) (*certgate.Domain, error) {
	var d certgate.Domain
	var redirect, verify, httpPort, httpsPort, created, updated int64
	if err := s.Scan(&d.ID, &d.AccountID, &d.InstanceID, &d.GroupID, &d.Name, &d.MinTLSVersion, &redirect, &verify,
		&httpPort, &httpsPort, &created, &updated, &d.Version); err != nil {
		return nil, err
	}
	d.RedirectHTTP, d.VerifyClients = redirect != 0, verify != 0
	d.HTTPPort, d.HTTPSPort = int(httpPort), int(httpsPort)
	d.CreatedAt, d.UpdatedAt = rowcodec.FromMicros(created), rowcodec.FromMicros(updated)
	return &d, nil
}

func domainNotFound() error { return certgate.Errorf(certgate.ENotFound, "domain not found") }

// nameClash reports whether an account other than accountID holds name,
// the one-label wildcard covering it, or, for a wildcard, a name it
// covers.
func (a *Accessor) nameClash(ctx context.Context, tx Tx, accountID, name string) (bool, error) {
	parent, wild := strings.CutPrefix(name, "*.")
	if !wild {
		cover := name
		if _, p, ok := strings.Cut(name, "."); ok {
			cover = "*." + p
		}
		var one int
		err := tx.QueryRow(ctx, "SELECT 1 FROM domains WHERE account_id <> ? AND (name = ? OR name = ?) LIMIT 1",
			accountID, name, cover).Scan(&one)
		if noRows(err) {
			return false, nil
		}
		return err == nil, err
	}
	// substr rather than LIKE, so that % and _ are plain characters.
	suffix := "." + parent
	clash := false
	err := each(ctx, tx, func(s rowcodec.Scanner) error {
		var n string
		if err := s.Scan(&n); err != nil {
			return err
		}
		if label := strings.TrimSuffix(n, suffix); label != "" && !strings.Contains(label, ".") {
			clash = true // "*" (the wildcard itself) or one label under it
		}
		return nil
	}, "SELECT name FROM domains WHERE account_id <> ? AND length(name) > CAST(? AS INTEGER) AND "+
		"substr(name, length(name) - CAST(? AS INTEGER) + 1) = ?", accountID, len(suffix), len(suffix), suffix)
	return clash, err
}
