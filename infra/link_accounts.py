"""Links every official's record to its Cognito account's `sub` (an operator's tool, run once
after deploying the release that finds officials by `sub`; running it again changes nothing).

    python -m infra.link_accounts

Runs with the operator's AWS credentials against whatever the SEM_* settings of the environment
name. An official whose record has no `sub` cannot sign in to the console (services/auth.py).
A record whose account is missing, or whose account's e-mail is not verified, is reported and
left unlinked: check it by hand before linking it.
"""

from __future__ import annotations

import sys
from typing import Any

from chalicelib import wiring
from chalicelib.adapters.cognito_users import CognitoUsers
from chalicelib.adapters.municipalities_repo import MunicipalityRepository
from chalicelib.adapters.officials_repo import OfficialRepository

PLATFORM = "00000"


def link_accounts(officials: OfficialRepository, municipalities: MunicipalityRepository,
                  accounts: CognitoUsers) -> dict[str, list[str]]:
    """Link what can be linked; returns the e-mails linked and those left for a person to check."""
    result: dict[str, list[str]] = {"linked": [], "unlinked": []}
    codes = [PLATFORM] + [str(m["code"]) for m in municipalities.list_all()]
    for code in codes:
        for record in officials.unlinked(code):
            email = str(record["email"])
            account: dict[str, Any] | None = accounts.attributes(email)
            if account is None or account.get("email", "").lower() != email or account.get("email_verified") != "true":
                result["unlinked"].append(f"{code} {email}")
                continue
            officials.link_account(code, email, account["sub"])
            result["linked"].append(f"{code} {email}")
    return result


def main() -> None:
    result = link_accounts(wiring.officials(), wiring.municipalities(), wiring.cognito_users())
    print(f"linked: {len(result['linked'])}")
    for line in result["unlinked"]:
        print(f"NOT linked (check by hand): {line}")
    sys.exit(1 if result["unlinked"] else 0)


if __name__ == "__main__":
    main()
