"""Operation reports from the pre-aggregated counters only (never from payments, never a scan).

Sources (docs/reports.md):
- `<cut>#STATS#<day>`: a municipality's counters, updated in the transaction that marks a payment
  paid (amount, items, payments per service and method), read through `StatsRepository.day_cells`:
  one Query. The platform's day is not written anywhere: it is the sum of its municipalities'
  days, one Query each, in parallel (`_platform_days`).
- `<cut>#STATSY#<year>` / `00000#STATSY#<year>`, sk `YYYY-MM`: a closed month's summary (its days
  inside), derived here once from its days' counters and stored (conditional put, never
  rewritten). A month is closed when its last day is `CLOSED_AFTER_DAYS` behind: a payment is paid
  within its time to live (≤ 24 h) of its creation, and a refund counts on its own day, so no
  counter of a closed day changes any more. A year is then one Query of ≤ 12 items plus a Query
  for each day of the open month(s). The platform also stores each closed day of an open month
  once (`00000#STATSY#<year>`, sk `DAY#YYYY-MM-DD`), so only its last `CLOSED_AFTER_DAYS` days
  are read from every municipality's counters.

"Transacciones" are the counters' `payments`: a cart that mixes services counts once in each
service it paid (carts are almost always one service).
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Final, Literal

from chalicelib.adapters.stats_repo import DAY_SUMMARY, StatsRepository
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.labels import MONTHS, thousands
from chalicelib.domain.money import format_clp, format_date
from chalicelib.domain.reconciliation import METHOD_TEXT, SERVICE_TEXT, average
from chalicelib.domain.spreadsheet import safe_row

PLATFORM: Final = "00000"
CLOSED_AFTER_DAYS: Final = 2
MAX_RANGE_DAYS: Final = 366

Group = Literal["day", "month", "service", "method"]


@dataclass
class DaySummary:
    """A day's counters, merged by service and method (and, for the platform, who had payments)."""

    cells: dict[str, list[int]] = field(default_factory=dict)  # "service#method" -> [amount, items, payments]
    municipalities: set[str] = field(default_factory=set)

    def add(self, key: str, amount: int, items: int, payments: int) -> None:
        cell = self.cells.setdefault(key, [0, 0, 0])
        cell[0] += amount
        cell[1] += items
        cell[2] += payments

    def stored(self) -> dict[str, Any]:
        return {"c": self.cells, "m": sorted(self.municipalities)} if self.municipalities else {"c": self.cells}

    @classmethod
    def from_stored(cls, data: Mapping[str, Any]) -> DaySummary:
        return cls({k: [int(x) for x in v] for k, v in dict(data.get("c", {})).items()}, set(data.get("m", [])))


def month_summary(days: Mapping[date, DaySummary]) -> dict[str, Any]:
    """A closed month's stored shape: its days' summaries by day of month (days without payments left
    out), as one compact JSON string — a nested map of ~1,000 numbers costs far more to marshal."""
    import json

    return {"days": json.dumps({f"{d.day:02d}": s.stored() for d, s in sorted(days.items()) if s.cells},
                               separators=(",", ":"), sort_keys=True)}


def month_end(year: int, month: int) -> date:
    return (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1))


@dataclass
class ReportsContext:
    stats: StatsRepository
    today: date
    workers: int = 8
    summarise: bool = True  # store closed days' summaries as they are derived

    @property
    def closed_until(self) -> date:
        return self.today - timedelta(days=CLOSED_AFTER_DAYS)


@dataclass
class Figures:
    amount: int = 0
    items: int = 0
    payments: int = 0

    def add(self, cell: list[int]) -> None:
        self.amount += cell[0]
        self.items += cell[1]
        self.payments += cell[2]

    def as_dict(self) -> dict[str, int]:
        return {"amount": self.amount, "payments": self.payments, "items": self.items,
                "average_ticket": average(self.amount, self.payments)}


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


# -- reading the counters --------------------------------------------------------------------------

def _add_cells(summary: DaySummary, cells: Iterable[Mapping[str, Any]]) -> None:
    """A municipality's day cells (sk `<service>#<method>`) into `summary`."""
    for item in cells:
        parts = str(item["sk"]).split("#")
        key = f"{parts[0]}#{parts[1] if len(parts) > 1 else 'desconocido'}"
        summary.add(key, int(item.get("amount", 0)), int(item.get("items", 0)), int(item.get("payments", 0)))


def _from_counters(owner: str, day: str, stats: StatsRepository) -> DaySummary:
    summary = DaySummary()
    _add_cells(summary, stats.day_cells(owner, day))
    return summary


