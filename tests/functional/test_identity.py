"""Identity comes from the account, and sessions follow it (docs/security.md, identity and
sessions) — against moto's Cognito, as an attacker would try it: an official edits their own
account's attributes with their own access token, signs in again and calls the admin API.

moto does not enforce an app client's WriteAttributes nor the verification of a new e-mail, so
here the self-edit really lands in the pool and in the next ID token: what the API makes of it
is what is proved. The pool's own hardening (what AWS enforces) is checked on the settings
bootstrap gives it."""

from __future__ import annotations

import json
import time
from typing import Any

import boto3
import jwt
import pytest
from botocore.exceptions import ClientError

from chalicelib import wiring
from chalicelib.adapters import table_keys
from chalicelib.adapters.officials_repo import OfficialRepository
from chalicelib.services.permissions import permissions_of
from devstack.demo_data import DEMO_PASSWORD
from infra import bootstrap
from tests.support.officials import id_token

ATTACKER, VICTIM = "operador.transito@munistgo.demo", "tesorero@munistgo.demo"
BASE = "/v1/admin/municipalities"


@pytest.fixture(scope="module")
def world(shared_demo_stack_with_users: dict[str, Any]) -> Any:
    from chalice.test import Client

    from app import app

    with Client(app, stage_name="test") as client:
        yield {"client": client, "facts": shared_demo_stack_with_users, "env": shared_demo_stack_with_users["env"],
               "cognito": boto3.client("cognito-idp")}


def call(world: dict[str, Any], method: str, path: str, token: str, body: Any = None) -> tuple[int, dict[str, Any]]:
    kwargs: dict[str, Any] = {"headers": {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}}
    if body is not None:
        kwargs["body"] = json.dumps(body).encode()
    response = getattr(world["client"].http, method)(path, **kwargs)
    return response.status_code, json.loads(response.body)


def sign_in(world: dict[str, Any], username: str) -> dict[str, str]:
    """Cognito's tokens for a password sign-in (no TOTP: the attacker's profile has none)."""
    answer = world["cognito"].initiate_auth(ClientId=world["env"]["SEM_COGNITO_CLIENT_ID"],
                                            AuthFlow="USER_PASSWORD_AUTH",
                                            AuthParameters={"USERNAME": username, "PASSWORD": DEMO_PASSWORD})
    return dict(answer["AuthenticationResult"])


def claims(token: str) -> dict[str, Any]:
    return dict(jwt.decode(token, options={"verify_signature": False}))


def self_edit(world: dict[str, Any], username: str, attributes: dict[str, str]) -> dict[str, str]:
    """The official rewrites their own attributes (UpdateUserAttributes with their access token)
    and signs in again under the address they now have; returns the new tokens."""
    access = sign_in(world, username)["AccessToken"]
    world["cognito"].update_user_attributes(
        AccessToken=access, UserAttributes=[{"Name": k, "Value": v} for k, v in attributes.items()])
    return sign_in(world, attributes.get("email", username))


def sub_of(world: dict[str, Any], email: str) -> str:
    user = world["cognito"].admin_get_user(UserPoolId=world["env"]["SEM_COGNITO_USER_POOL_ID"], Username=email)
    return next(a["Value"] for a in user["UserAttributes"] if a["Name"] == "sub")


def restore(world: dict[str, Any], email: str, municipality: str, profile: str) -> None:
    pool, sub = world["env"]["SEM_COGNITO_USER_POOL_ID"], sub_of_record(municipality, email)
    attributes = [{"Name": "email_verified", "Value": "true"}, {"Name": "custom:municipality", "Value": municipality},
                  {"Name": "custom:profile", "Value": profile}]
    user = world["cognito"].admin_get_user(UserPoolId=pool, Username=sub)
    if {"Name": "email", "Value": email} not in user["UserAttributes"]:
        attributes.append({"Name": "email", "Value": email})
    world["cognito"].admin_update_user_attributes(UserPoolId=pool, Username=sub, UserAttributes=attributes)


