"""areas' answers to the hooks of core; connected once per process by ``init_app``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from fieldwork.areas.models import Neighbourhood
from fieldwork.core.hooks import worker_ping
from fieldwork.extensions import db


def count_neighbourhoods(_sender: None, **_: Any) -> dict[str, object]:
    return {"neighbourhoods": db.session.scalar(select(func.count()).select_from(Neighbourhood))}


worker_ping.connect(count_neighbourhoods, weak=False)
