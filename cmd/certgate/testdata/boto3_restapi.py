#!/usr/bin/env python3
"""certgate's REST API operations through boto3: the request sequence the
spec (aws-stages-integrations.md, "Captured bodies") recorded from boto3,
then the read-back and two modeled errors.

Usage: boto3_restapi.py --endpoint URL   (keys in AWS_ACCESS_KEY_ID and
AWS_SECRET_ACCESS_KEY). Prints a JSON summary on stdout.
"""

import argparse
import json

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError


def error_of(call):
    try:
        call()
    except ClientError as e:
        return {"code": e.response["Error"]["Code"], "message": e.response["Error"]["Message"],
                "status": e.response["ResponseMetadata"]["HTTPStatusCode"]}
    return None


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--endpoint", required=True)
    args = p.parse_args()
    c = boto3.client("apigateway", endpoint_url=args.endpoint, region_name="us-east-1",
                     config=Config(retries={"max_attempts": 1}))
    api = c.create_rest_api(name="x", endpointConfiguration={"types": ["REGIONAL"]})
    rid = api["id"]
    resources = c.get_resources(restApiId=rid, embed=["methods"])["items"]
    root = [r for r in resources if r["path"] == "/"][0]["id"]
    res = c.create_resource(restApiId=rid, parentId=root, pathPart="{proxy+}")
    c.put_method(restApiId=rid, resourceId=res["id"], httpMethod="ANY", authorizationType="NONE",
                 requestParameters={"method.request.path.proxy": True})
    put = c.put_integration(restApiId=rid, resourceId=res["id"], httpMethod="ANY", type="HTTP_PROXY",
                            integrationHttpMethod="ANY", uri="https://backend.example.com/{proxy}",
                            requestParameters={"integration.request.path.proxy": "method.request.path.proxy"},
                            tlsConfig={"insecureSkipVerification": False})
    got = c.get_integration(restApiId=rid, resourceId=res["id"], httpMethod="ANY")
    method = c.get_method(restApiId=rid, resourceId=res["id"], httpMethod="ANY")
    summary = {
        "api_id": rid,
        "root_matches": root == api["rootResourceId"],
        "resource_path": c.get_resource(restApiId=rid, resourceId=res["id"])["path"],
        "put_status": put["ResponseMetadata"]["HTTPStatusCode"],
        "integration": {k: got.get(k) for k in ("type", "httpMethod", "uri", "connectionType", "timeoutInMillis",
                                                  "passthroughBehavior", "tlsConfig", "requestParameters")},
        "cache_namespace_is_resource": got.get("cacheNamespace") == res["id"],
        "method_auth": method["authorizationType"],
        "method_has_integration": "methodIntegration" in method,
        "errors": {
            "missing_api": error_of(lambda: c.get_rest_api(restApiId="nosuchapi0")),
            "duplicate": error_of(lambda: c.create_resource(restApiId=rid, parentId=root, pathPart="{proxy+}")),
        },
    }
    # The recorded boto3 sequence goes on: deploy, stage, attach a client
    # certificate (CreateStage has no clientCertificateId input).
    dep = c.create_deployment(restApiId=rid)
    c.create_stage(restApiId=rid, stageName="prod", deploymentId=dep["id"])
    cc = c.generate_client_certificate()["clientCertificateId"]
    c.update_stage(restApiId=rid, stageName="prod",
                   patchOperations=[{"op": "replace", "path": "/clientCertificateId", "value": cc}])
    stage = c.get_stage(restApiId=rid, stageName="prod")
    summary["stage"] = {"client_certificate_matches": stage.get("clientCertificateId") == cc,
                        "deployment_matches": stage.get("deploymentId") == dep["id"],
                        "cacheClusterStatus": stage.get("cacheClusterStatus")}
    summary["errors"]["delete_in_use"] = error_of(lambda: c.delete_client_certificate(clientCertificateId=cc))
    summary["errors"]["delete_deployment_in_use"] = error_of(
        lambda: c.delete_deployment(restApiId=rid, deploymentId=dep["id"]))
    c.update_stage(restApiId=rid, stageName="prod",
                   patchOperations=[{"op": "replace", "path": "/clientCertificateId", "value": ""}])
    summary["stage"]["detached"] = "clientCertificateId" not in c.get_stage(restApiId=rid, stageName="prod")
    c.delete_client_certificate(clientCertificateId=cc)
    c.delete_rest_api(restApiId=rid)
    print(json.dumps(summary, sort_keys=True))


if __name__ == "__main__":
    main()
