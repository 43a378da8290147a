package certgate

import "time"

// Instance is a gateway instance, the Huawei APIG {instance_id} every
// gateway path names. Each account has one, made with the account, and may
// add more; all are served by the same data plane.
type Instance struct {
	ID        string // 32 lowercase hex characters
	AccountID string // the owning account; instances are scoped by it alone
	Name      string
	CreatedAt time.Time
}
