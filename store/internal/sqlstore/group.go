package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
)

// Group commit. On a database with one writer (SQLite), every write is a
// transaction of its own and its own fsync, so writes are bounded by serial
// fsyncs however many callers there are. A grouped accessor runs the writes
// that queue up while one transaction commits together in the next one:
// each caller's fn in its own SAVEPOINT, so that a failing fn rolls back
// only its own part, then one COMMIT (one fsync) for the batch. Nobody is
// acknowledged before that COMMIT returned, so "a method that returned nil
// is on disk" holds for each caller as before.
//
// There is no timer and no batch window: a batch is whatever queued while
// the previous one ran, so one writer alone sees one plain transaction, as
// without grouping.
//
// A member whose fn failed (a conflict, a quota) is told so once the
// batch committed, since its failure may rest on what earlier members
// wrote. What cannot be answered for one member alone goes back to the
// members, which then run on their own (the ungrouped path, with its
// retries), so that nobody gets an outcome caused by another caller's
// write that was not committed:
//   - BEGIN fails (the lock stayed busy, a closed handle);
//   - a fn fails with a retryable error;
//   - the transaction is gone under a member (SQLite rolls the whole
//     transaction back on some errors: SQLITE_FULL, IOERR, NOMEM, an
//     interrupt), seen as its savepoint no longer existing;
//   - COMMIT fails with a retryable error (nothing was committed);
//   - COMMIT fails otherwise, for the members whose fn had failed.
// COMMIT failing otherwise fails every member that was in the batch with
// COMMIT's error, which is the database's, never a member's data: none of
// them was written. A caller that gives up before its turn is told so and
// has written nothing; once its fn ran and its savepoint was released, its
// outcome is the COMMIT's (as alone: see Write). A panic in a fn is raised
// again in its own caller's goroutine.

// group queues the writes of a grouped accessor.
type group struct {
	max int // members of one batch at most

	mu     sync.Mutex
	queue  []*member
	leader bool // some member is running batches
}

// member is one caller of Write in the queue.
type member struct {
	ctx  context.Context
	fn   func(tx Tx) error
	done chan error    // the outcome, or errAlone
	lead chan struct{} // this member is to run the next batch
}

// errAlone tells a member to run its write on its own.
var errAlone = errors.New("sqlstore: run alone")

// NewGrouped returns the accessor of d with group commit: concurrent
// writes, up to max at once, share a transaction and its COMMIT. Only for
// a dialect whose write transactions exclude each other (SQLite): a batch
// is one long transaction.
func NewGrouped(d Dialect, p Policy, max int) *Accessor {
	a := New(d, p)
	if max > 1 {
		a.g = &group{max: max}
	}
	return a
}

// Waiting returns how many writes are queued for the next batch, or -1 if
// a does not group commits. For tests.
func (a *Accessor) Waiting() int {
	if a.g == nil {
		return -1
	}
	a.g.mu.Lock()
	defer a.g.mu.Unlock()
	return len(a.g.queue)
}

// write runs fn in the next batch. It returns errAlone when fn is to be
// run on its own.
func (g *group) write(a *Accessor, ctx context.Context, fn func(tx Tx) error) error {
	m := &member{ctx: ctx, fn: fn, done: make(chan error, 1), lead: make(chan struct{}, 1)}
	g.mu.Lock()
	g.queue = append(g.queue, m)
	lead := !g.leader
	g.leader = true
	g.mu.Unlock()
	if !lead {
		// Whether the caller gives up or not, it waits: once its fn ran
		// in a batch, its outcome is the batch's COMMIT.
		select {
		case err := <-m.done:
			if p, ok := err.(panicked); ok {
				panic(p.v)
			}
			return err
		case <-m.lead:
		}
	}
	g.mu.Lock()
	n := min(len(g.queue), g.max)
	batch := g.queue[:n:n]
	g.queue = append([]*member(nil), g.queue[n:]...)
	g.mu.Unlock()

	if len(batch) == 1 {
		// Alone: the plain transaction, without savepoints, still as the
		// leader so that the writes queuing meanwhile form the next batch.
		batch[0].done <- writeAloneCaught(batch[0].ctx, a, batch[0].fn)
	} else {
		g.run(a, batch)
	}

	g.mu.Lock()
	if len(g.queue) > 0 {
		g.queue[0].lead <- struct{}{}
	} else {
		g.leader = false
	}
	g.mu.Unlock()
	return m.result()
}

// result waits for m's outcome; a panic of m's fn, caught in the batch, is
// raised again in m's own goroutine.
func (m *member) result() error {
	err := <-m.done
	if p, ok := err.(panicked); ok {
		panic(p.v)
	}
	return err
}

