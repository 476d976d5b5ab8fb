"""Signature and seal images, generated with Pillow.

Real deployments upload each official's scanned handwritten signature and each agency's seal image; development,
tests and the sample documents need believable ones without any real person's signature. Both images are RGBA
PNGs with a transparent background, so that the seal printed over the signature lets it show through, as ink does.

* :func:`signature_image` — a blue, handwritten-looking signature made from the person's name (deterministic: the
  same name always gives the same signature).
* :func:`seal_image` — an agency's red round seal: two rings, the agency name around the ring, a star in the centre.
  Drawn at 600 px across, i.e. about 400 dpi when printed at its real size of 38 mm.
"""

from __future__ import annotations

import functools
import hashlib
import io
import math
import random
import unicodedata
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

__all__ = [
    "FONT_DIR",
    "FONT_DIRS",
    "FontMissingError",
    "SEAL_DIAMETER_MM",
    "SIGNATURE_INK",
    "SEAL_INK",
    "font_path",
    "seal_image",
    "signature_image",
]

# Debian's fonts-liberation (1.07) has no Vietnamese letters (Ư, Ơ, Ệ ...); fonts-liberation2 (2.x) has them all.
FONT_DIRS = (Path("/usr/share/fonts/truetype/liberation2"), Path("/usr/share/fonts/truetype/liberation"))
FONT_DIR = FONT_DIRS[0]
_VIETNAMESE_PROBE = "ĐđƯưƠơỆệỦủẦầẤấẬậỨứỪừỰựỮữỔổỞởỠỡỢợẠạẢảÃãỳỹỷỵ"
SEAL_DIAMETER_MM = 38.0  # a round agency seal is 35-42 mm across; Decree 30's appendix shows it at real size
SIGNATURE_INK = (22, 45, 160)  # ballpoint blue
SEAL_INK = (214, 24, 32)  # seal-ink red


class FontMissingError(RuntimeError):
    """The Liberation fonts (Debian package fonts-liberation) are not installed."""


