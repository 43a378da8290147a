// Command certgate is a self-hosted certificate service for API gateways.
//
//	certgate serve              run the server
//	certgate account ...        create, list and delete accounts (tenants)
//	certgate access-key ...     add, list and delete an account's access keys
//	certgate instance create    add a gateway instance (Huawei's {instance_id}) to an account
//	certgate token ...          issue, list and revoke X-Auth-Tokens
//	certgate master-key ...     generate a master key file; rotate to a new key online
//	certgate backup             snapshot an SQLite database online
//	certgate bench              the load tool
//
// "certgate help" lists every subcommand with its flags.
//
// This package holds subcommands and wiring only: it builds the store, the
// sealer, the key pool and the core, and mounts the API dialects.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/certgate/certgate/accounts"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr, getenv))
}

const topUsage = `certgate: a self-hosted certificate service for API gateways.

Usage:
  certgate serve [flags]             run the server (certgate serve --help lists every setting)
  certgate account create [flags]    create an account and print its access key
  certgate account list              list the accounts
  certgate account delete [flags]    delete an account with its keys and tokens (--force: and certificates)
  certgate access-key create [flags] add an access key to an account (at most 2) and print its secret
  certgate access-key list [flags]   list an account's access key ids (never the secrets)
  certgate access-key delete [flags] delete an access key and its tokens
  certgate instance create [flags]   add a gateway instance (Huawei {instance_id}) to an account
  certgate token create [flags]      issue an X-Auth-Token for the Huawei dialect
  certgate token list [flags]        list an account's tokens (hashes and expiry, never the tokens)
  certgate token revoke [flags]      revoke a token, given itself or a prefix of its hash
  certgate master-key generate       create a new master key file
  certgate master-key rotate         re-seal every record under a new master key, online
  certgate backup --out FILE         take a consistent online snapshot of an SQLite database
  certgate bench SCENARIO [flags]    put load on a server or gateway; report throughput and latency
  certgate bench seed --count N      fill a database with valid certificate records (for scale figures)
  certgate help                      show this help
`

// run is main without the process: tests call it with their own streams.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, topUsage)
		return 2
	}
	switch args[0] {
	case "serve":
		return cmdServe(ctx, args[1:], stdout, stderr, getenv)
	case "account":
		switch sub(args) {
		case "create":
			return cmdAccountCreate(ctx, args[2:], stdout, stderr, getenv)
		case "list":
			return cmdAccountList(ctx, args[2:], stdout, stderr, getenv)
		case "delete":
			return cmdAccountDelete(ctx, args[2:], stdout, stderr, getenv)
		}
		fmt.Fprint(stderr, "Usage: certgate account create [--name NAME] [--account-id 12DIGITS] [--project-id 32HEX] [--json]\n"+
			"       certgate account list [--json]\n"+
			"       certgate account delete --account-id 12DIGITS [--force] [--json]\n")
		return 2
	case "access-key":
		return cmdAccessKey(ctx, args[1:], stdout, stderr, getenv)
	case "instance":
		return cmdInstance(ctx, args[1:], stdout, stderr, getenv)
	case "token":
		switch sub(args) {
		case "create":
			return cmdTokenCreate(ctx, args[2:], stdout, stderr, getenv)
		case "list":
			return cmdTokenList(ctx, args[2:], stdout, stderr, getenv)
		case "revoke":
			return cmdTokenRevoke(ctx, args[2:], stdout, stderr, getenv)
		}
		fmt.Fprint(stderr, "Usage: certgate token create --access-key-id AK [--ttl 24h] [--json]\n"+
			"       certgate token list --account-id 12DIGITS [--json]\n"+
			"       certgate token revoke (--token TOKEN | --token - | --hash-prefix HEX) [--json]\n")
		return 2
	case "master-key":
		return cmdMasterKey(ctx, args[1:], stdout, stderr, getenv)
	case "backup":
		return cmdBackup(ctx, args[1:], stdout, stderr, getenv)
	case "bench":
		return cmdBench(ctx, args[1:], stdout, stderr, getenv)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, topUsage)
		return 0
	default:
		fmt.Fprintf(stderr, "certgate: unknown command %q\n\n%s", args[0], topUsage)
		return 2
	}
}

// sub returns the subcommand of a command with subcommands, or "".
func sub(args []string) string {
	if len(args) > 1 {
		return args[1]
	}
	return ""
}

