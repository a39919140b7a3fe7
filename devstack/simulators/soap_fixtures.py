"""The plates the SOAP simulator knows, and what each service answers for them (dev only).

Local test material: every plate, person, RUT, policy and fine is invented. The five plates of
``devstack/demo_data.py``'s VEHICLES pass every check; the others cover every outcome of the
prerequisites. Listed for people in docs/prerequisites.md.

``expected`` is what the rules say for the **2027 permit** (period 01-04-2027 to 31-03-2028)
on any day from 22-11-2026 to 31-03-2027: ``(status, code)`` per check, and whether the
Registro Civil knows the vehicle. Dates are ISO text, as the services send them.
"""

from __future__ import annotations

from typing import Any, Final

EXPECTED_PERMIT_YEAR: Final = 2027
EXPECTED_VALID_FROM: Final = "2026-11-22"
EXPECTED_VALID_TO: Final = "2027-03-31"

OK: Final = {"insurance": ("ok", "insurance_ok"), "inspection": ("ok", "inspection_ok"),
             "emissions": ("ok", "emissions_ok"), "fines": ("ok", "fines_none"), "vehicle": "found"}


def _policy(insurer: str, number: str, valid_from: str, valid_to: str) -> dict[str, str]:
    return {"aseguradora": insurer, "numeroPoliza": number, "vigenciaDesde": valid_from,
            "vigenciaHasta": valid_to}


def _control(result: str, plant_code: str, plant: str, on: str, until: str | None) -> dict[str, Any]:
    return {"resultado": result, "codigoPlanta": plant_code, "planta": plant, "fechaRevision": on,
            "vigenteHasta": until}


def _vehicle(clase: str, make: str, model: str, year: int, fuel: str, rut: str, name: str, registered: str,
             *, tasacion: tuple[str, int] | None = None, capacity_kg: int | None = None,
             invoice: int | None = None) -> dict[str, Any]:
    return {"clase": clase, "marca": make, "modelo": model, "anioFabricacion": year, "combustible": fuel,
            "capacidadCargaKg": capacity_kg, "propietario": {"rut": rut, "nombre": name},
            "tasacion": ({"codigoSii": tasacion[0], "anio": EXPECTED_PERMIT_YEAR, "valorPesos": tasacion[1]}
                         if tasacion else None),
            "fechaPrimeraInscripcion": registered, "valorFacturaNetoPesos": invoice}


def _both_controls(plant_code: str, plant: str, on: str, until: str) -> dict[str, Any]:
    return {"revisionTecnica": _control("APROBADA", plant_code, plant, on, until),
            "emisionGases": _control("APROBADA", plant_code, plant, on, until)}


_HDI = "HDI Seguros S.A."
_MAPFRE = "Mapfre Compañía de Seguros Generales de Chile S.A."
_BCI = "BCI Seguros Generales S.A."
_SURA = "Seguros Generales Suramericana S.A."
_STGO = ("PRT-1301", "PRT Santiago Centro")
_MAIPU = ("PRT-1311", "PRT Maipú")
_PTA = ("PRT-1201", "PRT Punta Arenas")
_VALPO = ("PRT-0501", "PRT Valparaíso")

