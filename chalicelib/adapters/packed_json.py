"""Large attribute values written once and read rarely, stored small: canonical JSON compressed
with zlib (DynamoDB's developer guide recommends compressing large attribute values; a write
costs one unit per started KB of the item, in the table and in every index that projects it).

A permit's legal breakdown is 4 KB of JSON whose keys and legal texts repeat from one payment to
the next, so plain zlib leaves 1.5 KB; zlib with a preset dictionary (a typical breakdown, in
`assets/compression/`) leaves 100–200 bytes. The zlib stream names its dictionary (the header's
Adler-32 of it, RFC 1950), so `unpack` needs no version field, and a dictionary file is never
edited once published: a better one is a new file, added to `_DICTIONARIES` beside the old.
"""

from __future__ import annotations

import json
import zlib
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

_ASSETS = Path(__file__).resolve().parent.parent / "assets" / "compression"
_DICTIONARIES = ("item-breakdown-1.json",)
"""Every dictionary ever written with, oldest first; `pack` uses the last."""


@cache
def _dictionaries() -> dict[int, bytes]:
    """The dictionaries by their Adler-32 (what a zlib stream's header names)."""
    contents = [(_ASSETS / name).read_bytes() for name in _DICTIONARIES]
    return {zlib.adler32(content): content for content in contents}


def _current() -> bytes:
    return (_ASSETS / _DICTIONARIES[-1]).read_bytes()


def _number(value: Any) -> Any:
    if isinstance(value, Decimal):  # what DynamoDB gives back for a number
        return int(value) if value == value.to_integral_value() else str(value)
    raise TypeError(f"not JSON: {type(value).__name__}")


def canonical_json(value: Any) -> bytes:
    """The one byte form of a JSON value: keys sorted, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=_number).encode()


def pack(value: Any) -> bytes:
    """`value` (JSON data) as zlib-compressed canonical JSON, with the current dictionary."""
    compressor = zlib.compressobj(9, zdict=_current())
    return compressor.compress(canonical_json(value)) + compressor.flush()


def unpack(data: Any) -> Any:
    """What `pack` packed (bytes, or boto3's `Binary`), with whichever dictionary it names."""
    raw = bytes(getattr(data, "value", data))
    if len(raw) >= 6 and raw[1] & 0x20:  # FDICT: the next four bytes are the dictionary's Adler-32
        dictionary = _dictionaries().get(int.from_bytes(raw[2:6], "big"))
        if dictionary is None:
            raise ValueError("packed with an unknown dictionary")
        decompressor = zlib.decompressobj(zdict=dictionary)
        text = decompressor.decompress(raw) + decompressor.flush()
    else:
        text = zlib.decompress(raw)
    return json.loads(text)