func newLogger(w io.Writer, level, format string) *slog.Logger {
	lvl, _ := parseLevel(level)
	opts := &slog.HandlerOptions{Level: lvl}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	err := l.UnmarshalText([]byte(s))
	return l, err
}

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	cfg := DefaultConfig()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := cfg.bind(fs, getenv, serveScope); err != nil {
		fmt.Fprintf(stderr, "certgate serve: %v\n", err)
		return 2
	}
	fs.Usage = func() {
		usage(stdout, fs, "certgate serve [flags]",
			"Runs the certificate service. Every setting has a flag and an environment variable; flags win.\n"+
				"The master key itself can also be given, base64-encoded, in CERTGATE_MASTER_KEY (environment only,\n"+
				"so that it never shows in a process listing).")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "certgate serve: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	log := newLogger(stderr, cfg.LogLevel, cfg.LogFormat)
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	m := &Main{Config: cfg, Logger: log}
	if err := m.Open(ctx); err != nil {
		fmt.Fprintf(stderr, "certgate serve: %v\n", err)
		return 1
	}
	defer m.Close()
	if err := m.Serve(ctx); err != nil {
		fmt.Fprintf(stderr, "certgate serve: %v\n", err)
		return 1
	}
	return 0
}

func cmdAccountCreate(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	c, err := newAdminCmd("account create", "certgate account create [flags]",
		"Creates an account (one tenant) with an access key, and prints the secret once. It works while a\n"+
			"server runs on the same database.", stdout, stderr, getenv)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	var in accounts.CreateInput
	c.fs.StringVar(&in.Name, "name", "", "a name for the account")
	c.fs.StringVar(&in.AccountID, "account-id", "", "the AWS-style account id, 12 digits (default: random)")
	c.fs.StringVar(&in.ProjectID, "project-id", "", "the Huawei-style project id, 32 lowercase hex characters (default: random)")
	if code, ok := c.parse(args); !ok {
		return code
	}
	svc, err := c.open(ctx, true)
	defer c.close()
	if err != nil {
		return c.abort(err)
	}
	created, err := svc.Create(ctx, in)
	if err != nil {
		return c.fail(err)
	}
	return c.print(map[string]string{
		"accountId":       created.Account.ID,
		"projectId":       created.Account.ProjectID,
		"instanceId":      created.Instance.ID,
		"accessKeyId":     created.AccessKeyID,
		"secretAccessKey": created.SecretAccessKey,
	}, func(w io.Writer) {
		fmt.Fprintf(w, "accountId:        %s\nprojectId:        %s\ninstanceId:       %s\naccessKeyId:      %s\nsecretAccessKey:  %s\n\nThe secret is shown only once.\n",
			created.Account.ID, created.Account.ProjectID, created.Instance.ID, created.AccessKeyID, created.SecretAccessKey)
	})
}

func cmdTokenCreate(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	c, err := newAdminCmd("token create", "certgate token create --access-key-id AK [--ttl 24h] [--json]",
		"Issues a token for the Huawei dialect's X-Auth-Token header. Only a hash of it is stored; it is shown once.",
		stdout, stderr, getenv)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	var akid string
	ttl := accounts.DefaultTokenTTL
	c.fs.StringVar(&akid, "access-key-id", "", "the access key the token acts for (required)")
	c.fs.DurationVar(&ttl, "ttl", accounts.DefaultTokenTTL, fmt.Sprintf("lifetime of the token, at most %v", accounts.MaxTokenTTL))
	if code, ok := c.parseFlags(args); !ok {
		return code
	}
	if akid == "" || c.fs.NArg() > 0 {
		return c.usageError("--access-key-id is required")
	}
	svc, err := c.open(ctx, true)
	defer c.close()
	if err != nil {
		return c.abort(err)
	}
	token, expires, err := svc.CreateToken(ctx, akid, ttl)
	if err != nil {
		return c.fail(err)
	}
	return c.print(map[string]string{"token": token, "expiresAt": expires.Format(time.RFC3339)}, func(w io.Writer) {
		fmt.Fprintf(w, "token:      %s\nexpiresAt:  %s\n\nUse it as the X-Auth-Token header. It is shown only once.\n", token, expires.Format(time.RFC3339))
	})
}
