"""Loads the demo data into a freshly provisioned local stack (dev only)."""

from __future__ import annotations

import contextlib
from typing import Any

from chalicelib.adapters import table_keys
from chalicelib.adapters.debts_repo import DebtRepository
from chalicelib.adapters.dynamo import DynamoTable
from chalicelib.domain import reference_data
from chalicelib.domain.errors import Conflict
from chalicelib.services.permissions import requires_totp
from devstack import demo_data, demo_totp

AGREEMENT = {"status": "in_force", "valid_until": "2028-12-31"}


def seed_table(table: DynamoTable, *, extra_origins: list[str] | None = None) -> dict[str, int]:
    """Write every demo record; returns how many of each kind."""
    counts = {"municipalities": 0, "officials": 0, "vehicles": 0, "debts": 0, "reference": 0}
    for muni in demo_data.MUNICIPALITIES:
        config = {
            "pk": table_keys.municipality(muni["code"]), "sk": "CONFIG",
            "code": muni["code"], "name": muni["name"], "legal_name": muni["legal_name"],
            "region": muni["region"], "address": muni["address"], "zone": muni["zone"],
            "services": list(demo_data.SERVICES), "origins": muni["origins"] + list(extra_origins or []),
            "agreement": AGREEMENT, "enabled": True,
            "branding": {"primary_color": muni["color"], "secondary_color": "#f2f2f2"},
            "sender_email": f"no-responder@{muni['domain']}",
            # the identity devstack/provisioning.py verifies in SES for it
            "sender_identities": [f"no-responder@{muni['domain']}"],
            "permit_rules": reference_data.EXAMPLE_MUNICIPAL_PERMIT_OVERRIDES.get(muni["code"]),
        }
        table.put(config)
        table.put({"pk": table_keys.municipality_index(), "sk": muni["code"], "code": muni["code"],
                   "name": muni["name"], "region": muni["region"], "services": list(demo_data.SERVICES),
                   "enabled": True, "agreement": AGREEMENT})
        counts["municipalities"] += 1
    for person in demo_data.officials():
        table.put({"pk": table_keys.officials(person["municipality"]), "sk": person["email"], **person,
                   "status": "active"})
        table.put({"pk": table_keys.official_runs(person["municipality"]), "sk": person["run"],
                   "email": person["email"]})
        counts["officials"] += 1
    for vehicle in demo_data.VEHICLES:
        table.put({"pk": table_keys.vehicle(vehicle["municipality"], vehicle["plate"]), "sk": "DATA", **vehicle})
        counts["vehicles"] += 1
    for debt in demo_data.DEBTS:
        table.put(DebtRepository.row(debt["municipality"], {**debt, "status": "open"}))
        counts["debts"] += 1
    counts["reference"] = seed_reference(table)
    return counts


def designate_demo_receipt_signers(table: DynamoTable) -> list[str]:
    """Each demo municipality's Tesorero(a) designated as its receipt signer, as its administrator
    would in the console (services/receipt_signer_admin.py); returns their RUNs without check
    digit (what FirmaGob registers for unattended signing)."""
    runs = []
    for muni in demo_data.MUNICIPALITIES:
        tesorero = next(o for o in demo_data.officials()
                        if o["municipality"] == muni["code"] and o["profile"] == "tesorero")
        signer = {"email": tesorero["email"], "name": tesorero["name"], "run": tesorero["run"],
                  "profile": "tesorero", "designated_at": "2027-01-01T00:00:00+00:00",
                  "designated_by": f"administrador.municipal@{muni['domain']}"}
        config = table.get(table_keys.municipality(muni["code"]), "CONFIG")
        if config is not None:  # seeded just before, in the same process; nothing else writes it yet
            table.put({**config, "receipt_signer": signer})
        runs.append(tesorero["run"].split("-")[0])
    return runs


def seed_portal_keys(table: DynamoTable) -> dict[str, str]:
    """A fresh portal API key for each demo municipality (generated now; only hashes stored)."""
    from datetime import UTC, datetime

    from chalicelib.adapters.municipalities_repo import PortalKeyRepository
    from chalicelib.services.portal import issue_portal_key

    repo = PortalKeyRepository(table)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    return {m["code"]: issue_portal_key(m["code"], repo, created_at=now) for m in demo_data.MUNICIPALITIES}


