"""Benchmark the printable referral cards: `.venv/bin/python bench/card_pdf_bench.py [N]`.

Renders N cards (default 1,000 = 250 A4 pages) the way the worker does and prints the time,
the PDF size and the peak Python memory. Figures only, no assertions.
"""

from __future__ import annotations

import sys
import time
import tracemalloc

from fieldwork.referrals.codes import display, new_code
from fieldwork.referrals.pdf import CARDS_PER_PAGE, PrintedCard, SeriesPrint, render_series_pdf
from fieldwork.referrals.services import DEFAULT_CONSENT_TEXT

SERVICES = [
    ("Sociaal Huis", "051 78 91 00"),
    ("Lokaal dienstencentrum", "051 78 91 20"),
    ("Thuiszorg en poetshulp", "051 78 91 30"),
    ("Mantelzorgpunt", "051 78 91 40"),
    ("Minder Mobielen Centrale", "051 78 91 50"),
]


def main(count: int) -> None:
    series = SeriesPrint(
        municipality="Moorslede",
        title="Huisartsen 2026",
        service_offer=SERVICES,
        consent_text=DEFAULT_CONSENT_TEXT,
        consent_version=1,
    )
    codes = [new_code() for _ in range(count)]

    def cards() -> list[PrintedCard]:
        return [PrintedCard(display(c), f"https://zorg.moorslede.be/k/{c}") for c in codes]

    started = time.perf_counter()
    data = render_series_pdf(series, cards())
    seconds = time.perf_counter() - started
    tracemalloc.start()  # a second run for memory: tracing slows it down several times
    render_series_pdf(series, cards())
    _, peak = tracemalloc.get_traced_memory()
    pages = -(-count // CARDS_PER_PAGE)
    print(f"cards {count}, pages {pages}")
    print(f"  time       {seconds:8.2f} s   ({seconds / pages * 1000:.1f} ms a page)")
    print(f"  size       {len(data) / 1024:8.0f} KiB ({len(data) / count:.0f} bytes a card)")
    print(f"  peak (py)  {peak / 1024 / 1024:8.1f} MiB")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
