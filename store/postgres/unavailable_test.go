package postgres

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/certgate/certgate"
)

// TestConnectionFailureIsUnavailable: what says the server cannot be
// reached becomes EUnavailable, sanitized; what the server answered about
// the statement does not.
func TestConnectionFailureIsUnavailable(t *testing.T) {
	cases := []struct {
		err  error
		want bool
	}{
		{&pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"}, true},
		{&pgconn.PgError{Code: "57P02"}, true},
		{&pgconn.PgError{Code: "57P03", Message: "the database system is starting up"}, true},
		{&pgconn.PgError{Code: "53300", Message: "sorry, too many clients already"}, true},
		{&pgconn.PgError{Code: "08006"}, true},
		{fmt.Errorf("query: %w", io.ErrUnexpectedEOF), true},
		{&net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, true},
		{fmt.Errorf("write: %w", syscall.ECONNRESET), true},
		{&pgconn.PgError{Code: "23505", Detail: "Key (id)=(x) already exists."}, false},
		{&pgconn.PgError{Code: "22021"}, false},
		{&pgconn.PgError{Code: "40001"}, false},
		{errors.New("something else"), false},
	}
	db := &DB{secrets: []string{"hunter2"}}
	for _, c := range cases {
		got := db.wrap("get account", fmt.Errorf("password hunter2: %w", c.err))
		e := certgate.AsError(got)
		isU := e != nil && e.Code == certgate.EUnavailable
		if isU != c.want {
			t.Errorf("%v: EUnavailable %v, want %v (%v)", c.err, isU, c.want, got)
		}
		if isU && (e.Reason != "database" || e.RetryAfter <= 0) {
			t.Errorf("%v: reason %q retry after %v", c.err, e.Reason, e.RetryAfter)
		}
		if got != nil && (strings.Contains(got.Error(), "hunter2") || hasDetail(got)) {
			t.Errorf("%v: error leaks: %v", c.err, got)
		}
	}
}

func hasDetail(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Detail != ""
}
