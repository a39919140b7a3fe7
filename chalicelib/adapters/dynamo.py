"""A thin wrapper over one DynamoDB table: typed items in, typed items out, errors translated.

Repositories (one module per aggregate) build on this and know the keys; this class knows only
DynamoDB. It takes the low-level client in its constructor (moto in tests, AWS in Lambda) and
turns provider errors into the platform's errors: a failed condition becomes `ConditionFailed`,
throttling and timeouts become a retryable `DependencyUnavailable`.

Key layout (see docs/data-model.md): every partition key starts with the municipality's 5-digit
CUT code; platform-wide data uses the pseudo-code `00000`.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from chalicelib.adapters.aws_errors import error_code, translated
from chalicelib.domain.errors import ConditionFailed, DependencyUnavailable

Item = dict[str, Any]
_UNAVAILABLE = "La base de datos no está disponible; intente nuevamente."


@dataclass(frozen=True)
class Page:
    """One page of a query, with the opaque cursor to ask for the next one (None at the end)."""

    items: list[Item]
    cursor: str | None


def _serializer() -> Any:
    from boto3.dynamodb.types import TypeSerializer

    return TypeSerializer()


def _deserializer() -> Any:
    from boto3.dynamodb.types import TypeDeserializer

    return TypeDeserializer()


def _plain(value: Any) -> Any:
    """DynamoDB numbers come back as Decimal; the platform's numbers are whole (pesos, counts)."""
    from decimal import Decimal

    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else value
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, set):
        return {_plain(v) for v in value}
    return value


def encode_cursor(key: Mapping[str, Any] | None) -> str | None:
    """An opaque, URL-safe pagination cursor from DynamoDB's LastEvaluatedKey."""
    if not key:
        return None
    return base64.urlsafe_b64encode(json.dumps(key, sort_keys=True).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    """The LastEvaluatedKey behind a cursor; a malformed cursor is the caller's error."""
    from chalicelib.domain.errors import InvalidInput

    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError, RecursionError) as exc:  # RecursionError: nesting too deep
        raise InvalidInput("El cursor de paginación no es válido.", code="invalid_cursor",
                           field="cursor") from exc
    if not isinstance(key, dict) or not all(isinstance(v, dict) for v in key.values()):
        raise InvalidInput("El cursor de paginación no es válido.", code="invalid_cursor", field="cursor")
    return key


def set_remove_expression(set_fields: Mapping[str, Any], remove_fields: Sequence[str] = (), *,
                          leading: Sequence[str] = ()) -> tuple[str, dict[str, str], dict[str, Any]]:
    """A `SET … REMOVE …` update expression over placeholders (`#f0 = :v0`, `#r0`), so any field
    name, reserved word or not, can be written; `leading` assignments come first, as given.
    Returns the expression and the names and values it uses."""
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    assignments = list(leading)
    for i, (name, value) in enumerate(set_fields.items()):
        names[f"#f{i}"] = name
        values[f":v{i}"] = value
        assignments.append(f"#f{i} = :v{i}")
    parts = ["SET " + ", ".join(assignments)] if assignments else []
    if remove_fields:
        for i, name in enumerate(remove_fields):
            names[f"#r{i}"] = name
        parts.append("REMOVE " + ", ".join(f"#r{i}" for i in range(len(remove_fields))))
    return " ".join(parts), names, values