def _platform_days(days: list[date], ctx: ReportsContext) -> dict[date, DaySummary]:
    """The platform's `days`: the sum of every municipality's day (one Query per municipality and
    day, in parallel), except the closed days of an open month already stored (one Query per
    year); a closed day derived here is stored for the next report."""
    found: dict[date, DaySummary] = {}
    in_open_months = [d for d in days if d <= ctx.closed_until < month_end(d.year, d.month)]
    for year in sorted({d.year for d in in_open_months}):
        in_year = [d for d in in_open_months if d.year == year]
        for item in ctx.stats.day_summaries(PLATFORM, min(in_year).isoformat(), max(in_year).isoformat()):
            day = date.fromisoformat(str(item["sk"]).removeprefix(DAY_SUMMARY))
            if day in in_year:
                found[day] = DaySummary.from_stored(json.loads(str(item.get("day") or "{}")))
    missing = [d for d in days if d not in found]
    codes = ctx.stats.municipality_codes() if missing else []
    pairs = [(d, code) for d in missing for code in codes]
    with ThreadPoolExecutor(max_workers=max(1, min(ctx.workers, len(pairs) or 1))) as pool:
        cells = pool.map(lambda pair: ctx.stats.day_cells(pair[1], pair[0].isoformat()), pairs)
        derived = {d: DaySummary() for d in missing}
        for (day, code), day_cells in zip(pairs, cells, strict=True):
            if day_cells:
                derived[day].municipalities.add(code)
                _add_cells(derived[day], day_cells)
    if ctx.summarise:
        for day in in_open_months:
            if day in derived:
                ctx.stats.put_day_summary(PLATFORM, day.isoformat(),
                                          {"day": json.dumps(derived[day].stored(), separators=(",", ":"),
                                                             sort_keys=True)})
    return {**found, **derived}


def collect(owner: str, first: date, last: date, ctx: ReportsContext) -> dict[date, DaySummary]:
    """Every day's summary from `first` to `last` (days after today are empty): closed months from
    their stored summaries (one Query per year; a missing one is derived from its days' counters
    and stored), the other days from their counters (one Query each, in parallel)."""
    last = min(last, ctx.today)
    found: dict[date, DaySummary] = {}
    if last < first:
        return found
    months = sorted({(d.year, d.month) for d in days_between(first, last)})
    closed = [(y, m) for y, m in months if month_end(y, m) <= ctx.closed_until]
    stored: set[tuple[int, int]] = set()
    for year in sorted({y for y, _ in closed}):
        in_year = [m for y, m in closed if y == year]
        for item in ctx.stats.month_summaries(owner, year, f"{year}-{min(in_year):02d}", f"{year}-{max(in_year):02d}"):
            month = int(str(item["sk"])[5:7])
            stored.add((year, month))
            for day_text, data in json.loads(str(item.get("days") or "{}")).items():
                found[date(year, month, int(day_text))] = DaySummary.from_stored(data)
    to_derive = [ym for ym in closed if ym not in stored]
    wanted = [d for d in days_between(first, last) if (d.year, d.month) not in stored]
    for y, m in to_derive:  # a month is derived whole, to be stored whole
        wanted += [d for d in days_between(date(y, m, 1), month_end(y, m)) if d not in wanted]
    if owner == PLATFORM:
        computed = _platform_days(wanted, ctx)
    else:
        with ThreadPoolExecutor(max_workers=max(1, min(ctx.workers, len(wanted) or 1))) as pool:
            computed = dict(zip(wanted, pool.map(lambda d: _from_counters(owner, d.isoformat(), ctx.stats), wanted),
                                strict=True))
    if ctx.summarise:
        for y, m in to_derive:
            days = {d: s for d, s in computed.items() if (d.year, d.month) == (y, m)}
            ctx.stats.put_month_summary(owner, f"{y}-{m:02d}", month_summary(days))
    found.update(computed)
    return {d: s for d, s in found.items() if first <= d <= last}


# -- a municipality's report -------------------------------------------------------------------------

def check_range(first: date, last: date) -> None:
    if last < first:
        raise InvalidInput("La fecha final es anterior a la inicial.", code="invalid_range", field="to")
    if (last - first).days + 1 > MAX_RANGE_DAYS:
        raise InvalidInput(f"El período puede tener a lo más {MAX_RANGE_DAYS} días.", code="range_too_long",
                           field="to")


def _label(group: Group, key: str) -> str:
    if group == "day":
        return format_date(date.fromisoformat(key))
    if group == "month":
        return f"{MONTHS[int(key[5:7]) - 1]} {key[:4]}"
    if group == "service":
        return SERVICE_TEXT.get(key, key)
    return METHOD_TEXT.get(key, key)


def _group_key(group: Group, day: date, cell_key: str) -> str:
    if group == "day":
        return day.isoformat()
    if group == "month":
        return day.isoformat()[:7]
    service, _, method = cell_key.partition("#")
    return service if group == "service" else method


def municipal_report(code: str, first: date, last: date, group: Group, ctx: ReportsContext) -> dict[str, Any]:
    """Collections, transactions, items and average ticket of a municipality, grouped by day, month,
    service or payment method."""
    check_range(first, last)
    days = collect(code, first, last, ctx)
    rows: dict[str, Figures] = {}
    if group in ("day", "month"):  # every period of the range, zeros included, for charts
        for day in days_between(first, last):
            rows.setdefault(_group_key(group, day, ""), Figures())
    totals = Figures()
    for day, summary in sorted(days.items()):
        for cell_key, cell in summary.cells.items():
            rows.setdefault(_group_key(group, day, cell_key), Figures()).add(cell)
            totals.add(cell)
    return {
        "municipality": code, "from": first.isoformat(), "to": last.isoformat(), "group": group,
        "rows": [{"key": key, "label": _label(group, key), **figures.as_dict()}
                 for key, figures in sorted(rows.items())],
        "totals": totals.as_dict(),
        "source": "contadores diarios de pagos (no incluye pagos en revisión)",
    }


