"""Page numbers for a list shown a page at a time (the queue, Mijn signalen)."""

from __future__ import annotations


class Paged:
    """``pages``, ``has_next`` and ``has_prev`` for a page of ``per_page`` items out of
    ``total``; the class using it declares the three fields."""

    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page * self.per_page < self.total

    @property
    def has_prev(self) -> bool:
        return self.page > 1
