"""The repository stands alone: no file points at design notes or folders outside it."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Built from parts so that this file does not match itself.
NOTES = "|".join(("API", "ARCHITECTURE", "DATA", "DOMAIN", "SIGNATURE", "STYLE"))
OUTSIDE = re.compile(r"\.\./" + "shared|" + "shared" + "/design|" + r"\b(?:" + NOTES + r")\.md\b")


def test_no_tracked_file_points_outside_the_repository():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    offenders = []
    for name in tracked.splitlines():
        path = ROOT / name
        if path.suffix in {".png", ".pdf", ".ico", ".zip"} or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="ignore")
        offenders += [f"{name}: {m.group(0)}" for m in OUTSIDE.finditer(text)]
    assert offenders == []
