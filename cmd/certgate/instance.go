package main

import (
	"context"
	"fmt"
	"io"

	"github.com/certgate/certgate/gwconfig"
)

func cmdInstance(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 || args[0] != "create" {
		fmt.Fprint(stderr, "Usage: certgate instance create --account-id 12DIGITS [--name NAME] [--json]\n")
		return 2
	}
	c, err := newAdminCmd("instance create", "certgate instance create --account-id 12DIGITS [--name NAME] [--json]",
		"Adds a gateway instance to an account (every account has one, made with it). Huawei paths name it as\n"+
			"{instance_id}. It works while a server runs on the same database.", stdout, stderr, getenv)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	var accountID, name string
	c.fs.StringVar(&accountID, "account-id", "", "the account (required)")
	c.fs.StringVar(&name, "name", "", "3 to 64 letters, digits, - and _, starting with a letter (default: apig-<id prefix>)")
	if code, ok := c.parse(args[1:]); !ok {
		return code
	}
	if accountID == "" {
		return c.usageError("--account-id is required")
	}
	err = c.openStore(ctx, false)
	defer c.close()
	if err != nil {
		return c.abort(err)
	}
	// The account must exist (and not be deleted): the store checks only
	// the tombstone.
	if _, err := c.st.GetAccount(ctx, accountID); err != nil {
		return c.fail(err)
	}
	in, err := gwconfig.New(c.st).CreateInstance(ctx, accountID, name)
	if err != nil {
		return c.fail(err)
	}
	return c.print(map[string]string{"instanceId": in.ID, "accountId": in.AccountID, "name": in.Name,
		"createdAt": rfc3339(in.CreatedAt)}, func(w io.Writer) {
		fmt.Fprintf(w, "instanceId:\t%s\naccountId:\t%s\nname:\t%s\ncreatedAt:\t%s\n", in.ID, in.AccountID, in.Name, rfc3339(in.CreatedAt))
	})
}