# -- the central report -------------------------------------------------------------------------------

def same_date_previous_year(day: date) -> date:
    return day.replace(year=day.year - 1, day=28) if (day.month, day.day) == (2, 29) else day.replace(year=day.year - 1)


def _period(first: date, last: date, ctx: ReportsContext) -> dict[str, Any]:
    days = collect(PLATFORM, first, last, ctx)
    totals = Figures()
    by_month: defaultdict[int, Figures] = defaultdict(Figures)
    by_service: defaultdict[str, Figures] = defaultdict(Figures)
    municipalities: set[str] = set()
    for day, summary in days.items():
        municipalities |= summary.municipalities
        for cell_key, cell in summary.cells.items():
            totals.add(cell)
            by_month[day.month].add(cell)
            by_service[cell_key.partition("#")[0]].add(cell)
    return {"from": first.isoformat(), "to": last.isoformat(), "municipalities": len(municipalities),
            **totals.as_dict(),
            "by_month": [{"month": m, "label": MONTHS[m - 1], **by_month[m].as_dict()} for m in range(1, 13)],
            "by_service": [{"service": s, "label": SERVICE_TEXT.get(s, s), **f.as_dict()}
                           for s, f in sorted(by_service.items())]}


def change_percent(current: int, previous: int) -> int | None:
    """Whole-percent change (half up), None when there is nothing to compare with."""
    if previous <= 0:
        return None
    scaled = (current - previous) * 100
    return (2 * scaled + previous) // (2 * previous)


def central_report(year: int, ctx: ReportsContext, as_of: date | None = None) -> dict[str, Any]:
    """The platform's year to date and the same dates of the previous year."""
    if not 2000 <= year <= ctx.today.year:
        raise InvalidInput(f"El año debe estar entre 2000 y {ctx.today.year}.", code="invalid_year", field="year")
    as_of = as_of or min(ctx.today, date(year, 12, 31))
    current = _period(date(year, 1, 1), as_of, ctx)
    previous = _period(date(year - 1, 1, 1), same_date_previous_year(as_of), ctx)
    amount_change = change_percent(current["amount"], previous["amount"])
    payments_change = change_percent(current["payments"], previous["payments"])
    sentence = (f"{thousands(current['municipalities'])} municipios, {thousands(current['payments'])} transacciones, "
                f"{format_clp(current['amount'])}")
    if amount_change is not None:
        sentence += f", {'+' if amount_change >= 0 else ''}{amount_change}% sobre la misma fecha de {year - 1}"
    return {"year": year, "as_of": as_of.isoformat(), "current": current, "previous": previous,
            "change": {"amount_percent": amount_change, "payments_percent": payments_change,
                       "municipalities": current["municipalities"] - previous["municipalities"]},
            "sentence": sentence,
            "note": "El porcentaje de la frase es la variación de la recaudación; transacciones = pagos por servicio."}


# -- CSV -------------------------------------------------------------------------------------------

def _csv(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> str:
    out = io.StringIO()
    out.write("\ufeff")  # Excel (es-CL) reads UTF-8 with a BOM and `;` as the separator
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(safe_row(header))
    writer.writerows(safe_row(row) for row in rows)
    return out.getvalue()


def municipal_csv(report: Mapping[str, Any]) -> str:
    rows = [[r["key"], r["label"], r["amount"], r["payments"], r["items"], r["average_ticket"]] for r in report["rows"]]
    t = report["totals"]
    rows.append(["total", "Total", t["amount"], t["payments"], t["items"], t["average_ticket"]])
    return _csv(["grupo", "etiqueta", "recaudacion_clp", "transacciones", "items", "ticket_promedio_clp"], rows)


def central_csv(report: Mapping[str, Any]) -> str:
    cur, prev = report["current"], report["previous"]
    rows: list[list[Any]] = [["total", "", cur["municipalities"], cur["payments"], cur["amount"],
                              prev["municipalities"], prev["payments"], prev["amount"]]]
    for c, p in zip(cur["by_month"], prev["by_month"], strict=True):
        rows.append(["mes", c["label"], "", c["payments"], c["amount"], "", p["payments"], p["amount"]])
    for s in cur["by_service"]:
        rows.append(["servicio", s["label"], "", s["payments"], s["amount"], "", "", ""])
    year = report["year"]
    return _csv(["tipo", "etiqueta", f"municipios_{year}", f"transacciones_{year}", f"recaudacion_clp_{year}",
                 f"municipios_{year - 1}", f"transacciones_{year - 1}", f"recaudacion_clp_{year - 1}"], rows)


def timed(function: Callable[[], Any]) -> tuple[Any, float]:
    """(result, milliseconds): for the bench and the logs."""
    import time

    start = time.perf_counter()
    result = function()
    return result, (time.perf_counter() - start) * 1000
