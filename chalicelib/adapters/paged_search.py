"""Paginated listings over several partitions (days, months) with a filter, and never a Scan.

Officials' listings read a bounded list of partitions — one GSI1 partition per day, one audit
partition per month, one GSI2 partition per RUT — newest first, keep the items a predicate
accepts, and stop after a page (`limit` kept items) or after `max_examined` items read, whichever
comes first. The answer carries an opaque cursor that resumes exactly after the last item read:

    {"p": <partition index>, "k": <that item's key, as DynamoDB's ExclusiveStartKey>,
     "q": <fingerprint of the partitions>, "d": <last de-duplication key>}

The fingerprint ties a cursor to the query that made it (a cursor from another query, another
filter or another municipality is a 400), and the key is checked to lie in the partition it
resumes, so a forged cursor can never reach another tenant's partition. A page may hold fewer
than `limit` items while `cursor` is not null (the read bound was hit): ask again.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from chalicelib.adapters.dynamo import DynamoTable, Item, decode_cursor, encode_cursor
from chalicelib.domain.errors import InvalidInput

_BATCH = 100


@dataclass(frozen=True)
class Partition:
    """One partition to read: of the table (`index` None) or of a GSI, optionally a key range."""

    pk: str
    index: str | None = None
    sk_prefix: str | None = None
    sk_between: tuple[str, str] | None = None

    @property
    def attributes(self) -> tuple[str, str]:
        return ("pk", "sk") if self.index is None else (f"{self.index.lower()}pk", f"{self.index.lower()}sk")


@dataclass(frozen=True)
class SearchPage:
    items: list[Item]
    cursor: str | None
    examined: int


def _invalid() -> InvalidInput:
    return InvalidInput("El cursor de paginación no es válido para esta búsqueda.", code="invalid_cursor",
                        field="cursor")


def fingerprint(partitions: Sequence[Partition], extra: str = "") -> str:
    text = json.dumps([[p.pk, p.index, p.sk_prefix, p.sk_between] for p in partitions] + [extra])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _key_of(item: Item, partition: Partition) -> dict[str, Any]:
    names = {"pk", "sk", *partition.attributes}
    return {name: {"S": str(item[name])} for name in sorted(names)}


def _encode(state: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(state, sort_keys=True).encode()).decode().rstrip("=")


def _decode(cursor: str, partitions: Sequence[Partition], tag: str) -> tuple[int, dict[str, Any] | None, str | None]:
    try:
        state = json.loads(base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode()))
    except (ValueError, TypeError, RecursionError) as exc:  # RecursionError: nesting too deep
        raise _invalid() from exc
    if not isinstance(state, dict) or state.get("q") != tag or not isinstance(state.get("p"), int):
        raise _invalid()
    index = state["p"]
    if not 0 <= index < len(partitions):
        raise _invalid()
    key = state.get("k")
    if key is not None:
        if not isinstance(key, dict):
            raise _invalid()
        key = decode_cursor(encode_cursor(key))  # the same shape checks as DynamoTable's cursors
        pk_attr = partitions[index].attributes[0]
        if not key or key.get(pk_attr) != {"S": partitions[index].pk}:
            raise _invalid()
    last = state.get("d")
    return index, key, last if isinstance(last, str) else None


def search(table: DynamoTable, partitions: Sequence[Partition], *, limit: int, cursor: str | None,
           resolve: Callable[[Item], Item | None], max_examined: int, newest_first: bool = True,
           dedupe: Callable[[Item], str] | None = None, tag_extra: str = "") -> SearchPage:
    """One page: read partitions in order, `resolve` each item (None drops it), resume by cursor."""
    tag = fingerprint(partitions, tag_extra)
    start, key, last = (0, None, None) if not cursor else _decode(cursor, partitions, tag)
    found: list[Item] = []
    examined = 0
    for index in range(start, len(partitions)):
        partition = partitions[index]
        inner = encode_cursor(key) if index == start else None
        while True:
            page = table.query(partition.pk, index=partition.index, sk_prefix=partition.sk_prefix,
                               sk_between=partition.sk_between, newest_first=newest_first,
                               limit=min(_BATCH, max(limit, 10)), cursor=inner)
            for item in page.items:
                examined += 1
                marker = dedupe(item) if dedupe else None
                if marker is None or marker != last:
                    last = marker
                    resolved = resolve(item)
                    if resolved is not None:
                        found.append(resolved)
                if len(found) >= limit or examined >= max_examined:
                    state = {"p": index, "k": _key_of(item, partition), "q": tag, "d": last}
                    return SearchPage(found, _encode(state), examined)
            if page.cursor is None:
                break
            inner = page.cursor
        key = None
    return SearchPage(found, None, examined)
