"""Creates SEM's resources in a local AWS stand-in (moto server) from infra/resources.yaml.

The same file that `make package` merges into the production template is created here through
moto's CloudFormation, so the tables, queues and buckets the app uses locally are exactly the
ones described for production. Entries that only exist in a real deployment (the overlay on
Chalice's generated functions and role, API Gateway responses) are left out: they have no
meaning without Chalice's own resources. Dev and test tooling, never deployed.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import yaml

TEMPLATE = Path(__file__).with_name("resources.yaml")
LOCAL_TYPES = {"AWS::DynamoDB::Table", "AWS::SQS::Queue", "AWS::S3::Bucket", "AWS::KMS::Key"}


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    """The template as a dict (YAML anchors resolved)."""
    loaded: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return loaded


def local_template(template: dict[str, Any] | None = None) -> dict[str, Any]:
    """The part of the template that a local stand-in can and should create."""
    template = template or load_template()
    resources = {name: res for name, res in template["Resources"].items()
                 if res.get("Type") in LOCAL_TYPES}
    outputs = {name: out for name, out in template.get("Outputs", {}).items()
               if _refers_only_to(out, set(resources))}
    # moto has no S3 website endpoint; its GetAtt of WebsiteURL is not modelled either.
    outputs.pop("ConsoleWebsiteUrl", None)
    return {**template, "Resources": resources, "Outputs": outputs}


def _refers_only_to(node: Any, names: set[str]) -> bool:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and value not in names:
                return False
            if key == "Fn::GetAtt" and value[0] not in names:
                return False
            if not _refers_only_to(value, names):
                return False
    elif isinstance(node, list):
        return all(_refers_only_to(v, names) for v in node)
    return True


def create_stack(cloudformation: Any, stack_name: str, *, timeout_s: float = 60) -> dict[str, str]:
    """Create (or reuse) the local stack and return its outputs by name."""
    body = json.dumps(local_template())
    existing = _describe(cloudformation, stack_name)
    if existing is None:
        cloudformation.create_stack(StackName=stack_name, TemplateBody=body)
    deadline = time.monotonic() + timeout_s
    while True:
        stack = _describe(cloudformation, stack_name)
        status = stack["StackStatus"] if stack else "MISSING"
        if status.endswith("_COMPLETE") and "ROLLBACK" not in status:
            return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])} if stack else {}
        if status.endswith("FAILED") or "ROLLBACK" in status:
            raise RuntimeError(f"stack {stack_name} failed: {status}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"stack {stack_name} still {status} after {timeout_s}s")
        time.sleep(0.2)


def _describe(cloudformation: Any, stack_name: str) -> dict[str, Any] | None:
    from botocore.exceptions import ClientError

    try:
        stacks = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    except ClientError:
        return None
    return stacks[0] if stacks else None


def settings_env(outputs: dict[str, str]) -> dict[str, str]:
    """The app's environment variables for the resources in `outputs`."""
    return {
        "SEM_TABLE_NAME": outputs["TableName"],
        "SEM_RECEIPTS_BUCKET": outputs["ReceiptsBucketName"],
        "SEM_UPLOADS_BUCKET": outputs["UploadsBucketName"],
        "SEM_ASSETS_BUCKET": outputs["AssetsBucketName"],
        "SEM_CONSOLE_BUCKET": outputs["ConsoleBucketName"],
        "SEM_RECEIPTS_QUEUE_URL": outputs["ReceiptsQueueUrl"],
        "SEM_RECEIPTS_DLQ_URL": outputs["ReceiptsDeadLetterQueueUrl"],
    }
