"""The demo data every local stack starts with (listed for people in docs/demo-data.md).

Local test material only: the municipalities and their regions are real; every person, RUT,
e-mail, plate and amount is invented for demonstration.
"""

from __future__ import annotations

from typing import Any

# The one password of every demo official. LOCAL TEST MATERIAL: it exists only in the moto
# Cognito pool of a local stack, and is printed by `make run`.
DEMO_PASSWORD = "Sem-Demo-2027"  # noqa: S105 - local test material, see above

MUNICIPALITIES: list[dict[str, Any]] = [
    {"code": "13101", "name": "Santiago", "legal_name": "Ilustre Municipalidad de Santiago",
     "region": "Región Metropolitana de Santiago", "address": "Plaza de Armas s/n, Santiago",
     "zone": None, "domain": "munistgo.demo",
     "origins": ["http://127.0.0.1", "http://localhost"], "color": "#0b4f8a"},
    {"code": "13114", "name": "Las Condes", "legal_name": "Ilustre Municipalidad de Las Condes",
     "region": "Región Metropolitana de Santiago", "address": "Av. Apoquindo 3400, Las Condes",
     "zone": None, "domain": "lascondes.demo",
     "origins": ["http://127.0.0.1", "http://localhost"], "color": "#1d6b3a"},
    {"code": "05101", "name": "Valparaíso", "legal_name": "Ilustre Municipalidad de Valparaíso",
     "region": "Región de Valparaíso", "address": "Condell 1490, Valparaíso",
     "zone": None, "domain": "munivalpo.demo",
     "origins": ["http://127.0.0.1", "http://localhost"], "color": "#8a1c2b"},
    {"code": "12101", "name": "Punta Arenas", "legal_name": "Ilustre Municipalidad de Punta Arenas",
     "region": "Región de Magallanes y de la Antártica Chilena",
     "address": "Plaza Muñoz Gamero 745, Punta Arenas",
     "zone": "zona_extrema", "domain": "puntaarenas.demo",
     "origins": ["http://127.0.0.1", "http://localhost"], "color": "#27408b"},
    {"code": "01101", "name": "Iquique", "legal_name": "Ilustre Municipalidad de Iquique",
     "region": "Región de Tarapacá", "address": "Serrano 134, Iquique",
     "zone": "zona_franca", "domain": "iquique.demo",
     "origins": ["http://127.0.0.1", "http://localhost"], "color": "#b35900"},
]

SERVICES = ["permisos", "patentes", "aseo"]

MUNICIPAL_PROFILES = [
    "alcalde", "director_finanzas", "tesorero", "tesorero_subrogante",
    "operador_rentas", "operador_transito", "administrador_municipal",
]
CENTRAL_PROFILES = ["administrador_subdere", "soporte"]

# Invented demo people; RUTs are valid mod 11 but belong to no one known.
DEMO_RUT = "12345678-5"
DEMO_PAYER = {"rut": DEMO_RUT, "name": "María Pérez Soto", "email": "maria.perez@ciudadano.demo"}


def _run(body: int) -> str:
    from chalicelib.domain.rut import mod11_check_digit

    return f"{body}-{mod11_check_digit(str(body))}"


def officials() -> list[dict[str, str]]:
    """One demo official per profile per municipality, plus the central profiles; each with an
    invented RUN (20.ii0.0jj: municipality i, profile j; central ones 19.000.00j), the one its
    signing certificate carries."""
    people = []
    for i, muni in enumerate(MUNICIPALITIES):
        for j, profile in enumerate(MUNICIPAL_PROFILES):
            people.append({
                "email": f"{profile.replace('_', '.')}@{muni['domain']}",
                "municipality": muni["code"], "profile": profile,
                "name": f"{profile.replace('_', ' ').title()} {muni['name']} (demo)",
                "run": _run(20_000_000 + 10_000 * i + j),
            })
    for j, profile in enumerate(CENTRAL_PROFILES):
        people.append({"email": f"{profile.replace('_', '.')}@subdere.demo", "municipality": "00000",
                       "profile": profile, "name": f"{profile.replace('_', ' ').title()} (demo)",
                       "run": _run(19_000_001 + j)})
    return people


def official_run(email: str) -> str:
    """The demo official's RUN (compact form), by e-mail."""
    return next(o["run"] for o in officials() if o["email"] == email)


