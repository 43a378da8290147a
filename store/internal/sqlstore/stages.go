package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
	"github.com/certgate/certgate/store/internal/rowcodec"
)

const deploymentColumns = "id, api_id, account_id, region, description, snapshot, created_at"

const deploymentKey = "id = ? AND api_id = ? AND account_id = ? AND region = ?"

const stageColumns = "api_id, name, account_id, region, deployment_id, client_certificate_id, doc, created_at, updated_at, version"

const stageKey = "api_id = ? AND name = ? AND account_id = ? AND region = ?"

func deploymentNotFound() error { return certgate.Errorf(certgate.ENotFound, "deployment not found") }
func stageNotFound() error      { return certgate.Errorf(certgate.ENotFound, "stage not found") }

// lockRestAPI takes the API's row lock for the rest of tx (where the dialect
// locks rows), or fails with ENotFound (Reason ReasonNoRestAPI).
func (a *Accessor) lockRestAPI(ctx context.Context, tx Tx, scope certgate.Scope, apiID string) error {
	var one int
	err := tx.QueryRow(ctx, "SELECT 1 FROM rest_apis WHERE "+restAPIKey+a.d.ForUpdate(), apiID, scope.AccountID, scope.Region).Scan(&one)
	if noRows(err) {
		return &certgate.Error{Code: certgate.ENotFound, Reason: store.ReasonNoRestAPI, Message: "REST API not found"}
	}
	return err
}

// CreateDeployment inserts d and, when st is not nil, a stage pointing at
// it, in one transaction that moves the revision.
func (a *Accessor) CreateDeployment(ctx context.Context, d *certgate.Deployment, st *certgate.Stage, stageQuota int) error {
	if d == nil || d.ID == "" {
		return certgate.Errorf(certgate.EInvalid, "deployment id is required")
	}
	if !store.IsText(d.ID, d.APIID, d.Scope.AccountID, d.Scope.Region) {
		return &certgate.Error{Code: certgate.ENotFound, Reason: store.ReasonNoRestAPI, Message: "REST API not found"}
	}
	if !store.IsText(d.Description, d.Snapshot) {
		return store.BadText("deployment")
	}
	var doc string
	if st != nil {
		var err error
		if doc, err = a.stageDoc(st); err != nil {
			return err
		}
	}
	return a.write(ctx, "create deployment", func(tx Tx) error {
		if err := a.lockRestAPI(ctx, tx, d.Scope, d.APIID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "INSERT INTO api_deployments ("+deploymentColumns+") VALUES (?, ?, ?, ?, ?, ?, ?)",
			d.ID, d.APIID, d.Scope.AccountID, d.Scope.Region, d.Description, d.Snapshot, rowcodec.Micros(d.CreatedAt))
		if err != nil {
			return a.uniqueConflict(err, []violation{{"api_deployments.id", "duplicate_id", "a deployment with this id already exists"}})
		}
		if st != nil {
			st.DeploymentID = d.ID
			if err := a.insertStage(ctx, tx, st, doc, stageQuota); err != nil {
				return err
			}
		}
		return bumpRevision(ctx, tx)
	})
}

func scanDeployment(s rowcodec.Scanner) (*certgate.Deployment, error) {
	var d certgate.Deployment
	var created int64
	if err := s.Scan(&d.ID, &d.APIID, &d.Scope.AccountID, &d.Scope.Region, &d.Description, &d.Snapshot, &created); err != nil {
		return nil, err
	}
	d.CreatedAt = rowcodec.FromMicros(created)
	return &d, nil
}