def sub_of_record(municipality: str, email: str) -> str:
    record = OfficialRepository(wiring.data_table()).get(municipality, email)
    assert record is not None
    return str(record["sub"])


def assert_still_the_attacker(world: dict[str, Any], token: str) -> None:
    status, me = call(world, "get", "/v1/admin/me", token)
    assert status == 200, me
    assert (me["email"], me["profile"], me["municipality"]["code"], me["central"]) == \
        (ATTACKER, "operador_transito", "13101", False)
    assert me["permissions"] == permissions_of("operador_transito")
    status, body = call(world, "get", f"{BASE}/13101/payments.csv", token)  # the tesorero's export
    assert (status, body["error"]["code"]) == (403, "permission_denied"), body
    status, body = call(world, "get", "/v1/admin/central/municipalities", token)
    assert (status, body["error"]["code"]) == (403, "permission_denied"), body
    status, body = call(world, "get", f"{BASE}/13114/payments", token)
    assert (status, body["error"]["code"]) == (403, "other_municipality"), body


# -- identity bound to the account ---------------------------------------------------------------

def test_an_operator_who_gives_himself_the_tesoreros_address_and_profile_stays_an_operator(world):
    tokens = self_edit(world, ATTACKER, {"email": "Tesorero@munistgo.demo", "custom:profile": "tesorero"})
    try:
        forged = claims(tokens["IdToken"])  # the self-edit did reach the token ...
        assert (forged["email"].lower(), forged["custom:profile"]) == (VICTIM, "tesorero")
        assert forged["sub"] == sub_of_record("13101", ATTACKER)
        assert_still_the_attacker(world, tokens["IdToken"])  # ... and changes nothing at the API
        # The tesorero's own account and record are untouched.
        assert call(world, "get", "/v1/admin/me", id_token(world["facts"], VICTIM))[1]["profile"] == "tesorero"
    finally:
        restore(world, ATTACKER, "13101", "operador_transito")


def test_an_operator_who_makes_himself_subderes_administrator_stays_an_operator(world):
    tokens = self_edit(world, ATTACKER, {"custom:municipality": "00000", "custom:profile": "administrador_subdere"})
    try:
        forged = claims(tokens["IdToken"])
        assert (forged["custom:municipality"], forged["custom:profile"]) == ("00000", "administrador_subdere")
        assert_still_the_attacker(world, tokens["IdToken"])
    finally:
        restore(world, ATTACKER, "13101", "operador_transito")


def test_an_account_whose_email_is_not_verified_is_refused(world):
    tokens = self_edit(world, ATTACKER, {"email_verified": "false"})
    try:
        assert claims(tokens["IdToken"])["email_verified"] == "false"
        status, body = call(world, "get", "/v1/admin/me", tokens["IdToken"])
        assert (status, body["error"]["code"]) == (401, "email_not_verified"), body
    finally:
        restore(world, ATTACKER, "13101", "operador_transito")


def test_an_account_with_no_official_record_is_refused_whatever_its_claims(world):
    pool = world["env"]["SEM_COGNITO_USER_POOL_ID"]
    email = "intruso@munistgo.demo"
    world["cognito"].admin_create_user(
        UserPoolId=pool, Username=email, MessageAction="SUPPRESS", UserAttributes=[
            {"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"},
            {"Name": "custom:municipality", "Value": "13101"}, {"Name": "custom:profile", "Value": "tesorero"}])
    world["cognito"].admin_set_user_password(UserPoolId=pool, Username=email, Password=DEMO_PASSWORD, Permanent=True)
    status, body = call(world, "get", "/v1/admin/me", sign_in(world, email)["IdToken"])
    assert (status, body["error"]["code"]) == (403, "official_not_active"), body