# Vehicles the demo knows (until the Registro Civil service answers for them). BBBB10: a light
# car whose 2027 permit is due in 13101 and whose every check passes.
VEHICLES: list[dict[str, Any]] = [
    {"municipality": "13101", "plate": "BBBB10", "vehicle_class": "light", "make": "Toyota",
     "model": "Yaris", "model_year": 2019, "propulsion": "combustion", "tasacion": 7_460_000,
     "owner_rut": DEMO_RUT, "owner_name": "María Pérez Soto"},
    {"municipality": "13101", "plate": "CDFG23", "vehicle_class": "light", "make": "Hyundai",
     "model": "Tucson", "model_year": 2022, "propulsion": "combustion", "tasacion": 16_900_000,
     "owner_rut": "12678579-8", "owner_name": "Juan Soto Rojas"},
    {"municipality": "13114", "plate": "HJKL45", "vehicle_class": "light", "make": "BYD",
     "model": "Dolphin", "model_year": 2024, "propulsion": "electric", "tasacion": 21_500_000,
     "owner_rut": "11111111-1", "owner_name": "Ana Díaz Fuentes"},
    {"municipality": "12101", "plate": "PRST67", "vehicle_class": "light", "make": "Suzuki",
     "model": "Swift", "model_year": 2020, "propulsion": "combustion", "tasacion": 6_200_000,
     "owner_rut": "22222222-2", "owner_name": "Pedro Vera Muñoz"},
    {"municipality": "05101", "plate": "VWXY89", "vehicle_class": "taxi", "make": "Nissan",
     "model": "Versa", "model_year": 2021, "propulsion": "combustion", "tasacion": 8_100_000,
     "owner_rut": "33333333-3", "owner_name": "Luis Tapia Araya"},
]

# Rolls (what municipalities load): patentes and aseo installments owed by RUT.
DEBTS: list[dict[str, Any]] = [
    {"municipality": "13101", "rut": DEMO_RUT, "debt_id": "PAT-2027-1-000123", "type": "patente",
     "description": "Patente comercial rol 4-000123, 1er semestre 2027", "period": "2027-S1",
     "due_date": "2027-01-31", "amount": 186_250},
    {"municipality": "13101", "rut": DEMO_RUT, "debt_id": "ASE-2027-1-004567", "type": "aseo",
     "description": "Derechos de aseo rol 123-45, cuota 1 de 4, 2027", "period": "2027-Q1",
     "due_date": "2027-04-30", "amount": 21_480},
    {"municipality": "13114", "rut": "12678579-8", "debt_id": "ASE-2027-1-000871", "type": "aseo",
     "description": "Derechos de aseo rol 871-2, cuota 1 de 4, 2027", "period": "2027-Q1",
     "due_date": "2027-04-30", "amount": 34_900},
]


# Fleets (docs/citizens.md, "Flotas"): demo companies and who represents them. In production a
# central official registers each representation after checking the deed; here the demo data
# does, as "registered_by" says. Ana Díaz represents Transportes Cordillera; Juan Soto represents
# Buses Australes (and so cannot see Cordillera's fleet).
COMPANIES: list[dict[str, Any]] = [
    {"rut": "76543210-3", "name": "Transportes Cordillera SpA", "representative_run": "11111111-1",
     "deed": "Escritura pública de 12-03-2024, 42ª Notaría de Santiago, repertorio 4.512-2024 (demo)"},
    {"rut": "77777777-7", "name": "Buses Australes Ltda.", "representative_run": "12678579-8",
     "deed": "Escritura pública de 03-07-2023, Notaría de Punta Arenas, repertorio 1.208-2023 (demo)"},
]
REPRESENTATIONS_REGISTERED_BY = "datos de demostración (devstack)"

FLEET_COMPANY = COMPANIES[0]
FLEET_OK = [f"FLTC{n}" for n in range(10, 28)]
"""18 plates of Transportes Cordillera whose every check passes (12 in Santiago, 6 in Las Condes)."""
FLEET_FAILING = {"FLTC28": "insurance_expired", "FLTC29": "fines_unpaid"}
"""2 plates of the fleet that fail a check (the SOAP simulator says which; see soap_fixtures)."""


def fleet_vehicles() -> list[dict[str, Any]]:
    """The demo fleet as the demo vehicle table holds it (what `SEM_VEHICLE_REGISTRY=demo` reads)."""
    out = []
    for i, plate in enumerate(FLEET_OK):
        out.append({"municipality": "13101" if i < 12 else "13114", "plate": plate, "vehicle_class": "light",
                    "make": "Toyota", "model": "Hilux", "model_year": 2021, "propulsion": "combustion",
                    "tasacion": 14_300_000 + 10_000 * i, "owner_rut": FLEET_COMPANY["rut"],
                    "owner_name": FLEET_COMPANY["name"]})
    return out


def fleet_csv() -> str:
    """The 20-plate CSV the demo company uploads (semicolons, as es-CL spreadsheets write)."""
    rows = ["patente;municipalidad"]
    rows += [f"{v['plate']};{v['municipality']}" for v in fleet_vehicles()]
    rows += [f"{plate};13101" for plate in FLEET_FAILING]
    return "\n".join(rows) + "\n"
