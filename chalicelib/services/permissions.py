"""The permission matrix: which profile may do what. One table, enforced on every admin route
(and documented in docs/roles.md).

Municipal profiles act only on their own municipality. Central profiles (SUBDERE) act on the
platform; where a permission lets them see a municipality's data, the matrix says so
explicitly.
"""

from __future__ import annotations

from enum import StrEnum

MUNICIPAL_PROFILES = frozenset({
    "alcalde", "director_finanzas", "tesorero", "tesorero_subrogante",
    "operador_rentas", "operador_transito", "administrador_municipal",
})
CENTRAL_PROFILES = frozenset({"administrador_subdere", "soporte"})
ALL_PROFILES = MUNICIPAL_PROFILES | CENTRAL_PROFILES


class Permission(StrEnum):
    REFERENCE_READ = "reference.read"
    REFERENCE_EDIT = "reference.edit"


MATRIX: dict[Permission, frozenset[str]] = {
    Permission.REFERENCE_READ: ALL_PROFILES,
    Permission.REFERENCE_EDIT: frozenset({"administrador_subdere"}),
}


def allowed(profile: str, permission: Permission) -> bool:
    """Whether `profile` holds `permission`."""
    return profile in MATRIX[permission]