def seed_reference(table: DynamoTable) -> int:
    """The UTM, IPC and semestral interest-rate tables (published values where known, marked otherwise)."""
    written = 0
    for name, rows in reference_rows().items():
        for row in rows:
            table.put({"pk": table_keys.reference_table(name), "sk": row["month"], **row})
            written += 1
    return written


def reference_rows() -> dict[str, list[dict[str, Any]]]:
    """The seed rows of each reference table."""
    return {"UTM": [dict(r) for r in reference_data.UTM_RECORDS],
            "IPC": [dict(r) for r in reference_data.IPC_RECORDS],
            "TASA": [dict(r) for r in reference_data.INTEREST_RATE_RECORDS]}


def seed_officials_in_cognito(cognito: Any, pool_id: str, client_id: str, table: DynamoTable,
                              ) -> tuple[int, str | None]:
    """Create every demo official in the user pool with the demo password (local only), link
    each record to its account's `sub` (as creating an official does), and enrol a TOTP app for
    those whose profile authorizes payments (noted on the record, as the first request after an
    enrolment does). Returns how many accounts were created and the TOTP key of the enrolled ones
    (moto's, the same for all; None if none)."""
    from datetime import UTC, datetime

    from botocore.exceptions import ClientError

    from chalicelib.adapters.officials_repo import OfficialRepository

    officials = OfficialRepository(table)
    created = 0
    totp_secret: str | None = None
    for person in demo_data.officials():
        try:
            account = cognito.admin_create_user(
                UserPoolId=pool_id, Username=person["email"], MessageAction="SUPPRESS",
                UserAttributes=[
                    {"Name": "email", "Value": person["email"]},
                    {"Name": "email_verified", "Value": "true"},
                    {"Name": "name", "Value": person["name"]},
                    {"Name": "custom:municipality", "Value": person["municipality"]},
                    {"Name": "custom:profile", "Value": person["profile"]},
                ],
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "UsernameExistsException":
                raise
            continue
        sub = next(a["Value"] for a in account["User"]["Attributes"] if a["Name"] == "sub")
        officials.link_account(person["municipality"], person["email"], sub)
        cognito.admin_set_user_password(UserPoolId=pool_id, Username=person["email"],
                                        Password=demo_data.DEMO_PASSWORD, Permanent=True)
        cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=person["email"],
                                        GroupName=person["profile"])
        if requires_totp(person["profile"]):
            totp_secret = demo_totp.enroll(cognito, client_id, person["email"], demo_data.DEMO_PASSWORD)
            officials.end_sessions(person["municipality"], person["email"], after=0,
                                   totp_enrolled_at=datetime.now(UTC).isoformat(timespec="seconds"))
        created += 1
    return created, totp_secret


def seed_receipt_token_keys(kms: Any) -> int:
    """Each demo municipality's receipt-token key (KMS EC P-256), as onboarding makes it: the JWKS
    lists them all from the start (docs/verification.md)."""
    from chalicelib.adapters.kms_keys import KmsKeys
    from chalicelib.signing.receipt_tokens import ReceiptTokenSigner

    signer = ReceiptTokenSigner(KmsKeys(kms))
    for municipality in demo_data.MUNICIPALITIES:
        signer.jwk(str(municipality["code"]))
    return len(demo_data.MUNICIPALITIES)


def seed_representations(table: DynamoTable, index_secret: str) -> int:
    """The demo companies' representations and the demo fleet's vehicles (docs/citizens.md,
    "Flotas"); registered as an official would, through the fleets service."""
    from chalicelib.adapters.fleets_repo import FleetRepository
    from chalicelib.services import fleets

    repo = FleetRepository(table)
    for company in demo_data.COMPANIES:
        with contextlib.suppress(Conflict):  # seeded already
            fleets.register(repo, index_secret, company_rut=company["rut"], company_name=company["name"],
                            representative_run=company["representative_run"], deed=company["deed"],
                            by=demo_data.REPRESENTATIONS_REGISTERED_BY, at="2027-01-01T00:00:00+00:00")
    for vehicle in demo_data.fleet_vehicles():
        table.put({"pk": table_keys.vehicle(vehicle["municipality"], vehicle["plate"]), "sk": "DATA", **vehicle})
    return len(demo_data.COMPANIES)
