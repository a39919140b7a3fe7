"""The DynamoDB adapter against moto: conditional writes, pagination, error translation."""

from __future__ import annotations

import pytest

from chalicelib import wiring
from chalicelib.adapters.dynamo import decode_cursor
from chalicelib.domain.errors import ConditionFailed, InvalidInput


def test_put_new_refuses_an_existing_item(stack):
    table = wiring.data_table()
    table.put_new({"pk": "13101#T", "sk": "A", "n": 1})
    with pytest.raises(ConditionFailed):
        table.put_new({"pk": "13101#T", "sk": "A", "n": 2})
    assert table.get("13101#T", "A")["n"] == 1


def test_conditional_update_and_atomic_counter(stack):
    table = wiring.data_table()
    for expected in (1, 2, 3):
        item = table.update("13101#FOLIO#2027", "COUNTER", "ADD next_value :one", values={":one": 1})
        assert item["next_value"] == expected
    with pytest.raises(ConditionFailed):
        table.update("13101#FOLIO#2027", "COUNTER", "SET x = :x", condition="next_value = :v",
                     values={":x": 1, ":v": 99})


def test_transaction_is_all_or_nothing(stack):
    table = wiring.data_table()
    table.put_new({"pk": "13101#H", "sk": "HOLD"})
    with pytest.raises(ConditionFailed):
        table.transact([
            {"put": {"pk": "13101#P", "sk": "META"}, "condition": "attribute_not_exists(pk)"},
            {"put": {"pk": "13101#H", "sk": "HOLD"}, "condition": "attribute_not_exists(pk)"},
        ])
    assert table.get("13101#P", "META") is None


def test_query_pages_with_an_opaque_cursor(stack):
    table = wiring.data_table()
    for i in range(5):
        table.put({"pk": "13101#L", "sk": f"2027-03-0{i}", "i": i})
    first = table.query("13101#L", limit=2, newest_first=True)
    assert [i["i"] for i in first.items] == [4, 3]
    rest = table.query("13101#L", limit=10, cursor=first.cursor, newest_first=True)
    assert [i["i"] for i in rest.items] == [2, 1, 0]
    assert rest.cursor is None
    assert [i["i"] for i in table.query("13101#L", sk_between=("2027-03-01", "2027-03-02")).items] == [1, 2]


def test_a_forged_cursor_is_a_clear_400():
    with pytest.raises(InvalidInput) as caught:
        decode_cursor("not-base64-json!!")
    assert caught.value.field == "cursor"


def test_an_unknown_server_error_is_retryable_not_a_bug():
    """Seen in `make chaos`: moto answered a TransactWriteItems with a bare HTTP 500; the notification
    route answered 500 instead of 503 + Retry-After (TGR retries either way)."""
    import boto3
    from botocore.stub import Stubber

    from chalicelib.adapters.dynamo import DynamoTable
    from chalicelib.domain.errors import DependencyUnavailable

    client = boto3.client("dynamodb", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    table = DynamoTable(client, "t")
    with Stubber(client) as stub:
        stub.add_client_error("transact_write_items", service_error_code="500", http_status_code=500)
        stub.add_client_error("get_item", service_error_code="ValidationException", http_status_code=400)
        with pytest.raises(DependencyUnavailable):
            table.transact([{"put": {"pk": "13101#X", "sk": "A"}}])
        with pytest.raises(Exception, match="ValidationException"):  # a 4xx of ours stays a bug
            table.get("13101#X", "A")
