"""infra/resources.yaml: what production gets and what the local stand-in creates."""

from __future__ import annotations

from infra.provision import load_template, local_template


def test_every_queue_has_a_dead_letter_queue():
    resources = load_template()["Resources"]
    queues = {n: r for n, r in resources.items() if r.get("Type") == "AWS::SQS::Queue"}
    for name, queue in queues.items():
        if name.endswith("DeadLetterQueue"):
            continue
        redrive = queue["Properties"]["RedrivePolicy"]
        assert redrive["deadLetterTargetArn"]["Fn::GetAtt"][0] in queues
        assert 1 < redrive["maxReceiveCount"] <= 10


def test_the_local_template_keeps_data_queues_buckets_and_drops_prod_only_parts():
    local = local_template()
    types = {r["Type"] for r in local["Resources"].values()}
    # SNS topics too: SES's events reach their queue through the topic's subscription, as in AWS.
    assert types == {"AWS::DynamoDB::Table", "AWS::SQS::Queue", "AWS::S3::Bucket", "AWS::SNS::Topic"}
    assert "ApiHandlerRole" not in local["Resources"]
    assert "MissingRouteResponse" not in local["Resources"]
    assert "SesConfigurationSet" not in local["Resources"]  # made by devstack/provisioning.py locally
    assert local["Resources"]["SesEventsTopic"]["Properties"]["Subscription"] == [
        {"Protocol": "sqs", "Endpoint": {"Fn::GetAtt": ["SesEventsQueue", "Arn"]}}]
    assert {"TableName", "ReceiptsQueueUrl", "ReceiptsBucketName", "SesEventsQueueUrl",
            "SesEventsTopicArn"} <= set(local["Outputs"])


def test_buckets_with_data_are_encrypted_and_private():
    resources = load_template()["Resources"]
    for name in ("ReceiptsBucket", "UploadsBucket", "AssetsBucket"):
        props = resources[name]["Properties"]
        assert props["BucketEncryption"]
        assert all(props["PublicAccessBlockConfiguration"].values())
