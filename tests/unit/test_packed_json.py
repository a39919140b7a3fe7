"""Packed JSON (adapters/packed_json.py): what `pack` packs, `unpack` gives back the same, with the
dictionary the stream names; values packed before a dictionary existed still read."""

from __future__ import annotations

import hashlib
import json
import zlib
from decimal import Decimal
from pathlib import Path

import pytest
from boto3.dynamodb.types import Binary

from chalicelib.adapters import packed_json

BREAKDOWN = {"total": 56_728, "lines": [{"label": "Impuesto anual según tasación", "amount": 56_728}],
             "scale": {"legal_basis": "DL 3063 art. 12", "brackets": [{"rate": "0.01", "amount": "43291.8"}]},
             "checks": {"insurance": {"status": "ok", "reason": None, "detail": {"source": "demo"}}},
             "estimated": True, "new_vehicle": None}


def test_what_is_packed_reads_back_the_same_and_small():
    packed = packed_json.pack(BREAKDOWN)
    assert packed_json.unpack(packed) == BREAKDOWN
    assert packed_json.unpack(Binary(packed)) == BREAKDOWN  # as boto3 reads it back
    assert len(packed) < len(packed_json.canonical_json(BREAKDOWN)) // 2


def test_numbers_as_dynamodb_gives_them_back_are_packed_as_json_numbers():
    assert packed_json.unpack(packed_json.pack({"amount": Decimal(21480), "rate": Decimal("0.5")})) == {
        "amount": 21480, "rate": "0.5"}


def test_a_value_packed_without_a_dictionary_still_reads():
    assert packed_json.unpack(zlib.compress(json.dumps(BREAKDOWN).encode())) == BREAKDOWN


def test_a_stream_naming_an_unknown_dictionary_is_refused():
    compressor = zlib.compressobj(9, zdict=b"some other dictionary")
    with pytest.raises(ValueError, match="unknown dictionary"):
        packed_json.unpack(compressor.compress(b"{}") + compressor.flush())


def test_a_published_dictionary_is_never_edited():
    """Rows packed with it must read forever: a better dictionary is a new file."""
    path = Path(packed_json.__file__).parent.parent / "assets" / "compression" / "item-breakdown-1.json"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == \
        "aef50c6b2eecf31f79e5fbaffb28b828fadcfaa962492b8a4045e179ba69d75d"
