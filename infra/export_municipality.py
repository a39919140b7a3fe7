"""Export everything SEM holds for one municipality into a ZIP file (an operator's tool).

    python -m infra.export_municipality 13101 --from 2027-01-01 --to 2027-12-31 --out 13101-2027.zip \\
        [--with-receipt-pdfs] [--stack sem-prod]

Runs with the operator's AWS credentials against the deployed stack (its table and buckets are
read from the CloudFormation outputs of `--stack`), or against whatever the SEM_* settings of the
environment name (the local stack: `AWS_ENDPOINT_URL=http://127.0.0.1:5000` plus the values
`make run` uses). What goes in the file, and what is left out, is described in
chalicelib/services/municipality_export.py and docs/data-export.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from chalicelib import wiring
from chalicelib.domain.errors import SemError
from chalicelib.services.municipality_export import ExportContext, export_municipality


def sources() -> ExportContext:
    """The table and buckets of the configured stage."""
    return ExportContext(table=wiring.data_table(), uploads=wiring.uploads_store(),
                         receipts=wiring.receipts_store(), clock=lambda: datetime.now(UTC))


def _use_stack(stack_name: str) -> None:
    import boto3

    from infra.provision import settings_env

    described = boto3.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
    os.environ.update(settings_env(outputs))
    wiring.reset()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("code", help="the municipality's 5-digit code (CUT)")
    parser.add_argument("--from", dest="start", type=date.fromisoformat, required=True, help="first day, YYYY-MM-DD")
    parser.add_argument("--to", dest="end", type=date.fromisoformat, required=True, help="last day, YYYY-MM-DD")
    parser.add_argument("--out", type=Path, required=True, help="the ZIP file to write")
    parser.add_argument("--with-receipt-pdfs", action="store_true", help="include every signed receipt PDF")
    parser.add_argument("--stack", help="read the table and buckets from this CloudFormation stack's outputs")
    args = parser.parse_args(argv)
    if args.stack:
        _use_stack(args.stack)
    partial = args.out.with_name(args.out.name + ".partial")
    try:
        with partial.open("wb") as out:
            manifest = export_municipality(args.code, args.start, args.end, sources(), out,
                                           with_receipt_pdfs=args.with_receipt_pdfs)
    except (SemError, ValueError) as exc:
        partial.unlink(missing_ok=True)
        print(f"export failed: {exc}", file=sys.stderr)
        return 2
    partial.replace(args.out)  # a file under the final name is always a complete export
    counts = {name: entry.get("lines", entry["bytes"]) for name, entry in manifest["files"].items()}
    print(json.dumps({"out": str(args.out), "files": counts}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
