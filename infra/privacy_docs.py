"""Rewrite the generated register in docs/personal-data.md from chalicelib/domain/personal_data.py.

    python -m infra.privacy_docs
"""

from __future__ import annotations

from pathlib import Path

from chalicelib.domain.personal_data import register_markdown

DOC = Path(__file__).resolve().parents[1] / "docs" / "personal-data.md"
START, END = "<!-- register:start -->\n", "<!-- register:end -->"


def generated_section(text: str) -> str:
    """What sits between the markers in the document."""
    return text.split(START, 1)[1].split(END, 1)[0]


def rewrite(text: str) -> str:
    """The document with the register section regenerated."""
    head, rest = text.split(START, 1)
    return head + START + register_markdown() + END + rest.split(END, 1)[1]


def main() -> None:
    DOC.write_text(rewrite(DOC.read_text(encoding="utf-8")), encoding="utf-8")


if __name__ == "__main__":
    main()
