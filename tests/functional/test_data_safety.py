"""Data safety (issue 11.4; docs/restore.md, docs/reliability.md "Data safety"): what the template
promises about the stateful resources, and that moto's CloudFormation really creates it locally."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from infra.provision import load_template

# Resources whose loss would lose data that exists nowhere else.
STATEFUL = ("DataTable", "ReceiptsBucket", "UploadsBucket", "AssetsBucket")


@pytest.fixture(scope="module")
def resources() -> dict[str, Any]:
    found: dict[str, Any] = load_template()["Resources"]
    return found


@pytest.mark.parametrize("name", STATEFUL)
def test_stateful_resources_survive_stack_deletion_and_replacement(resources, name):
    assert resources[name]["DeletionPolicy"] == "Retain"
    assert resources[name]["UpdateReplacePolicy"] == "Retain"


def test_every_table_and_bucket_of_the_template_is_listed_as_stateful_or_derived(resources):
    derived = {"ConsoleBucket"}  # re-published from the repository (make publish-console)
    kinds = {"AWS::DynamoDB::Table", "AWS::S3::Bucket"}
    assert {n for n, r in resources.items() if r.get("Type") in kinds} == set(STATEFUL) | derived


def test_the_table_has_point_in_time_recovery_and_deletion_protection(resources):
    props = resources["DataTable"]["Properties"]
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["DeletionProtectionEnabled"] is True
    assert props["SSESpecification"] == {"SSEEnabled": True}


def test_receipts_are_versioned_and_old_versions_kept_a_year_current_ones_forever(resources):
    props = resources["ReceiptsBucket"]["Properties"]
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    (rule,) = props["LifecycleConfiguration"]["Rules"]
    assert rule["Status"] == "Enabled"
    assert rule["NoncurrentVersionExpiration"]["NoncurrentDays"] >= 365
    assert "ExpirationInDays" not in rule
    assert "ExpirationDate" not in rule
    assert "Prefix" not in rule  # every receipt


def test_the_local_stack_really_has_them(stack):
    outputs = stack["outputs"]
    dynamodb, s3 = boto3.client("dynamodb"), boto3.client("s3")
    table = dynamodb.describe_table(TableName=outputs["TableName"])["Table"]
    assert table["DeletionProtectionEnabled"] is True
    backups = dynamodb.describe_continuous_backups(TableName=outputs["TableName"])["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
    bucket = outputs["ReceiptsBucketName"]
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    rules = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert rules[0]["NoncurrentVersionExpiration"]["NoncurrentDays"] == 365


def test_a_deleted_receipt_comes_back_from_its_previous_version(stack):
    """The S3 half of docs/restore.md: delete (a delete marker), then restore by copying the
    previous version over the key."""
    s3, bucket, key = boto3.client("s3"), stack["outputs"]["ReceiptsBucketName"], "13101/receipts/2027/x.pdf"
    s3.put_object(Bucket=bucket, Key=key, Body=b"%PDF-1.7 signed")
    s3.delete_object(Bucket=bucket, Key=key)
    versions = s3.list_object_versions(Bucket=bucket, Prefix=key)
    (previous,) = [v for v in versions["Versions"] if v["Key"] == key]
    source = {"Bucket": bucket, "Key": key, "VersionId": previous["VersionId"]}
    s3.copy_object(Bucket=bucket, Key=key, CopySource=source)
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"%PDF-1.7 signed"


def test_a_protected_table_cannot_be_deleted(stack):
    from botocore.exceptions import ClientError

    dynamodb = boto3.client("dynamodb")
    with pytest.raises(ClientError, match=r"(?i)deletion ?protection"):
        dynamodb.delete_table(TableName=stack["outputs"]["TableName"])
