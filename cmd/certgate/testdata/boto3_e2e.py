#!/usr/bin/env python3
"""End-to-end check of certgate with boto3 (the Amazon API Gateway client).

Usage:
  boto3_e2e.py --endpoint http://127.0.0.1:PORT [--access-key-id AK --secret-access-key SK] [--region us-east-1]

Each option falls back to an environment variable: CERTGATE_ENDPOINT,
AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION. Keys are best
given in the environment, so that they do not show in a process listing.

The account must start with no client certificates in the region. The
script generates five, pages through them, updates, tags and deletes one,
and checks that errors arrive as boto3's modeled exception classes. On
success it prints a JSON summary on stdout and exits 0; on failure it prints
"boto3_e2e: FAIL: ..." on stderr and exits 1.
"""

import argparse
import datetime
import json
import os
import sys

import boto3
import botocore
from botocore.config import Config
from botocore.exceptions import ClientError


class Failure(Exception):
    pass


def check(cond, msg):
    # Not `assert`: python -O would remove it.
    if not cond:
        raise Failure(msg)


def expect_error(client, name, modeled, call):
    """Runs call, which must raise client.exceptions.<modeled> (the class
    botocore builds from the service model, not a generic ClientError)."""
    cls = getattr(client.exceptions, modeled)
    try:
        call()
    except cls as e:
        err = e.response.get("Error", {})
        return {
            "class": type(e).__name__,
            "code": err.get("Code"),
            "status": e.response.get("ResponseMetadata", {}).get("HTTPStatusCode"),
            "message": err.get("Message"),
        }
    except ClientError as e:
        raise Failure(
            "%s: raised %s (code %r), not the modeled client.exceptions.%s"
            % (name, type(e).__name__, e.response.get("Error", {}).get("Code"), modeled)
        )
    raise Failure("%s: no exception raised, want %s" % (name, modeled))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--endpoint", default=os.environ.get("CERTGATE_ENDPOINT"))
    ap.add_argument("--access-key-id", default=os.environ.get("AWS_ACCESS_KEY_ID"))
    ap.add_argument("--secret-access-key", default=os.environ.get("AWS_SECRET_ACCESS_KEY"))
    ap.add_argument("--region", default=os.environ.get("AWS_DEFAULT_REGION") or "us-east-1")
    args = ap.parse_args()
    for opt in ("endpoint", "access_key_id", "secret_access_key"):
        if not getattr(args, opt):
            ap.error("--%s (or its environment variable) is required" % opt.replace("_", "-"))

    client = boto3.client(
        "apigateway",
        endpoint_url=args.endpoint,
        region_name=args.region,
        aws_access_key_id=args.access_key_id,
        aws_secret_access_key=args.secret_access_key,
        # One attempt per call, so that a server error is never retried
        # into a pass; bounded timeouts so that nothing hangs.
        config=Config(retries={"max_attempts": 0}, connect_timeout=10, read_timeout=60),
    )

    existing = client.get_client_certificates().get("items", [])
    check(existing == [], "the account already has %d client certificates" % len(existing))

    # Generate, with tags; dates are datetimes 365 days apart.
    gen = client.generate_client_certificate(description="boto3 cert", tags={"env": "dev", "a b": "c/d"})
    check(gen["ResponseMetadata"]["HTTPStatusCode"] == 201, "generate: status %r" % gen["ResponseMetadata"]["HTTPStatusCode"])
    cid = gen["clientCertificateId"]
    check(gen.get("description") == "boto3 cert", "generate: description %r" % gen.get("description"))
    check(gen.get("tags") == {"env": "dev", "a b": "c/d"}, "generate: tags %r" % gen.get("tags"))
    pem = gen["pemEncodedCertificate"]
    check(pem.startswith("-----BEGIN CERTIFICATE-----\n"), "generate: not a PEM certificate: %r" % pem[:40])
    created, expires = gen["createdDate"], gen["expirationDate"]
    for name, v in (("createdDate", created), ("expirationDate", expires)):
        check(isinstance(v, datetime.datetime), "%s is %s, not a datetime" % (name, type(v).__name__))
        check(v.tzinfo is not None, "%s has no time zone" % name)
    check(expires - created == datetime.timedelta(days=365), "expirationDate - createdDate = %s" % (expires - created))
    now = datetime.datetime.now(datetime.timezone.utc)
    check(abs((now - created).total_seconds()) < 300, "createdDate %s is not now (%s)" % (created, now))

    got = client.get_client_certificate(clientCertificateId=cid)
    check(got["pemEncodedCertificate"] == pem, "get: a different PEM")
    check(got["createdDate"] == created and got["expirationDate"] == expires, "get: different dates")

    # Five in all, then page through them two at a time.
    generated = [cid]
    for i in range(1, 5):
        generated.append(client.generate_client_certificate(description="boto3 cert %d" % i)["clientCertificateId"])
    pages, listed = [], []
    for page in client.get_paginator("get_client_certificates").paginate(PaginationConfig={"PageSize": 2}):
        items = page.get("items", [])
        pages.append(len(items))
        listed.extend(it["clientCertificateId"] for it in items)
    check(len(pages) > 1, "the paginator fetched %d page(s), want more than one" % len(pages))
    check(len(listed) == len(set(listed)), "an id was listed twice: %r" % listed)
    check(sorted(listed) == sorted(generated), "listed %r, generated %r" % (listed, generated))

    # Update the description; tag and untag by ARN.
    upd = client.update_client_certificate(
        clientCertificateId=cid,
        patchOperations=[{"op": "replace", "path": "/description", "value": "renamed by boto3"}],
    )
    check(upd.get("description") == "renamed by boto3", "update: description %r" % upd.get("description"))
    arn = "arn:aws:apigateway:%s::/clientcertificates/%s" % (args.region, cid)
    client.tag_resource(resourceArn=arn, tags={"team": "edge", "k": "v"})
    client.untag_resource(resourceArn=arn, tagKeys=["k", "a b"])
    tags = client.get_tags(resourceArn=arn)["tags"]
    check(tags == {"env": "dev", "team": "edge"}, "get_tags: %r" % tags)
    desc = client.get_client_certificate(clientCertificateId=cid).get("description")
    check(desc == "renamed by boto3", "get after update: description %r" % desc)

    errors = {}
    errors["patch_add"] = expect_error(client, "update with op=add", "BadRequestException", lambda: client.update_client_certificate(
        clientCertificateId=cid, patchOperations=[{"op": "add", "path": "/description", "value": "x"}]))

    # Delete; the id is then unknown, as a modeled NotFoundException.
    client.delete_client_certificate(clientCertificateId=cid)
    errors["get_deleted"] = expect_error(client, "get after delete", "NotFoundException",
                                         lambda: client.get_client_certificate(clientCertificateId=cid))
    errors["delete_deleted"] = expect_error(client, "second delete", "NotFoundException",
                                            lambda: client.delete_client_certificate(clientCertificateId=cid))
    remaining = [it["clientCertificateId"] for it in client.get_client_certificates().get("items", [])]
    check(remaining == generated[1:], "after delete the list is %r, want %r" % (remaining, generated[1:]))

    json.dump({
        "ok": True,
        "boto3": boto3.__version__,
        "botocore": botocore.__version__,
        "id": cid,
        "pem": pem,
        "createdDate": created.isoformat(),
        "expirationDate": expires.isoformat(),
        "dateType": type(created).__name__,
        "validityDays": (expires - created).total_seconds() / 86400,
        "generated": generated,
        "pageSizes": pages,
        "listed": len(listed),
        "description": desc,
        "tags": tags,
        "remaining": remaining,
        "errors": errors,
    }, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    try:
        main()
    except (Failure, ClientError, botocore.exceptions.BotoCoreError) as e:
        print("boto3_e2e: FAIL: %s: %s" % (type(e).__name__, e), file=sys.stderr)
        sys.exit(1)
