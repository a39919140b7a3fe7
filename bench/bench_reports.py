"""Report timings for a year of a large municipality (`make bench` wires `bench_reports` into
bench/results.json).

Runs against in-process moto, whose Query reads and sorts its whole table on every call (moto
5.2), so the milliseconds here are moto's overhead times the number of Queries; the Query counts
are the figures that carry over to DynamoDB (each ~5–10 ms there, eight in parallel).
"""

from __future__ import annotations

import os
import statistics
import time
from datetime import date, timedelta
from typing import Any


def _ms(function: Any, runs: int) -> tuple[Any, dict[str, float]]:
    samples, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = function()
        samples.append((time.perf_counter() - start) * 1000)
    return result, {"median_ms": round(statistics.median(samples), 1), "max_ms": round(max(samples), 1)}


def bench_reports(runs: int = 3) -> dict[str, Any]:
    """A year (1 Jan – 20 Dec) of Santiago by month and by service, the central year-over-year
    report, and the PDF, from two generated years of history; with the Queries each needs."""
    import boto3
    from moto import mock_aws

    os.environ.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                       "AWS_DEFAULT_REGION": "us-east-1", "POWERTOOLS_LOG_LEVEL": "WARNING"})
    os.environ.pop("AWS_ENDPOINT_URL", None)
    with mock_aws():
        from chalicelib import wiring
        from chalicelib.adapters.stats_repo import StatsRepository
        from chalicelib.documents.report_pdf import central_pdf
        from chalicelib.services import reports
        from devstack import history
        from devstack.provisioning import provision

        for name, value in provision(None, stage="bench", with_demo_data=False)["env"].items():
            os.environ[name] = value
        wiring.reset()
        end = date(date.today().year - 1, 12, 20)
        started = time.perf_counter()
        generated = history.generate(2, seed=3, end=end)
        written = history.write(generated, wiring.data_table(), boto3.client("dynamodb"), today=end + timedelta(1))
        generate_s = round(time.perf_counter() - started, 1)

        class Counting(StatsRepository):
            queries = 0

            def day_cells(self, owner: str, day: str) -> list[dict[str, Any]]:
                Counting.queries += 1
                return super().day_cells(owner, day)

            def month_summaries(self, owner: str, year: int, first: str, last: str) -> list[dict[str, Any]]:
                Counting.queries += 1
                return super().month_summaries(owner, year, first, last)

        ctx = reports.ReportsContext(stats=Counting(wiring.data_table()), today=end + timedelta(days=1))
        first = date(end.year, 1, 1)
        figures: dict[str, Any] = {"history_items_written": written, "history_generate_and_write_s": generate_s,
                                   "history_payments": generated.total()["payments"]}
        for group in ("month", "service"):
            Counting.queries = 0
            _, timing = _ms(lambda g=group: reports.municipal_report("13101", first, end, g, ctx), runs)
            figures[f"municipal_year_by_{group}"] = {**timing, "queries": Counting.queries // runs}
        Counting.queries = 0
        central, timing = _ms(lambda: reports.central_report(end.year, ctx, as_of=end), runs)
        figures["central_year_over_year"] = {**timing, "queries": Counting.queries // runs}
        _, timing = _ms(lambda: central_pdf(central, generated_at="bench"), runs)
        figures["central_pdf"] = timing
        figures["sentence"] = central["sentence"]
        return figures


if __name__ == "__main__":
    import json

    print(json.dumps(bench_reports(), indent=2, ensure_ascii=False))
