"""Publishes the officials' console to a stage's console bucket (docs/deploy.md):

    python -m infra.publish_console --stage prod [--stack-name sem-prod] [--region sa-east-1]

1. reads the deployed stack's outputs (CloudFormation DescribeStacks): the API's URL
   (`EndpointURL`, which `chalice package` adds), the console bucket (`ConsoleBucketName`) and,
   when the stack has them, `CognitoUserPoolId` / `CognitoClientId`; otherwise the user pool and
   app client come from `--user-pool-id` / `--client-id` or `SEM_COGNITO_USER_POOL_ID` /
   `SEM_COGNITO_CLIENT_ID` (what `infra.bootstrap` prints);
2. renders `config.js` for that stage (`console_config`, the one definition of its keys);
3. uploads every file of `console/` with its Content-Type and `Cache-Control: no-cache` (the
   files are not content-hashed — no build step — so browsers and CloudFront revalidate them by
   ETag), and `config.js` with `no-store`; removes objects no longer in `console/`.

The security headers and CSP are CloudFront's (infra/resources.yaml: ConsoleHeadersPolicy), not
object metadata.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CONSOLE_DIR = Path(__file__).resolve().parent.parent / "console"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
    ".woff2": "font/woff2",
}
NOT_PUBLISHED = {"README.md", "config.js"}
STATIC_CACHE = "no-cache"
CONFIG_CACHE = "no-store"


def console_config(*, api_url: str, stage: str, region: str, user_pool_id: str, client_id: str,
                   cognito_endpoint: str | None = None) -> dict[str, str]:
    """What the console knows of its stage (console/README.md, `window.SEM_CONFIG`)."""
    return {
        "apiUrl": api_url.rstrip("/"),
        "stage": stage,
        "region": region,
        "cognitoEndpoint": (cognito_endpoint or f"https://cognito-idp.{region}.amazonaws.com").rstrip("/") + "/",
        "userPoolId": user_pool_id,
        "clientId": client_id,
    }


def render_config_js(config: Mapping[str, str]) -> bytes:
    return f"window.SEM_CONFIG = {json.dumps(dict(config))};\n".encode()


def content_type(path: Path) -> str:
    """The file's Content-Type; an unknown kind is refused rather than served as a guess."""
    try:
        return CONTENT_TYPES[path.suffix.lower()]
    except KeyError:
        raise ValueError(f"no Content-Type known for {path.name}: add it to CONTENT_TYPES") from None


def console_files(root: Path = CONSOLE_DIR) -> dict[str, Path]:
    """Object key -> file, for every file that is published."""
    found = {}
    for path in sorted(root.rglob("*")):
        key = path.relative_to(root).as_posix()
        if path.is_file() and key not in NOT_PUBLISHED and not any(p.startswith(".") for p in key.split("/")):
            found[key] = path
    return found


def stack_outputs(cloudformation: Any, stack_name: str) -> dict[str, str]:
    (stack,) = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


@dataclass(frozen=True)
class Published:
    bucket: str
    keys: list[str]
    removed: list[str]
    config: dict[str, str]


def publish(s3: Any, bucket: str, config: Mapping[str, str], root: Path = CONSOLE_DIR) -> Published:
    """Upload the console and its config.js to `bucket`; remove what is no longer in `root`."""
    files = console_files(root)
    kinds = {key: content_type(path) for key, path in files.items()}  # all known before any upload
    for key, path in files.items():
        s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes(), ContentType=kinds[key], CacheControl=STATIC_CACHE)
    s3.put_object(Bucket=bucket, Key="config.js", Body=render_config_js(config),
                  ContentType=CONTENT_TYPES[".js"], CacheControl=CONFIG_CACHE)
    keep = set(files) | {"config.js"}
    removed = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for obj in page.get("Contents", []):
            if obj["Key"] not in keep:
                s3.delete_object(Bucket=bucket, Key=obj["Key"])
                removed.append(obj["Key"])
    return Published(bucket=bucket, keys=sorted(keep), removed=removed, config=dict(config))


def publish_stage(cloudformation: Any, s3: Any, *, stage: str, stack_name: str, region: str,
                  env: Mapping[str, str], api_url: str | None = None, user_pool_id: str | None = None,
                  client_id: str | None = None, root: Path = CONSOLE_DIR) -> Published:
    """Publish the console of the stack `stack_name` with that stack's settings."""
    outputs = stack_outputs(cloudformation, stack_name)
    pool = user_pool_id or outputs.get("CognitoUserPoolId") or env.get("SEM_COGNITO_USER_POOL_ID", "")
    client = client_id or outputs.get("CognitoClientId") or env.get("SEM_COGNITO_CLIENT_ID", "")
    api = api_url or outputs.get("EndpointURL", "")
    missing = [name for name, value in (("API URL (EndpointURL)", api), ("user pool id", pool),
                                        ("app client id", client)) if not value]
    if missing:
        raise ValueError(f"stack {stack_name}: no {', '.join(missing)}; pass it on the command line")
    config = console_config(api_url=api, stage=stage, region=region, user_pool_id=pool, client_id=client)
    return publish(s3, outputs["ConsoleBucketName"], config, root)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stage", default="prod")
    parser.add_argument("--stack-name", help="default: sem-<stage>")
    parser.add_argument("--region", default=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"))
    parser.add_argument("--api-url", help="the API's public URL when it is not the stack's EndpointURL "
                                          "(a custom domain)")
    parser.add_argument("--user-pool-id")
    parser.add_argument("--client-id")
    args = parser.parse_args(argv)
    if not args.region:
        parser.error("--region (or AWS_REGION) is required")
    import boto3

    session = boto3.session.Session(region_name=args.region)
    published = publish_stage(session.client("cloudformation"), session.client("s3"), stage=args.stage,
                              stack_name=args.stack_name or f"sem-{args.stage}", region=args.region,
                              env=os.environ, api_url=args.api_url, user_pool_id=args.user_pool_id,
                              client_id=args.client_id)
    print(f"Published {len(published.keys)} objects to s3://{published.bucket}/ "
          f"(removed {len(published.removed)}); apiUrl {published.config['apiUrl']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
