"""Seed reference data: UTM, IPC, semestral interest rates, and the default permit, patente and aseo parameters.

Everything here is plain data (lists and dicts of str/int/bool) so it can be written to the
database as is, shown in the admin console and replaced by the administrator. Every value
carries its source; ``verified`` / ``projected`` flags say how far to trust it:

- UTM: January values as published (SII's UTM table); January 2025 and 2026 checked against the
  permit minimums the SII published for those years (½ UTM: $33.715 and $34.876). Only January
  UTMs are used by the rules (permits and patentes are valued in the January UTM). February 2025
  to June 2026 are DERIVED, not read from the SII's table (no copy of it for those months could
  be read): the UTM of a month is the previous month's readjusted by the INE's IPC variation of
  the month before that, rounded to the peso, so UTM(m) = UTM(m−1) × (1 + IPC(m−2)) chained from
  the published January 2025 with the INE variations seeded below. The chain reproduces the two
  published checkpoints it passes: September 2025 ($69.265, SII Circular N° 52 of 14-08-2025 as
  reported by regfollower.com / vatupdate.com) and January 2026 ($69.751). July 2026 onwards would
  need the IPC of May 2026 onwards, which is not seeded, so those months are not derived.
  January 2027 is PROJECTED (not yet published), flagged, shown as an estimate and never charged.
- IPC monthly variations: December 2023 to November 2024 DERIVED from the published UTM series
  (the UTM of a month is the previous month's readjusted by the IPC variation of the month
  before that, so variation(m) = UTM(m+2) / UTM(m+1) − 1, rounded to 0,1 point — the precision
  INE publishes); December 2024 to April 2026 as published by the INE in its monthly IPC
  bulletin (each row names the press report of the bulletin it was read from; March 2026 also
  checked against the reported 2,8% a year, April 2026 rests on a single report). May to
  October 2026 are published but NOT seeded: no publication could be read here; any computation
  that needs those months is refused (``ipc_missing``) until the administrator loads INE's
  figures. November 2026 onwards (not yet published) are PROJECTED, flagged, never charged.
- Semestral penalty-interest rates (Código Tributario art. 53, Ley 21.713): the three semesters
  whose SII resolution could be read (1st 2025 – 1st 2026). The 2nd semester of 2026 is not
  seeded: a late payment with days in it is refused (``interest_rate_missing``) until the
  administrator loads the SII's rate. The 1st semester of 2027 (not yet published) is PROJECTED.
- Permit class tariffs other than taxis (1 UTM) and tractors / self-propelled machinery (½ UTM)
  are ILLUSTRATIVE municipal data (``verified: false``): the heavy-class table of DL 3063
  art. 12 b was not found in a public source.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from chalicelib.domain.aseo import AseoRules
from chalicelib.domain.patentes import PatenteRules
from chalicelib.domain.permit_rules import PermitRules, merge_rules
from chalicelib.domain.units import ReferenceTables, YearMonth

_UTM_PUBLISHED: Final = "SII, valor publicado (tabla pública de UTM)"
_UTM_FROM_MINIMUM: Final = (
    "SII, UTM de enero; contrastada con el permiso mínimo publicado por el SII (½ UTM redondeado)"
)
_UTM_DERIVED: Final = (
    "DERIVADA (no leída de la tabla del SII): UTM del mes anterior × (1 + variación del IPC del INE del penúltimo "
    "mes), redondeada al peso: {previous} × (1 {sign} {percent}%) [IPC {ipc_month}] = {exact} → {value}. La "
    "cadena desde la UTM de enero 2025 reproduce las UTM publicadas de septiembre 2025 ($69.265, SII Circular "
    "N° 52 de 14-08-2025) y enero 2026 ($69.751); contrastar con la tabla del SII"
)
_IPC_FROM_UTM: Final = (
    "derivado de la UTM publicada: UTM(m+2) / UTM(m+1) − 1, redondeado a 0,1 punto; "
    "contrastar con la publicación del INE"
)
_IPC_INE: Final = "INE, boletín IPC: variación mensual publicada"
_IPC_PROJECTED: Final = (
    "PROYECTADO (mes aún no publicado): 0,3% mensual, cerca de la meta de 3% anual del Banco Central; "
    "NO es cifra oficial: se muestra como estimación y no se cobra; reemplazar por el valor del INE"
)


def _derived_utm(first_previous: int, rows: tuple[tuple[str, str, str, str, int], ...]) -> list[dict[str, object]]:
    """Seed rows for UTMs derived month by month: (month, IPC month, IPC %, exact product, rounded value)."""
    records: list[dict[str, object]] = []
    previous = first_previous
    for month, ipc_month, percent, exact, value in rows:
        sign = "−" if percent.startswith("-") else "+"
        source = _UTM_DERIVED.format(
            previous=f"{previous:,}".replace(",", "."),
            sign=sign,
            percent=percent.lstrip("-").replace(".", ","),
            ipc_month=ipc_month,
            exact=exact.replace(".", ","),
            value=f"{value:,}".replace(",", "."),
        )
        records.append({"month": month, "value": value, "source": source, "projected": False})
        previous = value
    return records


UTM_RECORDS: Final[list[dict[str, object]]] = [
    *(
        {"month": f"{year}-01", "value": value, "source": _UTM_PUBLISHED, "projected": False}
        for year, value in (
            (2018, 47019),
            (2019, 48353),
            (2020, 49673),
            (2021, 50978),
            (2022, 54442),
            (2023, 61769),
        )
    ),
    *(
        {"month": f"2024-{month:02d}", "value": value, "source": _UTM_PUBLISHED, "projected": False}
        for month, value in enumerate(
            (64666, 64343, 64793, 65182, 65443, 65770, 65967, 65901, 66362, 66561, 66628, 67294), start=1
        )
    ),
    {
        "month": "2025-01",
        "value": 67429,
        "source": _UTM_FROM_MINIMUM + " (mínimo 2025: $33.715)",
        "projected": False,
    },
    *_derived_utm(
        67429,
        (
            ("2025-02", "2024-12", "-0.2", "67294.142", 67294),
            ("2025-03", "2025-01", "1.1", "68034.234", 68034),
            ("2025-04", "2025-02", "0.4", "68306.136", 68306),
            ("2025-05", "2025-03", "0.5", "68647.530", 68648),
            ("2025-06", "2025-04", "0.2", "68785.296", 68785),
            ("2025-07", "2025-05", "0.2", "68922.570", 68923),
            ("2025-08", "2025-06", "-0.4", "68647.308", 68647),
            ("2025-09", "2025-07", "0.9", "69264.823", 69265),
            ("2025-10", "2025-08", "0.0", "69265.000", 69265),
            ("2025-11", "2025-09", "0.4", "69542.060", 69542),
            ("2025-12", "2025-10", "0.0", "69542.000", 69542),
        ),
    ),
    {
        "month": "2026-01",
        "value": 69751,
        "source": _UTM_FROM_MINIMUM + " (mínimo 2026: $34.876)",
        "projected": False,
    },
    *_derived_utm(
        69751,
        (
            ("2026-02", "2025-12", "-0.2", "69611.498", 69611),
            ("2026-03", "2026-01", "0.4", "69889.444", 69889),
            ("2026-04", "2026-02", "0.0", "69889.000", 69889),
            ("2026-05", "2026-03", "1.0", "70587.890", 70588),
            ("2026-06", "2026-04", "1.3", "71505.644", 71506),
        ),
    ),
    {
        "month": "2027-01",
        "value": 72153,
        "source": (
            "PROYECTADO (aún no publicado): UTM enero 2026 × (UTM enero 2026 / UTM enero 2025) = 69.751 × 1,0344 "
            "= 72.152,96 → 72.153; reemplazar por el valor del SII"
        ),
        "projected": True,
    },
]

IPC_RECORDS: Final[list[dict[str, object]]] = [
    *(
        {"month": month, "variation_percent": percent, "source": _IPC_FROM_UTM, "projected": False}
        for month, percent in (
            ("2023-12", "-0.5"),
            ("2024-01", "0.7"),
            ("2024-02", "0.6"),
            ("2024-03", "0.4"),
            ("2024-04", "0.5"),
            ("2024-05", "0.3"),
            ("2024-06", "-0.1"),
            ("2024-07", "0.7"),
            ("2024-08", "0.3"),
            ("2024-09", "0.1"),
            ("2024-10", "1.0"),
        )
    ),
    {
        "month": "2024-11",
        "variation_percent": "0.2",
        "source": _IPC_FROM_UTM + " (usa la UTM de enero 2025, a su vez derivada)",
        "projected": False,
    },
    *(
        {"month": month, "variation_percent": percent, "source": f"{_IPC_INE} ({report})", "projected": False}
        for month, percent, report in (
            ("2024-12", "-0.2", "informado el 08-01-2025; estapasando.cl"),
            ("2025-01", "1.1", "informado el 07-02-2025; biobiochile.cl"),
            ("2025-02", "0.4", "informado en marzo 2025; eltipografo.cl"),
            ("2025-03", "0.5", "informado el 08-04-2025; chocale.cl, epicentrochile.com"),
            ("2025-04", "0.2", "informado el 08-05-2025; radio.uchile.cl"),
            ("2025-05", "0.2", "informado en junio 2025; finanzasdigital.com"),
            ("2025-06", "-0.4", "citado el 08-08-2025 por latercera.com"),
            ("2025-07", "0.9", "informado el 08-08-2025; adnradio.cl, portalmetropolitano.cl"),
            ("2025-08", "0.0", "informado el 08-09-2025; Reuters vía lanacion.com.ar, radiopolar.com"),
            ("2025-09", "0.4", "informado el 08-10-2025; lagaceta.com.ar"),
            ("2025-10", "0.0", "informado el 07-11-2025; df.cl"),
            ("2025-11", "0.3", "informado el 05-12-2025; radio.uchile.cl, latercera.com"),
            ("2025-12", "-0.2", "informado el 08-01-2026; cooperativa.cl"),
            ("2026-01", "0.4", "informado el 06-02-2026; cnnchile.com, latercera.com"),
            ("2026-02", "0.0", "informado el 06-03-2026; cnnchile.com, radio.uchile.cl"),
            (
                "2026-03",
                "1.0",
                "informado el 08-04-2026; stochter.com, focus-economics.com (0,96% sin redondear; 2,8% a doce meses)",
            ),
            ("2026-04", "1.3", "informado el 08-05-2026; theforexfeed.com (repite marzo 1,0%); única fuente leída"),
        )
    ),
    *(
        {"month": str(month), "variation_percent": "0.3", "source": _IPC_PROJECTED, "projected": True}
        for month in YearMonth(2026, 11).through(YearMonth(2027, 12))
    ),
]

INTEREST_RATE_RECORDS: Final[list[dict[str, object]]] = [
    {
        "month": "2025-01",
        "annual_percent": "8.12",
        "source": (
            "SII Res. Ex. N° 133 de 26-12-2024: 4,62% (CMF) + 3,5% = 8,12%; diaria 0,0225555556% "
            "(citada por slabogados.cl y por el ejemplo de la TGR de enero 2025)"
        ),
        "projected": False,
    },
    {
        "month": "2025-07",
        "annual_percent": "8.00",
        "source": (
            "SII Res. Ex. N° 75 de 2025: diaria 0,0222222222% = 8,00% / 360 (citada por nubox.com, regfollower.com)"
        ),
        "projected": False,
    },
    {
        "month": "2026-01",
        "annual_percent": "7.92",
        "source": (
            "SII Res. Ex. N° 205 de 30-12-2025: 4,42% (CMF, 15-12-2025) + 3,5% = 7,92%; diaria 0,0220000000% "
            "(citada por regfollower.com)"
        ),
        "projected": False,
    },
    {
        "month": "2027-01",
        "annual_percent": "7.92",
        "source": (
            "PROYECTADO (semestre aún no publicado): repite la última tasa leída (1er semestre 2026); "
            "se muestra como estimación y no se cobra; reemplazar por la resolución del SII"
        ),
        "projected": True,
    },
]
"""Semestral penalty-interest rates (art. 53 Código Tributario, Ley 21.713), keyed by the semester's first month."""

