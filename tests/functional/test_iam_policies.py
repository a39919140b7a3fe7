"""Least-privilege IAM (issue 11; docs/security.md), checked over the policy documents.

Sources: infra/resources.yaml (each function role's policy, merged over Chalice's roles by
`chalice package --merge-template`; the tenant role) and .chalice/ (each function's
`iam_policy_file`). The expected table below is derived by hand from the code: adding an action
to a policy, or a function to the app, or an AWS call to the code, without updating it fails.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from infra import package
from infra.provision import load_template

ROOT = Path(__file__).resolve().parents[2]

# function (Chalice name) -> every IAM action its role allows, and why (the code that needs it).
EXPECTED_ACTIONS: dict[str, set[str]] = {
    # every route: payments, TGR notifications, admin API, signatures, health probes
    "api_handler": {
        "logs:CreateLogStream", "logs:PutLogEvents",
        # DynamoTable: get/put/update/query; TransactWriteItems needs PutItem/UpdateItem per item
        "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem",
        # ObjectStore get/put/presigned URLs; exists()/head_bucket need ListBucket for 404s
        "s3:GetObject", "s3:PutObject", "s3:ListBucket",
        # JobQueue.send (confirmations, resend) and depth (health)
        "sqs:SendMessage", "sqs:GetQueueAttributes",
        # CognitoUsers (officials admin, second factor)
        "cognito-idp:AdminAddUserToGroup", "cognito-idp:AdminCreateUser", "cognito-idp:AdminDisableUser",
        "cognito-idp:AdminEnableUser", "cognito-idp:AdminGetUser", "cognito-idp:AdminRemoveUserFromGroup",
        "cognito-idp:AdminResetUserPassword", "cognito-idp:AdminUpdateUserAttributes",
        "cognito-idp:AdminUserGlobalSignOut",
        # KmsKeys / KmsSecrets: officials' signing keys, CA (certificates), TOTP secrets; never
        # deleting, disabling or re-tagging a key (issue 15.5)
        "kms:CreateAlias", "kms:CreateKey", "kms:Decrypt", "kms:DescribeKey", "kms:Encrypt",
        "kms:GetPublicKey", "kms:Sign", "kms:TagResource",
    },
    # one receipt job: table through the tenant role only; PDF + signature + e-mail
    "handle_receipt_job": {
        "logs:CreateLogStream", "logs:PutLogEvents",
        "sts:AssumeRole", "sts:TagSession",
        "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage",
        "s3:GetObject", "s3:PutObject", "s3:ListBucket",
        "kms:CreateAlias", "kms:CreateKey", "kms:DescribeKey", "kms:GetPublicKey", "kms:Sign", "kms:TagResource",
        "ses:SendRawEmail",
    },
    # TGR settlement files: read, archive, reconcile
    "handle_settlement_notification": {
        "logs:CreateLogStream", "logs:PutLogEvents",
        "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage",
        "s3:GetObject", "s3:PutObject", "s3:ListBucket",
        "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem",
    },
    # SES events about receipt e-mails: recorded against the payment (TransactWriteItems)
    "handle_email_event": {
        "logs:CreateLogStream", "logs:PutLogEvents",
        "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage",
        "dynamodb:PutItem", "dynamodb:UpdateItem",
    },
    # expiry and outbox sweep
    "sweep_payments": {
        "logs:CreateLogStream", "logs:PutLogEvents",
        "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem",
        "sqs:SendMessage",
    },
    # personal-data retention (docs/personal-data.md): reads and conditional updates, the audit entry
    "purge_personal_data": {
        "logs:CreateLogStream", "logs:PutLogEvents",
        "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem",
    },
    # citizens' reminders: due debts, consents, claims and the delivery log; e-mails via SES
    "send_reminders": {
        "logs:CreateLogStream", "logs:PutLogEvents",
        "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem",
        "ses:SendRawEmail",
    },
    # daily CMF import (docs/domain.md): reads the reference tables, puts pending imports (a
    # transaction of puts) and the central audit entry; the platform's partition only
    "import_reference_data": {
        "logs:CreateLogStream", "logs:PutLogEvents",
        "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query",
    },
}

TENANT_ROLE_ACTIONS = {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"}

# The only actions allowed on Resource "*", each because AWS has no resource to name.
RESOURCE_STAR_ALLOWED = {
    "kms:CreateKey": "CreateKey acts on no existing resource; fenced by aws:RequestTag and kms:KeyUsage",
    "kms:TagResource": "tagging a key while CreateKey makes it: the key has no ARN yet",
}

# boto3 operation the code calls -> the IAM actions it needs.
OPERATION_ACTIONS: dict[str, set[str]] = {
    "get_item": {"dynamodb:GetItem"}, "put_item": {"dynamodb:PutItem"}, "update_item": {"dynamodb:UpdateItem"},
    "query": {"dynamodb:Query"}, "transact_write_items": {"dynamodb:PutItem", "dynamodb:UpdateItem"},
    "get_object": {"s3:GetObject"}, "put_object": {"s3:PutObject"}, "head_object": {"s3:GetObject"},
    "head_bucket": {"s3:ListBucket"}, "list_objects_v2": {"s3:ListBucket"},
    "send_message": {"sqs:SendMessage"}, "get_queue_attributes": {"sqs:GetQueueAttributes"},
    "sign": {"kms:Sign"}, "get_public_key": {"kms:GetPublicKey"}, "describe_key": {"kms:DescribeKey"},
    "create_key": {"kms:CreateKey", "kms:TagResource"}, "create_alias": {"kms:CreateAlias"},
    "encrypt": {"kms:Encrypt"}, "decrypt": {"kms:Decrypt"}, "send_raw_email": {"ses:SendRawEmail"},
    "assume_role": {"sts:AssumeRole", "sts:TagSession"},
    # signed locally; the operation it signs (the pattern's first argument) is what needs the action
    "generate_presigned_url": set(),
    **{op: {"cognito-idp:" + "".join(w.capitalize() for w in op.split("_"))} for op in (
        "admin_add_user_to_group", "admin_create_user", "admin_disable_user", "admin_enable_user",
        "admin_get_user", "admin_remove_user_from_group", "admin_reset_user_password",
        "admin_update_user_attributes", "admin_user_global_sign_out")},
}
_CALL_PATTERNS = [re.compile(p) for p in (
    r"_call\(\s*\"([a-z_0-9]+)\"", r"self\._client\.([a-z_0-9]+)\(", r"self\._sts\.([a-z_0-9]+)\(",
    r"generate_presigned_url\(\s*\"([a-z_0-9]+)\"")]


def app_functions() -> dict[str, str]:
    """Chalice function name -> its role's logical id in the packaged template."""
    from chalice.utils import to_cfn_resource_name

    from app import app

    names = [source.name for source in app.event_sources] + (["api_handler"] if app.routes else [])
    names += [function.name for function in app.pure_lambda_functions]
    return {name: to_cfn_resource_name(f"{name}_role") for name in names}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()


