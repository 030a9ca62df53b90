"""volunteers' answers to the hooks of cases; connected once per process by ``init_app``."""

from __future__ import annotations

from typing import Any

from fieldwork.auth.models import User
from fieldwork.cases.hooks import case_consent_withdrawn
from fieldwork.cases.models import Case
from fieldwork.volunteers.matching import withdraw_for_resident


def end_buurtgezel(case: Case, by: User | None, **_: Any) -> None:
    withdraw_for_resident(case.resident_id, by)


case_consent_withdrawn.connect(end_buurtgezel, weak=False)