// panicked carries a panic of a member's fn to its caller: the batch runs
// in another caller's goroutine, which must neither crash for it nor leave
// the batch's other members waiting.
type panicked struct{ v any }

func (p panicked) Error() string { return fmt.Sprint("sqlstore: write panicked: ", p.v) }

// writeAloneCaught is writeAlone with a panic returned as a panicked
// error, so that the leader hands the lead on before it panics.
func writeAloneCaught(ctx context.Context, a *Accessor, fn func(tx Tx) error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = panicked{v}
		}
	}()
	return writeAlone(ctx, a, fn)
}

// call runs fn, turning a panic into a panicked error.
func call(fn func(tx Tx) error, tx Tx) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = panicked{v}
		}
	}()
	return fn(tx)
}

// run runs one batch and tells each member its outcome.
//
// A member whose fn failed is told so only once the batch committed: its
// failure may come from what the members before it wrote (a name they
// took, a quota they filled), which is true only if they are committed.
// When they are not, it runs again on its own. Failures that depend on
// nobody else (its caller gave up, a panic) are told at once.
func (g *group) run(a *Accessor, batch []*member) {
	alone := func(ms []*member) {
		for _, m := range ms {
			m.done <- errAlone
		}
	}
	// BEGIN waits for the lock like a lone writer's would, but on no one
	// caller's cancellation.
	tx, err := a.d.Begin(context.WithoutCancel(batch[0].ctx))
	if err != nil {
		alone(batch)
		return
	}
	var in []*member     // written into the transaction, acknowledged at COMMIT
	var failed []*member // fn failed; its error is told after COMMIT
	var ferrs []error
	// abort ends a batch whose transaction is gone: nothing of it was
	// written, so everyone not yet told runs on their own.
	abort := func(rest []*member) {
		tx.Rollback()
		alone(in)
		alone(failed)
		alone(rest)
	}
	for i, m := range batch {
		if err := m.ctx.Err(); err != nil {
			m.done <- err
			continue
		}
		sp := "g" + strconv.Itoa(i)
		bg := context.WithoutCancel(m.ctx)
		if _, err := tx.Exec(bg, "SAVEPOINT "+sp); err != nil {
			abort(batch[i:])
			return
		}
		ferr := call(m.fn, tx)
		if ferr == nil {
			ferr = m.ctx.Err()
		}
		if ferr == nil {
			if h, ok := m.ctx.Value(beforeCommitKey{}).(func()); ok {
				h()
			}
			// RELEASE fails only when the savepoint is gone with the
			// whole transaction (see above).
			if _, err := tx.Exec(bg, "RELEASE "+sp); err != nil {
				abort(batch[i:])
				return
			}
			in = append(in, m)
			continue
		}
		// Undo this member's part. If that fails, the transaction is gone
		// under it: it runs again on its own too.
		if _, err := tx.Exec(bg, "ROLLBACK TO "+sp); err != nil {
			abort(batch[i:])
			return
		}
		if _, err := tx.Exec(bg, "RELEASE "+sp); err != nil {
			abort(batch[i:])
			return
		}
		var p panicked
		switch {
		case errors.As(ferr, &p) || m.ctx.Err() != nil:
			m.done <- ferr
		case a.d.Retryable(ferr):
			m.done <- errAlone
		default:
			failed = append(failed, m)
			ferrs = append(ferrs, ferr)
		}
	}
	if len(in) == 0 {
		// Nobody's write is in: every failure was against committed data.
		tx.Rollback()
		for i, m := range failed {
			m.done <- ferrs[i]
		}
		return
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(in[0].ctx), commitTimeout)
	defer cancel()
	err = nil
	for _, m := range in {
		if h, ok := m.ctx.Value(commitFailKey{}).(func() error); ok && err == nil {
			err = h()
		}
	}
	if err != nil {
		tx.Rollback()
	} else {
		err = tx.Commit(cctx)
	}
	switch {
	case err == nil:
		for i, m := range failed {
			m.done <- ferrs[i]
		}
		for _, m := range in {
			m.done <- nil
		}
	case a.d.Retryable(err):
		// Nothing was committed, and trying again can succeed.
		tx.Rollback()
		alone(in)
		alone(failed)
	default:
		// COMMIT's error is the database's; it fails every write that
		// was in the transaction, and none of them is there.
		tx.Rollback()
		for _, m := range in {
			m.done <- err
		}
		alone(failed)
	}
}

type commitFailKey struct{}

// WithCommitFailure returns a ctx on which a grouped write's batch fails
// at COMMIT with the error fn returns (nil: COMMIT as usual), as a COMMIT
// that fails in the database would: the transaction is rolled back and
// every member of the batch gets the error. It exists for tests.
func WithCommitFailure(ctx context.Context, fn func() error) context.Context {
	return context.WithValue(ctx, commitFailKey{}, fn)
}
