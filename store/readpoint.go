package store

import (
	"context"
	"sync"
)

// WithReadPoint marks ctx as one request's. A store that serves reads from
// memory (SQLite: see store/sqlite's read cache) checks the database for
// commits once, at the first read on ctx, instead of at every read: the
// request then reads the database as of that check or later, which is
// after every write acknowledged before the request began. A write through
// the same handle moves the point on, so a request reads its own writes.
// Without it every read checks. Reads on ctx from several handles keep a
// point each.
func WithReadPoint(ctx context.Context) context.Context {
	return context.WithValue(ctx, readPointKey{}, &ReadPoint{})
}

type readPointKey struct{}

// ReadPoint is what WithReadPoint attaches: for backends, the change count
// a handle observed for this request.
type ReadPoint struct {
	mu    sync.Mutex
	owner any
	count uint64
}

// ReadPointOf returns ctx's read point, or nil.
func ReadPointOf(ctx context.Context) *ReadPoint {
	p, _ := ctx.Value(readPointKey{}).(*ReadPoint)
	return p
}

// Get returns the count owner stored, if it did.
func (p *ReadPoint) Get(owner any) (uint64, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.count, p.owner == owner
}

// Set stores owner's count; the first owner keeps the point.
func (p *ReadPoint) Set(owner any, count uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.owner == nil || p.owner == owner {
		p.owner, p.count = owner, count
	}
}

// Forget drops the point, so that the request's next read checks the
// database again and takes a new point: for a request that waited on its
// client (a body) after its first read.
func (p *ReadPoint) Forget() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.owner, p.count = nil, 0
}
