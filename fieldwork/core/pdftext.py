"""Text and QR codes on PDF pages in reportlab's standard fonts (Helvetica, Courier): text
those fonts can show, measured, fitted and wrapped to a width, and a QR code drawn as filled
vector rectangles. Shared by the referral cards and the photo flyer. Pure Python: no Flask,
no database."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

import qrcode
from qrcode.constants import ERROR_CORRECT_M
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

BLACK = 0.0
ELLIPSIS = "…"


_TRANSLITERATE = str.maketrans({
    "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ı": "i", "ħ": "h", "Ħ": "H", "ŧ": "t", "Ŧ": "T",
    "ŋ": "ng", "Ŋ": "NG", "ə": "e", "Ə": "E",
    "‐": "-", "‑": "-", "‒": "-", "−": "-", "―": "—", "′": "'", "″": '"', "‚": ",",
})  # fmt: skip


def _shown(char: str) -> bool:
    """Helvetica and Courier in reportlab use WinAnsiEncoding (cp1252)."""
    if char < " " or char == "\x7f":
        return False
    try:
        char.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def clean_text(text: str) -> str:
    """One line of text the standard fonts can show: accents kept where cp1252 has them,
    others transliterated (NFKD), emoji and other symbols dropped, unknown letters as '?'."""
    out: list[str] = []
    for char in unicodedata.normalize("NFC", str(text or "")).translate(_TRANSLITERATE):
        if _shown(char):
            out.append(char)
        elif char.isspace():
            out.append(" ")
        else:
            plain = "".join(
                part
                for part in unicodedata.normalize("NFKD", char)
                if not unicodedata.combining(part)
            )
            if plain and all(_shown(part) for part in plain):
                out.append(plain)
            elif unicodedata.category(char)[0] in "LNP":
                out.append("?")
            # symbols (emoji, dingbats), joiners, variation selectors, private use: dropped
    return re.sub(r"\s+", " ", "".join(out)).strip()


def clean_paragraphs(text: str) -> list[str]:
    paragraphs = (clean_text(part) for part in str(text or "").splitlines())
    return [part for part in paragraphs if part]


def text_width(text: str, font: str, size: float) -> float:
    return stringWidth(text, font, size)


def truncate(text: str, font: str, size: float, width: float, force: bool = False) -> str:
    """``text`` cut to ``width`` with an ellipsis (binary search: texts can be long); with
    ``force`` the ellipsis is added even when the text fits."""
    if not force and text_width(text, font, size) <= width:
        return text
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if text_width(text[:middle].rstrip() + ELLIPSIS, font, size) <= width:
            low = middle
        else:
            high = middle - 1
    return text[:low].rstrip() + ELLIPSIS


def fit(text: str, font: str, size: float, width: float, min_size: float) -> tuple[str, float]:
    """Shrink to fit one line, down to ``min_size``; truncate beyond that."""
    natural = text_width(text, font, size)
    if natural <= width:
        return text, size
    smaller = int(size * width / natural * 4) / 4  # quarter points, rounded down
    if smaller >= min_size:
        return text, smaller
    return truncate(text, font, min_size, width), min_size


def wrap(paragraphs: list[str], font: str, size: float, width: float) -> list[str]:
    """Greedy line breaking; a word longer than the line (a URL) is broken by characters."""
    lines: list[str] = []
    for paragraph in paragraphs:
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if text_width(candidate, font, size) <= width:
                line = candidate
                continue
            if line:
                lines.append(line)
            line = word
            while text_width(line, font, size) > width:
                cut = len(truncate(line, font, size, width)) - 1  # what fits, minus ellipsis
                cut = max(cut, 1)
                lines.append(line[:cut])
                line = line[cut:]
        if line:
            lines.append(line)
    return lines


def ascent(size: float) -> float:
    return 0.72 * size  # Helvetica cap height: a line's visible top sits at baseline + this


# --- QR codes ----------------------------------------------------------------------------------


def qr_matrix(data: str) -> list[list[bool]]:
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0)
    qr.add_data(data)
    qr.make(fit=True)
    return qr.get_matrix()


def fill_qr(
    canvas: Canvas, matrix: list[list[bool]], left: float, bottom: float, module: float
) -> None:
    """The dark modules, ``module`` points each, bottom left at (left, bottom)."""
    count = len(matrix)
    canvas.saveState()
    canvas.translate(left, bottom)
    canvas.scale(module, module)  # integer module coordinates: no seams between rectangles
    canvas.setFillGray(BLACK)
    # One path of integer rectangles, filled once: written as PDF operators directly, which
    # is short and several times faster than formatting floats through a path object.
    operators = [
        f"{x} {count - y - height} {width} {height} re"
        for x, y, width, height in qr_rectangles(matrix)
    ]
    canvas.addLiteral("\n".join([*operators, "f"]))
    canvas.restoreState()


def qr_rectangles(matrix: list[list[bool]]) -> Iterator[tuple[int, int, int, int]]:
    """Dark modules as rectangles (x, y, width, height), y counted downwards: horizontal runs,
    merged with identical runs in the rows below."""
    open_runs: dict[tuple[int, int], int] = {}  # (start, end) -> first row
    for y, row in enumerate([*matrix, []]):
        runs: set[tuple[int, int]] = set()
        start = None
        for x, dark in enumerate([*row, False]):
            if dark and start is None:
                start = x
            elif not dark and start is not None:
                runs.add((start, x))
                start = None
        for run in list(open_runs):
            if run not in runs:
                first = open_runs.pop(run)
                yield run[0], first, run[1] - run[0], y - first
        for run in runs:
            open_runs.setdefault(run, y)