def test_the_account_pointer_never_vouches_for_a_record_of_another_account(world):
    repo, table = OfficialRepository(wiring.data_table()), wiring.data_table()
    attacker_sub, victim_sub = sub_of_record("13101", ATTACKER), sub_of_record("13101", VICTIM)
    assert repo.by_sub(attacker_sub)["email"] == ATTACKER
    assert repo.by_sub("not-a-sub") is None
    assert repo.by_sub("00000000-0000-4000-8000-000000000000") is None
    # A pointer bent to the tesorero's record finds nothing: the record names its own account.
    pointer = table.get(table_keys.official_account(attacker_sub), "OFFICIAL")
    table.put({**pointer, "email": VICTIM})
    try:
        assert repo.by_sub(attacker_sub) is None
        assert repo.by_sub(victim_sub)["email"] == VICTIM
    finally:
        table.put(pointer)


def test_an_official_created_through_the_api_is_found_by_the_sub_of_the_new_account(world):
    admin = id_token(world["facts"], "administrador.municipal@munistgo.demo")
    new = "nuevo.operador@munistgo.demo"
    status, body = call(world, "post", f"{BASE}/13101/officials", admin,
                        {"email": new, "name": "Nuevo Operador", "profile": "operador_rentas", "run": "9.876.543-3"})
    assert status == 201, body
    sub = sub_of(world, new)
    record = OfficialRepository(wiring.data_table()).by_sub(sub)
    assert record is not None
    assert (record["email"], record["sub"]) == (new, sub)
    world["cognito"].admin_set_user_password(UserPoolId=world["env"]["SEM_COGNITO_USER_POOL_ID"], Username=new,
                                             Password=DEMO_PASSWORD, Permanent=True)
    assert call(world, "get", "/v1/admin/me", sign_in(world, new)["IdToken"])[1]["email"] == new


# -- the pool and its client, as bootstrap makes them ---------------------------------------------

def test_the_pool_and_console_client_are_hardened(world):
    cognito, env = world["cognito"], world["env"]
    pool = cognito.describe_user_pool(UserPoolId=env["SEM_COGNITO_USER_POOL_ID"])["UserPool"]
    assert pool["UsernameConfiguration"] == {"CaseSensitive": False}
    assert pool["UserAttributeUpdateSettings"] == {"AttributesRequireVerificationBeforeUpdate": ["email"]}
    assert pool["AutoVerifiedAttributes"] == ["email"]
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    client = cognito.describe_user_pool_client(UserPoolId=env["SEM_COGNITO_USER_POOL_ID"],
                                               ClientId=env["SEM_COGNITO_CLIENT_ID"])["UserPoolClient"]
    assert client["WriteAttributes"] == ["name"]  # no e-mail, no custom:*, no email_verified
    assert "email_verified" in client["ReadAttributes"]
    assert (client["RefreshTokenValidity"], client["TokenValidityUnits"]["RefreshToken"]) == (60, "minutes")
    assert client["EnableTokenRevocation"] is True


def test_bootstrap_hardens_an_existing_pool_and_client_and_refuses_a_case_sensitive_pool(aws):
    cognito = boto3.client("cognito-idp")
    old = cognito.create_user_pool(PoolName="sem-old", UsernameAttributes=["email"],
                                   UsernameConfiguration={"CaseSensitive": False})["UserPool"]["Id"]
    old_client = cognito.create_user_pool_client(UserPoolId=old, ClientName="sem-console-old")
    assert bootstrap.ensure_user_pool(cognito, "sem-old") == old
    assert bootstrap.ensure_app_client(cognito, old, "sem-console-old") == old_client["UserPoolClient"]["ClientId"]
    pool = cognito.describe_user_pool(UserPoolId=old)["UserPool"]
    assert pool["UserAttributeUpdateSettings"] == {"AttributesRequireVerificationBeforeUpdate": ["email"]}
    client = cognito.describe_user_pool_client(UserPoolId=old, ClientId=old_client["UserPoolClient"]["ClientId"])
    assert client["UserPoolClient"]["WriteAttributes"] == ["name"]
    cognito.create_user_pool(PoolName="sem-legacy", UsernameAttributes=["email"])
    with pytest.raises(RuntimeError, match="case-sensitive"):
        bootstrap.ensure_user_pool(cognito, "sem-legacy")


# -- sessions follow the account ----------------------------------------------------------------

