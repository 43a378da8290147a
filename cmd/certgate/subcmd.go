package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/accounts"
	"github.com/certgate/certgate/seal"
	"github.com/certgate/certgate/store"
)

// adminCmd is the shared shape of the subcommands other than serve: a flag
// set printing to stderr, a usage text, the settings of a scope bound to
// flags and environment, and the store and master key opened after
// parsing, with the messages and exit codes every subcommand gives.
type adminCmd struct {
	name           string // e.g. "access-key create"
	stdout, stderr io.Writer
	cfg            Config
	fs             *flag.FlagSet
	asJSON         bool
	st             store.Store
	sealer         *seal.Sealer
}

// newCmd makes a subcommand with no settings yet; bind adds them.
func newCmd(name, synopsis, about string, stdout, stderr io.Writer) *adminCmd {
	c := &adminCmd{name: name, stdout: stdout, stderr: stderr, cfg: DefaultConfig()}
	c.fs = flag.NewFlagSet(name, flag.ContinueOnError)
	c.fs.SetOutput(stderr)
	c.fs.Usage = func() { usage(stdout, c.fs, synopsis, about) }
	return c
}

// bind binds the settings of sc (and extra) to flags and environment. Its
// error is the message of a bad environment value, ready to print.
func (c *adminCmd) bind(getenv func(string) string, sc scope, extra ...setting) error {
	if err := c.cfg.bind(c.fs, getenv, sc, extra...); err != nil {
		return fmt.Errorf("certgate %s: %v", c.name, err)
	}
	return nil
}

// jsonFlag adds --json.
func (c *adminCmd) jsonFlag() {
	c.fs.BoolVar(&c.asJSON, "json", false, "print the result as JSON")
}

// newAdminCmd makes a subcommand on an existing installation: the store
// settings and --json. The caller adds its own flags to c.fs, then calls
// parse.
func newAdminCmd(name, synopsis, about string, stdout, stderr io.Writer, getenv func(string) string) (*adminCmd, error) {
	c := newCmd(name, synopsis, about, stdout, stderr)
	if err := c.bind(getenv, storeScope); err != nil {
		return nil, err
	}
	c.jsonFlag()
	return c, nil
}

// parseFlags parses args; when it returns false the command ends with
// code. Arguments after the flags are left to the caller.
func (c *adminCmd) parseFlags(args []string) (code int, ok bool) {
	if err := c.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, false
		}
		return 2, false
	}
	return 0, true
}

// parse is parseFlags for a command that takes no arguments.
func (c *adminCmd) parse(args []string) (code int, ok bool) {
	if code, ok := c.parseFlags(args); !ok {
		return code, false
	}
	if c.fs.NArg() > 0 {
		return c.usageError("unexpected argument %q", c.fs.Arg(0)), false
	}
	return 0, true
}

func (c *adminCmd) usageError(format string, args ...any) int {
	fmt.Fprintf(c.stderr, "certgate %s: %s\n", c.name, fmt.Sprintf(format, args...))
	return 2
}

// openStore opens the existing database into c.st and, when withKey is
// set, the master key into c.sealer, after checking the settings as serve
// does. Revoking and listing read no secret, so they work without a key.
func (c *adminCmd) openStore(ctx context.Context, withKey bool) error {
	c.cfg.resolveDefaults()
	if withKey {
		if err := c.cfg.Validate(); err != nil {
			return err
		}
	}
	st, err := openExistingStore(ctx, c.cfg.Database, c.cfg.pool())
	if err != nil {
		return err
	}
	c.st = st
	if withKey {
		if c.sealer, err = openSealer(ctx, &c.cfg, st, newLogger(c.stderr, "warn", "text")); err != nil {
			return err
		}
	}
	return nil
}

// open is openStore, returning the accounts service on the store.
func (c *adminCmd) open(ctx context.Context, withKey bool) (*accounts.Service, error) {
	if err := c.openStore(ctx, withKey); err != nil {
		return nil, err
	}
	return accounts.New(c.st, c.sealer), nil
}

func (c *adminCmd) close() {
	if c.st != nil {
		c.st.Close()
	}
}

// fail prints err, as its client-safe message when it is a domain error,
// and returns exit code 1.
func (c *adminCmd) fail(err error) int {
	msg := err.Error()
	if e := certgate.AsError(err); e != nil && e.Code != certgate.EInternal {
		msg = e.Message
	}
	return c.abort(errors.New(msg))
}

// abort prints err in full and returns exit code 1.
func (c *adminCmd) abort(err error) int {
	fmt.Fprintf(c.stderr, "certgate %s: %v\n", c.name, err)
	return 1
}

// print writes v as JSON with --json, and otherwise calls text.
func (c *adminCmd) print(v any, text func(w io.Writer)) int {
	if c.asJSON {
		_ = json.NewEncoder(c.stdout).Encode(v)
		return 0
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	text(tw)
	tw.Flush()
	return 0
}
