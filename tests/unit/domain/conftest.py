"""Shared fixtures: the seeded tables and rules, built once per test session."""

from __future__ import annotations

import pytest

from chalicelib.domain import reference_data
from chalicelib.domain.permit_rules import PermitRules
from chalicelib.domain.units import ReferenceTables


@pytest.fixture(scope="session")
def tables() -> ReferenceTables:
    return reference_data.reference_tables()


@pytest.fixture(scope="session")
def rules() -> PermitRules:
    return reference_data.permit_rules()
