"""Reading a CSV as people send it: Excel's encodings (UTF-8 with or without a BOM,
Latin-1/cp1252, "Unicode text" in UTF-16), `;` or `,`, quoted cells with line breaks, NUL
bytes, blank lines and lines of only separators, and headings in either language. Shared by
the street table, the visit target list and the indicator importers."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence

_CONTENT = re.compile(r'[^\s;,"]')


def decode_upload(raw: bytes) -> str:
    """Excel on Windows saves Latin-1/cp1252, others UTF-8 (with or without BOM)."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def sniff_delimiter(text: str) -> str:
    first = next((line for line in text.splitlines() if line.strip()), "")
    return ";" if first.count(";") >= first.count(",") else ","


def _lines(raw: bytes) -> list[tuple[int, str]]:
    """(line number, text) of the file; only real line breaks count (not form feeds or
    U+2028 in a cell), NUL bytes are dropped (PostgreSQL refuses them)."""
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):  # "Unicode text" from Excel: UTF-16
        text = raw.decode("utf-16", errors="replace").replace("\x00", "")
    else:
        text = decode_upload(raw).replace("\x00", "")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return list(enumerate(text.split("\n"), start=1))


def _records(lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Join the lines of a quoted cell that holds a line break (Excel writes those) into one
    record, numbered by its first line."""
    records: list[tuple[int, str]] = []
    pending: tuple[int, str] | None = None
    for number, line in lines:
        pending = (pending[0], f"{pending[1]}\n{line}") if pending else (number, line)
        if pending[1].count('"') % 2 == 0:
            records.append(pending)
            pending = None
    if pending is not None:
        records.append(pending)  # an unclosed quote: read as it is, the row will say why
    return records


def read_records(raw: bytes) -> list[tuple[int, str]]:
    """(first line number, text) of each record that holds something: no empty lines, nor
    lines of only separators."""
    return [(number, line) for number, line in _records(_lines(raw)) if _CONTENT.search(line)]


def record_cells(line: str, delimiter: str) -> list[str] | None:
    """The cells of one record; None when it cannot be read (a cell over the csv limit)."""
    try:
        return next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error:
        return None


def match_columns(header: list[str], known: Mapping[str, Sequence[str]]) -> dict[str, int]:
    """Our field -> its column, from the headings people use for it (``known``); the first
    column with such a heading wins."""
    found: dict[str, int] = {}
    for index, heading in enumerate(header):
        cleaned = heading.strip().lstrip("\ufeff").strip().casefold()
        for ours, names in known.items():
            if cleaned in names and ours not in found:
                found[ours] = index
    return found


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def formula_safe(value: str) -> str:
    """A cell a spreadsheet would run as a formula (a name like '=HYPERLINK(…)') gets a
    leading apostrophe, Excel's mark for text: shown, never executed. The one rule for every
    CSV and workbook we write; :func:`unmark_text` takes it off when the file comes back."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def unmark_text(value: str) -> str:
    return value[1:] if value.startswith("'") and value[1:2] in FORMULA_STARTS else value


def excel_csv(rows: Iterable[Sequence[object]]) -> str:
    """UTF-8 with a BOM and semicolons, as Excel in Belgium opens it; text cells safe."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    for row in rows:
        writer.writerow([formula_safe(c) if isinstance(c, str) else c for c in row])
    return buffer.getvalue()