FIXTURES: Final[dict[str, dict[str, Any]]] = {
    # -- the demo vehicles: every check passes ---------------------------------------------
    "BBBB10": {
        "summary": "Todo en regla: auto liviano Toyota Yaris 2019",
        "expected": OK,
        "policies": [_policy(_HDI, "SOAP-2026-4471203", "2026-04-01", "2027-03-31"),
                     _policy(_HDI, "SOAP-2027-5120388", "2027-04-01", "2028-03-31")],
        "controls": _both_controls(*_STGO, "2026-09-14", "2027-09-30"),
        "fines": [],
        "vehicle": _vehicle("AUTOMOVIL", "Toyota", "Yaris", 2019, "GASOLINA", "12345678-5", "María Pérez Soto",
                            "2019-03-12", tasacion=("TOYYAR19015", 7_460_000)),
    },
    "CDFG23": {
        "summary": "Todo en regla: Hyundai Tucson 2022",
        "expected": OK,
        "policies": [_policy(_MAPFRE, "MAP-SOAP-27-0091822", "2027-04-01", "2028-03-31")],
        "controls": _both_controls(*_STGO, "2026-06-02", "2027-06-30"),
        "fines": [],
        "vehicle": _vehicle("STATION_WAGON", "Hyundai", "Tucson", 2022, "GASOLINA", "12678579-8",
                            "Juan Soto Rojas", "2022-05-20", tasacion=("HYUTUC22020", 16_900_000)),
    },
    "HJKL45": {
        "summary": "Auto eléctrico BYD Dolphin 2024 (exento del control de gases)",
        "expected": OK | {"emissions": ("ok", "emissions_exempt")},
        "policies": [_policy(_BCI, "BCI-SOAP-3318820", "2027-04-01", "2028-03-31")],
        "controls": {"revisionTecnica": _control("APROBADA", *_STGO, "2026-08-03", "2027-08-31"),
                     "emisionGases": _control("EXENTA", *_STGO, "2026-08-03", "2027-08-31")},
        "fines": [],
        "vehicle": _vehicle("AUTOMOVIL", "BYD", "Dolphin", 2024, "ELECTRICO", "11111111-1", "Ana Díaz Fuentes",
                            "2024-07-15", tasacion=("BYDDOL24EV0", 21_500_000)),
    },
    "PRST67": {
        "summary": "Todo en regla: Suzuki Swift 2020 (Punta Arenas)",
        "expected": OK,
        "policies": [_policy(_SURA, "SURA-SOAP-27-771045", "2027-04-01", "2028-03-31")],
        "controls": _both_controls(*_PTA, "2026-10-09", "2027-10-31"),
        "fines": [],
        "vehicle": _vehicle("AUTOMOVIL", "Suzuki", "Swift", 2020, "GASOLINA", "22222222-2", "Pedro Vera Muñoz",
                            "2020-01-28", tasacion=("SUZSWI20012", 6_200_000)),
    },
    "VWXY89": {
        "summary": "Taxi Nissan Versa 2021 (revisión técnica semestral)",
        "expected": OK,
        # taxis: the SOAP runs with their permit, 1 June to 31 May
        "policies": [_policy(_HDI, "SOAP-2026-5120900", "2026-06-01", "2027-05-31"),
                     _policy(_HDI, "SOAP-2027-5120901", "2027-06-01", "2028-05-31")],
        "controls": _both_controls(*_VALPO, "2026-11-05", "2027-05-31"),
        "fines": [],
        "vehicle": _vehicle("TAXI", "Nissan", "Versa", 2021, "GASOLINA", "33333333-3", "Luis Tapia Araya",
                            "2021-02-10", tasacion=("NISVER21016", 8_100_000)),
    },
    # -- other vehicle kinds that pass --------------------------------------------------------
    "WXYZ76": {
        "summary": "Vehículo pesado: camión Mercedes-Benz Atego 1726 2018, 9.000 kg de carga",
        "expected": OK,
        # cargo vehicles: the SOAP runs with their permit, 1 October to 30 September
        "policies": [_policy(_MAPFRE, "MAP-SOAP-26-0104576", "2026-10-01", "2027-09-30"),
                     _policy(_MAPFRE, "MAP-SOAP-27-0104577", "2027-10-01", "2028-09-30")],
        "controls": _both_controls(*_MAIPU, "2026-10-20", "2027-04-30"),
        "fines": [],
        "vehicle": _vehicle("CAMION", "Mercedes-Benz", "Atego 1726", 2018, "DIESEL", "76543210-3",
                            "Transportes Cordillera SpA", "2018-06-04", capacity_kg=9_000),
    },
    "XYZB87": {
        "summary": "Auto nuevo (primer permiso): Chevrolet Groove 2027 inscrito el 10-11-2026, sin tasación SII",
        "expected": OK,
        "policies": [_policy(_BCI, "BCI-SOAP-3391007", "2026-11-10", "2027-03-31"),
                     _policy(_BCI, "BCI-SOAP-3391008", "2027-04-01", "2028-03-31")],
        "controls": _both_controls("3CV", "Homologación de vehículo nuevo (3CV)", "2026-11-10", "2028-11-30"),
        "fines": [],
        "vehicle": _vehicle("AUTOMOVIL", "Chevrolet", "Groove", 2027, "GASOLINA", "14567123-K",
                            "Camila Herrera Núñez", "2026-11-10", invoice=12_990_000),
    },
    # -- paid by the e2e tests of docs/integration.md's examples and of the payment widget ----
    "BDFG31": {
        "summary": "Todo en regla: Kia Morning 2021 (lo paga la prueba del ejemplo curl)",
        "expected": OK,
        "policies": [_policy(_HDI, "SOAP-2027-6100331", "2027-04-01", "2028-03-31")],
        "controls": _both_controls(*_STGO, "2026-10-01", "2027-10-31"),
        "fines": [],
        "vehicle": _vehicle("AUTOMOVIL", "Kia", "Morning", 2021, "GASOLINA", "15111222-6", "Rosa Lagos Bravo",
                            "2021-02-01", tasacion=("KIAMOR21011", 6_350_000)),
    },
    "BDFG32": {
        "summary": "Todo en regla: Peugeot 2008 2022 (lo paga la prueba del ejemplo PHP)",
        "expected": OK,
        "policies": [_policy(_HDI, "SOAP-2027-6110331", "2027-04-01", "2028-03-31")],
        "controls": _both_controls(*_STGO, "2026-10-01", "2027-10-31"),
        "fines": [],
        "vehicle": _vehicle("AUTOMOVIL", "Peugeot", "2008", 2022, "GASOLINA", "16222333-K", "Tomás Reyes Vidal",
                            "2022-02-01", tasacion=("PEU20822014", 14_200_000)),
    },
    "BDFG33": {
        "summary": "Todo en regla: Mazda CX-30 2023 (lo paga la prueba del ejemplo JavaScript)",
        "expected": OK,
        "policies": [_policy(_HDI, "SOAP-2027-6120331", "2027-04-01", "2028-03-31")],
        "controls": _both_controls(*_STGO, "2026-10-01", "2027-10-31"),
        "fines": [],
        "vehicle": _vehicle("AUTOMOVIL", "Mazda", "CX-30", 2023, "GASOLINA", "17333444-3", "Inés Fuentes Mora",
                            "2023-02-01", tasacion=("MAZCX323017", 19_800_000)),
    },
    "BDFG34": {
        "summary": "Todo en regla: Renault Kwid 2022 (lo paga la prueba del widget)",
        "expected": OK,
        "policies": [_policy(_HDI, "SOAP-2027-6130331", "2027-04-01", "2028-03-31")],
        "controls": _both_controls(*_STGO, "2026-10-01", "2027-10-31"),
        "fines": [],
        "vehicle": _vehicle("AUTOMOVIL", "Renault", "Kwid", 2022, "GASOLINA", "18444555-7", "Diego Salas Pino",
                            "2022-02-01", tasacion=("RENKWI22010", 5_900_000)),
    },
    "BDFG35": {
        "summary": "Todo en regla: Hyundai Accent 2020 (lo paga la prueba del cliente generado de la API)",
        "expected": OK,
        "policies": [_policy(_HDI, "SOAP-2027-6140331", "2027-04-01", "2028-03-31")],
        "controls": _both_controls(*_STGO, "2026-10-01", "2027-10-31"),
        "fines": [],
        "vehicle": _vehicle("AUTOMOVIL", "Hyundai", "Accent", 2020, "GASOLINA", "19555666-0", "Pablo Soto Rivas",
                            "2020-02-01", tasacion=("HYUACC20012", 7_400_000)),
    },
    "BDFG36": {
        "summary": "Todo en regla: Fiat Argo 2023 (lo paga la prueba de verificación en el navegador)",
        "expected": OK,
        "policies": [_policy(_HDI, "SOAP-2027-6150331", "2027-04-01", "2028-03-31")],
        "controls": _both_controls(*_STGO, "2026-10-01", "2027-10-31"),
        "fines": [],
        "vehicle": _vehicle("AUTOMOVIL", "Fiat", "Argo", 2023, "GASOLINA", "20666777-K", "Marta Olivares Ruiz",
                            "2023-02-01", tasacion=("FIAARG23012", 9_400_000)),
    },
    # -- one failed check each ---------------------------------------------------------------
    "GHJK12": {
        "summary": "SOAP vencido (31-03-2026)",
        "expected": OK | {"insurance": ("failed", "insurance_expired")},
        "policies": [_policy(_SURA, "SURA-SOAP-25-600112", "2025-04-01", "2026-03-31")],
        "controls": _both_controls(*_STGO, "2026-07-21", "2027-07-31"),
        "fines": [],
        "vehicle": _vehicle("AUTOMOVIL", "Kia", "Rio 5", 2017, "GASOLINA", "15678234-3", "Carolina Muñoz Lagos",
                            "2017-04-18", tasacion=("KIARIO17014", 5_350_000)),
    },
    "JKLP34": {
        "summary": "SOAP que vence dentro del período del permiso (15-01-2028)",
        "expected": OK | {"insurance": ("failed", "insurance_ends_within_period")},
        "policies": [_policy(_HDI, "SOAP-2027-5009931", "2027-01-16", "2028-01-15")],
        "controls": _both_controls(*_MAIPU, "2026-05-12", "2027-05-31"),
        "fines": [],
        "vehicle": _vehicle("AUTOMOVIL", "Chevrolet", "Sail", 2018, "GASOLINA", "16789345-7",
                            "Diego Fernández Silva", "2018-09-03", tasacion=("CHESAI18014", 4_980_000)),
    },
    "KLPR56": {
        "summary": "Revisión técnica rechazada (02-11-2026)",
        "expected": OK | {"inspection": ("failed", "inspection_rejected")},
        "policies": [_policy(_MAPFRE, "MAP-SOAP-27-0112210", "2027-04-01", "2028-03-31")],
        "controls": {"revisionTecnica": _control("RECHAZADA", *_STGO, "2026-11-02", None),
                     "emisionGases": _control("APROBADA", *_STGO, "2026-11-02", "2027-11-30")},
        "fines": [],
        "vehicle": _vehicle("AUTOMOVIL", "Peugeot", "208", 2016, "GASOLINA", "17890456-6",
                            "Valentina Rojas Pino", "2016-11-22", tasacion=("PEU20816012", 5_100_000)),
    },
    "LPRS78": {
        "summary": "Revisión técnica vencida (31-08-2026)",
        "expected": OK | {"inspection": ("failed", "inspection_expired")},
        "policies": [_policy(_SURA, "SURA-SOAP-27-771990", "2027-04-01", "2028-03-31")],
        "controls": {"revisionTecnica": _control("APROBADA", *_MAIPU, "2025-08-20", "2026-08-31"),
                     "emisionGases": _control("APROBADA", *_MAIPU, "2026-05-10", "2027-05-31")},
        "fines": [],
        "vehicle": _vehicle("AUTOMOVIL", "Mazda", "3 Sport", 2015, "GASOLINA", "18901567-4",
                            "Matías González Cid", "2015-08-14", tasacion=("MAZ3SP15016", 5_900_000)),
    },
    "RSTV32": {
        "summary": "Control de emisiones vencido (31-10-2026)",
        "expected": OK | {"emissions": ("failed", "emissions_expired")},
        "policies": [_policy(_BCI, "BCI-SOAP-3320466", "2027-04-01", "2028-03-31")],
        "controls": {"revisionTecnica": _control("APROBADA", *_VALPO, "2026-06-18", "2027-06-30"),
                     "emisionGases": _control("APROBADA", *_VALPO, "2025-10-15", "2026-10-31")},
        "fines": [],
        "vehicle": _vehicle("STATION_WAGON", "Nissan", "Qashqai", 2019, "DIESEL", "19012678-1",
                            "Francisca Torres Vidal", "2019-10-01", tasacion=("NISQAS19020", 11_400_000)),
    },
    "STVW43": {
        "summary": "Dos multas de tránsito impagas en el RMNP ($139.200)",
        "expected": OK | {"fines": ("failed", "fines_unpaid")},
        "policies": [_policy(_HDI, "SOAP-2027-5133018", "2027-04-01", "2028-03-31")],
        "controls": _both_controls(*_STGO, "2026-04-27", "2027-04-30"),
        "fines": [{"rolCausa": "12.345-2025", "juzgado": "1° Juzgado de Policía Local de Santiago",
                   "fecha": "2025-08-14", "montoPesos": 86_800},
                  {"rolCausa": "4.321-2026", "juzgado": "Juzgado de Policía Local de Maipú",
                   "fecha": "2026-02-03", "montoPesos": 52_400}],
        "vehicle": _vehicle("AUTOMOVIL", "Volkswagen", "Gol", 2014, "GASOLINA", "20123789-0",
                            "Sebastián Castro Reyes", "2014-03-07", tasacion=("VOLGOL14016", 3_650_000)),
    },
    # -- a plate nobody knows ----------------------------------------------------------------
    "TVWX54": {
        "summary": "Patente desconocida: sin SOAP, sin revisiones, sin multas, no inscrita",
        "expected": {"insurance": ("failed", "insurance_not_found"),
                     "inspection": ("failed", "inspection_not_found"),
                     "emissions": ("failed", "emissions_not_found"),
                     "fines": ("ok", "fines_none"), "vehicle": "not_found"},
        "policies": [],
        "controls": {"revisionTecnica": None, "emisionGases": None},
        "fines": [],
        "vehicle": None,
    },
}

