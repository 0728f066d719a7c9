"""Draw photocull's application icon (a film frame with a check mark) as PNGs.

Run once when the design changes: ``python packaging/make_icon.py``. The icon is
drawn in code so it has no third-party licence and can be rebuilt at any size.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

ICON_DIR = Path(__file__).resolve().parent.parent / "assets" / "icons"
SIZES = (16, 32, 48, 64, 128, 256, 512)


def draw_icon(size: int) -> Image.Image:
    """Render at 4× and downsample, so small sizes stay crisp."""
    big = size * 4
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    pad = big // 16
    draw.rounded_rectangle((pad, pad, big - pad, big - pad), radius=big // 6, fill=(38, 50, 56, 255))
    inner = big // 5
    draw.rounded_rectangle((inner, inner, big - inner, big - inner), radius=big // 20, fill=(236, 239, 241, 255))
    hole = big // 22
    for i in range(4):
        y = inner + (big - 2 * inner) * (i + 0.5) / 4
        for x in (pad + (inner - pad) // 2, big - pad - (inner - pad) // 2):
            draw.ellipse((x - hole, y - hole, x + hole, y + hole), fill=(236, 239, 241, 255))
    check = [(big * 0.33, big * 0.52), (big * 0.45, big * 0.64), (big * 0.68, big * 0.38)]
    draw.line(check, fill=(67, 160, 71, 255), width=big // 11, joint="curve")
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    ICON_DIR.mkdir(parents=True, exist_ok=True)
    for size in SIZES:
        draw_icon(size).save(ICON_DIR / f"photocull-{size}.png", optimize=True)
    draw_icon(256).save(ICON_DIR / "photocull.ico", sizes=[(s, s) for s in SIZES if s <= 256])


if __name__ == "__main__":
    main()
