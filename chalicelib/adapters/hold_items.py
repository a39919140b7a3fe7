"""How item holds are stored: the conditional writes that take and change them, and the reads
that give them back one per payable item.

A debt's hold is an item of its own. A permit's holds live in the plate's partition, one item a
year (`table_keys.hold`), each installment's hold a map attribute of it (`table_keys.hold_slot`:
`i1`, `i2`), so the two installments of a full year are one conditional write. Every condition
is per installment, as strict as when each was an item: a hold is free when it is missing,
released, annulled, or pending past its expiry, and is changed only by the payment that holds it.
Readers get one dict per item key, whichever way it was stored."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from chalicelib.adapters import table_keys

HoldRef = tuple[str, str]  # (owner code, item key)

_FREE = ("(attribute_not_exists({h}) OR {h}.#s IN (:released, :annulled) "
         "OR ({h}.#s = :pending AND {h}.expires_at < :now))")


def grouped(holds: Iterable[HoldRef]) -> list[list[HoldRef]]:
    """The holds by the item that stores them (first appearance first, a repeated one once):
    one write each."""
    groups: dict[tuple[str, str], list[HoldRef]] = {}
    for ref in holds:
        group = groups.setdefault(table_keys.hold(*ref), [])
        if ref not in group:
            group.append(ref)
    return list(groups.values())


def take(group: Sequence[HoldRef], *, payment_id: str, code: str, expires_at: str,
         now_iso: str) -> dict[str, Any]:
    """The transaction operation that takes every hold of `group` (one item) for a pending
    payment, conditional on each being free."""
    owner, first_key = group[0]
    names = {"#s": "status"}
    values: dict[str, Any] = {":released": "released", ":annulled": "annulled", ":pending": "pending",
                              ":now": now_iso}

    def hold(item_key: str) -> dict[str, Any]:
        return {"item": item_key, "status": "pending", "payment_id": payment_id, "municipality": code,
                "expires_at": expires_at, "updated_at": now_iso}

    pk, sk = table_keys.hold(owner, first_key)
    if table_keys.hold_slot(first_key) is None:
        return {"put": {"pk": pk, "sk": sk, **hold(first_key)},
                "condition": "attribute_not_exists(pk) OR #s IN (:released, :annulled) "
                             "OR (#s = :pending AND expires_at < :now)",
                "names": names, "values": values}
    sets, conditions = [], []
    for n, (_, item_key) in enumerate(group):
        names[f"#h{n}"] = str(table_keys.hold_slot(item_key))
        values[f":h{n}"] = hold(item_key)
        sets.append(f"#h{n} = :h{n}")
        conditions.append(_FREE.format(h=f"#h{n}"))
    return {"update": (pk, sk), "expression": "SET " + ", ".join(sets), "condition": " AND ".join(conditions),
            "names": names, "values": values}


def change(group: Sequence[HoldRef], *, payment_id: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    """The transaction operation that sets `fields` on every hold of `group` (one item),
    conditional on each being held by `payment_id`. A hold it changes is no migration copy any
    more (`legacy_updated_at` goes: services/hold_migration.py)."""
    owner, first_key = group[0]
    names: dict[str, str] = {}
    values: dict[str, Any] = {":pid": payment_id}
    for i, (name, value) in enumerate(fields.items()):
        names[f"#f{i}"] = name
        values[f":f{i}"] = value
    prefixes = [""]
    if table_keys.hold_slot(first_key) is not None:
        prefixes = []
        for n, (_, item_key) in enumerate(group):
            names[f"#h{n}"] = str(table_keys.hold_slot(item_key))
            prefixes.append(f"#h{n}.")
    sets = [f"{p}#f{i} = :f{i}" for p in prefixes for i in range(len(fields))]
    expression = "SET " + ", ".join(sets) + " REMOVE " + ", ".join(f"{p}legacy_updated_at" for p in prefixes)
    return {"update": table_keys.hold(owner, first_key), "expression": expression,
            "condition": " AND ".join(f"{p}payment_id = :pid" for p in prefixes), "names": names, "values": values}


def is_free(hold: Mapping[str, Any] | None, now_iso: str) -> bool:
    """Whether a hold as read could be taken now (the condition of `take`, in Python)."""
    if hold is None:
        return True
    status = hold.get("status")
    return status in ("released", "annulled") or (status == "pending" and str(hold.get("expires_at", "")) < now_iso)


def of_item(row: Mapping[str, Any] | None, item_key: str) -> dict[str, Any] | None:
    """The hold of `item_key` in the item read at `table_keys.hold` (None when it has none)."""
    if row is None:
        return None
    slot = table_keys.hold_slot(item_key)
    if slot is None:
        return dict(row)
    value = row.get(slot)
    return {**value, "item": item_key} if isinstance(value, dict) else None


def of_plate(rows: Iterable[Mapping[str, Any]], plate: str) -> dict[str, dict[str, Any]]:
    """Every hold in a plate's partition by item key (`PERMIT#<plate>#<year>#<n>`): the maps of
    the year items, and the per-installment rows (sk `<year>#<n>`) of the release before where a
    year item does not hold that installment."""
    found: dict[str, dict[str, Any]] = {}
    older: dict[str, dict[str, Any]] = {}
    for row in rows:
        sk = str(row["sk"])
        if "#" in sk:
            older[str(row.get("item") or f"PERMIT#{plate}#{sk}")] = dict(row)
            continue
        for name, value in row.items():
            if name[:1] == "i" and name[1:].isdigit() and isinstance(value, dict):
                key = str(value.get("item") or f"PERMIT#{plate}#{sk}#{name[1:]}")
                found[key] = {**value, "item": key}
    return {**older, **found}
