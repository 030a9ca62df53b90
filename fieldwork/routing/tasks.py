from __future__ import annotations

from celery import shared_task
from sqlalchemy.exc import OperationalError

from fieldwork.routing.services import route_with_waiting


@shared_task(
    name="routing.route_signal",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_backoff_max=240,  # below the broker's visibility timeout (README, "Workers")
    max_retries=8,
    # nobody reads its result: not storing one saves a round trip to Redis per signal
    ignore_result=True,
)
def route_signal(signal_id: int) -> None:
    """Route one signal (by id), and others waiting with it. Safe to run twice."""
    route_with_waiting(signal_id)
