"""Regenerate chalicelib/assets/branding/default-logo.png, the neutral placeholder logo.

A plain shield with a five-pointed star: printed on receipts of municipalities that have not
uploaded their own logo. Run from the repository root: `python templates/branding/make_default_logo.py`.
Dev tooling, never deployed.
"""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw

SIZE = 256
OUT = Path(__file__).resolve().parents[2] / "chalicelib" / "assets" / "branding" / "default-logo.png"


def shield(size: int) -> list[tuple[float, float]]:
    """Outline of a heater shield inside a `size` square (flat top, pointed bottom)."""
    left, right, top = size * 0.14, size * 0.86, size * 0.08
    points = [(left, top), (right, top), (right, size * 0.50)]
    cx, bottom = size / 2, size * 0.94
    for step in range(1, 20):
        t = step / 20
        points.append((right - (right - cx) * t, size * 0.50 + (bottom - size * 0.50) * math.sin(t * math.pi / 2)))
    points.append((cx, bottom))
    for step in range(19, 0, -1):
        t = step / 20
        points.append((left + (cx - left) * t, size * 0.50 + (bottom - size * 0.50) * math.sin(t * math.pi / 2)))
    points.append((left, size * 0.50))
    return points


def star(cx: float, cy: float, outer: float, inner: float) -> list[tuple[float, float]]:
    points = []
    for index in range(10):
        radius = outer if index % 2 == 0 else inner
        angle = -math.pi / 2 + index * math.pi / 5
        points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    return points


def main() -> None:
    scale = 4  # draw large, then downsample: smooth edges without antialiasing support in ImageDraw
    big = Image.new("RGBA", (SIZE * scale, SIZE * scale), (0, 0, 0, 0))
    draw = ImageDraw.Draw(big)
    draw.polygon(shield(SIZE * scale), fill=(255, 255, 255, 255), outline=(70, 84, 102, 255),
                 width=10 * scale)
    draw.rectangle((SIZE * scale * 0.14, SIZE * scale * 0.08, SIZE * scale * 0.86, SIZE * scale * 0.30),
                   fill=(70, 84, 102, 255))
    draw.polygon(star(SIZE * scale / 2, SIZE * scale * 0.56, SIZE * scale * 0.22, SIZE * scale * 0.09),
                 fill=(70, 84, 102, 255))
    image = big.resize((SIZE, SIZE), Image.Resampling.LANCZOS)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    image.save(OUT, format="PNG", optimize=True)


if __name__ == "__main__":
    main()
