"""Numbers as the reader writes them (a decimal comma in Dutch)."""

from __future__ import annotations

from flask_babel import format_decimal


def decimal(number: float, digits: int = 1) -> str:
    return str(format_decimal(round(number, digits), format=f"#,##0.{'0' * digits}"))
