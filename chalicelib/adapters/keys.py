"""Every DynamoDB key of the platform, built in one place (the layout is in docs/data-model.md).

Each partition key starts with the owner's 5-digit CUT code, so that an IAM condition on
`dynamodb:LeadingKeys` can fence a municipality and no query can cross tenants. Data that belongs
to the platform as a whole (reference tables, the list of municipalities, national totals) uses
the pseudo-code `00000`.
"""

from __future__ import annotations

import re

PLATFORM = "00000"
_CUT = re.compile(r"^\d{5}$")


def tenant(code: str) -> str:
    """The validated municipality code a key starts with (guards against key injection)."""
    if not _CUT.match(code):
        raise ValueError(f"not a 5-digit municipality code: {code!r}")
    return code


# -- platform-wide ------------------------------------------------------------------------------

def municipality_index() -> str:
    """Partition listing every municipality (sk = code): one Query for `GET /v1/municipalities`."""
    return f"{PLATFORM}#MUNICIPALITIES"


def reference_table(name: str) -> str:
    """Partition of a monthly reference table (`UTM`, `IPC`), sk = `YYYY-MM`."""
    return f"{PLATFORM}#REF#{name}"


# -- per municipality ---------------------------------------------------------------------------

def municipality(code: str) -> str:
    """Partition of a municipality's configuration (sk `CONFIG`, `PORTAL_KEY#…`, `TARIFFS`)."""
    return f"{tenant(code)}#MUNI"


def officials(code: str) -> str:
    """Partition of a municipality's officials (sk = Cognito username)."""
    return f"{tenant(code)}#OFFICIALS"


def vehicle(code: str, plate: str) -> str:
    """Partition of what a municipality knows of a vehicle (sk `DATA`, `PERMIT#<year>#<installment>`)."""
    return f"{tenant(code)}#VEHICLE#{plate}"


def audit(code: str, month: str) -> str:
    """Partition of a municipality's audit log for one month `YYYY-MM` (sk = time#id)."""
    return f"{tenant(code)}#AUDIT#{month}"


def debtor(code: str, rut: str) -> str:
    """Partition of a RUT's open debts in a municipality (sk `DEBT#<debt_id>`)."""
    return f"{tenant(code)}#RUT#{rut}"