@functools.cache
def font_path(style: str = "Regular", family: str = "Serif") -> Path:
    """Path of a Liberation font file that can write Vietnamese, failing clearly when none is installed.

    Liberation Serif is metric-compatible with Times New Roman, the face Decree 30 prescribes for documents. Only
    version 2 of the Liberation fonts covers Vietnamese, so each candidate file is checked, not just found.
    """
    from fontTools.ttLib import TTFont

    name = f"Liberation{family}-{style}.ttf"
    for directory in FONT_DIRS:
        path = directory / name
        if path.is_file():
            cmap = TTFont(str(path), lazy=True).getBestCmap()
            if all(ord(ch) in cmap for ch in _VIETNAMESE_PROBE):
                return path
    raise FontMissingError(
        f"Không tìm thấy phông chữ {name} có đủ chữ tiếng Việt trong {', '.join(map(str, FONT_DIRS))}: "
        "hãy cài gói fonts-liberation2 (apt-get install fonts-liberation2)."
    )


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _rng(*parts: str) -> random.Random:
    digest = hashlib.sha256("\0".join(parts).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def _catmull_rom(points: list[tuple[float, float]], steps: int = 16) -> list[tuple[float, float]]:
    """A smooth curve through ``points`` (what a pen does between the turns of a stroke)."""
    if len(points) < 3:
        return points
    padded = [points[0], *points, points[-1]]
    out: list[tuple[float, float]] = []
    for i in range(1, len(padded) - 2):
        p0, p1, p2, p3 = padded[i - 1], padded[i], padded[i + 1], padded[i + 2]
        for s in range(steps):
            t = s / steps
            t2, t3 = t * t, t * t * t
            out.append(
                tuple(  # type: ignore[arg-type]
                    0.5
                    * (
                        2 * p1[k]
                        + (-p0[k] + p2[k]) * t
                        + (2 * p0[k] - 5 * p1[k] + 4 * p2[k] - p3[k]) * t2
                        + (-p0[k] + 3 * p1[k] - 3 * p2[k] + p3[k]) * t3
                    )
                    for k in (0, 1)
                )
            )
    out.append(points[-1])
    return out


def _stroke(draw: ImageDraw.ImageDraw, path: list[tuple[float, float]], width: float, ink: tuple) -> None:
    """Draw a pen stroke whose width swells in the middle and thins at both ends."""
    n = len(path)
    for i in range(n - 1):
        t = i / max(n - 2, 1)
        w = max(1.0, width * (0.45 + 0.75 * math.sin(math.pi * t)))
        draw.line([path[i], path[i + 1]], fill=ink, width=round(w))
        r = w / 2
        x, y = path[i + 1]
        draw.ellipse([x - r, y - r, x + r, y + r], fill=ink)


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn").replace("đ", "d")


def signature_image(name: str, *, width: int = 600, height: int = 260) -> bytes:
    """A blue handwritten-looking signature for ``name`` on a transparent background (RGBA PNG).

    Vietnamese officials usually sign with a flourish built from the given name (the last word) and an initial;
    this imitates that: the initial of the family name, the given name in a slanted cursive-like hand, one
    looping flourish underneath. 600×260 px prints sharply at the ~50 mm the signature block leaves for it.
    """
    scale = 3  # draw large, then downsample: antialiased strokes
    w, h = width * scale, height * scale
    rng = _rng("signature", name)
    canvas = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    draw = ImageDraw.Draw(canvas)
    ink = (*SIGNATURE_INK, 255)
    words = name.split() or ["?"]
    given = _fold(words[-1]).capitalize()
    initial = _fold(words[0])[:1].upper()

    # The written part: initial + given name in italic, slanted further, placed left of centre.
    font = ImageFont.truetype(str(font_path("Italic")), size=int(h * 0.42))
    text_layer = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    tdraw = ImageDraw.Draw(text_layer)
    text = f"{initial}{given.lower()}" if len(given) > 2 else f"{initial}.{given}"
    x0 = int(w * (0.10 + rng.random() * 0.06))
    y0 = int(h * 0.22)
    tdraw.text((x0, y0), text, font=font, fill=ink, stroke_width=scale + 1, stroke_fill=ink)
    shear = 0.25 + rng.random() * 0.1
    text_layer = text_layer.transform(
        (w, h), Image.Transform.AFFINE, (1, shear, -shear * h * 0.45, 0, 1, 0), resample=Image.Resampling.BICUBIC
    )
    canvas.alpha_composite(text_layer)
    bbox = text_layer.getbbox() or (x0, y0, w // 2, h // 2)

    # The flourish: from the end of the name, a loop back under it, then a long tail to the right.
    end_x, base_y = bbox[2], bbox[3] - h * 0.08
    points = [
        (end_x - w * 0.02, base_y - h * 0.25),
        (end_x + w * 0.04, base_y - h * (0.05 + rng.random() * 0.08)),
        (end_x - w * 0.06, base_y + h * 0.10),
        (bbox[0] + w * (0.02 + rng.random() * 0.05), base_y + h * (0.06 + rng.random() * 0.06)),
        (bbox[0] + w * 0.12, base_y - h * 0.02),
        ((bbox[0] + end_x) / 2, base_y + h * 0.04),
        (min(w * 0.95, end_x + w * (0.16 + rng.random() * 0.1)), base_y - h * (0.10 + rng.random() * 0.12)),
    ]
    _stroke(draw, _catmull_rom(points, 24), width=2.6 * scale, ink=ink)
    # A short dash through the initial, as many hands do.
    dash_y = bbox[1] + (bbox[3] - bbox[1]) * (0.45 + rng.random() * 0.1)
    _stroke(
        draw,
        _catmull_rom([(bbox[0] - w * 0.02, dash_y + h * 0.03), (bbox[0] + w * 0.05, dash_y),
                      (bbox[0] + w * 0.12, dash_y - h * 0.02)], 12),
        width=2.0 * scale,
        ink=ink,
    )
    image = canvas.resize((width, height), Image.Resampling.LANCZOS)
    return _png(image)


def _text_on_circle(
    canvas: Image.Image, text: str, *, centre: float, radius: float, font: ImageFont.FreeTypeFont,
    start_deg: float, end_deg: float, ink: tuple,
) -> None:
    """Lay ``text`` clockwise along an arc, each glyph upright relative to the circle (letters' feet inward)."""
    widths = [font.getlength(ch) for ch in text]
    total = sum(widths)
    span = math.radians(end_deg - start_deg)
    # Spread the letters evenly along the arc: extra tracking fills the span.
    gap = (span * radius - total) / max(len(text) - 1, 1)
    angle = math.radians(start_deg)
    ascent, descent = font.getmetrics()
    for ch, cw in zip(text, widths, strict=True):
        mid = angle + (cw / 2) / radius
        if ch.strip():
            size = int(max(cw, ascent + descent) * 2 + 8)
            glyph = Image.new("RGBA", (size, size), (0, 0, 0, 0))
            gd = ImageDraw.Draw(glyph)
            gd.text((size / 2, size / 2), ch, font=font, fill=ink, anchor="mm")
            rotated = glyph.rotate(-math.degrees(mid), resample=Image.Resampling.BICUBIC)
            x = centre + radius * math.sin(mid)
            y = centre - radius * math.cos(mid)
            canvas.alpha_composite(rotated, (int(x - size / 2), int(y - size / 2)))
        angle += (cw + gap) / radius


def _star(centre: float, outer: float, inner: float) -> list[tuple[float, float]]:
    points = []
    for i in range(10):
        r = outer if i % 2 == 0 else inner
        a = math.radians(-90 + 36 * i)
        points.append((centre + r * math.cos(a), centre + r * math.sin(a)))
    return points


def seal_image(agency_name: str, *, superior_name: str | None = None, size: int = 600) -> bytes:
    """An agency's red round seal (RGBA PNG, ``size`` px square, transparent outside the ink).

    Two concentric rings; the agency's name in capitals around the band between them (the superior agency's name,
    when given, shares the band before it, as on real seals); a five-pointed star in the centre. The ink is slightly
    uneven and translucent, so the signature under it stays readable.
    """
    scale = 2
    s = size * scale
    c = s / 2
    ink = (*SEAL_INK, 235)
    canvas = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    draw = ImageDraw.Draw(canvas)
    outer_r = s * 0.485
    outer_w = s * 0.022
    inner_r = s * 0.33
    inner_w = s * 0.010
    draw.ellipse([c - outer_r, c - outer_r, c + outer_r, c + outer_r], outline=ink, width=round(outer_w))
    draw.ellipse([c - inner_r, c - inner_r, c + inner_r, c + inner_r], outline=ink, width=round(inner_w))

    text = agency_name.upper()
    if superior_name:
        text = f"{superior_name.upper()} ★ {text}"
    band_mid = (outer_r - outer_w + inner_r + inner_w) / 2
    font_size = int(s * 0.068)
    font = ImageFont.truetype(str(font_path("Bold", "Sans")), size=font_size)
    # Shrink the letters until the name fits in 300 degrees of the band.
    while font.getlength(text) > math.radians(300) * band_mid * 0.92 and font_size > s * 0.03:
        font_size -= 2
        font = ImageFont.truetype(str(font_path("Bold", "Sans")), size=font_size)
    _text_on_circle(canvas, text.replace("★", "*"), centre=c, radius=band_mid, font=font,
                    start_deg=-150, end_deg=150, ink=ink)
    draw.polygon(_star(c, inner_r * 0.62, inner_r * 0.25), fill=ink)

    # Uneven ink: knock out a sparse speckle so the seal looks stamped, not printed.
    rng = _rng("seal", agency_name)
    alpha = canvas.getchannel("A")
    speckle = Image.new("L", (s, s), 255)
    sd = ImageDraw.Draw(speckle)
    for _ in range(900):
        x, y, r = rng.random() * s, rng.random() * s, rng.random() * scale * 2.2
        sd.ellipse([x - r, y - r, x + r, y + r], fill=int(120 + rng.random() * 100))
    speckle = speckle.filter(ImageFilter.GaussianBlur(scale * 0.6))
    canvas.putalpha(ImageChops.multiply(alpha, speckle))
    image = canvas.resize((size, size), Image.Resampling.LANCZOS)
    return _png(image)

