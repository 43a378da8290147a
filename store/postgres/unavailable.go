package postgres

import (
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/certgate/certgate"
)

// unavailableRetryAfter is the Retry-After suggested while the database
// cannot be reached: the pool dials again on every request, so a client
// may try again soon.
const unavailableRetryAfter = 2 * time.Second

// unavailable returns the EUnavailable error (Reason "database") for err
// when it says the database cannot be reached, and nil otherwise. Its Err
// is sanitized: no password, no row data.
func (db *DB) unavailable(op string, err error) error {
	if !connectionFailure(err) {
		return nil
	}
	return &certgate.Error{Code: certgate.EUnavailable, Reason: "database", Message: "The database is unavailable",
		RetryAfter: unavailableRetryAfter, Err: sanitize(wrapOp(op, err), db.secrets)}
}

func wrapOp(op string, err error) error { return &opError{op: op, err: err} }

// opError prefixes an error with the operation, like fmt.Errorf("postgres:
// %s: %w") but without formatting the cause twice.
type opError struct {
	op  string
	err error
}

func (e *opError) Error() string { return "postgres: " + e.op + ": " + e.err.Error() }
func (e *opError) Unwrap() error { return e.err }

// connectionFailure reports whether err means that the server could not be
// reached or went away, as opposed to a statement it refused: a failed
// connect (refused, timed out, authentication, too many connections), an
// administrator or crash shutdown, a connection-class SQLSTATE, a network
// error, or a connection that closed under the query. A connect that ran
// out of time (the caller's deadline or --db-connect-timeout) is a failed
// connect.
func connectionFailure(err error) bool {
	if err == nil {
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case strings.HasPrefix(pe.Code, "08"): // connection_exception class
			return true
		case pe.Code == "57P01", // admin_shutdown
			pe.Code == "57P02", // crash_shutdown
			pe.Code == "57P03", // cannot_connect_now (starting up, shutting down, recovery)
			pe.Code == "53300": // too_many_connections
			return true
		}
		// Any other server error is an answer to the statement.
		return false
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	switch {
	case errors.As(err, &ce):
		return true
	case errors.As(err, &ne):
		return true
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return true
	case pgconn.SafeToRetry(err):
		// Nothing was sent: the pooled connection was already dead.
		return true
	}
	return false
}
