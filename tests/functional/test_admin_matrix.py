"""Every admin route × every profile × own and foreign municipality gives the answer the
permission matrix says: a foreign municipality is always 403 for municipal officials; central
profiles get what their permissions give them, on any municipality.

Each route is probed with a request that passes the gate but changes nothing: mutations carry an
invalid (or empty) body, so an allowed call is a 400 from validation — proof the gate let it
through — and a refused one is a 403 before the body is read. The matrix file docs/roles.md is
checked against the code here too."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from chalicelib.services.permissions import (
    CENTRAL_PROFILES,
    MUNICIPAL_PROFILES,
    PROFILE_ORDER,
    RULES,
    TOTP_PROFILES,
    Permission,
    allowed,
    matrix_markdown,
)
from tests.support.officials import id_token

OWN, FOREIGN = "13101", "13114"
MISSING_PAYMENT = "{code}-01JQ0000000000000000000000"
MISSING_UPLOAD = "20270320T130000Z-0123abcd"
MISSING_DISCREPANCY = "d0000000000000000000000000"
MISSING_AGREEMENT = "CONV-13101-20270320T100000-000000"
MISSING_PROPOSAL = "20270321T090000Z-0000beef"
MISSING_REQUEST = "20270320T130000Z-feedbeef"
MISSING_REFUND_ID = "RF-01JQ0000000000000000000000"
MISSING_REVERSAL_ID = "CC-000000000000"
MISSING_REFUND = "/v1/admin/municipalities/{code}/payments/" + MISSING_PAYMENT + "/refunds/" + MISSING_REFUND_ID
RIGHTS = "/v1/admin/municipalities/{code}/privacy/requests"
P = Permission

# (method, path, permissions that open it (any of), probe body, status when allowed)
ROUTES: list[tuple[str, str, tuple[Permission, ...], object, int]] = [
    ("get", "/v1/admin/municipalities/{code}/payments", (P.PAYMENTS_READ,), None, 200),
    ("get", "/v1/admin/municipalities/{code}/payments.csv", (P.PAYMENTS_EXPORT,), None, 200),
    ("get", "/v1/admin/municipalities/{code}/payments/" + MISSING_PAYMENT, (P.PAYMENTS_READ,), None, 404),
    ("post", "/v1/admin/municipalities/{code}/payments/" + MISSING_PAYMENT + "/resend-receipt",
     (P.RECEIPTS_RESEND,), None, 404),
    ("get", "/v1/admin/municipalities/{code}/email-deliveries", (P.PAYMENTS_READ,), None, 200),
    ("post", "/v1/admin/municipalities/{code}/rolls/uploads", (P.ROLLS_UPLOAD,), {}, 400),
    ("get", "/v1/admin/municipalities/{code}/rolls/uploads", (P.ROLLS_READ,), None, 200),
    ("post", "/v1/admin/municipalities/{code}/rolls/uploads/" + MISSING_UPLOAD + "/process", (P.ROLLS_UPLOAD,),
     None, 404),
    ("get", "/v1/admin/municipalities/{code}/rolls/uploads/" + MISSING_UPLOAD, (P.ROLLS_READ,), None, 404),
    ("get", "/v1/admin/municipalities/{code}/settings", (P.SETTINGS_READ,), None, 200),
    ("patch", "/v1/admin/municipalities/{code}/settings", (P.BRANDING_EDIT, P.SETTINGS_EDIT), {}, 400),
    ("post", "/v1/admin/municipalities/{code}/settings/logo-upload", (P.BRANDING_EDIT,), {}, 400),
    ("post", "/v1/admin/municipalities/{code}/settings/logo", (P.BRANDING_EDIT,), {}, 400),
    ("post", "/v1/admin/municipalities/{code}/portal-keys", (P.PORTAL_KEYS_ROTATE,), {"revoke_others": "x"}, 400),
    ("get", "/v1/admin/municipalities/{code}/officials", (P.OFFICIALS_READ,), None, 200),
    ("post", "/v1/admin/municipalities/{code}/officials", (P.OFFICIALS_MANAGE,), {}, 400),
    ("patch", "/v1/admin/municipalities/{code}/officials/nadie@example.cl", (P.OFFICIALS_MANAGE,), {}, 400),
    ("get", "/v1/admin/municipalities/{code}/official-proposals", (P.OFFICIALS_READ,), None, 200),
    ("post", "/v1/admin/municipalities/{code}/official-proposals/" + MISSING_PROPOSAL + "/approve",
     (P.OFFICIALS_APPROVE,), None, 404),
    ("post", "/v1/admin/municipalities/{code}/official-proposals/" + MISSING_PROPOSAL + "/reject",
     (P.OFFICIALS_APPROVE,), None, 404),
    ("get", "/v1/admin/municipalities/{code}/receipt-signer", (P.SETTINGS_READ,), None, 200),
    ("put", "/v1/admin/municipalities/{code}/receipt-signer", (P.RECEIPT_SIGNER_DESIGNATE,), {}, 400),
    ("get", "/v1/admin/municipalities/{code}/audit", (P.AUDIT_READ,), None, 200),
    ("get", "/v1/admin/municipalities/{code}/reminders?month=2027-03", (P.PAYMENTS_READ,), None, 200),
    ("get", "/v1/admin/municipalities/{code}/consolidation/2027-03-20", (P.RECONCILIATION_READ,), None, 200),
    ("get", "/v1/admin/municipalities/{code}/reconciliation/2027-03-20", (P.RECONCILIATION_READ,), None, 200),
    ("post", "/v1/admin/municipalities/{code}/reconciliation/2027-03-20/run", (P.RECONCILIATION_RESOLVE,), None,
     200),
    ("post", "/v1/admin/municipalities/{code}/reconciliation/2027-03-20/discrepancies/" + MISSING_DISCREPANCY
     + "/comments", (P.RECONCILIATION_COMMENT,), {}, 400),
    ("post", "/v1/admin/municipalities/{code}/reconciliation/2027-03-20/discrepancies/" + MISSING_DISCREPANCY
     + "/resolve", (P.RECONCILIATION_RESOLVE,), {}, 400),
    ("get", "/v1/admin/municipalities/{code}/reports?from=2027-03-01&to=2027-03-31", (P.REPORTS_MUNICIPAL,), None,
     200),
    ("get", "/v1/admin/municipalities/{code}/batches/2027-03-20", (P.BATCHES_READ,), None, 200),
    ("post", "/v1/admin/municipalities/{code}/batches/2027-03-20/sign", (P.BATCHES_SIGN,), {}, 400),
    ("post", "/v1/admin/municipalities/{code}/batches/2027-03-20/corrections/sign", (P.BATCHES_SIGN,), {}, 400),
    ("get", "/v1/admin/municipalities/{code}/agreements", (P.AGREEMENTS_READ,), None, 200),
    ("get", "/v1/admin/municipalities/{code}/agreements/" + MISSING_AGREEMENT, (P.AGREEMENTS_READ,), None, 404),
    ("post", "/v1/admin/municipalities/{code}/agreements/" + MISSING_AGREEMENT + "/sign", (P.AGREEMENTS_SIGN,), {},
     400),
    ("get", "/v1/admin/municipalities/{code}/refunds", (P.REFUNDS_READ,), None, 200),
    ("get", "/v1/admin/municipalities/{code}/payments/" + MISSING_PAYMENT + "/refunds", (P.REFUNDS_READ,), None, 404),
    ("post", "/v1/admin/municipalities/{code}/payments/" + MISSING_PAYMENT + "/refunds", (P.REFUNDS_PROPOSE,), {},
     400),
    ("post", MISSING_REFUND + "/authorize", (P.REFUNDS_AUTHORIZE,), {}, 400),
    ("post", MISSING_REFUND + "/withdraw", (P.REFUNDS_PROPOSE, P.REFUNDS_AUTHORIZE), None, 404),
    ("post", MISSING_REFUND + "/send", (P.REFUNDS_AUTHORIZE,), None, 404),
    ("get", "/v1/admin/municipalities/{code}/reversals/open", (P.REFUNDS_READ,), None, 200),
    ("post", "/v1/admin/municipalities/{code}/payments/" + MISSING_PAYMENT + "/reversals/" + MISSING_REVERSAL_ID
     + "/acknowledge", (P.REFUNDS_PROPOSE,), {}, 400),
    ("post", "/v1/admin/municipalities/{code}/representations", (P.REPRESENTATIONS_MANAGE,), {}, 400),
    ("post", "/v1/admin/municipalities/{code}/representations/revoke", (P.REPRESENTATIONS_MANAGE,), {}, 400),
    ("post", RIGHTS, (P.PRIVACY_REQUESTS,), {}, 400),
    ("get", RIGHTS, (P.PRIVACY_REQUESTS,), None, 200),
    ("get", RIGHTS + "/" + MISSING_REQUEST, (P.PRIVACY_REQUESTS,), None, 404),
    ("post", RIGHTS + "/" + MISSING_REQUEST + "/export", (P.PRIVACY_REQUESTS,), None, 404),
    ("post", RIGHTS + "/" + MISSING_REQUEST + "/rectify", (P.PRIVACY_REQUESTS,), {"x": 1}, 400),
    ("post", RIGHTS + "/" + MISSING_REQUEST + "/suppress", (P.PRIVACY_REQUESTS,), None, 404),
    ("post", RIGHTS + "/" + MISSING_REQUEST + "/opposition", (P.PRIVACY_REQUESTS,), {"x": 1}, 400),
    ("post", RIGHTS + "/" + MISSING_REQUEST + "/extend", (P.PRIVACY_REQUESTS,), {}, 400),
    ("post", RIGHTS + "/" + MISSING_REQUEST + "/close", (P.PRIVACY_REQUESTS,), {}, 400),
]
CENTRAL_ROUTES: list[tuple[str, str, tuple[Permission, ...], object, int]] = [
    ("get", "/v1/admin/central/municipalities", (P.MUNICIPALITIES_READ,), None, 200),
    ("post", "/v1/admin/central/municipalities", (P.MUNICIPALITIES_ONBOARD,), {}, 400),
    ("patch", "/v1/admin/central/municipalities/13101", (P.MUNICIPALITIES_EDIT,), {}, 400),
    ("get", "/v1/admin/reference/utm", (P.REFERENCE_READ,), None, 200),
    ("put", "/v1/admin/reference/utm/2027-01", (P.REFERENCE_EDIT,), {}, 400),
    ("post", "/v1/admin/reference/utm/import", (P.REFERENCE_EDIT,), {}, 400),
    ("get", "/v1/admin/reference/utm/pending", (P.REFERENCE_READ,), None, 200),
    ("post", "/v1/admin/reference/utm/2027-01/confirm", (P.REFERENCE_EDIT,), {}, 404),
    ("get", "/v1/admin/central/reports?year=2026&as_of=2026-03-31", (P.REPORTS_CENTRAL,), None, 200),
    ("get", "/v1/admin/central/email-health", (P.REPORTS_CENTRAL,), None, 200),
    ("post", "/v1/admin/central/municipalities/13101/agreements", (P.AGREEMENTS_ISSUE,), {}, 400),
    ("post", "/v1/admin/central/municipalities/13101/agreements/" + MISSING_AGREEMENT + "/countersign",
     (P.AGREEMENTS_COUNTERSIGN,), {}, 400),
    ("get", "/v1/admin/me/signature", (P.SIGNATURE_ENROLL,), None, 200),
    # A RUN in the body is refused: the certificate carries the account's registered RUN.
    ("post", "/v1/admin/me/signature", (P.SIGNATURE_ENROLL,), {"run": "12.345.678-5"}, 400),
    ("post", "/v1/admin/me/signature/confirm", (P.SIGNATURE_ENROLL,), {}, 400),
]
DOMAINS = {"13101": "munistgo.demo", "13114": "lascondes.demo"}
PROFILES = sorted(MUNICIPAL_PROFILES) + sorted(CENTRAL_PROFILES)


def email_of(profile: str, code: str = OWN) -> str:
    domain = "subdere.demo" if profile in CENTRAL_PROFILES else DOMAINS[code]
    return f"{profile.replace('_', '.')}@{domain}"


@pytest.fixture(scope="module")
def env(shared_demo_stack_with_users):
    from chalice.test import Client

    from app import app

    tokens = {profile: id_token(shared_demo_stack_with_users, email_of(profile)) for profile in PROFILES}
    with Client(app, stage_name="test") as client:
        yield client, tokens


def call(client, method, path, token, body=None):
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    kwargs = {"headers": headers}
    if body is not None:
        kwargs["body"] = json.dumps(body).encode()
    response = getattr(client.http, method)(path, **kwargs)
    return response.status_code, response.body


def expected(profile: str, permissions: tuple[Permission, ...], code: str, success: int) -> int:
    holds = any(allowed(profile, p) for p in permissions)
    if not holds:
        return 403
    if profile in MUNICIPAL_PROFILES and code != OWN:
        return 403
    return success


def test_the_route_table_covers_every_admin_route():
    from app import app

    admin = {(path, method.lower()) for path, methods in app.routes.items() for method in methods
             if path.startswith("/v1/admin/") and path != "/v1/admin/me"}
    listed = {(path.split("?")[0].replace(MISSING_PAYMENT, "{payment_id}").replace(MISSING_UPLOAD, "{upload_id}")
               .replace(MISSING_DISCREPANCY, "{discrepancy_id}").replace("/2027-03-20", "/{day}")
               .replace("nadie@example.cl", "{email}").replace(MISSING_AGREEMENT, "{agreement_id}")
               .replace(MISSING_PROPOSAL, "{proposal_id}")
               .replace(MISSING_REQUEST, "{request_id}").replace(MISSING_REFUND_ID, "{refund_id}")
               .replace(MISSING_REVERSAL_ID, "{reversal_id}"), method)
              for method, path, *_ in ROUTES}
    listed |= {(path.split("?")[0].replace("/13101", "/{code}").replace(MISSING_AGREEMENT, "{agreement_id}")
                .replace("/utm/2027-01", "/{table}/{month}")
                .replace("/utm", "/{table}"), method) for method, path, *_ in CENTRAL_ROUTES}
    assert admin == listed


@pytest.mark.parametrize("profile", PROFILES)
def test_every_municipality_route_answers_per_the_matrix(env, profile):
    client, tokens = env
    mismatches = []
    for method, template, permissions, body, success in ROUTES:
        for code in (OWN, FOREIGN):
            path = template.replace("{code}", code)
            status, answer = call(client, method, path, tokens[profile], body)
            want = expected(profile, permissions, code, success)
            if status != want:
                mismatches.append((method, path, status, want, answer))
    assert mismatches == []


@pytest.mark.parametrize("profile", PROFILES)
def test_every_central_route_answers_per_the_matrix(env, profile):
    client, tokens = env
    mismatches = []
    for method, path, permissions, body, success in CENTRAL_ROUTES:
        status, answer = call(client, method, path, tokens[profile], body)
        want = success if any(allowed(profile, p) for p in permissions) else 403
        if status != want:
            mismatches.append((method, path, status, want, answer))
    assert mismatches == []


@pytest.mark.parametrize("profile", PROFILES)
def test_me_says_who_the_official_is(env, profile):
    client, tokens = env
    status, body = call(client, "get", "/v1/admin/me", tokens[profile])
    assert status == 200, body
    me = json.loads(body)
    assert me["profile"] == profile
    assert me["municipality"]["code"] == ("00000" if profile in CENTRAL_PROFILES else OWN)
    assert set(me["permissions"]) == {p.value for p in Permission if allowed(profile, p)}
    assert me["totp"]["required"] is (profile in TOTP_PROFILES)


def test_a_malformed_code_in_the_path_is_403_for_a_municipal_official_and_400_for_central(env):
    client, tokens = env
    assert call(client, "get", "/v1/admin/municipalities/1310/payments", tokens["tesorero"])[0] == 403
    assert call(client, "get", "/v1/admin/municipalities/00000/payments", tokens["tesorero"])[0] == 403
    assert call(client, "get", "/v1/admin/municipalities/1310x/payments", tokens["soporte"])[0] == 400


def test_soporte_is_read_only_and_totp_is_for_those_who_authorize_payments():
    assert not [p for p, rule in RULES.items() if rule.writes and "soporte" in rule.profiles]
    assert {"tesorero", "tesorero_subrogante", "director_finanzas", "alcalde"} == TOTP_PROFILES
    assert RULES[P.OFFICIALS_MANAGE].profiles == {"administrador_municipal"}
    assert set(PROFILE_ORDER) == MUNICIPAL_PROFILES | CENTRAL_PROFILES


def test_docs_roles_md_holds_the_matrix_of_the_code():
    text = (Path(__file__).resolve().parents[2] / "docs" / "roles.md").read_text(encoding="utf-8")
    assert matrix_markdown() in text, "regenerate the table: python -c 'from chalicelib.services.permissions " \
                                      "import matrix_markdown; print(matrix_markdown())'"


def test_an_official_who_authorizes_payments_gets_nothing_but_me_until_a_totp_app_is_enrolled(
        env, shared_demo_stack_with_users):
    import boto3

    from devstack import demo_totp
    from devstack.demo_data import DEMO_PASSWORD

    client, _ = env
    facts = shared_demo_stack_with_users
    cognito, email = boto3.client("cognito-idp"), "alcalde@lascondes.demo"
    cognito.admin_set_user_mfa_preference(UserPoolId=facts["env"]["SEM_COGNITO_USER_POOL_ID"], Username=email,
                                          SoftwareTokenMfaSettings={"Enabled": False, "PreferredMfa": False})
    token = id_token({**facts, "totp_secret": None}, email)  # no code asked: the factor is off
    refused = []
    for method, template, _permissions, body, _success in ROUTES + CENTRAL_ROUTES:
        status, answer = call(client, method, template.replace("{code}", FOREIGN), token, body)
        if (status, json.loads(answer)["error"]["code"]) != (403, "second_factor_required"):
            refused.append((method, template, status, answer))
    assert refused == []

    status, body = call(client, "get", "/v1/admin/me", token)
    assert status == 200, body
    assert json.loads(body)["totp"] == {"required": True, "enrolled": False}

    secret = demo_totp.enroll(cognito, facts["env"]["SEM_COGNITO_CLIENT_ID"], email, DEMO_PASSWORD)
    # Sessions follow enrolment: the session begun without the code ends with it (and stays ended).
    for _ in range(2):
        status, body = call(client, "get", f"/v1/admin/municipalities/{FOREIGN}/payments", token)
        assert (status, json.loads(body)["error"]["code"]) == (401, "session_ended"), body
    assert call(client, "get", "/v1/admin/me", token)[0] == 401
    time.sleep(1.05)  # a session begun in the very second of the sign-out is refused too
    token = id_token({**facts, "totp_secret": secret}, email)  # the code is asked now
    status, body = call(client, "get", f"/v1/admin/municipalities/{FOREIGN}/payments", token)
    assert status == 200, body  # a refusal is never remembered: enrolled counts at once
    assert json.loads(call(client, "get", "/v1/admin/me", token)[1])["totp"] == {"required": True, "enrolled": True}
