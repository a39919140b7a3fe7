"""Creates SEM's resources in a local AWS stand-in (moto server) from infra/resources.yaml.

The same file that `make package` merges into the production template is created here through
moto's CloudFormation, so the tables, queues and buckets the app uses locally are exactly the
ones described for production. Entries that only exist in a real deployment (the overlay on
Chalice's generated functions and role, API Gateway responses) are left out: they have no
meaning without Chalice's own resources. Dev and test tooling, never deployed.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import yaml

TEMPLATE = Path(__file__).with_name("resources.yaml")
LOCAL_TYPES = {"AWS::DynamoDB::Table", "AWS::SQS::Queue", "AWS::S3::Bucket", "AWS::KMS::Key", "AWS::SNS::Topic"}


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    """The template as a dict (YAML anchors resolved)."""
    loaded: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return loaded


def local_template(template: dict[str, Any] | None = None) -> dict[str, Any]:
    """The part of the template that a local stand-in can and should create."""
    template = template or load_template()
    alarm_topics = _alarm_only_topics(template["Resources"])
    resources = {name: res for name, res in template["Resources"].items()
                 if res.get("Type") in LOCAL_TYPES and name not in alarm_topics}
    outputs = {name: out for name, out in template.get("Outputs", {}).items()
               if _refers_only_to(out, set(resources))}
    return {**template, "Resources": resources, "Outputs": outputs}


def _alarm_only_topics(resources: dict[str, Any]) -> set[str]:
    """SNS topics that only CloudWatch alarms publish to (the operators' topics): no local alarm
    would ever use them, so the local stack leaves them out with the alarms."""
    topics = {name for name, res in resources.items() if res.get("Type") == "AWS::SNS::Topic"}
    used = set()
    for res in resources.values():
        if res.get("Type") != "AWS::CloudWatch::Alarm":
            used |= _refs(res) & topics
    return topics - used


def _refs(node: Any) -> set[str]:
    """Every resource name a Ref or Fn::GetAtt inside `node` names."""
    if isinstance(node, dict):
        found = set()
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::GetAtt" and isinstance(value, list) and value:
                found.add(str(value[0]))
            else:
                found |= _refs(value)
        return found
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node)) if node else set()
    return set()


def _refers_only_to(node: Any, names: set[str]) -> bool:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and value not in names:
                return False
            if key == "Fn::GetAtt" and value[0] not in names:
                return False
            if key == "Fn::Sub" and not _sub_refers_only_to(value, names):
                return False
            if not _refers_only_to(value, names):
                return False
    elif isinstance(node, list):
        return all(_refers_only_to(v, names) for v in node)
    return True


def _sub_refers_only_to(value: Any, names: set[str]) -> bool:
    """Whether an Fn::Sub string names only `names` (pseudo parameters such as AWS::Region aside)."""
    text = value[0] if isinstance(value, list) else value
    variables = {v.split(".")[0] for v in re.findall(r"\$\{([^}!]+)\}", str(text))}
    return all(v.startswith("AWS::") or v in names for v in variables)


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
            apply_what_moto_skips(cloudformation, stack_name)
            return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])} if stack else {}
        if status.endswith("FAILED") or "ROLLBACK" in status:
            raise RuntimeError(f"stack {stack_name} failed: {status}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"stack {stack_name} still {status} after {timeout_s}s")
        time.sleep(0.2)


def apply_what_moto_skips(cloudformation: Any, stack_name: str, template: dict[str, Any] | None = None) -> None:
    """Set what moto's CloudFormation accepts but does not apply, from the same template: S3
    versioning and lifecycle rules, DynamoDB point-in-time recovery (idempotent)."""
    import boto3

    resources = (template or load_template())["Resources"]
    physical = {r["LogicalResourceId"]: r["PhysicalResourceId"]
                for r in cloudformation.describe_stack_resources(StackName=stack_name)["StackResources"]}
    endpoint = cloudformation.meta.endpoint_url
    # a moto server's URL, or None for AWS's own (in-process moto intercepts those)
    where = {"endpoint_url": None if endpoint.endswith(".amazonaws.com") else endpoint,
             "region_name": cloudformation.meta.region_name}
    s3, dynamodb = boto3.client("s3", **where), boto3.client("dynamodb", **where)
    for name, resource in resources.items():
        props = resource.get("Properties", {})
        if name not in physical:
            continue
        if resource.get("Type") == "AWS::S3::Bucket":
            if "VersioningConfiguration" in props:
                s3.put_bucket_versioning(Bucket=physical[name], VersioningConfiguration={
                    "Status": props["VersioningConfiguration"]["Status"]})
            if "LifecycleConfiguration" in props:
                s3.put_bucket_lifecycle_configuration(Bucket=physical[name], LifecycleConfiguration={
                    "Rules": [_lifecycle_rule(rule) for rule in props["LifecycleConfiguration"]["Rules"]]})
        if resource.get("Type") == "AWS::DynamoDB::Table" and props.get(
                "PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled"):
            dynamodb.update_continuous_backups(TableName=physical[name], PointInTimeRecoverySpecification={
                "PointInTimeRecoveryEnabled": True})


def _lifecycle_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """A CloudFormation lifecycle rule in the S3 API's shape (the keys this template uses)."""
    api: dict[str, Any] = {"ID": rule["Id"], "Status": rule["Status"], "Filter": {"Prefix": rule.get("Prefix", "")}}
    if "NoncurrentVersionTransitions" in rule:
        api["NoncurrentVersionTransitions"] = [
            {"NoncurrentDays": t["TransitionInDays"], "StorageClass": t["StorageClass"]}
            for t in rule["NoncurrentVersionTransitions"]]
    if "NoncurrentVersionExpiration" in rule:
        api["NoncurrentVersionExpiration"] = {"NoncurrentDays": rule["NoncurrentVersionExpiration"]["NoncurrentDays"]}
    if "AbortIncompleteMultipartUpload" in rule:
        api["AbortIncompleteMultipartUpload"] = rule["AbortIncompleteMultipartUpload"]
    return api


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
        "SEM_SES_EVENTS_QUEUE_URL": outputs.get("SesEventsQueueUrl", ""),
        "SEM_SES_EVENTS_TOPIC_ARN": outputs.get("SesEventsTopicArn", ""),
    }
