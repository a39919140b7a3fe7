"""Letter-to-digit tables for the Registro Civil plate check digit, kept apart as data.

Source: Servicio de Registro Civil e Identificación, "Instructivo para validación de patentes
v 2.0" (manual "Digito Verificador Vehiculos"). Only part of it could be read from a public copy,
so each table says how far it is verified. See docs/domain.md, "Plates".
"""

from __future__ import annotations

from typing import Final

CURRENT_FORMAT_LETTER_DIGITS: Final[dict[str, str]] = {
    "B": "1", "C": "2", "D": "3", "F": "4", "G": "5", "H": "6", "J": "7", "K": "8", "L": "9",
    "P": "0", "R": "2", "S": "3", "T": "4", "V": "5", "W": "6", "X": "7", "Y": "8", "Z": "9",
}  # fmt: skip
"""Digit for each of the 18 letters of the post-2007 formats (LLLLNN cars, LLL0NN motorcycles).

UNVERIFIED against the manual's own table ("Nuevo formato PPU, versión final", p. 10), which could
not be read. B=1, F=4, H=6, P=0, Z=9 agree with a public implementation (rs_verify's documented
examples); the other letters follow the same pattern (consonants numbered 1–9, then again 0/2–9
from P on). The 2026 five-letter format is assumed to use this same table: no source was found.
"""

CURRENT_FORMAT_TABLE_VERIFIED: Final = False

OLD_FORMAT_SERIES_DIGITS: Final[dict[str, str]] = {
    # First column of the manual's table (p. 2), read directly: 001, 004, 007, … step 3.
    "AA": "001", "EA": "004", "HA": "007", "EB": "010", "HB": "013", "EC": "016", "HC": "019",
    "FD": "022", "AE": "025", "EE": "028", "HE": "031", "CF": "034", "GF": "037", "BG": "040",
    "FG": "043", "BH": "046", "FH": "049", "AJ": "052", "EJ": "055", "HJ": "058", "EK": "061",
    "HK": "064", "CL": "067", "GL": "070", "BN": "073", "FN": "076", "AP": "079", "EP": "082",
    "HP": "085",
    # Second column (p. 2): series read directly; values 002, 005, 008, 011, 014 read directly,
    # the rest continue the column's step of 3 (AR = 086 sits next to BR = 087 below).
    "BA": "002", "FA": "005", "AB": "008", "FB": "011", "AC": "014", "FC": "017", "BD": "020",
    "GD": "023", "BE": "026", "FE": "029", "AF": "032", "EF": "035", "HF": "038", "CG": "041",
    "HG": "044", "CH": "047", "GH": "050", "BJ": "053", "FJ": "056", "BK": "059", "FK": "062",
    "AL": "065", "EL": "068", "HL": "071", "CN": "074", "GN": "077", "BP": "080", "FP": "083",
    "AR": "086",
    # From a public implementation's documented example (rs_verify: "BR1234" → "0871234").
    "BR": "087",
}  # fmt: skip
"""Three digits (d7 d6 d5) for each two-letter series of the old AA·1000 format.

PARTIAL: only these 59 series could be read; for any other series the check digit cannot be
computed, and a plate given with one is accepted with ``check_digit_verified = False``.
"""
