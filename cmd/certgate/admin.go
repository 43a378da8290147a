package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/accounts"
)

// Operator subcommands for revocation: access keys, tokens and accounts.
// They run as their own process on the live database, so they revoke in the
// store; a running node stops accepting a deleted key within its
// --access-key-cache-ttl, and a deleted token at once (tokens are not
// cached).

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// accessKeyView is an access key as list and delete print it: never a
// secret.
type accessKeyView struct {
	AccessKeyID string `json:"accessKeyId"`
	AccountID   string `json:"accountId"`
	CreatedAt   string `json:"createdAt"`
}

func cmdAccessKey(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	const short = "Usage: certgate access-key create|list|delete --account-id 12DIGITS [--access-key-id AK] [--json]\n"
	if len(args) == 0 {
		fmt.Fprint(stderr, short)
		return 2
	}
	var (
		synopsis, about string
		withKey         bool
	)
	switch args[0] {
	case "create":
		synopsis = "certgate access-key create --account-id 12DIGITS [--json]"
		about = fmt.Sprintf("Adds an access key to an account and prints its secret once. An account holds at most %d keys,\n"+
			"so that a key can be rotated without downtime: create the new key, deploy it, delete the old one.", accounts.MaxAccessKeys)
		withKey = true
	case "list":
		synopsis = "certgate access-key list --account-id 12DIGITS [--json]"
		about = "Lists an account's access key ids and creation times (never the secrets)."
	case "delete":
		synopsis = "certgate access-key delete --account-id 12DIGITS --access-key-id AK [--json]"
		about = "Deletes an access key and every token issued to it. Running nodes refuse the key within their\n" +
			"--access-key-cache-ttl (default 30s). Deleting an account's last key is allowed; the account then\n" +
			"cannot sign requests until `certgate access-key create` gives it a new key."
	default:
		fmt.Fprint(stderr, short)
		return 2
	}
	c, err := newAdminCmd("access-key "+args[0], synopsis, about, stdout, stderr, getenv)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	var accountID, akid string
	c.fs.StringVar(&accountID, "account-id", "", "the account (required)")
	if args[0] == "delete" {
		c.fs.StringVar(&akid, "access-key-id", "", "the access key to delete (required)")
	}
	if code, ok := c.parse(args[1:]); !ok {
		return code
	}
	if accountID == "" {
		return c.usageError("--account-id is required")
	}
	if args[0] == "delete" && akid == "" {
		return c.usageError("--access-key-id is required")
	}
	svc, err := c.open(ctx, withKey)
	defer c.close()
	if err != nil {
		return c.fail(err)
	}

	switch args[0] {
	case "create":
		k, err := svc.CreateAccessKey(ctx, accountID)
		if err != nil {
			return c.fail(err)
		}
		return c.print(map[string]string{"accessKeyId": k.AccessKeyID, "secretAccessKey": k.SecretAccessKey,
			"accountId": k.AccountID, "createdAt": rfc3339(k.CreatedAt)}, func(w io.Writer) {
			fmt.Fprintf(w, "accountId:\t%s\naccessKeyId:\t%s\nsecretAccessKey:\t%s\ncreatedAt:\t%s\n\nThe secret is shown only once.\n",
				k.AccountID, k.AccessKeyID, k.SecretAccessKey, rfc3339(k.CreatedAt))
		})
	case "list":
		ks, err := svc.ListAccessKeys(ctx, accountID)
		if err != nil {
			return c.fail(err)
		}
		views := make([]accessKeyView, 0, len(ks))
		for _, k := range ks {
			views = append(views, accessKeyView{AccessKeyID: k.ID, AccountID: k.AccountID, CreatedAt: rfc3339(k.CreatedAt)})
		}
		return c.print(map[string]any{"accountId": accountID, "accessKeys": views}, func(w io.Writer) {
			fmt.Fprintln(w, "ACCESS KEY ID\tCREATED")
			for _, v := range views {
				fmt.Fprintf(w, "%s\t%s\n", v.AccessKeyID, v.CreatedAt)
			}
		})
	default: // delete
		if err := svc.DeleteAccessKey(ctx, accountID, akid); err != nil {
			return c.fail(err)
		}
		left, err := svc.ListAccessKeys(ctx, accountID)
		if err == nil && len(left) == 0 {
			fmt.Fprintf(stderr, "certgate access-key delete: account %s has no access key left; `certgate access-key create --account-id %s` makes one\n",
				accountID, accountID)
		}
		return c.print(map[string]any{"accountId": accountID, "accessKeyId": akid, "deleted": true}, func(w io.Writer) {
			fmt.Fprintf(w, "Deleted access key %s of account %s, and its tokens.\n", akid, accountID)
		})
	}
}

// tokenView is a token as list and revoke print it: its hash, never the
// token.
type tokenView struct {
	Hash        string `json:"hash"`
	AccessKeyID string `json:"accessKeyId"`
	AccountID   string `json:"accountId"`
	CreatedAt   string `json:"createdAt"`
	ExpiresAt   string `json:"expiresAt"`
	Expired     bool   `json:"expired"`
}

func newTokenView(t *certgate.Token, now time.Time) tokenView {
	return tokenView{Hash: t.Hash, AccessKeyID: t.AccessKeyID, AccountID: t.AccountID,
		CreatedAt: rfc3339(t.CreatedAt), ExpiresAt: rfc3339(t.ExpiresAt), Expired: !now.Before(t.ExpiresAt)}
}