def _refresh(world: dict[str, Any], refresh_token: str) -> None:
    world["cognito"].initiate_auth(ClientId=world["env"]["SEM_COGNITO_CLIENT_ID"], AuthFlow="REFRESH_TOKEN_AUTH",
                                   AuthParameters={"REFRESH_TOKEN": refresh_token})


@pytest.mark.parametrize(("change", "refusal", "then"), [
    ({"profile": "operador_rentas"}, (401, "session_ended"), {"profile": "operador_transito"}),
    ({"status": "inactive"}, (403, "official_not_active"), {"status": "active"}),
    ({"password_reset": True}, (401, "session_ended"), None),
])
def test_a_profile_change_deactivation_or_password_reset_signs_the_official_out_everywhere(
        world, change, refusal, then):
    admin = id_token(world["facts"], "administrador.municipal@munistgo.demo")
    email = "operador.transito@munistgo.demo"
    sub = sub_of_record("13101", email)
    old = sign_in(world, email)
    # moto keys sessions by the name typed at sign-in (Cognito, by account): this one signs in
    # with the account's sub, the name the platform signs it out by.
    by_sub = sign_in(world, sub)
    _refresh(world, by_sub["RefreshToken"])
    assert call(world, "get", "/v1/admin/me", old["IdToken"])[0] == 200
    status, body = call(world, "patch", f"{BASE}/13101/officials/{email}", admin, change)
    assert status == 200, body
    status, body = call(world, "get", "/v1/admin/me", old["IdToken"])  # the ID token is refused at once ...
    assert (status, body["error"]["code"]) == refusal, body
    with pytest.raises(ClientError, match="NotAuthorized"):  # ... and no new one comes from the refresh token
        _refresh(world, by_sub["RefreshToken"])
    pool = world["env"]["SEM_COGNITO_USER_POOL_ID"]
    if then is not None:  # undone: the sessions stay ended
        assert call(world, "patch", f"{BASE}/13101/officials/{email}", admin, then)[0] == 200
        status, body = call(world, "get", "/v1/admin/me", old["IdToken"])
        assert (status, body["error"]["code"]) == (401, "session_ended"), body
    else:
        assert world["cognito"].admin_get_user(UserPoolId=pool, Username=sub)["UserStatus"] == "RESET_REQUIRED"
        world["cognito"].admin_set_user_password(UserPoolId=pool, Username=sub, Password=DEMO_PASSWORD,
                                                 Permanent=True)
    time.sleep(1.05)  # a session begun in the very second of the sign-out is refused too
    status, body = call(world, "get", "/v1/admin/me", sign_in(world, email)["IdToken"])
    assert (status, body.get("profile")) == (200, "operador_transito"), body


def test_a_password_reset_is_refused_for_oneself_and_for_an_inactive_official(world):
    admin_email = "administrador.municipal@munistgo.demo"
    admin = id_token(world["facts"], admin_email)
    status, body = call(world, "patch", f"{BASE}/13101/officials/{admin_email}", admin, {"password_reset": True})
    assert (status, body["error"]["code"]) == (409, "cannot_change_self")
    status, body = call(world, "patch", f"{BASE}/13101/officials/{ATTACKER}", admin, {"password_reset": False})
    assert status == 400, body


def test_records_made_before_the_sub_was_kept_are_linked_by_the_operators_tool(world):
    from infra.link_accounts import link_accounts

    table, email = wiring.data_table(), "soporte@subdere.demo"
    sub = sub_of_record("00000", email)
    table.update(table_keys.officials("00000"), email, "REMOVE #s", names={"#s": "sub"})
    token = sign_in(world, email)["IdToken"]
    assert call(world, "get", "/v1/admin/me", token)[0] == 403  # unlinked: not let in
    result = link_accounts(OfficialRepository(table), wiring.municipalities(), wiring.cognito_users())
    assert result == {"linked": [f"00000 {email}"], "unlinked": []}
    assert sub_of_record("00000", email) == sub
    assert call(world, "get", "/v1/admin/me", token)[1]["email"] == email
    assert link_accounts(OfficialRepository(table), wiring.municipalities(), wiring.cognito_users()) == \
        {"linked": [], "unlinked": []}
