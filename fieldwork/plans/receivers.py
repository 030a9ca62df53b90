"""plans' answer to reports: the neighbourhood page links to the neighbourhood's plans."""

from __future__ import annotations

from typing import Any

from flask import render_template
from markupsafe import Markup

from fieldwork.plans.services import plans_for_neighbourhood
from fieldwork.reports.hooks import neighbourhood_page_sections


@neighbourhood_page_sections.connect
def _plans_section(neighbourhood: Any, coordinator: bool = False, **_: Any) -> Markup:
    return Markup(  # noqa: S704 - a rendered (autoescaped) template
        render_template(
            "plans/neighbourhood_section.html",
            neighbourhood=neighbourhood,
            plans=plans_for_neighbourhood(neighbourhood.id),
            coordinator=coordinator,
        )
    )