func cmdTokenRevoke(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	c, err := newAdminCmd("token revoke", "certgate token revoke (--token TOKEN | --token - | --hash-prefix HEX) [--json]",
		"Deletes a token; every node refuses it from the next request on. Give the token itself (\"-\" reads it\n"+
			"from standard input, which keeps it out of the process list), or a prefix of its hash as\n"+
			"`certgate token list` shows it; a prefix that matches more than one token revokes nothing.",
		stdout, stderr, getenv)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	var token, prefix string
	c.fs.StringVar(&token, "token", "", "the token to revoke, or - to read it from standard input")
	c.fs.StringVar(&prefix, "hash-prefix", "", fmt.Sprintf("the token's hash, or at least its first %d characters", accounts.MinHashPrefix))
	if code, ok := c.parse(args); !ok {
		return code
	}
	if (token == "") == (prefix == "") {
		return c.usageError("give exactly one of --token and --hash-prefix")
	}
	if token == "-" {
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil && line == "" {
			return c.usageError("--token -: no token on standard input")
		}
		token = strings.TrimSpace(line)
	}
	svc, err := c.open(ctx, false)
	defer c.close()
	if err != nil {
		return c.fail(err)
	}
	var t *certgate.Token
	if token != "" {
		t, err = svc.RevokeToken(ctx, token)
	} else {
		t, err = svc.RevokeTokenPrefix(ctx, prefix)
	}
	if err != nil {
		return c.fail(err)
	}
	v := newTokenView(t, time.Now())
	return c.print(map[string]any{"revoked": v}, func(w io.Writer) {
		fmt.Fprintf(w, "Revoked token %s of access key %s (account %s), which expired at %s.\n", v.Hash, v.AccessKeyID, v.AccountID, v.ExpiresAt)
	})
}

func cmdTokenList(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	c, err := newAdminCmd("token list", "certgate token list --account-id 12DIGITS [--json]",
		"Lists an account's tokens, expired ones included: hash, access key and times. Tokens themselves are\n"+
			"never stored, so they cannot be shown.", stdout, stderr, getenv)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	var accountID string
	c.fs.StringVar(&accountID, "account-id", "", "the account (required)")
	if code, ok := c.parse(args); !ok {
		return code
	}
	if accountID == "" {
		return c.usageError("--account-id is required")
	}
	svc, err := c.open(ctx, false)
	defer c.close()
	if err != nil {
		return c.fail(err)
	}
	ts, err := svc.ListTokens(ctx, accountID)
	if err != nil {
		return c.fail(err)
	}
	now := time.Now()
	views := make([]tokenView, 0, len(ts))
	for _, t := range ts {
		views = append(views, newTokenView(t, now))
	}
	return c.print(map[string]any{"accountId": accountID, "tokens": views}, func(w io.Writer) {
		fmt.Fprintln(w, "HASH\tACCESS KEY ID\tCREATED\tEXPIRES")
		for _, v := range views {
			exp := v.ExpiresAt
			if v.Expired {
				exp += " (expired)"
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", v.Hash, v.AccessKeyID, v.CreatedAt, exp)
		}
	})
}

func cmdAccountList(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	c, err := newAdminCmd("account list", "certgate account list [--json]", "Lists every account.", stdout, stderr, getenv)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	if code, ok := c.parse(args); !ok {
		return code
	}
	svc, err := c.open(ctx, false)
	defer c.close()
	if err != nil {
		return c.fail(err)
	}
	as, err := svc.List(ctx)
	if err != nil {
		return c.fail(err)
	}
	type view struct {
		AccountID string `json:"accountId"`
		ProjectID string `json:"projectId"`
		Name      string `json:"name"`
		CreatedAt string `json:"createdAt"`
	}
	views := make([]view, 0, len(as))
	for _, a := range as {
		views = append(views, view{AccountID: a.ID, ProjectID: a.ProjectID, Name: a.Name, CreatedAt: rfc3339(a.CreatedAt)})
	}
	return c.print(map[string]any{"accounts": views}, func(w io.Writer) {
		fmt.Fprintln(w, "ACCOUNT ID\tPROJECT ID\tCREATED\tNAME")
		for _, v := range views {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", v.AccountID, v.ProjectID, v.CreatedAt, v.Name)
		}
	})
}

func cmdAccountDelete(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	c, err := newAdminCmd("account delete", "certgate account delete --account-id 12DIGITS [--force] [--json]",
		"Deletes an account with its access keys and tokens. It is refused while the account holds\n"+
			"certificates (in any region, of either dialect), unless --force, which deletes them too, all in one\n"+
			"transaction.", stdout, stderr, getenv)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	var accountID string
	var force bool
	c.fs.StringVar(&accountID, "account-id", "", "the account (required)")
	c.fs.BoolVar(&force, "force", false, "also delete the account's certificates")
	if code, ok := c.parse(args); !ok {
		return code
	}
	if accountID == "" {
		return c.usageError("--account-id is required")
	}
	svc, err := c.open(ctx, false)
	defer c.close()
	if err != nil {
		return c.fail(err)
	}
	if err := svc.Delete(ctx, accountID, force); err != nil {
		return c.fail(err)
	}
	return c.print(map[string]any{"accountId": accountID, "deleted": true}, func(w io.Writer) {
		what := "its access keys and tokens"
		if force {
			what = "its access keys, tokens and certificates"
		}
		fmt.Fprintf(w, "Deleted account %s with %s.\n", accountID, what)
	})
}
