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

// APIGroup is an API group of an instance: the unit that custom domains
// (and later APIs) belong to.
type APIGroup struct {
	ID         string // 32 lowercase hex characters
	AccountID  string
	InstanceID string
	Name       string // unique within its instance
	Remark     string
	CreatedAt  time.Time
	UpdatedAt  time.Time
	// Version increases by one with every update, for optimistic
	// concurrency control.
	Version int64
}
