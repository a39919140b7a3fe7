"""The documents package draws and renders only when asked: importing it costs no heavy library."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import chalicelib.documents

ROOT = Path(__file__).resolve().parents[2]


def test_importing_every_document_module_loads_neither_reportlab_nor_jinja():
    modules = sorted(f"chalicelib.documents.{m.name}" for m in pkgutil.iter_modules(chalicelib.documents.__path__))
    assert {"chalicelib.documents.emails", "chalicelib.documents.receipt_pdf", "chalicelib.documents.report_pdf",
            "chalicelib.documents.signed_pdfs", "chalicelib.documents.refund_pdfs"} <= set(modules)
    code = (f"import sys, {', '.join(modules)}\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in {'reportlab', 'jinja2', 'pyhanko'}))\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"