class DynamoTable:
    """One DynamoDB table addressed by (pk, sk), with conditional writes and paginated queries."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self.name = table_name

    # -- serialization -------------------------------------------------------------------------

    def to_dynamo(self, item: Mapping[str, Any]) -> dict[str, Any]:
        ser = _serializer()
        return {k: ser.serialize(v) for k, v in item.items() if v is not None}

    def from_dynamo(self, raw: Mapping[str, Any]) -> Item:
        de = _deserializer()
        return {k: _plain(de.deserialize(v)) for k, v in raw.items()}

    # -- reads ---------------------------------------------------------------------------------

    def get(self, pk: str, sk: str, *, consistent: bool = False) -> Item | None:
        """The item at (pk, sk), or None."""
        raw = self._call("get_item", TableName=self.name, Key=self.to_dynamo({"pk": pk, "sk": sk}),
                         ConsistentRead=consistent)
        item = raw.get("Item")
        return self.from_dynamo(item) if item else None

    def query(
        self,
        pk_value: str,
        *,
        index: str | None = None,
        sk_prefix: str | None = None,
        sk_between: tuple[str, str] | None = None,
        newest_first: bool = False,
        limit: int = 50,
        cursor: str | None = None,
        consistent: bool = False,
    ) -> Page:
        """One page of the items under one partition key (of the table or of a GSI)."""
        pk_attr, sk_attr = ("pk", "sk") if index is None else (f"{index.lower()}pk", f"{index.lower()}sk")
        expr = "#pk = :pk"
        names = {"#pk": pk_attr}
        values: dict[str, Any] = {":pk": pk_value}
        if sk_prefix is not None:
            expr += " AND begins_with(#sk, :skp)"
            names["#sk"] = sk_attr
            values[":skp"] = sk_prefix
        elif sk_between is not None:
            expr += " AND #sk BETWEEN :lo AND :hi"
            names["#sk"] = sk_attr
            values[":lo"], values[":hi"] = sk_between
        kwargs: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": expr,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": self.to_dynamo(values),
            "ScanIndexForward": not newest_first,
            "Limit": limit,
        }
        if index is not None:
            kwargs["IndexName"] = index
        elif consistent:
            kwargs["ConsistentRead"] = True
        start = decode_cursor(cursor)
        if start:
            kwargs["ExclusiveStartKey"] = start
        raw = self._call("query", **kwargs)
        return Page(items=[self.from_dynamo(i) for i in raw.get("Items", [])],
                    cursor=encode_cursor(raw.get("LastEvaluatedKey")))

    def query_all(self, pk_value: str, **kwargs: Any) -> Iterator[Item]:
        """Every item under one partition key, page by page (for bounded collections only)."""
        cursor: str | None = None
        while True:
            page = self.query(pk_value, cursor=cursor, **kwargs)
            yield from page.items
            if page.cursor is None:
                return
            cursor = page.cursor

    # -- writes --------------------------------------------------------------------------------

    def put(self, item: Mapping[str, Any], *, condition: str | None = None,
            names: Mapping[str, str] | None = None, values: Mapping[str, Any] | None = None,
            return_old: bool = False) -> Item | None:
        """Write an item, optionally only if `condition` holds (else `ConditionFailed`); with
        `return_old`, the item it replaced (None when there was none)."""
        kwargs: dict[str, Any] = {"TableName": self.name, "Item": self.to_dynamo(item)}
        if return_old:
            kwargs["ReturnValues"] = "ALL_OLD"
        self._add_condition(kwargs, condition, names, values)
        raw = self._call("put_item", **kwargs)
        old = raw.get("Attributes") if return_old else None
        return self.from_dynamo(old) if old else None

    def put_new(self, item: Mapping[str, Any]) -> None:
        """Write an item that must not exist yet (else `ConditionFailed`)."""
        self.put(item, condition="attribute_not_exists(pk)")

    def update(self, pk: str, sk: str, update: str, *, condition: str | None = None,
               names: Mapping[str, str] | None = None, values: Mapping[str, Any] | None = None,
               return_new: bool = True) -> Item:
        """Apply an update expression (atomic counters, state changes); returns the new item."""
        kwargs: dict[str, Any] = {
            "TableName": self.name,
            "Key": self.to_dynamo({"pk": pk, "sk": sk}),
            "UpdateExpression": update,
            "ReturnValues": "ALL_NEW" if return_new else "NONE",
        }
        self._add_condition(kwargs, condition, names, values)
        raw = self._call("update_item", **kwargs)
        return self.from_dynamo(raw.get("Attributes", {}))

    def transact(self, operations: Sequence[Mapping[str, Any]]) -> None:
        """Write several items atomically. Each operation is one of
        {"put": item, "condition": ...}, {"update": (pk, sk), "expression": ..., "condition": ...},
        {"delete": (pk, sk), "condition": ...} or {"check": (pk, sk), "condition": ...}, with optional
        "names" and "values"."""
        actions = []
        for op in operations:
            body: dict[str, Any] = {"TableName": self.name}
            if "put" in op:
                body["Item"] = self.to_dynamo(op["put"])
                kind = "Put"
            elif "update" in op:
                pk, sk = op["update"]
                body["Key"] = self.to_dynamo({"pk": pk, "sk": sk})
                body["UpdateExpression"] = op["expression"]
                kind = "Update"
            elif "delete" in op:
                pk, sk = op["delete"]
                body["Key"] = self.to_dynamo({"pk": pk, "sk": sk})
                kind = "Delete"
            else:
                pk, sk = op["check"]
                body["Key"] = self.to_dynamo({"pk": pk, "sk": sk})
                kind = "ConditionCheck"
            self._add_condition(body, op.get("condition"), op.get("names"), op.get("values"))
            actions.append({kind: body})
        self._call("transact_write_items", TransactItems=actions)

    # -- internals -----------------------------------------------------------------------------

    def _add_condition(self, kwargs: dict[str, Any], condition: str | None,
                       names: Mapping[str, str] | None, values: Mapping[str, Any] | None) -> None:
        if condition:
            kwargs["ConditionExpression"] = condition
        if names:
            kwargs["ExpressionAttributeNames"] = dict(names)
        if values:
            kwargs["ExpressionAttributeValues"] = self.to_dynamo(values)

    def _call(self, operation: str, **kwargs: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return getattr(self._client, operation)(**kwargs)
        except ClientError as exc:
            code = error_code(exc)
            if code == "ConditionalCheckFailedException":
                raise ConditionFailed() from exc
            if code == "TransactionCanceledException":
                reasons = [r.get("Code", "") for r in exc.response.get("CancellationReasons", [])]
                if "ConditionalCheckFailed" in reasons:
                    raise ConditionFailed(reasons=reasons) from exc
                raise DependencyUnavailable("La base de datos está ocupada; intente nuevamente.",
                                            code="database_busy") from exc
            error = translated(exc, message=_UNAVAILABLE, code="database_unavailable")
            if error is None:  # a malformed request: a bug of ours, surfaced as it is
                raise
            raise error from exc
        except BotoCoreError as exc:
            raise DependencyUnavailable(_UNAVAILABLE, code="database_unavailable") from exc
