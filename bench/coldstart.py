"""Cold-start import times: SEM's `app` against a minimal Chalice app, side by side in one run.

Each sample is a fresh interpreter importing one module, as Lambda's runtime does on a cold
start (the interpreter's own start-up is left out: Lambda pays it for any app). The runs of the
three imports are interleaved, so a busy moment of this shared machine hits all of them alike:

- `api`: `import app` — what the API function (and every function of the app: Chalice ships one
  package and one `app.py` for all of them) loads before its first request;
- `baseline`: a minimal Chalice app importing only chalice, boto3 and pydantic, with one route
  and one model: the floor any Chalice + pydantic API pays;
- `worker`: `import app` plus what the receipts job imports on its first message (reportlab's
  canvas, pyHanko's signer and stamp, the KMS signer, Jinja2 for the e-mail): the worker
  function's first receipt.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

BASELINE_APP = '''
from chalice.app import Chalice
import boto3
from pydantic import BaseModel

app = Chalice(app_name="baseline")


class Quote(BaseModel):
    plate: str
    year: int


@app.route("/quote")
def quote() -> dict[str, object]:
    return Quote(plate="BBBB10", year=2027).model_dump()
'''

WORKER_IMPORTS = (
    "import app; "
    "import chalicelib.documents.receipt_pdf, chalicelib.signing.pades, chalicelib.signing.kms_signer; "
    "import reportlab.pdfgen.canvas, reportlab.graphics.barcode.qrencoder; "
    "import pyhanko.sign.signers.pdf_signer, pyhanko.stamp.text, pyhanko.pdf_utils.incremental_writer; "
    "import jinja2"
)

_TIMER = ("import time; w=time.perf_counter(); c=time.process_time(); {code}; "
          "print((time.process_time()-c)*1000, (time.perf_counter()-w)*1000)")


def _sample(code: str, cwd: Path) -> tuple[float, float]:
    """(CPU ms, wall ms) of one import in a fresh interpreter."""
    done = subprocess.run([sys.executable, "-c", _TIMER.format(code=code)], cwd=cwd, capture_output=True,
                          text=True, check=True)
    cpu, wall = done.stdout.strip().splitlines()[-1].split()
    return float(cpu), float(wall)


def bench_cold_start(runs: int = 7) -> dict[str, Any]:
    """Median import milliseconds of the API app, the baseline app and the worker's first job.

    The figures are the importing process's CPU time: on this shared two-core machine the wall
    time swings with what the other processes do (load averages of 4–9 were seen), while an
    import is CPU work (the files are in the page cache after the first run). The wall-clock
    medians are kept beside them."""
    samples: dict[str, list[float]] = {"api": [], "baseline": [], "worker": []}
    wall: dict[str, list[float]] = {"api": [], "baseline": [], "worker": []}
    with tempfile.TemporaryDirectory() as folder:
        baseline_dir = Path(folder)
        (baseline_dir / "baseline_app.py").write_text(BASELINE_APP)
        for _ in range(runs):
            for name, code, cwd in (("baseline", "import baseline_app", baseline_dir), ("api", "import app", ROOT),
                                    ("worker", WORKER_IMPORTS, ROOT)):
                cpu, elapsed = _sample(code, cwd)
                samples[name].append(cpu)
                wall[name].append(elapsed)
    medians = {name: round(statistics.median(values), 1) for name, values in samples.items()}
    return {
        "runs": runs,
        "api_import_ms": medians["api"],
        "baseline_import_ms": medians["baseline"],
        "api_import_ratio": round(medians["api"] / medians["baseline"], 2),
        "worker_import_ms": medians["worker"],
        "max_ms": {name: round(max(values), 1) for name, values in samples.items()},
        "wall_median_ms": {name: round(statistics.median(values), 1) for name, values in wall.items()},
    }


if __name__ == "__main__":
    import json

    print(json.dumps(bench_cold_start(), indent=2))
