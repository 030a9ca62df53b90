"""onward's answer to cases: the case page's section on referrals onward."""

from __future__ import annotations

from typing import Any

from flask import render_template
from markupsafe import Markup

from fieldwork.cases.hooks import case_consent_withdrawn, case_page_sections
from fieldwork.onward.models import STATES
from fieldwork.onward.services import end_for_resident, referrals_of_case


@case_page_sections.connect
def _onward_section(case: Any, **_: Any) -> Markup:
    return Markup(  # noqa: S704 - a rendered (autoescaped) template
        render_template(
            "onward/case_section.html",
            case=case,
            referrals=referrals_of_case(case.id),
            states=STATES,
        )
    )


def end_on_withdrawal(case: Any, by: Any = None, **_: Any) -> None:
    """A withdrawal stops contact: the partners' open referrals end."""
    end_for_resident(case.resident_id, by)


case_consent_withdrawn.connect(end_on_withdrawal, weak=False)