_ILLUSTRATIVE_CLASS: Final = (
    "ILUSTRATIVO: dato municipal/administrador; la tabla de vehículos pesados del DL 3063 art. 12 b "
    "no se encontró en una fuente pública"
)

PERMIT_RULES: Final[dict[str, object]] = {
    "light_scale": [
        {"lower_utm": "0", "upper_utm": "60", "rate": "0.01"},
        {"lower_utm": "60", "upper_utm": "120", "rate": "0.02"},
        {"lower_utm": "120", "upper_utm": "250", "rate": "0.03"},
        {"lower_utm": "250", "upper_utm": "400", "rate": "0.04"},
        {"lower_utm": "400", "upper_utm": None, "rate": "0.045"},
    ],
    "minimum_utm": "0.5",
    "classes": [
        {
            "vehicle_class": "light",
            "method": "scale",
            "deadline": "03-31",
            "second_installment_due": "08-31",
            "source": "DL 3063 art. 12 a; plazo 1 feb–31 mar; cuotas 31 mar / 31 ago",
            "verified": True,
        },
        {
            "vehicle_class": "motorcycle",
            "method": "scale",
            "deadline": "03-31",
            "second_installment_due": "08-31",
            "source": (
                "plazo 1 feb–31 mar (verificado); cálculo por tasación y cuotas: supuesto, no verificado"
            ),
            "verified": False,
        },
        {
            "vehicle_class": "moped",
            "method": "scale",
            "deadline": "09-30",
            "second_installment_due": None,
            "source": (
                "motonetas, bicimotos y bicicletas con motor: plazo 30 sep (verificado); cálculo por tasación "
                "como las motocicletas: supuesto, no verificado; cuotas: según calendario municipal"
            ),
            "verified": False,
        },
        {
            "vehicle_class": "taxi",
            "method": "fixed_utm",
            "fixed_utm": "1",
            "deadline": "05-31",
            "second_installment_due": None,
            "source": "DL 3063 art. 12: taxis 1 UTM; plazo 31 may",
            "verified": True,
        },
        {
            "vehicle_class": "bus",
            "method": "fixed_utm",
            "fixed_utm": "1",
            "deadline": "05-31",
            "second_installment_due": None,
            "source": _ILLUSTRATIVE_CLASS + "; plazo 31 may",
            "verified": False,
        },
        {
            "vehicle_class": "truck",
            "method": "fixed_utm",
            "deadline": "09-30",
            "second_installment_due": None,
            "capacity_bands": [
                {"up_to_kg": 3500, "utm": "1"},
                {"up_to_kg": 10000, "utm": "1.5"},
                {"up_to_kg": None, "utm": "2"},
            ],
            "source": _ILLUSTRATIVE_CLASS + "; plazo 30 sep",
            "verified": False,
        },
        {
            "vehicle_class": "tractor_truck",
            "method": "fixed_utm",
            "fixed_utm": "2",
            "deadline": "09-30",
            "second_installment_due": None,
            "source": _ILLUSTRATIVE_CLASS + "; plazo 30 sep",
            "verified": False,
        },
        {
            "vehicle_class": "trailer_light",
            "method": "fixed_utm",
            "fixed_utm": "0.5",
            "deadline": "03-31",
            "second_installment_due": "08-31",
            "source": _ILLUSTRATIVE_CLASS + "; plazo 31 mar (≤ 1.750 kg)",
            "verified": False,
        },
        {
            "vehicle_class": "trailer_heavy",
            "method": "fixed_utm",
            "fixed_utm": "1",
            "deadline": "09-30",
            "second_installment_due": None,
            "source": _ILLUSTRATIVE_CLASS + "; plazo 30 sep (> 1.750 kg)",
            "verified": False,
        },
        {
            "vehicle_class": "tractor",
            "method": "fixed_utm",
            "fixed_utm": "0.5",
            "deadline": "09-30",
            "second_installment_due": None,
            "source": "DL 3063 art. 12: tractores en vías públicas ½ UTM; plazo 30 sep",
            "verified": True,
        },
        {
            "vehicle_class": "machinery",
            "method": "fixed_utm",
            "fixed_utm": "0.5",
            "deadline": "09-30",
            "second_installment_due": None,
            "source": "DL 3063 art. 12: maquinaria automotriz en vías públicas ½ UTM; plazo 30 sep",
            "verified": True,
        },
    ],
    "ev_schedule": [
        {"first_year": 2023, "last_year": 2024, "percent": "0"},
        {"first_year": 2025, "last_year": 2026, "percent": "25"},
        {"first_year": 2027, "last_year": 2028, "percent": "50"},
        {"first_year": 2029, "last_year": 2030, "percent": "75"},
    ],
    "ev_min_model_year": 2021,
    "second_installment_ipc_months": [3, 6],
    "late_interest_monthly_rate": "0.015",
    "fcm_share": "0.625",
    "duplicate_utm": "0.05",
    "tasacion_percent": "100",
    "tasacion_percent_reason": None,
    "notes": {
        "second_installment_ipc_months": (
            "DL 3063 art. 15: variación del IPC entre febrero y junio = índice de junio / índice de febrero − 1 "
            "= variaciones mensuales de marzo a junio compuestas (el reajuste de 2022 publicado, 5,5%, "
            "coincide con 122,48 / 116,10 − 1)"
        ),
        "ev_schedule": (
            "Ley 21.505, art. 2° transitorio: años calendario del permiso contados desde el 01-02-2023 para todo "
            "vehículo elegible (fabricado desde 2021); 2023–2024 exento, 2025–2026 25%, 2027–2028 50%, "
            "2029–2030 75%, desde 2031 el permiso completo"
        ),
    },
}