// GetDeployment returns one deployment of the API.
func (a *Accessor) GetDeployment(ctx context.Context, scope certgate.Scope, apiID, id string) (*certgate.Deployment, error) {
	if !store.IsText(scope.AccountID, scope.Region, apiID, id) {
		return nil, deploymentNotFound()
	}
	var d *certgate.Deployment
	err := a.read(ctx, "get deployment", func(q Querier) error {
		var err error
		d, err = scanDeployment(q.QueryRow(ctx, "SELECT "+deploymentColumns+" FROM api_deployments WHERE "+deploymentKey, id, apiID, scope.AccountID, scope.Region))
		if noRows(err) {
			return deploymentNotFound()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// ListDeployments returns the API's deployments ordered by (CreatedAt, ID).
func (a *Accessor) ListDeployments(ctx context.Context, scope certgate.Scope, apiID string) ([]*certgate.Deployment, error) {
	if !store.IsText(scope.AccountID, scope.Region, apiID) {
		return nil, nil
	}
	var out []*certgate.Deployment
	err := a.read(ctx, "list deployments", func(q Querier) error {
		out = out[:0]
		return each(ctx, q, func(s rowcodec.Scanner) error {
			d, err := scanDeployment(s)
			if err == nil {
				out = append(out, d)
			}
			return err
		}, ListDeploymentsSQL,
			apiID, scope.AccountID, scope.Region)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// UpdateDeployment replaces a deployment's description (its snapshot never
// changes).
func (a *Accessor) UpdateDeployment(ctx context.Context, scope certgate.Scope, apiID, id, description string) error {
	if !store.IsText(scope.AccountID, scope.Region, apiID, id) {
		return deploymentNotFound()
	}
	if !store.IsText(description) {
		return store.BadText("description")
	}
	return a.write(ctx, "update deployment", func(tx Tx) error {
		n, err := tx.Exec(ctx, "UPDATE api_deployments SET description = ? WHERE "+deploymentKey, description, id, apiID, scope.AccountID, scope.Region)
		if err != nil {
			return err
		}
		if n == 0 {
			return deploymentNotFound()
		}
		return bumpRevision(ctx, tx)
	})
}

// DeleteDeployment removes a deployment no stage points at.
func (a *Accessor) DeleteDeployment(ctx context.Context, scope certgate.Scope, apiID, id string) error {
	if !store.IsText(scope.AccountID, scope.Region, apiID, id) {
		return deploymentNotFound()
	}
	return a.write(ctx, "delete deployment", func(tx Tx) error {
		// The row lock waits for a stage write in flight that holds it
		// FOR SHARE, so the count below sees its stage.
		var one int
		err := tx.QueryRow(ctx, "SELECT 1 FROM api_deployments WHERE "+deploymentKey+a.d.ForUpdate(), id, apiID, scope.AccountID, scope.Region).Scan(&one)
		if noRows(err) {
			return deploymentNotFound()
		}
		if err != nil {
			return err
		}
		var n int64
		if err := tx.QueryRow(ctx, CountDeploymentStagesSQL, id, apiID).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return &certgate.Error{Code: certgate.EConflict, Reason: store.ReasonDeploymentInUse, Got: int(n),
				Message: "active stages point to this deployment"}
		}
		if _, err := tx.Exec(ctx, "DELETE FROM api_deployments WHERE "+deploymentKey, id, apiID, scope.AccountID, scope.Region); err != nil {
			return err
		}
		return bumpRevision(ctx, tx)
	})
}

func (a *Accessor) stageDoc(st *certgate.Stage) (string, error) {
	if !store.IsText(st.APIID, st.Name, st.Scope.AccountID, st.Scope.Region, st.DeploymentID, st.ClientCertificateID) {
		return "", store.BadText("stage")
	}
	return encodeDoc("stage", st)
}

// checkStageLinks checks, in tx, that the stage's deployment is the API's
// and its client certificate (if any) is a client certificate of its
// scope, holding both rows FOR SHARE so that neither can be deleted before
// tx ends.
func (a *Accessor) checkStageLinks(ctx context.Context, tx Tx, st *certgate.Stage) error {
	var one int
	err := tx.QueryRow(ctx, "SELECT 1 FROM api_deployments WHERE "+deploymentKey+a.d.ForShare(),
		st.DeploymentID, st.APIID, st.Scope.AccountID, st.Scope.Region).Scan(&one)
	if noRows(err) {
		return &certgate.Error{Code: certgate.ENotFound, Reason: store.ReasonNoDeployment, Message: "deployment not found"}
	}
	if err != nil {
		return err
	}
	if st.ClientCertificateID == "" {
		return nil
	}
	err = tx.QueryRow(ctx, "SELECT 1 FROM certificates WHERE "+certKey+a.d.ForShare(),
		keyArgs(st.Scope, certgate.KindClient, st.ClientCertificateID)...).Scan(&one)
	if noRows(err) {
		return &certgate.Error{Code: certgate.ENotFound, Reason: store.ReasonNoCertificate, Message: "client certificate not found"}
	}
	return err
}

func (a *Accessor) insertStage(ctx context.Context, tx Tx, st *certgate.Stage, doc string, quota int) error {
	if err := a.checkStageLinks(ctx, tx, st); err != nil {
		return err
	}
	var n int64
	if err := tx.QueryRow(ctx, CountStagesSQL, st.APIID).Scan(&n); err != nil {
		return err
	}
	if quota > 0 && n >= int64(quota) {
		return &certgate.Error{Code: certgate.ELimitExceeded, Reason: "stages", Limit: quota, Message: fmt.Sprintf("stage quota of %d reached", quota)}
	}
	_, err := tx.Exec(ctx, "INSERT INTO api_stages ("+stageColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		st.APIID, st.Name, st.Scope.AccountID, st.Scope.Region, st.DeploymentID, st.ClientCertificateID, doc,
		rowcodec.Micros(st.CreatedAt), rowcodec.Micros(st.UpdatedAt), int64(1))
	if err != nil {
		return a.uniqueConflict(err, []violation{{"api_stages.", "duplicate_stage", "the stage already exists"}})
	}
	st.Version = 1
	return nil
}

// CreateStage inserts st (Version 1), pointing at an existing deployment
// of its API; the quota counts the API's stages under the API's row lock.
func (a *Accessor) CreateStage(ctx context.Context, st *certgate.Stage, quota int) error {
	if st == nil || st.Name == "" {
		return certgate.Errorf(certgate.EInvalid, "stage name is required")
	}
	doc, err := a.stageDoc(st)
	if err != nil {
		return err
	}
	return a.write(ctx, "create stage", func(tx Tx) error {
		if err := a.lockRestAPI(ctx, tx, st.Scope, st.APIID); err != nil {
			return err
		}
		if err := a.insertStage(ctx, tx, st, doc, quota); err != nil {
			return err
		}
		return bumpRevision(ctx, tx)
	})
}

func scanStage(s rowcodec.Scanner) (*certgate.Stage, error) {
	var st certgate.Stage
	var doc string
	var created, updated int64
	if err := s.Scan(&st.APIID, &st.Name, &st.Scope.AccountID, &st.Scope.Region, &st.DeploymentID, &st.ClientCertificateID,
		&doc, &created, &updated, &st.Version); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(doc), &st); err != nil {
		return nil, fmt.Errorf("stage %s: stored document: %w", st.Name, err)
	}
	st.CreatedAt, st.UpdatedAt = rowcodec.FromMicros(created), rowcodec.FromMicros(updated)
	return &st, nil
}

// GetStage returns one stage of the API.
func (a *Accessor) GetStage(ctx context.Context, scope certgate.Scope, apiID, name string) (*certgate.Stage, error) {
	if !store.IsText(scope.AccountID, scope.Region, apiID, name) {
		return nil, stageNotFound()
	}
	var st *certgate.Stage
	err := a.read(ctx, "get stage", func(q Querier) error {
		var err error
		st, err = scanStage(q.QueryRow(ctx, "SELECT "+stageColumns+" FROM api_stages WHERE "+stageKey, apiID, name, scope.AccountID, scope.Region))
		if noRows(err) {
			return stageNotFound()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return st, nil
}

// ListStages returns the API's stages ordered by name.
func (a *Accessor) ListStages(ctx context.Context, scope certgate.Scope, apiID string) ([]*certgate.Stage, error) {
	if !store.IsText(scope.AccountID, scope.Region, apiID) {
		return nil, nil
	}
	var out []*certgate.Stage
	err := a.read(ctx, "list stages", func(q Querier) error {
		out = out[:0]
		return each(ctx, q, func(s rowcodec.Scanner) error {
			st, err := scanStage(s)
			if err == nil {
				out = append(out, st)
			}
			return err
		}, ListStagesSQL,
			apiID, scope.AccountID, scope.Region)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// UpdateStage replaces the stage's deployment, client certificate and
// settings if its version still matches, checking both links in the same
// transaction.
func (a *Accessor) UpdateStage(ctx context.Context, st *certgate.Stage) error {
	if st == nil || !store.IsText(st.APIID, st.Name, st.Scope.AccountID, st.Scope.Region) {
		return stageNotFound()
	}
	doc, err := a.stageDoc(st)
	if err != nil {
		return err
	}
	args := []any{st.APIID, st.Name, st.Scope.AccountID, st.Scope.Region}
	err = a.write(ctx, "update stage", func(tx Tx) error {
		var v int64
		err := tx.QueryRow(ctx, "SELECT version FROM api_stages WHERE "+stageKey+a.d.ForUpdate(), args...).Scan(&v)
		if noRows(err) {
			return stageNotFound()
		}
		if err != nil {
			return err
		}
		if v != st.Version {
			return &certgate.Error{Code: certgate.EConflict, Reason: "version", Message: "the stage was modified concurrently"}
		}
		if err := a.checkStageLinks(ctx, tx, st); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE api_stages SET deployment_id = ?, client_certificate_id = ?, doc = ?, updated_at = ?, version = version + 1 WHERE "+stageKey,
			append([]any{st.DeploymentID, st.ClientCertificateID, doc, rowcodec.Micros(st.UpdatedAt)}, args...)...); err != nil {
			return err
		}
		return bumpRevision(ctx, tx)
	})
	if err != nil {
		return err
	}
	st.Version++
	return nil
}

// DeleteStage removes one stage.
func (a *Accessor) DeleteStage(ctx context.Context, scope certgate.Scope, apiID, name string) error {
	if !store.IsText(scope.AccountID, scope.Region, apiID, name) {
		return stageNotFound()
	}
	return a.write(ctx, "delete stage", func(tx Tx) error {
		n, err := tx.Exec(ctx, "DELETE FROM api_stages WHERE "+stageKey, apiID, name, scope.AccountID, scope.Region)
		if err != nil {
			return err
		}
		if n == 0 {
			return stageNotFound()
		}
		return bumpRevision(ctx, tx)
	})
}

// stageUsing returns the name of a stage of scope that presents the client
// certificate id, or "".
func stageUsing(ctx context.Context, tx Tx, scope certgate.Scope, id string) (string, error) {
	var name string
	err := tx.QueryRow(ctx, StageUsingSQL,
		scope.AccountID, scope.Region, id).Scan(&name)
	if noRows(err) {
		return "", nil
	}
	return name, err
}
