"""A company's list of plates as it uploads it (a CSV file), read row by row: each good row kept,
each bad one named with its row number and what is wrong, in Spanish (docs/citizens.md, "Flotas").

The file: one plate per row, optionally the municipality (its 5-digit CUT code) where the plate's
permit is paid; comma, semicolon or tab separated; an optional header row (`patente`,
`municipalidad`); blank rows ignored. A row without a municipality takes the one chosen on the page.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.plates import parse_plate

MAX_ROWS = 200
"""Rows per file (a company with more uploads several files; each request stays short)."""

LEGAL_PERSON_MIN_BODY = 50_000_000
"""RUTs of legal persons are assigned by the SII from 50.000.000 up; natural persons' RUNs below."""

_CUT = re.compile(r"^[0-9]{5}$")
_HEADER_WORDS = {"patente", "placa", "ppu", "municipalidad", "comuna", "cut", "codigo", "código"}


@dataclass(frozen=True)
class FleetRow:
    """A good row: the plate (canonical) and the municipality where its permit is paid."""

    row: int
    plate: str
    municipality: str


@dataclass(frozen=True)
class RowError:
    """A bad row: its number (1 = the file's first line) and what is wrong, in Spanish."""

    row: int
    code: str
    message: str


def read_fleet_csv(text: str, default_municipality: str | None) -> tuple[list[FleetRow], list[RowError]]:
    """The good rows and the bad rows of an uploaded file. Nothing good is dropped because another
    row is bad; a repeated plate is an error on its second row only."""
    if "\x00" in text:
        raise InvalidInput("El archivo no es un CSV de texto.", code="invalid_csv", field="csv")
    lines = text.splitlines()
    if len([line for line in lines if line.strip()]) > MAX_ROWS + 1:
        raise InvalidInput(f"El archivo tiene más de {MAX_ROWS} filas; divídalo en varios archivos.",
                           code="too_many_rows", field="csv")
    delimiter = _delimiter(lines)
    good: list[FleetRow] = []
    bad: list[RowError] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        try:
            cells = [c.strip() for c in next(csv.reader([line], delimiter=delimiter), [])]
        except csv.Error:
            bad.append(RowError(number, "unreadable_row", f"Fila {number}: no se pudo leer (revise las comillas)."))
            continue
        if not any(cells):
            continue
        if number == 1 and cells[0].lower().strip('"\ufeff ') in _HEADER_WORDS:
            continue
        if len(cells) > 2 and any(cells[2:]):
            bad.append(RowError(number, "too_many_columns",
                                f"Fila {number}: tiene más de dos columnas (se espera patente y municipalidad)."))
            continue
        try:
            plate = parse_plate(cells[0].lstrip("\ufeff"), field="csv").value
        except InvalidInput as exc:
            bad.append(RowError(number, "invalid_plate", f"Fila {number}: {exc.message}"))
            continue
        municipality = (cells[1] if len(cells) > 1 else "") or (default_municipality or "")
        if not municipality:
            bad.append(RowError(number, "missing_municipality",
                                f"Fila {number}: falta la municipalidad (código CUT de 5 dígitos, p. ej. 13101)."))
            continue
        if not _CUT.match(municipality):
            bad.append(RowError(number, "invalid_municipality",
                                f"Fila {number}: la municipalidad debe ser un código CUT de 5 dígitos (p. ej. 13101)."))
            continue
        if plate in seen:
            bad.append(RowError(number, "duplicate_plate",
                                f"Fila {number}: la patente {plate} ya está en la fila {seen[plate]}."))
            continue
        seen[plate] = number
        good.append(FleetRow(number, plate, municipality))
    return good, bad


def _delimiter(lines: list[str]) -> str:
    """Semicolon (what spreadsheets in es-CL write), tab or comma, by the first non-blank line."""
    first = next((line for line in lines if line.strip()), "")
    for candidate in (";", "\t", ","):
        if candidate in first:
            return candidate
    return ","


def is_legal_person(rut_body: int) -> bool:
    """Whether a RUT's number is in the legal persons' range (a company, not a natural person)."""
    return rut_body >= LEGAL_PERSON_MIN_BODY