def statements(resource: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for policy in resource["Properties"]["Policies"]:
        found += policy["PolicyDocument"]["Statement"]
    return found


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def allowed_actions(stmts: list[dict[str, Any]]) -> set[str]:
    return {a for s in stmts if s["Effect"] == "Allow" for a in as_list(s["Action"])}


def every_policy(template: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Every identity policy in the sources: function roles, the tenant role, .chalice files."""
    found = {role: statements(template["Resources"][role]) for role in app_functions().values()}
    found["TenantDataRole"] = statements(template["Resources"]["TenantDataRole"])
    for path in sorted((ROOT / ".chalice").glob("policy-*.json")):
        found[path.name] = json.loads(path.read_text())["Statement"]
    return found


# -- every function has its own policy, exactly as the table says ------------------------------

def test_every_function_of_the_app_has_an_expected_policy():
    assert set(app_functions()) == set(EXPECTED_ACTIONS)


@pytest.mark.parametrize("function", sorted(EXPECTED_ACTIONS))
def test_each_role_allows_exactly_what_its_function_uses(template, function):
    role = app_functions()[function]
    overlay = template["Resources"][role]
    assert "Type" not in overlay, "an overlay on Chalice's role, not a role of its own"
    assert allowed_actions(statements(overlay)) == EXPECTED_ACTIONS[function]


def test_each_function_names_its_own_policy_file_in_chalice_config():
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    functions = config["stages"]["prod"]["lambda_functions"]
    for function in EXPECTED_ACTIONS:
        policy_file = ROOT / ".chalice" / functions[function]["iam_policy_file"]
        stmts = json.loads(policy_file.read_text())["Statement"]
        # a build without infra's overlay would get no more than its logs
        assert allowed_actions(stmts) == {"logs:CreateLogStream", "logs:PutLogEvents"}


def test_the_code_calls_no_aws_operation_that_no_policy_allows(template):
    called: dict[str, set[str]] = {}
    for path in sorted((ROOT / "chalicelib").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        for pattern in _CALL_PATTERNS:
            for op in pattern.findall(text):
                called.setdefault(op, set()).add(str(path.relative_to(ROOT)))
    unknown = {op: files for op, files in called.items() if op not in OPERATION_ACTIONS}
    assert not unknown, f"add these boto3 operations to OPERATION_ACTIONS and to a policy: {unknown}"
    needed = set().union(*(OPERATION_ACTIONS[op] for op in called))
    if re.search(r"\{\s*\"check\"\s*:", "".join(p.read_text() for p in (ROOT / "chalicelib").rglob("*.py")
                                                 if p.name != "dynamo.py")):
        needed.add("dynamodb:ConditionCheckItem")
    granted = set().union(*EXPECTED_ACTIONS.values(), TENANT_ROLE_ACTIONS)
    assert needed <= granted, needed - granted
    assert granted - {"logs:CreateLogStream", "logs:PutLogEvents", "sqs:ReceiveMessage", "sqs:DeleteMessage",
                      "sts:TagSession", "kms:TagResource"} <= needed, "an action no code uses"


# -- shape rules over every policy -------------------------------------------------------------

FORBIDDEN = {"dynamodb:Scan", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:DeleteTable",
             "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:DeleteBucket", "kms:DeleteAlias"}


def test_no_wildcard_action_no_scan_no_delete_anywhere(template):
    for name, stmts in every_policy(template).items():
        for action in allowed_actions(stmts):
            assert "*" not in action, (name, action)
            assert action not in FORBIDDEN, (name, action)


# -- KMS keys (issue 15.5) ----------------------------------------------------------------------

KMS_ROLES = ("ApiHandlerRole", "HandleReceiptJobRole")
KEY_ARNS = {"Fn::Sub": "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*"}
NEVER_ON_KEYS = {"kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:UntagResource", "kms:CancelKeyDeletion",
                 "kms:DisableKeyRotation", "kms:PutKeyPolicy", "kms:UpdateAlias", "kms:UpdateKeyDescription",
                 "kms:ReplicateKey", "kms:CreateGrant"}


def kms_statements(template: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    return {name: [s for s in stmts if any(a.startswith("kms:") for a in as_list(s["Action"]))]
            for name, stmts in every_policy(template).items()}


def purposes(stmt: dict[str, Any], key: str) -> set[str]:
    return set(as_list(stmt.get("Condition", {}).get("StringEquals", {}).get(key, [])))


def test_no_function_may_delete_disable_or_retag_a_key(template):
    for name, stmts in kms_statements(template).items():
        for stmt in stmts:
            if stmt["Effect"] == "Allow":
                assert not set(as_list(stmt["Action"])) & NEVER_ON_KEYS, (name, stmt.get("Sid"))
    # and an explicit deny, so that no policy attached later can give it back for SEM's keys
    for role in KMS_ROLES:
        (deny,) = [s for s in statements(template["Resources"][role]) if s["Effect"] == "Deny"]
        assert {"kms:TagResource", "kms:UntagResource", "kms:ScheduleKeyDeletion", "kms:DisableKey"} <= set(
            deny["Action"])
        assert deny["Resource"] == KEY_ARNS
        assert deny["Condition"] == {"Null": {"aws:ResourceTag/sem:purpose": "false"}}


def test_the_ca_key_has_its_own_purpose_and_signs_certificates_only(template):
    ca = [(name, s) for name, stmts in kms_statements(template).items() for s in stmts
          if s["Effect"] == "Allow" and "signing-ca" in purposes(s, "aws:ResourceTag/sem:purpose")]
    # the functions whose code issues certificates (officials' enrollment; a municipality's
    # receipt signer on its first receipt) and no other
    assert sorted(name for name, _ in ca) == sorted(KMS_ROLES)
    for name, stmt in ca:
        assert stmt["Sid"] == "IssueCertificates", name
        assert set(stmt["Action"]) == {"kms:DescribeKey", "kms:GetPublicKey", "kms:Sign"}, name
        assert purposes(stmt, "aws:ResourceTag/sem:purpose") == {"signing-ca"}
        assert purposes(stmt, "kms:SigningAlgorithm") == {"RSASSA_PKCS1_V1_5_SHA_256"}
        assert purposes(stmt, "kms:MessageType") == {"RAW"}
    for name, stmts in kms_statements(template).items():
        for stmt in stmts:
            # no function can make, tag or alias a key as the CA, and no other statement reaches it
            if stmt.get("Sid") != "IssueCertificates" and stmt["Effect"] == "Allow":
                assert "signing-ca" not in purposes(stmt, "aws:ResourceTag/sem:purpose"), (name, stmt["Sid"])
                assert "signing-ca" not in purposes(stmt, "aws:RequestTag/sem:purpose"), (name, stmt["Sid"])
            if "kms:Sign" in as_list(stmt["Action"]) and stmt["Effect"] == "Allow":
                assert purposes(stmt, "aws:ResourceTag/sem:purpose"), (name, stmt["Sid"])


def test_the_code_signs_with_the_ca_key_only_to_issue_certificates():
    """The CA key id reaches `kms.sign` only inside the certificate-issuing functions of
    chalicelib/signing (ca.py's CA and receipt-signer certificates, officials.py's certificates)."""
    found = []
    for path in sorted((ROOT / "chalicelib").rglob("*.py")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if re.search(r"\.sign\(\s*(ca_key_id|key_id)\b", line) and "kms" in line:
                found.append((path.name, line.strip()))
    assert {name for name, _ in found} == {"ca.py", "officials.py"}, found
    text = (ROOT / "chalicelib" / "signing" / "ca.py").read_text()
    issuing = re.findall(r"def (\w+)\([^)]*\)[^:]*:(?:(?!\ndef ).)*?kms\.sign\(", text, flags=re.S)
    assert set(issuing) <= {"ensure_platform_ca", "ensure_receipt_signer"}, issuing


def test_the_bootstrap_tags_the_ca_key_with_its_own_purpose(aws):
    import boto3

    from infra.bootstrap import CA_KEY_ALIAS, CA_KEY_PURPOSE, ensure_signing_key

    kms = boto3.client("kms")
    key_id = ensure_signing_key(kms, CA_KEY_ALIAS, "CA", purpose=CA_KEY_PURPOSE)
    tags = {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=key_id)["Tags"]}
    assert CA_KEY_PURPOSE == "signing-ca"
    assert tags["sem:purpose"] == "signing-ca"
    # a CA key made before it had its own purpose is re-tagged by the (operator-run) bootstrap
    old = kms.create_key(KeyUsage="SIGN_VERIFY", KeySpec="RSA_3072",
                         Tags=[{"TagKey": "sem:purpose", "TagValue": "signing"}])["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/sem/old-ca", TargetKeyId=old)
    assert ensure_signing_key(kms, "alias/sem/old-ca", "CA", purpose=CA_KEY_PURPOSE) == old
    assert {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=old)["Tags"]}["sem:purpose"] == \
        "signing-ca"


def test_create_key_and_tag_resource_cannot_touch_keys_the_platform_did_not_create(template):
    for name, stmts in kms_statements(template).items():
        for stmt in stmts:
            actions = set(as_list(stmt["Action"]))
            if stmt["Effect"] != "Allow" or not actions & {"kms:CreateKey", "kms:TagResource"}:
                continue
            assert len(actions) == 1, (name, stmt["Sid"])
            condition = stmt["Condition"]
            assert purposes(stmt, "aws:RequestTag/sem:purpose") <= {"signing", "signing-otp"}, (name, stmt["Sid"])
            assert purposes(stmt, "aws:RequestTag/sem:purpose"), (name, stmt["Sid"])
            assert set(condition["ForAllValues:StringEquals"]["aws:TagKeys"]) <= {
                "sem:purpose", "sem:municipality", "sem:holder"}, (name, stmt["Sid"])
            if "kms:CreateKey" in actions:
                assert {"kms:KeyUsage", "kms:KeySpec"} <= set(condition["StringEquals"]), (name, stmt["Sid"])
            else:
                # only a key with no purpose tag yet — the one CreateKey is making — can be tagged
                assert condition["Null"] == {"aws:ResourceTag/sem:purpose": "true"}, (name, stmt["Sid"])


def test_create_alias_is_limited_to_sems_keys(template):
    for name, stmts in kms_statements(template).items():
        for stmt in stmts:
            if stmt["Effect"] != "Allow" or "kms:CreateAlias" not in as_list(stmt["Action"]):
                continue
            assert as_list(stmt["Action"]) == ["kms:CreateAlias"], (name, stmt["Sid"])
            resources = [r["Fn::Sub"] for r in as_list(stmt["Resource"])]
            if all(":alias/" in r for r in resources):
                # a municipality's alias or the TOTP key's; never the CA's (alias/sem/platform-ca)
                for r in resources:
                    alias = r.split(":alias/")[1]
                    assert alias.startswith("sem/?????/") or alias == "sem/signing-otp", (name, alias)
            else:
                assert resources == [KEY_ARNS["Fn::Sub"]], (name, stmt["Sid"])
                assert purposes(stmt, "aws:ResourceTag/sem:purpose") <= {"signing", "signing-otp"}
                assert purposes(stmt, "aws:ResourceTag/sem:purpose"), (name, stmt["Sid"])


# -- e-mail (issue 15.4) ---------------------------------------------------------------------------

def test_ses_send_is_scoped_to_the_platforms_sender_addresses(template):
    senders = [(name, s) for name, stmts in every_policy(template).items() for s in stmts
               if "ses:SendRawEmail" in as_list(s["Action"])]
    # The receipts worker and the reminders worker send; each has the identity statement and the
    # configuration set's (SES authorizes a send against both), from the sender addresses only.
    assert sorted(name for name, _ in senders) == ["HandleReceiptJobRole"] * 2 + ["SendRemindersRole"] * 2
    for _, stmt in senders:
        assert stmt["Condition"] == {"StringLike": {"ses:FromAddress": {"Ref": "SenderAddresses"}}}
    for role in ("HandleReceiptJobRole", "SendRemindersRole"):
        assert sorted(str(stmt["Resource"]) for name, stmt in senders if name == role) == sorted([
            str({"Fn::Sub": "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/*"}),
            str({"Fn::Sub": "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:"
                            "configuration-set/${SesConfigurationSet}"})])
    parameter = template["Parameters"]["SenderAddresses"]
    assert parameter["Type"] == "CommaDelimitedList"
    assert parameter["Default"] == "", "no e-mail leaves until the operator names the senders"


def test_resource_star_only_where_aws_requires_it_and_always_conditioned(template):
    for name, stmts in every_policy(template).items():
        for stmt in stmts:
            if stmt["Effect"] != "Allow" or "*" not in as_list(stmt["Resource"]):
                continue
            assert set(as_list(stmt["Action"])) <= set(RESOURCE_STAR_ALLOWED), (name, stmt)
            assert stmt.get("Condition"), (name, stmt)


def refers_to_template_resource(value: Any, resources: set[str]) -> bool:
    """An ARN built from one of the template's resources (Ref, GetAtt, or ${Name…} in a Sub)."""
    if isinstance(value, dict):
        if "Fn::GetAtt" in value:
            return value["Fn::GetAtt"][0] in resources
        if "Ref" in value:
            return value["Ref"] in resources
        if "Fn::Sub" in value:
            names = {v.split(".")[0] for v in re.findall(r"\$\{([^}]+)\}", value["Fn::Sub"])}
            return bool(names & resources)
    return False


def test_data_queue_and_bucket_access_names_the_template_resources(template):
    resources = set(template["Resources"])
    for name, stmts in every_policy(template).items():
        if name.endswith(".json"):
            continue
        for stmt in stmts:
            services = {a.split(":")[0] for a in as_list(stmt["Action"])}
            if services & {"dynamodb", "s3", "sqs", "logs"}:
                for resource in as_list(stmt["Resource"]):
                    assert refers_to_template_resource(resource, resources), (name, stmt.get("Sid"), resource)


def test_sqs_triggered_functions_can_read_their_own_queue_only(template):
    from app import app

    queue_ids = {r["Properties"].get("QueueName"): rid for rid, r in template["Resources"].items()
                 if r.get("Type") == "AWS::SQS::Queue"}
    roles = app_functions()
    for source in app.event_sources:
        queue = getattr(source, "queue", None)
        if queue is None:
            continue
        stmts = statements(template["Resources"][roles[source.name]])
        reading = [s for s in stmts if "sqs:ReceiveMessage" in as_list(s["Action"])]
        assert [s["Resource"] for s in reading] == [{"Fn::GetAtt": [queue_ids[queue], "Arn"]}]
        assert {"sqs:DeleteMessage", "sqs:GetQueueAttributes"} <= set(as_list(reading[0]["Action"]))


# -- the tenant fence ---------------------------------------------------------------------------

def test_the_tenant_role_is_fenced_by_leading_keys_to_the_session_tag(template):
    role = template["Resources"]["TenantDataRole"]
    stmts = statements(role)
    assert allowed_actions(stmts) == TENANT_ROLE_ACTIONS
    for stmt in stmts:
        assert stmt["Resource"] == {"Fn::GetAtt": ["DataTable", "Arn"]}  # the table only, no index
    (allow,) = [s for s in stmts if s["Effect"] == "Allow"]
    assert allow["Condition"] == {"ForAllValues:StringLike": {
        "dynamodb:LeadingKeys": ["${aws:PrincipalTag/municipality}#*"]}}
    (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"AWS": {"Fn::GetAtt": ["HandleReceiptJobRole", "Arn"]}}
    assert set(trust["Action"]) == {"sts:AssumeRole", "sts:TagSession"}
    assert trust["Condition"] == {"StringLike": {"aws:RequestTag/municipality": "?????"},
                                  "StringNotEquals": {"aws:RequestTag/municipality": "00000"},
                                  "ForAllValues:StringEquals": {"aws:TagKeys": ["municipality"]}}


def test_the_tenant_role_refuses_the_platform_partition(template):
    """No session may be tagged 00000 (the trust policy), and whatever the tag, no key of the
    platform partition can be read or written (an explicit deny). Issue 15.7."""
    role = template["Resources"]["TenantDataRole"]
    (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Condition"]["StringNotEquals"] == {"aws:RequestTag/municipality": "00000"}
    (deny,) = [s for s in statements(role) if s["Effect"] == "Deny"]
    assert set(deny["Action"]) == TENANT_ROLE_ACTIONS
    assert deny["Resource"] == {"Fn::GetAtt": ["DataTable", "Arn"]}
    assert deny["Condition"] == {"ForAnyValue:StringLike": {"dynamodb:LeadingKeys": ["00000#*"]}}


def test_the_receipts_worker_reaches_the_table_only_through_the_tenant_role(template):
    resources = template["Resources"]
    stmts = statements(resources["HandleReceiptJobRole"])
    assert not {a for a in allowed_actions(stmts) if a.startswith("dynamodb:")}
    (assume,) = [s for s in stmts if "sts:AssumeRole" in as_list(s["Action"])]
    role_name = resources["TenantDataRole"]["Properties"]["RoleName"]["Fn::Sub"]
    assert assume["Resource"] == {"Fn::Sub": f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/{role_name}"}
    env = resources["HandleReceiptJob"]["Properties"]["Environment"]["Variables"]
    assert env["SEM_TENANT_DATA_ROLE_ARN"] == {"Fn::GetAtt": ["TenantDataRole", "Arn"]}


# -- what `chalice package --merge-template` really produces ----------------------------------

def test_the_packaged_roles_carry_exactly_the_infra_policies(tmp_path, template):
    build, out = tmp_path / "build", tmp_path / "out"
    package.stage_app(build, vendor_from=None)
    package.chalice_package(build, out, "prod")
    packaged = package.load_sam(out)["Resources"]
    for role in app_functions().values():
        assert packaged[role]["Type"] == "AWS::IAM::Role"
        assert packaged[role]["Properties"]["Policies"] == template["Resources"][role]["Properties"]["Policies"], \
            f"{role}: Chalice's own policy must not survive the merge"
    functions = {r["Properties"]["Role"]["Fn::GetAtt"][0] for r in packaged.values()
                 if r.get("Type") == "AWS::Serverless::Function"}
    assert functions == set(app_functions().values()), "one role per function"


def test_the_reference_import_writes_only_the_platforms_partition(template):
    """The CMF import touches the reference tables and the central audit log (pk 00000#…), no tenant."""
    stmts = statements(template["Resources"][app_functions()["import_reference_data"]])
    (table,) = [s for s in stmts if any(a.startswith("dynamodb:") for a in as_list(s["Action"]))]
    assert table["Resource"] == {"Fn::GetAtt": ["DataTable", "Arn"]}, "no index, no other table"
    assert table["Condition"] == {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["00000#*"]}}
    for name in ("ImportReferenceData", "APIHandler"):  # the schedule, and the administrator's import route
        function = template["Resources"][name]["Properties"]
        assert function["Environment"]["Variables"]["SEM_CMF_API_KEY"] == {"Ref": "CmfApiKey"}, name
    assert template["Parameters"]["CmfApiKey"]["NoEcho"] is True