UNKNOWN: Final[dict[str, Any]] = FIXTURES["TVWX54"]
"""What every plate not listed above gets: nothing on record anywhere."""


def fixture(plate: str) -> dict[str, Any]:
    """The data of ``plate`` (canonical form), or the unknown plate's."""
    return FIXTURES.get(plate, UNKNOWN)


def _fleet_fixtures() -> dict[str, dict[str, Any]]:
    """The demo fleet of Transportes Cordillera SpA (devstack/demo_data.py, docs/citizens.md
    "Flotas"): 18 plates in order and two that each fail one check."""
    from devstack.demo_data import FLEET_COMPANY, FLEET_FAILING, FLEET_OK

    owner = (FLEET_COMPANY["rut"], FLEET_COMPANY["name"])
    out: dict[str, dict[str, Any]] = {}
    for i, plate in enumerate(FLEET_OK):
        out[plate] = {
            "summary": f"Flota demo de {owner[1]}: Toyota Corolla 2021, todo en regla",
            "expected": OK,
            "policies": [_policy(_HDI, f"SOAP-2027-77{i:05d}", "2027-04-01", "2028-03-31")],
            "controls": _both_controls(*_STGO, "2026-10-01", "2027-10-31"),
            "fines": [],
            "vehicle": _vehicle("AUTOMOVIL", "Toyota", "Corolla", 2021, "GASOLINA", *owner, "2021-03-01",
                                tasacion=(f"TOYCOR21{i:03d}", 11_300_000 + 10_000 * i)),
        }
    failing = {
        "insurance_expired": {"expected": OK | {"insurance": ("failed", "insurance_expired")},
                              "policies": [_policy(_SURA, "SURA-SOAP-25-990028", "2025-04-01", "2026-03-31")],
                              "fines": [], "summary": "SOAP vencido (31-03-2026)"},
        "fines_unpaid": {"expected": OK | {"fines": ("failed", "fines_unpaid")},
                         "policies": [_policy(_HDI, "SOAP-2027-7799029", "2027-04-01", "2028-03-31")],
                         "fines": [{"rolCausa": "7.777-2026", "juzgado": "1° Juzgado de Policía Local de Santiago",
                                    "fecha": "2026-05-14", "montoPesos": 64_300}],
                         "summary": "Una multa de tránsito impaga en el RMNP ($64.300)"},
    }
    for plate, kind in FLEET_FAILING.items():
        data = failing[kind]
        out[plate] = {
            "summary": f"Flota demo de {owner[1]}: {data['summary']}", "expected": data["expected"],
            "policies": data["policies"], "controls": _both_controls(*_STGO, "2026-10-01", "2027-10-31"),
            "fines": data["fines"],
            "vehicle": _vehicle("AUTOMOVIL", "Toyota", "Corolla", 2020, "GASOLINA", *owner, "2020-03-01",
                                tasacion=(f"TOYCOR20{plate[-2:]}0", 10_100_000)),
        }
    return out


FIXTURES.update(_fleet_fixtures())