EXAMPLE_MUNICIPAL_PERMIT_OVERRIDES: Final[dict[str, dict[str, object]]] = {
    "12101": {
        "tasacion_percent": "50",
        "tasacion_percent_reason": (
            "Zona extrema (EJEMPLO NO VERIFICADO: una nota de prensa de 2010 indica que las regiones I, "
            "parte de la II, XI y XII calculan el permiso sobre el 50% de la tasación; confirmar con la "
            "municipalidad)"
        ),
    },
}
"""Per-municipality overrides (by CUT code) merged over PERMIT_RULES; examples, not verified."""

PATENTE_RULES: Final[dict[str, object]] = {
    "rate_per_mille": "5",
    "zone_rates": {},
    "fixed_tariffs": {
        "profesional": {
            "utm": "1",
            "verified": False,
            "source": "ILUSTRATIVO: tarifa municipal no verificada en fuente pública",
        },
    },
}
"""Default patente parameters: the rate (2,5–5‰) is the municipality's; 5‰ is only a default."""

ASEO_RULES: Final[dict[str, object]] = {
    "tariffs": {
        "vivienda": {
            "annual": "1.2",
            "unit": "UTM",
            "dwelling": True,
            "source": "ILUSTRATIVO: cada municipalidad la fija por ordenanza según el costo del servicio",
        },
        "local_comercial": {"annual": "2.5", "unit": "UTM", "dwelling": False, "source": "ILUSTRATIVO"},
        "oficina": {"annual": "2", "unit": "UTM", "dwelling": False, "source": "ILUSTRATIVO"},
    },
    "installment_dues": ["04-30", "06-30", "09-30", "11-30"],
}
"""Example aseo ordinance: four installments (April, June, September, November)."""


def reference_tables() -> ReferenceTables:
    """The seeded UTM, IPC and semestral interest-rate tables."""
    return ReferenceTables.from_records(UTM_RECORDS, IPC_RECORDS, INTEREST_RATE_RECORDS)


def permit_rules(overrides: Mapping[str, object] | None = None) -> PermitRules:
    """The seeded permit rules, with a municipality's overrides merged on top."""
    return PermitRules.from_dict(merge_rules(PERMIT_RULES, overrides or {}))


def permit_rules_for(municipality_code: str) -> PermitRules:
    """The seeded permit rules of a municipality (CUT code), including the example overrides."""
    return permit_rules(EXAMPLE_MUNICIPAL_PERMIT_OVERRIDES.get(municipality_code))


def patente_rules(overrides: Mapping[str, object] | None = None) -> PatenteRules:
    """The seeded patente rules, with a municipality's top-level overrides."""
    return PatenteRules.from_dict({**PATENTE_RULES, **(overrides or {})})


def aseo_rules(overrides: Mapping[str, object] | None = None) -> AseoRules:
    """The seeded example aseo ordinance, with a municipality's top-level overrides."""
    return AseoRules.from_dict({**ASEO_RULES, **(overrides or {})})
